"""Lessons: one concept of an introductory deep-learning course each.

A lesson is a page, a dict of overrides (its one-click setup) and, where it
compares things, named variants: more overrides on top of the setup. The
overrides go through the page's own `parse` exactly as a link's values do, so
a lesson can never set up something a learner couldn't; `spec_for` gives the
validated spec. The words (title, intro, what to try, what to notice, the
variants' labels) are translation keys under "lesson.<id>."; the formulas are
LaTeX for st.latex, the same in every language.

tests/unit/test_lessons.py trains every lesson's setup on its seed and checks
the phenomenon the lesson's text promises, for `epochs` epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.core.fields import Note
from playground.dense.compare import Comparison, runs_of
from playground.dense.spec import Experiment
from playground.dense.table_spec import TableExperiment
from playground.images.spec import ImageExperiment

PAGES = {"playground": Experiment, "images": ImageExperiment, "tables": TableExperiment}
TEXT_PARTS = ("title", "intro", "try", "notice")


@dataclass(frozen=True)
class Lesson:
    id: str  # slug, used in translation keys (and links)
    page: str  # "playground" (Experiment), "images" (ImageExperiment), "tables" (TableExperiment)
    setup: dict  # overrides on the page spec's defaults, written as a link writes them
    formulas: tuple[str, ...]  # LaTeX for st.latex; may be ()
    example: str = ""  # tables only: a name in playground.data.table_examples.EXAMPLES
    # Named alternative setups to compare, each overrides on top of `setup`.
    variants: tuple[tuple[str, dict], ...] = ()
    # About how many epochs the phenomenon needs to show (what the tests train).
    epochs: int = 20
    # "Open the setup" trains every variant side by side (2D page, compare mode).
    side_by_side: bool = False

    def text_key(self, part: str) -> str:
        """The translation key of one of TEXT_PARTS."""
        if part not in TEXT_PARTS:
            raise KeyError(part)
        return f"lesson.{self.id}.{part}"

    def variant_key(self, name: str) -> str:
        """The translation key of a variant's short label."""
        if name not in self.variant_names:
            raise KeyError(name)
        return f"lesson.variant.{self.id}.{name}"

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.variants)

    def text_keys(self) -> tuple[str, ...]:
        """Every translation key the lesson needs."""
        return (*(self.text_key(p) for p in TEXT_PARTS),
                *(self.variant_key(n) for n in self.variant_names))


def _deep(width: int, activation: str, depth: int) -> str:
    return ",".join([f"{width}-{activation}"] * depth)


