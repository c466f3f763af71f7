"""The data part of a script for a 2D toy dataset.

The script embeds the source of the dataset's generator, copied from
playground/data/toy2d.py with the helpers and constants it uses, and of the
chosen input features, then shuffles and splits exactly as
playground.data.dataset.make_dataset does, so it sees the very points the
playground trained on.
"""

from __future__ import annotations

import ast
import inspect
from functools import cache

from playground.core import catalog
from playground.data import features as features_module
from playground.data import toy2d

KIND = "toy2d"

LABEL_WORDS = {
    "binary": "class labels 0 and 1",
    "multiclass": "class labels 0 to {last}",
    "regression": "a target value in [-1, 1]",
}


def imports(spec) -> list[str]:
    """The generator's imports, numpy aside (every script imports it)."""
    _, uses, imports = toy2d_parts()
    names = set().union(*(uses[n] for n in toy2d_needs(generator_name(spec.dataset))))
    return sorted({imports[a] for a in names if a in imports} - {"import numpy as np"})


def choices(spec) -> set[str]:
    return set()  # toy2d_data.tmpl has no blocks


def values(spec, n_in: int | None) -> dict[str, str]:
    """What toy2d_data.tmpl and the words about the data need, beyond the spec's fields."""
    parts, _, _ = toy2d_parts()
    features = feature_sources()
    generator = generator_name(spec.dataset)
    multiclass = spec.problem == "multiclass"
    return {
        "extent": f"{toy2d.EXTENT:g}",
        "label_words": LABEL_WORDS[spec.problem].format(last=spec.n_classes - 1),
        "generator_source": "\n\n\n".join(parts[name] for name in toy2d_needs(generator)),
        "feature_lines": "\n".join(f'"{name}": {features[name]},' for name in spec.features),
        "generator": generator,
        "class_count": f", n_classes={spec.n_classes}" if multiclass else "",
        "n_train": str(spec.n_train),
        "n_test": str(spec.n_samples - spec.n_train),
        "what": f'the "{spec.dataset}" dataset',
        "needs": "torch, numpy and scikit-learn",
        "csv_option": "",
        "inputs": str(len(spec.features)),
        "n_out": str(catalog.LOSSES[spec.loss].n_out(spec.classes)),
    }


@cache
def toy2d_parts() -> tuple[dict[str, str], dict[str, set[str]], dict[str, str]]:
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


def toy2d_needs(name: str) -> list[str]:
    """The generator and every top-level toy2d name it uses, dependencies first."""
    parts, uses, _ = toy2d_parts()
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


def generator_name(dataset: str) -> str:
    fn = catalog.DATASETS[dataset].make
    if getattr(fn, "__module__", None) != toy2d.__name__:
        raise ValueError(f"dataset {dataset!r} has no toy2d generator")
    return fn.__name__


@cache
def feature_sources() -> dict[str, str]:
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
