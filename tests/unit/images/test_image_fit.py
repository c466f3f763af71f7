"""images/fit.py: a link or a preset that cannot run becomes one that can,
with a note for every change; and every course model trains on the offline
MNIST sample (one epoch each, through the real trainer)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from support import CPU

from playground.core.fields import Note
from playground.images import fit
from playground.images.layers import DEFAULT_LAYERS, ImageLayer
from playground.images.model import MAX_PARAMS, build_image_model, summarize
from playground.images.presets import PRESET_SIZES, PRESETS, apply_preset
from playground.images.spec import ImageExperiment
from playground.images.trainer import ImageTrainer

COURSE = ("mlp512", "mlp64x2", "mlp128", "cnn")
BIG_DENSE = ",".join(["dense:1024:relu"] * 7)  # 6.4 M parameters on 8×8, 7.1 M on 28×28


def link(query: dict) -> tuple[ImageExperiment, list[Note]]:
    """What the page does with a link: parse it, then make it trainable."""
    spec, notes = ImageExperiment.from_query(query)
    fitted, more = fit.fit_link(spec, query)
    return fitted, notes + more


def buildable(spec: ImageExperiment) -> bool:
    build_image_model(spec)  # raises ValueError("cannot build this stack") otherwise
    return summarize(spec).ok


# ---- the whole stack against the input size ---------------------------------------
def test_a_stack_that_fits_gets_no_notes():
    for spec in (ImageExperiment(), apply_preset(ImageExperiment(dataset="mnist"), "cnn")):
        assert fit.stack_notes(spec) == [] and fit.fit_stack(spec) == (spec, [])


def test_stack_notes_name_each_layer_that_cannot_work():
    spec = ImageExperiment.parse({"layers": "conv:32:11:1:valid:relu,dense:32,maxpool:2"})[0]
    assert fit.stack_notes(spec) == [
        Note("link_layer_too_big", "layers", "conv:32:11:1:valid:relu", "8×8"),
        Note("link_layer_after_flat", "layers", "maxpool:2:0"),
    ]
    fitted, notes = fit.fit_stack(spec)
    assert notes == fit.stack_notes(spec)
    assert fitted.layers == (ImageLayer.dense(32, "relu"),) and buildable(fitted)


def test_too_many_parameters_fall_back_to_the_default_network():
    spec = ImageExperiment.parse({"layers": BIG_DENSE})[0]
    params = summarize(spec).total_params
    assert params > MAX_PARAMS
    fitted, notes = fit.fit_stack(spec)
    assert notes == [Note("link_too_many_params", "layers", f"{params:,}", f"{MAX_PARAMS:,}")]
    assert fitted.layers == DEFAULT_LAYERS and buildable(fitted)


# ---- links -------------------------------------------------------------------------
def test_a_big_window_on_the_digits_moves_to_the_sample_when_the_link_named_no_set():
    spec, notes = link({"layers": "conv:32:11:1:valid:relu"})
    assert spec.dataset == "mnist_sample" and buildable(spec)
    assert spec.layers == (ImageLayer.conv(32, 11),)  # the link's own stack, kept
    assert notes == [Note("link_needs_sample", "dataset", "digits", "mnist_sample")]


def test_a_big_window_on_digits_the_link_chose_is_left_out():
    spec, notes = link({"layers": "conv:32:11:1:valid:relu", "dataset": "digits"})
    assert spec.dataset == "digits" and spec.layers == () and buildable(spec)
    assert notes == [Note("link_layer_too_big", "layers", "conv:32:11:1:valid:relu", "8×8")]


@pytest.mark.parametrize("dataset", [None, "digits", "mnist"])
def test_a_dense_stack_over_the_limit_gets_the_default_network(dataset):
    query = {"layers": BIG_DENSE, **({"dataset": dataset} if dataset else {})}
    spec, notes = link(query)
    assert spec.layers == DEFAULT_LAYERS and spec.dataset == (dataset or "digits")
    assert [n.code for n in notes] == ["link_too_many_params"] and buildable(spec)


def test_a_course_preset_link_trains_on_the_sample():
    for name in COURSE:
        spec, notes = link({"preset": name})
        assert spec.dataset == "mnist_sample" and spec.preset == name, name
        assert spec.max_epochs == 5 and buildable(spec)
        assert [n.code for n in notes] in (["link_needs_sample"], ["preset_needs_sample"])
    # A link that names its data keeps it: MNIST fits every course model.
    spec, notes = link({"preset": "cnn", "dataset": "mnist"})
    assert (spec.dataset, spec.preset, notes) == ("mnist", "cnn", [])


def test_links_that_work_are_left_alone():
    for query in ({}, {"preset": "digits_cnn"}, {"dataset": "fashion", "layers": "conv:8:5"},
                  {"layers": "none"}):
        spec, notes = ImageExperiment.from_query(query)
        assert fit.fit_link(spec, query) == (spec, []), query


def test_an_unavailable_set_gives_way_to_the_sample():
    spec = apply_preset(ImageExperiment(dataset="fashion", seed=9), "cnn")
    fitted, notes = fit.unavailable(spec)
    assert notes == [Note("dataset_unavailable", "dataset", "fashion", "mnist_sample")]
    assert fitted == replace(spec, dataset="mnist_sample") and buildable(fitted)


# ---- presets -----------------------------------------------------------------------
@pytest.mark.parametrize("name", PRESETS)
def test_presets_keep_a_set_they_can_use_and_say_when_they_cannot(name):
    # MNIST that is here (usable): kept, whatever the preset.
    spec, notes = fit.fit_preset(ImageExperiment(dataset="mnist", seed=3), name)
    assert (spec.dataset, spec.seed, spec.preset, notes) == ("mnist", 3, name, [])
    # MNIST that could not be downloaded: the sample, and a note that says so.
    spec, notes = fit.fit_preset(ImageExperiment(dataset="mnist"), name, lambda d: d != "mnist")
    assert spec.dataset == "mnist_sample" and spec.preset == name
    assert notes == [Note("dataset_unavailable", "dataset", "mnist", "mnist_sample")]
    # The 8×8 digits: kept by the small presets, the sample for the 28×28 ones.
    spec, notes = fit.fit_preset(ImageExperiment(), name)
    if PRESET_SIZES[name] is None:
        assert (spec.dataset, notes) == ("digits", [])
    else:
        assert spec.dataset == "mnist_sample"
        assert notes == [Note("preset_needs_sample", "dataset", "digits", "mnist_sample")]
    assert buildable(spec)


# ---- every course model trains on the offline sample --------------------------------
@pytest.fixture(scope="module")
def sample_splits():
    from playground.images.trainer import load_splits

    return load_splits(ImageExperiment(dataset="mnist_sample"))


@pytest.mark.parametrize("name", COURSE)
def test_each_course_model_trains_an_epoch_on_the_mnist_sample(name, sample_splits):
    spec, _ = fit.fit_preset(ImageExperiment(), name)  # from the digits, as a page starts
    assert spec.dataset == "mnist_sample" and spec.max_epochs == 5
    torch.manual_seed(0)
    trainer = ImageTrainer(spec, splits=sample_splits, device=CPU)
    assert trainer.shape == (1, 28, 28) and len(trainer.classes) == 10
    trainer.train_epoch()
    _, accuracy = trainer.evaluate(trainer.x_test, trainer.y_test)
    assert trainer.epoch == 1 and trainer.diverged is None
    # One epoch on 3,500 real digits: far above chance (10 %).
    assert accuracy > 0.6, (name, accuracy)
