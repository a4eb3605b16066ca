// The page side of gatelab.explorer.GateWidget (anywidget): one labelled <select> per gate
// (learned / open / shut / value, with a slider for the value) and one SVG panel per state of one
// unit, the learned run faint and dashed beside the run with the gates as set. Every change is
// computed here by cells.js, from the weights the kernel sent once; the kernel only hears the
// resulting forcing (model "force").

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 130; // one panel
const MARGIN = { left: 52, right: 12, top: 20, bottom: 8 };
const AXIS = 30; // below the last panel: the time axis
const LEARNED_STYLE = { stroke: "#000", "stroke-opacity": 0.35, "stroke-dasharray": "5 3",
                        "stroke-width": 1.2 };
const FORCED_STYLE = { stroke: "#3a9a5b", "stroke-width": 2.2 };

function node(tag, attrs = {}, parent = null, ns = null) {
  const element = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

/** cells.js from the text the kernel sent, as a module (no file or server needed). */
async function importCells(text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try {
    return await import(/* webpackIgnore: true */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A state's values for one unit: trace.h, trace.c, or a gate such as the GRU's candidate n. */
function series(trace, name, unit) {
  const rows = name === "h" || name === "c" ? trace[name] : trace.gates[name];
  return rows.map((row) => row[unit]);
}

async function render({ model, el }) {
  const cells = await importCells(model.get("cells_js"));
  return build(cells, model, el); // anywidget calls what build returns when the view goes
}

function build(cells, model, el) {
  const spec = model.get("spec");
  const x = model.get("x");
  const labels = model.get("labels");
  const gates = model.get("gates");
  const ranges = cells.GATES[spec.kind];
  const T = x.length;
  const learned = cells.run(spec, x, {});
  const id = `gatelab-${Math.random().toString(36).slice(2)}`;

  const root = node("div", { class: "gatelab-explorer" }, el);
  // the page's own font, then the Bengali and Devanagari faces gatelab registers (JupyterLab
  // extension gatelab-fonts, the HTML lessons), for text the page's font has no letters for
  root.style.fontFamily = 'var(--jp-content-font-family, sans-serif), "gatelab Noto Sans Bengali", ' +
    '"gatelab Noto Sans Devanagari", "Noto Sans Bengali", "Noto Sans Devanagari"';
  // form controls do not take the page's font by themselves
  node("style", {}, root).textContent =
    ".gatelab-explorer select, .gatelab-explorer output { font: inherit; }";
  const controls = node("div", { class: "gatelab-controls" }, root);
  const choice = {}; // gate -> {select, slider, output}
  for (const gate of gates) {
    const row = node("div", { class: "gatelab-gate" }, controls);
    row.style.margin = "2px 0";
    const label = node("label", { for: `${id}-${gate}` }, row);
    label.textContent = labels.gates[gate];
    label.style.display = "inline-block";
    label.style.minWidth = "9em";
    const select = node("select", { id: `${id}-${gate}` }, row);
    for (const [mode, text] of Object.entries(labels.modes)) {
      node("option", { value: mode }, select).textContent = text;
    }
    const [lo, hi] = ranges[gate];
    const slider = node("input", { id: `${id}-${gate}-value`, type: "range", min: lo, max: hi, step: 0.05, value: (lo + hi) / 2,
                                   "aria-label": `${labels.gates[gate]}: ${labels.modes.value}` }, row);
    slider.style.verticalAlign = "middle";
    const output = node("output", { for: slider.id }, row);
    choice[gate] = { select, slider, output };
    select.addEventListener("change", () => changed());
    slider.addEventListener("input", () => changed());
  }
  let unitSelect = null;
  if (spec.hidden_size > 1) {
    const row = node("div", { class: "gatelab-unit" }, controls);
    node("label", { for: `${id}-unit` }, row).textContent = `${labels.unit} `;
    unitSelect = node("select", { id: `${id}-unit` }, row);
    for (let k = 0; k < spec.hidden_size; k++) node("option", { value: k }, unitSelect).textContent = k;
    unitSelect.addEventListener("change", () => {
      model.set("unit", Number(unitSelect.value)); // its change event redraws
      model.save_changes();
    });
  }

  // the panels: one SVG, a band per state, the time axis under the last
  const panels = model.get("labels").panels;
  const height = panels.length * HEIGHT + AXIS;
  const svg = node("svg", { width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: "img",
                            "aria-label": panels.map(([, text]) => text).join(", ") }, root, SVG);
  svg.style.display = "block";
  svg.style.fontSize = "12px";
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const xAt = (t) => MARGIN.left + (T === 1 ? plotWidth / 2 : (t / (T - 1)) * plotWidth);
  const drawn = panels.map(([name, text], p) => {
    const top = p * HEIGHT + MARGIN.top;
    const bottom = (p + 1) * HEIGHT - MARGIN.bottom;
    const g = node("g", { class: `gatelab-panel gatelab-${name}` }, svg, SVG);
    node("rect", { x: MARGIN.left, y: top, width: plotWidth, height: bottom - top, fill: "none",
                   stroke: "#ccc" }, g, SVG);
    node("text", { x: MARGIN.left, y: top - 6 }, g, SVG).textContent = text;
    const zero = node("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, stroke: "#000",
                                "stroke-width": 0.6 }, g, SVG);
    const hiText = node("text", { x: MARGIN.left - 4, y: top + 10, "text-anchor": "end" }, g, SVG);
    const loText = node("text", { x: MARGIN.left - 4, y: bottom, "text-anchor": "end" }, g, SVG);
    const ghost = node("polyline", { class: "gatelab-learned", fill: "none", ...LEARNED_STYLE },
                       g, SVG);
    const line = node("polyline", { class: "gatelab-forced", fill: "none", ...FORCED_STYLE }, g, SVG);
    return { name, top, bottom, zero, hiText, loText, ghost, line };
  });
  // the time axis under the last panel
  const axisY = panels.length * HEIGHT;
  for (const t of [0, T - 1]) {
    node("text", { x: xAt(t), y: axisY + 12, "text-anchor": "middle" }, svg, SVG).textContent = t + 1;
  }
  node("text", { x: MARGIN.left + plotWidth / 2, y: axisY + 26, "text-anchor": "middle" }, svg,
       SVG).textContent = labels.time;
  // the legend, in HTML under the panels (it wraps where a translation is long)
  const legend = node("div", { class: "gatelab-legend" }, root);
  for (const [text, style] of [[labels.learned, LEARNED_STYLE], [labels.forced, FORCED_STYLE]]) {
    const item = node("span", {}, legend);
    item.style.marginRight = "1.5em";
    const swatch = node("svg", { width: 24, height: 10, "aria-hidden": "true" }, item, SVG);
    node("line", { x1: 0, x2: 24, y1: 5, y2: 5, ...style }, swatch, SVG);
    item.append(` ${text}`);
  }

  function current() {
    const force = {};
    for (const [gate, { select, slider, output }] of Object.entries(choice)) {
      const mode = select.value;
      slider.disabled = mode !== "value";
      output.textContent = mode === "value" ? Number(slider.value).toFixed(2) : "";
      if (mode === "open") force[gate] = 1;
      else if (mode === "shut") force[gate] = 0;
      else if (mode === "value") force[gate] = Number(slider.value);
    }
    return force;
  }

  function draw() {
    const unit = model.get("unit");
    if (unitSelect) unitSelect.value = String(unit);
    const force = { ...model.get("force") };
    const forced = cells.run(spec, x, force);
    for (const panel of drawn) {
      const a = series(learned, panel.name, unit);
      const b = series(forced, panel.name, unit);
      let low = Math.min(0, ...a, ...b);
      let high = Math.max(0, ...a, ...b);
      if (high - low < 1e-9) [low, high] = [-1, 1];
      const pad = 0.08 * (high - low); // room for the line's width at the extremes
      const [lo, hi] = [low - pad, high + pad];
      const yAt = (v) => panel.bottom - ((v - lo) / (hi - lo)) * (panel.bottom - panel.top);
      const points = (values) => values.map((v, t) => `${xAt(t).toFixed(1)},${yAt(v).toFixed(1)}`).join(" ");
      panel.ghost.setAttribute("points", points(a));
      panel.line.setAttribute("points", points(b));
      panel.zero.setAttribute("y1", yAt(0));
      panel.zero.setAttribute("y2", yAt(0));
      // the extremes of what is drawn, beside them
      panel.hiText.textContent = high.toFixed(2);
      panel.hiText.setAttribute("y", yAt(high) + 4);
      panel.loText.textContent = low.toFixed(2);
      panel.loText.setAttribute("y", yAt(low) + 4);
    }
  }

  // a new forcing: from the kernel, shown in the controls, or from the controls themselves
  function show() {
    const force = model.get("force");
    const own = current();
    const same = Object.keys(choice).every((gate) => force[gate] === own[gate]);
    if (same) return draw(); // the controls' own change: leave them as they are
    for (const [gate, { select, slider }] of Object.entries(choice)) {
      const v = force[gate];
      if (v === undefined || v === null) select.value = "learned";
      else if (v === 1) select.value = "open";
      else if (v === 0) select.value = "shut";
      else {
        select.value = "value";
        slider.value = v;
      }
    }
    current(); // the sliders' state
    draw();
  }

  function changed() {
    const force = Object.fromEntries(Object.entries(model.get("force")).filter(([g]) => !(g in choice)));
    model.set("force", { ...force, ...current() }); // its change event redraws
    model.save_changes();
  }

  model.on("change:force", show);
  model.on("change:unit", draw);
  show();
  return () => {
    model.off("change:force", show);
    model.off("change:unit", draw);
  };
}

export default { render };
