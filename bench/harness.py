#!/usr/bin/env python3
"""relayd beside Postfix and beside the ceiling, in one run on one machine.

Servers, all on loopback ports, all stopped by pid at the end:
  relayd   with N trusted entries (the client's address last), smtp-sink as relayhost;
  postfix  a private instance (postfix -c DIR: its own main.cf, master.cf and queue in a
           temp folder; the system's /etc/postfix is only read), mynetworks = cidr:FILE
           with the same list, permit_mynetworks then reject_unauth_destination,
           relaying to the same smtp-sink;
  ceiling  smtp-sink itself under the load: no disk, no policy.
Load: Postfix's smtp-source, 20 sessions, 1 KB messages, one message per connection
("single") and many per connection ("-d"). Servers alternate, RUNS runs each.

Measured: accepted msgs/s (until smtp-source's last 250) and delivered msgs/s (until
the relay's queue is empty); change-to-effective (from the start of the administrator's
command to the first session that sees it) for adding and removing one entry, with
smtp-source loading the server meanwhile and its failed sessions counted; memory (RSS
and PSS) idle and with 200 open sessions.

    cargo build --release && python3 bench/harness.py [--quick] [--out bench/results.json]

Needs root (Postfix's master) and Debian's postfix package (smtp-source, smtp-sink);
without Postfix, relayd and the ceiling are still measured. --quick runs tiny counts
(the test suite runs it so the harness never rots); bench/report.py turns the JSON into
bench/RESULTS.md and its plots.
"""
import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("RELAY_BIN_DIR", ROOT / "target" / "release"))
SBIN = ["/usr/sbin", "/sbin"]
CLIENT = "127.0.0.1"
RCPT = "someone@remote.example"


def which(tool):
    return shutil.which(tool, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def entries(n):
    """N entries, the client's address last (the worst case for a list scanned in order)."""
    lines = [f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}" if n > 10 else f"192.0.2.{i + 1}"
             for i in range(n - 1)]
    return lines + [CLIENT]


