"""Runnable code from a spec: a standalone PyTorch script and the same model in Keras.

The code is shown to learners, so it is written the way a person would write
it: plain top-to-bottom scripts with comments, the settings filled in as
literals, and nothing imported from the playground. The data part is shared
by both scripts:

- an `Experiment` embeds the source of its toy dataset generator (copied from
  playground/data/toy2d.py, with the helpers and constants it uses) and of the
  chosen input features, then shuffles and splits exactly as
  playground.data.dataset.make_dataset does, so the PyTorch script sees the
  very points the playground trained on;
- a `TableExperiment` reads the CSV (`--csv`), handles missing values, one-hot
  encodes text columns, standardises numbers, encodes the target and splits
  with scikit-learn's `train_test_split`.

Both scripts take `--epochs` and end with one line
`final: train_loss=0.1234 test_loss=0.2345 test_acc=0.9500`
(`test_acc` left out for regression).
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from functools import cache

from playground.core import catalog
from playground.core.losses import HUBER_DELTA
from playground.data import features as features_module
from playground.data import toy2d

# Activation name -> PyTorch module, as catalog.ACTIVATIONS builds them.
TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "softplus": "nn.Softplus()",
}

# Activation name -> Keras activation name. Leaky ReLU is the exception:
# Keras's "leaky_relu" has slope 0.2, PyTorch's 0.01, so it gets its own layer.
KERAS_ACTIVATIONS = {
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "linear": "linear",
    "leaky_relu": "linear",
    "elu": "elu",
    "gelu": "gelu",  # Keras 3's gelu is exact (approximate=False), as nn.GELU
    "silu": "silu",
    "softplus": "softplus",
}

KERAS_INITS = {"xavier": "glorot_uniform", "he": "he_uniform", "zeros": "zeros"}
INIT_WORDS = {"xavier": "Glorot (Xavier) uniform", "he": "He uniform", "zeros": "all-zero"}

HEAD_WORDS = {
    "bce": "sigmoid + binary cross-entropy",
    "tanh_mse": "tanh + mean squared error on labels ±1",
    "ce": "softmax + cross-entropy",
    "mse": "mean squared error",
    "huber": f"Huber loss (delta {HUBER_DELTA})",
}


def is_table(spec) -> bool:
    return hasattr(spec, "target")


def _check(spec) -> None:
    for layer in spec.hidden:
        if layer.activation not in TORCH_ACTIVATIONS:
            raise ValueError(f"unknown activation {layer.activation!r}")
    if spec.loss not in catalog.LOSSES:
        raise ValueError(f"unknown loss {spec.loss!r}")


# ---- public ----------------------------------------------------------------------
def pytorch_script(spec, n_in: int | None = None, epochs: int = 100, *,
                   filename: str = "train.py") -> str:
    """A standalone PyTorch script that trains the spec's network on its data.

    `n_in` (the number of encoded input columns) is only used for tables, in a
    comment; the script computes it from the data it reads. `epochs` is the
    default of its --epochs option; `filename` appears in its "Run it with" line.
    """
    _check(spec)
    table = is_table(spec)
    out = [_docstring(spec, "PyTorch", epochs, filename)]
    out.append(_imports(spec, "torch") + "\n\n" + _arguments(spec, epochs))
    out.append(_data_section(spec))
    out.append(_torch_model_section(spec, n_in if table else None))
    out.append(_torch_loss_section(spec))
    out.append(_torch_training_section(spec))
    return _join(out)


def keras_code(spec, n_in: int | None = None, epochs: int = 100, *,
               filename: str = "train_keras.py") -> str:
    """The same network and training in Keras 3, as a script with the same data code.
    Arguments as for pytorch_script."""
    _check(spec)
    table = is_table(spec)
    out = [_docstring(spec, "Keras", epochs, filename)]
    out.append(_imports(spec, "keras") + "\n\n" + _arguments(spec, epochs))
    out.append(_data_section(spec))
    out.append(_keras_model_section(spec, n_in if table else None))
    out.append(_keras_training_section(spec))
    return _join(out)


def _comment(text: str) -> list[str]:
    """A comment wrapped to 88 columns."""
    return textwrap.wrap(text, 86, initial_indent="# ", subsequent_indent="# ")


def _join(sections: list[str]) -> str:
    # Two blank lines between sections, as between top-level definitions.
    text = "\n\n\n".join(s.strip("\n") for s in sections if s.strip())
    return text + "\n"


# ---- header ----------------------------------------------------------------------
def _docstring(spec, framework: str, epochs: int, filename: str) -> str:
    script = _shell_word(filename)
    if is_table(spec):
        name = spec.source or "data.csv"
        target = f'target column "{spec.target}"' if spec.target else "target: the last column"
        what = f'the table "{name}" ({target})'
        needs = "torch, numpy, pandas and scikit-learn"
        run = f"python {script} --csv {_shell_word(name)} --epochs {epochs}"
    else:
        what = f'the "{spec.dataset}" dataset'
        needs = "torch, numpy and scikit-learn"
        run = f"python {script} --epochs {epochs}"
    if framework == "Keras":
        needs = "keras 3 (here on the PyTorch backend), " + needs
    hidden = ", ".join(f"{layer.width} {layer.activation}" for layer in spec.hidden) or "none"
    lines = [
        f"A neural network on {what}, in {framework}.",
        "",
        "Exported from the Neural Network Playground with the same data, network and",
        "training settings:",
        "",
        f"  hidden layers: {hidden}",
        f"  output: {HEAD_WORDS[spec.loss]}",
        f"  optimizer: {spec.optimizer}, learning rate {spec.lr}, batch size {spec.batch_size}",
        f"  seed: {spec.seed}",
        "",
        f"Run it with:  {run}",
        f"Needs {needs}.",
    ]
    # Column and file names are the user's: keep them from ending or breaking the docstring.
    text = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = "".join(c for c in text if c >= " " or c == "\n")
    return f'"""{text}\n"""'


def _py(text: str) -> str:
    """A Python string literal in double quotes (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _shell_word(text: str) -> str:
    safe = all(c.isalnum() or c in "._-/" for c in text)
    return text if safe and text else "'" + text.replace("'", "'\\''") + "'"


def _imports(spec, framework: str) -> str:
    table = is_table(spec)
    std = ["import argparse"]
    if framework == "torch" and spec.init == "default":
        std.append("import math")
    if framework == "keras":
        std.append("import os")
    third = ["import numpy as np"]
    if table:
        third.append("import pandas as pd")
    if framework == "torch":
        third.append("import torch")
        third.append("import torch.nn.functional as F")
    if table:
        third.append("from sklearn.model_selection import train_test_split")
    else:
        third.extend(_toy2d_imports(spec.dataset))
    if framework == "torch":
        third.append("from torch import nn")
    # isort's order: plain imports, then from-imports, each alphabetical.
    third.sort(key=lambda line: (line.startswith("from"), line.split()[1].lower()))
    text = "\n".join(std) + "\n\n" + "\n".join(third)
    if framework == "keras":
        text += (
            "\n\n# Keras 3 runs on TensorFlow, JAX or PyTorch: use PyTorch unless KERAS_BACKEND\n"
            "# says otherwise. The backend must be chosen before keras is imported.\n"
            'os.environ.setdefault("KERAS_BACKEND", "torch")\n'
            "\n"
            "import keras  # noqa: E402\n"
            "from keras import layers  # noqa: E402"
        )
    return text


def _arguments(spec, epochs: int) -> str:
    lines = [
        "parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        f'parser.add_argument("--epochs", type=int, default={int(epochs)}, '
        'help="passes over the training set")',
    ]
    if is_table(spec):
        default = spec.source or "data.csv"
        lines.append(
            f'parser.add_argument("--csv", default={_py(default)}, help="the table to read")'
        )
    lines.append("args = parser.parse_args()")
    lines.append("")
    lines.append(f"SEED = {spec.seed}  # seeds the data, the initial weights and the shuffling")
    return "\n".join(lines)


# ---- data ------------------------------------------------------------------------
def _data_section(spec) -> str:
    return _table_data(spec) if is_table(spec) else _toy_data(spec)


@cache
def _toy2d_parts() -> tuple[dict[str, str], dict[str, set[str]], dict[str, str]]:
    """toy2d's top-level definitions: name -> source, name -> names it uses,
    and alias -> import statement."""
    source = inspect.getsource(toy2d)
    lines = source.splitlines()
    tree = ast.parse(source)
    parts: dict[str, str] = {}
    uses: dict[str, set[str]] = {}
    imports: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.Assign, ast.AnnAssign)):
            if isinstance(node, ast.FunctionDef):
                name = node.name
            else:
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if not isinstance(target, ast.Name):
                    continue
                name = target.id
            # Whole lines, so a constant keeps its trailing comment.
            parts[name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            uses[name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {name}
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset == 0:
            text = ast.get_source_segment(source, node)
            for alias in node.names:
                if alias.name != "annotations":
                    imports[alias.asname or alias.name.split(".")[0]] = text
    return parts, uses, imports


def _toy2d_needs(name: str) -> list[str]:
    """The generator and every top-level toy2d name it uses, dependencies first."""
    parts, uses, _ = _toy2d_parts()
    order: list[str] = []

    def visit(n: str) -> None:
        if n in order or n not in parts:
            return
        for dep in sorted(uses[n]):
            visit(dep)
        order.append(n)

    visit(name)
    # Constants before functions, each group in dependency order.
    return sorted(order, key=lambda n: parts[n].startswith(("def ", "async def ")))


def _toy2d_imports(dataset: str) -> list[str]:
    _, uses, imports = _toy2d_parts()
    names = set().union(*(uses[n] for n in _toy2d_needs(_generator_name(dataset))))
    return sorted({imports[a] for a in names if a in imports} - {"import numpy as np"})


def _generator_name(dataset: str) -> str:
    fn = catalog.DATASETS[dataset].make
    if getattr(fn, "__module__", None) != toy2d.__name__:
        raise ValueError(f"dataset {dataset!r} has no toy2d generator")
    return fn.__name__


@cache
def _feature_sources() -> dict[str, str]:
    """Feature name -> its lambda's source, numpy instead of torch."""
    source = inspect.getsource(features_module)
    tree = ast.parse(source)
    out: dict[str, str] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id == "FEATURES":
            for key, value in zip(node.value.keys, node.value.values):
                text = ast.get_source_segment(source, value)
                out[ast.literal_eval(key)] = text.replace("torch.", "np.")
    return out


def _toy_data(spec) -> str:
    parts, _, _ = _toy2d_parts()
    gen = _generator_name(spec.dataset)
    sources = _feature_sources()
    n, n_train = spec.n_samples, spec.n_train
    call = f"{gen}({n}, {spec.noise!r}, rng"
    call += f", n_classes={spec.n_classes})" if spec.problem == "multiclass" else ")"
    label_words = {
        "binary": "class labels 0 and 1",
        "multiclass": f"class labels 0 to {spec.n_classes - 1}",
        "regression": "a target value in [-1, 1]",
    }[spec.problem]
    out = [
        "# ---- Data " + "-" * 70,
        "# The dataset generator, copied from the playground (playground/data/toy2d.py).",
        f"# It returns points (N, 2) in the square [-{toy2d.EXTENT:g}, {toy2d.EXTENT:g}]² and "
        f"{label_words}.",
        "",
        "",
    ]
    out.append("\n\n\n".join(parts[name] for name in _toy2d_needs(gen)))
    out += [
        "",
        "",
        "# Input features: what the network sees of a point (a, b) = (x1, x2).",
        "FEATURES = {",
        *(f'    "{name}": {sources[name]},' for name in spec.features),
        "}",
        "",
        "",
        "def feature_matrix(points):",
        '    """(N, 2) points -> (N, F) network inputs, one column per feature."""',
        "    a, b = points[:, 0], points[:, 1]",
        "    return np.stack([f(a, b) for f in FEATURES.values()], axis=1).astype(np.float32)",
        "",
        "",
        f"# {n} points with noise {spec.noise!r}, shuffled; the first {n_train} train the "
        "network,",
        f"# the other {n - n_train} test it.",
        "rng = np.random.default_rng(SEED)",
        f"points, labels = {call}",
        "order = rng.permutation(len(points))",
        "points, labels = points[order], labels[order]",
        f"x_train, y_train = feature_matrix(points[:{n_train}]), labels[:{n_train}]",
        f"x_test, y_test = feature_matrix(points[{n_train}:]), labels[{n_train}:]",
        'print(f"{len(x_train)} training and {len(x_test)} test points, '
        '{x_train.shape[1]} features")',
    ]
    return "\n".join(out)


def _table_data(spec) -> str:
    classification = spec.problem != "regression"
    out = [
        "# ---- Data " + "-" * 70,
        "# sep=None lets pandas find the separator (comma, semicolon, tab, ...).",
        'table = pd.read_csv(args.csv, sep=None, engine="python")',
    ]
    if spec.target:
        out.append(f"TARGET = {_py(spec.target)}")
    else:
        out.append("TARGET = table.columns[-1]  # the last column")
    if spec.features:
        out.append("FEATURES = [")
        out += [f"    {_py(name)}," for name in spec.features]
        out.append("]")
        out.append("FEATURES = [c for c in table.columns if c in FEATURES]  # in the table's order")
    else:
        out.append("FEATURES = [c for c in table.columns if c != TARGET]  # every other column")
    out += [
        "table = table[FEATURES + [TARGET]]",
        "",
        "",
        "def is_number(column):",
        '    """Numbers are standardised; anything else (text, True/False) is one-hot encoded."""',
        "    types = pd.api.types",
        "    return types.is_numeric_dtype(column) and not types.is_bool_dtype(column)",
        "",
        "",
        "# Rows without a target can't be learned from.",
        "table = table.dropna(subset=[TARGET])",
    ]
    if spec.missing == "drop":
        out += [
            "# Rows with a missing input are left out.",
            "table = table.dropna()",
        ]
    else:
        out += [
            "# Missing inputs are filled in: the median of a numeric column, the most",
            "# frequent value of a text column.",
            "table = table.copy()",
            "for column in FEATURES:",
            "    values = table[column]",
            "    fill = values.median() if is_number(values) else values.mode().iloc[0]",
            "    table[column] = values.fillna(fill)",
        ]
    out += [
        "",
        "# Inputs: numbers are standardised to mean 0 and standard deviation 1; a text",
        "# column becomes one 0/1 column per value (one-hot).",
        "blocks = []",
        "for column in FEATURES:",
        "    values = table[column]",
        "    if is_number(values):",
        "        spread = values.std(ddof=0) or 1.0  # a constant column stays 0",
        "        blocks.append((values - values.mean()) / spread)",
        "    else:",
        '        blocks.append(pd.get_dummies(values.astype(str), prefix=column, prefix_sep="=",',
        "                                     dtype=float))",
        "inputs = pd.concat(blocks, axis=1)",
        "x = inputs.to_numpy(dtype=np.float32)  # (N, F)",
        "",
    ]
    if classification:
        out += [
            "# Target: each class becomes a number 0, 1, 2, ... in sorted order.",
            "y, CLASS_NAMES = pd.factorize(table[TARGET], sort=True)",
            "y = y.astype(np.int64)",
        ]
    else:
        out += [
            "# Target: standardised too, so the loss reads the same for any unit.",
            "y = table[TARGET].to_numpy(dtype=np.float64)",
            "y = ((y - y.mean()) / (y.std() or 1.0)).astype(np.float32)",
        ]
    out += [
        "",
        f"# {spec.train_ratio:.0%} of the rows train the network, the rest test it.",
        "n = len(y)",
        f"n_train = min(max(round(n * {spec.train_ratio!r}), 1), n - 1)",
    ]
    if classification:
        out += [
            "# Stratified: each class keeps its share in both parts, when every class has",
            "# at least two rows and each part has room for every class.",
            "counts = np.bincount(y)",
            "fits = counts.min() >= 2 and min(n_train, n - n_train) >= len(counts)",
            "stratify = y if fits else None",
        ]
    else:
        out.append("stratify = None")
    out += [
        "x_train, x_test, y_train, y_test = train_test_split(",
        "    x, y, train_size=n_train, test_size=n - n_train, random_state=SEED, stratify=stratify",
        ")",
    ]
    if classification:
        out += [
            'print(f"{len(x_train)} training and {len(x_test)} test rows, "',
            '      f"{x.shape[1]} input columns, {len(CLASS_NAMES)} classes")',
        ]
    else:
        out += [
            'print(f"{len(x_train)} training and {len(x_test)} test rows, "',
            '      f"{x.shape[1]} input columns")',
        ]
    return "\n".join(out)


# ---- PyTorch ---------------------------------------------------------------------
def _n_out_expr(spec) -> str:
    """The output layer's width: a number, or for a table's classes an expression."""
    if spec.loss == "ce" and is_table(spec):
        return "len(CLASS_NAMES)"
    return str(catalog.LOSSES[spec.loss].n_out(spec.classes))


def _torch_model_section(spec, n_in: int | None) -> str:
    table = is_table(spec)
    squash = {"bce": "sigmoid", "tanh_mse": "tanh", "ce": "softmax"}.get(spec.loss)
    out = ["# ---- Model " + "-" * 69]
    if table:
        note = f"  # {n_in} for the table this script was made from" if n_in else ""
        out.append(f"n_inputs = x_train.shape[1]{note}")
        width_in = "n_inputs"
    else:
        width_in = str(len(spec.features))
    if squash:
        out.append(f"# The output layer is linear: its {squash} is part of the loss below.")
    else:
        out.append("# The output layer is linear: the network's output is the prediction.")
    out.append("model = nn.Sequential(")
    for layer in spec.hidden:
        out.append(f"    nn.Linear({width_in}, {layer.width}),")
        out.append(f"    {TORCH_ACTIVATIONS[layer.activation]},")
        width_in = str(layer.width)
    out.append(f"    nn.Linear({width_in}, {_n_out_expr(spec)}),")
    out.append(")")
    out.append("")
    out += _torch_init(spec.init)
    out.append("print(model)")
    return "\n".join(out)


def _torch_init(scheme: str) -> list[str]:
    comment, body = {
        "default": (
            "PyTorch's own default (uniform in ±1/sqrt(fan_in) for weights and biases)",
            [
                "nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=init_gen)",
                "bound = 1 / math.sqrt(layer.in_features)",
                "nn.init.uniform_(layer.bias, -bound, bound, generator=init_gen)",
            ],
        ),
        "xavier": (
            "Xavier (Glorot) uniform weights, zero biases",
            [
                "nn.init.xavier_uniform_(layer.weight, generator=init_gen)",
                "nn.init.zeros_(layer.bias)",
            ],
        ),
        "he": (
            "He (Kaiming) uniform weights for ReLU networks, zero biases",
            [
                'nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu", generator=init_gen)',
                "nn.init.zeros_(layer.bias)",
            ],
        ),
        "zeros": (
            "all zeros (every neuron of a layer then stays the same: try it and see)",
            ["nn.init.zeros_(layer.weight)", "nn.init.zeros_(layer.bias)"],
        ),
    }[scheme]
    out = _comment(f"Initial weights: {comment}, drawn from a generator seeded with SEED.")
    out.append("init_gen = torch.Generator().manual_seed(SEED)")
    out.append("for layer in model:")
    out.append("    if isinstance(layer, nn.Linear):")
    out += [f"        {line}" for line in body]
    out.append("")
    return out


def _torch_loss_section(spec) -> str:
    name = spec.loss
    out = ["# ---- Loss " + "-" * 70]
    if name == "bce":
        out += [
            "# Binary cross-entropy on the raw output z: sigmoid(z) is the probability of",
            "# class 1. The fused form (with logits) is the numerically stable one.",
            "def targets(labels):",
            '    """Labels (N,) -> (N, 1) floats 0 or 1."""',
            "    return torch.as_tensor(labels).float().unsqueeze(1)",
            "",
            "",
            "def loss_fn(z, t):",
            "    return F.binary_cross_entropy_with_logits(z, t)",
            "",
            "",
            "def predict(z):",
            '    """Outputs (N, 1) -> classes (N,): sigmoid(z) > 0.5 exactly when z > 0."""',
            "    return (z[:, 0] > 0).long()",
        ]
    elif name == "tanh_mse":
        out += [
            "# tanh squashes the output into [-1, 1]; the labels 0 and 1 become -1 and +1",
            "# and the loss is the mean squared error between them.",
            "def targets(labels):",
            '    """Labels (N,) -> (N, 1) floats -1 or +1."""',
            "    return (torch.as_tensor(labels).float() * 2 - 1).unsqueeze(1)",
            "",
            "",
            "def loss_fn(z, t):",
            "    return F.mse_loss(torch.tanh(z), t)",
            "",
            "",
            "def predict(z):",
            '    """Outputs (N, 1) -> classes (N,): tanh(z) > 0 exactly when z > 0."""',
            "    return (z[:, 0] > 0).long()",
        ]
    elif name == "ce":
        out += [
            "# Cross-entropy over the classes; softmax(z) gives the class probabilities.",
            "def targets(labels):",
            '    """Labels (N,) -> (N,) class indices."""',
            "    return torch.as_tensor(labels).long()",
            "",
            "",
            "def loss_fn(z, t):",
            "    return F.cross_entropy(z, t)",
            "",
            "",
            "def predict(z):",
            '    """Outputs (N, classes) -> the most likely class (N,)."""',
            "    return z.argmax(dim=1)",
        ]
    else:
        loss = (
            f"F.huber_loss(z, t, delta={HUBER_DELTA})" if name == "huber" else "F.mse_loss(z, t)"
        )
        comment = (
            f"# Huber loss: squared error for errors below {HUBER_DELTA}, linear beyond, so"
            "\n# outliers pull less than with the mean squared error."
            if name == "huber"
            else "# Mean squared error between the output and the target."
        )
        out += [
            comment,
            "def targets(values):",
            '    """Targets (N,) -> (N, 1) floats."""',
            "    return torch.as_tensor(values).float().unsqueeze(1)",
            "",
            "",
            "def loss_fn(z, t):",
            f"    return {loss}",
        ]
    return "\n".join(out)


def _torch_optimizer(spec) -> str:
    args = [f"lr={spec.lr!r}"]
    if spec.optimizer in ("sgd", "rmsprop") and spec.momentum > 0:
        args.append(f"momentum={spec.momentum!r}")
    if spec.optimizer == "sgd" and spec.nesterov and spec.momentum > 0:
        args.append("nesterov=True")
    if spec.optimizer == "adamw":
        args.append("weight_decay=0.0")
    cls = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
           "adagrad": "Adagrad"}[spec.optimizer]
    line = f"optimizer = torch.optim.{cls}(model.parameters(), {', '.join(args)})"
    if spec.optimizer == "adamw":
        line = (
            "# The playground runs AdamW without its own weight decay; the L1/L2 setting\n"
            "# is the regulariser.\n" + line
        )
    return line


def _regularized(spec) -> bool:
    return spec.regularization != "none" and spec.reg_rate > 0


def _torch_training_section(spec) -> str:
    classification = spec.problem != "regression"
    out = ["# ---- Training " + "-" * 66]
    out.append(_torch_optimizer(spec))
    out.append(f"BATCH_SIZE = {spec.batch_size}")
    out.append("")
    if _regularized(spec):
        kind = spec.regularization
        term = "layer.weight.abs().sum()" if kind == "l1" else "(layer.weight ** 2).sum()"
        words = "absolute values" if kind == "l1" else "squares"
        out += [
            f"# {kind.upper()} regularisation: {spec.reg_rate!r} × the sum of the {words} of all",
            "# weights (biases are not penalised), added to the loss at every step.",
            "def penalty():",
            f"    return {spec.reg_rate!r} * sum(",
            f"        {term} for layer in model if isinstance(layer, nn.Linear)",
            "    )",
            "",
            "",
        ]
    out += [
        "x_train_t, x_test_t = torch.from_numpy(x_train), torch.from_numpy(x_test)",
        "t_train, t_test = targets(y_train), targets(y_test)",
    ]
    if classification:
        out.append("y_train_t, y_test_t = torch.from_numpy(y_train), torch.from_numpy(y_test)")
    out += ["", "", "@torch.no_grad()"]
    if classification:
        out += [
            "def evaluate(x, t, y):",
            '    """Loss (without the penalty) and accuracy on one set."""',
            "    model.eval()",
            "    z = model(x)",
            "    accuracy = (predict(z) == y).float().mean().item()",
            "    return loss_fn(z, t).item(), accuracy",
        ]
    else:
        out += [
            "def evaluate(x, t):",
            '    """Loss (without the penalty) on one set."""',
            "    model.eval()",
            "    return loss_fn(model(x), t).item()",
        ]
    step_loss = "loss_fn(model(xs[i:j]), ts[i:j])"
    if _regularized(spec):
        step_loss += " + penalty()"
    out += [
        "",
        "",
        "# Batches come from a shuffle with its own seeded generator.",
        "shuffle_gen = torch.Generator().manual_seed(SEED + 1)",
        "",
        "",
        "def train_epoch():",
        '    """One pass over the training set in shuffled mini-batches."""',
        "    model.train()",
        "    n = len(x_train_t)",
        "    order = torch.randperm(n, generator=shuffle_gen)",
        "    xs, ts = x_train_t[order], t_train[order]",
        "    for i in range(0, n, BATCH_SIZE):",
        "        j = i + BATCH_SIZE",
        f"        loss = {step_loss}",
        "        optimizer.zero_grad()",
        "        loss.backward()",
        "        optimizer.step()",
        "",
        "",
        "every = max(1, args.epochs // 10)  # report ten times over the run",
        "for epoch in range(1, args.epochs + 1):",
        "    train_epoch()",
        "    if epoch % every == 0 or epoch == args.epochs:",
    ]
    if classification:
        out += [
            "        train_loss, train_acc = evaluate(x_train_t, t_train, y_train_t)",
            "        test_loss, test_acc = evaluate(x_test_t, t_test, y_test_t)",
            '        print(f"epoch {epoch:5d}  train_loss={train_loss:.4f} "',
            '              f"test_loss={test_loss:.4f} train_acc={train_acc:.4f} "',
            '              f"test_acc={test_acc:.4f}")',
            "",
            "train_loss, _ = evaluate(x_train_t, t_train, y_train_t)",
            "test_loss, test_acc = evaluate(x_test_t, t_test, y_test_t)",
            'print(f"final: train_loss={train_loss:.4f} test_loss={test_loss:.4f} "',
            '      f"test_acc={test_acc:.4f}")',
        ]
    else:
        out += [
            "        train_loss = evaluate(x_train_t, t_train)",
            "        test_loss = evaluate(x_test_t, t_test)",
            '        print(f"epoch {epoch:5d}  train_loss={train_loss:.4f} '
            'test_loss={test_loss:.4f}")',
            "",
            "train_loss = evaluate(x_train_t, t_train)",
            "test_loss = evaluate(x_test_t, t_test)",
            'print(f"final: train_loss={train_loss:.4f} test_loss={test_loss:.4f}")',
        ]
    return "\n".join(out)


# ---- Keras -----------------------------------------------------------------------
def _call(func: str, args: list[str], indent: int, trailing: str = ",",
          callee: str | None = None) -> list[str]:
    """`func(a, b, c),` on one line, or one argument a line when that is too long.
    With `callee`, an assignment: `func = callee(a, b, c)`."""
    pad = " " * indent
    if callee:
        func = f"{func} = {callee}"
    line = f"{pad}{func}({', '.join(args)}){trailing}"
    if len(line) <= 92:
        return [line]
    return [f"{pad}{func}(", *(f"{pad}    {a}," for a in args), f"{pad}){trailing}"]


def _keras_dense_options(spec) -> list[str]:
    opts = []
    if spec.init in KERAS_INITS:
        opts.append(f'kernel_initializer="{KERAS_INITS[spec.init]}"')
    if _regularized(spec):
        cls = "L1" if spec.regularization == "l1" else "L2"
        opts.append(f"kernel_regularizer=keras.regularizers.{cls}({spec.reg_rate!r})")
    return opts


def _keras_model_section(spec, n_in: int | None) -> str:
    table = is_table(spec)
    opts = _keras_dense_options(spec)
    out = ["# ---- Model " + "-" * 69]
    out.append("keras.utils.set_random_seed(SEED)  # initial weights and shuffling")
    out.append("")
    if spec.init == "default":
        out += [
            "# Keras's default initial weights (Glorot uniform, zero biases) play the part",
            "# of PyTorch's default here; the numbers differ a little, the idea doesn't.",
        ]
    if opts:
        words = []
        if spec.init in KERAS_INITS:
            words.append(f"{INIT_WORDS[spec.init]} initial weights")
        if _regularized(spec):
            what = "absolute values" if spec.regularization == "l1" else "squares"
            words.append(
                f"{spec.regularization.upper()} regularisation ({spec.reg_rate!r} × the sum of "
                f"the {what} of the weights)"
            )
        out += _comment("Every Dense layer: " + " and ".join(words) + ".")
        out += _call("dense", opts, 0, "", "dict")
    if table:
        note = f"  # {n_in} for the table this script was made from" if n_in else ""
        out.append(f"n_inputs = x_train.shape[1]{note}")
        shape = "(n_inputs,)"
    else:
        shape = f"({len(spec.features)},)"
    more = ["**dense"] if opts else []
    out.append("model = keras.Sequential([")
    out.append(f"    keras.Input(shape={shape}),")
    for layer in spec.hidden:
        args = [str(layer.width)]
        if layer.activation != "leaky_relu":
            args.append(f'activation="{KERAS_ACTIVATIONS[layer.activation]}"')
        out += _call("layers.Dense", args + more, 4)
        if layer.activation == "leaky_relu":
            out.append("    layers.LeakyReLU(negative_slope=0.01),  # PyTorch's slope")
    n_out = _n_out_expr(spec)
    out_act = {"bce": "sigmoid", "tanh_mse": "tanh", "ce": "softmax"}.get(spec.loss, "linear")
    out += _call("layers.Dense", [n_out, f'activation="{out_act}"', *more], 4)
    out.append("])")
    out.append("model.summary()")
    return "\n".join(out)


def _keras_optimizer(spec) -> tuple[str, str]:
    """(Keras optimizer expression, a comment on it or "")."""
    lr = f"learning_rate={spec.lr!r}"
    if spec.optimizer == "sgd":
        args = [lr]
        if spec.momentum > 0:
            args.append(f"momentum={spec.momentum!r}")
        if spec.nesterov and spec.momentum > 0:
            args.append("nesterov=True")
        return f"keras.optimizers.SGD({', '.join(args)})", ""
    if spec.optimizer == "adam":
        return f"keras.optimizers.Adam({lr})", ""
    if spec.optimizer == "adamw":
        return (
            f"keras.optimizers.AdamW({lr}, weight_decay=0.0)",
            "The playground runs AdamW without its own weight decay; the L1/L2 setting is "
            "the regulariser.",
        )
    if spec.optimizer == "rmsprop":
        mom = f", momentum={spec.momentum!r}" if spec.momentum > 0 else ""
        return (
            f"keras.optimizers.RMSprop({lr}, rho=0.99{mom})",
            "rho=0.99 is PyTorch's default smoothing (its alpha); Keras's own is 0.9.",
        )
    return (
        f"keras.optimizers.Adagrad({lr}, initial_accumulator_value=0.0)",
        "Adagrad's sums start at 0, as in PyTorch (Keras's own default is 0.1).",
    )


def _keras_training_section(spec) -> str:
    name = spec.loss
    classification = spec.problem != "regression"
    loss = {
        "bce": '"binary_crossentropy"',
        "tanh_mse": '"mse"',
        "ce": '"sparse_categorical_crossentropy"',
        "mse": '"mse"',
        "huber": f"keras.losses.Huber(delta={HUBER_DELTA})",
    }[name]
    out = ["# ---- Training " + "-" * 66]
    if name == "tanh_mse":
        out += [
            "# The tanh output lies in [-1, 1]: the labels 0 and 1 become -1 and +1.",
            "t_train = (y_train * 2 - 1).astype(np.float32).reshape(-1, 1)",
            "t_test = (y_test * 2 - 1).astype(np.float32).reshape(-1, 1)",
        ]
    elif name == "ce":
        out += ["t_train, t_test = y_train, y_test  # class indices"]
    else:
        out += [
            "t_train = y_train.astype(np.float32).reshape(-1, 1)",
            "t_test = y_test.astype(np.float32).reshape(-1, 1)",
        ]
    out.append("")
    metrics = '["accuracy"]' if name in ("bce", "ce") else "[]"
    if name == "tanh_mse":
        out.append("# (Keras's accuracy metric expects labels 0/1; accuracy is computed below.)")
    optimizer, note = _keras_optimizer(spec)
    if note:
        out += _comment(note)
    out += [
        "model.compile(",
        f"    optimizer={optimizer},",
        f"    loss={loss},",
        f"    metrics={metrics},",
        ")",
        "model.fit(",
        "    x_train,",
        "    t_train,",
        f"    batch_size={spec.batch_size},",
        "    epochs=args.epochs,",
        "    validation_data=(x_test, t_test),",
        "    verbose=2,",
        ")",
        "",
        "# The losses below include the regularisation penalty, as Keras reports them.",
        'train_loss = model.evaluate(x_train, t_train, verbose=0, return_dict=True)["loss"]',
        'test_loss = model.evaluate(x_test, t_test, verbose=0, return_dict=True)["loss"]',
    ]
    if classification:
        predicted = {
            "bce": "(scores[:, 0] > 0.5).astype(np.int64)",
            "tanh_mse": "(scores[:, 0] > 0).astype(np.int64)",
            "ce": "scores.argmax(axis=1)",
        }[name]
        out += [
            "scores = model.predict(x_test, verbose=0)",
            f"test_acc = float(np.mean({predicted} == y_test))",
            'print(f"final: train_loss={train_loss:.4f} test_loss={test_loss:.4f} "',
            '      f"test_acc={test_acc:.4f}")',
        ]
    else:
        out.append('print(f"final: train_loss={train_loss:.4f} test_loss={test_loss:.4f}")')
    return "\n".join(out)
