// Object commands (Part 3 §12, §24.1 CreatePrimary) and object contexts (§28) through the
// command pipeline, as raw bytes. Templates are written out by hand here (not with the
// library's marshalling); Names, Qualified Names, creation hashes and tickets, RSA and ECC key
// pairs and the private-area protection of Part 1 §19.4-§19.5 are checked by Python
// (hashlib/hmac and python3-cryptography), independently of the library and of Botan.
#include <catch2/catch.hpp>

#include <support/oracle.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <support/bytes.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

// --- the independent oracle: /usr/bin/python3 -------------------------------------------

using vtpm_test::python;
using vtpm_test::hx;

/// Python definitions shared by the scripts: KDFa (Part 1 §11.4.10.2) and a TPM2B reader.
const std::string py_prelude = R"(
import hashlib, hmac
def kdfa(h, key, label, cu, cv, bits):
    out = b''
    i = 1
    while len(out) * 8 < bits:
        out += hmac.new(key, i.to_bytes(4, 'big') + label + b'\0' + cu + cv + bits.to_bytes(4, 'big'), h).digest()
        i += 1
    return out[:(bits + 7) // 8]
def name(h, pub):
    return {'sha256': b'\x00\x0b', 'sha384': b'\x00\x0c', 'sha1': b'\x00\x04'}[h] + hashlib.new(h, pub).digest()
class rd:
    def __init__(s, b): s.b, s.p = b, 0
    def take(s, n):
        v = s.b[s.p:s.p + n]; s.p += n; return v
    def u16(s): return int.from_bytes(s.take(2), 'big')
    def b2b(s): return s.take(s.u16())
)";

// --- byte helpers ------------------------------------------------------------------------

using vtpm_test::cat;
using vtpm_test::be16;
using vtpm_test::be32;
using vtpm_test::b2b;
using vtpm_test::str;

// TPMA_OBJECT bits (Part 2 Table 37), spelled out here rather than taken from the library.
constexpr std::uint32_t fixed_tpm = 1u << 1, st_clear = 1u << 2, fixed_parent = 1u << 4, sdo = 1u << 5,
                        user_with_auth = 1u << 6, no_da = 1u << 10, restricted = 1u << 16, decrypt = 1u << 17,
                        sign = 1u << 18;
constexpr std::uint32_t storage_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | restricted | decrypt | no_da;
constexpr std::uint32_t signing_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | sign | no_da;
constexpr std::uint32_t sealed_attrs = fixed_tpm | fixed_parent | user_with_auth | no_da;

/// Response codes written out (Part 2 §6.6): format-one code | 0x40 | n << 8 for parameter n,
/// code | n << 8 for handle n, code | 0x800 | n << 8 for session n.
constexpr std::uint32_t P(std::uint32_t rc, unsigned n) { return rc | 0x040 | (n << 8); }
constexpr std::uint32_t H(std::uint32_t rc, unsigned n) { return rc | (n << 8); }
constexpr std::uint32_t S(std::uint32_t rc, unsigned n) { return rc | 0x800 | (n << 8); }
constexpr std::uint32_t RC_ATTRIBUTES = 0x082, RC_HASH = 0x083, RC_VALUE = 0x084, RC_HIERARCHY = 0x085,
                        RC_TYPE = 0x08A, RC_HANDLE = 0x08B, RC_KDF = 0x08C, RC_SCHEME = 0x092, RC_SIZE = 0x095,
                        RC_SYMMETRIC = 0x096, RC_INTEGRITY = 0x09F, RC_BAD_AUTH = 0x0A2, RC_BINDING = 0x0A5,
                        RC_CURVE = 0x0A6, RC_KEY_SIZE = 0x087, RC_SEQUENCE = 0x103, RC_OBJECT_MEMORY = 0x902;

/// TPMT_PUBLIC templates (Part 2 §12.2.4), nameAlg SHA-256, empty authPolicy.
struct tmpl {
    std::uint16_t name_alg = alg::sha256;
    bytes policy;
    bytes build(std::uint16_t type, std::uint32_t attrs, byte_view parms, byte_view unique) const {
        return cat({be16(type), be16(name_alg), be32(attrs), b2b(policy), parms, unique});
    }
};
bytes sym_def(std::uint16_t a = alg::aes, std::uint16_t bits = 128, std::uint16_t mode = alg::cfb) {
    return a == alg::null ? be16(alg::null) : cat({be16(a), be16(bits), be16(mode)});
}
bytes scheme(std::uint16_t s, std::uint16_t h = alg::sha256) { return s == alg::null ? be16(s) : cat({be16(s), be16(h)}); }
bytes rsa_tpl(std::uint32_t attrs, byte_view sym, byte_view sch, std::uint16_t bits = 2048, std::uint32_t exponent = 0,
              byte_view unique = {}, tmpl t = {}) {
    return t.build(alg::rsa, attrs, cat({sym, sch, be16(bits), be32(exponent)}), b2b(unique));
}
bytes rsa_storage(std::uint16_t bits = 2048) { return rsa_tpl(storage_attrs, sym_def(), scheme(alg::null), bits); }
bytes rsa_signing(std::uint16_t bits = 2048) { return rsa_tpl(signing_attrs, sym_def(alg::null), scheme(alg::rsassa), bits); }
bytes ecc_tpl(std::uint32_t attrs, byte_view sym, byte_view sch, std::uint16_t curve = ecc_curve::nist_p256,
              std::uint16_t kdf = alg::null, tmpl t = {}, byte_view unique_x = {}) {
    return t.build(alg::ecc, attrs, cat({sym, sch, be16(curve), scheme(kdf)}), cat({b2b(unique_x), b2b({})}));
}
bytes ecc_storage() { return ecc_tpl(storage_attrs, sym_def(), scheme(alg::null)); }
bytes keyedhash_tpl(std::uint32_t attrs, byte_view sch = be16(alg::null), tmpl t = {}) {
    return t.build(alg::keyedhash, attrs, sch, b2b({}));
}
bytes symcipher_tpl(std::uint32_t attrs, std::uint16_t bits = 128, std::uint16_t mode = alg::cfb, tmpl t = {}) {
    return t.build(alg::symcipher, attrs, sym_def(alg::aes, bits, mode), b2b({}));
}
bytes sensitive_create(byte_view auth = {}, byte_view data = {}) { return cat({b2b(auth), b2b(data)}); }
bytes no_pcrs() { return be32(0); }

/// One TPM started with TPM2_Startup(CLEAR); helpers for the object commands.
struct fixture {
    tpm_t t{testing::seeded_crypto()};
    fixture() {
        t.manufacture();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
    }
    auto& e() { return t.internals(); }

