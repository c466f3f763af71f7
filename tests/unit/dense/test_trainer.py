"""The training loop: learning, determinism, commands, divergence, heads, optimizers."""

from __future__ import annotations

import math

import pytest
import torch
from support import CPU, spec_for, trained

from playground.core import catalog
from playground.dense.trainer import Trainer


def col(trainer: Trainer, name: str) -> list:
    return trainer.history.cols[name]


# ---- learning -----------------------------------------------------------------
def test_fresh_trainer_has_one_record():
    trainer = Trainer(spec_for(), device=CPU)
    assert len(trainer.history) == 1
    assert (trainer.epoch, trainer.step) == (0, 0)
    assert col(trainer, "epoch") == [0]
    assert trainer.diverged is None


def test_easy_set_is_learned():
    trainer = trained(spec_for(dataset="gauss", noise="0"), 8)
    loss = col(trainer, "train_loss")
    assert loss[-1] < 0.5 * loss[0]
    assert col(trainer, "train_acc")[-1] > 0.95
    assert col(trainer, "test_acc")[-1] > 0.95


def test_spiral_with_default_settings_improves():
    trainer = trained(spec_for(), 15)
    loss, acc = col(trainer, "train_loss"), col(trainer, "train_acc")
    assert loss[-1] < loss[0] - 0.05
    assert acc[-1] > acc[0] + 0.1


def test_history_counts_epochs_and_steps():
    # 50 training samples in batches of 15: 4 steps an epoch.
    trainer = trained(spec_for(n_samples="100", train_ratio="0.5", batch_size="15"), 3)
    assert col(trainer, "epoch") == [0, 1, 2, 3]
    assert col(trainer, "step") == [0, 4, 8, 12]
    assert (trainer.epoch, trainer.step) == (3, 12)
    frame = trainer.history.frame()
    assert list(frame.columns) == ["epoch", "step", "train_loss", "test_loss", "train_acc",
                                   "test_acc"]
    assert len(frame) == 4
    assert trainer.history.last("epoch") == 3


def test_evaluate_matches_a_direct_computation():
    trainer = trained(spec_for(dataset="xor", noise="0.1"), 2)
    with torch.no_grad():
        z = trainer.model(trainer.x_test)
        loss = trainer.head.loss(z, trainer.t_test).item()
        acc = (trainer.head.classes(z) == trainer.y_test).float().mean().item()
    metrics = trainer.evaluate()
    assert metrics["test_loss"] == pytest.approx(loss, rel=1e-6)
    assert metrics["test_acc"] == pytest.approx(acc)
    assert col(trainer, "test_loss")[-1] == pytest.approx(loss, rel=1e-6)


def test_regression_history_has_no_accuracy():
    trainer = trained(spec_for(dataset="plane", loss="mse"), 2)
    assert col(trainer, "train_acc") == [None, None, None]
    assert col(trainer, "test_acc") == [None, None, None]
    assert all(math.isfinite(v) for v in col(trainer, "train_loss"))


# ---- determinism --------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
def test_same_seed_gives_identical_history(fast):
    kw = dict(dataset="moons", noise="0.2", seed="5", optimizer="sgd", momentum="0.9", lr="0.1")
    a, b = trained(spec_for(**kw), 4, fast=fast), trained(spec_for(**kw), 4, fast=fast)
    assert a.history.cols == b.history.cols
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_different_seed_gives_different_history():
    a, b = trained(spec_for(seed="5"), 2), trained(spec_for(seed="6"), 2)
    assert col(a, "train_loss") != col(b, "train_loss")


# ---- commands -----------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
def test_set_lr_changes_the_optimizer_and_later_training(fast):
    kw = dict(dataset="circle", noise="0.1", optimizer="sgd", lr="0.05")
    changed, same = trained(spec_for(**kw), 1, fast=fast), trained(spec_for(**kw), 1, fast=fast)
    assert changed.history.cols == same.history.cols

    changed.set_lr(0.5)
    assert [g["lr"] for g in changed.optimizer.param_groups] == [0.5] * len(
        changed.optimizer.param_groups)
    assert changed.spec.lr == 0.5
    assert all(g["lr"] == 0.05 for g in same.optimizer.param_groups)

    for t in (changed, same):
        t.train_epoch()
    assert col(changed, "train_loss")[:2] == col(same, "train_loss")[:2]
    assert col(changed, "train_loss")[2] != col(same, "train_loss")[2]


