// The pieces of page furniture every gatelab explorer shares (gates.js, vanishing.js,
// sequence.js): the root element with its font stack, theme colours and CSS; the reset button and
// the text-size control; the live region; marking controls so that JupyterLab's shortcuts leave
// their keys alone; the redraw when a web font arrives; writing a trait back to the kernel; and
// the frame-latency sample of each input event.
//
// Assembly: a LIBRARY (see plot.js): top-level `export` declarations only, no default export.
//
// Colours follow JupyterLab's theme through its CSS variables, with light fallbacks for the
// kernel-free HTML page; JupyterLab's dark theme (body[data-jp-theme-light="false"]) also gets
// lighter line colours (--gl-* below), so lines, text and error messages stay readable on it.
// Axes and frames are drawn in currentColor (plot.js), so they follow the text colour.
//
// Frame latency (the numbers benchmarks/*_page.py report). For one input event:
//   start  = the event's timeStamp (when the browser received the input), marked
//            performance.mark("gatelab-input");
//   work   = performance.now() when the handler has computed and changed the DOM, minus start;
//   frame  = requestAnimationFrame's timestamp, minus start: when the rendering step of the
//            frame that shows the change began (< 0 when that frame had already begun);
//   ms     = the end minus start, where the end is the first task after that frame's rendering
//            (a MessageChannel message posted from the requestAnimationFrame callback: it runs as
//            soon as the frame has been painted, with no timer's delay or clamping);
//   performance.measure("gatelab-frame", {start, end}) and a sample
//   {explorer, kind, ms, work, frame} pushed to window.gatelabFrames (at most MAX_FRAMES).

import * as plot from "./plot.js";

export const SIZES = [100, 125, 150, 200]; // the text-size control, percent
export const MAX_FRAMES = 2000;
// The Bengali and Devanagari faces come FIRST: they have no Latin letters, so Latin text falls
// through to the theme's font, while Chromium on Linux takes `system-ui` (the head of JupyterLab's
// --jp-content-font-family) as the last resort for every character it lacks, drawing Bengali and
// Devanagari as boxes had the faces come after it (seen with CSS.getPlatformFontsForNode).
export const FONT_STACK = '"gatelab Noto Sans Bengali", "gatelab Noto Sans Devanagari", ' +
  '"Noto Sans Bengali", "Noto Sans Devanagari", var(--jp-content-font-family, system-ui, sans-serif), ' +
  'sans-serif';

// Shared by every explorer: colours as variables (light theme and the HTML page first, then
// JupyterLab's dark theme), the controls' look, the error text, the visually hidden live region.
export const CSS = `
.gatelab-explorer { --gl-scale: 1; --gl-text: var(--jp-content-font-color1, #1a1a1a);
  --gl-background: var(--jp-layout-color0, #fff); --gl-error: var(--jp-error-color1, #b00020);
  --gl-forced: #b8390b; --gl-state: #6741d9; --gl-grad: #7a4fb0; --gl-faint: #8a8a8a;
  --gl-focus: var(--jp-brand-color1, #1864ab); --gl-mark: #ffe8cc;
  color: var(--gl-text); background: var(--gl-background); max-width: 100%; box-sizing: border-box;
  line-height: 1.35; padding: 2px; }
body[data-jp-theme-light="false"] .gatelab-explorer { --gl-error: #ff8a80; --gl-forced: #ff9e6b;
  --gl-state: #b197fc; --gl-grad: #c7a4ff; --gl-faint: #a0a0a0; --gl-focus: #74c0fc; }
.gatelab-explorer * { box-sizing: border-box; }
.gatelab-explorer select, .gatelab-explorer button, .gatelab-explorer output,
.gatelab-explorer input, .gatelab-explorer label { font: inherit; }
.gatelab-explorer select, .gatelab-explorer button, .gatelab-explorer input[type=text] {
  color: var(--jp-ui-font-color1, #1a1a1a); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #8a8a8a); border-radius: 3px;
  padding: 0.05em 0.3em; min-height: 1.9em; }
.gatelab-explorer button { cursor: pointer; }
.gatelab-explorer output { font-variant-numeric: tabular-nums; }
.gatelab-explorer .gl-tools { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25em 0.4em; margin: 0.3em 0; }
.gatelab-explorer .gl-error { color: var(--gl-error); }
.gatelab-explorer .gl-live { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.gatelab-explorer :focus-visible { outline: 2px solid var(--gl-focus); outline-offset: 1px; }
`;

/** The explorer's root in el: class "gatelab-explorer" and className, the font stack, the shared
 * CSS and the explorer's own (css), text at basePx × the size chosen (the --gl-scale variable). */
export function root(el, className, css, basePx = null) {
  const node = plot.htmlNode("div", { class: `gatelab-explorer ${className}` }, el);
  node.style.fontFamily = FONT_STACK;
  if (basePx) node.style.fontSize = `calc(${basePx}px * var(--gl-scale))`;
  plot.htmlNode("style", {}, node, CSS + css);
  return node;
}

