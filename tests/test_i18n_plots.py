"""Languages, fonts, figures and widgets: every string renders in every language, nothing
changes global state, and bad input gets a clear message in the learner's language."""

import logging
import subprocess
import sys

import matplotlib
import pytest
import torch
from matplotlib.figure import Figure

import gatelab
from gatelab import fonts, i18n, models, plots, widgets
from gatelab.publish import catalogs


def test_unknown_language_lists_the_available_ones():
    with pytest.raises(gatelab.LanguageError, match='"en" \\(English\\), "bn" \\(বাংলা\\), "hi" \\(हिन्दी\\)'):
        gatelab.use("fr")
    assert gatelab.use("BN") == "bn" and gatelab.language() == "bn"
    assert gatelab.use("hi_IN") == "hi"


def test_using_restores_the_language():
    gatelab.use("hi")
    with i18n.using("bn"):
        assert gatelab.language() == "bn"
    assert gatelab.language() == "hi"


def test_translation_and_fallback():
    gatelab.use("bn")
    assert i18n._("time step t") != "time step t"
    assert i18n._("a message nobody wrote") == "a message nobody wrote"


def test_import_changes_no_global_plot_state():
    code = ("import matplotlib as mpl; before = dict(mpl.rcParams); "
            "import gatelab, gatelab.plots, gatelab.widgets, gatelab.fonts; "
            "assert dict(mpl.rcParams) == before, 'rcParams changed on import'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_package_string_renders_without_missing_glyphs(lang, caplog):
    """Glyph-missing problems are reported as warnings (errors here) or matplotlib log records."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    template = catalogs.package_template()
    strings = [i18n.gettext(m.id, context=m.context, lang=lang) for m in template if m.id]
    assert len(strings) > 40
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        with matplotlib.rc_context(fonts.style(lang)):
            fig = Figure(figsize=(12, 0.3 * len(strings)))
            for row, text in enumerate(strings):
                fig.text(0.01, 1 - (row + 0.5) / len(strings), text.replace("$", r"\$"))
            FigureCanvasAgg(fig).draw()
    problems = [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
    assert not problems


def test_style_is_used_through_a_context_not_globally():
    before = dict(matplotlib.rcParams)
    fonts.style("bn")
    plots.gradient_flow({"a": torch.tensor([1.0, 0.1, 0.01])})
    assert dict(matplotlib.rcParams) == before


def test_plot_functions_draw_on_given_axes_and_return_the_figure():
    fig = Figure()
    ax = fig.subplots()
    assert plots.gradient_flow({"ρ = 1": torch.ones(5)}, ax=ax) is fig
    fig2 = Figure()
    axes = fig2.subplots(2, 1)
    h, x = torch.zeros(6, 3), torch.ones(6)
    assert plots.hidden_states(h, x, axes=axes) is fig2
    assert isinstance(plots.architectures(), Figure) and isinstance(plots.unrolled(), Figure)


def test_figures_speak_the_language_in_use():
    gatelab.use("hi")
    fig = plots.gradient_flow({"a": torch.ones(4)})
    assert fig.axes[0].get_xlabel() == i18n.gettext("time step t", lang="hi")
    assert fig.axes[0].get_xlabel() != "time step t"


def test_radius_experiment_vanishes_and_explodes():
    small, large = models.radius_experiment(0.5), models.radius_experiment(1.5)
    assert small.norms[0] < 1e-10 * small.norms[-1]  # vanishing: early steps do not matter
    assert large.norms[0] > 10 * large.norms[-1]  # exploding: early steps matter enormously
    assert large.clip_factor < 1 and small.weight_grad_norm < large.weight_grad_norm
    assert abs(models.spectral_radius(models.random_rnn(1, 16, 1.3).weight_hh_l0) - 1.3) < 1e-5


def test_sequence_input_is_explained_in_the_learners_language():
    """parse_sequence's rules and messages: the page's explorer shows the same messages
    (tests/test_explorer_chapter1.py checks it there)."""
    gatelab.use("bn")
    with pytest.raises(widgets.InputError) as error:
        widgets.parse_sequence("1 0 zero 0")
    assert "zero" in str(error.value)
    assert str(error.value) != "'zero' is not a number. Type numbers separated by spaces, " \
                               "for example: 1 0 0 -1 0"  # translated
    for bad in ("", "1 " * 61, "9 9"):
        with pytest.raises(widgets.InputError):
            widgets.parse_sequence(bad)
    assert widgets.parse_sequence("1, −1; 0.5").tolist() == [1.0, -1.0, 0.5]


def test_explorers_carry_their_page_state_in_the_edition_language():
    """What the HTML lesson is built from: every explorer's output holds the state its page
    needs, with its words in the language of the run."""
    gatelab.use("bn")
    bundle = widgets.VanishingExplorer(steps=20)._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    page = data[widgets.SPEC_MIMETYPE]
    assert page["kind"] == "vanishing" and page["state"]["radius"] == 1.0
    assert len(page["state"]["network"]["x"]) == 20  # the steps asked for
    sequence = widgets.SequenceExplorer()._repr_mimebundle_()
    state = (sequence[0] if isinstance(sequence, tuple) else sequence)[widgets.SPEC_MIMETYPE]
    assert state["state"]["presets"][0][0] == i18n.gettext("one pulse", lang="bn")
    assert gatelab.language() == "bn"



def test_what_notebooks_print_is_in_the_edition_language(capsys):
    from gatelab import report, tasks

    gatelab.use("hi")
    table = report.comparison(torch.zeros(2, 1, 3), torch.full((2, 1, 3), 1e-7))
    text = tasks.sample_text(repeat=1)
    ids, vocab = tasks.encode_text(text)
    report.text_stream(text, vocab, tasks.batchify(ids, 2), rows=2)
    report.epoch(3, [1.0, 2.0])
    printed = capsys.readouterr().out
    for english in ("columns (rows, batch):", "epoch {number}: loss {loss:.2f}"):
        assert i18n.gettext(english, lang="hi").split("{")[0].strip() in printed
        assert english.split("{")[0] not in printed
    assert "1.50" in printed
    assert table.headers[1] == i18n.gettext("largest difference", lang="hi")
    assert table.cell(0, 1) == "1e-07"  # tables: tests/test_report.py
