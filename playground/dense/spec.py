"""The Experiment: one validated description of a run on a 2D toy set.

Data, features, network, training settings and the seed all live here, read
through `Experiment.parse` (core/fields.py). The network and training part,
`NetworkSettings`, is shared with the table experiment (dense/table_spec.py):
the trainer, the model builder and the code exports read only that part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from playground.core import catalog
from playground.core.fields import (
    Note,
    Spec,
    choice,
    fit_batch,
    number,
    parse_choice,
    parse_number,
    parse_stack,
    parsed,
    read_number,
    short,
)
from playground.data.toy2d import EXTENT

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 64
MAX_CLASSES = 5  # the most classes a 2D set has (blobs)


@dataclass(frozen=True)
class Layer:
    width: int = 8
    activation: str = "tanh"

    def encode(self) -> str:  # in a link: "8-tanh"
        return f"{self.width}-{self.activation}"

    def plain(self) -> list:  # in JSON: [8, "tanh"]
        return [self.width, self.activation]


DEFAULT_HIDDEN = (Layer(8, "tanh"), Layer(8, "tanh"))


def parse_hidden(raw: Any, notes: list[Note]) -> tuple[Layer, ...]:
    """Hidden layers from text ("8-tanh,4-relu"), or a list of texts, [width,
    activation] pairs, dicts or Layers."""
    return parse_stack("hidden", raw, notes, DEFAULT_HIDDEN, MAX_HIDDEN_LAYERS, _parse_layer)


def _parse_layer(item: Any, notes: list[Note]) -> Layer | None:
    if isinstance(item, Layer):
        width, act = item.width, item.activation
    elif isinstance(item, str):
        width, _, act = item.strip().partition("-")
    elif isinstance(item, (list, tuple)) and len(item) == 2:
        width, act = item
    elif isinstance(item, Mapping):
        width, act = item.get("width", 8), item.get("activation", "tanh")
    else:
        notes.append(Note("bad_layer", "hidden", short(item)))
        return None
    width = parse_number("width", width, int, 1, MAX_WIDTH, 8, notes)
    act = str(act) or "tanh"
    return Layer(width, parse_choice("activation", act, act, catalog.ACTIVATIONS, "tanh", notes))


@dataclass(frozen=True)
class NetworkSettings:
    """The network and training part of a dense spec. The data part it is
    composed with gives `problem` and `n_classes`."""

    # Network: hidden layers only; the output layer follows from the loss.
    hidden: tuple[Layer, ...] = parsed(DEFAULT_HIDDEN, parse_hidden)
    loss: str = choice("bce", catalog.LOSSES)
    init: str = choice("default", catalog.INITS)

    # Training.
    optimizer: str = choice("adam", catalog.OPTIMIZERS)
    lr: float = number(0.03, 1e-5, 10.0)
    momentum: float = number(0.0, 0.0, 0.99)
    nesterov: bool = False
    batch_size: int = number(10, 1, 2000)
    regularization: str = choice("none", catalog.REGULARIZERS)
    reg_rate: float = number(0.0, 0.0, 1.0)
    # The images page's other remedies for overfitting. Dropout zeroes each
    # hidden neuron's output with this probability while training (never when
    # predicting). Early stopping ends training once the test loss has not
    # improved for `patience` epochs and goes back to the best weights; a 2D
    # epoch lasts a frame, so patience counts in tens, not in ones.
    dropout: float = number(0.0, 0.0, 0.9)
    early_stopping: bool = False
    patience: int = number(50, 1, 2000)

    @property
    def classes(self) -> int:
        """Number of classes (0 for regression)."""
        return {"multiclass": self.n_classes, "binary": 2}.get(self.problem, 0)

    def fit_training(self, loss_asked: bool, notes: list[Note]):
        """Fix training settings that are each valid alone but not together: a
        loss that can't serve the problem (replaced silently when no loss was
        asked for: the data's usual one), Nesterov without momentum."""
        spec = self
        if spec.problem not in catalog.LOSSES[spec.loss].problems:
            fixed = catalog.DEFAULT_LOSS[spec.problem]
            if loss_asked:
                notes.append(Note("incompatible_loss", "loss", spec.loss, fixed))
            spec = replace(spec, loss=fixed)
        if spec.nesterov and not (spec.optimizer == "sgd" and spec.momentum > 0):
            notes.append(Note("nesterov_needs_momentum", "nesterov", "1", "0"))
            spec = replace(spec, nesterov=False)
        return spec


def _parse_features(raw: Any, notes: list[Note]) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    try:
        items = [str(x).strip() for x in items if str(x).strip()]
    except TypeError:
        notes.append(Note("bad_value", "features", short(raw), "x1,x2"))
        return ToyData.features
    if items == ["none"]:
        items = []
    for name in items:
        if name not in catalog.FEATURE_NAMES:
            notes.append(Note("unknown_feature", "features", short(name)))
    # Canonical order, so the same set always builds the same network.
    good = tuple(n for n in catalog.FEATURE_NAMES if n in items)
    if not good:
        notes.append(Note("no_features", "features", short(raw), "x1,x2"))
    return good or ToyData.features


