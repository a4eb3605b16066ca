"""What the notebooks show, in the learner's language.

Code cells are the same in every edition; whatever they show goes through these functions,
whose words come from the package catalog. A result comes back as a :class:`~gatelab.tables.Table`
(values kept as numbers, formatted when shown), so a cell that ends with
``report.race(histories)`` shows a real table in JupyterLab and in the HTML lessons, and aligned
text in a terminal. Training progress (:func:`epoch`) and a text sample (:func:`text_stream`)
are printed as they come.

Model names are the keys a notebook passes; each goes through the catalog, so a label marked in
:data:`MODEL_LABELS` is translated, while "RNN", "GRU" and "LSTM" stay as every edition writes them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from .i18n import N_, _, language_name
from .tables import Table
from .train import History

#: labels the chapters give models besides "RNN", "GRU" and "LSTM"; marked here so that the
#: catalog has them, and translated wherever a table names a model
MODEL_LABELS: tuple[str, ...] = (N_("LSTM, forget bias 1"),
                                  N_("RNN, as many parameters as the LSTM"),
                                  N_("GRU, as many parameters as the LSTM"))


def model_label(name: str) -> str:
    """A model's name as the tables show it: its translation where the catalog has one."""
    return _(name) if name else name  # gettext("") would be the catalog's header


def comparison(reference: torch.Tensor, ours: torch.Tensor) -> Table:
    """The shape of PyTorch's output and the largest difference from ours."""
    difference = (ours - reference).abs().max().item()
    return Table([_("output shape"), _("largest difference")],
                 [[str(tuple(reference.shape)), difference]], formats=["", ".3g"])


def text_stream(text: str, vocab: Sequence[str], columns: torch.Tensor, rows: int = 6) -> None:
    """Print the size of a text stream and the first ``rows`` rows of its columns."""
    print(_("{n} characters, {v} different ones").format(n=len(text), v=len(vocab)))
    print(_("columns (rows, batch):"), tuple(columns.shape))
    for row in columns[:rows]:
        print(" | ".join(repr(vocab[i]) for i in row))


def epoch(number: int, losses: Sequence[float], held_out: float | None = None) -> None:
    """Print one line of training progress: the epoch, its mean training loss and, if given,
    the loss on held-out text."""
    mean = sum(losses) / max(len(losses), 1)
    if held_out is None:
        print(_("epoch {number}: loss {loss:.2f}").format(number=number, loss=mean))
    else:
        print(_("epoch {number}: training loss {loss:.2f}, held-out loss {held_out:.2f}")
              .format(number=number, loss=mean, held_out=held_out))


def text_losses(training: float, held_out: float, vocab_size: int) -> Table:
    """A character model's loss and perplexity (e^loss) on its training text and on held-out
    text, and a note with those of blind guessing (every character equally likely)."""
    rows = [[_("training text"), training, math.exp(training)],
            [_("held-out text"), held_out, math.exp(held_out)]]
    note = _("Guessing blindly among the {v} characters: loss {loss:.2f}, perplexity {v}.")
    return Table([_("text"), _("loss per character"), _("perplexity")], rows,
                 formats=["", ".2f", ".1f"],
                 notes=[note.format(v=vocab_size, loss=math.log(vocab_size))])


# --- races ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reached:
    """How many runs of one model reached an accuracy, and how fast the typical one did."""

    runs: int  # runs of the model
    reached: int  # runs whose held-out accuracy reached the target at some evaluation
    steps: float | None  # median training steps to the target over those runs; None if none
    seconds: float | None  # median seconds to the target over the same runs


def reached(runs: Sequence[History], target: float = 0.95) -> Reached:
    """Count the ``runs`` that reached ``target`` and take the median steps and seconds to it."""
    steps = [s for s in (h.steps_to(target) for h in runs) if s is not None]
    seconds = [s for s in (h.time_to(target) for h in runs) if s is not None]
    if not steps:
        return Reached(len(runs), 0, None, None)
    return Reached(len(runs), len(steps), statistics.median(steps), statistics.median(seconds))


def _summary(model: str, result: Reached, target: float) -> str:
    """One line: how many runs of ``model`` reached ``target``, and in how many steps."""
    if result.reached == 0:
        message = _("{model}: none of {runs} runs reached {target:.0%}")
    elif result.reached == 1:
        message = _("{model}: {reached} of {runs} runs reached {target:.0%}, after {steps:.0f} "
                    "steps ({seconds:.1f} s)")
    else:
        message = _("{model}: {reached} of {runs} runs reached {target:.0%}, median "
                    "{steps:.0f} steps ({seconds:.1f} s)")
    return message.format(model=model, runs=result.runs, reached=result.reached, target=target,
                          steps=result.steps, seconds=result.seconds)


