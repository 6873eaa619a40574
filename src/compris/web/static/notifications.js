/* notifications: issue 18 (owned by the notifications work).
   - the top bar's bell: the unread count and a menu (GET /notifications/menu, rendered and escaped by the server),
     kept current by the live "notification" events naming this user (app.js relays them as "compris:notification");
     a disclosure: Enter/Space opens it, focus goes to the first notification, arrows move, Esc closes and gives the
     focus back to the bell, a click outside or Tab past the end closes it;
   - opening a notification marks it read (POST /notifications/<id>/read) before the case opens;
   - optional browser notifications (the Notification API): permission asked only when the user ticks the box on
     /notifications, off by default; they show the sentence ("Case #12: SLA at risk") and, for a mention, a short
     excerpt of the colleague's note as plain text — never the customer's words;
   - an "@" autocomplete in the internal note box (#note-text), from GET /notifications/mentionable.
   No inline script, no innerHTML with anything but the server's own escaped fragment. */
(function () {
  "use strict";

  var body = document.body;
  var bell = document.getElementById("notif");
  var myId = body.dataset.userId || "";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function csrf() { var meta = $('meta[name="csrf-token"]'); return meta ? meta.getAttribute("content") : ""; }
  function post(url, data, keepalive) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive, body: new URLSearchParams(data || {}),
      headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" }
    });
  }
  function toast(message) {
    var el = $("#toast");
    if (!el || !message) { return; }
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 6000);
  }

  /* --- marking read when a notification is opened (the bell's menu and the page) --- */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-notification-id]");
    if (!link || !link.hasAttribute("data-unread")) { return; }
    var url = "/notifications/" + link.dataset.notificationId + "/read";
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { post(url, {}, true); return; }
    event.preventDefault();
    var href = link.getAttribute("href");
    var go = function () { window.location.href = href; };
    var timer = setTimeout(go, 1500); /* never keep the user waiting on a slow answer */
    post(url, {}, true).then(function () { clearTimeout(timer); go(); }, function () { clearTimeout(timer); go(); });
  });

  if (!bell) { return; }

  var button = $("#notif-button");
  var panel = $("#notif-panel");
  var menu = $("#notif-menu");
  var count = $("#notif-count");
  var status = $("#notif-status");
  var readAll = $("#notif-read-all");
  var unread = 0;
  var newest = 0;
  var browserWanted = false;

  /* --- the count and the menu --- */
  function showCount(n) {
    unread = n;
    count.textContent = n > 99 ? "99+" : String(n);
    count.hidden = n === 0;
    button.setAttribute("aria-label", n ? bell.dataset.labelUnread.replace("{n}", String(n)) : bell.dataset.labelNone);
    button.title = button.getAttribute("aria-label");
    readAll.hidden = n === 0;
  }
  var loading = null;
  function refresh() {
    if (loading) { return loading; }
    loading = fetch("/notifications/menu", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        menu.innerHTML = html; /* the server's own fragment, every value escaped by Jinja */
        var root = $(".notif-menu", menu);
        if (root) {
          showCount(parseInt(root.dataset.unread || "0", 10) || 0);
          newest = parseInt(root.dataset.newest || "0", 10) || 0;
          browserWanted = root.dataset.browser === "1";
        }
      })
      .catch(function () { /* offline: the next event or visit tries again */ })
      .then(function () { loading = null; });
    return loading;
  }

  function itemOf(id) { return $('.notif-item[data-id="' + id + '"]', menu); }
  function textOf(item, selector) { var el = item && $(selector, item); return el ? el.textContent.trim() : ""; }

  /* a new notification for me: the count, a spoken status, a toast for what no other toast announces, and a
     browser notification when the user wants them and the page is not in front */
  function announce(id, kind) {
    var item = itemOf(id);
    var text = textOf(item, ".notif-text");
    if (!text) { return; }
    status.textContent = bell.dataset.labelNew.replace("{text}", text);
    /* app.js already toasts SLA alerts, partners' answers and low ratings (the same sentences) */
    if (kind === "mention" || kind === "assigned") { toast(text); }
    if (browserWanted && window.Notification && Notification.permission === "granted" && document.hidden) {
      var link = item && $("a", item);
      var excerpt = textOf(item, ".notif-excerpt");
      try {
        var shown = new Notification(text, { body: excerpt.slice(0, 120), tag: "compris-notification-" + id });
        shown.onclick = function () {
          window.focus();
          if (link) { link.click(); }
          shown.close();
        };
      } catch (e) { /* some browsers only allow them from a service worker: the bell is enough */ }
    }
  }

  body.addEventListener("compris:notification", function (event) {
    var detail = event.detail || {};
    if (String(detail.user_id) !== myId) { return; }
    var previous = newest;
    refresh().then(function () {
      if (detail.change === "new" && Number(detail.notification_id) > previous) {
        announce(detail.notification_id, detail.notification_kind);
      }
    });
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });

  /* --- the disclosure --- */
  function links() { return $all("a", panel).concat(readAll.hidden ? [] : [readAll]); }
  function place() {
    /* on a phone the panel spans the screen (position: fixed): just under the bell, wherever the top bar wraps */
    panel.style.top = "";
    panel.style.maxHeight = "";
    if (window.getComputedStyle(panel).position !== "fixed") { return; }
    var top = Math.round(button.getBoundingClientRect().bottom + 8);
    panel.style.top = top + "px";
    panel.style.maxHeight = "calc(100vh - " + (top + 8) + "px)";
  }
  function open() {
    panel.hidden = false;
    place();
    button.setAttribute("aria-expanded", "true");
    refresh().then(function () {
      var first = $(".notif-link", menu) || $(".notif-foot a", panel);
      if (first && !panel.hidden) { first.focus(); }
    });
  }
  function close(giveFocusBack) {
    if (panel.hidden) { return; }
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (giveFocusBack) { button.focus(); }
  }
  button.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(true); } });
  readAll.addEventListener("click", function () {
    post("/notifications/read-all", newest ? { up_to: String(newest) } : {}).then(refresh).then(function () {
      var first = $(".notif-link", menu);
      if (first) { first.focus(); } else { button.focus(); }
    });
  });
  bell.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    if (panel.hidden || (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Home"
        && event.key !== "End")) { return; }
    var all = links();
    if (!all.length) { return; }
    var at = all.indexOf(document.activeElement);
    var next = event.key === "Home" ? 0 : event.key === "End" ? all.length - 1
      : event.key === "ArrowDown" ? Math.min(all.length - 1, at + 1) : Math.max(0, at - 1);
    event.preventDefault();
    all[next].focus();
  });
  document.addEventListener("click", function (event) { if (!bell.contains(event.target)) { close(false); } });
  bell.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !bell.contains(event.relatedTarget)) { close(false); }
  });

  refresh();

  /* --- preferences: browser notifications, permission asked on the click only --- */
  var box = document.getElementById("pref-browser");
  var state = document.getElementById("pref-browser-state");
  function showPermission() {
    if (!state) { return; }
    if (!window.Notification) { state.textContent = state.dataset.labelUnsupported; return; }
    state.textContent = Notification.permission === "granted" ? state.dataset.labelGranted
      : Notification.permission === "denied" ? state.dataset.labelDenied : "";
  }
  if (box) {
    showPermission();
    box.addEventListener("change", function () {
      if (!box.checked) { return; }
      if (!window.Notification) { box.checked = false; showPermission(); return; }
      if (Notification.permission === "granted") { showPermission(); return; }
      Notification.requestPermission().then(function (answer) {
        if (answer !== "granted") { box.checked = false; }
        showPermission();
      });
    });
  }

  /* --- "@" in the internal note box: the workspace's people --- */
  var people = null;
  var list = null;
  var choices = [];
  var active = 0;
  var query = null; /* { start, text } of the "@word" being typed */
  var spoken = null;
  function load() {
    if (people) { return Promise.resolve(people); }
    return fetch("/notifications/mentionable", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) { people = found || []; return people; }, function () { return []; });
  }
  function fold(text) {
    return (text.normalize ? text.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : text).toLowerCase();
  }
  function hide() { if (list) { list.hidden = true; } choices = []; query = null; }
  function typed(area) {
    var before = area.value.slice(0, area.selectionStart);
    var m = /(^|[^\w@.+-])@([^\s@]{0,30})$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, text: m[2] } : null;
  }
  function render(area) {
    if (!list) {
      list = document.createElement("ul");
      list.className = "mention-list";
      list.id = "mention-list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "@");
      document.body.appendChild(list);
      list.addEventListener("mousedown", function (event) {
        var li = event.target.closest("li");
        if (!li) { return; }
        event.preventDefault();
        choose($("#note-text"), Number(li.dataset.index));
      });
    }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    choices.forEach(function (person, i) {
      var li = document.createElement("li");
      li.id = "mention-option-" + i;
      li.setAttribute("role", "option");
      li.dataset.index = String(i);
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      var name = document.createElement("span");
      name.textContent = person.name;
      var handle = document.createElement("small");
      handle.textContent = "@" + person.handle;
      li.appendChild(name);
      li.appendChild(handle);
      list.appendChild(li);
    });
    var box = area.getBoundingClientRect();
    list.style.left = (window.scrollX + box.left) + "px";
    list.style.top = (window.scrollY + box.bottom + 4) + "px";
    list.hidden = choices.length === 0;
    /* a textarea cannot be a combobox: the highlighted person is spoken through a status line instead */
    if (!spoken) {
      spoken = document.createElement("span");
      spoken.className = "visually-hidden";
      spoken.setAttribute("role", "status");
      document.body.appendChild(spoken);
    }
    spoken.textContent = choices.length ? choices[active].name + " (@" + choices[active].handle + ") "
      + (active + 1) + "/" + choices.length : "";
  }
  function choose(area, index) {
    var person = choices[index];
    if (!area || !person || !query) { hide(); return; }
    var insert = "@" + person.name + " ";
    var end = area.selectionStart;
    area.value = area.value.slice(0, query.start) + insert + area.value.slice(end);
    var caret = query.start + insert.length;
    area.setSelectionRange(caret, caret);
    area.focus();
    hide();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (area.id !== "note-text") { return; }
    var found = typed(area);
    if (!found) { hide(); if (list) { render(area); } return; }
    query = found;
    load().then(function (all) {
      if (!query) { return; }
      var q = fold(query.text);
      choices = all.filter(function (p) {
        return String(p.id) !== myId && (fold(p.name).indexOf(q) === 0 || fold(p.name).indexOf(" " + q) > 0
          || fold(p.handle).indexOf(q) === 0);
      }).slice(0, 6);
      active = 0;
      render(area);
    });
  });
  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (area.id !== "note-text" || !list || list.hidden || !choices.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
      render(area);
    } else if ((event.key === "Enter" && !event.ctrlKey && !event.metaKey) || event.key === "Tab") {
      choose(area, active);
    } else if (event.key === "Escape") {
      hide();
      if (list) { list.hidden = true; }
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); /* before app.js's shortcuts (Escape leaves the field there) */
  }, true);
  document.addEventListener("focusout", function (event) { if (event.target.id === "note-text") { setTimeout(hide, 150); } });
})();
