"""core.pacing without processes: the scheduler's slots, queue and pace split
among stand-in members, the Pacer on a fake clock, and the server's defaults."""

from __future__ import annotations

import math

import pytest

from playground.core import pacing
from playground.core.pacing import Pacer, Scheduler


class Member:
    """A worker as the scheduler sees it: records what it was told."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.grants = 0
        self.shares: list[float] = []

    def granted(self) -> None:
        self.grants += 1

    def paced(self, share: float) -> None:
        self.shares.append(share)

    def __repr__(self) -> str:
        return self.name


def members(n: int) -> list[Member]:
    return [Member(f"m{i}") for i in range(n)]


# ---- slots and the queue -----------------------------------------------------------------
def test_slots_are_granted_then_queued_first_come_first_served():
    sched = Scheduler(slots=2, budget=1.5)
    a, b, c, d = members(4)
    assert sched.request(a) and sched.request(b)
    assert not sched.request(c) and not sched.request(d)
    assert not sched.request(c)  # asking again keeps its place
    assert [sched.standing(m).queued_ahead for m in (a, b, c, d)] == [None, None, 0, 1]
    assert sched.holds(a) and not sched.holds(c)

    sched.release(b)  # a slot frees: the queue's head takes it, and only it
    assert (c.grants, d.grants) == (1, 0)
    assert sched.holds(c) and sched.standing(d).queued_ahead == 0
    sched.release(a)
    assert d.grants == 1 and sched.holds(d)
    assert sched.standing(a).training == 2


def test_leaving_the_queue_keeps_the_others_order():
    sched = Scheduler(slots=1, budget=1.0)
    a, b, c, d = members(4)
    for m in (a, b, c, d):
        sched.request(m)
    sched.release(c)  # c presses Pause while waiting
    assert [sched.standing(m).queued_ahead for m in (b, d)] == [0, 1]
    assert sched.standing(c).queued_ahead is None and c.grants == 0
    sched.release(a)
    assert b.grants == 1 and d.grants == 0
    sched.release(c)  # releasing what it doesn't hold changes nothing
    assert sched.holds(b) and sched.standing(d).queued_ahead == 0


def test_a_newcomer_does_not_jump_the_queue():
    sched = Scheduler(slots=1, budget=1.0)
    a, b, c = members(3)
    sched.request(a)
    sched.request(b)
    sched.release(a)  # b takes the slot at once
    assert sched.holds(b)
    assert not sched.request(c)


# ---- the pace split ------------------------------------------------------------------------
def test_every_runner_gets_an_equal_share_whenever_their_number_changes():
    sched = Scheduler(slots=8, budget=1.5)
    a, b, c = members(3)
    sched.request(a)
    assert a.shares == [1.5]
    sched.request(b)
    sched.request(c)
    assert a.shares[-1] == b.shares[-1] == c.shares[-1] == pytest.approx(0.5)
    assert sched.share() == pytest.approx(0.5)
    sched.release(b)
    assert a.shares[-1] == c.shares[-1] == pytest.approx(0.75)
    assert b.shares[-1] == pytest.approx(0.5)  # not told again once it left
    assert sched.standing(c).share == pytest.approx(0.75)
    assert sched.standing(b).share == pytest.approx(0.5)  # what it would get if it played


def test_queued_members_get_no_pace_until_granted():
    sched = Scheduler(slots=1, budget=1.0)
    a, b = members(2)
    sched.request(a)
    sched.request(b)
    assert b.shares == []
    sched.release(a)
    assert b.shares == [1.0] and b.grants == 1


def test_starting_order():
    sched = Scheduler(slots=2, budget=1.0)
    a, b, c = members(3)
    for m in (a, b, c):
        sched.starting(m)
    assert [sched.standing(m).starting_ahead for m in (a, b, c)] == [0, 1, 2]
    sched.started(a)
    assert [sched.standing(m).starting_ahead for m in (a, b, c)] == [None, 0, 1]
    sched.forget(b)  # died before its first message
    assert sched.standing(c).starting_ahead == 0


# ---- the server's defaults -----------------------------------------------------------------
def test_default_slots_and_the_environment_override(caplog):
    assert pacing.default_slots(2.0, env={}) == 2 * pacing.SLOTS_PER_CORE
    assert pacing.default_slots(0.08, env={}) == 2  # a fraction of a core still trains two
    assert pacing.default_slots(2.0, env={pacing.SLOTS_ENV: " 5 "}) == 5
    for bad in ("0", "-3", "lots"):
        assert pacing.default_slots(2.0, env={pacing.SLOTS_ENV: bad}) == 20
    assert pacing.SLOTS_ENV in caplog.text


def test_the_budget_keeps_half_a_core_for_the_server():
    assert pacing.training_budget(2.0) == 1.5
    assert pacing.training_budget(1.0) == 0.5
    assert pacing.training_budget(0.5) == 0.25  # never all of a small share
    assert 0 < pacing.available_cores() <= 4096
    sched = pacing.shared()
    assert sched is pacing.shared() and sched.slots >= 2 and sched.budget > 0


# ---- the Pacer -----------------------------------------------------------------------------
class FakeTime:
    """A wall clock and a CPU clock the test moves by hand."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def work(self, seconds: float, cpu: float | None = None) -> None:
        self.wall += seconds
        self.cpu += seconds if cpu is None else cpu


def pacer(share=math.inf, per_sec=None) -> tuple[Pacer, FakeTime]:
    clock = FakeTime()
    return Pacer(share, per_sec, cpu=lambda: clock.cpu, clock=lambda: clock.wall), clock


def test_a_share_of_a_core_sleeps_the_rest():
    p, clock = pacer(share=0.25)
    clock.work(0.05)  # a slice at full CPU
    assert p.wait() == pytest.approx(0.15)  # 0.05 s of CPU takes 0.2 s of wall time
    clock.work(0.15, cpu=0.0)  # it slept
    clock.work(0.05)
    assert p.wait() == pytest.approx(0.15)


def test_a_starved_slice_owes_nothing_and_credit_is_bounded():
    p, clock = pacer(share=0.5)
    clock.work(0.1, cpu=0.02)  # the OS gave it little: no sleep owed
    assert p.wait() == 0.0
    clock.work(10.0, cpu=0.0)  # a long stall...
    p.wait()
    clock.work(1.0)  # ...buys at most CREDIT seconds of catching up
    assert p.wait() == pytest.approx(1.0 - pacing.CREDIT)


def test_an_epoch_cap_spaces_out_units():
    p, clock = pacer(per_sec=60)
    assert p.slice_units(0.05) == 3
    p.add(3)
    clock.work(0.01)
    assert p.wait() == pytest.approx(0.04)  # 3 epochs take 0.05 s at 60 a second
    unlimited, _ = pacer()
    assert unlimited.slice_units(0.05) is None and unlimited.wait() == 0.0
    slow, _ = pacer(per_sec=5)
    assert slow.slice_units(0.05) == 1  # always at least one unit a slice


def test_both_limits_the_stricter_wins_and_set_restarts():
    p, clock = pacer(share=0.5, per_sec=100)
    p.add(1)
    clock.work(0.02)  # 1 epoch allows 0.01 s; 0.02 s CPU at half a core needs 0.04 s
    assert p.wait() == pytest.approx(0.02)
    p.set(math.inf, None)  # full speed, alone
    clock.work(0.05)
    assert p.wait() == 0.0