def test_set_lr_to_the_same_value_changes_nothing():
    kw = dict(dataset="circle", optimizer="adam", lr="0.05")
    a, b = trained(spec_for(**kw), 1), trained(spec_for(**kw), 1)
    a.set_lr(0.05)
    a.train_epoch()
    b.train_epoch()
    assert a.history.cols == b.history.cols


# ---- divergence ---------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("dataset,lr,reason", [("plane", "10", "nan"), ("plane", "3", "inf")])
def test_huge_learning_rate_diverges_and_stops(fast, dataset, lr, reason):
    trainer = Trainer(
        spec_for(dataset=dataset, loss="mse", optimizer="sgd", lr=lr, hidden="8-relu,8-relu"),
        device=CPU, fast=fast,
    )
    for _ in range(5):
        trainer.train_epoch()
        if trainer.diverged:
            break
    assert trainer.diverged == reason
    assert not math.isfinite(col(trainer, "train_loss")[-1])

    epoch, step, rows = trainer.epoch, trainer.step, len(trainer.history)
    params = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train_epoch()
    assert (trainer.epoch, trainer.step, len(trainer.history)) == (epoch, step, rows)
    for before, after in zip(params, trainer.model.parameters(), strict=True):
        torch.testing.assert_close(after, before, rtol=0, atol=0, equal_nan=True)


def test_sane_learning_rate_does_not_diverge():
    trainer = trained(spec_for(dataset="plane", loss="mse", optimizer="sgd", lr="0.01",
                               hidden="8-relu,8-relu"), 5)
    assert trainer.diverged is None
    assert col(trainer, "train_loss")[-1] < col(trainer, "train_loss")[0]


# ---- heads and optimizers -----------------------------------------------------
HEAD_DATASETS = [
    ("bce", "circle"), ("tanh_mse", "circle"), ("ce", "circle"), ("ce", "blobs"),
    ("mse", "bump"), ("huber", "bump"),
]


def test_every_loss_head_is_covered():
    assert {h for h, _ in HEAD_DATASETS} == set(catalog.LOSSES)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("loss,dataset", HEAD_DATASETS)
def test_every_loss_head_trains(loss, dataset, fast):
    trainer = trained(spec_for(dataset=dataset, loss=loss, n_classes="4",
                               hidden="8-relu,8-relu"), 6, fast=fast)
    losses = col(trainer, "train_loss")
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.8 * losses[0]
    expected_out = {"ce": 4 if dataset == "blobs" else 2}.get(loss, 1)
    assert trainer.model[-1].out_features == expected_out
    if catalog.DATASETS[dataset].problem != "regression":
        assert col(trainer, "train_acc")[-1] > 0.8


OPTIMIZER_SETTINGS = [
    dict(optimizer="sgd", lr="0.1"),
    dict(optimizer="sgd", lr="0.03", momentum="0.9"),
    dict(optimizer="sgd", lr="0.03", momentum="0.9", nesterov="1"),
    dict(optimizer="adam"),
    dict(optimizer="adamw"),
    dict(optimizer="rmsprop", lr="0.01"),
    dict(optimizer="rmsprop", lr="0.01", momentum="0.5"),
    dict(optimizer="adagrad"),
]


def test_every_optimizer_is_covered():
    assert {s["optimizer"] for s in OPTIMIZER_SETTINGS} == set(catalog.OPTIMIZERS)


