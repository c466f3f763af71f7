"""An image network's files: trained weights as safetensors (they load back, into
the page and into the exported PyTorch script, with the same predictions), ONNX
that computes what the network computes, and the training process's side of it
(weights fetched and loaded through the worker)."""

from __future__ import annotations

import sys

import numpy as np
import onnx
import pytest
import torch
from onnx.reference import ReferenceEvaluator
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from support import CPU, settled

from playground.dense.export import WEIGHTS_FORMAT, ExportError, weights_bytes, weights_spec_json
from playground.dense.model import build_model
from playground.dense.spec import Experiment
from playground.images.codegen import pytorch_script
from playground.images.export import (
    ONNX_INPUT,
    blank_model,
    image_onnx,
    image_weights,
    load_image_weights,
    stack_words,
)
from playground.images.spec import ImageExperiment
from playground.images.trainer import ImageTrainer
from playground.images.worker import ImageWorker

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/unit/conftest.py

# Conv, an uneven "same" padding, pooling, batch norm (a whole-number counter
# among its buffers), dropout and dense layers.
SPEC, _ = ImageExperiment.parse(dict(
    layers="conv:8:3:1:same:relu,maxpool:2,conv:8:3:2:same:relu,batchnorm,dropout:0.2,"
           "dense:16:tanh", max_epochs="50"))


@pytest.fixture(scope="module")
def trainer() -> ImageTrainer:
    t = ImageTrainer(SPEC, device=CPU)
    t.train_epoch()
    t.train_epoch()
    return t


def state_of(trainer: ImageTrainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


COUNTER = next(k for k in blank_model(SPEC).state_dict() if k.endswith("num_batches_tracked"))


# ---- weights -------------------------------------------------------------------------
def test_weights_round_trip_with_their_settings(trainer):
    state = state_of(trainer)
    data = image_weights(SPEC, state)
    loaded = load_image_weights(data, SPEC)
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value) and loaded[key].dtype == value.dtype, key
    assert loaded[COUNTER].dtype == torch.int64  # batch norm's counter
    assert ImageExperiment.from_json(weights_spec_json(data)) == (SPEC, [])


def test_the_script_loads_the_weights_and_predicts_as_the_page(trainer, tmp_path, monkeypatch,
                                                               capsys):  # fmt: skip
    path = tmp_path / "digits-weights.safetensors"
    path.write_bytes(image_weights(SPEC, state_of(trainer)))
    monkeypatch.setattr(sys, "argv", ["script.py", "--epochs", "0", "--weights", str(path)])
    ns = {"__name__": "__main__"}
    exec(compile(pytorch_script(SPEC), "<gen>", "exec"), ns)
    np.testing.assert_array_equal(ns["x_test"], trainer.splits.x_test)
    model = ns["model"].eval()
    with torch.no_grad():
        ours = model(ns["x_test_t"])
    theirs = trainer.logits(trainer.x_test)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    assert torch.equal(ours.argmax(1), theirs.argmax(1))
    _, acc = trainer.evaluate(trainer.x_test, trainer.y_test)
    assert f"test_acc={acc:.4f}" in capsys.readouterr().out


def test_weights_for_another_stack_name_both_stacks(trainer):
    other, _ = ImageExperiment.parse(dict(layers="flatten,dense:32:relu"))
    data = image_weights(SPEC, state_of(trainer))
    with pytest.raises(ExportError) as caught:
        load_image_weights(data, other)
    error = caught.value
    assert error.code == "shape_mismatch"
    assert error.detail == {"expected": stack_words(other), "got": stack_words(SPEC)}
    assert stack_words(other) == "1×8×8 → Flatten → Dense 32 → Output (Dense 10, softmax)"


def test_a_dense_pages_file_is_described_by_its_widths():
    dense = Experiment()
    model = build_model(dense, 2, 1, torch.Generator().manual_seed(0))
    with pytest.raises(ExportError) as caught:
        load_image_weights(weights_bytes(model, dense), SPEC)
    assert caught.value.code == "shape_mismatch"
    assert "→" in caught.value.detail["got"] and "Conv2D" in caught.value.detail["expected"]


@pytest.mark.parametrize("data", [b"", b"not a weights file at all", b"\x80\x04K\x01."])
def test_garbage_is_not_weights(data):
    with pytest.raises(ExportError) as caught:
        load_image_weights(data, SPEC)
    assert caught.value.code == "not_weights"


def test_a_float_counter_is_refused(trainer):
    state = state_of(trainer)
    state[COUNTER] = state[COUNTER].float()
    data = st_save(state, metadata={"format": WEIGHTS_FORMAT, "spec": SPEC.to_json()})
    with pytest.raises(ExportError) as caught:
        load_image_weights(data, SPEC)
    assert (caught.value.code, caught.value.detail["tensor"]) == ("bad_dtype", COUNTER)


# ---- ONNX ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exported(trainer):
    return image_onnx(SPEC, state_of(trainer))


def test_onnx_is_valid_with_named_io_and_a_free_batch(exported):
    proto = onnx.load_from_string(exported)
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == [ONNX_INPUT]
    assert [o.name for o in proto.graph.output] == ["logits"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert not dims[0].HasField("dim_value")  # the batch size is free
    assert [d.dim_value for d in dims[1:]] == [1, 8, 8]


@pytest.mark.parametrize("batch", [1, 5])
def test_onnx_computes_what_the_network_computes(exported, trainer, batch):
    x = trainer.x_test[:batch]
    expected = trainer.logits(x).numpy()
    got = ReferenceEvaluator(onnx.load_from_string(exported)).run(None, {ONNX_INPUT: x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


# ---- through the training process ------------------------------------------------------
def test_worker_fetches_and_loads_weights(worker_registry, trainer):
    worker = ImageWorker(SPEC)
    state = worker.fetch_state()
    assert state is not None
    assert {k: v.shape for k, v in state.items()} == {
        k: v.shape for k, v in blank_model(SPEC).state_dict().items()}
    before = settled(worker).n

    trained = state_of(trainer)
    worker.load_state(load_image_weights(image_weights(SPEC, trained), SPEC))
    snap = settled(worker)
    assert snap.status == "paused" and snap.n == before + 1  # a row for the loaded weights
    assert snap.frame()["val_acc"].iloc[-1] == pytest.approx(
        trainer.evaluate(trainer.x_val, trainer.y_val)[1])
    again = worker.fetch_state()
    for key, value in trained.items():
        assert torch.equal(again[key], value), key
    st_load(image_weights(SPEC, again))  # what the page downloads is a plain safetensors file
