"""ImageTrainer on the bundled 8x8 digits, and the augmentation it uses.

Digits need no download and an epoch of the default network takes a few
milliseconds, so these tests train for real; only the early-stopping test
feeds a made-up validation curve, to know exactly when it must stop.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from support import CPU, layers
from torch import nn

from playground.images.augment import augment
from playground.images.model import summarize
from playground.images.spec import ImageExperiment
from playground.images.trainer import HISTORY_COLUMNS, ImageTrainer, load_splits

DIGITS = ImageExperiment()  # digits, the small dense default network
N_TRAIN = DIGITS.n_train


def trainer(spec: ImageExperiment = DIGITS, splits=None) -> ImageTrainer:
    return ImageTrainer(spec, splits=splits, device=CPU)


def steps_per_epoch(spec: ImageExperiment) -> int:
    return math.ceil(spec.n_train / spec.batch_size)


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/unit/conftest.py


@pytest.fixture(scope="module")
def splits():
    return load_splits(DIGITS)


# ---- learning -------------------------------------------------------------------------------
def test_a_short_run_learns_the_digits(splits):
    t = trainer(splits=splits)
    assert list(t.history.cols["epoch"]) == [0]  # the untrained model is row 0
    for _ in range(8):
        t.train_epoch()
    _, test_acc = t.evaluate(t.x_test, t.y_test)
    assert test_acc >= 0.9
    losses = t.history.cols["train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert t.history.cols["val_loss"][-1] < t.history.cols["val_loss"][0]
    assert t.history.cols["epoch"] == list(range(9))
    assert t.history.cols["step"] == [e * steps_per_epoch(DIGITS) for e in range(9)]
    # Chance is 10 %: the untrained row says so, the trained one is far above it.
    assert t.history.cols["val_acc"][0] < 0.3 < 0.85 < t.history.cols["val_acc"][-1]


def test_same_seed_same_history_other_seed_another():
    def run(seed: int) -> dict:
        t = trainer(replace(DIGITS, seed=seed, augment=True))
        for _ in range(2):
            t.train_epoch()
        return t.history.cols

    first, again, other = run(3), run(3), run(4)
    assert set(first) == set(HISTORY_COLUMNS)
    for column in HISTORY_COLUMNS:
        assert first[column] == again[column], column  # exactly, not approximately
    assert first["train_loss"] != other["train_loss"]
    assert first["val_loss"] != other["val_loss"]


# ---- stopping ----------------------------------------------------------------------------------
def test_early_stopping_restores_the_best_epoch(monkeypatch, splits):
    # Validation loss per epoch 0, 1, 2, ...: best at epoch 2, then no better.
    curve = [2.0, 1.5, 1.0, 1.2, 1.0, 1.3, 0.1, 0.1]
    patience, best_epoch = 3, 2
    real = ImageTrainer.evaluate
    seen: dict[int, dict] = {}  # epoch -> weights when its validation loss was taken

    def evaluate(self, x, y):
        if x is not self.x_val:
            return real(self, x, y)
        seen[self.epoch] = weights(self.model)
        return curve[self.epoch], 0.5

    monkeypatch.setattr(ImageTrainer, "evaluate", evaluate)
    spec = replace(DIGITS, early_stopping=True, patience=patience, max_epochs=50)
    t = trainer(spec, splits)
    for _ in range(10):
        t.train_epoch()
        if t.done:
            break
    assert (t.finished, t.diverged) == ("early_stop", None)
    assert t.epoch == best_epoch + patience  # equal loss (epoch 4) is no improvement
    assert t.history.cols["val_loss"] == curve[: best_epoch + patience + 1]
    assert t.best[:2] == (1.0, best_epoch)
    assert same_weights(weights(t.model), seen[best_epoch])
    assert not same_weights(seen[best_epoch + patience], seen[best_epoch])  # it did train on
    steps = t.step
    t.train_epoch()
    assert t.train_batches(0.2) == 0 and t.step == steps


def test_without_early_stopping_the_same_curve_runs_to_max_epochs(monkeypatch, splits):
    real = ImageTrainer.evaluate

    def evaluate(self, x, y):
        if x is not self.x_val:
            return real(self, x, y)
        return (1.0 if self.epoch == 0 else 2.0 + self.epoch), 0.5  # always worse

    monkeypatch.setattr(ImageTrainer, "evaluate", evaluate)
    t = trainer(replace(DIGITS, early_stopping=False, patience=1, max_epochs=4), splits)
    while not t.done:
        t.train_epoch()
    assert (t.finished, t.epoch, len(t.history)) == ("max_epochs", 4, 5)


def test_max_epochs_stops_training(splits):
    spec = replace(DIGITS, max_epochs=2)
    t = trainer(spec, splits)
    t.train_epoch()
    assert (t.finished, t.done) == (None, False)
    t.train_epoch()
    assert (t.finished, t.diverged, t.done) == ("max_epochs", None, True)
    t.train_epoch()  # nothing left to do
    assert (t.epoch, t.step, len(t.history)) == (2, 2 * steps_per_epoch(spec), 3)


def test_train_batches_stops_at_the_stop_rule_and_respects_done(splits):
    spec = replace(DIGITS, max_epochs=2, batch_size=128)
    t = trainer(spec, splits)
    steps = t.train_batches(60.0)  # would take a minute if it ignored max_epochs
    assert steps == 2 * steps_per_epoch(spec) == t.step
    assert t.done and t.epoch == 2
    assert t.train_batches(0.5) == 0
    assert (t.step, len(t.history)) == (steps, 3)


def test_train_batches_is_a_time_budget():
    t = trainer(replace(DIGITS, max_epochs=200))
    assert t.train_batches(0.0) == 0
    steps = t.train_batches(0.05)
    assert steps >= 1 and not t.done
    assert 0 < t.epoch_progress < 1 or t.epoch >= 1


def test_a_nan_weight_diverges_and_stops_training(splits):
    t = trainer(splits=splits)
    with torch.no_grad():
        t.model[1].weight[0, 0] = float("nan")
    t.train_epoch()
    assert (t.diverged, t.finished, t.done) == ("nan", None, True)
    assert math.isnan(t.history.cols["train_loss"][-1])
    assert (t.epoch, len(t.history)) == (1, 2)
    steps = t.step
    t.train_epoch()
    assert t.train_batches(0.2) == 0
    assert (t.step, t.epoch, len(t.history)) == (steps, 1, 2)


def test_huge_inputs_with_sgd_diverge(splits):
    # Ink a million times brighter than the data's own scale: SGD at lr 1 blows up.
    big = replace(splits, x_train=splits.x_train * 1e6, x_val=splits.x_val * 1e6)
    t = trainer(replace(DIGITS, optimizer="sgd", lr=1.0), big)
    for _ in range(3):
        t.train_epoch()
        if t.done:
            break
    assert t.diverged in ("nan", "inf") and t.finished is None
    assert not math.isfinite(t.history.cols["train_loss"][-1])


# ---- optimizer settings ----------------------------------------------------------------------
def test_set_lr_takes_effect_on_the_next_step(splits):
    t = trainer(replace(DIGITS, optimizer="sgd", lr=0.1), splits)
    assert [g["lr"] for g in t.optimizer.param_groups] == [0.1]
    t.set_lr(0.0)
    assert all(g["lr"] == 0.0 for g in t.optimizer.param_groups)
    before = weights(t.model)
    t.train_step()
    assert same_weights(weights(t.model), before)  # lr 0: nothing moves
    t.set_lr(0.5)
    t.train_step()
    assert not same_weights(weights(t.model), before)


def test_weight_decay_reaches_the_optimizer(splits):
    assert all(g["weight_decay"] == 0.0 for g in trainer(splits=splits).optimizer.param_groups)
    for optimizer in ("sgd", "adam", "rmsprop"):
        t = trainer(replace(DIGITS, optimizer=optimizer, weight_decay=0.05), splits)
        assert type(t.optimizer).__name__.lower() == optimizer
        assert all(g["weight_decay"] == 0.05 for g in t.optimizer.param_groups)


def test_mixed_precision_is_ignored_on_the_cpu(splits):
    plain, mixed = trainer(splits=splits), trainer(replace(DIGITS, mixed_precision=True), splits)
    assert mixed.amp is False
    for t in (plain, mixed):
        t.train_epoch()
    assert mixed.history.cols == plain.history.cols


# ---- reading the model ---------------------------------------------------------------------
def test_probabilities_are_a_softmax_of_the_logits(splits):
    t = trainer(splits=splits)
    t.train_epoch()
    x = splits.x_test[:50]
    p = t.probabilities(x)
    assert p.shape == (50, 10) and p.dtype == np.float32
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    z = t.logits(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(p.argmax(1), z.argmax(1))
    assert t.model.training is False  # eval mode for reading


@pytest.mark.parametrize("stack", [
    "conv:16:3:1:same:relu,maxpool:2:0,conv:32:3:1:same:relu,maxpool:2:0,flatten,dense:64:relu",
    # uneven "same" padding (a ZeroPad2d module), a linear conv, a 1x1 conv after a pool
    "conv:4:3:2:same:linear,conv:6:3:1:valid:tanh,maxpool:2:0,conv:5:1:1:valid:relu",
    "batchnorm,conv:3:5:1:valid:relu,batchnorm,dropout:0.5,conv:2:2:2:valid:sigmoid",
])
def test_feature_maps_follow_the_summary(stack, splits):
    spec = replace(DIGITS, layers=layers(stack))
    t = trainer(spec, splits)
    expected = [row.output for row in summarize(spec).rows if row.kind == "conv"]
    image = t.x_test[3]
    maps = t.feature_maps(image)
    assert [m.shape for _, m in maps] == expected
    for i, m in maps:
        # The maps are the model's own activations up to and including module i,
        # which is a conv's activation module.
        assert isinstance(t.model[i - 1], nn.Conv2d)
        with torch.no_grad():
            direct = t.model[: i + 1](image[None])[0].numpy()
        np.testing.assert_allclose(m, direct, rtol=1e-5, atol=1e-6)


def test_a_dense_network_has_no_feature_maps(splits):
    t = trainer(splits=splits)
    assert t.feature_maps(t.x_test[0]) == []


# ---- augmentation --------------------------------------------------------------------------
def blob(h: int, w: int, cy: float, cx: float, n: int = 1) -> torch.Tensor:
    """n copies of a smooth bump centred at (cy, cx), (n, 1, h, w), zero at the edges."""
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing="ij")
    img = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 4.0)
    img[img < 1e-6] = 0
    return img.float()[None, None].repeat(n, 1, 1, 1)


def centre_of_mass(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) -> (B, 2) rows (y, x) in pixels."""
    x = x[:, 0].double()
    h, w = x.shape[1:]
    total = x.sum((1, 2))
    cy = (x.sum(2) * torch.arange(h, dtype=torch.float64)).sum(1) / total
    cx = (x.sum(1) * torch.arange(w, dtype=torch.float64)).sum(1) / total
    return torch.stack([cy, cx], 1)


