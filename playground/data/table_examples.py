"""Example tables, written as CSV bytes so they take the same path as an
upload: the page opens with data to train on before anyone uploads a file.
All come with scikit-learn and work offline.
"""

from __future__ import annotations

import io

import pandas as pd
from sklearn import datasets as skd

# In the order the select box offers them.
EXAMPLES = ("iris", "moons", "wine", "breast_cancer", "diabetes", "rare")

# Settings an example opens with, over the page's defaults (written as a link
# writes them). Diabetes has 309 training rows, ten inputs and a noisy target:
# the default 16-16 network learns those rows by heart (test R² about 0 at
# epoch 100, -0.27 to -0.62 at 300, -0.44 to -0.78 at 3,000; seeds 1 to 3),
# while one layer of 8 with an L2 penalty keeps it at 0.37 to 0.46 all along.
SETTINGS: dict[str, dict] = {
    "diabetes": {"hidden": "8-relu", "regularization": "l2", "reg_rate": 0.01},
}


def _iris() -> pd.DataFrame:
    bunch = skd.load_iris(as_frame=True)
    frame = bunch.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["species"] = bunch.target_names[bunch.target]
    return frame.drop(columns="target")


def _moons() -> pd.DataFrame:
    # Two input columns: the page draws the decision boundary, as on the 2D playground.
    x, y = skd.make_moons(n_samples=300, noise=0.2, random_state=0)
    return pd.DataFrame({"x": x[:, 0].round(4), "y": x[:, 1].round(4),
                         "label": pd.Series(y).map({0: "upper", 1: "lower"})})


def _wine() -> pd.DataFrame:
    bunch = skd.load_wine(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame["cultivar"] = [f"cultivar_{k}" for k in bunch.target]
    return frame


def _breast_cancer() -> pd.DataFrame:
    bunch = skd.load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    frame["diagnosis"] = bunch.target_names[bunch.target]
    return frame


def _diabetes() -> pd.DataFrame:
    # Regression: disease progression one year after baseline.
    bunch = skd.load_diabetes(as_frame=True, scaled=False)
    return bunch.frame.rename(columns={"target": "progression"})


def _rare() -> pd.DataFrame:
    # Binary with a rare class (about 7 %): accuracy looks great while the
    # rare class's recall is poor (the evaluation lesson).
    x, y = skd.make_classification(n_samples=1000, n_features=4, n_informative=2,
                                   n_redundant=0, n_clusters_per_class=1, weights=[0.93],
                                   class_sep=0.5, random_state=0)
    frame = pd.DataFrame(x.round(4), columns=["x1", "x2", "x3", "x4"])
    frame["label"] = pd.Series(y).map({0: "common", 1: "rare"})
    return frame


_BUILDERS = {"iris": _iris, "moons": _moons, "wine": _wine,
             "breast_cancer": _breast_cancer, "diabetes": _diabetes, "rare": _rare}


def example_csv(name: str) -> bytes:
    """The example as UTF-8 CSV bytes; KeyError for an unknown name."""
    buffer = io.StringIO()
    _BUILDERS[name]().to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
