"""The PyPI `authy` client (2.2.6, its last release), unchanged, against the mock-authy binary.

MOCK_AUTHY_BIN names the binary; the mock listens on a free loopback port. Run with
`python -m unittest discover -s tests/python -v` (scripts/test-all.sh does).
"""

import json
import unittest
import urllib.request

from authy.api import AuthyApiClient

import mock_binary

KEY = "python-client-test-key"


class AuthyPythonClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock, cls.base = mock_binary.start("--api-key", KEY, "--seed", "5")
        cls.authy = AuthyApiClient(KEY, cls.base)

    @classmethod
    def tearDownClass(cls):
        mock_binary.stop(cls.mock)

    def control(self, path):
        with urllib.request.urlopen(f"{self.base}/__mock{path}", timeout=20) as answer:
            return json.load(answer)

    def test_registration_sms_token_and_monthly_statistics(self):
        user = self.authy.users.create("py@example.com", "775-461-5601", 1)
        self.assertTrue(user.ok(), user.errors())
        sms = self.authy.users.request_sms(user.id, {"force": True})
        self.assertTrue(sms.ok(), sms.errors())
        code = self.control(f"/users/{user.id}/outbox")[-1]["token"]
        self.assertFalse(self.authy.tokens.verify(user.id, "0000000").ok())
        self.assertTrue(self.authy.tokens.verify(user.id, code).ok())

        stats = self.authy.stats.fetch()
        self.assertTrue(stats.ok(), stats.errors())
        month = stats.content["stats"][0]
        self.assertGreaterEqual(month["sms_count"], 1)
        self.assertGreaterEqual(month["auths_count"], 1)
        self.assertGreaterEqual(month["users_count"], 1)
        self.assertEqual(stats.content["message"], "Monthly statistics.")
        details = self.authy.apps.fetch()
        self.assertTrue(details.ok())
        self.assertEqual(details.content["app"]["name"], "mock-authy")

    def test_phone_verification_and_phone_information(self):
        phones = self.authy.phones
        started = phones.verification_start("775-461-5609", "1", via="sms", locale="es", code_length=5)
        self.assertTrue(started.ok(), started.errors())
        self.assertEqual(started.content["message"], "Text message sent to +1 775-461-5609.")
        sent = [v for v in self.control("/phone_verifications") if v["uuid"] == started.content["uuid"]]
        self.assertEqual(len(sent), 1)
        code = sent[0]["code"]
        self.assertEqual((len(code), sent[0]["locale"]), (5, "es"))

        wrong = phones.verification_check("775-461-5609", "1", "00000" if code != "00000" else "11111")
        self.assertFalse(wrong.ok())
        self.assertEqual(wrong.content["error_code"], "60022")
        right = phones.verification_check("775-461-5609", "1", code)
        self.assertTrue(right.ok(), right.errors())
        self.assertEqual(right.content["message"], "Verification code is correct.")

        info = phones.info("775-461-5609", "1")
        self.assertTrue(info.ok(), info.errors())
        self.assertEqual(info.content["type"], "cellphone")
        invalid = phones.verification_start("123", "1")
        self.assertFalse(invalid.ok())
        self.assertEqual(invalid.errors()["message"], "Phone number is invalid")

    def test_onetouch_with_logos_and_details(self):
        user = self.authy.users.create("push@example.com", "775-461-5602", 1)
        self.assertTrue(user.ok(), user.errors())
        push = self.authy.one_touch.send_request(
            user.id,
            "Log in to the demo?",
            seconds_to_expire=120,
            details={"Email Address": "push@example.com"},
            logos=[{"res": "default", "url": "https://example.com/logo.png"}],
        )
        self.assertTrue(push.ok(), push.errors())
        uuid = push.get_uuid()
        self.assertEqual(self.authy.one_touch.get_approval_status(uuid).content["approval_request"]["status"], "pending")
        # The control API answers once the decision is made, so the status is final at once.
        request = urllib.request.Request(f"{self.base}/__mock/approval_requests/{uuid}/deny", method="POST")
        urllib.request.urlopen(request, timeout=20).close()
        denied = self.authy.one_touch.get_approval_status(uuid)
        self.assertEqual(denied.content["approval_request"]["status"], "denied")

if __name__ == "__main__":
    unittest.main()
