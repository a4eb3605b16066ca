// gatelab-fonts: a JupyterLab 4 extension with nothing but a stylesheet, written by hand (no
// build step). JupyterLab loads this file as a module-federation container, calls init() and
// then get("./style"); the module it returns adds fonts.css (next to this file) to the page.
// fonts.css declares the shipped Noto Sans Bengali and Noto Sans Devanagari and puts them at
// the front of JupyterLab's font lists, limited to those scripts: Latin text keeps its font.
var _JUPYTERLAB;
(function () {
  "use strict";
  var here = document.currentScript ? document.currentScript.src : "";
  var stylesheet = new URL("fonts.css", here || document.baseURI).href;

  function addStylesheet() {
    if (!document.querySelector('link[data-gatelab-fonts]')) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = stylesheet;
      link.setAttribute("data-gatelab-fonts", "");
      document.head.appendChild(link);
    }
    return {};
  }

  _JUPYTERLAB = _JUPYTERLAB || {};
  _JUPYTERLAB["gatelab-fonts"] = {
    init: function () {
      return Promise.resolve();  // shares no modules
    },
    get: function (module) {
      if (module === "./style") {
        return Promise.resolve(function () { return addStylesheet(); });
      }
      return Promise.reject(new Error('Module "' + module + '" does not exist in gatelab-fonts.'));
    }
  };
})();
