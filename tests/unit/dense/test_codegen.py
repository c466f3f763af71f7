"""Generated code: it compiles, imports nothing of ours, rebuilds exactly the
playground's data, weights and training, and the scripts run and learn."""

from __future__ import annotations

import ast
import math
import re
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_iris
from support import CPU, run_scripts, spec_for

from playground.core import catalog
from playground.data import table as table_data
from playground.data.features import FEATURES
from playground.dense.codegen import keras_code, pytorch_script
from playground.dense.codegen.data import feature_sources
from playground.dense.codegen.settings import KERAS_ACTIVATIONS, TORCH_ACTIVATIONS
from playground.dense.table_spec import TableExperiment
from playground.dense.trainer import Trainer

FINAL = re.compile(
    r"^final: train_loss=(\d+\.\d{4}) test_loss=(\d+\.\d{4})(?: test_acc=(\d\.\d{4}))?$", re.M
)

# Between them: every dataset, init, loss head, optimizer and regulariser, several
# feature sets, and every activation.
CASES = {
    "spiral_tanh_adam": dict(dataset="spiral", hidden="8-tanh,8-tanh", optimizer="adam"),
    "circle_squares_no_hidden": dict(dataset="circle", features="x1_sq,x2_sq", hidden="none"),
    "blobs_ce": dict(dataset="blobs", n_classes="4", loss="ce", hidden="8-relu",
                     features="x1,x2,x1_x2,sin_x1,sin_x2"),  # fmt: skip
    "plane_mse": dict(dataset="plane", loss="mse", hidden="4-linear"),
    "bump_huber": dict(dataset="bump", loss="huber", hidden="8-gelu,8-softplus", noise="0.1"),
    "xor_sgd_nesterov": dict(dataset="xor", optimizer="sgd", lr="0.1", momentum="0.9",
                             nesterov="1", hidden="8-leaky_relu,4-elu"),  # fmt: skip
    "moons_l1_xavier_tanh_mse": dict(dataset="moons", regularization="l1", reg_rate="0.001",
                                     init="xavier", hidden="8-silu", loss="tanh_mse"),  # fmt: skip
    "gauss_l2_he_rmsprop": dict(dataset="gauss", regularization="l2", reg_rate="0.01",
                                init="he", optimizer="rmsprop", momentum="0.5",
                                hidden="8-sigmoid"),  # fmt: skip
    "gauss_zeros_adagrad": dict(dataset="gauss", init="zeros", optimizer="adagrad"),
    "gauss_adamw_ce_binary": dict(dataset="gauss", optimizer="adamw", loss="ce", batch_size="7"),
}

IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
TABLE_CASES = {
    "iris": dict(source="iris.csv", target="species", features=list(IRIS_FEATURES),
                 problem="multiclass", n_classes="3", loss="ce"),  # fmt: skip
    "regression_impute_huber": dict(target="price", features=["size", "colour", "new"],
                                    problem="regression", loss="huber", missing="impute",
                                    regularization="l2", reg_rate="0.001"),  # fmt: skip
    "binary_all_columns_tanh": dict(problem="binary", loss="tanh_mse", optimizer="sgd",
                                    momentum="0.9", init="he", hidden="8-leaky_relu"),  # fmt: skip
}


def table_spec_for(**kw) -> TableExperiment:
    spec, notes = TableExperiment.parse(kw)
    assert notes == [], notes
    return spec


ALL_SPECS = [spec_for(**kw) for kw in CASES.values()]
ALL_SPECS += [table_spec_for(**kw) for kw in TABLE_CASES.values()]
ALL_IDS = [*CASES, *TABLE_CASES]


def run_in_process(src: str, monkeypatch, *argv: str) -> dict:
    """Execute a generated script here (no subprocess) and return its globals."""
    monkeypatch.setattr(sys, "argv", ["script.py", *argv])
    namespace = {"__name__": "__main__"}
    exec(compile(src, "<gen>", "exec"), namespace)
    return namespace


