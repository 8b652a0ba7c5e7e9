/* Import report: poll the job's progress until the import has finished or failed, then
   reload the page, which shows the report (or the error) rendered by the server. */
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
        if (s.import_status === "done" || s.import_status === "failed") { window.location.reload(); return; }
        // The worker died before it could record the outcome: say so and stop asking.
        if (s.state === "failed") {
          text.textContent = s.error || root.dataset.msgFailed;
          root.setAttribute("data-finished", "yes");
          return;
        }
        if (s.total) { text.textContent = s.done + " / " + s.total + " " + (s.message || ""); }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
