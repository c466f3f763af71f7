"""requirements.txt (what Streamlit Community Cloud and deploy/Dockerfile
install) gets the CPU build of torch and stays in step with pyproject.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib  # standard library from Python 3.11, the version CI runs
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _lines() -> list[str]:
    """requirements.txt without comments and blank lines."""
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def _requirements() -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in _lines() if not line.startswith("-")]
    return {canonicalize_name(r.name): r for r in reqs}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_points_pip_at_pytorchs_cpu_index():
    options = [line.split() for line in _lines() if line.startswith("-")]
    assert ["--extra-index-url", CPU_INDEX] in options


def test_pins_torch_to_a_cpu_build():
    torch = _requirements()["torch"]
    (spec,) = torch.specifier
    assert spec.operator == "==" and Version(spec.version).local == "cpu", str(spec)


def test_torch_pin_satisfies_pyproject_and_matches_ci():
    version = Version(next(iter(_requirements()["torch"].specifier)).version)
    declared = next(Requirement(d) for d in _pyproject()["dependencies"]
                    if canonicalize_name(Requirement(d).name) == "torch")
    assert declared.specifier.contains(version.public)
    # CI installs the same torch (from the wheel on disk, without the +cpu tag).
    ci = re.search(r'"torch==([^"]+)"', (ROOT / ".ci" / "run").read_text())
    assert ci and Version(ci[1]).public == version.public


@pytest.mark.parametrize("group", ["dependencies", "onnx"])
def test_lists_every_runtime_dependency_of_pyproject(group):
    project = _pyproject()
    declared = project[group] if group == "dependencies" else \
        project["optional-dependencies"][group]
    listed = _requirements()
    for line in declared:
        dep = Requirement(line)
        name = canonicalize_name(dep.name)
        assert name in listed, f"{dep.name} is in pyproject.toml but not in requirements.txt"
        if name != "torch":  # torch: an exact CPU pin instead (tested above)
            assert listed[name].specifier == dep.specifier, (name, str(listed[name]))


def test_lists_nothing_pyproject_does_not_know():
    project = _pyproject()
    declared = project["dependencies"] + project["optional-dependencies"]["onnx"]
    known = {canonicalize_name(Requirement(d).name) for d in declared}
    assert set(_requirements()) <= known
