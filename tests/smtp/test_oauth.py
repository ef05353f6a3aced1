"""XOAUTH2 to the relayhost (relayhost_auth xoauth2): access tokens from an OAuth2 token
endpoint (a small http.server here, issuing tokens that live 2 s), cached and renewed
before they expire, fetched again when the smarthost refuses one, and never logged. The
smarthost is aiosmtpd with TLS and an AUTH XOAUTH2 handler that takes only a current
token from that endpoint."""

import base64
import json
import secrets
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import TRUSTED, free_port
from outbound import Sink, delivering, make_ca, queue_json, send, wait_for

aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")

USER = "printer@example.com"
CLIENT_ID = "relay-test-app"
CLIENT_SECRET = "client-S3cret-" + secrets.token_hex(8)
LIFETIME = 2


class TokenEndpoint:
    """POST /token by the client-credentials or refresh-token grant; tokens live
    LIFETIME seconds. `down` answers 503; `rotate` hands out a new refresh token."""

    def __init__(self):
        self.lifetime = LIFETIME
        self.tokens = {}  # token -> expiry (monotonic)
        self.grants = []
        self.down = False
        self.refresh_tokens = {"rt-1"}
        self.rotate = False
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                one = lambda k: form.get(k, [None])[0]
                status, body = endpoint.answer(one)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, one):
        with self.lock:
            if self.down:
                return 503, {"error": "temporarily_unavailable"}
            grant = one("grant_type")
            if one("client_id") != CLIENT_ID:
                return 401, {"error": "invalid_client"}
            extra = {}
            if grant == "client_credentials":
                if one("client_secret") != CLIENT_SECRET:
                    return 401, {"error": "invalid_client"}
            elif grant == "refresh_token":
                if one("refresh_token") not in self.refresh_tokens:
                    return 400, {"error": "invalid_grant"}
                if self.rotate:
                    new = f"rt-{len(self.refresh_tokens) + 1}"
                    self.refresh_tokens = {new}
                    extra["refresh_token"] = new
            else:
                return 400, {"error": "unsupported_grant_type"}
            token = "tok-" + secrets.token_hex(12)
            self.tokens[token] = time.monotonic() + self.lifetime
            self.grants.append((grant, one("scope")))
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime, **extra}

    def current(self, token):
        with self.lock:
            return self.tokens.get(token, 0) > time.monotonic()

    def revoke_all(self):
        with self.lock:
            self.tokens.clear()

    def close(self):
        self.server.shutdown()


class XOAuth2Sink(Sink):
    """A smarthost that takes mail only after AUTH XOAUTH2 with a current token, over TLS."""

    def __init__(self, tls_context, endpoint):
        self.endpoint = endpoint
        self.logins = []
        super().__init__(tls_context=tls_context, authenticator=lambda *a: aiosmtpd_smtp.AuthResult(success=False),
                         auth_require_tls=True, auth_required=True)

    async def login(self, server, args, user_ok):
        """Checks an initial response: `user_ok(first part before \\x01, fields)` and
        a current token in `auth=Bearer ...`."""
        blob = args[1] if len(args) > 1 else await server.challenge_auth("")
        if isinstance(blob, bytes):
            blob = blob.decode()
        text = base64.b64decode(blob).decode()
        first, _, _ = text.partition("\x01")
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        token = fields.get("auth", "").removeprefix("Bearer ")
        ok = user_ok(first, fields) and self.endpoint.current(token)
        with self.lock:
            self.logins.append((ok, token))
        return aiosmtpd_smtp.AuthResult(success=ok, handled=False)

    async def auth_XOAUTH2(self, server, args):
        return await self.login(server, args, lambda first, f: f.get("user") == USER)


@pytest.fixture
def oauth_relay(relayd_factory, tmp_path):
    yield from oauth_setup(relayd_factory, tmp_path, XOAuth2Sink)