def race(histories: Mapping[str, History | Sequence[History]], target: float = 0.95) -> Table:
    """How each trained model did: its final held-out accuracy, the seconds it trained, and the
    training steps and seconds until it first reached ``target`` ("never" if it did not).

    Give one history per model, ``{"RNN": h, "LSTM": h}``, or several runs of each (different
    seeds), ``{"GRU": [h0, h1, h2], "LSTM": [...]}``: then every run gets a numbered row, and a
    line under the table says how many runs of each model reached ``target`` and the median
    steps and seconds they took (see :func:`reached`).
    """
    several = any(not isinstance(h, History) for h in histories.values())
    rows, notes = [], []
    for name, runs in histories.items():
        runs = [runs] if isinstance(runs, History) else list(runs)
        label = model_label(name)
        for number, h in enumerate(runs, start=1):
            row = [label, h.final, h.seconds[-1] if h.seconds else 0.0,
                   h.steps_to(target), h.time_to(target)]
            rows.append(row[:1] + [number] + row[1:] if several else row)
        if several:
            notes.append(_summary(label, reached(runs, target), target))
    headers = [_("model"), _("held-out accuracy"), _("seconds"),
               _("steps to {target:.0%}").format(target=target),
               _("seconds to {target:.0%}").format(target=target)]
    formats = ["", ".1%", ".1f", "d", ".1f"]
    if several:
        headers.insert(1, _("run"))
        formats.insert(1, "d")
    return Table(headers, rows, formats=formats, notes=notes, missing=_("never"))


# --- sizes and speeds -----------------------------------------------------------------------


def _relative(header: str, values: Mapping[str, float], form: str) -> Table:
    """One measurement per model, with each value's ratio to the first model's."""
    first_name, first = next(iter(values.items()))
    ratio = _("ratio ({name} = 1)").format(name=model_label(first_name))
    return Table([_("model"), header, ratio],
                 [[model_label(name), value, value / first] for name, value in values.items()],
                 formats=["", form, ".2f"])


def parameters(**modules: torch.nn.Module) -> Table:
    """Each module's parameter count and its ratio to the first module's."""
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in modules.items()}
    return _relative(_("parameters"), counts, ",d")


def step_times(**seconds: float) -> Table:
    """Milliseconds per forward + backward pass, and each one's ratio to the first."""
    return _relative(_("ms per step"), {name: s * 1000 for name, s in seconds.items()}, ".1f")


def shapes(**tensors: torch.Tensor) -> Table:
    """The shape of each named tensor: shapes(x=x, output=out, h_n=h_n)."""
    return Table([_("tensor"), _("shape")],
                 [[name, str(tuple(tensor.shape))] for name, tensor in tensors.items()])


# --- results of trained models --------------------------------------------------------------


def accuracy_by_language(scores: Mapping[str, float]) -> Table:
    """Accuracy on the training sentences, on the held-out ones, and on the held-out ones of
    each language (the keys of :func:`gatelab.train.fit_text`'s result)."""
    names = {"train": _("training sentences"), "all": _("held-out, all languages")}
    rows = [[names.get(code) or _("held-out, {language}").format(language=language_name(code)),
             value] for code, value in scores.items()]
    return Table([_("measured on"), _("accuracy")], rows, formats=["", ".0%"])


def checkpoints(*names: str) -> Table:
    """What the shipped checkpoints reached when they were trained (data/checkpoints.json)."""
    from . import checkpoints as shipped

    records = shipped.index()
    rows = [[model_label(r["architecture"]["kind"]), _(r["task"]["level"]), r["training"]["steps"],
             r["accuracy"], r["seconds"]] for r in (records[name] for name in names)]
    return Table([_("model"), _("level"), _("steps"), _("held-out accuracy"), _("seconds")],
                 rows, formats=["", "", "d", ".1%", ".1f"])


def committed_race(race: str, *names: str) -> Table:
    """A race that ``scripts/race_seeds.py`` ran over many seeds (data/races.json): for each
    model (``names``; default: all), its parameters, how many runs reached the target, and the
    median and range of their training steps; the provenance is the caption."""
    from . import checkpoints as shipped

    results = shipped.races()
    if race not in results["races"]:
        raise KeyError(_("No recorded race {race!r}; the recorded ones are: {races}.")
                       .format(race=race, races=", ".join(results["races"])))
    contenders, about = results["races"][race]["contenders"], results["provenance"]
    rows = []
    for name in names or contenders:
        summary, runs = contenders[name]["summary"], contenders[name]["runs"]
        span = (None if summary["min_steps"] is None
                else f"{summary['min_steps']}–{summary['max_steps']}")
        rows.append([model_label(name), runs[0]["parameters"],
                     _("{reached} of {runs}").format(**summary), summary["median_steps"], span])
    target = about["target_accuracy"]
    caption = _("{script}, {runs} seeds each, PyTorch {torch}, {threads} thread, {date}").format(
        script=about["script"], runs=len(runs), torch=about["torch"], threads=about["threads"],
        date=about["date"])
    return Table([_("model"), _("parameters"), _("runs that reached {target:.0%}").format(target=target),
                  _("median steps to {target:.0%}").format(target=target),
                  _("fastest–slowest")],
                 rows, formats=["", ",d", "", ".0f", ""], caption=caption, missing=_("never"))


def holding_gates(means: Mapping[str, Mapping[str, float]]) -> Table:
    """The gates of a memory unit while it holds the first relevant symbol, by that symbol
    (what :func:`gatelab.train.holding_gates` returns): one row per symbol, one column a gate."""
    gates = list(next(iter(means.values())))
    rows = [[_("first symbol {symbol}").format(symbol=symbol), *(values[g] for g in gates)]
            for symbol, values in means.items()]
    return Table([_("sequences"), *gates], rows, formats=["", *[".2f"] * len(gates)])


# --- long time lags (Chapter 4) -------------------------------------------------------------


