# Shared helpers of the integration tests (sourced by the *.sh tests).
#
# Environment (set by CTest, see CMakeLists.txt): VTPM_SERVER (the binary), VTPM_TEST_DIR
# (this directory).
#
# Every server a test starts is recorded by PID and stopped at exit (trap), never by name.
# Servers listen on port 0 (free ports picked by the server) and report the bound ports in a
# --ready-file; each test has its own temporary directory for state and logs.

set -euo pipefail

: "${VTPM_SERVER:?VTPM_SERVER must point to the vtpm-server binary}"
: "${VTPM_TEST_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vtpm-it.XXXXXX")
SERVER_PIDS=()
SERVER_SEQ=0
FAILURES=0
export TSS2_LOG=all+none   # keep tpm2-tss quiet; the tests print what matters

cleanup() {
    local rc=$?
    for pid in "${SERVER_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$WORK/server.log" ]; then
        echo "--- server log (last 40 lines) ---"
        tail -n 40 "$WORK/server.log"
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# check DESCRIPTION ACTUAL EXPECTED
check_eq() {
    if [ "$2" != "$3" ]; then
        fail "$1: got '$2', expected '$3'"
    fi
    echo "ok: $1"
}

# check_match DESCRIPTION TEXT EXTENDED-REGEX
check_match() {
    if ! grep -Eq -- "$3" <<<"$2"; then
        printf '%s\n' "$2" | head -n 20 >&2
        fail "$1: output does not match /$3/"
    fi
    echo "ok: $1"
}

check_no_match() {
    if grep -Eq -- "$3" <<<"$2"; then
        printf '%s\n' "$2" | head -n 20 >&2
        fail "$1: output matches /$3/"
    fi
    echo "ok: $1"
}

hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# start_server ARGS... — starts vtpm-server with --ready-file, waits until it listens, and sets
# SERVER_PID, READY (the ready file), MSSIM_PORT, MSSIM_PLATFORM_PORT, SWTPM_PORT,
# SWTPM_CTRL_PORT, SWTPM_UNIX_CTRL, SWTPM_UNIX_DATA (instance 0; others: ready_field).
start_server() {
    SERVER_SEQ=$((SERVER_SEQ + 1))
    READY="$WORK/ready.$SERVER_SEQ"
    "$VTPM_SERVER" --ready-file "$READY" "$@" 2>>"$WORK/server.log" &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    local i
    for i in $(seq 1 200); do
        [ -f "$READY" ] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" || true
            tail -n 5 "$WORK/server.log" >&2
            fail "vtpm-server exited during start-up"
        fi
        sleep 0.05
    done
    [ -f "$READY" ] || fail "vtpm-server did not write its ready file within 10 s"
    MSSIM_PORT=$(ready_field mssim 0 4)
    MSSIM_PLATFORM_PORT=$(ready_field mssim 0 5)
    SWTPM_PORT=$(ready_field swtpm 0 4)
    SWTPM_CTRL_PORT=$(ready_field swtpm 0 5)
    SWTPM_UNIX_CTRL=$(ready_field swtpm-unix 0 3)
    SWTPM_UNIX_DATA=$(ready_field swtpm-unix 0 4)
}

# ready_field PROTOCOL INSTANCE COLUMN — a column of the ready file's line for PROTOCOL/INSTANCE.
ready_field() {
    awk -v p="$1" -v i="$2" -v c="$3" '$1 == p && $2 == i { print $c }' "$READY"
}

# stop_server [EXPECTED_STATUS] — SIGTERM, wait, check the exit status (default 0).
stop_server() {
    local want=${1:-0} rc=0
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || rc=$?
    check_eq "vtpm-server exit status after SIGTERM" "$rc" "$want"
}

# kill_server — SIGKILL (no chance to save), wait.
kill_server() {
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
}

# wait_exit SECONDS — wait for the server to exit by itself; prints its status.
wait_exit() {
    local i
    for i in $(seq 1 $(($1 * 20))); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$SERVER_PID" 2>/dev/null && fail "vtpm-server did not exit within $1 s"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    echo "$rc"
}

# use_tcti mssim|swtpm|swtpm-unix — point tpm2-tools at the current server.
use_tcti() {
    case "$1" in
    mssim) export TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$MSSIM_PORT" ;;
    swtpm) export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT" ;;
    swtpm-unix) export TPM2TOOLS_TCTI="swtpm:path=$SWTPM_UNIX_DATA" ;;
    *) fail "unknown TCTI $1" ;;
    esac
    echo "using TPM2TOOLS_TCTI=$TPM2TOOLS_TCTI"
}

# server_args_for mssim|swtpm|swtpm-unix — listening options for a protocol.
server_args_for() {
    case "$1" in
    mssim) echo "--mssim 127.0.0.1:0" ;;
    swtpm) echo "--swtpm 127.0.0.1:0" ;;
    swtpm-unix) echo "--swtpm-unix $WORK/tpm.ctrl" ;;
    esac
}

# platform ARGS... — the Python platform-signal helper (power cycle, CMD_INIT, ...).
platform() { python3 "$VTPM_TEST_DIR/simclient.py" "$@"; }

# power_cycle mssim|swtpm|swtpm-unix — _TPM_Init through the platform channel of the protocol.
power_cycle() {
    case "$1" in
    mssim) platform mssim-power-cycle 127.0.0.1 "$MSSIM_PLATFORM_PORT" ;;
    swtpm) platform swtpm-init 127.0.0.1 "$SWTPM_CTRL_PORT" ;;
    swtpm-unix) platform swtpm-init unix "$SWTPM_UNIX_CTRL" ;;
    esac
}

# readclock_field NAME — a field of tpm2_readclock's output (time, clock, reset_count, ...).
readclock_field() {
    tpm2_readclock | awk -v k="$1:" '$1 == k { print $2 }'
}
