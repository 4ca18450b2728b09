// The npm `authy` client (1.4.0, the one Twilio's node sample uses), unchanged, against the
// mock-authy binary. MOCK_AUTHY_BIN names the binary; the mock listens on a free port.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startMock } = require("./mock");

const KEY = "npm-client-test-key";
let mock;
let base;
let control;
let authy;

const call = (fn, ...args) => new Promise((resolve, reject) => fn.call(authy, ...args, (err, res) => (err ? reject(err) : resolve(res))));

before(async () => {
  mock = await startMock(KEY, 11);
  ({ base, control } = mock);
  authy = require("authy")(KEY, base);
});

after(() => mock && mock.stop());

test("register, status, SMS, verify, OneTouch and delete through the unchanged client", async () => {
  const reg = await call(authy.register_user, "npm@example.com", "555-867-5309", "1");
  assert.equal(reg.success, true);
  const id = reg.user.id;
  assert.equal(typeof id, "number");

  const again = await call(authy.register_user, "npm2@example.com", "555-867-5309", "1");
  assert.equal(again.user.id, id, "same phone, same authy_id");

  const status = await call(authy.user_status, id);
  assert.equal(status.status.authy_id, id);
  assert.equal(status.status.registered, true);

  const ignored = await call(authy.request_sms, id);
  assert.equal(ignored.ignored, true);
  const sms = await call(authy.request_sms, id, true);
  assert.equal(sms.message, "SMS token was sent");
  const outbox = await control("GET", `/users/${id}/outbox`);
  assert.equal(outbox.length, 1);
  const code = outbox[0].token;

  await assert.rejects(call(authy.verify, id, "0000000", true), (err) => err.error_code === "60020");
  const ok = await call(authy.verify, id, code, true);
  assert.equal(ok.token, "is valid");
  await assert.rejects(call(authy.verify, id, code, true), (err) => err.error_code === "60019");

  const call_ = await call(authy.request_call, id, true);
  assert.equal(call_.message, "Call started...");

  const push = await call(authy.send_approval_request, id, { message: "Log in to the demo?", details: { "Email Address": "npm@example.com" } }, { ip: "127.0.0.1" }, [{ res: "default", url: "https://example.com/logo.png" }]);
  assert.equal(push.success, true);
  const uuid = push.approval_request.uuid;
  const stored = (await control("GET", "/approval_requests")).find((a) => a.uuid === uuid);
  assert.deepEqual(stored.details, { "Email Address": "npm@example.com" });
  assert.deepEqual(stored.logos, [{ res: "default", url: "https://example.com/logo.png" }]);

  const pending = await call(authy.check_approval_status, uuid);
  assert.equal(pending.approval_request.status, "pending");
  await control("POST", `/approval_requests/${uuid}/approve`);
  const approved = await call(authy.check_approval_status, uuid);
  assert.equal(approved.approval_request.status, "approved");

  const del = await call(authy.delete_user, id);
  assert.equal(del.success, true);
  await assert.rejects(call(authy.user_status, id), (err) => err.error_code === "60026");
});

test("a wrong API key is refused with 60001", async () => {
  const wrong = require("authy")("not-the-key", base);
  await assert.rejects(
    new Promise((resolve, reject) => wrong.user_status(1, (err, res) => (err ? reject(err) : resolve(res)))),
    (err) => err.error_code === "60001" && err.message === "Invalid API key",
  );
});

test("phone verification and phone information through the unchanged client", async () => {
  const phones = authy.phones();
  const p = (fn, ...args) => new Promise((resolve, reject) => fn(...args, (err, res) => (err ? reject(err) : resolve(res))));

  const started = await p(phones.verification_start, "775-461-5609", "1", { via: "sms", locale: "en", code_length: 6 });
  assert.equal(started.success, true);
  assert.equal(started.message, "Text message sent to +1 775-461-5609.");
  assert.equal(started.is_cellphone, true);
  const sent = (await control("GET", "/phone_verifications")).find((v) => v.uuid === started.uuid);
  assert.equal(sent.code.length, 6);
  assert.equal(sent.locale, "en");

  const pending = await p(phones.verification_status, "775-461-5609", "1");
  assert.equal(pending.status, "pending");
  const wrong = sent.code === "000000" ? "111111" : "000000";
  await assert.rejects(p(phones.verification_check, "775-461-5609", "1", wrong), (err) => err.error_code === "60022");
  const ok = await p(phones.verification_check, "775-461-5609", "1", sent.code);
  assert.equal(ok.message, "Verification code is correct.");
  const verified = await p(phones.verification_status, "775-461-5609", "1");
  assert.equal(verified.status, "verified");

  const byCall = await p(phones.verification_start, "775-461-5609", "1", "call");
  assert.equal(byCall.message, "Call to +1 775-461-5609 initiated.");

  const info = await p(phones.info, "775-461-5609", "1");
  assert.equal(info.type, "cellphone");
  assert.equal(info.ported, false);
  await assert.rejects(p(phones.verification_start, "123", "1"), (err) => err.error_code === "60033");
  await assert.rejects(p(phones.info, "123", "1"), (err) => err.error_code === "60033");
});
