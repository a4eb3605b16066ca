"""The lessons' publisher (gatelab.publish) as a maintainer meets it: one job per module, no
torch or ipywidgets, paths from the project root it is given, executions run in parallel and
reused while their inputs are unchanged, figures with their own text alternative, explorers
that compute in the page, and the same page for a teacher's own notebook through nbconvert."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
import tomllib
from matplotlib.figure import Figure
from nbformat import v4

from gatelab import figures, mimetypes
from gatelab.publish import (
    __main__ as cli,
)
from gatelab.publish import (
    bilingual,
    catalogs,
    explorers,
    index,
    notebooks,
    outputs,
    pages,
    paragraphs,
    project,
    site,
)

ROOT = project.find_root(Path(__file__).parent)
PUBLISH = ROOT / "src" / "gatelab" / "publish"


def test_no_module_of_the_publisher_imports_torch_or_ipywidgets():
    modules = sorted(f"gatelab.publish.{p.stem}" for p in PUBLISH.glob("*.py"))
    assert "gatelab.publish.pages" in modules and "gatelab.publish.exporter" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(sorted(m for m in ('torch', 'ipywidgets', 'anywidget') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_no_module_is_long_and_the_page_is_in_templates():
    for path in PUBLISH.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name
    for path in PUBLISH.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "html.escape" not in source, f"{path.name}: escape with Jinja2 or markupsafe"
        assert "parents[" not in source, f"{path.name}: paths come from the project root"
    assert {"page.html", "chapter.html", "index.html", "chooser.html"} <= {
        p.name for p in (PUBLISH / "templates").glob("*.html")}


def test_one_definition_of_a_paragraph():
    assert catalogs.split_paragraphs is paragraphs.split_paragraphs
    assert bilingual.split_paragraphs is paragraphs.split_paragraphs
    assert index.split_paragraphs is paragraphs.split_paragraphs
    text = "one\n\n```\ncode\n\nstill code\n```\n$$\na\n\nb\n$$\n\n\nlast"
    assert paragraphs.paragraph_spans(text) == [(0, 1), (2, 12), (14, 15)]
    assert paragraphs.split_paragraphs(text)[1].endswith("b\n$$")


# --- the project root -----------------------------------------------------------------------


def tiny_project(root: Path, chapters: dict[str, str]) -> Path:
    """A checkout with English chapters only (Jupytext markdown), a package file, data/ and
    locales/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'tiny'\n", encoding="utf-8")
    for name, code in chapters.items():
        path = root / "notebooks" / "en" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n\n```{{code-cell}} ipython3\n{code}\n```\n",
                        encoding="utf-8")
    (root / "src" / "gatelab").mkdir(parents=True)
    (root / "src" / "gatelab" / "cells.py").write_text("X = 1\n", encoding="utf-8")
    (root / "data").mkdir()
    (root / "locales").mkdir()
    return root


def test_the_root_is_the_checkout_around_the_current_directory(tmp_path, monkeypatch):
    root = tiny_project(tmp_path / "course", {"01_a": "1"})
    monkeypatch.chdir(root / "notebooks" / "en")
    assert project.find_root() == root.resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="--root"):
        project.find_root()


def test_root_option_points_every_path_there(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(project, "_current", None)
    root = tiny_project(tmp_path / "course", {"01_a": "1", "02_b": "2"})
    monkeypatch.chdir(tmp_path)  # no checkout here: only --root says where
    assert cli.main(["notebooks", "--lang", "en", "--root", str(root)]) == 0
    assert sorted(p.name for p in (root / "notebooks" / "en").glob("*.ipynb")) == [
        "01_a.ipynb", "02_b.ipynb"]
    assert "wrote notebooks/en/01_a.ipynb" in capsys.readouterr().out
    assert project.current().executed == root.resolve() / "build" / "executed"


# --- executing the editions -----------------------------------------------------------------

#: a cell that says when it ran and what the kernel's environment was
TIMED = ("import os, time\nstart = time.time()\ntime.sleep(2)\n"
         "print(start, time.time(), os.environ.get('GATELAB_THREADS'), "
         "os.environ.get('OMP_NUM_THREADS'))")


def _printed(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])).split()