    struct created {
        std::uint32_t rc = 0, handle = 0;
        bytes priv, pub, creation_data, creation_hash, name;
        std::uint16_t ticket_tag = 0;
        std::uint32_t ticket_hierarchy = 0;
        bytes ticket;
    };
    created create_primary(std::uint32_t hierarchy, byte_view tpl, byte_view sens = sensitive_create(),
                           byte_view outside = {}, byte_view pcrs = no_pcrs()) {
        auto r = run(t, command_builder(cc::create_primary).handle(hierarchy).password().b2b(sens).b2b(tpl).b2b(outside).raw(pcrs).build());
        created c;
        c.rc = r.rc;
        if (r.rc != 0) return c;
        c.handle = r.u32();
        r.parameter_size();
        c.pub = r.b2b();
        c.creation_data = r.b2b();
        c.creation_hash = r.b2b();
        c.ticket_tag = r.u16();
        c.ticket_hierarchy = r.u32();
        c.ticket = r.b2b();
        c.name = r.b2b();
        REQUIRE(r.ok);
        REQUIRE(r.remaining() == 5); // the password session's response area
        return c;
    }
    created create(std::uint32_t parent, byte_view tpl, byte_view sens = sensitive_create(), byte_view outside = {},
                   byte_view pcrs = no_pcrs(), byte_view parent_auth = {}) {
        auto r = run(t, command_builder(cc::create).handle(parent).password(parent_auth).b2b(sens).b2b(tpl).b2b(outside).raw(pcrs).build());
        created c;
        c.rc = r.rc;
        if (r.rc != 0) return c;
        r.parameter_size();
        c.priv = r.b2b();
        c.pub = r.b2b();
        c.creation_data = r.b2b();
        c.creation_hash = r.b2b();
        c.ticket_tag = r.u16();
        c.ticket_hierarchy = r.u32();
        c.ticket = r.b2b();
        REQUIRE(r.ok);
        return c;
    }
    std::pair<std::uint32_t, std::uint32_t> load(std::uint32_t parent, byte_view priv, byte_view pub, bytes* name = nullptr) {
        auto r = run(t, command_builder(cc::load).handle(parent).password().b2b(priv).b2b(pub).build());
        if (r.rc != 0) return {r.rc, 0};
        const auto h = r.u32();
        r.parameter_size();
        if (name) *name = r.b2b();
        return {0, h};
    }
    struct public_info {
        std::uint32_t rc = 0;
        bytes pub, name, qn;
    };
    public_info read_public(std::uint32_t h) {
        auto r = run(t, command_builder(cc::read_public).handle(h).build());
        public_info p;
        p.rc = r.rc;
        if (r.rc != 0) return p;
        p.pub = r.b2b();
        p.name = r.b2b();
        p.qn = r.b2b();
        REQUIRE(r.ok);
        REQUIRE(r.remaining() == 0);
        return p;
    }
    std::pair<std::uint32_t, bytes> unseal(std::uint32_t h, byte_view auth = {}) {
        auto r = run(t, command_builder(cc::unseal).handle(h).password(auth).build());
        if (r.rc != 0) return {r.rc, {}};
        r.parameter_size();
        return {0, r.b2b()};
    }
    std::uint32_t flush(std::uint32_t h) { return run(t, command_builder(cc::flush_context).u32(h).build()).rc; }
    std::pair<std::uint32_t, bytes> context_save(std::uint32_t h) {
        auto r = run(t, command_builder(cc::context_save).handle(h).build());
        if (r.rc != 0) return {r.rc, {}};
        return {0, r.take(r.remaining())};
    }
    std::pair<std::uint32_t, std::uint32_t> context_load(byte_view ctx) {
        auto r = run(t, command_builder(cc::context_load).raw(ctx).build());
        if (r.rc != 0) return {r.rc, 0};
        return {0, r.u32()};
    }
    const loaded_object& obj(std::uint32_t h) {
        const auto* o = e().object_at(h);
        REQUIRE(o != nullptr);
        return *o;
    }
};

/// The unique field of a public area whose last field is one TPM2B (RSA, KEYEDHASH, SYMCIPHER).
bytes last_b2b(byte_view pub) {
    // Walk from the start: the templates above put the unique field last, so search for the
    // split where the trailing TPM2B's size matches.
    for (std::size_t at = 0; at + 2 <= pub.size(); ++at)
        if (load_be16(pub.data() + at) == pub.size() - at - 2 && at >= 10) return bytes(pub.begin() + static_cast<std::ptrdiff_t>(at) + 2, pub.end());
    return {};
}

bytes sha256(byte_view b) {
    return from_hex(python("import hashlib\nprint(hashlib.sha256(" + hx(b) + ").hexdigest())"));
}

} // namespace

TEST_CASE("CreatePrimary RSA-2048 storage key: public area, Name, key pair, creation data", "[object]") {
    fixture f;
    const auto tpl = rsa_storage();
    auto c = f.create_primary(rh::owner, tpl, sensitive_create(str("pw")), str("outside"));
    REQUIRE(c.rc == 0);
    CHECK(c.handle == 0x80000000);
    // outPublic is the template with the unique field replaced by the 256-octet modulus.
    const bytes prefix(tpl.begin(), tpl.end() - 2);
    REQUIRE(c.pub.size() == prefix.size() + 2 + 256);
    CHECK(bytes(c.pub.begin(), c.pub.begin() + static_cast<std::ptrdiff_t>(prefix.size())) == prefix);
    const bytes n(c.pub.end() - 256, c.pub.end());
    // Name = nameAlg || SHA-256(TPMT_PUBLIC) (Part 1 §16).
    CHECK(to_hex(c.name) == python(py_prelude + "print(name('sha256', " + hx(c.pub) + ").hex())"));
    // The key pair: n = p * q with p the stored prime, 2048 bits, e = 65537 invertible.
    const auto& o = f.obj(c.handle);
    const auto p = o.sens.sensitive.get<alg::rsa>()->view();
    CHECK(python("n = int.from_bytes(" + hx(n) + ", 'big'); p = int.from_bytes(" + hx(p) + ", 'big')\n"
                 "q, r = divmod(n, p)\n"
                 "ok = r == 0 and n.bit_length() == 2048 and p.bit_length() == 1024 and q.bit_length() == 1024\n"
                 "ok = ok and pow(3, p - 1, p) == 1 and pow(3, q - 1, q) == 1\n"
                 "d = pow(65537, -1, (p - 1) * (q - 1))\n"
                 "ok = ok and pow(pow(12345, 65537, n), d, n) == 12345\n"
                 "print(ok)") == "True");
    // A storage key has a seedValue of the nameAlg's size and the authValue from inSensitive.
    CHECK(o.sens.seed_value.size == 32);
    CHECK(to_hex(o.sens.auth_value.view()) == to_hex(str("pw")));
    // Qualified Name = nameAlg || H(TPM_RH_OWNER || Name) (Part 1 §23.5).
    auto rp = f.read_public(c.handle);
    REQUIRE(rp.rc == 0);
    CHECK(rp.pub == c.pub);
    CHECK(rp.name == c.name);
    CHECK(to_hex(rp.qn) == python(py_prelude + "print(name('sha256', bytes.fromhex('40000001') + " + hx(c.name) + ").hex())"));
    // Creation data (Part 2 §15.1): no PCR, locality 0, parent = the hierarchy handle.
    const auto expect_cd = cat({be32(0), b2b(from_hex(python("import hashlib\nprint(hashlib.sha256(b'').hexdigest())"))),
                                bytes{0x01}, be16(alg::null), b2b(be32(rh::owner)), b2b(be32(rh::owner)), b2b(str("outside"))});
    CHECK(to_hex(c.creation_data) == to_hex(expect_cd));
    CHECK(c.creation_hash == sha256(c.creation_data));
    // Ticket: HMAC-SHA256(shProof, TPM_ST_CREATION || Name || creationHash) (Part 2 §10.6.3).
    CHECK(c.ticket_tag == st::creation);
    CHECK(c.ticket_hierarchy == rh::owner);
    CHECK(to_hex(c.ticket) == python("import hmac, hashlib\nprint(hmac.new(" + hx(f.e().nv.sh_proof) + ", bytes.fromhex('8021') + " +
                                     hx(c.name) + " + " + hx(c.creation_hash) + ", hashlib.sha256).hexdigest())"));
}

