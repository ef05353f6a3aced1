"""`relayctl config get|set|unset`: settings by key alone, on a new store too, checked
like every write, enforced by the running relayd."""

import json

from conftest import OTHER, Relayd, run_ctl


def test_config_set_on_a_new_store_and_relayd_enforces_it(tmp_path):
    d = Relayd(tmp_path)
    # Nothing but config set: /config/relayd does not exist before the first one.
    for key, *values in (["listen", f"127.0.0.1:{d.port}"], ["run_as", "root"],
                         ["hostname", "mx.example.com"], ["delivery", "hold"]):
        p = run_ctl(d.store, "config", "set", key, *values)
        assert p.returncode == 0, p.stderr
    d.start()
    try:
        with d.raw(OTHER) as r:
            r.reply()
            r.cmd("EHLO client.test")
            r.cmd("MAIL FROM:<a@remote.example>")
            rep = r.cmd("RCPT TO:<someone@example.org>")
            assert rep.code == 554 and "Relay access denied" in rep.text, rep
        p = run_ctl(d.store, "--wait", "config", "set", "local_domains", "example.org")
        assert p.returncode == 0, p.stderr
        with d.raw(OTHER) as r:
            r.reply()
            r.cmd("EHLO client.test")
            r.cmd("MAIL FROM:<a@remote.example>")
            rep = r.cmd("RCPT TO:<someone@example.org>")
            # Local mail now: the domain is ours (an unknown user, not a relay refusal).
            assert "Relay access denied" not in rep.text, rep
        out = run_ctl(d.store, "config", "get", "local_domains").stdout
        assert out == "local_domains = example.org\n", out
    finally:
        d.stop()


def test_config_set_refuses_what_relayd_could_not_read(tmp_path):
    store = tmp_path / "store"
    assert run_ctl(store, "config", "set", "max_connections", "50").returncode == 0
    before = (store / "domain.plist").read_bytes()
    p = run_ctl(store, "config", "set", "max_connections", "-5", check=False)
    assert p.returncode == 1
    assert "max_connections" in p.stderr and "whole number" in p.stderr and "nothing written" in p.stderr, p.stderr
    assert (store / "domain.plist").read_bytes() == before
    p = run_ctl(store, "config", "set", "max_conections", "5", check=False)
    assert p.returncode == 1 and "unknown key `max_conections`" in p.stderr and "max_connections" in p.stderr, p.stderr
    # An open relay is refused here as everywhere.
    p = run_ctl(store, "config", "set", "open_relay_addr_flag", "0", check=False)
    assert p.returncode == 1 and "open relay" in p.stderr, p.stderr


def test_config_get_and_unset(tmp_path):
    store = tmp_path / "store"
    assert run_ctl(store, "config", "get", "max_connections").stdout == "max_connections = 100 (default)\n"
    run_ctl(store, "config", "set", "max_connections", "50")
    run_ctl(store, "config", "set", "relayhost_password", "s3cret-pw")
    assert run_ctl(store, "config", "get", "max_connections").stdout == "max_connections = 50\n"
    everything = run_ctl(store, "config", "get").stdout
    assert "s3cret-pw" not in everything and "relayhost_password = (set)" in everything, everything
    assert "open_relay_addr_flag = 1 (default)" in everything
    js = json.loads(run_ctl(store, "--json", "config", "get", "max_connections", "listen").stdout)
    assert js[0] == {"key": "max_connections", "directory": "/config/relayd", "values": ["50"], "default": "100"}
    assert js[1]["values"] is None
    run_ctl(store, "config", "unset", "max_connections", "relayhost_password")
    assert run_ctl(store, "config", "get", "max_connections").stdout == "max_connections = 100 (default)\n"
    assert "relayhost_password = (not set)" in run_ctl(store, "config", "get").stdout