def final_numbers(stdout: str) -> tuple[float, float, float | None]:
    found = FINAL.findall(stdout)
    assert len(found) == 1, stdout[-2000:]
    train_loss, test_loss, test_acc = found[0]
    return float(train_loss), float(test_loss), float(test_acc) if test_acc else None


# ---- every case compiles ----------------------------------------------------------
@pytest.mark.parametrize("spec", ALL_SPECS, ids=ALL_IDS)
def test_pytorch_script_compiles(spec):
    src = pytorch_script(spec, n_in=6, epochs=42)
    compile(src, "<gen>", "exec")
    assert 'add_argument("--epochs", type=int, default=42' in src
    if spec.problem == "regression":
        assert "test_acc" not in src
    else:
        assert 'f"test_acc={test_acc:.4f}"' in src


@pytest.mark.parametrize("spec", ALL_SPECS, ids=ALL_IDS)
def test_keras_code_compiles(spec):
    src = keras_code(spec, n_in=6, epochs=42)
    compile(src, "<gen>", "exec")
    assert "keras.Sequential([" in src
    assert "model.fit(" in src and "validation_data=(x_test, t_test)" in src
    assert f"batch_size={spec.batch_size}" in src


@pytest.mark.parametrize("spec", ALL_SPECS, ids=ALL_IDS)
def test_code_imports_only_common_packages(spec):
    allowed = {"argparse", "math", "os", "numpy", "pandas", "torch", "sklearn", "keras"}
    for src in (pytorch_script(spec), keras_code(spec)):
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module]
            else:
                continue
            assert {n.split(".")[0] for n in names} <= allowed, names
        assert "playground import" not in src and "import playground" not in src


@pytest.mark.parametrize("spec", ALL_SPECS, ids=ALL_IDS)
def test_keras_layers_match_the_torch_layers(spec):
    """Same widths, same output width and squashing, same loss."""
    torch_src, keras_src = pytorch_script(spec), keras_code(spec)
    torch_widths = re.findall(r"nn\.Linear\(\w+, (\w+(?:\(\w+\))?)\)", torch_src)
    keras_widths = re.findall(r"layers\.Dense\((\w+(?:\(\w+\))?)", keras_src)
    assert keras_widths == torch_widths
    assert torch_widths[:-1] == [str(layer.width) for layer in spec.hidden]
    expected_out = ("len(CLASS_NAMES)" if isinstance(spec, TableExperiment) and spec.loss == "ce"
                    else str(catalog.LOSSES[spec.loss].n_out(spec.classes)))  # fmt: skip
    assert torch_widths[-1] == expected_out
    squash = {"bce": "sigmoid", "tanh_mse": "tanh", "ce": "softmax"}.get(spec.loss, "linear")
    assert f'layers.Dense({expected_out}, activation="{squash}"' in keras_src
    loss = {"bce": '"binary_crossentropy"', "tanh_mse": '"mse"', "mse": '"mse"',
            "ce": '"sparse_categorical_crossentropy"',
            "huber": "keras.losses.Huber(delta=0.25)"}[spec.loss]  # fmt: skip
    assert f"loss={loss}," in keras_src
    if spec.init in ("xavier", "he", "zeros"):
        init = {"xavier": "glorot_uniform", "he": "he_uniform", "zeros": "zeros"}[spec.init]
        assert f'kernel_initializer="{init}"' in keras_src
    if spec.regularization != "none":
        reg = f"keras.regularizers.{spec.regularization.upper()}({spec.reg_rate!r})"
        assert reg in keras_src
    hidden_acts = [layer.activation for layer in spec.hidden]
    assert keras_src.count("layers.LeakyReLU(negative_slope=0.01)") == hidden_acts.count(
        "leaky_relu")


