#!/usr/bin/env python3
"""Resident memory per SMTP session in the middle of a big DATA, for chapter 26's mailserver.

Starts the server on 127.0.0.1 (every port 0, every file in a temporary directory), opens
COUNT sessions, has each send MEGABYTES of a message after DATA without ending it, and
prints the server's resident memory (VmRSS from /proc) before they connect and while they
wait, and the cost per session. Then the sessions are closed: the messages are never accepted.
Run it against the optimized build:

    tests/bench/data_memory.py [MAILSERVER] [--count 200] [--megabytes 5]
"""
import argparse
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

from mailserver_process import DEFAULT_SERVER, resident_kb, start_server


def reply(client):
    """The last line of one SMTP reply."""
    data = b""
    while True:
        data += client.recv(4096)
        lines = data.split(b"\r\n")
        for line in lines[:-1]:
            if len(line) >= 4 and line[3:4] == b" ":
                return line.decode()
        if not data:
            sys.exit("the server closed the connection")


def open_session(port):
    client = socket.create_connection(("127.0.0.1", port))
    if not reply(client).startswith("220"):
        sys.exit("a client was not greeted with 220")
    for command, code in ((b"EHLO memory.test", "250"), (b"MAIL FROM:<alice@example.test>", "250"),
                          (b"RCPT TO:<bob@localhost>", "250"), (b"DATA", "354")):
        client.sendall(command + b"\r\n")
        answer = reply(client)
        if not answer.startswith(code):
            sys.exit(f"{command.decode()}: {answer}")
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mailserver", nargs="?", default=DEFAULT_SERVER, type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--megabytes", type=int, default=5)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.count + 100)), hard))
    line = b"x" * 998 + b"\r\n"
    chunk = b"Subject: big\r\n\r\n" + line * 1024  # about 1 MB
    with tempfile.TemporaryDirectory() as directory:
        server, port = start_server(args.mailserver, directory, "--max-message-size", str(64 << 20))
        try:
            before = resident_kb(server.pid)
            clients = [open_session(port) for _ in range(args.count)]
            for _ in range(args.megabytes):
                for client in clients:
                    client.sendall(chunk)
            # sendall() returns once the server has read all but what the sockets hold; give
            # its reads a moment to catch up, until its memory stays put.
            held = resident_kb(server.pid)
            for _ in range(50):
                time.sleep(0.1)
                now = resident_kb(server.pid)
                if now == held:
                    break
                held = now
            per_session = (held - before) / args.count
            print(f"{args.count} SMTP sessions, {args.megabytes} MB each into DATA: VmRSS {before} kB before, "
                  f"{held} kB while they wait, {per_session:.1f} kB per session")
            for client in clients:
                client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
