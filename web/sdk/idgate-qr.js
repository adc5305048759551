// idgate-qr.js — the desktop side of idgate's cross-device QR sessions (uqudo door).
// One <script> tag, no dependencies:
//   <div id="qr" data-idgate-qr="QR_CODE_TEXT"></div>
//   <script src="https://idgate.example/sdk/idgate-qr.js"></script>
// or IdgateQr.mount(element, {qrCodeText}). The element shows the QR code (an SVG rendered by
// the server) and receives DOM events, one per frame of /ws/v1/session:
//   idgate:qr, idgate:scan, idgate:read, idgate:face, idgate:background_check, idgate:info
//   (detail = the frame; on INFO the socket is closed and detail.sessionId goes to your backend),
//   idgate:frame for every frame, idgate:close {code, reason} when the socket ends.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script && script.src ? new URL(script.src).origin : location.origin;

  function emit(el, name, detail) {
    el.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }));
  }

  function mount(el, opts) {
    var qrCodeText = (opts && opts.qrCodeText) || el.getAttribute("data-idgate-qr");
    if (!qrCodeText) throw new Error("idgate-qr: no qrCodeText");
    var base = (opts && opts.origin) || origin;
    var ws = new WebSocket(base.replace(/^http/, "ws") + "/ws/v1/session");
    ws.onopen = function () { ws.send(qrCodeText); };
    ws.onmessage = function (m) {
      var frame;
      try { frame = JSON.parse(m.data); } catch (e) { return; }
      var service = String(frame.service || "").toLowerCase();
      if (service === "qr") {
        var doc = new DOMParser().parseFromString(frame.svg, "image/svg+xml");
        var svg = doc.documentElement;
        if (svg && svg.nodeName.toLowerCase() === "svg") {
          el.replaceChildren(document.importNode(svg, true));
        }
        el.setAttribute("data-link", frame.link);
      }
      if (service !== "heartbeat") emit(el, "idgate:frame", frame);
      emit(el, "idgate:" + service, frame);
      if (service === "info") ws.close(1000, "done");
    };
    ws.onclose = function (e) { emit(el, "idgate:close", { code: e.code, reason: e.reason }); };
    return { close: function () { ws.close(1000, "closed by page"); }, socket: ws };
  }

  window.IdgateQr = { mount: mount };
  function auto() {
    document.querySelectorAll("[data-idgate-qr]").forEach(function (el) { mount(el); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", auto);
  else auto();
})();
