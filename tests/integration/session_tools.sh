#!/usr/bin/env bash
# tpm2-tools that authorize through an auth session (tpm2-tools 5.4 opens one with
# TPM2_StartAuthSession even for an empty password):
#   session_tools.sh mssim|swtpm setclock|clockrateadjust|pcrallocate|pcrevent
# While the TPM answers StartAuthSession with TPM_RC_COMMAND_CODE (0x143) the test reports
# itself skipped (exit 77) and names the failing command; any other failure fails, and once the
# tool works its results are checked in full.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: session_tools.sh PROTO TOOL}
TOOL=${2:?usage: session_tools.sh PROTO TOOL}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c

# run_tool CMD... — runs a tool; skips the test if it failed for want of StartAuthSession.
run_tool() {
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ]; then
        if grep -q "Esys_StartAuthSession(0x143)" <<<"$out"; then
            {
                echo "SKIPPED (pending): '$*' needs TPM2_StartAuthSession, which answers TPM_RC_COMMAND_CODE (0x143):"
                printf '%s\n' "$out" | sed 's/^/    /'
            } >&2
            exit 77
        fi
        printf '%s\n' "$out" >&2
        fail "'$*' failed with status $rc"
    fi
    printf '%s\n' "$out"
}

case "$TOOL" in
setclock)
    now=$(readclock_field clock)
    target=$((now + 100000000))
    run_tool tpm2_setclock "$target"
    after=$(readclock_field clock)
    [ "$after" -ge "$target" ] || fail "Clock is $after after tpm2_setclock $target"
    echo "ok: tpm2_setclock moved Clock to $after"
    out=$(tpm2_setclock "$now" 2>&1) && fail "setting Clock backwards must fail" || true
    check_match "tpm2_setclock backwards answers TPM_RC_VALUE" "$out" "0x[0-9a-f]*84|value"
    ;;
clockrateadjust)
    run_tool tpm2_clockrateadjust ss
    run_tool tpm2_clockrateadjust ff
    run_tool tpm2_clockrateadjust f
    echo "ok: tpm2_clockrateadjust ss, ff, f"
    c1=$(readclock_field clock)
    sleep 0.2
    c2=$(readclock_field clock)
    [ "$c2" -gt "$c1" ] || fail "Clock stopped after ClockRateAdjust ($c1 -> $c2)"
    ;;
pcrallocate)
    run_tool tpm2_pcrallocate sha256:all+sha1:none
    check_match "getcap pcrs before the restart: unchanged" "$(tpm2_getcap pcrs)" "sha1: \[ 0, 1"
    power_cycle "$PROTO"
    tpm2_startup -c
    pcrs=$(tpm2_getcap pcrs)
    check_match "getcap pcrs after PCR_Allocate + restart: sha256 allocated" "$pcrs" "sha256: \[ 0, 1"
    check_no_match "getcap pcrs after PCR_Allocate + restart: sha1 gone" "$pcrs" "sha1: \[ 0"
    ;;
pcrevent)
    printf 'event data\n' >"$WORK/event"
    tpm2_pcrread -o "$WORK/old" sha1:16+sha256:16 >/dev/null
    out=$(run_tool tpm2_pcrevent 16 "$WORK/event")
    check_match "tpm2_pcrevent reports the sha256 digest" "$out" "sha256: *$(sha256sum "$WORK/event" | cut -d' ' -f1)"
    tpm2_pcrread -o "$WORK/new" sha1:16+sha256:16 >/dev/null
    want=$(python3 - "$(hexof "$WORK/old")" "$WORK/event" <<'EOF'
import hashlib, sys
old = bytes.fromhex(sys.argv[1]); data = open(sys.argv[2], "rb").read()
print(hashlib.sha1(old[:20] + hashlib.sha1(data).digest()).hexdigest()
      + hashlib.sha256(old[20:] + hashlib.sha256(data).digest()).hexdigest())
EOF
)
    check_eq "PCR 16 after tpm2_pcrevent" "$(hexof "$WORK/new")" "$want"
    ;;
*) fail "unknown tool $TOOL" ;;
esac
stop_server 0
echo "PASS: $TOOL over $PROTO"
