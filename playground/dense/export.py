"""Files a user downloads and loads back: weights, training history, settings.

Weights travel as safetensors: a JSON header and raw tensor bytes, nothing that
runs code when it is read (a pickle made by `torch.save` can). The header's
metadata says the file is ours and carries the settings it was trained with.

Everything that can go wrong with a file a user hands us raises `ExportError`
with a short `code` and plain `detail` values; the page turns those into a
message in the reader's language, never a traceback.
"""

from __future__ import annotations

import io
import json
import struct
from functools import partial

import pandas as pd
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

WEIGHTS_FORMAT = "nn-playground-weights"
# A safetensors file opens with the header's length (u64, little-endian) and
# the header itself (JSON). Ours are a few kilobytes; anything near this
# limit is not a file of ours.
MAX_HEADER = 16 * 1024 * 1024
# pandas 3 reads floats back exactly by default (and deprecates asking);
# pandas 2's default parser can be off in the last digit.
EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


class ExportError(ValueError):
    """A file that can't be used. `code` picks the message, `detail` fills it.

    Codes (detail keys):
      not_weights     (reason)          not a safetensors file: empty, garbage, a pickle
      not_ours        (format)          a safetensors file, but not saved by the playground
      shape_mismatch  (expected, got)   layer widths such as "2→8→8→1"
      bad_dtype       (tensor, dtype)   a tensor that isn't floating point
      not_finite      (tensor)          NaN or infinite values in the named tensor
      not_history     (reason)          not a history CSV (no epoch/step columns)
      onnx_missing    ()                the onnx / onnxscript packages aren't installed
    """

    def __init__(self, code: str, **detail) -> None:
        self.code = code
        self.detail = detail
        extra = ", ".join(f"{k}={v}" for k, v in detail.items())
        super().__init__(f"{code}: {extra}" if extra else code)

    def __reduce__(self):  # pickles with its keywords (Exception pickles only args)
        return (partial(ExportError, self.code, **self.detail), ())


# ---- weights ---------------------------------------------------------------------
def weights_bytes(model: nn.Module, spec) -> bytes:
    """The model's state_dict as safetensors, with the spec in the metadata."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return st_save(tensors, metadata={"format": WEIGHTS_FORMAT, "spec": spec.to_json()})


def load_weights(data: bytes, model: nn.Module) -> dict[str, torch.Tensor]:
    """Checked tensors from a weights file, ready for `model.load_state_dict`.

    `model` is the template the file must fit (same keys, same shapes); it is
    not changed. The tensors come back on the model's device and in its dtypes.
    Raises ExportError when the file isn't ours or doesn't fit.
    """
    _metadata(data)  # not_weights / not_ours
    try:
        tensors = st_load(bytes(data))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise ExportError("not_weights", reason=_short(exc)) from None

    expected = model.state_dict()
    same_keys = set(tensors) == set(expected)
    if not same_keys or any(tensors[k].shape != expected[k].shape for k in expected):
        raise ExportError(
            "shape_mismatch", expected=describe_widths(expected), got=describe_widths(tensors)
        )
    out = {}
    for key, ref in expected.items():
        t = tensors[key]
        if not t.is_floating_point():
            raise ExportError("bad_dtype", tensor=key, dtype=str(t.dtype).removeprefix("torch."))
        if not torch.isfinite(t).all():
            raise ExportError("not_finite", tensor=key)
        out[key] = t.to(device=ref.device, dtype=ref.dtype)
    return out


def weights_spec_json(data: bytes) -> str | None:
    """The settings (spec JSON) stored in a weights file; None if there are none."""
    try:
        meta = _metadata(data)
    except ExportError:
        return None
    spec = meta.get("spec")
    return spec if isinstance(spec, str) else None


def describe_widths(state: dict[str, torch.Tensor]) -> str:
    """Layer widths of a dense stack's state_dict: "2→8→8→1" (inputs first).

    Works on any keys shaped like nn.Sequential's ("0.weight", "2.bias", ...);
    for anything else, the number of tensors it holds.
    """
    weights = []
    for key, t in state.items():
        index, _, name = key.partition(".")
        if name == "weight" and index.isdigit() and t.dim() == 2:
            weights.append((int(index), t))
    if not weights:
        return f"{len(state)} tensors"
    weights.sort(key=lambda pair: pair[0])
    widths = [weights[0][1].shape[1], *(t.shape[0] for _, t in weights)]
    return "→".join(str(w) for w in widths)


def _metadata(data: bytes) -> dict[str, str]:
    """The header metadata of a safetensors file of ours, or ExportError."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) < 8:
        raise ExportError("not_weights", reason="empty" if not data else "too short")
    data = bytes(data)
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(MAX_HEADER, len(data) - 8):
        raise ExportError("not_weights", reason="no header")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ExportError("not_weights", reason="bad header") from None
    if not isinstance(header, dict):
        raise ExportError("not_weights", reason="bad header")
    meta = header.get("__metadata__")
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("format") != WEIGHTS_FORMAT:
        raise ExportError("not_ours", format=_short(meta.get("format", "")))
    return meta


def _short(value, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- history ---------------------------------------------------------------------
def history_csv(frame: pd.DataFrame) -> bytes:
    """The history table as UTF-8 CSV. Floats are written in full (shortest
    round-trip repr), so reading it back gives the same numbers."""
    return frame.to_csv(index=False).encode("utf-8")


def read_history_csv(data: bytes) -> pd.DataFrame:
    """A history CSV back into the frame it was written from.

    Columns that are empty all the way down (accuracy in a regression run)
    come back as None, as History.frame() holds them.
    """
    try:
        text = bytes(data).decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), **EXACT_FLOATS)
    except (UnicodeDecodeError, ValueError, TypeError, pd.errors.ParserError) as exc:
        raise ExportError("not_history", reason=_short(exc)) from None
    missing = [c for c in ("epoch", "step") if c not in frame.columns]
    if missing:
        raise ExportError("not_history", reason="missing " + ", ".join(missing))
    for c in ("epoch", "step"):
        if not pd.api.types.is_integer_dtype(frame[c]):
            raise ExportError("not_history", reason=f"{c} is not whole numbers")
    for c in frame.columns:
        if len(frame) and frame[c].isna().all():
            frame[c] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame


# ---- settings --------------------------------------------------------------------
def settings_json(spec) -> bytes:
    """The spec as a JSON file (Experiment.from_json / TableExperiment.from_json read it)."""
    return spec.to_json().encode("utf-8")
