"""Limits: long command lines, oversize messages, stalled clients, a burst of
connections, and the per-client connection cap. Each gets an RFC reply or a timeout,
and the daemon keeps serving others meanwhile."""

import resource
import selectors
import socket
import threading
import time

import pytest

from conftest import LOCAL_RCPT, OTHER, TRUSTED, message, raw_send


def send_ok(d, source=TRUSTED, subject="ok", timeout=20):
    """One normal message; returns the time it took, asserting 250."""
    t = time.monotonic()
    c = d.smtp(source, timeout=timeout)
    try:
        c.ehlo("ok.example")
        refused = c.sendmail("sender@remote.example", [LOCAL_RCPT], message(subject))
        assert refused == {}
        c.quit()
    finally:
        c.close()
    return time.monotonic() - t


def test_command_line_over_the_limit_gets_500(relayd):
    d = relayd
    with d.raw(OTHER) as r:
        assert r.reply().code == 220
        assert r.cmd("EHLO long.example").code == 250
        rep = r.cmd("MAIL FROM:<" + "a" * 3000 + "@remote.example>")
        assert rep.code == 500, rep
        rep = r.cmd("NOOP " + "x" * 10000)
        assert rep.code == 500, rep
        # The session goes on, in sync.
        assert r.cmd("NOOP").code == 250
        assert r.cmd("MAIL FROM:<a@remote.example>").code == 250
        assert r.cmd(f"RCPT TO:<{LOCAL_RCPT}>").code == 250
        assert r.cmd("QUIT").code == 221
    send_ok(d)


def test_50mib_body_over_max_message_size_gets_552(relayd_factory):
    d = relayd_factory(max_message_size=1048576, data_timeout=120)
    before = set(d.queue_ids())
    # Declared size: refused at MAIL.
    with d.raw(OTHER) as r:
        r.reply()
        ehlo = r.cmd("EHLO big.example")
        assert "250-SIZE 1048576" in ehlo.lines, ehlo
        rep = r.cmd("MAIL FROM:<a@remote.example> SIZE=52428800")
        assert rep.code == 552, rep
    # Undeclared: 50 MiB sent, 552 at the end, and others are served meanwhile.
    line = b"X" * 1022 + b"\r\n"
    chunk = line * 1024  # 1 MiB
    others = []
    stop = threading.Event()

    def other_clients():
        while not stop.is_set() and len(others) < 20:
            try:
                others.append(send_ok(d, subject="meanwhile"))
            except Exception as e:  # noqa: BLE001 - reported below
                others.append(e)
            time.sleep(0.2)

    t = threading.Thread(target=other_clients, daemon=True)
    with d.raw(OTHER, timeout=120) as r:
        r.reply()
        r.cmd("EHLO big.example")
        assert r.cmd("MAIL FROM:<a@remote.example>").code == 250
        assert r.cmd(f"RCPT TO:<{LOCAL_RCPT}>").code == 250
        assert r.cmd("DATA").code == 354
        t.start()
        r.send(b"Subject: big\r\n\r\n")
        try:
            for _ in range(50):
                r.send(chunk)
            r.send(b".\r\n")
        except OSError:
            pass  # the server may stop reading: its reply says why
        rep = r.reply()
        assert rep.code == 552, rep
        # The session is still usable.
        assert r.cmd("NOOP").code == 250
    stop.set()
    t.join(timeout=30)
    assert others, "no other client ran while the big message was sent"
    errors = [o for o in others if isinstance(o, Exception)]
    assert not errors, errors
    new = set(d.queue_ids()) - before
    assert len(new) == len(others), "only the small messages are spooled"
    for q in new:
        _, body = d.read_queued(q)
        assert len(body) < 10000
    send_ok(d)


