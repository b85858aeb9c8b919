// NV_Certify (Part 3 §31.16), PolicyNV (§23.9) and PolicyAuthorizeNV (§23.22) through the
// command pipeline, as raw bytes. Python (hashlib, python3-cryptography) parses the
// TPMS_ATTEST, recomputes Names, digests and policy digests, and verifies the signatures.
#include <catch2/catch.hpp>

#include <string>

#include "support/attest.hpp"

using namespace vtpm_test::attest;

namespace {

// TPMA_NV bits (Part 2 Table 249), written out here.
constexpr std::uint32_t PPWRITE = 1u << 0, OWNERWRITE = 1u << 1, AUTHWRITE = 1u << 2, POLICYWRITE = 1u << 3,
                        PPREAD = 1u << 16, OWNERREAD = 1u << 17, AUTHREAD = 1u << 18, POLICYREAD = 1u << 19,
                        NO_DA = 1u << 25, READLOCKED = 1u << 28, WRITTEN = 1u << 29, READ_STCLEAR = 1u << 31;
constexpr std::uint32_t T_COUNTER = 1u << 4;
constexpr std::uint32_t RW = OWNERWRITE | OWNERREAD | AUTHWRITE | AUTHREAD | NO_DA;

constexpr std::uint32_t RC_SIZE = 0x095, RC_POLICY = 0x126, RC_NV_RANGE = 0x146, RC_NV_LOCKED = 0x148,
                        RC_NV_AUTHORIZATION = 0x149, RC_NV_UNINITIALIZED = 0x14A, RC_HANDLE = 0x08B,
                        RC_BAD_AUTH = 0x0A2;
constexpr std::uint32_t S(std::uint32_t rc, unsigned n) { return rc | 0x800 | (n << 8); }

constexpr tpm_handle IDX = 0x01500010, IDX2 = 0x01500011;



/// TPMS_NV_PUBLIC (Part 2 Table 251).
bytes nv_public(tpm_handle h, std::uint32_t attrs, std::uint16_t size, byte_view policy = {}) {
    return cat({be32(h), be16(alg::sha256), be32(attrs), b2b(policy), be16(size)});
}

/// Python: the NV members of TPMS_ATTEST (Part 2 §10.11.8, §10.11.9).
const std::string nvpy = py + R"(
def nvattest(b):
    r = rd(b); d = {}
    d['magic'] = r.u32(); d['type'] = r.u16(); d['signer'] = r.b2b(); d['extra'] = r.b2b()
    d['clock'] = r.u64(); d['reset'] = r.u32(); d['restart'] = r.u32(); d['safe'] = r.u8(); d['fw'] = r.u64()
    if d['type'] == 0x8014: d['name'] = r.b2b(); d['offset'] = r.u16(); d['contents'] = r.b2b()
    elif d['type'] == 0x801C: d['name'] = r.b2b(); d['digest'] = r.b2b()
    else: raise Exception('type %x' % d['type'])
    assert r.p == len(b), 'trailing bytes'
    assert d['magic'] == 0xff544347, 'magic'
    return d
)";

struct nv_fixture : fixture {
    std::uint32_t define(tpm_handle auth, byte_view pub, byte_view index_auth = {}) {
        return run(t, command_builder(cc::nv_define_space).handle(auth).password().b2b(index_auth).b2b(pub).build()).rc;
    }
    std::uint32_t write(tpm_handle auth, tpm_handle h, byte_view data, std::uint16_t offset = 0, byte_view pw = {}) {
        return run(t, command_builder(cc::nv_write).handle(auth).handle(h).password(pw).b2b(data).u16(offset).build()).rc;
    }
    /// The Name of an index as NV_ReadPublic reports it.
    bytes nv_name(tpm_handle h) {
        auto r = run(t, command_builder(cc::nv_read_public).handle(h).build());
        REQUIRE(r.rc == 0);
        (void)r.b2b();
        return r.b2b();
    }
    attested nv_certify(std::uint32_t key, tpm_handle auth, tpm_handle h, byte_view qualifying, byte_view in_scheme,
                        std::uint16_t size, std::uint16_t offset, byte_view pw = {}) {
        auto cb = command_builder(cc::nv_certify).handle(key).handle(auth).handle(h).password().password(pw);
        return finish(run(t, cb.b2b(qualifying).raw(in_scheme).u16(size).u16(offset).build()));
    }
};

} // namespace

// =========================================================================================
// TPM2_NV_Certify
// =========================================================================================

