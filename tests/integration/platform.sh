#!/usr/bin/env bash
# The vTPM platform with vtpmctl and openssl: platform.sh PATH-TO-VTPMCTL
# Key provider backups read by `openssl pkcs12 -info`, restore on a second host directory,
# EK certificates verified by `openssl verify` against the local CA and compared with the EK
# public areas (parsed by python3), enterprise-CA certificates from a CSR, tampered and foreign
# NVRAM files, migration and clones, the host-TPM restriction, and the VM lock that a running
# vtpm-server holds.
source "$(dirname "$0")/lib.sh"
VTPMCTL=${1:?usage: platform.sh PATH-TO-VTPMCTL}
cd "$WORK"
H1="$WORK/host1" H2="$WORK/host2" H3="$WORK/host3" H4="$WORK/host4"
ctl() { "$VTPMCTL" --home "$@"; }
# expect_fail STATUS DESCRIPTION REGEX CMD... — CMD must exit with STATUS and print REGEX.
expect_fail() {
    local want=$1 what=$2 re=$3 rc=0
    shift 3
    "$@" >out.txt 2>err.txt || rc=$?
    check_eq "$what: exit status" "$rc" "$want"
    check_match "$what: message" "$(cat err.txt)" "$re"
    check_eq "$what: one line" "$(wc -l <err.txt)" 1
}

# --- providers and backups ---------------------------------------------------------------
KP=$(ctl "$H1" provider create kp1)
check_match "provider create prints a UUID" "$KP" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
expect_fail 3 "a TPM under a provider that was never backed up" "has not been backed up.*provider backup" \
    ctl "$H1" vm create a --tpm
check_eq "the refused VM is not left behind" "$(ctl "$H1" vm list | wc -l)" 0
echo "backup-pw" >pw.txt
ctl "$H1" provider backup kp1 kp1.p12 --password-file pw.txt >/dev/null
info=$(openssl pkcs12 -info -in kp1.p12 -passin pass:backup-pw -nokeys -nocerts 2>&1)
check_match "openssl pkcs12 -info: MAC" "$info" "^MAC: sha256"
check_match "openssl pkcs12 -info: encryption" "$info" "PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"
check_match "openssl pkcs12 -info: the secret bag" "$info" "^Secret bag"
check_match "openssl pkcs12 -info: the provider id" "$info" "localKeyID: $(printf '%s' "$KP" | od -An -tx1 | tr -d '\n' | sed 's/^ //' | tr 'a-f' 'A-F')"
if openssl pkcs12 -info -in kp1.p12 -passin pass:wrong -nokeys -nocerts >/dev/null 2>&1; then fail "openssl accepted a wrong password"; fi
echo "ok: openssl refuses a wrong password"
check_match "provider list" "$(ctl "$H1" provider list)" "^$KP  kp1  backed-up=yes  require-tpm=no  default$"

# --- a VM with a TPM; EK certificates ------------------------------------------------------
ctl "$H1" vm create a --tpm >/dev/null
ctl "$H1" vm create b --tpm --ek rsa2048,ecc256,ecc384 >/dev/null
ctl "$H1" ek ca-cert --out ca.pem
for k in rsa2048 ecc256; do
    crt="$H1/vms/a/ek-$k.crt"
    openssl x509 -inform DER -in "$crt" -out "ek-$k.pem"
    check_eq "openssl verify of the $k EK certificate" "$(openssl verify -CAfile ca.pem "ek-$k.pem")" "ek-$k.pem: OK"
    ctl "$H1" ek show a --ek "$k" --public-area "ek-$k.pub" >/dev/null
    same=$(python3 - "ek-$k.pem" "ek-$k.pub" <<'PY'
import sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read()).public_key().public_numbers()
p = open(sys.argv[2], 'rb').read()
pos = 0
def take(n):
    global pos
    b = p[pos:pos + n]; pos += n; return b
def u16(): return int.from_bytes(take(2), 'big')
def b2b(): return take(u16())
t = u16(); take(6); b2b()
if u16() != 0x10: take(4)
if u16() != 0x10: take(2)
if t == 1:
    take(2); e = int.from_bytes(take(4), 'big') or 65537
    print(c.n == int.from_bytes(b2b(), 'big') and c.e == e)
else:
    take(2)
    if u16() != 0x10: take(2)
    print(c.x == int.from_bytes(b2b(), 'big') and c.y == int.from_bytes(b2b(), 'big'))
PY
)
    check_eq "the $k certificate certifies the EK's public key" "$same" "True"
done
text=$(openssl x509 -noout -text -in ek-rsa2048.pem)
check_match "EK certificate: TCG subjectAltName" "$text" "DirName:/2.23.133.2.1=id:5654504D/2.23.133.2.2=vtpm/2.23.133.2.3=id:00000001"
check_match "EK certificate: key usage" "$text" "Key Encipherment"
check_match "tpm info lists the EKs and NV indices" "$(ctl "$H1" tpm info a)" "ek: ecc256 template L-2, certificate NV index 0x1c0000a"

