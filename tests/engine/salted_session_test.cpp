// Salted sessions (Part 3 §11.1, Part 1 §21.3): the salt is encrypted by Python
// (python3-cryptography: RSA-OAEP with the label "SECRET", or ECDH on P-256 + KDFe), the
// session key is computed by Python with KDFa, and the TPM must accept HMACs keyed with it and
// answer with HMACs keyed with it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <support/oracle.hpp>
#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::py_prelude;
using vtpm_test::python;

namespace {

using tpm_t = tpm<testing::deterministic_platform<>>;

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }

bytes params_of(const command_builder& b) {
    bytes x = b.build();
    return bytes(x.begin() + 10, x.end());
}

struct primary {
    tpm_handle handle = 0;
    bytes pub; // TPMT_PUBLIC
};

/// A storage primary key (restricted decrypt, AES-128-CFB) or, with sign = true, a signing key.
primary create_primary(tpm_t& t, tpm_alg_id type, bool sign = false) {
    command_builder pub(0);
    const std::uint32_t attrs = sign ? 0x00040072 : 0x00030072; // sign: fixedTPM|fixedParent|sdo|userWithAuth|sign
    pub.u16(type).u16(alg::sha256).u32(attrs).b2b({});
    if (sign) pub.u16(alg::null); else pub.u16(alg::aes).u16(128).u16(alg::cfb);
    if (type == alg::rsa) {
        pub.u16(alg::null).u16(2048).u32(0).b2b({});
    } else {
        pub.u16(alg::null).u16(ecc_curve::nist_p256).u16(alg::null).b2b({}).b2b({});
    }
    auto r = run(t, command_builder(cc::create_primary).handle(rh::owner).password()
                        .u16(4).u16(0).u16(0).b2b(params_of(pub)).b2b({}).u32(0).build());
    REQUIRE(r.rc == 0);
    primary p;
    p.handle = r.u32();
    r.parameter_size();
    p.pub = r.b2b();
    REQUIRE(r.ok);
    return p;
}

/// Python that defines `salt` and `enc` (the encryptedSalt contents) for the key's public area.
std::string encrypt_salt_py(const primary& k) {
    return R"(
import os, struct
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, ec
pub = )" + hx(k.pub) + R"(
typ = struct.unpack('>H', pub[0:2])[0]
def tpm2b(b, o):
    n = struct.unpack('>H', b[o:o+2])[0]
    return b[o+2:o+2+n], o + 2 + n
if typ == 1:
    o = 2 + 2 + 4
    _, o = tpm2b(pub, o)
    o += 6 + 2 + 2 + 4
    n, o = tpm2b(pub, o)
    key = rsa.RSAPublicNumbers(65537, int.from_bytes(n, 'big')).public_key()
    salt = bytes.fromhex(')" + std::string(64, '7') + R"(')
    enc = key.encrypt(salt, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=b'SECRET\0'))
else:
    o = 2 + 2 + 4
    _, o = tpm2b(pub, o)
    o += 6 + 2 + 2 + 2
    qx, o = tpm2b(pub, o)
    qy, o = tpm2b(pub, o)
    peer = ec.EllipticCurvePublicNumbers(int.from_bytes(qx, 'big'), int.from_bytes(qy, 'big'), ec.SECP256R1()).public_key()
    eph = ec.derive_private_key(0x1234567890abcdef1234567890abcdef, ec.SECP256R1())
    z = eph.exchange(ec.ECDH(), peer)
    n = eph.public_key().public_numbers()
    ex, ey = n.x.to_bytes(32, 'big'), n.y.to_bytes(32, 'big')
    salt = kdfe('sha256', z, b'SECRET', ex, qx, 256)
    enc = struct.pack('>H', 32) + ex + struct.pack('>H', 32) + ey
)";
}

bytes start_salted(tpm_t&, tpm_handle key, const bytes& enc, const bytes& nc) {
    return command_builder(cc::start_auth_session).handle(key).handle(rh::null)
        .b2b(nc).b2b(enc).u8(0).u16(alg::aes).u16(128).u16(alg::cfb).u16(alg::sha256).build();
}

