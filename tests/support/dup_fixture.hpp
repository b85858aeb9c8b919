// Helpers shared by the credential and duplication tests: commands written out as bytes (not
// with the library's marshalling), templates, response codes, and a TPM fixture whose crypto
// seed is chosen per instance, so that two TPMs with different seeds can exchange blobs.
#pragma once
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

#include "support/oracle.hpp"

namespace dup_test {

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::python;

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

inline bytes cat(std::initializer_list<byte_view> parts) {
    bytes r;
    for (auto p : parts) r.insert(r.end(), p.begin(), p.end());
    return r;
}
inline bytes be16(std::uint16_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
inline bytes be32(std::uint32_t v) {
    return cat({be16(static_cast<std::uint16_t>(v >> 16)), be16(static_cast<std::uint16_t>(v))});
}
inline bytes b2b(byte_view b) { return cat({be16(static_cast<std::uint16_t>(b.size())), b}); }
inline bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }

// TPMA_OBJECT bits (Part 2 Table 37), spelled out here rather than taken from the library.
constexpr std::uint32_t fixed_tpm = 1u << 1, fixed_parent = 1u << 4, sdo = 1u << 5, user_with_auth = 1u << 6,
                        admin_with_policy = 1u << 7, no_da = 1u << 10, enc_dup = 1u << 11, restricted = 1u << 16,
                        decrypt = 1u << 17, sign = 1u << 18;
constexpr std::uint32_t storage_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | restricted | decrypt | no_da;
/// A storage key that may be duplicated (and whose children may be).
constexpr std::uint32_t movable_storage = sdo | user_with_auth | restricted | decrypt | no_da;

/// Response codes (Part 2 §6.6): code | 0x40 | n << 8 for parameter n, code | n << 8 for
/// handle n, code | 0x800 | n << 8 for session n.
constexpr std::uint32_t P(std::uint32_t rc, unsigned n) { return rc | 0x040 | (n << 8); }
constexpr std::uint32_t H(std::uint32_t rc, unsigned n) { return rc | (n << 8); }
constexpr std::uint32_t S(std::uint32_t rc, unsigned n) { return rc | 0x800 | (n << 8); }
constexpr std::uint32_t RC_ATTRIBUTES = 0x082, RC_VALUE = 0x084, RC_HIERARCHY = 0x085, RC_MODE = 0x089,
                        RC_TYPE = 0x08A, RC_HANDLE = 0x08B, RC_SIZE = 0x095, RC_SYMMETRIC = 0x096,
                        RC_INTEGRITY = 0x09F, RC_AUTH_TYPE = 0x124, RC_POLICY_FAIL = 0x09D, RC_POLICY_CC = 0x0A4,
                        RC_ECC_POINT = 0x0A7, RC_SENSITIVE = 0x155, RC_BINDING = 0x0A5;

// --- templates (Part 2 §12.2.4), nameAlg SHA-256 ------------------------------------------

inline bytes sym_def(std::uint16_t a = alg::aes, std::uint16_t bits = 128, std::uint16_t mode = alg::cfb) {
    return a == alg::null ? be16(alg::null) : cat({be16(a), be16(bits), be16(mode)});
}
inline bytes scheme(std::uint16_t s, std::uint16_t h = alg::sha256) {
    return s == alg::null ? be16(s) : cat({be16(s), be16(h)});
}
inline bytes public_area(std::uint16_t type, std::uint32_t attrs, byte_view policy, byte_view parms, byte_view unique) {
    return cat({be16(type), be16(alg::sha256), be32(attrs), b2b(policy), parms, unique});
}
inline bytes rsa_key(std::uint32_t attrs, byte_view sym, byte_view sch, byte_view policy = {}, byte_view n = {}) {
    return public_area(alg::rsa, attrs, policy, cat({sym, sch, be16(2048), be32(0)}), b2b(n));
}
inline bytes ecc_key(std::uint32_t attrs, byte_view sym, byte_view sch, byte_view policy = {}, byte_view x = {},
                     byte_view y = {}) {
    return public_area(alg::ecc, attrs, policy, cat({sym, sch, be16(ecc_curve::nist_p256), be16(alg::null)}),
                       cat({b2b(x), b2b(y)}));
}
inline bytes rsa_storage() { return rsa_key(storage_attrs, sym_def(), scheme(alg::null)); }
inline bytes ecc_storage() { return ecc_key(storage_attrs, sym_def(), scheme(alg::null)); }
/// A sealed data object (KEYEDHASH, no sign/decrypt).
inline bytes sealed(std::uint32_t attrs, byte_view policy = {}, byte_view unique = {}) {
    return public_area(alg::keyedhash, attrs, policy, be16(alg::null), b2b(unique));
}
inline bytes sensitive_create(byte_view auth = {}, byte_view data = {}) { return cat({b2b(auth), b2b(data)}); }

/// The policy digest of TPM2_PolicyCommandCode(TPM_CC_Duplicate) from a fresh SHA-256 session
/// (Part 3 §23.11), computed in Python.
inline bytes duplicate_policy() {
    return from_hex(python("import hashlib\nprint(hashlib.sha256(bytes(32) + bytes.fromhex('0000016c0000014b')).hexdigest())"));
}

/// One started TPM; `tag` selects the seed of its crypto (its hierarchy seeds and RNG).
struct fixture {
    tpm_t t;
    explicit fixture(std::uint8_t tag = 0) : t{testing::seeded_crypto(tag)} {
        t.manufacture();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
    }

