// The survey page: a one-click rating link (e-mail) sends its rating once the page is really shown in a browser.
// A link scanner that only fetches the page never runs this, so it records nothing (GET never records).
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form || form.getAttribute("data-auto") !== "1") { return; }
  var sent = false;
  function send() {
    if (sent || document.visibilityState !== "visible") { return; }
    sent = true;
    form.removeAttribute("data-auto");
    form.submit();
  }
  document.addEventListener("visibilitychange", send);
  if (document.readyState === "complete") { send(); } else { window.addEventListener("load", send); }
})();
