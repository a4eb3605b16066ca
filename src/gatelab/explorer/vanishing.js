// Chapter 1's spectral-radius explorer (gatelab.explorer.VanishingWidget): set the spectral
// radius ρ of a random tanh RNN's W_hh on a continuous slider and see its hidden states and the
// gradient through time ‖∂h_T/∂h_t‖ (log scale), with gradient clipping on or off; computed HERE
// by bptt.js from the network's own weights, for every ρ, with no kernel.
//
// Assembly (gatelab.explorer.module("vanishing")): an ENTRY file over the libraries plot.js and
// bptt.js; it ends with `export default { render };`.
//
// The model (anywidget's, or host.js's stand-in) holds: network (see vanishing.network() in
// Python), threshold (‖∂L/∂W_hh‖ at ρ = 1 in float32; the page recomputes it), radius, clip,
// labels (every word shown, translated). radius and clip are written back. Reset: ρ = 1, clipping
// off; the text-size control scales the text and the figures.
//
// Shared with the other explorers (ui.js): the font stack, theme colours, reset and text-size
// controls, JupyterLab shortcut guard, redraw on a web font's arrival, and the frame-latency
// samples {explorer: "vanishing", kind, ms, work, frame} in window.gatelabFrames, kind "computed"
// or "cached" (every slider position is computed ahead, in a worker).
//
// Axes: fixed, whatever ρ: h[t] on [−1, 1] (tanh), the gradient norms on 1e-20 … 1e4 (every ρ from
// 0.5 to 1.5 fits), as plots.vanishing draws them.

import * as bptt from "./bptt.js";
import * as plot from "./plot.js";
import * as ui from "./ui.js";

const GRAD = "stroke: var(--gl-grad)"; // lighter on a dark theme (ui.js)
const FAINT = "stroke: var(--gl-faint)";
const UNIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                     "#7f7f7f"]; // matplotlib's, as in the notebook's figure
const SHOWN_UNITS = 8;
const NORM_DOMAIN = [1e-20, 1e4]; // plots.vanishing's y-limits: every ρ from 0.5 to 1.5
const FONT = 13; // px
const PANEL_HEIGHT = 250; // px, one figure
const SLIDER = { min: 0.5, max: 1.5, step: 0.01 };
const SLIDER_VALUES = Array.from({ length: Math.round((SLIDER.max - SLIDER.min) / SLIDER.step) + 1 },
                                 (_, k) => (Math.round(SLIDER.min * 100) + k) / 100); // as the slider's value parses

/** plots._number: 6.97, 51.6, 2,754. */
function number(value) {
  return value >= 1000 ? Math.round(value).toLocaleString("en-US") : String(Number(value.toPrecision(3)));
}

/** 10⁻²⁰: a power of ten as plots._log_axis labels it. */
function power(v) {
  const superscript = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  return `10${String(Math.round(Math.log10(v))).replace(/./g, (c) => superscript[c])}`;
}

/** The first significant digits of a small or large positive number: 1.9e-18, 591. */
function short(v) {
  return v >= 1e-3 && v < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(1);
}