TEST_CASE("NV_Certify: TPMS_NV_CERTIFY_INFO of a range, signed; parsed and verified in Python", "[nv_certify]") {
    nv_fixture f;
    auto ak = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 32), str("pw")) == 0);
    const bytes data = str("0123456789abcdefghijklmnopqrstuv");
    REQUIRE(f.write(rh::owner, IDX, data) == 0);
    const bytes name = f.nv_name(IDX);
    // The Name includes WRITTEN: recomputed here from the public area written out.
    CHECK(python(nvpy + "assert " + hx(name) + " == name('sha256', " + hx(nv_public(IDX, RW | WRITTEN, 32)) +
                 ")\nprint('ok')") == "ok");

    SECTION("owner authorization, offset 5, 10 octets") {
        auto c = f.nv_certify(ak.handle, rh::owner, IDX, str("nonce"), scheme(alg::null), 10, 5);
        REQUIRE(c.rc == 0);
        CHECK(python(nvpy + "d = nvattest(" + hx(c.attest) + ")\nassert d['type'] == 0x8014\n"
                     "check_common(d, " + f.common(ak, str("nonce"), false) + ")\n"
                     "assert d['name'] == " + hx(name) + "\nassert d['offset'] == 5\n"
                     "assert d['contents'] == " + hx(data) + "[5:15], d['contents']\n"
                     "verify(" + hx(ak.pub) + ", " + hx(c.signature) + ", " + hx(c.attest) + ")\nprint('ok')") == "ok");
    }
    SECTION("the index's own authValue (AUTHREAD), the whole index") {
        auto c = f.nv_certify(ak.handle, IDX, IDX, {}, scheme(alg::null), 32, 0, str("pw"));
        REQUIRE(c.rc == 0);
        CHECK(python(nvpy + "d = nvattest(" + hx(c.attest) + ")\n"
                     "assert d['contents'] == " + hx(data) + " and d['offset'] == 0\n"
                     "verify(" + hx(ak.pub) + ", " + hx(c.signature) + ", " + hx(c.attest) + ")\nprint('ok')") == "ok");
        CHECK(f.nv_certify(ak.handle, IDX, IDX, {}, scheme(alg::null), 32, 0, str("bad")).rc == S(RC_BAD_AUTH, 2));
    }
    SECTION("size = offset = 0: TPMS_NV_DIGEST_CERTIFY_INFO with the scheme's hash (ECDSA key, owner hierarchy)") {
        auto ek = f.primary(rh::owner, ecc_tpl(ak_attrs, scheme(alg::ecdsa)));
        auto c = f.nv_certify(ek.handle, rh::owner, IDX, str("q"), scheme(alg::null), 0, 0);
        REQUIRE(c.rc == 0);
        CHECK(python(nvpy + "d = nvattest(" + hx(c.attest) + ")\nassert d['type'] == 0x801C\n"
                     "check_common(d, " + f.common(ek, str("q"), true) + ")\n"
                     "assert d['name'] == " + hx(name) + "\n"
                     "assert d['digest'] == hashlib.sha256(" + hx(data) + ").digest()\n"
                     "verify(" + hx(ek.pub) + ", " + hx(c.signature) + ", " + hx(c.attest) + ")\nprint('ok')") == "ok");
    }
    SECTION("size 0 with offset 3: TPMS_NV_CERTIFY_INFO with no octets, not the digest form") {
        auto c = f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 0, 3);
        REQUIRE(c.rc == 0);
        CHECK(python(nvpy + "d = nvattest(" + hx(c.attest) + ")\nassert d['type'] == 0x8014\n"
                     "assert d['offset'] == 3 and d['contents'] == b''\nprint('ok')") == "ok");
    }
    SECTION("TPM_RH_NULL: the NULL Signature; the digest form takes inScheme's hash or is TPM_RC_SCHEME") {
        auto c = f.nv_certify(rh::null, rh::owner, IDX, {}, scheme(alg::null), 4, 28);
        REQUIRE(c.rc == 0);
        CHECK(to_hex(c.signature) == "0010");
        CHECK(python(nvpy + "d = nvattest(" + hx(c.attest) + ")\nassert d['contents'] == b'stuv'\n"
                     "assert d['signer'] == bytes.fromhex('40000007')\nprint('ok')") == "ok");
        auto dg = f.nv_certify(rh::null, rh::owner, IDX, {}, scheme(alg::rsassa, alg::sha384), 0, 0);
        REQUIRE(dg.rc == 0);
        CHECK(python(nvpy + "d = nvattest(" + hx(dg.attest) + ")\n"
                     "assert d['digest'] == hashlib.sha384(" + hx(data) + ").digest()\nprint('ok')") == "ok");
        CHECK(f.nv_certify(rh::null, rh::owner, IDX, {}, scheme(alg::null), 0, 0).rc == P(RC_SCHEME, 2));
    }
    SECTION("a counter index") {
        REQUIRE(f.define(rh::owner, nv_public(IDX2, RW | T_COUNTER, 8)) == 0);
        REQUIRE(run(f.t, command_builder(cc::nv_increment).handle(rh::owner).handle(IDX2).password().build()).rc == 0);
        auto c = f.nv_certify(ak.handle, rh::owner, IDX2, {}, scheme(alg::null), 8, 0);
        REQUIRE(c.rc == 0);
        auto rd = run(f.t, command_builder(cc::nv_read).handle(rh::owner).handle(IDX2).password().u16(8).u16(0).build());
        REQUIRE(rd.rc == 0);
        rd.parameter_size();
        const bytes value = rd.b2b();
        CHECK(python(nvpy + "d = nvattest(" + hx(c.attest) + ")\nassert d['contents'] == " + hx(value) +
                     "\nverify(" + hx(ak.pub) + ", " + hx(c.signature) + ", " + hx(c.attest) + ")\nprint('ok')") == "ok");
    }
}

