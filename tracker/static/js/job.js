// A job's page: follow its progress (polling its JSON once a second) and reload when it ends.
// Served by the app (no CDN, no inline script: the Content-Security-Policy forbids both).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") { return; }
  var url = box.getAttribute("data-status-url");
  var wasStale = box.getAttribute("data-stale") === "1";
  var countFormat = box.getAttribute("data-count-format") || "{done} / {total}";
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  var message = document.getElementById("job-message");
  var delay = 1000;

  function show(data) {
    if (data.total) {
      bar.max = data.total;
      bar.value = data.done;
      count.textContent = countFormat.replace("{done}", data.done).replace("{total}", data.total) +
        (data.percent === null ? "" : " (" + data.percent + "%)");
    } else {
      bar.removeAttribute("value");  // indeterminate: the total is not known yet
      count.textContent = "";
    }
    if (message.textContent !== data.message) { message.textContent = data.message || ""; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (r.status === 404 || r.status === 403 || r.status === 401) { return "stop"; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (data === "stop") { return; }
        if (data === null) { delay = Math.min(delay * 2, 30000); schedule(); return; }
        delay = 1000;
        show(data);
        if (data.finished || data.stale !== wasStale) { window.location.reload(); return; }
        schedule();
      })
      .catch(function () { delay = Math.min(delay * 2, 30000); schedule(); });
  }

  function schedule() { window.setTimeout(poll, delay); }
  schedule();
})();
