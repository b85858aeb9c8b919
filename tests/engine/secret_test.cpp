// engine/secret.hpp: the Labeled KEMs of Part 1 §43.10 (RSA-OAEP) and §44.7 (ECC one-pass
// Diffie-Hellman + KDFe) with the label "SECRET" of salted sessions, on keys the commands
// cannot reach (unrestricted keys with an OAEP scheme). Keys come from TPM2_CreatePrimary;
// Python (python3-cryptography) encapsulates and decapsulates independently.
#include "support/dup_fixture.hpp"

#include <vtpm/engine/secret.hpp>

using namespace dup_test;

namespace {

constexpr std::uint32_t decrypt_key = fixed_tpm | fixed_parent | sdo | user_with_auth | decrypt | no_da;
constexpr std::uint32_t RC_VALUE_ = 0x084, RC_ECC_POINT_ = 0x0A7;

std::pair<std::string, std::string> split2(const std::string& s) {
    const auto sp = s.find(' ');
    REQUIRE(sp != std::string::npos);
    return {s.substr(0, sp), s.substr(sp + 1)};
}

} // namespace

TEST_CASE("RSA Labeled KEM: OAEP with the scheme's hash and the label's zero octet", "[secret]") {
    fixture f(21);
    auto k = f.create_primary(rsa_key(decrypt_key, sym_def(alg::null), scheme(alg::oaep, alg::sha384)));
    REQUIRE(k.rc == 0);
    auto& e = f.t.internals();
    const loaded_object* o = e.object_at(k.handle);
    REQUIRE(o != nullptr);
    const bytes n = rsa_modulus(k.pub);
    const auto* prime = o->sens.sensitive.get<alg::rsa>();
    REQUIRE(prime != nullptr);
    const bytes p(prime->view().begin(), prime->view().end());
    const std::string py_key = "nn = int.from_bytes(" + hx(n) + ", 'big'); p = int.from_bytes(" + hx(p) + R"(, 'big'); q = nn // p
dd = pow(65537, -1, (p - 1) * (q - 1))
k = rsa.RSAPrivateNumbers(p, q, dd, dd % (p - 1), dd % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(65537, nn)).private_key()
def oaep384(label): return padding.OAEP(mgf=padding.MGF1(hashes.SHA384()), algorithm=hashes.SHA384(), label=label)
)";

    tpm2b_digest seed;
    tpm2b_encrypted_secret secret;
    REQUIRE(secret::encapsulate(e.crypto, o->pub, secret::salt_label, seed, secret).ok());
    CHECK(seed.size == 48); // the digest size of the scheme's hash, SHA-384
    CHECK(secret.size == 256);
    CHECK(python(py_wrap + py_key + "print(k.decrypt(" + hx(secret.view()) + ", oaep384(b'SECRET\\0')).hex())") ==
          to_hex(seed.view()));

    // Python encapsulates; the library decapsulates.
    auto [pseed, pct] = split2(python(py_wrap + py_key +
                                      "s = os.urandom(48)\nprint(s.hex(), k.public_key().encrypt(s, oaep384(b'SECRET\\0')).hex())"));
    tpm2b_digest got;
    REQUIRE(secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, from_hex(pct), got).ok());
    CHECK(to_hex(got.view()) == pseed);
    // Another label (here without its zero octet) or a seed longer than the digest: TPM_RC_VALUE.
    auto [s2, ct2] = split2(python(py_wrap + py_key +
                                   "s = os.urandom(48)\nprint(s.hex(), k.public_key().encrypt(s, oaep384(b'SECRET')).hex())"));
    CHECK(secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, from_hex(ct2), got).code() == RC_VALUE_);
    auto [s3, ct3] = split2(python(py_wrap + py_key +
                                   "s = os.urandom(49)\nprint(s.hex(), k.public_key().encrypt(s, oaep384(b'SECRET\\0')).hex())"));
    CHECK(secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, from_hex(ct3), got).code() == RC_VALUE_);
    (void)s2;
    (void)s3;
}

TEST_CASE("RSA Labeled KEM needs an OAEP or NULL scheme", "[secret]") {
    fixture f(22);
    auto k = f.create_primary(rsa_key(decrypt_key, sym_def(alg::null), be16(alg::rsaes)));
    REQUIRE(k.rc == 0);
    auto& e = f.t.internals();
    const loaded_object* o = e.object_at(k.handle);
    REQUIRE(o != nullptr);
    tpm2b_digest seed;
    tpm2b_encrypted_secret secret;
    CHECK(secret::encapsulate(e.crypto, o->pub, secret::salt_label, seed, secret).code() == RC_VALUE_);
    CHECK(seed.size == 0);
    CHECK(secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, bytes(256, 1), seed).code() == RC_VALUE_);
}

TEST_CASE("ECC Labeled KEM: KDFe over the x coordinates", "[secret]") {
    fixture f(23);
    auto k = f.create_primary(ecc_key(decrypt_key, sym_def(alg::null), scheme(alg::ecdh)));
    REQUIRE(k.rc == 0);
    auto& e = f.t.internals();
    const loaded_object* o = e.object_at(k.handle);
    REQUIRE(o != nullptr);
    const auto [x, y] = ecc_point(k.pub);
    const auto* dv = o->sens.sensitive.get<alg::ecc>();
    REQUIRE(dv != nullptr);
    const bytes d(dv->view().begin(), dv->view().end());

    tpm2b_digest seed;
    tpm2b_encrypted_secret secret;
    REQUIRE(secret::encapsulate(e.crypto, o->pub, secret::salt_label, seed, secret).ok());
    CHECK(seed.size == 32);
    // Part 1 §44.7: Z = x([d]Qe); seed = KDFe(SHA-256, Z, "SECRET", x(Qe), x(Qs), 256).
    CHECK(python(py_wrap + "d = ec.derive_private_key(int.from_bytes(" + hx(d) + ", 'big'), ec.SECP256R1())\n"
                 "s = " + hx(secret.view()) + "\n"
                 "assert s[:2] == u16(32) and s[34:36] == u16(32) and len(s) == 68\n"
                 "qe = ec.EllipticCurvePublicNumbers(int.from_bytes(s[2:34], 'big'), int.from_bytes(s[36:], 'big'), ec.SECP256R1()).public_key()\n"
                 "print(kdfe('sha256', d.exchange(ec.ECDH(), qe), b'SECRET', s[2:34], " + hx(x) + ", 256).hex())") ==
          to_hex(seed.view()));

    auto [pseed, pct] = split2(python(py_wrap + "s, c = ecc_encap(" + hx(x) + ", " + hx(y) + ", b'SECRET')\nprint(s.hex(), c.hex())"));
    tpm2b_digest got;
    REQUIRE(secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, from_hex(pct), got).ok());
    CHECK(to_hex(got.view()) == pseed);
    // The same ciphertext with another label gives another seed.
    REQUIRE(secret::decapsulate(e.crypto, o->pub, o->sens, secret::identity_label, from_hex(pct), got).ok());
    CHECK(to_hex(got.view()) != pseed);
    // A point that is not on the curve.
    auto bad = from_hex(pct);
    bad.back() ^= 1;
    CHECK(secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, bad, got).code() == RC_ECC_POINT_);
    CHECK(got.size == 0);
    // Not exactly one TPMS_ECC_POINT.
    CHECK(!secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, bytes(bad.begin(), bad.end() - 1), got).ok());
    bad.push_back(0);
    CHECK(!secret::decapsulate(e.crypto, o->pub, o->sens, secret::salt_label, bad, got).ok());
}
