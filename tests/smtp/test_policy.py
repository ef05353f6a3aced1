"""ARCHITECTURE.md's policy table, row by row, with real SMTP clients: a trusted host
(127.0.0.2, on open_relay_addr_list), an authenticated client (127.0.0.9 after STARTTLS
and AUTH PLAIN or LOGIN) and any other client (127.0.0.9), each sending to a local
(alice@example.com) and a remote (bob@remote.example) recipient. Settings change live
with relayctl (restart-free)."""

import smtplib
import time

import pytest

from conftest import (
    LOCAL_RCPT,
    OTHER,
    PASSWORD,
    REMOTE_RCPT,
    TRUSTED,
    b64,
    message,
    tls_context,
)

AMS = "/config/AppleMailServer"


def expected(r, a, client, local):
    """The table: (code, enhanced code) for one recipient."""
    ok = (250, "2.1.5")
    authed = client in ("auth-plain", "auth-login")
    if (r, a) == (0, 0):
        return ok
    if (r, a) == (0, 1):
        return ok if authed else (530, "5.7.0")
    if (r, a) == (1, 0):
        if client == "trusted" or authed or local:
            return ok
        return (554, "5.7.1")
    # (1, 1)
    return ok if client == "trusted" or authed else (530, "5.7.0")


def connect(d, client):
    """An smtplib session as `client`, after EHLO (and STARTTLS + AUTH when asked)."""
    source = TRUSTED if client == "trusted" else OTHER
    c = d.smtp(source)
    code, _ = c.ehlo("client.test")
    assert code == 250
    if client.startswith("auth"):
        c.starttls(context=tls_context())
        c.ehlo("client.test")
        assert c.has_extn("auth"), c.esmtp_features
        c.user, c.password = "alice", PASSWORD
        if client == "auth-plain":
            code, resp = c.auth("PLAIN", c.auth_plain)
        else:
            code, resp = c.auth("LOGIN", c.auth_login, initial_response_ok=False)
        assert code == 235, (code, resp)
    return c


def attempt(d, c, rcpt, sender="sender@remote.example", subject="policy"):
    """MAIL + RCPT (+ DATA when accepted); returns the RCPT reply, and checks that the
    spool gained exactly this message when accepted and nothing when refused."""
    before = set(d.queue_ids())
    code, resp = c.mail(sender)
    assert code == 250, (code, resp)
    rcode, rresp = c.rcpt(rcpt)
    if rcode == 250:
        code, resp = c.data(message(subject, to=rcpt, sender=sender))
        assert code == 250, (code, resp)
        new = set(d.queue_ids()) - before
        assert len(new) == 1, new
        env, body = d.read_queued(new.pop())
        assert env["to"] == [f"<{rcpt}>"], env
        assert env["from"] == f"<{sender}>", env
        assert body.startswith(b"Received: "), body[:100]
        assert f"Subject: {subject}".encode() in body
    else:
        code, resp = c.docmd("DATA")
        assert code in (503, 554), (code, resp)
        c.rset()
        assert set(d.queue_ids()) == before, "a refused recipient left a message in the spool"
    return rcode, rresp.decode(errors="replace")


ROWS = [(r, a) for r in (0, 1) for a in (0, 1)]
CLIENTS = ["trusted", "auth-plain", "auth-login", "other"]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("r,a", ROWS, ids=[f"R{r}A{a}" for r, a in ROWS])
def test_policy_table(module_relayd, r, a, client):
    d = module_relayd
    d.set_flags(r, a)
    st = d.status_raw()
    assert (st["restrict_relay"], st["require_auth"]) == (bool(r), bool(a)), st
    assert st["open_relay"] == ((r, a) == (0, 0)), st
    c = connect(d, client)
    try:
        for rcpt, local in ((LOCAL_RCPT, True), (REMOTE_RCPT, False)):
            code, text = attempt(d, c, rcpt, subject=f"R{r}A{a}-{client}-{local}")
            want_code, want_enh = expected(r, a, client, local)
            assert (code, text.split(" ")[0]) == (want_code, want_enh), (
                f"R={r} A={a} client={client} rcpt={rcpt}: got {code} {text}"
            )
    finally:
        c.close()


def test_open_relay_needs_force(module_relayd):
    d = module_relayd
    d.set_flags(1, 0)
    p = d.ctl("-createprop", ".", AMS, "open_relay_addr_flag", "0", check=False)
    assert p.returncode != 0, "relayctl wrote an open relay without --force"
    assert "open relay" in (p.stderr + p.stdout).lower()