TEST_CASE("NV_Certify: response codes of the key, the read rules and the range", "[nv_certify]") {
    nv_fixture f;
    auto ak = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
    auto storage = f.primary(rh::owner, rsa_storage());
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | READ_STCLEAR, 16)) == 0);
    SECTION("not written: TPM_RC_NV_UNINITIALIZED, also for size 0") {
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 4, 0).rc == RC_NV_UNINITIALIZED);
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 0, 0).rc == RC_NV_UNINITIALIZED);
    }
    REQUIRE(f.write(rh::owner, IDX, bytes(16, 7)) == 0);
    SECTION("signing key and scheme") {
        CHECK(f.nv_certify(storage.handle, rh::owner, IDX, {}, scheme(alg::null), 4, 0).rc == H(RC_KEY, 1));
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::rsapss), 4, 0).rc == P(RC_SCHEME, 2));
    }
    SECTION("read authorization: PPREAD not set, another index, READLOCKED") {
        CHECK(f.nv_certify(ak.handle, rh::platform, IDX, {}, scheme(alg::null), 4, 0).rc == RC_NV_AUTHORIZATION);
        REQUIRE(f.define(rh::owner, nv_public(IDX2, RW, 8)) == 0);
        CHECK(f.nv_certify(ak.handle, IDX2, IDX, {}, scheme(alg::null), 4, 0).rc == RC_NV_AUTHORIZATION);
        REQUIRE(run(f.t, command_builder(cc::nv_read_lock).handle(rh::owner).handle(IDX).password().build()).rc == 0);
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 4, 0).rc == RC_NV_LOCKED);
    }
    SECTION("range: size + offset beyond dataSize, offset beyond dataSize, size beyond MAX_NV_BUFFER_SIZE") {
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 16, 0).rc == 0);
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 0, 16).rc == 0);
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 10, 7).rc == RC_NV_RANGE);
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 0, 17).rc == P(RC_VALUE, 4));
        CHECK(f.nv_certify(ak.handle, rh::owner, IDX, {}, scheme(alg::null), 0xFFFF, 0).rc == P(RC_VALUE, 3));
    }
    SECTION("an index that is not defined") {
        CHECK(f.nv_certify(ak.handle, rh::owner, 0x01500099, {}, scheme(alg::null), 4, 0).rc == H(RC_HANDLE, 3));
    }
}

// =========================================================================================
// TPM2_PolicyNV, TPM2_PolicyAuthorizeNV
// =========================================================================================

