#!/usr/bin/env bash
# Credentials and duplication with tpm2-tools 5.4 against two vtpm-servers (mssim), TPM A and
# TPM B, each with its own state (its own seeds):
#   tpm2_makecredential offline (-T none) and against a TPM, tpm2_activatecredential;
#   tpm2_duplicate (policy: tpm2_policycommandcode TPM2_CC_Duplicate) from A to a new parent
#   on B, without and with an inner wrapper, tpm2_import on B, tpm2_load and tpm2_sign there,
#   the signature verified with openssl against the public key read on A;
#   tpm2_import of an openssl-generated key (a duplication blob built by the tools), under RSA
#   and ECC new parents.
# Every tool works on saved object contexts; each step flushes what it left loaded.
source "$(dirname "$0")/lib.sh"

start_server --state "$WORK/state-a" --mssim 127.0.0.1:0
PORT_A=$MSSIM_PORT
start_server --state "$WORK/state-b" --mssim 127.0.0.1:0
PORT_B=$MSSIM_PORT
cd "$WORK"

# on A|B CMD... — run a tool against TPM A or B, then flush the transient objects it left;
# the status is the tool's.
on() {
    local port
    if [ "$1" = A ]; then port=$PORT_A; else port=$PORT_B; fi
    shift
    local rc=0
    TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$port" "$@" || rc=$?
    TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$port" tpm2_flushcontext -t
    return "$rc"
}
on A tpm2_startup -c
on B tpm2_startup -c

# --- credentials ----------------------------------------------------------------------------
# B: an EK-like storage key in the endorsement hierarchy and a signing key to be credentialed.
on B tpm2_createprimary -C e -G rsa2048 -c ek.ctx >/dev/null
on B tpm2_readpublic -c ek.ctx -o ek.pub >/dev/null
on B tpm2_createprimary -C o -G ecc256 -c srk_b.ctx >/dev/null
on B tpm2_create -C srk_b.ctx -G ecc256:ecdsa -u ak.pub -r ak.priv >/dev/null
on B tpm2_load -C srk_b.ctx -u ak.pub -r ak.priv -c ak.ctx -n ak.name >/dev/null
on A tpm2_createprimary -C e -G rsa2048 -c ek_a.ctx >/dev/null
on A tpm2_readpublic -c ek_a.ctx -o ek_a.pub >/dev/null
[ "$(hexof ek_a.pub)" != "$(hexof ek.pub)" ] || fail "the two TPMs have the same endorsement seed"
echo "ok: the two TPMs have different seeds"
head -c 32 /dev/urandom >secret.bin
name_hex=$(hexof ak.name)

# Offline (no TPM): the tools make the blob themselves.
tpm2_makecredential -T none -u ek.pub -s secret.bin -n "$name_hex" -o cred_offline.out
on B tpm2_activatecredential -c ak.ctx -C ek.ctx -i cred_offline.out -o act1.bin >/dev/null
check_eq "activatecredential of an offline (-T none) credential" "$(hexof act1.bin)" "$(hexof secret.bin)"

# An ECC EK: the tools' own ECDH + KDFe, offline.
on B tpm2_createprimary -C e -G ecc256 -c ek_ecc.ctx >/dev/null
on B tpm2_readpublic -c ek_ecc.ctx -o ek_ecc.pub >/dev/null
tpm2_makecredential -T none -u ek_ecc.pub -s secret.bin -n "$name_hex" -o cred_ecc.out
on B tpm2_activatecredential -c ak.ctx -C ek_ecc.ctx -i cred_ecc.out -o act_ecc.bin >/dev/null
check_eq "activatecredential of an offline credential for an ECC EK" "$(hexof act_ecc.bin)" "$(hexof secret.bin)"

# TPM A makes the credential for B's EK (TPM2_LoadExternal + TPM2_MakeCredential).
TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$PORT_A" tpm2_makecredential -u ek.pub -s secret.bin -n "$name_hex" \
    -o cred_tpm.out
on A true
on B tpm2_activatecredential -c ak.ctx -C ek.ctx -i cred_tpm.out -o act2.bin >/dev/null
check_eq "activatecredential of a credential made by the other TPM" "$(hexof act2.bin)" "$(hexof secret.bin)"

# For another object (another Name) the blob's HMAC fails: TPM_RC_INTEGRITY on parameter 1.
on B tpm2_create -C srk_b.ctx -G ecc256:ecdsa -u ak2.pub -r ak2.priv >/dev/null
on B tpm2_load -C srk_b.ctx -u ak2.pub -r ak2.priv -c ak2.ctx >/dev/null
if on B tpm2_activatecredential -c ak2.ctx -C ek.ctx -i cred_tpm.out -o /dev/null 2>err.txt; then
    fail "activatecredential for another object succeeded"
