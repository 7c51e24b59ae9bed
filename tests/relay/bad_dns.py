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
  many-mx         a hostile zone: 2,000 MX records for any name (over UDP just the TC bit, so
                  the whole answer goes over TCP), and SERVFAIL for every other query, so no
                  MX host ever gets an address (at once: a test need not wait out timeouts)

Were one of the forged NXDOMAINs believed, the mail would bounce at once instead of waiting.
Each query is logged on stderr with its name and type, "query ID for NAME TYPE: MODE", so a
test can count them.
"""
import argparse
import os
import selectors
import socket
import struct
import sys

QR, TC, RD, RA = 0x8000, 0x0200, 0x0100, 0x0080
SERVFAIL, NXDOMAIN = 2, 3
TYPE_MX, CLASS_IN = 15, 1
TYPE_NAMES = {1: "A", 5: "CNAME", 15: "MX", 16: "TXT", 28: "AAAA"}
MANY_MX = 2000


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


def type_of(question):
    (qtype,) = struct.unpack("!H", question[-4:-2])
    return TYPE_NAMES.get(qtype, str(qtype))


def many_mx(query_id, question):
    """MX mx1.NAME (preference 1) to mx2000.NAME, each name compressed (RFC 1035 4.1.4) as a
    label and a pointer to the question's name at offset 12: 46,000 octets or so."""
    records = b""
    for i in range(1, MANY_MX + 1):
        exchange = bytes([len(f"mx{i}")]) + f"mx{i}".encode() + b"\xc0\x0c"
        rdata = struct.pack("!H", i) + exchange
        records += b"\xc0\x0c" + struct.pack("!HHIH", TYPE_MX, CLASS_IN, 300, len(rdata)) + rdata
    return header(query_id, QR | RD | RA, 1, MANY_MX) + question + records


def answers(mode, query_id, question):
    """The datagrams to send back."""
    if mode == "many-mx":
        if type_of(question) == "MX":
            return [header(query_id, QR | TC | RD | RA) + question]
        return [header(query_id, QR | RD | RA | SERVFAIL) + question]
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


def read_exactly(connection, size):
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def answer_over_tcp(connection, mode):
    """RFC 1035 4.2.2: each message after its length in two octets. Only many-mx answers."""
    if mode != "many-mx":
        print("TCP connection closed unanswered", file=sys.stderr, flush=True)
        return
    connection.settimeout(5)
    length = read_exactly(connection, 2)
    packet = length and read_exactly(connection, struct.unpack("!H", length)[0])
    query = packet and parse_query(packet)
    if not query:
        print("TCP connection closed without a query", file=sys.stderr, flush=True)
        return
    query_id, question = query
    print(f"query {query_id} for {name_of(question)} {type_of(question)} over TCP: {mode}",
          file=sys.stderr, flush=True)
    if type_of(question) == "MX":
        response = many_mx(query_id, question)
        connection.sendall(struct.pack("!H", len(response)) + response)


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
                        choices=["garbage", "wrong-id", "wrong-question", "truncated", "silent", "many-mx"])
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
                try:
                    answer_over_tcp(connection, args.mode)
                except OSError as error:
                    print(f"TCP connection failed: {error}", file=sys.stderr, flush=True)
                connection.close()
                continue
            packet, client = udp.recvfrom(65535)
            query = parse_query(packet)
            if query is None:
                print("malformed query ignored", file=sys.stderr, flush=True)
                continue
            query_id, question = query
            print(f"query {query_id} for {name_of(question)} {type_of(question)}: {args.mode}",
                  file=sys.stderr, flush=True)
            for datagram in answers(args.mode, query_id, question):
                udp.sendto(datagram, client)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
