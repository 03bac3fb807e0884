// Live preview of the letter being drafted, and a warning before leaving unsaved work.
// Served by the app (no CDN, no inline script: the Content-Security-Policy forbids both).
(function () {
  "use strict";
  var form = document.querySelector("form.letter-form");
  var frame = document.querySelector("iframe.preview");
  if (!form || !frame) { return; }
  var previewUrl = form.getAttribute("data-preview-url");
  var dirty = false;
  var timer = null;
  var inflight = null;

  function refresh() {
    if (inflight) { inflight.abort(); }
    inflight = new AbortController();
    fetch(previewUrl, { method: "POST", body: new FormData(form), credentials: "same-origin", signal: inflight.signal })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { frame.srcdoc = html; } })
      .catch(function () { /* a newer keystroke aborted this one */ });
  }

  form.addEventListener("input", function () {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
