#!/usr/bin/env bash
# Enhanced authorization with tpm2-tools 5.4 against vtpm-server: policy.sh mssim|swtpm
#   tpm2_policy{or,secret,signed,ticket,authorize,cphash,namehash,duplicationselect,locality,
#   countertimer,nvwritten,template,nv,authorizenv} and tpm2_verifysignature. Each policy is built in a trial
#   session, its digest compared with a Python computation of the Part 3 §23 formulas, then
#   satisfied in a policy session to use a real object (tpm2_unseal of data sealed under the
#   policy, tpm2_create under a parent whose policy holds a template). Signatures come from
#   the openssl command line.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: policy.sh mssim|swtpm}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

# py EXPR — evaluate a Python expression giving bytes; prints its hex. Helpers: h (SHA-256
# of the concatenation), cc (TPM_CC as 4 octets), update (PolicyUpdate of Part 3 §23.2.3),
# f (the bytes of a file), Z (the zero digest).
py() {
    python3 - "$1" <<'EOF'
import hashlib, struct, sys
def h(*parts): return hashlib.sha256(b''.join(parts)).digest()
def cc(c): return struct.pack('>I', c)
def update(old, code, arg2, arg3): return h(h(old, cc(code), arg2), arg3)
def f(path): return open(path, 'rb').read()
Z = bytes(32)
print(eval(sys.argv[1]).hex())
EOF
}
# step CMD... — run a tool, then flush the transient objects it left loaded.
step() {
    "$@"
    tpm2_flushcontext -t
}
trial() { rm -f "$1"; tpm2_startauthsession -S "$1" >/dev/null; }
policy_session() { rm -f "$1"; tpm2_startauthsession --policy-session -S "$1" >/dev/null; }
# seal NAME POLICY-FILE — data sealed under the primary with that authPolicy, loaded as NAME.ctx.
seal() {
    step tpm2_create -C prim.ctx -i secret.bin -L "$2" -u "$1.pub" -r "$1.priv" -a "fixedtpm|fixedparent" >/dev/null
    step tpm2_load -C prim.ctx -u "$1.pub" -r "$1.priv" -c "$1.ctx" -n "$1.name" >/dev/null
}
# unseal_with NAME SESSION — tpm2_unseal authorized by the policy session; compares the data.
unseal_with() {
    step tpm2_unseal -c "$1.ctx" -p "session:$2" -o "$1.out"
    check_eq "$3" "$(hexof "$1.out")" "$(hexof secret.bin)"
}
# unseal_fails NAME SESSION RC-REGEX DESCRIPTION
unseal_fails() {
    local out
    out=$(tpm2_unseal -c "$1.ctx" -p "session:$2" -o /dev/null 2>&1) && fail "$4: unseal succeeded"
    tpm2_flushcontext -t
    check_match "$4" "$out" "$3"
}

head -c 32 /dev/urandom >secret.bin
step tpm2_createprimary -C o -c prim.ctx >/dev/null

# --- tpm2_policylocality -------------------------------------------------------------------
trial t.ctx
tpm2_policylocality -S t.ctx -L loc0.pol zero >/dev/null
check_eq "tpm2_policylocality zero (trial) digest" "$(hexof loc0.pol)" "$(py "h(Z, cc(0x16F), bytes([1]))")"
tpm2_policylocality -S t.ctx -L loc01.pol one >/dev/null 2>&1 && fail "localities zero then one leave none"
echo "ok: tpm2_policylocality zero then one: TPM_RC_RANGE"
trial t.ctx
tpm2_policylocality -S t.ctx -L loc1.pol one >/dev/null
check_eq "tpm2_policylocality one (trial) digest" "$(hexof loc1.pol)" "$(py "h(Z, cc(0x16F), bytes([2]))")"
seal loc0 loc0.pol
seal loc1 loc1.pol
# userWithAuth is CLEAR: a password cannot authorize the USER role (Part 3 §5.6 item 7).
out=$(tpm2_unseal -c loc0.ctx -o /dev/null 2>&1) && fail "unseal with a password of a policy-only object"
tpm2_flushcontext -t
check_match "unseal of a policy-only object with a password: TPM_RC_POLICY_FAIL" "$out" "0x0*9[9][dD]"
policy_session s.ctx
tpm2_policylocality -S s.ctx zero >/dev/null
unseal_with loc0 s.ctx "unseal under PolicyLocality(zero) from locality 0"
policy_session s.ctx
tpm2_policylocality -S s.ctx one >/dev/null
unseal_fails loc1 s.ctx "0x0*907" "unseal under PolicyLocality(one) from locality 0: TPM_RC_LOCALITY"

