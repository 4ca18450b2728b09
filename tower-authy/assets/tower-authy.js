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

// Passkeys (WebAuthn): each section[data-passkey] has a button that fetches the ceremony's
// options (POST data-options, with the form's CSRF token), asks the browser, and submits the
// answer, as JSON, in the section's form. The login page's sign-in section also offers
// passkeys in the email field's autofill where the browser supports it (conditional UI).
(function () {
  const sections = document.querySelectorAll("section[data-passkey]");
  if (!sections.length) return;
  const b64 = {
    decode: function (text) {
      const s = text.replace(/-/g, "+").replace(/_/g, "/");
      const bin = atob(s + "===".slice((s.length + 3) % 4));
      const out = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out.buffer;
    },
    encode: function (buffer) {
      if (!buffer) return null;
      const bytes = new Uint8Array(buffer);
      let bin = "";
      for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
      return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
  };
  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: b64.decode(c.id) });
    });
  }
  // The server's JSON options as the browser's; the browser's own parser where it has one.
  function creationOptions(json) {
    const P = window.PublicKeyCredential;
    if (P && P.parseCreationOptionsFromJSON) {
      try { return P.parseCreationOptionsFromJSON(json); } catch (e) { /* fall back */ }
    }
    return Object.assign({}, json, {
      challenge: b64.decode(json.challenge),
      user: Object.assign({}, json.user, { id: b64.decode(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials),
    });
  }
  function requestOptions(json) {
    const P = window.PublicKeyCredential;
    if (P && P.parseRequestOptionsFromJSON) {
      try { return P.parseRequestOptionsFromJSON(json); } catch (e) { /* fall back */ }
    }
    return Object.assign({}, json, {
      challenge: b64.decode(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    });
  }
  // The browser's answer as the JSON the server reads.
  function answer(cred) {
    const r = cred.response;
    const response = { clientDataJSON: b64.encode(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64.encode(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = b64.encode(r.authenticatorData);
      response.signature = b64.encode(r.signature);
      response.userHandle = b64.encode(r.userHandle);
    }
    return JSON.stringify({
      id: cred.id,
      rawId: b64.encode(cred.rawId),
      type: cred.type,
      response: response,
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    });
  }
  function options(section, form) {
    const csrf = form.querySelector("input[name=csrf_token]").value;
    return fetch(section.dataset.options, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "csrf_token=" + encodeURIComponent(csrf),
    }).then(function (r) {
      if (!r.ok) throw new Error("options " + r.status);
      return r.json();
    });
  }
  function ceremony(section, mediation, signal) {
    const form = section.querySelector("form");
    return options(section, form).then(function (json) {
      if (section.dataset.passkey === "register") {
        return navigator.credentials.create({ publicKey: creationOptions(json.publicKey) });
      }
      const ask = { publicKey: requestOptions(json.publicKey) };
      if (mediation) ask.mediation = mediation;
      if (signal) ask.signal = signal;
      return navigator.credentials.get(ask);
    }).then(function (cred) {
      form.querySelector("input[name=credential]").value = answer(cred);
      form.submit();
    });
  }
  sections.forEach(function (section) {
    const status = section.querySelector(".passkey-status");
    const button = section.querySelector("[data-passkey-start]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      status.textContent = section.dataset.unsupported;
      button.disabled = true;
      return;
    }
    let conditional = null;
    button.addEventListener("click", function () {
      if (conditional) conditional.abort();
      conditional = null;
      status.textContent = "";
      ceremony(section).catch(function (e) {
        // The reason (NotAllowedError, a status, ...) for whoever debugs the page.
        section.dataset.error = String((e && (e.name + ": " + e.message)) || e);
        status.textContent = section.dataset.failed;
      });
    });
    const P = window.PublicKeyCredential;
    if (section.dataset.passkey === "sign-in" && P.isConditionalMediationAvailable) {
      P.isConditionalMediationAvailable().then(function (yes) {
        if (!yes || conditional) return;
        conditional = new AbortController();
        ceremony(section, "conditional", conditional.signal).catch(function () { /* aborted */ });
      });
    }
  });
})();
