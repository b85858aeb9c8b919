#!/usr/bin/env bash
# TPM2_NV_Certify with tpm2-tools 5.4 against vtpm-server: nv_certify.sh mssim|swtpm
# tpm2_nvcertify of a range (TPMS_NV_CERTIFY_INFO) and of a whole index (size = offset = 0:
# TPMS_NV_DIGEST_CERTIFY_INFO); python3 parses the TPMS_ATTEST, openssl verifies the signatures.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: nv_certify.sh mssim|swtpm}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

# expect_fail DESCRIPTION RC-REGEX CMD... — the command fails and its message names the RC.
expect_fail() {
    local what=$1 rc=$2
    shift 2
    if "$@" >out.txt 2>err.txt; then fail "$what: succeeded, expected an error"; fi
    grep -Eqi "$rc" err.txt || fail "$what: expected $rc, got: $(cat err.txt)"
    echo "ok: $what ($rc)"
}

ORD=0x1500010
head -c 64 /dev/urandom >data.bin
tpm2_nvdefine $ORD -C o -s 64 -a "ownerread|ownerwrite|authread|authwrite" -p ordpw
tpm2_nvwrite $ORD -C o -i data.bin
nv_attest() {
    python3 - "$1" "$2" <<'EOF'
import sys
b = open(sys.argv[1], 'rb').read(); p = 0
def take(n):
    global p
    assert p + n <= len(b), 'short'
    v = b[p:p + n]; p += n; return v
def u(n): return int.from_bytes(take(n), 'big')
def b2b(): return take(u(2))
d = {'magic': '%08x' % u(4), 'type': '%04x' % u(2), 'signer': b2b().hex(), 'extra': b2b().hex()}
u(8); u(4); u(4); u(1); u(8)
if d['type'] == '8014': d['name'] = b2b().hex(); d['offset'] = u(2); d['contents'] = b2b().hex()
elif d['type'] == '801c': d['name'] = b2b().hex(); d['digest'] = b2b().hex()
assert p == len(b), 'trailing bytes'
print(d[sys.argv[2]])
EOF
}
tpm2_nvread $ORD -C o -s 64 -o cur.bin
tpm2_nvreadpublic $ORD >rp2.out
ordname=$(awk '$1=="name:"{print $2; exit}' rp2.out)
tpm2_createprimary -C e -G rsa2048:rsassa-sha256:null -g sha256 \
    -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign" -c nvak.ctx >/dev/null
tpm2_readpublic -c nvak.ctx -o nvak.pem -f pem -q nvak.qname >/dev/null
tpm2_nvcertify -C nvak.ctx -c $ORD -p ordpw -g sha256 -f plain -o nvc.sig --attestation nvc.att -q 0a0b \
    --size 16 --offset 8 $ORD
check_eq "nvcertify: magic" "$(nv_attest nvc.att magic)" ff544347
check_eq "nvcertify: type TPM_ST_ATTEST_NV" "$(nv_attest nvc.att type)" 8014
check_eq "nvcertify: qualifiedSigner" "$(nv_attest nvc.att signer)" "$(hexof nvak.qname)"
check_eq "nvcertify: extraData" "$(nv_attest nvc.att extra)" 0a0b
check_eq "nvcertify: indexName" "$(nv_attest nvc.att name)" "$ordname"
check_eq "nvcertify: offset" "$(nv_attest nvc.att offset)" 8
check_eq "nvcertify: nvContents = octets 8..23" "$(nv_attest nvc.att contents)" "$(hexof cur.bin | cut -c17-48)"
check_match "openssl verifies the nvcertify signature" \
    "$(openssl dgst -sha256 -verify nvak.pem -signature nvc.sig nvc.att 2>&1)" "Verified OK"
tpm2_nvcertify -C nvak.ctx -c o -g sha256 -f plain -o nvd.sig --attestation nvd.att --size 0 --offset 0 $ORD
check_eq "nvcertify size 0: type TPM_ST_ATTEST_NV_DIGEST" "$(nv_attest nvd.att type)" 801c
check_eq "nvcertify size 0: nvDigest = SHA-256(index data)" "$(nv_attest nvd.att digest)" "$(sha256sum cur.bin | cut -d' ' -f1)"
check_match "openssl verifies the digest certification" \
    "$(openssl dgst -sha256 -verify nvak.pem -signature nvd.sig nvd.att 2>&1)" "Verified OK"
expect_fail "nvcertify with Platform Authorization of an index without PPREAD" "0x149|NV_AUTHORIZATION|authorization" \
    tpm2_nvcertify -C nvak.ctx -c p -g sha256 -o x.sig --attestation x.att --size 16 --offset 0 $ORD
tpm2_nvdefine 0x1500011 -C o -s 8 -a "ownerread|ownerwrite"
expect_fail "nvcertify of an index never written" "0x14a|NV_UNINITIALIZED|not been written|uninitialized" \
    tpm2_nvcertify -C nvak.ctx -c o -g sha256 -o x.sig --attestation x.att --size 8 --offset 0 0x1500011
tpm2_flushcontext -t
stop_server 0
echo "PASS: nv_certify over $PROTO"
