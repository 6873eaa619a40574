/* Compris agent UI: CSRF header for htmx, live updates (server-sent events), keyboard shortcuts, help overlay.
   No inline scripts anywhere (the CSP is script-src 'self'); everything hangs off data attributes. */
(function () {
  "use strict";

  var body = document.body;
  var page = body.dataset.page || "";
  /* the desk (desk.js) opens cases beside the list without reloading: the page changes between "inbox" and "case" */
  function pageNow() { return body.dataset.page || ""; }
  function desk() { return window.comprisDesk && window.comprisDesk.active() ? window.comprisDesk : null; }

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* --- CSRF: every htmx request carries the token of the <meta name="csrf-token"> --- */
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = $('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });

  /* --- errors: a short message rather than nothing --- */
  var toastTimer = null;
  function toast(message) {
    var el = $("#toast");
    if (!el) { return; }
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname); return; }
    var message = "Error " + xhr.status;
    try { var data = JSON.parse(xhr.responseText); if (data && data.error) { message = data.error; } } catch (e) { /* HTML */ }
    toast(message);
  });
  document.addEventListener("htmx:sendError", function () { toast(body.dataset.offline || "Network error: try again."); });
  /* a refusal that leaves the page as it is (HX-Reswap: none) names itself with HX-Trigger {"compris:error": "..."} */
  document.addEventListener("compris:error", function (event) {
    var detail = event.detail || {};
    toast(typeof detail.value === "string" ? detail.value : "Error");
  });

  /* --- live updates --- */
  function setLive(on) {
    var el = $("#live-status");
    if (!el) { return; }
    el.dataset.state = on ? "on" : "off";
    el.textContent = on ? el.dataset.labelOn : el.dataset.labelOff;
  }

  var pendingNumbers = [];
  var rowsTimer = null;
  function refreshRows(number) {
    if (number) { pendingNumbers.push(String(number)); }
    clearTimeout(rowsTimer);
    rowsTimer = setTimeout(function () {
      var rows = $("#rows");
      if (!rows || !window.htmx) { return; }
      var numbers = pendingNumbers;
      pendingNumbers = [];
      var selected = selectedNumber();
      /* its own source (a stable element): htmx.ajax calls without one are all the body's, and htmx keeps only
         the last request queued behind one in flight: a case refresh would drop the list's, or the reverse */
      window.htmx.ajax("GET", "/inbox/rows?" + (rows.dataset.query || ""),
                       { source: $("#desk-list") ? "#desk-list" : undefined, target: "#rows", swap: "outerHTML" })
        .then(function () {
          numbers.forEach(function (n) {
            var row = document.getElementById("case-row-" + n);
            if (row) {
              row.classList.remove("flash");
              void row.offsetWidth; /* restart the animation */
              row.classList.add("flash");
            }
          });
          if (selected) { select(document.getElementById("case-row-" + selected), false); }
        });
    }, 250);
  }

  var caseTimer = null;
  function refreshCase() {
    clearTimeout(caseTimer);
    caseTimer = setTimeout(function () {
      var n = body.dataset.caseNumber;
      if (!n || !window.htmx || !$("#timeline")) { return; }
      /* the escalations panel too, unless its forms are being filled in */
      var esc = $("#escalations");
      var busy = esc && ($("details[open]", esc) || esc.contains(document.activeElement));
      /* every message the agent has opened ("Show earlier messages"), not only the latest page */
      var since = $("#timeline").dataset.since;
      window.htmx.ajax("GET", "/cases/" + n + "/fragments?parts=timeline,actions,customer,sla,survey" + (esc && !busy ? ",escalations" : "") +
        (since ? "&since=" + encodeURIComponent(since) : ""),
        { source: $("#case-main") ? "#case-main" : undefined, target: "#timeline", swap: "outerHTML" });
    }, 200);
  }

  /* a live refresh must never undo or swallow the agent's own change (a note added, a merge, a status changed):
     - asked for before that change landed, its answer would bring back the state before it;
     - landing while the agent's request is on its way, it would replace the element that request's answer is
       meant for (the answer would then go into a detached element, and the agent's note would seem lost).
     Either way its answer is dropped and a fresh refresh is asked for once the agent's requests are answered. */
  var localSwapAt = 0;
  var localInFlight = 0;
  var refreshOwed = false;
  function isRefresh(detail) {
    var path = (detail && detail.requestConfig && detail.requestConfig.path) || "";
    return /^\/cases\/\d+\/fragments/.test(path);
  }
  function inCase(detail) {
    var elt = detail && (detail.elt || (detail.requestConfig && detail.requestConfig.elt));
    return !!(elt && elt.closest && elt.closest("#desk-case, #case-main"));
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail || {};
    if (isRefresh(detail)) {
      if (detail.xhr) { detail.xhr.comprisAskedAt = performance.now(); }
    } else if (inCase(detail) && detail.xhr && !detail.xhr.comprisLocal) {
      detail.xhr.comprisLocal = true;
      localInFlight += 1;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    if (!isRefresh(detail) && detail.xhr && detail.xhr.comprisLocal) {
      detail.xhr.comprisLocal = false;
      localInFlight = Math.max(0, localInFlight - 1);
      if (localInFlight === 0 && refreshOwed) { refreshOwed = false; refreshCase(); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var detail = event.detail || {};
    if (!isRefresh(detail) && inCase(detail)) { localSwapAt = performance.now(); }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    if (!isRefresh(detail) || !detail.xhr) { return; }
    var stale = detail.xhr.comprisAskedAt !== undefined && detail.xhr.comprisAskedAt < localSwapAt;
    if (localInFlight > 0) {
      detail.shouldSwap = false;
      refreshOwed = true;
    } else if (stale) {
      detail.shouldSwap = false;
      refreshCase();
    }
  });

  /* a live refresh re-renders the timeline: a form the agent has opened in it (a triage correction) stays open,
     with what was chosen in it, instead of closing under the agent's hand */
  var keptOpen = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    if (!isRefresh(detail) || detail.shouldSwap === false) { return; }
    keptOpen = $all("#timeline details[open]").map(function (d) {
      var owner = d.parentElement && d.parentElement.closest("[id]");
      var fields = $all("select[name], input[type=text][name], textarea[name]", d).map(function (f) {
        return { name: f.name, value: f.value };
      });
      /* found again by the block it belongs to (a message's triage: #triage-<id>), not by the timeline itself */
      var mine = owner && owner.id !== "timeline" && d.className;
      return mine ? { owner: owner.id, cls: d.className.split(/\s+/)[0], fields: fields } : null;
    }).filter(Boolean);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!isRefresh(event.detail || {}) || !keptOpen.length) { return; }
    keptOpen.forEach(function (kept) {
      var owner = document.getElementById(kept.owner);
      var d = owner && $("details." + kept.cls, owner);
      if (!d) { return; }
      d.open = true;
      kept.fields.forEach(function (field) {
        var f = $all("[name]", d).filter(function (x) { return x.name === field.name; })[0];
        if (f && f.value !== field.value) { f.value = field.value; }
      });
    });
    keptOpen = [];
  });

  function connectLive() {
    if (!window.EventSource || page === "login" || !$("#live-status")) { return; }
    var source = new EventSource("/live");
    source.addEventListener("open", function () { setLive(true); liveOpen(true); });
    source.addEventListener("error", function () { setLive(false); liveOpen(false); });
    source.addEventListener("collision", function (message) {
      try { onCollision(JSON.parse(message.data)); } catch (e) { /* ignore a malformed event */ }
    });
    source.addEventListener("bulk", function (message) {
      /* a bulk run moved on: its progress fragment reloads (hx-trigger="compris:bulk-<id> from:body") */
      try { var run = JSON.parse(message.data); body.dispatchEvent(new CustomEvent("compris:bulk-" + run.run_id, { detail: run })); }
      catch (e) { /* ignore a malformed event */ }
    });
    source.addEventListener("signed-out", function () {
      source.close();
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
    });
    source.addEventListener("notification", function (message) {
      /* notifications.js keeps the bell (issue 18): it takes the events naming this user */
      try { body.dispatchEvent(new CustomEvent("compris:notification", { detail: JSON.parse(message.data) })); }
      catch (e) { /* ignore a malformed event */ }
    });
    source.addEventListener("alert", function (message) {
      try { onAlert(JSON.parse(message.data)); } catch (e) { /* ignore a malformed event */ }
    });
    source.addEventListener("case", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if ($("#rows")) { refreshRows(event.number); }
      var here = pageNow() === "case" && String(event.case_id) === body.dataset.caseId;
      if (here) { refreshCase(); }
      if (event.change === "opened" || event.change === "appended" || event.change === "reopened") { announce(event, here); }
      /* fragments that follow a case themselves (hx-trigger="compris:case-<id> from:body": the case's tags) */
      body.dispatchEvent(new CustomEvent("compris:case-" + event.case_id, { detail: event }));
      if (event.change === "sla") { onSla(event); }
      if (event.change === "survey_low") { onLowRating(event); }
      if (event.change === "escalation_answered" && String(event.notify_user_id) === myId) {
        var labels = $("#presence");
        if (labels && labels.dataset.labelAnswered) {
          toast(labels.dataset.labelAnswered.replace("{n}", event.number).replace("{partner}", event.partner || ""));
        }
      }
    });
  }

  /* a customer's new message, said by screen readers (the desk's polite live region) */
  function announce(event, here) {
    var region = $("#desk-announce");
    if (!region) { return; }
    var text = here ? region.dataset.labelThis : (region.dataset.labelOther || "").replace("{n}", event.number);
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  /* --- the inbox list: selection with j/k, history of the filters --- */
  function rowsList() { return $all("#rows .case-row"); }
  function selectedNumber() { var row = $("#rows .case-row.selected"); return row ? row.dataset.number : null; }
  function select(row, focus) {
    if (!row) { return; }
    var caseOpen = pageNow() === "case";  /* then aria-current marks the open case (desk.js), not the selection */
    rowsList().forEach(function (r) { r.classList.remove("selected"); if (!caseOpen) { r.removeAttribute("aria-current"); } });
    row.classList.add("selected");
    if (!caseOpen) { row.setAttribute("aria-current", "true"); }
    if (focus !== false) {
      var link = $("a.case-link", row);
      if (link) { link.focus({ preventScroll: true }); }
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    var rows = rowsList();
    if (!rows.length) { return; }
    var current = rows.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = current < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, current + step));
    select(rows[next]);
  }
  function openSelected() {
    var row = $("#rows .case-row.selected") || rowsList()[0];
    if (desk() && row) { desk().open(row); return; }
    var link = row && $("a.case-link", row);
    if (link) { window.location.href = link.getAttribute("href"); }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "rows" || event.target.id === "rows") {
      var rows = $("#rows");
      if (rows && pageNow() === "inbox" && window.location.pathname === "/inbox" && window.history.replaceState) {
        var query = rows.dataset.query || "";
        window.history.replaceState(window.history.state, "", "/inbox" + (query ? "?" + query : ""));
      }
    }
    updateCounter();
  });

  /* --- the reply box: length counter against the network's limit --- */
  function textLength(text, unit) {
    var custom = window.comprisTextLength ? window.comprisTextLength(text, unit) : null; /* replies.js: X */
    if (custom !== null) { return custom; }
    if (unit === "graphemes" && window.Intl && Intl.Segmenter) {
      var n = 0;
      var it = new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)[Symbol.iterator]();
      while (!it.next().done) { n += 1; }
      return n;
    }
    return Array.from(text).length; /* code points, as the server counts */
  }
  function updateCounter() {
    var counter = $("#reply-counter");
    var area = $("#reply-text");
    if (!counter || !area) { return; }
    var checked = $('#reply-form input[name="visibility"]:checked');
    var limit = checked && checked.dataset.limit ? parseInt(checked.dataset.limit, 10) : 0;
    var n = textLength(area.value.replace(/\r\n/g, "\n").trim(), counter.dataset.unit);
    if (limit) {
      counter.textContent = counter.dataset.template.replace("{n}", n).replace("{max}", limit);
    } else {
      counter.textContent = counter.dataset.templateNolimit.replace("{n}", n);
    }
    counter.classList.toggle("over", !!limit && n > limit);
  }
  document.addEventListener("input", function (event) { if (event.target.id === "reply-text") { updateCounter(); } });
  document.addEventListener("change", function (event) {
    if (event.target.name === "visibility" && event.target.closest("#reply-form")) { updateCounter(); }
  });

  /* --- copy buttons --- */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = $(button.dataset.copy);
    if (!input) { return; }
    input.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value).catch(function () { /* selected anyway */ }); }
  });

  /* --- help overlay --- */
  var lastFocus = null;
  function toggleHelp(show) {
    var help = $("#help");
    if (!help) { return; }
    var open = show === undefined ? help.hidden : show;
    if (open) {
      lastFocus = document.activeElement;
      help.hidden = false;
      var close = $("[data-close-help]", help);
      if (close) { close.focus(); }
    } else {
      help.hidden = true;
      if (lastFocus && lastFocus.focus) { lastFocus.focus(); }
    }
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("#help-button")) { toggleHelp(); return; }
    if (event.target.closest("[data-close-help]") || event.target.id === "help") { toggleHelp(false); }
  });

  /* --- keyboard shortcuts (never while typing in a field) --- */
  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function click(selector) {
    var el = $(selector);
    if (!el) { return false; }
    /* a live refresh may have just redrawn the button's form: wire it before the click, so that it posts the htmx
       way (a plain post would reload the page) */
    if (window.htmx) { window.htmx.process(el.form || el); }
    el.click();
    return true;
  }
  function focusField(selector) {
    var el = $(selector);
    if (el && window.comprisDesk) { window.comprisDesk.reveal(el); }
    if (el) { el.focus(); el.scrollIntoView({ block: "center" }); return true; }
    return false;
  }
  function openEscalate() {
    var details = $("#escalate-form");
    if (!details) { return false; }
    if (window.comprisDesk) { window.comprisDesk.reveal(details); }
    details.open = true;
    var first = $("select, textarea", details);
    if (first) { first.focus(); details.scrollIntoView({ block: "nearest" }); }
    return true;
  }
  /* escalation form: a template's text goes into the brief (at the caret), like the reply box */
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-insert-into]");
    if (!select) { return; }
    var option = select.options[select.selectedIndex];
    var target = $(select.dataset.insertInto);
    if (!option || !target || !option.dataset.text) { return; }
    var start = target.selectionStart || 0, end = target.selectionEnd || 0, text = option.dataset.text;
    target.value = target.value.slice(0, start) + text + target.value.slice(end);
    target.focus();
    target.setSelectionRange(start + text.length, start + text.length);
  });
  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    var help = $("#help");
    if (event.key === "Escape") {
      if (help && !help.hidden) { toggleHelp(false); event.preventDefault(); return; }
      if (typing(event.target)) { event.target.blur(); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && typing(event.target) && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    if (pendingG) {
      pendingG = false;
      if (event.key === "i") {  /* the inbox as the agent left it (the case's back link carries the list's filters) */
        event.preventDefault();
        var back = $(".case-head a.back");
        window.location.href = back ? back.getAttribute("href") : "/inbox";
      }
      return;
    }
    var handled = true;
    switch (event.key) {
      case "?": toggleHelp(); break;
      case "g": pendingG = true; setTimeout(function () { pendingG = false; }, 1500); break;
      case "/":
        if (!focusField("#q")) { window.location.href = "/inbox#search"; }
        break;
      /* j/k: with a case open beside the list (the desk), the next / previous case opens; else the selection moves */
      case "j": if (pageNow() === "case" && desk()) { desk().step(1); } else if ($("#rows")) { move(1); } else { handled = false; } break;
      case "k": if (pageNow() === "case" && desk()) { desk().step(-1); } else if ($("#rows")) { move(-1); } else { handled = false; } break;
      case "o": if ($("#rows .case-row")) { openSelected(); } else { handled = false; } break;
      case "Enter":
        if ($("#rows .case-row") && pageNow() === "inbox" && !(event.target.closest && event.target.closest("a, button"))) { openSelected(); }
        else { handled = false; }
        break;
      case "r": handled = focusField("#reply-text"); break;
      case "n": handled = focusField("#note-text"); break;
      case "e": handled = click('[data-shortcut="e"]'); break;
      case "a": handled = click('[data-shortcut="a"]'); break;
      case "p": handled = openEscalate(); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  /* keep the j/k selection in step with the mouse and with Tab */
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("#rows .case-row");
    if (row) { select(row, false); }
  });

  /* --- routing and SLA (issue 5): presence heartbeat, collision, SLA alerts --- */
  function post(url, data) {
    var meta = $('meta[name="csrf-token"]');
    var form = new URLSearchParams(data || {});
    return fetch(url, { method: "POST", body: form, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRF-Token": meta ? meta.getAttribute("content") : "" } }).catch(function () { /* offline */ });
  }
  var heartbeatTimer = null;
  function liveOpen(on) {
    /* an agent counts as online while a page with the live connection is open */
    clearInterval(heartbeatTimer);
    if (!on || !document.body.hasAttribute("data-can-work")) { return; }  /* an analyst works no case */
    post("/presence/heartbeat");
    heartbeatTimer = setInterval(function () { post("/presence/heartbeat"); }, 30000);
  }
  var myId = body.dataset.userId || "";
  var others = {};
  function renderCollision() {
    var bar = $("#collision");
    if (!bar) { return; }
    var now = Date.now();
    var lines = [];
    Object.keys(others).forEach(function (id) {
      var o = others[id];
      if (o.until < now) { delete others[id]; return; }
      var template = o.action === "typing" ? bar.dataset.labelTyping : bar.dataset.labelViewing;
      lines.push(template.replace("{name}", o.name));
    });
    bar.textContent = lines.join(" · ");
    bar.hidden = lines.length === 0;
  }
  function onCollision(event) {
    if (pageNow() !== "case" || String(event.case_id) !== body.dataset.caseId || String(event.user_id) === myId) { return; }
    if (event.action === "left") { delete others[event.user_id]; }
    else {
      var previous = others[event.user_id];
      var typing = event.action === "typing";
      others[event.user_id] = { name: event.name, action: typing || !previous || previous.until < Date.now() ? event.action : previous.action,
        until: Date.now() + (typing ? 6000 : 45000) };
      if (!typing && previous && previous.action === "typing") { others[event.user_id].action = "viewing"; }
    }
    renderCollision();
  }
  /* presence on the open case: "viewing" now and every 20 s, "typing" at most every 3 s, "left" when the agent
     leaves it (another case opened beside the list, or the page closed) */
  var signalUrl = "";
  var lastTyping = 0;
  function watchCase() {
    var n = pageNow() === "case" ? body.dataset.caseNumber : "";
    var url = n && body.hasAttribute("data-can-work") ? "/cases/" + n + "/signal" : "";
    if (url === signalUrl) { return; }
    if (signalUrl) { post(signalUrl, { action: "left" }); }
    others = {};
    renderCollision();
    signalUrl = url;
    if (signalUrl) { post(signalUrl, { action: "viewing" }); }
  }
  setInterval(function () {
    if (signalUrl && !document.hidden) { post(signalUrl, { action: "viewing" }); }
    renderCollision();
  }, 20000);
  setInterval(renderCollision, 2000);
  document.addEventListener("input", function (event) {
    if (!signalUrl || event.target.id !== "reply-text" || Date.now() - lastTyping < 3000) { return; }
    lastTyping = Date.now();
    post(signalUrl, { action: "typing" });
  });
  window.addEventListener("pagehide", function () { if (signalUrl) { post(signalUrl, { action: "left" }); } });
  body.addEventListener("compris:case-opened", watchCase);
  watchCase();
  /* a listening alert (li-alerts): a toast for the supervisors it names; alert panels and lists refresh */
  function onAlert(event) {
    document.body.dispatchEvent(new CustomEvent("listening-alert"));
    var labels = $("#presence");
    if (!labels || event.change !== "raised" || (event.notify || []).map(String).indexOf(myId) < 0) { return; }
    var template = event.alert_kind === "spike" ? labels.dataset.labelAlertSpike : labels.dataset.labelAlertReach;
    if (template) {
      toast(template.replace("{n}", event.number).replace("{observed}", event.observed)
        .replace("{minutes}", event.window_minutes).replace("{expected}", event.expected));
    }
  }
  function onLowRating(event) {
    var labels = $("#presence");
    var template = labels && labels.dataset.labelLowRating;
    if (template && (event.notify || []).map(String).indexOf(myId) >= 0) {
      toast(template.replace("{n}", event.number).replace("{rating}", event.rating));
    }
  }
  var riskTimer = null;
  function onSla(event) {
    var notify = (event.notify || []).map(String);
    var labels = $("#presence");
    if (labels && notify.indexOf(myId) >= 0 && (event.sla_status === "at_risk" || event.sla_status === "breached")) {
      var template = event.sla_status === "breached" ? labels.dataset.labelBreached : labels.dataset.labelAtRisk;
      if (template) { toast(template.replace("{n}", event.number)); }
    }
    if (page === "supervisor" && $("#sla-risk") && window.htmx) {
      clearTimeout(riskTimer);
      riskTimer = setTimeout(function () {
        window.htmx.ajax("GET", "/supervisor", { target: "#sla-risk", select: "#sla-risk", swap: "outerHTML" });
      }, 250);
    }
  }

  if (page === "inbox" && window.location.hash === "#search") { focusField("#q"); }
  updateCounter();
  connectLive();
})();

// --- tripadvisor: "Copy" on a reply to post by hand (_manual_send.html) ----------------------------------------------
// The clipboard API where the page may use it (HTTPS, a user's click); otherwise the text is selected and copied with
// the older command, or left selected for Ctrl+C. One listener for the page: the timeline is re-rendered by HTMX.
(function () {
  "use strict";
  function copied(button) {
    var label = button.dataset.copied;
    if (!label) { return; }
    var before = button.textContent;
    button.textContent = label;
    setTimeout(function () { button.textContent = before; }, 2000);
  }
  function selectAndCopy(field, button) {
    field.focus();
    field.select();
    try {
      if (document.execCommand("copy")) { copied(button); }
    } catch (e) { /* the text stays selected: Ctrl+C copies it */ }
  }
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.dataset.copyTarget);
    if (!field) { return; }
    event.preventDefault();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { copied(button); },
                                                      function () { selectAndCopy(field, button); });
    } else {
      selectAndCopy(field, button);
    }
  });
})();

/* --- reading a case (issue 21: a GET never marks anything read): when the agent has the case open — on opening
   it, and after each live refresh of its timeline — the page POSTs /cases/<n>/read with the CSRF header. A tab in
   the background waits until it is shown again. --- */
(function () {
  "use strict";

  var body = document.body;
  var waiting = false;

  function markRead() {
    var n = body.dataset.caseNumber;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (body.dataset.page !== "case" || !n || !meta || !window.fetch || !body.hasAttribute("data-can-work")) { return; }
    if (document.visibilityState === "hidden") { waiting = true; return; }
    waiting = false;
    window.fetch("/cases/" + encodeURIComponent(n) + "/read", {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "X-CSRF-Token": meta.getAttribute("content") }
    }).then(function (response) {
      if (response.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname); }
    }, function () { /* offline: the next refresh tries again */ });
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var info = event.detail && event.detail.pathInfo;
    var path = info ? (info.requestPath || "") : "";
    if (event.detail && event.detail.successful && path.indexOf("/fragments") !== -1) { markRead(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (waiting && document.visibilityState !== "hidden") { markRead(); }
  });
  body.addEventListener("compris:case-opened", function (event) { if (event.detail && event.detail.previous !== null) { markRead(); } });
  markRead();
})();