def curriculum(history, target: float | None = None) -> Table:
    """A curriculum run (:func:`gatelab.train.curriculum`) level by level: the training
    sequences seen and the seconds when it moved on from each level (or stopped), and the
    held-out accuracy of that level then; a note says whether and when the last level reached
    the target."""
    target = history.target if target is None else target
    rows = []
    for level in dict.fromkeys(history.levels):  # in order, once each
        last = max(i for i, lv in enumerate(history.levels) if lv == level)
        rows.append([_(level), history.sequences[last], history.seconds[last],
                     history.accuracy[last]])
    seen = history.sequences_to_target()
    if seen is None:
        note = _("{level}: {target:.0%} not reached after {sequences:,} sequences ({seconds:.1f} s)")
        note = note.format(level=_(history.last_level), target=target,
                           sequences=history.sequences[-1] if history.sequences else 0,
                           seconds=history.seconds[-1] if history.seconds else 0.0)
    else:
        note = _("{level}: {target:.0%} reached after {sequences:,} sequences ({seconds:.1f} s)")
        note = note.format(level=_(history.last_level), target=target, sequences=seen,
                           seconds=history.seconds_to_target())
    return Table([_("level"), _("sequences seen"), _("seconds"), _("held-out accuracy")], rows,
                 formats=["", ",d", ".1f", ".1%"], notes=[note])


def long_lags(section: str = "curriculum", *names: str) -> Table:
    """What ``scripts/long_lags.py`` recorded on the hard temporal-order task (data/long_lags.json),
    ``section`` "curriculum" or "direct" (hard alone): for each cell (``names``; default: all) its
    parameters, how many runs reached the target on hard, and the median and range of the
    training sequences and seconds they took; the provenance is the caption."""
    from . import checkpoints as shipped

    results = shipped.long_lags()
    if section not in ("curriculum", "direct") or section not in results:
        raise KeyError(_("No recorded section {section!r}; the recorded ones are: {sections}.")
                       .format(section=section, sections=", ".join(
                           s for s in ("curriculum", "direct") if s in results)))
    recorded, about = results[section], results["provenance"][section]
    cells, target = recorded["cells"], recorded["training"]["target"]
    rows = []
    for name in names or cells:
        summary = cells[name]["summary"]
        span = (None if summary["min_sequences"] is None
                else f"{summary['min_sequences']:,}–{summary['max_sequences']:,}")
        rows.append([model_label(name), cells[name]["parameters"],
                     _("{reached} of {runs}").format(**summary), summary["median_sequences"],
                     span, summary["median_seconds"]])
    caption = (_("{script}, one seed each, at most {budget:,} sequences, PyTorch {torch}, "
                 "{threads} thread, {date}") if summary["runs"] == 1 else
               _("{script}, {runs} seeds each, at most {budget:,} sequences, PyTorch {torch}, "
                 "{threads} thread, {date}")).format(
        script=about["script"], runs=summary["runs"], budget=recorded["training"]["budget"],
        torch=about["torch"], threads=about["threads"], date=about["date"][:10])
    return Table([_("model"), _("parameters"),
                  _("runs that reached {target:.0%}").format(target=target),
                  _("median sequences to {target:.0%}").format(target=target),
                  _("fewest–most"), _("median seconds")],
                 rows, formats=["", ",d", "", ",.0f", "", ".1f"], caption=caption,
                 missing=_("never"))


def gap_accuracy(accuracies: Mapping[int, float]) -> Table:
    """Held-out accuracy by the distance between the two relevant symbols (what
    :func:`gatelab.train.gap_accuracy` returns)."""
    rows = [[gap, value] for gap, value in accuracies.items()]
    return Table([_("steps between the two relevant symbols"), _("held-out accuracy")], rows,
                 formats=["d", ".0%"])


def echo_chunk_lengths() -> Table:
    """What ``scripts/long_lags.py`` recorded for the echo task (data/long_lags.json,
    "echo_state"): held-out accuracy against the length of the BPTT chunk, one column per seed;
    the training setting is the caption."""
    from . import checkpoints as shipped

    recorded = shipped.long_lags()["echo_state"]
    setting, runs = recorded["training"], recorded["chunk_lengths"]
    rows = [[length, *(run["accuracy"][str(length)] for run in runs)]
            for length in setting["chunk_lengths"]]
    about = shipped.long_lags()["provenance"]["echo_state"]
    caption = _("{script}: {kind} with {hidden} units, delay {delay}, {steps} time steps per "
                "stream, PyTorch {torch}, {date}").format(
        script=about["script"], kind=model_label(setting["kind"]), hidden=setting["hidden_size"],
        delay=setting["delay"], steps=f"{setting['time_steps']:,}", torch=about["torch"],
        date=about["date"][:10])
    return Table([_("chunk length"), *(_("seed {seed}").format(seed=run["seed"]) for run in runs)],
                 rows, formats=["d", *[".0%"] * len(runs)], caption=caption)


# --- Chapter 5: the character model ---------------------------------------------------------


def corpus(data) -> Table:
    """How much text a :class:`gatelab.charlm.Corpus` holds: training text, the held-out
    chapter, and the symbols (code points) of its vocabulary."""
    from . import charlm

    trained = [int(name[:2]) for name in charlm.CHAPTERS if name != data.held_out_chapter]
    rows = [[_("training text (Chapters {first} to {last})").format(first=min(trained),
                                                                    last=max(trained)),
             len(data.train)],
            [_("held-out text (Chapter {n})").format(n=int(data.held_out_chapter[:2])),
             len(data.held_out)],
            [_("symbols in the vocabulary"), len(data.vocab)]]
    return Table(["", _("characters")], rows, formats=["", ",d"])


