#!/usr/bin/env bash
# Attestation and audit with tpm2-tools 5.4 against vtpm-server: attest.sh mssim|swtpm
# tpm2_quote + tpm2_checkquote (the AK's public key and the PCR values), tpm2_certify,
# tpm2_certifycreation, tpm2_gettime, tpm2_setcommandauditstatus, tpm2_getcommandauditdigest,
# tpm2_startauthsession --audit-session and tpm2_getsessionauditdigest. Signatures are
# verified by tpm2_checkquote and by openssl with the AK's public key (PEM from
# tpm2_readpublic); the attestation structures are parsed with tpm2_print and python3, and
# the audit digests recomputed by audit_check.py.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: attest.sh mssim|swtpm|swtpm-unix}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

# step CMD... — run a tool, then flush every transient object it left loaded (no resource
# manager: objects loaded from saved contexts stay loaded otherwise).
step() {
    "$@"
    tpm2_flushcontext -t
}
# attest_field FILE FIELD — a field of a TPMS_ATTEST (python3 parser, independent of the tools).
attest_field() {
    python3 - "$1" "$2" <<'EOF'
import sys
b = open(sys.argv[1], 'rb').read()
p = 0
def take(n):
    global p
    v = b[p:p + n]; p += n
    assert len(v) == n, 'short attest'
    return v
def u(n): return int.from_bytes(take(n), 'big')
def b2b(): return take(u(2))
d = {'magic': '%08x' % u(4), 'type': '%04x' % u(2), 'signer': b2b().hex(), 'extra': b2b().hex(),
     'clock': u(8), 'reset': u(4), 'restart': u(4), 'safe': u(1), 'fw': '%016x' % u(8)}
if d['type'] == '8017': d['name'] = b2b().hex(); d['qn'] = b2b().hex()
elif d['type'] == '801a': d['name'] = b2b().hex(); d['creation_hash'] = b2b().hex()
elif d['type'] == '8019':
    d['time'] = u(8); d['t_clock'] = u(8); d['t_reset'] = u(4); d['t_restart'] = u(4); d['t_safe'] = u(1)
    d['t_fw'] = '%016x' % u(8)
elif d['type'] == '8016': d['exclusive'] = u(1); d['digest'] = b2b().hex()
elif d['type'] == '8015':
    d['counter'] = u(8); d['alg'] = '%04x' % u(2); d['digest'] = b2b().hex(); d['commands'] = b2b().hex()
elif d['type'] == '8018':
    for i in range(u(4)): u(2); take(u(1))
    d['pcr_digest'] = b2b().hex()
assert p == len(b), 'trailing bytes'
print(d[sys.argv[2]])
EOF
}

# An attestation key: restricted RSASSA-SHA256 signing key in the endorsement hierarchy, and
# an ECDSA one in the owner hierarchy (whose attestations are obfuscated).
AK_ATTRS="fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign"
step tpm2_createprimary -C e -G rsa2048:rsassa-sha256:null -g sha256 -a "$AK_ATTRS" -c ak.ctx >/dev/null
step tpm2_readpublic -c ak.ctx -o ak.pub -f pem >/dev/null
step tpm2_readpublic -c ak.ctx -o ak.tss -n ak.name -q ak.qname >/dev/null
step tpm2_createprimary -C o -G ecc256:ecdsa-sha256:null -g sha256 -a "$AK_ATTRS" -c ak2.ctx >/dev/null
step tpm2_readpublic -c ak2.ctx -o ak2.pub -f pem >/dev/null

# --- tpm2_quote + tpm2_checkquote --------------------------------------------------------
tpm2_pcrextend 16:sha256=$(printf 'event' | sha256sum | cut -d' ' -f1)
step tpm2_quote -c ak.ctx -l sha256:0,1,16,23 -q 00112233 -m quote.msg -s quote.sig -o quote.pcrs -g sha256 >quote.out
check_match "tpm2_print parses the quote" "$(tpm2_print -t TPMS_ATTEST quote.msg)" "magic: ff544347"
check_eq "quote: TPMS_ATTEST magic" "$(attest_field quote.msg magic)" ff544347
check_eq "quote: type TPM_ST_ATTEST_QUOTE" "$(attest_field quote.msg type)" 8018
check_eq "quote: extraData is the qualification" "$(attest_field quote.msg extra)" 00112233
check_eq "quote: qualifiedSigner is the AK's Qualified Name" "$(attest_field quote.msg signer)" "$(hexof ak.qname)"
out=$(tpm2_checkquote -u ak.tss -m quote.msg -s quote.sig -f quote.pcrs -g sha256 -q 00112233 2>&1)
check_match "tpm2_checkquote accepts the quote (signature, PCR digest, nonce)" "$out" "pcrs:"
if tpm2_checkquote -u ak.tss -m quote.msg -s quote.sig -f quote.pcrs -g sha256 -q 00112234 >/dev/null 2>&1; then
    fail "tpm2_checkquote accepted a wrong qualification"
