#!/usr/bin/env bash
# Objects with tpm2-tools 5.4 against vtpm-server through one TCTI: objects.sh mssim|swtpm
# tpm2_createprimary, tpm2_create, tpm2_load, tpm2_readpublic, tpm2_unseal, tpm2_changeauth,
# tpm2_loadexternal and tpm2_flushcontext. Every tool invocation works on saved object
# contexts (-c file.ctx: TPM2_ContextSave / TPM2_ContextLoad), and nothing flushes objects
# between invocations (no resource manager), so each step ends with tpm2_flushcontext -t.
# Names are recomputed with python3 hashlib, moduli compared with openssl.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: objects.sh mssim|swtpm|swtpm-unix}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

# step CMD... — run a tool, then flush every transient object it left loaded.
step() {
    "$@"
    tpm2_flushcontext -t
}
transient_count() { tpm2_getcap handles-transient | grep -c '^-' || true; }
# name_of TPM2B_PUBLIC-FILE — nameAlg (SHA-256) || SHA-256(TPMT_PUBLIC), in hex.
name_of() { python3 -c "import hashlib,sys; b=open(sys.argv[1],'rb').read()[2:]; print('000b'+hashlib.sha256(b).hexdigest())" "$1"; }
field() { awk -v k="$1:" '$1 == k { print $2; exit }'; }

# --- tpm2_createprimary ------------------------------------------------------------------
step tpm2_createprimary -C o -G rsa2048 -c o.ctx >cp.out
check_match "createprimary -C o -G rsa2048: an RSA storage key" "$(cat cp.out)" "^bits: 2048"
check_eq "no transient object left after tpm2_flushcontext -t" "$(transient_count)" 0
step tpm2_readpublic -c o.ctx -o o.pub -n o.name >rp.out
check_eq "readpublic name = 000b || SHA-256(public area)" "$(hexof o.name)" "$(name_of o.pub)"
check_match "readpublic: restricted decrypt storage key" "$(cat rp.out)" "value: fixedtpm\|fixedparent\|sensitivedataorigin\|userwithauth\|restricted\|decrypt"
# The same template under the same seed: the same key, in this invocation and the next.
step tpm2_createprimary -C o -G rsa2048 -c o2.ctx >/dev/null
step tpm2_readpublic -c o2.ctx -o o2.pub >/dev/null
check_eq "createprimary is reproducible" "$(hexof o2.pub)" "$(hexof o.pub)"
step tpm2_createprimary -C e -G rsa2048 -c e.ctx >/dev/null
step tpm2_readpublic -c e.ctx -o e.pub >/dev/null
[ "$(hexof e.pub)" != "$(hexof o.pub)" ] || fail "endorsement and owner primaries are equal"
echo "ok: another hierarchy gives another key"
for spec in "e ecc256 ecc" "n keyedhash keyedhash" "o aes symcipher" "n ecc384 ecc"; do
    set -- $spec
    step tpm2_createprimary -C "$1" -G "$2" -c "p_$2.ctx" >/dev/null
    out=$(step tpm2_readpublic -c "p_$2.ctx")
    check_match "createprimary -C $1 -G $2" "$out" "^type:"
    check_eq "createprimary -C $1 -G $2: type" "$(grep -A1 '^type:' <<<"$out" | field value)" "$3"
done
check_eq "no transient object left" "$(transient_count)" 0

# --- tpm2_create / tpm2_load -------------------------------------------------------------
for g in rsa2048 ecc256 hmac aes256; do
    step tpm2_create -C o.ctx -G "$g" -u "k_$g.pub" -r "k_$g.priv" >/dev/null
    step tpm2_load -C o.ctx -u "k_$g.pub" -r "k_$g.priv" -c "k_$g.ctx" -n "k_$g.name" >/dev/null
    check_eq "create -G $g + load: Name" "$(hexof "k_$g.name")" "$(name_of "k_$g.pub")"
    step tpm2_readpublic -c "k_$g.ctx" -n "k_$g.name2" >/dev/null
    check_eq "readpublic of the loaded $g key (a saved context)" "$(hexof "k_$g.name2")" "$(hexof "k_$g.name")"