namespace {

constexpr std::uint32_t CC_POLICY_NV = 0x149, CC_POLICY_AUTHORIZE_NV = 0x192, CC_NV_READ = 0x14E;
constexpr std::uint32_t RC_HASH = 0x083, RC_INSUFFICIENT = 0x09A, RC_VALUE_PLAIN = 0x084;

struct policy_fixture : nv_fixture {
    tpm_handle start(std::uint8_t type) {
        auto r = run(t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null).b2b(bytes(16, 0x33))
                            .b2b({}).u8(type).u16(alg::null).u16(alg::sha256).build());
        REQUIRE(r.rc == 0);
        return r.u32();
    }
    bytes digest(tpm_handle s) {
        auto r = run(t, command_builder(cc::policy_get_digest).handle(s).build());
        REQUIRE(r.rc == 0);
        return r.b2b();
    }
    std::uint32_t policy_nv(tpm_handle auth, tpm_handle h, tpm_handle s, byte_view operand, std::uint16_t offset,
                            std::uint16_t op, byte_view pw = {}) {
        auto cb = command_builder(cc::policy_nv).handle(auth).handle(h).handle(s).password(pw);
        return run(t, cb.b2b(operand).u16(offset).u16(op).build()).rc;
    }
    std::uint32_t authorize_nv(tpm_handle auth, tpm_handle h, tpm_handle s, byte_view pw = {}) {
        return run(t, command_builder(cc::policy_authorize_nv).handle(auth).handle(h).handle(s).password(pw).build()).rc;
    }
    /// NV_Read of `h` (its own authorization) with policy session s.
    std::uint32_t read_with(tpm_handle h, tpm_handle s, std::uint16_t size) {
        return run(t, command_builder(cc::nv_read).handle(h).handle(h).session(s, bytes(16, 0x44), 0x00, {})
                          .u16(size).u16(0).build()).rc;
    }
};

/// Python: PolicyNV's digest from the Zero Digest (Part 3 §23.9, SHA-256).
std::string policy_nv_py(byte_view operand, std::uint16_t offset, std::uint16_t op, byte_view name) {
    return "hashlib.sha256(bytes(32) + (0x149).to_bytes(4, 'big') + hashlib.sha256(" + hx(operand) + " + (" +
           std::to_string(offset) + ").to_bytes(2, 'big') + (" + std::to_string(op) +
           ").to_bytes(2, 'big')).digest() + " + hx(name) + ").digest()";
}

} // namespace

TEST_CASE("PolicyNV: every TPM_EO against Python's integer comparisons", "[policy_nv]") {
    policy_fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 8)) == 0);
    // Octets 2..5 hold operandA; the others are noise.
    const std::vector<bytes> values = {bytes{0x00, 0x00, 0x00, 0x00}, bytes{0x00, 0x00, 0x01, 0x00},
                                       bytes{0x7F, 0xFF, 0xFF, 0xFF}, bytes{0x80, 0x00, 0x00, 0x00},
                                       bytes{0xFF, 0xFF, 0xFF, 0xFE}, bytes{0x12, 0x34, 0x56, 0x78}};
    const std::vector<bytes> operands = {bytes{0x00, 0x00, 0x01, 0x00}, bytes{0xFF, 0xFF, 0xFF, 0xFE},
                                         bytes{0x12, 0x34, 0x56, 0x78}, bytes{0x80, 0x00, 0x00, 0x00},
                                         bytes{0x00, 0x00, 0x00, 0x00}, bytes{0x02, 0x30, 0x00, 0x08}};
    std::string cases = "cases = [\n";
    std::vector<std::uint32_t> got;
    for (const auto& v : values) {
        REQUIRE(f.write(rh::owner, IDX, cat({bytes{0xAA, 0x55}, v, bytes{0x99, 0x66}})) == 0);
        for (const auto& b : operands)
            for (std::uint16_t op = 0; op <= 11; ++op) {
                const tpm_handle s = f.start(se::policy);
                got.push_back(f.policy_nv(rh::owner, IDX, s, b, 2, op));
                REQUIRE(run(f.t, command_builder(cc::flush_context).u32(s).build()).rc == 0);
                cases += "  (" + hx(v) + ", " + hx(b) + ", " + std::to_string(op) + "),\n";
            }
    }
    cases += "]\n";
    std::string want_list = "got = [";
    for (auto g : got) want_list += std::to_string(g) + ",";
    want_list += "]\n";
    // TPM_EO (Part 2 §6.8): signed comparisons in two's complement, BITSET: all bits of B set
    // in A, BITCLEAR: none of them.
    CHECK(python(cases + want_list + R"(
def holds(a, b, op):
    ua, ub = int.from_bytes(a, 'big'), int.from_bytes(b, 'big')
    sa, sb = int.from_bytes(a, 'big', signed=True), int.from_bytes(b, 'big', signed=True)
    return [ua == ub, ua != ub, sa > sb, ua > ub, sa < sb, ua < ub, sa >= sb, ua >= ub, sa <= sb, ua <= ub,
            ua & ub == ub, ua & ub == 0][op]
assert len(got) == len(cases)
for (a, b, op), g in zip(cases, got):
    assert g == (0 if holds(a, b, op) else 0x126), (a.hex(), b.hex(), op, hex(g))
print('ok')
)") == "ok");
}