def oauth_setup(relayd_factory, tmp_path, sink_class):
    """A TLS smarthost of `sink_class`, the token endpoint, and a maker of relayd
    instances that log in to it with tokens from the endpoint."""
    ca, cert, key = make_ca(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    endpoint = TokenEndpoint()
    sink = sink_class(ctx, endpoint)
    sink.controller.start()

    def make(**extra):
        settings = dict(relayhost_tls="verify", relayhost_ca=str(ca), relayhost_user=USER,
                        oauth_token_url=endpoint.url, oauth_client_id=CLIENT_ID,
                        oauth_client_secret=CLIENT_SECRET, oauth_scope="https://outlook.office365.com/.default")
        settings.update(extra)
        # Last: the write check wants the oauth_ keys it needs in place first.
        settings["relayhost_auth"] = extra.get("relayhost_auth", "xoauth2")
        settings = {k: v for k, v in settings.items() if v is not None}
        return delivering(relayd_factory, sink.port, **settings)

    yield make, sink, endpoint
    sink.controller.stop()
    endpoint.close()


def reason(d):
    q = queue_json(d)
    return q[0]["recipients"][0]["last_reply"] if q and q[0]["recipients"][0]["state"] == "deferred" else None


def test_200_messages_through_xoauth2_over_ten_token_lifetimes(oauth_relay):
    make, sink, endpoint = oauth_relay
    d = make()
    start = time.monotonic()
    for i in range(200):
        send(d, ["bob@remote.example"], f"printer-{i}")
        # About 20 s in all: ten lifetimes of a token.
        time.sleep(max(0, start + (i + 1) * 0.1 - time.monotonic()))
    wait_for(lambda: len(sink.messages) >= 200 and not d.queue_ids(), timeout=120, what="200 deliveries")
    subjects = sorted(m[2].split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0] for m in sink.messages)
    assert len(subjects) == 200 and len(set(subjects)) == 200, "a message delivered twice or lost"
    assert all(tls for *_, tls in sink.messages)
    # Renewed before expiry: about one grant per lifetime, not one per message, and
    # (a race aside) never a token presented after it expired.
    assert 8 <= len(endpoint.grants) <= 60, endpoint.grants
    refused = sum(not ok for ok, _ in sink.logins)
    assert refused <= 2, f"{refused} logins with an expired token of {len(sink.logins)}"
    assert all(g == ("client_credentials", "https://outlook.office365.com/.default") for g in endpoint.grants)
    log = d.log_text()
    assert CLIENT_SECRET not in log
    leaked = [t for t in endpoint.tokens if t in log]
    assert not leaked, leaked[:3]
    for out in (d.ctl("show").stdout, d.ctl("config", "get").stdout, d.ctl("--json", "show").stdout):
        assert CLIENT_SECRET not in out
    assert "oauth_client_secret = (set)" in d.ctl("config", "get", "oauth_client_secret").stdout


def test_a_refused_token_is_replaced_within_the_attempt(oauth_relay):
    make, sink, endpoint = oauth_relay
    endpoint.lifetime = 600  # the token would stay cached: only the refusal replaces it
    # A retry an hour away: only the in-attempt retry can deliver it now.
    d = make(retry_schedule="3600")
    send(d, ["bob@remote.example"], "first")
    wait_for(lambda: len(sink.messages) == 1, timeout=30, what="the first delivery")
    time.sleep(2.5)  # the cached session (kept 2 s) is gone; the token is still cached
    endpoint.revoke_all()  # the provider revokes it early
    grants = len(endpoint.grants)
    send(d, ["bob@remote.example"], "second")
    wait_for(lambda: len(sink.messages) == 2, timeout=30, what="the second delivery")
    assert any(not ok for ok, _ in sink.logins), sink.logins
    assert len(endpoint.grants) > grants
    assert not d.queue_ids()


def test_token_endpoint_down_keeps_mail_queued_with_the_reason(oauth_relay):
    make, sink, endpoint = oauth_relay
    endpoint.down = True
    d = make()
    send(d, ["bob@remote.example"], "while-down")
    wait_for(lambda: reason(d), timeout=30, what="a deferral")
    why = reason(d)
    assert "cannot get an OAuth2 token from" in why and endpoint.url in why and "temporarily_unavailable" in why, why
    assert sink.messages == []
    endpoint.down = False
    wait_for(lambda: len(sink.messages) == 1 and not d.queue_ids(), timeout=30, what="the delivery once it is back")


