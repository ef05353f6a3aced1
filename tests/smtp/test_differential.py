"""relayd and `relayctl relay check` must answer every RCPT alike: one table of cases
(all four modes; trusted by address, trusted by a name entry, untrusted; with and without
AUTH; local, remote and unknown-user recipients; submission listeners; relay tricks)
goes through a running relayd with smtplib and through `relayctl relay check --json`,
and any difference in reply code or enhanced status fails the test.

relayd's answer is the first refusal of the transaction (a submission listener refuses
unauthenticated clients at MAIL already, with the same rule) or the RCPT reply."""

import json
import smtplib

import pytest

from conftest import LOCAL_RCPT, OTHER, PASSWORD, REMOTE_RCPT, TRUSTED, dnsmasq, free_port

NAMED = "127.0.0.6"  # trusted by the name entry printer.example.org
PRINTER = "printer.example.org"

TRICKS = [
    "relaytest%nmap.scanme.org@example.com",
    "@example.com:relaytest@nmap.scanme.org",
    "nmap.scanme.org!relaytest@example.com",
    '"relaytest@nmap.scanme.org"@example.com',
    "relaytest@nmap.scanme.org@example.com",
    "relaytest@[192.0.2.1]",
    "alice%remote.example",
]
RCPTS = [LOCAL_RCPT, "Alice@EXAMPLE.com", REMOTE_RCPT, "nobody@example.com", "postmaster@example.com"]
MODES = [(0, 0), (0, 1), (1, 0), (1, 1)]


def cases():
    out = []
    for mode in MODES:
        for client in (TRUSTED, NAMED, OTHER):
            for user in (None, "alice"):
                for rcpt in RCPTS:
                    out.append((mode, "smtp", client, user, rcpt))
    for client in (TRUSTED, OTHER):
        for user in (None, "ALICE"):
            for rcpt in (LOCAL_RCPT, REMOTE_RCPT):
                out.append(((1, 0), "submission", client, user, rcpt))
    for client in (TRUSTED, OTHER):
        for rcpt in TRICKS:
            out.append(((1, 0), "smtp", client, None, rcpt))
    return out


CASES = cases()


def through_relayd(d, ports, role, client, user, rcpts):
    """One session; for each recipient MAIL, RCPT, RSET. Returns {rcpt: (code, enh)}."""
    out = {}
    c = d.smtp(client, port=ports[role])
    try:
        c.ehlo("client.test")
        if user:
            c.user, c.password = user, PASSWORD
            code, resp = c.auth("PLAIN", c.auth_plain, initial_response_ok=True)
            assert code == 235, (code, resp)
        for rcpt in rcpts:
            # docmd: smtplib's rcpt() would rewrite the tricks' addresses.
            code, resp = c.docmd("MAIL", "FROM:<sender@remote.example>")
            if code == 250:
                code, resp = c.docmd("RCPT", f"TO:<{rcpt}>")
            out[rcpt] = (code, resp.decode(errors="replace").split(" ")[0])
            c.rset()
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass
    return out


def through_relayctl(d, role, client, user, rcpt):
    args = ["relay", "check", client, "--rcpt", rcpt, "--role", role, "--json"]
    if user:
        args += ["--user", user]
    p = d.ctl(*args, check=False)
    assert p.returncode in (0, 1), p.stderr
    v = json.loads(p.stdout)
    return (v["code"], v["enhanced"])


@pytest.fixture(scope="module")
def differential(tmp_path_factory, request):
    from conftest import Factory, _check_binaries

    _check_binaries()
    base = tmp_path_factory.mktemp("diff")
    with dnsmasq(base, [f"--host-record={PRINTER},{NAMED}"], zones=["example.org"]) as dns:
        f = Factory(base)
        d = f(start=False, dns_servers=f"127.0.0.1:{dns}", allow_plaintext_auth=1)
        sub = free_port()
        d.ctl("-createprop", ".", "/config/relayd", "listen", f"127.0.0.1:{d.port}",
              f"127.0.0.1:{sub} submission")
        d.ctl("relay", "add", PRINTER)
        d.start()
        yield d, {"smtp": d.port, "submission": sub}
        f.teardown(request.session.testsfailed > 0, print)


def test_relayd_and_relay_check_decide_alike(differential):
    d, ports = differential
    assert len(CASES) >= 60
    differences = []
    seen = set()
    for mode in MODES:
        d.set_flags(*mode)
        groups = {}
        for (m, role, client, user, rcpt) in CASES:
            if m == mode:
                groups.setdefault((role, client, user), []).append(rcpt)
        for (role, client, user), rcpts in groups.items():
            daemon = through_relayd(d, ports, role, client, user, rcpts)
            for rcpt in rcpts:
                cli = through_relayctl(d, role, client, user, rcpt)
                seen.add(daemon[rcpt][0])
                if daemon[rcpt] != cli:
                    differences.append((mode, role, client, user, rcpt, "relayd", daemon[rcpt], "relay check", cli))
    assert not differences, "\n".join(map(str, differences))
    # The table reaches every kind of answer, so agreeing means something.
    assert {250, 530, 550, 554} <= seen, seen
