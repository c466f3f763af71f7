"""Probes inside the network against direct computations: neuron maps,
layer statistics (autograd for the gradients), weight edits, histograms.

Every expected value here is computed by hand from the model's own modules
or from torch.autograd on a copy of the model, never by the probe itself.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from support import CPU, trained

from playground.data.features import FEATURES, feature_matrix
from playground.dense.model import linear_layers
from playground.dense.probe import (
    HIST_BINS,
    MAX_SHOWN,
    forward_all,
    grid_points,
    histograms,
    layer_stats,
    neuron_maps,
)
from playground.dense.spec import Experiment, Layer
from playground.dense.trainer import Trainer

ATOL = 1e-6


def warm(spec: Experiment, epochs: int = 2, fast: bool = True) -> Trainer:
    """A trainer a little way into training, so nothing is still at its init."""
    torch.manual_seed(0)
    trainer = trained(spec, epochs, fast)
    assert trainer.diverged is None
    return trainer


def grid_inputs(trainer: Trainer, resolution: int) -> torch.Tensor:
    """The probe's grid, built here: (R*R, F) features, row-major, row i = y[i]."""
    _, pts = grid_points(trainer.data.extent, resolution)
    return feature_matrix(pts, trainer.spec.features)


def hidden_output(trainer: Trainer, k: int, x: torch.Tensor) -> torch.Tensor:
    """Output of hidden layer k (1-based) by hand: the first k Linear+activation pairs."""
    with torch.no_grad():
        return trainer.model[: 2 * k](x)


def clone_params(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.model.parameters()]


# ---- neuron maps ------------------------------------------------------------------
MAP_SPECS = {
    "default": Experiment(),
    "relu_extra_features": Experiment(
        dataset="circle", features=("x1", "x2", "x1_sq", "x1_x2", "sin_x2"),
        hidden=(Layer(5, "relu"), Layer(3, "relu")),
    ),
    "blobs_ce_mixed": Experiment(
        dataset="blobs", n_classes=4, loss="ce",
        hidden=(Layer(6, "sigmoid"), Layer(7, "elu"), Layer(4, "gelu")),
    ),
    "binary_ce": Experiment(dataset="moons", loss="ce", hidden=(Layer(4, "leaky_relu"),)),
    "regression": Experiment(dataset="bump", loss="mse", hidden=(Layer(6, "softplus"),)),
    "linear_model": Experiment(dataset="xor", features=("x1", "x2", "x1_x2"), hidden=()),
}


@pytest.mark.parametrize("name", sorted(MAP_SPECS))
@pytest.mark.parametrize("resolution", [24, 11])
def test_neuron_maps_equal_a_direct_forward_pass(name, resolution):
    spec = MAP_SPECS[name]
    trainer = warm(spec)
    net = neuron_maps(trainer, resolution=resolution)
    x = grid_inputs(trainer, resolution)
    R, H = resolution, len(spec.hidden)
    cols = net["columns"]
    assert len(cols) == H + 2  # inputs, each hidden layer, outputs

    widths = [len(spec.features), *(layer.width for layer in spec.hidden)]
    for k in range(H + 1):  # k = 0: the input column
        col = cols[k]
        assert col["width"] == widths[k]
        assert col["shown"] == list(range(min(widths[k], MAX_SHOWN)))
        values = hidden_output(trainer, k, x).numpy()  # (R*R, width)
        assert col["maps"].shape == (len(col["shown"]), R, R)
        assert col["maps"].dtype == np.float32
        for n, idx in enumerate(col["shown"]):
            expected = values[:, idx].reshape(R, R)
            np.testing.assert_allclose(col["maps"][n], expected, rtol=0, atol=ATOL)

    # Output column: head.surface of the whole model.
    with torch.no_grad():
        surface = trainer.head.surface(trainer.model(x)).numpy()
    expected = surface.T.reshape(-1, R, R) if surface.ndim == 2 else surface.reshape(1, R, R)
    out = cols[-1]
    multiclass = spec.problem == "multiclass"
    n_out = spec.classes if multiclass else 1
    assert out["maps"].shape == (n_out, R, R)
    assert out["shown"] == list(range(n_out)) and out["width"] == n_out
    np.testing.assert_allclose(out["maps"], expected, rtol=0, atol=ATOL)
    if multiclass:  # class probabilities: each grid point sums to one
        np.testing.assert_allclose(out["maps"].sum(axis=0), 1.0, atol=1e-5)
    elif spec.problem == "binary":
        assert np.abs(out["maps"]).max() <= 1.0