# --- tpm2_policyor ---------------------------------------------------------------------------
trial t.ctx
tpm2_policycommandcode -S t.ctx -L ccunseal.pol TPM2_CC_Unseal >/dev/null
tpm2_policyor -S t.ctx -L or.pol "sha256:ccunseal.pol,loc1.pol" >/dev/null
check_eq "tpm2_policyor (trial) digest" "$(hexof or.pol)" "$(py "h(Z, cc(0x171), f('ccunseal.pol'), f('loc1.pol'))")"
seal or or.pol
policy_session s.ctx
tpm2_policycommandcode -S s.ctx TPM2_CC_Unseal >/dev/null
tpm2_policyor -S s.ctx "sha256:ccunseal.pol,loc1.pol" >/dev/null
unseal_with or s.ctx "unseal under PolicyOR through the PolicyCommandCode branch"
policy_session s.ctx
tpm2_policylocality -S s.ctx zero >/dev/null
out=$(tpm2_policyor -S s.ctx "sha256:ccunseal.pol,loc1.pol" 2>&1) && fail "PolicyOR of a digest not in the list"
check_match "tpm2_policyor with a digest not in the list: TPM_RC_VALUE" "$out" "0x0*1[cC]4"

# --- tpm2_policysecret, tpm2_policyticket ------------------------------------------------------
printf '\x40\x00\x00\x01' >owner.name
trial t.ctx
tpm2_policysecret -S t.ctx -c o -L secret.pol >/dev/null
check_eq "tpm2_policysecret -c o (trial) digest" "$(hexof secret.pol)" "$(py "update(Z, 0x151, bytes.fromhex('40000001'), b'')")"
seal sec secret.pol
policy_session s.ctx
tpm2_policysecret -S s.ctx -c o >/dev/null
unseal_with sec s.ctx "unseal under PolicySecret(owner)"
policy_session s.ctx
out=$(tpm2_policysecret -S s.ctx -c o wrong 2>&1) && fail "PolicySecret with a wrong owner password"
check_match "tpm2_policysecret with a wrong owner password (it is empty): TPM_RC_BAD_AUTH" "$out" "0x0*9[aA]2"
# -x (nonceTPM) and a negative expiration: a ticket, then tpm2_policyticket in another session.
tpm2_policysecret -S s.ctx -c o -x -t -600 --ticket sec.tkt --timeout sec.tmo >/dev/null
check_eq "tpm2_policysecret -t -600: an 8-octet timeout" "$(stat -c %s sec.tmo)" 8
policy_session s2.ctx
tpm2_policyticket -S s2.ctx -n owner.name --ticket sec.tkt --timeout sec.tmo -L tk.pol >/dev/null
check_eq "tpm2_policyticket (PolicySecret ticket) digest" "$(hexof tk.pol)" "$(hexof secret.pol)"
unseal_with sec s2.ctx "unseal under PolicySecret(owner) through tpm2_policyticket"
python3 -c "import sys; b=bytearray(open('sec.tkt','rb').read()); b[-1]^=1; open('bad.tkt','wb').write(b)"
policy_session s2.ctx
out=$(tpm2_policyticket -S s2.ctx -n owner.name --ticket bad.tkt --timeout sec.tmo 2>&1) && fail "a tampered ticket"
check_match "tpm2_policyticket with a tampered ticket: TPM_RC_TICKET + P5" "$out" "0x0*5[eE]0"

# --- tpm2_policysigned, tpm2_policyticket --------------------------------------------------------
openssl genrsa -out signer.pem 2048 2>/dev/null
openssl rsa -in signer.pem -pubout -out signer.pub.pem 2>/dev/null
step tpm2_loadexternal -C o -G rsa -u signer.pub.pem -c signer.ctx -n signer.name >/dev/null
check_eq "loadexternal Name is 000b || SHA-256(public area)" "$(hexof signer.name)" \
    "000b$(step tpm2_readpublic -c signer.ctx -o signer.tpmpub >/dev/null; python3 -c "import hashlib; print(hashlib.sha256(open('signer.tpmpub','rb').read()[2:]).hexdigest())")"
