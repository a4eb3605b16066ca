// The gate explorer (gatelab.explorer.GateWidget): force the gates of an LSTM (i, f, o) or a GRU
// (r, z) learned, open, shut or to a value, and see the gates, c[t] (LSTM) or n[t] (GRU) and h[t]
// of one unit change at once, computed HERE by cells.js from the real weights; the learned run is
// drawn as a faint dashed ghost behind the run with the gates as set. Equations in HTML with the
// forced terms marked, presets, reset, unit and text-size controls, a text alternative per plot.
//
// Assembly (gatelab.explorer.module("gates")): this is an explorer's ENTRY file. It uses the
// libraries cells.js and plot.js only through `import * as name from "./file.js";` lines and ends
// with `export default { render };`; module() inlines the libraries, so JupyterLab (anywidget's
// `_esm`) and the kernel-free HTML page (host.js) run the same code with no further request.
//
// The model (anywidget's, or host.js's stand-in) holds: spec and x (gatelab.explorer.export),
// gates (the gates with a control), force (gate -> number), unit, labels (every word shown, in
// the learner's language), presets ([[label, force], ...]). Only force and unit are written
// back; when there is no kernel any more, save_changes may fail and the page keeps its own state.
//
// Shared with the other explorers (ui.js): the font stack, theme colours, reset and text-size
// controls, live region, JupyterLab shortcut guard, redraw on a web font's arrival, and the
// frame-latency samples {explorer: "gates", kind, ms, work, frame} in window.gatelabFrames.
//
// Axes: the gates' panel is [0, 1]; a state's panel is symmetric, ±1, ±2, ±5, … (round steps), the
// smallest that holds the learned run and every run shown since the last reset or change of unit:
// it only grows, so a slider's small moves do not make it jump back and forth.

import * as cells from "./cells.js";
import * as plot from "./plot.js";
import * as ui from "./ui.js";

const GATE_COLORS = { i: "#2b8a3e", f: "#c92a2a", o: "#1864ab", r: "#c92a2a", z: "#1864ab" };
const STATE_STYLE = "stroke: var(--gl-state)"; // not a gate's colour; lighter on a dark theme
const MARK_TEXT = "#8a2a05"; // on the mark's own light background, in either theme

const CSS = `
.gatelab-gates { font-size: calc(var(--jp-content-font-size1, 14px) * 0.93 * var(--gl-scale));
  display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; align-items: flex-start; }
.gatelab-gates .gl-side { flex: 1 1 19em; max-width: 27em; min-width: 0; }
.gatelab-gates .gl-plots { flex: 3 1 22em; min-width: 0; }
.gatelab-gates fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
.gatelab-gates legend { padding: 0; font-weight: 600; }
.gatelab-gates .gl-gate { display: flex; flex-wrap: wrap; align-items: center; gap: 0.15em 0.4em; margin: 0.15em 0; }
.gatelab-gates .gl-gate label { flex: 0 0 7.2em; }
.gatelab-gates input[type=range] { flex: 1 1 5em; min-width: 4em; margin: 0; }
.gatelab-gates output { flex: 0 0 2.4em; text-align: right; }
.gatelab-gates .gl-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25em 0.4em; margin: 0.3em 0; }
.gatelab-gates .gl-eqs { margin: 0.35em 0; font-family: var(--jp-code-font-family, monospace), inherit; font-size: 0.93em; }
.gatelab-gates .gl-eqs p { margin: 0.1em 0; overflow-wrap: anywhere; }
.gatelab-gates .gl-eqs .forced { color: var(--gl-forced); font-weight: 700; }
.gatelab-gates mark { background: var(--gl-mark); color: ${MARK_TEXT}; font-weight: 700; padding: 0 0.15em; border-radius: 0.2em; }
.gatelab-gates .gl-legend { display: flex; flex-wrap: wrap; gap: 0.1em 1em; }
.gatelab-gates .gl-legend svg { vertical-align: middle; }
`;

/** A forced gate's value as the equations show it: 0 and 1 plainly, else two decimals. */
function shown(v) {
  return v === 0 || v === 1 ? String(v) : plot.format(v);
}

