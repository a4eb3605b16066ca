"""pyproject.toml is the one source of dependencies; environment.yml must declare the same set."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name(s), where they differ
CONDA_NAMES = {"torch": ["pytorch"], "fonttools[woff]": ["fonttools", "brotli-python"]}


def split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject_set() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {}
    for requirement in project["dependencies"] + sum(project["optional-dependencies"].values(), []):
        name, spec = split(requirement)
        for conda_name in CONDA_NAMES.get(name, [name]):
            wanted[conda_name] = spec if conda_name != "brotli-python" else ""
    return wanted


def environment_set() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for entry in env["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            if requirement.startswith("-e") or requirement in ("pip",) or requirement.startswith(
                    "python"):
                continue
            name, spec = split(requirement)
            found[name] = spec.split("=cpu")[0]  # a conda build string is not a version
    return found


def test_environment_yml_matches_pyproject():
    assert environment_set() == pyproject_set()


def test_torch_is_pinned_to_the_cpu_release():
    assert pyproject_set()["pytorch"] == "==2.13.0"
    assert "matplotlib" in pyproject_set() and pyproject_set()["matplotlib"] == ">=3.11"