TEST_CASE("CreatePrimary is reproducible and depends on hierarchy, template and data", "[object]") {
    fixture f;
    const auto tpl = ecc_storage();
    auto a = f.create_primary(rh::owner, tpl);
    auto b = f.create_primary(rh::owner, tpl);
    REQUIRE(a.rc == 0);
    REQUIRE(b.rc == 0);
    CHECK(a.handle != b.handle);
    CHECK(a.pub == b.pub);
    CHECK(f.obj(a.handle).sens.seed_value == f.obj(b.handle).sens.seed_value);
    CHECK(f.flush(b.handle) == 0);
    auto en = f.create_primary(rh::endorsement, tpl);
    auto pl = f.create_primary(rh::platform, tpl);
    auto nu = f.create_primary(rh::null, tpl);
    REQUIRE(en.rc == 0);
    REQUIRE(pl.rc == 0);
    REQUIRE(nu.rc == 0);
    CHECK(en.pub != a.pub);
    CHECK(pl.pub != a.pub);
    CHECK(pl.pub != en.pub);
    CHECK(nu.pub != a.pub);
    for (auto h : {en.handle, pl.handle, nu.handle}) CHECK(f.flush(h) == 0);
    // The unique field as sent and inSensitive.data select other keys.
    auto u = f.create_primary(rh::owner, ecc_tpl(storage_attrs, sym_def(), scheme(alg::null), ecc_curve::nist_p256, alg::null,
                                                 tmpl{}, str("salt")));
    REQUIRE(u.rc == 0);
    CHECK(u.pub != a.pub);
    CHECK(f.flush(u.handle) == 0);
    auto tpl_personal = ecc_tpl(storage_attrs & ~sdo, sym_def(), scheme(alg::null));
    auto d1 = f.create_primary(rh::owner, tpl_personal, sensitive_create({}, str("one")));
    auto d2 = f.create_primary(rh::owner, tpl_personal, sensitive_create({}, str("two")));
    REQUIRE(d1.rc == 0);
    REQUIRE(d2.rc == 0);
    CHECK(d1.pub != d2.pub);
    for (auto h : {d1.handle, d2.handle}) CHECK(f.flush(h) == 0);

    // The same seeds in another instance (saved and loaded state) give the same RSA key; the
    // null hierarchy's seed is new after a TPM Reset.
    auto r1 = f.create_primary(rh::owner, rsa_storage());
    REQUIRE(r1.rc == 0);
    auto n1 = f.create_primary(rh::null, ecc_storage());
    REQUIRE(n1.rc == 0);
    tpm_t t2{testing::seeded_crypto(9)};
    REQUIRE(!t2.load_state(f.t.save_state()).has_value());
    t2.power_on();
    REQUIRE(run(t2, testing::startup_command()).rc == 0);
    auto r = run(t2, command_builder(cc::create_primary).handle(rh::owner).password().b2b(sensitive_create()).b2b(rsa_storage())
                         .b2b({}).raw(no_pcrs()).build());
    REQUIRE(r.rc == 0);
    r.u32();
    r.parameter_size();
    CHECK(r.b2b() == r1.pub);
    auto rn = run(t2, command_builder(cc::create_primary).handle(rh::null).password().b2b(sensitive_create()).b2b(ecc_storage())
                          .b2b({}).raw(no_pcrs()).build());
    REQUIRE(rn.rc == 0);
    rn.u32();
    rn.parameter_size();
    CHECK(rn.b2b() != n1.pub);
}

TEST_CASE("CreatePrimary ECC, KEYEDHASH and SYMCIPHER objects: unique against Python", "[object]") {
    fixture f;
    SECTION("ECC NIST P-256: Q = [d]G") {
        auto c = f.create_primary(rh::endorsement, ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::ecdsa)));
        REQUIRE(c.rc == 0);
        const auto& o = f.obj(c.handle);
        const auto* q = o.pub.unique.get<alg::ecc>();
        REQUIRE(q);
        CHECK(q->x.size == 32);
        CHECK(o.sens.seed_value.size == 0); // not a storage key
        CHECK(python("from cryptography.hazmat.primitives.asymmetric import ec\n"
                     "k = ec.derive_private_key(int.from_bytes(" + hx(o.sens.sensitive.get<alg::ecc>()->view()) +
                     ", 'big'), ec.SECP256R1())\nn = k.public_key().public_numbers()\n"
                     "print(n.x.to_bytes(32, 'big').hex() + n.y.to_bytes(32, 'big').hex())") ==
              to_hex(q->x.view()) + to_hex(q->y.view()));
    }
    SECTION("ECC NIST P-384 and SM2-P256 keys are generated on their curves") {
        auto c = f.create_primary(rh::owner, ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::ecdsa, alg::sha384),
                                                     ecc_curve::nist_p384));
        REQUIRE(c.rc == 0);
        const auto* q = f.obj(c.handle).pub.unique.get<alg::ecc>();
        CHECK(python("from cryptography.hazmat.primitives.asymmetric import ec\n"
                     "k = ec.derive_private_key(int.from_bytes(" + hx(f.obj(c.handle).sens.sensitive.get<alg::ecc>()->view()) +
                     ", 'big'), ec.SECP384R1())\nn = k.public_key().public_numbers()\n"
                     "print(n.x.to_bytes(48, 'big').hex())") == to_hex(q->x.view()));
        auto s = f.create_primary(rh::owner, ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::sm2, alg::sm3_256),
                                                     ecc_curve::sm2_p256));
        CHECK(s.rc == 0);
    }
    SECTION("KEYEDHASH HMAC key and SYMCIPHER key: unique = H(seedValue || key)") {
        auto k = f.create_primary(rh::owner, keyedhash_tpl(signing_attrs, scheme(alg::hmac)));
        REQUIRE(k.rc == 0);
        auto s = f.create_primary(rh::owner, symcipher_tpl(fixed_tpm | fixed_parent | sdo | user_with_auth | decrypt | sign, 256));
        REQUIRE(s.rc == 0);
        for (auto h : {k.handle, s.handle}) {
            const auto& o = f.obj(h);
            const auto key = h == k.handle ? o.sens.sensitive.get<alg::keyedhash>()->view() : o.sens.sensitive.get<alg::symcipher>()->view();
            CHECK(key.size() == 32);
            CHECK(o.sens.seed_value.size == 32);
            const auto unique = last_b2b(h == k.handle ? k.pub : s.pub);
            CHECK(to_hex(unique) == python("import hashlib\nprint(hashlib.sha256(" + hx(o.sens.seed_value.view()) + " + " + hx(key) +
                                           ").hexdigest())"));
        }
    }
}

