"""Peers and helpers for the delivery tests: an aiosmtpd smarthost with programmable
replies, and the waits and sends the delivery tests share."""

import json
import threading
import time

import pytest

from conftest import TRUSTED, free_port, message

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

DELIVER_TIMEOUT = 120


class Sink:
    """An aiosmtpd smarthost that records every message and answers RCPTs as told:
    `replies[address]` is a list of replies used in turn (the last one sticks)."""

    def __init__(self, tls_context=None, host="127.0.0.1", port=None, **smtp_params):
        self.messages = []
        self.replies = {}
        self.rcpts_seen = []
        self.tls_sessions = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.port = port or free_port()
        self.controller = aiosmtpd.Controller(
            self, hostname=host, port=self.port, tls_context=tls_context,
            require_starttls=False, **smtp_params,
        )

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if session.ssl is None:  # the EHLO after STARTTLS is the same connection
            with self.lock:
                self.connections += 1
        session.host_name = hostname
        return responses

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
