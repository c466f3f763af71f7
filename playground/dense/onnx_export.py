"""A trained network as an ONNX file, for model viewers (Netron) and other runtimes.

It needs the optional packages `onnx` and `onnxscript` (the "onnx" extra). The
file takes "features" (batch, n_in) and gives "logits" (batch, n_out): the raw
outputs, before the loss head's sigmoid or softmax. The batch size is free.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import warnings
from functools import cache

import torch
from torch import nn

from playground.dense.export import ExportError

INPUT_NAME = "features"
OUTPUT_NAME = "logits"
# Loggers the exporters write progress and advice to.
CHATTY_LOGGERS = ("torch.onnx", "torch.export", "torch._dynamo", "torch.fx", "onnxscript",
                  "onnx_ir")  # fmt: skip


@cache
def onnx_available() -> bool:
    """True when the optional packages onnx and onnxscript are installed and import."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except Exception:  # noqa: BLE001 - missing, or installed but broken: either way, none
        return False
    return True


def onnx_bytes(model: nn.Module, n_in: int | tuple[int, ...],
               input_name: str = INPUT_NAME) -> bytes:
    """The model as a serialized ONNX ModelProto with a dynamic batch dimension,
    from a CPU copy in eval mode, by torch's dynamo-based exporter or, when
    that fails, the older TorchScript one. `n_in`: the shape of one input, a
    width or (C, H, W) for an image model."""
    if not onnx_available():
        raise ExportError("onnx_missing")
    net = copy.deepcopy(model).cpu().float().eval()
    shape = (n_in,) if isinstance(n_in, int) else tuple(n_in)
    example = torch.zeros(2, *shape)  # (batch, ...); 2, not 1: a size-1 dim gets specialised
    with _quiet():
        try:
            return _export_dynamo(net, example, input_name)
        except Exception:  # noqa: BLE001 - any dynamo failure: the older exporter may cope
            return _export_torchscript(net, example, input_name)


def _export_dynamo(net: nn.Module, example: torch.Tensor, input_name: str) -> bytes:
    batch = torch.export.Dim("batch")
    program = torch.onnx.export(
        net, (example,), dynamo=True, input_names=[input_name], output_names=[OUTPUT_NAME],
        dynamic_shapes=({0: batch},), verbose=False, report=False, external_data=False,
    )
    return program.model_proto.SerializeToString()


def _export_torchscript(net: nn.Module, example: torch.Tensor, input_name: str) -> bytes:
    buffer = io.BytesIO()
    torch.onnx.export(
        net, (example,), buffer, dynamo=False, input_names=[input_name],
        output_names=[OUTPUT_NAME], dynamic_axes={input_name: {0: "batch"},
                                                  OUTPUT_NAME: {0: "batch"}},
        verbose=False,
    )
    return buffer.getvalue()


@contextlib.contextmanager
def _quiet():
    """No warnings, prints or log lines from the exporters on the server's console."""
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    sink = io.StringIO()
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