TEST_CASE("Create and Load: ordinary objects, names and qualified names", "[object]") {
    fixture f;
    auto srk = f.create_primary(rh::owner, rsa_storage());
    REQUIRE(srk.rc == 0);
    auto srk_qn = f.read_public(srk.handle).qn;
    for (const auto& tpl : {rsa_signing(), ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::ecdsa)), ecc_storage(),
                            keyedhash_tpl(signing_attrs, scheme(alg::hmac)), symcipher_tpl(signing_attrs | decrypt)}) {
        auto c = f.create(srk.handle, tpl, sensitive_create(str("child")), str("info"));
        REQUIRE(c.rc == 0);
        CHECK(c.ticket_hierarchy == rh::owner);
        // parentNameAlg, parentName, parentQualifiedName of the creation data.
        const auto expect_tail = cat({bytes{0x01}, be16(alg::sha256), b2b(srk.name), b2b(srk_qn), b2b(str("info"))});
        CHECK(to_hex(bytes(c.creation_data.end() - static_cast<std::ptrdiff_t>(expect_tail.size()), c.creation_data.end())) ==
              to_hex(expect_tail));
        bytes name;
        auto [rc, h] = f.load(srk.handle, c.priv, c.pub, &name);
        REQUIRE(rc == 0);
        CHECK(to_hex(name) == python(py_prelude + "print(name('sha256', " + hx(c.pub) + ").hex())"));
        auto rp = f.read_public(h);
        CHECK(rp.pub == c.pub);
        CHECK(to_hex(rp.qn) == python(py_prelude + "print(name('sha256', " + hx(srk_qn) + " + " + hx(name) + ").hex())"));
        CHECK(to_hex(f.obj(h).sens.auth_value.view()).substr(0, 10) == to_hex(str("child")));
        CHECK(f.flush(h) == 0);
    }
}

TEST_CASE("The private area follows Part 1 §19.4-§19.5 (checked in Python)", "[object]") {
    fixture f;
    for (std::uint16_t bits : {128, 256}) {
        INFO("AES-" << bits << " storage parent");
        auto srk = f.create_primary(rh::owner, rsa_tpl(storage_attrs, sym_def(alg::aes, bits), scheme(alg::null)));
        REQUIRE(srk.rc == 0);
        const auto seed = f.obj(srk.handle).sens.seed_value.view();
        auto c = f.create(srk.handle, keyedhash_tpl(sealed_attrs), sensitive_create(str("pw"), str("sealed secret")));
        REQUIRE(c.rc == 0);
        const auto name = python(py_prelude + "print(name('sha256', " + hx(c.pub) + ").hex())");
        const auto out = python(py_prelude + "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
                                "seed, nm, priv = " + hx(seed) + ", bytes.fromhex('" + name + "'), " + hx(c.priv) + "\n"
                                "r = rd(priv); integrity = r.b2b(); enc = priv[r.p:]\n"
                                "hk = kdfa('sha256', seed, b'INTEGRITY', b'', b'', 256)\n"
                                "assert hmac.new(hk, enc + nm, 'sha256').digest() == integrity, 'integrity'\n"
                                "sk = kdfa('sha256', seed, b'STORAGE', nm, b'', " + std::to_string(bits) + ")\n"
                                "d = Cipher(algorithms.AES(sk), modes.CFB(bytes(16))).decryptor()\n"
                                "pt = d.update(enc) + d.finalize()\n"
                                "s = rd(pt); assert s.u16() == len(pt) - 2\n"
                                "t = s.take(2); auth = s.b2b(); sv = s.b2b(); data = s.b2b(); assert s.p == len(pt)\n"
                                "u = hashlib.sha256(sv + data).digest()\n"
                                "print(t.hex(), auth.hex(), len(sv), data.decode(), u.hex())");
        const auto unique = last_b2b(c.pub);
        // type KEYEDHASH, authValue padded to 32 octets, a 32-octet seedValue, the data, and
        // unique = H(seedValue || data).
        CHECK(out == "0008 " + to_hex(cat({str("pw"), bytes(30, 0)})) + " 32 sealed secret " + to_hex(unique));
        CHECK(f.flush(srk.handle) == 0);
    }
}

TEST_CASE("Load errors: integrity, wrong parent, empty private, tampered public", "[object]") {
    fixture f;
    auto srk = f.create_primary(rh::owner, rsa_storage());
    auto other = f.create_primary(rh::owner, ecc_storage());
    REQUIRE(srk.rc == 0);
    REQUIRE(other.rc == 0);
    auto c = f.create(srk.handle, keyedhash_tpl(sealed_attrs), sensitive_create({}, str("data")));
    REQUIRE(c.rc == 0);
    SECTION("a flipped bit in the encrypted part or the HMAC: TPM_RC_INTEGRITY + P1") {
        for (std::size_t at : {std::size_t{5}, c.priv.size() - 1}) {
            auto bad = c.priv;
            bad[at] ^= 0x01;
            CHECK(f.load(srk.handle, bad, c.pub).first == P(RC_INTEGRITY, 1));
        }
        auto short_hmac = c.priv;
        short_hmac[1] = 20; // integrity size is not the parent nameAlg's digest size
        CHECK(f.load(srk.handle, short_hmac, c.pub).first == P(RC_INTEGRITY, 1));
    }
    SECTION("another parent: TPM_RC_INTEGRITY + P1") {
        CHECK(f.load(other.handle, c.priv, c.pub).first == P(RC_INTEGRITY, 1));
    }
    SECTION("a changed public area changes the Name: TPM_RC_INTEGRITY + P1") {
        auto pub = c.pub;
        pub[7] |= 0x04; // stClear
        CHECK(f.load(srk.handle, c.priv, pub).first == P(RC_INTEGRITY, 1));
    }
    SECTION("an empty private area: TPM_RC_SIZE + P1") {
        CHECK(f.load(srk.handle, {}, c.pub).first == P(RC_SIZE, 1));
    }
    SECTION("a parent that is not a storage key: TPM_RC_TYPE + H1") {
        auto sk = f.create_primary(rh::owner, rsa_signing());
        REQUIRE(sk.rc == 0);
        CHECK(f.load(sk.handle, c.priv, c.pub).first == H(RC_TYPE, 1));
        CHECK(f.create(sk.handle, keyedhash_tpl(sealed_attrs), sensitive_create({}, str("x"))).rc == H(RC_TYPE, 1));
    }
    SECTION("object slots full: TPM_RC_OBJECT_MEMORY") {
        std::size_t loaded = 2;
        while (loaded < f.e().objects.size()) {
            REQUIRE(f.load(srk.handle, c.priv, c.pub).first == 0);
            ++loaded;
        }
        CHECK(f.load(srk.handle, c.priv, c.pub).first == RC_OBJECT_MEMORY);
        CHECK(f.create_primary(rh::owner, ecc_storage()).rc == RC_OBJECT_MEMORY);
        // Create needs no slot.
        CHECK(f.create(srk.handle, keyedhash_tpl(sealed_attrs), sensitive_create({}, str("y"))).rc == 0);
    }
}

