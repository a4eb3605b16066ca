// Small SVG plotting helpers shared by gatelab's in-page explorers (gates, vanishing, sequence).
//
// How the explorer modules are put together (gatelab.explorer.module, in Python): every file is a
// plain ES module with no outside dependency. A library file (this one, cells.js) has no
// `export default` and exports only top-level declarations, each on a line of its own that starts
// `export const`, `export function` or `export class`. A file uses another only through a line
// `import * as name from "./other.js";`, nothing else. An explorer's entry file (gates.js) ends
// with `export default { render };`. module("gates") inlines each library once, as a namespace
// object (the same names `import * as` gives), so anywidget gets ONE module with no further
// request, and the HTML page gets the same code as a classic <script>.
//
// Axes, grid and frames are drawn in currentColor (with some transparency), so they follow the
// text colour of the page or of JupyterLab's theme, light or dark.
//
// Everything is sized in CSS pixels: a figure's viewBox equals its drawn size (one user unit is
// one CSS px), so text drawn at `fontSize` px reads at that size whatever the container's width;
// the caller redraws when the width or the font size changes (see `fit` below). Browser zoom
// scales CSS px, so figures follow it.
//
//   const fig = figure(el, { label: "…" });           // an <svg role="img"> filling el's width
//   const p = panel(fig.svg, { x: 40, y: 8, width: 300, height: 90,
//                              xDomain: [1, T], yDomain: [-1, 1], fontSize: 13,
//                              yTicks: ticks(-1, 1, 3), xTicks: ticks(1, T, 6), title: "h[t]" });
//   const line = p.line(values, { stroke: "#1864ab" }); // values[t] at x = xDomain[0] + t
//   p.update(line, newValues);               // values[t] at x = xStart + t (default xDomain[0])
//   // log-y: panel({…, yLog: true, yDomain: [1e-6, 1]}) and ticks come from logTicks(lo, hi)

export const SVG_NS = "http://www.w3.org/2000/svg";

/** A new SVG element with attributes, appended to parent when given. */
export function svgNode(tag, attrs = {}, parent = null) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) element.setAttribute(key, value);
  }
  if (parent) parent.appendChild(element);
  return element;
}

/** A new HTML element with attributes and optional text, appended to parent when given. */
export function htmlNode(tag, attrs = {}, parent = null, text = null) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) element.setAttribute(key, value);
  }
  if (text !== null) element.textContent = text;
  if (parent) parent.appendChild(element);
  return element;
}

/** A number for a reader: fixed digits, a true minus sign, no "-0.00". */
export function format(value, digits = 2) {
  const text = Number(value).toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text.replace("-", "−");
}

/** About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** Powers of ten covering [lo, hi] (lo > 0), at most about `count` of them. */
export function logTicks(lo, hi, count = 6) {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / count));
  const out = [];
  for (let e = a; e <= b; e += every) out.push(10 ** e);
  return out;
}

/** The smallest of floor × (1, 2, 5, 10, 20, 50, …) that is at least |v| for every v: a y-limit
 * that seldom moves while a control changes. */
export function roundLimit(values, floor = 1) {
  const top = Math.max(0, ...values.map((v) => Math.abs(v)));
  for (let decade = 1; decade < 1e12; decade *= 10) {
    for (const m of [1, 2, 5]) if (m * decade * floor >= top) return m * decade * floor;
  }
  return top;
}

/** A map from [d0, d1] to [r0, r1]; logarithmic when log is true (values clamped > 0). */
export function scale([d0, d1], [r0, r1], log = false) {
  if (log) {
    const [l0, l1] = [Math.log10(d0), Math.log10(d1)];
    return (v) => r0 + ((Math.log10(Math.max(v, d0 * 1e-3)) - l0) / (l1 - l0 || 1)) * (r1 - r0);
  }
  return (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0);
}

/**
 * An <svg role="img"> appended to parent, as wide as parent; `label` becomes its aria-label and
 * its <desc>. Returns {svg, width, resize(height, width?), describe(text), clear()}: resize sets
 * the drawn height (and the viewBox, so that one user unit stays one CSS px) and returns the
 * width to draw in: the one given (a caller that knows it saves a layout), else parent's.
 */
export function figure(parent, { label = "", className = "" } = {}) {
  const svg = svgNode("svg", { role: "img", class: className, "aria-label": label }, parent);
  svg.style.display = "block";
  svg.style.width = "100%";
  svg.style.overflow = "visible";
  const desc = svgNode("desc", {}, svg);
  desc.textContent = label;
  const fig = {
    svg,
    width: 0,
    resize(height, width = null) {
      fig.width = Math.max(120, Math.floor(width || parent.clientWidth || svg.clientWidth || 480));
      svg.setAttribute("viewBox", `0 0 ${fig.width} ${height}`);
      svg.setAttribute("height", height);
      svg.style.height = `${height}px`;
      return fig.width;
    },
    describe(text) {
      if (svg.getAttribute("aria-label") !== text) {
        svg.setAttribute("aria-label", text);
        desc.textContent = text;
      }
    },
    /** Remove everything drawn, keeping the <desc>. */
    clear() {
      for (const child of [...svg.childNodes]) if (child !== desc) child.remove();
    },
  };
  return fig;
}

