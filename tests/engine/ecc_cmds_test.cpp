// TPM2_EC_Ephemeral, TPM2_Commit, TPM2_ZGen_2Phase (ECDH, ECMQV, SM2), ECDAA signing and
// TPM2_ECC_Encrypt / TPM2_ECC_Decrypt (Part 3 §14.7-§14.9, §19, §20; Part 1 §44.2, §44.3.3,
// §44.8.4, §45.2.3, §45.2.4) through the command
// pipeline. Expected values come from Debian's /usr/bin/python3: KDFa with hmac, and affine
// point arithmetic written out in the test (independent of the library and of Botan).
#include <catch2/catch.hpp>

#include <string>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

#include "support/keys.hpp"
#include "support/oracle.hpp"

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::python;

namespace {

using platform = testing::deterministic_platform<vtpm_test::four_curves>;
using tpm_t = tpm<platform>;

/// KDFa, the affine arithmetic of tests/support/keys.hpp and the commit value of Part 1 eq. 60.
const std::string py_ec = vtpm_test::py_prelude + vtpm_test::py_ec + R"(
def commit_r(c, nonce, h, name, count):
    return i(kdfa(h, nonce, b'ECDAA Commit', name, count.to_bytes(8, 'big'), 256)) % c['n']
)";

// --- keys in object slots (tests/support/keys.hpp) -------------------------------------------

using vtpm_test::ecc_material;
using vtpm_test::key_auth;

/// A key made by Python from a fixed private scalar.
ecc_material py_key(const std::string& curve, const std::string& d_expr) {
    auto out = python(py_ec + "c = CURVES['" + curve + "']\nd = (" + d_expr + ") % c['n']\nQ = mul(c, d, G(c))\n"
                      "print(h32(d) + pt(Q))");
    REQUIRE(out.size() == 192);
    return {from_hex(out.substr(0, 64)), from_hex(out.substr(64, 64)), from_hex(out.substr(128, 64))};
}

tpm_handle install_ecc(tpm_t& t, const ecc_material& k, std::uint16_t curve, std::uint32_t attrs, tpm_alg_id scheme,
                       tpm_alg_id hash = alg::sha256, tpm_alg_id kdf2_hash = alg::null) {
    auto o = vtpm_test::ecc_key(k, curve,
                                attrs | object_attr::user_with_auth | object_attr::fixed_tpm |
                                    object_attr::fixed_parent | object_attr::sensitive_data_origin,
                                scheme, hash);
    if (kdf2_hash != alg::null) {
        auto& kdf = o.pub.parameters.get<alg::ecc>()->kdf;
        kdf.scheme.value = alg::kdf2;
        kdf.details.emplace<alg::kdf2>().hash_alg.value = kdf2_hash;
    }
    return vtpm_test::install(t, std::move(o));
}

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }

constexpr std::uint32_t rc_of(rc r) { return r.code(); }

/// A TPMS_ECC_POINT as the hex of x || y (empty coordinates give "").
struct point {
    bytes x, y;
    [[nodiscard]] std::string hex() const { return to_hex(x) + to_hex(y); }
};
point read_point(testing::response& r) {
    const auto size = r.u16();
    const auto start = r.pos;
    point p;
    p.x = r.b2b();
    p.y = r.b2b();
    REQUIRE(r.ok);
    REQUIRE(r.pos - start == size);
    return p;
}
/// TPM2B_ECC_POINT of a point given as coordinates.
bytes b2b_point(byte_view x, byte_view y) {
    bytes out;
    const auto n = static_cast<std::uint16_t>(4 + x.size() + y.size());
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
    for (byte_view c : {x, y}) {
        out.push_back(static_cast<std::uint8_t>(c.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(c.size()));
        out.insert(out.end(), c.begin(), c.end());
    }
    return out;
}

struct ephemeral {
    point q;
    std::uint16_t counter = 0;
};
ephemeral ec_ephemeral(tpm_t& t, std::uint16_t curve) {
    auto r = run(t, command_builder(cc::ec_ephemeral).u16(curve).build());
    REQUIRE(r.rc == 0);
    ephemeral e;
    e.q = read_point(r);
    e.counter = r.u16();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 0);
    return e;
}

