"""Making an ImageExperiment trainable before the training process sees it.

A link or a preset may ask for something that cannot run here: a stack that
does not fit its images (an 11×11 window on the 8×8 digits), a network over
the parameter limit, a model made for 28×28 images on the 8×8 digits, or a
data set that cannot be downloaded. These pure functions return a spec that
works and a Note for every change, so the page can say what it did; nothing
is switched silently. Shape arithmetic is model.summarize's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from playground.core.fields import Note
from playground.data.images import IMAGE_DATASETS
from playground.images.layers import DEFAULT_LAYERS
from playground.images.model import Summary, summarize
from playground.images.presets import PRESET_SIZES, apply_preset, matches_preset
from playground.images.spec import ImageExperiment

# The set that always works at 28×28: real MNIST digits shipped in a package.
SAMPLE = "mnist_sample"


def stack_notes(spec: ImageExperiment, summary: Summary | None = None) -> list[Note]:
    """One note per reason the stack cannot be built on the spec's images; [] when it can."""
    summary = summary or summarize(spec)
    notes = []
    for problem in summary.problems:
        if problem.code == "too_many_params":
            notes.append(Note("link_too_many_params", "layers", f"{problem.detail['params']:,}",
                              f"{problem.detail['limit']:,}"))
            continue
        row = next((r for r in summary.rows if r.index == problem.layer_index and not r.auto),
                   None)
        layer = spec.layers[problem.layer_index].encode() if problem.layer_index is not None else ""
        if problem.code == "spatial_after_flat":
            notes.append(Note("link_layer_after_flat", "layers", layer))
        else:  # a window larger than its input, or an input shrunk to nothing
            size = "×".join(map(str, row.input[1:])) if row and len(row.input) == 3 else ""
            notes.append(Note("link_layer_too_big", "layers", layer, size))
    return notes


def fit_stack(spec: ImageExperiment) -> tuple[ImageExperiment, list[Note]]:
    """The spec with a stack that can be built on its images: the layers that
    cannot work are left out (summarize walks on without them, so the rest
    fits as it is); a network still over the parameter limit becomes the
    default one. A note for each change."""
    summary = summarize(spec)
    if summary.ok:
        return spec, []
    notes = stack_notes(spec, summary)
    bad = {p.layer_index for p in summary.problems if p.layer_index is not None}
    fitted = _relabel(replace(spec, layers=tuple(
        layer for i, layer in enumerate(spec.layers) if i not in bad)))
    if not summarize(fitted).ok:  # too many parameters even so
        fitted = _relabel(replace(spec, layers=DEFAULT_LAYERS))
    return fitted, notes


def fit_link(spec: ImageExperiment, asked: Mapping[str, object]) -> tuple[ImageExperiment,
                                                                           list[Note]]:
    """A link's spec that the training process can build, and a note per change.

    `asked` is the link's query: a data set the link did not name gives way
    to the MNIST sample when the link's stack or preset needs 28×28 images;
    a data set it named is kept, and the layers that do not fit it are left out.
    """
    if "dataset" not in asked and spec.input_shape != IMAGE_DATASETS[SAMPLE].shape:
        sample = with_dataset(spec, SAMPLE)
        if not summarize(spec).ok and summarize(sample).ok:
            return sample, [Note("link_needs_sample", "dataset", spec.dataset, SAMPLE)]
        if needs_other_size(spec, spec.preset) and summarize(sample).ok:
            return sample, [Note("preset_needs_sample", "dataset", spec.dataset, SAMPLE)]
    return fit_stack(spec)


def fit_preset(spec: ImageExperiment, name: str,
               usable: Callable[[str], bool] = lambda dataset: True,
               ) -> tuple[ImageExperiment, list[Note]]:
    """`spec` with preset `name` loaded, on data it can train on.

    The data set stays unless the preset needs another image size (the
    course's 28×28 models on the 8×8 digits) or `usable(dataset)` says the set
    cannot be loaded (MNIST that could not be downloaded): then the MNIST
    sample takes its place, with a note that says so.
    """
    spec = apply_preset(spec, name)
    if spec.dataset != SAMPLE and needs_other_size(spec, name):
        return with_dataset(spec, SAMPLE), [
            Note("preset_needs_sample", "dataset", spec.dataset, SAMPLE)]
    if spec.dataset != SAMPLE and not usable(spec.dataset):
        return with_dataset(spec, SAMPLE), [
            Note("dataset_unavailable", "dataset", spec.dataset, SAMPLE)]
    return fit_stack(spec)


def needs_other_size(spec: ImageExperiment, preset: str) -> bool:
    """True when `preset` needs images of another size than the spec's data set has."""
    size = PRESET_SIZES.get(preset)
    return size is not None and spec.input_shape[1:] != size


def with_dataset(spec: ImageExperiment, dataset: str) -> ImageExperiment:
    """The spec on another data set; the batch still fits the training part."""
    return ImageExperiment.parse({**spec.to_dict(), "dataset": dataset})[0]


def unavailable(spec: ImageExperiment) -> tuple[ImageExperiment, list[Note]]:
    """The spec on the MNIST sample, because its data set cannot be loaded."""
    fitted, notes = fit_stack(with_dataset(spec, SAMPLE))
    return fitted, [Note("dataset_unavailable", "dataset", spec.dataset, SAMPLE), *notes]


def _relabel(spec: ImageExperiment) -> ImageExperiment:
    """A spec whose stack no longer is its preset's is "custom"."""
    if spec.preset != "custom" and not matches_preset(spec, spec.preset):
        return replace(spec, preset="custom")
    return spec
