/* On-site confirmation page: a camera picture saved by capture.js changes the record (its
   version), so the page is loaded again — the confirm form then carries the new version and
   the checklist shows the photo. */
(function () {
  "use strict";
  var root = document.getElementById("ks-capture");
  if (!root || !window.MutationObserver) { return; }
  new MutationObserver(function () {
    if (root.getAttribute("data-last-result") === "ok") { window.location.reload(); }
  }).observe(root, { attributes: true, attributeFilter: ["data-last-result"] });
})();