MAX_POINTS = 200  # points a learner may add by clicking; each one travels in the link


@dataclass(frozen=True)
class Point:
    """A training point a learner added by clicking on the plane."""

    x: float
    y: float
    label: int  # class index

    def encode(self) -> str:  # in a link: "1.5:-2.25:0"
        return f"{_shortest(self.x)}:{_shortest(self.y)}:{self.label}"

    def plain(self) -> list:  # in JSON: [1.5, -2.25, 0]
        return [self.x, self.y, self.label]


def _shortest(v: float) -> str:
    """A coordinate as short as it reads back exactly: 1.5, not 1.5000000."""
    text = f"{v:g}"
    return text if float(text) == v else repr(v)


def make_point(x: float, y: float, label: int) -> Point:
    """A point on the plane, rounded to 0.01 (a click is no more precise) and
    kept inside it."""
    def coord(v: float) -> float:
        return round(min(max(float(v), -EXTENT), EXTENT), 2)

    return Point(coord(x), coord(y), int(label))


def parse_points(raw: Any, notes: list[Note]) -> tuple[Point, ...]:
    """Added points from text ("x:y:class,..."; "" or "none" for none) or a
    list of [x, y, class] items, dicts or Points. An item that is no point is
    left out with a note; beyond MAX_POINTS the rest are cut with a note."""
    if isinstance(raw, str):
        items = [] if raw.strip().lower() in ("", "none") else raw.split(",")
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        notes.append(Note("bad_value", "points", short(raw), "none"))
        return ()
    points = []
    for item in items:
        point = _read_point(item)
        if point is None:
            notes.append(Note("bad_point", "points", short(item)))
        else:
            points.append(point)
    if len(points) > MAX_POINTS:
        notes.append(Note("too_many_points", "points", str(len(points)), str(MAX_POINTS)))
    return tuple(points[:MAX_POINTS])


def _read_point(item: Any) -> Point | None:
    if isinstance(item, Point):
        item = item.plain()
    elif isinstance(item, str):
        item = item.strip().split(":")
    elif isinstance(item, Mapping):
        item = [item.get("x"), item.get("y"), item.get("label", item.get("class"))]
    if not isinstance(item, (list, tuple)) or len(item) != 3:
        return None
    try:
        x, y, label = (read_number(v) for v in item)
    except (ValueError, TypeError, OverflowError):
        return None
    # Off the plane (or no number) and unknown classes are no point a click makes.
    if not (abs(x) <= EXTENT and abs(y) <= EXTENT) or label != int(label) or \
            not 0 <= label < MAX_CLASSES:
        return None
    return Point(x, y, int(label))


@dataclass(frozen=True)
class ToyData:
    """The data part of an Experiment. Noise is a fraction of the plot's
    scale; samples are split train/test by `train_ratio` after a seeded shuffle."""

    dataset: str = choice("spiral", catalog.DATASETS)
    n_classes: int = number(3, 3, 5)  # blobs only
    noise: float = number(0.0, 0.0, 0.5)
    n_samples: int = number(400, 50, 2000)
    train_ratio: float = number(0.5, 0.1, 0.9)
    seed: int = number(1, 0, 2**31 - 1)
    features: tuple[str, ...] = parsed(("x1", "x2"), _parse_features)
    # Training points added by clicking on the plane (classification only),
    # on top of the generated ones: they join the training part, never the test.
    points: tuple[Point, ...] = parsed((), parse_points)

    @property
    def problem(self) -> str:
        return catalog.DATASETS[self.dataset].problem

    @property
    def n_train(self) -> int:
        """Generated points that train; the added `points` come on top."""
        return max(1, min(self.n_samples - 1, round(self.n_samples * self.train_ratio)))

    @property
    def n_training(self) -> int:
        """The whole training set: the generated part and the added points."""
        return self.n_train + len(self.points)

    def fit_points(self, notes: list[Note]):
        """Drop added points this data can't take: every point on a regression
        set (a click says where, not what value), and points of a class the set
        doesn't have (after a switch from 5 blobs to 2 classes, say)."""
        n = {"multiclass": self.n_classes, "binary": 2}.get(self.problem, 0)
        kept = tuple(p for p in self.points if p.label < n)
        if len(kept) == len(self.points):
            return self
        dropped, left = str(len(self.points) - len(kept)), str(len(kept))
        if n == 0:
            notes.append(Note("points_regression", "points", dropped, left))
        else:
            notes.append(Note("points_dropped", "points", dropped, left))
        return replace(self, points=kept)


# Fields come base by base from the last one: the data, then the network and
# training, then the view options declared here.
@dataclass(frozen=True)
class Experiment(NetworkSettings, ToyData, Spec):
    # View options: shared in links, no effect on training.
    show_test: bool = False
    discretize: bool = False

    def consistent(self, raw: Mapping[str, Any], notes: list[Note]) -> Experiment:
        return fit_batch(self.fit_training("loss" in raw, notes).fit_points(notes), notes)
