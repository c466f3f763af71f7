"""Seconds per epoch of the image engine, against plain PyTorch and Keras 3.

Run from the repository root:

    python tests/bench/bench_images.py             # "mlp512" vs PyTorch vs Keras
    python tests/bench/bench_images.py --cnn --n 10000   # "cnn" vs PyTorch
    python tests/bench/bench_images.py --mnist     # real MNIST, when it is cached

Not a test (pytest collects test_*.py only): it prints ratios and never asserts
on times. Each contender trains one warm-up epoch, then the contenders take
turns for three timed epochs each; the median counts. Data: sklearn's 8x8
digits upsampled to 28x28 with noise, tiled to --n training images (MNIST
cannot be downloaded everywhere), plus n/10 validation images. The engine's
epochs include its validation pass; the plain loop and Keras evaluate nothing.
Keras is optional: `pip install keras` (the torch backend is used).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["KERAS_BACKEND"] = "torch"  # before keras is ever imported

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from playground.data.images import ImageSplits, load_images, pixel_stats  # noqa: E402
from playground.images.presets import apply_preset  # noqa: E402
from playground.images.spec import ImageExperiment  # noqa: E402
from playground.images.trainer import ImageTrainer  # noqa: E402

ROUNDS = 3
APP_THREADS = max(1, min(4, (os.cpu_count() or 2) - 1))  # as ImageRunner.threads


# ---- data ---------------------------------------------------------------------
def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 1, 28, 28) in [0, 1]: upsampled 8x8 digits, tiled, with noise."""
    digits = load_images("digits")
    small = torch.from_numpy(digits.x)  # (1797, 1, 8, 8)
    big = F.interpolate(small, size=(28, 28), mode="bilinear", align_corners=False).numpy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(big), n)
    x = big[idx] + rng.normal(0.0, 0.15, (n, 1, 28, 28)).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32), digits.y[idx]


def make_splits(n: int, mnist: bool) -> tuple[ImageSplits, str]:
    n_val = max(1, n // 10)
    if mnist:
        from playground.data import idx

        if idx.is_cached("mnist"):
            images = load_images("mnist")
            x, y, what = images.x[: n + n_val], images.y[: n + n_val], "MNIST (cached)"
            n = min(n, len(x) - n_val)
        else:
            print("  MNIST is not cached here: using synthetic data instead")
            mnist = False
    if not mnist:
        x, y = synthetic(n + n_val)
        what = "synthetic: sklearn 8x8 digits upsampled to 28x28 + noise, tiled"
    mean, std = pixel_stats(x[:n])
    x = ((x - mean) / std).astype(np.float32)
    splits = ImageSplits(x[:n], y[:n], x[n:], y[n:], x[n:], y[n:],
                         tuple(str(d) for d in range(10)), mean, std)
    return splits, f"{what}; {n:,} train + {len(x) - n:,} val images"


# ---- contenders ------------------------------------------------------------------
def engine(spec: ImageExperiment, splits: ImageSplits, device: torch.device):
    trainer = ImageTrainer(spec, splits, device)
    return trainer.train_epoch, trainer


def plain_model(preset: str) -> nn.Module:
    if preset == "mlp512":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip


def plain(spec: ImageExperiment, splits: ImageSplits, device: torch.device):
    """The tutorial loop: DataLoader(TensorDataset), zero_grad, backward, step."""
    model = plain_model(spec.preset).to(device)
    params = model.parameters()
    if spec.optimizer == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=spec.lr)
    else:
        opt = torch.optim.Adam(params, lr=spec.lr)
    data = TensorDataset(torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train))
    loader = DataLoader(data, batch_size=spec.batch_size, shuffle=True)

    def epoch() -> None:
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch, model


def keras_fit(spec: ImageExperiment, splits: ImageSplits, device: torch.device):
    import keras

    model = keras.Sequential([
        keras.Input((28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=spec.lr),
                  loss="sparse_categorical_crossentropy")
    x, y = splits.x_train[:, 0], splits.y_train  # (N, 28, 28), (N,)

    def epoch() -> None:
        model.fit(x, y, batch_size=spec.batch_size, epochs=1, verbose=0)

    return epoch, model


def n_params(obj) -> int:
    if isinstance(obj, ImageTrainer):
        obj = obj.model
    if isinstance(obj, nn.Module):
        return sum(p.numel() for p in obj.parameters())
    return obj.count_params()  # keras


# ---- timing ----------------------------------------------------------------------
def time_epochs(contenders: dict, threads: int) -> dict[str, float]:
    """Warm-up epoch each, then ROUNDS turns of one epoch each: median seconds."""
    torch.set_num_threads(threads)
    for epoch in contenders.values():
        epoch()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        for name, epoch in contenders.items():
            start = time.perf_counter()
            epoch()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def report(secs: dict[str, float], threads: int) -> None:
    print(f"\n  torch.set_num_threads({threads})")
    for name, s in secs.items():
        print(f"    {name:<14} {s:7.3f} s/epoch")
    ours = secs["ours"]
    targets = {"plain PyTorch": 1.0, "Keras": 0.5}
    for name, target in targets.items():
        if name in secs:
            ratio = ours / secs[name]
            verdict = "ok" if ratio <= target else "ABOVE TARGET"
            print(f"    ours / {name:<13} {ratio:5.2f}  (target <= {target:g}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnn", action="store_true", help='time the "cnn" preset instead')
    parser.add_argument("--n", type=int, default=60_000, help="training images")
    parser.add_argument("--mnist", action="store_true", help="real MNIST, when cached")
    args = parser.parse_args()

    preset = "cnn" if args.cnn else "mlp512"
    spec = apply_preset(ImageExperiment(dataset="mnist", subset=70_000, max_epochs=200), preset)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"bench_images: preset {preset!r} ({spec.optimizer}, lr {spec.lr:g}, "
          f"batch {spec.batch_size}), one epoch")
    splits, what = make_splits(args.n, args.mnist)
    print(f"  data: {what}")
    print(f"  torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else "")
          + f", default threads {torch.get_num_threads()}, app threads {APP_THREADS}")

    builders = {"ours": engine, "plain PyTorch": plain}
    if not args.cnn:
        try:
            import keras

            builders["Keras"] = keras_fit
            print(f"  keras {keras.__version__} (backend {keras.backend.backend()})")
        except ImportError:
            print("  Keras: skipped (not installed; `pip install keras` to include it)")

    default_threads = torch.get_num_threads()
    settings = [APP_THREADS] + ([default_threads] if default_threads != APP_THREADS else [])
    start = time.perf_counter()
    for threads in settings:
        torch.set_num_threads(threads)
        built = {name: build(spec, splits, device) for name, build in builders.items()}
        if threads == settings[0]:
            counts = ", ".join(f"{name} {n_params(m):,}" for name, (_, m) in built.items())
            print(f"  parameters: {counts}")
        report(time_epochs({name: fn for name, (fn, _) in built.items()}, threads), threads)
        trainer = built["ours"][1]
        t0 = time.perf_counter()
        trainer.evaluate(trainer.x_val, trainer.y_val)
        print(f"    (ours includes its validation pass: {time.perf_counter() - t0:.3f} s)")
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
