"""The data-flow diagrams of the LSTM and GRU cells (plots.cell_diagram, plots.CellDiagram):
every part is there and named in the edition's language, a forced gate marks the path it
cuts or opens, and the gate explorer's small copy follows the forcing."""

import io
import logging

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageChops

import gatelab
from gatelab import i18n, plots, widgets

PARTS = {
    "LSTM": {
        "terms": ["forget gate", "input gate", "candidate", "output gate", "cell state",
                  "hidden state"],
        "symbols": ["$f_t$", "$i_t$", "$g_t$", "$o_t$", "$x_t$", "$h_{t-1}$", "$c_{t-1}$",
                    "$c_t$", "$h_t$"],
        # f ⊙ c, i ⊙ g, o ⊙ tanh(c); c = … + …; σ for three gates, tanh for g and for c
        "counts": {r"$\odot$": 3, "$+$": 1, r"$\sigma$": 3, r"$\tanh$": 2},
    },
    "GRU": {
        "terms": ["update gate", "reset gate", "candidate", "hidden state"],
        "symbols": ["$z_t$", "$r_t$", "$n_t$", "$1-z_t$", "$x_t$", "$h_{t-1}$", "$h_t$"],
        # z ⊙ h, (1 − z) ⊙ n, r ⊙ (W_hn h + b_hn); h = … + …; 1 − z
        "counts": {r"$\odot$": 3, "$+$": 1, "$1{-}$": 1, r"$\sigma$": 2, r"$\tanh$": 1},
    },
}


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def paths(diagram: plots.CellDiagram, gate: str, opens: float = 1.0) -> list:
    """The arrows of the paths that ``gate`` multiplies (``opens``: 0 for the GRU's 1 − z)."""
    return [arrow for wire, arrow in diagram.wires if wire.gate == gate and wire.opens == opens]


def look(arrow) -> tuple:
    return (matplotlib.colors.to_hex(arrow.get_edgecolor()), str(arrow.get_linestyle()),
            round(arrow.get_linewidth(), 2))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_diagram_shows_every_gate_operation_input_and_output(kind):
    shown = texts(plots.cell_diagram(kind))
    for term in PARTS[kind]["terms"]:
        assert i18n.gettext(term, context=i18n.GLOSSARY_CONTEXT) in shown, term
    for symbol in PARTS[kind]["symbols"]:
        assert symbol in shown, symbol
    for math, count in PARTS[kind]["counts"].items():
        assert shown.count(math) == count, math
    assert ("$c_t$" in shown) == (kind == "LSTM")  # a GRU has no cell state
    if kind == "GRU":  # PyTorch's reset-after form: r multiplies W_hn h + b_hn
        assert any("W_{hn}" in t and "b_{hn}" in t for t in shown)


def test_diagram_speaks_the_edition_language():
    gatelab.use("bn")
    shown = texts(plots.cell_diagram("LSTM"))
    forget = i18n.gettext("forget gate", context=i18n.GLOSSARY_CONTEXT, lang="bn")
    assert forget != "forget gate" and forget in shown
    assert "forget gate" not in shown


def test_forced_gate_shows_its_value_and_marks_its_path():
    fig = Figure()
    diagram = plots.CellDiagram("LSTM", fig.subplots())
    learned = [look(a) for a in paths(diagram, "f")]
    others = {id(a): look(a) for w, a in diagram.wires if "f" not in (w.gate, w.carries)}
    (f_wire,) = [a for w, a in diagram.wires if w.carries == "f"]

    diagram.show({"f": 0.0})
    cut = [look(a) for a in paths(diagram, "f")]
    assert "$f_t = 0$" in texts(fig)
    assert look(f_wire)[0] == matplotlib.colors.to_hex(plots.FORCED_COLOR)  # f's own value
    assert [m.get_visible() for m in diagram.cut_marks.values()] == [True, False, False]
    diagram.show({"f": 1.0})
    opened = [look(a) for a in paths(diagram, "f")]
    assert "$f_t = 1$" in texts(fig) and "$f_t = 0$" not in texts(fig)
    assert not any(m.get_visible() for m in diagram.cut_marks.values())
    for a, b, c in zip(learned, cut, opened, strict=True):
        assert len({a, b, c}) == 3  # learned, cut and open all look different
    assert {id(a): look(a) for w, a in diagram.wires
            if "f" not in (w.gate, w.carries)} == others  # nothing else changed

    diagram.show({"f": 0.3})  # neither cut nor open: only the box says so
    assert [look(a) for a in paths(diagram, "f")] == learned and "$f_t = 0.3$" in texts(fig)
    diagram.show(None)
    assert [look(a) for a in paths(diagram, "f")] == learned
    assert texts(fig).count(r"$\sigma$") == 3


