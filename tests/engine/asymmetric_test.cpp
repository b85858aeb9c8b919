// TPM2_RSA_Encrypt, TPM2_RSA_Decrypt, TPM2_ECDH_KeyGen, TPM2_ECDH_ZGen and TPM2_ECC_Parameters
// (Part 3 §14) through the command pipeline, as raw bytes. Independent checks with Debian's
// /usr/bin/python3: python3-cryptography encrypts what the TPM decrypts and decrypts what the
// TPM encrypts (OAEP with a label, PKCS#1 v1.5, raw RSA as pow()), and ECDH points are
// recomputed with a few lines of affine point arithmetic in Python.
//
// Keys are put into object slots directly until CreatePrimary/Load are available.
#include <catch2/catch.hpp>

#include <support/keys.hpp>
#include <support/oracle.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <unistd.h>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<vtpm_test::four_curves>;
using tpm_t = tpm<platform>;

using vtpm_test::python;
using vtpm_test::hx;
bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }
constexpr std::uint32_t rc_of(rc r) { return r.code(); }

// --- keys in object slots (tests/support/keys.hpp) -------------------------------------------

using vtpm_test::ecc_generate;
using vtpm_test::ecc_key;
using vtpm_test::install;
using vtpm_test::key_auth;
using vtpm_test::py_ec;
using vtpm_test::py_rsa_private;
using vtpm_test::rsa2048;
using vtpm_test::rsa_key;

constexpr std::uint32_t decrypt_attrs = object_attr::decrypt | object_attr::user_with_auth |
                                        object_attr::fixed_tpm | object_attr::fixed_parent |
                                        object_attr::sensitive_data_origin;

// --- commands ----------------------------------------------------------------------------

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(3); }

/// inScheme: TPM_ALG_NULL, TPM_ALG_RSAES, or TPM_ALG_OAEP with a hash.
bytes scheme_bytes(tpm_alg_id scheme, tpm_alg_id hash = alg::sha256) {
    command_builder b(0);
    b.u16(scheme);
    if (scheme == alg::oaep) b.u16(hash);
    const auto cmd = b.build();
    return bytes(cmd.begin() + 10, cmd.end());
}
bytes encrypt_cmd(tpm_handle key, byte_view msg, byte_view scheme, byte_view label) {
    return command_builder(cc::rsa_encrypt).handle(key).b2b(msg).raw(scheme).b2b(label).build();
}
bytes decrypt_cmd(tpm_handle key, byte_view c, byte_view scheme, byte_view label, byte_view pw = key_auth) {
    return command_builder(cc::rsa_decrypt).handle(key).password(pw).b2b(c).raw(scheme).b2b(label).build();
}
bytes encrypt_ok(tpm_t& t, const bytes& cmd) {
    auto r = run(t, cmd);
    REQUIRE(r.rc == 0);
    auto out = r.b2b();
    REQUIRE(r.remaining() == 0);
    return out;
}
bytes decrypt_ok(tpm_t& t, const bytes& cmd) {
    auto r = run(t, cmd);
    REQUIRE(r.rc == 0);
    (void)r.parameter_size();
    auto out = r.b2b();
    REQUIRE(r.remaining() == 5);
    return out;
}

/// TPM2B_ECC_POINT as bytes.
bytes point_bytes(byte_view x, byte_view y) {
    bytes b = command_builder(0).b2b(x).b2b(y).build();
    const byte_view inner{b.data() + 10, b.size() - 10};
    const auto framed = command_builder(0).b2b(inner).build();
    return bytes(framed.begin() + 10, framed.end());
}
std::pair<bytes, bytes> read_point(testing::response& r) {
    const auto size = r.u16();
    const auto start = r.pos;
    auto x = r.b2b();
    auto y = r.b2b();
    REQUIRE(r.ok);
    REQUIRE(r.pos - start == size);
    return {x, y};
}

} // namespace

