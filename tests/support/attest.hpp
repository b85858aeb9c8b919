// Shared by the attestation and audit tests: byte helpers, key templates, a TPM fixture with
// the attestation commands as raw bytes, and Python (hashlib/hmac, python3-cryptography)
// that parses TPMS_ATTEST and verifies signatures independently of the library.
#pragma once
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>

#include "support/oracle.hpp"
#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

namespace vtpm_test::attest {

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::python;

using platform = vtpm::testing::deterministic_platform<>;
using tpm_t = vtpm::tpm<platform>;

// --- byte helpers ------------------------------------------------------------------------

inline bytes cat(std::initializer_list<byte_view> parts) {
    bytes r;
    for (auto p : parts) r.insert(r.end(), p.begin(), p.end());
    return r;
}
inline bytes be16(std::uint16_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
inline bytes be32(std::uint32_t v) { return cat({be16(static_cast<std::uint16_t>(v >> 16)), be16(static_cast<std::uint16_t>(v))}); }
inline bytes b2b(byte_view b) { return cat({be16(static_cast<std::uint16_t>(b.size())), b}); }
inline bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }

// TPMA_OBJECT bits (Part 2 Table 37), written out here.
constexpr std::uint32_t fixed_tpm = 1u << 1, fixed_parent = 1u << 4, sdo = 1u << 5, user_with_auth = 1u << 6,
                        no_da = 1u << 10, restricted = 1u << 16, decrypt = 1u << 17, sign = 1u << 18;
constexpr std::uint32_t ak_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | restricted | sign | no_da;
constexpr std::uint32_t storage_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | restricted | decrypt | no_da;

/// Response codes written out (Part 2 §6.6).
constexpr std::uint32_t P(std::uint32_t rc, unsigned n) { return rc | 0x040 | (n << 8); }
constexpr std::uint32_t H(std::uint32_t rc, unsigned n) { return rc | (n << 8); }
constexpr std::uint32_t RC_ATTRIBUTES = 0x082, RC_VALUE = 0x084, RC_SCHEME = 0x092, RC_TAG = 0x097,
                        RC_KEY = 0x09C, RC_TICKET = 0x0A0;

inline bytes scheme(std::uint16_t s, std::uint16_t h = alg::sha256) { return s == alg::null ? be16(s) : cat({be16(s), be16(h)}); }
inline bytes rsa_tpl(std::uint32_t attrs, byte_view sch, byte_view sym = be16(alg::null)) {
    return cat({be16(alg::rsa), be16(alg::sha256), be32(attrs), b2b({}), sym, sch, be16(2048), be32(0), b2b({})});
}
inline bytes ecc_tpl(std::uint32_t attrs, byte_view sch, std::uint16_t name_alg = alg::sha256) {
    return cat({be16(alg::ecc), be16(name_alg), be32(attrs), b2b({}), be16(alg::null), sch, be16(ecc_curve::nist_p256),
                be16(alg::null), b2b({}), b2b({})});
}
inline bytes rsa_storage() { return rsa_tpl(storage_attrs, be16(alg::null), cat({be16(alg::aes), be16(128), be16(alg::cfb)})); }
/// TPML_PCR_SELECTION with one SHA-256 selection of 24 PCRs.
inline bytes sha256_pcrs(std::initializer_list<unsigned> pcrs, std::uint16_t bank = alg::sha256) {
    bytes sel{0, 0, 0};
    for (auto p : pcrs) sel[p / 8] = static_cast<std::uint8_t>(sel[p / 8] | (1u << (p % 8)));
    return cat({be32(1), be16(bank), bytes{3}, sel});
}

/// Python: KDFa, a reader, TPMS_ATTEST and TPMT_PUBLIC parsers, signature verification.
inline const std::string py = vtpm_test::py_prelude + R"(
class rd:
    def __init__(s, b): s.b, s.p = b, 0
    def take(s, n):
        assert s.p + n <= len(s.b), 'short'
        v = s.b[s.p:s.p + n]; s.p += n; return v
    def u8(s): return s.take(1)[0]
    def u16(s): return int.from_bytes(s.take(2), 'big')
    def u32(s): return int.from_bytes(s.take(4), 'big')
    def u64(s): return int.from_bytes(s.take(8), 'big')
    def b2b(s): return s.take(s.u16())
def attest(b):
    r = rd(b); d = {}
    d['magic'] = r.u32(); d['type'] = r.u16(); d['signer'] = r.b2b(); d['extra'] = r.b2b()
    d['clock'] = r.u64(); d['reset'] = r.u32(); d['restart'] = r.u32(); d['safe'] = r.u8(); d['fw'] = r.u64()
    t = d['type']
    if t == 0x8018:
        d['sels'] = [(r.u16(), r.take(r.u8())) for _ in range(r.u32())]
        d['pcr_digest'] = r.b2b()
    elif t == 0x8017: d['name'] = r.b2b(); d['qn'] = r.b2b()
    elif t == 0x801A: d['name'] = r.b2b(); d['creation_hash'] = r.b2b()
    elif t == 0x8019:
        d['time'] = r.u64(); d['t_clock'] = r.u64(); d['t_reset'] = r.u32(); d['t_restart'] = r.u32()
        d['t_safe'] = r.u8(); d['t_fw'] = r.u64()
    elif t == 0x8015: d['counter'] = r.u64(); d['alg'] = r.u16(); d['audit'] = r.b2b(); d['cmds'] = r.b2b()
    elif t == 0x8016: d['excl'] = r.u8(); d['digest'] = r.b2b()
    else: raise Exception('type %x' % t)
    assert r.p == len(b), 'trailing bytes'
    assert d['magic'] == 0xff544347, 'magic'
    return d
def public(p):
    r = rd(p); t = r.u16(); r.u16(); r.u32(); r.b2b()
    sym = r.u16()
    if sym != 0x10: r.take(4)
    sch = r.u16()
    if sch != 0x10: r.u16()
    if t == 0x0001:
        r.u16(); r.u32(); return ('rsa', int.from_bytes(r.b2b(), 'big'))
    curve = r.u16(); kdf = r.u16()
    if kdf != 0x10: r.u16()
    return ('ecc', int.from_bytes(r.b2b(), 'big'), int.from_bytes(r.b2b(), 'big'))
from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding, utils
from cryptography.hazmat.primitives import hashes
def verify(pub, sig, data):
    s = rd(sig); sa = s.u16()
    k = public(pub)
    if sa in (0x14, 0x16):
        assert s.u16() == 0x0b; sg = s.b2b(); assert s.p == len(sig)
        key = rsa.RSAPublicNumbers(65537, k[1]).public_key()
        pad = padding.PKCS1v15() if sa == 0x14 else padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO)
        key.verify(sg, data, pad, hashes.SHA256())
    elif sa == 0x18:
        assert s.u16() == 0x0b; r_ = int.from_bytes(s.b2b(), 'big'); s_ = int.from_bytes(s.b2b(), 'big'); assert s.p == len(sig)
        key = ec.EllipticCurvePublicNumbers(k[1], k[2], ec.SECP256R1()).public_key()
        key.verify(utils.encode_dss_signature(r_, s_), data, ec.ECDSA(hashes.SHA256()))
    else: raise Exception('sigAlg %x' % sa)