def wait_until(pred, timeout, what, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(step)
    raise SystemExit(f"timed out ({timeout} s) waiting for {what}")


def smtp_reply(f):
    line = b""
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return int(line[:3] or 0)


def relays(port, source):
    """One session from `source`: whether a relay RCPT gets 250 (None: no session)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0)) as s:
            f = s.makefile("rwb")
            if smtp_reply(f) != 220:
                return None
            for cmd in (b"EHLO bench.test", b"MAIL FROM:<bench@example.com>"):
                f.write(cmd + b"\r\n")
                f.flush()
                if smtp_reply(f) != 250:
                    return None
            f.write(f"RCPT TO:<{RCPT}>\r\n".encode())
            f.flush()
            code = smtp_reply(f)
            f.write(b"QUIT\r\n")
            f.flush()
            return code == 250
    except OSError:
        return None


def memory(pids):
    """Summed RSS and PSS (KiB) of the processes."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            children = open(f"/proc/{p}/task/{p}/children").read().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return out


class Relayd:
    name = "relayd"

    def __init__(self, work, sink_port):
        self.store = work / "relayd-store"
        self.port = free_port()
        self.ctl("-create", ".", "/config/relayd")
        for key, value in [("listen", f"127.0.0.1:{self.port}"), ("local_domains", "bench.test"),
                           ("max_connections", "1000"), ("max_connections_per_client", "1000"),
                           ("relayhost", f"[127.0.0.1]:{sink_port}"), ("relayhost_tls", "none"),
                           ("run_as", "root")]:
            self.ctl("-createprop", ".", "/config/relayd", key, value)
        self.load(10)
        self.log = open(work / "relayd.log", "wb")
        self.proc = subprocess.Popen([str(BIN / "relayd"), "--store", str(self.store)],
                                     stderr=self.log, env={**os.environ, "RELAYD_LOG": os.environ.get("RELAYD_LOG", "warn")})
        wait_until(lambda: relays(self.port, CLIENT), 20, "relayd to start")

    def ctl(self, *args, input=None):
        return subprocess.run([str(BIN / "relayctl"), "--store", str(self.store), *args],
                              input=input, text=True, capture_output=True, check=True)

    def load(self, n):
        wait = ["--wait", "--wait-timeout", "60"] if getattr(self, "proc", None) else []
        self.ctl(*wait, "relay", "import", "--replace", "-", input="\n".join(entries(n)) + "\n")

    def add(self, ip):
        self.ctl("relay", "add", ip)

    def remove(self, ip):
        self.ctl("relay", "remove", ip)

    def queued(self):
        try:
            return len(os.listdir(self.store / "spool" / "queue"))
        except OSError:
            return 0

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Postfix:
    name = "postfix"
    QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")

    @staticmethod
    def available():
        return os.geteuid() == 0 and which("postfix") and os.path.isdir("/usr/lib/postfix/sbin") \
            and Postfix.master_template()

    @staticmethod
    def master_template():
        for p in ("/etc/postfix/master.cf", "/usr/share/postfix/master.cf.dist"):
            if os.path.exists(p):
                return p
        return None

    def __init__(self, work, sink_port, extra=""):
        """`extra`: main.cf lines that override the relay's (a test's policy service)."""
        self.dir = work / "pf"
        self.etc = self.dir / "etc"
        self.port = free_port()
        for d in ("etc", "spool", "data"):
            (self.dir / d).mkdir(parents=True)
        os.chmod(work, 0o755)
        os.chmod(self.dir, 0o755)  # Postfix's daemons run as the postfix user
        self.cidr = self.etc / "trusted.cidr"
        self.write_list(entries(10))
        # Debian's master.cf (it defines the postlog service maillog_file needs), with
        # smtpd on our port and nothing chrooted.
        master = []
        for line in open(self.master_template()):
            words = line.split()
            if words[:2] == ["smtp", "inet"]:
                line = f"127.0.0.1:{self.port} inet n - n - - smtpd\n"
            elif len(words) >= 8 and not line[0].isspace() and not line.startswith("#") and words[4] == "y":
                words[4] = "n"
                line = " ".join(words) + "\n"
            master.append(line)
        (self.etc / "master.cf").write_text("".join(master))
        (self.etc / "main.cf").write_text(f"""compatibility_level = 3.6
queue_directory = {self.dir}/spool
data_directory = {self.dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.test
mydestination =
mynetworks = cidr:{self.cidr}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [127.0.0.1]:{sink_port}
smtp_tls_security_level = none
maillog_file_prefixes = /tmp, {work}
maillog_file = {self.dir}/maillog
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 250
{extra}""")
        subprocess.run(["chown", "-R", "postfix", str(self.dir / "data")], check=True)
        self.start()

    def env(self):
        return {**os.environ, "PATH": os.pathsep.join([os.environ.get("PATH", ""), *SBIN])}

    def write_list(self, lines):
        tmp = self.cidr.with_suffix(".tmp")
        tmp.write_text("".join(f"{x}/32 OK\n" for x in lines))
        os.replace(tmp, self.cidr)

    def reload(self):
        subprocess.run(["postfix", "-c", str(self.etc), "reload"], capture_output=True, check=True,
                       env=self.env())

    def load(self, n):
        self.lines = entries(n)
        self.write_list(self.lines)
        # A fresh start rather than a reload: mail that arrives while a reloaded qmgr
        # restarts can sit in incoming/ until its next scan, minutes later.
        self.stop()
        self.start()

    def start(self):
        # postfix reports only to syslog unless on a terminal: script(1) gives it one.
        p = subprocess.run(["script", "-qec", f"postfix -c {self.etc} start", "/dev/null"],
                           capture_output=True, text=True, env=self.env())
        if p.returncode != 0:
            raise SystemExit(f"Postfix did not start: {p.stdout}{p.stderr}")
        wait_until(lambda: relays(self.port, CLIENT), 20, "Postfix to start")

    def nudge(self):
        """Asks qmgr to look at the queue now (postfix flush)."""
        subprocess.run(["postfix", "-c", str(self.etc), "flush"], capture_output=True, env=self.env())

    def add(self, ip):
        self.lines.append(ip)
        with open(self.cidr, "a") as f:
            f.write(f"{ip}/32 OK\n")
        self.reload()

    def remove(self, ip):
        self.lines.remove(ip)
        self.write_list(self.lines)
        self.reload()

    def queued(self):
        n = 0
        for q in self.QUEUES:
            for _, _, files in os.walk(self.dir / "spool" / q):
                n += len(files)
        return n

    def master_pid(self):
        try:
            return int(open(self.dir / "data" / "master.lock").read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pids(self):
        m = self.master_pid()
        return descendants(m) if m else []

    def stop(self):
        subprocess.run(["postfix", "-c", str(self.etc), "stop"], capture_output=True, env=self.env())
        m = self.master_pid()
        if m:
            wait_until(lambda: not os.path.exists(f"/proc/{m}"), 20, "Postfix to stop")


class Ceiling:
    name = "ceiling"

    def __init__(self, work):
        self.port = free_port()
        user = "postfix" if subprocess.run(["id", "postfix"], capture_output=True).returncode == 0 else "nobody"
        self.proc = subprocess.Popen([which("smtp-sink"), "-u", user, f"127.0.0.1:{self.port}", "1024"])
        wait_until(lambda: relays(self.port, CLIENT) is not None, 10, "smtp-sink to start")

    def queued(self):
        return 0

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.terminate()


def source(port, messages, persistent, sessions=20):
    argv = [which("smtp-source"), "-s", str(sessions), "-l", "1024", "-m", str(messages),
            "-f", "bench@example.com", "-t", RCPT]
    if persistent:
        argv.append("-d")
    return subprocess.run([*argv, f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=900)


def drain(server, timeout=300):
    """Waits until the server's queue is empty; a queue that stops moving for 5 s gets
    a nudge (Postfix's qmgr can miss a trigger)."""
    deadline = time.monotonic() + timeout
    last, still = None, time.monotonic()
    while (n := server.queued()) != 0:
        now = time.monotonic()
        if now > deadline:
            raise SystemExit(f"{server.name}'s queue did not drain: {n} left")
        if n != last:
            last, still = n, now
        elif now - still > 5 and hasattr(server, "nudge"):
            server.nudge()
            still = now
        time.sleep(0.01)


def throughput(server, messages, persistent):
    drain(server)
    t0 = time.monotonic()
    p = source(server.port, messages, persistent)
    t1 = time.monotonic()
    if p.returncode != 0:
        raise SystemExit(f"smtp-source against {server.name} failed: {p.stderr.strip()}")
    drain(server)
    t2 = time.monotonic()
    return {"accepted": messages / (t1 - t0), "delivered": messages / (t2 - t0)}


class Load:
    """smtp-source against a server in the background, for as long as the block runs;
    counts the sessions it reports failed."""

    def __init__(self, port):
        self.port = port

    def __enter__(self):
        argv = [which("smtp-source"), "-s", "5", "-l", "1024", "-m", "10000000", "-f",
                "bench@example.com", "-t", RCPT, f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        # smtp-source exits on the first failed session; terminated, it reports nothing.
        self.failed = sum(1 for line in err.splitlines() if "fatal" in line or "error" in line)


def change_trials(server, trials, base):
    """Adds then removes one entry, `trials` times; ms from the command's start."""
    out = []
    for i in range(trials):
        ip = f"127.{base}.{i // 250}.{i % 250 + 2}"
        if relays(server.port, ip):
            raise SystemExit(f"{ip} relays through {server.name} before it is added")
        for op, want in (("add", True), ("remove", False)):
            t0 = time.monotonic()
            getattr(server, op)(ip)
            # Probed every 2 ms (each probe is a whole SMTP session) so the poll adds
            # little to what is measured; the same for every server.
            wait_until(lambda: relays(server.port, ip) is want, 30, f"{server.name} to {op} {ip}",
                       step=0.002)
            out.append({"op": op, "ms": (time.monotonic() - t0) * 1000})
    return out


def hold_sessions(port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        f = s.makefile("rwb")
        smtp_reply(f)
        f.write(b"EHLO bench.test\r\n")
        f.flush()
        smtp_reply(f)
        socks.append((s, f))
    return socks


def versions():
    def out(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""
    pf = out(which("postconf") or "postconf", "-d", "mail_version").split("=")[-1].strip()
    return {"relayd": out(str(BIN / "relayd"), "--version"), "postfix": pf,
            "kernel": platform.release(), "python": platform.python_version()}


def machine():
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = open("/proc/meminfo").readline().split()[1]
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_kib": int(mem),
            "spool_fs": subprocess.run(["df", "-T", tempfile.gettempdir()], capture_output=True,
                                       text=True).stdout.splitlines()[-1].split()[1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny counts: checks the harness works")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()
    for tool in ("smtp-source", "smtp-sink"):
        if not which(tool):
            raise SystemExit(f"needs {tool} (apt-get install postfix)")
    if args.quick:
        sizes, change_sizes, runs, messages, trials, held = [10, 1000], [1000], 1, 200, 3, 20
    else:
        sizes, change_sizes, runs, messages, trials, held = \
            [10, 10_000, 100_000, 1_000_000], [10, 100_000, 1_000_000], 3, 4000, 10, 200
    work = Path(tempfile.mkdtemp(prefix="relay-harness-"))
    started = []
    results = {"machine": machine(), "versions": versions(), "quick": args.quick, "bin": str(BIN),
               "messages": messages, "runs": runs, "throughput": [], "change": [], "memory": [],
               "commands": {"load": "smtp-source -s 20 -l 1024 -m %d [-d] -f bench@example.com -t %s 127.0.0.1:PORT" % (messages, RCPT),
                            "relayd_change": "relayctl relay add|remove IP",
                            "postfix_change": "edit cidr file; postfix -c DIR reload"}}
    try:
        sink = Ceiling(work)  # the delivery target of both relays
        started.append(sink)
        ceiling = Ceiling(work)
        started.append(ceiling)
        relayd = Relayd(work, sink.port)
        started.append(relayd)
        postfix = None
        if Postfix.available():
            postfix = Postfix(work, sink.port)
            started.append(postfix)
        else:
            print("(Postfix not measured: needs root and Debian's postfix package)", file=sys.stderr)
        relays_ = [s for s in (relayd, postfix) if s]
        for n in sizes:
            for s in relays_:
                s.load(n)
            for mode in ("single", "-d"):
                for run in range(runs):
                    for s in [*relays_, ceiling]:
                        r = throughput(s, messages, mode == "-d")
                        results["throughput"].append({"server": s.name, "entries": n, "mode": mode,
                                                      "run": run, **r})
                        print(f"{s.name:8} {n:>9} entries {mode:6} run {run}: accepted "
                              f"{r['accepted']:7.0f}  delivered {r['delivered']:7.0f} msgs/s", flush=True)
            if n in change_sizes:
                for k, s in enumerate(relays_):
                    with Load(s.port) as load:
                        got = change_trials(s, trials, 20 + 10 * k + change_sizes.index(n))
                    for g in got:
                        results["change"].append({"server": s.name, "entries": n, **g,
                                                  "failed_sessions": load.failed})
                    adds = sorted(g["ms"] for g in got if g["op"] == "add")
                    rems = sorted(g["ms"] for g in got if g["op"] == "remove")
                    print(f"{s.name:8} {n:>9} entries change: add p50 {statistics.median(adds):.0f} ms, "
                          f"remove p50 {statistics.median(rems):.0f} ms, {load.failed} failed sessions", flush=True)
            if n == (100_000 if not args.quick else 1000):
                for s in relays_:
                    idle = memory(s.pids())
                    socks = hold_sessions(s.port, held)
                    time.sleep(0.5)
                    busy = memory(s.pids())
                    for sock, _ in socks:
                        sock.close()
                    results["memory"].append({"server": s.name, "entries": n, "sessions": held,
                                              "idle_rss_kib": idle[0], "idle_pss_kib": idle[1],
                                              "busy_rss_kib": busy[0], "busy_pss_kib": busy[1]})
                    print(f"{s.name:8} {n:>9} entries memory: idle PSS {idle[1] / 1024:.1f} MiB, "
                          f"with {held} sessions {busy[1] / 1024:.1f} MiB", flush=True)
    finally:
        for s in reversed(started):
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                print(f"stopping {s.name}: {e}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
