"""Getting the image data onto this server before training: MNIST and
Fashion-MNIST download once, with a progress bar, into the cache folder.
A link whose data set cannot be had, or whose stack cannot be built, opens
on one that works, with a note that says why (see images/fit.py)."""

from __future__ import annotations

import streamlit as st

from playground.data import idx
from playground.data.images import IMAGE_DATASETS
from playground.images import fit
from playground.images.spec import DATASET_SIZES
from playground.ui.classroom import LINK_ICON, page_query
from playground.ui.text import note_text, t

LINK_CHECKED = "img.link_checked"  # set once the session's first link was made trainable


def usable(dataset: str) -> bool:
    """True when `dataset` loads without a download: built in, or already cached.
    A set that is neither was tried when chosen (ensure_available) and failed."""
    return not IMAGE_DATASETS[dataset].download or idx.is_cached(dataset)


def download(dataset: str) -> idx.DataUnavailable | None:
    """Fetch `dataset` behind a progress bar; None when it is here now, else why not."""
    name = t(f"img.dataset.{dataset}")
    bar = st.progress(0.0, text=t("img.download.start", name=name))

    def progress(done: int, total: int) -> None:
        share = min(done / total, 1.0) if total else 0.0
        bar.progress(share, text=t("img.download.progress", name=name,
                                   mb=f"{done / 1e6:.1f}"))

    try:
        idx.fetch(dataset, progress=progress)
    except idx.DataUnavailable as exc:
        if exc.detail:
            print(f"download of {dataset} failed: {exc.detail}")  # server log
        return exc
    finally:
        bar.empty()
    return None


def ensure_available(dataset: str) -> bool:
    """True when `dataset` can be loaded now; downloads it first if needed.
    On failure the page shows why and what to do, and returns False."""
    if usable(dataset):
        return True
    failure = download(dataset)
    if failure is not None:
        st.error(t(f"img.download.{failure.reason}", name=t(f"img.dataset.{dataset}"),
                   folder=str(idx.cache_dir()), size=f"{DATASET_SIZES[dataset]:,}"),
                 icon=":material/cloud_off:")
        return False
    return True


def check_link(task, spec):
    """On the session's first run: the link's spec made trainable (a stack
    that fits its images, a data set that is here or can be downloaded), the
    session and the widgets given it, and a note for each change under the
    title, beside the link's other notes. Later runs return `spec` as it is."""
    if LINK_CHECKED in st.session_state:
        return spec
    st.session_state[LINK_CHECKED] = True
    fitted, notes = fit.fit_link(spec, page_query())
    if not usable(fitted.dataset) and download(fitted.dataset) is not None:
        fitted, more = fit.unavailable(fitted)
        notes += more
    if notes:
        st.session_state[task.spec_key] = fitted
        task.load(fitted)
        st.session_state[task.notes_key] = [*st.session_state.get(task.notes_key, []), *notes]
        for note in notes:  # page.start showed the others already
            st.warning(note_text(note), icon=LINK_ICON)
    return fitted
