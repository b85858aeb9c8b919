// TPM2_MakeCredential and TPM2_ActivateCredential (Part 3 §12.5-§12.6, Part 1 §21 with the
// Labeled KEMs of §43.10 and §44.7). Blobs go between two TPMs with different seeds, and
// both directions are checked against Python (python3-cryptography OAEP/ECDH/AES-CFB,
// hashlib/hmac KDFa/KDFe), which never uses the library.
#include "support/dup_fixture.hpp"

using namespace dup_test;

namespace {

struct ek_kind {
    const char* name;
    bool ecc;
};

bytes ek_template(bool ecc) { return ecc ? ecc_storage() : rsa_storage(); }

/// Python expression of (seed, secret) for the Labeled KEM of an EK public area.
std::string py_encap(bool ecc, byte_view ek_pub, const char* label) {
    if (ecc) {
        auto [x, y] = ecc_point(ek_pub);
        return "ecc_encap(" + hx(x) + ", " + hx(y) + ", b'" + label + "')";
    }
    return "rsa_encap(" + hx(rsa_modulus(ek_pub)) + ", b'" + label + "')";
}

} // namespace

TEST_CASE("MakeCredential on one TPM, ActivateCredential on another", "[credential]") {
    const bool ecc = GENERATE(false, true);
    INFO((ecc ? "ECC EK" : "RSA EK"));
    fixture a(1), b(2);
    auto ek = b.create_primary(ek_template(ecc), rh::endorsement);
    REQUIRE(ek.rc == 0);
    auto ak = b.create_primary(ecc_key(fixed_tpm | fixed_parent | sdo | user_with_auth | sign | restricted, sym_def(alg::null),
                                       scheme(alg::ecdsa)));
    REQUIRE(ak.rc == 0);
    // The credential provider (TPM a) only has the EK's public area.
    auto [lrc, ek_on_a] = a.load_public(ek.pub, rh::endorsement);
    REQUIRE(lrc == 0);
    const bytes cv = str("a credential value of 32 octets!");
    auto [blob, secret] = a.make_credential(ek_on_a, cv, ak.name);
    // Sizes: TPM2B_DIGEST(HMAC) || CFB(TPM2B_DIGEST(cv)); RSA: the modulus, ECC: TPMS_ECC_POINT.
    CHECK(blob.size() == 2 + 32 + 2 + cv.size());
    CHECK(secret.size() == (ecc ? 2 + 32 + 2 + 32 : 256u));

    auto [rc, got] = b.activate_credential(ak.handle, ek.handle, blob, secret);
    REQUIRE(rc == 0);
    CHECK(got == cv);

    SECTION("a blob for another object fails the integrity check") {
        CHECK(b.activate_credential(ek.handle, ek.handle, blob, secret).first == P(RC_INTEGRITY, 1));
    }
    SECTION("a tampered blob fails the integrity check") {
        auto bad = blob;
        bad.back() ^= 1;
        CHECK(b.activate_credential(ak.handle, ek.handle, bad, secret).first == P(RC_INTEGRITY, 1));
        CHECK(b.activate_credential(ak.handle, ek.handle, bytes(blob.begin(), blob.begin() + 20), secret).first ==
              P(RC_INTEGRITY, 1));
    }
    SECTION("a tampered secret") {
        auto bad = secret;
        bad.back() ^= 1;
        // RSA: the OAEP decoding fails; ECC: the point is not on the curve.
        CHECK(b.activate_credential(ak.handle, ek.handle, blob, bad).first ==
              (ecc ? P(RC_ECC_POINT, 2) : P(RC_VALUE, 2)));
    }
    SECTION("the key of another TPM cannot activate it") {
        auto ek_a = a.create_primary(ek_template(ecc), rh::endorsement);
        REQUIRE(ek_a.rc == 0);
        CHECK(ek_a.pub != ek.pub);
        auto r = a.activate_credential(ek_a.handle, ek_a.handle, blob, secret).first;
        CHECK((r == P(RC_INTEGRITY, 1) || r == P(RC_VALUE, 2)));
    }
}

