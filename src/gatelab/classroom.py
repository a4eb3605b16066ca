"""A whole class on one server: nbgitpuller links that hand a chapter to every student of a
JupyterHub, and a real JupyterHub on this machine to prove that they work and to measure how many
students one core serves.

    python -m gatelab.classroom link --hub https://hub.example.org --lang bn --chapter 02
    python -m gatelab.classroom hub --students 2 --minutes 10

gatelab has no server of its own (DESIGN.md, "Scale"): a class uses an existing JupyterHub or
Binder. :func:`pull_link` writes the nbgitpuller link a teacher hands out. :class:`LocalHub`
starts JupyterHub itself (``jupyterhub`` from PyPI, ``configurable-http-proxy`` from npm) on
127.0.0.1 with the shared-password authenticator and ``SimpleLocalProcessSpawner`` (every student
runs as this machine's user, each in a home of their own), for the tests and
``benchmarks/classroom.py``; :class:`Student` does over HTTP and the kernel websocket what a
student's browser does: log in, start a server, follow a link, run cells, click a widget, save.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from . import i18n

#: the checkout this module was installed from (``pip install -e .``): its notebooks/ and .git
ROOT = Path(__file__).resolve().parents[2]
#: the folder nbgitpuller clones into, in every student's home. Not "gatelab": a folder of that
#: name beside a notebook would shadow the installed package (``import gatelab`` would find
#: the folder first when gatelab is installed in development mode).
FOLDER = "gatelab-lessons"
#: set in the environment of the hub, the proxy, every student's server and kernel: how
#: :meth:`LocalHub.stop` finds everything the hub started, whatever process group it is in
MARKER = "GATELAB_CLASSROOM_HUB"


# ---------------------------------------------------------------------------------------------
# nbgitpuller links


class LinkError(ValueError):
    """A link that cannot be written: an unknown language or chapter, a hub that is no URL."""


def chapters(lang: str = "en") -> list[str]:
    """The chapters of an edition, e.g. ``["01_rnn", "02_lstm", "03_gru"]``."""
    return sorted(p.stem for p in (ROOT / "notebooks" / lang).glob("[0-9][0-9]_*.md"))


def chapter_path(lang: str, chapter: str | None = None) -> str:
    """The repository path a link opens: ``notebooks/bn/02_lstm.md`` for ``("bn", "02")``
    (``"02"``, ``"2"``, ``"lstm"`` and ``"02_lstm"`` all name Chapter 2), or the edition's
    ``notebooks/bn/index.md`` without a chapter. LinkError listing the choices otherwise."""
    try:
        lang = i18n.check_language(lang)
    except i18n.LanguageError as error:
        raise LinkError(str(error)) from None
    if chapter is None:
        return f"notebooks/{lang}/index.md"
    names = chapters(lang)
    wanted = str(chapter).strip().lower().removesuffix(".md")
    for name in names:
        number, topic = name.split("_", 1)
        if wanted in (name, topic) or (wanted.isdigit() and int(wanted) == int(number)):
            return f"notebooks/{lang}/{name}.md"
    choices = ", ".join(f"{name.split('_', 1)[0]} ({name})" for name in names)
    raise LinkError(f"Unknown chapter {chapter!r} in the {lang!r} edition. "
                    f"Choose one of: {choices}; or leave --chapter out to open the edition's "
                    f"index page.")


def origin_url(root: Path = ROOT) -> str | None:
    """The URL of the checkout's ``origin`` remote, if it has one."""
    found = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                           capture_output=True, text=True, check=False)
    return found.stdout.strip() or None if found.returncode == 0 else None