/** "{name}" and "{name:.2f}" fields of a translated template filled in (Python's format). */
export function fill(template, fields) {
  return template.replace(/\{(\w+)(?::\.(\d+)f)?\}/g, (whole, name, digits) => {
    if (!(name in fields)) return whole;
    return digits === undefined ? String(fields[name]) : Number(fields[name]).toFixed(Number(digits));
  });
}

/** A row (class gl-tools) in parent with the reset button (label: what it resets to) and the
 * text-size control; onReset(event) and onSize(scale, event) are called on a change.
 * Returns {row, reset, size}. */
export function tools(parent, id, { reset, size }, onReset, onSize) {
  const row = plot.htmlNode("div", { class: "gl-row gl-tools" }, parent);
  const button = plot.htmlNode("button", { type: "button", class: "gl-reset" }, row, reset);
  button.addEventListener("click", onReset);
  plot.htmlNode("label", { for: `${id}-size` }, row, size);
  const select = plot.htmlNode("select", { id: `${id}-size`, class: "gl-size" }, row);
  for (const pct of SIZES) plot.htmlNode("option", { value: pct }, select, `${pct} %`);
  const root = parent.closest(".gatelab-explorer");
  select.addEventListener("change", (event) => {
    const scale = Number(select.value) / 100;
    root.style.setProperty("--gl-scale", String(scale));
    onSize(scale, event);
  });
  return { row, reset: button, size: select };
}

/** The text size chosen, as a factor (1 = 100 %). */
export function scaleOf(root) {
  return Number(root.style.getPropertyValue("--gl-scale")) || 1;
}

/** A polite live region in root; say(text) writes it once a run of changes (a dragged slider)
 * has paused for 250 ms. Returns {node, say, stop}. */
export function liveRegion(root) {
  const node = plot.htmlNode("div", { class: "gl-live", "aria-live": "polite" }, root);
  let timer = null;
  return {
    node,
    say(text) {
      clearTimeout(timer);
      timer = setTimeout(() => { node.textContent = typeof text === "function" ? text() : text; }, 250);
    },
    stop: () => clearTimeout(timer),
  };
}

/** Keys pressed on root's controls are the controls' (arrows move a slider or a select, letters
 * go into an input), not JupyterLab's notebook shortcuts: Lumino matches a shortcut on the
 * focused element itself unless it has data-lm-suppress-shortcuts. */
export function keepKeys(root) {
  for (const control of root.querySelectorAll("select, input, button, textarea")) {
    control.setAttribute("data-lm-suppress-shortcuts", "true");
  }
}

/** Call redraw when a web font finishes loading (the embedded Bengali and Devanagari faces):
 * SVG text drawn with the fallback may otherwise keep its boxes in Chromium. Returns a function
 * that stops listening. */
export function onFonts(redraw) {
  const fonts = document.fonts;
  if (!fonts?.addEventListener) return () => {};
  const listener = () => redraw();
  fonts.addEventListener("loadingdone", listener);
  return () => fonts.removeEventListener("loadingdone", listener);
}

/** A writer of traits back to the kernel, when there is one: write({key: value, …}). With no
 * kernel (a reopened notebook, the HTML page) it does nothing visible: the page is the state.
 * writer.busy is true while writing, so a model's change event from our own write is ignored. */
export function writer(model) {
  const writer = { busy: false };
  writer.write = (values) => {
    writer.busy = true;
    try {
      for (const [key, value] of Object.entries(values)) model.set(key, value);
      model.save_changes();
    } catch {
      // no kernel: nothing to tell
    } finally {
      writer.busy = false;
    }
  };
  return writer;
}

/** The start of an input event's frame: its timeStamp (or now), marked "gatelab-input". */
export function inputStart(event) {
  const now = performance.now();
  const start = event && event.timeStamp > 0 ? Math.min(event.timeStamp, now) : now;
  try {
    performance.mark("gatelab-input", { startTime: start });
  } catch {
    // an older browser without mark options: the sample is what counts
  }
  return start;
}

/** One frame-latency sample for the event that started at `start` (see the top of this file). */
export function timeFrame(explorer, start, kind) {
  const work = performance.now() - start;
  requestAnimationFrame((frameStart) => {
    const frame = frameStart - start;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const end = performance.now();
      try {
        performance.measure("gatelab-frame", { start, end });
      } catch {
        // an older browser: the sample below is what counts
      }
      const frames = (window.gatelabFrames ??= []);
      if (frames.length < MAX_FRAMES) frames.push({ explorer, kind, ms: end - start, work, frame });
      channel.port1.close();
    };
    channel.port2.postMessage(null);
  });
}

/** A y-limit that holds values and never shrinks below `previous` (until the caller forgets it,
 * on a reset or another unit): round steps 1, 2, 5, 10, … so small changes do not move it. */
export function growingLimit(previous, values, floor = 1) {
  return Math.max(previous || 0, plot.roundLimit(values, floor));
}