@pytest.mark.parametrize("resolution", [24, 9])
def test_input_maps_are_the_feature_values_with_row_zero_at_the_bottom(resolution):
    names = tuple(FEATURES)  # every feature, in the catalogue's order
    trainer = warm(Experiment(dataset="circle", features=names), epochs=0)
    cols = neuron_maps(trainer, resolution=resolution)["columns"]
    extent = trainer.data.extent
    axis = np.linspace(-extent, extent, resolution, dtype=np.float32)
    ys, xs = np.meshgrid(axis, axis, indexing="ij")  # row i is y = axis[i]
    a, b = torch.from_numpy(xs), torch.from_numpy(ys)
    maps = cols[0]["maps"]
    assert maps.shape == (len(names), resolution, resolution)
    for n, name in enumerate(names):
        expected = FEATURES[name](a, b).numpy()
        np.testing.assert_allclose(maps[n], expected, rtol=0, atol=ATOL, err_msg=name)
    # Spot checks of the orientation: bottom-left corner is (-extent, -extent).
    x1, x2 = maps[names.index("x1")], maps[names.index("x2")]
    assert x1[0, 0] == x2[0, 0] == -extent
    assert x1[0, -1] == extent and x2[-1, 0] == extent


def test_output_column_shapes_for_binary_and_multiclass_heads():
    binary = neuron_maps(warm(Experiment(), epochs=0), resolution=10)["columns"][-1]
    assert binary["maps"].shape == (1, 10, 10)
    blobs = Experiment(dataset="blobs", n_classes=5, loss="ce")
    multi = neuron_maps(warm(blobs, epochs=0), resolution=10)["columns"][-1]
    assert multi["maps"].shape == (5, 10, 10) and multi["shown"] == [0, 1, 2, 3, 4]


def test_neuron_maps_weights_and_biases_are_copies_of_the_model():
    trainer = warm(Experiment(hidden=(Layer(5, "tanh"), Layer(3, "relu"))))
    net = neuron_maps(trainer)
    params = trainer.parameters_by_layer()
    assert len(net["weights"]) == len(net["biases"]) == len(params) == 3
    for (w, b), nw, nb in zip(params, net["weights"], net["biases"]):
        np.testing.assert_array_equal(nw, w.detach().numpy())
        np.testing.assert_array_equal(nb, b.detach().numpy())
    before = net["weights"][1].copy()
    assert trainer.edit("w", 1, 0, 0, 123.0)
    trainer.train_epoch()
    np.testing.assert_array_equal(net["weights"][1], before)  # an old message never changes


# ---- wide layers ------------------------------------------------------------------
def test_wide_layers_show_the_neurons_with_the_largest_outgoing_weights():
    spec = Experiment(dataset="circle", hidden=(Layer(64, "relu"), Layer(40, "tanh"),
                                                Layer(MAX_SHOWN, "relu")))
    trainer = warm(spec)
    net = neuron_maps(trainer, resolution=12)
    x = grid_inputs(trainer, 12)
    weights = [w.detach().numpy() for w, _ in trainer.parameters_by_layer()]
    for k, width in ((1, 64), (2, 40)):
        col = net["columns"][k]
        shown = col["shown"]
        assert col["width"] == width
        assert len(shown) == MAX_SHOWN
        assert shown == sorted(shown) and len(set(shown)) == MAX_SHOWN
        importance = np.abs(weights[k]).sum(axis=0)  # outgoing weights of layer k's units
        assert importance.shape == (width,)
        expected = sorted(np.argsort(-importance, kind="stable")[:MAX_SHOWN].tolist())
        assert shown == expected
        hidden = np.setdiff1d(np.arange(width), shown)
        assert importance[shown].min() >= importance[hidden].max()
        values = hidden_output(trainer, k, x).numpy()
        assert col["maps"].shape == (MAX_SHOWN, 12, 12)
        for n, idx in enumerate(shown):
            np.testing.assert_allclose(col["maps"][n], values[:, idx].reshape(12, 12),
                                       rtol=0, atol=ATOL)
    # Exactly MAX_SHOWN wide: every neuron, in order.
    assert net["columns"][3]["shown"] == list(range(MAX_SHOWN))


