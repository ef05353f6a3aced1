"""AUTH to the relayhost (`relayhost_user`, `relayhost_password`): sent only over TLS,
accepted by an aiosmtpd smarthost that requires it, a refused login keeps the mail
queued with the reason, and the password appears in no log line."""

import ssl

import pytest

from outbound import Sink, delivering, make_ca, queue_json, send, wait_for

aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")

USER, PASSWORD = "printer@example.com", "s3cret-Relay-Pass"


class AuthSink(Sink):
    """A smarthost that takes mail only from a logged-in client, and logins only over
    TLS; it records every login attempt."""

    def __init__(self, tls_context):
        self.logins = []
        super().__init__(tls_context=tls_context, authenticator=self.check, auth_require_tls=True,
                         auth_required=True)

    def check(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode()
        password = auth_data.password.decode()
        self.logins.append((mechanism, login, session.ssl is not None))
        return aiosmtpd_smtp.AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


def deferred_reason(d):
    q = queue_json(d)
    if q and q[0]["recipients"][0]["state"] == "deferred":
        return q[0]["recipients"][0]["last_reply"]
    return None


def test_auth_to_the_relayhost_only_over_tls(relayd_factory, tmp_path):
    ca, cert, key = make_ca(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    with AuthSink(ctx) as sink:
        # TLS off: the credentials are never sent, the mail waits.
        d = delivering(relayd_factory, sink.port, relayhost_tls="none", relayhost_user=USER,
                       relayhost_password=PASSWORD, retry_schedule="3600")
        send(d, ["bob@remote.example"], "auth-me")
        wait_for(lambda: deferred_reason(d), timeout=30, what="a deferral")
        assert "only sent over TLS" in deferred_reason(d)
        assert sink.logins == [] and sink.messages == []

        # A wrong password: refused, still queued, the reason shown.
        d.setprop("relayhost_tls", "verify")
        d.setprop("relayhost_ca", str(ca))
        d.setprop("relayhost_password", "wrong-password")
        d.ctl("queue", "flush")
        wait_for(lambda: sink.logins, timeout=30, what="a login")
        wait_for(lambda: "AUTH to the relayhost" in (deferred_reason(d) or ""), timeout=30,
                 what="the refused login's deferral")
        assert deferred_reason(d).startswith("535"), deferred_reason(d)
        assert sink.messages == []

        # The right one: delivered over TLS, logged in.
        d.setprop("relayhost_password", PASSWORD)
        d.ctl("queue", "flush")
        wait_for(lambda: sink.messages and not d.queue_ids(), timeout=30, what="the delivery")
        assert sink.messages[0][3] is True, "not over TLS"
        assert all(tls for _, _, tls in sink.logins), sink.logins
        assert sink.logins[-1][1] == USER
        log = d.log_text()
        assert PASSWORD not in log and "wrong-password" not in log
        assert PASSWORD not in d.ctl("show").stdout