TEST_CASE("Unseal and ObjectChangeAuth", "[object]") {
    fixture f;
    auto srk = f.create_primary(rh::owner, rsa_storage());
    REQUIRE(srk.rc == 0);
    auto c = f.create(srk.handle, keyedhash_tpl(sealed_attrs), sensitive_create(str("old"), str("the secret")));
    REQUIRE(c.rc == 0);
    auto [rc, h] = f.load(srk.handle, c.priv, c.pub);
    REQUIRE(rc == 0);
    auto u = f.unseal(h, str("old"));
    REQUIRE(u.first == 0);
    CHECK(u.second == str("the secret"));
    CHECK(f.unseal(h, str("new")).first == S(RC_BAD_AUTH, 1)); // noDA: TPM_RC_BAD_AUTH

    auto r = run(f.t, command_builder(cc::object_change_auth).handle(h).handle(srk.handle).password(str("old")).b2b(str("new")).build());
    REQUIRE(r.rc == 0);
    r.parameter_size();
    const auto new_priv = r.b2b();
    CHECK(new_priv != c.priv);
    CHECK(f.unseal(h, str("old")).first == 0); // the loaded object keeps its authValue
    auto [rc2, h2] = f.load(srk.handle, new_priv, c.pub);
    REQUIRE(rc2 == 0);
    CHECK(f.unseal(h2, str("old")).first == S(RC_BAD_AUTH, 1));
    auto u2 = f.unseal(h2, str("new"));
    CHECK(u2.first == 0);
    CHECK(u2.second == str("the secret"));

    SECTION("ObjectChangeAuth errors") {
        auto other = f.create_primary(rh::owner, ecc_storage());
        REQUIRE(other.rc == 0);
        auto oca = [&](std::uint32_t obj, std::uint32_t parent, byte_view auth, byte_view na) {
            return run(f.t, command_builder(cc::object_change_auth).handle(obj).handle(parent).password(auth).b2b(na).build()).rc;
        };
        CHECK(oca(h, other.handle, str("old"), str("x")) == H(RC_TYPE, 2));        // not its parent
        CHECK(oca(srk.handle, other.handle, {}, str("x")) == H(RC_TYPE, 2));       // a primary object
        CHECK(oca(h, srk.handle, str("old"), bytes(33, 1)) == P(RC_SIZE, 1));       // newAuth > digest size
    }
    SECTION("Unseal errors") {
        auto sk = f.create(srk.handle, rsa_signing());
        REQUIRE(sk.rc == 0);
        auto [rc3, hk] = f.load(srk.handle, sk.priv, sk.pub);
        REQUIRE(rc3 == 0);
        CHECK(f.unseal(hk).first == H(RC_TYPE, 1));
        auto mac = f.create(srk.handle, keyedhash_tpl(signing_attrs, scheme(alg::hmac)));
        REQUIRE(mac.rc == 0);
        auto [rc4, hm] = f.load(srk.handle, mac.priv, mac.pub);
        REQUIRE(rc4 == 0);
        CHECK(f.unseal(hm).first == H(RC_ATTRIBUTES, 1));
    }
}

TEST_CASE("CreateLoaded: primary and ordinary objects", "[object]") {
    fixture f;
    auto cl = [&](std::uint32_t parent, byte_view tpl, byte_view sens = sensitive_create()) {
        return run(f.t, command_builder(cc::create_loaded).handle(parent).password().b2b(sens).b2b(tpl).build());
    };
    auto p = cl(rh::owner, ecc_storage());
    REQUIRE(p.rc == 0);
    const auto hp = p.u32();
    p.parameter_size();
    CHECK(p.b2b().empty()); // no private area for a primary
    const auto pub = p.b2b();
    // The same template under the same seed as CreatePrimary gives the same object.
    auto cp = f.create_primary(rh::owner, ecc_storage());
    REQUIRE(cp.rc == 0);
    CHECK(cp.pub == pub);
    auto o = cl(hp, rsa_signing(1024));
    REQUIRE(o.rc == 0);
    const auto ho = o.u32();
    o.parameter_size();
    const auto priv = o.b2b();
    const auto opub = o.b2b();
    const auto oname = o.b2b();
    CHECK(f.read_public(ho).name == oname);
    bytes name;
    auto [rc, h2] = f.load(hp, priv, opub, &name);
    CHECK(rc == 0);
    CHECK(name == oname);
    (void)h2;
    // A template that does not unmarshal: its error + P2; a non-storage parent: TPM_RC_TYPE + H1.
    CHECK(cl(rh::owner, bytes{0x00, 0x01}).rc == P(RC_SIZE, 2));
    CHECK(cl(ho, keyedhash_tpl(sealed_attrs), sensitive_create({}, str("d"))).rc == H(RC_TYPE, 1));
}