fi
echo "ok: tpm2_checkquote refuses another qualification"
# pcrDigest recomputed from values computed here: PCR 0, 1, 23 are zero; PCR 16 extended once.
want=$(python3 -c "
import hashlib
z = bytes(32); p16 = hashlib.sha256(z + hashlib.sha256(b'event').digest()).digest()
print(hashlib.sha256(z + z + p16 + z).hexdigest())")
check_eq "quote: pcrDigest = SHA-256(PCR0 || PCR1 || PCR16 || PCR23)" "$(attest_field quote.msg pcr_digest)" "$want"
# The ECDSA AK: signature checked by openssl (plain format is DER for ECDSA).
step tpm2_quote -c ak2.ctx -l sha256:0,16 -q aa -m quote2.msg -s quote2.sig -f plain -g sha256 >/dev/null
check_match "openssl verifies the ECDSA quote" "$(openssl dgst -sha256 -verify ak2.pub -signature quote2.sig quote2.msg 2>&1)" "Verified OK"

# --- tpm2_certify -------------------------------------------------------------------------
step tpm2_createprimary -C o -G rsa2048 -c obj.ctx >/dev/null
step tpm2_readpublic -c obj.ctx -n obj.name -q obj.qname >/dev/null
step tpm2_certify -c obj.ctx -C ak.ctx -g sha256 -o certify.att -s certify.sig -f plain >/dev/null
check_eq "certify: type TPM_ST_ATTEST_CERTIFY" "$(attest_field certify.att type)" 8017
check_eq "certify: Name of the certified object" "$(attest_field certify.att name)" "$(hexof obj.name)"
check_eq "certify: Qualified Name of the certified object" "$(attest_field certify.att qn)" "$(hexof obj.qname)"
check_match "openssl verifies the certify signature" "$(openssl dgst -sha256 -verify ak.pub -signature certify.sig certify.att 2>&1)" "Verified OK"

# --- tpm2_certifycreation -------------------------------------------------------------------
step tpm2_createprimary -C o -G ecc256 -c cr.ctx --creation-data cr.data -d cr.hash -t cr.ticket -q 0badc0de >/dev/null
step tpm2_readpublic -c cr.ctx -n cr.name >/dev/null
step tpm2_certifycreation -C ak.ctx -c cr.ctx -d cr.hash -t cr.ticket -g sha256 -o cc.sig --attestation cc.att -f plain >/dev/null
check_eq "certifycreation: type TPM_ST_ATTEST_CREATION" "$(attest_field cc.att type)" 801a
check_eq "certifycreation: objectName" "$(attest_field cc.att name)" "$(hexof cr.name)"
# cr.data is a TPM2B_CREATION_DATA: the hash covers the TPMS_CREATION_DATA after the size field.
check_eq "certifycreation: creationHash = SHA-256(creation data)" "$(attest_field cc.att creation_hash)" \
    "$(python3 -c "import hashlib,sys; print(hashlib.sha256(open('cr.data','rb').read()[2:]).hexdigest())")"
check_eq "certifycreation: creationHash from tpm2_createprimary (a TPM2B)" "0020$(attest_field cc.att creation_hash)" "$(hexof cr.hash)"
check_match "openssl verifies the certifycreation signature" "$(openssl dgst -sha256 -verify ak.pub -signature cc.sig cc.att 2>&1)" "Verified OK"
# Another object's creation hash does not match the ticket.
step tpm2_createprimary -C o -G ecc256 -c cr2.ctx -d cr2.hash -t cr2.ticket -q 0badc0df >/dev/null
if tpm2_certifycreation -C ak.ctx -c cr.ctx -d cr2.hash -t cr.ticket -g sha256 -o x.sig --attestation x.att >x.out 2>&1; then
    fail "certifycreation accepted a creation hash the ticket does not cover"
fi
tpm2_flushcontext -t
check_match "certifycreation with a wrong creation hash: TPM_RC_TICKET" "$(cat x.out)" "\(0x0*4[eE]0\)"

# --- tpm2_gettime -----------------------------------------------------------------------------
step tpm2_gettime -c ak.ctx -q cafe -o gt.sig -f plain --attestation gt.att >gt.out
check_eq "gettime: type TPM_ST_ATTEST_TIME" "$(attest_field gt.att type)" 8019
check_eq "gettime: extraData" "$(attest_field gt.att extra)" cafe
check_eq "gettime: Clock in both places (endorsement key: not obfuscated)" "$(attest_field gt.att t_clock)" "$(attest_field gt.att clock)"
check_eq "gettime: resetCount in both places" "$(attest_field gt.att t_reset)" "$(attest_field gt.att reset)"
check_match "openssl verifies the gettime signature" "$(openssl dgst -sha256 -verify ak.pub -signature gt.sig gt.att 2>&1)" "Verified OK"
check_match "tpm2_gettime prints the time" "$(cat gt.out)" "time: [0-9]+"
step tpm2_gettime -c ak2.ctx -o gt2.sig -f plain --attestation gt2.att >/dev/null
check_match "openssl verifies the ECDSA gettime signature" "$(openssl dgst -sha256 -verify ak2.pub -signature gt2.sig gt2.att 2>&1)" "Verified OK"
[ "$(attest_field gt2.att t_fw)" != "$(attest_field gt2.att fw)" ] || fail "owner key: firmwareVersion not obfuscated"
echo "ok: gettime with an owner key: the outer firmwareVersion is obfuscated, the inner one is not"

# --- command audit: tpm2_setcommandauditstatus, tpm2_getcommandauditdigest ------------------
# audit_counter — TPM_PT_AUDIT_COUNTER_0 and _1 from tpm2_getcap properties-variable.
audit_counter() {
    tpm2_getcap properties-variable | awk '/TPM2_PT_AUDIT_COUNTER_[01]:/ { print $2 }' | tr '\n' ' '
}
check_eq "audit counter after manufacture" "$(audit_counter)" "0x0 0x0 "
tpm2_setcommandauditstatus -C o -g sha256 TPM2_CC_GetRandom
check_eq "the first audited event starts log 1" "$(audit_counter)" "0x0 0x1 "
tpm2_getrandom 8 -o r1.bin
tpm2_getrandom 5 -o r2.bin
step tpm2_getcommandauditdigest -c ak.ctx -g sha256 -q 5a5a -m cad.att -s cad.sig -f plain >/dev/null
check_match "openssl verifies the command audit report" "$(openssl dgst -sha256 -verify ak.pub -signature cad.sig cad.att 2>&1)" "Verified OK"
check_eq "command audit report: type TPM_ST_ATTEST_COMMAND_AUDIT" "$(attest_field cad.att type)" 8015
check_eq "command audit report: audit counter" "$(attest_field cad.att counter)" 1
# The audit digest recomputed from the cpHash and rpHash of the audited commands (Part 1 §32):
# the two SetCommandCodeAuditStatus of tpm2_setcommandauditstatus and the two GetRandom.
python3 "$VTPM_TEST_DIR/audit_check.py" command cad.att r1.bin r2.bin
echo "ok: command audit digest = SHA-256 chain of cpHash || rpHash (python3)"
# The signed report ended the log: the next audited command starts log 2.
tpm2_getrandom 4 >/dev/null
check_eq "a new log after the signed report" "$(audit_counter)" "0x0 0x2 "
tpm2_setcommandauditstatus -C o -c TPM2_CC_GetRandom
tpm2_getrandom 4 >/dev/null
check_eq "GetRandom is no longer audited" "$(audit_counter)" "0x0 0x2 "

# --- audit session: tpm2_startauthsession --audit-session, tpm2_getsessionauditdigest --------
tpm2_startauthsession -S audit.ctx --audit-session
tpm2_getrandom 8 -S audit.ctx -o r3.bin
step tpm2_getsessionauditdigest -S audit.ctx -c ak.ctx -g sha256 -q 77 -m sad.att -s sad.sig -f plain >/dev/null
check_match "openssl verifies the session audit report" "$(openssl dgst -sha256 -verify ak.pub -signature sad.sig sad.att 2>&1)" "Verified OK"
check_eq "session audit report: type TPM_ST_ATTEST_SESSION_AUDIT" "$(attest_field sad.att type)" 8016
python3 "$VTPM_TEST_DIR/audit_check.py" session sad.att r3.bin
echo "ok: session audit digest = SHA-256(0...0 || cpHash || rpHash) of the audited GetRandom"
tpm2_flushcontext audit.ctx

stop_server
