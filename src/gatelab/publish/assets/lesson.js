// gatelab lessons: the little a page does without a kernel. Inlined into every page.
"use strict";

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

setUpOriginals();
setUpLanguageLinks();
