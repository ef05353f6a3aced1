"""A spool on a small tmpfs, filled up: new mail gets 452 4.3.1 (below `spool_min_free`
at MAIL, and a write that meets a full disk at the end of DATA), nothing already
accepted is lost, delivery goes on, and acceptance resumes once space returns."""

import email
import os
import smtplib
import subprocess

import pytest

from conftest import TRUSTED, message, raw_send
from outbound import Sink, send, wait_for

MESSAGE_LINES = 600  # about 47 KB each


@pytest.fixture
def small_spool(tmp_path):
    if os.geteuid() != 0 or not os.environ.get("RELAY_TEST_NETADMIN"):
        pytest.skip("needs root in the test's own mount namespace (tests/run)")
    mnt = tmp_path / "small-spool"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0750", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def queued_subjects(spool):
    out = set()
    for f in (spool / "queue").iterdir():
        body = f.read_bytes().partition(b"\n\n")[2]
        out.add(email.message_from_bytes(body)["Subject"])
    return out


def fill(spool):
    """Writes a file until the file system is full; returns its path."""
    filler = spool / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(4096):  # bounded: 4096 × 4 KiB is twice the tmpfs
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_spool_refuses_with_452_and_loses_nothing(relayd_factory, small_spool):
    with Sink() as sink:
        d = relayd_factory(spool_dir=small_spool, spool_min_free=512 * 1024,
                           max_message_size=128 * 1024, relayhost=f"[127.0.0.1]:{sink.port}",
                           relayhost_tls="none", retry_schedule="1")
        body = ("y" * 76 + "\r\n") * MESSAGE_LINES
        accepted, refusal = [], None
        for i in range(80):  # the 2 MiB tmpfs holds about 30
            # No SIZE parameter: a refusal at MAIL means the floor itself is reached.
            with d.raw(TRUSTED) as r:
                r.reply()
                m = message(f"fill-{i}", sender="printer@example.com", body=body)
                out = raw_send(r, "printer@example.com", ["bob@remote.example"], (m + ".\r\n").encode())
            if out["mail"].code != 250:
                refusal = out["mail"]
                break
            assert out.get("end") and out["end"].code == 250, out
            accepted.append(f"fill-{i}")
        assert refusal is not None, "never refused"
        assert refusal.code == 452 and "4.3.1" in refusal.text, refusal
        assert 10 <= len(accepted) < 40, len(accepted)
        assert queued_subjects(small_spool) == set(accepted), "every accepted message is queued"
        st = d.status_raw()
        assert st["spool_free"] < st["spool_min_free"] and st["refused"]["spool_full"] == 1, st
        assert "NEW MAIL REFUSED" in d.ctl("status").stdout
        # A client that declares its size is refused at MAIL too (smtplib sends SIZE).
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send(d, ["bob@remote.example"], "sized", body="small\r\n")
        assert refused.value.smtp_code == 452

        # Floor off, disk truly full: the write fails at DATA's end, with 452, and the
        # half-written file is gone.
        d.setprop("spool_min_free", "0")
        filler = fill(small_spool)
        with d.raw(TRUSTED) as r:
            r.reply()
            out = raw_send(r, "printer@example.com", ["bob@remote.example"],
                           (message("no-room", sender="printer@example.com", body=body) + ".\r\n").encode())
        reply = out.get("end") or out["data"]
        assert reply.code == 452 and "4.3.1" in reply.text, out
        assert list((small_spool / "tmp").iterdir()) == []
        assert queued_subjects(small_spool) == set(accepted)
        filler.unlink()

        # Back above nothing but still below the floor: delivery goes on and drains it.
        d.setprop("spool_min_free", str(512 * 1024))
        d.setprop("delivery", "on")
        wait_for(lambda: len(sink.messages) >= len(accepted) and not list((small_spool / "queue").iterdir()),
                 what="the full spool to drain")
        got = sorted(email.message_from_bytes(m[2])["Subject"] for m in sink.messages)
        assert got == sorted(accepted), "each accepted message delivered once"

        # Space is back: mail is accepted again.
        send(d, ["bob@remote.example"], "after", body=body)
        wait_for(lambda: len(sink.messages) == len(accepted) + 1, what="the message after")
