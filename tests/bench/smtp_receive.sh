#!/usr/bin/env bash
# SMTP receive throughput: one or more mailsteps mailservers side by side with a private Postfix,
# and with Postfix's smtp-sink, which stores nothing: the ceiling of SMTP and smtp-source here.
#
#   tests/bench/smtp_receive.sh [path-to-mailserver ...]
#
# By default chapter 25's mailserver (the plain one) and
# chapter 26's (made fast), both from build-release/. Each is called chNN after its directory
# (NN_topic), or by its directory's name.
#
# Environment: ROUNDS (default 5), LOADS (the loads to run, by index in `loads` below; default
# "0 1 2 3"), THREADS (mailsteps --threads, default 2), TMPDIR (where the work directory goes; it
# must be on the disk you care about, not a tmpfs, or fsync costs nothing).
# Needs root (Postfix's master starts as root and runs its daemons as the `postfix` user), the
# Debian package postfix (for /usr/sbin/smtp-source and the daemons) and python3.
#
# What is measured. For each load, smtp-source (one new connection per message) sends to one fresh
# mailbox; the clock runs from its start until every message is a file in that Maildir's new/,
# not until smtp-source exits: Postfix answers 250 once the message is in its queue and delivers
# afterwards. smtp-sink answers 250 to every message and throws it away: its clock stops when
# smtp-source exits. The loads run against mailsteps, then Postfix, then smtp-sink, then mailsteps
# again ... ROUNDS times, and the table shows each server's median msgs/s and the ratios
# mailsteps/Postfix and mailsteps/smtp-sink.
#
# Durability, so that the comparison is fair (both checked with strace):
#   mailsteps  before 250: writes tmp/NAME, fsync(file), link to new/NAME, fsync(new/)  -> 2 fsyncs
#   Postfix    before 250: cleanup writes the queue file in incoming/, fsync(file)      -> 1 fsync
#              afterwards: qmgr renames it to active/; virtual(8) writes tmp/NAME,
#              fsync(file), link to new/NAME (no directory fsync)                       -> 1 fsync
# Both are 2 fsyncs a message. mailsteps writes the message once, from the SMTP session itself:
# chapter 25 on the network thread that runs the session (--threads, so at most 2 fsyncs in flight),
# chapter 26 on one of its --disk-threads (16, so up to 16 in flight); Postfix writes it twice, from
# up to 100 smtpd/cleanup and 20 virtual processes at once.
#
# The Postfix instance lives entirely in the work directory: main.cf and master.cf written here
# (`postfix -c DIR`), its own queue_directory, data_directory and maillog_file, smtpd only on
# 127.0.0.1 at a free high port, no smtp/lmtp client in master.cf (nothing can leave the machine),
# no DNS (smtpd_peername_lookup=no, smtp_dns_support_level=disabled), mydestination empty, and
# virtual(8) Maildir delivery for the domain bench.test, as the postfix user. Everything else is
# Postfix 3.7's defaults (in_flow_delay, process limits, concurrency). Nothing under /etc/postfix
# or /var/spool/postfix is read or written.
#
# Nothing is deleted until the end, and each server gets a block group of its own. On ext4 without
# a journal (this machine's disk), a new file will not take an inode freed in the last minute (five,
# while its inode table block is unwritten): the allocator steps over each such inode of the block
# group, reading its deletion time. Deleting 4,000 files before a run of chapter 26 doubled the CPU
# it spent a message, in the same block group, and left it unchanged in another. Postfix deletes a
# queue file a message, and the server run after it paid for that. So the runs' Maildirs stay, and
# `chattr +T` on the work directory (the "top of a directory hierarchy" of chattr(1)) makes ext4
# spread its subdirectories, one per server, over block groups as it does the file system's top
# directories. Each server still pays for what it deletes itself. What a run deletes when it
# ends (its work directory) is in the way of the next run for six minutes: a block group being
# written to keeps its inode table dirty, and then ext4 waits 300 s more. So leave six minutes
# between runs (and after pop3_mailbox.py, which deletes 40,000 files), or the next run
# measures them.
#
# The "physical limit" lines: one thread writing a 2 KB file, fsync, rename into another directory,
# fsync of that directory, in a loop, in the same work directory (median of three one-second
# tries), before the rounds and after them: what one delivery path can do on this disk without
# any networking or parsing, the disk's speed at the time.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ $# -eq 0 ]]; then
    set -- "$repo/build-release/chapters/25_login_limits/mailserver" \
        "$repo/build-release/chapters/26_optimization/mailserver"
