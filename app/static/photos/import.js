/* Import report: poll the job's progress until it is finished, then reload the report. */
(function () {
  "use strict";
  var root = document.getElementById("ks-import");
  if (!root || root.dataset.finished === "yes") { return; }
  var bar = document.getElementById("ks-progress");
  var text = document.getElementById("ks-progress-text");

  function poll() {
    fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.json(); })
      .then(function (s) {
        bar.style.width = s.percent + "%"; bar.textContent = s.percent + "%";
        if (s.state === "finished" || s.import_status === "done") { window.location.reload(); return; }
        if (s.state === "failed") { text.textContent = s.error || ""; return; }
        if (s.total) { text.textContent = s.done + " / " + s.total + " " + (s.message || ""); }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