def bits(data, models: Mapping[str, torch.nn.Module]) -> Table:
    """Held-out bits per character and perplexity (2 ** bits) of a uniform guess over the
    vocabulary, of a guess from symbol frequencies alone, and of each model (labels translated)."""
    from . import charlm

    held_out = data.encode(data.held_out)
    rows = [[_("a uniform guess over {n} symbols").format(n=len(data.vocab)),
             math.log2(len(data.vocab))],
            [_("how often each symbol occurs, nothing else"), charlm.unigram_bits(data)]]
    rows += [[_(label), charlm.bits_per_char(model, held_out)] for label, model in models.items()]
    return Table(["", _("bits per character"), _("perplexity")],
                 [[label, b, 2 ** b] for label, b in rows], formats=["", ".2f", ".1f"])


def _one_line(text: str) -> str:
    """A sample for a table cell: each line break shown as ↵ (a real one would break the row)."""
    return text.replace("\n", " ↵ ")


def samples(model, data, prompt: str, temperatures: Sequence[float] = (0.5, 1.0, 1.5),
            length: int = 200, seed: int = 0) -> Table:
    """A continuation of ``prompt`` at each temperature (the same seed for each), with the share
    of its Bengali and Devanagari syllables that are well formed (a dash: it has none)."""
    from . import charlm

    rows = []
    for t in temperatures:
        text = charlm.sample(model, data, prompt, length, t, torch.Generator().manual_seed(seed))
        check = charlm.aksharas(text)
        rows.append([t, _one_line(prompt + text), check.share if check.syllables else None])
    return Table([_("temperature"), _("prompt and sample"), _("well-formed syllables")], rows,
                 formats=[".1f", "", ".0%"], align="rlr", missing="–")


def code_points(*words: str) -> Table:
    """Each code point of ``words``: the character, U+…, its Unicode name and its kind
    (consonant, vowel sign, virama, …) in the learner's language."""
    from . import charlm

    rows = [[word if i == 0 else "", *point[:3], _(point[3]) if point[3] else ""]
            for word in words for i, point in enumerate(charlm.code_points(word))]
    return Table([_("word"), _("symbol"), _("code point"), _("Unicode name"), _("kind")], rows)


def syllables(texts: Mapping[str, str]) -> Table:
    """For each labelled text (labels translated): its Bengali and Devanagari syllables, the
    share that are well formed, and the rule broken most often with an example."""
    from . import charlm

    rows = []
    for label, text in texts.items():
        check = charlm.aksharas(text)
        counts = check.counts
        worst = max(counts, key=counts.get) if counts else None
        example = next((s for rule, s in check.errors if rule == worst), "")
        rows.append([_(label), check.syllables, check.share,
                     f"{_(worst)} ({counts[worst]}): {example}" if worst else None])
    return Table(["", _("syllables"), _("well formed"), _("rule broken most often")], rows,
                 formats=["", ",d", ".1%", ""], missing="–")


def char_lm_cells(lang: str, yours: float | None = None, yours_label: str = "") -> Table:
    """RNN, GRU and LSTM on the character model of ``lang`` at about the same parameter count,
    from ``scripts/char_lm.py`` (data/char_lm.json, "cells"): hidden units, parameters, held-out
    bits per character (mean and range over seeds); ``yours``, the reader's run, as a last row."""
    from . import checkpoints as shipped

    results = shipped.char_lm()
    recorded, about = results["cells"], results["provenance"]["cells"]
    cells = recorded["langs"][lang]["cells"]
    rows = []
    for name, cell in cells.items():
        runs = cell["summary"]["held_out_bits"]
        rows.append([model_label(name), cell["options"]["hidden_size"], cell["parameters"],
                     statistics.fmean(runs), f"{min(runs):.2f}–{max(runs):.2f}"])
    if yours is not None:
        rows.append([_(yours_label) if yours_label else _("your run"), None, None, yours, None])
    caption = _("{script}: {runs} seeds each, {steps} training steps, {language}, PyTorch "
                "{torch}, {date}").format(
        script=about["script"], runs=len(runs), steps=recorded["training"]["steps"],
        language=language_name(lang), torch=about["torch"], date=about["date"][:10])
    return Table([_("model"), _("hidden units"), _("parameters"),
                  _("held-out bits per character (mean)"), _("lowest–highest")], rows,
                 formats=["", "d", ",d", ".2f", ""], caption=caption, missing="")


# --- Chapter 5: looking inside a language model -----------------------------------------------


