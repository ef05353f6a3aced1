"""Prometheus metrics on metrics_listen: the scrape parses with the Prometheus project's
own parser (prometheus_client's OpenMetrics parser) and its counters move with the
traffic the test sends."""

import socket
import urllib.request

import pytest

from conftest import LOCAL_RCPT, OTHER, TRUSTED, free_port, message

parser = pytest.importorskip("prometheus_client.openmetrics.parser")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        text = r.read().decode()
    values = {}
    for family in parser.text_string_to_metric_families(text):
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values


def value(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0)


def test_metrics_parse_and_move_with_traffic(relayd_factory):
    port = free_port()
    # A bare port means loopback.
    d = relayd_factory(metrics_listen=str(port))
    before = scrape(port)
    assert value(before, "relayd_serial") == d.store_serial()
    with d.smtp(TRUSTED) as c:
        c.sendmail("dev@printer.test", [LOCAL_RCPT], message("m1"))
        c.sendmail("dev@printer.test", [LOCAL_RCPT], message("m2"))
    with d.raw(OTHER) as r:
        r.reply()
        r.cmd("EHLO client.test")
        r.cmd("MAIL FROM:<x@remote.example>")
        assert r.cmd("RCPT TO:<bob@remote.example>").code == 554
    d.write("relay", "add", "127.0.0.55")
    after = scrape(port)
    assert value(after, "relayd_sessions_total") - value(before, "relayd_sessions_total") >= 2
    assert value(after, "relayd_messages_total") - value(before, "relayd_messages_total") == 2
    local = ("relayd_recipients_total", {"rule": "local", "reply": "accepted"})
    assert value(after, local[0], **local[1]) - value(before, local[0], **local[1]) == 2
    assert value(after, "relayd_refusals_total", reason="relay_denied") - \
        value(before, "relayd_refusals_total", reason="relay_denied") == 1
    assert value(after, "relayd_reloads_total") > value(before, "relayd_reloads_total")
    assert value(after, "relayd_serial") == d.store_serial()
    assert ("relayd_queue_messages", (("state", "waiting"),)) in after
    assert ("relayd_attempt_duration_seconds_count", ()) in after


def test_metrics_serve_only_get_metrics(relayd_factory):
    port = free_port()
    relayd_factory(metrics_listen=f"127.0.0.1:{port}")
    for request, status in ((b"GET /other HTTP/1.1\r\n\r\n", b"404"), (b"POST /metrics HTTP/1.1\r\n\r\n", b"405")):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(request)
            assert s.recv(4096).split(b" ")[1] == status
