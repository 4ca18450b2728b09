// tower-authy's waiting page: listens for the OneTouch outcome over server-sent events (polls
// /status every 2 s where EventSource is missing) and submits the confirm form once approved.
// What it says comes from the page (data-approved, ...), in the page's language.
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
      finish(section.dataset.approved);
      document.getElementById("confirm").submit();
    } else if (s === "denied") {
      finish(section.dataset.denied);
      restart();
    } else if (s === "expired") {
      finish(section.dataset.expired);
      restart();
    } else if (s === "locked" || s === "completed") {
      finish(section.dataset.ended);
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
