#!/usr/bin/env bash
# tpm2-tools 5.4 against vtpm-server through one TCTI: tools.sh mssim|swtpm|swtpm-unix
# Values are checked against independent computations (sha*sum, python3 hashlib) and against
# what the TPM must report, not only exit codes.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: tools.sh mssim|swtpm|swtpm-unix}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"

# --- start-up and self test -------------------------------------------------------------
tpm2_startup -c
echo "ok: tpm2_startup -c"
# A second Startup gets TPM_RC_INITIALIZE, which tpm2_startup accepts; nothing is reset.
r=$(readclock_field reset_count)
tpm2_startup -c
check_eq "a second TPM2_Startup changes nothing (reset_count)" "$(readclock_field reset_count)" "$r"

tpm2_selftest --fulltest
out=$(tpm2_gettestresult)
check_match "tpm2_gettestresult after a full self test" "$out" "status: +success"

# --- random -----------------------------------------------------------------------------
tpm2_getrandom -o "$WORK/r1" 32
tpm2_getrandom -o "$WORK/r2" 32
check_eq "tpm2_getrandom 32 length" "$(stat -c %s "$WORK/r1")" 32
[ "$(hexof "$WORK/r1")" != "$(hexof "$WORK/r2")" ] || fail "two GetRandom results are equal"
echo "ok: two GetRandom results differ"
hex=$(tpm2_getrandom --hex 8)
check_match "tpm2_getrandom --hex 8" "$hex" "^[0-9a-f]{16}$"
tpm2_getrandom -o "$WORK/r3" 64      # TPM_PT_MAX_DIGEST: the most one GetRandom returns
check_eq "tpm2_getrandom 64 length" "$(stat -c %s "$WORK/r3")" 64

head -c 64 /dev/urandom >"$WORK/stir"
tpm2_stirrandom <"$WORK/stir"
echo "ok: tpm2_stirrandom (64 bytes from stdin)"
tpm2_getrandom -o "$WORK/r4" 16
check_eq "tpm2_getrandom after tpm2_stirrandom" "$(stat -c %s "$WORK/r4")" 16

# --- capabilities -----------------------------------------------------------------------
algs=$(tpm2_getcap algorithms)
for a in sha1 sha256 sha384 sha512 hmac; do
    check_match "getcap algorithms lists $a" "$algs" "^$a:"
done
check_match "getcap algorithms: sha256 is 0xB and a hash" "$(grep -A5 '^sha256:' <<<"$algs")" "value: +0xB"
check_match "getcap algorithms: sha256 hash bit" "$(grep -A5 '^sha256:' <<<"$algs")" "hash: +1"

cmds=$(tpm2_getcap commands)
for c in Startup Shutdown SelfTest GetTestResult GetRandom StirRandom GetCapability PCR_Read PCR_Extend \
    PCR_Reset PCR_Allocate Hash ReadClock ClockSet ClockRateAdjust; do
    check_match "getcap commands lists TPM2_CC_$c" "$cmds" "^TPM2_CC_$c:"
done
check_match "getcap commands: GetRandom commandIndex" "$(grep -A2 '^TPM2_CC_GetRandom:' <<<"$cmds")" "commandIndex: 0x17b"

fixed=$(tpm2_getcap properties-fixed)
check_match "TPM2_PT_FAMILY_INDICATOR is 2.0" "$(grep -A2 TPM2_PT_FAMILY_INDICATOR <<<"$fixed")" 'value: "2.0"'
check_match "TPM2_PT_PCR_COUNT is 24" "$(grep -A1 TPM2_PT_PCR_COUNT <<<"$fixed")" "raw: 0x18"
check_match "TPM2_PT_MAX_COMMAND_SIZE is 4096" "$(grep -A1 TPM2_PT_MAX_COMMAND_SIZE <<<"$fixed")" "raw: 0x1000"
check_match "TPM2_PT_MAX_DIGEST is 64" "$(grep -A1 TPM2_PT_MAX_DIGEST <<<"$fixed")" "raw: 0x40"

var=$(tpm2_getcap properties-variable)
check_match "TPM2_PT_STARTUP_CLEAR shEnable" "$var" "shEnable: +1"
check_match "TPM2_PT_STARTUP_CLEAR phEnable" "$var" "phEnable: +1"
check_match "TPM2_PT_PERMANENT ownerAuthSet 0" "$var" "ownerAuthSet: +0"

pcrs=$(tpm2_getcap pcrs)
check_match "getcap pcrs: sha1 bank 0..23" "$pcrs" "sha1: \[ 0, 1, 2, .*, 22, 23 \]"
check_match "getcap pcrs: sha256 bank 0..23" "$pcrs" "sha256: \[ 0, 1, 2, .*, 22, 23 \]"

curves=$(tpm2_getcap ecc-curves)
if grep -q '^ecc:' <<<"$algs"; then
    check_match "getcap ecc-curves lists NIST P-256" "$curves" "TPM2_ECC_NIST_P256"
else
    check_eq "getcap ecc-curves is empty without TPM_ALG_ECC" "$curves" ""
fi

perm=$(tpm2_getcap handles-permanent)
for h in 0x40000001 0x40000007 0x4000000A 0x4000000B 0x4000000C; do
    check_match "handles-permanent lists $h" "$perm" "^- $h$"
done
check_eq "handles-pcr lists 24 PCRs" "$(tpm2_getcap handles-pcr | wc -l)" 24
check_match "handles-pcr ends with PCR 23" "$(tpm2_getcap handles-pcr | tail -n1)" "^- 0x17$"
for kind in transient persistent nv-index loaded-session saved-session; do
    check_eq "handles-$kind is empty on a fresh TPM" "$(tpm2_getcap "handles-$kind")" ""
