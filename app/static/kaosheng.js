// Behaviour that pages would otherwise write as inline handlers (onchange=, onclick=,
// javascript: links), which the Content-Security-Policy (script-src without 'unsafe-inline')
// does not run:
//   <select data-autosubmit>          submits its form on change
//   <select data-navigate="/url/">    opens /url/<value> on change
//   <button data-print>               prints the page
//   <a data-back href="fallback">     goes back in the history
(function () {
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    } else if (el.hasAttribute("data-navigate")) {
      window.location.href = el.getAttribute("data-navigate") + el.value;
    }
  });
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-print], [data-back]") : null;
    if (!el) { return; }
    e.preventDefault();
    if (el.hasAttribute("data-print")) { window.print(); } else { window.history.back(); }
  });
})();
