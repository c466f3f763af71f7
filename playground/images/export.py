"""An image network's files: its trained weights (safetensors) and ONNX.

The formats are the dense pages' (playground.dense.export and onnx_export):
safetensors with the settings in its metadata, ONNX with a free batch size.
The keys are those of the nn.Sequential that model.py builds and the exported
PyTorch script writes out, so a weights file loads into either. The ONNX file
takes "images" (batch, C, H, W), scaled as the training images were (see the
script's data part), and gives "logits" (batch, classes), before the softmax.
"""

from __future__ import annotations

import torch
from safetensors.torch import load as st_load
from torch import nn

from playground.dense.export import (
    ExportError,
    describe_widths,
    load_weights,
    weights_bytes,
    weights_spec_json,
)
from playground.dense.onnx_export import onnx_bytes
from playground.images.model import build_image_model, summarize
from playground.images.spec import ImageExperiment

ONNX_INPUT = "images"


def blank_model(spec: ImageExperiment) -> nn.Sequential:
    """A model of the spec's shape, in the playground's layout: what a weights
    file must fit and what fetched weights go into."""
    return build_image_model(spec, spec.input_shape, spec.n_classes,
                             torch.Generator().manual_seed(0))


def trained_model(spec: ImageExperiment, state: dict[str, torch.Tensor]) -> nn.Sequential:
    """A model of the spec's shape holding `state` (the training process's weights)."""
    model = blank_model(spec)
    model.load_state_dict(state)
    return model


def image_weights(spec: ImageExperiment, state: dict[str, torch.Tensor]) -> bytes:
    """Trained weights as a safetensors file, the settings in its metadata."""
    return weights_bytes(trained_model(spec, state), spec)


def image_onnx(spec: ImageExperiment, state: dict[str, torch.Tensor]) -> bytes:
    """The trained model as ONNX (ExportError "onnx_missing" without the packages)."""
    return onnx_bytes(trained_model(spec, state), spec.input_shape, ONNX_INPUT)


def load_image_weights(data: bytes, spec: ImageExperiment) -> dict[str, torch.Tensor]:
    """Checked tensors from a weights file for the spec's network, or ExportError;
    a file for another stack names both stacks."""
    try:
        return load_weights(data, blank_model(spec))
    except ExportError as exc:
        if exc.code != "shape_mismatch":
            raise
        raise ExportError("shape_mismatch", expected=stack_words(spec),
                          got=_stack_of_file(data)) from None


def stack_words(spec: ImageExperiment) -> str:
    """The stack in a line: "1×28×28 → Conv2D 32 3×3 → MaxPool 2×2 → Dense 10"."""
    c, h, w = spec.input_shape
    labels = [row.label.replace(" (auto)", "") for row in summarize(spec).rows
              if not (row.auto and row.kind == "flatten")]
    return " → ".join([f"{c}×{h}×{w}", *labels])


def _stack_of_file(data: bytes) -> str:
    """The stack a weights file was saved from, from the settings it holds; else
    its layer widths (a dense page's file) or its tensor count."""
    text = weights_spec_json(data)
    if text is not None and '"layers"' in text:
        spec, _ = ImageExperiment.from_json(text)
        if summarize(spec).ok:
            return stack_words(spec)
    return describe_widths(st_load(bytes(data)))
