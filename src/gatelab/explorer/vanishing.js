// The page side of gatelab.explorer.VanishingWidget (anywidget; also run by host.js in the HTML
// lesson): Chapter 1's spectral-radius explorer, computed here for any ρ.
//
// The network is models.radius_experiment's: h_t = tanh(W_ih x_t + W_hh h_{t−1}), H = 32 units,
// no bias, W_hh = fl32(w · fl32(ρ / ρ(w))) exactly as models.random_rnn makes it in float32,
// run over a batch of B = 4 small random inputs. Computed in float64 from those float32 weights:
//   hidden states       h_t (T, B, H)
//   gradient norms      ‖∂h_T/∂h_t‖_F, averaged over the batch (cells.gradient_norms):
//                       ∂h_T/∂h_{t−1} = ∂h_T/∂h_t · diag(1 − h_t²) · W_hh, starting from I at t = T
//   weight gradient     ‖∂L/∂W_hh‖ for L = Σ_b Σ_k h_T[b, k] (models._weight_grad_norm)
//   clipping            factor = min(1, threshold / ‖∂L/∂W_hh‖), threshold = that norm at ρ = 1
// Every redraw is timed from the input event to the frame painted after it, in
// window.gatelabFrames ({explorer, ms}).

import * as plot from "./plot.js";

const COLORS = { grad: "#7a4fb0", faint: "#9a9a9a" };
const UNIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                     "#7f7f7f"]; // matplotlib's, as in the notebook's figure
const SHOWN_UNITS = 8;
const NORM_DOMAIN = [1e-20, 1e4]; // plots.vanishing's y-limits: every ρ from 0.5 to 1.5
const FONT = 13; // px
const PANEL_HEIGHT = 250; // px, one figure

/** The float32 network of radius ρ from the exported numbers: {W (H·H row-major), U (H), x}. */
export function weightsAt(network, radius) {
  const H = network.w.length;
  const factor = Math.fround(radius / network.spectral_radius);
  const W = new Float64Array(H * H);
  network.w.forEach((row, i) => row.forEach((v, j) => {
    W[i * H + j] = Math.fround(Math.fround(v) * factor);
  }));
  const U = Float64Array.from(network.weight_ih, (row) => Math.fround(row[0]));
  const x = network.x.map((row) => Float64Array.from(row, Math.fround)); // (T, B)
  return { H, W, U, x };
}

/** Hidden states (T, B, H) as an array of T Float64Arrays of B·H. */
function forward({ H, W, U, x }) {
  const B = x[0].length;
  let h = new Float64Array(B * H);
  return x.map((xt) => {
    const next = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < H; i++) {
        let z = U[i] * xt[b];
        for (let j = 0; j < H; j++) z += W[i * H + j] * h[b * H + j];
        next[b * H + i] = Math.tanh(z);
      }
    }
    h = next;
    return next;
  });
}

/** ‖∂h_T/∂h_t‖_F for t = 1 … T, averaged over the batch: (T). */
function gradientNorms({ H, W }, hs) {
  const T = hs.length;
  const B = hs[0].length / H;
  const norms = new Float64Array(T);
  let M = new Float64Array(H * H);
  let N = new Float64Array(H * H);
  const d = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    M.fill(0);
    for (let i = 0; i < H; i++) M[i * H + i] = 1; // ∂h_T/∂h_T = I
    for (let t = T - 1; t >= 0; t--) {
      let squared = 0;
      for (let k = 0; k < H * H; k++) squared += M[k] * M[k];
      norms[t] += Math.sqrt(squared) / B;
      if (t === 0) break;
      for (let j = 0; j < H; j++) d[j] = 1 - hs[t][b * H + j] ** 2; // tanh' at step t
      N.fill(0); // N = M · diag(d) · W
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) {
          const a = M[i * H + j] * d[j];
          if (a === 0) continue;
          for (let k = 0; k < H; k++) N[i * H + k] += a * W[j * H + k];
        }
      }
      [M, N] = [N, M];
    }
  }
  return norms;
}

/** ‖∂L/∂W_hh‖ for L = the sum of the last hidden state over units and batch. */
function weightGradNorm({ H, W }, hs) {
  const T = hs.length;
  const B = hs[0].length / H;
  const grad = new Float64Array(H * H);
  const delta = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    let g = new Float64Array(H).fill(1); // ∂L/∂h_T
    for (let t = T - 1; t >= 0; t--) {
      for (let i = 0; i < H; i++) delta[i] = g[i] * (1 - hs[t][b * H + i] ** 2);
      const next = new Float64Array(H);
      for (let i = 0; i < H; i++) {
        if (t > 0) for (let j = 0; j < H; j++) grad[i * H + j] += delta[i] * hs[t - 1][b * H + j];
        for (let j = 0; j < H; j++) next[j] += delta[i] * W[i * H + j];
      }
      g = next;
    }
  }
  return Math.sqrt(grad.reduce((sum, v) => sum + v * v, 0));
}

