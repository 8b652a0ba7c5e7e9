/* Camera capture for the staff capture page and the candidate's own photo page: live preview
   with a guide frame and head oval, take / retake; each snapshot is sent to the check-only
   URL first and its measured checks (value, required range, pass/fail, fix hint) are listed
   under the preview; "use this picture" is enabled only when it passes, and then uploads the
   cropped frame as a JPEG (the server checks it again). Plain JS on purpose: offices run old
   browsers and no CDN.
   The page sets on #ks-capture: data-upload-url, data-check-url, data-msg-* texts,
   data-autostart="yes" to open the camera on load, and data-kind when it has no #ks-kind
   chooser (one kind only). */
(function () {
  "use strict";
  var root = document.getElementById("ks-capture");
  var video = document.getElementById("ks-video");
  if (!root || !video) { return; }
  var canvas = document.getElementById("ks-canvas");
  var guide = document.getElementById("ks-guide");
  var kindSelect = document.getElementById("ks-kind");
  var status = document.getElementById("ks-status");
  var snapshotChecks = document.getElementById("ks-snapshot-checks");
  var buttons = {
    start: document.getElementById("ks-start"), take: document.getElementById("ks-take"),
    retake: document.getElementById("ks-retake"), send: document.getElementById("ks-send")
  };
  // Output at least 900x1200 (portrait) or 1200x900 (ID document): the server downsizes
  // to the notice's size, and never upsizes.
  var SIZES = { photo: [900, 1200], id_document: [1200, 900] };

  function kind() { return kindSelect ? kindSelect.value : (root.dataset.kind || "photo"); }

  function target() { return SIZES[kind()] || SIZES.photo; }

  function cropBox() {
    var size = target(), vw = video.videoWidth, vh = video.videoHeight;
    var w = vw, h = Math.round(vw * size[1] / size[0]);
    if (h > vh) { h = vh; w = Math.round(vh * size[0] / size[1]); }
    return { x: Math.round((vw - w) / 2), y: Math.round((vh - h) / 2), w: w, h: h };
  }

  function placeGuide() {
    // A landscape frame (the ID document) has no head oval.
    guide.classList.toggle("ks-landscape", target()[0] > target()[1]);
    if (!video.videoWidth) { return; }
    var b = cropBox();
    guide.style.left = (100 * b.x / video.videoWidth) + "%";
    guide.style.top = (100 * b.y / video.videoHeight) + "%";
    guide.style.width = (100 * b.w / video.videoWidth) + "%";
    guide.style.height = (100 * b.h / video.videoHeight) + "%";
  }

  function enable(start, take, retake, send) {
    buttons.start.disabled = !start; buttons.take.disabled = !take;
    buttons.retake.disabled = !retake; buttons.send.disabled = !send;
  }

  function say(text) { status.textContent = text || ""; }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // Browsers offer the camera only to HTTPS pages and localhost.
      say(window.isSecureContext === false ? root.dataset.msgInsecure : root.dataset.msgNoCamera);
      buttons.start.disabled = true;
      root.setAttribute("data-camera", "unavailable");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1920 }, height: { ideal: 1440 } }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.onloadedmetadata = function () {
          placeGuide(); enable(false, true, false, false);
          root.setAttribute("data-camera", "ready");
        };
      })
      .catch(function () { say(root.dataset.msgNoCamera); });
  }

  function take() {
    var size = target(), b = cropBox();
    canvas.width = size[0]; canvas.height = size[1];
    canvas.getContext("2d").drawImage(video, b.x, b.y, b.w, b.h, 0, 0, size[0], size[1]);
    canvas.hidden = false; video.hidden = true; guide.hidden = true;
    check();
  }

  function retake() {
    canvas.hidden = true; video.hidden = false; guide.hidden = false;
    fillChecks(snapshotChecks, []);
    root.removeAttribute("data-check");
    say(""); enable(false, true, false, false);
  }

  // POST the snapshot to ``url``; resolves with the JSON answer.
  function post(url, chosen) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.92); })
      .then(function (blob) {
        var form = new FormData();
        form.append("csrf_token", document.getElementById("ks-csrf").value);
        form.append("file", blob, "camera.jpg");
        return fetch(url + "?kind=" + encodeURIComponent(chosen), {
          method: "POST", body: form, credentials: "same-origin",
          headers: { "Accept": "application/json" }
        });
      }).then(function (resp) {
        return resp.json().catch(function () { return { ok: false, failures: [], checks: [] }; });
      });
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : text;
    row.appendChild(td);
    return td;
  }

  // Fill a check table (markup of templates/photos/_checks.html) with the answer's checks.
  function fillChecks(table, checks) {
    if (!table) { return; }
    var body = table.querySelector("tbody");
    body.innerHTML = "";
    (checks || []).forEach(function (c) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-code", c.code);
      tr.className = c.ok ? "ks-check-ok" : (c.warn ? "ks-check-warn" : "ks-check-fail");
      cell(tr, c.label); cell(tr, c.value); cell(tr, c.required);
      var result = cell(tr, c.ok ? root.dataset.msgPass : (c.warn ? root.dataset.msgWarn : root.dataset.msgFail));
      if (c.hint) {
        var tip = document.createElement("div");
        tip.className = "ks-check-hint"; tip.textContent = c.hint;
        result.appendChild(tip);
      }
      body.appendChild(tr);
    });
    table.hidden = !(checks && checks.length);
  }

  function check() {
    var chosen = kind();
    if (!root.dataset.checkUrl) { enable(false, false, true, true); return; }
    enable(false, false, false, false);
    say(root.dataset.msgChecking);
    post(root.dataset.checkUrl, chosen).then(function (body) {
      fillChecks(snapshotChecks, body.checks);
      root.setAttribute("data-check", body.ok ? "pass" : "fail");
      say(body.ok ? root.dataset.msgPassed : root.dataset.msgRefused);
      enable(false, false, true, !!body.ok);
    }).catch(function () {
      say(root.dataset.msgFailed); enable(false, false, true, false);
    });
  }

  function showResult(kind, body) {
    var list = document.getElementById("ks-failures-" + kind);
    list.innerHTML = "";
    (body.failures || []).forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f.message; li.setAttribute("data-code", f.code);
      list.appendChild(li);
    });
    if (body.ok) {
      var panel = document.getElementById("ks-picture-" + kind);
      var img = panel.querySelector("img.ks-current"), none = panel.querySelector(".ks-none");
      img.src = body.url + "?t=" + Date.now(); img.hidden = false;
      if (none) { none.remove(); }
      fillChecks(document.getElementById("ks-checks-" + kind), body.checks);
    }
    say(body.ok ? root.dataset.msgSaved : root.dataset.msgFailed);
    root.setAttribute("data-last-result", body.ok ? "ok" : "failed");
  }

  function send() {
    var chosen = kind();
    enable(false, false, false, false);
    post(root.dataset.uploadUrl, chosen).then(function (body) {
      if (!body.ok) { fillChecks(snapshotChecks, body.checks); }
      showResult(chosen, body); enable(false, false, true, false);
    }).catch(function () {
      say(root.dataset.msgFailed); enable(false, false, true, true);
    });
  }

  if (kindSelect) { kindSelect.addEventListener("change", placeGuide); }
  buttons.start.addEventListener("click", startCamera);
  buttons.take.addEventListener("click", take);
  buttons.retake.addEventListener("click", retake);
  buttons.send.addEventListener("click", send);
  placeGuide();
  if (root.dataset.autostart === "yes") { startCamera(); }
})();
