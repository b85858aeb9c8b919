#!/usr/bin/env bash
# Authorization sessions with tpm2-tools 5.4 against vtpm-server: sessions.sh mssim|swtpm
#   tpm2_startauthsession (HMAC, policy, trial), tpm2_sessionconfig + tpm2_getrandom -S with
#   parameter encryption, tpm2_policy{pcr,commandcode,authvalue,password,restart} with every
#   digest recomputed in Python from the specification (Part 3 §23), tpm2_flushcontext of
#   sessions and tpm2_getcap handles-loaded-session / handles-saved-session.
# tpm2-tools keep sessions in context files: every tool loads the session (ContextLoad), uses
# it and saves it again (ContextSave), so these also exercise session contexts.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: sessions.sh mssim|swtpm}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

# handles KIND — the handles tpm2_getcap lists for handles-KIND, one per line.
handles() { tpm2_getcap "handles-$1" | sed -n 's/^- *//p'; }

# policy_hash HEX-DIGEST-OR-EMPTY HEX-DATA — SHA-256(old digest (zeros if empty) || data).
policy_hash() {
    python3 - "$1" "$2" <<'EOF'
import hashlib, sys
old = bytes.fromhex(sys.argv[1]) if sys.argv[1] else bytes(32)
print(hashlib.sha256(old + bytes.fromhex(sys.argv[2])).hexdigest())
EOF
}

# --- starting sessions --------------------------------------------------------------------
check_eq "no session is loaded or saved after start-up" "$(handles loaded-session)$(handles saved-session)" ""

tpm2_startauthsession --hmac-session -S hmac.ctx
tpm2_startauthsession --policy-session -S policy.ctx
tpm2_startauthsession -S trial.ctx                       # a trial session is the default
# The tools keep sessions saved between uses: none is loaded; all three are listed as saved
# (with the HMAC handle type, Part 3 §30.2), with their handle indexes 0, 1 and 2.
check_eq "getcap handles-loaded-session after three tpm2_startauthsession" "$(handles loaded-session)" ""
check_eq "getcap handles-saved-session lists the three sessions" \
    "$(handles saved-session | grep -Eo '0x[0-9a-fA-F]+$' | sed 's/.*\(..\)$/\1/' | tr '\n' ' ')" "00 01 02 "

tpm2_sessionconfig hmac.ctx >sc.txt
check_match "tpm2_sessionconfig shows an HMAC session handle" "$(cat sc.txt)" "Session-Handle: 0x02000000"
check_match "tpm2_sessionconfig: continueSession" "$(cat sc.txt)" "Session-Attributes: continuesession"
check_match "policy session handle" "$(tpm2_sessionconfig policy.ctx)" "Session-Handle: 0x03000001"
check_match "trial session handle" "$(tpm2_sessionconfig trial.ctx)" "Session-Handle: 0x03000002"

# --- parameter encryption: tpm2_getrandom -S with the response encrypted ---------------------
tpm2_sessionconfig hmac.ctx --enable-encrypt
check_match "tpm2_sessionconfig --enable-encrypt" "$(tpm2_sessionconfig hmac.ctx)" "Session-Attributes: continuesession\|encrypt"
tpm2_getrandom -S hmac.ctx -o r1 24
tpm2_getrandom -S hmac.ctx -o r2 24
check_eq "tpm2_getrandom -S (encrypt) returns 24 bytes" "$(stat -c %s r1)" 24
[ "$(hexof r1)" != "$(hexof r2)" ] || fail "two encrypted GetRandom results are equal"
echo "ok: two encrypted GetRandom results differ"

# An HMAC session authorizing ClockSet for the owner (empty authValue), response HMAC checked by ESAPI.
now=$(readclock_field clock)
tpm2_setclock -p session:hmac.ctx $((now + 50000000))
[ "$(readclock_field clock)" -ge $((now + 50000000)) ] || fail "tpm2_setclock with an HMAC session did not set Clock"
echo "ok: tpm2_setclock authorized by an HMAC session"

# --- policies: digests against Python ------------------------------------------------------
printf 'pcr event\n' >event
tpm2_pcrevent 16 event >/dev/null
tpm2_pcrread -o pcrs.bin sha256:0,1,16 >/dev/null
check_eq "tpm2_pcrread wrote three SHA-256 values" "$(stat -c %s pcrs.bin)" 96
sel=00000001000b03030001   # TPML_PCR_SELECTION: 1 selection, SHA-256, 3 octets, PCR 0, 1, 16
pcr_digest=$(python3 -c "import hashlib,sys; print(hashlib.sha256(open('pcrs.bin','rb').read()).hexdigest())")
want_pcr=$(policy_hash "" "0000017f${sel}${pcr_digest}")