def test_stalled_client_gets_421_while_others_are_served(relayd):
    d = relayd  # command_timeout 5
    results = {}

    def stall(kind):
        with d.raw(OTHER, timeout=30) as r:
            r.reply()
            r.cmd("EHLO stall.example")
            if kind == "data":
                r.cmd("MAIL FROM:<a@remote.example>")
                r.cmd(f"RCPT TO:<{LOCAL_RCPT}>")
                r.cmd("DATA")
                r.send(b"Subject: half\r\n\r\nhalf a li")
            else:
                r.send(b"MAIL FROM:<a@remote.exam")
            t = time.monotonic()
            try:
                rep = r.reply()
            except (OSError, ConnectionError) as e:
                rep = e
            results[kind] = (rep, time.monotonic() - t, r.closed(5))

    threads = [threading.Thread(target=stall, args=(k,)) for k in ("command", "data")]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.3)
    served = [send_ok(d, subject=f"during-stall-{i}") for i in range(3)]
    served_at = time.monotonic() - t0
    for t in threads:
        t.join(timeout=30)
    assert served_at < 4, f"others waited for the stalled client ({served_at:.1f}s)"
    for kind in ("command", "data"):
        rep, waited, closed = results[kind]
        assert not isinstance(rep, Exception), f"{kind}: no reply, {rep}"
        assert rep.code == 421 and rep.lines[-1].startswith("421 4.4.2"), (kind, rep)
        assert 4 <= waited <= 12, (kind, waited)
        assert closed, f"{kind}: connection left open after 421"


def test_500_connections_at_once(relayd_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    assert want >= 1200, f"RLIMIT_NOFILE hard limit {hard} too low for this test"
    d = relayd_factory(max_connections=1000, max_connections_per_client=1000)
    n = 500
    socks = []
    deadline = time.monotonic() + 60
    try:
        for i in range(n):
            src = f"127.0.1.{i % 250 + 1}"
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10, source_address=(src, 0))
            s.setblocking(False)
            socks.append(s)
        sel = selectors.DefaultSelector()
        greeting = {}
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
            greeting[s] = b""
        pending = set(socks)
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                try:
                    chunk = s.recv(4096)
                except BlockingIOError:
                    continue
                greeting[s] += chunk
                if b"\n" in greeting[s] or not chunk:
                    pending.discard(s)
                    sel.unregister(s)
        assert not pending, f"{len(pending)} of {n} connections got no greeting in time"
        codes = [greeting[s][:3] for s in socks]
        bad = [g for g in greeting.values() if g[:3] not in (b"220", b"421")]
        assert not bad, bad[:5]
        assert codes.count(b"220") >= 1
        # Every greeted session still answers.
        for s in socks:
            if greeting[s][:3] == b"220":
                s.setblocking(True)
                s.settimeout(20)
                s.sendall(b"QUIT\r\n")
        for s in socks:
            if greeting[s][:3] == b"220":
                data = b""
                while b"\n" not in data:
                    c = s.recv(4096)
                    if not c:
                        break
                    data += c
                assert data.startswith(b"221"), data
    finally:
        for s in socks:
            s.close()
    # A normal session afterwards.
    send_ok(d)
    assert d.running()


def test_per_client_limit_gives_421_4_7_0(relayd_factory):
    d = relayd_factory(max_connections_per_client=3)
    conns = []
    try:
        for _ in range(3):
            r = d.raw(OTHER)
            conns.append(r)
            assert r.reply().code == 220
        extra = d.raw(OTHER)
        rep = extra.reply()
        assert rep.code == 421 and rep.lines[-1].startswith("421 4.7.0"), rep
        assert extra.closed(5)
        extra.close()
        # Another client is not affected.
        send_ok(d, source="127.0.0.10")
        # A freed slot can be used again.
        conns.pop().cmd("QUIT")
        deadline = time.monotonic() + 5
        while True:
            r = d.raw(OTHER)
            rep = r.reply()
            if rep.code == 220:
                conns.append(r)
                break
            r.close()
            assert time.monotonic() < deadline, "the slot was never released"
            time.sleep(0.1)
    finally:
        for r in conns:
            r.close()


def test_lines_over_998_octets_are_refused_at_data(relayd):
    """A strict next hop refuses lines over RFC 5322's 998 octets after relayd took the
    message; relayd refuses them itself, at the end of DATA, and keeps nothing."""
    d = relayd
    for n, want in ((998, 250), (999, 550)):
        before = set(d.queue_ids())
        with d.raw(TRUSTED) as r:
            r.reply()
            out = raw_send(r, "s@remote.example", [LOCAL_RCPT],
                           b"Subject: long\r\n\r\n" + b"a" * n + b"\r\n.\r\n", helo="long.test")
            assert out["data"].code == 354, out
            rep = out["end"]
            assert rep.code == want, (n, rep)
            if want == 550:
                assert rep.lines[0].startswith("550 5.6.0"), rep
                assert set(d.queue_ids()) == before, "a refused message stayed in the spool"
            # The session goes on.
            assert r.cmd("NOOP").code == 250
