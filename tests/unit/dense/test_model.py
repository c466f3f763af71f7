"""build_model: layers, widths, activations, parameter counts, init and summary."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from playground.core import catalog
from playground.dense.model import build_model, count_params, init_weights, linear_layers, summary
from playground.dense.spec import Experiment, Layer

EXPECTED_ACTIVATION = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
}


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make(hidden, n_in=2, n_out=1, init="default", seed=0) -> nn.Sequential:
    spec = Experiment(hidden=tuple(Layer(w, a) for w, a in hidden), init=init)
    return build_model(spec, n_in, n_out, gen(seed))


def test_every_catalog_activation_is_covered():
    assert set(catalog.ACTIVATIONS) == set(EXPECTED_ACTIVATION)


@pytest.mark.parametrize("act", list(catalog.ACTIVATIONS))
def test_layer_types_widths_and_activation(act):
    model = make([(5, act), (3, act)], n_in=4, n_out=2)
    assert isinstance(model, nn.Sequential)
    assert len(model) == 5  # Linear, act, Linear, act, Linear
    kinds = [type(m) for m in model]
    assert kinds[0] is nn.Linear and kinds[2] is nn.Linear and kinds[4] is nn.Linear
    assert isinstance(model[1], EXPECTED_ACTIVATION[act])
    assert isinstance(model[3], EXPECTED_ACTIVATION[act])
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    assert shapes == [(4, 5), (5, 3), (3, 2)]
    out = model(torch.randn(6, 4))
    assert out.shape == (6, 2)


def test_leaky_relu_slope_is_one_hundredth():
    model = make([(4, "leaky_relu")])
    assert model[1].negative_slope == pytest.approx(0.01)


def test_mixed_activations_keep_their_order():
    acts = ["relu", "sigmoid", "gelu", "linear"]
    model = make([(w, a) for w, a in zip([2, 3, 4, 5], acts, strict=True)])
    assert [type(m) for m in list(model)[1::2]] == [EXPECTED_ACTIVATION[a] for a in acts]
    assert [lin.out_features for lin in linear_layers(model)] == [2, 3, 4, 5, 1]


@pytest.mark.parametrize(
    "hidden,n_in,n_out,expected",
    [
        ([(8, "tanh"), (8, "tanh")], 2, 1, 24 + 72 + 9),  # 2->8->8->1 = 105
        ([], 2, 1, 3),  # plain logistic regression: 2 weights + bias
        ([], 7, 5, 40),  # 7*5 + 5
        ([(4, "relu")], 3, 3, (3 * 4 + 4) + (4 * 3 + 3)),  # 16 + 15 = 31
        ([(64, "relu")] * 8, 7, 5, (7 * 64 + 64) + 7 * (64 * 64 + 64) + (64 * 5 + 5)),
        ([(1, "linear")], 2, 1, 3 + 2),
    ],
)
def test_parameter_counts_by_hand(hidden, n_in, n_out, expected):
    model = make(hidden, n_in=n_in, n_out=n_out)
    assert count_params(model) == expected
    assert len(model) == 2 * len(hidden) + 1


def test_zero_hidden_layers_is_one_linear_layer():
    model = make([], n_in=3, n_out=2)
    assert len(model) == 1
    assert isinstance(model[0], nn.Linear)
    assert (model[0].in_features, model[0].out_features) == (3, 2)
    assert model(torch.randn(5, 3)).shape == (5, 2)


# ---- initialisation -------------------------------------------------------------
def flat_params(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def test_zeros_init_gives_all_zeros():
    model = make([(8, "tanh"), (6, "relu")], init="zeros")
    assert torch.count_nonzero(flat_params(model)) == 0


@pytest.mark.parametrize("init", catalog.INITS)
def test_same_seed_same_weights(init):
    a = make([(8, "tanh"), (6, "relu")], init=init, seed=3)
    b = make([(8, "tanh"), (6, "relu")], init=init, seed=3)
    assert torch.equal(flat_params(a), flat_params(b))


@pytest.mark.parametrize("init", [i for i in catalog.INITS if i != "zeros"])
def test_different_seed_different_weights(init):
    a = make([(8, "tanh"), (6, "relu")], init=init, seed=3)
    b = make([(8, "tanh"), (6, "relu")], init=init, seed=4)
    assert not torch.equal(flat_params(a), flat_params(b))


@pytest.mark.parametrize("init", catalog.INITS)
def test_weights_do_not_depend_on_the_global_rng(init):
    torch.manual_seed(1)
    a = make([(8, "tanh"), (6, "relu")], init=init, seed=3)
    torch.manual_seed(2)
    b = make([(8, "tanh"), (6, "relu")], init=init, seed=3)
    assert torch.equal(flat_params(a), flat_params(b))


def test_default_init_matches_torch_bounds():
    model = make([(40, "tanh")], n_in=10, init="default")
    for lin in linear_layers(model):
        bound = 1 / math.sqrt(lin.in_features)
        assert lin.weight.abs().max() <= bound
        assert lin.bias.abs().max() <= bound
        assert torch.count_nonzero(lin.bias) > 0


def test_xavier_init_bounds_and_zero_bias():
    model = make([(40, "tanh")], n_in=10, init="xavier")
    for lin in linear_layers(model):
        bound = math.sqrt(6 / (lin.in_features + lin.out_features))
        assert lin.weight.abs().max() <= bound
        assert lin.weight.abs().max() > 0.5 * bound  # really that wide, not the default
        assert torch.count_nonzero(lin.bias) == 0


def test_he_init_bounds_and_zero_bias():
    model = make([(40, "relu")], n_in=10, init="he")
    for lin in linear_layers(model):
        bound = math.sqrt(6 / lin.in_features)
        assert lin.weight.abs().max() <= bound
        assert lin.weight.abs().max() > 0.5 * bound
        assert torch.count_nonzero(lin.bias) == 0


def test_init_schemes_differ_from_each_other():
    weights = {i: flat_params(make([(8, "tanh")], init=i, seed=1)) for i in catalog.INITS}
    for a in catalog.INITS:
        for b in catalog.INITS:
            if a < b:
                assert not torch.equal(weights[a], weights[b]), (a, b)


def test_init_weights_reinitialises_in_place():
    model = make([(8, "tanh")], init="he")
    init_weights(model, "zeros", gen())
    assert torch.count_nonzero(flat_params(model)) == 0


# ---- summary -------------------------------------------------------------------
@pytest.mark.parametrize(
    "hidden,n_in,n_out",
    [
        ([(8, "tanh"), (8, "tanh")], 2, 1),
        ([], 4, 3),
        ([(5, "relu"), (3, "gelu"), (2, "elu")], 7, 2),
    ],
)
def test_summary_rows_and_param_total(hidden, n_in, n_out):
    model = make(hidden, n_in=n_in, n_out=n_out)
    df = summary(model, n_in)
    assert list(df.columns) == ["layer", "output", "params"]
    assert len(df) == 1 + len(model)  # input row + one row per module
    assert df["layer"].iloc[0] == "input"
    assert df["output"].iloc[0] == f"(N, {n_in})"
    assert df["params"].iloc[0] == 0
    assert df["params"].sum() == count_params(model)
    assert df["output"].iloc[-1] == f"(N, {n_out})"


def test_summary_rows_by_hand():
    model = make([(8, "relu"), (4, "tanh")], n_in=2, n_out=1)
    df = summary(model, 2)
    assert df.to_dict("records") == [
        {"layer": "input", "output": "(N, 2)", "params": 0},
        {"layer": "0: dense", "output": "(N, 8)", "params": 24},
        {"layer": "1: relu", "output": "(N, 8)", "params": 0},
        {"layer": "2: dense", "output": "(N, 4)", "params": 36},
        {"layer": "3: tanh", "output": "(N, 4)", "params": 0},
        {"layer": "4: dense", "output": "(N, 1)", "params": 5},
    ]
