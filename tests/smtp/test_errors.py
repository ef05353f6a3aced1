"""Every refusal counts toward the error limit, whichever command drew it; the
cross-session throttle groups IPv6 clients by /64; unknown users are never told to an
untrusted client at RCPT, and guessing them is throttled."""

import concurrent.futures
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import LOCAL_RCPT, OTHER, RawSMTP, b64, loopback_addresses

# A cheap hash (sha512-crypt, 1000 rounds) so that failed logins cost no argon2 time.
CHEAP_PW = "right"
CHEAP_HASH = crypt.crypt(CHEAP_PW, "$6$rounds=1000$saltsalt$")


def ends_within(r, command, limit):
    """Sends `command` until the session closes; returns the replies' codes."""
    codes = []
    for _ in range(limit):
        try:
            codes.append(r.cmd(command).code)
        except ConnectionError:
            break
        if codes[-1] == 421:
            break
    return codes


@pytest.mark.parametrize("command", ["AUTH FOO", "MAIL FROM:<>", "STARTTLS now", "DATA"])
def test_a_refused_command_in_a_loop_ends_the_session(relayd, command):
    d = relayd
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO looper.test")
        if command == "MAIL FROM:<>":
            assert r.cmd("MAIL FROM:<>").code == 250  # then every further MAIL is nested
        started = time.monotonic()
        codes = ends_within(r, command, 40)
        assert codes[-1] == 421, codes
        assert len(codes) <= 21, codes
        assert all(400 <= c < 600 for c in codes), codes
        # Past the soft limit each refusal waited about a second.
        assert time.monotonic() - started >= 8
        assert r.closed(timeout=5)


def test_untrusted_clients_are_not_told_which_users_exist(relayd):
    d = relayd
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO harvester.test")
        replies = []
        for rcpt in (LOCAL_RCPT, "nobody@example.com", "root@example.com"):
            assert r.cmd("MAIL FROM:<x@remote.example>").code == 250
            replies.append(r.cmd(f"RCPT TO:<{rcpt}>").lines)
            r.cmd("RSET")
        assert replies == [["250 2.1.5 Ok"]] * 3, replies
    # Each guess costs a refused DATA; after ten in the window, every local transaction
    # from that client gets one answer, known user or not.
    answers = []
    for i in range(12):
        with d.raw(OTHER) as r:
            r.reply()
            r.cmd("EHLO harvester.test")
            r.cmd("MAIL FROM:<x@remote.example>")
            r.cmd(f"RCPT TO:<guess{i}@example.com>")
            answers.append(r.cmd("DATA").lines[0][:9])
    assert answers[:10] == ["550 5.1.1"] * 10, answers
    assert answers[10:] == ["450 4.7.1"] * 2, answers
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO harvester.test")
        r.cmd("MAIL FROM:<x@remote.example>")
        r.cmd(f"RCPT TO:<{LOCAL_RCPT}>")
        assert r.cmd("DATA").lines[0][:9] == "450 4.7.1", "known users must look the same"


@pytest.fixture
def v6_clients():
    """Two addresses of one /64 and one of another, on `lo` of the test's own network
    namespace (tests/run sets RELAY_TEST_NETADMIN=1 there)."""
    with loopback_addresses(["2001:db8:1:1::a", "2001:db8:1:1::b", "2001:db8:1:2::c"]) as addrs:
        yield addrs


def raw6(port, source):
    r = RawSMTP.__new__(RawSMTP)
    r.sock = socket.create_connection(("::1", port), timeout=20, source_address=(source, 0))
    r.buf = b""
    return r


def test_auth_failures_are_throttled_by_ipv6_64(relayd_factory, v6_clients):
    from conftest import free_port

    port = free_port()
    d = relayd_factory(start=False, allow_plaintext_auth=1)
    d.ctl("-createprop", ".", "/config/relayd", "listen", f"127.0.0.1:{d.port}", f"[::1]:{port}")
    d.ctl("-create", ".", "/users/bob")
    d.ctl("-createprop", ".", "/users/bob", "passwd", CHEAP_HASH)
    d.start()
    first, same64, other64 = v6_clients

    def fail_once(_):
        r = raw6(port, first)
        try:
            r.reply()
            r.cmd("EHLO v6.test")
            return r.cmd("AUTH PLAIN " + b64("\0bob\0wrong")).code
        finally:
            r.close()

    # Ten failures from one address, in parallel sessions (each waits longer).
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(fail_once, range(10)))
    assert all(c in (535, 421) for c in codes), codes
    # Another address of the same /64 is refused before it can guess...
    r = raw6(port, same64)
    r.reply()
    r.cmd("EHLO v6.test")
    assert r.cmd("AUTH PLAIN " + b64(f"\0bob\0{CHEAP_PW}")).code == 454
    r.close()
    # ...while another /64 logs in.
    r = raw6(port, other64)
    r.reply()
    r.cmd("EHLO v6.test")
    assert r.cmd("AUTH PLAIN " + b64(f"\0bob\0{CHEAP_PW}")).code == 235
    r.close()