TEST_CASE("ActivateCredential accepts a credential blob built in Python", "[credential]") {
    const bool ecc = GENERATE(false, true);
    INFO((ecc ? "ECC EK" : "RSA EK"));
    fixture b(3);
    auto ek = b.create_primary(ek_template(ecc), rh::endorsement);
    auto obj = b.create_primary(rsa_storage());
    REQUIRE(ek.rc == 0);
    REQUIRE(obj.rc == 0);
    const bytes cv = from_hex("00112233445566778899aabbccddeeff");
    // Part 1 §21.4-§21.5: encIdentity := CFB(KDFa(seed, "STORAGE", Name), 0, TPM2B_DIGEST(CV));
    // identityHMAC := HMAC(KDFa(seed, "INTEGRITY"), encIdentity || Name).
    const auto out = python(py_wrap + "seed, secret = " + py_encap(ecc, ek.pub, "IDENTITY") + "\n" +
                            "print(outer_wrap(seed, " + hx(obj.name) + ", tpm2b(" + hx(cv) + ")).hex(), secret.hex())");
    const auto sp = out.find(' ');
    REQUIRE(sp != std::string::npos);
    const auto blob = from_hex(out.substr(0, sp)), secret = from_hex(out.substr(sp + 1));
    auto [rc, got] = b.activate_credential(obj.handle, ek.handle, blob, secret);
    REQUIRE(rc == 0);
    CHECK(got == cv);

    SECTION("the wrong label (a duplication seed) fails the integrity check") {
        const auto o2 = python(py_wrap + "seed, secret = " + py_encap(ecc, ek.pub, "DUPLICATE") + "\n" +
                               "print(outer_wrap(seed, " + hx(obj.name) + ", tpm2b(" + hx(cv) + ")).hex(), secret.hex())");
        const auto s2 = o2.find(' ');
        auto r = b.activate_credential(obj.handle, ek.handle, from_hex(o2.substr(0, s2)), from_hex(o2.substr(s2 + 1)));
        // RSA: the OAEP label differs, so the decoding fails; ECC: another seed, another HMAC key.
        CHECK(r.first == (ecc ? P(RC_INTEGRITY, 1) : P(RC_VALUE, 2)));
    }
    SECTION("a credential longer than the EK's digest is TPM_RC_SIZE") {
        const auto o2 = python(py_wrap + "seed, secret = " + py_encap(ecc, ek.pub, "IDENTITY") + "\n" +
                               "print(outer_wrap(seed, " + hx(obj.name) + ", tpm2b(bytes(33))).hex(), secret.hex())");
        const auto s2 = o2.find(' ');
        auto r = b.activate_credential(obj.handle, ek.handle, from_hex(o2.substr(0, s2)), from_hex(o2.substr(s2 + 1)));
        CHECK(r.first == P(RC_SIZE, 1));
    }
}

