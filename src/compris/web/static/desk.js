/* Compris desk (issue 18, the shell): the inbox list beside the open case.
   - a click on a case in the list loads only the case pane (#desk-case) with htmx; the server pushes the URL
     (HX-Push-Url), so the list keeps its filters, scroll position and bulk selection, and back/forward work
     (htmx reloads the page of that URL);
   - the open case's row is marked (aria-current) and the page's body says which case is open (data-case-*), for
     the live updates, the reading mark and the presence signals of app.js;
   - after "Resolve", the next case of the list opens;
   - the list's filters are remembered in a cookie, so that /cases/N shows the list as the agent left it;
   - below 1,100 px the case and customer panel is a second tab of the case pane.
   No inline script (CSP): everything hangs off ids and data attributes. */
(function () {
  "use strict";

  var body = document.body;
  var COOKIE = "compris_list";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* --- the panes fill the window below the top bar --- */
  function measure() {
    var bar = $(".topbar");
    var top = bar ? bar.getBoundingClientRect().height : 0;
    document.documentElement.style.setProperty("--desk-top", Math.round(top) + "px");
  }
  window.addEventListener("resize", measure);

  /* --- the list's filters, remembered for /cases/N --- */
  function remember() {
    var rows = $("#rows");
    if (!rows || !$("#desk")) { return; }
    var query = rows.dataset.query || "";
    document.cookie = COOKIE + "=" + encodeURIComponent(query) + "; path=/; max-age=2592000; samesite=lax";
  }

  /* --- which case is open --- */
  function openNumber() {
    var pane = $("#desk-case");
    return pane && pane.dataset.caseNumber ? pane.dataset.caseNumber : "";
  }
  function markOpen() {
    var n = openNumber();
    $all("#rows .case-row").forEach(function (row) {
      var open = !!n && row.dataset.number === n;
      row.classList.toggle("open", open);
      if (open) { row.setAttribute("aria-current", "true"); }
      else if (n || !row.classList.contains("selected")) { row.removeAttribute("aria-current"); }
      if (open && n) { row.classList.add("selected"); }
      else if (n) { row.classList.remove("selected"); }
    });
  }
  var lastOpen = null;
  function syncCase() {
    var pane = $("#desk-case");
    if (!pane || !$("#desk")) { return; }
    var n = pane.dataset.caseNumber || "";
    if (n) {
      body.dataset.page = "case";
      body.dataset.caseId = pane.dataset.caseId;
      body.dataset.caseNumber = n;
    } else {
      body.dataset.page = "inbox";
      delete body.dataset.caseId;
      delete body.dataset.caseNumber;
    }
    markOpen();
    setupTabs();
    remember();
    if (n !== lastOpen) {
      var previous = lastOpen;
      lastOpen = n;
      body.dispatchEvent(new CustomEvent("compris:case-opened", { detail: { number: n, previous: previous } }));
    }
  }

  /* --- a live refresh of the case left behind must not land in the case opened since: its fragments swap by id
     (out of band). Its answer is dropped (not aborted: htmx reports an aborted request as an error). --- */
  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail || {};
    var path = (detail.requestConfig && detail.requestConfig.path) || "";
    var match = /^\/cases\/(\d+)\/fragments/.exec(path);
    var xhr = detail.xhr;
    if (!match || !xhr || typeof xhr.onload !== "function") { return; }
    var handle = xhr.onload;
    xhr.onload = function () {
      if ($("#desk-case") && openNumber() !== match[1]) { return undefined; }
      return handle.apply(this, arguments);
    };
  });

  /* --- open a case of the list in the case pane --- */
  function rowOf(number) { return number ? document.getElementById("case-row-" + number) : null; }
  function openCase(href, row) {
    if (!window.htmx || !$("#desk-case")) { window.location.href = href; return; }
    if (row) {
      $all("#rows .case-row.selected").forEach(function (r) { r.classList.remove("selected"); });
      row.classList.add("selected");
      row.scrollIntoView({ block: "nearest" });
    }
    /* the request's source: the desk (htmx queues the requests of one element and keeps only the last one queued;
       without a source every htmx.ajax call is the body's, and a live refresh would drop the case asked for) */
    window.htmx.ajax("GET", href, { source: "#desk", target: "#desk-case", swap: "outerHTML",
                                    headers: { "HX-Target": "desk-case" } });
  }
  window.comprisDesk = {
    /* j/k with a case open (app.js): the next or previous case of the list opens */
    step: function (delta) {
      var rows = $all("#rows .case-row");
      if (!rows.length) { return false; }
      var current = rows.indexOf(rowOf(openNumber()) || $("#rows .case-row.selected"));
      var next = rows[Math.min(rows.length - 1, Math.max(0, current < 0 ? 0 : current + delta))];
      if (!next || (current >= 0 && next === rows[current])) { return true; }
      var link = $("a.case-link", next);
      if (link) { openCase(link.getAttribute("href"), next); link.focus({ preventScroll: true }); }
      return true;
    },
    open: function (row) {
      var link = row && $("a.case-link", row);
      if (!link) { return false; }
      openCase(link.getAttribute("href"), row);
      return true;
    },
    active: function () { return !!$("#desk-case") && !!window.htmx; },
    /* before a shortcut focuses a field: show the tab it is in */
    reveal: function (el) {
      var pane = el && el.closest && el.closest("#desk-case.tabs-on");
      if (!pane) { return; }
      var want = el.closest(".case-side") ? "side" : el.closest(".case-main") ? "conversation" : "";
      var button = want && pane.dataset.tab !== want ? $('[data-case-tab="' + want + '"]', pane) : null;
      if (button) { button.click(); }
    }
  };
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#desk-list a.case-link");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey || !$("#desk-case") || !window.htmx) { return; }
    event.preventDefault();
    openCase(link.getAttribute("href"), link.closest(".case-row"));
  });

  /* --- after "Resolve": the next case of the list (the one below, else the one above) --- */
  /* The request's own "load" event, not htmx's swap events: a live refresh may replace the form and its panel
     before the answer comes back, and htmx's events on a replaced element reach no listener. */
  function resolving(elt) {
    if (!elt || elt.tagName !== "FORM" || !/\/cases\/\d+\/status$/.test(elt.getAttribute("action") || "")) { return false; }
    var status = $('input[name="status"]', elt);
    return !!status && status.value === "resolved";
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail || {};
    if (!resolving(detail.elt) || !detail.xhr) { return; }
    var rows = $all("#rows .case-row");
    var from = openNumber();
    var i = rows.indexOf(rowOf(from));
    var next = i < 0 ? null : (rows[i + 1] || rows[i - 1] || null);
    if (!next) { return; }
    var target = next.dataset.number;
    detail.xhr.addEventListener("load", function () {
      if (detail.xhr.status !== 200 || openNumber() !== from) { return; }  /* refused, or the agent moved on */
      setTimeout(function () {  /* after htmx has swapped the resolved case's panel */
        var row = rowOf(target);
        if (row) { window.comprisDesk.open(row); } else { window.location.href = "/cases/" + target; }
      }, 0);
    });
  });

  /* --- below 1,100 px: the conversation, or the case and customer panel --- */
  function setupTabs() {
    var pane = $("#desk-case.case-page");
    var tabs = pane && $(".case-tabs", pane);
    if (!tabs) { return; }
    tabs.hidden = false;
    pane.classList.add("tabs-on");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-case-tab]");
    if (!button) { return; }
    var pane = button.closest(".case-page");
    var tab = button.dataset.caseTab;
    pane.dataset.tab = tab;
    $all("[data-case-tab]", pane).forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
    if (window.matchMedia("(max-width: 699.98px)").matches) { tabs(pane).scrollIntoView({ block: "start" }); }
  });
  function tabs(pane) { return $(".case-tabs", pane); }
  /* a shortcut or a link to something in the hidden tab shows that tab */
  document.addEventListener("focusin", function (event) {
    var pane = event.target.closest && event.target.closest("#desk-case.tabs-on");
    if (!pane) { return; }
    var want = event.target.closest(".case-side") ? "side" : event.target.closest(".case-main") ? "conversation" : "";
    if (want && pane.dataset.tab !== want) {
      var button = $('[data-case-tab="' + want + '"]', pane);
      if (button) { button.click(); }
    }
  });

  /* --- drafts: what an agent typed in a case's reply or note box, or in the note about the customer, survives
     opening another case and coming back, and a live refresh that redraws its panel (kept per case in this tab's
     sessionStorage, never sent anywhere); a send or a sign-out drops it --- */
  var DRAFT = "compris-draft:";
  var BOXES = "#reply-text, #note-text, #customer-note-new";
  function draftKey(box) {
    var n = openNumber() || body.dataset.caseNumber || "";
    return n ? DRAFT + n + ":" + box.id : "";
  }
  function store(box) {
    var key = draftKey(box);
    if (!key || box.dataset.sending) { return; }  /* being sent: a swap while it is on its way keeps nothing */
    try {
      if (box.value.trim()) { sessionStorage.setItem(key, box.value); } else { sessionStorage.removeItem(key); }
    } catch (e) { /* storage off or full: the draft is simply not kept */ }
  }
  document.addEventListener("input", function (event) {
    if (event.target && event.target.matches && event.target.matches(BOXES)) {
      delete event.target.dataset.sending;  /* typing again after a send that never answered */
      store(event.target);
    }
  });
  document.addEventListener("submit", function (event) {  /* sent: a refusal puts the text back, kept again below */
    $all(BOXES, event.target).forEach(function (box) {
      var key = draftKey(box);
      box.dataset.sending = "1";  /* the server's answer redraws the box: emptied when sent, refilled when refused */
      try { if (key) { sessionStorage.removeItem(key); } } catch (e) { /* nothing kept */ }
    });
    if (event.target.matches && event.target.matches('form[action="/logout"]')) {
      try {
        Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(DRAFT) === 0) { sessionStorage.removeItem(k); } });
      } catch (e) { /* nothing kept */ }
    }
  }, true);
  /* a box the server just drew (untouched: its value is its default) gets the case's kept draft back — on opening
     the case, and after a swap that redrew it (adding a note redraws the reply box too); a sent reply's draft went
     at its submit, so it does not come back */
  function settle() {
    $all(BOXES).forEach(function (box) {
      var key = draftKey(box), kept = null;
      try { kept = key ? sessionStorage.getItem(key) : null; } catch (e) { kept = null; }
      if (kept && box.value === box.defaultValue && kept !== box.value) {
        box.value = kept;
        box.dispatchEvent(new Event("input", { bubbles: true }));  /* the counter and the reply guard follow */
      } else {
        store(box);
      }
    });
  }
  body.addEventListener("compris:case-opened", settle);

  document.addEventListener("htmx:afterSettle", function () { syncCase(); });
  document.addEventListener("htmx:afterSettle", settle);  /* after syncCase: the open case is the new one */
  document.addEventListener("htmx:historyRestore", function () { measure(); syncCase(); });
  measure();
  syncCase();
})();
