// The candidate add form follows the chosen exam's kind: 考生类别 offers only that kind's
// categories (its options' values are "kind:code", grouped by kind), and only that kind's
// section of exam-specific fields is shown. The exam select carries
//   data-exam-kinds='{"<exam id>": "<kind>"}'  data-kind-fields='{"<kind>": ["field", …]}'.
// Without this script every group and section stays on the page; the server refuses a
// category or a field of another kind.
(function () {
  var exam = document.querySelector("select[data-exam-kinds]");
  var category = document.querySelector("select[name=category]");
  if (!exam) { return; }
  var kinds = JSON.parse(exam.getAttribute("data-exam-kinds"));
  var kindFields = JSON.parse(exam.getAttribute("data-kind-fields") || "{}");
  var all = category ? Array.prototype.map.call(category.querySelectorAll("option"), function (o) {
    return o.cloneNode(true);
  }) : [];

  function sectionOf(field) {
    var input = document.querySelector("[name=" + field + "]");
    return input && input.closest(".panel");
  }

  function offerCategories(kind) {
    var current = category.value;
    category.innerHTML = "";
    all.forEach(function (o) {
      if (!o.value || o.value.indexOf(kind + ":") === 0) { category.appendChild(o.cloneNode(true)); }
    });
    category.value = current.indexOf(kind + ":") === 0 ? current : "";
  }

  // A section holds the fields of one set of kinds (外语语种 is 高考's and 成人高考's): it is
  // shown when the chosen kind records its fields.
  function showSections(kind) {
    var own = kindFields[kind] || [];
    Object.keys(kindFields).forEach(function (k) {
      kindFields[k].forEach(function (field) {
        var panel = sectionOf(field);
        if (!panel) { return; }
        panel.hidden = own.indexOf(field) < 0;
        var body = panel.querySelector(".panel-collapse");
        if (body && !panel.hidden) { body.classList.add("in"); }
      });
    });
  }

  function follow() {
    var kind = kinds[exam.value];
    if (!kind) { return; }
    if (category) { offerCategories(kind); }
    showSections(kind);
  }

  // FAB's select2 announces a choice through jQuery, which native listeners do not hear.
  if (window.jQuery) { window.jQuery(exam).on("change", follow); }
  else { exam.addEventListener("change", follow); }
  follow();
})();