tpm2_policypcr -S trial.ctx -l sha256:0,1,16 -L pcr.policy >/dev/null
check_eq "tpm2_policypcr (trial) digest" "$(hexof pcr.policy)" "$want_pcr"
tpm2_policypcr -S policy.ctx -l sha256:0,1,16 -L pcr2.policy >/dev/null
check_eq "tpm2_policypcr (policy session) digest" "$(hexof pcr2.policy)" "$want_pcr"
# With the PCR values given in a file that does not match: TPM_RC_VALUE for a policy session.
head -c 96 /dev/zero >zeros.bin
out=$(tpm2_policypcr -S policy.ctx -l sha256:0,1,16 -f zeros.bin 2>&1) && fail "tpm2_policypcr with wrong PCR values must fail"
check_match "tpm2_policypcr with wrong PCR values: TPM_RC_VALUE" "$out" "0x0*1[cC]4"

want_cc=$(policy_hash "$want_pcr" "0000016c00000182")
tpm2_policycommandcode -S trial.ctx -L cc.policy TPM2_CC_PCR_Extend >/dev/null
check_eq "tpm2_policycommandcode digest" "$(hexof cc.policy)" "$want_cc"

want_av=$(policy_hash "$want_cc" "0000016b")
tpm2_policyauthvalue -S trial.ctx -L av.policy >/dev/null
check_eq "tpm2_policyauthvalue digest" "$(hexof av.policy)" "$want_av"
want_pw=$(policy_hash "$want_av" "0000016b")   # PolicyPassword extends TPM_CC_PolicyAuthValue
tpm2_policypassword -S trial.ctx -L pw.policy >/dev/null
check_eq "tpm2_policypassword digest" "$(hexof pw.policy)" "$want_pw"

tpm2_policyrestart -S trial.ctx >/dev/null
tpm2_policycommandcode -S trial.ctx -L cc2.policy TPM2_CC_PCR_Extend >/dev/null
check_eq "tpm2_policyrestart resets the digest (then PolicyCommandCode from zero)" \
    "$(hexof cc2.policy)" "$(policy_hash "" "0000016c00000182")"
tpm2_policyrestart -S trial.ctx >/dev/null
tpm2_policypassword -S trial.ctx -L pw2.policy >/dev/null
check_eq "tpm2_policypassword from zero" "$(hexof pw2.policy)" "$(policy_hash "" "0000016b")"

# A SHA-1 trial session: 20-octet digests.
tpm2_startauthsession -S sha1.ctx -g sha1
tpm2_policycommandcode -S sha1.ctx -L sha1.policy 0x182 >/dev/null
check_eq "SHA-1 tpm2_policycommandcode digest" "$(hexof sha1.policy)" \
    "$(python3 -c "import hashlib; print(hashlib.sha1(bytes(20) + bytes.fromhex('0000016c00000182')).hexdigest())")"

# --- flushing sessions ---------------------------------------------------------------------
tpm2_flushcontext sha1.ctx
check_eq "saved sessions after flushing the SHA-1 trial session" \
    "$(handles saved-session | grep -Eo '0x[0-9a-fA-F]+$' | sed 's/.*\(..\)$/\1/' | tr '\n' ' ')" "00 01 02 "
tpm2_flushcontext trial.ctx
check_eq "saved sessions after flushing the trial session" \
    "$(handles saved-session | grep -Eo '0x[0-9a-fA-F]+$' | sed 's/.*\(..\)$/\1/' | tr '\n' ' ')" "00 01 "
tpm2_policycommandcode -S trial.ctx 0x182 >/dev/null 2>&1 && fail "a flushed session must not load again"
echo "ok: a flushed session context does not load"
# tpm2_flushcontext --saved-session flushes what getcap handles-saved-session lists.
tpm2_flushcontext --saved-session
check_eq "no saved session after tpm2_flushcontext -s" "$(handles saved-session)" ""
tpm2_getrandom -S hmac.ctx -o r4 8 >/dev/null 2>&1 && fail "the flushed HMAC session must be gone"
echo "ok: the flushed HMAC session is gone"
check_eq "nothing loaded at the end" "$(handles loaded-session)" ""

stop_server 0
echo "PASS: sessions over $PROTO"
