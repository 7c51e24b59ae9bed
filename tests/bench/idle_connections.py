#!/usr/bin/env python3
"""Resident memory per idle SMTP connection of chapter 26's mailserver.

Starts the server on 127.0.0.1 (every port 0, every file in a temporary directory), opens
COUNT connections that each read the 220 greeting and then say nothing, and prints the
server's resident memory (VmRSS from /proc) before and while they are held, and the cost per
connection. Run it against the optimized build:

    tests/bench/idle_connections.py [MAILSERVER] [--count 1000]
"""
import argparse
import resource
import socket
import sys
import tempfile
from pathlib import Path

from mailserver_process import DEFAULT_SERVER, resident_kb, start_server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mailserver", nargs="?", default=DEFAULT_SERVER, type=Path)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()

    # Each connection is a descriptor here and one in the server, which inherits our limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.count + 100)), hard))

    with tempfile.TemporaryDirectory() as directory:
        server, port = start_server(args.mailserver, directory)
        try:
            before = resident_kb(server.pid)
            clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.count)]
            for client in clients:
                if not client.recv(512).startswith(b"220"):
                    sys.exit("a client was not greeted with 220")
            held = resident_kb(server.pid)
            per_connection = (held - before) / args.count
            print(f"{args.count} idle SMTP connections: VmRSS {before} kB before, {held} kB while held, "
                  f"{per_connection:.1f} kB per connection")
            for client in clients:
                client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
