#!/usr/bin/python3
"""A name server that answers badly, for the relay's fault tests. Listens on 127.0.0.1 only, UDP
and TCP on the same port, and like mailsteps' own servers prints "listening on dns ADDR:PORT"
once ready. Every query is answered the way --mode says:

  garbage         an empty datagram, random bytes, a response cut short, and one whose name
                  is a compression pointer to itself: none of them a usable answer
  wrong-id        NXDOMAIN for the right question, with another ID (RFC 5452 9.1: a forgery)
  wrong-question  NXDOMAIN with the query's ID, for another name (a forgery too)
  truncated       the TC bit and nothing else; over TCP the connection is closed at once
  silent          nothing at all

Were one of the forged NXDOMAINs believed, the mail would bounce at once instead of waiting.
Each query is logged on stderr.
"""
import argparse
import os
import selectors
import socket
import struct
import sys

QR, TC, RD, RA = 0x8000, 0x0200, 0x0100, 0x0080
NXDOMAIN = 3


def parse_query(packet):
    """The query's ID and its question section (name, type, class) as bytes; None if malformed."""
    if len(packet) < 12:
        return None
    (query_id,) = struct.unpack("!H", packet[:2])
    at = 12
    while at < len(packet) and packet[at] != 0:
        at += 1 + packet[at]
    if at + 5 > len(packet):
        return None
    return query_id, packet[12:at + 5]


def header(query_id, flags, questions=1, answers=0):
    return struct.pack("!HHHHHH", query_id, flags, questions, answers, 0, 0)


def name_of(question):
    labels, at = [], 0
    while question[at] != 0:
        labels.append(question[at + 1:at + 1 + question[at]].decode("ascii", "replace"))
        at += 1 + question[at]
    return ".".join(labels)


def answers(mode, query_id, question):
    """The datagrams to send back."""
    if mode == "garbage":
        return [
            b"",
            os.urandom(1 + os.urandom(1)[0]),
            header(query_id, QR | RD | RA | NXDOMAIN, 1, 5) + question[:len(question) // 2],
            header(query_id, QR | RD | RA | NXDOMAIN) + b"\xc0\x0c" + question[-4:],
        ]
    if mode == "wrong-id":
        return [header((query_id + 1) % 65536, QR | RD | RA | NXDOMAIN) + question]
    if mode == "wrong-question":
        other = b"\x05other\x04test\x00" + question[-4:]
        return [header(query_id, QR | RD | RA | NXDOMAIN) + other]
    if mode == "truncated":
        return [header(query_id, QR | TC | RD | RA) + question]
    return []


def bind_udp_and_tcp():
    """A UDP and a TCP socket on the same free port of 127.0.0.1."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen()
        return udp, tcp
    sys.exit("no port free for both UDP and TCP")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", required=True,
                        choices=["garbage", "wrong-id", "wrong-question", "truncated", "silent"])
    args = parser.parse_args()
    udp, tcp = bind_udp_and_tcp()
    print(f"listening on dns 127.0.0.1:{udp.getsockname()[1]}", flush=True)
    events = selectors.DefaultSelector()
    events.register(udp, selectors.EVENT_READ)
    events.register(tcp, selectors.EVENT_READ)
    while True:
        for key, _ in events.select():
            if key.fileobj is tcp:
                connection, _ = tcp.accept()
                print("TCP connection closed unanswered", file=sys.stderr, flush=True)
                connection.close()
                continue
            packet, client = udp.recvfrom(65535)
            query = parse_query(packet)
            if query is None:
                print("malformed query ignored", file=sys.stderr, flush=True)
                continue
            query_id, question = query
            print(f"query {query_id} for {name_of(question)}: {args.mode}", file=sys.stderr, flush=True)
            for datagram in answers(args.mode, query_id, question):
                udp.sendto(datagram, client)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