def shipped_lm(shipped, yours=None, measure: bool = False) -> Table:
    """Held-out bits per character and perplexity of the shipped model of a language
    (``shipped``: what :func:`gatelab.languagemodel.load` returns) and of ``yours`` (a (model,
    corpus) pair, measured now on the whole held-out chapter), with units, parameters and
    training steps. The shipped model's bits are the ones recorded when it was trained
    (the tests check that loading it gives them again); ``measure=True`` measures them now
    (a few seconds). The caption says how the shipped one was made."""
    from . import charlm, languagemodel

    model, data = shipped
    record = languagemodel.record(data.lang)
    rows = []
    if yours is not None:
        mine, mine_data = yours
        rows.append([_("your model"), mine.rnn.hidden_size, charlm.parameters(mine), None,
                     charlm.bits_per_char(mine, mine_data.encode(mine_data.held_out))])
    bits = (charlm.bits_per_char(model, data.encode(data.held_out)) if measure
            else record["held_out_bits"])
    rows.append([_("shipped model"), model.rnn.hidden_size, charlm.parameters(model),
                 record["steps"], bits])
    about = record["provenance"]
    caption = _("{script}: dropout {dropout}, weight decay {decay}, the weights of the best of "
                "{run} steps on a validation text cut from the training chapters ({bits:.3f} "
                "bits), PyTorch {torch}, {date}").format(
        script=about["script"], dropout=record["architecture"]["dropout"],
        decay=record["training"]["weight_decay"], run=f"{record['steps_run']:,}",
        bits=record["validation_bits"], torch=about["torch"], date=about["date"][:10])
    return Table([_("model"), _("units"), _("parameters"), _("training steps"),
                  _("held-out bits per character"), _("perplexity")],
                 [[*row, 2 ** row[-1]] for row in rows],
                 formats=["", "d", ",d", ",d", ".3f", ".2f"], caption=caption, missing="–")


def shipped_samples(shipped, yours=None, prompt: str = "", length: int = 300,
                    temperature: float = 0.8, seed: int = 0) -> Table:
    """A continuation of ``prompt`` (default: the held-out chapter's first words) by ``yours``
    and by the shipped model (each a (model, corpus) pair), ``length`` symbols at
    ``temperature``, every sample drawn with a generator seeded with ``seed``."""
    from . import charlm

    models = {_("your model"): yours} if yours is not None else {}
    models[_("shipped model")] = shipped
    prompt = prompt or charlm.prompt_from(shipped[1])
    rows = []
    for label, (model, data) in models.items():
        text = charlm.sample(model, data, prompt, length, temperature,
                             torch.Generator().manual_seed(seed))
        rows.append([label, _one_line(prompt + text)])
    return Table([_("model"), _("prompt and sample at temperature {t}").format(t=temperature)],
                 rows, align="ll")


def units(found: Sequence, control: Sequence | None = None) -> Table:
    """The unit that follows each feature best (what :func:`gatelab.languagemodel.best_units`
    returns): its state (h or c) and number, its correlation with the feature, the same where
    the current character does not decide the feature ("—": it decides it everywhere), and the
    share of characters where the feature is not 0; with ``control`` (the same for an untrained
    model of the same shape) the control's best correlations too."""
    headers = [_("feature"), _("state"), _("unit"), _("correlation"),
               _("where the character read does not decide it")]
    formats = ["", "", "d", "+.2f", "+.2f"]
    rows = [[_(u.feature), u.state, u.unit, u.correlation, u.memory] for u in found]
    if control is not None:
        headers += [_("untrained model"), _("untrained, where the character does not decide it")]
        formats += ["+.2f", "+.2f"]
        for row, c in zip(rows, control, strict=True):
            row += [c.correlation, c.memory]
    return Table(headers, rows, formats=formats, missing="—")


# --- Chapter 5: forecasting a time series ---

#: how the forecast tables name each forecaster
FORECASTERS = {"network": N_("network"), "climatology": N_("climatology"),
               "persistence": N_("persistence"), "best": N_("best possible")}


def one_step(errors: Mapping[str, tuple[float, float]]) -> Table:
    """Next-day forecasts' root-mean-square error over the held-out year and its wet season
    (what :func:`gatelab.forecast.one_step_errors` returns)."""
    rows = [[_(FORECASTERS.get(name, name)), year, wet] for name, (year, wet) in errors.items()]
    return Table([_("forecast of the next day"), _("whole year"), _("wet season")], rows,
                 formats=["", ".2f", ".2f"],
                 caption=_("root-mean-square error, mm per day, on the held-out year"))


def horizon_errors(errors, days: Sequence[int] = (1, 2, 3, 5, 10, 20, 30)) -> Table:
    """Root-mean-square error at a few horizons (a :class:`gatelab.forecast.HorizonErrors`):
    the network's rollout and the references; ``days`` beyond the errors' horizon are left out."""
    names = ("network", "climatology", "persistence", "best")
    rows = [[d, *(getattr(errors, name)[d - 1].item() for name in names)]
            for d in days if 1 <= d <= len(errors.days)]
    return Table([_("days ahead"), *(_(FORECASTERS[name]) for name in names)], rows,
                 formats=["d", ".2f", ".2f", ".2f", ".2f"],
                 caption=_("root-mean-square error, mm per day, over {origins} forecasts from "
                           "the held-out year; the network feeds on its own forecasts")
                 .format(origins=errors.origins))


# --- Chapter 5: deep and bidirectional networks ---------------------------------------------


def _steps(positions: Sequence[int]) -> str:
    """Steps 1, 2, 3, 5 -> "x1–x3, x5": runs of consecutive steps as ranges."""
    runs: list[list[int]] = []
    for s in positions:
        if runs and s == runs[-1][-1] + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return ", ".join(f"x{r[0]}" if len(r) == 1 else f"x{r[0]}–x{r[-1]}" for r in runs)