def test_own_domain_in_mail_from_is_still_refused_relay(module_relayd):
    d = module_relayd
    d.set_flags(1, 0)
    c = d.smtp(OTHER)
    try:
        assert c.ehlo("example.com")[0] == 250
        for sender in (LOCAL_RCPT, "postmaster@example.com", "root@mx.example.com"):
            code, text = attempt(d, c, REMOTE_RCPT, sender=sender)
            assert code == 554 and text.startswith("5.7.1"), (sender, code, text)
        # A local recipient is still fine for the same client.
        code, text = attempt(d, c, LOCAL_RCPT, sender=LOCAL_RCPT)
        assert code == 250, (code, text)
    finally:
        c.close()


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_wrong_password_gets_535_and_nothing_relayed(module_relayd, mech):
    d = module_relayd
    d.set_flags(1, 0)
    before = set(d.queue_ids())
    c = d.smtp(OTHER)
    try:
        c.ehlo("client.test")
        c.starttls(context=tls_context())
        c.ehlo("client.test")
        if mech == "PLAIN":
            code, resp = c.docmd("AUTH", "PLAIN " + b64("\0alice\0wrong-" + PASSWORD))
        else:
            code, resp = c.docmd("AUTH", "LOGIN " + b64("alice"))
            assert code == 334, (code, resp)
            code, resp = c.docmd(b64("wrong-" + PASSWORD))
        assert code == 535, (code, resp)
        assert resp.startswith(b"5.7.8"), resp
        # Not authenticated: relay is refused, and nothing reaches the spool.
        assert c.mail("sender@remote.example")[0] == 250
        code, resp = c.rcpt(REMOTE_RCPT)
        assert code == 554 and resp.startswith(b"5.7.1"), (code, resp)
        code, resp = c.docmd("DATA")
        assert code in (503, 554), (code, resp)
    finally:
        c.close()
    assert set(d.queue_ids()) == before


def test_auth_only_after_starttls_unless_allowed(module_relayd):
    d = module_relayd
    d.set_flags(1, 0)
    d.setprop("allow_plaintext_auth", "0")
    c = d.smtp(OTHER)
    try:
        c.ehlo("client.test")
        assert c.has_extn("starttls")
        assert not c.has_extn("auth"), c.esmtp_features
        code, resp = c.docmd("AUTH", "PLAIN " + b64("\0alice\0" + PASSWORD))
        assert 500 <= code < 600, (code, resp)
        # Still not authenticated.
        c.mail("sender@remote.example")
        assert c.rcpt(REMOTE_RCPT)[0] == 554
        c.rset()
        c.starttls(context=tls_context())
        c.ehlo("client.test")
        assert c.has_extn("auth")
        mechs = c.esmtp_features["auth"].upper().split()
        assert "PLAIN" in mechs and "LOGIN" in mechs, mechs
    finally:
        c.close()

    d.setprop("allow_plaintext_auth", "1")
    try:
        c = d.smtp(OTHER)
        try:
            c.ehlo("client.test")
            assert c.has_extn("auth"), c.esmtp_features
            code, resp = c.docmd("AUTH", "PLAIN " + b64("\0alice\0" + PASSWORD))
            assert code == 235, (code, resp)
            code, text = attempt(d, c, REMOTE_RCPT)
            assert code == 250, (code, text)
        finally:
            c.close()
    finally:
        d.setprop("allow_plaintext_auth", "0")


def test_unknown_local_user_gets_550_5_1_1(module_relayd):
    """Told at RCPT to a trusted client; an untrusted one gets the answer an existing
    user gets, and its message is refused at DATA (shared::decision)."""
    d = module_relayd
    d.set_flags(1, 0)
    c = d.smtp(TRUSTED)
    try:
        c.ehlo("client.test")
        code, text = attempt(d, c, "nobody@example.com")
        assert code == 550 and text.startswith("5.1.1"), (code, text)
        code, text = attempt(d, c, "postmaster@example.com")
        assert code == 250, (code, text)
    finally:
        c.close()
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO client.test")
        assert r.cmd("MAIL FROM:<s@remote.example>").code == 250
        known = r.cmd(f"RCPT TO:<{LOCAL_RCPT}>")
        unknown = r.cmd("RCPT TO:<nobody@example.com>")
        assert (known.code, known.lines) == (unknown.code, unknown.lines) == (250, ["250 2.1.5 Ok"])
        data = r.cmd("DATA")
        assert data.code == 550 and data.lines[0].startswith("550 5.1.1 <nobody@example.com>"), data
        # The transaction is over; a new one without the unknown user goes through.
        assert r.cmd("MAIL FROM:<s@remote.example>").code == 250
        assert r.cmd(f"RCPT TO:<{LOCAL_RCPT}>").code == 250
        assert r.cmd("DATA").code == 354
        r.send(message().encode() + b".\r\n")
        assert r.reply().code == 250