fi
mailservers=()
names=()
for program in "$@"; do
    mailservers+=("$(realpath "$program")")
    chapter=$(basename "$(dirname "$program")")
    [[ $chapter =~ ^([0-9][0-9])_ ]] && names+=("ch${BASH_REMATCH[1]}") || names+=("$chapter")
done
rounds=${ROUNDS:-5}
threads=${THREADS:-2}

# name  sessions  messages  payload-bytes
loads=(
    "2KBx2000,1-session     1  2000   2048"
    "2KBx2000,10-sessions  10  2000   2048"
    "2KBx2000,50-sessions  50  2000   2048"
    "100KBx500,10-sessions 10   500 102400"
)
read -r -a chosen <<<"${LOADS:-0 1 2 3}"

fail() { echo "smtp_receive.sh: $*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || fail "must run as root: Postfix's master starts as root"
for program in "${mailservers[@]}"; do
    [[ -x $program ]] || fail "no mailserver at $program (build it: cmake --preset release && cmake --build --preset release)"
done
for tool in postfix postconf /usr/sbin/smtp-source /usr/sbin/smtp-sink python3; do
    command -v "$tool" >/dev/null || fail "$tool not found (apt-get install postfix python3)"
done
id postfix >/dev/null 2>&1 || fail "no postfix user (the Debian package creates it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/smtp_receive.XXXXXX")
chattr +T "$work" 2>/dev/null || true # ext4 only; see "Nothing is deleted" above
chmod 755 "$work" # the postfix user must reach its spool and mailboxes below it
mailsteps_pids=()
mailsteps_ports=()
postfix_started=
sink_pid=

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${mailsteps_pids[@]}" $sink_pid; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n $postfix_started ]]; then
        local master
        master=$(tr -d ' ' <"$work/pf/spool/pid/master.pid" 2>/dev/null || true)
        postfix -c "$work/pf/etc" stop >/dev/null 2>&1 || true
        if [[ -n $master ]]; then
            for _ in $(seq 100); do
                kill -0 "$master" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$master" 2>/dev/null || true # only if it outlived `postfix stop` by 10 s
        fi
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One recipient per measured run, so that every run starts with an empty Maildir.
max_runs=$(( ${#loads[@]} * rounds * (${#mailservers[@]} + 2) )) # mailsteps, Postfix and smtp-sink

# smtp-source's sessions all come from 127.0.0.1, more than the default --max-connections-per-address
# (50) at moments; Postfix exempts $mynetworks (127.0.0.0/8 here) from its own per-client limit.
# start_mailsteps N: starts mailservers[N] with its files under $work/msN.
start_mailsteps() {
    local n=$1 ms=$work/ms$1 pid port
    mkdir -p "$ms"
    "${mailservers[$n]}" --listen 127.0.0.1 --threads "$threads" --smtp-port 0 --pop3-port 0 \
        --hostname mailsteps.bench.test --domain bench.test --maildir-root "$ms/mail" \
        --queue-dir "$ms/queue" --users "$ms/users" --dns-server 127.0.0.1:53 \
        --max-connections-per-address 1000 \
        >"$ms/log" 2>&1 &
    pid=$!
    mailsteps_pids+=("$pid")
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on smtp 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$ms/log")
        if [[ -n $port ]]; then
            mailsteps_ports[$n]=$port
            return
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$ms/log" >&2
    fail "${names[$n]} did not start"
}

# wait_for_port PORT NAME LOG: returns once 127.0.0.1:PORT takes connections; after 10 s, shows
# LOG and fails.
wait_for_port() {
    local port=$1 name=$2 log=$3
    for _ in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" \
            2>/dev/null && return
        sleep 0.1
    done
    cat "$log" >&2
    fail "$name does not answer on 127.0.0.1:$port"
}

start_postfix() {
    local pf=$work/pf
    mkdir -p "$pf/etc" "$pf/spool" "$pf/data" "$pf/mail"
    chown postfix: "$pf/data" "$pf/mail"
    postfix_port=$(free_port)
    cat >"$pf/etc/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $pf/etc
queue_directory = $pf/spool
data_directory = $pf/data
maillog_file = $pf/maillog
maillog_file_prefixes = $pf
myhostname = postfix.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
alias_maps =
alias_database =
biff = no
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $pf/mail
virtual_mailbox_maps = texthash:$pf/etc/mailboxes
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
EOF
    # Only the services this test needs; no smtp or lmtp client, so no mail can leave.
    cat >"$pf/etc/master.cf" <<EOF
# service         type       private unpriv chroot wakeup maxproc command
127.0.0.1:$postfix_port inet n       -      n      -      -       smtpd
cleanup           unix       n       -      n      -      0       cleanup
qmgr              unix       n       -      n      300    1       qmgr
rewrite           unix       -       -      n      -      -       trivial-rewrite
bounce            unix       -       -      n      -      0       bounce
defer             unix       -       -      n      -      0       bounce
trace             unix       -       -      n      -      0       bounce
verify            unix       -       -      n      -      1       verify
proxymap          unix       -       -      n      -      -       proxymap
error             unix       -       -      n      -      -       error
retry             unix       -       -      n      -      -       error
discard           unix       -       -      n      -      -       discard
virtual           unix       -       n      n      -      -       virtual
anvil             unix       -       -      n      -      1       anvil
scache            unix       -       -      n      -      1       scache
postlog           unix-dgram n       -      n      -      1       postlogd
EOF
    # virtual(8) refuses regular expressions with substitution, so every mailbox is listed.
    for n in $(seq 0 "$max_runs"); do
        echo "r$n@bench.test r$n/"
    done >"$pf/etc/mailboxes"
    postfix -c "$pf/etc" check || fail "postfix check failed"
    postfix_started=yes
    postfix -c "$pf/etc" start >/dev/null 2>&1 || { cat "$pf/maillog" >&2; fail "postfix did not start"; }
    wait_for_port "$postfix_port" postfix "$pf/maillog"
}

# smtp-sink drops root for the postfix user once it listens; a backlog of 1000 connections.
start_sink() {
    sink_port=$(free_port)
    /usr/sbin/smtp-sink -u postfix "127.0.0.1:$sink_port" 1000 >"$work/sink.log" 2>&1 &
    sink_pid=$!
    wait_for_port "$sink_port" smtp-sink "$work/sink.log"
}

# measure PORT MAILDIR SESSIONS MESSAGES BYTES RECIPIENT: prints "msgs/s seconds-until-smtp-source-exited".
# MAILDIR "-" (smtp-sink): the clock stops when smtp-source exits.
measure() {
    python3 - "$@" <<'EOF'
import os, subprocess, sys, time

port, maildir, sessions, messages, length, recipient = sys.argv[1:]
messages = int(messages)
new = os.path.join(maildir, "new")

def delivered():
    if maildir == "-":
        return messages if sent is not None else 0
    try:
        return sum(1 for _ in os.scandir(new))
    except FileNotFoundError:
        return 0

start = time.monotonic()
source = subprocess.Popen(["/usr/sbin/smtp-source", "-s", sessions, "-m", str(messages), "-l", length,
                           "-f", "bench@client.test", "-t", recipient, "-M", "client.test",
                           f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
sent = None
deadline = start + 600
while True:
    if sent is None and source.poll() is not None:
        if source.returncode != 0:
            sys.exit(f"smtp-source exited with {source.returncode}")
        sent = time.monotonic() - start
    count = delivered()
    if count >= messages:
        break
    if time.monotonic() > deadline:
        source.kill()
        sys.exit(f"only {count} of {messages} messages in {new} after 600 s")
    time.sleep(0.005)
elapsed = time.monotonic() - start
if sent is None:
    source.wait()
    sent = elapsed
print(f"{messages / elapsed:.1f} {sent:.2f}")
EOF
}

physical_limit() {
    python3 - "$work/fsync-probe-$1" <<'EOF'
import os, sys, time

root = sys.argv[1]
tmp, new = os.path.join(root, "tmp"), os.path.join(root, "new")
os.makedirs(tmp)
os.makedirs(new)
payload = b"x" * 2048
directory = os.open(new, os.O_RDONLY | os.O_DIRECTORY)
count = 0

def deliveries_per_second(seconds):
    global count
    done, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        name = str(count)
        fd = os.open(os.path.join(tmp, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, payload)
        os.fsync(fd)
        os.close(fd)
        os.rename(os.path.join(tmp, name), os.path.join(new, name))
        os.fsync(directory)
        count, done = count + 1, done + 1
    return done / (time.monotonic() - start)

# The disk is shared: the median of three one-second tries is steadier than one longer one.
tries = sorted(deliveries_per_second(1) for _ in range(3))
print(f"{tries[1]:.0f} (tries: {', '.join(f'{t:.0f}' for t in tries)})")
EOF
}

run_number=0
# run N|postfix LOAD-INDEX: one measured run of mailservers[N] or Postfix; appends "msgs/s" to
# results/NAME.LOAD-INDEX.
run() {
    local server=$1 index=$2 label name sessions messages bytes port maildir result rate sent
    read -r name sessions messages bytes <<<"${loads[$index]}"
    run_number=$((run_number + 1))
    if [[ $server == postfix ]]; then
        label=postfix port=$postfix_port maildir=$work/pf/mail/r$run_number
    elif [[ $server == sink ]]; then
        label=smtp-sink port=$sink_port maildir=-
    else
        label=${names[$server]} port=${mailsteps_ports[$server]} maildir=$work/ms$server/mail/bench.test/r$run_number
    fi
    if ! result=$(measure "$port" "$maildir" "$sessions" "$messages" "$bytes" "r$run_number@bench.test"); then
        tail -n 5 "$work"/ms*/log "$work/pf/maillog" >&2 # the work directory goes away on exit
        fail "$label, $name: no result"
    fi
    read -r rate sent <<<"$result"
    printf '  %-10s %-22s %8s msgs/s  (smtp-source done after %ss; load average %s)\n' "$label" "$name" "$rate" \
        "$sent" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
    echo "$rate" >>"$work/results/$label.$index"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

mkdir -p "$work/results"
echo "work directory: $work ($(df -T "$work" | awk 'NR == 2 { print $2 " on " $1 }'))" >&2
limit_before=$(physical_limit before)
for n in "${!mailservers[@]}"; do
    start_mailsteps "$n"
    echo "${names[$n]}: ${mailservers[$n]} --threads $threads on 127.0.0.1:${mailsteps_ports[$n]}" >&2
done
start_postfix
echo "Postfix $(postconf -c "$work/pf/etc" -h mail_version) on 127.0.0.1:$postfix_port" >&2
start_sink
echo "smtp-sink on 127.0.0.1:$sink_port" >&2

# Warm-up, not counted: Postfix starts its daemons, every server creates its first Maildir.
for n in "${!mailservers[@]}"; do
    measure "${mailsteps_ports[$n]}" "$work/ms$n/mail/bench.test/r0" 10 50 2048 r0@bench.test >/dev/null ||
        fail "${names[$n]} did not take the warm-up messages"
done
measure "$postfix_port" "$work/pf/mail/r0" 10 50 2048 r0@bench.test >/dev/null ||
    fail "Postfix did not deliver the warm-up messages"

# The servers take turns within each round, the first one changing from round to round, so that
# a change in the machine's load falls on all of them alike.
servers=("${!mailservers[@]}" postfix sink)
for round in $(seq "$rounds"); do
    echo "round $round of $rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    for index in "${chosen[@]}"; do
        for turn in "${!servers[@]}"; do
            run "${servers[$(( (turn + round - 1) % ${#servers[@]} ))]}" "$index"
        done
    done
done

# ratios A B: the ratios of the runs of A and B line by line (run k of one against run k of the other).
ratios() { paste "$1" "$2" | awk '{ print $1 / $2 }'; }

echo
echo "SMTP receive, time until every message is in new/ ($(nproc) CPUs, mailsteps --threads $threads," \
     "median of $rounds; ratio: the median of the rounds' ratios, and their range)"
header=$(printf '%-22s %10s %10s' load "Postfix" "smtp-sink")
for name in "${names[@]}"; do
    header+=$(printf ' %10s %20s %20s' "$name" "$name/Postfix" "$name/smtp-sink")
done
echo "$header"
for index in "${chosen[@]}"; do
    read -r name _ <<<"${loads[$index]}"
    pf=$work/results/postfix.$index sink=$work/results/smtp-sink.$index
    line=$(printf '%-22s %10.1f %10.1f' "$name" "$(median <"$pf")" "$(median <"$sink")")
    for label in "${names[@]}"; do
        ms=$work/results/$label.$index
        line+=$(printf ' %10.1f' "$(median <"$ms")")
        for other in "$pf" "$sink"; do
            line+=$(printf ' %7.2f (%.2f-%.2f)' "$(ratios "$ms" "$other" | median)" \
                "$(ratios "$ms" "$other" | sort -g | head -n 1)" "$(ratios "$ms" "$other" | sort -g | tail -n 1)")
        done
    done
    echo "$line"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "physical limit: write+fsync+rename+fsync(dir) of a 2 KB file per second, one thread:" \
     "$limit_before before the rounds, $(physical_limit after) after"
