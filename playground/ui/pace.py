"""What the page says about its training's place on the server (core/pacing.py):
starting behind other sessions, waiting for a training slot, or how fast it
trains and why; and the "Full speed" switch."""

from __future__ import annotations

import time

import streamlit as st

from playground.core.worker import BaseWorker as Worker
from playground.ui.text import t

FULL_SPEED_KEY = "pace.full_speed"


def wait_started(worker: Worker) -> bool:
    """Block until the worker's process sent its first snapshot, saying how
    many sessions start ahead of this one. False if the process died first
    (the page shows a plain message; its next run starts a new one)."""
    box = st.empty()
    while not worker.wait_started(0.5):
        if not worker.alive:
            box.empty()
            return False
        ahead = worker.standing().starting_ahead or 0
        box.info(t("pace.starting", ahead=ahead) if ahead else t("status.starting"),
                 icon=":material/hourglass_top:")
        time.sleep(0.05)  # a dead process returns at once: don't spin while it exits
    box.empty()
    return True


def status_line(worker: Worker, snap) -> None:
    """The "Full speed" switch (for a task with an epochs-per-second cap), then,
    while the run trains, how fast and why; while it waits for a slot, how
    many sessions are ahead."""
    cap = worker.runner.max_per_sec
    if cap is not None:
        full = st.toggle(t("pace.full_speed"), key=FULL_SPEED_KEY,
                         help=t("pace.full_speed_help", cap=f"{cap:g}"))
        worker.set_full_speed(full)
    if snap.status != "running":
        return
    standing = worker.standing()
    if standing.queued_ahead is not None:
        ahead = standing.queued_ahead
        text = (t("pace.queued", ahead=ahead, slots=standing.slots) if ahead
                else t("pace.queued_next", slots=standing.slots))
        st.info(text, icon=":material/hourglass_top:")
        return
    rate = f"{snap.epochs_per_sec:,.0f}" if snap.epochs_per_sec >= 10 else (
        f"{snap.epochs_per_sec:.2g}")
    if cap is None:
        parts = [t("pace.rate", rate=rate)]
    elif worker.full_speed:
        parts = [t("pace.full", rate=rate)]
    else:
        parts = [t("pace.capped", rate=rate, cap=f"{cap:g}")]
    if standing.training > 1:
        parts.append(t("pace.shared", n=standing.training, share=f"{min(standing.share, 1):.2f}"))
    st.caption(" ".join(parts))