trial t.ctx
printf '\x00\x00\x00\x00' | openssl dgst -sha256 -sign signer.pem -out any.sig
step tpm2_policysigned -S t.ctx -g sha256 -s any.sig -f rsassa -c signer.ctx -L signed.pol >/dev/null
check_eq "tpm2_policysigned (trial) digest" "$(hexof signed.pol)" "$(py "update(Z, 0x160, f('signer.name'), b'')")"
seal sig signed.pol
policy_session s.ctx
# toBeSigned without nonceTPM, expiration 0, cpHashA and policyRef empty: 00000000.
step tpm2_policysigned -S s.ctx -g sha256 -s any.sig -f rsassa -c signer.ctx >/dev/null
unseal_with sig s.ctx "unseal under PolicySigned (RSASSA signature by openssl)"
# A signature over other data: TPM_RC_POLICY_FAIL + P5.
policy_session s.ctx
printf '\x00\x00\x00\x01' | openssl dgst -sha256 -sign signer.pem -out bad.sig
out=$(tpm2_policysigned -S s.ctx -g sha256 -s bad.sig -f rsassa -c signer.ctx 2>&1) && fail "a bad PolicySigned signature"
tpm2_flushcontext -t
check_match "tpm2_policysigned with a signature over other data: TPM_RC_POLICY_FAIL" "$out" "0x0*5[dD][dD]"
# With nonceTPM (-x): sign the toBeSigned the tool prints (--raw-data), expiration -300 for a ticket.
policy_session s.ctx
step tpm2_policysigned -S s.ctx -c signer.ctx -x -t -300 --raw-data tbs.bin >/dev/null
check_eq "toBeSigned = nonceTPM || expiration (-300)" "$(hexof tbs.bin | tail -c 8)" "fffffed4"
openssl dgst -sha256 -sign signer.pem -out tbs.sig tbs.bin
step tpm2_policysigned -S s.ctx -g sha256 -s tbs.sig -f rsassa -c signer.ctx -x -t -300 \
    --ticket sig.tkt --timeout sig.tmo >/dev/null
unseal_with sig s.ctx "unseal under PolicySigned with nonceTPM"
policy_session s2.ctx
tpm2_policyticket -S s2.ctx -n signer.name --ticket sig.tkt --timeout sig.tmo -L tk2.pol >/dev/null
check_eq "tpm2_policyticket (PolicySigned ticket) digest" "$(hexof tk2.pol)" "$(hexof signed.pol)"
unseal_with sig s2.ctx "unseal under PolicySigned through tpm2_policyticket"

# --- tpm2_policyauthorize with a tpm2_verifysignature ticket ------------------------------------
trial t.ctx
tpm2_policyauthorize -S t.ctx -i ccunseal.pol -n signer.name -L authz.pol >/dev/null
check_eq "tpm2_policyauthorize (trial) digest" "$(hexof authz.pol)" "$(py "update(Z, 0x16A, f('signer.name'), b'')")"
seal authz authz.pol
# approvedPolicy = PolicyCommandCode(Unseal), policyRef empty: the signer signs approvedPolicy.
openssl dgst -sha256 -sign signer.pem -out approve.sig ccunseal.pol
step tpm2_verifysignature -c signer.ctx -g sha256 -m ccunseal.pol -s approve.sig -f rsassa -t approve.tkt
policy_session s.ctx
tpm2_policycommandcode -S s.ctx TPM2_CC_Unseal >/dev/null
tpm2_policyauthorize -S s.ctx -i ccunseal.pol -n signer.name -t approve.tkt >/dev/null
unseal_with authz s.ctx "unseal under PolicyAuthorize of PolicyCommandCode(Unseal)"
policy_session s.ctx
out=$(tpm2_policyauthorize -S s.ctx -i ccunseal.pol -n signer.name -t approve.tkt 2>&1) && fail "PolicyAuthorize of another digest"
check_match "tpm2_policyauthorize when policyDigest is not approvedPolicy: TPM_RC_VALUE" "$out" "0x0*1[cC]4"

