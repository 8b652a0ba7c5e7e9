/* Progress of a background job (app/job_records.py), one script for every job page.

   Markup, inside an element with data-status-url (the record's status route):
     data-final="yes"           the record had ended when the page was rendered: no polling
     data-on-done="reload"      reload once the job has ended (the server renders the outcome)
     data-msg-retry="…"         shown while the status cannot be fetched
     [data-job-bar]             a Bootstrap .progress-bar: width and text follow "percent"
     [data-job-label]           the status label;  [data-job-message]: the message
     [data-job-progress]        "done / total"
     [data-job-count="name"]    the count "name" of the status JSON
     [data-job-when="failed …"] shown only in the listed statuses (e.g. a resume form)
     [data-job-result]          a link shown, with href = result_url, once there is a result
   Polls every second while the job runs; a failed fetch (network, server restart) is retried
   with a growing pause, up to 30 s; a refusal (4xx: logged out, no access) stops polling. */
(function () {
  "use strict";
  var INTERVAL = 1000, MAX_PAUSE = 30000;

  function each(box, selector, fn) {
    Array.prototype.forEach.call(box.querySelectorAll(selector), fn);
  }

  function show(box, d) {
    each(box, "[data-job-bar]", function (bar) {
      bar.style.width = d.percent + "%"; bar.textContent = d.percent + "%";
    });
    each(box, "[data-job-label]", function (el) { el.textContent = d.label; });
    each(box, "[data-job-message]", function (el) { el.textContent = d.message || ""; });
    each(box, "[data-job-progress]", function (el) {
      el.textContent = d.total ? d.done + " / " + d.total : "";
    });
    each(box, "[data-job-count]", function (el) {
      var value = d[el.getAttribute("data-job-count")];
      el.textContent = value === null || value === undefined ? "" : value;
    });
    each(box, "[data-job-when]", function (el) {
      el.hidden = el.getAttribute("data-job-when").split(" ").indexOf(d.status) < 0;
    });
    each(box, "[data-job-result]", function (el) {
      if (d.result_url) { el.href = d.result_url; el.hidden = false; }
    });
  }

  function follow(box) {
    var failures = 0;

    function retry() {
      failures += 1;
      each(box, "[data-job-message]", function (el) { el.textContent = box.dataset.msgRetry || ""; });
      window.setTimeout(poll, Math.min(MAX_PAUSE, INTERVAL * Math.pow(2, failures)));
    }

    function poll() {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (resp) {
          if (resp.status >= 400 && resp.status < 500) { return null; }
          if (!resp.ok) { throw new Error("HTTP " + resp.status); }
          return resp.json();
        })
        .then(function (d) {
          if (d === null) { return; }
          failures = 0;
          show(box, d);
          if (!d.final) { window.setTimeout(poll, INTERVAL); return; }
          if (box.dataset.onDone === "reload") { window.location.reload(); }
        })
        .catch(retry);
    }
    poll();
  }

  each(document, "[data-status-url]", function (box) {
    if (box.dataset.final !== "yes") { follow(box); }
  });
})();
