"""No project command overwrites work: a notebook that a teacher ran or edited and saved survives
`make notebooks` (and so `make lab` and `make test`), `make editions` (and so `make lessons`)
and `make clean`. Everything here works on a copy of the chapters and catalogs in a temporary
directory; the repository's notebooks are never touched."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jupytext
import nbformat
import pytest

from gatelab.publish import __main__ as build_cli
from gatelab.publish import catalogs, editions, generated, index, notebooks, project

ROOT = project.find_root(Path(__file__).parent)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch) -> Path:
    """notebooks/ (the .md only) and locales/ copied to tmp_path, and the build pointed there."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.setattr(project, "_current", project.Project(tmp_path))
    # the editions and index pages as the build writes them now, whatever state the
    # repository's copies are in
    for lang in catalogs.TARGET_LANGUAGES:
        for path in (tmp_path / "notebooks" / lang).glob("*.md"):
            path.unlink()
    editions.write_editions()
    index.write_indexes()
    return tmp_path


def run_and_save(path: Path) -> None:
    """What a teacher does in JupyterLab: run the notebook (outputs, execution counts, the
    kernel's language_info) and save it."""
    nb = nbformat.read(path, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"run {count}\n")]
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)


def open_and_save(path: Path) -> None:
    """Opening and saving without running anything: Jupyter adds metadata of its own."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata["trusted"] = True
    nbformat.write(nb, path)


def statuses(outcomes) -> dict[str, str]:
    return {f"{o.path.parent.name}/{o.path.name}": o.status for o in outcomes}


def test_a_run_notebook_survives_make_notebooks(tree: Path, capsys) -> None:
    notebooks.write_ipynb(("bn",))
    saved = tree / "notebooks" / "bn" / "02_lstm.ipynb"
    run_and_save(saved)
    before = saved.read_bytes()

    assert build_cli.main(["notebooks", "--lang", "bn"]) == 0
    assert saved.read_bytes() == before
    out = capsys.readouterr().out
    assert re.search(r"^kept notebooks/bn/02_lstm\.ipynb: .*rename or delete it", out, re.M), out
    # the others, untouched since they were built, are simply current
    assert "current notebooks/bn/01_rnn.ipynb" in out


def test_an_edited_notebook_survives_even_without_outputs(tree: Path) -> None:
    notebooks.write_ipynb(("en",))
    saved = tree / "notebooks" / "en" / "01_rnn.ipynb"
    nb = nbformat.read(saved, as_version=4)
    nb.cells[-1].source += "\n\nMy own note for the class."
    nbformat.write(nb, saved)
    before = saved.read_bytes()
    # and the source changes too, so the build has something new to write
    source = tree / "notebooks" / "en" / "01_rnn.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n```{code-cell} ipython3\n1 + 1\n```\n",
                      encoding="utf-8")
    assert statuses(notebooks.write_ipynb(("en",)))["en/01_rnn.ipynb"] == generated.KEPT
    assert saved.read_bytes() == before


def test_a_notebook_as_built_follows_its_source(tree: Path) -> None:
    """Opened and saved without changes (or never opened): the next build replaces it."""
    notebooks.write_ipynb(("hi",))
    saved = tree / "notebooks" / "hi" / "03_gru.ipynb"
    open_and_save(saved)
    assert generated.as_built(nbformat.read(saved, as_version=4))
    source = saved.with_suffix(".md")
    source.write_text(source.read_text(encoding="utf-8") + "\n```{code-cell} ipython3\n2 + 2\n```\n",
                      encoding="utf-8")
    assert statuses(notebooks.write_ipynb(("hi",)))["hi/03_gru.ipynb"] == generated.WROTE
    assert nbformat.read(saved, as_version=4).cells[-1].source == "2 + 2"


def test_an_ipynb_from_before_the_fingerprints_is_kept_if_it_has_outputs(tree: Path) -> None:
    """The .ipynb the build wrote before it stamped them: the same cells are replaced, a run
    one is kept."""
    for chapter in ("01_rnn", "02_lstm"):
        md = tree / "notebooks" / "en" / f"{chapter}.md"
        nbformat.write(notebooks.read(md), md.with_suffix(".ipynb"))  # the old write_ipynb
    run_and_save(tree / "notebooks" / "en" / "02_lstm.ipynb")
    result = statuses(notebooks.write_ipynb(("en",)))
    assert result["en/01_rnn.ipynb"] == generated.WROTE
    assert result["en/02_lstm.ipynb"] == generated.KEPT


def test_make_clean_keeps_run_notebooks_and_other_files(tree: Path) -> None:
    notebooks.write_ipynb(("bn",))
    folder = tree / "notebooks" / "bn"
    run_and_save(folder / "01_rnn.ipynb")
    mine = folder / "my_experiment.ipynb"  # a teacher's own notebook beside the chapters
    nbformat.write(nbformat.v4.new_notebook(), mine)

    assert build_cli.main(["clean", "--lang", "bn"]) == 0
    assert (folder / "01_rnn.ipynb").exists() and mine.exists()
    assert not (folder / "02_lstm.ipynb").exists() and not (folder / "03_gru.ipynb").exists()


def save_with_jupytext(path: Path, edit) -> None:
    """Open a .md as a notebook and save it as JupyterLab does with Jupytext installed."""
    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    manager = build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(path.parent))
    model = manager.get(path.name)
    assert model["type"] == "notebook"
    edit(model["content"])
    manager.save(model, path.name)


def test_an_edited_edition_survives_make_editions(tree: Path, capsys) -> None:
    """With the chapters opening as notebooks, a teacher may edit and save a Bengali edition;
    `make editions` (part of `make lessons`) keeps it and says so."""
    assert build_cli.main(["editions", "--lang", "bn"]) == 0
    edition = tree / "notebooks" / "bn" / "02_lstm.md"
    assert generated.as_built(jupytext.read(edition))

    def add_a_cell(nb):
        nb.cells.append(nbformat.v4.new_code_cell("print('for my class')"))
    save_with_jupytext(edition, add_a_cell)
    before = edition.read_bytes()
    # then the translations of both chapters' titles change
    for chapter, number, word in [("01_rnn", 1, "এক"), ("02_lstm", 2, "দুই")]:
        catalog = tree / "locales" / "bn" / "LC_MESSAGES" / f"{chapter}.po"
        text = catalog.read_text(encoding="utf-8")
        assert f'"# অধ্যায় {number} —' in text
        catalog.write_text(text.replace(f'"# অধ্যায় {number} —', f'"# অধ্যায় {word} —'),
                           encoding="utf-8")
    capsys.readouterr()

    assert build_cli.main(["editions", "--lang", "bn"]) == 0
    assert edition.read_bytes() == before
    out = capsys.readouterr().out
    assert re.search(r"^kept notebooks/bn/02_lstm\.md: ", out, re.M), out
    # the edition nobody touched takes the change, and so does the index
    assert "# অধ্যায় এক —" in (tree / "notebooks" / "bn" / "01_rnn.md").read_text(encoding="utf-8")
    assert "[অধ্যায় এক —" in (tree / "notebooks" / "bn" / "index.md").read_text(encoding="utf-8")


def test_an_edition_saved_unchanged_in_jupyterlab_is_still_the_builds(tree: Path) -> None:
    build_cli.main(["editions", "--lang", "hi"])
    edition = tree / "notebooks" / "hi" / "01_rnn.md"
    save_with_jupytext(edition, lambda nb: nb.metadata.update(language_info={"name": "python"}))
    assert generated.as_built(jupytext.read(edition))


def test_files_from_before_the_fingerprints_follow_git(tmp_path: Path) -> None:
    """An edition without a fingerprint is replaced while git says it is as committed, and kept
    once someone changed it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    edition = tmp_path / "01_rnn.md"
    old = jupytext.writes(jupytext.read(ROOT / "notebooks" / "en" / "01_rnn.md"), fmt="md:myst")
    edition.write_text(old, encoding="utf-8")
    for command in (["init", "-q"], ["add", "01_rnn.md"],
                    ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=tmp_path, check=True, capture_output=True)
    new = generated.stamped_text(jupytext.reads(old.replace("Chapter 1", "Chapter One"),
                                                fmt="md:myst"), "md:myst")

    edition.write_text(old.replace("nn.RNN", "nn.RNN  # my note"), encoding="utf-8")
    assert generated.write(edition, new).status == generated.KEPT
    subprocess.run(["git", "checkout", "-q", "01_rnn.md"], cwd=tmp_path, check=True)
    assert generated.write(edition, new).status == generated.WROTE
    assert edition.read_text(encoding="utf-8") == new