def test_refresh_token_grant_and_rotation_written_back(oauth_relay):
    make, sink, endpoint = oauth_relay
    endpoint.rotate = True
    d = make(oauth_client_secret=None, oauth_refresh_token="rt-1")
    send(d, ["bob@remote.example"], "refreshed")
    wait_for(lambda: len(sink.messages) == 1, timeout=30, what="the delivery")
    assert endpoint.grants[0][0] == "refresh_token"
    # The provider rotated rt-1 to rt-2; relayd wrote it back to the store.
    wait_for(lambda: d.ctl("-readprop", ".", "/config/relayd", "oauth_refresh_token").stdout.strip() == "rt-2",
             timeout=10, what="the rotated refresh token in the store")
    assert "rt-2" not in d.log_text() and "rt-1" not in d.ctl("show").stdout


def test_sender_rewrite_gives_the_smarthost_the_mailbox_it_accepts(oauth_relay):
    make, sink, endpoint = oauth_relay
    d = make(sender_rewrite=["scanner@example.com", "printer@example.com -> frontdesk@example.com"])
    send(d, ["bob@remote.example"], "scanned", sender="scan3f@printers.lan")
    send(d, ["bob@remote.example"], "printed", sender="printer@example.com")
    wait_for(lambda: len(sink.messages) == 2, timeout=30, what="two deliveries")
    by_subject = {m[2].split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0]: m for m in sink.messages}
    env_from, _, content, _ = by_subject[b"scanned"]
    assert env_from == "scanner@example.com"
    head = content.split(b"\r\n\r\n", 1)[0].decode()
    assert "\r\nFrom: <scanner@example.com>" in "\r\n" + head, head
    assert "Reply-To: <scan3f@printers.lan>" in head and "X-Original-From: <scan3f@printers.lan>" in head, head
    assert by_subject[b"printed"][0] == "frontdesk@example.com"
    # A value that is not an address is refused with its reason.
    p = d.ctl("config", "set", "sender_rewrite", "not-an-address", check=False)
    assert p.returncode == 1 and "sender_rewrite" in p.stderr, p.stderr


def test_relay_check_explains_the_outbound_path(oauth_relay):
    make, sink, endpoint = oauth_relay
    d = make(sender_rewrite="scanner@example.com")
    out = d.ctl("relay", "check", TRUSTED, "--rcpt", "bob@remote.example", "--from", "dev@printers.lan").stdout
    assert f"next hop:  relayhost [127.0.0.1]:{sink.port}" in out, out
    assert "tls:       verify: STARTTLS required, certificate checked against relayhost_ca" in out, out
    assert f"auth:      xoauth2 as {USER}, tokens from {endpoint.url} by the client-credentials grant" in out, out
    assert "sender:    <dev@printers.lan> becomes <scanner@example.com>" in out, out
    assert "signature: none" in out and CLIENT_SECRET not in out
    js = json.loads(d.ctl("--json", "relay", "check", TRUSTED, "--rcpt", "bob@remote.example").stdout)
    assert js["outbound"]["next_hop"].startswith("relayhost") and js["outbound"]["sender"] == "every sender becomes <scanner@example.com>"
    # Local mail has no outbound path.
    js = json.loads(d.ctl("--json", "relay", "check", TRUSTED, "--rcpt", "alice@example.com").stdout)
    assert js["outbound"] is None
    show = d.ctl("show").stdout
    assert "Mail to other domains:" in show and "xoauth2 as" in show and CLIENT_SECRET not in show, show


class BearerSink(XOAuth2Sink):
    """The same smarthost, speaking RFC 7628's OAUTHBEARER instead."""

    async def auth_XOAUTH2(self, server, args):
        return aiosmtpd_smtp.AuthResult(success=False, handled=False)

    async def auth_OAUTHBEARER(self, server, args):
        # RFC 7628: the GS2 header names the user.
        return await self.login(server, args, lambda first, f: first == f"n,a={USER},")


@pytest.fixture
def bearer_relay(relayd_factory, tmp_path):
    yield from oauth_setup(relayd_factory, tmp_path, BearerSink)


def test_oauthbearer(bearer_relay):
    make, sink, endpoint = bearer_relay
    d = make(relayhost_auth="oauthbearer")
    send(d, ["bob@remote.example"], "bearer")
    wait_for(lambda: len(sink.messages) == 1, timeout=30, what="the OAUTHBEARER delivery")
    assert sink.logins and all(ok for ok, _ in sink.logins), sink.logins
