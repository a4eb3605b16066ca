"""gatelab: interactive lessons on recurrent networks (RNN, LSTM, GRU) in বাংলা, हिन्दी and English.

Train with ``torch.nn``; explain with :mod:`gatelab.cells`, which re-runs the same weights step by
step and lets a learner force any gate open or shut.
"""

from .i18n import LANGUAGES, LanguageError, language, use

__all__ = ["LANGUAGES", "LanguageError", "language", "use"]
__version__ = "0.1.0"
