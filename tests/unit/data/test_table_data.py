"""Uploaded CSV tables: every broken file is a TableError with a code, and good ones train."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris

from playground.data import table as tbl
from playground.data.table import (
    MAX_BYTES,
    MAX_CATEGORIES,
    MAX_CLASSES,
    MAX_COLUMNS,
    MAX_ROWS,
    TableError,
    TableNote,
    guess_target,
    infer_task,
    prepare,
    read_table,
    to_dataset,
    usable_features,
)


def csv_bytes(frame: pd.DataFrame, sep: str = ",") -> bytes:
    return frame.to_csv(index=False, sep=sep).encode()


def error(data: bytes, **kwargs) -> TableError:
    with pytest.raises(TableError) as caught:
        read_table(data, **kwargs)
    return caught.value


def prepare_error(table, *args) -> TableError:
    with pytest.raises(TableError) as caught:
        prepare(table, *args)
    return caught.value


def big_csv(n: int) -> bytes:
    """n rows "0000042,042.42,0": fixed-width digits written by numpy, not a slow Python loop."""
    i = np.arange(n)

    def digits(values, width):  # (n, width) ASCII digits, zero-padded
        return (values[:, None] // 10 ** np.arange(width - 1, -1, -1) % 10 + 48).astype(np.uint8)

    def char(c):
        return np.full((n, 1), ord(c), np.uint8)

    rows = np.hstack([digits(i, 7), char(","), digits(i % 1000, 3), char("."),
                      digits(i % 97, 2), char(","), digits(i % 3, 1), char("\n")])  # fmt: skip
    return b"id,x,label\n" + rows.tobytes()


@pytest.fixture(scope="module")
def iris_table():
    iris = load_iris(as_frame=True)
    frame = iris.data.copy()
    frame["species"] = iris.target_names[iris.target]
    return read_table(csv_bytes(frame), "iris.csv")


# ---------------------------------------------------------------- read_table: refusals


def test_too_big_is_refused_before_parsing():
    found = error(b"\x89PNG" + b"\x00" * MAX_BYTES)  # binary too, but the size comes first
    assert found.code == "too_big"
    assert found.detail == {"size_mb": 51, "limit_mb": 50}


def test_exactly_max_bytes_is_not_too_big():
    assert error(b"\x00" * MAX_BYTES).code == "not_csv"  # looked at, so not refused for size


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_empty(data):
    assert error(data).code == "empty"


def test_only_empty_values_is_empty():
    assert error(b"a,b\n,\n,\n").code == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # PNG
        b"PK\x03\x04\x14\x00\x06\x00",  # zip, xlsx
        b"\x1f\x8b\x08\x00",  # gzip
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # old Excel
        b"a,b\n1,2\x00\n3,4\n",  # a NUL byte
        bytes(range(1, 9)) * 20 + b"\n1,2\n",  # control characters
    ],
)
def test_binary_is_not_csv(data):
    assert error(data).code == "not_csv"


def test_latin1_is_not_utf8_with_line():
    data = "name,city\nAna,Lisboa\nJosé,Zürich\n".encode("latin-1")
    found = error(data)
    assert (found.code, found.detail) == ("not_utf8", {"line": 3})


def test_utf16_is_not_utf8():
    assert error("a,b\n1,2\n".encode("utf-16")).code == "not_utf8"


def test_utf8_bom_is_stripped_and_accents_kept():
    table = read_table("\ufeffnom,ville\n1,Zürich\n2,Genève\n".encode())
    assert list(table.frame.columns) == ["nom", "ville"]
    assert list(table.frame["ville"]) == ["Zürich", "Genève"]


@pytest.mark.parametrize("data", [b"a,b,c\n", b"a,b,c", b"a,b\n\n\n", b"\xef\xbb\xbfx;y\r\n"])
def test_header_only(data):
    assert error(data).code == "header_only"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"a,b\n1,2,3\n4,5\n", {"line": 2, "expected": 2, "found": 3}),  # first data row
        (b"a,b\n1,2,3\n4,5,6\n", {"line": 2, "expected": 2, "found": 3}),  # all rows
        (b"a,b\n1,2\n\n\n4,5,6\n", {"line": 5, "expected": 2, "found": 3}),  # blank lines count
        (b"a,b\n" + b"1,2\n" * 300 + b"1,2,3,4\n", {"line": 302, "expected": 2, "found": 4}),
        (b"value\n1;2\n3;4\n", {"line": 2, "expected": 1, "found": 2}),  # not one column
    ],
)
def test_more_fields_than_header_is_ragged(data, detail):
    found = error(data)
    assert (found.code, found.detail) == ("ragged", detail)


def test_fewer_fields_are_missing_values():
    table = read_table(b"a,b,c\n1,2,3\n4\n5,6\n")
    assert table.frame["a"].tolist() == [1, 4, 5]
    assert table.frame["b"].isna().tolist() == [False, True, False]
    assert table.frame["c"].isna().tolist() == [False, True, True]


def test_unclosed_quote_is_not_csv():
    assert error(b'a,b\n1,"two\n3,4\n5,6\n').code == "not_csv"


@pytest.mark.parametrize(
    ("data", "columns"),
    [(b"a,b,a,b,c\n1,2,3,4,5\n", "a, b"), (b"x, x ,y\n1,2,3\n", "x"), (b"a;a\n1;2\n", "a")],
)
def test_duplicate_columns_named_from_raw_header(data, columns):
    found = error(data)
    assert (found.code, found.detail) == ("duplicate_columns", {"columns": columns})


def test_blank_header_names_are_named_with_note():
    table = read_table(b"a,,b,\n1,2,3,4\n5,6,7,8\n")
    assert list(table.frame.columns) == ["a", "column_2", "b", "column_4"]
    assert TableNote("unnamed_columns", {"columns": "column_2, column_4"}) in table.notes


def test_header_whitespace_is_stripped():
    table = read_table(b"  age ,\tsize \n1,2\n3,4\n")
    assert list(table.frame.columns) == ["age", "size"]


def test_too_many_columns_is_fast_for_ten_thousand():
    header = ",".join(f"c{i}" for i in range(10_000)).encode()
    data = header + b"\n" + (b"1," * 9_999 + b"1\n") * 50
    start = time.perf_counter()
    found = error(data)
    assert time.perf_counter() - start < 1.0
    assert (found.code, found.detail) == ("too_many_columns", {"count": 10_000, "limit": 200})


def test_max_columns_is_allowed():
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS)).encode()
    table = read_table(header + b"\n" + b",".join([b"1"] * MAX_COLUMNS) + b"\n")
    assert len(table.frame.columns) == MAX_COLUMNS
    assert error(b"x," + header + b"\n1\n").code == "too_many_columns"


def test_all_text_with_many_values_is_no_numeric():
    names = "\n".join(f"person{i},city{i}" for i in range(50))
    assert error(f"name,city\n{names}\n".encode()).code == "no_numeric"


def test_single_text_column_is_no_numeric():
    assert error(b"colour\nred\nblue\nred\n").code == "no_numeric"


def test_text_table_with_few_categories_is_allowed():
    rows = "\n".join(f"{'red' if i % 2 else 'blue'},name{i}" for i in range(30))
    table = read_table(f"colour,name\n{rows}\n".encode())
    assert table.kinds == {"colour": "categorical", "name": "categorical"}
    assert usable_features(table, "name") == ["colour"]


# ---------------------------------------------------------------- read_table: readings


@pytest.mark.parametrize(("sep", "note"), [(",", False), (";", True), ("\t", True), ("|", True)])
def test_separator_is_sniffed(sep, note):
    frame = pd.DataFrame({"a": [1.5, 2, 3], "b": ["x, y", "z", "w"], "c": [0, 1, 0]})
    table = read_table(csv_bytes(frame, sep))
    assert table.delimiter == sep
    assert (TableNote("delimiter", {"sep": sep}) in table.notes) is note
    assert table.frame["b"].tolist() == ["x, y", "z", "w"]
    assert table.kinds == {"a": "numeric", "b": "categorical", "c": "numeric"}


def test_semicolon_file_with_decimal_commas():
    table = read_table(b"price;count\n1,5;2\n3,25;4\n10;5\n")
    assert table.delimiter == ";"
    assert table.frame["price"].tolist() == [1.5, 3.25, 10.0]
    assert TableNote("decimal_comma", {"columns": "price"}) in table.notes


def test_one_column_file_is_legal():
    table = read_table(b"x\n1\n2\n3\n")
    assert list(table.frame.columns) == ["x"] and table.delimiter == ","
    assert usable_features(table, "x") == []


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"])
def test_windows_and_old_mac_line_ends(ending):
    table = read_table(ending.join([b"a,b", b"1,2", b"3,4"]) + ending)
    assert table.frame.to_numpy().tolist() == [[1, 2], [3, 4]]


def test_numeric_detection_and_conversion():
    data = b"a,b,c,d\n1, x ,1,True\n2.5,y,,false\n NA ,x,3, True\n 4 ,y,4,\n"
    table = read_table(data)
    assert table.kinds == {"a": "numeric", "b": "categorical", "c": "numeric", "d": "categorical"}
    assert table.frame["a"].dtype == np.float64 and table.frame["c"].dtype == np.float64
    assert np.isnan(table.frame["a"][2]) and table.frame["a"][3] == 4.0
    assert table.frame["b"].tolist() == ["x", "y", "x", "y"]  # stripped
    assert table.frame["d"].isna().tolist() == [False, False, False, True]


def test_infinities_become_missing_with_note():
    table = read_table(b"a,b,c\ninf,1,x\n-inf,Infinity,y\n3,-Infinity,z\n4,5,inf\n")
    assert table.frame["a"].isna().tolist() == [True, True, False, False]
    assert table.frame["b"].isna().tolist() == [False, True, True, False]
    assert table.kinds["c"] == "categorical"  # text with an "inf" in it stays text
    assert TableNote("infinite", {"columns": "a, b", "count": 4}) in table.notes


def test_empty_columns_are_kept_as_empty_with_note():
    table = read_table(b"a,gap,b,tail\n1,,x,\n2, ,y,\n3,,x,\n")
    assert table.kinds == {"a": "numeric", "gap": "empty", "b": "categorical", "tail": "empty"}
    assert TableNote("empty_columns", {"columns": "gap, tail"}) in table.notes
    assert guess_target(table) == "b"
    assert usable_features(table, "b") == ["a"]
    assert prepare_error(table, "tail", ["a"], "auto", "drop").code == "target_empty"
    assert prepare_error(table, "b", ["a", "gap"], "auto", "drop").code == "feature_empty"


def test_sampling_is_seeded_and_keeps_order():
    data = b"id,v\n" + b"".join(b"%d,%d\n" % (i, i % 5) for i in range(500))
    table = read_table(data, max_rows=100, seed=3)
    assert table.n_rows == 500 and len(table.frame) == 100
    assert TableNote("sampled", {"rows": 500, "kept": 100}) in table.notes
    ids = table.frame["id"].to_numpy()
    assert np.all(np.diff(ids) > 0) and ids.max() > 100  # file order, not just the first rows
    assert np.array_equal(read_table(data, max_rows=100, seed=3).frame["id"], ids)
    assert not np.array_equal(read_table(data, max_rows=100, seed=4).frame["id"], ids)
    assert not any(n.code == "sampled" for n in read_table(data, max_rows=500).notes)


def test_million_rows_are_sampled_quickly():
    data = big_csv(1_000_000)
    assert 15 * 2**20 < len(data) < MAX_BYTES
    start = time.perf_counter()
    table = read_table(data, "big.csv")
    elapsed = time.perf_counter() - start
    assert table.n_rows == 1_000_000 and len(table.frame) == MAX_ROWS
    assert TableNote("sampled", {"rows": 1_000_000, "kept": MAX_ROWS}) in table.notes
    assert table.kinds == {"id": "numeric", "x": "numeric", "label": "numeric"}
    assert table.frame["x"].max() <= 999.96
    assert elapsed < 5.0


def test_digest_name_and_determinism():
    data = b"a,b\n1,2\n3,4\n"
    one, two = read_table(data, "mine.csv"), read_table(data)
    assert one.name == "mine.csv" and two.name == "data.csv"
    assert len(one.digest) == 16 and one.digest == two.digest
    assert read_table(b"a,b\n1,2\n3,5\n").digest != one.digest
    pd.testing.assert_frame_equal(one.frame, two.frame)


def test_errors_carry_code_and_detail_and_pickle():
    found = TableError("ragged", line=3, expected=2, found=4)
    assert isinstance(found, ValueError)
    again = pickle.loads(pickle.dumps(found))
    assert (again.code, again.detail) == ("ragged", {"line": 3, "expected": 2, "found": 4})


def test_notes_compare_and_hash_by_content():
    assert TableNote("a", {"x": 1, "y": "z"}) == TableNote("a", {"y": "z", "x": 1})
    assert TableNote("a", {"x": 1}) != TableNote("a", {"x": 2})
    assert len({TableNote("a", {"x": 1}), TableNote("a", {"x": 1}), TableNote("b")}) == 2


def test_bad_max_rows_is_a_programming_error():
    with pytest.raises(ValueError):
        read_table(b"a,b\n1,2\n", max_rows=0)


# ---------------------------------------------------------------- guessing


def test_guess_target_and_usable_features():
    many = "\n".join(f"{i},c{i},{'ab'[i % 2]},,{i % 3}" for i in range(MAX_CATEGORIES + 5))
    table = read_table(f"n,id,ab,none,label\n{many}\n".encode())
    assert guess_target(table) == "label"
    assert usable_features(table, "label") == ["n", "ab"]  # "id" has too many categories
    assert usable_features(table, "n") == ["ab", "label"]


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["a", "b", "a"], "classification"),
        ([0, 1, 2, 1, np.nan], "classification"),
        ([1.0, 2.0, 2.0], "classification"),
        (list(range(10)), "classification"),
        (list(range(11)), "regression"),
        ([0.5, 1.0, 1.5], "regression"),
        ([1.1, 2.2, 3.3, 4.4], "regression"),
    ],
)
def test_infer_task(values, task):
    assert infer_task(pd.Series(values)) == task


# ---------------------------------------------------------------- prepare


def test_iris_is_multiclass_and_standardised(iris_table):
    features = usable_features(iris_table, guess_target(iris_table))
    prepared = prepare(iris_table, "species", features, "auto", "drop")
    assert prepared.problem == "multiclass"
    assert prepared.class_names == ("setosa", "versicolor", "virginica")
    assert prepared.x.shape == (150, 4) and prepared.x.dtype == np.float32
    assert prepared.y.dtype == np.int64 and np.bincount(prepared.y).tolist() == [50, 50, 50]
    np.testing.assert_allclose(prepared.x.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(prepared.x.std(axis=0), 1, atol=1e-5)
    raw = iris_table.frame[list(prepared.source_features)].to_numpy()
    np.testing.assert_allclose(prepared.x * prepared.std + prepared.mean, raw, atol=1e-5)
    assert prepared.feature_names == prepared.source_features == tuple(features)
    assert (prepared.y_mean, prepared.y_std) == (0.0, 1.0)
    assert (prepared.n_dropped, prepared.n_imputed, prepared.notes) == (0, 0, ())


def test_diabetes_regression():
    data = load_diabetes(as_frame=True, scaled=False)
    frame = data.frame
    table = read_table(csv_bytes(frame), "diabetes.csv")
    assert guess_target(table) == "target"
    prepared = prepare(table, "target", usable_features(table, "target"), "auto", "impute")
    assert prepared.problem == "regression" and prepared.class_names == ()
    assert prepared.x.shape == (442, 10) and prepared.y.dtype == np.float32
    assert prepared.y_mean == pytest.approx(frame["target"].mean())
    assert prepared.y_std == pytest.approx(frame["target"].std(ddof=0))
    np.testing.assert_allclose(prepared.y * prepared.y_std + prepared.y_mean, frame["target"],
                               rtol=1e-5)  # fmt: skip


def test_mixed_table_one_hot():
    data = (b"size,colour,shape,ok\n1.0,red,round,yes\n2.0,blue,square,no\n3.0,red,round,yes\n"
            b"4.0,green,round,no\n5.0,blue,square,yes\n")  # fmt: skip
    table = read_table(data)
    prepared = prepare(table, "ok", ["shape", "size", "colour"], "auto", "drop")
    assert prepared.source_features == ("size", "colour", "shape")  # table order
    assert prepared.feature_names == (
        "size", "colour=blue", "colour=green", "colour=red", "shape=round", "shape=square"
    )  # fmt: skip
    hot = prepared.x[:, 1:]
    assert set(np.unique(hot)) == {0.0, 1.0} and np.all(hot[:, :3].sum(axis=1) == 1)
    assert hot[:, 2].tolist() == [1, 0, 1, 0, 0]  # red
    assert prepared.mean[1:].tolist() == [0] * 5 and prepared.std[1:].tolist() == [1] * 5
    assert prepared.problem == "binary" and prepared.class_names == ("no", "yes")
    assert prepared.y.tolist() == [1, 0, 1, 0, 1]


def test_unknown_columns():
    table = read_table(b"a,b\n1,2\n3,4\n5,6\n7,8\n")
    found = prepare_error(table, "z", ["a"], "auto", "drop")
    assert (found.code, found.detail) == ("unknown_column", {"column": "z"})
    found = prepare_error(table, "b", ["a", "q"], "auto", "drop")
    assert (found.code, found.detail) == ("unknown_column", {"column": "q"})


@pytest.mark.parametrize("features", [[], ["b"], ["b", "b"]])
def test_no_features(features):
    table = read_table(b"a,b\n1,2\n3,4\n5,6\n7,8\n")
    assert prepare_error(table, "b", features, "auto", "drop").code == "no_features"


def test_target_among_features_is_dropped_silently():
    table = read_table(b"a,b,c\n1,2,0\n3,4,1\n5,6,0\n7,9,1\n")
    prepared = prepare(table, "c", ["c", "b", "a", "a"], "auto", "drop")
    assert prepared.source_features == ("a", "b") and prepared.x.shape == (4, 2)


def test_classification_forced_on_many_floats_is_too_many_classes():
    values = "\n".join(f"{i},{i * 0.37:.2f}" for i in range(MAX_CLASSES + 5))
    table = read_table(f"a,t\n{values}\n".encode())
    assert prepare(table, "t", ["a"], "auto", "drop").problem == "regression"
    found = prepare_error(table, "t", ["a"], "classification", "drop")
    assert (found.code, found.detail) == (
        "too_many_classes", {"column": "t", "count": MAX_CLASSES + 5, "limit": MAX_CLASSES}
    )  # fmt: skip


def test_text_target_with_many_classes_is_too_many_classes():
    values = "\n".join(f"{i},k{i % 25}" for i in range(100))
    table = read_table(f"a,t\n{values}\n".encode())
    assert prepare_error(table, "t", ["a"], "auto", "drop").code == "too_many_classes"


def test_forced_tasks():
    table = read_table(b"a,t,s\n1,0,x\n2,1,y\n3,2,x\n4,1,y\n5,0,x\n")
    assert prepare(table, "t", ["a"], "auto", "drop").problem == "multiclass"
    regression = prepare(table, "t", ["a"], "regression", "drop")
    assert regression.problem == "regression" and regression.y.dtype == np.float32
    classes = prepare(table, "a", ["t"], "classification", "drop")
    assert classes.class_names == ("1", "2", "3", "4", "5")
    found = prepare_error(table, "s", ["a"], "regression", "drop")
    assert (found.code, found.detail) == ("not_numeric_target", {"column": "s"})


MISSING = b"n,c,t\n1,x,a\n,y,b\n3,,a\n4,x,\n5,x,b\n7,y,a\n,x,b\n30,x,a\n"


def test_missing_drop():
    table = read_table(MISSING)
    prepared = prepare(table, "t", ["n", "c"], "auto", "drop")
    assert (prepared.n_dropped, prepared.n_imputed) == (4, 0)
    assert prepared.x.shape == (4, 3) and prepared.y.tolist() == [0, 1, 0, 0]
    assert TableNote("dropped_rows", {"rows": 4, "kept": 4}) in prepared.notes


def test_missing_impute_fills_median_and_mode_but_drops_missing_targets():
    table = read_table(MISSING)
    prepared = prepare(table, "t", ["n", "c"], "auto", "impute")
    assert (prepared.n_dropped, prepared.n_imputed) == (1, 3)  # the row without a target
    assert prepared.x.shape == (7, 3)
    raw_n = prepared.x[:, 0] * prepared.std[0] + prepared.mean[0]
    np.testing.assert_allclose(raw_n, [1, 5, 3, 5, 7, 5, 30], atol=1e-5)  # median, not mean
    assert prepared.feature_names[1:] == ("c=x", "c=y")
    assert prepared.x[2, 1:].tolist() == [1, 0]  # the blank colour became "x", the commonest
    assert TableNote("imputed", {"cells": 3, "columns": "n, c"}) in prepared.notes


def test_too_few_rows():
    table = read_table(b"a,b\n1,0\n2,\n3,1\n,0\n5,1\n")
    found = prepare_error(table, "b", ["a"], "auto", "drop")
    assert (found.code, found.detail) == ("too_few_rows", {"rows": 3})
    assert prepare(table, "b", ["a"], "auto", "impute").x.shape == (4, 1)  # 4 is enough
    found = prepare_error(read_table(b"a,b\n1,\n2,\n3,4\n"), "b", ["a"], "auto", "impute")
    assert (found.code, found.detail) == ("too_few_rows", {"rows": 1})


def test_single_class():
    table = read_table(b"a,b\n1,yes\n2,yes\n3,yes\n4,yes\n5,\n")
    found = prepare_error(table, "b", ["a"], "auto", "drop")
    assert (found.code, found.detail) == ("single_class", {"column": "b", "value": "yes"})


def test_too_many_categories():
    values = "\n".join(f"{i},k{i},{i % 2}" for i in range(MAX_CATEGORIES + 1))
    table = read_table(f"a,key,t\n{values}\n".encode())
    found = prepare_error(table, "t", ["a", "key"], "auto", "drop")
    assert (found.code, found.detail) == (
        "too_many_categories", {"column": "key", "count": MAX_CATEGORIES + 1,
                                "limit": MAX_CATEGORIES},
    )  # fmt: skip


def test_constant_feature_has_unit_std_and_note():
    table = read_table(b"a,k,t\n1,7.5,0\n2,7.5,1\n3,7.5,0\n4,7.5,1\n")
    prepared = prepare(table, "t", ["a", "k"], "auto", "drop")
    assert prepared.std[1] == 1.0 and prepared.mean[1] == 7.5
    assert prepared.x[:, 1].tolist() == [0, 0, 0, 0]
    assert TableNote("constant", {"columns": "k"}) in prepared.notes


def test_constant_regression_target_is_noted():
    table = read_table(b"a,t\n1,2.5\n2,2.5\n3,2.5\n4,2.5\n")
    prepared = prepare(table, "t", ["a"], "regression", "drop")
    assert prepared.y.tolist() == [0, 0, 0, 0] and prepared.y_std == 1.0
    assert TableNote("constant_target", {"column": "t"}) in prepared.notes


def test_huge_values_stay_finite():
    table = read_table(b"a,b,t\n1e300,-1e-300,1e308\n-1e300,1e-300,-1e308\n1e299,0,1\n0,5e-324,2\n")
    prepared = prepare(table, "t", ["a", "b"], "regression", "drop")
    for array in (prepared.x, prepared.y, prepared.mean, prepared.std):
        assert np.all(np.isfinite(array))
    assert np.isfinite(prepared.y_mean) and np.isfinite(prepared.y_std)
    assert prepared.x[:, 0].std() == pytest.approx(1, abs=1e-5)


def test_bad_task_or_missing_is_a_programming_error():
    table = read_table(b"a,b\n1,2\n3,4\n5,6\n7,8\n")
    with pytest.raises(ValueError, match="task"):
        prepare(table, "b", ["a"], "guess", "drop")
    with pytest.raises(ValueError, match="missing"):
        prepare(table, "b", ["a"], "auto", "ignore")


ALLOWED = {"no_features", "too_few_rows", "single_class", "too_many_classes",
           "too_many_categories", "not_numeric_target", "feature_empty"}  # fmt: skip


def test_random_messy_tables_give_finite_deterministic_arrays():
    trained = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(5, 80))
        columns = {}
        for i in range(int(rng.integers(2, 7))):
            kind = rng.choice(["normal", "huge", "int", "text", "const"])
            if kind == "normal":
                values = rng.normal(0, 10.0 ** rng.integers(-5, 6), n).astype(object)
            elif kind == "huge":
                values = (rng.choice([-1, 1], n) * 10.0 ** rng.integers(250, 300, n)).astype(object)
            elif kind == "int":
                values = rng.integers(0, int(rng.integers(2, 6)), n).astype(object)
            elif kind == "text":
                values = rng.choice(["a", "b", "c", " d "], n).astype(object)
            else:
                values = np.full(n, 3.25, dtype=object)
            values[rng.random(n) < 0.2] = str(rng.choice(["", "NA", "inf", " ? "]))
            columns[f"c{i}"] = values
        data = csv_bytes(pd.DataFrame(columns))
        try:
            table = read_table(data)
        except TableError as refused:
            assert refused.code == "no_numeric"
            continue
        target = guess_target(table)
        features = usable_features(table, target)
        for missing in ("drop", "impute"):
            for task in ("auto", "classification", "regression"):
                try:
                    prepared = prepare(table, target, features, task, missing)
                except TableError as refused:
                    assert refused.code in ALLOWED
                    continue
                trained += 1
                again = prepare(read_table(data), target, features, task, missing)
                for array in (prepared.x, prepared.y, prepared.mean, prepared.std):
                    assert np.all(np.isfinite(array))
                assert prepared.x.shape == (len(prepared.y), len(prepared.feature_names))
                assert np.array_equal(prepared.x, again.x) and np.array_equal(prepared.y, again.y)
                data_set = to_dataset(prepared, 0.75, seed)
                assert np.all(np.isfinite(data_set.x_train)) and len(data_set.x_test) >= 1
    assert trained >= 20, trained


# ---------------------------------------------------------------- to_dataset


def test_to_dataset_split_and_stratification(iris_table):
    prepared = prepare(iris_table, "species", ["sepal length (cm)", "petal width (cm)"], "auto",
                       "drop")  # fmt: skip
    data = to_dataset(prepared, 0.8, seed=1)
    assert (len(data.x_train), len(data.x_test)) == (120, 30)
    assert data.x_train.shape[1] == 2 and data.x_train.dtype == np.float32
    assert data.problem == "multiclass" and data.inputs_ready
    assert np.bincount(data.y_train).tolist() == [40, 40, 40]
    assert np.bincount(data.y_test).tolist() == [10, 10, 10]
    every = np.concatenate([data.x_train, data.x_test])
    assert data.extent > np.abs(every).max() and data.extent >= 1.0
    assert sorted(map(tuple, every.tolist())) == sorted(map(tuple, prepared.x.tolist()))


def test_to_dataset_is_seeded(iris_table):
    prepared = prepare(iris_table, "species", usable_features(iris_table, "species"), "auto",
                       "drop")  # fmt: skip
    one, two, other = (to_dataset(prepared, 0.7, seed) for seed in (5, 5, 6))
    assert np.array_equal(one.x_train, two.x_train) and np.array_equal(one.y_test, two.y_test)
    assert not np.array_equal(one.x_train, other.x_train)


def test_to_dataset_unstratified_when_a_class_is_alone():
    table = read_table(b"a,t\n1,x\n2,x\n3,x\n4,x\n5,y\n6,y\n7,z\n")
    prepared = prepare(table, "t", ["a"], "auto", "drop")
    data = to_dataset(prepared, 0.5, seed=0)
    assert len(data.y_train) + len(data.y_test) == 7 and min(len(data.y_train), len(data.y_test))


@pytest.mark.parametrize("ratio", [0.01, 0.99])
def test_to_dataset_both_parts_nonempty(ratio):
    table = read_table(b"a,t\n1,0.5\n2,1.5\n3,2.5\n4,3.5\n5,1\n")
    data = to_dataset(prepare(table, "t", ["a"], "auto", "drop"), ratio, seed=0)
    assert len(data.x_train) >= 1 and len(data.x_test) >= 1
    assert data.problem == "regression" and data.y_train.dtype == np.float32


def test_to_dataset_refuses_bad_ratio(iris_table):
    prepared = prepare(iris_table, "species", ["petal width (cm)"], "auto", "drop")
    with pytest.raises(ValueError):
        to_dataset(prepared, 1.0, seed=0)


def test_engine_does_not_import_streamlit():
    assert "streamlit" not in tbl.__dict__
    source = open(tbl.__file__, encoding="utf-8").read()
    assert "import streamlit" not in source


def test_the_upload_box_states_the_readers_limit():
    """.streamlit/config.toml's maxUploadSize (MB) is the reader's MAX_BYTES,
    so the limit the upload box shows is the one the reader enforces."""
    from pathlib import Path

    import tomllib

    config = Path(__file__).resolve().parents[3] / ".streamlit" / "config.toml"
    size_mb = tomllib.loads(config.read_text())["server"]["maxUploadSize"]
    assert size_mb * 2**20 == tbl.MAX_BYTES


def test_too_many_network_inputs_are_refused_before_encoding():
    """200 text columns of 20 values each would be 4,000 one-hot inputs."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i}": rng.choice([f"v{k}" for k in range(20)], 50)
                          for i in range(30)})
    frame["y"] = rng.integers(0, 2, 50)
    table = read_table(frame.to_csv(index=False).encode())
    with pytest.raises(TableError) as info:
        prepare(table, "y", [f"c{i}" for i in range(30)], "auto", "drop")
    assert info.value.code == "too_many_inputs"
    width = sum(frame[f"c{i}"].nunique() for i in range(30))
    assert width > tbl.MAX_INPUTS
    assert info.value.detail == {"count": width, "limit": tbl.MAX_INPUTS}
    # Fewer columns fit.
    two = frame["c0"].nunique() + frame["c1"].nunique()
    assert prepare(table, "y", ["c0", "c1"], "auto", "drop").x.shape == (50, two)


