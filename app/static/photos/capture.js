/* Camera capture for the staff capture page and the candidate's own photo page: live preview
   with a guide frame, take / retake, and upload of the cropped frame as a JPEG. Plain JS on
   purpose: offices run old browsers and no CDN.
   The page sets on #ks-capture: data-upload-url, data-msg-* texts, data-autostart="yes" to
   open the camera on load, and data-kind when it has no #ks-kind chooser (one kind only). */
(function () {
  "use strict";
  var root = document.getElementById("ks-capture");
  var video = document.getElementById("ks-video");
  if (!root || !video) { return; }
  var canvas = document.getElementById("ks-canvas");
  var guide = document.getElementById("ks-guide");
  var kindSelect = document.getElementById("ks-kind");
  var status = document.getElementById("ks-status");
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
    enable(false, false, true, true);
  }

  function retake() {
    canvas.hidden = true; video.hidden = false; guide.hidden = false;
    say(""); enable(false, true, false, false);
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
    }
    say(body.ok ? root.dataset.msgSaved : root.dataset.msgFailed);
    root.setAttribute("data-last-result", body.ok ? "ok" : "failed");
  }

  function send() {
    var chosen = kind();
    enable(false, false, false, false);
    canvas.toBlob(function (blob) {
      var form = new FormData();
      form.append("csrf_token", document.getElementById("ks-csrf").value);
      form.append("file", blob, "camera.jpg");
      fetch(root.dataset.uploadUrl + "?kind=" + encodeURIComponent(chosen), {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (resp) {
        return resp.json().catch(function () { return { ok: false, failures: [] }; });
      }).then(function (body) {
        showResult(chosen, body); enable(false, false, true, false);
      }).catch(function () {
        say(root.dataset.msgFailed); enable(false, false, true, true);
      });
    }, "image/jpeg", 0.92);
  }

  if (kindSelect) { kindSelect.addEventListener("change", placeGuide); }
  buttons.start.addEventListener("click", startCamera);
  buttons.take.addEventListener("click", take);
  buttons.retake.addEventListener("click", retake);
  buttons.send.addEventListener("click", send);
  placeGuide();
  if (root.dataset.autostart === "yes") { startCamera(); }
})();
