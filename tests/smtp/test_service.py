"""relayd as a service manager runs it: systemd's notify protocol (READY only once the
port accepts, RELOADING and READY around a store change, STOPPING at SIGTERM), socket
activation by systemd-socket-activate, the unit files as systemd-analyze reads them,
the launchd property list, and a graceful SIGTERM with sessions open."""

import os
import plistlib
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import LOCAL_RCPT, REPO, RELAYD, TRUSTED, free_port, message


class NotifySocket:
    """A datagram socket standing in for systemd's: records every notification with
    the moment it arrived."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.got = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.got.append((time.monotonic(), fields))

    def wait_for(self, pred, timeout=15, after=-1):
        """The first notification after index `after` that `pred` accepts, and its index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i in range(after + 1, len(self.got)):
                if pred(self.got[i][1]):
                    return i, self.got[i][1]
            time.sleep(0.01)
        raise AssertionError(f"no such notification in {timeout}s; got {[g[1] for g in self.got]}")

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def test_notify_ready_after_listening_then_reloading_and_stopping(relayd_factory, tmp_path):
    d = relayd_factory(start=False)
    n = NotifySocket(tmp_path / "notify")
    d.env = {"NOTIFY_SOCKET": n.path}
    try:
        # The moment READY arrives, the port must already accept.
        accepted_at_ready = []

        def probe():
            i, _ = n.wait_for(lambda f: f.get("READY") == "1")
            with socket.create_connection(("127.0.0.1", d.port), timeout=2) as s:
                s.settimeout(5)
                accepted_at_ready.append(s.recv(512))

        t = threading.Thread(target=probe)
        t.start()
        d.start()
        t.join(timeout=20)
        assert accepted_at_ready and accepted_at_ready[0].startswith(b"220"), accepted_at_ready
        ready_at, fields = n.got[0][0], n.got[0][1]
        assert fields.get("READY") == "1" and "serial" in fields.get("STATUS", ""), n.got
        # Nothing before READY said RELOADING: the first load is the start, not a reload.
        assert not any("RELOADING" in f for _, f in n.got[:1])

        before = len(n.got)
        d.write("relay", "add", "127.0.0.77")
        i, rel = n.wait_for(lambda f: f.get("RELOADING") == "1", after=before - 1)
        assert int(rel["MONOTONIC_USEC"]) > 0, rel
        _, rdy = n.wait_for(lambda f: f.get("READY") == "1", after=i)
        assert f"serial {d.store_serial()}" in rdy.get("STATUS", ""), (n.got, rdy)

        d.proc.send_signal(signal.SIGTERM)
        n.wait_for(lambda f: f.get("STOPPING") == "1")
        assert d.proc.wait(timeout=15) == 0
        d.proc = None
    finally:
        n.close()


def test_a_poll_that_finds_nothing_new_says_nothing(relayd_factory, tmp_path):
    d = relayd_factory(start=False)
    n = NotifySocket(tmp_path / "notify")
    d.env = {"NOTIFY_SOCKET": n.path}
    try:
        d.start()
        n.wait_for(lambda f: f.get("READY") == "1")
        # The store is polled every second; three polls of an unchanged store are silent.
        time.sleep(3.5)
        assert len(n.got) == 1, n.got
    finally:
        d.stop()
        n.close()


def test_watchdog_pings_when_the_unit_asks(relayd_factory, tmp_path):
    d = relayd_factory(start=False)
    n = NotifySocket(tmp_path / "notify")
    d.env = {"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "400000"}
    try:
        d.start()
        time.sleep(1.5)
        pings = [f for _, f in n.got if f.get("WATCHDOG") == "1"]
        assert len(pings) >= 4, n.got
    finally:
        d.stop()
        n.close()


def test_socket_activation_serves_the_passed_socket(relayd_factory):
    activate = shutil.which("systemd-socket-activate")
    if not activate:
        pytest.skip("needs systemd-socket-activate (Debian's systemd package)")
    d = relayd_factory(start=False)
    passed = free_port()
    log = open(d.log_path, "ab")
    proc = subprocess.Popen(
        [activate, "-l", f"127.0.0.1:{passed}", str(RELAYD), "--store", str(d.store)],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL,
    )
    log.close()
    try:
        # systemd-socket-activate holds the socket and starts relayd at the first
        # connection, handing it over in LISTEN_FDS; relayd answers on it.
        deadline = time.monotonic() + 15
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", passed), timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, d.log_tail()
                time.sleep(0.05)
        with s:
            s.settimeout(15)
            assert s.recv(512).startswith(b"220 mx.example.com"), d.log_tail()
        # Its own `listen` still works beside it, and a second connection to the passed
        # socket is served by the same process.
        with d.smtp(TRUSTED) as c:
            assert c.ehlo()[0] == 250
        with d.smtp(TRUSTED, port=passed) as c:
            c.sendmail("a@remote.example", [LOCAL_RCPT], message("activated"))
        assert f"127.0.0.1:{passed}" in d.log_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("needs systemd-analyze (Debian's systemd package)")
    # verify checks that ExecStart exists: point it at the binary under test.
    for name in ("relayd.service", "relayd.socket"):
        text = (REPO / "relayd" / name).read_text()
        (tmp_path / name).write_text(text.replace("/usr/local/sbin/relayd", str(RELAYD)))
    # --man=no: the Documentation= pages are installed by make install, not here.
    p = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / "relayd.service"),
                        str(tmp_path / "relayd.socket")],
                       capture_output=True, text=True, timeout=60)
    # Complaints about units of the host (not ours) are not this test's business.
    ours = [l for l in p.stderr.splitlines() if "relayd" in l]
    assert p.returncode == 0 and not ours, p.stderr
    unit = (REPO / "relayd" / "relayd.service").read_text()
    for want in ("Type=notify", "ProtectSystem=strict", "ReadWritePaths=",
                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "RestrictAddressFamilies=",
                 "SystemCallFilter=@system-service", "WatchdogSec=", "NoNewPrivileges=yes"):
        assert want in unit, want