@pytest.mark.parametrize("settings", OPTIMIZER_SETTINGS, ids=lambda s: "-".join(s.values()))
def test_each_optimizer_runs_and_learns(settings):
    trainer = trained(spec_for(dataset="gauss", **settings), 4)
    expected = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}
    assert type(trainer.optimizer) is expected[settings["optimizer"]]
    group = trainer.optimizer.param_groups[0]
    assert group["lr"] == trainer.spec.lr
    if "momentum" in settings:
        assert group["momentum"] == float(settings["momentum"])
    if settings["optimizer"] == "sgd":
        assert group["nesterov"] is ("nesterov" in settings)
    losses = col(trainer, "train_loss")
    assert losses[-1] < 0.5 * losses[0]


def test_momentum_changes_sgd():
    plain = trained(spec_for(dataset="gauss", optimizer="sgd"), 2)
    heavy = trained(spec_for(dataset="gauss", optimizer="sgd", momentum="0.9"), 2)
    nesterov = trained(spec_for(dataset="gauss", optimizer="sgd", momentum="0.9", nesterov="1"), 2)
    assert col(plain, "train_loss")[-1] != col(heavy, "train_loss")[-1]
    assert col(heavy, "train_loss")[-1] != col(nesterov, "train_loss")[-1]


# ---- regularisation -----------------------------------------------------------
def weight_norms(trainer: Trainer) -> tuple[float, float]:
    l1 = sum(w.abs().sum().item() for w in trainer.weights)
    l2 = sum((w * w).sum().item() for w in trainer.weights)
    return l1, l2


@pytest.mark.parametrize("fast", [True, False])
def test_regularisation_shrinks_weights(fast):
    kw = dict(dataset="circle", optimizer="sgd", lr="0.1")
    none = trained(spec_for(**kw), 8, fast=fast)
    l1 = trained(spec_for(regularization="l1", reg_rate="0.01", **kw), 8, fast=fast)
    l2 = trained(spec_for(regularization="l2", reg_rate="0.01", **kw), 8, fast=fast)
    none_l1, none_l2 = weight_norms(none)
    assert weight_norms(l1)[0] < 0.8 * none_l1
    assert weight_norms(l2)[1] < 0.8 * none_l2


def test_penalty_values():
    spec = spec_for(regularization="l2", reg_rate="0.5")
    trainer = Trainer(spec, device=CPU)
    sq = sum((w * w).sum() for w in trainer.weights)
    torch.testing.assert_close(trainer.penalty(), 0.5 * sq)
    trainer = Trainer(spec_for(regularization="l1", reg_rate="0.25"), device=CPU)
    ab = sum(w.abs().sum() for w in trainer.weights)
    torch.testing.assert_close(trainer.penalty(), 0.25 * ab)
    assert Trainer(spec_for(regularization="l1"), device=CPU).penalty() is None  # rate 0
    assert Trainer(spec_for(reg_rate="0.5"), device=CPU).penalty() is None  # "none"


def test_weights_are_the_linear_weights_only():
    trainer = Trainer(spec_for(hidden="3-relu,4-tanh"), device=CPU)
    assert [tuple(w.shape) for w in trainer.weights] == [(3, 2), (4, 3), (1, 4)]


# ---- structure ----------------------------------------------------------------
def test_zero_hidden_layers_trains():
    trainer = trained(spec_for(dataset="gauss", hidden="none"), 5)
    assert len(trainer.model) == 1
    assert col(trainer, "train_acc")[-1] > 0.95


def test_extra_features_widen_the_input():
    trainer = trained(spec_for(dataset="circle", features="x1,x2,x1_sq,x2_sq,sin_x1"), 2)
    assert trainer.x_train.shape == (200, 5)
    assert trainer.model[0].in_features == 5
    assert col(trainer, "train_loss")[-1] < col(trainer, "train_loss")[0]


def test_zeros_init_with_tanh_stays_symmetric():
    # All-zero weights: every hidden unit gets the same gradient, so they stay equal.
    trainer = trained(spec_for(dataset="gauss", init="zeros", hidden="4-tanh"), 2)
    w = trainer.model[0].weight
    assert torch.allclose(w, w[:1].expand_as(w))