done

# --- PCRs -------------------------------------------------------------------------------
tpm2_pcrread -o "$WORK/p0" sha256:0 >/dev/null
check_eq "PCR 0 (sha256) after Startup at locality 0" "$(hexof "$WORK/p0")" "$(printf '0%.0s' $(seq 64))"
tpm2_pcrread -o "$WORK/p17" sha256:17 >/dev/null
check_eq "PCR 17 (sha256) after Startup" "$(hexof "$WORK/p17")" "$(printf 'f%.0s' $(seq 64))"

d256=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
d1=$(head -c 20 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
tpm2_pcrread -o "$WORK/old" sha1:16+sha256:16 >/dev/null
old=$(hexof "$WORK/old")
tpm2_pcrextend "16:sha1=$d1,sha256=$d256"
tpm2_pcrread -o "$WORK/new" sha1:16+sha256:16 >/dev/null
new=$(hexof "$WORK/new")
want=$(python3 - "$old" "$d1" "$d256" <<'EOF'
import hashlib, sys
old, d1, d256 = (bytes.fromhex(x) for x in sys.argv[1:])
print(hashlib.sha1(old[:20] + d1).hexdigest() + hashlib.sha256(old[20:] + d256).hexdigest())
EOF
)
check_eq "PCR 16 after tpm2_pcrextend = H(old || digest) in both banks" "$new" "$want"

tpm2_pcrreset 16
tpm2_pcrread -o "$WORK/reset" sha1:16+sha256:16 >/dev/null
check_eq "PCR 16 after tpm2_pcrreset" "$(hexof "$WORK/reset")" "$(printf '0%.0s' $(seq 104))"
out=$(tpm2_pcrreset 0 2>&1) && fail "resetting PCR 0 at locality 0 must fail" || true
check_match "tpm2_pcrreset 0 answers TPM_RC_LOCALITY" "$out" "0x907|locality"

# --- hash -------------------------------------------------------------------------------
printf 'vtpm integration test\n' >"$WORK/msg"
tpm2_hash -g sha256 -o "$WORK/h256" -t "$WORK/ticket" "$WORK/msg"
check_eq "tpm2_hash sha256" "$(hexof "$WORK/h256")" "$(sha256sum "$WORK/msg" | cut -d' ' -f1)"
tk=$(hexof "$WORK/ticket")
check_match "tpm2_hash -t: TPMT_TK_HASHCHECK for the owner hierarchy with an HMAC" "$tk" "^802440000001(00(14|20|30|40))"
[ ${#tk} -gt 16 ] || fail "hashcheck ticket has no digest"
tpm2_hash -g sha1 -o "$WORK/h1" "$WORK/msg"
check_eq "tpm2_hash sha1" "$(hexof "$WORK/h1")" "$(sha1sum "$WORK/msg" | cut -d' ' -f1)"
tpm2_hash -g sha384 -o "$WORK/h384" "$WORK/msg"
check_eq "tpm2_hash sha384" "$(hexof "$WORK/h384")" "$(sha384sum "$WORK/msg" | cut -d' ' -f1)"
head -c 5000 /dev/urandom >"$WORK/big"   # > MAX_DIGEST_BUFFER: a hash sequence
tpm2_hash -g sha256 -o "$WORK/hbig" -t "$WORK/tbig" "$WORK/big"
check_eq "tpm2_hash of 5000 bytes (hash sequence)" "$(hexof "$WORK/hbig")" "$(sha256sum "$WORK/big" | cut -d' ' -f1)"
printf '\377TCGrest' >"$WORK/generated"  # starts with TPM_GENERATED_VALUE: no ticket
tpm2_hash -g sha256 -o "$WORK/hgen" -t "$WORK/tgen" "$WORK/generated"
check_eq "tpm2_hash of TPM_GENERATED data gives a NULL ticket" "$(hexof "$WORK/tgen")" "8024400000070000"

# --- clock ------------------------------------------------------------------------------
c1=$(readclock_field clock)
sleep 0.2
clock_out=$(tpm2_readclock)
c2=$(awk '$1 == "clock:" { print $2 }' <<<"$clock_out")
check_match "tpm2_readclock reports a clock" "$c2" "^[0-9]+$"
[ "$c2" -ge $((c1 + 150)) ] || fail "Clock advanced from $c1 to $c2 in 200 ms"
echo "ok: Clock advances ($c1 -> $c2)"
check_match "tpm2_readclock: safe" "$clock_out" "safe: yes"

# --- shutdown and startup ---------------------------------------------------------------
reset0=$(readclock_field reset_count)
restart0=$(readclock_field restart_count)
tpm2_shutdown                          # Shutdown(STATE)
power_cycle "$PROTO"
tpm2_startup                           # Startup(STATE): TPM Restart
check_eq "restart_count after Shutdown(STATE), power cycle, Startup(STATE)" "$(readclock_field restart_count)" $((restart0 + 1))
check_eq "reset_count unchanged by a TPM Restart" "$(readclock_field reset_count)" "$reset0"
tpm2_shutdown -c                       # Shutdown(CLEAR)
power_cycle "$PROTO"
out=$(tpm2_startup 2>&1) && fail "Startup(STATE) after Shutdown(CLEAR) must fail" || true
tpm2_startup -c
check_eq "reset_count after Shutdown(CLEAR), power cycle, Startup(CLEAR)" "$(readclock_field reset_count)" $((reset0 + 1))
check_eq "restart_count is 0 after a TPM Reset" "$(readclock_field restart_count)" 0

stop_server 0
echo "PASS: tpm2-tools over $PROTO"
