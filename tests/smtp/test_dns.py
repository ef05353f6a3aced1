"""Name entries, with a private dnsmasq on a loopback port (never the machine's
resolver): a client whose reverse name is on the list, confirmed by a forward lookup,
may relay; a client whose PTR lies is refused.

relayd (hickory, RFC 6761) answers the reverse zone of 127.0.0.0/8 itself (`localhost.`)
and never asks a server, so PTRs served by dnsmasq for 127.0.0.x clients are never seen:
with 127.0.0.x clients a name entry trusts the addresses its name resolves to, and a
subdomain entry trusts none. The PTR-confirmation path is tested with documentation
addresses (192.0.2.x) put on `lo`, only when RELAY_TEST_NETADMIN=1 (it needs
CAP_NET_ADMIN and changes the loopback interface for the test's duration): tests/run
sets it inside a network namespace of its own, so the machine's `lo` is never touched."""

import os
import shutil
import subprocess
import time

import pytest

from conftest import REMOTE_RCPT, dnsmasq, loopback_addresses

RECORDS = [
    # name, address: A and the matching PTR
    "--host-record=trusted.example.org,127.0.0.6",
    "--host-record=host5.sub.example.org,127.0.0.5",
    # liars: PTRs whose names do not resolve back to the client
    "--ptr-record=7.0.0.127.in-addr.arpa,trusted.example.org",
    "--ptr-record=8.0.0.127.in-addr.arpa,evil.example.org",
    "--ptr-record=11.0.0.127.in-addr.arpa,mail.example.org.attacker.example",
    # the same on documentation addresses (for the opt-in PTR test)
    "--host-record=trusted.example.org,192.0.2.6",
    "--host-record=host5.sub.example.org,192.0.2.5",
    "--ptr-record=7.2.0.192.in-addr.arpa,trusted.example.org",
    "--ptr-record=8.2.0.192.in-addr.arpa,evil.example.org",
    "--ptr-record=11.2.0.192.in-addr.arpa,mail.example.org.attacker.example",
]


@pytest.fixture
def dns_port(tmp_path):
    with dnsmasq(tmp_path, RECORDS, zones=["example.org", "in-addr.arpa", "attacker.example"]) as port:
        yield port


def rcpt_code(d, source):
    with d.raw(source) as r:
        assert r.reply().code == 220
        r.cmd("EHLO dns.example")
        assert r.cmd("MAIL FROM:<sender@remote.example>").code == 250
        rep = r.cmd(f"RCPT TO:<{REMOTE_RCPT}>")
        r.cmd("QUIT")
        return rep.code


def test_name_entry_trusts_its_addresses_and_not_liars(relayd_factory, dns_port):
    d = relayd_factory(start=False, dns_servers=f"127.0.0.1:{dns_port}")
    d.ctl("relay", "add", "trusted.example.org")
    d.start()
    st = d.status_raw()
    assert st["names"] == 1 and st["resolved_name_addresses"] >= 1, st
    assert rcpt_code(d, "127.0.0.6") == 250, d.log_tail(20)
    # 127.0.0.7's PTR claims trusted.example.org: a lie the forward lookup exposes.
    for liar in ("127.0.0.7", "127.0.0.8", "127.0.0.11", "127.0.0.5"):
        assert rcpt_code(d, liar) == 554, f"{liar} may relay under trusted.example.org"


def test_subdomain_entry_never_trusts_loopback_by_ptr(relayd_factory, dns_port):
    d = relayd_factory(start=False, dns_servers=f"127.0.0.1:{dns_port}")
    d.ctl("relay", "add", ".example.org")
    d.start()
    assert d.status_raw()["names"] == 1
    for client in ("127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.11"):
        assert rcpt_code(d, client) == 554, client


@pytest.fixture
def doc_addresses():
    addrs = ["192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8", "192.0.2.11", "192.0.2.12"]
    with loopback_addresses(addrs) as added:
        yield added


@pytest.mark.parametrize("entry", ["trusted.example.org", ".example.org", "*.example.org"])
def test_confirmed_reverse_name_may_relay_liars_may_not(relayd_factory, dns_port, doc_addresses, entry):
    d = relayd_factory(start=False, dns_servers=f"127.0.0.1:{dns_port}")
    d.ctl("relay", "add", entry)
    d.start()
    assert rcpt_code(d, "192.0.2.6") == 250, d.log_tail(20)
    # host5.sub.example.org is under .example.org, not trusted.example.org
    want = 554 if entry == "trusted.example.org" else 250
    assert rcpt_code(d, "192.0.2.5") == want
    for liar in ("192.0.2.7", "192.0.2.8", "192.0.2.11", "192.0.2.12"):
        assert rcpt_code(d, liar) == 554, f"{liar} with a lying or no PTR may relay under {entry}"


def test_name_entry_added_live(relayd_factory, dns_port):
    d = relayd_factory(dns_servers=f"127.0.0.1:{dns_port}")
    assert rcpt_code(d, "127.0.0.6") == 554
    d.write("relay", "add", "trusted.example.org")
    assert rcpt_code(d, "127.0.0.6") == 250
    assert rcpt_code(d, "127.0.0.7") == 554


@pytest.fixture
def silent_dns():
    """A DNS server that never answers: UDP queries are read by nobody, TCP connections
    wait in the backlog. Every lookup through it runs into dns_timeout."""
    import socket

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(64)
    yield port
    udp.close()
    tcp.close()


def test_reloads_never_wait_on_dns(relayd_factory, silent_dns):
    """A list that holds a name whose lookups take dns_timeout (6 s): address entries
    added or removed meanwhile take effect at once."""
    d = relayd_factory(dns_servers=f"127.0.0.1:{silent_dns}", dns_timeout=6)
    d.write("--force", "relay", "add", "slow.example.org", wait=False)
    d.wait_enforced()
    for client, action, want in (("127.0.0.3", "add", 250), ("127.0.0.3", "remove", 554)):
        started = time.monotonic()
        d.ctl("relay", action, client)
        d.wait_enforced(timeout=5)
        code = rcpt_code(d, client)
        took = time.monotonic() - started
        assert code == want, (action, code, d.log_tail(20))
        assert took < 2.0, f"relay {action} took {took:.1f} s to take effect: it waited on DNS"
    # Once the name has failed, --wait for an address change does not wait on DNS either.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not d.status_raw()["refused_entries"]:
        time.sleep(0.1)
    assert d.status_raw()["refused_entries"], "the silent name never timed out"
    started = time.monotonic()
    d.ctl("relay", "add", "--wait", "127.0.0.4")
    assert time.monotonic() - started < 2.0
    assert rcpt_code(d, "127.0.0.4") == 250
