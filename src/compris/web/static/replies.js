/* Compris reply box: the reply guard as you type, one-click fixes and overrides, templates (t or Ctrl+/),
   move to private, suggestions, and X's and Mastodon's lengths for the counter.
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
  /* --- Mastodon's length (StatusLengthValidator): graphemes, every http(s) URL 23, @user@server counts as @user --- */
  var MASTODON_URL = /(^|[^\w@$#\/.])(https?:\/\/(?:[\w-]+\.)+[\w-]+(?::\d+)?(?:[\/?#][^\s<>"]*)?)/gi;
  var MASTODON_MENTION = /(^|[^=\/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)@[\w.-]+\w/gi;
  function mastodonLength(text) {
    var countable = text.replace(MASTODON_URL, function (all, before, url) {
      return before + "x".repeat(23) + url.match(/[.,;:!?)\]'"]*$/)[0]; /* trailing punctuation is no part of it */
    });
    countable = countable.replace(MASTODON_MENTION, function (all, before, user) { return before + "@" + user; });
    return graphemes(countable).length;
  }
  window.comprisTextLength = function (text, unit) {
    if (unit === "mastodon") { return mastodonLength(text); }
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
      var asked = $("#guard-panel"); /* a send re-renders the box: an answer for the old one is dropped */
      var fields = new FormData(form);
      fields.delete("files"); /* the guard reads the text only: never upload files while typing */
      var data = new URLSearchParams(fields);
      data.delete("send_anyway");
      fetch(a.dataset.guardUrl, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null || seq !== guardSeq) { return; }
        var panel = $("#guard-panel");
        if (!panel || panel !== asked) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html; /* our own server-rendered, autoescaped fragment */
        var fresh = holder.firstElementChild;
        if (fresh) { panel.replaceWith(fresh); syncSend(); syncRefusal(); }
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

  /* the refusal of the last send lives in the guard panel (with "send anyway"): once a refresh drops it, the
     draft is no longer marked invalid (issue 18, defect 4) */
  function syncRefusal() {
    var a = area();
    if (a && !document.getElementById("reply-error")) {
      a.removeAttribute("aria-invalid");
      a.removeAttribute("aria-describedby");
    }
  }

  /* --- the thread the reply answers: the reply box's select (#reply-target) shows that thread's visibilities,
     limits, attachments, @mention and move to private; the guard checks the draft for it --- */
  function chosenTarget() {
    return $("#reply-form fieldset.reply-target:not([disabled])");
  }
  function syncSays() {
    var block = chosenTarget();
    if (!block) { return; }
    var v = visibility();
    Array.prototype.forEach.call(document.querySelectorAll("#reply-form .reply-says"), function (span) {
      var on = span.closest("fieldset") === block && span.dataset.says === v;
      span.hidden = !on;
      if (on) { span.id = "reply-says"; } else if (span.id) { span.removeAttribute("id"); }
    });
  }
  function chooseTarget(id) {
    var form = $("#reply-form");
    if (!form) { return; }
    var chosen = null;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.reply-target"), function (block) {
      var on = block.dataset.target === id;
      block.disabled = !on;
      block.hidden = !on;
      if (on) { chosen = block; }
    });
    if (!chosen) { return; }
    var a = area();
    var before = mention();
    if (a) {
      a.dataset.mention = chosen.dataset.mention || "";
      if (!a.value.trim() || (before && a.value.trim() === before.trim())) { a.value = ""; }
    }
    var counter = $("#reply-counter");
    if (counter) { counter.dataset.unit = chosen.dataset.unit || "characters"; }
    var movable = chosen.dataset.canMovePrivate === "1";
    var moveButton = $("#move-private-button");
    if (moveButton) { moveButton.hidden = !movable; }
    var moveForm = $("#move-private-form");
    if (moveForm) {
      if (!movable) { moveForm.hidden = true; }
      var to = $("#move-private-reply-to");
      if (to) { to.value = movable ? id : ""; }
    }
    var radio = chosen.querySelector('input[name="visibility"]');
    if (radio) {
      radio.checked = true; /* one radio group across the threads: the others are unchecked */
      radio.dispatchEvent(new Event("change", { bubbles: true })); /* counter, attachments, mention, guard */
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "reply-target" && event.target.tagName === "SELECT") { chooseTarget(event.target.value); }
    else if (event.target.name === "visibility" && event.target.closest("#reply-form")) { syncSays(); }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-text") { runGuard(); }
  });
  /* sending: no guard check typed before it may land on the answer's panel */
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && (elt.id === "reply-form" || elt.id === "move-private-form")) { clearTimeout(guardTimer); guardSeq++; }
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


  /* --- attachments: list the chosen files (name, size, remove), check size and count before sending, and
     follow what the network accepts for the chosen visibility (data-attach-* on each visibility radio) --- */
  function attachOptions() {
    var checked = $('#reply-form input[name="visibility"]:checked');
    var d = checked ? checked.dataset : {};
    var box = $("#reply-attach");
    var ceiling = box ? parseInt(box.dataset.maxUpload || "0", 10) : 0;
    var maxBytes = parseInt(d.attachMaxBytes || "0", 10) || ceiling;
    return { accept: d.attachAccept || "", maxCount: parseInt(d.attachMaxCount || "0", 10), maxBytes: maxBytes,
             withoutText: d.attachWithoutText === "1", hint: d.attachHint || "" };
  }
  function sizeText(n) {
    var fr = document.documentElement.lang === "fr";  // octets and a decimal comma, as the server writes them
    if (n < 1024) { return n + (fr ? " o" : " B"); }
    if (n < 1048576) { return Math.round(n / 1024) + (fr ? " Ko" : " KB"); }
    var mb = (n / 1048576).toFixed(1).replace(/\.0$/, "");
    return fr ? mb.replace(".", ",") + " Mo" : mb + " MB";
  }
  function keptCount() { return document.querySelectorAll('#reply-attachments input[name="attachment_ids"]').length; }
  function setFiles(input, files) {
    if (!window.DataTransfer) { if (!files.length) { input.value = ""; } return; }
    var dt = new DataTransfer();
    files.forEach(function (f) { dt.items.add(f); });
    input.files = dt.files;
  }
  function syncAttach(message) {
    var input = $("#reply-files");
    var box = $("#reply-attach");
    if (!input || !box) { return; }
    var o = attachOptions();
    input.accept = o.accept;
    input.disabled = o.maxCount === 0;
    var label = $('label[for="reply-files"]');
    if (label) { label.classList.toggle("disabled", o.maxCount === 0); }
    var hint = $("#reply-attach-hint");
    if (hint) { hint.textContent = o.hint; }
    var list = $("#reply-chosen");
    list.textContent = "";
    var files = Array.prototype.slice.call(input.files || []);
    files.forEach(function (file, index) {
      var li = document.createElement("li");
      li.className = "attachment-chip";
      li.textContent = "📎 " + file.name + " ";
      var size = document.createElement("span");
      size.className = "muted";
      size.textContent = sizeText(file.size);
      li.appendChild(size);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = box.dataset.remove || "Remove";
      remove.addEventListener("click", function () {
        setFiles(input, files.filter(function (f, i) { return i !== index; }));
        syncAttach();
      });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(remove);
      list.appendChild(li);
    });
    if (message) {
      var error = document.createElement("li");
      error.className = "error";
      error.setAttribute("role", "alert");
      error.textContent = message;
      list.appendChild(error);
    }
    var text = area();
    if (text) { text.required = !(o.withoutText && (files.length + keptCount()) > 0); }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "reply-files") {
      var input = event.target;
      var box = $("#reply-attach");
      var o = attachOptions();
      var files = Array.prototype.slice.call(input.files || []);
      var message = "";
      var fitting = files.filter(function (f) {
        if (o.maxBytes && f.size > o.maxBytes) {
          message = (box.dataset.tooLarge || "").replace("{name}", f.name).replace("{max}", sizeText(o.maxBytes));
          return false;
        }
        return true;
      });
      if (fitting.length + keptCount() > o.maxCount) {
        message = (box.dataset.tooMany || "").replace("{n}", String(o.maxCount));
        fitting = fitting.slice(0, Math.max(0, o.maxCount - keptCount()));
      }
      if (fitting.length !== files.length) { setFiles(input, fitting); }
      syncAttach(message);
    } else if (event.target.name === "visibility" && event.target.closest("#reply-form")) {
      syncAttach();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".remove-attachment") : null;
    if (!button) { return; }
    var chip = button.closest(".attachment-chip");
    if (chip) { chip.remove(); }
    syncAttach();
  });
  document.addEventListener("htmx:afterSwap", function () { syncAttach(); });
  syncAttach();
  document.addEventListener("htmx:afterSwap", function () { syncSend(); });
  syncSend();
})();