bytes zgen_cmd(tpm_handle key, const point& qs, const point& qe, tpm_alg_id scheme, std::uint16_t counter) {
    return command_builder(cc::zgen_2phase)
        .handle(key)
        .password(key_auth)
        .raw(b2b_point(qs.x, qs.y))
        .raw(b2b_point(qe.x, qe.y))
        .u16(scheme)
        .u16(counter)
        .build();
}

/// Python: a point [k]G of the curve for an expression k.
point py_point(const std::string& curve, const std::string& k) {
    auto out = python(py_ec + "c = CURVES['" + curve + "']\nprint(pt(mul(c, (" + k + ") % c['n'], G(c))))");
    REQUIRE(out.size() == 128);
    return {from_hex(out.substr(0, 64)), from_hex(out.substr(64))};
}

std::string nonce_hex(tpm_t& t) { return "bytes.fromhex('" + to_hex(t.internals().commit.nonce) + "')"; }

} // namespace

TEST_CASE("TPM2_EC_Ephemeral: Q = [r]G with r from the commit nonce and counter", "[ecc_cmds]") {
    auto t = started();
    const auto a = ec_ephemeral(t, ecc_curve::nist_p256);
    const auto b = ec_ephemeral(t, ecc_curve::nist_p256);
    CHECK(a.counter == 0);
    CHECK(b.counter == 1);
    REQUIRE(a.q.x.size() == 32);
    REQUIRE(a.q.y.size() == 32);
    CHECK(a.q.hex() != b.q.hex());
    // Equation 60 without a key: KDFa(SHA-256, commitRandom, "ECDAA Commit", "", count, 256).
    const auto want = python(py_ec + "c = CURVES['p256']\nn = " + nonce_hex(t) + "\n"
                             "print(pt(mul(c, commit_r(c, n, 'sha256', b'', 0), G(c))) + ' ' + "
                             "pt(mul(c, commit_r(c, n, 'sha256', b'', 1), G(c))))");
    CHECK(want == a.q.hex() + " " + b.q.hex());

    SECTION("a curve the profile lacks is TPM_RC_CURVE + P1") {
        CHECK(run(t, command_builder(cc::ec_ephemeral).u16(ecc_curve::nist_p521).build()).rc ==
              rc_of(rc::curve.for_param(1)));
        CHECK(run(t, command_builder(cc::ec_ephemeral).u16(0x7777).build()).rc == rc_of(rc::curve.for_param(1)));
    }
    SECTION("the commit counter is kept in NV and starts again at TPM Reset") {
        const auto state = t.save_state();
        tpm_t u{testing::seeded_crypto(7)};
        REQUIRE(!u.load_state(state));
        u.power_on();
        // Not an orderly shutdown: Startup(CLEAR) is a TPM Reset.
        REQUIRE(run(u, testing::startup_command()).rc == 0);
        CHECK(ec_ephemeral(u, ecc_curve::nist_p256).counter == 0);

        REQUIRE(run(t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
        tpm_t v{testing::seeded_crypto(8)};
        REQUIRE(!v.load_state(t.save_state()));
        v.power_on();
        REQUIRE(run(v, testing::startup_command(su::state)).rc == 0);
        CHECK(ec_ephemeral(v, ecc_curve::nist_p256).counter == 2);
    }
}

TEST_CASE("TPM2_ZGen_2Phase: ECDH, ECMQV and SM2 against Python", "[ecc_cmds]") {
    auto t = started();

    SECTION("ECDH: outZ1 = [dsA]QsB, outZ2 = [deA]QeB") {
        const auto ka = py_key("p256", "0x1234567890abcdef << 100");
        const auto key = install_ecc(t, ka, ecc_curve::nist_p256, object_attr::decrypt, alg::ecdh);
        const auto eph = ec_ephemeral(t, ecc_curve::nist_p256);
        const auto qs = py_point("p256", "777777"), qe = py_point("p256", "2**200 + 99");
        auto r = run(t, zgen_cmd(key, qs, qe, alg::ecdh, eph.counter));
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        const auto z1 = read_point(r), z2 = read_point(r);
        CHECK(python(py_ec + "c = CURVES['p256']\nr = commit_r(c, " + nonce_hex(t) + ", 'sha256', b'', 0)\n"
                     "assert pt(mul(c, r, G(c))) == '" + eph.q.hex() + "'\n"
                     "print(pt(mul(c, i(" + hx(ka.d) + ") * 777777, G(c))) + pt(mul(c, r * (2**200 + 99), G(c))))") ==
              z1.hex() + z2.hex());
        // The ephemeral key is used up.
        CHECK(run(t, zgen_cmd(key, qs, qe, alg::ecdh, eph.counter)).rc == rc_of(rc::value.for_param(4)));
        // Values never issued are out of range.
        CHECK(run(t, zgen_cmd(key, qs, qe, alg::ecdh, eph.counter + 1)).rc == rc_of(rc::range.for_param(4)));
        CHECK(run(t, zgen_cmd(key, qs, qe, alg::ecdh, static_cast<std::uint16_t>(eph.counter + 200))).rc ==
              rc_of(rc::range.for_param(4)));
    }
    SECTION("ECMQV (Part 1 §44.8.4.3) with a NULL-scheme key") {
        const auto ka = py_key("p256", "0xdeadbeef * 3**90");
        const auto key = install_ecc(t, ka, ecc_curve::nist_p256, object_attr::decrypt, alg::null);
        (void)ec_ephemeral(t, ecc_curve::nist_p256);
        const auto eph = ec_ephemeral(t, ecc_curve::nist_p256);
        REQUIRE(eph.counter == 1);
        const auto qs = py_point("p256", "5**77"), qe = py_point("p256", "7**66");
        auto r = run(t, zgen_cmd(key, qs, qe, alg::ecmqv, eph.counter));
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        const auto z1 = read_point(r), z2 = read_point(r);
        CHECK(z2.x.empty());
        CHECK(z2.y.empty());
        CHECK(python(py_ec + "c = CURVES['p256']\nn = c['n']\nf = (n.bit_length() + 1) // 2\n"
                     "avf = lambda x: 2**f + (x % 2**f)\n"
                     "de = commit_r(c, " + nonce_hex(t) + ", 'sha256', b'', 1)\nds = i(" + hx(ka.d) + ")\n"
                     "QeA = mul(c, de, G(c))\nQsB = mul(c, 5**77, G(c))\nQeB = mul(c, 7**66, G(c))\n"
                     "tA = (de + ds * avf(QeA[0])) % n\n"
                     "print(pt(mul(c, tA, add(c, QeB, mul(c, avf(QeB[0]), QsB)))))") == z1.hex());
    }
    SECTION("SM2 key exchange on SM2-P256 (Part 1 §45.2.3, GB/T 32918.3)") {
        const auto ka = py_key("sm2", "0x5ca1ab1e ** 7");
        const auto key = install_ecc(t, ka, ecc_curve::sm2_p256, object_attr::decrypt, alg::sm2, alg::sm3_256);
        const auto eph = ec_ephemeral(t, ecc_curve::sm2_p256);
        const auto qs = py_point("sm2", "11**55"), qe = py_point("sm2", "13**44");
        auto r = run(t, zgen_cmd(key, qs, qe, alg::sm2, eph.counter));
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        const auto z1 = read_point(r);
        CHECK(python(py_ec + "c = CURVES['sm2']\nn = c['n']\nw = (n.bit_length() + 1) // 2 - 1\n"
                     "xb = lambda x: 2**w + (x & (2**w - 1))\n"
                     "rA = commit_r(c, " + nonce_hex(t) + ", 'sha256', b'', " + std::to_string(eph.counter) + ")\n"
                     "dA = i(" + hx(ka.d) + ")\nRA = mul(c, rA, G(c))\nPB = mul(c, 11**55, G(c))\n"
                     "RB = mul(c, 13**44, G(c))\ntA = (dA + xb(RA[0]) * rA) % n\n"
                     "print(pt(mul(c, tA, add(c, PB, mul(c, xb(RB[0]), RB)))))") == z1.hex());
    }
    SECTION("errors") {
        const auto ka = py_key("p256", "987654321");
        const auto dec = install_ecc(t, ka, ecc_curve::nist_p256, object_attr::decrypt, alg::ecdh);
        const auto sig = install_ecc(t, ka, ecc_curve::nist_p256, object_attr::sign_encrypt, alg::ecdsa);
        const auto eph = ec_ephemeral(t, ecc_curve::nist_p256);
        const auto qs = py_point("p256", "3"), qe = py_point("p256", "4");
        CHECK(run(t, zgen_cmd(sig, qs, qe, alg::ecdh, eph.counter)).rc == rc_of(rc::attributes.for_handle(1)));
        CHECK(run(t, zgen_cmd(dec, qs, qe, alg::ecmqv, eph.counter)).rc == rc_of(rc::scheme.for_param(3)));
        CHECK(run(t, zgen_cmd(dec, qs, qe, alg::ecdsa, eph.counter)).rc == rc_of(rc::scheme.for_param(3)));
        point bad = qs;
        bad.y.back() ^= 1;
        CHECK(run(t, zgen_cmd(dec, bad, qe, alg::ecdh, eph.counter)).rc == rc_of(rc::ecc_point.for_param(1)));
        CHECK(run(t, zgen_cmd(dec, qs, bad, alg::ecdh, eph.counter)).rc == rc_of(rc::ecc_point.for_param(2)));
        CHECK(run(t, zgen_cmd(dec, qs, point{}, alg::ecdh, eph.counter)).rc == rc_of(rc::ecc_point.for_param(2)));
        // Nothing was used up by the failures.
        CHECK(run(t, zgen_cmd(dec, qs, qe, alg::ecdh, eph.counter)).rc == 0);
    }
}

namespace {
bytes commit_cmd(tpm_handle key, const bytes& p1, byte_view s2, byte_view y2) {
    return command_builder(cc::commit).handle(key).password(key_auth).raw(p1).b2b(s2).b2b(y2).build();
}
struct commit_result {
    point k, l, e;
    std::uint16_t counter = 0;
};
commit_result commit_ok(tpm_t& t, const bytes& cmd) {
    auto r = run(t, cmd);
    REQUIRE(r.rc == 0);
    (void)r.parameter_size();
    commit_result c;
    c.k = read_point(r);
    c.l = read_point(r);
    c.e = read_point(r);
    c.counter = r.u16();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 5);
    return c;
}
} // namespace

TEST_CASE("TPM2_Commit and ECDAA signing (Part 1 §44.2.3, §44.3.3)", "[ecc_cmds]") {
    auto t = started();
    const auto kd = py_key("bn256", "0xecdaa * 2**180 + 17");
    const auto key = install_ecc(t, kd, ecc_curve::bn_p256, object_attr::sign_encrypt, alg::ecdaa);
    const auto name = t.internals().object_at(key)->name;
    const std::string nm = hx(name.view());

    SECTION("no P1, no s2: E = [r]G; the signature (k, s) satisfies [s]G = E + [H(k || digest)]Q") {
        const auto c = commit_ok(t, commit_cmd(key, b2b_point({}, {}), {}, {}));
        CHECK(c.counter == 0);
        CHECK(c.k.x.empty());
        CHECK(c.l.x.empty());
        CHECK(python(py_ec + "c = CURVES['bn256']\nprint(pt(mul(c, commit_r(c, " + nonce_hex(t) + ", 'sha256', " + nm +
                     ", 0), G(c))))") == c.e.hex());
        bytes digest(32);
        t.internals().crypto.hash(alg::sha256, bytes{'m', 's', 'g'}, digest);
        const auto sign = [&](std::uint16_t count) {
            return command_builder(cc::sign)
                .handle(key)
                .password(key_auth)
                .b2b(digest)
                .u16(alg::ecdaa)
                .u16(alg::sha256)
                .u16(count)
                .u16(st::hashcheck)
                .u32(rh::null)
                .u16(0)
                .build();
        };
        auto r = run(t, sign(c.counter));
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        CHECK(r.u16() == alg::ecdaa);
        CHECK(r.u16() == alg::sha256);
        const auto sr = r.b2b(), ss = r.b2b();
        REQUIRE(r.ok);
        CHECK(python(py_ec + "c = CURVES['bn256']\nn = c['n']\nQ = (i(" + hx(kd.x) + "), i(" + hx(kd.y) + "))\n"
                     "E = (i(bytes.fromhex('" + to_hex(c.e.x) + "')), i(bytes.fromhex('" + to_hex(c.e.y) + "')))\n"
                     "T = i(hashlib.sha256(" + hx(sr) + " + " + hx(digest) + ").digest()) % n\n"
                     "print('ok' if mul(c, i(" + hx(ss) + "), G(c)) == add(c, E, mul(c, T, Q)) else 'bad')") == "ok");
        // A commit value signs once.
        CHECK(run(t, sign(c.counter)).rc == rc_of(rc::value.for_param(2)));
        CHECK(run(t, sign(5)).rc == rc_of(rc::range.for_param(2)));
    }
    SECTION("P1 and s2: K = [ds](x2, y2), L = [r](x2, y2), E = [r]P1 with x2 = H(s2) mod p") {
        // Python finds an s2 whose hash is an x-coordinate (p = 3 mod 4: y = rhs^((p+1)/4)).
        const auto found = python(py_ec + "c = CURVES['bn256']\np = c['p']\nj = 0\n"
                                  "while True:\n"
                                  "    s2 = b'basename' + bytes([j])\n"
                                  "    x = i(hashlib.sha256(s2).digest()) % p\n"
                                  "    rhs = (x**3 + c['a'] * x + c['b']) % p\n"
                                  "    y = pow(rhs, (p + 1) // 4, p)\n"
                                  "    if y * y % p == rhs: break\n"
                                  "    j += 1\n"
                                  "print(s2.hex() + ' ' + h32(y))");
        const auto sp = found.find(' ');
        const bytes s2 = from_hex(found.substr(0, sp)), y2 = from_hex(found.substr(sp + 1));
        const auto p1 = py_point("bn256", "31337");
        const auto c = commit_ok(t, commit_cmd(key, b2b_point(p1.x, p1.y), s2, y2));
        CHECK(python(py_ec + "c = CURVES['bn256']\nr = commit_r(c, " + nonce_hex(t) + ", 'sha256', " + nm + ", 0)\n"
                     "B = (i(hashlib.sha256(" + hx(s2) + ").digest()) % c['p'], i(" + hx(y2) + "))\n"
                     "print(pt(mul(c, i(" + hx(kd.d) + "), B)) + pt(mul(c, r, B)) + pt(mul(c, r * 31337, G(c))))") ==
              c.k.hex() + c.l.hex() + c.e.hex());

        SECTION("errors") {
            bytes y_bad = y2;
            y_bad.back() ^= 1;
            point p_bad = p1;
            p_bad.y.back() ^= 1;
            CHECK(run(t, commit_cmd(key, b2b_point({}, {}), s2, {})).rc == rc_of(rc::size.for_param(3)));
            CHECK(run(t, commit_cmd(key, b2b_point({}, {}), {}, y2)).rc == rc_of(rc::size.for_param(3)));
            CHECK(run(t, commit_cmd(key, b2b_point({}, {}), s2, y_bad)).rc == rc_of(rc::ecc_point.for_param(2)));
            CHECK(run(t, commit_cmd(key, b2b_point(p_bad.x, p_bad.y), {}, {})).rc == rc_of(rc::ecc_point.for_param(1)));
            CHECK(run(t, commit_cmd(key, b2b_point(p_bad.x, p_bad.y), s2, y2)).rc == rc_of(rc::ecc_point.for_param(1)));
            CHECK(run(t, commit_cmd(key, b2b_point(p_bad.x, p_bad.y), s2, y_bad)).rc ==
                  rc_of(rc::ecc_point.for_param(2)));
            const auto ecdsa = install_ecc(t, kd, ecc_curve::bn_p256, object_attr::sign_encrypt, alg::ecdsa);
            CHECK(run(t, commit_cmd(ecdsa, b2b_point({}, {}), {}, {})).rc == rc_of(rc::scheme.for_handle(1)));
            // Failed commits take no counter value.
            CHECK(commit_ok(t, commit_cmd(key, b2b_point({}, {}), {}, {})).counter == 1);
        }
    }
}

namespace {
const std::string py_kdf2 = R"(
def kdf2(h, z, n):
    out, c = b'', 1
    while len(out) < n:
        out += hashlib.new(h, z + c.to_bytes(4, 'big')).digest(); c += 1
    return out[:n]
def xor(a, b): return bytes(x ^ y for x, y in zip(a, b))
)";
bytes ecc_encrypt_cmd(tpm_handle key, byte_view m, tpm_alg_id kdf, tpm_alg_id hash) {
    command_builder b(cc::ecc_encrypt);
    b.handle(key).b2b(m).u16(kdf);
    if (kdf != alg::null) b.u16(hash);
    return b.build();
}
bytes ecc_decrypt_cmd(tpm_handle key, const bytes& c1, byte_view c2, byte_view c3, tpm_alg_id kdf, tpm_alg_id hash) {
    command_builder b(cc::ecc_decrypt);
    b.handle(key).password(key_auth).raw(c1).b2b(c2).b2b(c3).u16(kdf);
    if (kdf != alg::null) b.u16(hash);
    return b.build();
}
} // namespace

