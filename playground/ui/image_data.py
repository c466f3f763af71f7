"""Getting the image data onto this server before training: MNIST and
Fashion-MNIST download once, with a progress bar, into the cache folder."""

from __future__ import annotations

import streamlit as st

from playground.data import idx
from playground.images.spec import DATASET_SIZES
from playground.ui.text import t


def ensure_available(dataset: str) -> bool:
    """True when `dataset` can be loaded now; downloads it first if needed.
    On failure the page shows why and what to do, and returns False."""
    if dataset not in idx.SOURCES or idx.is_cached(dataset):
        return True
    name = t(f"img.dataset.{dataset}")
    bar = st.progress(0.0, text=t("img.download.start", name=name))

    def progress(done: int, total: int) -> None:
        share = min(done / total, 1.0) if total else 0.0
        bar.progress(share, text=t("img.download.progress", name=name,
                                   mb=f"{done / 1e6:.1f}"))

    try:
        idx.fetch(dataset, progress=progress)
    except idx.DataUnavailable as exc:
        bar.empty()
        st.error(t(f"img.download.{exc.reason}", name=name, folder=str(idx.cache_dir()),
                   size=f"{DATASET_SIZES[dataset]:,}"), icon=":material/cloud_off:")
        if exc.detail:
            print(f"download of {dataset} failed: {exc.detail}")  # server log
        return False
    bar.empty()
    return True