def test_launchd_plist_is_complete():
    with open(REPO / "relayd" / "org.relay.relayd.plist", "rb") as f:
        p = plistlib.load(f)
    assert p["Label"] == "org.relay.relayd"
    args = p["ProgramArguments"]
    assert args[0].endswith("/relayd") and "--store" in args
    assert p["RunAtLoad"] is True
    assert p["KeepAlive"] in (True, {"SuccessfulExit": False}) or isinstance(p["KeepAlive"], dict)
    assert p["StandardErrorPath"] and p["EnvironmentVariables"]["RELAYD_LOG"]


def test_sigterm_with_20_sessions_loses_nothing(relayd_factory):
    """Idle sessions get 421 at once, transactions under way finish with 250 within
    shutdown_timeout, and every message that got its 250 is in the spool after."""
    d = relayd_factory(shutdown_timeout=20)
    sessions = []
    for i in range(20):
        r = d.raw(TRUSTED)
        r.reply()
        assert r.cmd("EHLO client.test").code == 250
        if i % 2 == 0:
            # Half are in a transaction: MAIL and RCPT given, DATA to come.
            assert r.cmd("MAIL FROM:<dev@printer.test>").code == 250
            assert r.cmd(f"RCPT TO:<{LOCAL_RCPT}>").code == 250
        sessions.append(r)
    d.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    accepted, refused = 0, 0
    for i, r in enumerate(sessions):
        if i % 2 == 0:
            rep = r.cmd("DATA")
            assert rep.code == 354, rep
            r.send(message(f"drain{i}").encode() + b"\r\n.\r\n")
            end = r.reply()
            assert end.code == 250, end
            accepted += 1
            # The transaction done, the session is idle: relayd ends it.
            assert r.reply().code == 421
        else:
            rep = r.reply()
            assert rep.code == 421 and "4.3.2" in rep.text, rep
            refused += 1
        r.close()
    assert d.proc.wait(timeout=30) == 0
    d.proc = None
    assert (accepted, refused) == (10, 10)
    bodies = b"".join(body for _, body in d.queued().values())
    assert len(d.queue_ids()) == 10
    for i in range(0, 20, 2):
        assert f"Subject: drain{i}\r\n".encode() in bodies, i
    assert "how=\"drained\"" in d.log_text(), d.log_tail()


def in_transaction(d):
    """A session that has given MAIL and waits: a transaction under way."""
    r = d.raw(TRUSTED)
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<dev@printer.test>").code == 250
    return r


def test_sigterm_past_shutdown_timeout_ends_transactions_with_421(relayd_factory):
    d = relayd_factory(shutdown_timeout=1)
    r = in_transaction(d)
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    rep = r.reply()
    assert rep.code == 421, rep
    assert 0.8 < time.monotonic() - t0 < 6
    assert d.proc.wait(timeout=10) == 0
    d.proc = None
    assert d.queue_ids() == []


def test_a_second_sigterm_exits_at_once(relayd_factory):
    d = relayd_factory(shutdown_timeout=60)
    r = in_transaction(d)
    d.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert d.proc.poll() is None
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=10) == 0
    assert time.monotonic() - t0 < 5
    d.proc = None
    assert "second signal" in d.log_text()
    r.close()


def _user(name):
    import pwd
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


@pytest.fixture
def relay_user():
    """A system user for relayd to become, made for the test if the machine lacks one."""
    if os.geteuid() != 0:
        pytest.skip("needs root: relayd drops privileges only when started as root")
    name = "relaytest"
    made = False
    if _user(name) is None:
        p = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                           capture_output=True, text=True)
        if p.returncode != 0:
            pytest.skip(f"cannot create a user: {p.stderr.strip()}")
        made = True
    yield _user(name)
    if made:
        subprocess.run(["userdel", name], capture_output=True)


