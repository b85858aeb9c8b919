#!/usr/bin/env bash
# ECC two-phase commands and HMAC sequences with tpm2-tools 5.4 against vtpm-server (mssim):
# tpm2_geteccparameters, tpm2_ecephemeral + tpm2_zgen2phase (ECDH, SM2), tpm2_commit +
# tpm2_sign -s ecdaa, tpm2_ecdhkeygen / tpm2_ecdhzgen, tpm2_hmac (one-shot and, for inputs
# over 1024 bytes, TPM2_HMAC_Start + SequenceUpdate + SequenceComplete). Expected values come
# from python3 (affine NIST P-256 arithmetic written out below, hashlib, hmac), never from vtpm.
source "$(dirname "$0")/lib.sh"
PROTO=${1:-mssim}

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

cat >ec.py <<'PY'
import hashlib, sys
p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
a = p - 3
b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b
n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
     0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)
def add(P, Q):
    if P is None: return Q
    if Q is None: return P
    if P[0] == Q[0] and (P[1] + Q[1]) % p == 0: return None
    if P == Q: l = (3 * P[0] * P[0] + a) * pow(2 * P[1], -1, p) % p
    else: l = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (l * l - P[0] - Q[0]) % p
    return (x, (l * (P[0] - x) - P[1]) % p)
def mul(k, P):
    R = None
    while k:
        if k & 1: R = add(R, P)
        P = add(P, P); k >>= 1
    return R
class R:
    def __init__(s, data): s.d, s.i = data, 0
    def take(s, k): v = s.d[s.i:s.i + k]; s.i += k; return v
    def u16(s): return int.from_bytes(s.take(2), 'big')
    def b2b(s): return s.take(s.u16())
def i(v): return int.from_bytes(v, 'big')
def point_file(f):          # TPM2B_ECC_POINT
    r = R(open(f, 'rb').read()); r.u16()
    return (i(r.b2b()), i(r.b2b()))
def write_point(f, P):
    body = b''.join(len(c).to_bytes(2, 'big') + c for c in (P[0].to_bytes(32, 'big'), P[1].to_bytes(32, 'big')))
    open(f, 'wb').write(len(body).to_bytes(2, 'big') + body)
def public_point(f):        # TPM2B_PUBLIC of an ECC key: the unique point
    r = R(open(f, 'rb').read()); r.u16()
    assert r.u16() == 0x23; r.u16(); r.take(4); r.b2b()
    if r.u16() != 0x10: r.take(4)               # symmetric: algorithm, keyBits, mode
    s = r.u16()
    if s != 0x10: r.u16()                       # scheme hash
    if s == 0x1a: r.u16()                       # ECDAA count
    r.u16()                                     # curveID
    if r.u16() != 0x10: r.u16()                 # kdf
    return (i(r.b2b()), i(r.b2b()))
def hexpt(P): return '%064x%064x' % P
cmd = sys.argv[1]
if cmd == 'point':             # point FILE K: writes [K]G
    write_point(sys.argv[2], mul(int(sys.argv[3], 0), G))
elif cmd == 'mul':             # mul K POINT-FILE|pub:TPM2B_PUBLIC-FILE
    f = sys.argv[3]
    P = public_point(f[4:]) if f.startswith('pub:') else point_file(f)
    print(hexpt(mul(int(sys.argv[2], 0), P)))
elif cmd == 'hex':             # hex POINT-FILE
    print(hexpt(point_file(sys.argv[2])))
elif cmd == 'sm2':             # sm2 bs be QsA(pub file) QeA(point file): SM2 key exchange Z, B's side
    w = (n.bit_length() + 1) // 2 - 1          # GB/T 32918.3: x~ = 2^w + (x & (2^w - 1))
    xt = lambda x: 2**w + (x & (2**w - 1))
    bs, be = int(sys.argv[2], 0), int(sys.argv[3], 0)
    QsA, QeA = public_point(sys.argv[4]), point_file(sys.argv[5])
    QeB = mul(be, G)
    tB = (bs + xt(QeB[0]) * be) % n
    print(hexpt(mul(tB, add(QsA, mul(xt(QeA[0]), QeA)))))
