#!/usr/bin/env bash
# vtpm-server --vm DIR: a VM's TPM served from its encrypted NVRAM file, with tpm2-tools.
# vm_server.sh PATH-TO-VTPMCTL
#   - the EKs tpm2_createek derives are the ones vtpmctl provisioned (ek show);
#   - NV changes (a new ownerAuth) are written back to the encrypted file and survive a
#     restart and a SIGKILL; the file stays encrypted (the state's magic never appears);
#   - while the server runs, the VM is locked (vtpmctl tpm remove refused);
#   - a tampered NVRAM file or a missing key provider: the server refuses to start, one clear line.
source "$(dirname "$0")/lib.sh"
VTPMCTL=${1:?usage: vm_server.sh PATH-TO-VTPMCTL}
cd "$WORK"
H="$WORK/host"
ctl() { "$VTPMCTL" --home "$H" "$@"; }
ctl provider create kp >/dev/null
echo "pw" >pw.txt
ctl provider backup kp kp.p12 --password-file pw.txt >/dev/null
ctl vm create guest --tpm >/dev/null
VM="$H/vms/guest"

start_server --vm "$VM" --mssim 127.0.0.1:0
use_tcti mssim
tpm2_startup -c
# EKs: what tpm2_createek re-derives (RSA and ECC low range) equals what vtpmctl provisioned.
for k in rsa ecc; do
    case $k in rsa) kind=rsa2048 ;; ecc) kind=ecc256 ;; esac
    tpm2_createek -c ek.ctx -G $k -u ek-$k.pub >/dev/null
    tpm2_flushcontext -t
    stop_server
    ctl ek show guest --ek $kind --public-area ek-$kind.pub >/dev/null
    # tpm2_createek writes a TPM2B_PUBLIC; vtpmctl a TPMT_PUBLIC or TPM2B_PUBLIC: compare the key.
    same=$(python3 - ek-$k.pub ek-$kind.pub <<'PY'
import sys
a, b = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def body(x):
    return x[2:] if int.from_bytes(x[:2], 'big') == len(x) - 2 else x
print('same' if body(a) == body(b) else 'different')
PY
)
    check_eq "tpm2_createek -G $k = the provisioned $kind EK" "$same" "same"
    start_server --vm "$VM" --mssim 127.0.0.1:0
    use_tcti mssim
    tpm2_startup -c
done

# The EK certificates are in the TCG NV indices: tpm2_getekcertificate reads them (RSA, then
# ECC), they equal the files vtpmctl keeps, and openssl verifies them against the host's CA.
ctl ek ca-cert --out ca.pem
tpm2_getekcertificate -o nv-rsa2048.der -o nv-ecc256.der
for k in rsa2048 ecc256; do
    cmp -s nv-$k.der "$VM/ek-$k.crt" || fail "the $k EK certificate in NV differs from the provisioned one"
    openssl x509 -inform DER -in nv-$k.der -out nv-$k.pem
    check_eq "openssl verify of the $k EK certificate read from NV" "$(openssl verify -CAfile ca.pem nv-$k.pem)" "nv-$k.pem: OK"
done
tpm2_nvread -C o 0x01C0000A -o nv-ecc.der
cmp -s nv-ecc.der "$VM/ek-ecc256.crt" || fail "tpm2_nvread 0x01C0000A differs"
echo "ok: tpm2_nvread 0x01C0000A (owner authorization) reads the ECC EK certificate"

# An NV change goes to the encrypted file.
tpm2_changeauth -c owner vm-owner-secret
if grep -q "VTPMSTAT" "$VM/tpm.nvram"; then fail "the NVRAM file holds the state in clear"; fi
echo "ok: the NVRAM file is encrypted"
# The VM is locked while its TPM is served.
rc=0; ctl tpm remove guest >out.txt 2>err.txt || rc=$?
[ "$rc" -ne 0 ] || fail "tpm remove while the server runs"
check_match "tpm remove while the server runs: refused" "$(cat err.txt)" "in use"
kill_server
start_server --vm "$VM" --mssim 127.0.0.1:0
use_tcti mssim
tpm2_startup -c
if tpm2_createprimary -C o -c p.ctx >/dev/null 2>&1; then fail "ownerAuth lost after SIGKILL"; fi
tpm2_createprimary -C o -P vm-owner-secret -c p.ctx >/dev/null
tpm2_flushcontext -t
echo "ok: ownerAuth survived a SIGKILL"
stop_server

# Refusals: a tampered file, a missing provider, --vm with --state, not a VM directory.
cp "$VM/tpm.nvram" good.nvram
python3 -c "
import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[len(b) // 2] ^= 1; open(p, 'wb').write(b)" "$VM/tpm.nvram"
rc=0; "$VTPM_SERVER" --vm "$VM" --mssim 127.0.0.1:0 >out.txt 2>err.txt || rc=$?
check_eq "tampered NVRAM file: exit status" "$rc" 1
check_match "tampered NVRAM file: message" "$(cat err.txt)" "tamper|integrity|corrupt"
cp good.nvram "$VM/tpm.nvram"
mv "$H/providers" "$H/providers.away"
rc=0; "$VTPM_SERVER" --vm "$VM" --mssim 127.0.0.1:0 >out.txt 2>err.txt || rc=$?
check_eq "missing key provider: exit status" "$rc" 1
check_match "missing key provider: message names it" "$(cat err.txt)" "provider"
mv "$H/providers.away" "$H/providers"
rc=0; "$VTPM_SERVER" --vm "$VM" --state "$WORK/st" >out.txt 2>err.txt || rc=$?
check_eq "--vm with --state: bad command line" "$rc" 2
rc=0; "$VTPM_SERVER" --vm "$WORK" --mssim 127.0.0.1:0 >out.txt 2>err.txt || rc=$?
check_eq "--vm on a directory that is no VM: exit status" "$rc" 1
start_server --vm "$VM" --mssim 127.0.0.1:0
use_tcti mssim
tpm2_startup -c
tpm2_createprimary -C o -P vm-owner-secret -c p.ctx >/dev/null
tpm2_flushcontext -t
stop_server
echo "PASS: vm_server"