/** A state's series for one unit: trace.h, trace.c, or a gate such as the GRU's candidate n. */
function series(trace, name, unit) {
  const rows = name === "h" || name === "c" ? trace[name] : trace.gates[name];
  return rows.map((row) => row[unit]);
}

function render({ model, el }) {
  const spec = model.get("spec");
  const x = model.get("x");
  const labels = model.get("labels");
  const gates = model.get("gates");
  const presets = model.get("presets") ?? [];
  const kind = spec.kind;
  const ranges = cells.GATES[kind];
  const T = x.length;
  const H = spec.hidden_size;
  const learned = cells.run(spec, x, {});
  const states = labels.states; // [[name, label], [name, label]]: c or n, then h
  const id = `gatelab-${Math.random().toString(36).slice(2, 10)}`;
  const { htmlNode: html } = plot;

  // what is shown: the page's own copy, which the model only mirrors
  let force = {};
  let unit = Math.min(Math.max(0, model.get("unit") ?? 0), H - 1);
  let trace = learned;
  let limits = {};

  const root = ui.root(el, "gatelab-gates", CSS);
  root.dataset.kind = kind;
  const writer = ui.writer(model); // force and unit back to the kernel, when there is one
  const side = html("div", { class: "gl-side" }, root);
  const plots = html("div", { class: "gl-plots" }, root);

  // --- controls: one labelled select and slider per gate ---------------------------------------
  const fieldset = html("fieldset", { class: "gl-gates" }, side);
  html("legend", {}, fieldset, labels.controls);
  const choice = {}; // gate -> {select, slider, output}
  for (const gate of gates) {
    const row = html("div", { class: "gl-gate" }, fieldset);
    html("label", { for: `${id}-${gate}` }, row, labels.gates[gate]);
    const select = html("select", { id: `${id}-${gate}`, "data-gate": gate }, row);
    for (const [mode, text] of Object.entries(labels.modes)) html("option", { value: mode }, select, text);
    const [lo, hi] = ranges[gate];
    const slider = html("input", { id: `${id}-${gate}-value`, type: "range", min: lo, max: hi,
                                   step: 0.05, value: (lo + hi) / 2, "data-gate": gate,
                                   "aria-label": ui.fill(labels.value_of, { gate: labels.gates[gate] }) }, row);
    const output = html("output", { for: slider.id, "aria-hidden": "true" }, row);
    choice[gate] = { select, slider, output };
    select.addEventListener("change", (event) => {
      setMode(gate, select.value);
      changed(event, describeGate(gate));
    });
    slider.addEventListener("input", (event) => {
      select.value = "value";
      setMode(gate, "value");
      changed(event, describeGate(gate));
    });
  }

  const presetRow = html("div", { class: "gl-row gl-presets", role: "group", "aria-label": labels.presets }, side);
  html("span", { "aria-hidden": "true" }, presetRow, labels.presets);
  for (const [name, preset] of presets) {
    const button = html("button", { type: "button" }, presetRow, name);
    button.addEventListener("click", (event) => {
      for (const gate of gates) {
        const v = preset[gate];
        choice[gate].select.value = v === undefined ? "learned" : v === 1 ? "open" : v === 0 ? "shut" : "value";
        if (v !== undefined && v !== 0 && v !== 1) choice[gate].slider.value = v;
        setMode(gate, choice[gate].select.value);
      }
      changed(event, name);
    });
  }

  const tools = ui.tools(side, id, labels, (event) => {
    for (const gate of gates) {
      choice[gate].select.value = "learned";
      setMode(gate, "learned");
    }
    limits = {}; // the axes as the learned run needs them
    layout();
    changed(event, labels.reset, false);
  }, () => layout());
  let unitSelect = null;
  if (H > 1) {
    html("label", { for: `${id}-unit` }, tools.row, labels.unit);
    unitSelect = html("select", { id: `${id}-unit`, class: "gl-unit" }, tools.row);
    for (let k = 0; k < H; k++) html("option", { value: k }, unitSelect, String(k));
    unitSelect.value = String(unit);
    unitSelect.addEventListener("change", (event) => {
      unit = Number(unitSelect.value);
      limits = {};
      writer.write({ unit });
      layout();
      changed(event, `${labels.unit} ${unit}`, false);
    });
  }

  // --- the equations, the forced terms marked ---------------------------------------------------
  const equations = html("div", { class: "gl-eqs", role: "group", "aria-label": labels.equations_label }, side);
  const gatePattern = new RegExp(`\\b(${gates.join("|")})\\[t\\]`, "g");

  function drawEquations() {
    equations.replaceChildren();
    for (const gate of gates) {
      const p = html("p", { "data-gate": gate }, equations);
      if (gate in force) {
        p.className = "forced";
        html("mark", {}, p, `${gate}[t] = ${shown(force[gate])}`);
        p.append(` ← ${forcedText(force[gate])}`);
      } else {
        p.textContent = labels.equations[gate];
      }
    }
    for (const line of labels.update) {
      const p = html("p", {}, equations);
      let last = 0;
      for (const match of line.matchAll(gatePattern)) {
        const gate = match[1];
        if (!(gate in force)) continue;
        p.append(line.slice(last, match.index));
        html("mark", { title: `${gate}[t]` }, p, shown(force[gate]));
        last = match.index + match[0].length;
      }
      p.append(line.slice(last));
    }
  }

  // --- the legend, in HTML (it wraps where a translation is long) -------------------------------
  const legend = html("div", { class: "gl-legend", "aria-hidden": "true" }, side);
  const swatch = (text, attrs) => {
    const item = html("span", {}, legend);
    const svg = plot.svgNode("svg", { width: 26, height: 10 }, item);
    plot.svgNode("line", { x1: 1, x2: 25, y1: 5, y2: 5, ...attrs }, svg);
    item.append(` ${text}`);
  };
  for (const gate of gates) swatch(labels.gates[gate], { stroke: GATE_COLORS[gate], "stroke-width": 2.4 });
  swatch(labels.learned, { stroke: "currentColor", "stroke-opacity": 0.7, "stroke-width": 1.4, "stroke-dasharray": "4 3" });
  swatch(labels.forced, { style: STATE_STYLE, "stroke-width": 2.4 });

  const error = html("p", { class: "gl-error", role: "alert" }, side);
  error.hidden = true;
  const live = ui.liveRegion(root);

  // --- the plots: the input, the gates, the two states ------------------------------------------
  const figures = {
    input: plot.figure(plots, { className: "gl-input" }),
    gates: plot.figure(plots, { className: "gl-gates-plot" }),
  };
  for (const [name] of states) figures[name] = plot.figure(plots, { className: `gl-state gl-${name}` });
  let lines = {}; // series name -> {ghost, line, panel}

  function fontSize() {
    return parseFloat(getComputedStyle(root).fontSize) || 13;
  }

  /** Draw the axes, ticks, the input and empty lines at the current width and text size. */
  let geometry = null; // sizes in px for the current width and text size (see measure)

  /** Sizes in CSS px from the text size: margins, title and axis room, the ticks' font. */
  function measure() {
    const fs = fontSize();
    const tick = Math.max(12, 0.92 * fs);
    const longest = Math.max(3, ...labels.inputs.map((n) => n.length));
    return {
      fs, tick, width: plots.clientWidth,
      left: Math.round(Math.max(3.3 * tick, Math.min(0.6 * tick * longest + 8, 9 * tick))),
      right: Math.round(0.8 * fs),
      title: Math.round(1.35 * fs),
      axis: Math.round(2.8 * tick),
      plotHeight: Math.round(4.6 * fs),
    };
  }

  /** The figure cleared and sized for a plot area of plotHeight px; the panel's placement. */
  function sized(figure, plotHeight, withAxis) {
    const { left, right, title, axis, tick } = geometry;
    figure.clear();
    const width = figure.resize(title + plotHeight + (withAxis ? axis : 4), geometry.width);
    return { x: left, y: title, width: Math.max(40, width - left - right), height: plotHeight,
             fontSize: tick, xDomain: [0.5, T + 0.5], xStart: 1 };
  }

  /** The input, as a heatmap: channels down, time across. Drawn once per width or text size. */
  function drawInput() {
    const I = x[0].length;
    const { tick, fs } = geometry;
    const rowHeight = Math.max(tick * 1.05, Math.min(1.6 * fs, 90 / I));
    const top = Math.max(1e-9, ...x.flat().map(Math.abs));
    const input = plot.panel(figures.input.svg, {
      ...sized(figures.input, Math.round(rowHeight * I), false), grid: false, yDomain: [0, 1],
      title: labels.input_panel, className: "gl-x" });
    input.heatmap(Array.from({ length: I }, (_, r) => x.map((row) => row[r])),
                  (v) => plot.diverging(v / Math.max(1, top)), labels.inputs);
    figures.input.describe(ui.fill(labels.describe_input, { panel: labels.input_panel, steps: T,
                                                         channels: labels.inputs.join(", ") }));
  }

  /** The gates of the unit shown, in [0, 1], with a ghost and a line each. */
  function drawGateAxes() {
    const panel = plot.panel(figures.gates.svg, {
      ...sized(figures.gates, geometry.plotHeight, false), yDomain: [-0.05, 1.05],
      yTicks: [0, 0.5, 1], title: labels.gates_panel, className: "gl-g" });
    for (const gate of gates) {
      const color = GATE_COLORS[gate];
      lines[gate] = {
        panel,
        ghost: panel.line(series(learned, gate, unit), { class: "gatelab-learned", stroke: color,
                          "stroke-opacity": 0.45, "stroke-width": 1.2, "stroke-dasharray": "4 3" }),
        line: panel.line(series(learned, gate, unit), { class: "gatelab-forced", stroke: color,
                         "stroke-width": 2.2, "data-gate": gate }),
      };
    }
  }

  /** State k (c or n, then h) on a symmetric round scale that holds both runs. */
  function drawStateAxes(k) {
    const [name, label] = states[k];
    const last = k === states.length - 1;
    const limit = (limits[name] = ui.growingLimit(limits[name], [...series(learned, name, unit),
                                                                 ...series(trace, name, unit)]));
    const xTicks = plot.ticks(1, T, T > 12 ? 6 : T - 1).filter((t) => Number.isInteger(t) && t >= 1);
    const panel = plot.panel(figures[name].svg, {
      ...sized(figures[name], geometry.plotHeight, last), yDomain: [-1.08 * limit, 1.08 * limit],
      yTicks: [-limit, 0, limit], title: label, xTicks: last ? xTicks : null,
      xLabel: last ? labels.time : "", className: `gl-${name}`,
      tickFormat: (v) => plot.format(v, Number.isInteger(v) ? 0 : 1) });
    panel.hline(0);
    lines[name] = {
      panel,
      ghost: panel.line(series(learned, name, unit), { class: "gatelab-learned", stroke: "currentColor",
                        "stroke-opacity": 0.55, "stroke-width": 1.3, "stroke-dasharray": "5 3" }),
      line: panel.line(series(learned, name, unit), { class: "gatelab-forced", style: STATE_STYLE,
                       "stroke-width": 2.4 }),
    };
  }

  /** Everything drawn again, for a new width, text size or unit. */
  function layout() {
    geometry = measure();
    lines = {};
    drawInput();
    drawGateAxes();
    states.forEach((_state, k) => drawStateAxes(k));
    draw();
  }

  // --- what is forced, and what it does ---------------------------------------------------------
  function forcedText(v) {
    return v === 1 ? labels.forced_open : v === 0 ? labels.forced_shut : ui.fill(labels.forced_to, { value: plot.format(v) });
  }

  function setMode(gate, mode) {
    const { slider, output } = choice[gate];
    if (mode === "learned") delete force[gate];
    else force[gate] = mode === "open" ? 1 : mode === "shut" ? 0 : Number(slider.value);
    output.textContent = mode === "value" ? plot.format(slider.value) : "";
  }

  function describeGate(gate) {
    const mode = choice[gate].select.value;
    const text = mode === "value" ? `${labels.modes.value} ${plot.format(force[gate])}` : labels.modes[mode];
    return `${labels.gates[gate]}: ${text}`;
  }

  function describeState(name, label) {
    const a = series(learned, name, unit);
    const b = series(trace, name, unit);
    return ui.fill(labels.describe_state, { panel: label, unit, learned: plot.format(a[T - 1]),
                                         forced: plot.format(b[T - 1]) });
  }

  /** Recompute with the gates as set and redraw the lines, equations and text alternatives. */
  function draw() {
    try {
      trace = cells.run(spec, x, force);
      error.hidden = true;
    } catch (problem) {
      error.textContent = ui.fill(labels.error, { error: problem.message });
      error.hidden = false;
      return;
    }
    if (!geometry) return;
    states.forEach(([name], k) => {
      const limit = ui.growingLimit(limits[name], [...series(learned, name, unit), ...series(trace, name, unit)]);
      if (limit !== limits[name]) drawStateAxes(k); // the scale changed: its axes too
    });
    for (const [name, { panel, ghost, line }] of Object.entries(lines)) {
      panel.update(ghost, series(learned, name, unit));
      panel.update(line, series(trace, name, unit));
    }
    const parts = gates.map((gate) => ui.fill(labels.describe_gate, {
      gate: labels.gates[gate], learned: plot.format(series(learned, gate, unit)[T - 1]),
      forced: plot.format(series(trace, gate, unit)[T - 1]) }));
    figures.gates.describe(ui.fill(labels.describe_gates, { panel: labels.gates_panel, unit,
                                                         gates: parts.join("; ") }));
    for (const [name, label] of states) figures[name].describe(describeState(name, label));
    drawEquations();
    root.dataset.force = JSON.stringify(force);
    root.dataset.unit = String(unit);
  }

  function announce(change) {
    const [name, label] = states[states.length - 1];
    live.say(() => `${change}. ${describeState(name, label)}`); // a slider's run says it once
  }

  function changed(event, change, redraw = true) {
    const start = ui.inputStart(event);
    if (redraw) draw();
    writer.write({ force: { ...force } });
    announce(change);
    ui.timeFrame("gates", start, kind);
  }

  // --- a forcing or unit set from Python ----------------------------------------------------------
  function fromModel() {
    if (writer.busy) return;
    const wanted = model.get("force") ?? {};
    force = {};
    for (const gate of gates) {
      const { select, slider } = choice[gate];
      const v = wanted[gate];
      select.value = v === undefined || v === null ? "learned" : v === 1 ? "open" : v === 0 ? "shut" : "value";
      if (select.value === "value") slider.value = v;
      setMode(gate, select.value);
    }
    draw();
  }
  function unitFromModel() {
    if (writer.busy) return;
    const wanted = Number(model.get("unit"));
    if (wanted >= 0 && wanted < H && wanted !== unit) {
      unit = wanted;
      if (unitSelect) unitSelect.value = String(unit);
      limits = {};
      layout();
    }
  }

  ui.keepKeys(root);
  model.on("change:force", fromModel);
  model.on("change:unit", unitFromModel);
  const stopFitting = plot.fit(plots, layout);
  const stopFonts = ui.onFonts(() => geometry && layout()); // Bengali or Devanagari text drawn again
  // the page's own hook, for tests and benchmarks: the numbers drawn
  root.gatelab = { force: () => ({ ...force }), unit: () => unit, trace: () => trace, learned };
  force = {};
  for (const gate of gates) setMode(gate, "learned");
  const initial = model.get("force") ?? {};
  if (Object.keys(initial).length) {
    fromModel();
  }
  // the first layout once the element is in the page and has a width
  if (plots.clientWidth > 0) layout();
  else requestAnimationFrame(layout);
  return () => {
    stopFitting();
    stopFonts();
    live.stop();
    model.off("change:force", fromModel);
    model.off("change:unit", unitFromModel);
  };
}

export default { render };