TEST_CASE("CreateLoaded under a Derivation Parent: derived objects against Python", "[object]") {
    fixture f;
    auto cl = [&](std::uint32_t parent, byte_view tpl, byte_view sens = sensitive_create()) {
        return run(f.t, command_builder(cc::create_loaded).handle(parent).password().b2b(sens).b2b(tpl).build());
    };
    struct made {
        std::uint32_t rc = 0, handle = 0;
        bytes priv, pub, name;
    };
    auto derive = [&](std::uint32_t parent, byte_view tpl, byte_view sens = sensitive_create()) {
        auto r = cl(parent, tpl, sens);
        made m;
        m.rc = r.rc;
        if (r.rc != 0) return m;
        m.handle = r.u32();
        r.parameter_size();
        m.priv = r.b2b();
        m.pub = r.b2b();
        m.name = r.b2b();
        REQUIRE(r.ok);
        return m;
    };
    // The parent: a restricted decryption KEYEDHASH key with a known sensitive value (caller
    // data, sensitiveDataOrigin CLEAR) and the XOR scheme (SHA-256, KDF1_SP800_108).
    const bytes parent_key(32, 0x5A);
    const auto xor_scheme = [](std::uint16_t kdf) { return cat({be16(alg::xor_), be16(alg::sha256), be16(kdf)}); };
    constexpr std::uint32_t deriver_attrs = fixed_tpm | fixed_parent | user_with_auth | restricted | decrypt;
    auto srk = f.create_primary(rh::owner, ecc_storage());
    REQUIRE(srk.rc == 0);
    auto dp = f.create(srk.handle, keyedhash_tpl(deriver_attrs, xor_scheme(alg::kdf1_sp800_108)),
                       sensitive_create({}, parent_key));
    REQUIRE(dp.rc == 0);
    auto [lrc, deriver] = f.load(srk.handle, dp.priv, dp.pub);
    REQUIRE(lrc == 0);

    const auto derive_unique = [](byte_view label, byte_view context) { return cat({b2b(label), b2b(context)}); };
    const std::string py = vtpm_test::py_prelude + "K = " + hx(parent_key) + "\n" +
                           "S = kdfa('sha256', K, b'the label', b'the context', b'', 8192)\n";
    constexpr std::uint32_t signer = fixed_tpm | fixed_parent | user_with_auth | sign;

    SECTION("ECC P-256: d from the first 40 octets (FIPS 186-5 A.2.1), label and context in unique") {
        tmpl t;
        const auto tpl = t.build(alg::ecc, signer, cat({sym_def(alg::null), scheme(alg::ecdsa), be16(ecc_curve::nist_p256), scheme(alg::null)}),
                                 derive_unique(str("the label"), str("the context")));
        auto m = derive(deriver, tpl);
        REQUIRE(m.rc == 0);
        CHECK(m.priv.empty()); // Part 3 §12.9.1: no private area for a derived object
        CHECK(python(py + R"(
from cryptography.hazmat.primitives.asymmetric import ec
n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
d = int.from_bytes(S[:40], 'big') % (n - 1) + 1
q = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
print((b'\x00\x20' + q.x.to_bytes(32, 'big') + b'\x00\x20' + q.y.to_bytes(32, 'big')).hex()))") ==
              to_hex(byte_view{m.pub}.last(68)));
        // Name and Qualified Name like any object under its parent.
        const auto info = f.read_public(m.handle);
        CHECK(info.name == m.name);
        CHECK(info.name == cat({be16(alg::sha256), sha256(m.pub)}));
        CHECK(info.qn == cat({be16(alg::sha256), sha256(cat({f.read_public(deriver).qn, m.name}))}));

        // The same label and context from inSensitive.data (a TPMS_DERIVE) and another
        // key use: the same key pair (Part 3 §12.9.1: the attributes do not enter the KDF).
        const auto ecdh_tpl = t.build(alg::ecc, fixed_tpm | fixed_parent | user_with_auth | decrypt,
                                      cat({sym_def(alg::null), scheme(alg::ecdh), be16(ecc_curve::nist_p256), scheme(alg::null)}),
                                      derive_unique({}, {}));
        auto m2 = derive(deriver, ecdh_tpl, sensitive_create(str("pw"), derive_unique(str("the label"), str("the context"))));
        REQUIRE(m2.rc == 0);
        CHECK(byte_view{m2.pub}.last(68).size() == 68);
        CHECK(bytes(m2.pub.end() - 68, m2.pub.end()) == bytes(m.pub.end() - 68, m.pub.end()));
        // Values in unique take precedence over inSensitive.data.
        auto m3 = derive(deriver, ecdh_tpl, sensitive_create({}, derive_unique(str("other"), str("the context"))));
        REQUIRE(m3.rc == 0);
        CHECK(bytes(m3.pub.end() - 68, m3.pub.end()) != bytes(m.pub.end() - 68, m.pub.end()));
        auto m4 = derive(deriver, t.build(alg::ecc, fixed_tpm | fixed_parent | user_with_auth | decrypt,
                                          cat({sym_def(alg::null), scheme(alg::ecdh), be16(ecc_curve::nist_p256), scheme(alg::null)}),
                                          derive_unique(str("the label"), {})),
                         sensitive_create({}, derive_unique(str("other"), str("the context"))));
        REQUIRE(m4.rc == 0);
        CHECK(bytes(m4.pub.end() - 68, m4.pub.end()) == bytes(m.pub.end() - 68, m.pub.end()));
    }

    SECTION("KEYEDHASH HMAC key: sensitive value first, then seedValue; HMAC with it matches Python") {
        const auto tpl = tmpl{}.build(alg::keyedhash, signer, scheme(alg::hmac), derive_unique(str("the label"), str("the context")));
        auto m = derive(deriver, tpl);
        REQUIRE(m.rc == 0);
        CHECK(python(py + "print(hashlib.sha256(S[32:64] + S[:32]).hexdigest())") == to_hex(last_b2b(m.pub)));
        auto r = run(f.t, command_builder(cc::hmac).handle(m.handle).password().b2b(str("abc")).u16(alg::null).build());
        REQUIRE(r.rc == 0);
        r.parameter_size();
        CHECK(to_hex(r.b2b()) == python(py + "print(hmac.new(S[:32], b'abc', 'sha256').hexdigest())"));
    }

    SECTION("SYMCIPHER AES-128: 16 octets of key, then the seedValue") {
        const auto tpl = tmpl{}.build(alg::symcipher, fixed_tpm | fixed_parent | user_with_auth | decrypt | sign,
                                      sym_def(alg::aes, 128, alg::cfb), derive_unique(str("the label"), str("the context")));
        auto m = derive(deriver, tpl);
        REQUIRE(m.rc == 0);
        CHECK(python(py + "print(hashlib.sha256(S[16:48] + S[:16]).hexdigest())") == to_hex(last_b2b(m.pub)));
    }

    SECTION("Errors: RSA, sensitiveDataOrigin, long labels, Create under a Derivation Parent, the parent's KDF") {
        CHECK(cl(deriver, tmpl{}.build(alg::rsa, signer, cat({sym_def(alg::null), scheme(alg::rsassa), be16(2048), be32(0)}),
                                       derive_unique({}, {}))).rc == P(RC_TYPE, 2));
        CHECK(cl(deriver, tmpl{}.build(alg::keyedhash, signer | sdo, scheme(alg::hmac), derive_unique({}, {}))).rc ==
              P(RC_ATTRIBUTES, 2));
        CHECK(cl(deriver, tmpl{}.build(alg::keyedhash, signer, scheme(alg::hmac), derive_unique(bytes(33, 'x'), {}))).rc ==
              P(RC_SIZE, 2));
        // A TPM2B_DIGEST-shaped unique field is not a TPMS_DERIVE.
        CHECK(cl(deriver, keyedhash_tpl(signer, scheme(alg::hmac))).rc == P(RC_SIZE, 2));
        CHECK(cl(deriver, tmpl{}.build(alg::keyedhash, signer, scheme(alg::hmac), derive_unique({}, {})),
                 sensitive_create({}, str("not a TPMS_DERIVE"))).rc == P(RC_SIZE, 1));
        CHECK(f.create(deriver, keyedhash_tpl(signer, scheme(alg::hmac))).rc == H(RC_TYPE, 1));
        auto other = f.create(srk.handle, keyedhash_tpl(deriver_attrs, xor_scheme(alg::kdf2)), sensitive_create({}, parent_key));
        REQUIRE(other.rc == 0);
        auto [orc, kdf2_parent] = f.load(srk.handle, other.priv, other.pub);
        REQUIRE(orc == 0);
        CHECK(cl(kdf2_parent, tmpl{}.build(alg::keyedhash, signer, scheme(alg::hmac), derive_unique({}, {}))).rc ==
              H(RC_KDF, 1));
    }
}

