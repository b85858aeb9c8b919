#!/usr/bin/env bash
# Start-up errors: one clear line starting "vtpm-server: " and a non-zero exit status.
source "$(dirname "$0")/lib.sh"

# expect_startup_error DESCRIPTION REGEX ARGS... — the server must exit != 0 at once with one
# "vtpm-server: " line matching REGEX on stderr.
expect_startup_error() {
    local what=$1 re=$2 rc=0
    shift 2
    timeout 10 "$VTPM_SERVER" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" -ne 0 ] || fail "$what: exit status 0"
    [ "$rc" -ne 124 ] || fail "$what: the server did not exit"
    check_eq "$what: one line on stderr" "$(wc -l <"$WORK/err")" 1
    check_match "$what: message" "$(cat "$WORK/err")" "^vtpm-server: .*$re"
    echo "   ($(cat "$WORK/err"), exit $rc)"
}

# A second server on the same state directory.
start_server --state "$WORK/state" --mssim 127.0.0.1:0
expect_startup_error "second server on the same --state" "in use by another vtpm-server" \
    --state "$WORK/state" --mssim 127.0.0.1:0
# ... also when the first one serves several instances and the second asks for one of them.
stop_server 0
start_server --state "$WORK/multi" --instances 2 --mssim 127.0.0.1:0
expect_startup_error "second server on an instance directory" "in use by another vtpm-server" \
    --state "$WORK/multi/1" --mssim 127.0.0.1:0

# Ports in use (both ports of a pair are checked).
expect_startup_error "mssim command port in use" "127.0.0.1:$MSSIM_PORT .*Address already in use" \
    --mssim "127.0.0.1:$MSSIM_PORT"
stop_server 0
# Only the second port of the pair in use: a helper holds port X+1 where X is free.
python3 - "$WORK/held" <<'PY' &
import socket, sys, time
while True:
    held = socket.socket(); held.bind(("127.0.0.1", 0)); held.listen()
    x = held.getsockname()[1] - 1
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", x)); probe.close(); break
    except OSError:
        probe.close(); held.close()
open(sys.argv[1] + ".tmp", "w").write(str(x)); __import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
HOLDER=$!
SERVER_PIDS+=("$HOLDER")   # stopped at exit like the servers
for i in $(seq 1 100); do [ -f "$WORK/held" ] && break; sleep 0.05; done
X=$(cat "$WORK/held")
expect_startup_error "mssim platform port in use" "127.0.0.1:$((X + 1)) \(mssim platform port.*Address already in use" \
    --mssim "127.0.0.1:$X"
kill "$HOLDER"

# The state directory cannot be created or written.
touch "$WORK/not-a-dir"
expect_startup_error "state directory below a regular file" "cannot create state directory" \
    --state "$WORK/not-a-dir/state" --mssim 127.0.0.1:0
if [ "$(id -u)" -ne 0 ]; then
    mkdir "$WORK/ro" && chmod 555 "$WORK/ro"
    expect_startup_error "read-only state directory" "not writable" --state "$WORK/ro" --mssim 127.0.0.1:0
fi

# A corrupt state file (and no good previous generation) is not silently replaced.
mkdir "$WORK/corrupt" && head -c 100 /dev/urandom >"$WORK/corrupt/tpm-state"
expect_startup_error "corrupt state" "tpm-state.*corrupt" --state "$WORK/corrupt" --mssim 127.0.0.1:0

# Unix socket in use.
start_server --swtpm-unix "$WORK/tpm.ctrl"
expect_startup_error "unix socket in use" "$WORK/tpm.ctrl.*in use" --swtpm-unix "$WORK/tpm.ctrl"
stop_server 0
[ ! -e "$WORK/tpm.ctrl" ] || fail "the unix socket was not removed at exit"
echo "ok: unix sockets removed at exit"

# Command line errors: exit status 2.
rc=0; "$VTPM_SERVER" --bogus 2>"$WORK/err" || rc=$?
check_eq "unknown option: exit status" "$rc" 2
check_match "unknown option: message" "$(cat "$WORK/err")" "^vtpm-server: unknown option '--bogus'"
rc=0; "$VTPM_SERVER" --mssim 127.0.0.1:99999 2>"$WORK/err" || rc=$?
check_eq "bad port: exit status" "$rc" 2
help=$("$VTPM_SERVER" --help)
for o in --state --mssim --swtpm --swtpm-unix --instances --ready-file --log-level --startup-clear; do
    check_match "--help documents $o" "$help" "^  $o"
done
echo "PASS: start-up errors"
