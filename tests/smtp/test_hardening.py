"""Defences found necessary in review, each shown against the real daemon: a client that
will not read loses its slot, refused recipients are limited, STARTTLS forgets plaintext
AUTH, a listener's role changes in place, client input cannot forge log lines, a new
spool_dir works at once, the control socket takes only short requests, and SIGTERM
closes idle sessions politely."""

import base64
import json
import os
import signal
import socket
import time

from conftest import OTHER, PASSWORD, REMOTE_RCPT, TRUSTED, b64, free_port, tls_context


def test_a_client_that_never_reads_loses_its_slot(relayd_factory):
    d = relayd_factory(command_timeout=3)
    s = socket.create_connection(("127.0.0.1", d.port), source_address=(OTHER, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.recv(512)
    s.settimeout(20)
    # Pipelined HELPs whose replies are 15 times the size of the requests, never read.
    chunk = b"HELP\r\n" * 10_000
    sent = 0
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline and sent < 3_000_000:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # relayd closed the connection: the point of the test
    # The junk limit or the write timeout ends the session; it does not hang on.
    s.settimeout(10)
    ended = False
    try:
        while True:
            data = s.recv(1 << 20)
            if not data:
                ended = True
                break
    except (ConnectionResetError, BrokenPipeError):
        ended = True
    except socket.timeout:
        pass
    s.close()
    assert ended, "the session that never read its replies is still open"
    time.sleep(0.5)
    assert d.status()["sessions_open"] == 0
    with d.smtp(OTHER) as c:
        assert c.noop()[0] == 250


def test_refused_recipients_hit_the_error_limit(relayd):
    d = relayd
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO guesser.test")
        assert r.cmd("MAIL FROM:<>").code == 250
        codes = []
        started = time.monotonic()
        for i in range(40):
            code = r.cmd(f"RCPT TO:<bob{i}@remote.example>").code
            codes.append(code)
            if code == 421:
                break
        # The 20th refusal is followed by 421 and the end of the session.
        assert codes[:20] == [554] * 20, codes
        assert codes[-1] == 421 and len(codes) == 21, codes
        # Past the soft limit (10) each refusal waited about a second.
        assert time.monotonic() - started >= 8
        assert r.closed(timeout=5)


def test_starttls_forgets_plaintext_auth(relayd_factory):
    d = relayd_factory(allow_plaintext_auth=1)
    c = d.smtp(OTHER)
    try:
        c.ehlo("client.test")
        c.user, c.password = "alice", PASSWORD
        assert c.auth("PLAIN", c.auth_plain)[0] == 235
        c.starttls(context=tls_context())
        c.ehlo("client.test")
        c.mail("sender@remote.example")
        code, text = c.rcpt(REMOTE_RCPT)
        assert code == 554, (code, text)
        c.rset()
        # It may authenticate again, now over TLS.
        assert c.auth("PLAIN", c.auth_plain)[0] == 235
        c.mail("sender@remote.example")
        assert c.rcpt(REMOTE_RCPT)[0] == 250
    finally:
        c.close()


def test_listener_role_changes_in_place(relayd):
    d = relayd
    d.setprop("listen", f"127.0.0.1:{d.port} submission")
    st = d.status()
    assert st["last_reload"]["error"] is None, st
    with d.smtp(TRUSTED) as c:
        c.ehlo("client.test")
        assert c.mail("sender@example.com")[0] == 530
    d.setprop("listen", f"127.0.0.1:{d.port}")
    with d.smtp(TRUSTED) as c:
        c.ehlo("client.test")
        assert c.mail("sender@example.com")[0] == 250


def test_client_input_cannot_forge_log_lines(relayd_factory):
    d = relayd_factory(allow_plaintext_auth=1)
    forged = "bob\n2026-01-01T00:00:00Z  INFO relayd::session: authenticated client=10.9.9.9 user=root"
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO client.test")
        rep = r.cmd("AUTH PLAIN " + b64(f"\0{forged}\0wrong"))
        assert rep.code == 535, rep
    time.sleep(0.3)
    log = d.log_text()
    # The name is logged escaped, on the failure's own line; no forged line appears.
    assert not any(line.startswith("2026-01-01T00:00:00Z") for line in log.splitlines()), log[-2000:]
    assert "authentication failed" in log and "bob\\n2026" in log, log[-2000:]


def test_a_new_spool_dir_is_used_at_once(relayd):
    d = relayd
    new = d.root / "spool2"
    d.setprop("spool_dir", str(new))
    with d.smtp(TRUSTED) as c:
        c.ehlo("client.test")
        c.sendmail("sender@example.com", [REMOTE_RCPT], b"Subject: moved\r\n\r\nx\r\n")
    assert len(os.listdir(new / "queue")) == 1


def test_queued_mail_follows_a_spool_dir_change(relayd):
    d = relayd  # delivery on hold: the messages stay queued
    with d.smtp(TRUSTED) as c:
        c.ehlo("client.test")
        for i in range(3):
            c.sendmail("sender@example.com", [REMOTE_RCPT], f"Subject: old-{i}\r\n\r\nx\r\n".encode())
    old = d.queue_ids()
    assert len(old) == 3
    d.ctl("queue", "hold", old[0])
    new = d.root / "spool3"
    d.setprop("spool_dir", str(new))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sorted(os.listdir(new / "queue")) != old:
        time.sleep(0.1)
    assert sorted(os.listdir(new / "queue")) == old, "every queued message moved"
    assert d.queue_ids() == [], "nothing left behind"
    listed = json.loads(d.ctl("--json", "queue", "list").stdout)
    assert sorted(m["id"] for m in listed) == old
    assert [m["held"] for m in listed if m["id"] == old[0]] == [True], "its record came along"


def test_control_socket_takes_only_short_requests(relayd):
    d = relayd
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.store / "relayd.sock"))
    s.settimeout(10)
    try:
        try:
            for _ in range(64):
                s.sendall(b"x" * 65536)
        except OSError:
            pass
        answer = s.recv(4096)
        assert b"error" in answer, answer
    finally:
        s.close()
    assert d.status()["pid"] == d.proc.pid


def test_sigterm_closes_idle_sessions_with_421(relayd):
    d = relayd
    r = d.raw(OTHER)
    r.reply()
    assert r.cmd("EHLO client.test").code == 250
    d.proc.send_signal(signal.SIGTERM)
    rep = r.reply()
    assert rep.code == 421 and "4.3.2" in rep.text, rep
    assert d.proc.wait(timeout=10) == 0
    d.proc = None
    r.close()
