// tower-authy's waiting page: listens for the OneTouch outcome over server-sent events (polls
// /status every 2 s where EventSource is missing) and submits the confirm form once approved.
"use strict";
(function () {
  const section = document.getElementById("onetouch");
  if (!section) return;
  const prefix = section.dataset.prefix || "";
  const status = document.getElementById("onetouch-status");
  let done = false;
  function restart() {
    document.getElementById("restart").hidden = false;
  }
  function finish(text) {
    done = true;
    status.textContent = text;
  }
  function show(s) {
    if (done) return;
    if (s === "approved") {
      finish("Approved. Logging you in...");
      document.getElementById("confirm").submit();
    } else if (s === "denied") {
      finish("The request was denied on your phone. Log in again to start over.");
      restart();
    } else if (s === "expired") {
      finish("The request expired. Log in again to start over.");
      restart();
    } else if (s === "locked" || s === "completed") {
      finish("This login can no longer be used. Log in again.");
      restart();
    }
  }
  if (window.EventSource) {
    const events = new EventSource(prefix + "/events");
    events.addEventListener("status", function (e) {
      show(JSON.parse(e.data).status);
      if (done) events.close();
    });
    return;
  }
  let polls = 0;
  (function poll() {
    if (done || polls++ > 300) return;
    fetch(prefix + "/status", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (b) { show(b.status); })
      .finally(function () { if (!done) setTimeout(poll, 2000); });
  })();
})();