void salted_session_round_trip(tpm_alg_id type) {
    auto t = started();
    const auto k = create_primary(t, type);
    const auto script = py_prelude + encrypt_salt_py(k);
    const bytes enc = from_hex(python(script + "print(enc.hex())"));
    const bytes nc(16, 0x3C);
    auto s = run(t, start_salted(t, k.handle, enc, nc));
    REQUIRE(s.rc == 0);
    const tpm_handle sh = s.u32();
    const bytes nt = s.b2b();
    // PCR_Extend(16) authorized by the salted session: HMAC key = sessionKey (PCR 16's authValue
    // is empty); sessionKey = KDFa(SHA-256, salt, "ATH", nonceTPM, nonceCaller, 256).
    command_builder ext_params(0);
    ext_params.u32(1).u16(alg::sha256).raw(bytes(32, 0xAB));
    const bytes params = params_of(ext_params);
    const auto common = script + "nc = " + hx(nc) + "\nnt = " + hx(nt) + "\n"
                        "key = kdfa('sha256', salt, b'ATH', nt, nc, 256)\n"
                        "cc = (0x182).to_bytes(4, 'big')\n";
    const bytes mac = from_hex(python(common + "cp = hashlib.sha256(cc + (16).to_bytes(4, 'big') + " + hx(params) + ").digest()\n"
                                      "print(hmac.new(key, cp + nc + nt + b'\\x01', 'sha256').hexdigest())"));
    auto r = run(t, command_builder(cc::pcr_extend).handle(16).session(sh, nc, 0x01, mac).raw(params).build());
    REQUIRE(r.rc == 0);
    REQUIRE(r.parameter_size() == 0);
    const bytes nt2 = r.b2b();
    REQUIRE(r.u8() == 0x01);
    const bytes rmac = r.b2b();
    CHECK(to_hex(rmac) == python(common + "nt2 = " + hx(nt2) + "\n"
                                 "rp = hashlib.sha256(bytes(4) + cc).digest()\n"
                                 "print(hmac.new(key, rp + nt2 + nc + b'\\x01', 'sha256').hexdigest())"));
    // A wrong HMAC (as if the salt were another) is refused.
    bytes bad = mac;
    bad[0] ^= 1;
    CHECK(run(t, command_builder(cc::pcr_extend).handle(16).session(sh, nc, 0x01, bad).raw(params).build()).rc == 0x9A2);
}

} // namespace

TEST_CASE("StartAuthSession: a session salted with an RSA storage key (OAEP, label SECRET)", "[session][salt]") {
    salted_session_round_trip(alg::rsa);
}

TEST_CASE("StartAuthSession: a session salted with an ECC storage key (ECDH + KDFe)", "[session][salt]") {
    salted_session_round_trip(alg::ecc);
}

TEST_CASE("StartAuthSession: salt errors", "[session][salt]") {
    auto t = started();
    const auto k = create_primary(t, alg::rsa);
    const auto signer = create_primary(t, alg::ecc, true);
    const bytes nc(16, 1);
    const bytes enc = from_hex(python(py_prelude + encrypt_salt_py(k) + "print(enc.hex())"));
    // A salt without tpmKey: TPM_RC_VALUE + P2.
    CHECK(run(t, start_salted(t, rh::null, enc, nc)).rc == 0x2C4);
    // tpmKey not a decryption key: TPM_RC_ATTRIBUTES + H1.
    CHECK(run(t, start_salted(t, signer.handle, enc, nc)).rc == 0x182);
    // A ciphertext of the wrong size: TPM_RC_SIZE + P2; a corrupted one: TPM_RC_VALUE + P2.
    CHECK(run(t, start_salted(t, k.handle, bytes(enc.begin(), enc.end() - 1), nc)).rc == 0x2D5);
    bytes bad = enc;
    bad[7] ^= 0x40;
    CHECK(run(t, start_salted(t, k.handle, bad, nc)).rc == 0x2C4);
    // tpmKey that is not loaded: TPM_RC_REFERENCE_H0.
    CHECK(run(t, start_salted(t, 0x80000007, enc, nc)).rc == 0x910);
    // And the good salt still works.
    CHECK(run(t, start_salted(t, k.handle, enc, nc)).rc == 0);
}