# --- tpm2_policycphash and tpm2_policynamehash, approved through PolicyAuthorize -----------------
# cpHash and nameHash name the object itself, so they are approved policies of an authz object.
cp=$(py "h(cc(0x15E), f('authz.name'))")            # TPM2_Unseal(authz): no parameters
python3 -c "import sys; d=bytes.fromhex(sys.argv[1]); open('cp.bin','wb').write(len(d).to_bytes(2,'big')+d)" "$cp"  # a TPM2B_DIGEST
trial t.ctx
tpm2_policycphash -S t.ctx --cphash-input cp.bin -L cphash.pol >/dev/null
check_eq "tpm2_policycphash (trial) digest" "$(hexof cphash.pol)" "$(py "h(Z, cc(0x16E), bytes.fromhex('$cp'))")"
openssl dgst -sha256 -sign signer.pem -out cphash.sig cphash.pol
step tpm2_verifysignature -c signer.ctx -g sha256 -m cphash.pol -s cphash.sig -f rsassa -t cphash.tkt
policy_session s.ctx
tpm2_policycphash -S s.ctx --cphash-input cp.bin >/dev/null
tpm2_policyauthorize -S s.ctx -i cphash.pol -n signer.name -t cphash.tkt >/dev/null
unseal_with authz s.ctx "unseal under PolicyAuthorize of PolicyCpHash(Unseal(authz))"
# The same cpHash does not authorize unsealing another object with that policy.
seal authz2 authz.pol
policy_session s.ctx
tpm2_policycphash -S s.ctx --cphash-input cp.bin >/dev/null
tpm2_policyauthorize -S s.ctx -i cphash.pol -n signer.name -t cphash.tkt >/dev/null
unseal_fails authz2 s.ctx "0x0*9[9][dD]" "PolicyCpHash of another object's Unseal: TPM_RC_POLICY_FAIL"

nh=$(py "h(f('authz.name'))")
python3 -c "import sys; open('nh.bin','wb').write(bytes.fromhex(sys.argv[1]))" "$nh"
trial t.ctx
tpm2_policynamehash -S t.ctx -n nh.bin -L namehash.pol >/dev/null
check_eq "tpm2_policynamehash (trial) digest" "$(hexof namehash.pol)" "$(py "h(Z, cc(0x170), bytes.fromhex('$nh'))")"
openssl dgst -sha256 -sign signer.pem -out namehash.sig namehash.pol
step tpm2_verifysignature -c signer.ctx -g sha256 -m namehash.pol -s namehash.sig -f rsassa -t namehash.tkt
policy_session s.ctx
tpm2_policynamehash -S s.ctx -n nh.bin >/dev/null
tpm2_policyauthorize -S s.ctx -i namehash.pol -n signer.name -t namehash.tkt >/dev/null
unseal_with authz s.ctx "unseal under PolicyAuthorize of PolicyNameHash(authz)"
policy_session s.ctx
tpm2_policynamehash -S s.ctx -n nh.bin >/dev/null
tpm2_policyauthorize -S s.ctx -i namehash.pol -n signer.name -t namehash.tkt >/dev/null
unseal_fails authz2 s.ctx "0x0*9[9][dD]" "PolicyNameHash of another object: TPM_RC_POLICY_FAIL"

# --- tpm2_policycountertimer -------------------------------------------------------------------
trial t.ctx
tpm2_policycountertimer -S t.ctx -L ct.pol --ult time=600000 >/dev/null
check_eq "tpm2_policycountertimer --ult time (trial) digest" "$(hexof ct.pol)" \
    "$(py "h(Z, cc(0x16D), h((600000).to_bytes(8, 'big'), struct.pack('>HH', 0, 5)))")"
seal ct ct.pol
policy_session s.ctx
tpm2_policycountertimer -S s.ctx --ult time=600000 >/dev/null
unseal_with ct s.ctx "unseal under PolicyCounterTimer(time < limit)"
resets=$(readclock_field reset_count)
trial t.ctx
tpm2_policycountertimer -S t.ctx -L ctr.pol resets="$resets" >/dev/null
check_eq "tpm2_policycountertimer resets=N (trial) digest" "$(hexof ctr.pol)" \
    "$(py "h(Z, cc(0x16D), h(($resets).to_bytes(4, 'big'), struct.pack('>HH', 16, 0)))")"
seal ctr ctr.pol
policy_session s.ctx
tpm2_policycountertimer -S s.ctx resets="$resets" >/dev/null
unseal_with ctr s.ctx "unseal under PolicyCounterTimer(resetCount = N)"
policy_session s.ctx
out=$(tpm2_policycountertimer -S s.ctx resets=$((resets + 1)) 2>&1) && fail "PolicyCounterTimer with a false comparison"
check_match "tpm2_policycountertimer with a false comparison: TPM_RC_POLICY" "$out" "0x0*126"

