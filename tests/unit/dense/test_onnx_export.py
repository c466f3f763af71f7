"""ONNX export: a valid model that computes what the torch network computes, any batch."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

import numpy as np
import onnx
import pytest
import torch
from onnx.reference import ReferenceEvaluator

from playground.core import catalog
from playground.dense import onnx_export
from playground.dense.export import ExportError
from playground.dense.model import build_model
from playground.dense.onnx_export import onnx_available, onnx_bytes
from playground.dense.spec import Experiment, Layer

SPEC = Experiment(dataset="blobs", n_classes=3, loss="ce", features=("x1", "x2", "x1_sq"),
                  hidden=(Layer(8, "tanh"), Layer(6, "leaky_relu")))  # fmt: skip
N_IN = 3


def make_model() -> torch.nn.Sequential:
    n_out = catalog.LOSSES[SPEC.loss].n_out(SPEC.classes)
    return build_model(SPEC, N_IN, n_out, torch.Generator().manual_seed(4))


def inputs(n: int) -> torch.Tensor:
    return torch.randn(n, N_IN, generator=torch.Generator().manual_seed(n)) * 3


@contextlib.contextmanager
def console_capture():
    """Everything written to file descriptors 1 and 2 (prints, C++ logs, warnings)."""
    captured: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def exported():
    """(model, ONNX bytes, what the export wrote to the console): one dynamo export."""
    model = make_model()
    with console_capture() as console:
        data = onnx_bytes(model, N_IN)
    return model, data, console[0]


def evaluate(data: bytes, x: torch.Tensor) -> np.ndarray:
    return ReferenceEvaluator(onnx.load_from_string(data)).run(None, {"features": x.numpy()})[0]


def test_onnx_packages_are_available():
    assert onnx_available()


def test_export_is_a_valid_model_with_named_io(exported):
    _, data, _ = exported
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert not dims[0].HasField("dim_value")  # the batch is left free
    assert dims[1].dim_value == N_IN


def test_export_computes_what_torch_computes(exported):
    model, data, _ = exported
    x = inputs(5)
    with torch.no_grad():
        expected = model(x).numpy()
    got = evaluate(data, x)
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("batch", [1, 7])
def test_any_batch_size_works(exported, batch):
    model, data, _ = exported
    x = inputs(batch)
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(evaluate(data, x), expected, atol=1e-5, rtol=0)


def test_export_leaves_the_model_alone(exported):
    model, _, _ = exported
    assert model.training  # a copy was put in eval mode, not the model
    for a, b in zip(model.state_dict().values(), make_model().state_dict().values()):
        assert torch.equal(a, b)


def test_falls_back_to_the_torchscript_exporter(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("dynamo could not export this")

    monkeypatch.setattr(onnx_export, "_export_dynamo", broken)
    model = make_model().train()
    data = onnx_bytes(model, N_IN)
    onnx.checker.check_model(onnx.load_from_string(data))
    assert model.training  # the copy was put in eval mode, not the model
    for batch in (1, 4):
        x = inputs(batch)
        with torch.no_grad():
            expected = model(x).numpy()
        np.testing.assert_allclose(evaluate(data, x), expected, atol=1e-5, rtol=0)


def test_export_is_quiet(exported):
    _, _, console = exported
    assert console == ""


def test_missing_packages_raise_a_coded_error(monkeypatch):
    monkeypatch.setattr(onnx_export, "onnx_available", lambda: False)
    with pytest.raises(ExportError) as info:
        onnx_bytes(make_model(), N_IN)
    assert info.value.code == "onnx_missing"
