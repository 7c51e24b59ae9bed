"""Sends the message on stdin (with CRLF line ends) with Python's smtplib, as a real client would.

usage: send_message.py PORT FROM TO [TO...]

Prints the server's reply to the data ("250 2.0.0 Ok: queued as ...") and exits 0 when the
message was accepted for every recipient.
"""
import smtplib
import sys


def main():
    port, sender, recipients = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    message = sys.stdin.buffer.read()
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        client.ehlo()
        # RFC 6152: the text holds 8-bit UTF-8, so say so.
        code, reply = client.mail(sender, ["BODY=8BITMIME"])
        if code != 250:
            sys.exit(f"MAIL: {code} {reply.decode()}")
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            if code != 250:
                sys.exit(f"RCPT {recipient}: {code} {reply.decode()}")
        # smtplib doubles leading dots (RFC 5321 4.5.2) and adds the end-of-data line.
        code, reply = client.data(message)
        print(code, reply.decode())
        if code != 250:
            sys.exit(1)


if __name__ == "__main__":
    main()
