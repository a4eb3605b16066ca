"""gatelab: interactive lessons on recurrent networks (RNN, LSTM, GRU) in বাংলা, हिन्दी and English.

Train with ``torch.nn``; explain with :mod:`gatelab.cells`, which re-runs the same weights step by
step and lets a learner force any gate open or shut.
"""

from . import i18n
from . import threads as _threads
from .i18n import LANGUAGES, LanguageError, language
from .threads import ThreadsError

__all__ = ["LANGUAGES", "LanguageError", "ThreadsError", "language", "use"]
__version__ = "0.1.0"


def use(code: str, threads: int | None = None) -> str:
    """Set up a notebook: the language of figures, widgets and messages ("en", "bn" or "hi");
    the number of torch threads, printed in one line (``threads``, else the environment
    variable ``GATELAB_THREADS``, else 1: a class's kernels share the server's cores, see
    :mod:`gatelab.threads`); and, inside Jupyter, showing every figure a cell returns as a PNG
    whatever matplotlib backend is configured (so the lessons look the same in JupyterLab,
    nbval and the HTML)."""
    chosen = i18n.use(code)
    count = _threads.choose(threads)  # after the language: a bad value is said in it
    print(_threads.describe(_threads.apply(count), chosen))
    try:
        from IPython import get_ipython
    except ImportError:  # not in IPython: nothing to show figures in
        return chosen
    shell = get_ipython()
    if shell is not None:
        from .figures import install  # the PNG, with its text alternative

        install(shell)
    return chosen
