// Division picker: an <input data-division-picker='[[code, name, parent], …]'> holding a
// 6-digit division code becomes three selects of names (province → city → county). The
// deepest chosen level's code is written back into the input, which the form submits; a
// division outside the tree ("another province") is typed into the input as its code.
// Without this script the input stays a plain text field, checked on the server.
(function () {
  var OTHER = "__other";

  function option(value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }

  function picker(input) {
    var rows = JSON.parse(input.getAttribute("data-division-picker") || "[]");
    var text = JSON.parse(input.getAttribute("data-division-labels") || "{}");
    var byCode = {}, children = {};
    rows.forEach(function (r) {
      byCode[r[0]] = r;
      (children[r[2]] = children[r[2]] || []).push(r);
    });
    var box = document.createElement("div");
    box.className = "ks-division-picker";
    var selects = [text.province, text.city, text.county].map(function (label) {
      // label: the level's placeholder option ("choose a province"), also its accessible name
      var s = document.createElement("select");
      s.className = "form-control ks-division-level";
      s.setAttribute("aria-label", label);
      s.title = label;
      box.appendChild(s);
      return s;
    });
    input.parentNode.insertBefore(box, input);
    input.classList.add("ks-division-code");

    function fill(level, parent) {
      var s = selects[level], list = children[parent] || [];
      s.innerHTML = "";
      s.appendChild(option("", s.title));
      list.forEach(function (r) { s.appendChild(option(r[0], r[1])); });
      if (level === 0) { s.appendChild(option(OTHER, text.other)); }
      s.hidden = list.length === 0 && level > 0;
    }

    function clearBelow(level) {
      for (var i = level + 1; i < selects.length; i++) {
        selects[i].innerHTML = "";
        selects[i].hidden = true;
      }
    }

    function typed(on) {
      // The code input is shown only for a division the tree does not hold.
      input.hidden = !on;
      if (on) { input.focus(); }
    }

    function chosen(level) {
      var value = selects[level].value;
      clearBelow(level);
      if (value === OTHER) {
        if (byCode[input.value]) { input.value = ""; }
        typed(true);
        return;
      }
      typed(false);
      var deepest = "";
      for (var i = level; i >= 0; i--) {
        if (selects[i].value && selects[i].value !== OTHER) { deepest = selects[i].value; break; }
      }
      input.value = deepest;
      if (value && level + 1 < selects.length) { fill(level + 1, value); }
    }

    selects.forEach(function (s, level) {
      s.addEventListener("change", function () { chosen(level); });
    });

    // Open on the stored code: its chain of names, or "another province" with the code.
    fill(0, "");
    clearBelow(0);
    var chain = [], code = input.value;
    while (byCode[code]) { chain.unshift(code); code = byCode[code][2]; }
    if (chain.length) {
      chain.forEach(function (c, level) {
        selects[level].value = c;
        if (level + 1 < selects.length) { fill(level + 1, c); }
      });
      typed(false);
    } else if (input.value) {
      selects[0].value = OTHER;
      typed(true);
    } else {
      typed(false);
    }
  }

  document.querySelectorAll("input[data-division-picker]").forEach(picker);
})();
