"""K runs in one vectorised step against the same runs trained alone.

Equal to rounding, not bit for bit: a batched matrix product (torch.bmm over
K runs) may sum in another order than one run's torch.mm, by a last bit;
everything else (shuffles, data, the optimizer's arithmetic) is the same.
Over these epochs and rates the curves agree to a float32 ulp or two (the
worst difference measured is 1.6 % of the tolerance); near instability (a
rate far too big) chaotic dynamics could grow such bits, so the rates here are
ordinary ones, as in the lessons.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from support import CPU, spec_for

from playground.dense.batched import BatchedRuns, batch_key, batchable
from playground.dense.spec import Experiment
from playground.dense.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")

EPOCHS = 10
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")


def alone(spec, epochs: int = EPOCHS) -> Trainer:
    trainer = Trainer(spec, device=CPU)
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer


def assert_same_history(got: Trainer, want: Trainer) -> None:
    assert got.history.cols["epoch"] == want.history.cols["epoch"]
    assert got.history.cols["step"] == want.history.cols["step"]
    for name in METRICS:
        a, b = got.history.cols[name], want.history.cols[name]
        if b[0] is None:  # regression: no accuracy
            assert a == b
            continue
        torch.testing.assert_close(torch.tensor(a), torch.tensor(b), rtol=1e-5, atol=1e-6)


def batched(specs, epochs: int = EPOCHS) -> list[Trainer]:
    runs = [Trainer(spec, device=CPU) for spec in specs]
    batch = BatchedRuns(runs)
    for _ in range(epochs):
        batch.train_epoch()
    return runs


# Per run: its own rate, seed, noise, regulariser and rate.
RUNS = [
    dict(lr="0.01", seed="1", noise="0", regularization="none"),
    dict(lr="0.003", seed="2", noise="0.1", regularization="l1", reg_rate="0.001"),
    dict(lr="0.02", seed="3", noise="0.2", regularization="l2", reg_rate="0.003"),
]
OPTIMIZERS = {
    "sgd": dict(optimizer="sgd"),
    "momentum": dict(optimizer="sgd", momentum="0.9"),
    "nesterov": dict(optimizer="sgd", momentum="0.9", nesterov="1"),
    "adam": dict(optimizer="adam"),
    "adamw": dict(optimizer="adamw"),
    "rmsprop": dict(optimizer="rmsprop"),
    "rmsprop_momentum": dict(optimizer="rmsprop", momentum="0.5"),
    "adagrad": dict(optimizer="adagrad"),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_run_matches_its_run_alone(name):
    specs = [spec_for(**OPTIMIZERS[name], **run) for run in RUNS]
    for got, spec in zip(batched(specs), specs, strict=True):
        assert_same_history(got, alone(spec))


@pytest.mark.parametrize("kw", [
    dict(dataset="blobs", n_classes="4", loss="ce"),
    dict(dataset="moons", loss="ce"),
    dict(dataset="circle", loss="tanh_mse", hidden="6-relu,5-sigmoid"),
    dict(dataset="plane", loss="mse", hidden="8-relu"),
    dict(dataset="bump", loss="huber", features="x1,x2,x1_sq,x2_sq,x1_x2", batch_size="7"),
])
def test_heads_features_and_odd_batches_match(kw):
    specs = [spec_for(**kw, seed=str(seed), lr=lr) for seed, lr in ((1, "0.01"), (5, "0.003"))]
    for got, spec in zip(batched(specs, 6), specs, strict=True):
        assert_same_history(got, alone(spec, 6))


def test_weights_and_gradients_stay_the_runs_own():
    specs = [spec_for(seed="1"), spec_for(seed="2", lr="0.01")]
    runs, ref = batched(specs, 3), [alone(spec, 3) for spec in specs]
    for got, want in zip(runs, ref, strict=True):
        for a, b in zip(got.model.parameters(), want.model.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        for (ga, gb), (wa, wb) in zip(got.gradients_by_layer(), want.gradients_by_layer(),
                                      strict=True):
            torch.testing.assert_close(ga, wa, rtol=1e-4, atol=1e-6)
            torch.testing.assert_close(gb, wb, rtol=1e-4, atol=1e-6)
        # The model is usable alone: its predictions are the run's.
        with torch.no_grad():
            torch.testing.assert_close(got.model(got.x_test), want.model(want.x_test),
                                       rtol=1e-5, atol=1e-6)


def test_a_run_continues_alone_with_its_optimizer_state():
    """Batched for 3 epochs, then alone for 3: moments and step counts moved
    with the run, so it matches 6 epochs alone."""
    specs = [spec_for(seed="1"), spec_for(seed="2", lr="0.01")]
    runs = batched(specs, 3)
    for run, spec in zip(runs, specs, strict=True):
        for _ in range(3):
            run.train_epoch()
        assert_same_history(run, alone(spec, 6))


def test_new_rate_and_new_weights_between_epochs():
    spec = spec_for(optimizer="adam", lr="0.01")
    runs = [Trainer(spec, device=CPU), Trainer(spec_for(seed="4"), device=CPU)]
    ref = Trainer(spec, device=CPU)
    batch = BatchedRuns(runs)
    state = {k: v.clone() for k, v in alone(spec_for(seed="9"), 1).model.state_dict().items()}
    for epoch in range(6):
        if epoch == 2:
            runs[0].set_lr(0.003)
            ref.set_lr(0.003)
        if epoch == 4:  # loading weights starts the moments over, as alone
            runs[0].load_state(state)
            ref.load_state(state)
        batch.train_epoch()
        ref.train_epoch()
    assert_same_history(runs[0], ref)


def test_batch_key_separates_architectures_not_settings():
    key = batch_key(Trainer(spec_for(), device=CPU))
    same = [dict(lr="0.1", seed="7"), dict(noise="0.3"), dict(regularization="l2",
                                                               reg_rate="0.01")]
    other = [dict(hidden="4-tanh,8-tanh"), dict(hidden="8-relu,8-tanh"), dict(batch_size="20"),
             dict(n_samples="300"), dict(optimizer="sgd"), dict(features="x1,x2,x1_sq"),
             dict(loss="tanh_mse")]
    for kw in same:
        assert batch_key(Trainer(spec_for(**kw), device=CPU)) == key, kw
    for kw in other:
        assert batch_key(Trainer(spec_for(**kw), device=CPU)) != key, kw
    assert batch_key(Trainer(spec_for(), device=CPU, fast=False)) is None


@dataclasses.dataclass(frozen=True)
class Remedies(Experiment):
    """An Experiment with remedies (dropout, early stopping, whether or not
    the real one has them yet) and a setting a later version may add."""

    dropout: float = 0.0
    early_stopping: bool = False
    label_smoothing: float = 0.0


def test_batchable_refuses_what_it_does_not_implement():
    assert batchable(Experiment())
    assert batchable(Remedies())  # new fields at their defaults change nothing
    assert not batchable(Remedies(dropout=0.2))
    assert not batchable(Remedies(early_stopping=True))
    assert not batchable(Remedies(label_smoothing=0.1))  # an unknown field switched on


def test_runs_that_cannot_share_a_batch_are_refused():
    with pytest.raises(ValueError):
        BatchedRuns([Trainer(spec_for(), device=CPU),
                     Trainer(spec_for(hidden="4-tanh"), device=CPU)])