def layer_reads(rows) -> Table:
    """What each layer and direction has read when it gives its output at one step (what
    :func:`gatelab.deep.reads` measured with gradients)."""
    step = rows[0].step if rows else 0
    return Table([_("layer"), _("direction"),
                  _("inputs that change its output at step {step}").format(step=step)],
                 [[r.layer, _(r.direction), _steps(r.inputs)] for r in rows],
                 formats=["d", "", ""])


def final_states(rows) -> Table:
    """Which layer and direction each row of ``h_n`` is, and the slice of ``out`` holding the
    same numbers (what :func:`gatelab.deep.final_states` found)."""
    directions = len({r.direction for r in rows})
    return Table([_("row of h_n"), _("h_n.view(layers, directions, B, H)"), _("layer"),
                  _("direction"), _("same numbers as"), _("largest difference")],
                 [[f"h_n[{r.index}]", f"[{r.layer - 1}, {r.index % directions}]", r.layer,
                   _(r.direction), r.same_as or _("not in out"), r.difference] for r in rows],
                 formats=["", "", "d", "", "", ".2g"], missing="–")


def last_position(rows) -> Table:
    """For each sequence of a padded batch, how far ``out[:, -1]`` is from its true final
    states, with and without packing (what :func:`gatelab.deep.last_position` measured)."""
    return Table([_("length"), _("packed: forward half vs h_n[-2]"), _("packed: all zeros"),
                  _("not packed: forward half vs h_n[-2]"),
                  _("not packed: backward half vs h_n[-1]")],
                 [[r.length, r.packed_forward, _("yes") if r.packed_zero else _("no"),
                   r.padded_forward, r.padded_backward] for r in rows],
                 formats=["d", ".2g", "", ".2g", ".2g"],
                 notes=[_("Largest difference over the hidden units; 0 means out[:, -1] is the "
                          "final state. The backward half of out[:, -1] has read one input only, "
                          "the last position's (padding for the shorter sequences).")])


def readers(accuracies: Mapping[str, float]) -> Table:
    """Held-out accuracy of a bidirectional classifier for each way of reading its outputs
    (keys of :data:`gatelab.deep.READINGS`)."""
    from .deep import READINGS

    return Table([_("the classifier reads"), _("held-out accuracy")],
                 [[_(READINGS[name]), value] for name, value in accuracies.items()],
                 formats=["", ".1%"], notes=[_("Guessing: 50%.")])


def peeking(result) -> Table:
    """Held-out bits per character of a one-direction and a bidirectional character model,
    the latter also as when it generates (what :func:`gatelab.deep.peeking` returns)."""
    uni, bi = result.parameters["one direction"], result.parameters["bidirectional"]
    rows = [[_("one direction"), uni, _("the characters before"), result.one_direction],
            [_("bidirectional"), bi, _("the whole text, the next character included"),
             result.bidirectional],
            [_("bidirectional, generating"), bi, _("the characters before, and the current one "
                                                   "backwards"), result.without_future]]
    return Table([_("model"), _("parameters"), _("reads, to predict the next character"),
                  _("held-out bits per character")],
                 rows, formats=["", ",d", "", ".2f"],
                 notes=[_("{steps} training steps each. Guessing blindly: {bits:.2f} bits per "
                          "character.").format(steps=result.steps, bits=result.guessing)])


def dropout_layers(rows) -> Table:
    """Which layers of a stacked LSTM with ``dropout=p`` change between two runs on the same
    input (what :func:`gatelab.deep.dropout_between_layers` measured)."""
    return Table([_("layer"), _("training mode: h_n run 1 vs run 2"),
                  _("evaluation mode: h_n run 1 vs run 2"), _("share of zeros in out")],
                 [[r.layer, r.training, r.evaluation, r.out_zeros] for r in rows],
                 formats=["d", ".2g", ".2g", ".0%"], missing="–")


def deep_lm(*langs: str) -> Table:
    """What ``scripts/deep_lm.py`` recorded (data/deep_lm.json): for each language (``langs``;
    default: all) and configuration, its parameters and held-out bits per character at the end
    of training and at the best evaluation during it (mean over the seeds, and the range);
    the provenance is the caption."""
    from . import deep

    recorded = deep.results()
    langs = langs or tuple(recorded["langs"])
    about, training = recorded["provenance"][langs[0]], recorded["training"]
    rows = []
    for lang in langs:
        for entry in recorded["langs"][lang]["configurations"].values():
            s = entry["summary"]
            rows.append([language_name(lang), deep.configuration_label(entry["options"]),
                         entry["parameters"], s["final_bits_mean"],
                         f"{s['final_bits_min']:.2f}–{s['final_bits_max']:.2f}",
                         s["best_bits_mean"], f"{s['best_bits_min']:.2f}–{s['best_bits_max']:.2f}",
                         s["best_step_median"]])
    caption = _("{script}, {runs} seeds each, {steps:,} steps, PyTorch {torch}, {threads} "
                "thread, {date}").format(script=about["script"], runs=s["runs"],
                                         steps=training["steps"], torch=about["torch"],
                                         threads=about["threads"], date=about["date"][:10])
    return Table([_("language"), _("network"), _("parameters"), _("bits at the end"),
                  _("range"), _("best bits during training"), _("range"),
                  _("median step of the best")],
                 rows, formats=["", "", ",d", ".3f", "", ".3f", "", ".0f"], caption=caption)