def test_editions_run_in_parallel_and_are_reused_until_an_input_changes(tmp_path, monkeypatch,
                                                                          capfd):
    root = tiny_project(tmp_path, {"01_a": TIMED, "02_b": TIMED})
    monkeypatch.setattr(project, "_current", project.Project(root))
    done = notebooks.execute_all(("en",), workers=2)
    assert sorted((e.chapter, e.reused) for e in done) == [("01_a", False), ("02_b", False)]
    a, b = (_printed(root / "build" / "executed" / "en" / f"{n}.ipynb") for n in ("01_a", "02_b"))
    assert a[2:] == b[2:] == ["1", "1"]  # one thread per kernel
    assert float(a[0]) < float(b[1]) and float(b[0]) < float(a[1])  # they ran side by side
    out = capfd.readouterr().out  # the workers print too
    assert "started  en/01_a" in out and re.search(r"executed en/02_b in \d+\.\d s", out)

    again = notebooks.execute_all(("en",))
    assert all(e.reused for e in again)
    assert "reused   en/01_a" in capfd.readouterr().out

    (root / "notebooks" / "en" / "02_b.md").write_text("# 02_b\n\nchanged\n", encoding="utf-8")
    assert {e.chapter: e.reused for e in notebooks.execute_all(("en",))} == {
        "01_a": True, "02_b": False}
    (root / "data" / "model.json").write_text("{}", encoding="utf-8")
    assert not any(e.reused for e in notebooks.execute_all(("en",)))
    # a cell that fails names its edition and the kernel's log
    (root / "notebooks" / "en" / "02_b.md").write_text(
        "# 02_b\n\n```{code-cell} ipython3\n1 / 0\n```\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"(?s)en/02_b failed \(its kernel's messages are in .*"
                                           r"02_b\.log\).*ZeroDivisionError"):
        notebooks.execute_all(("en",))
    (root / "notebooks" / "en" / "02_b.md").write_text("# 02_b\n", encoding="utf-8")
    notebooks.execute_all(("en",))
    # the builder's own files do not make a kernel's results change
    (root / "src" / "gatelab" / "publish").mkdir()
    (root / "src" / "gatelab" / "publish" / "site.py").write_text("", encoding="utf-8")
    assert all(e.reused for e in notebooks.execute_all(("en",)))


# --- figures' text alternatives -------------------------------------------------------------


def test_a_figure_says_what_it_shows():
    fig = Figure()
    left, right = fig.subplots(1, 2)
    left.plot([0, 1], label="forget gate f[t]")
    left.plot([1, 0], label="input gate i[t]")
    left.legend()
    left.set(title="Gates of one unit", xlabel="time step t", ylabel="gate value")
    right.set_title("Cell state c[t]")
    fig.suptitle("LSTM on the temporal-order task")
    text = figures.describe(fig)
    assert text.startswith("LSTM on the temporal-order task. Panel 1: Gates of one unit;")
    assert "horizontal axis: time step t" in text and "vertical axis: gate value" in text
    assert "series: forget gate f[t], input gate i[t]" in text
    assert "Panel 2: Cell state c[t]." in text
    png, metadata = figures.png_with_alt(fig)
    assert png.startswith(b"\x89PNG") and metadata == {"alt": text}
    assert figures.describe(Figure()) == "A figure without titles or axis labels."
    diagram = Figure()
    ax = diagram.subplots()
    for word in ("x[t]", "$c_{t-1}$", r"$\tanh$", r"$\sigma$", "x[t]", r"$h_t \odot z$"):
        ax.text(0.5, 0.5, word)
    assert figures.describe(diagram) == "labels: x[t], c[t-1], tanh, σ, h[t] ⊙ z"


def test_the_page_uses_the_figures_own_alt_text():
    picture = base64.b64encode(figures.png(Figure(figsize=(1, 1)))).decode()
    said = 'Loss <falls> "fast"; horizontal axis: epoch'
    own = outputs.render_bundle({"image/png": picture}, {"image/png": {"alt": said}},
                                outputs.Context("bn"))
    assert 'alt="Loss &lt;falls&gt; &#34;fast&#34;; horizontal axis: epoch"' in own
    generic = outputs.render_bundle({"image/png": picture}, {}, outputs.Context("en"))
    assert 'alt="Figure drawn by the code above"' in generic


def test_the_kernel_shows_figures_with_their_alt_text():
    """What gatelab.use registers in IPython: the PNG and its text alternative together."""
    from IPython.core.interactiveshell import InteractiveShell

    import gatelab

    shell = InteractiveShell.instance()
    try:
        gatelab.use("en")
        fig = Figure()
        fig.subplots().set(title="Loss", xlabel="epoch")
        data, metadata = shell.display_formatter.format(fig)
        assert "image/png" in data and metadata["image/png"]["alt"] == \
            "Loss; horizontal axis: epoch"
    finally:
        InteractiveShell.clear_instance()
    assert matplotlib.get_backend()  # nothing above changed the backend


def test_a_chapters_pyplot_figures_carry_their_alt_text_in_a_real_kernel():
    """matplotlib's inline backend loads at the first figure and registers its own formatter;
    the figures drawn after a cell still come with their text alternative."""
    from nbclient import NotebookClient

    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell('import gatelab\ngatelab.use("en")'),
                v4.new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                                 "ax.set_title('first');\nfig"),
                v4.new_code_cell("fig, ax = plt.subplots()\n"
                                 "ax.plot([1, 2], label='h[t]')\nax.legend()\n"
                                 "ax.set(title='Hidden state', xlabel='t');"),
                v4.new_code_cell("fig, ax = plt.subplots()\nax.set_ylabel('loss');")]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    alts = [o.metadata.get("image/png", {}).get("alt") for c in nb.cells[1:] for o in c.outputs
            if "image/png" in o.get("data", {})]
    # the first figure (the backend loads in its cell) is returned and drawn: both say it
    assert alts == ["first", "first", "Hidden state; horizontal axis: t; series: h[t]",
                    "vertical axis: loss"]


