"""A CSV the user uploads -> a checked table -> the network's (N, F) inputs.

The bytes come from a stranger's browser: every way a file can be broken ends
as a `TableError` (never a pandas traceback, never a hang), every surprise we
can live with as a `TableNote`; the page translates their codes. The size, the
separator and the header are checked before pandas reads the whole file.

Codes, with their detail keys (the translation tables key on them, keep them
stable):
  errors: too_big(size_mb, limit_mb), empty, not_csv(looks: absent, or "json",
    "markup" or "spreadsheet" when the file is one), not_utf8(line), header_only,
    ragged(line, expected, found), duplicate_columns(columns),
    too_many_columns(count, limit), no_numeric (looks "one_column", column: the
    file has one column), unknown_column(column),
    target_empty(column), feature_empty(column), no_features,
    not_numeric_target(column), too_few_rows(rows), few_rows(rows, need),
    one_column(column), single_class(column, value),
    too_many_classes(column, count, limit), too_many_categories(column, count, limit)
  notes: delimiter(sep), unnamed_columns(columns), sampled(rows, kept),
    infinite(columns, count), empty_columns(columns), decimal_comma(columns),
    dropped_rows(rows, kept), imputed(cells, columns), constant(columns),
    constant_target(column)
  left out of the inputs (`left_out`): left_id(columns),
    left_categories(columns, limit), left_constant(columns), left_row_number(columns)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from playground.data.dataset import Dataset, stratified_split

MAX_BYTES = 50 * 2**20  # bigger uploads are refused ("too_big")
MAX_COLUMNS = 200  # more columns are refused ("too_many_columns")
MAX_ROWS = 20_000  # more rows are sampled down to this (seeded), with a "sampled" note
MAX_CATEGORIES = 20  # a categorical *feature* with more distinct values is refused
MAX_CLASSES = 20  # a classification target with more classes is refused
# Network inputs after one-hot encoding: 20,000 rows of 500 float32 inputs
# are 40 MB, which a small cloud instance can hold beside torch.
MAX_INPUTS = 500

SEPARATORS = (",", ";", "\t", "|")  # sniffed in this order; the first wins a tie
HEAD_LINES = 50  # lines sniffed for the separator and checked for ragged rows
HEAD_CHARS = 2**20  # ... but never more text than this
# Files that are certainly not text: PNG, GIF, JPEG, PDF, zip (xlsx too), gzip, OLE (xls).
BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b",
                b"\xd0\xcf\x11\xe0")  # fmt: skip
# Of those, a workbook (xlsx and ods are zip files, xls an OLE file): "save it as CSV".
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
MARKUP_STARTS = ("<!doctype", "<html", "<?xml", "<table", "<svg")  # a web page saved as .csv
JSON_START = re.compile(r'\s*(\[\s*)?\{\s*"')  # [{"key" or {"key: records or an object
MIN_ROWS = 4  # fewer rows cannot be split into training and test rows worth the name
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Missing-value spellings pandas knows, found again after stripping spaces (" NA "), plus
# the "?" of many teaching data sets (UCI).
MISSING = ["", "?", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "NULL", "null", "None", "#N/A",
           "<NA>"]  # fmt: skip
PANDAS_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


class TableError(ValueError):
    """The file or the choice cannot be used; `code` names why, `detail` fills the message."""

    def __init__(self, code: str, **detail):
        super().__init__(f"{code} {detail}" if detail else code)
        self.code = code
        self.detail = detail  # str/int values only

    def __reduce__(self):  # survive pickling (Exception pickles args, not keywords)
        return (partial(TableError, self.code, **self.detail), ())


@dataclass(frozen=True)
class TableNote:
    """Something the user should know that does not stop them."""

    code: str
    detail: dict = field(default_factory=dict)  # str/int values

    def __hash__(self):  # the dataclass's own would hash the dict, which cannot be hashed
        return hash((self.code, frozenset(self.detail.items())))


@dataclass(frozen=True, eq=False)
class Table:
    frame: pd.DataFrame  # the rows kept (at most max_rows), columns in file order
    name: str  # the uploaded file name
    digest: str  # first 16 hex of sha256 of the uploaded bytes (identifies the data)
    delimiter: str  # ",", ";", "\t" or "|"
    n_rows: int  # data rows in the file (before sampling)
    notes: tuple[TableNote, ...]
    kinds: dict[str, str]  # column -> "numeric" (float64) | "categorical" (str) | "empty"


@dataclass(frozen=True, eq=False)
class Prepared:
    x: np.ndarray  # (N, F) float32: numeric columns standardised, categorical ones one-hot
    y: np.ndarray  # (N,) int64 class index, or float32 standardised regression target
    feature_names: tuple[str, ...]  # F encoded names: "age", "colour=red", ...
    source_features: tuple[str, ...]  # the chosen columns, in table order
    target: str
    problem: str  # "binary", "multiclass" or "regression"
    class_names: tuple[str, ...]  # class index -> original value; () for regression
    mean: np.ndarray  # (F,) float64 subtracted from each column (0 for one-hot)
    std: np.ndarray  # (F,) float64 each column was divided by (1 for one-hot and constant)
    y_mean: float  # regression target's mean and std (0.0 and 1.0 for classification)
    y_std: float
    n_dropped: int  # rows dropped for missing values
    n_imputed: int  # cells filled
    notes: tuple[TableNote, ...]


def _names(columns) -> str:
    return ", ".join(str(c) for c in columns)


# ---------------------------------------------------------------- reading


def read_table(data: bytes, name: str = "data.csv", *, max_rows: int = MAX_ROWS,
               seed: int = 0) -> Table:  # fmt: skip
    """Uploaded bytes -> Table, or a TableError saying what is wrong with them.

    A table must be trainable: it needs a numeric column, or else at least two
    non-empty columns of which one is categorical with at most MAX_CATEGORIES
    values (a feature to one-hot); otherwise "no_numeric". Columns without any
    value are kept as kind "empty" (never a target or feature).
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, not {max_rows}")
    if len(data) > MAX_BYTES:
        raise TableError("too_big", size_mb=math.ceil(len(data) / 2**20),
                         limit_mb=MAX_BYTES // 2**20)  # fmt: skip
    digest = hashlib.sha256(data).hexdigest()[:16]
    text = _decode(data)
    if not text.strip():
        raise TableError("empty")
    _refuse_other_formats(text)
    if "\r" in text:  # Windows and old Mac line ends: one "\n" per line from here on
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    notes = []
    sep, header = _sniff(text)
    if sep != ",":
        notes.append(TableNote("delimiter", {"sep": sep}))
    names = _column_names(header, notes)
    frame = _parse(text, sep, names)
    n_rows = len(frame)
    if n_rows == 0:
        raise TableError("header_only")
    if n_rows > max_rows:  # a seeded sample, file order kept
        keep = np.sort(np.random.default_rng(seed).choice(n_rows, max_rows, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
        notes.append(TableNote("sampled", {"rows": n_rows, "kept": max_rows}))
    frame, kinds = _classify(frame, sep, notes)
    _check_trainable(frame, kinds)
    return Table(frame, name, digest, sep, n_rows, tuple(notes), kinds)


def _decode(data: bytes) -> str:
    """Bytes -> text, refusing binary files and anything but UTF-8 (a BOM is dropped)."""
    if data.startswith(UTF16_BOMS):  # Excel's "Unicode text": readable, but not UTF-8
        raise TableError("not_utf8", line=1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:8192]
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if data.startswith(SPREADSHEET_MAGIC):
        raise TableError("not_csv", looks="spreadsheet")
    if data.startswith(BINARY_MAGIC) or b"\x00" in head or controls > len(head) // 100:
        raise TableError("not_csv")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TableError("not_utf8", line=data.count(b"\n", 0, error.start) + 1) from None


def _refuse_other_formats(text: str) -> None:
    """JSON and HTML are text too, and a CSV reader reads them as a header
    with odd column names: "not_csv", saying what the file looks like."""
    start = text.lstrip()[:HEAD_CHARS]
    if JSON_START.match(start) or (start[:1] in ("{", "[") and any(
            _is_json(part) for part in (start.split("\n", 1)[0], start))):  # JSON lines, JSON
        raise TableError("not_csv", looks="json")
    if start[:16].lower().startswith(MARKUP_STARTS):
        raise TableError("not_csv", looks="markup")


def _is_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (dict, list))
    except ValueError:
        return False


def _records(head: str, sep: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the non-blank records csv can read from head."""
    out = []
    reader = csv.reader(io.StringIO(head), delimiter=sep)
    try:
        for fields in reader:
            if fields:
                out.append((reader.line_num, fields))
    except csv.Error:  # an unclosed quote or a giant field: judge on what came before
        pass
    return out


def _sniff(text: str) -> tuple[str, list[str]]:
    """The separator and the header fields, from the first HEAD_LINES lines.

    The separator is the one that splits the header into the most consistent
    rows; if none splits the header, the file has one column (and a separator
    found in the data rows makes them ragged). Rows of the head with more
    fields than the header are refused here: pandas would silently read the
    first such row as an index.
    """
    head = text[:HEAD_CHARS]
    lines = head.split("\n")
    if len(lines) > HEAD_LINES:
        head = "\n".join(lines[:HEAD_LINES]) + "\n"
    elif len(text) > HEAD_CHARS and len(lines) > 1:  # a cut line is left out, not the header
        head = head[: head.rindex("\n") + 1]
    best, best_score, best_rows = ",", None, []
    for rank, sep in enumerate(SEPARATORS):
        rows = _records(head, sep)
        if not rows:
            continue
        width, body = len(rows[0][1]), rows[1:]
        if width > 1:
            score = (1, sum(len(f) == width for _, f in body) / max(len(body), 1), width, -rank)
        else:
            score = (0, sum(len(f) > 1 for _, f in body), 0, -rank)
        if best_score is None or score > best_score:
            best, best_score, best_rows = sep, score, rows
    if not best_rows:
        raise TableError("not_csv")
    header = best_rows[0][1]
    if len(header) > MAX_COLUMNS:
        raise TableError("too_many_columns", count=len(header), limit=MAX_COLUMNS)
    for line, fields in best_rows[1:]:
        if len(fields) > len(header):
            raise TableError("ragged", line=line, expected=len(header), found=len(fields))
    return best, header


def _column_names(header: list[str], notes: list[TableNote]) -> list[str]:
    """Stripped header names; duplicates refused, blank names become "column_<position>"."""
    names = [h.strip() for h in header]
    # Named twice or more, in the order of their second appearance.
    twice = dict.fromkeys(n for i, n in enumerate(names) if n and n in names[:i])
    if twice:
        raise TableError("duplicate_columns", columns=_names(twice))
    seen, unnamed = set(names), []
    for i, n in enumerate(names):
        if not n:
            new = f"column_{i + 1}"
            while new in seen:
                new += "_"
            names[i] = new
            seen.add(new)
            unnamed.append(new)
    if unnamed:
        notes.append(TableNote("unnamed_columns", {"columns": _names(unnamed)}))
    return names


def _parse(text: str, sep: str, names: list[str]) -> pd.DataFrame:
    """pandas' C parser over the whole text; its failures become TableErrors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the first row's width was checked by _sniff
            frame = pd.read_csv(io.StringIO(text), sep=sep, header=0, names=names,
                                index_col=False, on_bad_lines="error", low_memory=False,
                                engine="c")  # fmt: skip
    except pd.errors.ParserError as error:
        found = PANDAS_RAGGED.search(str(error))
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            raise TableError("ragged", line=line, expected=expected, found=saw) from None
        raise TableError("not_csv") from None  # an unclosed quote, mostly
    except Exception:  # untrusted input: whatever else the parser trips on is a broken file
        raise TableError("not_csv") from None
    if list(frame.columns) != names:
        raise TableError("not_csv")
    return frame


def _classify(frame: pd.DataFrame, sep: str, notes: list[TableNote]):
    """Each column -> numeric (float64, infinities made missing), categorical (str) or empty."""
    columns, kinds, infinite, comma = {}, {}, {}, []  # infinite: column -> count
    for col in frame.columns:
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            if s.dtype == object or pd.api.types.is_bool_dtype(s):  # True/False, parsed
                s = s.map(lambda v: v if pd.isna(v) else str(v))
            s = s.astype("str").str.strip()
            s = s.mask(s.isin(MISSING))
            number = pd.to_numeric(s, errors="coerce")
            if number.notna().sum() != s.notna().sum() and sep != ",":
                # "1,5" read with ";": a decimal comma, if every value then parses
                dotted = pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
                if dotted.notna().sum() == s.notna().sum() and s.str.contains(",").any():
                    number = dotted
                    comma.append(col)
            if number.notna().sum() != s.notna().sum():  # so s has a value
                kinds[col], columns[col] = "categorical", s
                continue
            s = number
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)  # (N,)
        bad = np.isinf(values)
        if bad.any():
            values = np.where(bad, np.nan, values)
            infinite[col] = int(bad.sum())
        kinds[col] = "empty" if np.isnan(values).all() else "numeric"
        columns[col] = pd.Series(values, index=frame.index)
    if comma:
        notes.append(TableNote("decimal_comma", {"columns": _names(comma)}))
    if infinite:
        count = sum(infinite.values())
        notes.append(TableNote("infinite", {"columns": _names(infinite), "count": count}))
    empty = [col for col, kind in kinds.items() if kind == "empty"]
    if empty:
        notes.append(TableNote("empty_columns", {"columns": _names(empty)}))
    return pd.DataFrame(columns, index=frame.index), kinds


def _check_trainable(frame: pd.DataFrame, kinds: dict[str, str]) -> None:
    filled = [c for c, k in kinds.items() if k != "empty"]
    if not filled:
        raise TableError("empty")
    if "numeric" in kinds.values():
        return
    if len(filled) == 1:  # values separated by spaces, say: one column of text
        raise TableError("no_numeric", looks="one_column", column=filled[0])
    if not any(frame[c].nunique() <= MAX_CATEGORIES for c in filled):
        raise TableError("no_numeric")


def guess_target(table: Table) -> str:
    """The last column with values: where most tables keep the label."""
    return [c for c, k in table.kinds.items() if k != "empty"][-1]


def usable_features(table: Table, target: str) -> list[str]:
    """Every column with values but the target, less categoricals with too many values."""
    return [c for c, k in table.kinds.items() if c != target and k != "empty"
            and (k == "numeric" or table.frame[c].nunique() <= MAX_CATEGORIES)]  # fmt: skip


def _row_number(values: pd.Series) -> bool:
    """1, 2, 3, ... (from any start) on every row: a row number or an index
    column written with the table, which no network should learn from."""
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return len(v) > MAX_CATEGORIES and bool(np.all(np.diff(v) == 1))


def _left_out(table: Table, target: str, chosen=()) -> dict[str, list[str]]:
    """reason -> the columns it leaves out; see `left_out`."""
    reasons: dict[str, list[str]] = {}
    for col, kind in table.kinds.items():
        if col == target or kind == "empty" or col in chosen:
            continue
        values = table.frame[col]
        distinct = values.nunique()
        if kind == "categorical" and distinct > MAX_CATEGORIES:
            reason = "id" if distinct == values.count() else "categories"
        elif distinct == 1 and len(values) >= MIN_ROWS:  # a short file's problem is its rows
            reason = "constant"
        elif kind == "numeric" and _row_number(values):
            reason = "row_number"
        else:
            continue
        reasons.setdefault(reason, []).append(col)
    return reasons


def left_out(table: Table, target: str, chosen: Sequence[str] = ()) -> tuple[TableNote, ...]:
    """Why each column with values (the target aside) is not among the inputs
    a new table starts with, one note per reason: "left_id" (text with a
    different value on every row), "left_categories" (text with more values
    than one-hot allows), "left_constant" (one value on every row),
    "left_row_number" (1, 2, 3, ...).
    The first two cannot be chosen; the last two can be, but tell nothing.
    Columns in `chosen` (the user added them back) are not named; columns
    without values have the table's "empty_columns" note."""
    reasons = {k: _names(v) for k, v in _left_out(table, target, set(chosen)).items()}
    notes = [  # one literal call per code: the translation tests find them
        "id" in reasons and TableNote("left_id", {"columns": reasons["id"]}),
        "categories" in reasons and TableNote("left_categories", {
            "columns": reasons["categories"], "limit": MAX_CATEGORIES}),
        "constant" in reasons and TableNote("left_constant", {"columns": reasons["constant"]}),
        "row_number" in reasons and TableNote("left_row_number",
                                              {"columns": reasons["row_number"]}),
    ]
    return tuple(note for note in notes if note)


def default_features(table: Table, target: str) -> list[str]:
    """The inputs a new table starts with: the usable columns, less those that
    are constant or a row number (see `left_out`)."""
    reasons = _left_out(table, target)
    skip = {*reasons.get("constant", ()), *reasons.get("row_number", ())}
    return [c for c in usable_features(table, target) if c not in skip]


def infer_task(series: pd.Series) -> str:
    """Text, or a few whole numbers (at most 10) -> "classification"; else "regression"."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return "classification"
    values = series.dropna().to_numpy(dtype=np.float64)
    whole = bool(np.all(np.isfinite(values) & (values == np.round(values))))
    if len(values) and whole and len(np.unique(values)) <= min(MAX_CLASSES, 10):
        return "classification"
    return "regression"


# ---------------------------------------------------------------- preparing


def _standardise(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(N,) float64 -> ((N,) z-scores, mean, std); std 1 for a constant column.

    Computed on values / max|value| so that 1e300s neither overflow nor end as inf.
    """
    scale = float(np.abs(values).max())
    if scale == 0:
        return np.zeros_like(values), 0.0, 1.0
    unit = values / scale
    mean, std = float(unit.mean()), float(unit.std())
    if std == 0:
        return np.zeros_like(values), mean * scale, 1.0
    return (unit - mean) / std, mean * scale, std * scale


def _class_name(value) -> str:
    if isinstance(value, float) and value == round(value):
        return str(int(value))
    return str(value)


def prepare(table: Table, target: str, features: Sequence[str], task: str,
            missing: str) -> Prepared:  # fmt: skip
    """A target and feature columns -> network inputs, or a TableError saying why not.

    task: "auto" | "classification" | "regression"; missing: "drop" | "impute".
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"unknown task {task!r}")
    if missing not in ("drop", "impute"):
        raise ValueError(f"unknown missing-value rule {missing!r}")
    kinds, frame = table.kinds, table.frame
    for col in (target, *features):
        if col not in kinds:
            raise TableError("unknown_column", column=str(col))
    if kinds[target] == "empty":
        raise TableError("target_empty", column=target)
    chosen = set(features) - {target}
    filled = [c for c, k in kinds.items() if k != "empty"]
    if not chosen and len(filled) == 1:  # nothing to learn from, whatever is chosen
        raise TableError("one_column", column=filled[0])
    if not chosen:
        raise TableError("no_features")
    source = [c for c in frame.columns if c in chosen]  # table order
    for col in source:
        if kinds[col] == "empty":
            raise TableError("feature_empty", column=col)
        count = frame[col].nunique()
        if kinds[col] == "categorical" and count > MAX_CATEGORIES:
            raise TableError("too_many_categories", column=col, count=count,
                             limit=MAX_CATEGORIES)  # fmt: skip
    # One input per number, one per category: refuse before building it.
    width = sum(1 if kinds[c] == "numeric" else frame[c].nunique() for c in source)
    if width > MAX_INPUTS:
        raise TableError("too_many_inputs", count=width, limit=MAX_INPUTS)
    if task == "auto":
        task = infer_task(frame[target])
    if task == "regression" and kinds[target] != "numeric":
        raise TableError("not_numeric_target", column=target)

    # Rows without a target are always dropped: there is nothing to learn from them.
    rows = frame.loc[frame[target].notna(), [*source, target]]
    holes = rows[source].isna().sum()  # missing cells per feature
    imputed = [] if missing == "drop" else [col for col in source if holes[col]]
    if missing == "drop":
        rows = rows.dropna()
    else:  # fill each feature from the rows kept: the median, or the most frequent value
        rows = rows.copy()
        for col in imputed:
            if holes[col] == len(rows):
                raise TableError("feature_empty", column=col)
            fill = rows[col].median() if kinds[col] == "numeric" else rows[col].mode().iloc[0]
            rows[col] = rows[col].fillna(fill)
    n_imputed = int(holes[imputed].sum())
    n_dropped = len(frame) - len(rows)
    if len(rows) < MIN_ROWS and not n_dropped:  # a short file, not missing values
        raise TableError("few_rows", rows=len(rows), need=MIN_ROWS)
    if len(rows) < MIN_ROWS:
        raise TableError("too_few_rows", rows=len(rows))
    notes = []
    if n_dropped:
        notes.append(TableNote("dropped_rows", {"rows": n_dropped, "kept": len(rows)}))
    if n_imputed:
        notes.append(TableNote("imputed", {"cells": n_imputed, "columns": _names(imputed)}))

    y_mean, y_std, class_names = 0.0, 1.0, ()
    if task == "classification":
        codes, classes = pd.factorize(rows[target], sort=True)
        if len(classes) == 1:
            raise TableError("single_class", column=target, value=_class_name(classes[0]))
        if len(classes) > MAX_CLASSES:
            raise TableError("too_many_classes", column=target, count=len(classes),
                             limit=MAX_CLASSES)  # fmt: skip
        y = codes.astype(np.int64)  # (N,)
        class_names = tuple(_class_name(c) for c in classes)
        problem = "binary" if len(classes) == 2 else "multiclass"
    else:
        z, y_mean, y_std = _standardise(rows[target].to_numpy(dtype=np.float64))
        if not z.any():
            notes.append(TableNote("constant_target", {"column": target}))
        y, problem = z.astype(np.float32), "regression"  # (N,)

    # Statistics over all kept rows, test rows included: a playground shows one
    # scale for the whole table, and the leak is a handful of means.
    blocks, names, means, stds, constant = [], [], [], [], []
    for col in source:
        if kinds[col] == "numeric":
            z, mean, std = _standardise(rows[col].to_numpy(dtype=np.float64))
            if not z.any():
                constant.append(col)
            blocks.append(z[:, None])  # (N, 1)
            names.append(col)
            means.append(mean)
            stds.append(std)
        else:
            hot = pd.get_dummies(rows[col], prefix=col, prefix_sep="=", dtype=np.float32)
            blocks.append(hot.to_numpy())  # (N, categories) of 0/1
            names.extend(str(c) for c in hot.columns)
            means.extend([0.0] * hot.shape[1])
            stds.extend([1.0] * hot.shape[1])
    if constant:
        notes.append(TableNote("constant", {"columns": _names(constant)}))
    x = np.concatenate(blocks, axis=1).astype(np.float32)  # (N, F)
    return Prepared(x, y, tuple(names), tuple(source), target, problem, class_names,
                    np.array(means), np.array(stds), y_mean, y_std, n_dropped, n_imputed,
                    tuple(notes))  # fmt: skip


def to_dataset(prepared: Prepared, train_ratio: float, seed: int) -> Dataset:
    """Prepared rows -> a seeded train/test Dataset, stratified when every class allows it."""
    if not 0 < train_ratio < 1:
        raise ValueError(f"train_ratio must lie strictly between 0 and 1, not {train_ratio}")
    x, y = prepared.x, prepared.y
    n = len(y)
    n_train = min(max(round(n * train_ratio), 1), n - 1)
    labels = None if prepared.problem == "regression" else y
    train, test = stratified_split(np.arange(n), labels, n - n_train, seed)
    extent = max(1.0, 1.05 * float(np.abs(x).max()))  # the boundary plot's [-extent, extent]²
    return Dataset(x[train], y[train], x[test], y[test], prepared.problem, extent,
                   inputs_ready=True)