def test_gru_update_gate_keeps_or_writes():
    """z = 1 keeps h[t−1] (the candidate's path is cut); z = 0 writes n (the old state's is)."""
    fig = Figure()
    diagram = plots.CellDiagram("GRU", fig.subplots())
    diagram.show({"z": 1.0})
    keep, write = look(paths(diagram, "z")[0]), look(paths(diagram, "z", opens=0.0)[0])
    diagram.show({"z": 0.0})
    assert look(paths(diagram, "z")[0]) == write and look(paths(diagram, "z", opens=0.0)[0]) == keep
    assert keep != write


def test_diagram_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="LSTM"):
        plots.cell_diagram("RNN")
    with pytest.raises(ValueError, match="'z'"):
        plots.cell_diagram("LSTM", {"z": 0.0})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plots.cell_diagram("GRU", {"r": 2.0})


def test_diagram_draws_on_given_axes_and_leaves_rcparams_alone():
    before = dict(matplotlib.rcParams)
    fig = Figure()
    assert plots.cell_diagram("gru", ax=fig.subplots()) is fig
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("lang", ["bn", "hi", "en"])
@pytest.mark.parametrize("kind,force", [("LSTM", {"f": 0.0, "i": 1.0, "o": 0.35}),
                                        ("GRU", {"z": 0.0, "r": 0.0})])
def test_diagram_renders_without_missing_glyphs(lang, kind, force, caplog, example):
    """Missing glyphs are warnings (errors under pytest) or matplotlib log records."""
    gatelab.use(lang)
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        FigureCanvasAgg(plots.cell_diagram(kind, force)).draw()
        memory = example("memory" if kind == "LSTM" else "gru-memory")
        _draw(memory, force)  # plots.gates' small copy and its key
    assert not [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]


def _draw(memory, force: dict[str, float], panel: plots.GatePanel | None = None):
    """plots.gates' figure of an example with ``force``, drawn in place: (panel, png)."""
    panel = panel or plots.GatePanel(len(memory.x), memory.input_names, kind=memory.kind)
    panel.update(memory.x, memory.run(force), memory.learned, force)
    return panel, panel.render_png()


def _diagram_pixels(panel: plots.GatePanel, png: bytes) -> Image.Image:
    """The part of the figure where its small diagram is."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    x0, y0, x1, y1 = panel.diagram.ax.get_window_extent().extents
    height = image.size[1]
    return image.crop((int(x0), int(height - y1), int(x1) + 1, int(height - y0) + 1))


def test_gate_figure_shows_the_diagram_and_it_follows_the_forcing(example):
    memory = example("memory")
    panel, learned = _draw(memory, {})
    assert panel.diagram.ax in panel.figure.axes and panel.diagram.kind == "LSTM"
    assert set(panel.diagram.changing_artists()) <= set(panel.dynamic_artists())
    _panel, shut = _draw(memory, {"f": 0.0}, panel)
    assert panel.diagram.cut_marks and any(m.get_visible() for m in panel.diagram.cut_marks.values())
    assert ImageChops.difference(_diagram_pixels(panel, learned),
                                 _diagram_pixels(panel, shut)).getbbox() is not None
    # back to learned: the picture redrawn in place forgets the cut (nothing stale behind it)
    _panel, again = _draw(memory, {}, panel)
    assert ImageChops.difference(_diagram_pixels(panel, learned),
                                 _diagram_pixels(panel, again)).getbbox() is None


def test_gate_figure_marks_the_presets_forcing(example):
    memory = example("gru-memory")
    presets = widgets.GRU_PRESETS

    def figure(name):
        force = presets[name]
        return plots.gates(memory.x, memory.run(force), memory.learned, force,
                           input_names=memory.input_names, kind="GRU")

    shown = texts(figure("freeze"))  # z = 1
    assert "$z_t = 1$" in shown and "$r_t = 0$" not in shown
    assert texts(figure("ignore the past")).count("$r_t = 0$") == 1
