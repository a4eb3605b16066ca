// Runs gatelab's explorers in a plain HTML page, with no kernel and no server: the same code as
// in JupyterLab, over a tiny stand-in for anywidget's model.
//
// Assembly (see plot.js): this file is put once in a page, as a classic <script>, AFTER the
// explorer modules, which gatelab.explorer.page_scripts(kinds) also writes as classic scripts
// that register themselves in window.gatelabExplorers[kind] = { render }. It has no import and no
// export. Each explorer in the page is a container written by gatelab.explorer.page_html(state):
//
//   <div class="gatelab-explorer-host" data-kind="gates"> holding one
//   <script type="application/json"> element with {"kind": "gates", "state": {…}}
//
// host.js parses the JSON, makes a model over state, and calls render({model, el}) with a new
// <div> in the container. save_changes and send do nothing: the page is the whole state.
(() => {
  "use strict";

  /** anywidget's model interface over a plain object: get, set, on, off, save_changes, send. */
  function pageModel(state) {
    const listeners = new Map(); // event -> [callback]
    const emit = (event, ...args) => (listeners.get(event) ?? []).slice().forEach((f) => f(...args));
    return {
      get: (key) => state[key],
      set(key, value) {
        const before = JSON.stringify(state[key]);
        state[key] = value;
        if (JSON.stringify(value) !== before) {
          emit(`change:${key}`, value);
          emit("change", key, value);
        }
      },
      on(event, callback) {
        listeners.set(event, [...(listeners.get(event) ?? []), callback]);
      },
      off(event, callback) {
        if (!event) return listeners.clear();
        if (!callback) return listeners.delete(event);
        listeners.set(event, (listeners.get(event) ?? []).filter((f) => f !== callback));
      },
      save_changes() {},
      send() {},
    };
  }

  function showProblem(container, text) {
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    p.style.color = "#b00020";
    p.textContent = text;
    container.appendChild(p);
  }

  /** Render every explorer container not yet rendered in root. */
  function start(root = document) {
    for (const container of root.querySelectorAll(".gatelab-explorer-host:not([data-started])")) {
      container.setAttribute("data-started", "");
      const data = container.querySelector('script[type="application/json"]');
      let payload;
      try {
        payload = JSON.parse(data.textContent);
      } catch (problem) {
        showProblem(container, `gatelab: ${problem.message}`);
        continue;
      }
      const explorer = (window.gatelabExplorers ?? {})[payload.kind];
      if (!explorer) {
        showProblem(container, `gatelab: no script for the explorer "${payload.kind}" in this page.`);
        continue;
      }
      const el = document.createElement("div");
      container.appendChild(el);
      const model = pageModel(payload.state);
      container.gatelabModel = model; // for tests: the state the page holds
      explorer.render({ model, el });
    }
  }

  window.gatelabHost = { start, pageModel };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start());
  else start();
})();