TEST_CASE("LoadExternal: public keys and clear key pairs", "[object]") {
    fixture f;
    // An RSA-4096 key pair from python3-cryptography.
    const auto kp = python("from cryptography.hazmat.primitives.asymmetric import rsa\n"
                           "k = rsa.generate_private_key(65537, 4096); n = k.public_key().public_numbers().n\n"
                           "print(n.to_bytes(512, 'big').hex(), k.private_numbers().p.to_bytes(256, 'big').hex())");
    const auto n = from_hex(kp.substr(0, 1024));
    const auto p = from_hex(kp.substr(1025));
    const std::uint32_t ext_attrs = user_with_auth | sign | decrypt | no_da;
    const auto pub = rsa_tpl(ext_attrs, sym_def(alg::null), scheme(alg::null), 4096, 0, n);
    auto le = [&](byte_view sens, byte_view pubarea, std::uint32_t hierarchy) {
        return run(f.t, command_builder(cc::load_external).b2b(sens).b2b(pubarea).u32(hierarchy).build());
    };
    const auto sens = cat({be16(alg::rsa), b2b(str("a")), b2b({}), b2b(p)});
    SECTION("a key pair under TPM_RH_NULL; its context fits in 2048 octets") {
        auto r = le(sens, pub, rh::null);
        REQUIRE(r.rc == 0);
        const auto h = r.u32();
        CHECK(to_hex(r.b2b()) == python(py_prelude + "print(name('sha256', " + hx(pub) + ").hex())"));
        auto rp = f.read_public(h);
        CHECK(rp.qn == rp.name); // an external object's QN is its Name
        auto [src, ctx] = f.context_save(h);
        REQUIRE(src == 0);
        const auto blob_size = load_be16(ctx.data() + 8 + 4 + 4);
        CHECK(blob_size <= 2048);
        CHECK(f.flush(h) == 0);
        auto [lrc, h2] = f.context_load(ctx);
        CHECK(lrc == 0);
        CHECK(f.read_public(h2).name == rp.name);
    }
    SECTION("a public key under the owner hierarchy; nameAlg NULL gives an empty Name") {
        auto r = le({}, rsa_tpl(user_with_auth | sign, sym_def(alg::null), scheme(alg::rsassa), 4096, 0, n), rh::owner);
        REQUIRE(r.rc == 0);
        tmpl t;
        t.name_alg = alg::null;
        auto r2 = le({}, rsa_tpl(user_with_auth | sign, sym_def(alg::null), scheme(alg::rsassa), 4096, 0, n, t), rh::null);
        REQUIRE(r2.rc == 0);
        r2.u32();
        CHECK(r2.b2b().empty());
    }
    SECTION("errors") {
        CHECK(le(sens, pub, rh::owner).rc == P(RC_HIERARCHY, 3));                         // clear key pair in a hierarchy
        CHECK(le(sens, rsa_tpl(ext_attrs | fixed_parent, sym_def(alg::null), scheme(alg::null), 4096, 0, n), rh::null).rc ==
              P(RC_ATTRIBUTES, 2));
        auto bad_p = p;
        bad_p[200] ^= 1;
        CHECK(le(cat({be16(alg::rsa), b2b({}), b2b({}), b2b(bad_p)}), pub, rh::null).rc == P(RC_BINDING, 2));
        CHECK(le(cat({be16(alg::rsa), b2b({}), b2b({}), b2b(bytes(p.begin(), p.end() - 1))}), pub, rh::null).rc ==
              P(RC_KEY_SIZE, 1));
        CHECK(le({}, rsa_tpl(ext_attrs, sym_def(alg::null), scheme(alg::null), 4096, 0, bytes(n.begin(), n.end() - 1)), rh::null).rc ==
              P(RC_KEY_SIZE, 2));
        f.e().sc.sh_enable = false;
        CHECK(le({}, pub, rh::owner).rc == P(RC_HIERARCHY, 3));
    }
}

