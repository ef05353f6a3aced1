"""Sessions under abuse: 50 hostile clients throw random bytes and protocol-aware garbage
(pipelined commands out of order, TLS handshakes where SMTP is expected, half-closed
sockets, endless lines, NULs and bare LFs) at a running relayd for a bounded time, while a
well-behaved client keeps sending. The daemon never dies, its memory stays bounded, and
every message the good client got a 250 for is in the spool."""

import os
import random
import re
import socket
import threading
import time

from conftest import LOCAL_RCPT, TRUSTED, message

DURATION = 15.0
HOSTILE = 50
# A TLS 1.2 ClientHello's first bytes: what a client that expects implicit TLS sends.
CLIENT_HELLO = bytes.fromhex("16030100c4010000c00303") + os.urandom(32) + b"\x00\x00\x02\x13\x01\x01\x00"

GARBAGE = [
    lambda r: r.randbytes(r.randint(1, 4096)),
    lambda r: b"DATA\r\nRCPT TO:<a@b>\r\nMAIL FROM:<>\r\n.\r\nQUIT\r\n",
    lambda r: b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<" + b"a" * r.randint(1, 3000) + b"@remote.example>\r\n",
    lambda r: CLIENT_HELLO,
    lambda r: b"EHLO x\r\nSTARTTLS\r\n" + CLIENT_HELLO[:20],
    lambda r: b"AUTH PLAIN " + r.randbytes(200).hex().encode() + b"\r\n" * r.randint(1, 40),
    lambda r: b"HELO \x00\x00\x00\r\nMAIL FROM:<\x00>\r\n",
    lambda r: b"EHLO x\nMAIL FROM:<a@b>\nRCPT TO:<alice@example.com>\nDATA\nbody\r.\r\n.\n",
    lambda r: b"x" * r.randint(3000, 70000),
    lambda r: b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n" + r.randbytes(5000),
    lambda r: b"BDAT 100000 LAST\r\n" + r.randbytes(100),
    lambda r: b"\r\n" * r.randint(1, 500),
]


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_relayd_survives_50_hostile_clients_and_loses_nothing(relayd_factory):
    d = relayd_factory(max_connections=300, max_connections_per_client=20)
    stop = time.monotonic() + DURATION
    stats = {"sessions": 0, "bytes": 0, "errors": 0}
    lock = threading.Lock()

    def hostile(n):
        r = random.Random(n)
        source = f"127.0.1.{n + 1}"
        while time.monotonic() < stop:
            try:
                s = socket.create_connection(("127.0.0.1", d.port), timeout=3, source_address=(source, 0))
            except OSError:
                with lock:
                    stats["errors"] += 1
                time.sleep(0.05)
                continue
            sent = 0
            try:
                s.settimeout(2)
                if r.random() < 0.5:
                    s.recv(512)  # the greeting, sometimes
                for _ in range(r.randint(1, 4)):
                    payload = r.choice(GARBAGE)(r)
                    s.sendall(payload)
                    sent += len(payload)
                if r.random() < 0.3:
                    s.shutdown(socket.SHUT_WR)  # half-closed: relayd must notice and let go
                if r.random() < 0.5:
                    s.recv(4096)
            except OSError:
                pass
            finally:
                s.close()
                with lock:
                    stats["sessions"] += 1
                    stats["bytes"] += sent

    queued, refused_good = [], []

    def good():
        i = 0
        while time.monotonic() < stop:
            try:
                with d.smtp(TRUSTED, timeout=20) as c:
                    c.ehlo("printer.test")
                    c.mail("printer@example.com")
                    c.rcpt(LOCAL_RCPT)
                    code, reply = c.data(message(f"good-{i}"))
                    if code == 250:
                        queued.append(re.search(rb"queued as (\S+)", reply).group(1).decode())
                    else:
                        refused_good.append((code, reply))
            except OSError as e:
                refused_good.append(("error", str(e)))
            i += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=hostile, args=(n,)) for n in range(HOSTILE)]
    threads.append(threading.Thread(target=good))
    for t in threads:
        t.start()
    peak = 0
    while any(t.is_alive() for t in threads):
        assert d.proc.poll() is None, f"relayd died:\n{d.log_tail()}"
        peak = max(peak, rss_kib(d.proc.pid))
        time.sleep(0.2)
    for t in threads:
        t.join()
    assert d.proc.poll() is None, f"relayd died:\n{d.log_tail()}"
    print(f"abuse: {stats['sessions']} hostile sessions, {stats['bytes'] / 1e6:.1f} MB of garbage, "
          f"{stats['errors']} connects refused, {len(queued)} good messages queued "
          f"({len(refused_good)} tries met the connection limit), "
          f"peak RSS {peak / 1024:.1f} MiB")
    assert stats["sessions"] >= 500, stats
    assert len(queued) >= 20, (len(queued), refused_good[:5])
    # The flood may fill max_connections for a moment: then the good client hears a
    # temporary 421, as from any MTA at its limit, and tries again; nothing else.
    assert all("421" in str(r) for r in refused_good), refused_good[:5]
    assert peak < 256 * 1024, f"peak RSS {peak / 1024:.0f} MiB"
    on_disk = set(d.queue_ids())
    missing = [q for q in queued if q not in on_disk]
    assert not missing, f"{len(missing)} acknowledged messages are not in the spool"
    # Still serving, and still deciding correctly.
    with d.smtp(TRUSTED) as c:
        assert c.ehlo("after.test")[0] == 250
