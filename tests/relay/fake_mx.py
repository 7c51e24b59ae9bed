#!/usr/bin/python3
"""A scriptable remote mail server for the relay tests, built on aiosmtpd (a real SMTP server).

It refuses the first --fail-first RCPT commands with --fail-reply, then accepts, and writes
each message it takes to --out (one file per message, the data as received). Like mailsteps'
own servers it prints "listening on smtp ADDR:PORT" once ready. With --fd it serves on a socket
it inherited, bound by the test, instead of binding one itself: the test held that port while
the MX host was down, and it never became free for another program to take.

Three ways to misbehave, the last two noted on stderr when they happen:
  --no-8bitmime        do not announce 8BITMIME (RFC 6152) in the EHLO reply
  --hold-quit          never answer QUIT: the client is stuck after its transaction
  --greet-554-on ADDR  also listen on ADDR, at the same port, as a host that greets every
                       client with 554 and takes no mail (RFC 5321 3.1)

With --starttls it offers STARTTLS (RFC 3207) with a self-signed certificate it makes in --out:
  good     the handshake works (TLS 1.2 or newer)
  broken   the server accepts only TLS 1.0 and 1.1, so a client that refuses them fails the
           handshake
  refused  STARTTLS is announced but answered 454
Each message's envelope file then ends with a line "tls=" and the TLS version, or "none".
"""
import argparse
import asyncio
import errno
import pathlib
import socket
import ssl
import subprocess
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, fail_first, fail_reply, out, hold_quit):
        self.failures_left = fail_first
        self.fail_reply = fail_reply
        self.out = out
        self.hold_quit = hold_quit
        self.received = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.failures_left > 0:
            self.failures_left -= 1
            return self.fail_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        # Each file appears whole (written under a dot name, then renamed), the envelope before
        # the message: a test that sees message-N can read envelope-N.
        def publish(name, data):
            hidden = self.out / f".{name}"
            hidden.write_bytes(data)
            hidden.rename(self.out / name)
        publish(f"envelope-{self.received}", (
            f"{envelope.mail_from}\n" + "\n".join(envelope.rcpt_tos) + "\n" + f"tls={tls_version(session)}\n").encode())
        publish(f"message-{self.received}", envelope.original_content)
        return "250 2.0.0 OK"

    async def handle_QUIT(self, server, session, envelope):
        if self.hold_quit:
            print("holding QUIT", file=sys.stderr, flush=True)
            await asyncio.Event().wait()  # forever
        return "221 Bye"


def tls_version(session):
    return session.ssl["ssl_object"].version() if session.ssl else "none"


class RefusingStartTls(SMTP):
    async def smtp_STARTTLS(self, arg):
        await self.push("454 4.7.0 TLS not available now")


def tls_context(mode, directory):
    """A server context with a fresh self-signed certificate; TLS 1.0 and 1.1 only if `broken`."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=fake-mx.test", "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if mode == "broken":
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


async def greet_554(reader, writer):
    print("greeted a client with 554", file=sys.stderr, flush=True)
    writer.write(b"554 5.7.1 fake-mx.test does not take mail from you\r\n")
    while line := await reader.readline():
        if line.strip().upper() == b"QUIT":
            writer.write(b"221 2.0.0 Bye\r\n")
            break
        writer.write(b"503 5.5.1 No mail here\r\n")
    writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fd", type=int, help="serve on this inherited bound socket, not on --host and --port")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-reply", default="451 4.3.0 Try again later")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--no-8bitmime", action="store_true")
    parser.add_argument("--hold-quit", action="store_true")
    parser.add_argument("--greet-554-on", metavar="ADDR")
    parser.add_argument("--starttls", choices=["good", "broken", "refused"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    handler = Handler(args.fail_first, args.fail_reply, args.out, args.hold_quit)
    loop = asyncio.get_running_loop()
    # aiosmtpd announces 8BITMIME unless it decodes the data as text.
    context = tls_context(args.starttls, args.out) if args.starttls else None
    server_class = RefusingStartTls if args.starttls == "refused" else SMTP
    factory = lambda: server_class(handler, hostname="fake-mx.test", decode_data=args.no_8bitmime,
                                   tls_context=context)
    refuser = None  # the --greet-554-on listener, open as long as main() runs
    while True:
        if args.fd is None:
            server = await loop.create_server(factory, args.host, args.port)
        else:
            server = await loop.create_server(factory, sock=socket.socket(fileno=args.fd))
        host, port = server.sockets[0].getsockname()[:2]
        if not args.greet_554_on:
            break
        try:
            refuser = await asyncio.start_server(greet_554, args.greet_554_on, port)
            break
        except OSError as error:
            # The port is taken on the other address: with port 0, try another one.
            server.close()
            await server.wait_closed()
            if error.errno != errno.EADDRINUSE or args.port != 0 or args.fd is not None:
                raise
    print(f"listening on smtp {host}:{port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
