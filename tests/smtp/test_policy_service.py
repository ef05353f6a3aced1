"""Postfix's policy delegation: a real Postfix (Debian's package, a private instance on a
loopback port) asks relayd with check_policy_service, and relayd's live policy decides,
so a trusted-host change made with relayctl changes Postfix's answer without a
`postfix reload`. The protocol itself is checked over a raw socket."""

import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import OTHER, REPO, TRUSTED, free_port

sys.path.insert(0, str(REPO / "bench"))
import harness  # noqa: E402


def ask(sock_file, **attrs):
    req = "".join(f"{k}={v}\n" for k, v in attrs.items()) + "\n"
    sock_file.write(req.encode())
    sock_file.flush()
    lines = []
    while True:
        line = sock_file.readline().decode()
        assert line, "policy service closed the connection"
        if line == "\n":
            return lines
        lines.append(line.rstrip("\n"))


def rcpt_request(client, rcpt, **more):
    return dict(request="smtpd_access_policy", protocol_state="RCPT", protocol_name="ESMTP",
                client_address=client, client_name="unknown", helo_name="client.test",
                sender="dev@printer.test", recipient=rcpt, **more)


def test_policy_protocol_many_requests_on_one_connection(relayd_factory):
    port = free_port()
    d = relayd_factory(policy_listen=f"127.0.0.1:{port}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        f = s.makefile("rwb")
        assert ask(f, **rcpt_request(TRUSTED, "bob@remote.example")) == ["action=OK"]
        no = ask(f, **rcpt_request(OTHER, "bob@remote.example"))
        assert no == ["action=REJECT 5.7.1 <bob@remote.example>: Relay access denied"], no
        assert ask(f, **rcpt_request(OTHER, "alice@example.com")) == ["action=DUNNO"]
        # An authenticated user relays; other stages are not relayd's to decide.
        assert ask(f, **rcpt_request(OTHER, "bob@remote.example", sasl_username="alice")) == ["action=OK"]
        assert ask(f, **{**rcpt_request(OTHER, "bob@remote.example"), "protocol_state": "MAIL"}) == ["action=DUNNO"]
        bad = ask(f, request="smtpd_access_policy", protocol_state="RCPT", recipient="x@remote.example")
        assert bad[0].startswith("action=DEFER_IF_PERMIT 4.3.5"), bad
    # A line that is not name=value gets a temporary answer and the connection closes.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"this is not a policy request\n\n")
        data = s.recv(4096)
        assert data.startswith(b"action=DEFER_IF_PERMIT 4.3.5") and s.recv(4096) == b""
    log = d.log_text()
    assert 'role="postfix-policy"' in log and "rule=\"relay_denied\"" in log, d.log_tail()


def test_postfix_asks_relayd_and_follows_a_live_change(relayd_factory):
    if not harness.Postfix.available():
        pytest.skip("needs root and Debian's postfix package")
    policy = free_port()
    d = relayd_factory(policy_listen=f"127.0.0.1:{policy}")
    # Postfix's daemons run as the postfix user: their folder must be reachable.
    work = Path(tempfile.mkdtemp(prefix="pf", dir="/tmp"))
    os.chmod(work, 0o755)
    pf = harness.Postfix(work, free_port(), extra=(
        "mynetworks = 192.0.2.1/32\n"
        f"smtpd_relay_restrictions = check_policy_service inet:127.0.0.1:{policy}, reject_unauth_destination\n"))
    try:
        assert harness.relays(pf.port, TRUSTED) is True
        assert harness.relays(pf.port, OTHER) is False
        d.write("relay", "add", OTHER)
        # No postfix reload: the next session already sees it.
        assert harness.relays(pf.port, OTHER) is True
        d.write("relay", "remove", OTHER)
        assert harness.relays(pf.port, OTHER) is False
        log = d.log_text()
        assert f"client={OTHER}" in log and 'role="postfix-policy"' in log
    finally:
        pf.stop()
        shutil.rmtree(work, ignore_errors=True)