function render({ model, el }) {
  const network = model.get("network");
  const labels = model.get("labels");
  const T = network.x.length;
  const id = `gatelab-vanishing-${Math.random().toString(36).slice(2)}`;
  const cache = new Map(); // ρ -> result: the clipping toggle needs no recomputation
  // the threshold: ‖∂L/∂W_hh‖ at ρ = 1, computed here as every other norm is (Python's float32
  // value, model "threshold", differs in the 7th digit; this one makes ρ = 1 exactly unclipped)
  const threshold = result(1).weightGradNorm;

  const root = ui.root(el, "gatelab-vanishing", `
    .gatelab-vanishing .gatelab-controls { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
    .gatelab-vanishing input[type=range] { width: min(260px, 60vw); vertical-align: middle; margin: 0 0.4em; }
    .gatelab-vanishing .gatelab-figures { display: flex; flex-wrap: wrap; gap: 8px 16px; }
    .gatelab-vanishing .gatelab-figure { flex: 1 1 300px; min-width: 0; }
    .gatelab-vanishing .gatelab-caption { font-weight: 600; min-height: 2.6em; }
    .gatelab-vanishing .gatelab-legend span { margin-right: 1.2em; white-space: nowrap; }`, FONT + 1);
  const writer = ui.writer(model); // radius and clip back to the kernel, when there is one
  const controls = plot.htmlNode("div", { class: "gatelab-controls" }, root);
  const sliderRow = plot.htmlNode("span", {}, controls);
  plot.htmlNode("label", { for: `${id}-radius` }, sliderRow, `${labels.radius} `);
  const slider = plot.htmlNode("input", { id: `${id}-radius`, type: "range", ...SLIDER, value: model.get("radius") }, sliderRow);
  const output = plot.htmlNode("output", { for: slider.id }, sliderRow);
  const clipRow = plot.htmlNode("span", {}, controls);
  const clip = plot.htmlNode("input", { id: `${id}-clip`, type: "checkbox" }, clipRow);
  const clipLabel = plot.htmlNode("label", { for: clip.id }, clipRow);
  plot.htmlNode("span", { "aria-hidden": "true" }, clipLabel, " ✂ ");
  clipLabel.append(labels.clip);
  ui.tools(root, id, labels, (event) => {
    slider.value = 1;
    clip.checked = false;
    changed(event);
  }, () => {
    panels = null; // the figures again, at the new text size
    draw();
  });

  const figures = plot.htmlNode("div", { class: "gatelab-figures" }, root);
  const left = plot.htmlNode("div", { class: "gatelab-figure" }, figures);
  const leftCaption = plot.htmlNode("div", { class: "gatelab-caption", "aria-hidden": "true" }, left);
  const leftFig = plot.figure(left, { className: "gatelab-hidden" });
  const right = plot.htmlNode("div", { class: "gatelab-figure" }, figures);
  const rightCaption = plot.htmlNode("div", { class: "gatelab-caption", "aria-hidden": "true" }, right);
  const rightFig = plot.figure(right, { className: "gatelab-norms" });
  const legend = plot.htmlNode("div", { class: "gatelab-legend", "aria-hidden": "true" }, right);

  function result(radius) {
    if (!cache.has(radius)) cache.set(radius, bptt.experiment(network, radius));
    return cache.get(radius);
  }

  // Every slider position computed ahead, nearest to the current ρ first: in a worker, on
  // another core, or where a page forbids workers, one position per idle moment here (a
  // computation takes about a frame; drawing a computed one, a fraction of a millisecond).
  let stopped = false;
  const idle = window.requestIdleCallback ?? ((f) => setTimeout(() => f({ timeRemaining: () => 50 }), 20));
  function nearestFirst() {
    const current = Number(slider.value);
    return SLIDER_VALUES.filter((r) => !cache.has(r))
      .sort((a, b) => Math.abs(a - current) - Math.abs(b - current));
  }
  function precompute(deadline) {
    if (stopped) return;
    const next = nearestFirst()[0];
    if (next === undefined) return;
    if (deadline.timeRemaining() > 12) result(next);
    idle(precompute);
  }
  let worker = null;
  function startWorker() {
    try {
      const url = URL.createObjectURL(new Blob([bptt.workerSource()], { type: "text/javascript" }));
      worker = new Worker(url);
      URL.revokeObjectURL(url);
    } catch {
      return idle(precompute); // no workers here (a strict Content-Security-Policy)
    }
    worker.onmessage = ({ data }) => {
      if (!cache.has(data.radius)) cache.set(data.radius, data.result);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      worker = null;
      idle(precompute);
    };
    worker.postMessage({ network, radii: nearestFirst() });
  }

  // The panels are laid out once per width; a change of ρ or clipping only moves lines and
  // rewrites text (a fraction of a millisecond).
  let panels = null; // {width, hidden: {p, lines}, norms: {p, raw, clipped}}

  function layout() {
    const scale = ui.scaleOf(root);
    const font = FONT * scale;
    const total = Math.round(PANEL_HEIGHT * scale);
    const height = total - 3 * font - 24; // room for the title above, the axis below
    const top = font + 8;
    const widths = [leftFig.resize(total), rightFig.resize(total)];
    leftFig.clear();
    rightFig.clear();
    const xTicks = (width) => plot.ticks(0, T, Math.max(2, Math.floor(width / (90 * scale)))).filter((t) => t >= 1);
    const hidden = plot.panel(leftFig.svg, {
      x: 44 * scale, y: top, width: widths[0] - 52 * scale, height, xDomain: [1, T], yDomain: [-1.05, 1.05],
      fontSize: font, yTicks: [-1, -0.5, 0, 0.5, 1], xTicks: xTicks(widths[0]), xLabel: labels.time,
      title: labels.hidden });
    hidden.hline(0);
    const units = Math.min(SHOWN_UNITS, network.w.length);
    const lines = Array.from({ length: units }, (_, k) =>
      hidden.line([], { stroke: UNIT_COLORS[k], "stroke-width": 1.3 }));
    const norms = plot.panel(rightFig.svg, {
      x: 52 * scale, y: top, width: widths[1] - 60 * scale, height, xDomain: [1, T], yDomain: NORM_DOMAIN, yLog: true,
      fontSize: font, yTicks: plot.logTicks(...NORM_DOMAIN, 6), tickFormat: power,
      xTicks: xTicks(widths[1]), xLabel: labels.time, title: labels.norm });
    const raw = norms.line([], { "stroke-width": 2.2 });
    const clipped = norms.line([], { style: GRAD, "stroke-width": 2.2 });
    panels = { widths: widths.join(), hidden: { p: hidden, lines }, norms: { p: norms, raw, clipped } };
  }

  function drawHidden(r) {
    const { p, lines } = panels.hidden;
    lines.forEach((line, k) => p.update(line, r.h.map((row) => row[k])));
    const last = r.h[T - 1].slice(0, lines.length);
    leftFig.describe(ui.fill(labels.hidden_alt, { steps: T, radius: r.radius,
      low: plot.format(Math.min(...last)), high: plot.format(Math.max(...last)) }));
  }

  function drawNorms(r, clipped, factor) {
    const { p, raw, clipped: scaled } = panels.norms;
    const shown = (values) => values.map((v) => Math.min(Math.max(v, NORM_DOMAIN[0]), NORM_DOMAIN[1]));
    p.update(raw, shown(r.norms));
    const style = clipped ? { style: FAINT, "stroke-width": 1.5, "stroke-dasharray": "5 3" }
      : { style: GRAD, "stroke-width": 2.2, "stroke-dasharray": "none" };
    for (const [key, value] of Object.entries(style)) raw.setAttribute(key, value);
    scaled.style.display = clipped ? "" : "none";
    if (clipped) p.update(scaled, shown(r.norms.map((v) => v * factor)));
    const norms = clipped ? r.norms.map((v) => v * factor) : r.norms;
    rightFig.describe(`${rightCaption.textContent} ${ui.fill(labels.norm_alt, {
      first: short(norms[0]), last: short(norms[T - 1]), steps: T })}`);
  }

  function legendFor(clipped) {
    if (legend.dataset.clipped === String(clipped)) return;
    legend.dataset.clipped = clipped;
    legend.replaceChildren();
    const items = clipped
      ? [[labels.raw, { style: FAINT, "stroke-dasharray": "5 3" }], [labels.clipped, { style: GRAD }]]
      : [[labels.raw, { style: GRAD }]];
    for (const [text, style] of items) {
      const item = plot.htmlNode("span", {}, legend);
      const swatch = plot.svgNode("svg", { width: 24, height: 10, "aria-hidden": "true" }, item);
      plot.svgNode("line", { x1: 0, x2: 24, y1: 5, y2: 5, "stroke-width": 2, ...style }, swatch);
      item.append(` ${text}`);
    }
  }

  let drawn = null; // the setting on screen, "ρ clip", and the width it was drawn at

  function draw(force = true) {
    const radius = Number(slider.value); // the controls are the page's state
    const clipped = clip.checked;
    const setting = `${radius} ${clipped} ${root.clientWidth}`;
    if (!force && setting === drawn) return; // the controls' own change, drawn already
    drawn = setting;
    output.textContent = radius.toFixed(2);
    const r = result(radius);
    const factor = bptt.clipFactor(threshold, r.weightGradNorm);
    leftCaption.textContent = ui.fill(labels.title, { radius });
    const values = { raw: number(r.weightGradNorm), threshold: number(threshold) };
    rightCaption.textContent = !clipped ? ui.fill(labels.title_raw, values)
      : ui.fill(factor < 1 ? labels.title_clipped : labels.title_kept, values);
    const widths = [left.clientWidth, right.clientWidth].map((w) => Math.max(120, Math.floor(w || 480))).join();
    if (!panels || panels.widths !== widths) layout();
    drawHidden(r);
    drawNorms(r, clipped, factor);
    legendFor(clipped);
    root.dataset.clipFactor = factor; // for tests and curious readers
  }

  function changed(event) {
    const start = ui.inputStart(event);
    const kind = cache.has(Number(slider.value)) ? "cached" : "computed";
    writer.write({ radius: Number(slider.value), clip: clip.checked });
    draw(false);
    ui.timeFrame("vanishing", start, kind);
  }

  slider.addEventListener("input", changed);
  clip.addEventListener("change", changed);
  const onModel = () => { // a radius or clip set from Python
    if (writer.busy) return;
    slider.value = model.get("radius");
    clip.checked = Boolean(model.get("clip"));
    draw(false);
  };
  model.on("change:radius", onModel);
  model.on("change:clip", onModel);
  ui.keepKeys(root);
  const unfit = plot.fit(root, draw);
  // Text drawn before a web font arrives (the lessons' embedded Bengali and Devanagari faces)
  // may keep its fallback boxes in Chromium: lay out again and write the captions anew.
  const refont = () => {
    panels = null;
    leftCaption.textContent = rightCaption.textContent = "";
    draw();
  };
  const stopFonts = ui.onFonts(refont);
  clip.checked = Boolean(model.get("clip"));
  // the page's own hook, for tests and benchmarks: the numbers drawn
  root.gatelab = { result: () => result(Number(slider.value)), threshold: () => threshold,
                   computed: () => cache.size, positions: SLIDER_VALUES.length };
  draw();
  startWorker();
  return () => {
    stopped = true;
    worker?.terminate();
    unfit();
    stopFonts();
    model.off("change:radius", onModel);
    model.off("change:clip", onModel);
  };
}

export default { render };