def syllable_survey(yours=None, length: int = 500, temperature: float = 1.0,
                    seed: int = 0) -> Table:
    """:func:`syllables` of samples in Bengali and in Hindi: from an untrained model, from
    ``yours`` (a (model, corpus) pair, shown for its own language) and from the shipped model
    (:func:`gatelab.languagemodel.load`); ``length`` symbols each at ``temperature``, prompted
    by the held-out chapter's first words, every sample drawn with the same ``seed``."""
    from . import charlm, languagemodel

    texts = {}
    for lang in ("bn", "hi"):
        with torch.random.fork_rng():  # the reader's own random state is left as it was
            shipped, data = languagemodel.load(lang)  # (building a model draws random weights)
            torch.manual_seed(seed)
            untrained = charlm.CharLM(len(data.vocab))
        models = {_("{language}: untrained model"): (untrained, data)}
        if yours is not None and yours[1].lang == lang:
            models[_("{language}: your model")] = yours
        models[_("{language}: shipped model")] = (shipped, data)
        prompt = charlm.prompt_from(data)
        for label, (model, vocabulary) in models.items():
            text = charlm.sample(model, vocabulary, prompt, length, temperature,
                                 torch.Generator().manual_seed(seed))
            texts[label.format(language=language_name(lang))] = text
    return syllables(texts)


# --- Chapter 6: why Transformers replaced recurrence ---


def recurrence_counts(lengths: Sequence[int] = (10, 100, 1000), sizes=None) -> Table:
    """For each length T, what one LSTM layer and one self-attention layer of the same width
    do with a sequence (:func:`gatelab.recurrence.counts`): steps that must wait for each
    other, steps from position 1 to position T, pairs of positions compared, multiply-adds."""
    from . import recurrence

    sizes = sizes or recurrence.Sizes()
    names = {"lstm": "LSTM", "attention": _("self-attention")}
    rows = [[c.length, names[c.kind], c.sequential_steps, c.path, c.pairs, c.multiply_adds]
            for length in lengths for c in recurrence.counts(length, sizes)]
    caption = _("One layer, {width} numbers wide, one sequence; independent of the computer").format(
        width=sizes.width)
    return Table([_("length T"), _("layer"), _("steps one after another"),
                  _("steps from position 1 to T"), _("pairs of positions compared"),
                  _("multiply-adds")], rows, formats=["d", "", ",d", ",d", ",d", ",d"],
                 caption=caption, missing="–")


def _timing_rows(label: str, timing, step: str, lengths: Sequence[int]) -> list[list]:
    """One row per network of ``timing``: milliseconds at each of ``lengths`` (None where it
    was not measured); ``label`` in the first cell of the first row."""
    from . import recurrence

    rows = []
    for i, (kind, seconds) in enumerate(timing.times(step).items()):
        by_length = dict(zip(timing.lengths, seconds, strict=True))
        rows.append([label if i == 0 else "", _(recurrence.LABELS[kind]),
                     *(by_length[t] * 1000 if t in by_length else None for t in lengths)])
    return rows


def recurrence_timing(timing, step: str = "training", committed: bool = True) -> Table:
    """Milliseconds per pass of each network at each length of ``timing`` (what
    :func:`gatelab.recurrence.measure` returns, on this computer) and, with ``committed``, the
    same lengths in the run of ``benchmarks/recurrence_vs_attention.py``; ``step`` is "forward"
    or "training" (forward and backward). A note compares self-attention with nn.LSTM at the
    longest length."""
    from . import recurrence

    rows = _timing_rows(_("this computer"), timing, step, timing.lengths)
    notes = []
    longest = timing.lengths[-1]
    ratios = {}
    if committed:
        recorded = recurrence.committed()
        saved = recurrence.Timing.from_json(recorded["timing"])
        rows += _timing_rows(_("committed run"), saved, step, timing.lengths)
        about = recorded["provenance"]
        notes.append(_("Committed run: {script}, {date}, {cpu}, PyTorch {torch}, one thread, "
                       "median of {rounds} rounds; load average {load} at the start on 2 cores. "
                       "Timings depend on the computer and on what else it is doing.").format(script=about["script"], date=about["date"][:10],
                                         cpu=about["cpu"], torch=about["torch"],
                                         rounds=recorded["rounds"],
                                         load=f"{about['load_average'][0]:.1f}"))
        if longest in saved.lengths:
            ratios[_("the committed run")] = saved
    ratios = {_("this computer"): timing, **ratios}
    for where, measured in ratios.items():
        times = measured.times(step)
        if "lstm" in times and "attention" in times:
            i = measured.lengths.index(longest)
            notes.append(_("At T = {length}, on {where}: self-attention took {ratio:.1f} times as "
                           "long as nn.LSTM.").format(length=longest, where=where,
                                                      ratio=times["attention"][i] / times["lstm"][i]))
    caption = _("{step}: milliseconds per pass, median of {repeats} after a warm-up; {batch} "
                "sequences of {width} numbers per position; one torch thread").format(
        step=_(recurrence.STEPS[step]), repeats=timing.repeats, batch=timing.batch,
        width=timing.sizes.width)
    return Table(["", _("network"), *(f"T = {t}" for t in timing.lengths)], rows,
                 formats=["", "", *[".2f"] * len(timing.lengths)], caption=caption,
                 notes=notes, missing="–")


