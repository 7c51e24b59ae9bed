#!/usr/bin/env python3
"""Captures real DNS packets from dnsmasq and dig into tests/dns/packets/NAME.txt.

Run with the test zones of NOTES.md up: dnsmasq on 127.0.0.1:5353 (zone .test)
and an authoritative dnsmasq on 127.0.0.1:5354 (zone auth.test). Queries are
built by hand here, independently of the C++ code under test.

Each file gets the capture's description as '#' lines and the octets as rows of an offset
and up to 8 octets in hex. The notes of chapter 12's dump are added by hand: the test
ch12.dns_explain.Explain.EachFixtureIsTheDumpOfItsOctets fails on a file without them and
prints the text to paste in under the '#' lines.
"""
import pathlib
import socket
import struct
import subprocess
import sys

ZONE = ("127.0.0.1", 5353)
AUTH = ("127.0.0.1", 5354)


def query(name, qtype, qid, edns):
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0) if edns else b""
    return header + qname + struct.pack(">HH", qtype, 1) + opt


def ask(server, name, qtype, qid, edns=True):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(query(name, qtype, qid, edns), server)
        return s.recv(65535)


def dig_query():
    """What dig itself sends: listen on a loopback port, let dig time out."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        dig = subprocess.Popen(["dig", "@127.0.0.1", "-p", str(port), "+tries=1",
                                "+time=1", "example.test", "MX"],
                               stdout=subprocess.DEVNULL)
        packet = s.recv(65535)
        dig.wait()
        return packet


CAPTURES = [
    # (file name, how it was captured, packet)
    ("dig_mx_query", "the query `dig @127.0.0.1 -p PORT example.test MX` sends (EDNS0 with a COOKIE option)",
     dig_query),
    ("mx_two_hosts", "example.test MX from dnsmasq :5353 (two MX, their addresses as additional records)",
     lambda: ask(ZONE, "example.test", 15, 0x1001)),
    ("a_record", "mx1.example.test A from dnsmasq :5353",
     lambda: ask(ZONE, "mx1.example.test", 1, 0x1002)),
    ("aaaa_record", "mx2.example.test AAAA from dnsmasq :5353",
     lambda: ask(ZONE, "mx2.example.test", 28, 0x1003)),
    ("cname_then_a", "alias.example.test A from dnsmasq :5353 (CNAME to mx1.example.test, then its A)",
     lambda: ask(ZONE, "alias.example.test", 1, 0x1004)),
    ("txt_two_strings", "txt.test TXT from dnsmasq :5353 (two character-strings)",
     lambda: ask(ZONE, "txt.test", 16, 0x1005)),
    ("null_mx", "nullmx.test MX from dnsmasq :5353 (RFC 7505 null MX `0 .`)",
     lambda: ask(ZONE, "nullmx.test", 15, 0x1006)),
    ("no_data", "nomx.test MX from dnsmasq :5353 (NOERROR, empty answer)",
     lambda: ask(ZONE, "nomx.test", 15, 0x1007)),
    ("nxdomain", "nxd.test A from dnsmasq :5353 (NXDOMAIN)",
     lambda: ask(ZONE, "nxd.test", 1, 0x1008)),
    ("unknown_type", "raw.test TYPE65534 from dnsmasq :5353 (rdata 0A000001, kept raw)",
     lambda: ask(ZONE, "raw.test", 65534, 0x1009)),
    ("soa_with_ns", "auth.test SOA from the authoritative dnsmasq :5354 (NS in the authority section)",
     lambda: ask(AUTH, "auth.test", 6, 0x100a)),
    ("big_txt_truncated", "big.test TXT from dnsmasq :5353 without EDNS0: too big for 512 octets, TC=1",
     lambda: ask(ZONE, "big.test", 16, 0x100b, edns=False)),
]


def fixture(comment, packet):
    lines = [f"# {comment}",
             "# Captured by tests/dns/capture_packets.py; the notes are chapter 12's dns::explain.",
             "# The tests read the octets: the offset, then up to 8 octets in hex (columns 7-30).",
             f";; {len(packet)} octets"]
    for i in range(0, len(packet), 8):
        lines.append(f"{i:04x}  " + " ".join(f"{b:02x}" for b in packet[i:i + 8]))
    return "\n".join(lines) + "\n"


def main():
    directory = pathlib.Path(__file__).resolve().parent / "packets"
    directory.mkdir(exist_ok=True)
    for name, comment, capture in CAPTURES:
        (directory / f"{name}.txt").write_text(fixture(comment, capture()))


if __name__ == "__main__":
    main()
