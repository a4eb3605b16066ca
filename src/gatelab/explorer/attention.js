// Chapter 6's attention explorer (gatelab.explorer.AttentionWidget): which input tokens each
// output token of an encoder–decoder looked at. Pick an example, step through the output; see the
// input tokens shaded by the current step's attention weights (each weight written under its
// token), the answer so far with the current token highlighted and every token marked right or
// wrong against the target, and the whole heatmap (output steps × input tokens) with the current
// row outlined. Everything is computed here from the examples' plain data: no kernel needed.
//
// Assembly (gatelab.explorer.module("attention")): an ENTRY file over the libraries plot.js and
// ui.js; it ends with `export default { render };`.
//
// The model (anywidget's, or host.js's stand-in) holds: examples ([{source, target, output,
// weights}], weights[t][s] a softmax over the source at output step t), example and step (shown
// now, from 0; written back), end (the end token's label: a target without it at its end is
// compared as if it had it) and labels (every word shown, translated).
//
// Right and wrong: output token t is right when it equals expected[t], where expected is the
// target followed by the end token; an output longer than expected is wrong from there on
// ("should have ended"); one that ends early has its end token marked wrong. At the last step the
// verdict gives the whole answer beside the correct one.
//
// Keys: the step slider takes ← → Home End itself; anywhere else in the explorer (a button, the
// heatmap) ← → ↑ ↓ step and Home End go to the first and last step. The select keeps its keys.
//
// Shared with the other explorers (ui.js): the font stack, theme colours, reset and text-size
// controls, live region, JupyterLab shortcut guard, redraw on a web font's arrival, and the
// frame-latency samples {explorer: "attention", kind, ms, work, frame} in window.gatelabFrames.

import * as plot from "./plot.js";
import * as ui from "./ui.js";

const FONT = 14; // px, the explorer's text
const CELL_FONT = 12; // px, the heatmap's numbers and labels (never smaller)
const RIGHT = "#2b8a3e";

const CSS = `
.gatelab-attention { --gl-attn: #1864ab; }
body[data-jp-theme-light="false"] .gatelab-attention { --gl-attn: #4dabf7; }
.gatelab-attention .gl-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em 0.5em; margin: 0.3em 0; }
.gatelab-attention .gl-row > label { white-space: nowrap; }
.gatelab-attention select.gl-example { flex: 0 1 auto; min-width: 0; max-width: 100%; }
.gatelab-attention .gl-steps { flex-wrap: nowrap; max-width: 36em; }
.gatelab-attention input[type=range] { flex: 1 1 6em; min-width: 3em; margin: 0; }
.gatelab-attention output.gl-where { white-space: nowrap; }
.gatelab-attention .gl-panels { display: flex; flex-wrap: wrap; gap: 0 2em; align-items: flex-start; }
.gatelab-attention .gl-side { flex: 1 1 18em; min-width: 0; max-width: 34em; }
.gatelab-attention .gl-plots { flex: 1 1 18em; min-width: 0; }
.gatelab-attention h4 { font-size: 1em; font-weight: 600; margin: 0.6em 0 0.2em; }
.gatelab-attention .gl-tokens { display: flex; flex-wrap: wrap; gap: 0.3em; margin: 0; padding: 0; list-style: none; }
.gatelab-attention .gl-tokens li { display: flex; flex-direction: column; align-items: center;
  min-width: 2.4em; padding: 0.15em 0.45em; border: 1px solid var(--jp-border-color1, #8a8a8a); border-radius: 4px; }
.gatelab-attention .gl-token { font-size: 1.15em; line-height: 1.5; }
.gatelab-attention .gl-small { font-size: max(12px, 0.86em); font-variant-numeric: tabular-nums; }
.gatelab-attention .gl-strong { color: #fff; }
.gatelab-attention text.gl-strong { fill: #fff; }
body[data-jp-theme-light="false"] .gatelab-attention .gl-strong { color: #111; }
body[data-jp-theme-light="false"] .gatelab-attention text.gl-strong { fill: #111; }
.gatelab-attention .gl-source .gl-top { border: 2px solid var(--gl-text); }
.gatelab-attention .gl-output li.gl-current { outline: 3px solid var(--gl-focus); outline-offset: 1px; background: var(--gl-mark); color: #1a1a1a; }
.gatelab-attention .gl-ok { color: ${RIGHT}; }
body[data-jp-theme-light="false"] .gatelab-attention .gl-ok { color: #8ce99a; }
.gatelab-attention .gl-output li.gl-current .gl-ok { color: ${RIGHT}; }
.gatelab-attention .gl-output li.gl-current .gl-error { color: #b00020; }
.gatelab-attention .gl-bad { border-color: var(--gl-error); border-width: 2px; }
.gatelab-attention .gl-note { margin: 0.2em 0; }
.gatelab-attention .gl-faint { color: var(--gl-faint); }
.gatelab-attention .gl-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.gatelab-attention .gl-heatmap svg { cursor: pointer; }
.gatelab-attention .gl-heat-row text, .gatelab-attention .gl-current-row { pointer-events: none; }
.gatelab-attention button[aria-disabled=true] { opacity: 0.5; cursor: default; }
`;

