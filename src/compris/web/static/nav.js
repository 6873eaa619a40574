/* The top bar's menu on narrow screens (issue 18, defect 11): a disclosure button that shows and hides the
   navigation. Closed by default where the button is shown; Escape closes it and gives the focus back to the button.
   Without this script the navigation simply stays open. */
(function () {
  "use strict";
  function setUp() {
    var bar = document.querySelector(".topbar");
    var toggle = document.getElementById("nav-toggle");
    var menu = document.getElementById("topmenu");
    if (!bar || !toggle || !menu) return;
    function set(open) {
      bar.setAttribute("data-nav", open ? "open" : "closed");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    set(false);
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      set(open);
      if (open) {
        var first = menu.querySelector("a, button");
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true" &&
          getComputedStyle(toggle).display !== "none") {
        set(false);
        toggle.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (toggle.getAttribute("aria-expanded") === "true" && getComputedStyle(toggle).display !== "none" &&
          !bar.contains(event.target)) {
        set(false);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