def test_submission_listener_requires_auth(module_relayd):
    from conftest import free_port

    d = module_relayd
    d.set_flags(1, 0)
    sub = free_port()
    d.setprop("listen", f"127.0.0.1:{d.port}", f"127.0.0.1:{sub} submission")
    try:
        for source in (TRUSTED, OTHER):
            c = d.smtp(source, port=sub)
            try:
                c.ehlo("client.test")
                code, resp = c.mail("sender@remote.example")
                assert code == 530 and resp.startswith(b"5.7.0"), (source, code, resp)
            finally:
                c.close()
        c = d.smtp(OTHER, port=sub)
        try:
            c.ehlo("client.test")
            c.starttls(context=tls_context())
            c.ehlo("client.test")
            c.user, c.password = "alice", PASSWORD
            assert c.auth("PLAIN", c.auth_plain)[0] == 235
            code, text = attempt(d, c, REMOTE_RCPT)
            assert code == 250, (code, text)
        finally:
            c.close()
    finally:
        d.setprop("listen", f"127.0.0.1:{d.port}")


def test_repeated_auth_failures_slow_down_then_disconnect(module_relayd):
    d = module_relayd
    d.set_flags(1, 0)
    c = d.smtp(OTHER)
    try:
        c.ehlo("client.test")
        c.starttls(context=tls_context())
        c.ehlo("client.test")
        times, codes = [], []
        for i in range(6):
            t = time.monotonic()
            try:
                code, resp = c.docmd("AUTH", "PLAIN " + b64(f"\0alice\0bad{i}"))
            except smtplib.SMTPServerDisconnected:
                codes.append("closed")
                break
            times.append(time.monotonic() - t)
            codes.append(code)
            if code == 421:
                break
        assert codes[0] == 535 and 421 in codes, codes
        n = codes.index(421)
        assert n >= 1, codes
        # Each failure waits at least a little, and the wait grows: the last reply comes
        # clearly later than the first (both include one password check).
        assert all(t >= 0.3 for t in times), times
        assert times[n] > times[0] + 0.4, times
        with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError, OSError)):
            c.noop()
            c.noop()
    finally:
        c.close()


def test_smtps_listener_is_tls_from_the_first_byte(module_relayd):
    import smtplib

    from conftest import free_port

    d = module_relayd
    d.set_flags(1, 0)
    tls_port = free_port()
    d.setprop("listen", f"127.0.0.1:{d.port}", f"127.0.0.1:{tls_port} smtps")
    try:
        c = smtplib.SMTP_SSL(
            "127.0.0.1",
            tls_port,
            local_hostname="client.test",
            source_address=(OTHER, 0),
            context=tls_context(),
            timeout=20,
        )
        try:
            c.ehlo("client.test")
            # Over TLS, AUTH is offered and STARTTLS is not (TLS is already on).
            assert c.has_extn("auth") and not c.has_extn("starttls"), c.esmtp_features
            code, text = attempt(d, c, REMOTE_RCPT)
            assert code == 554 and text.startswith("5.7.1"), (code, text)
            c.user, c.password = "alice", PASSWORD
            assert c.auth("PLAIN", c.auth_plain)[0] == 235
            code, text = attempt(d, c, REMOTE_RCPT)
            assert code == 250, (code, text)
            env, body = d.read_queued(sorted(d.queue_ids())[-1])
            assert env.get("user") == "alice", env
            assert b"with ESMTPSA" in body.split(b"\r\n\r\n")[0], body[:300]
        finally:
            c.close()
        # A plaintext client on the smtps port gets no SMTP greeting.
        raw = d.raw(OTHER, port=tls_port, timeout=5)
        try:
            raw.send(b"EHLO client.test\r\n")
            assert raw.closed(timeout=5)
        finally:
            raw.close()
    finally:
        d.setprop("listen", f"127.0.0.1:{d.port}")
