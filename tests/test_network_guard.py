"""The notebooks make no network request: nbval runs them in kernels that load the guard
(conftest.py), and this proves the guard really stops a kernel from reaching out."""

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run_cell(source: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()


def test_kernel_cannot_reach_the_network():
    with pytest.raises(CellExecutionError, match="network access blocked"):
        run_cell("import urllib.request\nurllib.request.urlopen('http://example.org', timeout=5)")


def test_kernel_can_still_use_loopback_and_compute():
    run_cell("import socket, torch\nsocket.getaddrinfo('localhost', 80)\nprint(torch.ones(2).sum())")


def test_kernel_turns_warnings_into_errors():
    with pytest.raises(CellExecutionError, match="UserWarning"):
        run_cell("import warnings\nwarnings.warn('a lesson warning')")