TEST_CASE("Object contexts: save, load, stClear, Restart, Reset, errors", "[object]") {
    fixture f;
    auto srk = f.create_primary(rh::owner, rsa_storage());
    auto tmp = f.create_primary(rh::owner, ecc_tpl(storage_attrs | st_clear, sym_def(), scheme(alg::null)));
    REQUIRE(srk.rc == 0);
    REQUIRE(tmp.rc == 0);
    auto [rc1, ctx] = f.context_save(srk.handle);
    auto [rc2, ctx_st] = f.context_save(tmp.handle);
    REQUIRE(rc1 == 0);
    REQUIRE(rc2 == 0);
    // TPMS_CONTEXT: sequence, savedHandle, hierarchy, blob.
    CHECK(load_be32(ctx.data() + 8) == 0x80000000);
    CHECK(load_be32(ctx_st.data() + 8) == 0x80000002);
    CHECK(load_be32(ctx.data() + 12) == rh::owner);
    CHECK(load_be64(ctx.data()) != load_be64(ctx_st.data()));
    CHECK(f.read_public(srk.handle).rc == 0); // still loaded
    auto [lrc, h] = f.context_load(ctx);
    REQUIRE(lrc == 0);
    CHECK(h != srk.handle);
    CHECK(f.read_public(h).name == srk.name);
    CHECK(f.read_public(h).qn == f.read_public(srk.handle).qn);
    // The loaded copy is a working parent.
    auto c = f.create(h, keyedhash_tpl(sealed_attrs), sensitive_create({}, str("x")));
    REQUIRE(c.rc == 0);
    CHECK(f.load(srk.handle, c.priv, c.pub).first == 0);

    SECTION("a changed context: TPM_RC_INTEGRITY + P1") {
        for (std::size_t at : {std::size_t{7}, std::size_t{13}, ctx.size() - 1, std::size_t{20}}) {
            auto bad = ctx;
            bad[at] ^= 0x01;
            CHECK(f.context_load(bad).first == (at == 13 ? P(RC_VALUE, 1) : P(RC_INTEGRITY, 1)));
        }
        auto seq_handle = ctx;
        seq_handle[11] = 0x01; // 0x80000001: a sequence object context
        CHECK(f.context_load(seq_handle).first == P(RC_HANDLE, 1));
    }
    SECTION("TPM Restart: ordinary contexts load, stateClear ones do not; TPM Reset: none") {
        REQUIRE(run(f.t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
        f.t.reset();
        REQUIRE(run(f.t, testing::startup_command(su::clear)).rc == 0);
        CHECK(f.context_load(ctx).first == 0);
        CHECK(f.context_load(ctx_st).first == P(RC_INTEGRITY, 1));
        f.t.reset();
        REQUIRE(run(f.t, testing::startup_command(su::clear)).rc == 0);
        CHECK(f.context_load(ctx).first == P(RC_INTEGRITY, 1));
    }
    SECTION("hierarchy disabled: TPM_RC_HIERARCHY + P1; no free slot: TPM_RC_OBJECT_MEMORY") {
        f.e().sc.sh_enable = false;
        CHECK(f.context_load(ctx).first == P(RC_HIERARCHY, 1));
        f.e().sc.sh_enable = true;
        while (f.e().free_object_slot()) REQUIRE(f.context_load(ctx).first == 0);
        CHECK(f.context_load(ctx).first == RC_OBJECT_MEMORY);
    }
}

TEST_CASE("Public area and sensitive data checks, with their response codes", "[object]") {
    fixture f;
    auto cp = [&](byte_view tpl, byte_view sens = sensitive_create()) { return f.create_primary(rh::owner, tpl, sens).rc; };
    tmpl null_name;
    null_name.name_alg = alg::null;
    tmpl bad_policy;
    bad_policy.policy = bytes(5, 1);
    CHECK(cp(rsa_tpl(storage_attrs, sym_def(), scheme(alg::null), 2048, 0, {}, null_name)) == P(RC_HASH, 2));
    CHECK(cp(rsa_tpl(storage_attrs, sym_def(), scheme(alg::null), 2048, 0, {}, bad_policy)) == P(RC_SIZE, 2));
    // TPMA_OBJECT (Part 2 §8.3.3).
    CHECK(cp(rsa_tpl(storage_attrs | sign, sym_def(), scheme(alg::null))) == P(RC_ATTRIBUTES, 2));   // restricted sign+decrypt
    CHECK(cp(rsa_tpl(storage_attrs & ~fixed_parent, sym_def(), scheme(alg::null))) == P(RC_ATTRIBUTES, 2)); // fixedTPM only
    CHECK(cp(rsa_tpl((storage_attrs & ~fixed_tpm), sym_def(), scheme(alg::null))) == P(RC_ATTRIBUTES, 2)); // fixedParent only (primary)
    CHECK(cp(rsa_tpl(sdo | user_with_auth, sym_def(alg::null), scheme(alg::null))) == P(RC_ATTRIBUTES, 2)); // neither sign nor decrypt
    CHECK(cp(rsa_tpl(signing_attrs | (1u << 19), sym_def(alg::null), scheme(alg::rsassa))) == 0);           // x509sign on a signing key
    CHECK(cp(keyedhash_tpl(signing_attrs | (1u << 19), scheme(alg::hmac))) == P(RC_ATTRIBUTES, 2));       // x509sign, not asymmetric
    // Symmetric definitions and schemes (Part 2 Tables 228, 229).
    CHECK(cp(rsa_tpl(storage_attrs, sym_def(alg::null), scheme(alg::null))) == P(RC_SYMMETRIC, 2));
    CHECK(cp(rsa_tpl(signing_attrs, sym_def(), scheme(alg::rsassa))) == P(RC_SYMMETRIC, 2));
    CHECK(cp(rsa_tpl(storage_attrs, sym_def(), scheme(alg::rsassa))) == P(RC_SCHEME, 2));
    CHECK(cp(rsa_tpl(signing_attrs | restricted, sym_def(alg::null), scheme(alg::null))) == P(RC_SCHEME, 2));
    CHECK(cp(rsa_tpl(signing_attrs, sym_def(alg::null), scheme(alg::oaep))) == P(RC_SCHEME, 2));
    CHECK(cp(rsa_tpl((signing_attrs & ~sign) | decrypt, sym_def(alg::null), scheme(alg::rsassa))) == P(RC_SCHEME, 2));
    CHECK(cp(rsa_tpl(signing_attrs | decrypt, sym_def(alg::null), scheme(alg::rsassa))) == P(RC_SCHEME, 2));
    CHECK(cp(ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::ecdh))) == P(RC_SCHEME, 2));
    CHECK(cp(ecc_tpl(storage_attrs, sym_def(), scheme(alg::ecdsa))) == P(RC_SCHEME, 2));
    CHECK(cp(keyedhash_tpl(signing_attrs, cat({be16(alg::xor_), be16(alg::sha256), be16(alg::kdf1_sp800_108)}))) ==
          P(RC_SCHEME, 2));
    CHECK(cp(keyedhash_tpl(sealed_attrs, scheme(alg::hmac)), sensitive_create({}, str("d"))) == P(RC_SCHEME, 2));
    CHECK(cp(symcipher_tpl(storage_attrs, 128, alg::null)) == 0); // a SYMCIPHER parent protects with CFB in any case
    // Key sizes, exponent, curve, KDF.
    CHECK(cp(rsa_signing(1000)) == P(RC_VALUE, 2));
    CHECK(cp(rsa_tpl(signing_attrs, sym_def(alg::null), scheme(alg::rsassa), 2048, 4)) == P(RC_VALUE, 2));
    CHECK(cp(ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::ecdsa), 0x0040)) == P(RC_CURVE, 2));
    CHECK(cp(ecc_tpl(signing_attrs, sym_def(alg::null), scheme(alg::ecdsa), ecc_curve::nist_p256, alg::kdf2)) == P(RC_KDF, 2));
    // inSensitive (Part 3 §12.1, Part 1 §24.3).
    CHECK(cp(rsa_storage(), sensitive_create(bytes(33, 1))) == P(RC_SIZE, 1));
    CHECK(cp(keyedhash_tpl(signing_attrs, scheme(alg::hmac)), sensitive_create({}, str("key"))) == P(RC_ATTRIBUTES, 2));
    CHECK(cp(keyedhash_tpl(sealed_attrs | sdo)) == P(RC_ATTRIBUTES, 2));
    CHECK(cp(symcipher_tpl((signing_attrs & ~sdo) | decrypt), sensitive_create({}, bytes(17, 1))) == P(RC_SIZE, 1));
    CHECK(cp(keyedhash_tpl(signing_attrs & ~sdo, scheme(alg::hmac)), sensitive_create({}, bytes(65, 1))) == P(RC_SIZE, 1));

    // Ordinary objects under a parent.
    auto srk = f.create_primary(rh::owner, rsa_storage());
    REQUIRE(srk.rc == 0);
    auto cr = [&](byte_view tpl, byte_view sens = sensitive_create()) { return f.create(srk.handle, tpl, sens).rc; };
    CHECK(cr(ecc_tpl(signing_attrs & ~sdo, sym_def(alg::null), scheme(alg::ecdsa)), sensitive_create({}, str("k"))) ==
          P(RC_VALUE, 1)); // no caller key material for an ordinary asymmetric key
    tmpl sha384;
    sha384.name_alg = alg::sha384;
    CHECK(cr(ecc_tpl(storage_attrs, sym_def(), scheme(alg::null), ecc_curve::nist_p256, alg::null, sha384)) == P(RC_HASH, 2));
    CHECK(cr(ecc_tpl(storage_attrs, sym_def(alg::aes, 256), scheme(alg::null))) == P(RC_SYMMETRIC, 2));
    // Without fixedParent (and so without fixedTPM) the child may differ from its parent.
    CHECK(cr(ecc_tpl(storage_attrs & ~(fixed_parent | fixed_tpm), sym_def(alg::aes, 256), scheme(alg::null),
                     ecc_curve::nist_p256, alg::null, sha384)) == 0);
    // ReadPublic of a sequence object: TPM_RC_SEQUENCE.
    auto seq = run(f.t, command_builder(cc::hash_sequence_start).b2b({}).u16(alg::sha256).build());
    REQUIRE(seq.rc == 0);
    CHECK(f.read_public(seq.u32()).rc == RC_SEQUENCE);
}