elif cmd == 'ecdaa':           # ecdaa SIG-FILE E-FILE PUB-FILE MESSAGE-FILE: [s]G == E + [T]Q ?
    r = R(open(sys.argv[2], 'rb').read())
    assert r.u16() == 0x1a and r.u16() == 0x0b
    k, s = r.b2b(), i(r.b2b())
    E, Q = point_file(sys.argv[3]), public_point(sys.argv[4])
    T = i(hashlib.sha256(k + hashlib.sha256(open(sys.argv[5], 'rb').read()).digest()).digest()) % n
    print('ok' if mul(s, G) == add(E, mul(T, Q)) else 'bad')
elif cmd == 'params':          # params FILE: TPMS_ALGORITHM_DETAIL_ECC -> curve keySize p n gX
    r = R(open(sys.argv[2], 'rb').read())
    curve, bits = r.u16(), r.u16()
    if r.u16() != 0x10: r.u16()
    if r.u16() != 0x10: r.u16()
    pp, aa, bb, gx, gy, nn, h = (r.b2b().hex() for _ in range(7))
    print(curve, bits, pp, nn, gx, h)
PY
ec() { python3 ec.py "$@"; }
# step CMD... — run a tool, then flush the transient objects it left loaded (no resource manager).
step() {
    "$@"
    tpm2_flushcontext -t
}

# --- TPM2_ECC_Parameters ----------------------------------------------------------------
tpm2_geteccparameters ecc256 -o p256.bin >/dev/null
check_eq "geteccparameters ecc256" "$(ec params p256.bin)" \
    "3 256 ffffffff00000001000000000000000000000000ffffffffffffffffffffffff ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551 6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296 01"
tpm2_geteccparameters ecc384 -o p384.bin >/dev/null
check_match "geteccparameters ecc384" "$(ec params p384.bin)" "^4 384 f{63}ef{8}0{16}f{8} f{48}c7634d81f4372ddf581a0db248b0a77aecec196accc52973 aa87ca22"

algs=$(tpm2_getcap algorithms)
for a in ecdaa ecmqv cmac ecschnorr sm2; do
    check_match "getcap algorithms lists $a" "$algs" "^$a:"
done

step tpm2_createprimary -C o -c prim.ctx >/dev/null

# --- TPM2_EC_Ephemeral + TPM2_ZGen_2Phase ------------------------------------------------
# keyA: an unrestricted ECDH decryption key; party B's keys are [bs]G and [be]G.
step tpm2_create -C prim.ctx -G ecc256:ecdh -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt" \
    -u dh.pub -r dh.priv >/dev/null
step tpm2_load -C prim.ctx -u dh.pub -r dh.priv -c dh.ctx >/dev/null
bs=0x1f2e3d4c5b6a79880123456789abcdef
be=0xfedcba98765432100f1e2d3c4b5a6978
ec point qsb.bin $bs
ec point qeb.bin $be

tpm2_ecephemeral -u qea.bin -t ctr.bin ecc256 >/dev/null
check_eq "ecephemeral: first counter" "$(hexof ctr.bin)" "0000"
# (tpm2-tools 5.4 accepts only "sm2" for -s; without -s it asks for ECDH.)
step tpm2_zgen2phase -c dh.ctx --static-public qsb.bin --ephemeral-public qeb.bin \
    -t "$((16#$(hexof ctr.bin)))" --output-Z1 z1.bin --output-Z2 z2.bin >/dev/null
check_eq "zgen2phase ECDH: Z1 = [dsA]QsB = [bs]QsA" "$(ec hex z1.bin)" "$(ec mul $bs pub:dh.pub)"
check_eq "zgen2phase ECDH: Z2 = [deA]QeB = [be]QeA" "$(ec hex z2.bin)" "$(ec mul $be qea.bin)"
if tpm2_zgen2phase -c dh.ctx --static-public qsb.bin --ephemeral-public qeb.bin -t 0 \
    --output-Z1 x1.bin --output-Z2 x2.bin >out.txt 2>&1; then
    fail "an ephemeral key must be usable once"
fi
check_match "zgen2phase with a used counter: TPM_RC_VALUE + P4" "$(cat out.txt)" "0x4[cC]4"
tpm2_flushcontext -t
if tpm2_zgen2phase -c dh.ctx --static-public qsb.bin --ephemeral-public qeb.bin -s sm2 -t 0 \
    --output-Z1 x1.bin --output-Z2 x2.bin >out.txt 2>&1; then
    fail "SM2 with an ECDH key must fail"
fi
check_match "zgen2phase: scheme other than the key's: TPM_RC_SCHEME + P3" "$(cat out.txt)" "0x3[dD]2"
tpm2_flushcontext -t

