"""Local delivery over LMTP to Dovecot's LMTP server (not ours), on its unix socket and
on a loopback port: every message stored once and read back from Dovecot's mailbox,
and a recipient Dovecot refuses bounced on its own reply while the others are kept."""

import email
import email.policy
import time

from conftest import LOCAL_RCPT, message
from outbound import Dovecot, queue_json, send, wait_for


def test_a_hundred_messages_reach_dovecot_over_lmtp(relayd_factory):
    with Dovecot(["alice"]) as dove:
        d = relayd_factory(delivery="on", retry_schedule="1", lmtp=f"unix:{dove.socket}")
        bodies = {}
        for i in range(100):
            body = f"message {i}\r\n.a line with a leading dot\r\n" + "z" * (i * 7) + "\r\n"
            send(d, [LOCAL_RCPT], f"lmtp-{i}", body=body)
            bodies[f"lmtp-{i}"] = body
        wait_for(lambda: dove.count("alice") >= 100 and not d.queue_ids(), what="100 LMTP deliveries")
        assert dove.count("alice") == 100
        for raw in dove.stored("alice"):
            m = email.message_from_bytes(raw)
            # Dovecot adds Return-Path and Delivered-To; relayd must not add its own.
            assert m.get_all("Return-Path") == ["<printer@example.com>"], m.get_all("Return-Path")
            assert m["Delivered-To"] == LOCAL_RCPT
            # Dovecot's Maildir files end lines in LF alone.
            assert m.get_payload() == bodies.pop(m["Subject"]).replace("\r\n", "\n"), m["Subject"]
        assert not bodies, "every message stored"
        assert d.status_raw()["delivered"] == 100

        # Over TCP too.
        d.setprop("lmtp", f"127.0.0.1:{dove.port}")
        send(d, [LOCAL_RCPT], "over-tcp")
        wait_for(lambda: dove.count("alice") == 101 and not d.queue_ids(), what="the TCP delivery")
        assert f"next_hop=lmtp 127.0.0.1:{dove.port}" in d.log_text()


def test_dovecot_refusing_one_recipient_bounces_only_that_one(relayd_factory):
    with Dovecot(["alice", "bob"]) as dove:
        d = relayd_factory(delivery="on", retry_schedule="1", lmtp=f"unix:{dove.socket}")
        d.add_user("bob")
        d.add_user("carol")  # relayd knows carol; Dovecot does not
        send(d, [LOCAL_RCPT, "carol@example.com", "bob@example.com"], "one-of-three", sender=LOCAL_RCPT)
        # alice gets the message and then the report for carol; bob the message alone
        # (two replies after one DATA, one per accepted recipient).
        wait_for(lambda: dove.count("alice") == 2 and not d.queue_ids(), what="delivery and bounce")
        time.sleep(1.5)  # a recipient deferred by mistake would be retried by now
        assert dove.count("alice") == 2 and dove.count("bob") == 1
        msgs = [email.message_from_bytes(r, policy=email.policy.default) for r in dove.stored("alice")]
        report = [m for m in msgs if m.get_content_type() == "multipart/report"]
        assert len(report) == 1, [m["Subject"] for m in msgs]
        blocks = list(report[0].iter_parts())[1].get_payload()
        rcpt = [b for b in blocks if b.get("Final-Recipient")]
        assert [b["Final-Recipient"] for b in rcpt] == ["rfc822; carol@example.com"]
        assert rcpt[0]["Action"] == "failed" and rcpt[0]["Status"] == "5.1.1", dict(rcpt[0])


def test_lmtp_server_down_keeps_mail_queued_with_the_reason(relayd_factory, tmp_path):
    d = relayd_factory(delivery="on", retry_schedule="3600", lmtp=f"unix:{tmp_path}/no-such-socket")
    send(d, [LOCAL_RCPT], "no-server")

    def deferred():
        q = queue_json(d)
        return q and q[0]["recipients"][0]["state"] == "deferred"

    wait_for(deferred, timeout=30, what="a deferral")
    r = queue_json(d)[0]["recipients"][0]
    assert "LMTP unix:" in r["last_reply"] and r["last_reply"].startswith("451"), r
