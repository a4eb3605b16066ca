// gatelab lessons: the little a page does without a kernel. Inlined into every page.
"use strict";

// Explorers: every setting was drawn when the page was built; show the one the controls select.
function setUpExplorer(figure) {
  const data = JSON.parse(figure.querySelector("script.frames").textContent);
  const img = figure.querySelector("img.frame");
  // the default picture is the <img> itself, so it is stored in the page only once
  const images = data.images.map((b64) => (b64 === null ? img.getAttribute("src")
                                                       : "data:image/png;base64," + b64));
  const controls = Array.from(figure.querySelectorAll("[data-control]"));

  function chosen(control) {
    const range = control.querySelector('input[type="range"]');
    if (range) {
      const labels = JSON.parse(range.dataset.labels);
      control.querySelector("output").textContent = labels[Number(range.value)];
      return range.value;
    }
    const checked = control.querySelector("input:checked");
    return checked ? checked.value : "0";
  }

  function update() {
    const key = controls.map(chosen).join(",");
    if (key in data.keys) {
      img.src = images[data.keys[key]];
    }
  }

  figure.addEventListener("input", update);
  figure.addEventListener("change", update);
  update();
}

// Bilingual reading: one button opens or closes every paragraph's English original.
function setUpOriginals() {
  const button = document.getElementById("toggle-originals");
  if (!button) return;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-pressed") !== "true";
    document.querySelectorAll("details.original").forEach((d) => { d.open = open; });
    button.setAttribute("aria-pressed", String(open));
    button.textContent = open ? button.dataset.hide : button.dataset.show;
  });
}

// The language switch keeps the reader's place: headings have the same id in every edition.
function setUpLanguageLinks() {
  const links = document.querySelectorAll("nav.languages a");
  function follow() {
    links.forEach((a) => {
      a.href = a.getAttribute("href").split("#")[0] + location.hash;
    });
  }
  window.addEventListener("hashchange", follow);
  follow();
}

document.querySelectorAll("figure.explorer").forEach(setUpExplorer);
setUpOriginals();
setUpLanguageLinks();
