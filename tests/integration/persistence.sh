#!/usr/bin/env bash
# The TPM's NV state survives the server: kill -9 after a command (the state is written after
# every command that changed it) and an orderly SIGTERM (which also records Clock).
#   persistence.sh mssim|swtpm
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: persistence.sh mssim|swtpm}
STATE="$WORK/state"

# 1. Shutdown(STATE), then SIGKILL: no chance to save anything at exit.
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
reset0=$(readclock_field reset_count)
restart0=$(readclock_field restart_count)
tpm2_shutdown
[ -f "$STATE/tpm-state" ] || fail "no state file in $STATE"
kill_server
echo "ok: killed the server with SIGKILL after Shutdown(STATE)"

# 2. Startup(STATE) succeeds only if the saved state is back.
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup
echo "ok: Startup(STATE) after restarting the server"
check_eq "restart_count survived kill -9" "$(readclock_field restart_count)" $((restart0 + 1))
check_eq "reset_count survived kill -9" "$(readclock_field reset_count)" "$reset0"
sleep 1
c1=$(readclock_field clock)
stop_server 0                                   # SIGTERM: orderly save, exit 0
grep -q "stopped (signal), state saved" "$WORK/server.log" || fail "no 'state saved' in the server log after SIGTERM"
echo "ok: SIGTERM saved the state"

# 3. Control: a fresh state directory has no saved state, so Startup(STATE) fails there.
# shellcheck disable=SC2046
start_server --state "$WORK/fresh" $(server_args_for "$PROTO")
use_tcti "$PROTO"
if tpm2_startup 2>/dev/null; then fail "Startup(STATE) on a fresh TPM must fail"; fi
echo "ok: Startup(STATE) on a fresh TPM fails"
stop_server 0

# 4. After the orderly stop, Clock continues where it was and the counters are there.
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
c2=$(readclock_field clock)
[ "$c2" -ge "$c1" ] || fail "Clock went back across an orderly restart ($c1 -> $c2)"
echo "ok: Clock continues across SIGTERM + restart ($c1 -> $c2)"
check_eq "reset_count after Startup(CLEAR)" "$(readclock_field reset_count)" $((reset0 + 1))
stop_server 0
echo "PASS: persistence over $PROTO"