# Replacing a certificate: only one that certifies the EK.
expect_fail 6 "set-cert with the ECC EK's certificate for the RSA EK" "not the rsa2048 EK of this TPM" \
    ctl "$H1" ek set-cert a --ek rsa2048 ek-ecc256.pem
expect_fail 6 "set-cert with another TPM's certificate" "not the rsa2048 EK of this TPM" \
    ctl "$H1" ek set-cert a --ek rsa2048 "$H1/vms/b/ek-rsa2048.crt"
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=Enterprise EK CA" -days 30 -keyout ent.key -out ent.pem 2>/dev/null
ctl "$H1" ek csr a --ek rsa2048 --out a.csr
check_match "openssl verifies the CSR" "$(openssl req -verify -noout -in a.csr 2>&1)" "verify OK|Certificate request self-signature verify OK"
printf 'keyUsage=critical,keyEncipherment\nbasicConstraints=critical,CA:FALSE\n' >ext.cnf
openssl x509 -req -in a.csr -CA ent.pem -CAkey ent.key -CAcreateserial -days 30 -extfile ext.cnf -out ent-ek.pem 2>/dev/null
ctl "$H1" ek set-cert a --ek rsa2048 ent-ek.pem
openssl x509 -inform DER -in "$H1/vms/a/ek-rsa2048.crt" -out now.pem
check_eq "the enterprise certificate replaced the local one" "$(openssl verify -CAfile ent.pem now.pem)" "now.pem: OK"

# The EK templates are the profile's: tpm2_createek (another implementation of the profile)
# sends the same templates, so the public areas differ only in the unique field.
ctl "$H1" vm create h --tpm --ek rsa3072,ecc384 >/dev/null
start_server --state "$WORK/plain" --mssim 127.0.0.1:0
use_tcti mssim >/dev/null
tpm2_startup -c
for spec in "rsa rsa2048 a" "ecc ecc256 a" "rsa3072 rsa3072 h" "ecc384 ecc384 h"; do
    set -- $spec
    tpm2_createek -G "$1" -c "tools-$1.ctx" -u "tools-$1.pub" >/dev/null
    tpm2_flushcontext -t
    ctl "$H1" ek show "$3" --ek "$2" --public-area "ours-$2.pub" >/dev/null
    same=$(python3 - "tools-$1.pub" "ours-$2.pub" <<'PY'
import sys
def without_unique(p):
    pos = 0
    def u16():
        nonlocal pos; v = int.from_bytes(p[pos:pos + 2], 'big'); pos += 2; return v
    def skip(n):
        nonlocal pos; pos += n
    t = u16(); skip(6); skip(u16())
    if u16() != 0x10: skip(4)
    if u16() != 0x10: skip(2)
    if t == 1: skip(6)
    else:
        skip(2)
        if u16() != 0x10: skip(2)
    return p[:pos]
tools = open(sys.argv[1], 'rb').read()[2:]
ours = open(sys.argv[2], 'rb').read()
print(without_unique(tools) == without_unique(ours) and len(tools) == len(ours))
PY
)
    check_eq "tpm2_createek -G $1 uses our $2 template" "$same" "True"
done
stop_server