def test_keras_optimizer_settings():
    def optimizer(**kw) -> str:
        return re.search(r"optimizer=(.*),\n", keras_code(spec_for(**kw))).group(1)

    assert optimizer(optimizer="sgd", lr="0.1", momentum="0.9", nesterov="1") == (
        "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)")
    assert optimizer(optimizer="sgd", lr="0.1") == "keras.optimizers.SGD(learning_rate=0.1)"
    assert optimizer(optimizer="adam", lr="0.003") == "keras.optimizers.Adam(learning_rate=0.003)"
    assert "weight_decay=0.0" in optimizer(optimizer="adamw")
    assert "rho=0.99" in optimizer(optimizer="rmsprop")
    assert "initial_accumulator_value=0.0" in optimizer(optimizer="adagrad")


def test_torch_optimizer_settings():
    src = pytorch_script(spec_for(optimizer="sgd", lr="0.1", momentum="0.9", nesterov="1"))
    assert "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)" in src
    src = pytorch_script(spec_for(optimizer="rmsprop", lr="0.01", momentum="0.5"))
    assert "torch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5)" in src
    src = pytorch_script(spec_for(regularization="l1", reg_rate="0.003"))
    assert "return 0.003 * sum(" in src and "layer.weight.abs().sum()" in src
    assert "penalty()" not in pytorch_script(spec_for(regularization="l2", reg_rate="0"))


def test_code_is_commented_and_spaced_for_reading():
    src = pytorch_script(ALL_SPECS[0])
    lines = src.splitlines()
    assert sum(line.lstrip().startswith("#") for line in lines) >= 15
    assert lines.count("") >= 30
    assert max(len(line) for line in lines) <= 100
    for section in ("# ---- Data", "# ---- Model", "# ---- Loss", "# ---- Training"):
        assert section in src


def test_script_embeds_the_generator_and_its_helpers():
    src = pytorch_script(spec_for(dataset="circle", features="x1,sin_x2"))
    assert "def circle(" in src and "def _seed(" in src and "EXTENT = 6.0" in src
    assert "from sklearn import datasets as skd" in src
    assert "def spiral(" not in src
    # The constant comes before the function that uses it.
    assert src.index("EXTENT = 6.0") < src.index("def circle(")
    assert '"sin_x2": lambda a, b: np.sin(b),' in src and '"x2":' not in src


def test_spiral_needs_no_scikit_learn_generator():
    src = pytorch_script(spec_for(dataset="spiral"))
    assert "def spiral(" in src and "skd" not in src and "def _seed(" not in src


def test_table_script_reads_the_csv_it_was_made_for():
    src = pytorch_script(table_spec_for(**TABLE_CASES["iris"]), n_in=4)
    assert 'add_argument("--csv", default="iris.csv"' in src
    assert 'pd.read_csv(args.csv, sep=None, engine="python")' in src
    assert "n_inputs = x_train.shape[1]  # 4 for the table" in src
    assert 'TARGET = "species"' in src
    unnamed = pytorch_script(table_spec_for(problem="regression", loss="mse"))
    assert 'default="data.csv"' in unnamed
    assert "TARGET = table.columns[-1]" in unnamed


def test_odd_column_names_become_valid_literals():
    spec = table_spec_for(target='the "price"', features=["a'b", "naïve\\path", "x y"],
                          problem="regression", loss="mse")  # fmt: skip
    src = pytorch_script(spec)
    compile(src, "<gen>", "exec")
    assert 'TARGET = "the \\"price\\""' in src
    assert '"naïve\\\\path",' in src


@pytest.mark.parametrize("make", [pytorch_script, keras_code])
def test_names_cannot_break_the_docstring(make):
    spec = table_spec_for(source='C:\\New\\x"""y\a.csv', target='end"""', problem="binary")
    src = make(spec, filename="my run.py")
    namespace: dict = {}
    exec(compile(src.split("import argparse")[0], "<gen>", "exec"), namespace)
    doc = namespace["__doc__"]
    assert 'C:\\New\\x"""y.csv' in doc and 'end"""' in doc
    assert "python 'my run.py' --csv" in doc


