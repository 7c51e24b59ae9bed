"""One POP3 session with Python's poplib, the way a mail client runs it; prints what it saw.

usage: pop3_session.py PORT USER PASSWORD OUT_DIR [--delete N]...

Logs in with USER and PASS, asks STAT, LIST and UIDL, then for every message TOP n 0 and
RETR n, marks each --delete number with DELE, and QUITs. Prints one fact a line:

    login RESPONSE      stat COUNT SIZE      list N SIZE      uidl N UID
    retr N OCTETS       dele N               quit RESPONSE

RETR's OCTETS are what poplib counted on the wire, less the stuffed dots it took away
(RFC 1939 3). Each message goes to OUT_DIR/retr.N and each TOP to OUT_DIR/top.N as poplib's
lines, each followed by CRLF: the exact bytes sent whenever OCTETS equals the file's size.
"""
import argparse
import pathlib
import poplib


def as_text(response):
    return response.decode("utf-8", "replace")


def numbered(lines):
    """LIST and UIDL lines, "N VALUE", as (N, VALUE) pairs."""
    return [(int(number), value) for number, value in (line.decode().split(" ", 1) for line in lines)]


def run_session(port, user, password, out_dir, delete=(), after_login=lambda: None):
    """The whole session; returns the report lines. `after_login` runs once logged in."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = []
    client = poplib.POP3("127.0.0.1", port, timeout=30)
    try:
        client.user(user)
        report.append(f"login {as_text(client.pass_(password))}")
        after_login()
        count, size = client.stat()
        report.append(f"stat {count} {size}")
        for number, octets in numbered(client.list()[1]):
            report.append(f"list {number} {octets}")
        uids = numbered(client.uidl()[1])
        for number, uid in uids:
            report.append(f"uidl {number} {uid}")
        for number, _ in uids:
            _, lines, _ = client.top(number, 0)
            (out_dir / f"top.{number}").write_bytes(b"".join(line + b"\r\n" for line in lines))
            _, lines, octets = client.retr(number)
            (out_dir / f"retr.{number}").write_bytes(b"".join(line + b"\r\n" for line in lines))
            report.append(f"retr {number} {octets}")
        for number in delete:
            client.dele(number)
            report.append(f"dele {number}")
        report.append(f"quit {as_text(client.quit())}")
    finally:
        client.close()
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("out_dir")
    parser.add_argument("--delete", type=int, action="append", default=[])
    args = parser.parse_args()
    print("\n".join(run_session(args.port, args.user, args.password, args.out_dir, args.delete)))


if __name__ == "__main__":
    main()