# ---------------------------------------------------------------- what a file looks like, and why


@pytest.mark.parametrize("data", [
    b'[{"a": 1, "b": 2}, {"a": 3, "b": 4}]',  # records
    b'  {"a": [1, 2, 3], "b": [4, 5, 6]}',  # columns
    b'{"a": 1, "b": 2}\n{"a": 3, "b": 4}\n',  # JSON lines
    b'[\n  [1, 2],\n  [3, 4]\n]\n',  # an array of arrays, pretty-printed
])  # fmt: skip
def test_json_is_named(data):
    found = error(data, name="data.csv")
    assert (found.code, found.detail) == ("not_csv", {"looks": "json"})


@pytest.mark.parametrize("data", [b"<!DOCTYPE html><html><body><table></table></body></html>",
                                  b"\n<html>\n<p>1,2</p>\n</html>", b'<?xml version="1.0"?><a/>'])
def test_web_pages_and_xml_are_named(data):
    assert error(data).detail == {"looks": "markup"}


@pytest.mark.parametrize("data", [b"PK\x03\x04\x14\x00\x06\x00",  # xlsx, ods
                                  b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])  # xls
def test_workbooks_are_named(data):
    assert (error(data).code, error(data).detail) == ("not_csv", {"looks": "spreadsheet"})