def pull_link(hub: str, lang: str, chapter: str | None = None, repo: str | None = None,
              branch: str = "main", folder: str = FOLDER) -> str:
    """The nbgitpuller link that gives every student of ``hub`` their own copy of this
    repository (cloned into ``~/{folder}``, later clicks merge updates and keep the student's
    edits) and opens a chapter of one edition in JupyterLab.

    ``hub`` is the hub's address (``https://hub.example.org``, with its base URL if it has
    one); ``repo`` the git URL students pull from (default: this checkout's ``origin``).
    Parameters as nbgitpuller documents them: ``repo``, ``branch``, ``targetpath`` (the folder),
    ``urlpath`` (where JupyterLab opens afterwards, relative to the server's root).
    """
    parts = urlsplit(str(hub).strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(f"The hub must be a web address such as https://hub.example.org, "
                        f"not {hub!r}.")
    base = parts._replace(query="", fragment="").geturl().rstrip("/").removesuffix("/hub")
    path = chapter_path(lang, chapter)
    repo = repo or origin_url()
    if not repo:
        raise LinkError("This checkout has no 'origin' remote: give the git URL the students "
                        "pull from with --repo (e.g. https://github.com/you/gatelab).")
    if not re.fullmatch(r"[\w.-]+", folder) or folder in (".", ".."):
        raise LinkError(f"The folder must be one plain name, not {folder!r}.")
    query = urlencode({"repo": repo, "branch": branch, "targetpath": folder,
                       "urlpath": f"lab/tree/{folder}/{path}"}, quote_via=quote, safe="/:")
    return f"{base}/hub/user-redirect/git-pull?{query}"


# ---------------------------------------------------------------------------------------------
# A real JupyterHub on this machine


class HubError(RuntimeError):
    """The local hub could not start, or a student could not do something on it."""


class KernelDied(HubError):
    """A student's kernel died (killed, or out of memory) while running a cell."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proxy_command() -> str:
    """configurable-http-proxy: the copy ``make venv`` installs into the virtual environment
    (``.venv/node``, by scripts/hub-install-proxy.sh), else one on PATH."""
    local = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    found = str(local) if local.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise HubError("JupyterHub needs configurable-http-proxy (npm): run "
                       "`bash scripts/hub-install-proxy.sh` (make venv does), or "
                       "`npm install -g configurable-http-proxy`.")
    return found


def marked_processes(marker: str) -> dict[int, dict[str, str]]:
    """The processes whose environment holds ``MARKER=marker``: pid -> their environment."""
    found = {}
    needle = f"{MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        if needle in environ:
            found[int(entry.name)] = dict(
                item.decode(errors="replace").partition("=")[::2] for item in environ if item)
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


#: run before the hub (``python -c`` then exec): Linux sends the hub SIGTERM when the process
#: that started it dies, so a killed test or benchmark still stops the hub, and the hub its
#: servers and proxy (a safety net: :meth:`LocalHub.stop` is the way out). PR_SET_PDEATHSIG = 1.
STOP_WITH_PARENT = ("import ctypes, os, signal, sys; "
                    "ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
                    "os.execv(sys.argv[1], sys.argv[1:])")


HUB_CONFIG = '''\
# Written by gatelab.classroom.LocalHub: a JupyterHub for testing on this machine only.
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_secret!r}
c.JupyterHub.pid_file = {pid_file!r}
c.JupyterHub.cleanup_servers = True
# one shared password for the class, and only these students
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allowed_users = {students!r}
# every student runs as this machine's user, in a home of their own: no isolation, test only
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.environment = {environment!r}
# a class logging in at once on two cores: be patient
c.Spawner.start_timeout = {timeout}
c.Spawner.http_timeout = {timeout}
# LocalHub.api reads the users and their servers through the REST API with this token
c.JupyterHub.services = [{{"name": "classroom", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "classroom", "services": ["classroom"],
                             "scopes": ["list:users", "read:users", "read:servers"]}}]
'''


@dataclass
class LocalHub:
    """A JupyterHub on 127.0.0.1 with a few students, started and stopped by this process.

    ``state`` keeps the hub's database, cookie secret and the students' homes
    (``state/home/NAME``): a hub started again on the same folder has the same students and
    files. ``environment`` is the spawner's (every student's server and kernel), e.g. the thread
    policy ``{"GATELAB_THREADS": "1", "OMP_NUM_THREADS": "1"}``. Use as a context manager;
    :meth:`stop` leaves nothing running: the hub stops its servers and proxy, then every process
    that still carries this hub's marker in its environment is killed with its process group.
    """

    state: Path
    students: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    timeout: float = 180  # seconds for the hub, a server or a kernel to start
    port: int = 0  # the public port; 0: a free one
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def home(self, student: str) -> Path:
        return self.state / "home" / student

    def _write_config(self) -> Path:
        self.state.mkdir(parents=True, exist_ok=True)
        bin_dir = Path(sys.executable).parent
        self.port = self.port or free_port()
        self.token = secrets.token_hex(32)
        environment = {
            # the students' servers see only what is listed here (JupyterHub drops the rest)
            "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", os.defpath)]),
            **{k: os.environ[k] for k in ("LANG", "LC_ALL", "TZ") if k in os.environ},
            **self.environment,
            MARKER: self.marker,
        }
        config = HUB_CONFIG.format(
            port=self.port, hub_port=free_port(), proxy_api_port=free_port(),
            proxy=proxy_command(), db_url=f"sqlite:///{self.state / 'jupyterhub.sqlite'}",
            cookie_secret=str(self.state / "cookie_secret"),
            pid_file=str(self.state / "jupyterhub.pid"), password=self.password,
            students=set(self.students), homes=str(self.state / "home"),
            singleuser=str(bin_dir / "jupyterhub-singleuser"),
            # Jupyter refuses to run as root without being told (a sandbox or container)
            args=["--ServerApp.allow_root=True"] if os.geteuid() == 0 else [],
            environment=environment, timeout=int(self.timeout), token=self.token)
        path = self.state / "jupyterhub_config.py"
        path.write_text(config)
        return path

    def start(self) -> LocalHub:
        import requests

        config = self._write_config()
        env = {k: v for k, v in os.environ.items() if k != "GATELAB_WARNINGS"}
        env[MARKER] = self.marker
        self.log = self.state / "jupyterhub.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", STOP_WITH_PARENT,
                 str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config)],
                cwd=self.state, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"JupyterHub exited with code {self.process.returncode}:\n"
                               + self.log_tail())
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return self
            time.sleep(0.2)
        self.stop()
        raise HubError(f"JupyterHub did not answer within {self.timeout:.0f} s:\n"
                       + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, grace: float = 30) -> None:
        """Stop the hub (it stops every student's server and the proxy), then kill whatever of
        it is left, process group by process group. Idempotent."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        ours = os.getpgrp()
        for _attempt in range(50):
            left = marked_processes(self.marker)
            if not left:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    group = os.getpgid(pid)
                    if group != ours:
                        os.killpg(group, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the hub's REST API, as the "classroom" service (reads users and servers) -----------

    def api(self, method: str, path: str, **kwargs) -> Any:
        import requests

        response = requests.request(method, f"{self.url}/hub/api/{path.lstrip('/')}",
                                    headers={"Authorization": f"token {self.token}"},
                                    timeout=30, **kwargs)
        if not response.ok:
            raise HubError(f"{method} /hub/api/{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def processes(self, student: str | None = None) -> dict[int, str]:
        """The processes of the hub, or of one student: pid -> "hub", "proxy", "server" or
        "kernel" (found by the marker; a student's carry JUPYTERHUB_USER)."""
        roles = {}
        for pid, env in marked_processes(self.marker).items():
            if student is not None and env.get("JUPYTERHUB_USER") != student:
                continue
            line = cmdline(pid)
            roles[pid] = ("kernel" if "ipykernel" in line else
                          "server" if "jupyterhub-singleuser" in line else
                          "proxy" if "configurable-http-proxy" in line else
                          "hub" if "jupyterhub" in line else "other")
        return roles

    def memory(self) -> dict[str, float]:
        """Resident memory now, in MB: each student's server and kernels together (by name),
        and the hub with its proxy ("hub")."""
        used: dict[str, float] = {}
        for pid, env in marked_processes(self.marker).items():
            owner = env.get("JUPYTERHUB_USER", "hub")
            used[owner] = used.get(owner, 0.0) + rss_mb(pid)
        return used

    def student(self, name: str) -> Student:
        return Student(self, name)


# ---------------------------------------------------------------------------------------------
# A student's browser, without the browser


def _unpack(frame: bytes) -> dict:
    """A kernel message with binary buffers as Jupyter Server's websocket sends it: the number
    of parts and their offsets as big-endian 32-bit integers, the JSON message, the buffers."""
    count = struct.unpack("!I", frame[:4])[0]
    offsets = [*struct.unpack(f"!{count}I", frame[4:4 * (count + 1)]), len(frame)]
    parts = [frame[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    message = json.loads(parts[0])
    message["buffers"] = parts[1:]
    return message


@dataclass
class CellResult:
    outputs: list[dict]  # nbformat outputs
    status: str  # "ok" or "error"
    seconds: float  # from sending the request to the kernel going idle


class Student:
    """One student: a ``requests`` session with the hub's cookies, as a browser has."""

    def __init__(self, hub: LocalHub, name: str):
        import requests

        self.hub, self.name = hub, name
        self.http = requests.Session()
        self.server = f"{hub.url}/user/{name}/"

    def _xsrf(self, path: str) -> dict[str, str]:
        token = self.http.cookies.get("_xsrf", path=path)
        return {"X-XSRFToken": token} if token else {}

    def log_in(self) -> None:
        """The hub's login form, with the class password."""
        form = self.http.get(f"{self.hub.url}/hub/login", timeout=30)
        form.raise_for_status()
        reply = self.http.post(f"{self.hub.url}/hub/login", timeout=60, allow_redirects=False,
                               data={"username": self.name, "password": self.hub.password,
                                     "_xsrf": self.http.cookies.get("_xsrf", path="/hub/")})
        if reply.status_code != 302:
            raise HubError(f"{self.name} could not log in: {reply.status_code}")

    def start_server(self) -> float:
        """Ask the hub for this student's server (as the student), wait until it answers and
        the student holds its cookie; return the seconds that took."""
        start = time.monotonic()
        reply = self.http.post(f"{self.hub.url}/hub/api/users/{self.name}/server", timeout=60,
                               headers=self._xsrf("/hub/"))
        if reply.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"{self.name}'s server did not start: {reply.status_code} "
                           f"{reply.text}")
        deadline = start + self.hub.timeout
        while True:
            user = self.http.get(f"{self.hub.url}/hub/api/users/{self.name}", timeout=30).json()
            server = user.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            if time.monotonic() > deadline or (server is None and time.monotonic() - start > 10):
                raise HubError(f"{self.name}'s server did not start within "
                               f"{time.monotonic() - start:.0f} s:\n{self.hub.log_tail()}")
            time.sleep(0.25)
        # the single-user server's OAuth dance with the hub, as a browser follows it
        page = self.http.get(self.server, timeout=60)
        if not page.ok or not page.url.startswith(self.server):
            raise HubError(f"{self.name} cannot open their server: {page.status_code} {page.url}")
        return time.monotonic() - start

    def api(self, method: str, path: str, **kwargs) -> Any:
        """The student's Jupyter Server REST API (contents, sessions, kernels)."""
        response = self.http.request(method, f"{self.server}api/{path.lstrip('/')}",
                                     headers=self._xsrf(f"/user/{self.name}/"), timeout=120,
                                     **kwargs)
        if not response.ok:
            raise HubError(f"{self.name}: {method} api/{path}: {response.status_code} "
                           f"{response.text[:300]}")
        return response.json() if response.content else None

    def follow(self, link: str) -> dict:
        """Click an nbgitpuller link as a browser does: the hub's user-redirect, the
        git-pull page, its event stream (``git-pull/api``) until "finished", then the page it
        sends the student to. Returns ``{"page": final URL, "status": code, "log": lines}``."""
        page = self.http.get(link, timeout=60)
        if not page.ok or "/git-pull" not in page.url:
            raise HubError(f"{self.name}: the link led to {page.url} ({page.status_code})")
        params = dict(parse_qsl(urlsplit(page.url).query))
        api = {k: params[k] for k in ("repo", "branch", "targetpath", "depth") if k in params}
        api["_xsrf"] = self.http.cookies.get("_xsrf", path=f"/user/{self.name}/") or ""
        log, finished = [], False
        with self.http.get(f"{self.server}git-pull/api", params=api, stream=True,
                           timeout=120) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                log.append(event.get("output") or event.get("message") or event["phase"])
                if event["phase"] == "error":
                    raise HubError(f"{self.name}: nbgitpuller failed: {event.get('message')}\n"
                                   + (event.get("output") or ""))
                if event["phase"] == "finished":
                    finished = True
                    break
        if not finished:
            raise HubError(f"{self.name}: nbgitpuller stopped before finishing:\n"
                           + "\n".join(log))
        target = self.http.get(self.server + params["urlpath"], timeout=60)
        return {"page": target.url, "status": target.status_code, "log": log}

    def reconnect(self, kernel_id: str, deadline: float) -> RemoteKernel:
        """Connect to a kernel again, as JupyterLab does after a restart, once it answers."""
        while True:
            try:
                return RemoteKernel(self, kernel_id)
            except (KernelDied, TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def open_kernel(self, path: str) -> RemoteKernel:
        """Open a notebook's kernel as JupyterLab does (a session for ``path``)."""
        session = self.api("POST", "sessions", json={
            "path": path, "name": Path(path).name, "type": "notebook",
            "kernel": {"name": "python3"}})
        return RemoteKernel(self, session["kernel"]["id"])


class RemoteKernel:
    """A kernel of a student's server, driven over its websocket like JupyterLab drives it:
    execute requests on the shell channel, outputs and widget updates from iopub, widget
    changes sent back as ``comm_msg``."""

    def __init__(self, student: Student, kernel_id: str):
        import websocket

        self.student, self.id = student, kernel_id
        self.session = uuid.uuid4().hex
        self.widgets: dict[str, dict] = {}  # comm id -> the widget model's state
        url = (student.server.replace("http://", "ws://", 1)
               + f"api/kernels/{kernel_id}/channels?session_id={self.session}")
        cookies = "; ".join(f"{c.name}={c.value}" for c in student.http.cookies)
        self.ws = websocket.create_connection(
            url, timeout=student.hub.timeout, cookie=cookies,
            header=[f"{k}: {v}" for k, v in student._xsrf(f"/user/{student.name}/").items()])
        self.info = self.handshake(student.hub.timeout)

    def handshake(self, timeout: float) -> dict:
        """Ask for the kernel's info until it answers, as JupyterLab does: a request sent while
        a kernel is still starting (or restarting) can go unanswered."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.request("kernel_info_request", {},
                                    timeout=min(10.0, max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()

    def _send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session,
                       "username": self.student.name, "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
            "buffers": []}))
        return msg_id

    def _receive(self, deadline: float) -> dict:
        import websocket

        if time.monotonic() > deadline:  # however busy the kernel's output keeps the socket
            raise TimeoutError(f"{self.student.name}'s kernel did not answer in time")
        self.ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            frame = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise TimeoutError(f"{self.student.name}'s kernel did not answer in time") from None
        except websocket.WebSocketConnectionClosedException:
            frame = None
        if not frame:  # a close frame reads as empty
            raise HubError(f"{self.student.name}: the server closed the connection to the kernel")
        message = _unpack(frame) if isinstance(frame, bytes) else json.loads(frame)
        kind = message["header"]["msg_type"]
        content = message["content"]
        if kind == "status" and content["execution_state"] in ("restarting", "dead"):
            raise KernelDied(
                f"{self.student.name}'s kernel died (killed, or out of memory) and "
                f"{'is restarting' if content['execution_state'] == 'restarting' else 'is dead'}"
                ": its variables are lost; run the notebook again from the top.")
        if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.widgets[content["comm_id"]] = dict(content["data"]["state"])
        elif kind == "comm_msg" and content["comm_id"] in self.widgets:
            data = content["data"]
            if data.get("method") in ("update", "echo_update"):
                self.widgets[content["comm_id"]].update(data.get("state", {}))
        return message

    def idle(self, seconds: float, until: Callable[[], bool] | None = None) -> None:
        """Wait as an open JupyterLab tab waits, for ``seconds`` or until ``until()``: keep
        reading the websocket, which answers the server's pings (a connection that does not is
        closed after Jupyter Server's ``websocket_ping_timeout``) and keeps widget states
        current."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (until is not None and until()):
            with contextlib.suppress(TimeoutError):
                self._receive(min(deadline, time.monotonic() + 0.5))

    def request(self, msg_type: str, content: dict, timeout: float | None = None) -> dict:
        """A shell request; returns its reply's content once the kernel is idle again."""
        msg_id = self._send(msg_type, content)
        deadline = time.monotonic() + (timeout or self.student.hub.timeout)
        reply, idle = None, False
        while reply is None or not idle:
            message = self._receive(deadline)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["channel"] == "shell":
                reply = message["content"]
            elif message["header"]["msg_type"] == "status":
                idle = message["content"]["execution_state"] == "idle"
        return reply

    def execute(self, code: str, timeout: float = 600) -> CellResult:
        """Run one cell; its outputs as nbformat outputs (what JupyterLab saves)."""
        from nbformat.v4 import output_from_msg

        start = time.monotonic()
        msg_id = self._send("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        deadline = start + timeout
        outputs, status, idle = [], None, False
        while status is None or not idle:
            message = self._receive(deadline)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if message["channel"] == "shell":
                status = message["content"]["status"]
            elif kind == "status":
                idle = message["content"]["execution_state"] == "idle"
            elif kind == "clear_output":
                outputs.clear()
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(output_from_msg(message))
        return CellResult(outputs, status, time.monotonic() - start)

    def widget_tree(self, model_id: str) -> Iterator[str]:
        """A widget and every widget inside it, depth first."""
        yield model_id
        state = self.widgets.get(model_id, {})
        for child in state.get("children", []):
            yield from self.widget_tree(child.removeprefix("IPY_MODEL_"))

    def send_widget(self, model_id: str, data: dict, watch: str | None = None,
                    timeout: float = 60) -> tuple[float, bool]:
        """Send a widget what the browser sends on a click (a ``comm_msg``: ``{"method":
        "update", "state": ...}`` for a changed value, ``{"method": "custom", "content":
        {"event": "click"}}`` for a button) and wait until the kernel is done with it. Returns
        the seconds until the widget ``watch`` sent an update (or echoed the change back), or
        until the kernel went idle if it did not, and whether it did."""
        start = time.monotonic()
        msg_id = self._send("comm_msg", {"comm_id": model_id, "data": data})
        deadline = start + timeout
        changed_after, idle = None, False
        while not idle:
            message = self._receive(deadline)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            content = message["content"]
            if (message["header"]["msg_type"] == "comm_msg" and content["comm_id"] == watch
                    and content["data"].get("method") in ("update", "echo_update")
                    and changed_after is None):
                changed_after = time.monotonic() - start
            elif message["header"]["msg_type"] == "status":
                idle = content["execution_state"] == "idle"
        seconds = changed_after if changed_after is not None else time.monotonic() - start
        return seconds, changed_after is not None


@dataclass
class Lesson:
    """What one student did with a chapter on the hub (times in seconds)."""

    student: str
    ready: float = math.nan  # log in, start the server, open the notebook and its kernel
    chapter: float = math.nan  # every code cell top to bottom: first request sent -> last idle
    clicks: list[float] = field(default_factory=list)  # comm_msg sent -> the kernel's echo
    redrawn: int = 0  # clicks the kernel answered
    threads: int | None = None  # torch.get_num_threads() in the kernel afterwards
    told: list[str] = field(default_factory=list)  # what the student was told (a kernel died)
    errors: list[str] = field(default_factory=list)  # a cell that raised; what stopped the run
    finished: bool = False  # every cell ran without error, every click answered, saved


#: a gate's modes as the page cycles them on a click, and the number each forces
_MODES = ("shut", "open", "learned", "value")
_FORCED = {"shut": 0.0, "open": 1.0, "value": 0.5}


def click_explorer(kernel: RemoteKernel, view: str, clicks: int, timeout: float = 60,
                   before_click: Callable[[int, RemoteKernel], None] | None = None
                   ) -> list[tuple[float, bool]]:
    """Click a gate explorer (the widget ``view`` a cell displayed) ``clicks`` times as a
    student would: each gate in turn to its next mode (shut, open, learned, value), and every
    fifth click a preset. The explorer computes and draws in the page
    (:mod:`gatelab.explorer`); what reaches the server is the new forcing (``force``), which the
    kernel checks and echoes back. ``before_click(k, kernel)``, if given, runs before click k (a
    student's pause, e.g. ``kernel.idle(1.0)``; not timed). Returns (seconds until the kernel's
    echo, whether it came)."""
    state = kernel.widgets.get(view, {})
    if "force" not in state or not state.get("gates"):
        raise HubError(f"{kernel.student.name}: widget {view} is no gate explorer")
    gates, presets = state["gates"], [force for _name, force in state.get("presets", [])]
    modes = {gate: "learned" for gate in gates}
    times = []
    for k in range(clicks):
        if before_click is not None:
            before_click(k, kernel)
        if k % 5 == 4 and presets:
            preset = presets[(k // 5) % len(presets)]
            modes = {g: "learned" if g not in preset else "open" if preset[g] == 1 else "shut"
                     for g in gates}
        else:
            gate = gates[k % len(gates)]
            modes[gate] = _MODES[(_MODES.index(modes[gate]) + 1) % len(_MODES)]
        force = {g: _FORCED[m] for g, m in modes.items() if m != "learned"}
        data = {"method": "update", "buffer_paths": [], "state": {"force": force}}
        times.append(kernel.send_widget(view, data, watch=view, timeout=timeout))
    return times


def run_lesson(student: Student, notebook: Any, path: str, clicks: int = 50, retries: int = 1,
               timeout: float = 900, on_cell: Callable[[int, RemoteKernel], None] | None = None,
               before_click: Callable[[int, RemoteKernel], None] | None = None) -> Lesson:
    """A student's lesson, as in a browser: log in, start their server, put the chapter
    ``notebook`` (nbformat) at ``path`` in their home, open it, run every code cell from the
    top, click the first gate explorer ``clicks`` times, save the notebook with its outputs.

    A kernel that dies on the way is restarted by Jupyter Server, which tells the student (the
    "restarting" status JupyterLab shows as "the kernel appears to have died"); the student
    then runs the notebook again from the top, up to ``retries`` times. ``on_cell(index,
    kernel)`` is called before each cell (the tests kill a kernel from there), ``before_click``
    before each click (see :func:`click_explorer`). Nothing raises: what went wrong is in the
    Lesson's ``errors``.
    """
    import nbformat

    lesson = Lesson(student.name)
    began = time.monotonic()
    deadline = began + timeout
    kernel = None
    try:
        student.log_in()
        student.start_server()
        student.api("PUT", f"contents/{path}", json={
            "type": "notebook", "format": "json", "content": json.loads(nbformat.writes(notebook))})
        kernel = student.open_kernel(path)
        lesson.ready = time.monotonic() - began
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        for attempt in range(retries + 1):
            try:
                views, start = [], time.monotonic()
                for index, cell in enumerate(code):
                    if on_cell is not None:
                        on_cell(index, kernel)
                    result = kernel.execute(cell.source, timeout=deadline - time.monotonic())
                    cell.outputs = result.outputs
                    if result.status != "ok":
                        error = next((o for o in result.outputs if o.output_type == "error"), {})
                        raise HubError(f"cell {index + 1} raised {error.get('ename')}: "
                                       f"{error.get('evalue')}")
                    if "GateExplorer(" in cell.source:
                        views += [o.data["application/vnd.jupyter.widget-view+json"]["model_id"]
                                  for o in result.outputs
                                  if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
                lesson.chapter = time.monotonic() - start
                if clicks:
                    if not views:
                        raise HubError("the chapter shows no gate explorer to click")
                    times = click_explorer(kernel, views[0], clicks,
                                           before_click=before_click)
                    lesson.clicks = [seconds for seconds, _ in times]
                    lesson.redrawn = sum(redrawn for _, redrawn in times)
                break
            except KernelDied as died:
                lesson.told.append(str(died))
                if attempt == retries:
                    raise
                kernel.close()
                kernel = student.reconnect(kernel.id, deadline)
        probe = kernel.execute("import torch; print(torch.get_num_threads())", timeout=60)
        lesson.threads = int(probe.outputs[0]["text"])
        student.api("PUT", f"contents/{path}", json={
            "type": "notebook", "format": "json", "content": json.loads(nbformat.writes(notebook))})
        lesson.finished = True
    except Exception as error:  # a benchmark counts what stopped a student
        where = traceback.extract_tb(error.__traceback__)[-1]
        lesson.errors.append(f"{type(error).__name__}: {error} "
                             f"({Path(where.filename).name}:{where.lineno})")
    finally:
        if kernel is not None:
            kernel.close()
    return lesson


# ---------------------------------------------------------------------------------------------
# Command line


def _serve(args: argparse.Namespace) -> int:
    import tempfile

    students = [f"student{k + 1}" for k in range(args.students)]
    policy = {"GATELAB_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads)}
    with tempfile.TemporaryDirectory(prefix="gatelab-hub-") as tmp:
        source = Path(tmp) / "gatelab.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", "--depth", "1",
                        f"file://{ROOT}", str(source)], check=True)
        branch = subprocess.run(["git", "-C", str(source), "symbolic-ref", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        with LocalHub(Path(tmp) / "hub", students, environment=policy) as hub:
            print(f"JupyterHub at {hub.url}/ (only this machine)")
            print(f"students: {', '.join(students)}; password: {hub.password}")
            print("Chapter 2 in Bengali for every student (a clone of this checkout's HEAD):")
            print("  " + pull_link(hub.url, "bn", "02", repo=f"file://{source}", branch=branch))
            print(f"stops in {args.minutes:g} minutes, or on Ctrl-C")
            with contextlib.suppress(KeyboardInterrupt, subprocess.TimeoutExpired):
                hub.process.wait(args.minutes * 60)
        left = hub.processes()
        print(f"stopped; left running: {left}" if left else "stopped; nothing left running")
    return 1 if left else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatelab.classroom", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    link = commands.add_parser("link", help="print the nbgitpuller link for a chapter")
    link.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.org")
    link.add_argument("--lang", required=True, help=", ".join(i18n.LANGUAGES))
    link.add_argument("--chapter", help="e.g. 02 (default: the edition's index page)")
    link.add_argument("--repo", help="the git URL students pull from (default: origin)")
    link.add_argument("--branch", default="main")
    link.add_argument("--folder", default=FOLDER, help="the folder in each student's home")
    hub = commands.add_parser("hub", help="run a JupyterHub on 127.0.0.1 to try the lessons")
    hub.add_argument("--students", type=int, default=2)
    hub.add_argument("--minutes", type=float, default=10, help="stop after this long")
    hub.add_argument("--threads", type=int, default=1, help="torch threads per kernel")
    args = parser.parse_args(argv)
    if args.command == "hub":
        return _serve(args)
    try:
        print(pull_link(args.hub, args.lang, args.chapter, args.repo, args.branch, args.folder))
    except LinkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
