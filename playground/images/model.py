"""ImageExperiment -> shapes, parameter counts and problems, then a torch model.

`summarize` uses shape arithmetic only, so the page can explain a stack that
cannot work before anything is built; a faulty layer gets a `Problem` and the
walk goes on without it, so every problem shows at once. Shapes are per image,
without the batch dimension: (C, H, W) or (N,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd
import torch
from torch import nn

from playground.core import catalog
from playground.images.layers import POOL_KINDS, ImageLayer
from playground.images.spec import N_CLASSES, ImageExperiment

MAX_PARAMS = 5_000_000  # a shared server trains these on its CPU
SPATIAL_KINDS = ("conv", "maxpool", "avgpool", "flatten")  # need a (C, H, W) input


@dataclass(frozen=True)
class Problem:
    """Why a stack cannot be built; `code` picks the message, `detail` fills it."""

    code: str  # "conv_too_big", "pool_too_big", "spatial_after_flat", "empty_output",
    # "too_many_params"
    layer_index: int | None  # position in the stack; None for the whole model
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LayerShape:
    """One row of the summary table."""

    index: int | None  # position in the stack; None for rows the builder adds
    kind: str  # a LAYER_KINDS name, or "output"
    label: str  # "Conv2D 32 3×3", "Flatten (auto)", "Output (Dense 10, softmax)", ...
    input: tuple[int, ...]
    output: tuple[int, ...] | None  # None when the layer has a problem
    params: int  # trainable, as sum(p.numel() for p in module.parameters())
    activation: str = ""  # dense and conv; "softmax" on the output row
    auto: bool = False  # added by the builder (flatten before a dense layer, the output)
    layer: ImageLayer | None = None
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # conv: left, right, top, bottom


@dataclass
class Summary:
    input_shape: tuple[int, ...]
    rows: list[LayerShape]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        return self.rows[-1].output

    def frame(self) -> pd.DataFrame:
        """Columns layer, output, params: the table as Keras prints it."""
        rows = [(row.label, "—" if row.output is None else str(row.output), row.params)
                for row in self.rows]
        return pd.DataFrame(rows, columns=["layer", "output", "params"])


def summarize(spec_or_layers, input_shape=None, n_classes: int = N_CLASSES) -> Summary:
    """Shape inference for a spec (its dataset's input shape unless given) or a
    bare sequence of ImageLayers (default input (1, 28, 28))."""
    if isinstance(spec_or_layers, ImageExperiment):
        layers = spec_or_layers.layers
        input_shape = input_shape or spec_or_layers.input_shape
    else:
        layers = tuple(spec_or_layers)
        input_shape = input_shape or (1, 28, 28)
    shape = start = tuple(int(d) for d in input_shape)
    rows: list[LayerShape] = []
    problems: list[Problem] = []
    if any(d <= 0 for d in shape):
        problems.append(Problem("empty_output", None, {"shape": shape}))
    for i, layer in enumerate(layers):
        if layer.kind in SPATIAL_KINDS and len(shape) == 1:
            problems.append(Problem("spatial_after_flat", i, {"kind": layer.kind}))
            rows.append(LayerShape(i, layer.kind, _label(layer), shape, None, 0, layer=layer))
            continue
        if layer.kind == "dense" and len(shape) == 3:
            rows.append(_flatten_row(None, shape))
            shape = rows[-1].output
        row, problem = _step(i, layer, shape)
        rows.append(row)
        if problem is not None:
            problems.append(problem)
        else:
            shape = row.output
    if len(shape) == 3:
        rows.append(_flatten_row(None, shape))
        shape = rows[-1].output
    label = f"Output (Dense {n_classes}, softmax)"
    params = n_classes * (shape[0] + 1)
    rows.append(LayerShape(None, "output", label, shape, (n_classes,), params, "softmax", True))
    summary = Summary(start, rows, problems)
    if summary.total_params > MAX_PARAMS:
        detail = {"params": summary.total_params, "limit": MAX_PARAMS}
        problems.append(Problem("too_many_params", None, detail))
    return summary


def _flatten_row(index: int | None, shape: tuple[int, ...]) -> LayerShape:
    auto = index is None
    label = "Flatten (auto)" if auto else "Flatten"
    return LayerShape(index, "flatten", label, shape, (math.prod(shape),), 0, auto=auto)


def _step(i: int, layer: ImageLayer, shape: tuple[int, ...]) -> tuple[LayerShape, Problem | None]:
    """The row for one stack layer on an input of `shape`, and its problem if any."""
    row = LayerShape(i, layer.kind, _label(layer), shape, shape, 0, layer=layer)
    if layer.kind == "flatten":
        return _flatten_row(i, shape), None
    if layer.kind == "dense":
        params = layer.units * (shape[0] + 1)
        return replace(row, output=(layer.units,), params=params,
                       activation=layer.activation), None
    if layer.kind == "dropout":
        return row, None
    if layer.kind == "batchnorm":  # 1d on (N,), 2d on (C, H, W): a scale and a shift each
        return replace(row, params=2 * shape[0]), None
    c, h, w = shape
    k = layer.kernel
    if layer.kind == "conv" and layer.padding == "same":
        # As Keras/TensorFlow: out = ceil(in / s), the odd pixel of padding after.
        s = layer.stride
        out_h, out_w = math.ceil(h / s), math.ceil(w / s)
        pad_h = max((out_h - 1) * s + k - h, 0)
        pad_w = max((out_w - 1) * s + k - w, 0)
        pad = (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2)
    elif k > h or k > w:
        code = "conv_too_big" if layer.kind == "conv" else "pool_too_big"
        return replace(row, output=None), Problem(code, i, {"kernel": k, "input": (h, w)})
    else:
        s = layer.stride if layer.kind == "conv" else layer.pool_stride
        out_h, out_w, pad = (h - k) // s + 1, (w - k) // s + 1, (0, 0, 0, 0)
    if layer.kind == "conv":
        params = layer.filters * (c * k * k + 1)
        row = replace(row, output=(layer.filters, out_h, out_w), params=params,
                      activation=layer.activation, pad=pad)
    else:
        row = replace(row, output=(c, out_h, out_w))
    if min(row.output) > 0:
        return row, None
    # Only from an input with a zero-sized side.
    return replace(row, output=None, params=0), Problem("empty_output", i, {"shape": row.output})


def _label(layer: ImageLayer) -> str:
    window = f"{layer.kernel}×{layer.kernel}"
    if layer.kind == "conv":
        stride = f" stride {layer.stride}" if layer.stride != 1 else ""
        same = " same" if layer.padding == "same" else ""
        return f"Conv2D {layer.filters} {window}{stride}{same}"
    if layer.kind in POOL_KINDS:  # "MaxPool 2×2", "AvgPool 3×3 stride 2"
        stride = f" stride {layer.pool_stride}" if layer.pool_stride != layer.kernel else ""
        return f"{layer.kind[:3].title()}Pool {window}{stride}"
    return {"dense": f"Dense {layer.units}", "dropout": f"Dropout {layer.rate:g}",
            "flatten": "Flatten", "batchnorm": "BatchNorm"}[layer.kind]  # fmt: skip


# ---- building ----------------------------------------------------------------
def build_image_model(
    spec_or_layers,
    input_shape=None,
    n_classes: int = N_CLASSES,
    generator: torch.Generator | None = None,
) -> nn.Sequential:
    """The network for an ok summary (a faulty stack raises ValueError), per row:
    conv -> [ZeroPad2d when the padding is uneven], Conv2d, activation (always,
    nn.Identity for "linear"); dense -> Linear, activation; output -> Linear,
    softmax left to the loss; any other layer -> one module. With a generator,
    weights are drawn from it (same seed, same weights)."""
    summary = summarize(spec_or_layers, input_shape, n_classes)
    if not summary.ok:
        raise ValueError(f"cannot build this stack: {[p.code for p in summary.problems]}")
    model = nn.Sequential(*[module for row in summary.rows for module in _modules(row)])
    if generator is not None:
        init_weights(model, generator)
    return model


def _modules(row: LayerShape) -> list[nn.Module]:
    layer, n_in = row.layer, row.input[0]
    if row.kind == "output":
        return [nn.Linear(n_in, row.output[0])]
    if row.kind == "flatten":
        return [nn.Flatten()]
    if row.kind == "dense":
        return [nn.Linear(n_in, layer.units), catalog.ACTIVATIONS[layer.activation]()]
    if row.kind == "conv":
        left, right, top, bottom = row.pad
        even = left == right and top == bottom
        conv = nn.Conv2d(n_in, layer.filters, layer.kernel, layer.stride,
                         padding=(top, left) if even else 0)  # fmt: skip
        pad = [] if even else [nn.ZeroPad2d(row.pad)]
        return [*pad, conv, catalog.ACTIVATIONS[layer.activation]()]
    if row.kind in POOL_KINDS:
        pool = nn.MaxPool2d if row.kind == "maxpool" else nn.AvgPool2d
        return [pool(layer.kernel, layer.pool_stride)]
    if row.kind == "dropout":
        return [nn.Dropout(layer.rate)]
    return [nn.BatchNorm2d(n_in) if len(row.input) == 3 else nn.BatchNorm1d(n_in)]


@torch.no_grad()
def init_weights(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Conv2d / Linear initialisation, drawn from `generator`.
    BatchNorm starts at scale 1, shift 0 (no randomness)."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            w, b = module.weight, module.bias  # (out, in, k, k) or (out, in), (out,)
            nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(w[0].numel())  # fan_in = in * k * k
            nn.init.uniform_(b, -bound, bound, generator=generator)


def conv_layers(model: nn.Sequential) -> list[int]:
    """Indices of the activation module after each Conv2d, so `model[: i + 1](x)`
    gives that layer's feature maps after its activation, (B, F, H, W)."""
    return [i + 1 for i, module in enumerate(model) if isinstance(module, nn.Conv2d)]


def first_weights(model: nn.Sequential) -> torch.Tensor:
    """The first learnable layer's weight: a Conv2d's (F, C, k, k) or a
    Linear's (U, C*H*W); detached."""
    for module in model:
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            return module.weight.detach()
    raise ValueError("the model has no Conv2d or Linear layer")