def test_csv_with_brackets_in_its_header_is_still_csv():
    table = read_table(b"[mm],label\n1,a\n2,b\n3,a\n4,b\n")
    assert list(table.frame.columns) == ["[mm]", "label"]


def test_other_binary_files_say_nothing_more():
    assert error(b"\x89PNG\r\n\x1a\n\x00\x00").detail == {}


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_a_short_file_is_about_rows_not_missing_values(rows):
    body = "\n".join(f"{i},{i * 2},{'xy'[i % 2]}" for i in range(rows))
    table = read_table(f"a,b,c\n{body}\n".encode())
    for missing in ("drop", "impute"):
        found = prepare_error(table, "c", ["a", "b"], "auto", missing)
        assert (found.code, found.detail) == ("few_rows", {"rows": rows, "need": tbl.MIN_ROWS})


def test_a_single_column_file_says_so():
    found = error(b"a b c\n1 2 3\n4 5 6\n7 8 9\n1 1 1\n")  # spaces: not a separator
    assert (found.code, found.detail) == ("no_numeric", {"looks": "one_column", "column": "a b c"})
    found = prepare_error(read_table(b"x\n1\n2\n3\n4\n"), "x", [], "auto", "drop")
    assert (found.code, found.detail) == ("one_column", {"column": "x"})


