#!/usr/bin/env python3
"""A big POP3 mailbox, mailsteps' mailservers side by side with Dovecot, with Python's poplib.

Writes 10,000 messages of 4096 octets each as files into a Maildir's new/ (the same names and
bytes for both servers, each in its own copy, since Dovecot adds its index files to it),
then, in rounds that alternate which server goes first, starts each server fresh on 127.0.0.1
and measures over one connection: connect + USER + PASS + the first STAT, then UIDL, then RETR
of every message; then, the page cache warm, RETR of every message again over a third connection
by a client that pipelines (sends --window RETRs before it reads their answers). Before each run the mailbox's files are evicted from the page cache with
posix_fadvise(POSIX_FADV_DONTNEED), which needs no privileges. Dovecot keeps its index in the
Maildir, so only its first round finds the mailbox new; the table says so per round.

Dovecot runs as a private instance from a config file written into the temporary directory
(`dovecot -c CONF -F`): POP3 only, on a free port of 127.0.0.1, no SSL, the account in a
passwd-file with the same crypt(3) hash that `mailserver user add` stored. Install it with
`apt-get install --no-install-recommends dovecot-pop3d`; without it only mailsteps is measured.

    tests/bench/pop3_mailbox.py [MAILSERVER ...] [--rounds 2] [--messages 10000] [--names sized|plain]

By default chapter 25's mailserver (the plain one) and
chapter 26's (made fast), both from build-release/; each is called chNN after its directory
(NN_topic), or by its directory's name.
"""
import argparse
import grp
import os
import poplib
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def default_servers():
    return [REPOSITORY / "build-release/chapters" / chapter / "mailserver"
            for chapter in ("25_login_limits", "26_optimization")]


ADDRESS = "alice@localhost"
PASSWORD = "bench-secret"
MESSAGE_SIZE = 4096
START_TIMEOUT = 60
POP3_TIMEOUT = 600


class Stop(BaseException):
    """SIGTERM, SIGINT or SIGHUP: leave through the finally blocks, which stop the servers."""


def on_signal(number, _frame):
    raise Stop(f"signal {number}")


# ---------------------------------------------------------------------------------------------
# The mailbox


def message_text(number, rng):
    """Message `number`: LF line ends as Maildir keeps them, exactly MESSAGE_SIZE octets."""
    header = (f"Return-Path: <bob@example.test>\n"
              f"From: Bob <bob@example.test>\n"
              f"To: Alice <{ADDRESS}>\n"
              f"Subject: benchmark message {number}\n"
              f"Date: Mon, 6 Jan 2025 12:00:00 +0000\n"
              f"Message-ID: <bench.{number}@example.test>\n"
              f"\n")
    lines = [header]
    if number % 10 == 0:
        lines.append(".a line that goes out dot-stuffed\n")
    left = MESSAGE_SIZE - sum(len(line) for line in lines)
    letters = "abcdefghijklmnopqrstuvwxyz     "
    while left > 0:
        length = min(72, left - 1)
        lines.append("".join(rng.choices(letters, k=length)).strip().ljust(length, "x") + "\n")
        left -= length + 1
    text = "".join(lines).encode()
    assert len(text) == MESSAGE_SIZE
    return text


def write_mailbox(directory, count, sized_names):
    """The template Maildir; returns the contents of its messages."""
    rng = random.Random(1939)  # RFC 1939; fixed, so every run measures the same bytes
    for sub in ("new", "cur", "tmp"):
        (directory / sub).mkdir(parents=True)
    contents = []
    for number in range(1, count + 1):
        text = message_text(number, rng)
        # "<seconds>.M<microseconds>P<pid>Q<n>.<host>", then, as mailsteps' and Dovecot's deliveries
        # write them, the sizes on disk and with CRLF; without them both servers must read every file.
        name = f"{1736164800 + number}.M{number % 1000000:06d}P4242Q{number}.bench"
        if sized_names:
            wire_size = len(text) + text.count(b"\n")  # LF line ends, each sent as CRLF
            name += f",S={len(text)},W={wire_size}"
        (directory / "new" / name).write_bytes(text)
        contents.append(text)
    return contents


