"""The real ImageWorker: a child training process driven through a pipe.

The `worker_registry` fixture (tests/conftest.py) stops every worker a test
starts, even when the test fails.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from support import settled, wait_for

from playground.images.spec import ImageExperiment
from playground.images.worker import ImageSnapshot, ImageWorker

DIGITS = ImageExperiment(max_epochs=200)  # the dense default on the 8x8 digits


@pytest.fixture
def worker(worker_registry) -> ImageWorker:
    return ImageWorker(DIGITS)


def test_starts_paused_with_its_data(worker):
    snap = worker.snapshot()
    assert isinstance(snap, ImageSnapshot) and worker.alive
    assert (snap.status, snap.epoch, snap.step, snap.n) == ("paused", 0, 0, 1)
    assert snap.spec == DIGITS
    assert snap.info["shape"] == (1, 8, 8)
    assert snap.info["sizes"] == (DIGITS.n_train, DIGITS.n_val, DIGITS.n_test)
    assert list(snap.frame()["epoch"]) == [0]


def test_play_trains_pause_holds_and_the_snapshot_reports(worker):
    worker.play()
    assert wait_for(lambda: worker.snapshot().epoch >= 2), worker.snapshot().status
    assert worker.snapshot().status == "running"
    worker.pause()
    snap = settled(worker)
    assert snap.status == "paused" and snap.samples_per_sec == 0.0
    time.sleep(0.4)
    later = worker.snapshot()
    assert (later.epoch, later.step, later.n) == (snap.epoch, snap.step, snap.n)

    frame = later.frame()
    assert list(frame["epoch"]) == list(range(later.epoch + 1))  # one row per epoch, in order
    assert frame["train_loss"].iloc[-1] < frame["train_loss"].iloc[0]
    report = later.report
    assert report is not None and report["step"] == later.step  # the model as it is now
    assert report["cm"].sum() == DIGITS.n_test
    mistakes = report["mistakes"]
    assert (mistakes["pred"] != mistakes["true"]).all()
    assert report["first_layer"][0] == "dense"


def test_step_adds_one_epoch(worker):
    # An epoch takes several training slices: the step is acknowledged (wait_idle)
    # before it is done, so wait for the pause it ends with.
    worker.step()
    assert worker.wait_idle()
    assert wait_for(lambda: worker.snapshot().epoch >= 1 and worker.snapshot().status == "paused")
    snap = worker.snapshot()
    assert (snap.epoch, snap.status, snap.n, snap.progress) == (1, "paused", 2, 0.0)
    time.sleep(0.3)
    assert worker.snapshot().epoch == 1  # and stays there


def test_classify_answers_its_request(worker):
    worker.step()
    image = np.zeros((1, 8, 8), np.float32)
    image[0, 1:7, 3:5] = 1.0  # a one
    request = worker.classify(image)
    assert worker.wait_idle()
    request_id, probs = worker.snapshot().classified
    assert request_id == request
    assert probs.shape == (10,) and (probs >= 0).all()
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert worker.classify(image) == request + 1  # every request has its own id


def test_stop_ends_the_process(worker):
    proc = worker._proc
    assert proc.is_alive()
    worker.stop()
    assert not proc.is_alive()
    assert proc.exitcode is not None
    worker.stop()  # idempotent