TEST_CASE("PolicyNV: digest in a trial session, satisfied on an index read with the policy", "[policy_nv]") {
    policy_fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 8), str("ipw")) == 0);
    REQUIRE(f.write(rh::owner, IDX, bytes{0, 0, 0, 0, 0, 0, 0, 42}) == 0);
    const bytes name = f.nv_name(IDX);
    const bytes operand = bytes{0, 0, 0, 40};
    // Trial: the digest only, computed in Python.
    const tpm_handle trial = f.start(se::trial);
    REQUIRE(f.policy_nv(IDX, IDX, trial, operand, 4, 0x0007, str("ipw")) == 0); // UNSIGNED_GE, index auth
    const bytes pol = f.digest(trial);
    CHECK(pol == from_hex(python(vtpm_test::py_prelude + "print(" + policy_nv_py(operand, 4, 7, name) + ".hex())")));
    // A second index whose reads need that policy (POLICYREAD).
    REQUIRE(f.define(rh::owner, nv_public(IDX2, OWNERWRITE | POLICYREAD | NO_DA, 4, pol)) == 0);
    REQUIRE(f.write(rh::owner, IDX2, str("data")) == 0);
    SECTION("the comparison holds: NV_Read with the policy session") {
        const tpm_handle s = f.start(se::policy);
        REQUIRE(f.policy_nv(rh::owner, IDX, s, operand, 4, 0x0007) == 0);
        CHECK(f.digest(s) == pol);
        CHECK(f.read_with(IDX2, s, 4) == 0);
    }
    SECTION("the value changes: TPM_RC_POLICY, the digest unchanged") {
        REQUIRE(f.write(rh::owner, IDX, bytes{0, 0, 0, 0, 0, 0, 0, 39}) == 0);
        const tpm_handle s = f.start(se::policy);
        CHECK(f.policy_nv(rh::owner, IDX, s, operand, 4, 0x0007) == RC_POLICY);
        CHECK(f.digest(s) == bytes(32, 0));
    }
}

TEST_CASE("PolicyNV: response codes", "[policy_nv]") {
    policy_fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | READ_STCLEAR, 8)) == 0);
    const tpm_handle s = f.start(se::policy);
    const tpm_handle trial = f.start(se::trial);
    const bytes b{1, 2};
    // Read authorization: also for a trial session.
    CHECK(f.policy_nv(rh::platform, IDX, s, b, 0, 0) == RC_NV_AUTHORIZATION);
    CHECK(f.policy_nv(rh::platform, IDX, trial, b, 0, 0) == RC_NV_AUTHORIZATION);
    CHECK(f.policy_nv(rh::owner, IDX, s, b, 0, 12) == P(RC_VALUE, 3)); // not a TPM_EO
    // Not written: only a trial session passes.
    CHECK(f.policy_nv(rh::owner, IDX, s, b, 0, 0) == RC_NV_UNINITIALIZED);
    CHECK(f.policy_nv(rh::owner, IDX, trial, b, 0, 0) == 0);
    REQUIRE(f.write(rh::owner, IDX, bytes{1, 2, 3, 4, 5, 6, 7, 8}) == 0);
    CHECK(f.policy_nv(rh::owner, IDX, s, b, 7, 0) == RC_NV_RANGE);
    CHECK(f.policy_nv(rh::owner, IDX, s, b, 9, 0) == P(RC_VALUE, 2));
    CHECK(f.policy_nv(rh::owner, IDX, s, b, 0, 0) == 0);
    REQUIRE(run(f.t, command_builder(cc::nv_read_lock).handle(rh::owner).handle(IDX).password().build()).rc == 0);
    CHECK(f.policy_nv(rh::owner, IDX, s, b, 0, 0) == RC_NV_LOCKED);
    CHECK(f.policy_nv(rh::owner, 0x01500099, s, b, 0, 0) == H(RC_HANDLE, 2));
}