def _ids(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    line = lambda k: [int(x) for x in next(l for l in status.splitlines() if l.startswith(k)).split()[1:]]
    return line("Uid:"), line("Gid:"), line("Groups:")


def test_started_as_root_it_serves_as_run_as(relayd_factory, tmp_path, relay_user):
    # The store in a folder the user can reach (pytest's are root's alone).
    root = Path(tempfile.mkdtemp(prefix="runas", dir="/tmp"))
    os.chmod(root, 0o755)
    try:
        from conftest import Relayd
        d = Relayd(root)
        d.configure(run_as=relay_user.pw_name, delivery="on")
        d.start()
        try:
            uids, gids, groups = _ids(d.proc.pid)
            assert uids == [relay_user.pw_uid] * 4, uids
            assert gids == [relay_user.pw_gid] * 4, gids
            assert groups == [relay_user.pw_gid], groups
            assert f"serving as run_as user" in d.log_text()
            # It still accepts, reads the store (a change is enforced) and writes the
            # spool and the mailbox.
            d.write("relay", "add", "127.0.0.66")
            with d.smtp("127.0.0.66") as c:
                c.sendmail("dev@printer.test", [LOCAL_RCPT], message("as-relay"))
            box = d.store / "mail" / "alice" / "Maildir" / "new"
            deadline = time.monotonic() + 15
            while not (box.is_dir() and any(box.iterdir())):
                assert time.monotonic() < deadline, d.log_tail()
                time.sleep(0.05)
            assert all(p.stat().st_uid == relay_user.pw_uid for p in box.iterdir())
            st = os.stat(d.store)
            assert st.st_gid == relay_user.pw_gid and st.st_mode & 0o2000, oct(st.st_mode)
        finally:
            d.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_as_root_without_the_run_as_user_it_refuses_to_serve(relayd_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if _user("relay") is not None:
        pytest.skip("this machine has a relay user")
    d = relayd_factory(start=False)
    d.ctl("-destroyprop", ".", "/config/relayd", "run_as")
    with pytest.raises(AssertionError, match="refusing to serve as root"):
        d.start()
    d.proc = None
    d.ctl("config", "set", "run_as", "nosuchuser")
    with pytest.raises(AssertionError, match="run_as user `nosuchuser` does not exist"):
        d.start()
    d.proc = None


def test_make_install_lays_out_every_file_and_completions_load(tmp_path):
    if not shutil.which("make"):
        pytest.skip("needs make")
    dest = tmp_path / "dest"
    p = subprocess.run(["make", "-s", "install", f"DESTDIR={dest}", "PREFIX=/opt/relay",
                        f"BIN={RELAYD.parent}"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    files = sorted(str(f.relative_to(dest)) for f in dest.rglob("*") if f.is_file())
    assert files == sorted([
        "opt/relay/sbin/relayd", "opt/relay/sbin/relayctl",
        "opt/relay/share/man/man8/relayd.8", "opt/relay/share/man/man8/relayctl.8",
        "opt/relay/share/man/man5/relay-store.5",
        "opt/relay/lib/systemd/system/relayd.service", "opt/relay/lib/systemd/system/relayd.socket",
        "opt/relay/share/relay/relayd.service", "opt/relay/share/relay/relayd.socket",
        "opt/relay/share/relay/org.relay.relayd.plist",
        "opt/relay/share/bash-completion/completions/relayctl",
        "opt/relay/share/zsh/site-functions/_relayctl",
        "opt/relay/share/fish/vendor_completions.d/relayctl.fish",
    ]), files
    assert os.access(dest / "opt/relay/sbin/relayd", os.X_OK)
    unit = (dest / "opt/relay/lib/systemd/system/relayd.service").read_text()
    assert "ExecStart=/opt/relay/sbin/relayd" in unit
    store = dest / "var/db/relay"
    assert store.is_dir() and (store.stat().st_mode & 0o7777) == 0o2750
    with open(dest / "opt/relay/share/relay/org.relay.relayd.plist", "rb") as f:
        assert plistlib.load(f)["ProgramArguments"][0] == "/opt/relay/sbin/relayd"
    # bash loads the completion and completes relayctl's commands from it.
    script = (f"source {dest}/opt/relay/share/bash-completion/completions/relayctl && "
              "complete -p relayctl && COMP_WORDS=(relayctl con) COMP_CWORD=1 COMP_LINE='relayctl con' "
              "COMP_POINT=12 && _relayctl relayctl con relayctl && echo \"${COMPREPLY[@]}\"")
    b = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert b.returncode == 0 and "complete" in b.stdout and "config" in b.stdout.split("\n")[-2], (b.stdout, b.stderr)


def test_readme_quick_start_runs_as_written(tmp_path):
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "```sh\nmake demo\n```" in quick
    if not shutil.which("make"):
        pytest.skip("needs make")
    # make demo as written, on the binaries under test rather than a release build.
    env = {**os.environ, "DEMO_STORE": str(tmp_path / "demo-store"), "DEMO_PORT": str(free_port())}
    p = subprocess.run(["make", "-s", "demo", f"BIN={RELAYD.parent}"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "== delivered:" in p.stdout and "Subject: hello from relayd" in p.stdout, p.stdout
    assert "serial in force" in p.stdout and "== relayd stopped" in p.stdout, p.stdout
