#!/usr/bin/env python3
"""SMTP receive over STARTTLS: a mailsteps mailserver side by side with a private Postfix that
uses the same certificate, at SESSIONS concurrent sessions.

    tests/bench/smtp_tls_receive.py [MAILSERVER] [--sessions 10] [--messages 200] [--rounds 3]

MAILSERVER defaults to chapter 30's, from build-release/. Needs root (Postfix's master starts as
root and runs its daemons as the `postfix` user) and the Debian package postfix.

Each session connects, says EHLO, STARTTLS (verifying the certificate for "localhost"), EHLO
again, then sends --messages messages of --size octets, each as MAIL, RCPT and DATA sent
together (both servers announce PIPELINING), and QUIT: the load of a client that keeps its
connection, where TLS costs one handshake and then the encryption of every octet. The clock
runs from the first connection until every message is a file in the mailbox's new/, since
Postfix answers 250 once the message is in its queue and delivers it afterwards. Both store
each message with two fsyncs before it counts (see smtp_receive.sh). The servers alternate,
ROUNDS times; the table shows each one's median and the ratio.

The client is Python, one process per session: on 2 cores it competes with the servers for
CPU, so the figures are lower than a C client's would be, for both servers alike.
"""
import argparse
import multiprocessing
import os
import pwd
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailserver_process import start_server

REPO = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Postfix:
    """Postfix 3.7's defaults, on 127.0.0.1 only, STARTTLS with `cert` and `key`, virtual(8)
    Maildirs for bench.test; nothing under /etc/postfix or /var/spool/postfix is touched."""

    def __init__(self, work, cert, key, mailboxes):
        self.work = work
        self.port = free_port()
        etc = work / "etc"
        postfix = pwd.getpwnam("postfix")
        for name in ("etc", "spool", "data", "mail"):
            (work / name).mkdir(parents=True)
        for name in ("data", "mail"):
            os.chown(work / name, postfix.pw_uid, postfix.pw_gid)
        (etc / "main.cf").write_text(f"""compatibility_level = 3.6
config_directory = {etc}
queue_directory = {work}/spool
data_directory = {work}/data
maillog_file = {work}/maillog
maillog_file_prefixes = {work}
myhostname = postfix.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
virtual_mailbox_domains = bench.test
virtual_mailbox_base = {work}/mail
virtual_mailbox_maps = texthash:{etc}/mailboxes
virtual_uid_maps = static:{postfix.pw_uid}
virtual_gid_maps = static:{postfix.pw_gid}
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
""")
        (etc / "master.cf").write_text(f"""127.0.0.1:{self.port} inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
proxymap unix - - n - - proxymap
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
tlsmgr unix - - n 1000? 1 tlsmgr
postlog unix-dgram n - n - 1 postlogd
""")
        (etc / "mailboxes").write_text("".join(f"{name}@bench.test {name}/\n" for name in mailboxes))
        for command in ("check", "start"):  # check makes the queue's directories
            subprocess.run(["postfix", "-c", str(etc), command], check=True, capture_output=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("Postfix did not start:\n" + (work / "maillog").read_text())

    def stop(self):
        subprocess.run(["postfix", "-c", str(self.work / "etc"), "stop"], capture_output=True)


def replies(stream, count):
    """Reads `count` SMTP replies; exits on any that is not positive."""
    for _ in range(count):
        while True:
            line = stream.readline()
            if not line or line[:1] not in b"23":
                sys.exit(f"unexpected reply: {line!r}")
            if line[3:4] != b"-":
                break


def session(port, cafile, recipient, messages, body):
    context = ssl.create_default_context(cafile=cafile)
    sock = socket.create_connection(("127.0.0.1", port))
    stream = sock.makefile("rb")
    replies(stream, 1)
    sock.sendall(b"EHLO bench.test\r\n")
    replies(stream, 1)
    sock.sendall(b"STARTTLS\r\n")
    replies(stream, 1)
    tls = context.wrap_socket(sock, server_hostname="localhost")
    stream = tls.makefile("rb")
    tls.sendall(b"EHLO bench.test\r\n")
    replies(stream, 1)
    envelope = f"MAIL FROM:<load@bench.test>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode()
    for _ in range(messages):
        tls.sendall(envelope)
        replies(stream, 3)
        tls.sendall(body)
        replies(stream, 1)
    tls.sendall(b"QUIT\r\n")
    tls.close()


def run_load(port, cafile, recipient, maildir, sessions, messages, body):
    """Seconds from the first connection until sessions * messages files are in maildir/new."""
    start = time.monotonic()
    with multiprocessing.Pool(sessions) as pool:
        pool.starmap(session, [(port, cafile, recipient, messages, body)] * sessions)
    new = maildir / "new"
    while not new.is_dir() or len(os.listdir(new)) < sessions * messages:
        time.sleep(0.001)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mailserver", nargs="?", type=Path,
                        default=REPO / "build-release/chapters/30_outbound_tls/mailserver")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200, help="per session")
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="mailsteps --threads")
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("postfix"):
        sys.exit("needs root and Debian's postfix package")
    line = b"x" * 76 + b"\r\n"
    body = b"Subject: bench\r\n\r\n" + line * (args.size // len(line)) + b".\r\n"
    total = args.sessions * args.messages

    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/var/tmp")) as directory:
        work = Path(directory)
        work.chmod(0o755)  # virtual(8) runs as the postfix user and writes below it
        # Each server in a block group of its own, so that Postfix's deleted queue files do not
        # slow the other's new files (ext4 without a journal; smtp_receive.sh says why).
        subprocess.run(["chattr", "+T", str(work)], stderr=subprocess.DEVNULL, check=False)
        (work / "mailsteps").mkdir()
        server, port = start_server(args.mailserver, work / "mailsteps", "--threads", str(args.threads))
        cert, key = work / "mailsteps/var/tls/cert.pem", work / "mailsteps/var/tls/key.pem"
        shutil.copy(cert, work / "cert.pem")
        shutil.copy(key, work / "key.pem")
        rates = {"mailsteps": [], "Postfix": []}
        postfix = None
        try:
            postfix = Postfix(work / "postfix", work / "cert.pem", work / "key.pem", [f"r{n}" for n in range(args.rounds)])
            for round_ in range(args.rounds):
                seconds = run_load(port, str(cert), f"r{round_}@localhost",
                                   work / f"mailsteps/mail/localhost/r{round_}", args.sessions, args.messages, body)
                rates["mailsteps"].append(total / seconds)
                seconds = run_load(postfix.port, str(cert), f"r{round_}@bench.test",
                                   work / f"postfix/mail/r{round_}", args.sessions, args.messages, body)
                rates["Postfix"].append(total / seconds)
                print(f"round {round_ + 1}: mailsteps {rates['mailsteps'][-1]:.0f} msgs/s, "
                      f"Postfix {rates['Postfix'][-1]:.0f} msgs/s", flush=True)
        finally:
            if postfix:
                postfix.stop()
            server.terminate()
            server.wait()
    ours, theirs = statistics.median(rates["mailsteps"]), statistics.median(rates["Postfix"])
    print(f"{args.sessions} sessions over STARTTLS, {args.messages} messages of {args.size} octets each: "
          f"mailsteps {ours:.0f} msgs/s, Postfix {theirs:.0f} msgs/s (medians of {args.rounds}), "
          f"ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
