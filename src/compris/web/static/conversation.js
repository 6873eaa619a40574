/* conversation: issue 18 (owned by the conversation work) — an image attachment opens full size in a dialog
   (click, Enter or Space on its preview; Esc or the close button closes it). The image is our own copy
   (/uploads/{id}): nothing is loaded from the customer's network. No inline script (CSP). */
(function () {
  "use strict";

  function lightbox() {
    var box = document.getElementById("attachment-lightbox");
    if (box) { return box; }
    box = document.createElement("dialog");
    box.id = "attachment-lightbox";
    box.className = "attachment-lightbox";
    var img = document.createElement("img");
    img.alt = "";
    box.appendChild(img);
    var bar = document.createElement("form");
    bar.method = "dialog";
    var link = document.createElement("a");
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    bar.appendChild(link);
    var close = document.createElement("button");
    close.type = "submit";
    close.className = "small";
    bar.appendChild(close);
    box.appendChild(bar);
    box.addEventListener("click", function (event) { if (event.target === box) { box.close(); } });
    document.body.appendChild(box);
    return box;
  }

  document.addEventListener("click", function (event) {
    var preview = event.target.closest ? event.target.closest("a.attachment-preview") : null;
    if (!preview || event.ctrlKey || event.metaKey || event.shiftKey || !window.HTMLDialogElement) { return; }
    event.preventDefault();
    var box = lightbox();
    var img = box.querySelector("img");
    img.src = preview.getAttribute("href");
    img.alt = preview.dataset.name || "";
    var link = box.querySelector("a");
    link.href = preview.getAttribute("href");
    link.textContent = preview.dataset.openLabel || preview.dataset.name || "";
    box.querySelector("button").textContent = preview.dataset.closeLabel || "×";
    box.showModal();
    box.querySelector("button").focus();
  });
})();
