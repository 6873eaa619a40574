/* Compris reply box: the reply guard as you type, one-click fixes and overrides, templates (t or Ctrl+/),
   move to private, suggestions, and X's weighted length for the counter.
   No inline scripts (CSP script-src 'self'); everything hangs off ids and data attributes. */
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function csrf() { var m = $('meta[name="csrf-token"]'); return m ? m.getAttribute("content") : ""; }
  function area() { return $("#reply-text"); }
  function mention() { var a = area(); return a ? (a.dataset.mention || "") : ""; }
  function visibility() {
    var checked = $('#reply-form input[name="visibility"]:checked');
    return checked ? checked.value : "public";
  }

  /* --- X's weighted length (twitter-text v3): URLs 23, emoji and CJK 2, leading reply mentions free --- */
  var LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  var URL = /(?:https?:\/\/|www\.)[^\s<>"]+/gi;
  var EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
  function graphemes(text) {
    if (window.Intl && Intl.Segmenter) {
      return Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text), function (s) { return s.segment; });
    }
    return Array.from(text);
  }
  function weight(cluster) {
    if (EMOJI.test(cluster)) { return 2; }
    var total = 0;
    Array.from(cluster).forEach(function (ch) {
      var cp = ch.codePointAt(0);
      total += LIGHT.some(function (r) { return cp >= r[0] && cp <= r[1]; }) ? 1 : 2;
    });
    return total;
  }
  function xLength(text, reply) {
    if (reply) { text = text.replace(/^\s*(?:@\w{1,50}\s+)+/, ""); }
    var total = 0;
    var rest = text.replace(URL, function () { total += 23; return " "; });
    total -= (text.match(URL) || []).length; /* the placeholder space */
    graphemes(rest).forEach(function (g) { total += weight(g); });
    return total;
  }
  window.comprisTextLength = function (text, unit) {
    return unit === "x" ? xLength(text, visibility() === "public") : null;
  };

  /* --- the guard, as the draft is typed --- */
  var guardTimer = null;
  var guardSeq = 0;
  function runGuard(delay) {
    clearTimeout(guardTimer);
    guardTimer = setTimeout(function () {
      var form = $("#reply-form");
      var a = area();
      if (!form || !a || !a.dataset.guardUrl) { return; }
      var seq = ++guardSeq;
      var data = new URLSearchParams(new FormData(form));
      data.delete("send_anyway");
      fetch(a.dataset.guardUrl, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null || seq !== guardSeq) { return; }
        var panel = $("#guard-panel");
        if (!panel) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html; /* our own server-rendered, autoescaped fragment */
        var fresh = holder.firstElementChild;
        if (fresh) { panel.replaceWith(fresh); syncSend(); }
      }).catch(function () { /* offline: the server checks again on send */ });
    }, delay === undefined ? 400 : delay);
  }
  function syncSend() {
    var panel = $("#guard-panel");
    var send = $('#reply-form button[type="submit"].primary');
    if (!panel || !send) { return; }
    var blocked = parseInt(panel.dataset.blocks || "0", 10) > 0;
    send.disabled = blocked;
    send.title = blocked ? (send.dataset.blockedTitle || "") : "";
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-text") { runGuard(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.name !== "visibility" || !event.target.closest("#reply-form")) { return; }
    var a = area();
    var m = mention();
    if (a && m) {
      if (event.target.value !== "public" && a.value.trim() === m.trim()) { a.value = ""; }
      else if (event.target.value === "public" && !a.value.trim()) { a.value = m; }
    }
    runGuard(0);
  });

  /* --- editing the draft --- */
  function setDraft(text, templateId) {
    var a = area();
    if (!a) { return; }
    a.value = text;
    var hidden = $("#reply-template-id");
    if (hidden) { hidden.value = templateId || ""; }
    a.dispatchEvent(new Event("input", { bubbles: true })); /* counter and guard */
    a.focus();
    a.setSelectionRange(a.value.length, a.value.length);
  }
  function withMention(text) {
    var m = mention();
    if (!m || visibility() !== "public" || /^\s*@/.test(text)) { return text; }
    return m + text.replace(/^\s+/, "");
  }
  function insertText(text, templateId) {
    var a = area();
    if (!a) { return; }
    var current = a.value;
    if (!current.trim() || current.trim() === mention().trim()) {
      setDraft(withMention(text), templateId);
      return;
    }
    var start = a.selectionStart, end = a.selectionEnd;
    var before = current.slice(0, start), after = current.slice(end);
    var glue = before && !/\s$/.test(before) ? " " : "";
    setDraft(before + glue + text + after, templateId);
  }

  /* spans from the server count code points; JavaScript strings count UTF-16 units */
  function applySpan(draft, span, text) {
    var chars = Array.from(draft);
    return chars.slice(0, span[0]).join("") + text + chars.slice(span[1]).join("");
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-fix-kind], [data-fix-action], [data-override], [data-use-reply], " +
      ".template-item, #template-button, #move-private-button, [data-close-move]");
    if (!el) { return; }
    var a = area();
    if (el.dataset.fixKind) {
      if (!a) { return; }
      var keep = $("#reply-template-id") ? $("#reply-template-id").value : "";
      if (el.dataset.fixKind === "replace_draft") {
        setDraft(el.dataset.fixText || "", keep);
      } else if (el.dataset.span) {
        var span = el.dataset.span.split(",").map(function (n) { return parseInt(n, 10); });
        setDraft(applySpan(a.value.replace(/\r\n/g, "\n").trim(), span, el.dataset.fixText || ""), keep);
      }
      runGuard(0);
    } else if (el.dataset.fixAction === "move_to_private") {
      openMovePrivate(true);
    } else if (el.dataset.override) {
      toggleOverride(el);
    } else if (el.dataset.useReply !== undefined) {
      setDraft(withMention(el.dataset.useReply), "");
    } else if (el.classList.contains("template-item")) {
      closePicker(false);
      insertText(el.dataset.templateText || "", el.dataset.templateId || "");
    } else if (el.id === "template-button") {
      openPicker();
    } else if (el.id === "move-private-button") {
      openMovePrivate(false);
    } else if (el.hasAttribute("data-close-move")) {
      var form = $("#move-private-form");
      if (form) { form.hidden = true; }
      if (a) { a.focus(); }
    }
  });

  function toggleOverride(button) {
    var hidden = $("#reply-override");
    if (!hidden) { return; }
    var rules = hidden.value.split(",").filter(Boolean);
    var rule = button.dataset.override;
    var on = rules.indexOf(rule) < 0;
    rules = rules.filter(function (r) { return r !== rule; });
    if (on) { rules.push(rule); }
    hidden.value = rules.join(",");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var item = button.closest(".finding");
    if (item) { item.classList.toggle("overridden", on); }
  }

  /* --- move to private --- */
  function openMovePrivate(submit) {
    var form = $("#move-private-form");
    if (!form) { return; }
    var privateText = $("#private-text", form);
    var a = area();
    var draft = a ? a.value.replace(/^\s*(?:@\w{1,50}\s+)+/, "").trim() : "";
    form.hidden = false;
    if (privateText && (!privateText.value.trim() || submit)) { privateText.value = draft; }
    if (submit && privateText && privateText.value.trim()) {
      form.requestSubmit();
      return;
    }
    if (privateText) { privateText.focus(); }
  }

  /* --- templates: t or Ctrl+/ opens the picker --- */
  function openPicker() {
    var picker = $("#template-picker");
    var q = $("#template-q");
    if (!picker || !q) { return; }
    picker.hidden = false;
    q.focus();
    q.select();
    if (window.htmx) { window.htmx.trigger(q, "templates-open"); }
  }
  function closePicker(refocus) {
    var picker = $("#template-picker");
    if (picker) { picker.hidden = true; }
    if (refocus !== false && area()) { area().focus(); }
  }
  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (document.body.dataset.page !== "case") { return; }
    var inPicker = event.target.closest && event.target.closest("#template-picker");
    if ((event.ctrlKey || event.metaKey) && event.key === "/") {
      event.preventDefault();
      openPicker();
      return;
    }
    if (inPicker) {
      var items = Array.prototype.slice.call(document.querySelectorAll("#template-results .template-item"));
      var index = items.indexOf(document.activeElement);
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closePicker(); }
      else if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        items[Math.min(items.length - 1, index + 1)].focus();
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        if (index <= 0) { $("#template-q").focus(); } else { items[index - 1].focus(); }
      } else if (event.key === "Enter" && event.target.id === "template-q" && items.length) {
        event.preventDefault();
        items[0].click();
      }
      return;
    }
    if (event.key === "t" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      openPicker();
    }
  }, true);

  document.addEventListener("htmx:afterSwap", function () { syncSend(); });
  syncSend();
})();
