"""What the TLS test clients share: the name the server's certificate is made for, a context
that trusts that certificate, and how to tell that the server closed the connection.

The servers under test listen on 127.0.0.1 and make their certificate for "localhost".
Connecting to "localhost" would try ::1 first, where another test's server might listen on the
same port number; so the clients connect to 127.0.0.1 and check the certificate for the name.
"""
import socket
import ssl

CERTIFICATE_NAME = "localhost"


def context(cafile):
    """A client context that trusts `cafile` and checks the server's name (Python's defaults)."""
    return ssl.create_default_context(cafile=cafile)


def closed_by_server(sock, timeout):
    """True when the server closes the connection (EOF or reset) within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
