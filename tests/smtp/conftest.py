"""Fixtures for the end-to-end SMTP tests: a real relayd on loopback, configured with the
real relayctl, and helpers for SMTP clients bound to chosen 127.0.0.0/8 sources.

Binaries come from RELAY_BIN_DIR (default: target/debug of this repository).
Nothing here queries the machine's DNS resolver: the tests that need DNS start their
own dnsmasq on a loopback port.
"""

import base64
import contextlib
import json
import os
import plistlib
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("RELAY_BIN_DIR") or REPO / "target" / "debug")
RELAYD = BIN_DIR / "relayd"
RELAYCTL = BIN_DIR / "relayctl"

TRUSTED = "127.0.0.2"
OTHER = "127.0.0.9"
LOCAL_DOMAIN = "example.com"
LOCAL_RCPT = "alice@example.com"
REMOTE_RCPT = "bob@remote.example"
PASSWORD = "pw"

# Generous bounds: a debug relayd on 2 busy cores.
START_TIMEOUT = 10.0
ENFORCE_TIMEOUT = 10.0
CLIENT_TIMEOUT = 20.0


# ---------------------------------------------------------------------------------------
# small helpers


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def run_ctl(store, *args, input=None, check=True, timeout=120):
    cmd = [str(RELAYCTL), "--store", str(store), *[str(a) for a in args]]
    p = subprocess.run(
        cmd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and p.returncode != 0:
        raise AssertionError(
            f"relayctl failed (exit {p.returncode}): {' '.join(cmd)}\n"
            f"stdout: {p.stdout}\nstderr: {p.stderr}"
        )
    return p


_help_cache = {}


def ctl_help(*words):
    key = tuple(words)
    if key not in _help_cache:
        p = subprocess.run(
            [str(RELAYCTL), *words, "--help"], capture_output=True, text=True, timeout=30
        )
        _help_cache[key] = p.stdout + p.stderr if p.returncode == 0 else ""
    return _help_cache[key]


def ctl_has_wait():
    """relayctl's `--wait` (being added by the lead): present in a write command's help."""
    return "--wait" in ctl_help("relay", "add")


def ctl_has_status():
    return "status" in ctl_help() and "Usage" in ctl_help("status")


def ctl_has_queue():
    return "Usage" in ctl_help("queue", "list")


# Commands whose verb takes two words.
_TWO_WORD = {"relay", "auth", "user", "queue"}


def with_wait(args):
    """Puts `--wait` right after the verb (before values that may start with `-`)."""
    args = [str(a) for a in args]
    n = 2 if args and args[0] in _TWO_WORD else 1
    return args[:n] + ["--wait"] + args[n:]


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines

    @property
    def text(self):
        return "\n".join(self.lines)

    def __repr__(self):
        return f"Reply({self.code}, {self.lines!r})"


class RawSMTP:
    """A byte-exact SMTP client over a plain socket, for what smtplib would rewrite."""

    def __init__(self, port, source=OTHER, timeout=CLIENT_TIMEOUT, host="127.0.0.1"):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0)
        )
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; pending {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        lines = []
        while True:
            line = self._line()
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        return Reply(int(lines[-1][:3]), lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5.0):
        """True when the server closes the connection (EOF) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


@contextlib.contextmanager
def dnsmasq(workdir, records, zones):
    """A dnsmasq on a loopback port answering only `records` (dnsmasq options such as
    `--host-record=...`) and authoritative for `zones`; yields the port. Skips when
    dnsmasq is not installed. Never forwards anything to the machine's resolver."""
    if not os.path.exists(DNSMASQ):
        pytest.skip("dnsmasq is not installed (apt-get install -y dnsmasq)")
    port = free_port()
    log_path = Path(workdir) / f"dnsmasq-{port}.log"
    log = open(log_path, "wb")
    p = subprocess.Popen(
        [
            DNSMASQ, "--no-daemon", f"--port={port}", "--listen-address=127.0.0.1",
            "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--pid-file=", "--user=root", *[f"--local=/{z}/" for z in zones], *records,
        ],
        stdout=log, stderr=log,
    )
    log.close()
    time.sleep(0.3)
    assert p.poll() is None, log_path.read_text()
    try:
        yield port
    finally:
        p.terminate()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


@contextlib.contextmanager
def loopback_addresses(addrs):
    """Puts test addresses (documentation ranges) on `lo` for the test's duration; only
    with RELAY_TEST_NETADMIN=1, which tests/run sets inside a network namespace of its
    own, so the machine's `lo` is never touched. Skips when it cannot."""
    if os.environ.get("RELAY_TEST_NETADMIN") != "1":
        pytest.skip("set RELAY_TEST_NETADMIN=1 to put test addresses on lo")
    ip = shutil.which("ip") or "/usr/sbin/ip"
    added = []
    try:
        for a in addrs:
            v6 = ":" in a
            extra = ["nodad"] if v6 else []
            p = subprocess.run([ip, "addr", "add", f"{a}/{128 if v6 else 32}", "dev", "lo", *extra],
                               capture_output=True, text=True)
            if p.returncode != 0:
                pytest.skip(f"cannot add {a} to lo: {p.stderr.strip()}")
            added.append(a)
        yield addrs
    finally:
        for a in added:
            subprocess.run([ip, "addr", "del", f"{a}/{128 if ':' in a else 32}", "dev", "lo"],
                           capture_output=True)


# ---------------------------------------------------------------------------------------
# the daemon


class Relayd:
    """One relayd on a private store and loopback port."""

    def __init__(self, root: Path, name="relayd"):
        self.root = root
        self.store = root / "store"
        self.port = free_port()
        self.log_path = root / f"{name}.log"
        self.proc = None
        self.logs = []
        # Words run before relayd's own (a tracer such as strace).
        self.prefix = []
        # Environment added to relayd's (NOTIFY_SOCKET, for the service tests).
        self.env = {}

    # -- relayctl
    def ctl(self, *args, input=None, check=True, timeout=120):
        return run_ctl(self.store, *args, input=input, check=check, timeout=timeout)

    def write(self, *args, force=False, wait=True, input=None, check=True, timeout=120):
        """A relayctl write; when relayd runs, returns once relayd enforces it."""
        argv = list(args)
        if force:
            argv = ["--force", *argv]
        use_wait = wait and self.running() and ctl_has_wait()
        if use_wait:
            lead = ["--force"] if force else []
            argv = lead + with_wait(list(args))
        p = self.ctl(*argv, input=input, check=check, timeout=timeout)
        if wait and self.running() and p.returncode == 0:
            self.wait_enforced()
        return p

    def setprop(self, key, *values, path="/config/relayd", force=False, wait=True):
        return self.write("-createprop", ".", path, key, *values, force=force, wait=wait)

    def set_flags(self, r, a):
        """open_relay_addr_flag and smtp_auth_flag, ordered so that no intermediate
        state is an open relay unless the target is one."""
        amc = "/config/AppleMailServer"
        open_target = (r, a) == (0, 0)
        steps = [("smtp_auth_flag", a), ("open_relay_addr_flag", r)]
        if a == 0:
            steps.reverse()
        for key, v in steps:
            self.setprop(key, str(v), path=amc, force=open_target)

    def store_serial(self):
        # A delta naming this domain file carries the newer serial (man 5 relay-store).
        try:
            with open(self.store / "domain.delta.plist", "rb") as f:
                delta = plistlib.load(f)
        except FileNotFoundError:
            delta = None
        with open(self.store / "domain.plist", "rb") as f:
            base = int(plistlib.load(f)["serial"])
        if delta and int(delta["base_serial"]) == base:
            return int(delta["serial"])
        return base

    # -- status
    def status(self, timeout=5.0):
        if ctl_has_status():
            p = self.ctl("status", "--json", check=False, timeout=timeout + 5)
            if p.returncode == 0 and p.stdout.strip().startswith("{"):
                return json.loads(p.stdout)
        return self.status_raw(timeout)

    def status_raw(self, timeout=5.0):
        sock_path = self.store / "relayd.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(sock_path))
            s.sendall(b"status\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return json.loads(data)

    def wait_enforced(self, serial=None, timeout=ENFORCE_TIMEOUT):
        """Waits until relayd's status shows the store's serial (or `serial`)."""
        want = self.store_serial() if serial is None else serial
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.status_raw()
                if last.get("serial", -1) >= want:
                    return last
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise AssertionError(f"relayd did not enforce serial {want} in {timeout}s; status {last}")

    # -- process
    def configure(self, **extra):
        """The base settings, written before the first start."""
        self.store.mkdir(parents=True, exist_ok=True)
        self.ctl("-create", ".", "/config/relayd")
        settings = {
            "listen": [f"127.0.0.1:{self.port}"],
            "local_domains": [LOCAL_DOMAIN],
            "hostname": ["mx.example.com"],
            "command_timeout": ["5"],
            "data_timeout": ["10"],
            # The receiving side's tests read the spool; test_delivery turns it on.
            "delivery": ["hold"],
            # The tests run as root on stores in root's temporary folders; relayd
            # refuses that unless told (test_service checks the drop to a user).
            "run_as": ["root"],
        }
        for k, v in extra.items():
            settings[k] = v if isinstance(v, list) else [str(v)]
        for k, v in settings.items():
            self.ctl("-createprop", ".", "/config/relayd", k, *v)
        self.ctl("relay", "add", TRUSTED)
        self.add_user("alice")

    def add_user(self, name):
        self.ctl("-create", ".", f"/users/{name}")
        self.ctl("-createprop", ".", f"/users/{name}", "passwd", alice_hash())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=START_TIMEOUT):
        assert not self.running()
        log = open(self.log_path, "ab")
        self.logs.append(self.log_path)
        env = dict(os.environ)
        env.setdefault("RELAYD_LOG", "info")
        env.update(self.env)
        self.proc = subprocess.Popen(
            [*self.prefix, str(RELAYD), "--store", str(self.store)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"relayd exited with {self.proc.returncode} at start:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.settimeout(2)
                    s.recv(512)
                self.status_raw(timeout=2)
                return self
            except (OSError, ValueError):
                time.sleep(0.05)
        raise AssertionError(f"relayd not ready in {timeout}s:\n{self.log_tail()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def kill9(self):
        assert self.running()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=5)
        self.proc = None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=80):
        return "\n".join(self.log_text().splitlines()[-n:])

    # -- spool
    def queue_dir(self):
        return self.store / "spool" / "queue"

    def queue_ids(self):
        d = self.queue_dir()
        if not d.is_dir():
            return []
        return sorted(p.name for p in d.iterdir() if p.is_file())

    def read_queued(self, qid):
        return parse_spool_file((self.queue_dir() / qid).read_bytes())

    def queued(self):
        return {q: self.read_queued(q) for q in self.queue_ids()}

    # -- clients
    def smtp(self, source=OTHER, port=None, timeout=CLIENT_TIMEOUT):
        # local_hostname is given so smtplib never calls socket.getfqdn(), which would
        # ask the machine's resolver.
        return smtplib.SMTP(
            "127.0.0.1",
            port or self.port,
            timeout=timeout,
            source_address=(source, 0),
            local_hostname="client.test",
        )

    def raw(self, source=OTHER, port=None, timeout=CLIENT_TIMEOUT):
        return RawSMTP(port or self.port, source=source, timeout=timeout)


def parse_spool_file(data):
    """(envelope dict with 'to' a list, message bytes)."""
    head, sep, body = data.partition(b"\n\n")
    assert sep, f"spool file without an envelope end: {data[:200]!r}"
    lines = head.decode().split("\n")
    assert lines[0] == "relay-spool 1", lines[0]
    env = {"to": []}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        if k == "to":
            env["to"].append(v)
        else:
            env[k] = v
    return env, body


_ALICE_HASH = None


def alice_hash():
    """One argon2id hash of PASSWORD made by `relayctl user add` (slow in a debug build,
    so made once and copied into every store)."""
    global _ALICE_HASH
    if _ALICE_HASH is None:
        with tempfile.TemporaryDirectory() as d:
            run_ctl(Path(d) / "s", "user", "add", "alice", input=PASSWORD + "\n")
            p = run_ctl(Path(d) / "s", "-readprop", ".", "/users/alice", "passwd")
            _ALICE_HASH = p.stdout.strip()
        assert _ALICE_HASH.startswith("$argon2id$"), _ALICE_HASH
    return _ALICE_HASH


# ---------------------------------------------------------------------------------------
# pytest wiring


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _check_binaries():
    for b in (RELAYD, RELAYCTL):
        if not b.is_file():
            pytest.exit(
                f"{b} is missing: run `cargo build --workspace --bins` "
                f"(or set RELAY_BIN_DIR)",
                returncode=2,
            )


class Factory:
    def __init__(self, base):
        self.base = base
        self.daemons = []

    def __call__(self, start=True, **settings):
        root = Path(tempfile.mkdtemp(prefix="d", dir=self.base))
        d = Relayd(root)
        d.configure(**settings)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def teardown(self, failed, report):
        for d in self.daemons:
            crashed = d.proc is not None and d.proc.poll() is not None
            d.stop()
            if failed or crashed:
                report(f"---- {d.log_path} (exit {'crashed' if crashed else 'ok'}) ----\n{d.log_tail(60)}")


@pytest.fixture
def relayd_factory(tmp_path, request):
    _check_binaries()
    f = Factory(tmp_path)
    yield f
    failed = any(
        getattr(request.node, "rep_" + w, None) is not None
        and getattr(request.node, "rep_" + w).failed
        for w in ("setup", "call")
    )
    f.teardown(failed, print)


@pytest.fixture
def relayd(relayd_factory):
    return relayd_factory()


@pytest.fixture(scope="module")
def module_relayd(tmp_path_factory, request):
    """One daemon shared by a module's tests (restart-free: settings change live)."""
    _check_binaries()
    f = Factory(tmp_path_factory.mktemp("m"))
    d = f()
    yield d
    f.teardown(request.session.testsfailed > 0, print)


# ---------------------------------------------------------------------------------------
# message helpers


def message(subject="test", body="hello\r\n", sender="sender@remote.example", to=LOCAL_RCPT):
    return (
        f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}.{time.monotonic_ns()}@test>\r\n\r\n{body}"
    )


def raw_send(r, mail_from, rcpts, data_bytes, helo="client.test"):
    """EHLO, MAIL, RCPTs and DATA over a RawSMTP; returns the replies."""
    out = {"ehlo": r.cmd(f"EHLO {helo}")}
    out["mail"] = r.cmd(f"MAIL FROM:<{mail_from}>")
    out["rcpt"] = [r.cmd(f"RCPT TO:<{x}>") for x in rcpts]
    out["data"] = r.cmd("DATA")
    if out["data"].code == 354:
        r.send(data_bytes)
        out["end"] = r.reply()
    return out


QUEUED_RE = re.compile(r"queued as (\S+)")