# ---- the tables that translate names stay complete --------------------------------
def test_every_activation_is_translated():
    assert set(TORCH_ACTIVATIONS) == set(catalog.ACTIVATIONS) == set(KERAS_ACTIVATIONS)
    from torch import nn  # noqa: F401 - the generated text names nn.*

    for name, text in TORCH_ACTIVATIONS.items():
        ours, theirs = eval(text), catalog.ACTIVATIONS[name]()  # noqa: S307 - our own table
        assert type(ours) is type(theirs)
        x = torch.linspace(-4, 4, 17)
        assert torch.equal(ours(x), theirs(x)), name


def test_every_feature_has_a_numpy_twin():
    sources = feature_sources()
    assert set(sources) == set(FEATURES)
    a = np.linspace(-6, 6, 25, dtype=np.float32)
    b = a[::-1].copy()
    for name, text in sources.items():
        assert "torch" not in text
        ours = eval(text, {"np": np})(a, b)  # noqa: S307 - our own source
        theirs = FEATURES[name](torch.from_numpy(a), torch.from_numpy(b)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


# ---- the script is the playground, step for step -----------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_script_rebuilds_the_playgrounds_data_weights_and_training(name, monkeypatch, capsys):
    spec = spec_for(**CASES[name])
    src = pytorch_script(spec)
    trainer = Trainer(spec, device=CPU, fast=False)  # autograd: the script's own arithmetic

    fresh = run_in_process(src, monkeypatch, "--epochs", "0")
    capsys.readouterr()
    np.testing.assert_allclose(fresh["x_train"], trainer.x_train.numpy(), atol=1e-6)
    np.testing.assert_allclose(fresh["x_test"], trainer.x_test.numpy(), atol=1e-6)
    np.testing.assert_array_equal(fresh["y_train"], trainer.data.y_train)
    np.testing.assert_array_equal(fresh["y_test"], trainer.data.y_test)
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(fresh["model"].state_dict()[key], value), key

    trained = run_in_process(src, monkeypatch, "--epochs", "2")
    trainer.train_epoch()
    trainer.train_epoch()
    for key, value in trainer.model.state_dict().items():
        torch.testing.assert_close(trained["model"].state_dict()[key], value, atol=1e-5, rtol=0)
    train_loss, test_loss, test_acc = final_numbers(capsys.readouterr().out)
    assert test_loss == pytest.approx(trainer.history.last("test_loss"), abs=2e-4)
    if spec.problem == "regression":
        assert test_acc is None
    else:
        assert test_acc == pytest.approx(trainer.history.last("test_acc"), abs=0.011)


def test_script_stops_early_where_the_playground_does(monkeypatch, capsys):
    spec = spec_for(dataset="gauss", noise="0.5", n_samples="200", train_ratio="0.1",
                    hidden="32-relu,32-relu", lr="0.01", early_stopping="1", patience="10")
    trainer = Trainer(spec, device=CPU, fast=False)
    while not trainer.done:
        trainer.train_epoch()
    ns = run_in_process(pytorch_script(spec), monkeypatch, "--epochs", "300")
    out = capsys.readouterr().out
    stop = re.search(r"^early stopping at epoch (\d+): back to the weights of epoch (\d+)$",
                     out, re.M)
    assert stop, out[-2000:]
    assert (int(stop[1]), int(stop[2])) == (trainer.epoch, trainer.best[1])
    for key, value in trainer.model.state_dict().items():
        torch.testing.assert_close(ns["model"].state_dict()[key], value, atol=1e-5, rtol=0)
    _, test_loss, _ = final_numbers(out)
    assert test_loss == pytest.approx(trainer.best[0], abs=2e-4)


def test_dropout_and_early_stopping_are_written_only_when_set():
    plain = pytorch_script(spec_for())
    assert "Dropout" not in plain and "PATIENCE" not in plain and "dropout:" not in plain
    spec = spec_for(dropout="0.25", early_stopping="1", patience="7", hidden="8-tanh,4-relu")
    src, keras = pytorch_script(spec), keras_code(spec)
    assert src.count("nn.Dropout(0.25),") == 2 and "PATIENCE = 7" in src
    assert "  dropout: 0.25 after each hidden layer" in src
    assert "  early stopping: patience 7 epochs, on the test loss" in src
    assert keras.count("layers.Dropout(0.25),") == 2
    assert ('EarlyStopping(\n        monitor="val_loss", patience=7, '
            "restore_best_weights=True)") in keras
    compile(src, "<gen>", "exec")
    compile(keras, "<gen>", "exec")


def write_iris(path) -> None:
    iris = load_iris(as_frame=True)
    frame = iris.frame.drop(columns="target")
    frame["species"] = [str(iris.target_names[i]) for i in iris.target]
    frame.to_csv(path, index=False)


def write_mixed_table(path) -> None:
    """Numbers, text, True/False and holes in every column, ';'-separated."""
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({
        "size": rng.normal(50, 10, n).round(2),
        "colour": rng.choice(["red", "green", "blue"], n),
        "new": rng.choice([True, False], n),
    })
    frame["price"] = (frame["size"] * 3 + (frame["colour"] == "red") * 20
                      + rng.normal(0, 1, n)).round(2)  # fmt: skip
    frame["label"] = np.where(frame["size"] > 50, "big", "small")
    frame.loc[[3, 40], "size"] = np.nan
    frame.loc[5, "colour"] = np.nan
    frame.loc[7, "price"] = np.nan
    frame.to_csv(path, index=False, sep=";")


@pytest.mark.parametrize("name", list(TABLE_CASES))
def test_table_script_prepares_the_table_as_the_playground_does(name, tmp_path, monkeypatch,
                                                                capsys):  # fmt: skip
    path = tmp_path / "data.csv"
    (write_iris if name == "iris" else write_mixed_table)(path)
    spec = table_spec_for(**TABLE_CASES[name])
    table = table_data.read_table(path.read_bytes(), "data.csv")
    target = spec.target or table_data.guess_target(table)
    features = spec.features or table_data.usable_features(table, target)
    prepared = table_data.prepare(table, target, features, "auto", spec.missing)
    data = table_data.to_dataset(prepared, spec.train_ratio, spec.seed)

    ns = run_in_process(pytorch_script(spec, prepared.x.shape[1]), monkeypatch,
                        "--epochs", "1", "--csv", str(path))  # fmt: skip
    assert tuple(ns["inputs"].columns) == prepared.feature_names
    np.testing.assert_allclose(ns["x_train"], data.x_train, atol=1e-6)
    np.testing.assert_allclose(ns["x_test"], data.x_test, atol=1e-6)
    np.testing.assert_allclose(ns["y_train"], data.y_train, atol=1e-6)
    if spec.problem != "regression":
        assert tuple(str(c) for c in ns["CLASS_NAMES"]) == prepared.class_names
    final_numbers(capsys.readouterr().out)


# ---- scripts run on their own ------------------------------------------------------
CIRCLE = dict(dataset="circle", features="x1,x2", hidden="8-tanh", n_samples="300")
PLANE = dict(dataset="plane", loss="mse", hidden="4-tanh", n_samples="200", noise="0.05")
KERAS_CASE = dict(dataset="circle", hidden="8-leaky_relu,4-tanh", init="he",
                  regularization="l2", reg_rate="0.0001", optimizer="sgd", momentum="0.9",
                  nesterov="1", lr="0.05")  # fmt: skip
EPOCHS = 30
REMEDIES = dict(dropout="0.2", early_stopping="1", patience="3")


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory):
    """Start every subprocess at once (they mostly wait on imports), then collect.
    name -> (returncode, stdout + stderr)."""
    folder = tmp_path_factory.mktemp("scripts")
    write_iris(folder / "iris.csv")
    jobs = {
        "circle": (pytorch_script(spec_for(**CIRCLE)), ["--epochs", str(EPOCHS)]),
        "plane": (pytorch_script(spec_for(**PLANE)), ["--epochs", "20"]),
        "iris": (pytorch_script(table_spec_for(**TABLE_CASES["iris"]), 4),
                 ["--epochs", "40", "--csv", str(folder / "iris.csv")]),
        # Keras with dropout and early stopping too (its patience outlasts the 2 epochs).
        "keras": (keras_code(spec_for(**KERAS_CASE, **REMEDIES), epochs=2), []),
    }
    return run_scripts(folder, jobs, timeout=120)