TEST_CASE("TPM2_RSA_Decrypt of python3-cryptography ciphertexts", "[asym]") {
    auto t = started();
    const auto msg = str("a secret message");
    const bytes label = {'l', 'a', 'b', 'e', 'l', 0}; // the terminating zero is part of the label

    SECTION("OAEP-SHA256 with a label (key scheme OAEP, inScheme NULL)") {
        auto h = install(t, rsa_key(decrypt_attrs, alg::oaep, alg::sha256));
        auto c = from_hex(python(py_rsa_private() + "print(key.public_key().encrypt(" + hx(msg) +
                                 ", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), " + hx(label) +
                                 ")).hex())"));
        REQUIRE(c.size() == 256);
        CHECK(decrypt_ok(t, decrypt_cmd(h, c, scheme_bytes(alg::null), label)) == msg);
        // The same OAEP scheme given explicitly.
        CHECK(decrypt_ok(t, decrypt_cmd(h, c, scheme_bytes(alg::oaep, alg::sha256), label)) == msg);
        // Another label, or none: the padding check fails (bare TPM_RC_VALUE).
        CHECK(run(t, decrypt_cmd(h, c, scheme_bytes(alg::null), bytes{'l', 'a', 'b', 'e', 'L', 0})).rc == rc_of(rc::value));
        CHECK(run(t, decrypt_cmd(h, c, scheme_bytes(alg::null), {})).rc == rc_of(rc::value));
        // A label without its terminating zero: TPM_RC_VALUE + P3.
        CHECK(run(t, decrypt_cmd(h, c, scheme_bytes(alg::null), str("label"))).rc == rc_of(rc::value.for_param(3)));
        // The key's scheme cannot be changed.
        CHECK(run(t, decrypt_cmd(h, c, scheme_bytes(alg::rsaes), label)).rc == rc_of(rc::scheme.for_param(2)));
        CHECK(run(t, decrypt_cmd(h, c, scheme_bytes(alg::oaep, alg::sha1), label)).rc ==
              rc_of(rc::scheme.for_param(2)));
        // Authorization.
        CHECK(run(t, decrypt_cmd(h, c, scheme_bytes(alg::null), label, str("nope"))).rc ==
              rc_of(rc::auth_fail.for_session(1)));
    }
    SECTION("RSAES-PKCS1-v1_5 and raw RSA from inScheme (key scheme NULL)") {
        auto h = install(t, rsa_key(decrypt_attrs, alg::null, alg::null));
        auto c = from_hex(python(py_rsa_private() + "print(key.public_key().encrypt(" + hx(msg) +
                                 ", padding.PKCS1v15()).hex())"));
        CHECK(decrypt_ok(t, decrypt_cmd(h, c, scheme_bytes(alg::rsaes), {})) == msg);
        // NULL: c^d mod n, k octets with leading zeros.
        const bytes m = from_hex("0001020304");
        auto raw = from_hex(python(py_rsa_private() + "print(format(pow(int('0001020304', 16), e, n), '0512x'))"));
        auto out = decrypt_ok(t, decrypt_cmd(h, raw, scheme_bytes(alg::null), {}));
        REQUIRE(out.size() == 256);
        CHECK(bytes(out.end() - 5, out.end()) == m);
        CHECK(std::all_of(out.begin(), out.end() - 5, [](auto b) { return b == 0; }));
        // A ciphertext shorter than the modulus: bare TPM_RC_SIZE.
        CHECK(run(t, decrypt_cmd(h, bytes(255, 1), scheme_bytes(alg::null), {})).rc == rc_of(rc::size));
    }
    SECTION("key checks: restricted, not a decryption key, not RSA") {
        auto restricted = install(t, rsa_key(decrypt_attrs | object_attr::restricted, alg::null, alg::null));
        CHECK(run(t, decrypt_cmd(restricted, bytes(256, 1), scheme_bytes(alg::null), {})).rc ==
              rc_of(rc::attributes.for_handle(1)));
        auto sign_key = install(t, rsa_key(object_attr::sign_encrypt | object_attr::user_with_auth, alg::rsassa, alg::sha256));
        CHECK(run(t, decrypt_cmd(sign_key, bytes(256, 1), scheme_bytes(alg::null), {})).rc ==
              rc_of(rc::attributes.for_handle(1)));
        auto ecc = install(t, ecc_key(ecc_generate(t, ecc_curve::nist_p256), ecc_curve::nist_p256, decrypt_attrs,
                                      alg::null, alg::null));
        CHECK(run(t, decrypt_cmd(ecc, bytes(256, 1), scheme_bytes(alg::null), {})).rc == rc_of(rc::key.for_handle(1)));
    }
}

