"""Files a user downloads and loads back: weights, training history, settings.

Weights travel as safetensors (a JSON header and raw tensor bytes: reading one
runs no code, unlike a `torch.save` pickle), with our format name and the
settings in its metadata. A file that can't be used raises `ExportError`,
which the page shows as a message in the reader's language, never a traceback.
"""

from __future__ import annotations

import io
import json
from functools import partial

import pandas as pd
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from playground.core.fields import short

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
    """Checked tensors from a weights file, ready for `model.load_state_dict`:
    on the device and in the dtypes of `model`, the template the file must fit
    (same keys, same shapes; it is not changed). ExportError when it doesn't."""
    _metadata(data)  # not_weights / not_ours
    try:
        tensors = st_load(bytes(data))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise ExportError("not_weights", reason=short(exc, 60)) from None

    expected = model.state_dict()
    if {k: t.shape for k, t in tensors.items()} != {k: t.shape for k, t in expected.items()}:
        raise ExportError("shape_mismatch", expected=describe_widths(expected),
                          got=describe_widths(tensors))
    out = {}
    for key, ref in expected.items():
        t = tensors[key]
        # Weights are floats; a counter (batch norm's batches seen) is a whole number.
        if t.is_floating_point() != ref.is_floating_point():
            raise ExportError("bad_dtype", tensor=key, dtype=str(t.dtype).removeprefix("torch."))
        if t.is_floating_point() and not torch.isfinite(t).all():
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
    """Layer widths of a dense stack's state_dict: "2→8→8→1" (inputs first),
    from keys shaped like nn.Sequential's ("0.weight"); else its tensor count."""
    weights = {}
    for key, t in state.items():
        index, _, name = key.partition(".")
        if name == "weight" and index.isdigit() and t.dim() == 2:
            weights[int(index)] = t
    if not weights:
        return f"{len(state)} tensors"
    ordered = [weights[i] for i in sorted(weights)]
    return "→".join(map(str, [ordered[0].shape[1], *(t.shape[0] for t in ordered)]))


def _metadata(data: bytes) -> dict[str, str]:
    """The header metadata of a safetensors file of ours, or ExportError."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) < 8:
        raise ExportError("not_weights", reason="empty" if not data else "too short")
    data = bytes(data)
    size = int.from_bytes(data[:8], "little")  # u64
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
        raise ExportError("not_ours", format=short(meta.get("format", ""), 60))
    return meta


# ---- history ---------------------------------------------------------------------
def history_csv(frame: pd.DataFrame) -> bytes:
    """The history table as UTF-8 CSV. Floats are written in full (shortest
    round-trip repr), so reading it back gives the same numbers."""
    return frame.to_csv(index=False).encode("utf-8")


def read_history_csv(data: bytes) -> pd.DataFrame:
    """A history CSV back into the frame it was written from. Columns empty all
    the way down (accuracy in a regression run) come back as None, as in History."""
    try:
        text = bytes(data).decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), **EXACT_FLOATS)
    except (UnicodeDecodeError, ValueError, TypeError, pd.errors.ParserError) as exc:
        raise ExportError("not_history", reason=short(exc, 60)) from None
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
