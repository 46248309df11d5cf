// The kiosk's camera: where the browser reads QR codes itself (BarcodeDetector), a button
// starts the camera and sends the code it sees, as a hand scanner typing it would.
(function () {
  var form = document.querySelector("form.kiosk-form");
  var button = document.querySelector("button[data-scan]");
  var video = document.querySelector("video[data-scan-video]");
  if (!form || !button || !video) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "user" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          function look() {
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stream.getTracks().forEach(function (track) { track.stop(); });
                form.querySelector("[name=kod]").value = codes[0].rawValue;
                form.submit();
              } else {
                window.requestAnimationFrame(look);
              }
            }, function () { window.requestAnimationFrame(look); });
          }
          look();
        });
      })
      .catch(function () {
        button.textContent = button.dataset.failed || button.textContent;
        button.disabled = true;
      });
  });
})();
