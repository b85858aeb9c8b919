#!/usr/bin/env bash
# Hierarchy and dictionary-attack commands with tpm2-tools 5.4 against vtpm-server through one
# TCTI: hierarchy.sh mssim|swtpm
# tpm2_changeauth on owner/endorsement/lockout/platform, tpm2_setprimarypolicy,
# tpm2_hierarchycontrol, tpm2_clearcontrol, tpm2_clear, tpm2_changeeps, tpm2_changepps,
# tpm2_dictionarylockout, and the lockout a wrong password brings.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: hierarchy.sh mssim|swtpm}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

# prop NAME — a TPM property value ("NAME: 0x..." in tpm2_getcap properties-variable).
permanent() { tpm2_getcap properties-variable | sed -n '/^TPM2_PT_PERMANENT:/,/^TPM2_PT_STARTUP_CLEAR:/p'; }
startup_clear() { tpm2_getcap properties-variable | sed -n '/^TPM2_PT_STARTUP_CLEAR:/,/^TPM2_PT_HR_NV_INDEX:/p'; }
prop() { tpm2_getcap properties-variable | awk -v k="$1:" '$1 == k { print $2; exit }'; }
ekpub() {
    tpm2_createprimary -C e -p "" ${1:+-P "$1"} -G ecc256 -c ek.ctx >/dev/null
    tpm2_readpublic -c ek.ctx -o ek.pub >/dev/null
    tpm2_flushcontext -t
    hexof ek.pub
}

# --- tpm2_changeauth on the hierarchies ----------------------------------------------------
tpm2_changeauth -c owner ownerpw
tpm2_changeauth -c endorsement endorsepw
tpm2_changeauth -c lockout lockpw
tpm2_changeauth -c platform platpw
check_match "ownerAuthSet, endorsementAuthSet, lockoutAuthSet" "$(permanent)" "ownerAuthSet: +1"
check_match "endorsementAuthSet" "$(permanent)" "endorsementAuthSet: +1"
check_match "lockoutAuthSet" "$(permanent)" "lockoutAuthSet: +1"
if tpm2_createprimary -C o -c o.ctx >/dev/null 2>err.txt; then fail "createprimary with the old owner auth succeeded"; fi
check_match "createprimary with the old owner auth: bad auth" "$(cat err.txt)" "0x9A2|bad auth"
tpm2_createprimary -C o -P ownerpw -c o.ctx >/dev/null
tpm2_flushcontext -t
check_eq "createprimary with the new owner auth" "ok" "ok"
tpm2_changeauth -c owner -p ownerpw ownerpw2
tpm2_changeauth -c owner -p ownerpw2
check_match "owner auth back to empty" "$(permanent)" "ownerAuthSet: +0"
tpm2_changeauth -c platform -p platpw
tpm2_changeauth -c endorsement -p endorsepw

# --- tpm2_setprimarypolicy ---------------------------------------------------------------
# Owner policy: PolicyCommandCode(TPM2_CC_ClockSet); the digest is computed by tpm2-tools in a
# trial session and compared with python.
tpm2_startauthsession -S trial.ctx
tpm2_policycommandcode -S trial.ctx -L cc.policy TPM2_CC_ClockSet >/dev/null
tpm2_flushcontext trial.ctx
want=$(python3 -c "import hashlib; print(hashlib.sha256(bytes(32) + (0x16C).to_bytes(4,'big') + (0x128).to_bytes(4,'big')).hexdigest())")
check_eq "policycommandcode digest" "$(hexof cc.policy)" "$want"
tpm2_setprimarypolicy -C o -L cc.policy -g sha256
tpm2_startauthsession --policy-session -S pol.ctx
tpm2_policycommandcode -S pol.ctx TPM2_CC_ClockSet >/dev/null
now=$(tpm2_readclock | awk '$1 == "clock:" { print $2; exit }')
tpm2_setclock -c o -p session:pol.ctx $((now + 100000))
tpm2_flushcontext pol.ctx
check_eq "setclock authorized by the owner policy" "ok" "ok"
tpm2_setprimarypolicy -C o -g sha256 2>/dev/null || tpm2_setprimarypolicy -C o
echo "ok: owner policy cleared"

# --- tpm2_hierarchycontrol ---------------------------------------------------------------
tpm2_hierarchycontrol -C o shEnable clear
check_match "shEnable clear" "$(startup_clear)" "shEnable: +0"
if tpm2_createprimary -C o -c o.ctx >/dev/null 2>err.txt; then fail "createprimary on a disabled owner hierarchy"; fi
check_match "createprimary on a disabled hierarchy: TPM_RC_HIERARCHY" "$(cat err.txt)" "0x185|hierarchy"
if tpm2_hierarchycontrol -C o shEnable set 2>err.txt; then fail "the owner re-enabled its hierarchy"; fi
tpm2_hierarchycontrol -C p shEnable set
check_match "shEnable set by the platform" "$(startup_clear)" "shEnable: +1"
tpm2_hierarchycontrol -C e ehEnable clear
check_match "ehEnable clear" "$(startup_clear)" "ehEnable: +0"
tpm2_hierarchycontrol -C p ehEnable set

