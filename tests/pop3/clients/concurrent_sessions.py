"""Several POP3 sessions at once, one thread each, all logged in at the same time.

usage: concurrent_sessions.py PORT OUT_DIR --delete N USER:PASSWORD...

Each thread runs pop3_session.run_session for its account, writing into OUT_DIR/USER/, and
waits after logging in until every other session has logged in too, so all are open together.
Prints each session's report lines prefixed with "USER "; exits 1 if any session failed.
"""
import argparse
import pathlib
import sys
import threading

from pop3_session import run_session


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("out_dir")
    parser.add_argument("--delete", type=int, action="append", default=[])
    parser.add_argument("accounts", nargs="+")
    args = parser.parse_args()

    everyone_logged_in = threading.Barrier(len(args.accounts), timeout=20)
    reports = {}
    failures = []

    def session(account):
        user, password = account.split(":", 1)
        try:
            reports[user] = run_session(args.port, user, password, pathlib.Path(args.out_dir) / user, args.delete,
                                        after_login=everyone_logged_in.wait)
        except Exception as error:  # reported below; the other sessions must not wait for this one
            everyone_logged_in.abort()
            failures.append(f"{user}: {error!r}")

    threads = [threading.Thread(target=session, args=(account,)) for account in args.accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for user, report in reports.items():
        for line in report:
            print(user, line)
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main()
