#!/usr/bin/env bash
# Every benchmark of docs/performance.md, one after the other, on the optimized build.
#
#   tests/bench/all.sh        (as root, for smtp_receive.sh's private Postfix)
#
# Needs what .ci/setup installs (postfix's tools, libbenchmark-dev), and Dovecot for the POP3
# comparison (apt-get install --no-install-recommends dovecot-pop3d; without it, mailsteps alone).
# Run it on an otherwise idle machine: the figures are ratios, but a busy machine still skews them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cmake --preset release >/dev/null
cmake --build --preset release --parallel "$(nproc)" >/dev/null

# Chapters 25 (plain) and 25 (made fast) side by side, against Postfix and Dovecot.
echo "== SMTP receive against Postfix"
ROUNDS=${ROUNDS:-5} tests/bench/smtp_receive.sh
echo "== POP3, 10,000 messages against Dovecot, names with their sizes (as delivered)"
tests/bench/pop3_mailbox.py --names sized
echo "== POP3, the same, names without sizes (written by another program)"
tests/bench/pop3_mailbox.py --names plain
echo "== idle SMTP connections"
tests/bench/idle_connections.py --count 1000
echo "== SMTP sessions in the middle of a big DATA"
tests/bench/data_memory.py --count 200 --megabytes 5
echo "== microbenchmarks"
build-release/tests/bench/ch26_benchmarks --benchmark_min_time=1 --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true