def spread(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) -> (B, 2) variances of the mass along y and x, in px²."""
    x = x[:, 0].double()
    h, w = x.shape[1:]
    total = x.sum((1, 2))
    com = centre_of_mass(x[:, None])
    ys, xs = torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64)
    vy = (x.sum(2) * (ys[None] - com[:, :1]) ** 2).sum(1) / total
    vx = (x.sum(1) * (xs[None] - com[:, 1:]) ** 2).sum(1) / total
    return torch.stack([vy, vx], 1)


def test_augment_keeps_the_shape_and_moves_pixels():
    x = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    out = augment(x, torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.allclose(out, x, atol=1e-3)


def test_augment_without_rotation_or_shift_is_the_identity():
    x = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    out = augment(x, torch.Generator().manual_seed(1), background=-0.4,
                  max_rotation=0.0, max_shift=0.0)
    torch.testing.assert_close(out, x, atol=1e-5, rtol=1e-5)


def test_same_generator_seed_same_warps():
    x = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    a = augment(x, torch.Generator().manual_seed(5), background=-0.3)
    b = augment(x, torch.Generator().manual_seed(5), background=-0.3)
    c = augment(x, torch.Generator().manual_seed(6), background=-0.3)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_a_shift_moves_the_centre_of_mass_within_the_share_of_each_side():
    # 40 wide, 20 high: a shift of 0.1 is up to 4 px across and 2 px down.
    h, w, share, n = 20, 40, 0.1, 2000
    x = blob(h, w, 9.5, 19.5, n)
    out = augment(x, torch.Generator().manual_seed(0), max_rotation=0.0, max_shift=share)
    torch.testing.assert_close(out.sum((1, 2, 3)), x.sum((1, 2, 3)), rtol=1e-4, atol=1e-4)
    moved = centre_of_mass(out) - centre_of_mass(x)  # (n, 2) pixels (dy, dx)
    limit = torch.tensor([share * h, share * w], dtype=torch.float64)
    assert (moved.abs() <= limit + 1e-3).all()
    # Uniform over the whole range: both ends are reached, both directions, no bias.
    assert (moved.max(0).values > 0.97 * limit).all()
    assert (moved.min(0).values < -0.97 * limit).all()
    assert (moved.mean(0).abs() < 0.1 * limit).all()
    # A pure translation: the bump keeps its form; bilinear sampling at a fractional
    # offset f only widens it by f (1 - f) <= 1/4 px² of variance per axis.
    widened = spread(out) - spread(x)
    assert (widened >= -1e-3).all() and (widened <= 0.25 + 1e-3).all()


def test_pixels_shifted_in_take_the_background():
    # A uniformly bright image: every pixel of the output mixes ink and background.
    ink, background = 2.0, -0.7
    x = torch.full((200, 1, 8, 8), ink)
    out = augment(x, torch.Generator().manual_seed(2), background=background,
                  max_rotation=0.0, max_shift=0.25)
    assert out.min() >= background - 1e-5 and out.max() <= ink + 1e-5
    # Shifts of up to 2 px: a border row or column is entirely background...
    torch.testing.assert_close(out.min(), torch.tensor(background), atol=1e-5, rtol=0)
    # ...and the middle, never reached by the border, keeps its ink.
    torch.testing.assert_close(out[:, :, 3:5, 3:5], torch.full((200, 1, 2, 2), ink))
    # The same warps with the default background (0) differ by exactly where it came in.
    zero = augment(x, torch.Generator().manual_seed(2), max_rotation=0.0, max_shift=0.25)
    assert zero.min() >= -1e-5 and (zero - out).max() > 0.5
    # out = ink * share + background * (1 - share) with the same share of ink.
    share_bg = (out - ink) / (background - ink)
    torch.testing.assert_close(zero, ink * (1 - share_bg), atol=1e-4, rtol=1e-4)


def test_training_with_augmentation_uses_the_normalised_background(splits):
    t = trainer(replace(DIGITS, augment=True), splits)
    assert t.background == pytest.approx(-splits.mean / splits.std)
    t.train_epoch()
    assert math.isfinite(t.history.cols["train_loss"][-1])