    struct object {
        std::uint32_t rc = 0, handle = 0;
        bytes pub, priv, name;
    };
    object create_primary(byte_view tpl, std::uint32_t hierarchy = rh::owner) {
        auto r = run(t, command_builder(cc::create_primary).handle(hierarchy).password().b2b(sensitive_create()).b2b(tpl)
                            .b2b({}).u32(0).build());
        object o;
        o.rc = r.rc;
        if (r.rc != 0) return o;
        o.handle = r.u32();
        r.parameter_size();
        o.pub = r.b2b();
        (void)r.b2b(); // creationData
        (void)r.b2b(); // creationHash
        (void)r.u16();
        (void)r.u32();
        (void)r.b2b(); // creationTicket
        o.name = r.b2b();
        REQUIRE(r.ok);
        return o;
    }
    object create(std::uint32_t parent, byte_view tpl, byte_view sens = sensitive_create()) {
        auto r = run(t, command_builder(cc::create).handle(parent).password().b2b(sens).b2b(tpl).b2b({}).u32(0).build());
        object o;
        o.rc = r.rc;
        if (r.rc != 0) return o;
        r.parameter_size();
        o.priv = r.b2b();
        o.pub = r.b2b();
        REQUIRE(r.ok);
        return o;
    }
    /// Load; the handle and Name go into o.
    std::uint32_t load(std::uint32_t parent, object& o) {
        auto r = run(t, command_builder(cc::load).handle(parent).password().b2b(o.priv).b2b(o.pub).build());
        if (r.rc != 0) return r.rc;
        o.handle = r.u32();
        r.parameter_size();
        o.name = r.b2b();
        REQUIRE(r.ok);
        return 0;
    }
    /// LoadExternal of a public area only.
    std::pair<std::uint32_t, std::uint32_t> load_public(byte_view pub, std::uint32_t hierarchy = rh::owner) {
        auto r = run(t, command_builder(cc::load_external).b2b({}).b2b(pub).u32(hierarchy).build());
        if (r.rc != 0) return {r.rc, 0};
        return {0, r.u32()};
    }
    std::uint32_t flush(std::uint32_t h) { return run(t, command_builder(cc::flush_context).u32(h).build()).rc; }
    std::pair<std::uint32_t, bytes> unseal(std::uint32_t h, byte_view auth = {}) {
        auto r = run(t, command_builder(cc::unseal).handle(h).password(auth).build());
        if (r.rc != 0) return {r.rc, {}};
        r.parameter_size();
        return {0, r.b2b()};
    }

    /// A policy session (unbound, unsalted, SHA-256); with `cc` not 0, PolicyCommandCode(cc).
    std::uint32_t policy_session(std::uint32_t code = cc::duplicate) {
        auto r = run(t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null).b2b(bytes(16, 0x5A))
                            .b2b({}).u8(se::policy).u16(alg::null).u16(alg::sha256).build());
        REQUIRE(r.rc == 0);
        const auto h = r.u32();
        if (code != 0) REQUIRE(run(t, command_builder(cc::policy_command_code).handle(h).u32(code).build()).rc == 0);
        return h;
    }

    struct duplicated {
        std::uint32_t rc = 0;
        bytes key_out, dup, seed;
    };
    /// Duplicate authorized by `session` (0: a fresh policy session with PolicyCommandCode).
    duplicated duplicate(std::uint32_t obj, std::uint32_t new_parent, byte_view key_in, byte_view sym,
                         std::uint32_t session = 0, bool password = false) {
        command_builder b(cc::duplicate);
        b.handle(obj).handle(new_parent);
        const std::uint32_t ps = password ? 0 : (session ? session : policy_session());
        if (password) b.password();
        else b.session(ps, bytes(16, 0x33), 0x00, {});
        auto r = run(t, b.b2b(key_in).raw(sym).build());
        duplicated d;
        d.rc = r.rc;
        if (r.rc != 0) {
            if (ps != 0) (void)flush(ps); // a failed command does not end the session
            return d;
        }
        r.parameter_size();
        d.key_out = r.b2b();
        d.dup = r.b2b();
        d.seed = r.b2b();
        REQUIRE(r.ok);
        return d;
    }
    std::pair<std::uint32_t, bytes> import(std::uint32_t parent, byte_view key, byte_view pub, byte_view dup,
                                           byte_view seed, byte_view sym) {
        auto r = run(t, command_builder(cc::import).handle(parent).password().b2b(key).b2b(pub).b2b(dup).b2b(seed)
                            .raw(sym).build());
        if (r.rc != 0) return {r.rc, {}};
        r.parameter_size();
        auto priv = r.b2b();
        REQUIRE(r.ok);
        return {0, priv};
    }
    struct rewrapped {
        std::uint32_t rc = 0;
        bytes dup, seed;
    };
    rewrapped rewrap(std::uint32_t old_parent, std::uint32_t new_parent, byte_view dup, byte_view name, byte_view seed) {
        auto r = run(t, command_builder(cc::rewrap).handle(old_parent).handle(new_parent).password().b2b(dup).b2b(name)
                            .b2b(seed).build());
        rewrapped w;
        w.rc = r.rc;
        if (r.rc != 0) return w;
        r.parameter_size();
        w.dup = r.b2b();
        w.seed = r.b2b();
        REQUIRE(r.ok);
        return w;
    }