def test_left_out_columns_are_named_with_their_reason():
    n = MAX_CATEGORIES + 10
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "row": np.arange(1, n + 1),  # a row number
        "name": [f"person {i}" for i in range(n)],  # an ID
        "city": [f"city {i % (MAX_CATEGORIES + 3)}" for i in range(n)],  # too many categories
        "unit": ["cm"] * n,  # constant text
        "k": [7.5] * n,  # constant number
        "x": rng.normal(size=n).round(3),
        "blank": [np.nan] * n,  # empty: the table's own note
        "label": ["ab"[i % 2] for i in range(n)],
    })  # fmt: skip
    table = read_table(csv_bytes(frame))
    notes = {note.code: note.detail for note in tbl.left_out(table, "label")}
    assert notes == {"left_row_number": {"columns": "row"}, "left_id": {"columns": "name"},
                     "left_categories": {"columns": "city", "limit": MAX_CATEGORIES},
                     "left_constant": {"columns": "unit, k"}}  # fmt: skip
    assert usable_features(table, "label") == ["row", "unit", "k", "x"]  # can be chosen
    assert tbl.default_features(table, "label") == ["x"]  # but are not at first
    chosen = {note.code for note in tbl.left_out(table, "label", ["row", "k"])}
    assert chosen == {"left_id", "left_categories", "left_constant"}  # "unit" still is
    assert "name" not in {c for n in tbl.left_out(table, "name") for c in n.detail["columns"]}


def test_a_shuffled_integer_column_is_no_row_number():
    n = MAX_CATEGORIES + 10
    frame = pd.DataFrame({"age": np.random.default_rng(1).permutation(n), "y": [0, 1] * (n // 2)})
    assert tbl.left_out(read_table(csv_bytes(frame)), "y") == ()
