"""The layer stack as code: PyTorch modules written out exactly as
playground.images.model builds them (same modules, same order, so a weights file
of the playground loads into the script's model), and the same stack as Keras
layers, channels-last, with the same number of trainable parameters."""

from __future__ import annotations

from playground.dense.codegen.settings import TORCH_ACTIVATIONS
from playground.images.model import LayerShape, Summary

# PyTorch's batch-norm settings in Keras's words (Keras's own: 0.99 and 0.001;
# its momentum weighs the old average, PyTorch's the new batch).
KERAS_BATCHNORM = "momentum=0.9, epsilon=1e-5"


def shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))  # "(32, 26, 26)", "(64,)"


def torch_layers(summary: Summary) -> list[str]:
    """One line per module of the model's nn.Sequential, the output layer last; the
    line of each layer's main module says the shape that comes out, per image."""
    lines: list[str] = []
    for row in summary.rows:
        lines += _torch_row(row)
    return lines


def _torch_row(row: LayerShape) -> list[str]:
    layer, n_in, out = row.layer, row.input[0], f"  # -> {shape_text(row.output)}"
    if row.kind == "output":
        return [f"nn.Linear({n_in}, {row.output[0]}),  # the output: one score per class"]
    if row.kind == "flatten":
        why = ", added: dense layers take flat inputs" if row.auto else ""
        return [f"nn.Flatten(),{out}{why}"]
    if row.kind == "dense":
        return [f"nn.Linear({n_in}, {layer.units}),{out}", _torch_activation(layer.activation)]
    if row.kind == "conv":
        left, right, top, bottom = row.pad
        even = left == right and top == bottom
        pad = [] if even else [f"nn.ZeroPad2d({row.pad}),  # \"same\": the odd pixel after"]
        padding = "" if not even or row.pad == (0, 0, 0, 0) else (
            f", padding={top}" if top == left else f", padding=({top}, {left})")
        stride = f", stride={layer.stride}" if layer.stride != 1 else ""
        conv = f"nn.Conv2d({n_in}, {layer.filters}, kernel_size={layer.kernel}{stride}{padding}),"
        return [*pad, conv + out, _torch_activation(layer.activation)]
    if row.kind in ("maxpool", "avgpool"):
        pool = "MaxPool2d" if row.kind == "maxpool" else "AvgPool2d"
        return [f"nn.{pool}(kernel_size={layer.kernel}, stride={layer.pool_stride}),{out}"]
    if row.kind == "dropout":
        return [f"nn.Dropout({layer.rate!r}),  # while training only"]
    norm = "BatchNorm2d" if len(row.input) == 3 else "BatchNorm1d"
    return [f"nn.{norm}({n_in}),"]


def _torch_activation(name: str) -> str:
    return TORCH_ACTIVATIONS[name] + ("," if name != "linear" else ",  # linear: no activation")


def keras_layers(summary: Summary, more: str = "") -> list[str]:
    """The stack as Keras layers, without the input and the output layer (the
    template writes those). `more` (", **dense") goes into every layer with weights."""
    lines: list[str] = []
    for row in summary.rows:
        layer = row.layer
        if row.kind == "output":
            continue
        if row.kind == "flatten":
            lines.append("layers.Flatten(),")
        elif row.kind == "dense":
            lines += _keras_with_activation(f"layers.Dense({layer.units}", layer.activation, more)
        elif row.kind == "conv":
            k = layer.kernel
            options = [f"strides={layer.stride}"] if layer.stride != 1 else []
            options += ['padding="same"'] if layer.padding == "same" else []
            head = ", ".join([f"layers.Conv2D({layer.filters}", f"({k}, {k})", *options])
            lines += _keras_with_activation(head, layer.activation, more)
        elif row.kind in ("maxpool", "avgpool"):
            pool = "MaxPooling2D" if row.kind == "maxpool" else "AveragePooling2D"
            k, stride = layer.kernel, layer.pool_stride
            strides = f", strides={stride}" if stride != k else ""
            lines.append(f"layers.{pool}(({k}, {k}){strides}),")
        elif row.kind == "dropout":
            lines.append(f"layers.Dropout({layer.rate!r}),")
        else:
            norm = more.replace("**dense", "**norm")
            lines.append(f"layers.BatchNormalization({KERAS_BATCHNORM}{norm}),  # PyTorch's")
    return lines


def _keras_with_activation(head: str, activation: str, more: str) -> list[str]:
    """A layer with weights and its activation. Keras's "leaky_relu" has slope 0.2,
    PyTorch's 0.01: that one gets a layer of its own."""
    if activation == "leaky_relu":
        return [f"{head}{more}),", "layers.LeakyReLU(negative_slope=0.01),  # PyTorch's slope"]
    if activation == "linear":
        return [f"{head}{more}),  # linear: no activation"]
    return [f'{head}, activation="{activation}"{more}),']


def stack_items(summary: Summary) -> list[str]:
    """The stack as the docstring says it: ["Conv2D 32 3×3 relu", "MaxPool 2×2", ...]."""
    words = [f"{row.label} {row.activation}".strip() for row in summary.rows
             if row.index is not None]
    return words or ["none (the flattened pixels go straight to the output)"]
