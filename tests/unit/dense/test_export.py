"""Downloads that come back: weights (safetensors), history (CSV), settings (JSON)."""

from __future__ import annotations

import io
import json
import math
import struct

import pandas as pd
import pytest
import torch
from safetensors.torch import save as st_save

from playground.core import catalog
from playground.core.history import History
from playground.dense.export import (
    ExportError,
    describe_widths,
    history_csv,
    load_weights,
    read_history_csv,
    settings_json,
    weights_bytes,
    weights_spec_json,
)
from playground.dense.model import build_model
from playground.dense.spec import Experiment, Layer
from playground.dense.table_spec import TableExperiment
from playground.dense.trainer import Trainer

SPEC = Experiment(dataset="circle", hidden=(Layer(8, "tanh"), Layer(8, "relu")), seed=3)


def model_for(spec=SPEC, seed: int = 0, n_in: int | None = None) -> torch.nn.Sequential:
    n_out = catalog.LOSSES[spec.loss].n_out(spec.classes)
    n_in = len(spec.features) if n_in is None else n_in
    return build_model(spec, n_in, n_out, torch.Generator().manual_seed(seed))


def trained_ish(spec=SPEC) -> torch.nn.Sequential:
    """A model whose weights are nothing like a fresh one's."""
    model = model_for(spec, seed=1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    return model


def raised(data, model=None) -> ExportError:
    with pytest.raises(ExportError) as info:
        load_weights(data, model if model is not None else model_for())
    return info.value


# ---- weights -------------------------------------------------------------------
def test_weights_round_trip_gives_identical_outputs():
    source = trained_ish()
    data = weights_bytes(source, SPEC)
    fresh = model_for(seed=99)
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(fresh(x), source(x))

    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    state = load_weights(data, fresh)
    # load_weights checks and returns; the template itself is left alone.
    assert all(torch.equal(before[k], v) for k, v in fresh.state_dict().items())
    assert set(state) == set(before)

    fresh.load_state_dict(state)
    assert torch.equal(fresh(x), source(x))
    for key, value in source.state_dict().items():
        assert torch.equal(state[key], value)
        assert state[key].dtype == torch.float32


def test_weights_of_a_trained_network_round_trip():
    spec = Experiment(dataset="gauss", hidden=(Layer(4, "tanh"),), n_samples=100)
    trainer = Trainer(spec, device=torch.device("cpu"))
    for _ in range(2):
        trainer.train_epoch()
    data = weights_bytes(trainer.model, spec)
    model = model_for(spec, seed=5)
    model.load_state_dict(load_weights(data, model))
    for a, b in zip(model.parameters(), trainer.model.parameters()):
        assert torch.equal(a, b)


def test_weights_file_is_safetensors_with_our_metadata():
    data = weights_bytes(trained_ish(), SPEC)
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    assert header["__metadata__"]["format"] == "nn-playground-weights"
    assert header["0.weight"]["shape"] == [8, 2]
    assert header["4.bias"]["dtype"] == "F32"


def test_spec_in_metadata_round_trips():
    data = weights_bytes(trained_ish(), SPEC)
    text = weights_spec_json(data)
    assert text == SPEC.to_json()
    spec, notes = Experiment.from_json(text)
    assert notes == []
    assert spec == SPEC


def test_table_spec_in_metadata_round_trips():
    spec = TableExperiment(source="iris.csv", target="species", features=("a", "b"),
                           problem="multiclass", n_classes=3, loss="ce")  # fmt: skip
    model = model_for(spec, n_in=5)
    text = weights_spec_json(weights_bytes(model, spec))
    assert json.loads(text)["kind"] == "table"
    assert TableExperiment.from_json(text) == (spec, [])


@pytest.mark.parametrize("junk", [b"", b"\x00", b"hello world, not weights", b"\xff" * 100,
                                  b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}......"])
def test_garbage_is_not_weights(junk):
    error = raised(junk)
    assert error.code == "not_weights"
    assert isinstance(error, ValueError)
    assert weights_spec_json(junk) is None


def test_empty_file_says_so():
    assert raised(b"").detail == {"reason": "empty"}


def test_pickle_from_torch_save_is_refused_without_unpickling(monkeypatch):
    buffer = io.BytesIO()
    torch.save(trained_ish().state_dict(), buffer)

    def no_unpickling(*args, **kwargs):
        raise AssertionError("load_weights must never unpickle")

    monkeypatch.setattr(torch, "load", no_unpickling)
    monkeypatch.setattr("pickle.loads", no_unpickling)
    monkeypatch.setattr("pickle.load", no_unpickling)
    assert raised(buffer.getvalue()).code == "not_weights"


def test_safetensors_from_elsewhere_is_not_ours():
    tensors = {k: v.contiguous() for k, v in trained_ish().state_dict().items()}
    assert raised(st_save(tensors)).code == "not_ours"
    error = raised(st_save(tensors, metadata={"format": "pt"}))
    assert (error.code, error.detail) == ("not_ours", {"format": "pt"})


def test_truncated_file_is_not_weights():
    data = weights_bytes(trained_ish(), SPEC)
    assert raised(data[:-10]).code == "not_weights"


def test_weights_of_another_shape_say_which_shapes():
    other = Experiment(dataset="circle", hidden=(Layer(4, "tanh"),))
    data = weights_bytes(model_for(other), other)
    error = raised(data, model_for(SPEC))
    assert error.code == "shape_mismatch"
    assert error.detail == {"expected": "2→8→8→1", "got": "2→4→1"}
    assert "2→4→1" in str(error)


def test_same_keys_other_widths_is_a_shape_mismatch():
    wide = Experiment(dataset="circle", hidden=(Layer(8, "tanh"), Layer(16, "relu")))
    error = raised(weights_bytes(model_for(wide), wide), model_for(SPEC))
    assert error.detail == {"expected": "2→8→8→1", "got": "2→8→16→1"}


def test_other_inputs_is_a_shape_mismatch():
    three = Experiment(dataset="circle", features=("x1", "x2", "x1_sq"), hidden=SPEC.hidden)
    error = raised(weights_bytes(model_for(three), three), model_for(SPEC))
    assert error.detail == {"expected": "2→8→8→1", "got": "3→8→8→1"}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_refused(bad):
    model = trained_ish()
    with torch.no_grad():
        model[2].weight[3, 1] = bad
    error = raised(weights_bytes(model, SPEC))
    assert (error.code, error.detail) == ("not_finite", {"tensor": "2.weight"})


def test_integer_tensors_are_refused():
    tensors = {k: v.contiguous() for k, v in trained_ish().state_dict().items()}
    tensors["0.bias"] = tensors["0.bias"].to(torch.int64)
    data = st_save(tensors, metadata={"format": "nn-playground-weights", "spec": "{}"})
    error = raised(data)
    assert (error.code, error.detail) == ("bad_dtype", {"tensor": "0.bias", "dtype": "int64"})


def test_double_weights_load_as_the_models_dtype():
    model = trained_ish()
    tensors = {k: v.double().contiguous() for k, v in model.state_dict().items()}
    data = st_save(tensors, metadata={"format": "nn-playground-weights", "spec": "{}"})
    state = load_weights(data, model_for())
    assert all(t.dtype == torch.float32 for t in state.values())


def test_describe_widths():
    assert describe_widths(model_for().state_dict()) == "2→8→8→1"
    assert describe_widths({"w": torch.zeros(2)}) == "1 tensors"


def test_error_carries_code_and_detail():
    error = ExportError("shape_mismatch", expected="2→1", got="3→1")
    assert (error.code, error.detail) == ("shape_mismatch", {"expected": "2→1", "got": "3→1"})
    assert str(error) == "shape_mismatch: expected=2→1, got=3→1"
    assert str(ExportError("onnx_missing")) == "onnx_missing"


# ---- history -------------------------------------------------------------------
def history_frame(regression: bool) -> pd.DataFrame:
    h = History()
    for i in range(6):
        acc = None if regression else (i + 1) / 7
        h.append(epoch=i, step=i * 13, train_loss=1 / (i + 3), test_loss=math.pi / (i + 1),
                 train_acc=acc, test_acc=acc)  # fmt: skip
    return h.frame()


@pytest.mark.parametrize("regression", [False, True])
def test_history_csv_round_trip_is_exact(regression):
    frame = history_frame(regression)
    back = read_history_csv(history_csv(frame))
    pd.testing.assert_frame_equal(back, frame)
    if regression:
        assert back["test_acc"].tolist() == [None] * 6


def test_history_of_a_real_run_round_trips():
    spec = Experiment(dataset="plane", hidden=(Layer(4, "tanh"),), n_samples=100)
    trainer = Trainer(spec, device=torch.device("cpu"))
    trainer.train_epoch()
    frame = trainer.history.frame()
    pd.testing.assert_frame_equal(read_history_csv(history_csv(frame)), frame)


def test_history_csv_is_plain_utf8_csv():
    text = history_csv(history_frame(False)).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "epoch,step,train_loss,test_loss,train_acc,test_acc"
    assert len(lines) == 7
    assert lines[1].startswith("0,0,0.3333333333333333,")  # full precision, no index


@pytest.mark.parametrize("junk", [b"", b"a,b\n1,2\n", b"epoch\n1\n", b"\xff\xfe\x00garbage",
                                  b"epoch,step\nx,y\n", b'epoch,step\n"1,2\n'])
def test_read_history_rejects_junk(junk):
    with pytest.raises(ExportError) as info:
        read_history_csv(junk)
    assert info.value.code == "not_history"
    assert info.value.detail["reason"]


# ---- settings ------------------------------------------------------------------
def test_settings_json_round_trips():
    data = settings_json(SPEC)
    assert isinstance(data, bytes)
    assert Experiment.from_json(data.decode("utf-8")) == (SPEC, [])