fi
check_match "activatecredential for another object: TPM_RC_INTEGRITY + P1" "$(cat err.txt)" "0x1[dD][fF]"
# A's EK cannot open a credential made for B's EK.
if on A tpm2_activatecredential -c ek_a.ctx -C ek_a.ctx -i cred_tpm.out -o /dev/null 2>err.txt; then
    fail "activatecredential with the wrong EK succeeded"
fi
echo "ok: the wrong EK cannot activate the credential"

# --- duplication ----------------------------------------------------------------------------
# The duplication policy: PolicyCommandCode(TPM_CC_Duplicate), from a trial session.
on A tpm2_startauthsession -S trial.ctx
on A tpm2_policycommandcode -S trial.ctx -L dpolicy.dat TPM2_CC_Duplicate >/dev/null
on A tpm2_flushcontext trial.ctx
want=$(python3 -c "import hashlib; print(hashlib.sha256(bytes(32) + bytes.fromhex('0000016c0000014b')).hexdigest())")
check_eq "policy digest of PolicyCommandCode(Duplicate)" "$(hexof dpolicy.dat)" "$want"

# B: the new parents (RSA and ECC); A loads their public areas.
for k in rsa2048 ecc256; do
    on B tpm2_createprimary -C o -G "$k" -c "np_$k.ctx" >/dev/null
    on B tpm2_readpublic -c "np_$k.ctx" -o "np_$k.pub" >/dev/null
    on A tpm2_loadexternal -C o -u "np_$k.pub" -c "np_${k}_on_a.ctx" >/dev/null
done

# A: a signing key that may be duplicated (fixedTPM and fixedParent CLEAR).
on A tpm2_createprimary -C o -G rsa2048 -c srk_a.ctx >/dev/null
on A tpm2_create -C srk_a.ctx -G ecc256:ecdsa -p keypw -L dpolicy.dat -a "sensitivedataorigin|userwithauth|sign" \
    -u key.pub -r key.priv >/dev/null
on A tpm2_load -C srk_a.ctx -u key.pub -r key.priv -c key.ctx >/dev/null
on A tpm2_readpublic -c key.ctx -f pem -o key.pem >/dev/null

# duplicate_and_use WRAPPER PARENT [KEY] — duplicate KEY.ctx (default: key) for B's new parent
# PARENT (rsa2048 or ecc256), import on B, load and sign there, verify with openssl.
duplicate_and_use() {
    local g=$1 np=$2 k=${3:-key} t="$1_$2_${3:-key}" extra=()
    on A tpm2_startauthsession --policy-session -S dup.ctx
    on A tpm2_policycommandcode -S dup.ctx TPM2_CC_Duplicate >/dev/null
    if [ "$g" = aes ]; then extra=(-o "inner_$t.key"); fi
    on A tpm2_duplicate -C "np_${np}_on_a.ctx" -c "$k.ctx" -G "$g" "${extra[@]}" -p session:dup.ctx -r "dup_$t.priv" \
        -s "dup_$t.seed"
    on A tpm2_flushcontext dup.ctx
    extra=()
    if [ "$g" = aes ]; then
        check_eq "tpm2_duplicate -G aes: a 16-octet TPM-generated inner key" "$(stat -c %s "inner_$t.key")" 16
        extra=(-k "inner_$t.key")
    fi
    on B tpm2_import -C "np_$np.ctx" -u "$k.pub" -i "dup_$t.priv" -s "dup_$t.seed" "${extra[@]}" -r "key_b_$t.priv" >/dev/null
    on B tpm2_load -C "np_$np.ctx" -u "$k.pub" -r "key_b_$t.priv" -c "key_b_$t.ctx" >/dev/null
    echo "message signed on TPM B with wrapper $g under $np" >"msg_$t.txt"
    on B tpm2_sign -c "key_b_$t.ctx" -p keypw -g sha256 -f plain -o "sig_$t.der" "msg_$t.txt"
    check_match "openssl verifies B's signature with $k read on A (wrapper $g, new parent $np)" \
        "$(openssl dgst -sha256 -verify "$k.pem" -signature "sig_$t.der" "msg_$t.txt" 2>&1)" "^Verified OK"
}
for np in rsa2048 ecc256; do
    duplicate_and_use null "$np"
    duplicate_and_use aes "$np"
