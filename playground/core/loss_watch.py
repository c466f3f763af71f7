"""Watching the training loss for a learning rate that is too big.

A step that is far too big makes the loss explode (the trainer stops: it
diverged). One that is merely too big, with Adam or RMSprop, whose steps are
about `lr` whatever the gradient, keeps the loss bouncing at a high level
forever: Adam at lr 10 on the 2D page sits near 5, seven times where it
started, and nothing ever becomes NaN. `LossWatch` sees two signs of that,
each only once the best loss is `WINDOW` epochs old (the run stopped
improving), so a slow but steady run never triggers it:

- high: the last WINDOW epochs' mean gave back most of what training had won,
  (mean - best) >= GAVE_BACK * (start - best); at or above the start counts
  too, if visibly above the best (RISE of the start: a loss that never
  moved at all is a dead network, not a big step).
- swings: the loss goes up and down by, on average, SWING of its starting
  value per epoch, beyond what its net change over the window explains, and
  at least BIG_MOVES of the window's epochs move it by BIG of the start or
  more: a sustained swinging, not one spike (Adam on a loss near zero
  sometimes jumps once and comes back at once).

Thresholds from measurement: fine runs (the 2D page's defaults on all eight
data sets, two seeds, 1,000 epochs; every lesson setup and variant and
Adam at batch 1, 600 epochs) give back at most 0.40 and have at most 9 big
moves in a window; one spike swings 0.146 (circle, seed 2, epoch 1209).
Runs with a too-big rate (Adam 0.3 to 10, SGD 3 and 10, RMSprop 0.3 and 1,
Adagrad 10, SGD 0.3 at batch 1) give back 1.4 or more, swing 0.17 or more
with 19 big moves or more, and are caught between epochs 30 and 84
(Adam 10 and SGD 10: 30; SGD 3: 30 or 84, as chaotic runs go; RMSprop 1:
45; the lesson variant that kills its ReLUs with SGD at 1.0: 30). A slow
run (SGD or Adam at 0.001, or 1e-5) keeps finding new bests and is never
judged.

Each epoch costs O(1): running sums over a fixed-size window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

WINDOW = 30  # epochs: the recent stretch judged, and how old the best must be
GAVE_BACK = 0.75  # share of the progress (start - best) lost again: "high"
SWING = 0.15  # mean up-and-down movement per epoch, as a share of the start: "swings"
BIG = 0.1  # a big move: at least this share of the start in one epoch
BIG_MOVES = 12  # big moves in the window for "swings"
RISE = 0.02  # "high" needs the mean at least this share of the start above the best
# A typical good rate for each optimizer on these small networks: the
# suggestion is the smaller of it and a tenth of the current rate.
TYPICAL_LR = {"adam": 0.01, "adamw": 0.01, "rmsprop": 0.01, "sgd": 0.1, "adagrad": 0.1}


@dataclass(frozen=True)
class LossWarning:
    """What the page says: why (`kind` "high" or "swings"), the numbers, and what to try."""

    kind: str
    loss: float  # the recent window's mean training loss
    best: float  # the lowest training loss so far
    start: float  # the training loss before the first step
    low: float  # the window's lowest and highest loss (the swings)
    high: float
    lr: float
    optimizer: str
    suggest: float  # a learning rate to try


def suggest_lr(lr: float, optimizer: str) -> float:
    """A smaller rate to try, rounded down to 1 or 3 times a power of ten."""
    target = min(lr / 10, TYPICAL_LR.get(optimizer, 0.01))
    power = 10.0 ** math.floor(math.log10(target))
    return round(3 * power if target >= 3 * power else power, 12)


class LossWatch:
    """Fed one training loss per epoch; `warning` says whether the rate looks too big."""

    def __init__(self, start: float | None = None) -> None:
        """`start`: the loss that sets the scale, when it is not the first
        one added (a new rate mid-run is judged against the run's start)."""
        self.start = start
        self.best = math.inf
        self.since_best = 0  # epochs since the best loss
        self.values: deque[float] = deque(maxlen=WINDOW + 1)  # the window and the one before
        self.total = 0.0  # sum of the last WINDOW values
        self.moves: deque[float] = deque(maxlen=WINDOW)  # |change| between neighbours
        self.moved = 0.0  # their sum
        self.big = 0  # how many of them are big moves
        self.count = 0
        self.kind = ""  # the latest sign seen: "high" or "swings"
        self.firing = False
        self.quiet = 0  # epochs in a row without either sign, while firing

    def add(self, loss: float) -> bool:
        """Take an epoch's training loss; True while the warning holds. A
        warning clears only after WINDOW quiet epochs, so it doesn't flicker."""
        if not math.isfinite(loss):
            return self.firing
        if self.start is None:
            self.start = loss
        if loss < self.best:
            self.best, self.since_best = loss, 0
        else:
            self.since_best += 1
        if len(self.values) == self.values.maxlen:
            self.total -= self.values[1]  # leaves the window (values[0] is the one before it)
        elif len(self.values) == WINDOW:
            self.total -= self.values[0]
        if self.values:
            if len(self.moves) == self.moves.maxlen:
                self.moved -= self.moves[0]
                self.big -= self.moves[0] >= BIG * self.start
            self.moves.append(abs(loss - self.values[-1]))
            self.moved += self.moves[-1]
            self.big += self.moves[-1] >= BIG * self.start
        self.values.append(loss)
        self.total += loss
        self.count += 1
        if self.count % WINDOW == 0:  # running sums drift: start them afresh now and then
            self.total, self.moved = sum(list(self.values)[-WINDOW:]), sum(self.moves)
        sign = self.sign()
        if sign:
            self.kind, self.firing, self.quiet = sign, True, 0
        elif self.firing:
            self.quiet += 1
            self.firing = self.quiet < WINDOW
        return self.firing

    @property
    def mean(self) -> float:
        """The last WINDOW epochs' mean loss."""
        return self.total / min(len(self.values), WINDOW)

    def sign(self) -> str:
        """"high", "swings" or "" for the current window."""
        if len(self.moves) < WINDOW or self.since_best < WINDOW or not self.start:
            return ""
        rise = self.mean - self.best
        if rise >= GAVE_BACK * (self.start - self.best) and rise >= RISE * self.start:
            return "high"
        net = abs(self.values[-1] - self.values[0])
        swinging = (self.moved - net) / WINDOW >= SWING * self.start
        return "swings" if swinging and self.big >= BIG_MOVES else ""

    def warning(self, lr: float, optimizer: str) -> LossWarning | None:
        if not self.firing or self.start is None:
            return None
        window = list(self.values)[-WINDOW:]
        return LossWarning(self.kind, self.mean, self.best, self.start,
                           min(window), max(window), lr, optimizer, suggest_lr(lr, optimizer))
