"""K runs in one vectorised step against the same runs trained alone: equal
bit for bit (torch.equal on every history column, the weights and the
gradients), for every optimizer and regulariser, at ordinary rates and at
rates far too big, where any last bit would grow within a few epochs.

Why that holds on the CPU is stacked.py's docstring: a run alone computes
as a batch of one, with kernels whose numbers do not depend on the batch.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from support import CPU, spec_for

from playground.dense.batched import BatchedRuns, batch_key, batchable
from playground.dense.fastpath import ACT_BACKWARD, ACT_FORWARD
from playground.dense.spec import Experiment
from playground.dense.stacked import Stack
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
    """Every column equal, bit for bit (NaN included: a diverged run's last row)."""
    assert got.history.cols["epoch"] == want.history.cols["epoch"]
    assert got.history.cols["step"] == want.history.cols["step"]
    for name in METRICS:
        a, b = got.history.cols[name], want.history.cols[name]
        if b[0] is None:  # regression: no accuracy
            assert a == b
            continue
        ta, tb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
        assert torch.equal(ta.isnan(), tb.isnan()), name
        assert torch.equal(ta.nan_to_num(), tb.nan_to_num()), name


def assert_same_weights(got: Trainer, want: Trainer) -> None:
    for a, b in zip(got.model.parameters(), want.model.parameters(), strict=True):
        assert torch.equal(a, b)


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
        want = alone(spec)
        assert_same_history(got, want)
        assert_same_weights(got, want)


# Rates far too big for most of these: curves that swing and blow up, where a
# last bit apart would show as a visible gap after a few epochs.
HIGH_RATES = [
    dict(lr="0.3", seed="1", regularization="none"),
    dict(lr="1", seed="2", regularization="l1", reg_rate="0.001"),
    dict(lr="0.3", seed="3", regularization="l2", reg_rate="0.003"),
    dict(lr="1", seed="4", noise="0.2", regularization="none"),
]


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "rmsprop", "rmsprop_momentum"])
def test_high_rates_match_over_many_epochs(name):
    specs = [spec_for(**OPTIMIZERS[name], **run) for run in HIGH_RATES]
    for got, spec in zip(batched(specs, 25), specs, strict=True):
        want = alone(spec, 25)
        assert_same_history(got, want)
        assert_same_weights(got, want)


@pytest.mark.parametrize("kw", [
    dict(dataset="blobs", n_classes="4", loss="ce"),
    dict(dataset="moons", loss="ce"),
    dict(dataset="circle", loss="tanh_mse", hidden="6-relu,5-sigmoid"),
    dict(dataset="plane", loss="mse", hidden="8-relu"),
    dict(dataset="bump", loss="huber", features="x1,x2,x1_sq,x2_sq,x1_x2", batch_size="7"),
    # Activations whose kernels round apart in vector and scalar loops, a
    # batch of one row, layers past bmm's plain loop, a batch in chunks.
    dict(hidden="5-gelu,7-elu", batch_size="1", n_samples="60"),
    dict(hidden="3-silu,9-softplus", batch_size="33"),
    dict(hidden="16-leaky_relu,16-tanh", batch_size="200"),
    dict(hidden="64-relu,64-tanh", batch_size="40", n_samples="100"),
])
def test_heads_features_and_odd_batches_match(kw):
    specs = [spec_for(**kw, seed=str(seed), lr=lr)
             for seed, lr in ((1, "0.01"), (5, "0.003"), (7, "0.3"))]
    for got, spec in zip(batched(specs, 6), specs, strict=True):
        want = alone(spec, 6)
        assert_same_history(got, want)
        assert_same_weights(got, want)


def test_weights_and_gradients_stay_the_runs_own():
    specs = [spec_for(seed="1"), spec_for(seed="2", lr="0.01")]
    runs, ref = batched(specs, 3), [alone(spec, 3) for spec in specs]
    for got, want in zip(runs, ref, strict=True):
        assert_same_weights(got, want)
        for (ga, gb), (wa, wb) in zip(got.gradients_by_layer(), want.gradients_by_layer(),
                                      strict=True):
            assert torch.equal(ga, wa) and torch.equal(gb, wb)
        # The model is usable alone: its predictions are the run's (to
        # rounding: nn.Linear takes MKL's GEMM, whose last bit depends on where
        # the weights sit in memory; the fast path's forward is exact).
        with torch.no_grad():
            torch.testing.assert_close(got.model(got.x_test), want.model(want.x_test),
                                       rtol=1e-6, atol=1e-7)
            assert torch.equal(got.fast.forward(got.x_test), want.fast.forward(want.x_test))


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


def stack_of(param: torch.Tensor, sizes: list[int], acts: list[str], head: str) -> Stack:
    shapes = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        shapes += [torch.Size((n_out, n_in)), torch.Size((n_out,))]
    return Stack(param, torch.zeros_like(param), shapes, acts, [ACT_FORWARD[a] for a in acts],
                 [ACT_BACKWARD[a] for a in acts], head)


@pytest.mark.parametrize("sizes,acts,head", [
    ([2, 8, 8, 1], ["tanh", "tanh"], "bce"),
    ([5, 64, 3], ["gelu"], "ce"),
    ([3, 9, 7, 2], ["sigmoid", "softplus"], "mse"),
])
@pytest.mark.parametrize("rows", [1, 7, 10, 200, 700])
def test_a_network_computes_the_same_in_any_batch(sizes, acts, head, rows):
    """Stack's forward and gradients for row k of K networks equal those of
    that network alone (K = 1), bit for bit: small products (bmm's plain
    loop), large ones (multiply and sum), chunked ones, and activations whose
    vector and scalar loops round apart."""
    gen = torch.Generator().manual_seed(rows)
    n_params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    k = 5
    param = torch.randn(k, n_params, generator=gen)
    x = torch.randn(k, rows, sizes[0], generator=gen)
    t = (torch.randint(0, sizes[-1], (k, rows), generator=gen) if head == "ce"
         else torch.rand(k, rows, sizes[-1], generator=gen))
    l1, l2 = [0.0, 0.01, 0.0, 0.0, 0.02], [0.0, 0.0, 0.03, 0.0, 0.01]
    many = stack_of(param, sizes, acts, head)
    many.penalties(l1, l2)
    many.gradients(x, t)
    z = many.forward(x)
    for r in range(k):
        one = stack_of(param[r : r + 1].clone(), sizes, acts, head)
        one.penalties([l1[r]], [l2[r]])
        one.gradients(x[r : r + 1].clone(), t[r : r + 1].clone())
        assert torch.equal(one.grad[0], many.grad[r]), r
        assert torch.equal(one.forward(x[r : r + 1].clone())[0], z[r]), r