def trainer_after(spec, epochs: int) -> Trainer:
    trainer = Trainer(spec, device=CPU)
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer


def test_classification_script_learns_as_the_playground_does(script_runs):
    code, out = script_runs["circle"]
    assert code == 0, out[-3000:]
    _, test_loss, test_acc = final_numbers(out)
    trainer = trainer_after(spec_for(**CIRCLE), EPOCHS)
    expected = trainer.history.last("test_acc")
    assert test_acc > 0.9 and expected > 0.9
    assert abs(test_acc - expected) < 0.05
    assert math.isclose(test_loss, trainer.history.last("test_loss"), rel_tol=0.5, abs_tol=0.02)
    # Progress every tenth of the run, then the final line.
    progress = re.findall(r"^epoch\s+(\d+)\s+train_loss=", out, re.M)
    assert [int(e) for e in progress] == list(range(3, EPOCHS + 1, 3))
    assert out.rstrip().splitlines()[-1].startswith("final: ")


def test_regression_script_learns_as_the_playground_does(script_runs):
    code, out = script_runs["plane"]
    assert code == 0, out[-3000:]
    _, test_loss, test_acc = final_numbers(out)
    assert test_acc is None
    expected = trainer_after(spec_for(**PLANE), 20).history.last("test_loss")
    assert expected / 2 - 0.001 < test_loss < expected * 2 + 0.001
    assert test_loss < 0.02  # the targets spread over [-1, 1]: this is a fit