TEST_CASE("TPM2_RSA_Encrypt ciphertexts decrypt with python3-cryptography", "[asym]") {
    auto t = started();
    const auto msg = str("to python");
    const bytes label = {'t', 'p', 'm', 0};

    SECTION("OAEP-SHA256 with a label from inScheme") {
        auto h = install(t, rsa_key(decrypt_attrs, alg::null, alg::null));
        auto c = encrypt_ok(t, encrypt_cmd(h, msg, scheme_bytes(alg::oaep, alg::sha256), label));
        REQUIRE(c.size() == 256);
        CHECK(python(py_rsa_private() + "print(key.decrypt(" + hx(c) + ", padding.OAEP(padding.MGF1(hashes.SHA256()), "
                     "hashes.SHA256(), " + hx(label) + ")).hex())") == to_hex(msg));
        // Longest message: k - 2 hLen - 2 = 190 octets; one more is TPM_RC_VALUE.
        CHECK(encrypt_ok(t, encrypt_cmd(h, bytes(190, 7), scheme_bytes(alg::oaep, alg::sha256), {})).size() == 256);
        CHECK(run(t, encrypt_cmd(h, bytes(191, 7), scheme_bytes(alg::oaep, alg::sha256), {})).rc == rc_of(rc::value));
        // A round trip through the TPM itself.
        CHECK(decrypt_ok(t, decrypt_cmd(h, c, scheme_bytes(alg::oaep, alg::sha256), label)) == msg);
    }
    SECTION("RSAES from the key's scheme; raw RSA") {
        auto rsaes = install(t, rsa_key(decrypt_attrs, alg::rsaes, alg::null));
        auto c = encrypt_ok(t, encrypt_cmd(rsaes, msg, scheme_bytes(alg::null), {}));
        CHECK(python(py_rsa_private() + "print(key.decrypt(" + hx(c) + ", padding.PKCS1v15()).hex())") == to_hex(msg));
        CHECK(run(t, encrypt_cmd(rsaes, msg, scheme_bytes(alg::oaep, alg::sha256), {})).rc ==
              rc_of(rc::scheme.for_param(2)));

        auto raw_key = install(t, rsa_key(decrypt_attrs, alg::null, alg::null));
        auto r = encrypt_ok(t, encrypt_cmd(raw_key, msg, scheme_bytes(alg::null), {}));
        CHECK(to_hex(r) == python(py_rsa_private() + "print(format(pow(int('" + to_hex(msg) + "', 16), e, n), '0512x'))"));
        // A message not below n: TPM_RC_VALUE.
        CHECK(run(t, encrypt_cmd(raw_key, bytes(256, 0xFF), scheme_bytes(alg::null), {})).rc == rc_of(rc::value));
    }
    SECTION("checks: key type, decrypt attribute, label format") {
        auto ecc = install(t, ecc_key(ecc_generate(t, ecc_curve::nist_p256), ecc_curve::nist_p256, decrypt_attrs,
                                      alg::null, alg::null));
        CHECK(run(t, encrypt_cmd(ecc, msg, scheme_bytes(alg::null), {})).rc == rc_of(rc::key.for_handle(1)));
        auto sign_key = install(t, rsa_key(object_attr::sign_encrypt, alg::rsassa, alg::sha256));
        CHECK(run(t, encrypt_cmd(sign_key, msg, scheme_bytes(alg::null), {})).rc == rc_of(rc::attributes.for_handle(1)));
        auto h = install(t, rsa_key(decrypt_attrs, alg::oaep, alg::sha256));
        CHECK(run(t, encrypt_cmd(h, msg, scheme_bytes(alg::null), str("no zero"))).rc == rc_of(rc::value.for_param(3)));
        // A public-only key is enough; encryption needs no authorization.
        auto& o = *t.internals().object_at(h);
        o.has_sensitive = false;
        CHECK(encrypt_ok(t, encrypt_cmd(h, msg, scheme_bytes(alg::null), {})).size() == 256);
    }
}