LESSONS: tuple[Lesson, ...] = (
    # 1. What one layer computes; a tiny network, so every neuron can be opened.
    Lesson(
        id="forward_pass",
        page="playground",
        setup={"dataset": "circle", "features": "x1,x2", "hidden": "4-tanh", "loss": "bce",
               "optimizer": "adam", "lr": 0.03},
        formulas=(
            r"\mathbf{z}^{(l)} = W^{(l)}\,\mathbf{a}^{(l-1)} + \mathbf{b}^{(l)},"
            r"\qquad \mathbf{a}^{(l)} = f\left(\mathbf{z}^{(l)}\right),"
            r"\qquad \mathbf{a}^{(0)} = \mathbf{x}",
            r"\hat{p} = \sigma\left(z^{(L)}\right) = \frac{1}{1 + e^{-z^{(L)}}}",
        ),
        epochs=20,
    ),
    # 2. Two losses for one binary problem.
    Lesson(
        id="loss_functions",
        page="playground",
        setup={"dataset": "moons", "noise": 0.1, "hidden": "8-tanh,8-tanh", "loss": "bce",
               "optimizer": "adam", "lr": 0.03},
        formulas=(
            r"L_{\mathrm{MSE}} = \frac{1}{N}\sum_{i=1}^{N}\left(\tanh z_i - t_i\right)^2,"
            r"\qquad t_i \in \{-1, 1\}",
            r"L_{\mathrm{BCE}} = -\frac{1}{N}\sum_{i=1}^{N}\left[y_i \log \sigma(z_i)"
            r" + (1 - y_i)\log\left(1 - \sigma(z_i)\right)\right], \qquad y_i \in \{0, 1\}",
            r"\frac{\partial L_{\mathrm{MSE}}}{\partial z} = 2\left(\tanh z - t\right)"
            r"\left(1 - \tanh^2 z\right), \qquad"
            r"\frac{\partial L_{\mathrm{BCE}}}{\partial z} = \sigma(z) - y",
        ),
        variants=(("tanh_mse", {"loss": "tanh_mse"}), ("bce", {"loss": "bce"})),
        epochs=20,
    ),
    # 3. The chain rule, layer by layer; plain SGD so a step is exactly -lr * gradient.
    Lesson(
        id="backpropagation",
        page="playground",
        setup={"dataset": "xor", "hidden": "4-tanh,4-tanh", "loss": "bce",
               "optimizer": "sgd", "lr": 0.3},
        formulas=(
            r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial a}\cdot"
            r"\frac{\partial a}{\partial z}\cdot\frac{\partial z}{\partial w}",
            r"\boldsymbol{\delta}^{(L)} = \frac{\partial L}{\partial \mathbf{z}^{(L)}}, \qquad"
            r"\boldsymbol{\delta}^{(l)} = \left(W^{(l+1)\top}\boldsymbol{\delta}^{(l+1)}\right)"
            r"\odot f'\left(\mathbf{z}^{(l)}\right)",
            r"\frac{\partial L}{\partial W^{(l)}} = \boldsymbol{\delta}^{(l)}\,"
            r"\mathbf{a}^{(l-1)\top}, \qquad"
            r"\frac{\partial L}{\partial \mathbf{b}^{(l)}} = \boldsymbol{\delta}^{(l)}",
        ),
        epochs=30,
    ),
    # 4. One update rule, three step sizes. Regression on a plane: too big a step
    # makes the loss explode (the trainer stops with "diverged").
    Lesson(
        id="learning_rate",
        page="playground",
        side_by_side=True,
        setup={"dataset": "plane", "noise": 0.05, "hidden": "4-tanh", "loss": "mse",
               "optimizer": "sgd", "lr": 0.01},
        formulas=(r"\theta \leftarrow \theta - \eta\,\nabla_{\theta} L",),
        variants=(("too_small", {"lr": 0.0001}), ("right", {"lr": 0.01}),
                  ("too_big", {"lr": 1.0})),
        epochs=30,
    ),
    # 5. Five hidden layers, plain SGD: sigmoid's gradient fades on the way back,
    # ReLU's doesn't; a far too big step kills whole ReLU layers.
    Lesson(
        id="activations",
        page="playground",
        side_by_side=True,
        setup={"dataset": "circle", "hidden": _deep(8, "relu", 5), "init": "he",
               "loss": "bce", "optimizer": "sgd", "lr": 0.1},
        formulas=(
            r"\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad"
            r"\sigma'(z) = \sigma(z)\left(1 - \sigma(z)\right) \le \tfrac{1}{4}",
            r"\mathrm{ReLU}(z) = \max(0, z), \qquad"
            r"\mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
            r"\frac{\partial L}{\partial \mathbf{a}^{(1)}} \;\propto\;"
            r"\prod_{l=2}^{L} f'\left(\mathbf{z}^{(l)}\right)\,W^{(l)}",
        ),
        variants=(("sigmoid", {"hidden": _deep(8, "sigmoid", 5)}),
                  ("relu", {"hidden": _deep(8, "relu", 5)}),
                  ("dead_relu", {"hidden": _deep(8, "relu", 5), "lr": 1.0})),
        epochs=20,
    ),
    # 6. One problem, one learning rate, four optimizers.
    Lesson(
        id="optimizers",
        page="playground",
        side_by_side=True,
        setup={"dataset": "circle", "hidden": "8-tanh,8-tanh", "loss": "bce",
               "optimizer": "sgd", "lr": 0.01},
        formulas=(
            r"\text{SGD:}\quad \theta \leftarrow \theta - \eta\,g, \qquad g = \nabla_{\theta} L",
            r"\text{Momentum:}\quad v \leftarrow \mu v + g, \qquad \theta \leftarrow \theta"
            r" - \eta\,v",
            r"\text{RMSprop:}\quad s \leftarrow \rho s + (1 - \rho)\,g^2, \qquad"
            r"\theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{s} + \epsilon}",
            r"\text{Adam:}\quad m \leftarrow \beta_1 m + (1 - \beta_1)\,g, \quad"
            r"s \leftarrow \beta_2 s + (1 - \beta_2)\,g^2, \quad"
            r"\theta \leftarrow \theta - \eta\,\frac{\hat{m}}{\sqrt{\hat{s}} + \epsilon}",
        ),
        variants=(("sgd", {"optimizer": "sgd", "momentum": 0.0}),
                  ("momentum", {"optimizer": "sgd", "momentum": 0.9}),
                  ("rmsprop", {"optimizer": "rmsprop", "momentum": 0.0}),
                  ("adam", {"optimizer": "adam", "momentum": 0.0})),
        epochs=40,
    ),
    # 7. Twenty noisy training points, a big network: it learns the noise.
    # Dropout, early stopping and augmentation live on the images page (the text says so).
    Lesson(
        id="overfitting",
        page="playground",
        side_by_side=True,
        setup={"dataset": "gauss", "noise": 0.5, "n_samples": 200, "train_ratio": 0.1,
               "hidden": "32-relu,32-relu", "loss": "bce", "optimizer": "adam", "lr": 0.01,
               "regularization": "none", "reg_rate": 0.0, "show_test": True},
        formulas=(
            r"L_{\text{total}} = L_{\text{data}} + \lambda \sum_{l} \lVert W^{(l)} \rVert_2^2"
            r" \qquad (\text{L2})",
            r"L_{\text{total}} = L_{\text{data}} + \lambda \sum_{l} \lVert W^{(l)} \rVert_1"
            r" \qquad (\text{L1})",
        ),
        variants=(("overfit", {}),
                  ("l2", {"regularization": "l2", "reg_rate": 0.01}),
                  ("l1", {"regularization": "l1", "reg_rate": 0.003}),
                  ("more_data", {"n_samples": 1000, "train_ratio": 0.5})),
        epochs=100,
    ),
    # 8. Accuracy against per-class precision, recall and F1. No example table is
    # strongly imbalanced yet: breast cancer (37 % malignant) with two columns
    # shows a high accuracy over a clearly lower recall of the smaller class.
    Lesson(
        id="evaluation",
        page="tables",
        example="breast_cancer",
        setup={"target": "diagnosis", "features": ["mean_radius", "mean_texture"],
               "task": "auto", "hidden": "16-relu,16-relu", "loss": "bce",
               "optimizer": "adam", "lr": 0.01},
        formulas=(
            r"\text{accuracy} = \frac{TP + TN}{TP + TN + FP + FN}",
            r"\text{precision} = \frac{TP}{TP + FP}, \qquad"
            r"\text{recall} = \frac{TP}{TP + FN}",
            r"F_1 = \frac{2\cdot\text{precision}\cdot\text{recall}}"
            r"{\text{precision} + \text{recall}}",
        ),
        variants=(("two_columns", {}), ("all_columns", {"features": []})),
        epochs=20,
    ),
    # 9. The 8x8 digits with the two digits presets.
    Lesson(
        id="dense_vs_cnn",
        page="images",
        setup={"dataset": "digits", "preset": "digits_mlp", "max_epochs": 10,
               "early_stopping": False, "augment": False, "weight_decay": 0.0},
        formulas=(
            r"(K \ast X)_{i,j} = \sum_{u=1}^{k}\sum_{v=1}^{k} K_{u,v}\,X_{i+u,\,j+v} + b",
            r"\text{Dense: } (n_{\text{in}} + 1)\,n_{\text{out}} \qquad"
            r"\text{Conv2D: } (k^2\,C_{\text{in}} + 1)\,C_{\text{out}}",
        ),
        variants=(("dense", {"preset": "digits_mlp"}), ("cnn", {"preset": "digits_cnn"})),
        epochs=10,
    ),
    # 10. The circle is a straight line in (x1², x2²).
    Lesson(
        id="feature_engineering",
        page="playground",
        setup={"dataset": "circle", "features": "x1_sq,x2_sq", "hidden": "none",
               "loss": "bce", "optimizer": "adam", "lr": 0.03},
        formulas=(
            r"\hat{p} = \sigma\left(w_1 x_1^2 + w_2 x_2^2 + b\right)",
            r"w_1 x_1^2 + w_2 x_2^2 + b = 0 \;\iff\; x_1^2 + x_2^2 = r^2"
            r" \quad (w_1 = w_2 < 0 < b)",
        ),
        variants=(("squares", {"features": "x1_sq,x2_sq"}), ("raw", {"features": "x1,x2"})),
        epochs=20,
    ),
)