# --- NVRAM files ---------------------------------------------------------------------------
check_match "state inspect" "$(ctl "$H1" state inspect a)" "integrity: ok"
cp "$H1/vms/a/tpm.nvram" good.nvram
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[len(b)//2]^=1; open(sys.argv[1],'wb').write(b)" "$H1/vms/a/tpm.nvram"
expect_fail 4 "a tampered NVRAM byte" "failed its integrity check" ctl "$H1" state inspect a
expect_fail 4 "EKs of a tampered TPM" "failed its integrity check" ctl "$H1" ek show a
cp good.nvram "$H1/vms/a/tpm.nvram"
cp "$H1/vms/b/tpm.nvram" b.nvram
cp good.nvram "$H1/vms/b/tpm.nvram"
expect_fail 4 "another VM's NVRAM file" "belongs to VM '.*', not to VM" ctl "$H1" ek show b
cp b.nvram "$H1/vms/b/tpm.nvram"
check_match "the restored files open" "$(ctl "$H1" state inspect b)" "integrity: ok"

# --- restore on another host; migration ----------------------------------------------------
A_EK=$(ctl "$H1" ek show a --ek ecc256 | grep spki-sha256)
A_SUM=$(sha256sum <"$H1/vms/a/tpm.nvram")
expect_fail 3 "migration to a host without the key provider" "does not have key provider $KP" \
    ctl "$H1" vm migrate a --to-home "$H3"
check_eq "the source is intact" "$(sha256sum <"$H1/vms/a/tpm.nvram")" "$A_SUM"
check_match "the source still opens" "$(ctl "$H1" state inspect a)" "integrity: ok"
expect_fail 3 "restore with a wrong password" "password of .* is wrong" \
    ctl "$H2" provider restore kp1.p12 --password nope
check_eq "restore on a second host keeps the id" "$(ctl "$H2" provider restore kp1.p12 --password backup-pw)" "restored kp1 ($KP)"
ctl "$H1" vm migrate a --to-home "$H2" >/dev/null
check_eq "the migrated TPM has the same EK" "$(ctl "$H2" ek show a --ek ecc256 | grep spki-sha256)" "$A_EK"
check_match "the source host no longer has the VM" "$(ctl "$H1" vm list)" "^b "
# Bridge: re-encrypt under another provider of the target host.
ctl "$H3" provider create kp3 >/dev/null
ctl "$H3" provider backup kp3 kp3.p12 --password x >/dev/null
ctl "$H2" vm migrate a --to-home "$H3" --to-provider kp3 >/dev/null
check_match "re-encrypted under the target's provider" "$(ctl "$H3" state inspect a)" "provider: kp3 "
check_eq "the bridged TPM has the same EK" "$(ctl "$H3" ek show a --ek ecc256 | grep spki-sha256)" "$A_EK"

# --- clones --------------------------------------------------------------------------------
check_eq "default clone policy" "$(ctl "$H3" vm clone-policy)" "copy"
ctl "$H3" vm clone a a-copy >/dev/null 2>&1
check_eq "copy clone: same EK" "$(ctl "$H3" ek show a-copy --ek ecc256 | grep spki-sha256)" "$A_EK"
ctl "$H3" vm clone-policy replace
ctl "$H3" vm clone a a-new >/dev/null 2>&1
new_ek=$(ctl "$H3" ek show a-new --ek ecc256 | grep spki-sha256)
[ "$new_ek" != "$A_EK" ] || fail "replace clone has the source's EK"
echo "ok: replace clone: another EK"
openssl x509 -inform DER -in "$H3/vms/a-new/ek-ecc256.crt" -out anew.pem
ctl "$H3" ek ca-cert --out ca3.pem
check_eq "replace clone: a new certificate from the local CA" "$(openssl verify -CAfile ca3.pem anew.pem)" "anew.pem: OK"

# --- hosts without a TPM -------------------------------------------------------------------
if ls /sys/class/tpm/tpm*/tpm_version_major >/dev/null 2>&1; then
    echo "skip: this host has a TPM device; the TPM2-device restriction is covered by the unit tests"
else
    ctl "$H4" provider restore kp1.p12 --password backup-pw --require-tpm >/dev/null
    expect_fail 3 "a provider restricted to hosts with a TPM" "TPM2 Device is Required.*without --require-tpm" \
        ctl "$H4" vm create x --tpm
    ctl "$H4" provider restore kp1.p12 --password backup-pw >/dev/null
    ctl "$H4" vm create x --tpm >/dev/null
    echo "ok: restored without the restriction, the provider works"
fi

# --- the VM lock a running vtpm-server holds -----------------------------------------------
ctl "$H1" vm create d >/dev/null
start_server --state "$H1/vms/d" --mssim 127.0.0.1:0
expect_fail 5 "tpm add while the server runs" "in use .*power off the VM" ctl "$H1" tpm add d
stop_server
ctl "$H1" tpm add d
check_match "tpm add after the server stopped" "$(ctl "$H1" tpm info d)" "provider: kp1"
start_server --state "$H1/vms/b" --mssim 127.0.0.1:0
expect_fail 5 "tpm remove while the server runs" "in use" ctl "$H1" tpm remove b
stop_server
ctl "$H1" tpm remove b 2>err.txt
check_match "tpm remove warns about in-guest secrets" "$(cat err.txt)" "BitLocker"

# --- deleting providers; inspecting a file -------------------------------------------------
expect_fail 7 "deleting a provider that protects a TPM" "protects the TPM of VM 'd'" ctl "$H1" provider delete kp1
check_match "state inspect --file with the VM id" "$(ctl "$H1" state inspect --file "$H1/vms/d/tpm.nvram")" "integrity: ok"
cp "$H1/vms/d/tpm.nvram" d.nvram
expect_fail 4 "state inspect --file for another VM id" "not to VM 'someone-else'" \
    ctl "$H1" state inspect --file d.nvram --vm-id someone-else
ctl "$H1" provider delete kp1 --force
expect_fail 3 "a TPM whose provider was deleted" "needs key provider $KP.*provider restore" ctl "$H1" ek show d
ctl "$H1" provider restore kp1.p12 --password backup-pw >/dev/null
check_match "after the restore the TPM opens again" "$(ctl "$H1" state inspect d)" "integrity: ok"

# --- usage errors --------------------------------------------------------------------------
expect_fail 2 "unknown option" "unknown option --bogus" ctl "$H1" tpm add d --bogus
expect_fail 7 "unknown VM" "there is no VM 'zz'" ctl "$H1" tpm info zz
for c in "provider create" "provider list" "provider backup" "provider restore" "provider set-default" "provider delete" \
    "vm create" "vm list" "vm clone" "vm clone-policy" "vm migrate" "vm remove" "tpm add" "tpm remove" "tpm info" \
    "ek show" "ek csr" "ek set-cert" "ek ca-cert" "state inspect"; do
    # shellcheck disable=SC2086
    check_match "$c --help" "$("$VTPMCTL" $c --help)" "^usage: vtpmctl $c"
done
echo "PASS"
