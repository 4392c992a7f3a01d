/* The portal's camera scan: the browser's BarcodeDetector where it reads QR codes, else the vendored
   jsQR (loaded from this platform only when needed); a photo of the label where no camera stream is
   allowed. What is read goes to /code, which sends a code to its scan page. */
(function () {
  "use strict";
  var box = document.getElementById("camera-box");
  if (!box) return;
  var startBtn = document.getElementById("camera-start");
  var video = document.getElementById("camera");
  var status = document.getElementById("camera-status");
  var photo = document.getElementById("photo");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;

  function say(text) { status.textContent = text; }
  function go(text) { window.location.href = "/code?code=" + encodeURIComponent(text); }
  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/static/vendor/jsQR.js";
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function detector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }
  function decodePixels(source, w, h) {
    canvas.width = w; canvas.height = h;
    ctx.drawImage(source, 0, 0, w, h);
    var img = ctx.getImageData(0, 0, w, h);
    var found = window.jsQR(img.data, w, h, { inversionAttempts: "attemptBoth" });
    return found ? found.data : null;
  }
  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    startBtn.disabled = false;
  }
  // A phone's camera gives 1920×1080 or more, and jsQR's time grows with the pixels (a frame with no code
  // in it: 3.5 times as long at 1920×1080 as at 960×540, measured with node on this jsQR). A label held to
  // the camera fills much of the view, so 960 pixels on the long side keep it legible.
  function frameSize(w, h) {
    var scale = Math.min(1, 960 / Math.max(w, h));
    return [Math.round(w * scale), Math.round(h * scale)];
  }
  // Leaving the page (or the browser keeping it in its back-forward cache) turns the camera off.
  window.addEventListener("pagehide", stop);

  box.hidden = false;
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    startBtn.hidden = false;
    startBtn.addEventListener("click", function () {
      if (stream) return;  // one camera at a time: a second tap would leak the first stream
      startBtn.disabled = true;
      say("正在打开摄像头… Opening the camera…");
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (s) {
          stream = s; video.srcObject = s; video.hidden = false;
          return video.play();
        })
        .then(detector)
        .then(function (d) { return d ? d : loadJsQR().then(function () { return null; }); })
        .then(function (d) {
          say("请对准商品上的二维码 Point the camera at the code on the product");
          function tick() {
            if (!stream) return;
            if (video.readyState < 2) { requestAnimationFrame(tick); return; }
            if (d) {
              d.detect(video).then(function (codes) {
                if (codes.length) { stop(); go(codes[0].rawValue); } else { requestAnimationFrame(tick); }
              }).catch(function () { requestAnimationFrame(tick); });
            } else {
              var size = frameSize(video.videoWidth, video.videoHeight);
              var text = decodePixels(video, size[0], size[1]);
              if (text) { stop(); go(text); } else { requestAnimationFrame(tick); }
            }
          }
          tick();
        })
        .catch(function () {
          stop();
          say("无法使用摄像头，请拍照或手动输入 The camera is not available: take a photo or type the code");
        });
    });
  }
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) return;
    say("正在识别… Reading…");
    var img = new Image();
    img.onload = function () {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      loadJsQR().then(function () {
        var text = decodePixels(img, Math.round(img.width * scale), Math.round(img.height * scale));
        if (text) { go(text); } else { say("未识别到二维码，请重拍或手动输入 No code found: try again or type it"); }
      });
    };
    img.src = URL.createObjectURL(file);
  });
})();
