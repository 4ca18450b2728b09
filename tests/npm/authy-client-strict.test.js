// The npm `authy-client` (1.1.4, Seegno's, later Uphold's), unchanged, against the mock-authy
// binary. It validates every answer's shape before returning it, so each call below passing is
// itself the check that the mock answers as Authy did.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Client } = require("authy-client");
const { startMock } = require("./mock");

const KEY = "strict-client-test-key";
let mock;
let client;

before(async () => {
  mock = await startMock(KEY, 13);
  client = new Client({ key: KEY }, { host: mock.base });
});

after(() => mock && mock.stop());

test("users, tokens, OneTouch, activity and statistics pass the client's own checks", async () => {
  const { user } = await client.registerUser({ countryCode: "US", email: "strict@example.com", phone: "775-461-5601" });
  const authyId = user.id;
  const { status } = await client.getUserStatus({ authyId });
  assert.equal(status.authy_id, authyId);

  const sms = await client.requestSms({ authyId }, { force: true });
  assert.equal(sms.message, "SMS token was sent");
  const [sent] = await mock.control("GET", `/users/${authyId}/outbox`);
  const verified = await client.verifyToken({ authyId, token: sent.token }, { force: true });
  assert.equal(verified.token, "is valid");

  const { approval_request: created } = await client.createApprovalRequest(
    { authyId, details: { visible: { "Email Address": "strict@example.com" }, hidden: { ip: "127.0.0.1" } }, logos: [{ res: "default", url: "https://example.com/logo.png" }], message: "Log in to the demo?" },
    { ttl: 120 },
  );
  await mock.control("POST", `/approval_requests/${created.uuid}/approve`);
  const { approval_request: approved } = await client.getApprovalRequest({ id: created.uuid });
  assert.equal(approved.status, "approved");
  assert.equal(approved._user_email, "strict@example.com");

  for (const type of ["password_reset", "banned", "unbanned", "cookie_login"]) {
    const activity = await client.registerActivity({ authyId, data: { reason: "test" }, type }, { ip: "192.0.2.1" });
    assert.equal(activity.message, "Activity was created.");
  }

  const details = await client.getApplicationDetails();
  assert.equal(details.app.name, "mock-authy");
  const stats = await client.getApplicationStatistics();
  assert.equal(stats.stats[0].sms_count, 1);
  assert.equal(stats.stats[0].auths_count, 1);
  assert.equal(stats.total_users, 1);

  await client.deleteUser({ authyId });
  await assert.rejects(client.getUserStatus({ authyId }), (err) => err.body && err.body.error_code === "60026");
});

test("phone verification and phone information pass the client's own checks", async () => {
  const started = await client.startPhoneVerification({ countryCode: "US", phone: "775-461-5609", via: "sms" }, { locale: "en" });
  assert.equal(started.is_cellphone, true);
  const sent = (await mock.control("GET", "/phone_verifications")).at(-1);
  assert.equal(sent.locale, "en");

  const wrong = sent.code === "0000" ? "1111" : "0000";
  await assert.rejects(client.verifyPhone({ countryCode: "US", phone: "775-461-5609", token: wrong }), (err) => err.body && err.body.error_code === "60022");
  const ok = await client.verifyPhone({ countryCode: "US", phone: "775-461-5609", token: sent.code });
  assert.equal(ok.message, "Verification code is correct.");

  const info = await client.getPhoneInformation({ countryCode: "US", phone: "775-461-5609" });
  assert.equal(info.type, "cellphone");
});
