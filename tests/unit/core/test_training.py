"""BaseTrainer: the bookkeeping both trainers share."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch

from playground.core.training import BaseTrainer


@dataclass(frozen=True)
class Spec:
    seed: int = 3
    lr: float = 0.1


class Tiny(BaseTrainer):
    def __init__(self, spec=Spec()):
        super().__init__(spec, torch.device("cpu"), ("epoch", "step", "train_loss", "test_loss",
                                                     "train_acc"))
        self.model = torch.nn.Linear(2, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=spec.lr, momentum=0.9)


def test_a_fresh_trainer_starts_at_zero_with_seeded_generators():
    a, b = Tiny(), Tiny(Spec(seed=4))
    assert (a.epoch, a.step, len(a.history), a.diverged) == (0, 0, 0, None)
    assert a.device == torch.device("cpu")
    first = torch.randperm(10, generator=a.shuffle_gen)
    assert torch.equal(first, torch.randperm(10, generator=torch.Generator().manual_seed(4)))
    assert torch.equal(torch.rand(3, generator=a.init_gen),
                       torch.rand(3, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(torch.rand(3, generator=b.init_gen),
                       torch.rand(3, generator=torch.Generator().manual_seed(4)))


def test_set_lr_changes_the_optimizer_and_the_spec_and_keeps_the_state():
    t = Tiny()
    t.model(torch.ones(4, 2)).sum().backward()
    t.optimizer.step()
    state = {k: v.clone() for k, v in t.optimizer.state[t.model.weight].items()}
    t.set_lr(0.5)
    assert [g["lr"] for g in t.optimizer.param_groups] == [0.5] and t.spec == Spec(lr=0.5)
    assert torch.equal(t.optimizer.state[t.model.weight]["momentum_buffer"],
                       state["momentum_buffer"])


@pytest.mark.parametrize(
    "train,test,reason",
    [(0.5, 0.4, None), (math.inf, 0.4, "inf"), (0.5, -math.inf, "inf"), (math.nan, 0.4, "nan"),
     (math.inf, math.nan, "nan"), (0.5, math.nan, "nan")],
)
def test_a_loss_that_is_no_longer_a_number_marks_divergence(train, test, reason):
    t = Tiny()
    t.epoch, t.step = 2, 7
    t.append_row(train_loss=train, test_loss=test, train_acc=None)  # acc: no loss, not checked
    assert t.diverged == reason
    assert t.history.cols["step"] == [7] and t.history.last("epoch") == 2