TEST_CASE("MakeCredential output is decrypted by Python", "[credential]") {
    const bool ecc = GENERATE(false, true);
    INFO((ecc ? "ECC key" : "RSA key"));
    fixture a(4);
    // A key pair that only Python knows; the TPM gets its public area.
    const std::string keygen =
        ecc ? "k = ec.generate_private_key(ec.SECP256R1()); n = k.public_key().public_numbers()\n"
              "print(k.private_numbers().private_value.to_bytes(32, 'big').hex(), n.x.to_bytes(32, 'big').hex(), "
              "n.y.to_bytes(32, 'big').hex())"
            : "k = rsa.generate_private_key(65537, 2048); n = k.private_numbers()\n"
              "print(n.p.to_bytes(128, 'big').hex(), n.public_numbers.n.to_bytes(256, 'big').hex(), 'x')";
    const auto kout = python(py_wrap + keygen);
    const auto s1 = kout.find(' '), s2 = kout.find(' ', s1 + 1);
    const auto priv = from_hex(kout.substr(0, s1));
    const auto pub_a = from_hex(kout.substr(s1 + 1, s2 - s1 - 1));
    const bytes pub = ecc ? ecc_key(storage_attrs & ~(fixed_tpm | fixed_parent), sym_def(), scheme(alg::null), {}, pub_a,
                                    from_hex(kout.substr(s2 + 1)))
                          : rsa_key(storage_attrs & ~(fixed_tpm | fixed_parent), sym_def(), scheme(alg::null), {}, pub_a);
    auto [lrc, h] = a.load_public(pub);
    REQUIRE(lrc == 0);
    const bytes cv = str("challenge"), name = from_hex("000b" + std::string(64, 'c'));
    auto [blob, secret] = a.make_credential(h, cv, name);
    REQUIRE(!blob.empty());
    std::string decap;
    if (ecc) {
        decap = "d = ec.derive_private_key(int.from_bytes(" + hx(priv) + ", 'big'), ec.SECP256R1())\n"
                "s = " + hx(secret) + "\n"
                "ex, ey = s[2:34], s[36:68]\n"
                "assert s[:2] == u16(32) and s[34:36] == u16(32) and len(s) == 68\n"
                "qe = ec.EllipticCurvePublicNumbers(int.from_bytes(ex, 'big'), int.from_bytes(ey, 'big'), ec.SECP256R1()).public_key()\n"
                "seed = kdfe('sha256', d.exchange(ec.ECDH(), qe), b'IDENTITY', ex, " + hx(pub_a) + ", 256)\n";
    } else {
        decap = "nn = int.from_bytes(" + hx(pub_a) + ", 'big'); p = int.from_bytes(" + hx(priv) + ", 'big'); q = nn // p\n"
                "dd = pow(65537, -1, (p - 1) * (q - 1))\n"
                "k = rsa.RSAPrivateNumbers(p, q, dd, dd % (p - 1), dd % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(65537, nn)).private_key()\n"
                "seed = k.decrypt(" + hx(secret) + ", oaep(b'IDENTITY'))\n"
                "assert len(seed) == 32\n";
    }
    const auto plain = python(py_wrap + decap + "print(outer_unwrap(seed, " + hx(name) + ", " + hx(blob) + ").hex())");
    CHECK(plain == to_hex(b2b(cv)));
}

TEST_CASE("MakeCredential and ActivateCredential errors", "[credential]") {
    fixture f(5);
    auto ek = f.create_primary(rsa_storage(), rh::endorsement);
    auto signer = f.create_primary(rsa_key(fixed_tpm | fixed_parent | sdo | user_with_auth | sign, sym_def(alg::null),
                                           scheme(alg::rsassa)));
    REQUIRE(ek.rc == 0);
    REQUIRE(signer.rc == 0);
    std::uint32_t rc = 0;
    // Not a storage key (Part 3 §12.6): TPM_RC_TYPE on the handle.
    (void)f.make_credential(signer.handle, str("x"), ek.name, &rc);
    CHECK(rc == H(RC_TYPE, 1));
    // A credential longer than the key's nameAlg digest.
    (void)f.make_credential(ek.handle, bytes(33, 1), ek.name, &rc);
    CHECK(rc == P(RC_SIZE, 1));
    auto [blob, secret] = f.make_credential(ek.handle, bytes(32, 1), signer.name, &rc);
    REQUIRE(rc == 0);
    // keyHandle must be a storage key (Part 3 §12.5).
    CHECK(f.activate_credential(signer.handle, signer.handle, blob, secret).first == H(RC_TYPE, 2));
    // An RSA secret of the wrong size.
    CHECK(f.activate_credential(signer.handle, ek.handle, blob, bytes(secret.begin(), secret.end() - 1)).first ==
          P(RC_SIZE, 2));
    // ActivateCredential needs two authorizations.
    auto r = run(f.t, command_builder(cc::activate_credential).handle(signer.handle).handle(ek.handle).password()
                          .b2b(blob).b2b(secret).build());
    CHECK(r.rc == 0x125); // TPM_RC_AUTH_MISSING
    CHECK(f.activate_credential(signer.handle, ek.handle, blob, secret).second == bytes(32, 1));
}