def test_table_script_learns_iris(script_runs):
    code, out = script_runs["iris"]
    assert code == 0, out[-3000:]
    assert "105 training and 45 test rows, 4 input columns, 3 classes" in out
    _, _, test_acc = final_numbers(out)
    assert test_acc > 0.8


def test_keras_code_runs_and_fits(script_runs):
    code, out = script_runs["keras"]
    assert code == 0, out[-3000:]
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert re.search(r"val_loss: \d", out)
    assert "leaky_re_lu" in out  # the summary shows PyTorch's slope as its own layer
    train_loss, test_loss, test_acc = final_numbers(out)
    assert 0 <= test_acc <= 1 and math.isfinite(train_loss) and math.isfinite(test_loss)


def test_scripts_with_dropout_and_early_stopping_run_and_stop(script_runs, monkeypatch,
                                                              capsys):
    # In this process: a fifth process importing torch beside the four above
    # is what a loaded 2-core machine can't start within their timeout.
    run_in_process(pytorch_script(spec_for(**CIRCLE, **REMEDIES)), monkeypatch,
                   "--epochs", "300")
    out = capsys.readouterr().out
    assert "Dropout(p=0.2" in out  # print(model)
    assert re.search(r"^early stopping at epoch \d+: back to the weights of epoch \d+$", out,
                     re.M), out[-3000:]
    _, _, test_acc = final_numbers(out)
    assert test_acc > 0.8
    code, out = script_runs["keras"]
    assert code == 0, out[-3000:]
    assert out.count("Dropout)") == 2  # the summary's two dropout layers
