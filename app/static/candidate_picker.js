// Candidate picker (app/candidates/picker.py): an <input data-candidate-picker="/api/pick/…">
// becomes search-as-you-type. The input keeps the form's value in a hidden twin (the chosen
// candidate's id, or the text as typed, which the server reads as an ID number or 考生号);
// the visible box shows the chosen candidate. Suggestions come from the scoped JSON endpoint,
// at most 20 at a time. Without this script the input stays a plain text field.
(function () {
  if (window.ksCandidatePicker) { return; }
  window.ksCandidatePicker = true;
  var DELAY = 200;

  function setup(input) {
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    hidden.value = input.value;
    input.removeAttribute("name");
    input.value = input.getAttribute("data-picker-label") || input.value;

    var box = document.createElement("div");
    box.className = "ks-picker";
    box.style.position = "relative";
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(hidden);
    var list = document.createElement("ul");
    list.className = "dropdown-menu ks-picker-list";
    list.id = input.id + "-options";
    list.setAttribute("role", "listbox");
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    var items = [], active = -1, timer = null, asked = 0;

    function close() {
      list.style.display = "none";
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function highlight(index) {
      var rows = list.querySelectorAll("li[data-index]");
      rows.forEach(function (li, i) { li.classList.toggle("active", i === index); });
      active = index;
    }

    function show(results, note) {
      items = results;
      list.innerHTML = "";
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("data-index", String(i));
        var a = document.createElement("a");
        a.href = "#";
        a.textContent = item.label;
        li.appendChild(a);
        list.appendChild(li);
      });
      if (!results.length) {
        var empty = document.createElement("li");
        empty.className = "disabled";
        var span = document.createElement("a");
        span.textContent = note;
        empty.appendChild(span);
        list.appendChild(empty);
      }
      list.style.display = "block";
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function choose(item) {
      hidden.value = String(item.id);
      input.value = item.label;
      close();
    }

    function search() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var url = new URL(input.getAttribute("data-candidate-picker"), window.location.href);
      url.searchParams.set("q", q);
      var examName = input.getAttribute("data-picker-exam-field");
      var exam = examName && input.form ? input.form.elements[examName] : null;
      if (exam && exam.value) { url.searchParams.set("exam", exam.value); }
      var mine = ++asked;
      fetch(url.toString(), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
        .then(function (data) {
          if (mine === asked) { show(data.results || [], input.getAttribute("data-picker-empty")); }
        })
        .catch(function () {
          if (mine === asked) { show([], input.getAttribute("data-picker-failed")); }
        });
    }

    input.addEventListener("input", function () {
      hidden.value = input.value.trim();  // typed, not chosen: the server reads it as a number
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY);
    });
    input.addEventListener("keydown", function (e) {
      var open = list.style.display === "block" && items.length;
      if (e.key === "ArrowDown" && open) {
        e.preventDefault();
        highlight((active + 1) % items.length);
      } else if (e.key === "ArrowUp" && open) {
        e.preventDefault();
        highlight((active - 1 + items.length) % items.length);
      } else if (e.key === "Enter" && open && active >= 0) {
        e.preventDefault();
        choose(items[active]);
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    list.addEventListener("mousedown", function (e) {
      var li = e.target.closest("li[data-index]");
      e.preventDefault();  // keeps the focus (and the list) until the choice is made
      if (li) { choose(items[Number(li.getAttribute("data-index"))]); }
    });
  }

  function init() {
    document.querySelectorAll("input[data-candidate-picker]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
