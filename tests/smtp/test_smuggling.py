"""SMTP smuggling: a body that hides a false end of data followed by a second
transaction. Only <CRLF>.<CRLF> may end DATA: the reply is a 5xx or the message is
kept whole as content, and one message in gives at most one message spooled.
Sent by a trusted host, so a smuggled relay would be accepted if it were ever read as
commands."""

import pytest

from conftest import LOCAL_RCPT, TRUSTED

SMUGGLES = {
    "LF.LF": b"\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
    "CRLF-NUL.CRLF": b"\r\n\x00.\r\n",
    "CRLF.NUL-CRLF": b"\r\n.\x00\r\n",
    "CRLF.LF": b"\r\n.\n",
    "LF.CR": b"\n.\r",
    "CR.CR": b"\r.\r",
    "CRCRLF.CRCRLF": b"\r\r\n.\r\r\n",
    "CRLF.CRCRLF": b"\r\n.\r\r\n",
    "CRLF-SP.CRLF": b"\r\n .\r\n",
    "CRLF.SP-CRLF": b"\r\n. \r\n",
    "CRLF..CRLF": b"\r\n..\r\n",
}

VICTIM = "victim@remote.example"
SMUGGLED = (
    b"MAIL FROM:<admin@example.com>\r\n"
    b"RCPT TO:<" + VICTIM.encode() + b">\r\n"
    b"DATA\r\n"
    b"From: admin@example.com\r\nSubject: smuggled\r\n\r\nSMUGGLED-BODY\r\n"
)


def replies_until_quit(r):
    """Sends QUIT and returns every reply up to and including 221 (or the close)."""
    r.send(b"QUIT\r\n")
    out = []
    while True:
        try:
            rep = r.reply()
        except (ConnectionError, OSError):
            break
        out.append(rep)
        if rep.code == 221:
            break
    return out


@pytest.fixture(scope="module")
def d(module_relayd):
    module_relayd.set_flags(1, 0)
    return module_relayd


@pytest.mark.parametrize("pipelined", [False, True], ids=["stepwise", "pipelined"])
@pytest.mark.parametrize("name", list(SMUGGLES))
def test_smuggled_transaction_never_ends_data(d, name, pipelined):
    smuggle = SMUGGLES[name]
    before = set(d.queue_ids())
    body = (
        b"From: outer@remote.example\r\nSubject: outer " + name.encode() + b"\r\n\r\n"
        b"outer body" + smuggle + SMUGGLED + b"\r\n.\r\n"
    )
    envelope = [b"EHLO smuggler.example\r\n", b"MAIL FROM:<outer@remote.example>\r\n",
                b"RCPT TO:<" + LOCAL_RCPT.encode() + b">\r\n", b"DATA\r\n"]
    with d.raw(TRUSTED) as r:
        assert r.reply().code == 220
        if pipelined:
            r.send(b"".join(envelope) + body)
            codes = [r.reply().code for _ in range(4)]
            assert codes == [250, 250, 250, 354], codes
        else:
            for line in envelope:
                r.send(line)
                r.reply()
            r.send(body)
        end = r.reply()
        rest = replies_until_quit(r)
    # One reply to the whole body, then only QUIT's.
    assert end.code == 250 or 500 <= end.code < 600, f"{name}: end of data got {end}"
    assert [x.code for x in rest] == [221], (
        f"{name}: after the real end of data the server answered {rest}: the smuggled "
        f"commands were read as commands"
    )
    new = set(d.queue_ids()) - before
    for q in new:
        env, _ = d.read_queued(q)
        assert f"<{VICTIM}>" not in env["to"], f"{name}: smuggled envelope spooled: {env}"
    assert len(new) <= 1, f"{name}: {len(new)} messages spooled for one sent"
    if end.code == 250:
        assert len(new) == 1
        env, stored = d.read_queued(new.pop())
        assert env["to"] == [f"<{LOCAL_RCPT}>"], env
        assert VICTIM not in str(env)
        # Kept whole: the smuggled part is content of this one message.
        assert b"SMUGGLED-BODY" in stored and b"RCPT TO:<" + VICTIM.encode() in stored
    else:
        assert not new, f"{name}: refused with {end} but spooled"


def test_clean_message_with_dot_lines_is_accepted_whole(d):
    """The control case: dot-stuffed lines are content, and the real end works."""
    before = set(d.queue_ids())
    content = b"Subject: dots\r\n\r\n..\r\n..leading\r\n.. not an end\r\nlast\r\n"
    with d.raw(TRUSTED) as r:
        r.reply()
        for line in ("EHLO ok.example", "MAIL FROM:<a@remote.example>", f"RCPT TO:<{LOCAL_RCPT}>"):
            assert r.cmd(line).code == 250
        assert r.cmd("DATA").code == 354
        r.send(content + b".\r\n")
        assert r.reply().code == 250
    new = set(d.queue_ids()) - before
    assert len(new) == 1
    _, stored = d.read_queued(new.pop())
    assert stored.endswith(b"Subject: dots\r\n\r\n.\r\n.leading\r\n. not an end\r\nlast\r\n")