# --- explorers ------------------------------------------------------------------------------


class FakePage:
    """gatelab.explorer.page's two functions, counted."""

    calls: list[str] = []

    @staticmethod
    def page_html(state: dict) -> str:
        FakePage.calls.append("html")
        return f'<div class="gatelab-explorer-host" data-kind="{state["kind"]}"></div>'

    @staticmethod
    def page_scripts(kinds) -> str:
        FakePage.calls.append(f"scripts {list(kinds)}")
        return "<script data-gatelab-host>/* host */</script>\n"


def explorer_output(kind: str) -> dict:
    return v4.new_output("display_data", data={
        mimetypes.SPEC_MIMETYPE: {"kind": kind, "state": {"units": 1}},
        "text/plain": "GateWidget()"})


def test_explorers_that_compute_in_the_page(monkeypatch):
    monkeypatch.setattr(explorers, "_page_module", lambda: FakePage)
    FakePage.calls.clear()
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Explorers", id="t"),
                v4.new_code_cell("a", outputs=[explorer_output("gates")]),
                v4.new_code_cell("b", outputs=[explorer_output("gates"),
                                               explorer_output("vanishing")])]
    page = pages.render_chapter(pages.Chapter("01_x", "en", nb))
    assert page.count('class="gatelab-explorer-host"') == 3
    assert page.count("data-gatelab-host") == 1  # the scripts once per page
    assert FakePage.calls == ["html", "html", "html", "scripts ['gates', 'vanishing']"]
    assert page.index("data-gatelab-host") > page.rindex("gatelab-explorer-host")
    plain = pages.render_chapter(pages.Chapter("01_y", "en", nb_without_explorers()))
    assert "data-gatelab-host" not in plain and FakePage.calls[-1].startswith("scripts")


def test_explorers_with_the_real_page_module():
    """gatelab.explorer.page's container and scripts, as the page gets them."""
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Explorer", id="t"),
                v4.new_code_cell("g", outputs=[explorer_output("gates")])]
    page = pages.render_chapter(pages.Chapter("01_x", "bn", nb))
    assert '<div class="gatelab-explorer-host" data-kind="gates"><script type="application/json">' \
        '{"kind":"gates","state":{"units":1}}</script></div>' in page
    assert page.count('<script data-gatelab-explorer="gates">') == 1
    assert page.count("<script data-gatelab-host>") == 1
    assert not re.search(r"<script[^>]+src=", page)


def nb_without_explorers() -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Plain", id="p")]
    return nb


def test_an_explorer_drawn_in_advance_says_what_to_do():
    """The older form ({"explorer", "args"}, frames drawn when the page was built) is gone."""
    with pytest.raises(ValueError, match="execute --force"):
        explorers.render({"explorer": "vanishing", "args": {}}, outputs.Context("en"))


# --- the page for any notebook: nbconvert ----------------------------------------------------