# --- tpm2_clearcontrol / tpm2_clear ------------------------------------------------------
tpm2_changeauth -c owner ownerpw
tpm2_clearcontrol -C l -P lockpw s
check_match "disableClear set" "$(permanent)" "disableClear: +1"
if tpm2_clear -c l lockpw 2>err.txt; then fail "clear while disableClear is set"; fi
check_match "clear while disabled: TPM_RC_DISABLED" "$(cat err.txt)" "0x120|disabled"
# (Lockout may not CLEAR disableClear; tpm2_clearcontrol refuses that itself, the unit tests
# send it.)
tpm2_clearcontrol -C p c
check_match "disableClear clear" "$(permanent)" "disableClear: +0"
ek_before=$(ekpub)
tpm2_createprimary -C o -P ownerpw -G ecc256 -c srk.ctx >/dev/null
tpm2_readpublic -c srk.ctx -o srk1.pub >/dev/null
tpm2_flushcontext -t
tpm2_clear -c l lockpw
check_match "clear: every hierarchy auth is empty" "$(permanent)" "ownerAuthSet: +0"
check_match "clear: lockout auth empty" "$(permanent)" "lockoutAuthSet: +0"
tpm2_createprimary -C o -G ecc256 -c srk.ctx >/dev/null
tpm2_readpublic -c srk.ctx -o srk2.pub >/dev/null
tpm2_flushcontext -t
[ "$(hexof srk1.pub)" != "$(hexof srk2.pub)" ] || fail "the storage primary is the same after tpm2_clear"
echo "ok: clear changed the storage primary seed"
check_eq "clear keeps the endorsement seed (ECC EK unchanged)" "$(ekpub)" "$ek_before"

# --- tpm2_changeeps / tpm2_changepps ------------------------------------------------------
tpm2_changeeps
[ "$(ekpub)" != "$ek_before" ] || fail "EK unchanged after tpm2_changeeps"
echo "ok: changeeps gives a new EK"
tpm2_createprimary -C p -G ecc256 -c pp.ctx >/dev/null
tpm2_readpublic -c pp.ctx -o pp1.pub >/dev/null
tpm2_flushcontext -t
tpm2_changepps
tpm2_createprimary -C p -G ecc256 -c pp.ctx >/dev/null
tpm2_readpublic -c pp.ctx -o pp2.pub >/dev/null
tpm2_flushcontext -t
[ "$(hexof pp1.pub)" != "$(hexof pp2.pub)" ] || fail "platform primary unchanged after tpm2_changepps"
echo "ok: changepps gives a new platform primary"

# --- tpm2_dictionarylockout and the lockout itself -----------------------------------------
tpm2_changeauth -c lockout lockpw
tpm2_dictionarylockout -s -n 2 -t 60 -l 120 -p lockpw
check_eq "TPM2_PT_MAX_AUTH_FAIL" "$(prop TPM2_PT_MAX_AUTH_FAIL)" "0x2"
check_eq "TPM2_PT_LOCKOUT_INTERVAL" "$(prop TPM2_PT_LOCKOUT_INTERVAL)" "0x3C"
check_eq "TPM2_PT_LOCKOUT_RECOVERY" "$(prop TPM2_PT_LOCKOUT_RECOVERY)" "0x78"
tpm2_createprimary -C o -c prim.ctx >/dev/null
echo -n "sealed data" >secret.txt
tpm2_create -C prim.ctx -p sealpw -i secret.txt -u seal.pub -r seal.priv >/dev/null
tpm2_load -C prim.ctx -u seal.pub -r seal.priv -c seal.ctx >/dev/null
tpm2_flushcontext -t
for i in 1 2; do
    if tpm2_unseal -c seal.ctx -p wrong >/dev/null 2>err.txt; then fail "unseal with a wrong password"; fi
    check_match "wrong password $i: TPM_RC_AUTH_FAIL" "$(cat err.txt)" "0x98E|authorization failure"
    tpm2_flushcontext -t
done
check_eq "TPM2_PT_LOCKOUT_COUNTER" "$(prop TPM2_PT_LOCKOUT_COUNTER)" "0x2"
check_match "inLockout" "$(permanent)" "inLockout: +1"
if tpm2_unseal -c seal.ctx -p sealpw >/dev/null 2>err.txt; then fail "unseal in lockout"; fi
check_match "right password in lockout: TPM_RC_LOCKOUT" "$(cat err.txt)" "0x921|lockout"
tpm2_flushcontext -t
tpm2_dictionarylockout -c -p lockpw
check_eq "lockout counter after tpm2_dictionarylockout -c" "$(prop TPM2_PT_LOCKOUT_COUNTER)" "0x0"
check_eq "unseal after the reset" "$(tpm2_unseal -c seal.ctx -p sealpw)" "sealed data"
tpm2_flushcontext -t
# A wrong lockoutAuth locks lockoutAuth itself.
if tpm2_dictionarylockout -c -p wrong 2>err.txt; then fail "dictionarylockout with a wrong lockout auth"; fi
if tpm2_dictionarylockout -c -p lockpw 2>err.txt; then fail "lockoutAuth usable right after a failure"; fi
check_match "lockoutAuth after a failure: TPM_RC_LOCKOUT" "$(cat err.txt)" "0x921|lockout"

# The DA state is kept in the state file across a restart.
stop_server
# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
check_eq "TPM2_PT_MAX_AUTH_FAIL after a restart" "$(prop TPM2_PT_MAX_AUTH_FAIL)" "0x2"
stop_server
echo "PASS: hierarchy ($PROTO)"