TEST_CASE("TPM2_ECDH_ZGen and TPM2_ECDH_KeyGen against Python point arithmetic", "[asym]") {
    auto t = started();
    for (auto [curve, pyname] : {std::pair{ecc_curve::nist_p256, "p256"}, std::pair{ecc_curve::bn_p256, "bn256"}}) {
        INFO(pyname);
        const auto k = ecc_generate(t, curve);
        auto h = install(t, ecc_key(k, curve, decrypt_attrs, alg::ecdh, alg::sha256));
        const std::string c = py_ec + "c = CURVES['" + pyname + "']\n";

        // ZGen: Python's ephemeral key QB = [kB]G; the TPM returns [d]QB; Python computes [kB]Q.
        auto out = python(c + "kb = 0x1234567890abcdef1234567890abcdef\nQB = mul(c, kb, G(c))\n"
                          "Q = (i(" + hx(k.x) + "), i(" + hx(k.y) + "))\nZ = mul(c, kb, Q)\n"
                          "print(''.join(format(v, '064x') for v in (QB[0], QB[1], Z[0], Z[1])))");
        const auto v = from_hex(out);
        REQUIRE(v.size() == 128);
        auto part = [&](std::size_t n) { return bytes(v.begin() + 32 * n, v.begin() + 32 * (n + 1)); };
        auto r = run(t, command_builder(cc::ecdh_zgen).handle(h).password(key_auth).raw(point_bytes(part(0), part(1))).build());
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        auto [zx, zy] = read_point(r);
        CHECK(zx == part(2));
        CHECK(zy == part(3));

        // KeyGen: zPoint = [de]Q and pubPoint = [de]G; check zPoint = [d]pubPoint.
        auto g = run(t, command_builder(cc::ecdh_keygen).handle(h).build());
        REQUIRE(g.rc == 0);
        auto [px, py] = read_point(g);
        auto [qx, qy] = read_point(g);
        REQUIRE(g.remaining() == 0);
        CHECK(px.size() == 32);
        CHECK(python(c + "Qe = (i(" + hx(qx) + "), i(" + hx(qy) + "))\nP = (i(" + hx(px) + "), i(" + hx(py) + "))\n"
                     "print('ok' if on_curve(c, Qe) and mul(c, i(" + hx(k.d) + "), Qe) == P else 'bad')") == "ok");
    }
}