_BY_ID = {lesson.id: lesson for lesson in LESSONS}


def lesson(lesson_id: str) -> Lesson:
    """The lesson with this id; KeyError if there is none."""
    return _BY_ID[lesson_id]


def overrides(item: Lesson, variant: str | None = None) -> dict[str, Any]:
    """The setup's overrides with a variant's on top (KeyError for an unknown variant)."""
    if variant is None:
        return dict(item.setup)
    return {**item.setup, **dict(item.variants)[variant]}


def parse(item: Lesson, variant: str | None = None) -> tuple[Any, list[Note]]:
    """The page's parse of the lesson's overrides: (spec, notes)."""
    return PAGES[item.page].parse(overrides(item, variant))


def spec_for(item: Lesson, variant: str | None = None):
    """The validated spec (Experiment, ImageExperiment or TableExperiment) of a
    lesson, or of one of its variants. A table lesson's spec says which columns
    to use; its problem follows from the data, as on the page (`with_problem`)."""
    return parse(item, variant)[0]


def all_text_keys() -> tuple[str, ...]:
    """Every translation key the lessons need, "page.lessons" first."""
    return ("page.lessons", *(k for item in LESSONS for k in item.text_keys()))


def comparison_for(item: Lesson) -> Comparison | None:
    """What "Open the setup" trains on the 2D page: for a side-by-side lesson,
    each variant as one run of a comparison on the lesson's setup (run i is
    variant i), so the phenomenon shows live; None for a single run."""
    if not item.side_by_side:
        return None
    base = spec_for(item)
    return Comparison(mode="compare",
                      runs=runs_of(base, [spec_for(item, v) for v in item.variant_names]))
