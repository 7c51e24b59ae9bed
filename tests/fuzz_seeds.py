#!/usr/bin/env python3
"""Writes a seed corpus for a fuzz target from the dialog scripts, one file per seed.

Usage: tests/fuzz_seeds.py TOPIC DIR
  smtp, pop3  every line a client sends in the dialogs of the SMTP test sets (tests/smtp,
              addresses, data, maildir, spool) or of tests/pop3 (C: without its CRLF, B: as
              its exact bytes): seeds for ch26_smtp_fuzz and ch26_pop3_fuzz
  line        all a client sends in each dialog of every topic: seeds for ch26_line_buffer_fuzz
  sasl        what SMTP AUTH clients send (base64 PLAIN and LOGIN answers, an AUTH line): seeds
              for ch28_sasl_fuzz
"""

import base64
import pathlib
import re
import sys

TESTS = pathlib.Path(__file__).resolve().parent
TOPICS = {"smtp": ["smtp", "addresses", "data", "maildir", "spool"], "pop3": ["pop3"]}
ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}
SASL = {
    "plain": base64.b64encode(b"\0alice@localhost\0secret"),
    "plain_authzid": base64.b64encode(b"alice\0alice\0secret"),
    "plain_decoded": b"\0alice@localhost\0secret",
    "login_user": base64.b64encode(b"alice@localhost"),
    "empty": b"=",
    "cancel": b"*",
    "auth_line": b"AUTH PLAIN " + base64.b64encode(b"\0alice\0secret"),
}


def unescape(text):
    """The dialog escapes \\r \\n \\t \\\\ and \\xHH (shared/testing/dialog.hpp)."""
    data = bytearray()
    for i, part in enumerate(re.split(r"\\(x[0-9A-Fa-f]{2}|[rnt\\])", text)):
        if i % 2 == 0:
            data += part.encode("utf-8")
        elif part.startswith("x"):
            data.append(int(part[1:], 16))
        else:
            data += ESCAPES[part]
    return bytes(data)


def client_sends(path):
    """(line number, bytes) for each C: and B: line, C: lines without the CRLF they go out with."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for prefix in ("C:", "B:"):
            if line.startswith(prefix):
                text = line[len(prefix):]
                yield number, prefix, unescape(text[1:] if text.startswith(" ") else text)


def seeds(topic):
    if topic == "sasl":
        yield from SASL.items()
    elif topic == "line":
        for path in sorted(TESTS.glob("*/dialogs/*.dialog")):
            sent = b"".join(data + (b"\r\n" if prefix == "C:" else b"") for _, prefix, data in client_sends(path))
            yield f"{path.parent.parent.name}_{path.stem}", sent
    else:
        for directory in TOPICS[topic]:
            for path in sorted((TESTS / directory / "dialogs").glob("*.dialog")):
                for number, _, data in client_sends(path):
                    yield f"{directory}_{path.stem}_{number}", data


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("smtp", "pop3", "line", "sasl"):
        sys.exit(__doc__)
    directory = pathlib.Path(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in seeds(sys.argv[1]):
        (directory / name).write_bytes(data)
        count += 1
    print(f"{count} seeds written to {directory}")


if __name__ == "__main__":
    main()
