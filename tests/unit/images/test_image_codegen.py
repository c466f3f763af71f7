"""The image page's generated code: it compiles, imports nothing of ours, builds
the playground's very network (module for module in PyTorch, parameter for
parameter in Keras), draws the playground's subset and split, trains as the
playground does, and both scripts run on their own."""

from __future__ import annotations

import ast
import gzip
import math
import os
import re
import struct
import sys

import numpy as np
import pytest
import torch
from support import CPU, run_scripts

from playground.data import idx
from playground.data.images import DIGIT_CLASSES, IMAGE_DATASETS, ImageSet, split_images
from playground.images.codegen import SOURCES, keras_code, pytorch_script
from playground.images.model import build_image_model, summarize
from playground.images.spec import ImageExperiment
from playground.images.trainer import ImageTrainer, load_splits

FINAL = re.compile(r"^final: test_loss=(\d+\.\d{4}) test_acc=(\d\.\d{4})$", re.M)
COURSE_CNN = ("conv:32:3:1:valid:relu,maxpool:2,conv:64:3:1:valid:relu,maxpool:2,"
              "conv:64:3:1:valid:relu,flatten,dense:64:relu")

# Between them: every layer kind and activation, both paddings (an uneven "same"
# too), strides, every optimizer, weight decay both ways, augmentation, early
# stopping, normalisation off, an empty stack and every image set.
CASES = {
    "digits_default": {},
    "cnn_same_bn_dropout_augment_stop": dict(
        layers="conv:8:3:1:same:relu,maxpool:2,conv:8:3:2:same:leaky_relu,batchnorm,"
               "dropout:0.3,dense:16:linear",
        augment="1", early_stopping="1", weight_decay="0.001", subset="500"),
    "avgpool_tanh_sgd_raw": dict(
        layers="conv:6:2:1:valid:tanh,avgpool:2:1,flatten,batchnorm,dense:12:gelu",
        optimizer="sgd", lr="0.05", normalize="0", subset="500"),
    "empty_rmsprop": dict(layers="none", optimizer="rmsprop", lr="0.01"),
    "adamw_decay_elu_silu": dict(layers="dense:32:elu,dropout:0.2,dense:16:silu",
                                 optimizer="adamw", weight_decay="0.01", subset="500"),
    "adagrad_sigmoid_softplus": dict(layers="conv:4:3:1:valid:sigmoid,flatten,dense:8:softplus",
                                     optimizer="adagrad", lr="0.05", batch_size="32",
                                     subset="500"),
    "mnist_course_cnn": dict(dataset="mnist", layers=COURSE_CNN, max_epochs="5"),
    "fashion_strided": dict(dataset="fashion", layers="conv:8:5:2:same:relu,maxpool:3:2"),
    "sample_dense_512": dict(dataset="mnist_sample", layers="dense:512:relu",
                             optimizer="rmsprop", max_epochs="5"),
}


def image_spec(**kw) -> ImageExperiment:
    spec, notes = ImageExperiment.parse(kw)
    assert notes == [], notes
    return spec


SPECS = {name: image_spec(**kw) for name, kw in CASES.items()}
DIGIT_CASES = [name for name, spec in SPECS.items() if spec.dataset == "digits"]


def run_in_process(src: str, monkeypatch, *argv: str) -> dict:
    """Execute a generated script here (no subprocess) and return its globals."""
    monkeypatch.setattr(sys, "argv", ["script.py", *argv])
    namespace = {"__name__": "__main__"}
    exec(compile(src, "<gen>", "exec"), namespace)
    return namespace


def final_numbers(out: str) -> tuple[float, float]:
    found = FINAL.findall(out)
    assert len(found) == 1, out[-3000:]
    return float(found[0][0]), float(found[0][1])


def block(src: str, start: str, end: str) -> str:
    """The lines of `src` from the one starting with `start` to the next line that
    is `end`, both included."""
    found = re.search(rf"^{re.escape(start)}.*?^{re.escape(end)}$", src, re.M | re.S)
    assert found, start
    return found[0]