/** radius_experiment(ρ) computed here: {radius, h (T, H) of the first sequence, norms (T),
 * weightGradNorm}. */
export function experiment(network, radius) {
  const weights = weightsAt(network, radius);
  const hs = forward(weights);
  const H = weights.H;
  return { radius, h: hs.map((row) => Array.from(row.subarray(0, H))),
           norms: Array.from(gradientNorms(weights, hs)), weightGradNorm: weightGradNorm(weights, hs) };
}

/** min(1, threshold / ‖g‖): what clipping multiplies the gradient by. */
export function clipFactor(threshold, norm) {
  return Math.min(1, threshold / Math.max(norm, 1e-30));
}

/** plots._number: 6.97, 51.6, 2,754. */
export function number(value) {
  return value >= 1000 ? Math.round(value).toLocaleString("en-US") : String(Number(value.toPrecision(3)));
}

/** A Python format template's fields filled in: {name} and {name:.2f}. */
export function fill(template, values) {
  return template.replace(/\{(\w+)(?::\.(\d+)f)?\}/g, (whole, name, digits) => {
    if (!(name in values)) return whole;
    return digits === undefined ? String(values[name]) : Number(values[name]).toFixed(Number(digits));
  });
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

/** Time an update from the input event to the frame painted after it. */
function timed(name, start) {
  requestAnimationFrame(() => {
    // the rAF callback runs before this frame's paint; a message posted now is handled after it
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      window.gatelabFrames = window.gatelabFrames || [];
      window.gatelabFrames.push({ explorer: name, ms: performance.now() - start });
      performance.measure(`gatelab ${name} frame`, { start, end: performance.now() });
    };
    channel.port2.postMessage(null);
  });
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

  const root = plot.htmlNode("div", { class: "gatelab-explorer gatelab-vanishing" }, el);
  root.style.fontFamily = 'var(--jp-content-font-family, sans-serif), "gatelab Noto Sans Bengali", ' +
    '"gatelab Noto Sans Devanagari", "Noto Sans Bengali", "Noto Sans Devanagari"';
  root.style.fontSize = `${FONT + 1}px`;
  plot.htmlNode("style", {}, root).textContent = `
    .gatelab-vanishing input, .gatelab-vanishing output, .gatelab-vanishing label { font: inherit; }
    .gatelab-vanishing .gatelab-controls { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
    .gatelab-vanishing input[type=range] { width: min(260px, 60vw); vertical-align: middle; }
    .gatelab-vanishing .gatelab-figures { display: flex; flex-wrap: wrap; gap: 8px 16px; }
    .gatelab-vanishing .gatelab-figure { flex: 1 1 300px; min-width: 0; }
    .gatelab-vanishing .gatelab-caption { font-weight: 600; min-height: 2.6em; }
    .gatelab-vanishing .gatelab-legend span { margin-right: 1.2em; white-space: nowrap; }`;
  const controls = plot.htmlNode("div", { class: "gatelab-controls" }, root);
  const sliderRow = plot.htmlNode("span", {}, controls);
  plot.htmlNode("label", { for: `${id}-radius` }, sliderRow, `${labels.radius} `);
  const slider = plot.htmlNode("input", { id: `${id}-radius`, type: "range", min: 0.5, max: 1.5,
                                          step: 0.01, value: model.get("radius") }, sliderRow);
  const output = plot.htmlNode("output", { for: slider.id }, sliderRow);
  const clipRow = plot.htmlNode("span", {}, controls);
  const clip = plot.htmlNode("input", { id: `${id}-clip`, type: "checkbox" }, clipRow);
  plot.htmlNode("label", { for: clip.id }, clipRow, ` ✂ ${labels.clip}`);

  const figures = plot.htmlNode("div", { class: "gatelab-figures" }, root);
  const left = plot.htmlNode("div", { class: "gatelab-figure" }, figures);
  const leftCaption = plot.htmlNode("div", { class: "gatelab-caption", "aria-hidden": "true" }, left);
  const leftFig = plot.figure(left, { className: "gatelab-hidden" });
  const right = plot.htmlNode("div", { class: "gatelab-figure" }, figures);
  const rightCaption = plot.htmlNode("div", { class: "gatelab-caption", "aria-hidden": "true" }, right);
  const rightFig = plot.figure(right, { className: "gatelab-norms" });
  const legend = plot.htmlNode("div", { class: "gatelab-legend", "aria-hidden": "true" }, right);

  function result(radius) {
    if (!cache.has(radius)) cache.set(radius, experiment(network, radius));
    return cache.get(radius);
  }

  function drawHidden(r) {
    const width = leftFig.resize(PANEL_HEIGHT);
    leftFig.clear();
    const p = plot.panel(leftFig.svg, {
      x: 44, y: 8, width: width - 52, height: PANEL_HEIGHT - 8 - 2.6 * FONT - 12,
      xDomain: [1, T], yDomain: [-1.05, 1.05], fontSize: FONT, yTicks: [-1, -0.5, 0, 0.5, 1],
      xTicks: plot.ticks(0, T, Math.max(2, Math.floor(width / 90))).filter((t) => t >= 1),
      xLabel: labels.time });
    p.hline(0);
    for (let k = 0; k < Math.min(SHOWN_UNITS, r.h[0].length); k++) {
      p.line(r.h.map((row) => row[k]), { stroke: UNIT_COLORS[k], "stroke-width": 1.3 });
    }
    const last = r.h[T - 1].slice(0, SHOWN_UNITS);
    leftFig.describe(fill(labels.hidden_alt, { steps: T, radius: r.radius,
      low: plot.format(Math.min(...last)), high: plot.format(Math.max(...last)) }));
  }

  function drawNorms(r, clipped, factor) {
    const width = rightFig.resize(PANEL_HEIGHT);
    rightFig.clear();
    const p = plot.panel(rightFig.svg, {
      x: 52, y: 8, width: width - 60, height: PANEL_HEIGHT - 8 - 2.6 * FONT - 12,
      xDomain: [1, T], yDomain: NORM_DOMAIN, yLog: true, fontSize: FONT,
      yTicks: plot.logTicks(...NORM_DOMAIN, 6), tickFormat: power,
      xTicks: plot.ticks(0, T, Math.max(2, Math.floor(width / 90))).filter((t) => t >= 1),
      xLabel: labels.time });
    const shown = (values) => values.map((v) => Math.min(Math.max(v, NORM_DOMAIN[0]), NORM_DOMAIN[1]));
    if (clipped) {
      p.line(shown(r.norms), { stroke: COLORS.faint, "stroke-width": 1.5, "stroke-dasharray": "5 3" });
      p.line(shown(r.norms.map((v) => v * factor)), { stroke: COLORS.grad, "stroke-width": 2.2 });
    } else {
      p.line(shown(r.norms), { stroke: COLORS.grad, "stroke-width": 2.2 });
    }
    const norms = clipped ? r.norms.map((v) => v * factor) : r.norms;
    rightFig.describe(`${rightCaption.textContent} ${fill(labels.norm_alt, {
      first: short(norms[0]), last: short(norms[T - 1]), steps: T })}`);
  }

  function legendFor(clipped) {
    legend.replaceChildren();
    const items = clipped
      ? [[labels.raw, { stroke: COLORS.faint, "stroke-dasharray": "5 3" }], [labels.clipped, { stroke: COLORS.grad }]]
      : [[labels.raw, { stroke: COLORS.grad }]];
    for (const [text, style] of items) {
      const item = plot.htmlNode("span", {}, legend);
      const swatch = plot.svgNode("svg", { width: 24, height: 10, "aria-hidden": "true" }, item);
      plot.svgNode("line", { x1: 0, x2: 24, y1: 5, y2: 5, "stroke-width": 2, ...style }, swatch);
      item.append(` ${text}`);
    }
  }

  let drawn = null; // the setting on screen, "ρ clip", and the width it was drawn at

  function draw(force = true) {
    const radius = Number(model.get("radius"));
    const clipped = Boolean(model.get("clip"));
    const setting = `${radius} ${clipped} ${root.clientWidth}`;
    if (!force && setting === drawn) return; // the controls' own change, drawn already
    drawn = setting;
    slider.value = radius;
    clip.checked = clipped;
    output.textContent = radius.toFixed(2);
    const r = result(radius);
    const factor = clipFactor(threshold, r.weightGradNorm);
    leftCaption.textContent = fill(labels.title, { radius });
    const values = { raw: number(r.weightGradNorm), threshold: number(threshold) };
    rightCaption.textContent = !clipped ? fill(labels.title_raw, values)
      : fill(factor < 1 ? labels.title_clipped : labels.title_kept, values);
    drawHidden(r);
    drawNorms(r, clipped, factor);
    legendFor(clipped);
    root.dataset.clipFactor = factor; // for tests and curious readers
  }

  function changed() {
    const start = performance.now();
    model.set("radius", Number(slider.value));
    model.set("clip", clip.checked);
    model.save_changes();
    draw(false);
    timed("vanishing", start);
  }

  slider.addEventListener("input", changed);
  clip.addEventListener("change", changed);
  const onModel = () => draw(false);
  model.on("change:radius", onModel);
  model.on("change:clip", onModel);
  const unfit = plot.fit(root, draw);
  draw();
  return () => {
    unfit();
    model.off("change:radius", onModel);
    model.off("change:clip", onModel);
  };
}

export default { render };