def copy_mailbox(template, maildir):
    maildir.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(template, maildir)


def evict_from_page_cache(directory):
    """Drop the pages of every file under `directory` from the page cache: a cold read follows.

    POSIX_FADV_DONTNEED drops only clean pages, hence the sync first. Returns the pages still
    cached afterwards as fincore(1) counts them, or None where fincore is missing."""
    os.sync()
    files = [path for path in directory.rglob("*") if path.is_file()]
    for path in files:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)
    if shutil.which("fincore") is None:
        return None
    cached = 0
    for start in range(0, len(files), 1000):
        output = subprocess.run(["fincore", "--noheadings", "--bytes", "--output", "PAGES",
                                 *map(str, files[start:start + 1000])],
                                capture_output=True, text=True, check=True).stdout
        cached += sum(int(pages) for pages in output.split())
    return cached


# ---------------------------------------------------------------------------------------------
# The servers


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_greeting(port, process, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; its log:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
                if probe.recv(512).startswith(b"+OK"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no POP3 greeting on port {port} within {START_TIMEOUT}s; the log:\n{tail(log)}")


def tail(log, lines=20):
    try:
        return "\n".join(Path(log).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process):
    """SIGTERM, then SIGKILL to the process group it leads, which holds its children."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Mailsteps:
    def __init__(self, program, directory):
        chapter = program.parent.name
        self.name = f"ch{chapter[:2]}" if re.match(r"\d\d_", chapter) else chapter
        self.program = program
        self.directory = directory
        self.maildir = directory / "mail" / "localhost" / "alice"
        self.users = directory / "users"
        self.log = directory / "mailserver.log"
        self.process = None
        subprocess.run([str(program), "user", "add", ADDRESS, "--users", str(self.users)],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)

    def password_hash(self):
        for line in self.users.read_text().splitlines():
            address, _, hash_ = line.partition(":")
            if address == ADDRESS:
                return hash_
        raise RuntimeError(f"{ADDRESS} is not in {self.users}")

    def start(self):
        with open(self.log, "a") as log:
            logged_before = log.tell()  # the log of an earlier run stays, and says it listened too
            self.process = subprocess.Popen(
                [str(self.program), "--smtp-port", "0", "--pop3-port", "0",
                 "--maildir-root", str(self.directory / "mail"), "--queue-dir", str(self.directory / "queue"),
                 "--users", str(self.users)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            logged = self.log.read_bytes()[logged_before:].decode(errors="replace")
            if match := re.search(r"listening on pop3 127\.0\.0\.1:(\d+)", logged):
                return int(match.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"mailserver did not start; its log:\n{tail(self.log)}")

    def stop(self):
        stop(self.process)
        self.process = None


DOVECOT_CONF = """\
# A private Dovecot for tests/bench/pop3_mailbox.py: POP3 only, on loopback, everything in {top}.
base_dir = {top}/run
state_dir = {top}/state
log_path = {top}/dovecot.log
instance_name = mailsteps-bench
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_verbose = yes
{users}
first_valid_uid = {uid}
first_valid_gid = {gid}
# Like mailsteps, which leaves fetched messages as they were: no rename to :2,S at QUIT.
pop3_no_flag_updates = yes
passdb {{
  driver = passwd-file
  args = {top}/passwd
}}
userdb {{
  driver = passwd-file
  args = {top}/passwd
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
{login_chroot}}}
{unprivileged}"""


class Dovecot:
    name = "dovecot"

    def __init__(self, directory, password_hash, template):
        self.top = directory
        self.home = directory / "home"
        self.maildir = self.home / "Maildir"
        self.conf = directory / "dovecot.conf"
        self.log = directory / "dovecot.log"
        self.process = None
        self.port = free_port()
        directory.mkdir()
        copy_mailbox(template, self.maildir)
        if os.getuid() == 0:
            # Dovecot refuses to touch mail as root ("Mail access not allowed for root"), so the mail
            # is nobody's; its other processes run as the package's users dovecot and dovenull.
            user = pwd.getpwnam("nobody")
            uid, gid = user.pw_uid, user.pw_gid
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, uid, gid)
            users = "default_internal_user = dovecot\ndefault_login_user = dovenull"
            login_chroot, unprivileged = "", ""
            for path in (directory.parent, directory):  # mkdtemp's 0700 would keep them all out
                path.chmod(0o755)
        else:
            # Without root: every process as us, and no chroot, which needs root.
            uid, gid = os.getuid(), os.getgid()
            me, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
            users = (f"default_internal_user = {me}\ndefault_internal_group = {group}\n"
                     f"default_login_user = {me}")
            login_chroot = "  chroot =\n"
            unprivileged = "service anvil {\n  chroot =\n}\n"
        self.conf.write_text(DOVECOT_CONF.format(top=directory, users=users, uid=uid, gid=gid,
                                                 port=self.port, login_chroot=login_chroot,
                                                 unprivileged=unprivileged))
        # passwd-file: user:password:uid:gid:gecos:home:shell:extra fields
        passwd = directory / "passwd"
        passwd.write_text(f"{ADDRESS}:{{CRYPT}}{password_hash}:{uid}:{gid}::{self.home}::"
                          f"userdb_mail=maildir:{self.maildir}\n")
        passwd.chmod(0o644)  # the auth process runs as dovecot; a throwaway password

    def start(self):
        # Its own log is log_path; what it says before that is open goes to stderr, into the same file.
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(["dovecot", "-c", str(self.conf), "-F"], stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_greeting(self.port, self.process, self.log)
        return self.port

    def stop(self):
        stop(self.process)
        self.process = None

    def version(self):
        return subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()

    def index_files(self):
        return sorted(path.name.removeprefix("dovecot").lstrip("-.")
                      for path in self.maildir.iterdir() if path.name.startswith("dovecot"))


# ---------------------------------------------------------------------------------------------
# One measurement


def pipelined_retr(port, count, window):
    """RETR of messages 1..count over one connection, `window` commands sent before their answers are
    read (RFC 2449 PIPELINING's way, which any RFC 1939 server must take, since it reads commands in
    order): what a client such as fetchmail does with a server that says PIPELINING. Returns the
    seconds the RETRs took and the messages as the server sent them (CRLF, dot-stuffed, no status)."""
    with socket.create_connection(("127.0.0.1", port), timeout=POP3_TIMEOUT) as connection:
        received = bytearray()

        def response_end(start, multi_line):
            terminator = b"\r\n.\r\n" if multi_line else b"\r\n"
            while (end := received.find(terminator, start)) < 0:
                start = max(start, len(received) - len(terminator))
                chunk = connection.recv(1 << 20)
                if not chunk:
                    raise RuntimeError("the server closed the connection")
                received.extend(chunk)
            return end + len(terminator)

        def single_line(command):
            if command:
                connection.sendall(command)
            end = response_end(0, False)
            if not received.startswith(b"+OK"):
                raise RuntimeError(f"{command!r}: {bytes(received[:end])!r}")
            del received[:end]

        single_line(None)  # the greeting
        single_line(f"USER {ADDRESS}\r\n".encode())
        single_line(f"PASS {PASSWORD}\r\n".encode())
        messages = []
        started = time.perf_counter()
        for first in range(1, count + 1, window):
            numbers = range(first, min(first + window, count + 1))
            connection.sendall(b"".join(b"RETR %d\r\n" % number for number in numbers))
            start = 0
            for _ in numbers:
                end = response_end(start, True)
                status_end = received.index(b"\r\n", start) + 2
                if not received.startswith(b"+OK", start):
                    raise RuntimeError(f"RETR: {bytes(received[start:status_end])!r}")
                messages.append(bytes(received[status_end:end - 3]))
                start = end
            del received[:start]
        seconds = time.perf_counter() - started
        single_line(b"QUIT\r\n")
    return seconds, messages


def from_wire(message):
    """A message as RETR sends it (CRLF, dot-stuffed, without the final ".") as the file keeps it (LF)."""
    lines = message.split(b"\r\n")[:-1]
    return b"".join((line[1:] if line.startswith(b".") else line) + b"\n" for line in lines)


def measure(server, expected, window):
    """Start `server`, time login + STAT, UIDL and RETR of everything with poplib, then RETR of
    everything again with a client that pipelines `window` commands; check what came, stop it."""
    port = server.start()
    client = None
    try:
        started = time.perf_counter()
        client = poplib.POP3("127.0.0.1", port, timeout=POP3_TIMEOUT)
        client.user(ADDRESS)
        client.pass_(PASSWORD)
        count, size = client.stat()
        login_stat = time.perf_counter() - started

        started = time.perf_counter()
        _, uids, _ = client.uidl()
        uidl = time.perf_counter() - started

        retrieved = []
        octets = 0
        started = time.perf_counter()
        for number in range(1, count + 1):
            _, lines, length = client.retr(number)
            retrieved.append(lines)
            octets += length
        retr = time.perf_counter() - started
        client.quit()

        # A second session at once: the same work with the page cache and the server warm.
        started = time.perf_counter()
        client = poplib.POP3("127.0.0.1", port, timeout=POP3_TIMEOUT)
        client.user(ADDRESS)
        client.pass_(PASSWORD)
        client.stat()
        again = time.perf_counter() - started
        client.quit()
        client = None

        # A third, the page cache warm: RETR of every message, pipelined.
        piped, piped_messages = pipelined_retr(port, count, window)
    finally:
        if client is not None:
            client.close()  # on the way out after a failure: mailsteps would wait out its shutdown grace
        server.stop()

    # What came must be the mailbox, byte for byte (LF again, dots unstuffed by poplib), in any order.
    if count != len(expected) or len(uids) != count or len(set(uids)) != count:
        raise RuntimeError(f"{server.name}: STAT says {count} messages, UIDL {len(uids)}, expected {len(expected)}")
    if sorted(b"\n".join(lines) + b"\n" for lines in retrieved) != sorted(expected):
        raise RuntimeError(f"{server.name}: the messages retrieved differ from the files")
    if sorted(map(from_wire, piped_messages)) != sorted(expected):
        raise RuntimeError(f"{server.name}: the messages retrieved by the pipelining client differ from the files")
    return {"login_stat": login_stat, "again": again, "uidl": uidl, "retr": retr, "size": size, "octets": octets,
            "piped": piped}


# ---------------------------------------------------------------------------------------------
# The report


def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def print_table(rows, count):
    print()
    print(f"{'round':<5}  {'server':<10} {'login+STAT s':>12} {'UIDL s':>7} {'RETR msg/s':>10} {'RETR MB/s':>9}"
          f" {'again s':>7} {'piped msg/s':>11}  note")
    for row in rows:
        if "ratio" in row:
            print(f"{row['round']:<5}  {'ratio':<10} " + " ".join(
                f"{value:>{width}}" for value, width in zip(row["ratio"], (12, 7, 10, 9, 7, 11))) + f"  {row['server']}/dovecot")
            continue
        result = row["result"]
        print(f"{row['round']:<5}  {row['server']:<10} {result['login_stat']:>12.3f} {result['uidl']:>7.3f} "
              f"{count / result['retr']:>10.0f} {result['octets'] / result['retr'] / 1e6:>9.2f} "
              f"{result['again']:>7.3f} {count / result['piped']:>11.0f}  {row['note']}")
    print()
    print("again s: login+STAT of a second session right after the first (page cache and server warm).")
    print("piped msg/s: RETR of every message in a third session, the client sending windows of RETRs before "
          "reading their answers.")
    print("ratio chNN/dovecot: above 1 in the time columns, or below 1 in the rate columns, "
          "means that mailsteps chapter is slower. MB = 10^6 octets as poplib counts them (CRLF line ends).")


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also where it came ignored, as in a shell's background job
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mailserver", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=32,
                        help="RETR commands the pipelining client sends before reading their answers (default 32)")
    parser.add_argument("--names", choices=("sized", "plain"), default="sized",
                        help="file names with ,S= and ,W= sizes, as deliveries write them (default), or without")
    args = parser.parse_args()
    programs = args.mailserver or default_servers()
    for program in programs:
        if not program.is_file():
            sys.exit(f"{program}: no such program "
                     "(build it: cmake --preset release && cmake --build --preset release)")

    servers = []
    top = Path(tempfile.mkdtemp(prefix="pop3-mailbox-bench-"))
    try:
        started = time.monotonic()
        contents = write_mailbox(top / "template", args.messages, args.names == "sized")
        print(f"{args.messages} messages of {MESSAGE_SIZE} octets written in {time.monotonic() - started:.1f}s, "
              f"names {'with' if args.names == 'sized' else 'without'} ,S= and ,W= sizes")
        for number, program in enumerate(programs):
            mailsteps = Mailsteps(program.resolve(), top / f"mailsteps{number}")
            copy_mailbox(top / "template", mailsteps.maildir)
            servers.append(mailsteps)
        if shutil.which("dovecot"):
            dovecot = Dovecot(top / "dovecot", servers[0].password_hash(), top / "template")
            servers.append(dovecot)
        else:
            print("dovecot is not installed (apt-get install --no-install-recommends dovecot-pop3d): "
                  "measuring mailsteps alone")
        shutil.rmtree(top / "template")

        rows = []
        caches = []
        for round_ in range(1, args.rounds + 1):
            # Each round starts with another server, so that a change in the machine's load falls on all alike.
            turn = (round_ - 1) % len(servers)
            order = servers[turn:] + servers[:turn]
            print(f"round {round_}: load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
            results = {}
            for server in order:
                cached = evict_from_page_cache(server.maildir)
                caches.append(cached)
                note = "cold (it keeps nothing between sessions)"
                if server.name == "dovecot":
                    index = server.index_files()
                    note = f"index kept: {' '.join(index)}" if index else "cold, no index yet"
                print(f"round {round_}: {server.name} ...", flush=True)
                results[server.name] = measure(server, contents, args.window)
                rows.append({"round": round_, "server": server.name, "result": results[server.name], "note": note})
            for name, m in results.items():
                if name == "dovecot" or "dovecot" not in results:
                    continue
                d = results["dovecot"]
                if m["size"] != d["size"]:
                    print(f"note: STAT sizes differ: {name} {m['size']}, dovecot {d['size']}")
                rows.append({"round": round_, "server": name, "ratio": (
                    ratio(m["login_stat"], d["login_stat"]), ratio(m["uidl"], d["uidl"]),
                    ratio(d["retr"], m["retr"]), ratio(d["retr"], m["retr"]), ratio(m["again"], d["again"]),
                    ratio(d["piped"], m["piped"]))})

        print(f"\n{args.messages} messages x {MESSAGE_SIZE} octets, one poplib connection to 127.0.0.1 each, "
              f"each server started fresh per run; STAT size {rows[0]['result']['size']} octets")
        print("mailsteps: " + ", ".join(f"{server.name} {server.program}" for server in servers
                                         if server.name != "dovecot") + " (default --threads 2)" + "".join(
            f"; Dovecot {server.version()}" for server in servers if server.name == "dovecot"))
        if None in caches:
            print("page cache: evicted with posix_fadvise(DONTNEED) before each run (not verified: no fincore)")
        else:
            print(f"page cache: evicted with posix_fadvise(DONTNEED) before each run; "
                  f"pages of the mailbox still cached afterwards (fincore): {caches}")
        print(f"load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())} ({os.cpu_count()} CPUs)")
        print_table(rows, args.messages)
    except Exception:
        for server in servers:
            print(f"--- the end of {server.log}:\n{tail(server.log)}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Stop as stopped:
        sys.exit(f"stopped by {stopped}")
