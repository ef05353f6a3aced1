"""nmap's smtp-open-relay recipients (and the other tricks shared/src/policy/tests.rs
knows) sent from an untrusted address: every one is refused; plain local recipients
are accepted. Raw RCPT lines, so that nothing rewrites the addresses."""

import pytest

from conftest import OTHER, TRUSTED

OURS = "example.com"
# relayd's own address: a literal of it is not in local_domains, so it is foreign.
IP = "127.0.0.1"
TO = "relaytest"
DOMAIN = "nmap.scanme.org"

NMAP = [
    f"{TO}@{DOMAIN}",
    f"{TO}%{DOMAIN}@[{IP}]",
    f"{TO}%{DOMAIN}@{OURS}",
    f'"{TO}@{DOMAIN}"',
    f'"{TO}%{DOMAIN}"',
    f"{TO}@{DOMAIN}@[{IP}]",
    f'"{TO}@{DOMAIN}"@[{IP}]',
    f"{TO}@{DOMAIN}@{OURS}",
    f"@[{IP}]:{TO}@{DOMAIN}",
    f"@{OURS}:{TO}@{DOMAIN}",
    f"{DOMAIN}!{TO}",
    f"{DOMAIN}!{TO}@[{IP}]",
    f"{DOMAIN}!{TO}@{OURS}",
]

OTHER_TRICKS = [
    "alice%remote.example@example.com",
    "alice%remote.example",
    "user%remote.example@[IPv6:::1]",
    "@example.com:alice@remote.example",
    "@a.example,@b.example:u@c.example",
    "@example.com:alice@example.com",
    "remote.example!alice@example.com",
    "remote.example!alice",
    "a!b!alice@example.com",
    '"alice@remote.example"@example.com',
    '"alice%remote.example"@example.com',
    '"remote.example!alice"@example.com',
    '"alice\\@remote.example"@example.com',
    "alice@remote.example@example.com",
    "alice@example.com@example.com",
    "alice@[127.0.0.1]",
    "alice@[192.0.2.25]",
    "alice@[IPv6:2001:db8::1]",
    "alice@[IPv6:::1]",
    "alice@[x-tag:whatever]",
    "alice@example.com.remote.example",
    "alice@remote.example.",
]

TRICKS = NMAP + OTHER_TRICKS

# nmap also varies the sender; the decision must not depend on it.
SENDERS = ["", f"antispam@[{IP}]", f"antispam@{OURS}", "alice@example.com", f"relaytest@{DOMAIN}"]

LOCALS = [
    "alice@example.com",
    "Alice@EXAMPLE.COM",
    "alice@example.com.",
    "postmaster",
    "PostMaster",
    "postmaster@example.com",
]


@pytest.fixture(scope="module")
def d(module_relayd):
    module_relayd.set_flags(1, 0)
    return module_relayd


@pytest.mark.parametrize("rcpt", TRICKS)
def test_trick_is_refused_from_untrusted(d, rcpt):
    before = set(d.queue_ids())
    with d.raw(OTHER) as r:
        assert r.reply().code == 220
        assert r.cmd("EHLO relaytest.example").code == 250
        for sender in SENDERS:
            assert r.cmd(f"MAIL FROM:<{sender}>").code == 250
            rep = r.cmd(f"RCPT TO:<{rcpt}>")
            assert 500 <= rep.code < 600, f"RCPT TO:<{rcpt}> from {OTHER}: {rep}"
            if rep.code == 554:
                assert rep.lines[-1].startswith("554 5.7.1"), rep
            rep = r.cmd("DATA")
            assert rep.code in (503, 554), f"DATA after refused <{rcpt}>: {rep}"
            assert r.cmd("RSET").code == 250
        # Without angle brackets too (accepted by some MTAs).
        rep = r.cmd("MAIL FROM:<>")
        rep = r.cmd(f"RCPT TO:{rcpt}")
        assert 500 <= rep.code < 600, f"RCPT TO:{rcpt}: {rep}"
        assert r.cmd("QUIT").code == 221
    assert set(d.queue_ids()) == before


@pytest.mark.parametrize("rcpt", NMAP)
def test_trick_is_a_relay_so_a_trusted_host_may_send_it(d, rcpt):
    """The refusal above is the relay policy, not a parse failure."""
    with d.raw(TRUSTED) as r:
        r.reply()
        r.cmd("EHLO trusted.example")
        assert r.cmd("MAIL FROM:<>").code == 250
        rep = r.cmd(f"RCPT TO:<{rcpt}>")
        assert rep.code == 250, f"RCPT TO:<{rcpt}> from {TRUSTED}: {rep}"
        r.cmd("QUIT")


def test_all_tricks_in_one_transaction_spool_nothing(d):
    """Every trick in one transaction: each is refused with a 5xx until the error limit
    ends the session with 421 (20 errors, the later ones slowed down), and nothing is
    spooled either way."""
    before = set(d.queue_ids())
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO relaytest.example")
        assert r.cmd("MAIL FROM:<antispam@example.com>").code == 250
        codes = []
        for t in TRICKS:
            code = r.cmd(f"RCPT TO:<{t}>").code
            codes.append(code)
            if code == 421:
                break
        refused = [c for c in codes if c != 421]
        assert all(500 <= c < 600 for c in refused), codes
        if codes[-1] == 421:
            assert len(refused) >= 10, codes
            assert r.closed(timeout=5)
        else:
            rep = r.cmd("DATA")
            assert rep.code in (503, 554), rep
    assert set(d.queue_ids()) == before


def test_plain_local_recipients_are_accepted_from_untrusted(d):
    before = set(d.queue_ids())
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO relaytest.example")
        assert r.cmd("MAIL FROM:<relaytest@nmap.scanme.org>").code == 250
        for rcpt in LOCALS:
            rep = r.cmd(f"RCPT TO:<{rcpt}>")
            assert rep.code == 250, f"RCPT TO:<{rcpt}>: {rep}"
        assert r.cmd("DATA").code == 354
        r.send(b"Subject: local\r\n\r\nfor us\r\n.\r\n")
        rep = r.reply()
        assert rep.code == 250, rep
    new = set(d.queue_ids()) - before
    assert len(new) == 1
    env, body = d.read_queued(new.pop())
    assert env["to"] == [f"<{x}>" for x in LOCALS], env
    assert body.endswith(b"Subject: local\r\n\r\nfor us\r\n")
