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

// Select2 (FAB's dropdowns) in Chinese: its messages ("Remove all items", "No results found")
// and FAB's English placeholders ("Select a State", "Select"), on pages served in Chinese
// (<meta name="ks-locale">). Runs before FAB's ab.js initialises the dropdowns on DOM ready.
(function ($) {
  var meta = document.querySelector('meta[name="ks-locale"]');
  if (!$ || !$.fn || !$.fn.select2 || !meta || !/^zh/i.test(meta.getAttribute("content"))) {
    return;
  }
  $.fn.select2.defaults.set("language", {
    errorLoading: function () { return "无法载入结果。"; },
    inputTooLong: function (a) { return "请删除" + (a.input.length - a.maximum) + "个字符"; },
    inputTooShort: function (a) { return "请再输入至少" + (a.minimum - a.input.length) + "个字符"; },
    loadingMore: function () { return "载入更多结果…"; },
    maximumSelected: function (a) { return "最多只能选择" + a.maximum + "个项目"; },
    noResults: function () { return "未找到结果"; },
    searching: function () { return "搜索中…"; },
    removeAllItems: function () { return "删除所有项目"; }
  });
  var original = $.fn.select2;
  var wrapped = function (options) {
    var args = Array.prototype.slice.call(arguments);
    if (options && typeof options === "object" && /^Select( a State)?$/.test(options.placeholder || "")) {
      args[0] = $.extend({}, options, {placeholder: "请选择"});
    }
    return original.apply(this, args);
  };
  $.extend(wrapped, original);
  $.fn.select2 = wrapped;
})(window.jQuery);
