"""Durable acceptance: kill -9 relayd the moment it answers 250 to DATA; after a restart
on the same store the message is in the spool, whole. A kill before the end of DATA
leaves nothing (never a half message)."""

import os
import time

import pytest

from conftest import LOCAL_RCPT, QUEUED_RE, REMOTE_RCPT, TRUSTED


def content(n, tag):
    lines = [f"From: <sender@remote.example>", f"To: <{LOCAL_RCPT}>", f"Subject: durable {tag}", ""]
    for i in range(n):
        lines.append(f"line {i} of {tag}: " + "0123456789" * (i % 9))
        if i % 7 == 0:
            lines.append(".a line that starts with a dot")
        if i % 11 == 0:
            lines.append(".")
    return ("\r\n".join(lines) + "\r\n").encode()


def stuff(msg):
    """Client-side dot-stuffing (RFC 5321 4.5.2)."""
    out = []
    for line in msg.split(b"\r\n"):
        out.append(b"." + line if line.startswith(b".") else line)
    return b"\r\n".join(out)


@pytest.mark.parametrize("lines", [3, 200, 6000])
def test_kill9_after_250_keeps_the_whole_message(relayd, lines):
    d = relayd
    msg = content(lines, f"n{lines}")
    with d.raw(TRUSTED) as r:
        assert r.reply().code == 220
        assert r.cmd("EHLO durable.example").code == 250
        assert r.cmd("MAIL FROM:<sender@remote.example>").code == 250
        assert r.cmd(f"RCPT TO:<{LOCAL_RCPT}>").code == 250
        assert r.cmd(f"RCPT TO:<{REMOTE_RCPT}>").code == 250
        assert r.cmd("DATA").code == 354
        r.send(stuff(msg) + b".\r\n")
        rep = r.reply()
        d.kill9()  # at once, before anything else happens
    assert rep.code == 250, rep
    qid = QUEUED_RE.search(rep.text).group(1)
    d.start()
    assert qid in d.queue_ids(), f"{qid} lost after kill -9; queue {d.queue_ids()}"
    env, stored = d.read_queued(qid)
    assert env["to"] == [f"<{LOCAL_RCPT}>", f"<{REMOTE_RCPT}>"], env
    assert env["from"] == "<sender@remote.example>"
    assert stored.startswith(b"Received: ")
    head, sep, rest = stored.partition(b"\r\nFrom: <sender@remote.example>\r\n")
    assert sep, stored[:300]
    assert b"From: <sender@remote.example>\r\n" + rest == msg, "the message is not whole"
    assert int(env["size"]) == len(stored)
    # And relayd still serves after the restart.
    with d.raw(TRUSTED) as r:
        r.reply()
        assert r.cmd("EHLO again.example").code == 250


def test_kill9_before_end_of_data_leaves_no_half_message(relayd):
    d = relayd
    before = set(d.queue_ids())
    with d.raw(TRUSTED) as r:
        r.reply()
        r.cmd("EHLO half.example")
        r.cmd("MAIL FROM:<sender@remote.example>")
        r.cmd(f"RCPT TO:<{LOCAL_RCPT}>")
        assert r.cmd("DATA").code == 354
        r.send(stuff(content(2000, "half")))  # no end of data
        time.sleep(0.3)
        d.kill9()
    d.start()
    assert set(d.queue_ids()) == before
    tmp = d.store / "spool" / "tmp"
    assert not tmp.is_dir() or not os.listdir(tmp), os.listdir(tmp)
