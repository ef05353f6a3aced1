"""bench/harness.py --quick and bench/report.py, so the benchmark harness never rots:
relayd, the ceiling and (when installed) Postfix are started, loaded by smtp-source,
measured and stopped, and the report is written from the results."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BIN_DIR, REPO


def test_the_harness_runs_and_reports(tmp_path):
    if not shutil.which("smtp-source", path=os.environ.get("PATH", "") + ":/usr/sbin"):
        pytest.skip("needs Postfix's smtp-source and smtp-sink (apt-get install postfix)")
    out = tmp_path / "results.json"
    p = subprocess.run([sys.executable, str(REPO / "bench" / "harness.py"), "--quick", "--out", str(out)],
                       env={**os.environ, "RELAY_BIN_DIR": str(BIN_DIR)}, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(out.read_text())
    servers = {t["server"] for t in r["throughput"]}
    assert {"relayd", "ceiling"} <= servers, servers
    assert all(t["accepted"] > 0 and t["delivered"] > 0 for t in r["throughput"])
    assert {t["mode"] for t in r["throughput"]} == {"single", "-d"}
    assert [c for c in r["change"] if c["server"] == "relayd" and c["failed_sessions"] == 0]
    assert [m for m in r["memory"] if m["server"] == "relayd" and m["idle_pss_kib"] > 0]
    if os.geteuid() == 0 and os.path.exists("/etc/postfix/master.cf"):
        assert "postfix" in servers, "Postfix is installed but was not measured"
    # Nothing it started is left running.
    left = subprocess.run(["pgrep", "-f", "relay-harness-"], capture_output=True, text=True).stdout
    assert not left.strip(), left
    p = subprocess.run([sys.executable, str(REPO / "bench" / "report.py"), str(out), "--out-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## Messages per second" in text and "| 10 | single |" in text, text