def test_a_file_that_is_not_a_notebook_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "02_lstm.ipynb"
    path.write_text("my notes, not JSON", encoding="utf-8")
    text = generated.stamped_text(nbformat.v4.new_notebook(), "ipynb")
    assert generated.write(path, text).status == generated.KEPT
    assert path.read_text(encoding="utf-8") == "my notes, not JSON"


def test_the_makefile_deletes_nothing_in_notebooks() -> None:
    """Only the build's own commands (which keep a person's work) write into notebooks/."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipes = [line.strip() for line in makefile.splitlines() if line.startswith("\t")]
    assert [r for r in recipes if "notebooks" in r and re.search(r"\b(rm|mv|cp|jupytext)\b", r)] == []


# --- the index pages --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "bn", "hi"])
def test_index_pages_are_current(lang: str) -> None:
    path = index.path(lang)
    assert path.exists(), f"{path} is missing: run `make editions`"
    assert path.read_text(encoding="utf-8") == index.index_text(lang), (
        f"{path} is out of date: run `make editions`")


@pytest.mark.parametrize("lang", ["en", "bn", "hi"])
def test_index_lists_every_chapter_in_its_language(lang: str) -> None:
    nb = jupytext.read(index.path(lang))
    assert len(nb.cells) == 1 and nb.metadata["kernelspec"]["name"] == "python3"
    text = nb.cells[0].source
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links[: len(catalogs.chapters())] == [f"{c}.md" for c in catalogs.chapters()]
    for link in links:
        assert (index.path(lang).parent / link).resolve().exists(), link
    for chapter in catalogs.chapters():
        edition = (ROOT / "notebooks" / lang / f"{chapter}.md").read_text(encoding="utf-8")
        title = index.chapter_title(chapter, lang)
        assert f"[{title}]({chapter}.md)" in text and f"# {title}" in edition


def test_the_index_is_not_a_chapter() -> None:
    assert index.NAME not in catalogs.chapters()
    assert all(re.fullmatch(r"\d\d_\w+", c) for c in catalogs.chapters())
    assert not any(p.name == "index.md" for _, _, p in notebooks.sources())


def test_written_json_is_what_jupyter_writes(tmp_path: Path) -> None:
    """The built .ipynb is in nbformat's own layout, so that Jupyter's first save of an
    unchanged notebook changes nothing a diff would show."""
    md = ROOT / "notebooks" / "en" / "01_rnn.md"
    text = generated.stamped_text(notebooks.read(md), "ipynb")
    nb = nbformat.reads(text, as_version=4)
    assert text == nbformat.writes(nb) + "\n" and json.loads(text)["nbformat"] == 4
    assert generated.as_built(nb)
