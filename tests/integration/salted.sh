#!/usr/bin/env bash
# Salted and bound sessions with tpm2-tools 5.4 against vtpm-server: salted.sh mssim|swtpm
# tpm2_startauthsession -c KEY (salted with an RSA or an ECC primary), --bind-context, and such
# sessions with parameter encryption (-S / session:) on tpm2_getrandom, tpm2_create and
# tpm2_unseal. tpm2-tss computes the salt, session key, HMACs and the parameter encryption on
# its side: a single wrong byte anywhere and the TPM or the tool refuses.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: salted.sh mssim|swtpm}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

tpm2_createprimary -C o -G rsa2048 -c rsa.ctx >/dev/null
tpm2_createprimary -C o -G ecc256 -c ecc.ctx >/dev/null
tpm2_flushcontext -t

for key in rsa ecc; do
    # --- salted HMAC session: encrypted GetRandom response ---------------------------------
    tpm2_startauthsession --hmac-session -c $key.ctx -S s.ctx
    tpm2_flushcontext -t
    tpm2_sessionconfig s.ctx --enable-encrypt
    tpm2_getrandom -S s.ctx -o r1 32
    tpm2_getrandom -S s.ctx -o r2 32
    check_eq "$key-salted session: tpm2_getrandom -S returns 32 bytes" "$(stat -c %s r1)" 32
    [ "$(hexof r1)" != "$(hexof r2)" ] || fail "two encrypted GetRandom answers are equal"

    # --- salted session with decrypt+encrypt on tpm2_create and tpm2_unseal -------------------
    tpm2_sessionconfig s.ctx --enable-decrypt --enable-encrypt
    echo -n "salted secret $key" >secret.txt
    tpm2_create -C $key.ctx -P session:s.ctx -p sealpw -i secret.txt -u seal.pub -r seal.priv >/dev/null
    tpm2_flushcontext -t
    tpm2_load -C $key.ctx -u seal.pub -r seal.priv -c seal.ctx >/dev/null
    tpm2_flushcontext -t
    out=$(tpm2_unseal -c seal.ctx -p session:s.ctx+sealpw 2>&1) || {
        # tpm2-tools 5.4 takes the password of a session authorization after a '+'.
        printf '%s\n' "$out" >&2
        fail "$key-salted session: tpm2_unseal"
    }
    tpm2_flushcontext -t
    check_eq "$key-salted session with encryption: tpm2_create then tpm2_unseal" "$out" "salted secret $key"
    tpm2_flushcontext s.ctx
done

# --- bound session (bound to the storage primary, whose authValue is empty) ----------------
tpm2_startauthsession --hmac-session --tpmkey-context rsa.ctx --bind-context rsa.ctx -S b.ctx
tpm2_flushcontext -t
tpm2_sessionconfig b.ctx --enable-encrypt
tpm2_getrandom -S b.ctx -o r3 16
check_eq "bound and salted session: tpm2_getrandom -S" "$(stat -c %s r3)" 16
tpm2_flushcontext b.ctx

# --- policy session, salted: unseal an object whose policy is PolicyPassword ------------------
tpm2_startauthsession -S trial.ctx
tpm2_policypassword -S trial.ctx -L pw.policy >/dev/null
tpm2_flushcontext trial.ctx
echo -n "policy sealed" >secret2.txt
tpm2_create -C rsa.ctx -L pw.policy -p pp -a "fixedtpm|fixedparent" -i secret2.txt -u p.pub -r p.priv >/dev/null
tpm2_load -C rsa.ctx -u p.pub -r p.priv -c p.ctx >/dev/null
tpm2_flushcontext -t
tpm2_startauthsession --policy-session -c ecc.ctx -S pol.ctx
tpm2_flushcontext -t
# Authorization only: with PolicyPassword tpm2-tss 3.2 sends an empty nonceCaller and then does
# not decrypt a response encrypted with that (empty) nonceCaller and the session key.
tpm2_sessionconfig pol.ctx --disable-encrypt --disable-decrypt
tpm2_policypassword -S pol.ctx >/dev/null
check_eq "salted policy session: unseal with PolicyPassword" "$(tpm2_unseal -c p.ctx -p session:pol.ctx+pp)" "policy sealed"
tpm2_flushcontext -t
tpm2_flushcontext pol.ctx

stop_server
echo "PASS: salted ($PROTO)"
