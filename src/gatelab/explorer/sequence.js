// Chapter 1's memory explorer (gatelab.explorer.SequenceWidget): a small tanh RNN (1 input, 4
// hidden units) run on numbers the learner types, or an example, computed HERE by cells.js from
// the network's own weights; the input x[t] above, every unit's h[t] below.
//
// Assembly (gatelab.explorer.module("sequence")): an ENTRY file over the libraries cells.js and
// plot.js; it ends with `export default { render };`.
//
// What the learner types is read with the rules of gatelab.widgets.parse_sequence: numbers
// separated by spaces, commas or semicolons, written as Python's float() reads them ("−" taken for
// "-", digits of any script, 1_000, 1e3, inf, nan), at most max_steps of them, each between -5
// and 5; the first problem found is shown beside the input in the learner's language (the same
// messages), and the text stays as typed. The network reads float32 numbers, as torch.tensor does.
//
// The model (anywidget's, or host.js's stand-in) holds: spec (gatelab.explorer.export), text (what
// is in the input), presets ([[label, text], …]), max_steps, labels (every word shown, translated,
// and the messages). text is written back. Reset puts the first example's text back (what the
// learner typed is gone only when they ask for it); the text-size control scales text and figure.
//
// Shared with the other explorers (ui.js): the font stack, theme colours, reset and text-size
// controls, JupyterLab shortcut guard, redraw on a web font's arrival, and the frame-latency
// samples {explorer: "sequence", kind, ms, work, frame} in window.gatelabFrames.
//
// Axes: h[t] on [−1, 1] (tanh); x[t] on a symmetric round range, ±1, ±2 or ±5 (inputs lie in
// [−5, 5]), the smallest that holds the sequence shown.

import * as cells from "./cells.js";
import * as plot from "./plot.js";
import * as ui from "./ui.js";

const X_COLOR = "#d9577a"; // plots.COLORS["x"]
const UNIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                     "#7f7f7f", "#bcbd22", "#17becf"]; // matplotlib's, as in the notebook's figure
const FONT = 13; // px
const X_HEIGHT = 80; // px, the input panel
const H_HEIGHT = 190; // px, the hidden-state panel
const ERROR_DELAY = 700; // ms: while typing, a problem is shown after this pause (at once on Enter)

/** The value of a decimal digit of any script (Unicode Nd: runs of ten, 0 to 9), as Python's
 * float() reads it. */
function digitValue(char) {
  let code = char.codePointAt(0);
  let start = code;
  while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
  return (code - start) % 10;
}

const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const PY_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** Python's float(item) for one item without spaces, or null where Python raises ValueError. */
function pythonFloat(item) {
  const ascii = item.replace(/\p{Nd}/gu, (d) => String(digitValue(d)));
  const special = PY_SPECIAL.exec(ascii);
  if (special) {
    if (special[2].toLowerCase() === "nan") return NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  return PY_FLOAT.test(ascii) ? Number(ascii.replaceAll("_", "")) : null;
}

/**
 * widgets.parse_sequence in the page: {values} (float32 numbers) or {error} (the translated
 * message), checked in the same order.
 */
function parse(text, labels, maxSteps) {
  const items = text.trim().split(/[\s,;]+/).filter((s) => s);
  if (!items.length) return { error: labels.empty };
  const values = [];
  for (const item of items) {
    const v = pythonFloat(item.replaceAll("−", "-"));
    if (v === null) return { error: ui.fill(labels.not_number, { item }) };
    values.push(v);
  }
  if (values.length > maxSteps) return { error: ui.fill(labels.too_long, { n: values.length, max: maxSteps }) };
  if (!values.every((v) => Math.abs(v) <= 5)) return { error: labels.range }; // NaN too
  return { values: values.map(Math.fround) };
}

/** The spec with every weight rounded to the float32 it stands for (exported in shortest form). */
function float32Spec(spec) {
  const exact = (v) => (Array.isArray(v) ? v.map(exact) : typeof v === "number" ? Math.fround(v) : v);
  return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, k.startsWith("weight") || k.startsWith("bias") || k === "h0" ? exact(v) : v]));
}

