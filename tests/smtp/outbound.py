"""Peers and helpers for the delivery tests: an aiosmtpd smarthost with programmable
replies, and the waits and sends the delivery tests share."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import TRUSTED, free_port, message

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

DELIVER_TIMEOUT = 120


class Sink:
    """An aiosmtpd smarthost that records every message and answers RCPTs as told:
    `replies[address]` is a list of replies used in turn (the last one sticks)."""

    def __init__(self, tls_context=None, host="127.0.0.1", port=None, **smtp_params):
        self.messages = []
        self.replies = {}
        self.rcpts_seen = []
        self.tls_sessions = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.port = port or free_port()
        self.controller = aiosmtpd.Controller(
            self, hostname=host, port=self.port, tls_context=tls_context,
            require_starttls=False, **smtp_params,
        )

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if session.ssl is None:  # the EHLO after STARTTLS is the same connection
            with self.lock:
                self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts_seen.append(address)
            answers = self.replies.get(address)
            reply = answers.pop(0) if answers and len(answers) > 1 else (answers[0] if answers else "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                  session.ssl is not None))
            if session.ssl is not None:
                self.tls_sessions += 1
        return "250 2.0.0 Ok: stored"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def wait_for(pred, timeout=DELIVER_TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def delivering(relayd_factory, sink_port=None, **extra):
    settings = {"delivery": "on", "retry_schedule": "1", "relayhost_tls": "none"}
    if sink_port:
        settings["relayhost"] = f"[127.0.0.1]:{sink_port}"
    settings.update(extra)
    return relayd_factory(**settings)


def send(d, rcpts, subject, sender="printer@example.com", body="hello\r\n"):
    with d.smtp(TRUSTED) as c:
        c.ehlo("printer.test")
        return c.sendmail(sender, rcpts, message(subject, sender=sender, body=body))


def maildir_new(d, user):
    return sorted((d.store / "mail" / user / "Maildir" / "new").glob("*"))


def queue_json(d):
    return json.loads(d.ctl("--json", "queue", "list").stdout)



class Dovecot:
    """Dovecot's LMTP server (Debian's dovecot-lmtpd) on a unix socket and a loopback
    port, storing into Maildirs under its own folder for the users named."""

    UID = 65534  # nobody: Dovecot refuses to deliver as root

    def __init__(self, users):
        if not shutil.which("dovecot") or not os.path.exists("/usr/lib/dovecot/lmtp"):
            pytest.skip("Dovecot's LMTP server is not installed (apt-get install dovecot-lmtpd)")
        if os.geteuid() != 0:
            pytest.skip("Dovecot's master must start as root")
        # Not under pytest's tmp_path: its 0700 folders would keep the mail user out.
        self.root = Path(tempfile.mkdtemp(prefix="relay-dovecot-"))
        self.root.chmod(0o755)
        self.socket = self.root / "lmtp"
        self.port = free_port()
        self.conf = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        for d in ("run", "state", "home"):
            (self.root / d).mkdir()
        lines = []
        for u in users:
            home = self.root / "home" / u
            home.mkdir()
            os.chown(home, self.UID, self.UID)
            lines.append(f"{u}:{{PLAIN}}unused:{self.UID}:{self.UID}::{home}::")
        (self.root / "users").write_text("\n".join(lines) + "\n")
        self.conf.write_text(f"""
protocols = lmtp
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log}
ssl = no
listen = 127.0.0.1
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
auth_username_format = %Ln
passdb {{
  driver = passwd-file
  args = {self.root}/users
}}
userdb {{
  driver = passwd-file
  args = {self.root}/users
}}
service lmtp {{
  unix_listener {self.socket} {{
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.port}
  }}
}}
""")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(lambda: self.socket.exists() or self.proc.poll() is not None, timeout=20,
                 what="Dovecot's LMTP socket")
        if self.proc.poll() is not None:
            raise AssertionError(f"dovecot exited: {self.proc.stderr.read().decode()}")
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    def doveadm(self, *args):
        return subprocess.run(["doveadm", "-c", str(self.conf), *args], capture_output=True,
                              text=True, timeout=30)

    def count(self, user):
        """Messages in the user's INBOX, as Dovecot itself reports them."""
        p = self.doveadm("mailbox", "status", "-u", user, "messages", "INBOX")
        if p.returncode != 0:
            return 0
        return int(p.stdout.strip().split("=")[1])

    def stored(self, user):
        """The user's messages, read back from the Maildir Dovecot wrote."""
        md = self.root / "home" / user / "Maildir"
        return [f.read_bytes() for sub in ("new", "cur") if (md / sub).is_dir()
                for f in sorted((md / sub).iterdir())]


def make_ca(tmp):
    """A CA and a certificate for 127.0.0.1 it signed, by openssl."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed")
    run = lambda *a: subprocess.run([openssl, *a], check=True, capture_output=True, cwd=tmp)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=relay test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "host.key", "-out", "host.csr",
        "-subj", "/CN=127.0.0.1")
    (tmp / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "host.pem", "-days", "2", "-extfile", "ext.cnf")
    return tmp / "ca.pem", tmp / "host.pem", tmp / "host.key"