def generation_memory(tokens: Sequence[int] = (1, 10, 100, 1000), layers: int = 1) -> Table:
    """What an LSTM and a stack of self-attention layers hold between tokens while generating
    one token at a time (:func:`gatelab.recurrence.generation_memory`: the sizes of the real
    tensors), per sequence, and how many times as much the attention layers hold."""
    from . import recurrence

    sizes = recurrence.Sizes()
    rows = [[m.tokens, m.lstm, m.attention, m.attention / m.lstm]
            for m in recurrence.generation_memory(tokens, layers, sizes)]
    caption = _("{layers} layer(s), {width} numbers wide, one sequence; each number takes 4 "
                "bytes in float32").format(layers=layers, width=sizes.width)
    return Table([_("tokens generated"), _("LSTM: numbers in h and c"),
                  _("self-attention: numbers in the key/value cache"),
                  _("attention / LSTM")], rows, formats=[",d", ",d", ",d", ",.0f"],
                 caption=caption)


def applications() -> Table:
    """The map of the course: what recurrent networks are used for, the shape of input and
    output (Chapter 1's names), the ideas each uses, chapter by chapter, and a landmark paper
    (:data:`gatelab.recurrence.APPLICATIONS`)."""
    from . import recurrence

    def ideas(used) -> str:
        return "; ".join(_("{chapter}: {idea}").format(chapter=n, idea=_(idea)) if n else
                         _("beyond the course: {idea}").format(idea=_(idea)) for n, idea in used)

    rows = [[_(a.name), _(a.example), _(recurrence.SHAPES[a.shape]), ideas(a.ideas), _(a.paper)]
            for a in recurrence.APPLICATIONS]
    return Table([_("application"), _("input → output"), _("shape"),
                  _("ideas it uses, by chapter"), _("a landmark paper")], rows, align="lllll")



# --- Chapter 6: encoder, decoder and the bottleneck ---


def seq2seq_examples(rows: Sequence[Mapping]) -> Table:
    """Answers of an encoder-decoder (what :func:`gatelab.seq2seq.examples` returns): the input
    words, the right digits, the model's answer, and whether it is exactly right."""
    body = [[" ".join(r["source"]), r["target"], r["answer"] or "—",
             _("right") if r["right"] else _("wrong")] for r in rows]
    return Table([_("input words"), _("digits"), _("model's answer"), _("exactly right?")], body)


def seq2seq_lengths(results: Mapping[str, Mapping[int, float]],
                    length: str = N_("numbers in the input")) -> Table:
    """Held-out exact match by input length for some models ({model: {length: accuracy}}, what
    :func:`gatelab.seq2seq.accuracy_by_length` returns), one column per model."""
    lengths = sorted({k for by_length in results.values() for k in by_length})
    rows = [[k, *(by_length.get(k) for by_length in results.values())] for k in lengths]
    return Table([_(length), *(_(m) for m in results)], rows,
                 formats=["d", *[".0%"] * len(results)], missing="—")


def seq2seq(lang: str | None = None, section: str = "bottleneck") -> Table:
    """What ``scripts/seq2seq.py`` recorded (data/seq2seq.json) in ``lang`` (default: the
    language in use): for each model its hidden size, parameters, and held-out exact match by
    how many numbers the input lists, the mean over seeds with the worst and best seed."""
    from . import seq2seq as s2s
    from .i18n import language

    lang = lang or language()
    stored = s2s.results()[section]
    runs = [r for r in stored["runs"] if r["lang"] == lang]
    accuracy = s2s.recorded(section, lang)
    lengths = sorted({k for by_length in accuracy.values() for k in by_length})

    def spread(values: Sequence[float]) -> str:
        return f"{statistics.mean(values):.0%} ({min(values):.0%}–{max(values):.0%})"

    rows = []
    for model, by_length in accuracy.items():
        first = next(r for r in runs if r["model"] == model)
        rows.append([_(model), first["hidden_size"], first["parameters"],
                     *(spread(by_length[k]) for k in lengths)])
    setting, about = stored["setting"], stored["provenance"][lang]
    seeds = sorted({r["seed"] for r in runs})
    caption = _("{script}: {language}, {kind} encoder and decoder, {steps} training steps of "
                "{batch} inputs, {tests} held-out inputs, seeds {first}–{last}: mean (worst–best "
                "seed); PyTorch {torch}, {date}").format(
        script=about["script"], language=language_name(lang), kind=setting["kind"],
        steps=f"{setting['steps']:,}", batch=setting["batch_size"],
        tests=f"{setting['test_size']:,}", first=seeds[0], last=seeds[-1], torch=about["torch"],
        date=about["date"][:10])
    headers = [_("model"), _("hidden size"), _("parameters"),
               *(_("{n} numbers").format(n=k) if k > 1 else _("1 number") for k in lengths)]
    return Table(headers, rows, formats=["", "d", ",d", *[""] * len(lengths)], caption=caption)


def number_words(*values: int) -> Table:
    """Numbers in words in the three languages (:func:`gatelab.numbers.words`), one row each."""
    from . import numbers

    rows = [[f"{v:,}", *(numbers.words(v, lang) for lang in numbers.LANGS)] for v in values]
    return Table([_("number"), *(language_name(lang) for lang in numbers.LANGS)], rows,
                 align="r" + "l" * len(numbers.LANGS))
