// The virtual phone page: renders /__mock/phone/state, refreshed on every change event.
"use strict";
const root = document.getElementById("phones");
// With a control token, the page was opened as /__mock/phone?control_token=...; pass it on.
const token = new URLSearchParams(location.search).get("control_token");
const withToken = (url) => token ? `${url}?control_token=${encodeURIComponent(token)}` : url;
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}
async function act(uuid, action) {
  for (const b of document.querySelectorAll(`[data-uuid="${CSS.escape(uuid)}"] button`)) b.disabled = true;
  await fetch(withToken(`/__mock/approval_requests/${encodeURIComponent(uuid)}/${action}`), { method: "POST" });
  refresh();
}
async function answer(sid, action) {
  for (const b of document.querySelectorAll(`[data-sid="${CSS.escape(sid)}"] button`)) b.disabled = true;
  await fetch(withToken(`/__mock/verify/challenges/${encodeURIComponent(sid)}/${action}`), { method: "POST" });
  refresh();
}
function renderVerify(verify) {
  if (verify.codes.length > 0) {
    const card = el("section", { class: "phone", "data-testid": "verify-codes" }, el("h2", {}, "Verify codes"));
    const ul = el("ul", { class: "inbox" });
    for (const c of verify.codes) {
      ul.append(el("li", {}, `${CHANNELS[c.channel]} to ${c.to}: your code is `,
        el("span", { class: "code", "data-testid": "verify-code" }, c.code), ` (${c.status})`));
    }
    card.append(ul);
    root.append(card);
  }
  for (const e of verify.entities) {
    const card = el("section", { class: "phone", "data-identity": e.identity },
      el("h2", {}, `Verify: ${e.identity}`));
    if (e.app_code) card.append(el("h3", {}, "Authenticator app code"), el("div", { class: "token", "data-testid": "verify-app-code" }, e.app_code));
    card.append(el("h3", {}, "Push challenges"));
    if (e.pending.length === 0) card.append(el("p", { class: "empty" }, "Nothing waiting."));
    for (const c of e.pending) {
      const dl = el("dl", {});
      for (const f of c.fields || []) dl.append(el("dt", {}, f.label), el("dd", {}, String(f.value)));
      card.append(el("div", { class: "request", "data-sid": c.sid },
        el("p", {}, c.message), dl,
        el("button", { class: "approve", type: "button", onclick: () => answer(c.sid, "approve") }, "Approve"),
        el("button", { class: "deny", type: "button", onclick: () => answer(c.sid, "deny") }, "Deny")));
    }
    root.append(card);
  }
}
const CHANNELS = { sms: "SMS", call: "Call", email: "Email" };
function renderVerifications(list) {
  const card = el("section", { class: "phone", "data-testid": "phone-verifications" },
    el("h2", {}, "Phone verifications"));
  const ul = el("ul", { class: "inbox" });
  for (const v of list) {
    ul.append(el("li", { "data-uuid": v.uuid }, `${CHANNELS[v.via]} to ${v.phone}: ${v.message} `,
      el("span", { class: "code", "data-testid": "verification-code" }, v.code), ` (${v.status})`));
  }
  card.append(ul);
  root.append(card);
}
function render(state) {
  root.replaceChildren();
  if (state.verifications.length > 0) renderVerifications(state.verifications);
  renderVerify(state.verify);
  if (state.users.length === 0) {
    if (state.verify.entities.length === 0) root.append(el("p", { class: "empty" }, "No users yet. Sign up in the app first."));
    return;
  }
  for (const u of state.users) {
    const card = el("section", { class: "phone", "data-authy-id": String(u.id) },
      el("h2", {}, u.emails.join(", ")),
      el("p", { class: "meta" }, `authy_id ${u.id} · ${u.phone} · ${u.onetouch.mode === "no_device" ? "no Authy app" : "Authy app installed"}`));
    if (u.onetouch.mode !== "no_device") {
      card.append(el("h3", {}, "Authy app token"), el("div", { class: "token", "data-testid": "app-token" }, u.app_token));
      card.append(el("h3", {}, "OneTouch requests"));
      if (u.pending.length === 0) card.append(el("p", { class: "empty" }, "Nothing waiting."));
      for (const r of u.pending) {
        const dl = el("dl", {});
        for (const [k, v] of Object.entries(r.details || {})) dl.append(el("dt", {}, k), el("dd", {}, String(v)));
        card.append(el("div", { class: "request", "data-uuid": r.uuid },
          el("p", {}, r.message), dl,
          el("button", { class: "approve", type: "button", onclick: () => act(r.uuid, "approve") }, "Approve"),
          el("button", { class: "deny", type: "button", onclick: () => act(r.uuid, "deny") }, "Deny")));
      }
    }
    card.append(el("h3", {}, "Messages"));
    const inbox = el("ul", { class: "inbox" });
    if (u.inbox.length === 0) inbox.append(el("li", { class: "empty" }, "No messages."));
    for (const m of u.inbox) {
      inbox.append(el("li", {}, `${CHANNELS[m.channel]}: `, "your code is ",
        el("span", { class: "code", "data-testid": "inbox-code" }, m.token), m.used ? " (used)" : ""));
    }
    card.append(inbox);
    root.append(card);
  }
}
let shown = "";
async function refresh() {
  try {
    const state = await (await fetch(withToken("/__mock/phone/state"))).json();
    // Re-render only when something visible changed, so buttons do not move under a finger.
    const key = JSON.stringify([state.users, state.verifications, state.verify]);
    if (key !== shown) { shown = key; render(state); }
  } catch (_) { /* the next event retries */ }
}
refresh();
if (window.EventSource) new EventSource(withToken("/__mock/phone/events")).addEventListener("change", refresh);
setInterval(refresh, 5000); // app tokens roll over even when nothing else changes