def test_wide_layer_selection_follows_an_edit():
    """Making one weak neuron's outgoing weight huge brings it into view."""
    trainer = warm(Experiment(dataset="circle", hidden=(Layer(64, "relu"),)), epochs=0)
    shown = neuron_maps(trainer, resolution=8)["columns"][1]["shown"]
    weak = next(i for i in range(64) if i not in shown)
    assert trainer.edit("w", 1, 0, weak, 50.0)  # output layer: (1, 64)
    assert weak in neuron_maps(trainer, resolution=8)["columns"][1]["shown"]


# ---- layer statistics: gradients against autograd -------------------------------------
def penalty(spec: Experiment, model: torch.nn.Module) -> torch.Tensor | float:
    """The regulariser written out: rate * sum |W| (l1) or sum W² (l2), weights only."""
    weights = [lin.weight for lin in linear_layers(model)]
    if spec.regularization == "l1":
        return spec.reg_rate * sum(w.abs().sum() for w in weights)
    if spec.regularization == "l2":
        return spec.reg_rate * sum((w * w).sum() for w in weights)
    return 0.0


def autograd_norms(trainer: Trainer, xb: torch.Tensor, tb: torch.Tensor) -> list[float]:
    """sqrt(||dW||² + ||db||²) per layer from torch.autograd on a copy of the model."""
    model = copy.deepcopy(trainer.model).double()
    for p in model.parameters():
        p.grad = None
    z = model(xb.double())
    t = tb.double() if tb.is_floating_point() else tb
    loss = trainer.head.loss(z, t) + penalty(trainer.spec, model)
    loss.backward()
    return [math.sqrt(float(lin.weight.grad.pow(2).sum() + lin.bias.grad.pow(2).sum()))
            for lin in linear_layers(model)]


GRAD_SPECS = {
    "default": Experiment(),
    "relu_l2": Experiment(dataset="circle", hidden=(Layer(6, "relu"), Layer(5, "relu")),
                          regularization="l2", reg_rate=0.01),
    "sigmoid_l1": Experiment(dataset="xor", hidden=(Layer(7, "sigmoid"),),
                             regularization="l1", reg_rate=0.003),
    "blobs_ce": Experiment(dataset="blobs", n_classes=4,
                           hidden=(Layer(8, "elu"), Layer(8, "tanh"))),
    "regression_huber": Experiment(dataset="plane", loss="huber", hidden=(Layer(5, "silu"),)),
    "linear_model": Experiment(dataset="circle", hidden=()),
}


@pytest.mark.parametrize("name", sorted(GRAD_SPECS))
def test_grad_norm_equals_autograd_after_fast_gradients(name):
    trainer = warm(GRAD_SPECS[name])
    assert trainer.fast is not None
    xb, tb = trainer.x_train[20:37], trainer.t_train[20:37]
    trainer.fast.gradients(xb, tb)
    expected = autograd_norms(trainer, xb, tb)
    rows = layer_stats(trainer)
    assert [row["layer"] for row in rows] == list(range(1, len(expected) + 1))
    got = [row["grad_norm"] for row in rows]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
    assert all(g > 0 for g in got)


