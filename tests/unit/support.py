"""What the unit tests share: the CPU device, specs that must parse cleanly,
a trainer a few epochs in, image stacks from their text form, and waiting on
a training process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from playground.dense.spec import Experiment
from playground.dense.trainer import Trainer
from playground.images.layers import parse_layers

CPU = torch.device("cpu")


def spec_for(**kw) -> Experiment:
    """An Experiment from link-style values that must need no fixing."""
    spec, notes = Experiment.parse(kw)
    assert notes == [], notes
    return spec


def trained(spec: Experiment, epochs: int = 2, fast: bool = True) -> Trainer:
    """A trainer on the CPU after `epochs` epochs."""
    trainer = Trainer(spec, device=CPU, fast=fast)
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer


def layers(text: str):
    """An image layer stack from its link form, which must parse cleanly."""
    notes: list = []
    parsed = parse_layers(text, notes)
    assert not notes, notes
    return parsed


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll until predicate() is true; True if it became true in time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def settled(worker):
    """The snapshot once every command sent so far shows in it."""
    assert worker.wait_idle()
    return worker.snapshot()


def run_scripts(folder: Path, jobs: dict[str, tuple[str, list[str]]], timeout: float,
                env: dict[str, str] | None = None) -> dict[str, tuple[int, str]]:
    """Run generated scripts side by side, each as its own process in `folder`:
    {name: (source, argv)} -> {name: (exit code, output)}. Keras runs on the
    torch backend; a script still running after `timeout` seconds is killed."""
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONWARNINGS": "ignore", **(env or {})}
    procs = {}
    for name, (src, argv) in jobs.items():
        script = folder / f"run_{name}.py"  # not keras.py: that would shadow keras
        script.write_text(src, encoding="utf-8")
        procs[name] = subprocess.Popen(
            [sys.executable, str(script), *argv], cwd=folder, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
    results = {}
    try:
        for name, proc in procs.items():
            out, _ = proc.communicate(timeout=timeout)
            results[name] = (proc.returncode, out)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return results