# ---- every case compiles and is self-contained ----------------------------------
@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("make", [pytorch_script, keras_code])
def test_code_compiles_and_imports_only_common_packages(name, make):
    spec = SPECS[name]
    src = make(spec, filename="my run.py")
    tree = ast.parse(src)
    allowed = {"argparse", "copy", "gzip", "math", "os", "urllib", "numpy", "torch",
               "sklearn", "keras", "mlxtend", "safetensors"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        else:
            continue
        assert {n.split(".")[0] for n in names} <= allowed, names
    assert "playground import" not in src and "import playground" not in src
    assert f'default={spec.max_epochs}, help="passes' in src
    assert "python 'my run.py' --epochs" in src
    assert max(len(line) for line in src.splitlines()) <= 100
    assert src.count("# ----") >= 3  # data, model, training


def test_every_image_set_has_code_that_loads_it():
    assert set(SOURCES) == set(IMAGE_DATASETS)
    assert {spec.dataset for spec in SPECS.values()} == set(IMAGE_DATASETS)


def test_in_a_notebook_the_kernels_arguments_are_ignored(monkeypatch, capsys):
    src = pytorch_script(SPECS["digits_default"])
    ns = run_in_process(src, monkeypatch, "-f", "/tmp/kernel-1.json", "--epochs", "0")
    assert ns["args"].epochs == 0
    final_numbers(capsys.readouterr().out)


def test_epochs_and_names_can_be_given():
    src = pytorch_script(SPECS["digits_default"], epochs=7, filename="digits.py")
    assert 'type=int, default=7,' in src and "python digits.py --epochs 7" in src


def test_a_stack_that_cannot_be_built_has_no_code():
    spec = image_spec(layers="conv:8:11")  # an 11×11 kernel on 8×8 digits
    with pytest.raises(ValueError, match="cannot write code"):
        pytorch_script(spec)


# ---- the PyTorch model is the playground's, module for module ---------------------
@pytest.mark.parametrize("name", SPECS)
def test_torch_model_is_the_playgrounds(name):
    spec = SPECS[name]
    text = block(pytorch_script(spec), "model = nn.Sequential(", ")")
    namespace = {"nn": torch.nn}
    exec(text, namespace)
    ours = namespace["model"]
    theirs = build_image_model(spec)
    assert repr(ours) == repr(theirs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in theirs.state_dict().items()}
    assert sum(p.numel() for p in ours.parameters()) == summarize(spec).total_params


def test_course_cnn_reads_like_the_course():
    src = keras_code(SPECS["mnist_course_cnn"])
    assert "keras.Input(shape=(28, 28, 1))," in src
    for line in ('layers.Conv2D(32, (3, 3), activation="relu"),', "layers.MaxPooling2D((2, 2)),",
                 'layers.Conv2D(64, (3, 3), activation="relu"),', "layers.Flatten(),",
                 'layers.Dense(64, activation="relu"),',
                 'layers.Dense(10, activation="softmax"),'):
        assert line in src
    assert 'loss="sparse_categorical_crossentropy"' in src
    assert "keras.optimizers.Adam(learning_rate=0.001)" in src
    torch_src = pytorch_script(SPECS["mnist_course_cnn"])
    assert "nn.Conv2d(1, 32, kernel_size=3),  # -> (32, 26, 26)" in torch_src
    assert "nn.Linear(576, 64),  # -> (64,)" in torch_src


def test_optimizer_settings_in_both_frameworks():
    def optimizers(**kw) -> tuple[str, str]:
        spec = image_spec(**kw)
        torch_line = re.search(r"torch\.optim\.(.*)\n", pytorch_script(spec))[1]
        keras_line = re.search(r"optimizer=keras\.optimizers\.(.*),\n", keras_code(spec))[1]
        return torch_line, keras_line

    assert optimizers(optimizer="sgd", lr="0.1") == (
        "SGD(model.parameters(), lr=0.1)", "SGD(learning_rate=0.1)")
    assert optimizers(optimizer="adamw") == (
        "AdamW(model.parameters(), lr=0.001, weight_decay=0.0)",
        "AdamW(learning_rate=0.001, weight_decay=0.0)")
    assert optimizers(optimizer="rmsprop")[1] == "RMSprop(learning_rate=0.001, rho=0.99)"
    assert "initial_accumulator_value=0.0" in optimizers(optimizer="adagrad")[1]
    torch_line, keras_line = optimizers(weight_decay="0.002")
    assert torch_line == "Adam(model.parameters(), lr=0.001, weight_decay=0.002)"
    assert keras_line == "Adam(learning_rate=0.001)"  # an L2 penalty on the layers instead
    assert "decay = keras.regularizers.L2(0.001)" in keras_code(image_spec(weight_decay="0.002"))


# ---- the Keras model has the same parameters ---------------------------------------
@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    assert keras.backend.backend() == "torch"
    return keras


@pytest.mark.parametrize("name", SPECS)
def test_keras_model_has_the_playgrounds_parameters(name, keras):
    spec = SPECS[name]
    src = keras_code(spec)
    text = block(src, "keras.utils.set_random_seed(SEED)", "model.summary()")
    namespace = {"keras": keras, "layers": keras.layers, "SEED": 1, "mean": 0.1, "std": 0.3}
    exec(text, namespace)
    model = namespace["model"]
    summary = summarize(spec)
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    assert trainable == summary.total_params
    assert tuple(model.output_shape) == (None, spec.n_classes)
    # Layer by layer, the shapes are PyTorch's, channels-last.
    c, h, w = spec.input_shape
    x, shapes = np.zeros((2, h, w, c), np.float32), []
    for layer in model.layers:
        x = layer(x)
        if type(layer).__name__ in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
            shapes.append(tuple(x.shape[1:]))
    expected = [(*row.output[1:], row.output[0]) for row in summary.rows
                if row.kind in ("conv", "maxpool", "avgpool")]
    assert shapes == expected


# ---- the script is the playground, step for step ------------------------------------
@pytest.mark.parametrize("name", DIGIT_CASES)
def test_script_draws_builds_and_trains_as_the_playground(name, monkeypatch, capsys):
    spec = SPECS[name]
    src = pytorch_script(spec)
    trainer = ImageTrainer(spec, device=CPU)
    s = trainer.splits

    fresh = run_in_process(src, monkeypatch, "--epochs", "0")
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(fresh[f"x_{part}"], getattr(s, f"x_{part}"))
        np.testing.assert_array_equal(fresh[f"y_{part}"], getattr(s, f"y_{part}"))
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(fresh["model"].state_dict()[key], value), key
    capsys.readouterr()

    trained = run_in_process(src, monkeypatch, "--epochs", "1")
    torch.manual_seed(spec.seed)  # the script seeds dropout's generator; the page doesn't
    trainer.train_epoch()
    for key, value in trainer.model.state_dict().items():
        torch.testing.assert_close(trained["model"].state_dict()[key], value, atol=1e-5, rtol=0)
    test_loss, test_acc = final_numbers(capsys.readouterr().out)
    loss, acc = trainer.evaluate(trainer.x_test, trainer.y_test)
    assert test_loss == pytest.approx(loss, abs=2e-4)
    assert test_acc == pytest.approx(acc, abs=0.002)


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return gzip.compress(header + array.tobytes())


@pytest.fixture(scope="module")
def mnist_dir(tmp_path_factory):
    """Tiny files under MNIST's published names, 9 of each digit: no download."""
    folder = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(3)
    labels = np.arange(90, dtype=np.uint8) % 10
    images = rng.integers(0, 256, (90, 28, 28), dtype=np.uint8)
    images[np.arange(90), labels, labels] = 255  # something to learn
    arrays = {"train_images": images[:60], "train_labels": labels[:60],
              "test_images": images[60:], "test_labels": labels[60:]}
    for role, array in arrays.items():
        (folder / idx.SOURCES["mnist"].files[role][0]).write_bytes(idx_gz(array))
    x = (np.concatenate([images[:60], images[60:]]).astype(np.float32) / 255.0)[:, None]
    return folder, ImageSet("mnist", x, labels.astype(np.int64), DIGIT_CLASSES)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras's own, in its evaluate
@pytest.mark.parametrize("make", [pytorch_script, keras_code])
def test_mnist_script_reads_the_published_files(make, mnist_dir, monkeypatch, capsys):
    folder, images = mnist_dir
    spec = SPECS["mnist_course_cnn"]
    src = make(spec)
    assert '"https://ossci-datasets.s3.amazonaws.com/mnist/",' in src
    ns = run_in_process(src, monkeypatch, "--epochs", "0", "--data-dir", str(folder))
    s = split_images(images, spec.subset, spec.val_ratio, spec.test_ratio, spec.normalize,
                     spec.seed)
    channels_last = make is keras_code
    for part in ("train", "val", "test"):
        x = getattr(s, f"x_{part}")
        np.testing.assert_array_equal(ns[f"x_{part}"], x.transpose(0, 2, 3, 1)
                                      if channels_last else x)
        np.testing.assert_array_equal(ns[f"y_{part}"], getattr(s, f"y_{part}"))
    capsys.readouterr()


def test_sample_script_draws_the_playgrounds_split(monkeypatch, capsys):
    spec = SPECS["sample_dense_512"]
    ns = run_in_process(pytorch_script(spec), monkeypatch, "--epochs", "0")
    s = load_splits(spec)
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(ns[f"x_{part}"], getattr(s, f"x_{part}"))
        np.testing.assert_array_equal(ns[f"y_{part}"], getattr(s, f"y_{part}"))
    assert len(ns["y_train"]) == spec.n_train
    final_numbers(capsys.readouterr().out)


# ---- scripts run on their own ----------------------------------------------------------
@pytest.fixture(scope="module")
def script_runs(tmp_path_factory, mnist_dir):
    """Start every subprocess at once (they mostly wait on imports), then collect.
    name -> (returncode, stdout + stderr)."""
    folder = tmp_path_factory.mktemp("image_scripts")
    data = ["--data-dir", str(mnist_dir[0])]
    one_step = image_spec(dataset="mnist", layers=COURSE_CNN, batch_size="128")
    jobs = {
        # The course's CNN on 28×28 images, one epoch of a small subset.
        "torch_cnn": (pytorch_script(SPECS["mnist_course_cnn"]), ["--epochs", "1", *data]),
        # Keras: one step (70 training images, batches of 128).
        "keras_cnn": (keras_code(one_step), ["--epochs", "1", *data]),
        "keras_augment": (keras_code(SPECS["cnn_same_bn_dropout_augment_stop"]),
                          ["--epochs", "1", "--subset", "100"]),
    }
    return run_scripts(folder, jobs, timeout=240, env={"OMP_NUM_THREADS": "1"})


@pytest.mark.parametrize("name", ["torch_cnn", "keras_cnn", "keras_augment"])
def test_scripts_run_to_their_final_line(name, script_runs):
    code, out = script_runs[name]
    assert code == 0, out[-3000:]
    test_loss, test_acc = final_numbers(out)
    assert math.isfinite(test_loss) and 0.0 <= test_acc <= 1.0
    assert out.rstrip().splitlines()[-1].startswith("final: ")
    if name.startswith("torch"):
        epochs = re.findall(r"^epoch\s+(\d+)\s+train_loss=", out, re.M)
        assert epochs[0] == "0" and len(epochs) >= 2


def test_the_course_cnn_runs_as_the_playground_counts_it(script_runs):
    _, out = script_runs["torch_cnn"]
    assert f"{summarize(SPECS['mnist_course_cnn']).total_params:,} parameters" in out
    _, out = script_runs["keras_cnn"]
    assert "Trainable params: 93,322" in out  # the course's own count
    assert re.search(r"^1/1 - ", out, re.M), out[-1500:]  # one epoch of one step