done

# --- sealed data, tpm2_unseal, tpm2_changeauth -------------------------------------------
head -c 48 /dev/urandom >secret.bin
step tpm2_create -C o.ctx -i secret.bin -p sealpw -u s.pub -r s.priv >/dev/null
step tpm2_load -C o.ctx -u s.pub -r s.priv -c s.ctx >/dev/null
step tpm2_unseal -c s.ctx -p sealpw -o out.bin
check_eq "unseal returns the sealed data" "$(hexof out.bin)" "$(hexof secret.bin)"
if tpm2_unseal -c s.ctx -p wrong -o /dev/null 2>err.txt; then fail "unseal with a wrong password succeeded"; fi
check_match "unseal with a wrong password" "$(cat err.txt)" "0x98E|0x9A2"
tpm2_flushcontext -t
step tpm2_changeauth -c s.ctx -C o.ctx -p sealpw -r s2.priv newpw
step tpm2_load -C o.ctx -u s.pub -r s2.priv -c s2.ctx >/dev/null
step tpm2_unseal -c s2.ctx -p newpw -o out2.bin
check_eq "unseal with the new authValue after changeauth" "$(hexof out2.bin)" "$(hexof secret.bin)"
if tpm2_unseal -c s2.ctx -p sealpw -o /dev/null 2>/dev/null; then fail "the old password still works"; fi
echo "ok: the old password no longer works"
tpm2_flushcontext -t
# A sealed object under an ECC parent, created and unsealed in one chain of contexts.
step tpm2_createprimary -C o -G ecc256 -c ecc.ctx >/dev/null
step tpm2_create -C ecc.ctx -i secret.bin -u se.pub -r se.priv >/dev/null
step tpm2_load -C ecc.ctx -u se.pub -r se.priv -c se.ctx >/dev/null
step tpm2_unseal -c se.ctx -o out3.bin
check_eq "unseal under an ECC parent" "$(hexof out3.bin)" "$(hexof secret.bin)"

# --- tpm2_loadexternal --------------------------------------------------------------------
openssl genrsa -out ext.pem 2048 2>/dev/null
openssl rsa -in ext.pem -pubout -out ext_pub.pem 2>/dev/null
want=$(openssl rsa -in ext.pem -noout -modulus | cut -d= -f2 | tr 'A-F' 'a-f')
step tpm2_loadexternal -G rsa -C n -u ext_pub.pem -c ext.ctx >/dev/null
out=$(step tpm2_readpublic -c ext.ctx)
check_eq "loadexternal -u (public key, TPM_RH_NULL): modulus" "$(field rsa <<<"$out")" "$want"
step tpm2_loadexternal -G rsa -C o -u ext_pub.pem -c ext_o.ctx >/dev/null
echo "ok: loadexternal of a public key under the owner hierarchy"
step tpm2_loadexternal -G rsa -C n -r ext.pem -c ext_priv.ctx >/dev/null
out=$(step tpm2_readpublic -c ext_priv.ctx)
check_eq "loadexternal -r (key pair, TPM_RH_NULL): modulus" "$(field rsa <<<"$out")" "$want"
if tpm2_loadexternal -G rsa -C o -r ext.pem -c /dev/null 2>err.txt >/dev/null; then
    fail "loadexternal of a key pair into the owner hierarchy succeeded"
fi
check_match "loadexternal of a key pair outside TPM_RH_NULL: TPM_RC_HIERARCHY + P3" "$(cat err.txt)" "0x3C5"

# --- tpm2_flushcontext --------------------------------------------------------------------
tpm2_load -C o.ctx -u s.pub -r s.priv -c s3.ctx >/dev/null
check_match "objects are loaded before tpm2_flushcontext -t" "$(transient_count)" "^[1-9]"
tpm2_flushcontext -t
check_eq "tpm2_flushcontext -t flushes every transient object" "$(transient_count)" 0

echo "PASS: objects with tpm2-tools over $PROTO"
