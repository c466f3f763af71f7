"""The image page's handle on its training process.

Same process, pipe, commands and idle pause as the 2D Worker; the child runs
image_runner.serve_images and its messages become ImageSnapshots. Reports
(confusion matrix, mistakes, first layer) and feature maps arrive now and
then; a snapshot keeps the latest of each.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from playground.core.history import History
from playground.dense.worker import Worker
from playground.images.runner import serve_images
from playground.images.trainer import HISTORY_COLUMNS


@dataclass(frozen=True)
class ImageSnapshot:
    spec: object  # ImageExperiment
    status: str  # "paused", "running", "diverged", "finished" or "error"
    epoch: int
    step: int
    progress: float  # share of the current epoch done
    history: History  # append-only; rows [0, n) belong to this snapshot
    n: int
    samples_per_sec: float
    device: str
    info: dict  # classes, shape (C, H, W), sizes (train, val, test)
    report: dict | None  # latest test-set report, or None before the first
    fmaps: dict | None  # latest feature maps of the focused test example
    classified: tuple[int, np.ndarray] | None  # (request id, probabilities)
    message: str = ""  # divergence reason, stop rule, or error details
    version: int = 0

    def frame(self):
        return self.history.frame(self.n)


class ImageWorker(Worker):
    target = staticmethod(serve_images)

    def __init__(self, spec) -> None:
        self._requests = itertools.count(1)
        self._latest: dict = {"info": {}, "report": None, "fmaps": None, "classified": None}
        super().__init__(spec)

    def focus(self, index: int) -> None:
        """Show the feature maps of test example `index`."""
        self._send("focus", int(index))

    def classify(self, image: np.ndarray) -> int:
        """Ask for the probabilities of one image (C, H, W) in [0, 1]; the
        answer arrives in a later snapshot's `classified` under the returned id."""
        request_id = next(self._requests)
        self._send("classify", (request_id, np.asarray(image, np.float32)))
        return request_id

    def _accept(self, msg: dict) -> None:
        latest = self._latest
        if msg["run"] != self._run:
            self._run, self._history = msg["run"], History(HISTORY_COLUMNS)
            latest.update(report=None, fmaps=None)
        for key in ("info", "report", "fmaps", "classified"):
            if msg[key] is not None:
                latest[key] = msg[key]
        rows = msg["rows"]
        for i in range(len(rows["epoch"])):
            self._history.append(**{c: rows[c][i] for c in HISTORY_COLUMNS})
        self._version += 1
        snap = ImageSnapshot(
            spec=msg["spec"], status=msg["status"], epoch=msg["epoch"], step=msg["step"],
            progress=msg["progress"], history=self._history, n=len(self._history),
            samples_per_sec=msg["rate"], device=msg["device"], info=latest["info"],
            report=latest["report"], fmaps=latest["fmaps"], classified=latest["classified"],
            message=msg["detail"], version=self._version,
        )
        self._publish(snap, msg["synced"])
