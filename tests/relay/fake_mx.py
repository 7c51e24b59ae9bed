#!/usr/bin/python3
"""A scriptable remote mail server for the relay tests, built on aiosmtpd (a real SMTP server).

It refuses the first --fail-first RCPT commands with --fail-reply, then accepts, and writes
each message it takes to --out (one file per message, the data as received). Like mailsteps'
own servers it prints "listening on smtp ADDR:PORT" once ready. With --fd it serves on a socket
it inherited, bound by the test, instead of binding one itself: the test held that port while
the MX host was down, and it never became free for another program to take.
"""
import argparse
import asyncio
import pathlib
import socket
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, fail_first, fail_reply, out):
        self.failures_left = fail_first
        self.fail_reply = fail_reply
        self.out = out
        self.received = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.failures_left > 0:
            self.failures_left -= 1
            return self.fail_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        name = self.out / f"message-{self.received}"
        name.write_bytes(envelope.original_content)
        (self.out / f"envelope-{self.received}").write_text(
            f"{envelope.mail_from}\n" + "\n".join(envelope.rcpt_tos) + "\n")
        return "250 2.0.0 OK"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fd", type=int, help="serve on this inherited bound socket, not on --host and --port")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-reply", default="451 4.3.0 Try again later")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    handler = Handler(args.fail_first, args.fail_reply, args.out)
    loop = asyncio.get_running_loop()
    factory = lambda: SMTP(handler, hostname="fake-mx.test")
    if args.fd is None:
        server = await loop.create_server(factory, args.host, args.port)
    else:
        server = await loop.create_server(factory, sock=socket.socket(fileno=args.fd))
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on smtp {host}:{port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
