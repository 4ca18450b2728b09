"""The official `twilio` helper library, unchanged, against the mock-authy binary's Verify v2.

The library talks to https://verify.twilio.com; a transport that rewrites that origin to the mock
is all that differs from production. The mock's webhooks are checked with the library's own
`RequestValidator`. Run with `python -m unittest discover -s tests/python -v`.
"""

import http.server
import json
import queue
import threading
import unittest
import urllib.parse
import urllib.request

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

import mock_binary

ACCOUNT = "AC" + "12" * 16
TOKEN = "python-twilio-auth-token"
SERVICE = "VA0000000000000000000000000000a11f"


class ToMock(TwilioHttpClient):
    """Sends what the library addresses to Twilio's Verify host to the mock instead."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        url = url.replace("https://verify.twilio.com", self.base, 1)
        return super().request(method, url, *args, **kwargs)


class Hooks(http.server.BaseHTTPRequestHandler):
    received = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        Hooks.received.put((self.path, self.headers["X-Twilio-Signature"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class TwilioVerifyClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock, cls.base = mock_binary.start(
            "--seed", "9", "--twilio-account-sid", ACCOUNT, "--twilio-auth-token", TOKEN)
        cls.client = Client(ACCOUNT, TOKEN, http_client=ToMock(cls.base))
        cls.service = cls.client.verify.v2.services(SERVICE)
        cls.hooks = http.server.HTTPServer(("127.0.0.1", 0), Hooks)
        threading.Thread(target=cls.hooks.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.hooks.shutdown()
        mock_binary.stop(cls.mock)

    def control(self, path, method="GET", body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/__mock{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=20) as answer:
            return json.load(answer)

    def test_the_service_is_read_with_the_accounts_credentials(self):
        service = self.service.fetch()
        self.assertEqual(service.sid, SERVICE)
        self.assertEqual(service.account_sid, ACCOUNT)
        wrong = Client(ACCOUNT, "not-the-token", http_client=ToMock(self.base))
        with self.assertRaises(TwilioRestException) as refused:
            wrong.verify.v2.services(SERVICE).fetch()
        self.assertEqual((refused.exception.status, refused.exception.code), (401, 20003))

    def test_an_sms_verification_is_checked(self):
        started = self.service.verifications.create(to="+15551239001", channel="sms")
        self.assertEqual((started.status, started.channel), ("pending", "sms"))
        self.assertTrue(started.sid.startswith("VE"))
        code = [c for c in self.control("/verify/codes") if c["sid"] == started.sid][0]["code"]
        wrong = self.service.verification_checks.create(to="+15551239001", code="00000000")
        self.assertEqual((wrong.status, wrong.valid), ("pending", False))
        right = self.service.verification_checks.create(verification_sid=started.sid, code=code)
        self.assertEqual((right.status, right.valid), ("approved", True))
        with self.assertRaises(TwilioRestException) as gone:
            self.service.verification_checks.create(to="+15551239001", code=code)
        self.assertEqual(gone.exception.status, 404)

    def test_a_totp_factor_is_created_verified_and_challenged(self):
        entity = self.service.entities.create(identity="python-0001")
        self.assertTrue(entity.sid.startswith("YE"))
        factor = self.service.entities("python-0001").new_factors.create(
            friendly_name="py@example.com", factor_type="totp")
        self.assertEqual(factor.status, "unverified")
        self.assertTrue(factor.binding["uri"].startswith("otpauth://totp/"))
        code = self.control(f"/verify/factors/{factor.sid}/code")["code"]
        verified = self.service.entities("python-0001").factors(factor.sid).update(auth_payload=code)
        self.assertEqual(verified.status, "verified")
        self.control("/clock/advance", method="POST", body={"seconds": 30})
        code = self.control(f"/verify/factors/{factor.sid}/code")["code"]
        challenge = self.service.entities("python-0001").challenges.create(
            factor_sid=factor.sid, auth_payload=code)
        self.assertEqual(challenge.status, "approved")

    def test_a_push_challenge_webhook_validates_with_the_librarys_validator(self):
        url = f"http://127.0.0.1:{self.hooks.server_address[1]}/verify-hook"
        self.service.webhooks.create(
            friendly_name="python", event_types=["challenge.approved", "challenge.denied"],
            webhook_url=url)
        self.service.entities.create(identity="python-0002")
        push = [f for f in self.service.entities("python-0002").factors.list()
                if f.factor_type == "push"][0]
        challenge = self.service.entities("python-0002").challenges.create(
            factor_sid=push.sid, details_message="Log in to Python",
            details_fields=[{"label": "Code", "value": "042"}],
            hidden_details={"challenge": "py"})
        self.assertEqual(challenge.status, "pending")
        self.assertEqual(challenge.details["fields"], [{"label": "Code", "value": "042"}])
        self.control(f"/verify/challenges/{challenge.sid}/deny", method="POST")

        path, signature, body = Hooks.received.get(timeout=20)
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        validator = RequestValidator(TOKEN)
        self.assertTrue(validator.validate(url, params, signature))
        self.assertFalse(RequestValidator("another-token").validate(url, params, signature))
        self.assertEqual((params["type"], params["challenge_sid"]), ("challenge.denied", challenge.sid))
        read = self.service.entities("python-0002").challenges(challenge.sid).fetch()
        self.assertEqual(read.status, "denied")


if __name__ == "__main__":
    unittest.main()
