#!/usr/bin/env python3
"""STARTTLS against a mailsteps server, as Python's ssl module does it.

starttls_client.py SCENARIO PORT CAFILE

Each scenario prints what it saw, one fact a line, for the C++ test to check:
  send        smtplib: EHLO, STARTTLS (verifying the certificate for "localhost"), EHLO, one
              message to postmaster@localhost, QUIT
  pipelined   STARTTLS with a MAIL command in the same packet, then the handshake and RCPT
  twice       STARTTLS with an argument, STARTTLS, then STARTTLS again inside TLS
  old         a client that offers only TLS 1.0 and 1.1
  garbage     STARTTLS, then bytes that are not a TLS ClientHello
  stall       STARTTLS, then nothing: how long until the server closes
"""
import socket
import ssl
import sys
import time

from loopback_smtp import SMTP
from loopback_tls import closed_by_server, context


def reply(stream):
    """One SMTP reply (RFC 5321 4.2.1): its code and its lines."""
    lines = []
    while True:
        line = stream.readline()
        if not line:
            return 0, lines
        lines.append(line.decode().rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), lines


def command(sock, stream, text):
    sock.sendall(text.encode() + b"\r\n")
    return reply(stream)


def plain_until_starttls(port, extra=b""):
    """Connects, greets, sends STARTTLS (and `extra` in the same write), reads the 220."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    stream = sock.makefile("rb")
    reply(stream)
    command(sock, stream, "EHLO client.test")
    sock.sendall(b"STARTTLS\r\n" + extra)
    code, _ = reply(stream)
    print("starttls", code)
    return sock, stream


def send(port, cafile):
    with SMTP("127.0.0.1", port, local_hostname="client.test", timeout=10) as smtp:
        smtp.ehlo()
        print("offered", smtp.has_extn("starttls"))
        code, _ = smtp.starttls(context=context(cafile))
        print("starttls", code)
        print("version", smtp.sock.version())
        smtp.ehlo()
        print("offered after", smtp.has_extn("starttls"))
        smtp.sendmail("alice@example.test", ["postmaster@localhost"],
                      b"Subject: over TLS\r\n\r\nSent with STARTTLS.\r\n")
        print("sent")


def pipelined(port, cafile):
    sock, _ = plain_until_starttls(port, b"MAIL FROM:<injected@evil.test>\r\n")
    tls = context(cafile).wrap_socket(sock, server_hostname="localhost")
    stream = tls.makefile("rb")
    print("mail before ehlo", command(tls, stream, "MAIL FROM:<alice@example.test>")[0])
    print("ehlo", command(tls, stream, "EHLO client.test")[0])
    print("rcpt", command(tls, stream, "RCPT TO:<postmaster@localhost>")[0])


def twice(port, cafile):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    stream = sock.makefile("rb")
    reply(stream)
    command(sock, stream, "EHLO client.test")
    print("with argument", command(sock, stream, "STARTTLS now")[0])
    print("starttls", command(sock, stream, "STARTTLS")[0])
    tls = context(cafile).wrap_socket(sock, server_hostname="localhost")
    stream = tls.makefile("rb")
    command(tls, stream, "EHLO client.test")
    print("again", command(tls, stream, "STARTTLS")[0])
    print("noop", command(tls, stream, "NOOP")[0])


def old(port, cafile):
    sock, _ = plain_until_starttls(port)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.load_verify_locations(cafile)
    tls.minimum_version = ssl.TLSVersion.TLSv1
    tls.maximum_version = ssl.TLSVersion.TLSv1_1
    tls.set_ciphers("DEFAULT:@SECLEVEL=0")  # this client's OpenSSL would refuse 1.1 itself otherwise
    try:
        tls.wrap_socket(sock, server_hostname="localhost")
        print("handshake succeeded")
    except (ssl.SSLError, OSError) as error:
        print("handshake failed", type(error).__name__)


def garbage(port, _cafile):
    sock, _ = plain_until_starttls(port)
    sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
    print("closed", closed_by_server(sock, 10))


def stall(port, _cafile):
    sock, _ = plain_until_starttls(port)
    start = time.monotonic()
    print("closed", closed_by_server(sock, 30))
    print("after", round(time.monotonic() - start, 1))


if __name__ == "__main__":
    scenario, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    globals()[scenario](port, cafile)
