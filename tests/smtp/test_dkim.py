"""DKIM signing of mail relayd sends to MX hosts: keys made by `relayctl dkim keygen`,
turned on by `relayctl dkim enable`, the public key served by the test's dnsmasq as a
TXT record, and every signature checked by a verifier nobody here wrote (dkimpy): it
accepts what relayd signed, in rsa-sha256 and ed25519-sha256, and refuses a message
changed after signing."""

import json
import os

import pytest

from conftest import dnsmasq
from outbound import Sink, delivering, send, wait_for

dkim = pytest.importorskip("dkim")
resolver = pytest.importorskip("dns.resolver")

MX = "127.0.0.31"


def keygen(d, selector, algorithm):
    out = json.loads(d.ctl("--json", "dkim", "keygen", "--domain", "example.com", "--selector", selector,
                           "--algorithm", algorithm).stdout)
    assert out["record_name"] == f"{selector}._domainkey.example.com"
    assert os.stat(out["key_file"]).st_mode & 0o777 == 0o640
    return out


def dns_txt(port):
    r = resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = port

    def lookup(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        answer = r.resolve(name.rstrip("."), "TXT", lifetime=timeout)
        return b"".join(b"".join(rr.strings) for rr in answer)
    return lookup


def content(m):
    return m[2] if isinstance(m[2], bytes) else m[2].encode()


@pytest.fixture
def signing(relayd_factory, tmp_path):
    if os.environ.get("RELAY_TEST_NETADMIN") != "1":
        pytest.skip("MX delivery goes to port 25: run inside tests/run's network namespace")
    # Keys first (relayctl writes them into the store), then DNS that publishes them.
    d = delivering(relayd_factory, None, retry_schedule="3600")
    rsa = keygen(d, "r2026", "rsa")
    ed = keygen(d, "e2026", "ed25519")

    def txt(rec):
        # dnsmasq takes a long value as several strings, each at most 255 bytes.
        parts = [rec["record"][i:i + 255] for i in range(0, len(rec["record"]), 255)]
        return f"--txt-record={rec['record_name']}," + ",".join(parts)

    records = ["--mx-host=dkim.example.org,mx.dkim.example.org,10",
               f"--host-record=mx.dkim.example.org,{MX}", txt(rsa), txt(ed)]
    with dnsmasq(tmp_path, records, zones=["example.org", "example.com"]) as port:
        d.setprop("dns_servers", f"127.0.0.1:{port}")
        with Sink(host=MX, port=25) as sink:
            yield d, sink, rsa, ed, dns_txt(port)


def test_dkimpy_accepts_what_relayd_signs_and_refuses_a_change(signing):
    d, sink, rsa, ed, txt = signing
    # No signing until enabled.
    send(d, ["user@dkim.example.org"], "unsigned")
    wait_for(lambda: len(sink.messages) == 1, timeout=30, what="the unsigned delivery")
    assert b"DKIM-Signature" not in content(sink.messages[0])

    out = d.ctl("--wait", "dkim", "enable", "--domain", "example.com", "--selector", "r2026",
                "--key", rsa["key_file"]).stdout
    assert "rsa-sha256" in out
    for i in range(3):
        send(d, ["user@dkim.example.org"], f"rsa-{i}", body=f"line one\r\n\r\nline {i}  with  spaces \r\n")
    wait_for(lambda: len(sink.messages) == 4, timeout=30, what="three signed deliveries")
    for m in sink.messages[1:]:
        msg = content(m)
        assert msg.startswith(b"DKIM-Signature:") and b"a=rsa-sha256" in msg and b"d=example.com" in msg
        assert dkim.verify(msg, dnsfunc=txt), msg[:600]
        tampered = msg.replace(b"line one", b"line 0ne")
        assert not dkim.verify(tampered, dnsfunc=txt)
        assert not dkim.verify(msg.replace(b"Subject: rsa", b"Subject: RSA"), dnsfunc=txt)

    d.ctl("--wait", "dkim", "enable", "--domain", "example.com", "--selector", "e2026", "--key", ed["key_file"])
    send(d, ["user@dkim.example.org"], "ed25519")
    wait_for(lambda: len(sink.messages) == 5, timeout=30, what="the ed25519-signed delivery")
    msg = content(sink.messages[4])
    assert b"a=ed25519-sha256" in msg and dkim.verify(msg, dnsfunc=txt), msg[:600]

    # Mail from another domain is not signed as example.com.
    send(d, ["user@dkim.example.org"], "foreign", sender="dev@printers.lan")
    wait_for(lambda: len(sink.messages) == 6, timeout=30, what="the foreign delivery")
    assert b"DKIM-Signature" not in content(sink.messages[5])
    out = d.ctl("relay", "check", "127.0.0.2", "--rcpt", "user@dkim.example.org", "--from", "printer@example.com").stdout
    assert "signature: DKIM d=example.com s=e2026" in out, out


def test_a_bad_key_is_refused_and_keygen_keeps_an_existing_key(relayd_factory, tmp_path):
    d = relayd_factory()
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    p = d.ctl("dkim", "enable", "--domain", "example.com", "--selector", "s", "--key", str(bad), check=False)
    assert p.returncode != 0 and "dkim_key" in p.stderr and "PEM" in p.stderr, p.stderr
    keygen(d, "s1", "rsa")
    p = d.ctl("dkim", "keygen", "--domain", "example.com", "--selector", "s1", check=False)
    assert p.returncode == 1 and "exists" in p.stderr
    # Set by hand, the three must go together.
    p = d.ctl("config", "set", "dkim_domain", "example.com", check=False)
    assert p.returncode == 1 and "go together" in p.stderr, p.stderr
