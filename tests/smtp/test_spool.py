"""The spool's guarantees that a kill -9 test cannot see: one relayd per store and per
spool (refused before it cleans anything), and the order of the system calls that make
a message durable before its 250."""

import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import LOCAL_RCPT, QUEUED_RE, RELAYD, TRUSTED, free_port, message, raw_send


def second_relayd(store):
    return subprocess.run(
        [str(RELAYD), "--store", str(store), "--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=30,
    )


def send_one(d):
    with d.smtp(TRUSTED) as c:
        c.ehlo("spool.test")
        return c.sendmail("s@remote.example", [LOCAL_RCPT], message("spool"))


def test_a_second_relayd_is_refused_before_it_touches_anything(relayd_factory):
    a = relayd_factory()
    in_flight = a.store / "spool" / "tmp" / "IN-FLIGHT"
    in_flight.write_bytes(b"a message being received by the running relayd")
    sock = a.store / "relayd.sock"
    # The same store.
    p = second_relayd(a.store)
    assert p.returncode != 0, p.stderr
    assert "in use by another relayd" in p.stderr and str(a.proc.pid) in p.stderr, p.stderr
    # Another store whose spool_dir is the running one's.
    b = relayd_factory(start=False, spool_dir=str(a.store / "spool"))
    p = second_relayd(b.store)
    assert p.returncode != 0, p.stderr
    assert "in use by another relayd" in p.stderr, p.stderr
    assert in_flight.exists(), "the second relayd emptied the running one's tmp/"
    assert sock.exists(), "the second relayd removed the running one's control socket"
    assert a.status_raw()["pid"] == a.proc.pid
    send_one(a)
    # Once the first has stopped, the second may start.
    a.stop()
    b.start()
    assert not in_flight.exists(), "a relayd that holds the spool cleans what was never acknowledged"


def parse_strace(path):
    """Completed system calls in the order they returned, with -y's fd paths."""
    pending, calls = {}, []
    for line in path.read_text(errors="replace").splitlines():
        pid, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")]
            continue
        m = re.match(r"<\.\.\. (\w+) resumed>(.*)", rest)
        if m:
            rest = pending.pop(pid, m.group(1) + "(") + m.group(2)
        calls.append(rest)
    return calls


def test_fsync_rename_fsync_then_250(relayd_factory, tmp_path):
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (apt-get install -y strace; .ci/run does)")
    d = relayd_factory(start=False)
    trace = tmp_path / "trace.txt"
    d.prefix = [strace, "-f", "-y", "-s", "256", "-o", str(trace),
                "-e", "trace=openat,fsync,fdatasync,rename,renameat,renameat2,link,write,writev,sendto,sendmsg"]
    d.start(timeout=30)
    try:
        reply = None
        with d.raw(TRUSTED) as r:
            r.reply()
            out = raw_send(r, "s@remote.example", [LOCAL_RCPT], message("traced").encode() + b".\r\n",
                           helo="trace.test")
            assert out["data"].code == 354, out
            reply = out["end"]
        assert reply.code == 250, reply
        qid = QUEUED_RE.search(reply.text).group(1)
    finally:
        pid = d.status_raw()["pid"]
        subprocess.run(["kill", "-TERM", str(pid)])
        d.proc.wait(timeout=20)
        d.proc = None
    calls = parse_strace(trace)

    def first(pred, after=-1, what=""):
        for i, c in enumerate(calls):
            if i > after and pred(c):
                return i
        raise AssertionError(f"no {what} after call {after} in the trace:\n" + "\n".join(
            c for c in calls if qid in c or "queue" in c))

    ok = lambda c: re.search(r"\) += 0$", c) is not None
    sync = ("fsync(", "fdatasync(")
    fsync_msg = first(lambda c: c.startswith(sync) and f"/tmp/{qid}>" in c and ok(c), what="fsync of the message")
    rename = first(lambda c: c.startswith(("rename", "link(")) and f"/tmp/{qid}" in c and f"/queue/{qid}" in c and ok(c),
                   fsync_msg, "rename into queue/")
    fsync_dir = first(lambda c: c.startswith(sync) and re.search(r"/spool/queue>\)", c) and ok(c),
                      rename, "fsync of queue/")
    answer = first(lambda c: c.startswith(("write(", "writev(", "sendto(", "sendmsg(")) and f"queued as {qid}" in c,
                   fsync_dir, "the 250 reply")
    assert fsync_msg < rename < fsync_dir < answer