/**
 * A plot area at (x, y) of the given size inside svg, with a frame, y ticks and labels on the
 * left, x ticks below when xTicks is given (xLabel under them), a title above its top-left corner.
 * Returns {g, x, y, line(values, attrs), update(line, values), hline(v, attrs), heatmap(rows, color)}
 * where x and y map data to px; values[t] is drawn at x = xStart + t (xStart: xDomain[0] unless
 * given; e.g. xDomain [0.5, T + 0.5] with xStart 1 leaves half a step of room at each end).
 */
export function panel(svg, options) {
  const { x, y, width, height, xDomain, yDomain, yLog = false, fontSize = 13, title = "",
          xTicks = null, yTicks = null, xLabel = "", className = "", grid = true,
          tickFormat = null, xStart = xDomain[0] } = options;
  const g = svgNode("g", { class: `gatelab-panel ${className}`.trim() }, svg);
  const X = scale(xDomain, [x, x + width]);
  const Y = scale(yDomain, [y + height, y], yLog);
  const small = { "font-size": fontSize, fill: "currentColor" };
  const label = tickFormat ?? ((v) => (yLog ? `1e${Math.round(Math.log10(v))}` : format(v, Math.abs(v) < 1 && v !== 0 ? 1 : 0)));
  for (const v of yTicks ?? []) {
    const py = Y(v);
    if (grid) svgNode("line", { x1: x, x2: x + width, y1: py, y2: py, stroke: "currentColor", "stroke-opacity": 0.13 }, g);
    svgNode("text", { x: x - 4, y: py + fontSize * 0.35, "text-anchor": "end", ...small }, g)
      .textContent = label(v);
  }
  for (const v of xTicks ?? []) {
    const px = X(v);
    svgNode("line", { x1: px, x2: px, y1: y + height, y2: y + height + 4, stroke: "currentColor", "stroke-opacity": 0.55 }, g);
    svgNode("text", { x: px, y: y + height + 4 + fontSize, "text-anchor": "middle", ...small }, g)
      .textContent = String(v);
  }
  if (xLabel) {
    svgNode("text", { x: x + width / 2, y: y + height + 8 + 2 * fontSize, "text-anchor": "middle",
                      ...small }, g).textContent = xLabel;
  }
  svgNode("rect", { x, y, width, height, fill: "none", stroke: "currentColor", "stroke-opacity": 0.35 }, g);
  if (title) {
    svgNode("text", { x: x, y: y - 4, ...small, "font-weight": "600" }, g).textContent = title;
  }
  const points = (values) => values.map((v, t) => `${X(xStart + t).toFixed(1)},${Y(v).toFixed(1)}`).join(" ");
  return {
    g, x: X, y: Y,
    line(values, attrs = {}) {
      return svgNode("polyline", { fill: "none", points: points(values), ...attrs }, g);
    },
    update(line, values) {
      line.setAttribute("points", points(values));
    },
    hline(v, attrs = {}) {
      return svgNode("line", { x1: x, x2: x + width, y1: Y(v), y2: Y(v), stroke: "currentColor",
                               "stroke-width": 0.6, ...attrs }, g);
    },
    /** rows[r][t] as cells of colour color(v), row r from the top, cell t centred on
     * x = xStart + t; rowLabels on the left. White cells ("rgb(255,255,255)") are left out. */
    heatmap(rows, color, rowLabels = []) {
      const rowHeight = height / Math.max(1, rows.length);
      const step = Math.abs(X(xStart + 1) - X(xStart));
      rows.forEach((row, r) => {
        // one rect per run of cells of the same colour: a one-hot input is a few rects a row
        for (let t = 0; t < row.length;) {
          const fill = color(row[t]);
          let end = t + 1;
          while (end < row.length && color(row[end]) === fill) end++;
          if (fill !== "rgb(255,255,255)") {
            svgNode("rect", { x: X(xStart + t) - step / 2, y: y + r * rowHeight,
                              width: step * (end - t) + 0.4, height: rowHeight + 0.4, fill }, g);
          }
          t = end;
        }
        if (rowLabels[r] !== undefined) {
          svgNode("text", { x: x - 4, y: y + (r + 0.5) * rowHeight + fontSize * 0.35,
                            "text-anchor": "end", ...small }, g).textContent = rowLabels[r];
        }
      });
    },
  };
}

/** A diverging colour for v in [-1, 1]: blue below zero, white at zero, red above. */
export function diverging(v) {
  const s = Math.max(-1, Math.min(1, v));
  const [r, g, b] = s >= 0 ? [255, 255 - 200 * s, 255 - 210 * s] : [255 + 210 * s, 255 + 150 * s, 255];
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

/**
 * Redraw `draw` whenever element's width changes (ResizeObserver), at most once a frame.
 * Returns a function that stops watching.
 */
export function fit(element, draw) {
  let width = element.clientWidth;
  let pending = false;
  const observer = new ResizeObserver(() => {
    if (element.clientWidth === width || pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      width = element.clientWidth;
      draw();
    });
  });
  observer.observe(element);
  return () => observer.disconnect();
}
