"""relayd delivers: to a smarthost (Python's aiosmtpd, with programmable replies and
STARTTLS), to local Maildirs, with retries, bounces (RFC 3464, parsed by Python's
`email`), and the outbound TLS policy. Everything on loopback."""

import email
import email.policy
import json
import shutil
import smtplib
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import LOCAL_RCPT, TRUSTED, free_port, message

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

DELIVER_TIMEOUT = 120


class Sink:
    """An aiosmtpd smarthost that records every message and answers RCPTs as told:
    `replies[address]` is a list of replies used in turn (the last one sticks)."""

    def __init__(self, tls_context=None):
        self.messages = []
        self.replies = {}
        self.rcpts_seen = []
        self.tls_sessions = 0
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = aiosmtpd.Controller(
            self, hostname="127.0.0.1", port=self.port, tls_context=tls_context,
            require_starttls=False,
        )

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts_seen.append(address)
            answers = self.replies.get(address)
            reply = answers.pop(0) if answers and len(answers) > 1 else (answers[0] if answers else "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                  session.ssl is not None))
            if session.ssl is not None:
                self.tls_sessions += 1
        return "250 2.0.0 Ok: stored"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def wait_for(pred, timeout=DELIVER_TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def delivering(relayd_factory, sink_port=None, **extra):
    settings = {"delivery": "on", "retry_schedule": "1", "relayhost_tls": "none"}
    if sink_port:
        settings["relayhost"] = f"[127.0.0.1]:{sink_port}"
    settings.update(extra)
    return relayd_factory(**settings)


def send(d, rcpts, subject, sender="printer@example.com", body="hello\r\n"):
    with d.smtp(TRUSTED) as c:
        c.ehlo("printer.test")
        return c.sendmail(sender, rcpts, message(subject, sender=sender, body=body))


def maildir_new(d, user):
    return sorted((d.store / "mail" / user / "Maildir" / "new").glob("*"))


def queue_json(d):
    return json.loads(d.ctl("--json", "queue", "list").stdout)


def test_a_thousand_messages_reach_the_smarthost_exactly_once(relayd_factory):
    with Sink() as sink:
        d = delivering(relayd_factory, sink.port)
        sent = []

        def batch(n):
            ids = []
            with d.smtp(TRUSTED) as c:
                c.ehlo("printer.test")
                for i in range(250):
                    m = message(f"bulk-{n}-{i}", sender="printer@example.com", to="bob@remote.example")
                    c.sendmail("printer@example.com", ["bob@remote.example"], m)
                    ids.append(email.message_from_string(m)["Message-ID"])
            return ids

        with ThreadPoolExecutor(4) as pool:
            for ids in pool.map(batch, range(4)):
                sent.extend(ids)
        assert len(sent) == 1000 and len(set(sent)) == 1000
        wait_for(lambda: len(sink.messages) >= 1000 and not d.queue_ids(), what="1000 deliveries")
        time.sleep(1)  # nothing more arrives
        got = [email.message_from_bytes(m[2])["Message-ID"] for m in sink.messages]
        assert sorted(got) == sorted(sent), "every message exactly once"
        st = d.status_raw()
        assert st["delivered"] == 1000 and st["queue_messages"] == 0, st


def test_local_mail_lands_whole_in_maildirs(relayd_factory):
    d = delivering(relayd_factory)
    bodies = {}
    for i in range(100):
        body = f"line one {i}\r\n.leading dot\r\n" + "x" * (i * 37) + "\r\n"
        send(d, [LOCAL_RCPT], f"local-{i}", body=body)
        bodies[f"local-{i}"] = body
    wait_for(lambda: len(maildir_new(d, "alice")) == 100 and not d.queue_ids(), what="100 maildir files")
    assert not list((d.store / "mail" / "alice" / "Maildir" / "tmp").iterdir())
    for path in maildir_new(d, "alice"):
        raw = path.read_bytes()
        assert raw.startswith(b"Return-Path: <printer@example.com>\r\nDelivered-To: alice@example.com\r\nReceived: ")
        m = email.message_from_bytes(raw)
        assert m.get_payload() == bodies.pop(m["Subject"]), m["Subject"]
    assert not bodies, "every message arrived"


def test_a_550_gives_exactly_one_rfc3464_bounce(relayd_factory):
    with Sink() as sink:
        sink.replies["bad@remote.example"] = ["550 5.1.1 No such user here"]
        d = delivering(relayd_factory, sink.port)
        send(d, ["bad@remote.example", "good@remote.example"], "bounce-me", sender=LOCAL_RCPT)
        wait_for(lambda: maildir_new(d, "alice") and not d.queue_ids(), what="the bounce")
        time.sleep(1.5)
        reports = maildir_new(d, "alice")
        assert len(reports) == 1, reports
        m = email.message_from_bytes(reports[0].read_bytes(), policy=email.policy.default)
        assert m.get_content_type() == "multipart/report"
        assert m.get_param("report-type") == "delivery-status"
        parts = list(m.iter_parts())
        status = parts[1]
        assert status.get_content_type() == "message/delivery-status"
        blocks = status.get_payload()
        per_rcpt = [b for b in blocks if b.get("Final-Recipient")]
        assert len(per_rcpt) == 1, [dict(b) for b in blocks]
        assert per_rcpt[0]["Final-Recipient"] == "rfc822; bad@remote.example"
        assert per_rcpt[0]["Action"] == "failed"
        assert per_rcpt[0]["Status"] == "5.1.1"
        assert "Subject: bounce-me" in parts[2].get_payload() or b"bounce-me" in reports[0].read_bytes()
        # The good recipient was delivered once.
        assert [r for _, rs, _, _ in sink.messages for r in rs] == ["good@remote.example"]


def test_451_then_250_delivers_once_without_a_bounce(relayd_factory):
    with Sink() as sink:
        sink.replies["slow@remote.example"] = ["451 4.3.0 try again", "250 OK"]
        d = delivering(relayd_factory, sink.port)
        send(d, ["slow@remote.example"], "retry-me", sender=LOCAL_RCPT)
        wait_for(lambda: len(sink.messages) == 1 and not d.queue_ids(), what="the retried delivery")
        time.sleep(1.5)
        assert len(sink.messages) == 1
        assert sink.rcpts_seen.count("slow@remote.example") == 2
        assert maildir_new(d, "alice") == [], "no bounce"


def test_a_bounce_for_the_null_sender_is_logged_never_sent(relayd_factory):
    with Sink() as sink:
        sink.replies["bad@remote.example"] = ["550 5.1.1 No such user"]
        d = delivering(relayd_factory, sink.port)
        with d.smtp(TRUSTED) as c:
            c.ehlo("printer.test")
            c.sendmail("<>", ["bad@remote.example"], message("from-null"))
        wait_for(lambda: not d.queue_ids() and "no bounce for a message from the null sender" in d.log_text(),
                 what="the null-sender message to finish")
        time.sleep(1)
        assert len(sink.messages) == 0 and d.queue_ids() == []
        assert d.status_raw()["bounces_sent"] == 0


def make_ca(tmp):
    """A CA and a certificate for 127.0.0.1 it signed, by openssl."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed")
    run = lambda *a: subprocess.run([openssl, *a], check=True, capture_output=True, cwd=tmp)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=relay test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "host.key", "-out", "host.csr",
        "-subj", "/CN=127.0.0.1")
    (tmp / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "host.pem", "-days", "2", "-extfile", "ext.cnf")
    return tmp / "ca.pem", tmp / "host.pem", tmp / "host.key"


def test_relayhost_tls_verify(relayd_factory, tmp_path):
    import ssl

    ca, cert, key = make_ca(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    with Sink(tls_context=ctx) as sink:
        d = delivering(relayd_factory, sink.port, relayhost_tls="verify")
        send(d, ["bob@remote.example"], "tls-me")
        # No CA of ours trusts the sink: queued, with the reason, and nothing sent.
        def deferred():
            q = queue_json(d)
            return q and q[0]["recipients"][0]["state"] == "deferred"
        wait_for(deferred, timeout=30, what="a deferral")
        reason = queue_json(d)[0]["recipients"][0]["last_reply"]
        assert "TLS" in reason or "certificate" in reason.lower(), reason
        assert sink.messages == []
        # With its CA in relayhost_ca it is delivered, over STARTTLS.
        d.setprop("relayhost_ca", str(ca))
        d.ctl("queue", "flush")
        wait_for(lambda: len(sink.messages) == 1 and not d.queue_ids(), timeout=30, what="the TLS delivery")
        assert sink.messages[0][3] is True, "delivered without TLS"