TEST_CASE("TPM2_ECC_Encrypt and TPM2_ECC_Decrypt (Part 1 §45.2.4, KDF2) against Python", "[ecc_cmds]") {
    auto t = started();
    const auto kd = py_key("p256", "0xc0ffee * 7**70");
    const auto key = install_ecc(t, kd, ecc_curve::nist_p256, object_attr::decrypt, alg::null);
    const bytes msg = [] {
        bytes m(100);
        for (std::size_t j = 0; j < m.size(); ++j) m[j] = static_cast<std::uint8_t>(j * 7 + 1);
        return m;
    }();

    SECTION("the TPM's ciphertext decrypts in Python; inScheme gives the KDF") {
        auto r = run(t, ecc_encrypt_cmd(key, msg, alg::kdf2, alg::sha256));
        REQUIRE(r.rc == 0);
        const auto c1 = read_point(r);
        const auto c2 = r.b2b(), c3 = r.b2b();
        REQUIRE(r.ok);
        CHECK(c2.size() == msg.size());
        CHECK(c3.size() == 32);
        CHECK(python(py_ec + py_kdf2 + "c = CURVES['p256']\nC1 = (i(" + hx(c1.x) + "), i(" + hx(c1.y) + "))\n"
                     "x2, y2 = mul(c, i(" + hx(kd.d) + "), C1)\nz = bytes.fromhex(h32(x2) + h32(y2))\n"
                     "m = xor(" + hx(c2) + ", kdf2('sha256', z, len(" + hx(c2) + ")))\n"
                     "assert hashlib.sha256(z[:32] + m + z[32:]).digest() == " + hx(c3) + "\nprint(m.hex())") ==
              to_hex(msg));
        // ... and the TPM decrypts it too.
        auto d = run(t, ecc_decrypt_cmd(key, b2b_point(c1.x, c1.y), c2, c3, alg::kdf2, alg::sha256));
        REQUIRE(d.rc == 0);
        (void)d.parameter_size();
        CHECK(d.b2b() == msg);
    }
    SECTION("Python's ciphertext decrypts in the TPM; the key's KDF (KDF2-SHA384) applies") {
        const auto k384 = install_ecc(t, kd, ecc_curve::nist_p256, object_attr::decrypt, alg::null, alg::sha256,
                                      alg::sha384);
        const auto out = python(py_ec + py_kdf2 + "c = CURVES['p256']\nk = 3**99 % c['n']\n"
                                "Q = (i(" + hx(kd.x) + "), i(" + hx(kd.y) + "))\nC1 = mul(c, k, G(c))\n"
                                "x2, y2 = mul(c, k, Q)\nz = bytes.fromhex(h32(x2) + h32(y2))\nm = " + hx(msg) + "\n"
                                "print(pt(C1), xor(m, kdf2('sha384', z, len(m))).hex(), "
                                "hashlib.sha384(z[:32] + m + z[32:]).hexdigest())");
        const auto sp1 = out.find(' '), sp2 = out.rfind(' ');
        const bytes c1x = from_hex(out.substr(0, 64)), c1y = from_hex(out.substr(64, 64));
        const bytes c2 = from_hex(out.substr(sp1 + 1, sp2 - sp1 - 1)), c3 = from_hex(out.substr(sp2 + 1));
        const auto c1 = b2b_point(c1x, c1y);
        auto d = run(t, ecc_decrypt_cmd(k384, c1, c2, c3, alg::null, 0));
        REQUIRE(d.rc == 0);
        (void)d.parameter_size();
        CHECK(d.b2b() == msg);
        CHECK(run(t, ecc_decrypt_cmd(k384, c1, c2, c3, alg::kdf2, alg::sha384)).rc == 0);

        // Errors.
        bytes bad3 = c3;
        bad3[5] ^= 1;
        CHECK(run(t, ecc_decrypt_cmd(k384, c1, c2, bad3, alg::null, 0)).rc == rc_of(rc::value.for_param(3)));
        bytes bad2 = c2;
        bad2[0] ^= 1;
        CHECK(run(t, ecc_decrypt_cmd(k384, c1, bad2, c3, alg::null, 0)).rc == rc_of(rc::value.for_param(3)));
        bytes c1y_bad = c1y;
        c1y_bad.back() ^= 1;
        CHECK(run(t, ecc_decrypt_cmd(k384, b2b_point(c1x, c1y_bad), c2, c3, alg::null, 0)).rc ==
              rc_of(rc::ecc_point.for_param(1)));
        CHECK(run(t, ecc_decrypt_cmd(k384, c1, c2, c3, alg::kdf2, alg::sha256)).rc == rc_of(rc::scheme.for_param(4)));
        CHECK(run(t, ecc_decrypt_cmd(key, c1, c2, c3, alg::null, 0)).rc == rc_of(rc::scheme.for_param(4)));
        CHECK(run(t, ecc_decrypt_cmd(key, c1, c2, c3, alg::kdf1_sp800_56a, alg::sha384)).rc ==
              rc_of(rc::scheme.for_param(4)));
        CHECK(run(t, ecc_encrypt_cmd(k384, msg, alg::kdf2, alg::sha256)).rc == rc_of(rc::scheme.for_param(2)));
        CHECK(run(t, ecc_encrypt_cmd(key, msg, alg::null, 0)).rc == rc_of(rc::scheme.for_param(2)));
        const auto signer = install_ecc(t, kd, ecc_curve::nist_p256, object_attr::sign_encrypt, alg::ecdsa);
        CHECK(run(t, ecc_decrypt_cmd(signer, c1, c2, c3, alg::kdf2, alg::sha384)).rc ==
              rc_of(rc::attributes.for_handle(1)));
        // Encryption needs only the public key: any ECC key will do.
        CHECK(run(t, ecc_encrypt_cmd(signer, msg, alg::kdf2, alg::sha256)).rc == 0);
    }
}
