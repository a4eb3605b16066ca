"""What the project's install puts into JupyterLab (jupyter/README.md): the setting that opens
Markdown as a notebook and the extension with the Bengali and Devanagari fonts, both in this
environment after `pip install -e` (the Makefile's install), exactly as in the repository."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from jupyter_core.paths import jupyter_path
from jupyterlab.commands import get_app_dir
from jupyterlab_server.config import get_federated_extensions
from jupyterlab_server.settings_utils import _get_overrides

from gatelab.publish.project import Project, find_root

PROJECT = Project(find_root(Path(__file__).parent))
ROOT, NOTEBOOKS = PROJECT.root, PROJECT.notebooks
SOURCE = ROOT / "jupyter"
FONTS = ROOT / "src" / "gatelab" / "fonts"
REINSTALL = "not as in the repository: reinstall (make venv, or pip install -e .)"
VIEWERS = {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}


def test_markdown_opens_as_a_notebook_by_default() -> None:
    settings = Path(get_app_dir()) / "settings"
    installed = settings / "overrides.d" / "gatelab.json"
    assert installed.is_relative_to(sys.prefix), installed
    assert installed.exists(), f"{installed} is missing: {REINSTALL}"
    assert installed.read_bytes() == (SOURCE / "settings" / "gatelab.json").read_bytes(), REINSTALL
    # what JupyterLab makes of every overrides file together (ours, and any other package's)
    overrides, error = _get_overrides(str(settings))
    assert not error
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert {kind: viewers.get(kind) for kind in VIEWERS} == VIEWERS
    # explorers keep their state in a saved notebook, so they show again without a kernel
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True


def test_the_viewer_is_one_jupytext_provides() -> None:
    """"Jupytext Notebook" is the name of the document widget jupytext's JupyterLab extension
    registers: a rename there would silently bring back the text editor."""
    extensions = get_federated_extensions(jupyter_path("labextensions"))
    jupytext = Path(extensions["jupyterlab-jupytext"]["ext_path"]) / "static"
    assert any('"Jupytext Notebook"' in p.read_text(encoding="utf-8", errors="replace")
               for p in jupytext.glob("*.js"))


@pytest.fixture(scope="module")
def fonts_extension() -> Path:
    extensions = get_federated_extensions(jupyter_path("labextensions"))
    assert "gatelab-fonts" in extensions, f"the fonts extension is not installed: {REINSTALL}"
    found = extensions["gatelab-fonts"]
    assert found["jupyterlab"]["_build"] == {"load": "static/remoteEntry.js", "style": "./style"}
    return Path(found["ext_path"])


def test_fonts_extension_is_installed_as_in_the_repository(fonts_extension: Path) -> None:
    assert fonts_extension.is_relative_to(sys.prefix)
    pairs = [(fonts_extension / name, SOURCE / "labextension" / name)
             for name in ("package.json", "install.json")]
    pairs += [(fonts_extension / "static" / p.name, p)
              for p in (SOURCE / "labextension" / "static").iterdir()]
    pairs += [(fonts_extension / "static" / f"NotoSans{script}-{weight}.ttf",
               FONTS / f"NotoSans{script}-{weight}.ttf")
              for script in ("Bengali", "Devanagari") for weight in ("Regular", "Bold")]
    pairs += [(fonts_extension / "static" / "OFL.txt", FONTS / "OFL.txt")]
    for installed, source in pairs:
        assert installed.exists() and installed.read_bytes() == source.read_bytes(), (
            f"{installed}: {REINSTALL}")


def _faces(css: str) -> list[dict[str, str]]:
    faces = []
    for block in re.findall(r"@font-face\s*\{(.*?)\}", css, re.S):
        faces.append({k.strip(): v.strip() for k, v in
                      (line.split(":", 1) for line in block.split(";") if ":" in line)})
    return faces


def _in_range(char: str, unicode_range: str) -> bool:
    for part in unicode_range.split(","):
        low, _, high = part.strip().removeprefix("U+").partition("-")
        if int(low, 16) <= ord(char) <= int(high or low, 16):
            return True
    return False


@pytest.mark.parametrize("lang,family,block", [
    ("bn", "gatelab Noto Sans Bengali", (0x0980, 0x09FF)),
    ("hi", "gatelab Noto Sans Devanagari", (0x0900, 0x097F)),
])
def test_every_letter_of_the_edition_is_in_the_shipped_face(fonts_extension: Path, lang: str,
                                                            family: str, block) -> None:
    """Each character of the edition's script (its block, the dandas and the joiners) lies in
    the unicode-range of the face for that script and has a glyph in its font file: nothing is
    left to a system font that may not exist."""
    css = (fonts_extension / "static" / "fonts.css").read_text(encoding="utf-8")
    faces = [f for f in _faces(css) if f["font-family"].strip('"') == family]
    assert {f["font-weight"] for f in faces} == {"400", "700"}
    text = "".join(p.read_text(encoding="utf-8") for p in (NOTEBOOKS / lang).glob("*.md"))
    used = {c for c in text if block[0] <= ord(c) <= block[1] or c in "।॥\u200c\u200d"}
    assert len(used) > 40, "the edition should be mostly in its script"
    for face in faces:
        missing_range = sorted(c for c in used if not _in_range(c, face["unicode-range"]))
        assert missing_range == [], f"{family} {face['font-weight']}: outside unicode-range"
        font_file = re.search(r'url\("([^"]+)"\)', face["src"]).group(1)
        cmap = TTFont(fonts_extension / "static" / font_file).getBestCmap()
        assert sorted(c for c in used if ord(c) not in cmap) == [], font_file
    # and the faces come first in JupyterLab's font lists
    for variable in ("ui", "content", "code"):
        declared = re.search(rf"--jp-{variable}-font-family:\s*([^;]+);", css).group(1)
        assert f'"{family}"' in declared.split("var(")[0], variable


def test_the_package_json_is_valid(fonts_extension: Path) -> None:
    data = json.loads((fonts_extension / "package.json").read_text(encoding="utf-8"))
    assert data["name"] == "gatelab-fonts" and "OFL-1.1" in data["license"]
