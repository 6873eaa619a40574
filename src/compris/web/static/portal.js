// The partner portal: once the page is really shown in a browser, tell Compris it was opened (a POST with the
// form's token). A link scanner that only fetches the page never runs this, so it records nothing (GET never records).
(function () {
  "use strict";
  var form = document.getElementById("portal-form");
  if (!form || !window.fetch) { return; }
  var sent = false;
  function send() {
    if (sent || document.visibilityState !== "visible") { return; }
    sent = true;
    var token = form.querySelector('input[name="csrf_token"]');
    var body = new URLSearchParams();
    body.set("csrf_token", token ? token.value : "");
    window.fetch(form.getAttribute("action") + "/opened", {
      method: "POST", credentials: "omit", keepalive: true, body: body
    }).catch(function () { sent = false; });
  }
  document.addEventListener("visibilitychange", send);
  if (document.readyState === "complete") { send(); } else { window.addEventListener("load", send); }
})();
