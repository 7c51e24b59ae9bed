#!/usr/bin/env python3
"""POP3 over TLS against a mailsteps server, as Python's poplib and ssl modules do it.

pop3_tls_client.py SCENARIO PORT CAFILE [USER PASSWORD]

Each scenario prints what it saw, one fact a line, for the C++ test to check:
  stls        poplib on the POP3 port: CAPA, STLS (verifying the certificate for "localhost"),
              CAPA again, USER/PASS, STAT, RETR 1, QUIT
  pop3s       poplib on the pop3s port (implicit TLS): USER/PASS, STAT, LIST, QUIT
  plaintext   on the POP3 port of a server that takes no password outside TLS: CAPA, USER in
              the clear, then STLS, CAPA and the login
  pipelined   STLS with a USER command in the same packet, then the handshake and PASS
  twice       STLS with an argument, STLS, then STLS again inside TLS; and STLS after a login
  in_clear    poplib on the POP3 port from loopback, no TLS: the login, then CAPA and STLS
  garbage     STLS, then bytes that are not a TLS ClientHello
  stall       on the pop3s port, nothing: how long until the server closes
  busy        on the pop3s port of a server at its connection limit: what comes before the close
"""
import pathlib
import poplib
import socket
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "starttls" / "clients"))
from loopback_tls import CERTIFICATE_NAME, closed_by_server, context  # noqa: E402 (after the path it comes from)


class POP3(poplib.POP3):
    """Connects to 127.0.0.1 and checks the certificate STLS brings for "localhost"."""

    def __init__(self, port):
        super().__init__("127.0.0.1", port, timeout=10)
        self.host = CERTIFICATE_NAME  # what stls() gives ssl as server_hostname


class POP3_SSL(poplib.POP3_SSL):
    """The same for the pop3s port, where the handshake comes first (RFC 8314 3.1)."""

    def _create_socket(self, timeout):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout)
        return self.context.wrap_socket(sock, server_hostname=CERTIFICATE_NAME)


def capabilities(pop):
    return " ".join(sorted(pop.capa()))


def error_of(call):
    try:
        return call().decode()
    except poplib.error_proto as error:
        return error.args[0].decode()


def stls(port, cafile, user, password):
    pop = POP3(port)
    print("capa before", capabilities(pop))
    print("stls", pop.stls(context(cafile)).decode())
    print("version", pop.sock.version())
    print("capa after", capabilities(pop))
    pop.user(user)
    print("login", pop.pass_(password).decode())
    count, octets = pop.stat()
    print("stat", count, octets)
    _, lines, _ = pop.retr(1)
    print("retr", lines[-1].decode())
    print("quit", pop.quit().decode())


def pop3s(port, cafile, user, password):
    pop = POP3_SSL("127.0.0.1", port, context=context(cafile), timeout=10)
    print("version", pop.sock.version())
    print("capa", capabilities(pop))
    pop.user(user)
    print("login", pop.pass_(password).decode())
    print("stat", *pop.stat())
    print("list", len(pop.list()[1]))
    print("quit", pop.quit().decode())


def plaintext(port, cafile, user, password):
    pop = POP3(port)
    print("capa before", capabilities(pop))
    print("user before", error_of(lambda: pop.user(user)))
    print("pass before", error_of(lambda: pop.pass_(password)))
    pop.stls(context(cafile))
    print("capa after", capabilities(pop))
    pop.user(user)
    print("login", pop.pass_(password).decode())
    print("quit", pop.quit().decode())


def in_clear(port, _cafile, user, password):
    pop = POP3(port)
    pop.user(user)
    print("login", pop.pass_(password).decode())
    print("capa after login", capabilities(pop))  # RFC 2449 5: the same list in both states
    print("stls after login", error_of(lambda: pop._shortcmd("STLS")))
    print("quit", pop.quit().decode())


def line(stream):
    return stream.readline().decode().rstrip("\r\n")


def command(sock, stream, text):
    sock.sendall(text.encode() + b"\r\n")
    return line(stream)


def plain_until_stls(port, extra=b""):
    """Connects, reads the greeting, sends STLS (and `extra` in the same write), reads its answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    stream = sock.makefile("rb")
    line(stream)
    sock.sendall(b"STLS\r\n" + extra)
    print("stls", line(stream))
    return sock


def over_tls(sock, cafile):
    tls = context(cafile).wrap_socket(sock, server_hostname=CERTIFICATE_NAME)
    return tls, tls.makefile("rb")


def pipelined(port, cafile, user, password):
    sock = plain_until_stls(port, f"USER {user}\r\n".encode())
    tls, stream = over_tls(sock, cafile)
    print("pass", command(tls, stream, f"PASS {password}"))
    print("noop", command(tls, stream, "NOOP"))


def twice(port, cafile, user, password):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    stream = sock.makefile("rb")
    line(stream)
    print("with argument", command(sock, stream, "STLS now"))
    print("stls", command(sock, stream, "STLS"))
    tls, stream = over_tls(sock, cafile)
    print("again", command(tls, stream, "STLS"))
    command(tls, stream, f"USER {user}")
    print("login", command(tls, stream, f"PASS {password}"))
    print("after login", command(tls, stream, "STLS"))


def garbage(port, _cafile, _user, _password):
    sock = plain_until_stls(port)
    sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
    print("closed", closed_by_server(sock, 10))


def stall(port, _cafile, _user, _password):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.monotonic()
    print("closed", closed_by_server(sock, 30))
    print("after", round(time.monotonic() - start, 1))


def busy(port, _cafile, _user, _password):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    print("before close", sock.recv(4096))


if __name__ == "__main__":
    scenario, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    user, password = (sys.argv[4:6] + ["", ""])[:2]
    globals()[scenario](port, cafile, user, password)