# --- tpm2_policytemplate ------------------------------------------------------------------------
# The template of a child key; a parent whose authPolicy holds its hash lets tpm2_create use it.
step tpm2_create -C prim.ctx -G ecc256 --template-data child.tmpl -u c0.pub -r c0.priv >/dev/null
th=$(py "h(f('child.tmpl'))")   # the file holds the TPMT_PUBLIC
python3 -c "import sys; open('th.bin','wb').write(bytes.fromhex(sys.argv[1]))" "$th"
trial t.ctx
tpm2_policytemplate -S t.ctx --template-hash th.bin -L tmpl.pol >/dev/null
check_eq "tpm2_policytemplate (trial) digest" "$(hexof tmpl.pol)" "$(py "h(Z, cc(0x190), bytes.fromhex('$th'))")"
step tpm2_createprimary -C o -G rsa2048 -L tmpl.pol -c tparent.ctx >/dev/null
policy_session s.ctx
tpm2_policytemplate -S s.ctx --template-hash th.bin >/dev/null
step tpm2_create -C tparent.ctx -P session:s.ctx -G ecc256 -u c1.pub -r c1.priv >/dev/null
check_match "tpm2_create under PolicyTemplate made an ECC key" "$(tpm2_print -t TPM2B_PUBLIC c1.pub)" "type:.*ecc|value: ecc"
policy_session s.ctx
tpm2_policytemplate -S s.ctx --template-hash th.bin >/dev/null
out=$(tpm2_create -C tparent.ctx -P session:s.ctx -G rsa2048 -u c2.pub -r c2.priv 2>&1) && fail "create with another template"
tpm2_flushcontext -t
check_match "tpm2_create with another template: TPM_RC_POLICY_FAIL" "$out" "0x0*9[9][dD]"

# --- tpm2_policyduplicationselect, tpm2_policynvwritten: digests (no Duplicate / NV here) --------
step tpm2_readpublic -c prim.ctx -n prim.name >/dev/null
trial t.ctx
tpm2_policyduplicationselect -S t.ctx -n authz.name -N prim.name -L dup.pol >/dev/null
check_eq "tpm2_policyduplicationselect (trial) digest" "$(hexof dup.pol)" \
    "$(py "h(Z, cc(0x188), f('prim.name'), bytes([0]))")"
trial t.ctx
# tpm2-tools 5.4 clears the flag at every later option: --include-object goes last.
tpm2_policyduplicationselect -S t.ctx -n authz.name -N prim.name -L dupi.pol --include-object >/dev/null
check_eq "tpm2_policyduplicationselect --include-object (trial) digest" "$(hexof dupi.pol)" \
    "$(py "h(Z, cc(0x188), f('authz.name'), f('prim.name'), bytes([1]))")"
policy_session s.ctx
tpm2_policyduplicationselect -S s.ctx -n authz.name -N prim.name -L dup2.pol >/dev/null
check_eq "tpm2_policyduplicationselect (policy session) digest" "$(hexof dup2.pol)" "$(hexof dup.pol)"
# Its policy binds TPM2_Duplicate: Unseal with it fails.
seal dup dup.pol
policy_session s.ctx
tpm2_policyduplicationselect -S s.ctx -n authz.name -N prim.name >/dev/null
unseal_fails dup s.ctx "0x0*9[9][dD]|0x0*9[aA]4" "unseal under a PolicyDuplicationSelect policy fails"

trial t.ctx
tpm2_policynvwritten -S t.ctx -L nvw.pol s >/dev/null
check_eq "tpm2_policynvwritten s (trial) digest" "$(hexof nvw.pol)" "$(py "h(Z, cc(0x18F), bytes([1]))")"
trial t.ctx
tpm2_policynvwritten -S t.ctx -L nvc.pol c >/dev/null
check_eq "tpm2_policynvwritten c (trial) digest" "$(hexof nvc.pol)" "$(py "h(Z, cc(0x18F), bytes([0]))")"
seal nvw nvw.pol
policy_session s.ctx
tpm2_policynvwritten -S s.ctx s >/dev/null
unseal_fails nvw s.ctx "0x0*9[9][dD]" "unseal under PolicyNvWritten fails (not an NV Index)"