# SM2 key exchange (Part 1 §45.2.3) with a key whose scheme is NULL (sign + decrypt).
step tpm2_create -C prim.ctx -G ecc256 -u kx.pub -r kx.priv >/dev/null
step tpm2_load -C prim.ctx -u kx.pub -r kx.priv -c kx.ctx >/dev/null
tpm2_ecephemeral -u qea2.bin -t ctr2.bin ecc256 >/dev/null
check_eq "ecephemeral: second counter" "$(hexof ctr2.bin)" "0001"
step tpm2_zgen2phase -c kx.ctx --static-public qsb.bin --ephemeral-public qeb.bin -s sm2 -t 1 \
    --output-Z1 m1.bin --output-Z2 m2.bin >/dev/null
check_eq "zgen2phase SM2: Z equals B's computation" "$(ec hex m1.bin)" "$(ec sm2 $bs $be kx.pub qea2.bin)"
check_eq "zgen2phase SM2: outZ2 is the Empty Point" "$(hexof m2.bin)" "000400000000"

# --- TPM2_ECDH_KeyGen / TPM2_ECDH_ZGen ------------------------------------------------------
step tpm2_ecdhkeygen -c dh.ctx -u qe.bin -o zk.bin >/dev/null
step tpm2_ecdhzgen -c dh.ctx -u qe.bin -o zz.bin >/dev/null
check_eq "ecdhzgen([dsA], Qe) = ecdhkeygen's Z = [de]QsA" "$(ec hex zz.bin)" "$(ec hex zk.bin)"
step tpm2_ecdhzgen -c dh.ctx -u qsb.bin -o zb.bin >/dev/null
check_eq "ecdhzgen: [dsA]QsB = [bs]QsA" "$(ec hex zb.bin)" "$(ec mul $bs pub:dh.pub)"

# --- TPM2_Commit + ECDAA signing ------------------------------------------------------------
step tpm2_create -C prim.ctx -G ecc256:ecdaa -u daa.pub -r daa.priv >/dev/null
step tpm2_load -C prim.ctx -u daa.pub -r daa.priv -c daa.ctx >/dev/null
step tpm2_commit -c daa.ctx -t cc.bin -u E.bin >/dev/null
check_eq "commit: counter continues after the EC_Ephemeral values" "$(hexof cc.bin)" "0002"
echo "message signed anonymously" >msg.txt
step tpm2_sign -c daa.ctx -g sha256 -s ecdaa --commit-index=2 -o daa.sig msg.txt
check_eq "ECDAA signature: [s]G = E + [H(k || digest)]Q (Part 1 §44.3.3)" "$(ec ecdaa daa.sig E.bin daa.pub msg.txt)" ok
if tpm2_sign -c daa.ctx -g sha256 -s ecdaa --commit-index=2 -o daa2.sig msg.txt >out.txt 2>&1; then
    fail "a commit value must sign once"
fi
check_match "sign with a used commit value: TPM_RC_VALUE + P2" "$(cat out.txt)" "0x2[cC]4"
tpm2_flushcontext -t

# --- TPM2_HMAC and HMAC sequences -----------------------------------------------------------
printf 'an hmac key held by the tpm' >hk.bin
step tpm2_loadexternal -C n -G hmac -r hk.bin -a "sign|userwithauth" -c hk.ctx >/dev/null
py_hmac() {
    python3 -c "import hmac,hashlib,sys; print(hmac.new(open('hk.bin','rb').read(), open(sys.argv[1],'rb').read(), hashlib.sha256).hexdigest())" "$1"
}
head -c 200 /dev/urandom >small.bin
check_eq "tpm2_hmac of 200 bytes (TPM2_HMAC)" "$(tpm2_hmac -c hk.ctx -g sha256 --hex small.bin)" "$(py_hmac small.bin)"
tpm2_flushcontext -t
head -c 5000 /dev/urandom >big.bin
check_eq "tpm2_hmac of 5000 bytes (TPM2_HMAC_Start and a sequence)" "$(tpm2_hmac -c hk.ctx -g sha256 --hex big.bin)" \
    "$(py_hmac big.bin)"
check_eq "only the key is left loaded, no sequence object" "$(tpm2_getcap handles-transient | grep -c '^-' || true)" 1
tpm2_flushcontext -t

tpm2_shutdown
echo "all ECC and HMAC sequence checks passed"