def obf(h, sh_proof, qn):
    o = kdfa(h, sh_proof, b'OBFUSCATE', qn, b'', 128)
    return int.from_bytes(o[:8], 'big'), int.from_bytes(o[8:12], 'big'), int.from_bytes(o[12:16], 'big')
def check_common(d, extra, qn, obfuscated, h, sh_proof, clock, reset, restart):
    assert d['extra'] == extra, 'extraData'
    assert d['signer'] == qn, 'qualifiedSigner'
    f, a, b = obf(h, sh_proof, qn) if obfuscated else (0, 0, 0)
    assert d['fw'] == (0x0000000100000000 + f) % 2**64, 'firmwareVersion'
    assert d['reset'] == (reset + a) % 2**32, 'resetCount'
    assert d['restart'] == (restart + b) % 2**32, 'restartCount'
    assert d['clock'] == clock, 'clock %d %d' % (d['clock'], clock)
    assert d['safe'] == 1, 'safe'
)";

/// One TPM started with TPM2_Startup(CLEAR).
struct fixture {
    tpm_t t{testing::seeded_crypto()};
    fixture() {
        t.manufacture();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
    }
    auto& e() { return t.internals(); }

    struct key {
        std::uint32_t handle = 0;
        bytes pub, name, qn, creation_hash, ticket;
        std::uint32_t ticket_hierarchy = 0;
    };
    key primary(std::uint32_t hierarchy, byte_view tpl) {
        auto r = run(t, command_builder(cc::create_primary).handle(hierarchy).password().b2b(cat({b2b({}), b2b({})}))
                            .b2b(tpl).b2b({}).u32(0).build());
        REQUIRE(r.rc == 0);
        key k;
        k.handle = r.u32();
        r.parameter_size();
        k.pub = r.b2b();
        (void)r.b2b(); // creationData
        k.creation_hash = r.b2b();
        REQUIRE(r.u16() == st::creation);
        k.ticket_hierarchy = r.u32();
        k.ticket = r.b2b();
        k.name = r.b2b();
        REQUIRE(r.ok);
        auto rp = run(t, command_builder(cc::read_public).handle(k.handle).build());
        REQUIRE(rp.rc == 0);
        (void)rp.b2b();
        REQUIRE(rp.b2b() == k.name);
        k.qn = rp.b2b();
        return k;
    }
    struct attested {
        std::uint32_t rc = 0;
        bytes attest, signature;
    };
    attested finish(testing::response r) {
        attested a;
        a.rc = r.rc;
        if (r.rc != 0) return a;
        const auto psize = r.parameter_size();
        const auto start = r.pos;
        a.attest = r.b2b();
        a.signature = r.take(psize - (r.pos - start));
        REQUIRE(r.ok);
        return a;
    }
    attested quote(std::uint32_t key, byte_view qualifying, byte_view in_scheme, byte_view pcrs) {
        return finish(run(t, command_builder(cc::quote).handle(key).password().b2b(qualifying).raw(in_scheme).raw(pcrs).build()));
    }
    attested certify(std::uint32_t object, std::uint32_t key, byte_view qualifying, byte_view in_scheme) {
        auto cb = command_builder(cc::certify).handle(object).handle(key).password().password();
        return finish(run(t, cb.b2b(qualifying).raw(in_scheme).build()));
    }
    attested get_time(std::uint32_t key, byte_view qualifying, byte_view in_scheme) {
        auto cb = command_builder(cc::get_time).handle(rh::endorsement).handle(key).password().password();
        return finish(run(t, cb.b2b(qualifying).raw(in_scheme).build()));
    }
    attested certify_creation(std::uint32_t key, std::uint32_t object, byte_view qualifying, byte_view creation_hash,
                              byte_view in_scheme, byte_view ticket) {
        auto cb = command_builder(cc::certify_creation).handle(key).handle(object).password();
        return finish(run(t, cb.b2b(qualifying).b2b(creation_hash).raw(in_scheme).raw(ticket).build()));
    }
    void extend(unsigned pcr, byte_view sha256_digest) {
        auto r = run(t, command_builder(cc::pcr_extend).handle(pcr).password().u32(1).u16(alg::sha256).raw(sha256_digest).build());
        REQUIRE(r.rc == 0);
    }
    /// Python arguments for check_common.
    std::string common(const key& k, byte_view extra, bool obfuscated) {
        return hx(extra) + ", " + hx(k.qn) + ", " + (obfuscated ? "True" : "False") + ", 'sha256', " +
               hx(e().nv.sh_proof) + ", " + std::to_string(e().clock()) + ", " + std::to_string(e().nv.reset_count) +
               ", " + std::to_string(e().nv.restart_count);
    }
};


} // namespace vtpm_test::attest
