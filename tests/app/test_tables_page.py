"""The table page under Streamlit's AppTest: an example table trains from the
start, an upload replaces it, every broken file becomes a message that keeps
the table in use, two input columns draw the boundary, and settings and
weights files load back."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import torch
from pagetools import metric, run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.dense.export import weights_bytes
from playground.dense.model import build_model
from playground.dense.spec import Layer
from playground.dense.table_spec import TableExperiment

PAGE = "pages/tables.py"


def job(at: AppTest):
    return at.session_state["t.job"]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def upload(at: AppTest, name: str, data: bytes, key: str = "t.upload") -> AppTest:
    at.file_uploader(key=key).set_value((name, data, "text/csv"))
    return run(at)


def csv_bytes(frame: pd.DataFrame, **kwargs) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, **kwargs)
    return buffer.getvalue().encode()


def small_table(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=rows), rng.normal(size=rows)
    return pd.DataFrame({"a": a.round(3), "b": b.round(3),
                         "colour": rng.choice(["red", "blue"], rows),
                         "label": np.where(a + b > 0, "yes", "no")})


def test_page_opens_on_an_example_and_trains(at):
    run(at)
    assert at.title[0].value == translate("tbl.title")
    j = job(at)
    assert j.spec.source == "iris.csv" and j.spec.target == "species"
    assert j.spec.problem == "multiclass" and j.spec.n_classes == 3
    assert j.class_names == ("setosa", "versicolor", "virginica")
    assert j.n_inputs == 4
    assert metric(at, "metric.epoch") == "0"
    at.button(key="cmd.play").click()
    run(at)
    wait_for(at, lambda: int(metric(at, "metric.epoch").replace(",", "")) >= 20)
    at.button(key="cmd.pause").click()
    run(at)
    acc = float(metric(at, "metric.test_acc").rstrip("%")) / 100
    assert acc > 0.8, acc
    # Four inputs: the data is shown on its principal components, with a confusion matrix.
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert any("tbl.chart.projection" in k for k in keys), keys
    assert any("tbl.chart.confusion" in k for k in keys), keys


def test_two_columns_draw_the_boundary(at):
    run(at)
    at.selectbox(key="t.example").set_value("moons")
    run(at)
    j = job(at)
    assert j.feature_names == ("x", "y") and j.spec.problem == "binary"
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert any("tbl.chart.boundary" in k for k in keys), keys
    assert not any("tbl.chart.projection" in k for k in keys), keys


def test_regression_example_shows_r2(at):
    run(at)
    at.selectbox(key="t.example").set_value("diabetes")
    run(at)
    assert job(at).spec.problem == "regression" and job(at).spec.loss == "mse"
    at.button(key="cmd.step").click()
    run(at)
    r2 = metric(at, "tbl.metric.r2")
    assert r2 != "–" and float(r2) < 1.0


def test_the_diabetes_example_opens_with_settings_that_do_not_overfit(at):
    run(at)
    at.selectbox(key="t.example").set_value("diabetes")
    run(at)
    spec = job(at).spec
    assert (spec.hidden, spec.regularization, spec.reg_rate) == ((Layer(8, "relu"),), "l2", 0.01)
    assert at.session_state["t.n_layers"] == 1
    at.selectbox(key="t.example").set_value("iris")  # the settings diabetes tuned come back
    run(at)
    spec, default = job(at).spec, TableExperiment()
    assert (spec.hidden, spec.regularization, spec.reg_rate) == (
        default.hidden, default.regularization, default.reg_rate)


def test_an_upload_replaces_the_example_and_one_hot_encodes(at):
    run(at)
    upload(at, "mine.csv", csv_bytes(small_table()))
    j = job(at)
    assert j.spec.source == "mine.csv" and j.spec.target == "label"
    assert j.feature_names == ("a", "b", "colour=blue", "colour=red")
    assert j.spec.problem == "binary" and j.class_names == ("no", "yes")
    # The target can be changed; the task can be forced.
    at.selectbox(key="t.target").set_value("a")
    run(at)
    assert job(at).spec.problem == "regression"
    assert "a" not in job(at).feature_names


BROKEN = {
    "empty": b"",
    "header_only": b"a,b,c\n",
    "not_utf8": "name,value\ncaf\u00e9,1\n".encode("latin-1"),
    "not_csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "ragged": b"a,b\n1,2\n3,4,5\n6,7\n",
    "duplicate_columns": b"a,a,b\n1,2,3\n4,5,6\n",
    "too_many_columns": (",".join(f"c{i}" for i in range(5000)) + "\n"
                         + ",".join("1" for _ in range(5000)) + "\n").encode(),
}


@pytest.mark.parametrize("code", list(BROKEN))
def test_a_broken_file_gets_a_message_and_the_table_stays(at, code):
    run(at)
    before = job(at)
    upload(at, f"{code}.csv", BROKEN[code])
    shown = " ".join(errors(at))
    assert f"{code}.csv" in shown
    # The message is the translated one (not a code, not a traceback).
    assert "Traceback" not in shown and "{" not in shown
    assert job(at) == before  # the example keeps training
    assert at.session_state["t.table"].name == "iris.csv"


def test_a_single_class_target_is_refused_with_a_message(at):
    run(at)
    frame = small_table()
    frame["label"] = "yes"
    upload(at, "one.csv", csv_bytes(frame))
    assert any("yes" in e and "label" in e for e in errors(at)), errors(at)
    # The page still works: pick another target.
    at.selectbox(key="t.target").set_value("a")
    run(at)
    assert not errors(at)
    assert job(at).spec.target == "a"


def test_semicolons_and_infinities_are_read_with_notes(at):
    run(at)
    frame = small_table()
    frame.loc[3, "a"] = np.inf
    upload(at, "semi.csv", csv_bytes(frame, sep=";"))
    infos = " ".join(i.value for i in at.info)
    assert "“;”" in infos
    assert job(at).spec.source == "semi.csv"


def test_settings_file_restores_the_run(at):
    run(at)
    spec = job(at).spec
    saved = json.loads(spec.to_json())
    saved["hidden"] = [[5, "tanh"]]
    saved["lr"] = 0.003
    saved["features"] = ["petal_length", "petal_width"]
    upload(at, "settings.json", json.dumps(saved).encode(), key="t.up.settings")
    run(at)
    restored = job(at).spec
    assert restored.hidden[0].width == 5 and restored.hidden[0].activation == "tanh"
    assert restored.lr == 0.003
    assert job(at).feature_names == ("petal_length", "petal_width")
    assert any("settings.json" in s.value for s in at.success)


def test_a_bad_settings_file_changes_nothing(at):
    run(at)
    before = job(at)
    upload(at, "settings.json", b"{not json", key="t.up.settings")
    run(at)
    assert job(at) == before
    assert errors(at)


def test_weights_file_loads_into_the_running_network(at, worker_registry):
    run(at)
    spec: TableExperiment = job(at).spec
    model = build_model(spec, job(at).n_inputs, 3, torch.Generator().manual_seed(123))
    upload(at, "w.safetensors", weights_bytes(model, spec), key="t.up.weights")
    run(at)
    assert any("w.safetensors" in s.value for s in at.success), errors(at)
    (worker,) = [w for w in worker_registry if w.alive]
    state = worker.fetch_state()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(state[name], value)
    # A network of another shape is refused with the shapes spelled out.
    other = build_model(spec, 2, 3, torch.Generator().manual_seed(1))
    upload(at, "other.safetensors", weights_bytes(other, spec), key="t.up.weights")
    run(at)
    assert any("2→" in e and "4→" in e for e in errors(at)), errors(at)


def test_no_usable_column_is_refused(at):
    run(at)
    rows = "\n".join(f"name{i},city{i}" for i in range(60))
    upload(at, "names.csv", f"name,city\n{rows}\n".encode())
    assert any("names.csv" in e for e in errors(at)), errors(at)
    assert at.session_state["t.table"].name == "iris.csv"


def test_an_empty_column_is_left_out_with_a_note(at):
    run(at)
    frame = small_table()
    frame.insert(1, "blank", np.nan)
    upload(at, "blank.csv", csv_bytes(frame))
    assert any("blank" in i.value for i in at.info)
    assert "blank" not in at.multiselect(key="t.features").options
    assert job(at).spec.source == "blank.csv"


def test_a_million_rows_are_sampled_with_a_notice(at):
    run(at)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1_000_000, 2)).round(3)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x.sum(axis=1) > 0).astype(int)})
    upload(at, "big.csv", csv_bytes(frame))
    assert any("1000000" in i.value.replace(",", "") for i in at.info), [i.value for i in at.info]
    j = job(at)
    assert len(j.data.y_train) + len(j.data.y_test) == 20_000


def test_a_json_file_named_csv_is_called_json(at):
    run(at)
    upload(at, "people.csv", b'[{"age": 31, "label": "a"}, {"age": 42, "label": "b"}]')
    (message,) = [e for e in errors(at) if "people.csv" in e]
    assert translate("tbl.error.json") in message and "JSON, not CSV" in message
    assert at.session_state["t.table"].name == "iris.csv"


def test_a_one_row_file_is_about_rows_not_missing_values(at):
    run(at)
    upload(at, "one.csv", b"a,b,label\n1.5,2,yes\n")
    text = " ".join(errors(at))
    assert translate("tbl.error.few_rows", rows="1", need="4") in text, text
    assert translate("tbl.error.too_few_rows", rows="1") not in text
    assert "missing" not in text
    assert job(at).spec.source == "iris.csv"  # the last table that could train stays


def test_left_out_columns_are_named_with_their_reason(at):
    run(at)
    frame = small_table()
    frame.insert(0, "name", [f"student {i}" for i in range(len(frame))])
    frame.insert(1, "unit", "cm")
    upload(at, "class.csv", csv_bytes(frame))
    captions = " ".join(c.value for c in at.caption)
    assert translate("tbl.note.left_id", columns="name") in captions, captions
    assert translate("tbl.note.left_constant", columns="unit") in captions
    assert "name" not in at.multiselect(key="t.features").options
    assert at.multiselect(key="t.features").value == ["a", "b", "colour"]
    assert job(at).feature_names[:2] == ("a", "b")
    at.multiselect(key="t.features").set_value(["a", "b", "colour", "unit"])
    run(at)  # chosen again: no longer said to be left out
    captions = " ".join(c.value for c in at.caption)
    assert translate("tbl.note.left_constant", columns="unit") not in captions
    assert translate("tbl.note.left_id", columns="name") in captions
