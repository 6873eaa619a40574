// The sandbox network's page: show the right form fields, and refresh the feed when something changes.
(function () {
  "use strict";
  var body = document.body;
  var base = body.getAttribute("data-base") || "";
  var brand = body.getAttribute("data-brand") || "";
  var version = body.getAttribute("data-version") || "";
  var persona = document.getElementById("persona");
  var newPersona = document.getElementById("new-persona");
  var onPost = document.getElementById("on-post");
  var postSelect = document.getElementById("post-id");
  var compose = document.getElementById("compose");

  function kind() {
    var checked = compose ? compose.querySelector("input[name=kind]:checked") : null;
    return checked ? checked.value : "post";
  }
  function setKind(value) {
    var radio = compose && compose.querySelector("input[name=kind][value=" + value + "]");
    if (radio) { radio.checked = true; }
    syncForm();
  }
  function syncForm() {
    if (newPersona && persona) { newPersona.hidden = persona.value !== "new"; }
    if (onPost) { onPost.hidden = kind() !== "comment"; }
  }
  function refreshPosts() {
    if (!postSelect) { return; }
    var chosen = postSelect.value;
    var posts = document.querySelectorAll("#feed article.post[data-post]");
    while (postSelect.options.length > 1) { postSelect.remove(1); }
    posts.forEach(function (post) {
      var option = document.createElement("option");
      option.value = post.getAttribute("data-post");
      option.textContent = post.getAttribute("data-excerpt") || option.value;
      postSelect.appendChild(option);
    });
    postSelect.value = chosen;
  }

  if (compose) {
    compose.addEventListener("change", syncForm);
    syncForm();
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var commentOn = target.closest(".comment-on");
    if (commentOn && postSelect) {
      setKind("comment");
      postSelect.value = commentOn.getAttribute("data-post");
      document.getElementById("text").focus();
    }
    var dmAs = target.closest(".dm-as");
    if (dmAs && persona) {
      persona.value = dmAs.getAttribute("data-persona");
      setKind("dm");
      document.getElementById("text").focus();
    }
  });

  function poll() {
    if (!brand || document.hidden) { return; }
    var url = base + "/feed?brand=" + encodeURIComponent(brand) + "&since=" + encodeURIComponent(version);
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status !== 200) { return null; }
        version = response.headers.get("X-Sandbox-Version") || version;
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var feed = document.getElementById("feed");
        if (feed) { feed.innerHTML = html; refreshPosts(); }
      })
      .catch(function () { /* the network is restarting: try again at the next tick */ });
  }
  if (brand && window.fetch) { window.setInterval(poll, 2500); }
})();