TEST_CASE("PolicyAuthorizeNV: the approved policy kept in an index", "[policy_authorize_nv]") {
    policy_fixture f;
    // The approved policy: PolicyCommandCode(NV_Read), computed in Python.
    const bytes approved = from_hex(python(vtpm_test::py_prelude +
        "print(hashlib.sha256(bytes(32) + (0x16C).to_bytes(4, 'big') + (0x14E).to_bytes(4, 'big')).hexdigest())"));
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 40)) == 0);
    REQUIRE(f.write(rh::owner, IDX, cat({be16(alg::sha256), approved, str("meta")})) == 0);
    const bytes name = f.nv_name(IDX);
    const tpm_handle trial = f.start(se::trial);
    REQUIRE(f.authorize_nv(rh::owner, IDX, trial) == 0);
    const bytes pol = f.digest(trial);
    CHECK(pol == from_hex(python(vtpm_test::py_prelude + "print(hashlib.sha256(bytes(32) + (0x192).to_bytes(4, 'big') + " +
                                 hx(name) + ").hexdigest())")));
    REQUIRE(f.define(rh::owner, nv_public(IDX2, OWNERWRITE | POLICYREAD | NO_DA, 4, pol)) == 0);
    REQUIRE(f.write(rh::owner, IDX2, str("data")) == 0);
    auto approved_session = [&] {
        const tpm_handle s = f.start(se::policy);
        REQUIRE(run(f.t, command_builder(cc::policy_command_code).handle(s).u32(CC_NV_READ).build()).rc == 0);
        return s;
    };
    SECTION("the approved policy, then PolicyAuthorizeNV: NV_Read with the session") {
        const tpm_handle s = approved_session();
        REQUIRE(f.authorize_nv(rh::owner, IDX, s) == 0);
        CHECK(f.digest(s) == pol);
        CHECK(f.read_with(IDX2, s, 4) == 0);
    }
    SECTION("another policy: TPM_RC_VALUE; a revoked approval (index rewritten) too") {
        const tpm_handle s = f.start(se::policy);
        CHECK(f.authorize_nv(rh::owner, IDX, s) == RC_VALUE_PLAIN);
        REQUIRE(f.write(rh::owner, IDX, bytes(32, 0xEE), 2) == 0);
        const tpm_handle s2 = approved_session();
        CHECK(f.authorize_nv(rh::owner, IDX, s2) == RC_VALUE_PLAIN);
    }
    SECTION("the TPMT_HA: another hash is TPM_RC_HASH, a short index TPM_RC_INSUFFICIENT") {
        REQUIRE(f.write(rh::owner, IDX, be16(alg::sha1)) == 0);
        CHECK(f.authorize_nv(rh::owner, IDX, approved_session()) == RC_HASH);
        REQUIRE(f.write(rh::owner, IDX, be16(0x0001)) == 0); // TPM_ALG_RSA is not a hash
        CHECK(f.authorize_nv(rh::owner, IDX, approved_session()) == RC_HASH);
        REQUIRE(f.define(rh::owner, nv_public(0x01500020, RW, 20)) == 0);
        REQUIRE(f.write(rh::owner, 0x01500020, cat({be16(alg::sha256), bytes(18, 1)})) == 0);
        CHECK(f.authorize_nv(rh::owner, 0x01500020, approved_session()) == RC_INSUFFICIENT);
        REQUIRE(f.define(rh::owner, nv_public(0x01500021, RW, 1)) == 0);
        REQUIRE(f.write(rh::owner, 0x01500021, bytes{0}) == 0);
        CHECK(f.authorize_nv(rh::owner, 0x01500021, approved_session()) == RC_INSUFFICIENT);
    }
    SECTION("read rules: authorization also for a trial session; WRITTEN, READLOCKED") {
        CHECK(f.authorize_nv(rh::platform, IDX, f.start(se::trial)) == RC_NV_AUTHORIZATION);
        REQUIRE(f.define(rh::owner, nv_public(0x01500022, RW | READ_STCLEAR, 34)) == 0);
        CHECK(f.authorize_nv(rh::owner, 0x01500022, approved_session()) == RC_NV_UNINITIALIZED);
        CHECK(f.authorize_nv(rh::owner, 0x01500022, f.start(se::trial)) == 0);
        REQUIRE(f.write(rh::owner, 0x01500022, cat({be16(alg::sha256), approved})) == 0);
        REQUIRE(run(f.t, command_builder(cc::nv_read_lock).handle(rh::owner).handle(0x01500022).password().build()).rc == 0);
        CHECK(f.authorize_nv(rh::owner, 0x01500022, approved_session()) == RC_NV_LOCKED);
    }
}
