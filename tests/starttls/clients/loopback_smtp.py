"""smtplib clients that connect to 127.0.0.1 and check the server's certificate for "localhost".

smtplib checks the certificate against the host it connected to, so once connected they name
the host the certificate was made for (loopback_tls.py says why they connect to the address).
"""
import smtplib

from loopback_tls import CERTIFICATE_NAME


class SMTP(smtplib.SMTP):
    def connect(self, host="127.0.0.1", port=0, source_address=None):
        reply = super().connect(host, port, source_address)
        self._host = CERTIFICATE_NAME  # what starttls() gives ssl as server_hostname
        return reply


class SMTP_SSL(smtplib.SMTP_SSL):
    def _get_socket(self, host, port, timeout):
        self._host = CERTIFICATE_NAME  # the server_hostname of the handshake that follows
        return super()._get_socket(host, port, timeout)