def test_grad_norm_after_training_steps_is_that_of_the_last_batch():
    """train_epoch's last step ran on the last pre-shuffled batch; replay it."""
    spec = Experiment(dataset="circle", optimizer="sgd", hidden=(Layer(6, "tanh"),))
    trainer = warm(spec, epochs=1)
    state = trainer.shuffle_gen.get_state()
    params = clone_params(trainer)
    trainer.train_epoch()
    after = clone_params(trainer)
    # Rewind: the parameters before the last step are after + lr * grad (plain SGD).
    gen = torch.Generator().manual_seed(0)
    gen.set_state(state)
    n, bs = trainer.x_train.shape[0], spec.batch_size
    perm = torch.randperm(n, generator=gen)
    last = perm[(n - 1) // bs * bs :]
    grads = [g for pair in trainer.gradients_by_layer() for g in pair]
    with torch.no_grad():
        for p, a, g in zip(trainer.model.parameters(), after, grads):
            p.copy_(a + spec.lr * g)
    expected = autograd_norms(trainer, trainer.x_train[last], trainer.t_train[last])
    got = [row["grad_norm"] for row in layer_stats(trainer)]
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert not all(torch.equal(a, b) for a, b in zip(params, after))


def test_grad_norm_of_the_autograd_path_equals_its_grads():
    spec = Experiment(dataset="circle", hidden=(Layer(6, "relu"), Layer(4, "tanh")),
                      regularization="l2", reg_rate=0.01)
    trainer = warm(spec, epochs=1, fast=False)
    assert trainer.fast is None
    expected = [math.sqrt(float(w.grad.pow(2).sum() + b.grad.pow(2).sum()))
                for w, b in trainer.parameters_by_layer()]
    got = [row["grad_norm"] for row in layer_stats(trainer)]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert all(g > 0 for g in got)


def test_fast_and_autograd_paths_report_the_same_gradients():
    spec = Experiment(dataset="circle", optimizer="sgd",
                      hidden=(Layer(6, "tanh"), Layer(4, "tanh")))
    fast, slow = warm(spec, epochs=1), warm(spec, epochs=1, fast=False)
    a = [row["grad_norm"] for row in layer_stats(fast)]
    b = [row["grad_norm"] for row in layer_stats(slow)]
    np.testing.assert_allclose(a, b, rtol=1e-4)


def test_gradients_are_zero_before_the_first_step():
    for fast in (True, False):
        trainer = Trainer(Experiment(), device=CPU, fast=fast)
        assert [row["grad_norm"] for row in layer_stats(trainer)] == [0.0, 0.0, 0.0]


# ---- layer statistics: weights and activations -----------------------------------------
STAT_SPECS = {
    "default": Experiment(),
    "mixed": Experiment(dataset="circle", features=("x1", "x2", "x1_sq"),
                        hidden=(Layer(7, "relu"), Layer(6, "sigmoid"), Layer(5, "gelu"))),
    "blobs": Experiment(dataset="blobs", hidden=(Layer(8, "relu"),)),
    "linear_model": Experiment(dataset="plane", hidden=()),
}


@pytest.mark.parametrize("name", sorted(STAT_SPECS))
def test_weight_norm_activation_and_inactive_share_by_hand(name):
    spec = STAT_SPECS[name]
    trainer = warm(spec)
    rows = layer_stats(trainer)
    H = len(spec.hidden)
    assert len(rows) == H + 1
    with torch.no_grad():
        outputs = [hidden_output(trainer, k, trainer.x_train) for k in range(1, H + 1)]
        outputs.append(trainer.model(trainer.x_train))
    acts = [layer.activation for layer in spec.hidden] + [None]
    for row, (w, _), a, act in zip(rows, trainer.parameters_by_layer(), outputs, acts):
        assert row["weight_norm"] == pytest.approx(np.linalg.norm(w.detach().numpy()), rel=1e-6)
        a = a.numpy()
        assert row["act_mean_abs"] == pytest.approx(np.abs(a).mean(), rel=1e-5)
        if act == "relu":
            dead = (a <= 0).all(axis=0)
            assert row["inactive_share"] == pytest.approx(dead.mean())
        elif act == "tanh":
            assert row["inactive_share"] == pytest.approx((np.abs(a) > 0.99).mean())
        elif act == "sigmoid":
            assert row["inactive_share"] == pytest.approx(((a < 0.01) | (a > 0.99)).mean())
        else:  # the output layer and activations that neither die nor saturate
            assert row["inactive_share"] is None
        assert all(isinstance(row[k], float) for k in ("weight_norm", "grad_norm",
                                                        "act_mean_abs"))


@pytest.mark.parametrize("layer", [0, 1])
def test_a_bias_of_minus_100_kills_a_relu_unit(layer):
    width = 8
    spec = Experiment(dataset="circle", hidden=(Layer(width, "relu"), Layer(width, "relu")))
    trainer = warm(spec, epochs=1)
    before = layer_stats(trainer)[layer]["inactive_share"]
    with torch.no_grad():
        a = hidden_output(trainer, layer + 1, trainer.x_train)
    unit = int(torch.argmax(a.abs().sum(0)))  # the busiest unit: surely alive now
    assert (a[:, unit] > 0).any()
    assert trainer.edit("b", layer, unit, 0, -100.0)
    after = layer_stats(trainer)[layer]["inactive_share"]
    with torch.no_grad():
        a = hidden_output(trainer, layer + 1, trainer.x_train)
    assert (a[:, unit] == 0).all()
    assert after >= 1 / width
    assert after == pytest.approx(before + 1 / width)  # exactly one more dead unit


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_scaling_weights_up_saturates(act):
    spec = Experiment(dataset="circle", hidden=(Layer(8, act), Layer(8, act)))
    trainer = warm(spec, epochs=1)
    before = layer_stats(trainer)[0]["inactive_share"]
    w = trainer.parameters_by_layer()[0][0].detach().clone()
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            assert trainer.edit("w", 0, r, c, float(w[r, c]) * 20)
    after = layer_stats(trainer)[0]["inactive_share"]
    assert before < 0.5
    assert after > before + 0.3, (before, after)


# ---- edits ----------------------------------------------------------------------------
def raw_output(trainer: Trainer, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return trainer.model(x).clone()


@pytest.mark.parametrize("dataset", ["circle", "blobs"])
def test_editing_a_linear_model_weight_changes_z_by_delta_times_x(dataset):
    spec = Experiment(dataset=dataset, features=("x1", "x2", "x1_sq", "x1_x2", "sin_x1"),
                      hidden=())
    trainer = warm(spec, epochs=1)
    x = torch.cat([trainer.x_train, grid_inputs(trainer, 15)])
    W = trainer.parameters_by_layer()[0][0].detach()
    delta = 0.375
    n_out = W.shape[0]
    for row in range(n_out):
        for j in range(len(spec.features)):
            z0 = raw_output(trainer, x)
            assert trainer.edit("w", 0, row, j, float(W[row, j]) + delta)
            change = (raw_output(trainer, x) - z0).numpy()
            expected = np.zeros_like(change)
            expected[:, row] = delta * x[:, j].numpy()
            np.testing.assert_allclose(change, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dataset", ["circle", "blobs", "bump"])
def test_editing_the_last_bias_shifts_the_raw_output_everywhere(dataset):
    spec = Experiment(dataset=dataset, hidden=(Layer(6, "relu"), Layer(5, "tanh")))
    trainer = warm(spec)
    x = torch.cat([trainer.x_train, trainer.x_test, grid_inputs(trainer, 15)])
    b = trainer.parameters_by_layer()[-1][1].detach()
    delta = -1.25
    for row in range(b.shape[0]):
        z0 = raw_output(trainer, x)
        assert trainer.edit("b", 2, row, 0, float(b[row]) + delta)
        change = (raw_output(trainer, x) - z0).numpy()
        expected = np.zeros_like(change)
        expected[:, row] = delta
        np.testing.assert_allclose(change, expected, rtol=0, atol=1e-5)


def test_an_edit_sets_exactly_that_parameter_and_shows_in_the_flat_buffer():
    trainer = warm(Experiment())
    flat = trainer.optimizer.param_groups[0]["params"][0]
    before_model, before_flat = clone_params(trainer), flat.detach().clone()
    assert trainer.edit("w", 1, 3, 5, 0.75)
    assert trainer.edit("b", 2, 0, 0, -0.5)
    after = clone_params(trainer)
    changed = [(i, tuple(idx.tolist())) for i, (p, q) in enumerate(zip(before_model, after))
               for idx in (p != q).nonzero()]
    # parameters: W1, b1, W2, b2, W3, b3 (0-based layer 1 is W2, layer 2's bias is b3)
    assert changed == [(2, (3, 5)), (5, (0,))]
    assert float(after[2][3, 5]) == 0.75 and float(after[5][0]) == -0.5
    assert int((flat.detach() != before_flat).sum()) == 2  # the optimizer's tensor saw it


BAD_EDITS = [
    ("w", -1, 0, 0, 1.0), ("w", 3, 0, 0, 1.0), ("w", 0, 8, 0, 1.0), ("w", 0, 0, 2, 1.0),
    ("w", 0, -1, 0, 1.0), ("w", 0, 0, -1, 1.0), ("w", 2, 1, 0, 1.0), ("b", 0, 8, 0, 1.0),
    ("b", 0, -1, 0, 1.0), ("b", 2, 1, 0, 1.0), ("x", 0, 0, 0, 1.0),
    ("w", 0, 0, 0, math.nan), ("w", 0, 0, 0, math.inf), ("b", 1, 0, 0, -math.inf),
]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("edit", BAD_EDITS, ids=[str(e) for e in BAD_EDITS])
def test_bad_edits_return_false_and_change_nothing(edit, fast):
    trainer = warm(Experiment(), epochs=1, fast=fast)  # 2 -> 8 -> 8 -> 1
    before = clone_params(trainer)
    assert trainer.edit(*edit) is False
    for p, q in zip(before, trainer.model.parameters()):
        assert torch.equal(p, q.detach())


def test_good_edits_return_true():
    trainer = warm(Experiment(), epochs=0)
    assert trainer.edit("w", 0, 7, 1, 0.1) is True
    assert trainer.edit("w", 2, 0, 7, 0.1) is True
    assert trainer.edit("b", 2, 0, 0, 0.1) is True
    assert trainer.edit("b", 1, 7, 0, 0.1) is True


def test_an_edit_persists_through_the_fast_path_and_the_optimizer_steps_from_it():
    spec = Experiment(dataset="circle", optimizer="sgd", lr=0.1)
    trainer = warm(spec, epochs=1)
    assert trainer.fast is not None
    original = float(trainer.parameters_by_layer()[1][0].detach()[2, 4])
    edited = original + 3.0
    assert trainer.edit("w", 1, 2, 4, edited)
    xb, tb = trainer.x_train[:10], trainer.t_train[:10]
    trainer.fast.gradients(xb, tb)
    # The gradient was taken at the edited weights: compare with autograd.
    np.testing.assert_allclose([row["grad_norm"] for row in layer_stats(trainer)],
                               autograd_norms(trainer, xb, tb), rtol=1e-5)
    g = float(trainer.fast.gw[1][2, 4])
    assert g != 0
    trainer.optimizer.step()
    now = float(trainer.parameters_by_layer()[1][0].detach()[2, 4])
    assert now == pytest.approx(edited - spec.lr * g, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("fast", [True, False])
def test_an_edit_survives_an_epoch_of_training(fast):
    spec = Experiment(dataset="circle")  # adam, lr 0.03: each step moves a weight ~lr at most
    trainer = warm(spec, epochs=1, fast=fast)
    original = float(trainer.parameters_by_layer()[0][0].detach()[1, 0])
    edited = original + 5.0
    assert trainer.edit("w", 0, 1, 0, edited)
    steps = trainer.step
    trainer.train_epoch()
    now = float(trainer.parameters_by_layer()[0][0].detach()[1, 0])
    moved = abs(now - edited)
    assert 0 < moved <= 1.5 * spec.lr * (trainer.step - steps), (original, edited, now)


# ---- vanishing gradients -----------------------------------------------------------------
def first_over_last(act: str, dataset: str, seed: int) -> tuple[float, float, float]:
    spec = Experiment(dataset=dataset, seed=seed, hidden=tuple(Layer(8, act) for _ in range(6)))
    trainer = warm(spec, epochs=1)  # 20 steps of adam
    rows = layer_stats(trainer)
    first, last = rows[0]["grad_norm"], rows[-1]["grad_norm"]
    return first, last, first / last


@pytest.mark.parametrize("dataset,seed", [("circle", 1), ("spiral", 1)])
def test_six_sigmoid_layers_vanish_where_relu_does_not(dataset, seed):
    """Measured after one epoch (20 adam steps, default init, width 8), first/last
    grad-norm ratio: circle seed 1: sigmoid 1.1e-5, relu 0.35 (33,000x);
    spiral seed 1: sigmoid 8.9e-6, relu 1.5e-2 (1,700x). Over 24 data set/seed
    pairs sigmoid stayed below 1e-3 (worst 8e-4); relu was above 1e-3 except
    where the whole relu stack had died (ratio 0, seed 2 of spiral and moons),
    so the seeds are fixed. Asserted with wide margins."""
    s_first, s_last, sigmoid = first_over_last("sigmoid", dataset, seed)
    _, _, relu = first_over_last("relu", dataset, seed)
    assert s_last > 0
    assert sigmoid < 1e-3, sigmoid  # the first layer learns almost nothing
    assert relu > 10 * sigmoid, (relu, sigmoid)


# ---- histograms -------------------------------------------------------------------------
HIST_SPECS = {
    "default": Experiment(),
    "wide": Experiment(dataset="circle", hidden=(Layer(64, "relu"), Layer(33, "tanh"))),
    "blobs": Experiment(dataset="blobs", n_classes=5, hidden=(Layer(8, "relu"),)),
    "linear_model": Experiment(dataset="plane", hidden=()),
}


def check_hist(hist: tuple, tensors: list[torch.Tensor]) -> None:
    edges, counts = hist
    tensors = [t.detach() for t in tensors]
    assert edges.shape == (HIST_BINS + 1,)
    assert counts.shape == (len(tensors), HIST_BINS)
    np.testing.assert_allclose(edges, -edges[::-1], atol=1e-6 * abs(edges[-1]))
    assert np.all(np.diff(edges) > 0)
    limit = max(float(t.abs().max()) for t in tensors) or 1.0
    assert edges[-1] == pytest.approx(limit, rel=1e-6)
    for t, row in zip(tensors, counts):
        assert row.sum() == t.numel()
        assert (row >= 0).all()
        values = t.numpy().ravel()
        np_counts, _ = np.histogram(values, bins=edges)
        # Binning arithmetic may put a value within rounding of an edge either side.
        near = np.abs(values[:, None] - edges[None, 1:-1]) <= 1e-6 * edges[-1]
        assert np.abs(np_counts - row).sum() <= 2 * near.any(axis=1).sum()


@pytest.mark.parametrize("name", sorted(HIST_SPECS))
def test_histograms_count_every_weight_and_gradient(name):
    trainer = warm(HIST_SPECS[name])
    hist = histograms(trainer)
    assert set(hist) == {"weights", "grads"}
    check_hist(hist["weights"], [w for w, _ in trainer.parameters_by_layer()])
    check_hist(hist["grads"], [g for g, _ in trainer.gradients_by_layer()])


def test_histograms_before_training_and_after_a_large_edit():
    trainer = warm(Experiment(), epochs=0)
    hist = histograms(trainer)
    edges, counts = hist["grads"]  # all zeros: the range falls back to [-1, 1]
    assert edges[0] == -1.0 and edges[-1] == 1.0
    assert counts.sum() == 2 * 8 + 8 * 8 + 8
    assert trainer.edit("w", 1, 0, 0, -40.0)
    edges, counts = histograms(trainer)["weights"]
    assert edges[0] == -40.0 and edges[-1] == 40.0
    assert counts[1, 0] == 1  # the edited weight alone in the lowest bin
    assert counts.sum(axis=1).tolist() == [16, 64, 8]


def test_forward_all_matches_the_model():
    trainer = warm(Experiment(hidden=(Layer(5, "relu"), Layer(4, "tanh"))))
    with torch.no_grad():
        outs = forward_all(trainer.model, trainer.x_train)
        assert [o.shape[1] for o in outs] == [5, 4, 1]
        assert torch.equal(outs[-1], trainer.model(trainer.x_train))
        assert torch.equal(outs[0], trainer.model[:2](trainer.x_train))


# ---- histograms of a diverged network ------------------------------------------------
def test_histograms_of_a_diverged_network_do_not_raise():
    spec = Experiment(dataset="plane", loss="mse", optimizer="sgd", lr=10.0, hidden=())
    trainer = Trainer(spec, device=CPU)
    for _ in range(5):
        trainer.train_epoch()
    assert trainer.diverged
    assert not torch.isfinite(trainer.parameters_by_layer()[0][0]).all()
    hist = histograms(trainer)  # raises today
    assert hist["weights"][1].shape == (1, HIST_BINS)