    std::pair<bytes, bytes> make_credential(std::uint32_t key, byte_view credential, byte_view name,
                                            std::uint32_t* rc_out = nullptr) {
        auto r = run(t, command_builder(cc::make_credential).handle(key).b2b(credential).b2b(name).build());
        if (rc_out) *rc_out = r.rc;
        if (r.rc != 0) return {};
        auto blob = r.b2b();
        auto secret = r.b2b();
        REQUIRE(r.ok);
        REQUIRE(r.remaining() == 0);
        return {blob, secret};
    }
    std::pair<std::uint32_t, bytes> activate_credential(std::uint32_t act, std::uint32_t key, byte_view blob,
                                                        byte_view secret) {
        auto r = run(t, command_builder(cc::activate_credential).handle(act).handle(key).password().password().b2b(blob)
                            .b2b(secret).build());
        if (r.rc != 0) return {r.rc, {}};
        r.parameter_size();
        auto cv = r.b2b();
        REQUIRE(r.ok);
        return {0, cv};
    }
};

/// The unique field of an RSA public area (its last TPM2B, 256 octets for RSA-2048).
inline bytes rsa_modulus(byte_view pub) { return bytes(pub.end() - 256, pub.end()); }
/// The x and y of an ECC P-256 public area (its last two TPM2Bs of 32 octets).
inline std::pair<bytes, bytes> ecc_point(byte_view pub) {
    return {bytes(pub.end() - 66, pub.end() - 34), bytes(pub.end() - 32, pub.end())};
}

/// Python definitions for the protections of Part 1 §20-§21 and §43.10 / §44.7, written from
/// the specification with python3-cryptography (OAEP, ECDH, AES-CFB) and hashlib/hmac.
inline const std::string py_wrap = vtpm_test::py_prelude + R"(
from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
import os
def u16(n): return n.to_bytes(2, 'big')
def tpm2b(b): return u16(len(b)) + b
def cfb(key, data, enc=True):
    c = Cipher(algorithms.AES(key), modes.CFB(bytes(16)))
    x = c.encryptor() if enc else c.decryptor()
    return x.update(data) + x.finalize()
class rd:
    def __init__(s, b): s.b, s.p = b, 0
    def take(s, n):
        v = s.b[s.p:s.p + n]; s.p += n; return v
    def u16(s): return int.from_bytes(s.take(2), 'big')
    def b2b(s): return s.take(s.u16())
def rsa_pub(n): return rsa.RSAPublicNumbers(65537, int.from_bytes(n, 'big')).public_key()
def oaep(label): return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label + b'\0')
def rsa_encap(n, label):
    seed = os.urandom(32)
    return seed, rsa_pub(n).encrypt(seed, oaep(label))
def ecc_encap(x, y, label):
    qs = ec.EllipticCurvePublicNumbers(int.from_bytes(x, 'big'), int.from_bytes(y, 'big'), ec.SECP256R1()).public_key()
    de = ec.generate_private_key(ec.SECP256R1())
    z = de.exchange(ec.ECDH(), qs)
    n = de.public_key().public_numbers()
    ex, ey = n.x.to_bytes(32, 'big'), n.y.to_bytes(32, 'big')
    return kdfe('sha256', z, label, ex, x, 256), tpm2b(ex) + tpm2b(ey)
def outer_wrap(seed, name, data, bits=128):
    k = kdfa('sha256', seed, b'STORAGE', name, b'', bits)
    enc = cfb(k, data)
    hk = kdfa('sha256', seed, b'INTEGRITY', b'', b'', 256)
    return tpm2b(hmac.new(hk, enc + name, 'sha256').digest()) + enc
def outer_unwrap(seed, name, blob, bits=128):
    n = int.from_bytes(blob[:2], 'big')
    mac, enc = blob[2:2 + n], blob[2 + n:]
    hk = kdfa('sha256', seed, b'INTEGRITY', b'', b'', 256)
    assert hmac.compare_digest(hmac.new(hk, enc + name, 'sha256').digest(), mac), 'outer HMAC'
    return cfb(kdfa('sha256', seed, b'STORAGE', name, b'', bits), enc, False)
def inner_wrap(key, name, sens2b):
    return cfb(key, tpm2b(hashlib.sha256(sens2b + name).digest()) + sens2b)
def inner_unwrap(key, name, blob):
    d = cfb(key, blob, False)
    n = int.from_bytes(d[:2], 'big')
    assert d[2:2 + n] == hashlib.sha256(d[2 + n:] + name).digest(), 'inner integrity'
    return d[2 + n:]
)";

} // namespace dup_test