def test_a_teachers_notebook_becomes_the_same_offline_page(tmp_path):
    from gatelab.publish.exporter import GatelabLessonExporter

    english = v4.new_notebook()
    english.cells = [v4.new_markdown_cell("# My lesson\n\nA network remembers.", id="a")]
    english.cells[0].metadata["id"] = "a"
    nbformat.write(english, tmp_path / "lesson_en.ipynb")
    bengali = v4.new_notebook()
    bengali.cells = [v4.new_markdown_cell("# আমার পাঠ\n\nএকটি নেটওয়ার্ক মনে রাখে।", id="a"),
                     v4.new_code_cell("print(1)", outputs=[
                         v4.new_output("stream", name="stdout", text="1\n")])]
    bengali.cells[0].metadata["id"] = "a"
    exporter = GatelabLessonExporter(lang="bn", english=str(tmp_path / "lesson_en.ipynb"))
    page, resources = exporter.from_notebook_node(bengali, {"metadata": {"name": "lesson"}})
    assert resources["output_extension"] == ".html"
    assert page.startswith("<!DOCTYPE html>") and '<html lang="bn">' in page
    assert "<title>আমার পাঠ · gatelab</title>" in page
    assert page.count('<details class="original">') == 2 and "A network remembers." in page
    assert '<pre class="output stream">1\n</pre>' in page
    assert "http://" not in page and "https://" not in page
    with pytest.raises(Exception, match="fr"):
        GatelabLessonExporter(lang="fr")


def test_the_exporter_is_registered_with_nbconvert():
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert entry["nbconvert.exporters"]["gatelab-lesson"] == \
        "gatelab.publish.exporter:GatelabLessonExporter"
    from nbconvert.exporters import get_exporter

    assert get_exporter("gatelab-lesson").__name__ == "GatelabLessonExporter"


# --- packaging ------------------------------------------------------------------------------


def test_every_folder_with_package_files_is_a_listed_package():
    """setuptools ships a folder's files only as (part of) a package; one missing from the list
    is "Package would be ignored"."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {"gatelab": ROOT / "src" / "gatelab", "gatelab.locales": ROOT / "locales",
               "gatelab.datafiles": ROOT / "data"}
    for package, folder in folders.items():
        for path in folder.rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pot":
                continue
            parts = path.parent.relative_to(folder).parts
            name = ".".join((package, *parts))
            assert name in listed, f"{path.relative_to(ROOT)}: add {name!r} to packages"


def test_templates_and_assets_are_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    assert data["gatelab.publish.templates"] == ["*.html"]
    assert set(data["gatelab.publish.assets"]) == {"*.css", "*.js"}
    assert json.loads(json.dumps(data))  # plain strings


# --- the site: pages in parallel, kept while unchanged -------------------------------------


def executed_tree(root: Path) -> Path:
    """build/executed with two short English chapters."""
    for name, title in (("01_a", "First"), ("02_b", "Second")):
        nb = v4.new_notebook()
        nb.cells = [v4.new_markdown_cell(f"# {title}\n\nText of {name}.", id="t"),
                    v4.new_code_cell("print(2)", outputs=[
                        v4.new_output("stream", name="stdout", text="2\n")])]
        path = root / "build" / "executed" / "en" / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    return root / "build" / "executed"


def test_pages_are_written_in_parallel_and_kept_while_unchanged(tmp_path, monkeypatch, capsys):
    root = tiny_project(tmp_path / "course", {"01_a": "1", "02_b": "2"})
    monkeypatch.setattr(project, "_current", project.Project(root))
    executed = executed_tree(root)
    serial = site.build_site(("en",), out=tmp_path / "serial", workers=1)
    parallel = site.build_site(("en",), out=tmp_path / "parallel", workers=2)
    assert [p.relative_to(tmp_path / "parallel") for p in parallel] == [
        p.relative_to(tmp_path / "serial") for p in serial]
    for a, b in zip(serial, parallel, strict=True):
        assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
    assert site.stored_key(tmp_path / "serial" / "en" / "01_a.html")

    capsys.readouterr()
    again = site.build_site(("en",), out=tmp_path / "serial", workers=1)
    assert [p.name for p in again] == ["index.html", "index.html"]  # the chapters were kept
    assert "reused   " in capsys.readouterr().out

    nb = nbformat.read(executed / "en" / "02_b.ipynb", as_version=4)
    nb.cells[1].outputs[0].text = "3\n"
    nbformat.write(nb, executed / "en" / "02_b.ipynb")
    changed = site.build_site(("en",), out=tmp_path / "serial", workers=1)
    assert [p.name for p in changed] == ["02_b.html", "index.html", "index.html"]
    assert ">3\n</pre>" in (tmp_path / "serial" / "en" / "02_b.html").read_text(encoding="utf-8")
    (root / "src" / "gatelab" / "cells.py").write_text("X = 2\n", encoding="utf-8")
    assert len(site.build_site(("en",), out=tmp_path / "serial", workers=1)) == 4
