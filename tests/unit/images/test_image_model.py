"""summarize (shapes, params, problems) against real forward passes of build_image_model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from playground.dense.model import count_params
from playground.images.layers import parse_layers
from playground.images.model import (
    MAX_PARAMS,
    build_image_model,
    conv_layers,
    first_weights,
    summarize,
)
from playground.images.presets import PRESETS, apply_preset
from playground.images.spec import ImageExperiment

MNIST = (1, 28, 28)
DIGITS = (1, 8, 8)


def stack(text: str):
    notes = []
    layers = parse_layers(text, notes)
    assert notes == []
    return layers


def preset_layers(name: str):
    return apply_preset(ImageExperiment(), name).layers


def codes(summary) -> list[tuple[str, int | None]]:
    return [(p.code, p.layer_index) for p in summary.problems]


def row_outputs(model: nn.Sequential, rows, x: torch.Tensor) -> list[tuple[int, ...]]:
    """Run x through the model row by row, following the documented module layout."""
    modules, i, shapes = list(model), 0, []
    for row in rows:
        n = {"conv": 2 + (row.pad[0] != row.pad[1] or row.pad[2] != row.pad[3]), "dense": 2}
        for module in modules[i : i + n.get(row.kind, 1)]:
            x = module(x)
        i += n.get(row.kind, 1)
        shapes.append(tuple(x.shape[1:]))
    assert i == len(modules)
    return shapes


# ---- parameter counts of the classic models --------------------------------------
# mlp512 on 28x28: 784*512 + 512 = 401,920; output 512*10 + 10 = 5,130; total 407,050.
# cnn on 28x28:
#   Conv2D 32 3x3    (32, 26, 26)   32 * (1*9 + 1)  =    320
#   MaxPool 2        (32, 13, 13)                        0
#   Conv2D 64 3x3    (64, 11, 11)   64 * (32*9 + 1) = 18,496
#   MaxPool 2        (64, 5, 5)                          0
#   Conv2D 64 3x3    (64, 3, 3)     64 * (64*9 + 1) = 36,928
#   Flatten          (576,)                              0
#   Dense 64         (64,)          64 * (576 + 1)  = 36,928
#   Output Dense 10  (10,)          10 * (64 + 1)   =    650
#   total 320 + 18,496 + 36,928 + 36,928 + 650 = 93,322
KNOWN_28 = {"mlp512": 407_050, "cnn": 93_322, "mlp128": 101_770, "mlp64x2": 55_050}


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("shape", [MNIST, DIGITS])
def test_preset_params_match_the_built_model(name, shape):
    summary = summarize(preset_layers(name), shape)
    if not summary.ok:  # the 28x28 CNN does not fit an 8x8 digit; say so, don't build
        assert (name, shape) == ("cnn", DIGITS)
        assert codes(summary) == [("pool_too_big", 3), ("conv_too_big", 4)]
        return
    model = build_image_model(preset_layers(name), shape)
    assert summary.total_params == count_params(model)
    if shape == MNIST and name in KNOWN_28:
        assert summary.total_params == KNOWN_28[name]


def test_cnn_table_reads_like_keras():
    summary = summarize(apply_preset(ImageExperiment(dataset="mnist"), "cnn"))
    frame = summary.frame()
    assert list(frame.columns) == ["layer", "output", "params"]
    assert list(frame["layer"]) == [
        "Conv2D 32 3×3", "MaxPool 2×2", "Conv2D 64 3×3", "MaxPool 2×2", "Conv2D 64 3×3",
        "Flatten", "Dense 64", "Output (Dense 10, softmax)",
    ]  # fmt: skip
    assert list(frame["output"]) == [
        "(32, 26, 26)", "(32, 13, 13)", "(64, 11, 11)", "(64, 5, 5)", "(64, 3, 3)", "(576,)",
        "(64,)", "(10,)",
    ]  # fmt: skip
    assert list(frame["params"]) == [320, 0, 18496, 0, 36928, 0, 36928, 650]
    assert summary.input_shape == MNIST and summary.output_shape == (10,)
    assert [row.activation for row in summary.rows][::6] == ["relu", "relu"]
    assert summary.rows[-1].activation == "softmax"


def test_dense_after_an_image_gets_an_auto_flatten_row():
    summary = summarize(preset_layers("mlp512"), MNIST)
    assert [(r.label, r.index, r.auto, r.output) for r in summary.rows] == [
        ("Flatten (auto)", None, True, (784,)),
        ("Dense 512", 0, False, (512,)),
        ("Output (Dense 10, softmax)", None, True, (10,)),
    ]


def test_an_empty_stack_is_logistic_regression_on_pixels():
    summary = summarize(ImageExperiment(layers=()))  # digits, 8x8
    assert summary.ok
    assert [r.label for r in summary.rows] == ["Flatten (auto)", "Output (Dense 10, softmax)"]
    assert summary.total_params == 64 * 10 + 10
    model = build_image_model(ImageExperiment(layers=()))
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert first_weights(model).shape == (10, 64)


def test_batchnorm_counts_scale_and_shift():
    summary = summarize(stack("conv:8:3,batchnorm,flatten,dense:16,batchnorm"), DIGITS)
    assert [r.params for r in summary.rows if r.kind == "batchnorm"] == [2 * 8, 2 * 16]
    model = build_image_model(stack("conv:8:3,batchnorm,flatten,dense:16,batchnorm"), DIGITS)
    kinds = [type(m) for m in model if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    assert kinds == [nn.BatchNorm2d, nn.BatchNorm1d]


# ---- shapes agree with PyTorch ----------------------------------------------------------
STACKS = [
    "",
    "flatten,dense:64:relu",
    "dense:32:tanh",
    "conv:4:3:1:valid:relu",
    "conv:4:3:2:same:relu",
    "conv:4:4:1:same:relu",
    "conv:4:2:2:same:linear,conv:4:5:3:same:elu",
    "conv:5:4:2:same:relu,conv:3:6:1:same:gelu",
    "conv:4:3,maxpool:2:0,conv:8:3:1:same,avgpool:2:1",
    "maxpool:3:0",
    "avgpool:3:2,dense:8:sigmoid,dense:8:silu",
    "conv:4:3,batchnorm,maxpool:2,dropout:0.3,flatten,dense:16,batchnorm,dropout:0.5",
    "conv:8:1:1:valid:leaky_relu,conv:4:3:4:valid:softplus",
    "batchnorm,dropout:0.2,conv:2:11:1:same",
]


@pytest.mark.parametrize("text", STACKS)
@pytest.mark.parametrize("shape", [DIGITS, MNIST])
def test_summary_shapes_match_a_forward_pass(text, shape):
    summary = summarize(stack(text), shape)
    assert summary.ok, summary.problems
    model = build_image_model(stack(text), shape).eval()
    x = torch.randn(2, *shape)
    assert row_outputs(model, summary.rows, x) == [row.output for row in summary.rows]
    assert model(x).shape == (2, 10)
    assert summary.total_params == count_params(model)
    assert [row.input for row in summary.rows[1:]] == [row.output for row in summary.rows[:-1]]


def test_same_padding_with_stride_follows_keras():
    # ceil(28 / 2) = 14, ceil(8 / 3) = 3; an even kernel pads one more after than before
    assert summarize(stack("conv:4:3:2:same"), MNIST).rows[0].output == (4, 14, 14)
    assert summarize(stack("conv:4:3:3:same"), DIGITS).rows[0].output == (4, 3, 3)
    assert summarize(stack("conv:4:4:1:same"), DIGITS).rows[0].pad == (1, 2, 1, 2)
    model = build_image_model(stack("conv:4:4:1:same"), DIGITS)
    assert isinstance(model[0], nn.ZeroPad2d) and isinstance(model[1], nn.Conv2d)


# ---- problems --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,shape,expected",
    [
        ("maxpool:2,maxpool:2,maxpool:2,maxpool:2", DIGITS, [("pool_too_big", 3)]),
        ("maxpool:3,maxpool:3", DIGITS, [("pool_too_big", 1)]),
        ("conv:8:11", DIGITS, [("conv_too_big", 0)]),
        ("dense:8,conv:4", DIGITS, [("spatial_after_flat", 1)]),
        ("flatten,maxpool:2,flatten", MNIST,
         [("spatial_after_flat", 1), ("spatial_after_flat", 2)]),
        ("", (1, 0, 0), [("empty_output", None)]),
        (",".join(["dense:1024"] * 6), MNIST, [("too_many_params", None)]),
        ("conv:256:3:1:same,flatten,dense:64", MNIST, [("too_many_params", None)]),
    ],
)
def test_problems_are_explained_and_refuse_to_build(text, shape, expected):
    summary = summarize(stack(text), shape)
    assert codes(summary) == expected and not summary.ok
    with pytest.raises(ValueError):
        build_image_model(stack(text), shape)


def test_problem_details_and_rows():
    summary = summarize(stack("conv:8:11"), DIGITS)
    assert summary.problems[0].detail == {"kernel": 11, "input": (8, 8)}
    assert summary.rows[0].output is None and summary.frame()["output"][0] == "—"
    big = summarize(stack(",".join(["dense:1024"] * 6)), MNIST)
    assert big.problems[0].detail == {"params": 6_062_090, "limit": MAX_PARAMS}


def test_the_walk_goes_on_past_a_faulty_layer():
    summary = summarize(stack("dense:8,conv:4,dense:3"), DIGITS)
    assert [row.output for row in summary.rows] == [(64,), (8,), None, (3,), (10,)]
    assert summary.total_params == (64 * 8 + 8) + (8 * 3 + 3) + (3 * 10 + 10)


def test_three_pools_fit_digits_and_same_padding_never_too_big():
    assert summarize(stack("maxpool:2,maxpool:2,maxpool:2"), DIGITS).rows[2].output == (1, 1, 1)
    assert summarize(stack("conv:2:11:1:same"), DIGITS).rows[0].output == (2, 8, 8)


def test_four_dense_1024_on_mnist_stay_under_the_limit():
    # 784*1024+1024 + 3 * (1024*1024+1024) + 1024*10+10 = 803,840 + 3,148,800 + 10,250
    summary = summarize(stack(",".join(["dense:1024"] * 4)), MNIST)
    assert summary.ok and summary.total_params == 3_962_890 < MAX_PARAMS


# ---- building ----------------------------------------------------------------------------
def _weights(seed: int, name: str = "cnn"):
    generator = torch.Generator().manual_seed(seed)
    model = build_image_model(preset_layers(name), MNIST, generator=generator)
    return model.state_dict()


def test_same_seed_gives_identical_initial_weights():
    a, b, c = _weights(3), _weights(3), _weights(4)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["0.weight"], c["0.weight"])
    bound = 1 / (1 * 3 * 3) ** 0.5  # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert a["0.weight"].abs().max() <= bound and a["0.bias"].abs().max() <= bound


def test_the_output_layer_is_linear_without_softmax():
    model = build_image_model(preset_layers("mlp128"), MNIST)
    assert isinstance(model[-1], nn.Linear) and model[-1].out_features == 10
    assert not any(isinstance(m, (nn.Softmax, nn.LogSoftmax)) for m in model)


def test_conv_layers_point_at_activated_feature_maps():
    layers = stack("conv:4:4:1:same:tanh,maxpool:2,conv:6:3:1:valid:relu,flatten,dense:8")
    model = build_image_model(layers, MNIST).eval()
    indices = conv_layers(model)
    assert [type(model[i]) for i in indices] == [nn.Tanh, nn.ReLU]
    x = torch.randn(2, *MNIST)
    assert [tuple(model[: i + 1](x).shape) for i in indices] == [(2, 4, 28, 28), (2, 6, 12, 12)]
    assert model[: indices[0] + 1](x).abs().max() <= 1  # after tanh
    assert first_weights(model).shape == (4, 1, 4, 4)
    assert first_weights(build_image_model(preset_layers("mlp512"), MNIST)).shape == (512, 784)