function render({ model, el }) {
  const spec = float32Spec(model.get("spec"));
  const labels = model.get("labels");
  const presets = model.get("presets") ?? [];
  const maxSteps = model.get("max_steps") ?? 60;
  const H = spec.hidden_size;
  const id = `gatelab-sequence-${Math.random().toString(36).slice(2, 10)}`;

  const root = ui.root(el, "gatelab-sequence", `
    .gatelab-sequence .gatelab-controls { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
    .gatelab-sequence .gatelab-controls > span { display: flex; align-items: center; gap: 0.4em; min-width: 0; }
    .gatelab-sequence label { white-space: nowrap; }
    .gatelab-sequence .gatelab-text { flex: 1 1 18em; }
    .gatelab-sequence input[type=text] { flex: 1 1 auto; min-width: 0; width: 100%; padding: 0.15em 0.3em; }
    .gatelab-sequence input[aria-invalid=true] { outline: 2px solid var(--gl-error); }
    .gatelab-sequence .gatelab-error { color: var(--gl-error); min-height: 1.4em; margin: 2px 0; }
    .gatelab-sequence .gatelab-stale svg { opacity: 0.35; }
    .gatelab-sequence .gatelab-legend span { margin-right: 1.2em; white-space: nowrap; }`, FONT + 1);
  const writer = ui.writer(model); // the text back to the kernel, when there is one
  const controls = plot.htmlNode("div", { class: "gatelab-controls" }, root);
  let select = null;
  if (presets.length) {
    const row = plot.htmlNode("span", {}, controls);
    plot.htmlNode("label", { for: `${id}-preset` }, row, labels.example);
    select = plot.htmlNode("select", { id: `${id}-preset` }, row);
    plot.htmlNode("option", { value: -1, hidden: "" }, select, "…"); // shown for the learner's own
    presets.forEach(([name], k) => plot.htmlNode("option", { value: k }, select, name));
  }
  /** The example whose text is in the input, or "…" for the learner's own. */
  function showExample() {
    if (select) select.value = String(presets.findIndex(([, text]) => text === input.value));
  }
  const textRow = plot.htmlNode("span", { class: "gatelab-text" }, controls);
  plot.htmlNode("label", { for: `${id}-text` }, textRow, labels.input);
  const input = plot.htmlNode("input", { id: `${id}-text`, type: "text", inputmode: "decimal",
                                         spellcheck: "false", autocomplete: "off",
                                         "aria-describedby": `${id}-error` }, textRow);
  input.value = model.get("text") ?? "";
  const message = plot.htmlNode("div", { id: `${id}-error`, class: "gatelab-error gl-error", "aria-live": "polite" }, root);
  ui.tools(root, id, labels, (event) => {
    input.value = presets.length ? presets[0][1] : "";
    showExample();
    update(event, true);
    write();
  }, () => draw());
  const figureBox = plot.htmlNode("div", { class: "gatelab-figure" }, root);
  const fig = plot.figure(figureBox, { className: "gatelab-states" });
  const legend = plot.htmlNode("div", { class: "gatelab-legend", "aria-hidden": "true" }, root);
  for (let k = 0; k < H; k++) {
    const item = plot.htmlNode("span", {}, legend);
    const swatch = plot.svgNode("svg", { width: 24, height: 10 }, item);
    plot.svgNode("line", { x1: 0, x2: 24, y1: 5, y2: 5, stroke: UNIT_COLORS[k % UNIT_COLORS.length], "stroke-width": 2 }, swatch);
    item.append(` h${k + 1}`);
  }

  let shown = null; // {x, h}: the last input that parsed, and its run
  let errorTimer = null;

  function draw() {
    if (!shown) return;
    const { x, h } = shown;
    const T = x.length;
    const scale = ui.scaleOf(root);
    const font = FONT * scale;
    const [xHeight, hHeight] = [X_HEIGHT * scale, H_HEIGHT * scale];
    const width = fig.resize(Math.round(xHeight + hHeight + 5 * font + 30));
    fig.clear();
    const left = 44 * scale;
    const plotWidth = width - left - 8;
    const xDomain = [0.5, T + 0.5];
    const xTicks = plot.ticks(1, T, Math.max(2, Math.min(T - 1, Math.floor(plotWidth / (60 * scale))))).filter((t) => Number.isInteger(t) && t >= 1);
    const peak = plot.roundLimit(x); // ±1, ±2 or ±5: the axis moves only in round steps
    const xPanel = plot.panel(fig.svg, { x: left, y: font + 6, width: plotWidth, height: xHeight - 8, xDomain,
                                         yDomain: [-peak * 1.1, peak * 1.1], fontSize: font,
                                         yTicks: [-peak, 0, peak], tickFormat: (v) => plot.format(v, Number.isInteger(v) ? 0 : 1),
                                         title: labels.x });
    xPanel.hline(0);
    const step = Math.abs(xPanel.x(2) - xPanel.x(1));
    x.forEach((v, t) => {
      const top = Math.min(xPanel.y(v), xPanel.y(0));
      plot.svgNode("rect", { x: xPanel.x(t + 1) - 0.3 * step, y: top, width: 0.6 * step,
                             height: Math.abs(xPanel.y(v) - xPanel.y(0)), fill: X_COLOR, "fill-opacity": 0.8 }, xPanel.g);
    });
    const hPanel = plot.panel(fig.svg, { x: left, y: xHeight + 2 * font + 14, width: plotWidth, height: hHeight - 4,
                                         xDomain, yDomain: [-1.05, 1.05], fontSize: font, yTicks: [-1, 0, 1],
                                         xTicks, xLabel: labels.time, title: labels.hidden });
    hPanel.hline(0);
    for (let k = 0; k < H; k++) {
      const color = UNIT_COLORS[k % UNIT_COLORS.length];
      const points = h.map((row, t) => [hPanel.x(t + 1), hPanel.y(row[k])]);
      plot.svgNode("polyline", { fill: "none", stroke: color, "stroke-width": 1.5, class: `gatelab-unit-${k}`,
                                 points: points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ") }, hPanel.g);
      if (T <= 60) for (const [a, b] of points) plot.svgNode("circle", { cx: a.toFixed(1), cy: b.toFixed(1), r: 2.2, fill: color }, hPanel.g);
    }
    const last = h[T - 1].map((v, k) => `h${k + 1} = ${plot.format(v)}`).join(", ");
    let [peakStep, peakValue] = [1, 0];
    h.forEach((row, t) => row.forEach((v) => { if (Math.abs(v) > Math.abs(peakValue)) [peakStep, peakValue] = [t + 1, v]; }));
    fig.describe(ui.fill(labels.alt, { steps: T, units: H, peak: plot.format(peakValue), step: peakStep, last }));
  }

  /** Read the input; draw its run, or say what to fix (now, or after a pause in typing). */
  function update(event, now) {
    const start = ui.inputStart(event);
    clearTimeout(errorTimer);
    const parsed = parse(input.value, labels, maxSteps);
    if (parsed.error) {
      const say = () => {
        message.textContent = parsed.error;
        input.setAttribute("aria-invalid", "true");
        figureBox.classList.add("gatelab-stale");
      };
      if (now) say();
      else errorTimer = setTimeout(say, ERROR_DELAY);
      return;
    }
    message.textContent = "";
    input.removeAttribute("aria-invalid");
    figureBox.classList.remove("gatelab-stale");
    const trace = cells.run(spec, parsed.values.map((v) => [v]));
    shown = { x: parsed.values, h: trace.h };
    draw();
    if (event) ui.timeFrame("sequence", start, "typed");
  }

  const write = () => writer.write({ text: input.value });

  input.addEventListener("input", (event) => {
    update(event, false);
    showExample();
    write();
  });
  input.addEventListener("change", (event) => update(event, true)); // Enter, or leaving the input
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") update(event, true);
  });
  if (select) {
    select.addEventListener("change", (event) => {
      input.value = presets[Number(select.value)][1];
      update(event, true);
      write();
    });
  }
  const fromModel = () => { // text set from Python
    if (writer.busy || model.get("text") === input.value) return;
    input.value = model.get("text");
    showExample();
    update(null, true);
  };
  model.on("change:text", fromModel);
  ui.keepKeys(root);
  const stopFitting = plot.fit(figureBox, draw);
  const stopFonts = ui.onFonts(draw);
  // the page's own hook, for tests and benchmarks: what the page read and computed
  root.gatelab = { parse: (text) => parse(text, labels, maxSteps), shown: () => shown };
  showExample();
  update(null, true);
  if (!figureBox.clientWidth) requestAnimationFrame(draw); // drawn again once it has a width
  return () => {
    stopFitting();
    stopFonts();
    clearTimeout(errorTimer);
    model.off("change:text", fromModel);
  };
}

export default { render };
