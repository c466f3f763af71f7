"""The image page's handle on its training process.

The child runs an ImageRunner; its messages become ImageSnapshots. Reports and
feature maps arrive now and then; a snapshot keeps the latest of each.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from playground.core.worker import BaseSnapshot, BaseWorker
from playground.images.runner import ImageMessage, ImageRunner


@dataclass(frozen=True, kw_only=True)
class ImageSnapshot(BaseSnapshot):
    progress: float  # share of the current epoch done
    samples_per_sec: float
    info: dict  # classes, shape (C, H, W), sizes (train, val, test)
    report: dict | None  # latest test-set report, or None before the first
    fmaps: dict | None  # latest feature maps of the focused test example
    classified: tuple[int, np.ndarray] | None  # (request id, probabilities)


class ImageWorker(BaseWorker):
    runner = ImageRunner

    def __init__(self, spec, **kw) -> None:
        self._requests = itertools.count(1)
        self._latest: dict = {"info": {}, "report": None, "fmaps": None, "classified": None}
        super().__init__(spec, **kw)  # wait=, scheduler=: see BaseWorker

    def focus(self, index: int) -> None:
        """Show the feature maps of test example `index`."""
        self._send("focus", int(index))

    def classify(self, image: np.ndarray) -> int:
        """Ask for the probabilities of one image (C, H, W) in [0, 1]; the
        answer arrives in a later snapshot's `classified` under the returned id."""
        request_id = next(self._requests)
        self._send("classify", (request_id, np.asarray(image, np.float32)))
        return request_id

    def _start_run(self) -> None:
        self._latest.update(report=None, fmaps=None)

    def _snapshot_from(self, msg: ImageMessage, common: dict) -> ImageSnapshot:
        if msg.state is not None:
            self._state = msg.state  # before the sync ids are published
        for key in self._latest:  # info, report, fmaps, classified: the latest of each
            if getattr(msg, key) is not None:
                self._latest[key] = getattr(msg, key)
        return ImageSnapshot(**common, progress=msg.progress, samples_per_sec=msg.rate,
                             **self._latest)
