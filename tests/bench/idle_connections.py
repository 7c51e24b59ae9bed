#!/usr/bin/env python3
"""Resident memory per idle SMTP connection of a mailserver (by default chapter 26's).

Starts the server on 127.0.0.1 (every port 0, every file in a temporary directory), opens
COUNT connections that each read the 220 greeting and then say nothing, and prints the
server's resident memory (VmRSS from /proc) before and while they are held, and the cost per
connection. With --tls (chapter 27 on) each connection first says EHLO and STARTTLS and
completes the handshake, verifying the certificate the server made. Run it against the
optimized build:

    tests/bench/idle_connections.py [MAILSERVER] [--count 1000] [--tls]
"""
import argparse
import resource
import socket
import ssl
import sys
import tempfile
from pathlib import Path

from mailserver_process import DEFAULT_SERVER, resident_kb, start_server


def start_tls(client, certificate):
    """EHLO, STARTTLS and the handshake (RFC 3207); returns the TLS socket."""
    stream = client.makefile("rb")
    client.sendall(b"EHLO bench.test\r\n")
    while (line := stream.readline()) and line[3:4] == b"-":
        pass
    client.sendall(b"STARTTLS\r\n")
    if not stream.readline().startswith(b"220"):
        sys.exit("STARTTLS was refused")
    context = ssl.create_default_context(cafile=str(certificate))
    return context.wrap_socket(client, server_hostname="localhost")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mailserver", nargs="?", default=DEFAULT_SERVER, type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--tls", action="store_true", help="STARTTLS on every connection before it idles")
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
            if args.tls:
                clients = [start_tls(client, Path(directory) / "var/tls/cert.pem") for client in clients]
            held = resident_kb(server.pid)
            per_connection = (held - before) / args.count
            kind = "STARTTLS" if args.tls else "SMTP"
            print(f"{args.count} idle {kind} connections: VmRSS {before} kB before, {held} kB while held, "
                  f"{per_connection:.1f} kB per connection")
            for client in clients:
                client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