done
# An RSA key (a larger sensitive area: one 1024-bit prime), with an inner wrapper.
on A tpm2_create -C srk_a.ctx -G rsa2048:rsassa -p keypw -L dpolicy.dat -a "sensitivedataorigin|userwithauth|sign" \
    -u rkey.pub -r rkey.priv >/dev/null
on A tpm2_load -C srk_a.ctx -u rkey.pub -r rkey.priv -c rkey.ctx >/dev/null
on A tpm2_readpublic -c rkey.ctx -f pem -o rkey.pem >/dev/null
duplicate_and_use aes ecc256 rkey

# Without the policy session the DUP role is refused: a password is TPM_RC_AUTH_TYPE.
if on A tpm2_duplicate -C np_rsa2048_on_a.ctx -c key.ctx -G null -p keypw -r x.priv -s x.seed 2>err.txt; then
    fail "tpm2_duplicate with a password succeeded"
fi
check_match "tpm2_duplicate with a password: TPM_RC_AUTH_TYPE" "$(cat err.txt)" "0x124"
# A policy session without PolicyCommandCode: TPM_RC_POLICY_FAIL (session 1).
on A tpm2_startauthsession --policy-session -S nopol.ctx
if on A tpm2_duplicate -C np_rsa2048_on_a.ctx -c key.ctx -G null -p session:nopol.ctx -r x.priv -s x.seed 2>err.txt; then
    fail "tpm2_duplicate without PolicyCommandCode succeeded"
fi
check_match "tpm2_duplicate without PolicyCommandCode: TPM_RC_POLICY_FAIL + S1" "$(cat err.txt)" "0x99[dD]"
on A tpm2_flushcontext nopol.ctx
# A key whose fixedParent is SET cannot be duplicated: TPM_RC_ATTRIBUTES on handle 1.
on A tpm2_create -C srk_a.ctx -G ecc256:ecdsa -L dpolicy.dat -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign" \
    -u fixed.pub -r fixed.priv >/dev/null
on A tpm2_load -C srk_a.ctx -u fixed.pub -r fixed.priv -c fixed.ctx >/dev/null
on A tpm2_startauthsession --policy-session -S dup2.ctx
on A tpm2_policycommandcode -S dup2.ctx TPM2_CC_Duplicate >/dev/null
if on A tpm2_duplicate -C np_rsa2048_on_a.ctx -c fixed.ctx -G null -p session:dup2.ctx -r x.priv -s x.seed 2>err.txt; then
    fail "tpm2_duplicate of a fixedParent key succeeded"
fi
check_match "tpm2_duplicate of a fixedParent key: TPM_RC_ATTRIBUTES + H1" "$(cat err.txt)" "0x182"
on A tpm2_flushcontext dup2.ctx
# A tampered blob does not import: TPM_RC_INTEGRITY on parameter 3.
python3 -c "import sys; b=bytearray(open('dup_null_rsa2048_key.priv','rb').read()); b[-1]^=1; open('bad.priv','wb').write(b)"
if on B tpm2_import -C np_rsa2048.ctx -u key.pub -i bad.priv -s dup_null_rsa2048_key.seed -r x.priv 2>err.txt; then
    fail "tpm2_import of a tampered blob succeeded"
fi
check_match "tpm2_import of a tampered blob: TPM_RC_INTEGRITY + P3" "$(cat err.txt)" "0x3[dD][fF]"

# --- tpm2_import of an openssl key (the tools build the duplication blob) --------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ext.pem 2>/dev/null
openssl pkey -in ext.pem -pubout -out ext_pub.pem 2>/dev/null
echo "signed with an imported openssl key" >msg_ext.txt
for np in rsa2048 ecc256; do
    on B tpm2_import -C "np_$np.ctx" -G ecc -i ext.pem -u "ext_$np.pub" -r "ext_$np.priv" >/dev/null
    on B tpm2_load -C "np_$np.ctx" -u "ext_$np.pub" -r "ext_$np.priv" -c "ext_$np.ctx" >/dev/null
    on B tpm2_sign -c "ext_$np.ctx" -g sha256 -f plain -o "sig_ext_$np.der" msg_ext.txt
    check_match "openssl verifies the signature of an openssl key imported under $np" \
        "$(openssl dgst -sha256 -verify ext_pub.pem -signature "sig_ext_$np.der" msg_ext.txt 2>&1)" "^Verified OK"
done

TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$PORT_B" tpm2_getcap handles-transient >h.txt
check_eq "no transient object left on B" "$(grep -c '^-' h.txt || true)" 0
echo "PASS"