/** The tokens as one piece of text: digits joined, words spaced. */
function joined(tokens) {
  return tokens.every((t) => [...t].length === 1) ? tokens.join("") : tokens.join(" ");
}

/** What each output token is checked against: the target, then the end token. */
function expectedOf(example, end) {
  const target = example.target;
  return target.length && target[target.length - 1] === end ? target : [...target, end];
}

/** Per output token: {ok, expected} (expected undefined past the expected answer's end). */
function marks(example, end) {
  const expected = expectedOf(example, end);
  return example.output.map((token, t) => ({ ok: token === expected[t], expected: expected[t] }));
}

/** The answer without its end token, for reading. */
function answerText(tokens, end) {
  return joined(tokens.filter((t) => t !== end));
}

/** The index of the largest weight of a row. */
function argmax(row) {
  return row.reduce((best, v, s) => (v > row[best] ? s : best), 0);
}

/** The shade of a weight, as a CSS colour over any background (the theme's attention colour). */
function shade(weight) {
  const pct = Math.round(Math.max(0, Math.min(1, weight)) * 100);
  return `color-mix(in srgb, var(--gl-attn) ${pct}%, transparent)`;
}

function render({ model, el }) {
  let examples = model.get("examples"); // replaced when Python sets new ones
  const labels = model.get("labels");
  const end = model.get("end") ?? "<end>";
  const id = `gatelab-attention-${Math.random().toString(36).slice(2, 10)}`;
  let current = Math.min(Math.max(0, model.get("example") ?? 0), examples.length - 1);
  let step = 0;

  const root = ui.root(el, "gatelab-attention", CSS, FONT);
  const writer = ui.writer(model);
  const live = ui.liveRegion(root);
  const html = plot.htmlNode;

  // the example and the step
  const exampleRow = html("div", { class: "gl-row" }, root);
  html("label", { for: `${id}-example` }, exampleRow, labels.example);
  const select = html("select", { id: `${id}-example`, class: "gl-example" }, exampleRow);
  /** One option per example: its input, the model's answer, and whether it is right. */
  function options() {
    select.replaceChildren();
    examples.forEach((example, k) => {
      const ok = marks(example, end).every((m) => m.ok) && example.output.length === expectedOf(example, end).length;
      html("option", { value: k }, select,
           `${joined(example.source)} → ${answerText(example.output, end)} ${ok ? "✓" : "✗"}`);
    });
  }
  options();
  const whereRow = html("div", { class: "gl-row" }, root);
  html("label", { for: `${id}-step` }, whereRow, labels.step);
  const where = html("output", { for: `${id}-step`, class: "gl-where" }, whereRow);
  const stepRow = html("div", { class: "gl-row gl-steps" }, root);
  const previous = html("button", { type: "button", class: "gl-previous" }, stepRow, `◀ ${labels.previous}`);
  const slider = html("input", { id: `${id}-step`, type: "range", min: 1, step: 1 }, stepRow);
  const next = html("button", { type: "button", class: "gl-next" }, stepRow, `${labels.next} ▶`);

  // what the current step shows, beside the heatmap on a wide screen, above it on a phone
  const panels = html("div", { class: "gl-panels" }, root);
  const side = html("div", { class: "gl-side" }, panels);
  html("h4", { id: `${id}-source` }, side, labels.source);
  const source = html("ul", { class: "gl-tokens gl-source", "aria-labelledby": `${id}-source` }, side);
  html("h4", { id: `${id}-output` }, side, labels.output);
  const output = html("ul", { class: "gl-tokens gl-output", "aria-labelledby": `${id}-output` }, side);
  const targetLine = html("p", { class: "gl-note" }, side);
  const verdict = html("p", { class: "gl-note gl-verdict" }, side);

  // the heatmap
  const plots = html("div", { class: "gl-plots" }, panels);
  html("h4", {}, plots, labels.heatmap);
  html("p", { class: "gl-note gl-small gl-faint" }, plots, labels.legend);
  const figureBox = html("div", { class: "gl-heatmap" }, plots);
  const fig = plot.figure(figureBox, { className: "gl-heatmap-plot" });
  fig.svg.setAttribute("tabindex", "0"); // the arrow keys step here too
  html("p", { class: "gl-note gl-small gl-faint" }, root, labels.keys);
  ui.tools(root, id, labels, (event) => show(0, 0, event, "reset"), () => drawHeatmap());

  const example = () => examples[current];

  /** The input tokens shaded by this step's weights, each weight written under its token. */
  function drawSource() {
    const { source: tokens, weights } = example();
    const row = weights[step];
    const top = argmax(row);
    source.replaceChildren();
    tokens.forEach((token, s) => {
      const weight = row[s];
      const item = html("li", { class: s === top ? "gl-top" : null, "data-weight": weight,
                                title: ui.fill(labels.weight_of, { token, weight: plot.format(weight, 3) }) }, source);
      item.style.background = shade(weight);
      if (weight >= 0.55) item.classList.add("gl-strong");
      html("span", { class: "gl-token" }, item, token);
      html("span", { class: "gl-small gl-weight" }, item, plot.format(weight, 2));
    });
  }

  /** The answer up to this step, the current token highlighted, each marked right or wrong. */
  function drawOutput() {
    const { output: tokens } = example();
    const checks = marks(example(), end);
    output.replaceChildren();
    tokens.slice(0, step + 1).forEach((token, t) => {
      const { ok, expected } = checks[t];
      const item = html("li", { class: `${t === step ? "gl-current" : ""} ${ok ? "" : "gl-bad"}`.trim() || null,
                                "aria-current": t === step ? "step" : null, "data-ok": ok }, output);
      html("span", { class: "gl-token" }, item, token);
      const why = ok ? labels.right : expected === undefined ? labels.extra : ui.fill(labels.wrong, { expected });
      const mark = html("span", { class: `gl-small gl-mark ${ok ? "gl-ok" : "gl-error"}`, title: why }, item);
      html("span", { "aria-hidden": "true" }, mark, ok ? "✓" : `✗ ${expected ?? ""}`.trim());
      html("span", { class: "gl-sr" }, mark, why); // what a screen reader says instead
    });
    const expected = expectedOf(example(), end);
    targetLine.textContent = `${labels.target}: ${answerText(expected, end)}`;
    const right = checks.every((m) => m.ok) && tokens.length === expected.length;
    if (step < tokens.length - 1) {
      verdict.textContent = "";
    } else if (right) {
      verdict.textContent = `✓ ${labels.verdict_right}`;
      verdict.className = "gl-note gl-verdict gl-ok";
    } else {
      verdict.textContent = `✗ ${ui.fill(labels.verdict_wrong, { answer: answerText(tokens, end) || "∅",
                                                               target: answerText(expected, end) })}`;
      verdict.className = "gl-note gl-verdict gl-error";
    }
  }

  /** The width of each text in px at font size `size` (SVG text measured, then removed). */
  function textWidths(texts, size) {
    const g = plot.svgNode("g", { "aria-hidden": "true" }, fig.svg);
    const widths = texts.map((text) => {
      const node = plot.svgNode("text", { "font-size": size }, g);
      node.textContent = text;
      return node.getComputedTextLength();
    });
    g.remove();
    return widths;
  }

  /** The output × input heatmap, the current row outlined; a click on a row goes to its step. */
  function drawHeatmap() {
    const { source: tokens, output: out, weights } = example();
    const checks = marks(example(), end);
    const scale = ui.scaleOf(root);
    const font = CELL_FONT * scale;
    const width = Math.max(120, Math.floor(figureBox.clientWidth || 480));
    fig.clear();
    const rowLabels = out.map((token, t) => `${token} ${checks[t].ok ? "✓" : "✗"}`);
    const left = Math.max(...textWidths(rowLabels, font)) + 10;
    const columnWidths = textWidths(tokens, font);
    const widest = Math.max(...columnWidths);
    const widestColumn = Math.max(font * 6, widest + 16); // a wide screen: no wider than this
    let right = 4;
    let column = Math.min(widestColumn, (width - left - right) / tokens.length);
    const slanted = widest > column - 4;
    if (slanted) { // labels at 45°: the last one needs room on the right
      right = Math.max(4, widest * Math.SQRT1_2 - column / 2 + 4);
      column = Math.min(widestColumn, (width - left - right) / tokens.length);
    }
    const top = (slanted ? widest * Math.SQRT1_2 + font * 0.8 : font * 1.5) + 4;
    const rowHeight = Math.round(Math.max(font * 1.75, 20 * scale));
    fig.resize(Math.ceil(top + rowHeight * out.length + 4), width);
    const numbers = column >= font * 2.6; // room for "0.62" in a cell
    const g = plot.svgNode("g", { "font-size": font, fill: "currentColor" }, fig.svg);
    tokens.forEach((token, s) => {
      const x = left + (s + 0.5) * column;
      const text = plot.svgNode("text", slanted
        ? { x, y: top - 6, transform: `rotate(-45 ${x.toFixed(1)} ${(top - 6).toFixed(1)})` }
        : { x, y: top - 6, "text-anchor": "middle" }, g);
      text.textContent = token;
    });
    out.forEach((token, t) => {
      const y = top + t * rowHeight;
      const row = plot.svgNode("g", { class: "gl-heat-row", "data-step": t }, g);
      const label = plot.svgNode("text", { x: left - 6, y: y + rowHeight / 2 + font * 0.35, "text-anchor": "end",
                                           class: checks[t].ok ? null : "gl-wrong-label" }, row);
      label.textContent = rowLabels[t];
      if (!checks[t].ok) label.setAttribute("style", "fill: var(--gl-error)");
      weights[t].forEach((weight, s) => {
        const x = left + s * column;
        const cell = plot.svgNode("rect", { x: x.toFixed(1), y, width: (column + 0.4).toFixed(1), height: rowHeight + 0.4,
                                            "fill-opacity": weight.toFixed(3) }, row);
        cell.setAttribute("style", "fill: var(--gl-attn)");
        if (numbers) {
          const value = plot.svgNode("text", { x: (x + column / 2).toFixed(1), y: y + rowHeight / 2 + font * 0.35,
                                               "text-anchor": "middle" }, row);
          value.textContent = plot.format(weight, 2);
          if (weight >= 0.55) value.setAttribute("class", "gl-strong");
        }
      });
      row.addEventListener("click", (event) => show(current, t, event, "heatmap"));
    });
    plot.svgNode("rect", { x: left, y: top, width: column * tokens.length, height: rowHeight * out.length,
                           fill: "none", stroke: "currentColor", "stroke-opacity": 0.35 }, g);
    plot.svgNode("rect", { class: "gl-current-row", x: left - 1.5, y: top + step * rowHeight, width: column * tokens.length + 3,
                           height: rowHeight, fill: "none", "stroke-width": 3 }, g)
      .setAttribute("style", "stroke: var(--gl-focus)");
    const best = argmax(weights[step]);
    fig.describe(ui.fill(labels.heatmap_alt, { rows: out.length, columns: tokens.length, step: step + 1,
                                               token: out[step], top: tokens[best],
                                               weight: plot.format(weights[step][best], 2) }));
  }

  /** The step controls and what the step shows. */
  function draw() {
    const steps = example().output.length;
    select.value = String(current);
    slider.max = steps;
    slider.value = step + 1;
    slider.setAttribute("aria-valuetext", ui.fill(labels.step_of, { step: step + 1, steps }));
    where.textContent = ui.fill(labels.step_of, { step: step + 1, steps });
    // aria-disabled, not disabled: a button stays focused (and its keys work) at either end
    previous.setAttribute("aria-disabled", String(step === 0));
    next.setAttribute("aria-disabled", String(step === steps - 1));
    drawSource();
    drawOutput();
    drawHeatmap();
  }

  /** What the live region says about this step. */
  function sayStep() {
    const { source: tokens, output: out, weights } = example();
    const { ok, expected } = marks(example(), end)[step];
    const best = argmax(weights[step]);
    return ui.fill(labels.say, {
      step: step + 1, steps: out.length, token: out[step], top: tokens[best],
      verdict: ok ? labels.right : expected === undefined ? labels.extra : ui.fill(labels.wrong, { expected }),
      weight: plot.format(weights[step][best], 2),
    });
  }

  /** Show example k at step t (clamped); write it back; time the frame of the event. */
  function show(k, t, event = null, kind = "step", write = true) {
    const start = ui.inputStart(event);
    current = Math.min(Math.max(0, k), examples.length - 1);
    step = Math.min(Math.max(0, t), example().output.length - 1);
    draw();
    live.say(sayStep);
    if (write) writer.write({ example: current, step });
    if (event) ui.timeFrame("attention", start, kind);
  }

  select.addEventListener("change", (event) => show(Number(select.value), 0, event, "example"));
  slider.addEventListener("input", (event) => show(current, Number(slider.value) - 1, event, "slider"));
  previous.addEventListener("click", (event) => show(current, step - 1, event, "button"));
  next.addEventListener("click", (event) => show(current, step + 1, event, "button"));
  const KEYS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  root.addEventListener("keydown", (event) => {
    if (event.target.closest("select, input, textarea")) return; // their own keys
    const last = example().output.length - 1;
    let t = null;
    if (event.key in KEYS) t = step + KEYS[event.key];
    else if (event.key === "Home") t = 0;
    else if (event.key === "End") t = last;
    if (t === null) return;
    event.preventDefault();
    show(current, t, event, "key");
  });

  const fromModel = () => { // example or step set from Python: shown, not written back
    if (writer.busy) return;
    const [k, t] = [model.get("example") ?? 0, model.get("step") ?? 0];
    if (k !== current || t !== step) show(k, t, null, "model", false);
  };
  const newExamples = () => { // new examples from Python: shown from the example and step it sets
    examples = model.get("examples");
    options();
    show(model.get("example") ?? 0, model.get("step") ?? 0, null, "model", false);
  };
  model.on("change:example", fromModel);
  model.on("change:step", fromModel);
  model.on("change:examples", newExamples);
  ui.keepKeys(root);
  fig.svg.setAttribute("data-lm-suppress-shortcuts", "true");
  const stopFitting = plot.fit(figureBox, drawHeatmap);
  const stopFonts = ui.onFonts(drawHeatmap);
  // the page's own hook, for tests: what is shown now
  root.gatelab = {
    example: () => current,
    step: () => step,
    weights: () => [...source.querySelectorAll("li")].map((li) => Number(li.dataset.weight)),
    marks: () => marks(example(), end),
  };
  step = Math.min(Math.max(0, model.get("step") ?? 0), example().output.length - 1);
  draw();
  if (!figureBox.clientWidth) requestAnimationFrame(drawHeatmap); // drawn again once it has a width
  return () => {
    stopFitting();
    stopFonts();
    live.stop();
    model.off("change:example", fromModel);
    model.off("change:step", fromModel);
    model.off("change:examples", newExamples);
  };
}

export default { render };
