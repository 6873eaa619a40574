/* Compris inbox: selecting cases for a bulk action (issue 16), with the mouse (a box per row, Shift+click for a
   range, "All on this page") and the keyboard (x: the current row, Shift+x: a range, * then a / n: all / none),
   kept across the live refreshes of the list; the bulk bar shows the fields of the chosen action. No inline
   script (CSP): everything hangs off ids and data attributes. */
(function () {
  "use strict";

  var body = document.body;
  var form = document.getElementById("bulk-form");
  if (!form) { return; }  /* the bulk bar is in the inbox list, on /inbox and beside an open case (the desk) */

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  var selected = {};   /* case id -> true */
  var anchor = null;   /* the case id last toggled: the start of a Shift range */

  function boxes() { return $all("#rows .bulk-check"); }
  function count() { return Object.keys(selected).length; }

  function sync() {
    var visible = {};
    boxes().forEach(function (box) {
      visible[box.value] = true;
      box.checked = !!selected[box.value];
      var row = box.closest(".case-row");
      if (row) { row.classList.toggle("checked", box.checked); }
    });
    Object.keys(selected).forEach(function (id) { if (!visible[id]) { delete selected[id]; } });
    var n = count(), all = boxes().length;
    var label = $("#bulk-count");
    if (label) {
      label.textContent = n === 0 ? label.dataset.labelNone
        : n === 1 ? label.dataset.labelOne : label.dataset.labelMany.replace("{n}", String(n));
    }
    form.classList.toggle("has-selection", n > 0);
    var box = $("#bulk-all");
    if (box) { box.checked = all > 0 && n === all; box.indeterminate = n > 0 && n < all; }
    var apply = $("#bulk-apply");
    if (apply) { apply.disabled = n === 0; }
  }

  function set(id, on) { if (on) { selected[id] = true; } else { delete selected[id]; } }
  function range(fromId, toId, on) {
    var ids = boxes().map(function (b) { return b.value; });
    var a = ids.indexOf(fromId), b = ids.indexOf(toId);
    if (a < 0 || b < 0) { set(toId, on); return; }
    for (var i = Math.min(a, b); i <= Math.max(a, b); i += 1) { set(ids[i], on); }
  }
  function selectAll(on) {
    boxes().forEach(function (b) { set(b.value, on); });
    anchor = null;
    sync();
  }

  /* mouse: a row's box, Shift+click for a range, "All on this page", "Clear" */
  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest(".bulk-check");
    if (box) {
      if (event.shiftKey && anchor !== null) { range(anchor, box.value, box.checked); }
      else { set(box.value, box.checked); }
      anchor = box.value;
      sync();
      return;
    }
    if (event.target.closest && event.target.closest("[data-bulk-all]")) { selectAll(event.target.checked); return; }
    if (event.target.closest && event.target.closest("[data-bulk-clear]")) { selectAll(false); return; }
    if (event.target.closest && event.target.closest("[data-bulk-dismiss]")) {
      var result = $("#bulk-result");
      if (result) { result.innerHTML = ""; }
    }
  });

  /* keyboard (never while typing): x, Shift+x, * a, * n */
  function currentRow() {
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#rows .case-row");
    return focused || $("#rows .case-row.selected");
  }
  var pendingStar = false;
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) && !(el.classList && el.classList.contains("bulk-check"))) { return; }
    if (pendingStar) {
      pendingStar = false;
      if (event.key === "a") { selectAll(true); event.preventDefault(); event.stopImmediatePropagation(); }
      else if (event.key === "n") { selectAll(false); event.preventDefault(); event.stopImmediatePropagation(); }
      return;
    }
    if (event.key === "*") { pendingStar = true; setTimeout(function () { pendingStar = false; }, 1500); event.preventDefault(); return; }
    if (event.key !== "x" && event.key !== "X") { return; }
    var row = currentRow();
    var box = row && $(".bulk-check", row);
    if (!box) { return; }
    event.preventDefault();
    if (event.shiftKey && anchor !== null) { range(anchor, box.value, true); }
    else { set(box.value, !selected[box.value]); }
    anchor = box.value;
    sync();
  }, true);

  /* the fields of the chosen action */
  function showKind() {
    var kind = ($("#bulk-kind") || {}).value || "";
    $all("[data-kind]", form).forEach(function (el) {
      var on = (" " + el.dataset.kind + " ").indexOf(" " + kind + " ") >= 0;
      if (el.tagName === "OPTION") { el.hidden = !on; el.disabled = !on; }
      else { el.hidden = !on; }
    });
    var template = $("#bulk-template");
    if (template && template.selectedOptions.length && template.selectedOptions[0].disabled) {
      var first = $all("option", template).filter(function (o) { return !o.disabled; })[0];
      if (first) { template.value = first.value; }
    }
    var result = $("#bulk-result");
    if (result && $("#bulk-preview", result)) { result.innerHTML = ""; }
  }
  form.addEventListener("change", function (event) { if (event.target.id === "bulk-kind") { showKind(); } });

  /* the list was refreshed (live, a filter, a page): keep the selection; a run started: clear it */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "bulk-result" && $("[data-bulk-run]", target)) { selected = {}; anchor = null; }
    sync();
  });

  form.classList.add("js-ready");  /* the actions show once cases are ticked (always without JavaScript) */
  showKind();
  sync();
})();