TEST_CASE("TPM2_ECDH_ZGen and KeyGen errors", "[asym]") {
    auto t = started();
    const auto k = ecc_generate(t, ecc_curve::nist_p256);
    auto h = install(t, ecc_key(k, ecc_curve::nist_p256, decrypt_attrs, alg::null, alg::null));
    auto zgen = [&](tpm_handle key, byte_view point) {
        return run(t, command_builder(cc::ecdh_zgen).handle(key).password(key_auth).raw(point).build()).rc;
    };
    // A point not on the curve: TPM_RC_ECC_POINT + P1.
    auto bad_y = k.y;
    bad_y[31] ^= 1;
    CHECK(zgen(h, point_bytes(k.x, bad_y)) == rc_of(rc::ecc_point.for_param(1)));
    // Key checks.
    auto signer = install(t, ecc_key(k, ecc_curve::nist_p256, object_attr::sign_encrypt | object_attr::user_with_auth,
                                     alg::ecdsa, alg::sha256));
    CHECK(zgen(signer, point_bytes(k.x, k.y)) == rc_of(rc::attributes.for_handle(1)));
    auto restricted = install(t, ecc_key(k, ecc_curve::nist_p256, decrypt_attrs | object_attr::restricted, alg::null, alg::null));
    CHECK(zgen(restricted, point_bytes(k.x, k.y)) == rc_of(rc::attributes.for_handle(1)));
    auto ecdsa_decrypt = install(t, ecc_key(k, ecc_curve::nist_p256, decrypt_attrs, alg::ecdsa, alg::sha256));
    CHECK(zgen(ecdsa_decrypt, point_bytes(k.x, k.y)) == rc_of(rc::scheme.for_handle(1)));
    auto rsa = install(t, rsa_key(decrypt_attrs, alg::null, alg::null));
    CHECK(zgen(rsa, point_bytes(k.x, k.y)) == rc_of(rc::key.for_handle(1)));
    CHECK(run(t, command_builder(cc::ecdh_keygen).handle(rsa).build()).rc == rc_of(rc::key.for_handle(1)));
    // An empty TPM2B_ECC_POINT is TPM_RC_SIZE + P1 when unmarshalled.
    CHECK(zgen(h, bytes{0, 0}) == rc_of(rc::size.for_param(1)));
}

TEST_CASE("TPM2_ECC_Parameters", "[asym]") {
    auto t = started();
    auto params = [&](std::uint16_t curve) { return run(t, command_builder(cc::ecc_parameters).u16(curve).build()); };

    SECTION("NIST P-256: FIPS 186-4 D.1.2.3 values, G on the curve and of order n (Python)") {
        auto r = params(ecc_curve::nist_p256);
        REQUIRE(r.rc == 0);
        CHECK(r.u16() == ecc_curve::nist_p256);
        CHECK(r.u16() == 256);
        CHECK(r.u16() == alg::null); // kdf
        CHECK(r.u16() == alg::null); // sign
        const auto p = r.b2b(), a = r.b2b(), b = r.b2b(), gx = r.b2b(), gy = r.b2b(), n = r.b2b(), h = r.b2b();
        REQUIRE(r.ok);
        CHECK(r.remaining() == 0);
        CHECK(to_hex(p) == "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
        CHECK(to_hex(n) == "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        CHECK(to_hex(gx) == "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
        CHECK(h.size() >= 1);
        CHECK(h.back() == 1);
        CHECK(python(py_ec + "c = dict(p=i(" + hx(p) + "), a=i(" + hx(a) + "), b=i(" + hx(b) + "))\n"
                     "g = (i(" + hx(gx) + "), i(" + hx(gy) + "))\n"
                     "print('ok' if on_curve(c, g) and mul(c, i(" + hx(n) + "), g) is None else 'bad')") == "ok");
    }
    SECTION("BN P-256: y^2 = x^3 + 3, G = (1, 2)") {
        auto r = params(ecc_curve::bn_p256);
        REQUIRE(r.rc == 0);
        CHECK(r.u16() == ecc_curve::bn_p256);
        CHECK(r.u16() == 256);
        (void)r.take(4);
        const auto p = r.b2b(), a = r.b2b(), b = r.b2b(), gx = r.b2b(), gy = r.b2b();
        REQUIRE(r.ok);
        CHECK(p.size() == 32);
        CHECK(std::all_of(a.begin(), a.end(), [](auto x) { return x == 0; }));
        CHECK(b.back() == 3);
        CHECK(gx.back() == 1);
        CHECK(gy.back() == 2);
    }
    SECTION("a curve the profile lacks: TPM_RC_CURVE + P1") {
        CHECK(params(ecc_curve::nist_p521).rc == rc_of(rc::curve.for_param(1)));
        CHECK(params(0x0099).rc == rc_of(rc::curve.for_param(1)));
        CHECK(params(ecc_curve::none).rc == rc_of(rc::curve.for_param(1)));
    }
}
