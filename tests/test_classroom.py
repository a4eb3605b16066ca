"""A whole class on one server: the nbgitpuller links, and a real JupyterHub on 127.0.0.1
(jupyterhub from PyPI, configurable-http-proxy from npm) with two students who pull a chapter,
edit it, run Chapter 2, click its gate explorer, lose a kernel, and find their work after the
hub restarts. The hub tests are marked ``hub`` (``pytest -m hub``)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jupytext
import pytest

from gatelab import classroom
from gatelab.classroom import LinkError, LocalHub, pull_link, run_lesson

ROOT = classroom.ROOT
REPO = "https://github.com/example/gatelab"


def query(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


# -- links ------------------------------------------------------------------------------------


def test_link_opens_the_chapter_in_the_students_copy():
    link = pull_link("https://hub.example.org", "bn", "02", repo=REPO)
    assert link.startswith("https://hub.example.org/hub/user-redirect/git-pull?")
    assert query(link) == {"repo": REPO, "branch": "main", "targetpath": "gatelab-lessons",
                           "urlpath": "lab/tree/gatelab-lessons/notebooks/bn/02_lstm.md"}
    assert (ROOT / "notebooks" / "bn" / "02_lstm.md").exists()


@pytest.mark.parametrize("chapter", ["2", "02", "lstm", "02_lstm", "02_lstm.md", " 02 "])
def test_a_chapter_can_be_named_by_number_or_topic(chapter):
    assert query(pull_link("https://hub.example.org", "hi", chapter, repo=REPO))["urlpath"] \
        == "lab/tree/gatelab-lessons/notebooks/hi/02_lstm.md"


def test_without_a_chapter_the_link_opens_the_editions_index():
    link = pull_link("https://hub.example.org", "en", repo=REPO, branch="spring", folder="rnn")
    assert query(link)["urlpath"] == "lab/tree/rnn/notebooks/en/index.md"
    assert query(link)["branch"] == "spring" and query(link)["targetpath"] == "rnn"


@pytest.mark.parametrize("hub", ["https://hub.example.org/", "https://hub.example.org/hub/",
                                 "https://hub.example.org/hub"])
def test_the_hub_address_may_end_in_a_slash_or_hub(hub):
    assert pull_link(hub, "en", "01", repo=REPO).startswith(
        "https://hub.example.org/hub/user-redirect/git-pull?")


def test_a_hub_under_a_base_url_keeps_it():
    link = pull_link("https://uni.example.org/jupyter", "en", "01", repo=REPO)
    assert link.startswith("https://uni.example.org/jupyter/hub/user-redirect/git-pull?")


def test_an_unknown_language_lists_the_editions():
    with pytest.raises(LinkError, match=r'"en".*"bn".*"hi"'):
        pull_link("https://hub.example.org", "fr", "02", repo=REPO)


def test_an_unknown_chapter_lists_the_chapters():
    with pytest.raises(LinkError) as caught:
        pull_link("https://hub.example.org", "bn", "7", repo=REPO)
    for name in classroom.chapters("bn"):
        assert f"{name[:2]} ({name})" in str(caught.value)


@pytest.mark.parametrize("hub", ["hub.example.org", "ftp://hub.example.org", "https://"])
def test_the_hub_must_be_a_web_address(hub):
    with pytest.raises(LinkError, match="web address"):
        pull_link(hub, "bn", "02", repo=REPO)


def test_the_repository_defaults_to_the_checkouts_origin(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert classroom.origin_url(tmp_path) is None
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", REPO], check=True)
    assert classroom.origin_url(tmp_path) == REPO
    monkeypatch.setattr(classroom, "origin_url", lambda: None)
    with pytest.raises(LinkError, match="--repo"):
        pull_link("https://hub.example.org", "bn", "02")


def test_the_link_command(capsys):
    assert classroom.main(["link", "--hub", "https://hub.example.org", "--lang", "bn",
                           "--chapter", "03", "--repo", REPO]) == 0
    assert query(capsys.readouterr().out.strip())["urlpath"].endswith("notebooks/bn/03_gru.md")
    assert classroom.main(["link", "--hub", "https://hub.example.org", "--lang", "xx",
                           "--repo", REPO]) == 2
    assert "Unknown language" in capsys.readouterr().err


# -- a real hub -------------------------------------------------------------------------------

STUDENTS = ["alice", "bob"]
#: the thread policy, set where a teacher sets it: the spawner's environment
POLICY = {"GATELAB_THREADS": "1", "OMP_NUM_THREADS": "1"}
CLICKS = 10


def git(*args: str | Path) -> str:
    return subprocess.run(["git", *map(str, args)], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> dict[str, Path]:
    """What students pull from: a bare repository holding this checkout's last commit (no
    network), and the teacher's clone that pushes updates to it."""
    where = tmp_path_factory.mktemp("git")
    teacher, bare = where / "teacher", where / "gatelab.git"
    git("clone", "-q", "--depth", "1", f"file://{ROOT}", teacher)
    git("-C", teacher, "checkout", "-q", "-B", "main")
    git("init", "-q", "--bare", bare)
    git("-C", bare, "config", "receive.shallowUpdate", "true")
    git("-C", bare, "symbolic-ref", "HEAD", "refs/heads/main")
    git("-C", teacher, "push", "-q", bare, "main")
    return {"teacher": teacher, "bare": bare}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    environment = {**POLICY, "GATELAB_NO_NETWORK": "1",  # tests/kernel_guard: loopback only
                   "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    with LocalHub(tmp_path_factory.mktemp("hub"), STUDENTS, environment=environment) as hub:
        yield hub
    assert hub.processes() == {}, "the hub left processes running"


@pytest.mark.hub
def test_a_link_gives_each_student_their_own_copy(hub, source):
    link = pull_link(hub.url, "bn", "02", repo=f"file://{source['bare']}")
    chapter = Path("gatelab-lessons/notebooks/bn/02_lstm.md")
    committed = git("-C", source["teacher"], "show", "HEAD:notebooks/bn/02_lstm.md")
    for name in STUDENTS:
        student = hub.student(name)
        student.log_in()
        student.start_server()
        landed = student.follow(link)
        assert landed["status"] == 200
        assert landed["page"] == f"{hub.url}/user/{name}/lab/tree/{chapter.as_posix()}"
        assert (hub.home(name) / chapter).read_text() == committed
    alice = hub.student("alice")  # a new browser session
    alice.log_in()
    alice.start_server()  # already running: only opens it
    alice.api("PUT", f"contents/{chapter.as_posix()}",
              json={"type": "file", "format": "text", "content": committed + "\nalice's note\n"})
    assert (hub.home("alice") / chapter).read_text().endswith("alice's note\n")
    assert (hub.home("bob") / chapter).read_text() == committed


@pytest.mark.hub
def test_a_students_edit_survives_the_next_pull(hub, source):
    """nbgitpuller merges the teacher's update and keeps the student's edit."""
    teacher = source["teacher"]
    rnn = teacher / "notebooks" / "bn" / "01_rnn.md"
    rnn.write_text(rnn.read_text() + "\nteacher's correction\n")
    git("-C", teacher, "-c", "user.name=t", "-c", "user.email=t@example.org",
        "commit", "-q", "-am", "a correction")
    git("-C", teacher, "push", "-q", source["bare"], "main")

    alice = hub.student("alice")
    alice.log_in()
    alice.start_server()
    home = hub.home("alice") / "gatelab-lessons" / "notebooks" / "bn"
    edited = (home / "02_lstm.md").read_text()
    assert edited.endswith("alice's note\n")  # from the test before
    alice.follow(pull_link(hub.url, "bn", "02", repo=f"file://{source['bare']}"))
    assert (home / "02_lstm.md").read_text() == edited
    assert (home / "01_rnn.md").read_text().endswith("teacher's correction\n")


@pytest.fixture(scope="module")
def lessons(hub):
    """Chapter 2 for two students at once; alice's kernel is killed while she runs it."""
    killed: dict[str, int] = {}

    def kill_once(index: int, kernel) -> None:
        if index == 7 and not killed:  # a cell that trains for a second or two
            killed.update(pids(hub))
            threading.Timer(0.5, os.kill, (killed["alice"], signal.SIGKILL)).start()

    notebooks = {name: jupytext.read(ROOT / "notebooks" / "en" / "02_lstm.md")
                 for name in STUDENTS}
    results = {}

    def lesson(name: str) -> None:
        results[name] = run_lesson(hub.student(name), notebooks[name], "02_lstm.ipynb",
                                   clicks=CLICKS, timeout=600,
                                   on_cell=kill_once if name == "alice" else None)

    threads = [threading.Thread(target=lesson, args=(name,)) for name in STUDENTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"results": results, "notebooks": notebooks, "killed": killed, "after": pids(hub)}


def pids(hub: LocalHub) -> dict[str, int]:
    """Each student's kernel process."""
    return {name: pid for name in STUDENTS
            for pid, role in hub.processes(name).items() if role == "kernel"}


@pytest.mark.hub
def test_a_student_whose_kernel_dies_is_told_and_goes_on(lessons):
    alice = lessons["results"]["alice"]
    assert lessons["killed"], f"the kill never happened: {alice.errors}"
    assert len(alice.told) == 1
    assert "kernel died" in alice.told[0] and "again from the top" in alice.told[0]
    assert alice.finished, alice.errors
    assert lessons["after"]["alice"] != lessons["killed"]["alice"]  # a new kernel
    assert len(alice.clicks) == CLICKS


@pytest.mark.hub
def test_the_other_student_is_unaffected(lessons):
    bob = lessons["results"]["bob"]
    assert bob.finished and not bob.told and not bob.errors, (bob.told, bob.errors)
    assert lessons["after"]["bob"] == lessons["killed"]["bob"]  # the same kernel throughout
    assert len(bob.clicks) == CLICKS and bob.redrawn == CLICKS  # every click a new image
    assert bob.chapter > 0 and max(bob.clicks) < 30


@pytest.mark.hub
def test_the_spawner_environment_sets_one_torch_thread(lessons):
    assert {lesson.threads for lesson in lessons["results"].values()} == {1}


@pytest.mark.hub
def test_saved_notebooks_survive_a_hub_restart(hub, lessons):
    hub.stop()
    assert hub.processes() == {}  # the servers, kernels and proxy went with the hub
    hub.start()
    users = {user["name"]: user for user in hub.api("GET", "users")}
    assert set(users) == set(STUDENTS) and not any(u["servers"] for u in users.values())
    for name in STUDENTS:
        student = hub.student(name)
        student.log_in()
        student.start_server()
        saved = student.api("GET", "contents/02_lstm.ipynb")["content"]
        ran = [c for c in lessons["notebooks"][name].cells if c.cell_type == "code"]
        code = [c for c in saved["cells"] if c["cell_type"] == "code"]
        assert [c["source"] for c in code] == [c.source for c in ran]
        assert [len(c["outputs"]) for c in code] == [len(c.outputs) for c in ran]
        assert sum(len(c["outputs"]) for c in code) > 10


@pytest.mark.hub
def test_the_hub_command_starts_and_stops_a_hub(capsys):
    assert classroom.main(["hub", "--students", "1", "--minutes", "0"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:" in out and "student1" in out and "git-pull?repo=file://" in out