# --- tpm2_policynv, tpm2_policyauthorizenv ---------------------------------------------------
NVP=0x1500030 NVA=0x1500031
nv_name() { tpm2_nvreadpublic "$1" | awk '$1=="name:"{print $2; exit}'; }
tpm2_nvdefine $NVP -C o -s 8 -a "ownerread|ownerwrite|authread|authwrite" -p nvpw
printf '\x00\x00\x00\x00\x00\x00\x01\x00' >nvval.bin
tpm2_nvwrite $NVP -C o -i nvval.bin
printf '\x00\xff' >opb.bin
# PolicyNV: args := H(operandB || offset || operation); digest := H(Z || CC || args || Name).
trial t.ctx
tpm2_policynv -S t.ctx -C $NVP -P nvpw -i opb.bin --offset 6 -L pnv.pol $NVP ugt >/dev/null
check_eq "tpm2_policynv ugt (trial) digest" "$(hexof pnv.pol)" \
    "$(py "h(Z, cc(0x149), h(f('opb.bin'), struct.pack('>HH', 6, 3)), bytes.fromhex('$(nv_name $NVP)'))")"
seal pnv pnv.pol
policy_session s.ctx
tpm2_policynv -S s.ctx -C o -i opb.bin --offset 6 $NVP ugt >/dev/null
unseal_with pnv s.ctx "unseal under PolicyNV (0x0100 > 0x00ff unsigned)"
policy_session s.ctx
out=$(tpm2_policynv -S s.ctx -C o -i opb.bin --offset 6 $NVP ult 2>&1) && fail "PolicyNV ult held"
check_match "tpm2_policynv whose comparison fails: TPM_RC_POLICY" "$out" "0x0*126"
tpm2_flushcontext s.ctx
printf '\x80\x00' >opn.bin
trial t.ctx
tpm2_policynv -S t.ctx -C o -i opn.bin --offset 6 -L pnv2.pol $NVP sgt >/dev/null
check_eq "tpm2_policynv sgt (trial) digest" "$(hexof pnv2.pol)" \
    "$(py "h(Z, cc(0x149), h(f('opn.bin'), struct.pack('>HH', 6, 2)), bytes.fromhex('$(nv_name $NVP)'))")"
policy_session s.ctx
tpm2_policynv -S s.ctx -C o -i opn.bin --offset 6 -L pnv3.pol $NVP sgt >/dev/null
check_eq "tpm2_policynv sgt (0x0100 > -32768 signed): session digest" "$(hexof pnv3.pol)" "$(hexof pnv2.pol)"
tpm2_flushcontext s.ctx
out=$(tpm2_policynv -S t.ctx -C p -i opb.bin --offset 6 $NVP eq 2>&1) && fail "PolicyNV without PPREAD"
check_match "tpm2_policynv with Platform Authorization of an index without PPREAD: TPM_RC_NV_AUTHORIZATION" "$out" "0x0*149"

# PolicyAuthorizeNV: the index holds TPMT_HA (sha256 || PolicyCommandCode(Unseal)).
tpm2_nvdefine $NVA -C o -s 34 -a "ownerread|ownerwrite"
{ printf '\x00\x0b'; cat ccunseal.pol; } >approved.bin
tpm2_nvwrite $NVA -C o -i approved.bin
trial t.ctx
tpm2_policyauthorizenv -S t.ctx -C o -L pan.pol $NVA >/dev/null
check_eq "tpm2_policyauthorizenv (trial) digest" "$(hexof pan.pol)" \
    "$(py "h(Z, cc(0x192), bytes.fromhex('$(nv_name $NVA)'))")"
seal pan pan.pol
policy_session s.ctx
tpm2_policycommandcode -S s.ctx TPM2_CC_Unseal >/dev/null
tpm2_policyauthorizenv -S s.ctx -C o $NVA >/dev/null
unseal_with pan s.ctx "unseal under PolicyAuthorizeNV of PolicyCommandCode(Unseal)"
# Revoked: another approved policy in the index (its Name is unchanged once written).
{ printf '\x00\x0b'; head -c 32 /dev/zero | tr '\0' '\1'; } >revoked.bin
tpm2_nvwrite $NVA -C o -i revoked.bin
policy_session s.ctx
tpm2_policycommandcode -S s.ctx TPM2_CC_Unseal >/dev/null
out=$(tpm2_policyauthorizenv -S s.ctx -C o $NVA 2>&1) && fail "PolicyAuthorizeNV after revocation"
check_match "tpm2_policyauthorizenv after the approval is replaced: TPM_RC_VALUE" "$out" "0x0*84"
tpm2_flushcontext s.ctx
tpm2_flushcontext t.ctx
tpm2_nvundefine $NVP -C o
tpm2_nvundefine $NVA -C o

tpm2_flushcontext --saved-session
stop_server 0
echo "PASS: policy over $PROTO"
