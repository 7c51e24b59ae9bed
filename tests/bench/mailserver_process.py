"""Chapter 26's mailserver as the benchmark scripts start it: on 127.0.0.1, every port 0,
every file in a temporary directory, and no connection limit in the way."""
import re
import subprocess
import sys
from pathlib import Path

DEFAULT_SERVER = Path(__file__).resolve().parents[2] / "build-release/chapters/26_optimization/mailserver"


def resident_kb(pid):
    """The process's resident memory (VmRSS from /proc), in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def start_server(program, directory, *more):
    """Starts `program` with its files under `directory` and the options `more`; returns the
    process and its SMTP port, once its readiness lines are printed. It runs in `directory`,
    where chapter 27 and later make their certificate (var/tls/cert.pem)."""
    program = Path(program).resolve()
    help_text = subprocess.run([program, "--help"], capture_output=True, text=True).stdout
    for option in ("--submission-port", "--submissions-port", "--pop3s-port"):  # chapters 28 and 29 on
        if option in help_text:
            more = (option, "0", *more)
    server = subprocess.Popen(
        [str(program), "--smtp-port", "0", "--pop3-port", "0", "--maildir-root", f"{directory}/mail",
         "--queue-dir", f"{directory}/queue", "--users", f"{directory}/users", "--max-connections", "5000",
         "--max-connections-per-address", "5000", *more],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=directory)
    ports = {}
    while len(ports) < 2:
        line = server.stdout.readline()
        if not line:
            sys.exit("the server exited before it was ready")
        if match := re.match(r"listening on (\w+) [\d.]+:(\d+)", line):
            ports[match.group(1)] = int(match.group(2))
    return server, ports["smtp"]
