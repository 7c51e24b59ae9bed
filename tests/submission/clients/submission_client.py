#!/usr/bin/env python3
"""Submission (RFC 6409) against a mailsteps server, as Python's smtplib does it.

submission_client.py SCENARIO PORT CAFILE [USER PASSWORD [FROM TO]]

Each scenario prints what it saw, one fact a line, for the C++ test to check:
  send        STARTTLS, AUTH (smtplib picks PLAIN), then one message FROM -> TO
  implicit    the same on the submissions port: TLS from the first octet (RFC 8314)
  before_tls  EHLO, AUTH PLAIN and MAIL in the clear
  no_login    STARTTLS, then MAIL without AUTH
  login       STARTTLS, AUTH LOGIN step by step, then one message FROM -> TO
  cancel      STARTTLS, AUTH PLAIN answered with "*", then with something that is not base64
  wrong       STARTTLS, then AUTH PLAIN with USER and PASSWORD three times on one connection
  storm       COUNT connections at once (USER), each STARTTLS and AUTH PLAIN with a wrong password:
              how many were told "wrong" (535) and how many "too many from your address" (454)
  no_auth     STARTTLS, EHLO and AUTH on a port that offers no AUTH (the MX port)
"""
import base64
import pathlib
import smtplib
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "starttls" / "clients"))
from loopback_smtp import SMTP, SMTP_SSL  # noqa: E402 (after the path it comes from)
from loopback_tls import context  # noqa: E402


def print_reply(name, reply):
    code, text = reply
    print(name, code, text.decode(errors="replace").splitlines()[-1] if text else "")


def over_starttls(port, cafile, quiet=False):
    smtp = SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30)
    smtp.ehlo()
    offered_in_the_clear = smtp.has_extn("auth")
    smtp.starttls(context=context(cafile))
    smtp.ehlo()
    if not quiet:
        print("auth before tls", offered_in_the_clear)
        print("auth after tls", smtp.esmtp_features.get("auth", "").strip())
    return smtp


def send_message(smtp, sender, recipient):
    try:
        refused = smtp.sendmail(sender, [recipient], b"Subject: submitted\r\n\r\nSent by a logged-in client.\r\n")
        print("sent", len(refused))
    except smtplib.SMTPException as error:
        print("refused", getattr(error, "smtp_code", None) or list(error.recipients.values())[0][0])


def send(port, cafile, user, password, sender, recipient):
    with over_starttls(port, cafile) as smtp:
        try:
            print_reply("login", smtp.login(user, password))
        except smtplib.SMTPAuthenticationError as error:
            print("login", error.smtp_code, error.smtp_error.decode())
            return
        send_message(smtp, sender, recipient)


def implicit(port, cafile, user, password, sender, recipient):
    with SMTP_SSL("127.0.0.1", port, local_hostname="client.test", timeout=30, context=context(cafile)) as smtp:
        smtp.ehlo()
        print("auth", smtp.esmtp_features.get("auth", "").strip())
        print("starttls offered", smtp.has_extn("starttls"))
        print_reply("login", smtp.login(user, password))
        send_message(smtp, sender, recipient)


def before_tls(port, _cafile):
    with SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as smtp:
        smtp.ehlo()
        print("auth offered", smtp.has_extn("auth"))
        print_reply("auth", smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0alice@localhost\0secret").decode()))
        print_reply("mail", smtp.docmd("MAIL", "FROM:<alice@localhost>"))


def no_login(port, cafile):
    with over_starttls(port, cafile) as smtp:
        print_reply("mail", smtp.docmd("MAIL", "FROM:<alice@localhost>"))


def print_challenge(name, reply):
    """A 334 reply carries its prompt in base64 (RFC 4954 4); print it decoded."""
    code, text = reply
    print(name, code, base64.b64decode(text).decode() if code == 334 else text.decode())


def login(port, cafile, user, password, sender, recipient):
    with over_starttls(port, cafile) as smtp:
        print_challenge("auth", smtp.docmd("AUTH", "LOGIN"))
        print_challenge("user", smtp.docmd(base64.b64encode(user.encode()).decode()))
        print_reply("password", smtp.docmd(base64.b64encode(password.encode()).decode()))
        send_message(smtp, sender, recipient)


def cancel(port, cafile):
    with over_starttls(port, cafile) as smtp:
        print_reply("auth", smtp.docmd("AUTH", "PLAIN"))
        print_reply("cancelled", smtp.docmd("*"))
        print_reply("auth", smtp.docmd("AUTH", "PLAIN"))
        print_reply("not base64", smtp.docmd("not base64!"))
        print_reply("mechanism", smtp.docmd("AUTH", "CRAM-MD5"))
        print_reply("noop", smtp.docmd("NOOP"))


def wrong(port, cafile, user, password):
    with over_starttls(port, cafile) as smtp:
        plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        for attempt in range(3):
            try:
                print_reply("auth", smtp.docmd("AUTH", "PLAIN " + plain))
            except smtplib.SMTPServerDisconnected:
                print("disconnected")


def storm(port, cafile, count):
    codes = []
    lock = threading.Lock()

    def one():
        try:
            with over_starttls(port, cafile, quiet=True) as smtp:
                code, _ = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0alice@localhost\0guess").decode())
        except (smtplib.SMTPException, OSError) as error:
            code = type(error).__name__
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=one) for _ in range(int(count))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for code in sorted(set(codes), key=str):
        print(code, codes.count(code))


def no_auth(port, cafile):
    with over_starttls(port, cafile) as smtp:
        print_reply("auth", smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0alice@localhost\0secret").decode()))


if __name__ == "__main__":
    scenario, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    globals()[scenario](port, cafile, *sys.argv[4:])
