// NV storage (Part 3 §31) through the command pipeline, as raw bytes: public areas and
// commands are written out by hand here (not with the library's marshalling); Names, extend
// values, session HMACs and policy digests are computed by Python (hashlib/hmac).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <support/bytes.hpp>

#include "support/oracle.hpp"

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::python;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

using vtpm_test::cat;
using vtpm_test::be16;
using vtpm_test::be32;
using vtpm_test::be64;
using vtpm_test::b2b;
using vtpm_test::str;
/// Evaluate a Python expression yielding bytes (hashlib, hmac imported).
bytes py(const std::string& expr) {
    return from_hex(python("import hashlib, hmac, struct\nprint((" + expr + ").hex())"));
}

// TPMA_NV bits (Part 2 Table 249), written out here.
constexpr std::uint32_t PPWRITE = 1u << 0, OWNERWRITE = 1u << 1, AUTHWRITE = 1u << 2, POLICYWRITE = 1u << 3,
                        POLICY_DELETE = 1u << 10, WRITELOCKED = 1u << 11, WRITEALL = 1u << 12, WRITEDEFINE = 1u << 13,
                        WRITE_STCLEAR = 1u << 14, GLOBALLOCK = 1u << 15, PPREAD = 1u << 16, OWNERREAD = 1u << 17,
                        AUTHREAD = 1u << 18, POLICYREAD = 1u << 19, NO_DA = 1u << 25, ORDERLY = 1u << 26,
                        CLEAR_STCLEAR = 1u << 27, READLOCKED = 1u << 28, WRITTEN = 1u << 29,
                        PLATFORMCREATE = 1u << 30, READ_STCLEAR = 1u << 31;
constexpr std::uint32_t T_COUNTER = 1u << 4, T_BITS = 2u << 4, T_EXTEND = 4u << 4, T_PIN_FAIL = 8u << 4,
                        T_PIN_PASS = 9u << 4;
constexpr std::uint32_t RW = OWNERWRITE | OWNERREAD | AUTHWRITE | AUTHREAD;

// Response codes (Part 2 §6.6) written out.
constexpr std::uint32_t P(std::uint32_t rc, unsigned n) { return rc | 0x040 | (n << 8); }
constexpr std::uint32_t H(std::uint32_t rc, unsigned n) { return rc | (n << 8); }
constexpr std::uint32_t S(std::uint32_t rc, unsigned n) { return rc | 0x800 | (n << 8); }
constexpr std::uint32_t RC_ATTRIBUTES = 0x082, RC_VALUE = 0x084, RC_HIERARCHY = 0x085, RC_HANDLE = 0x08B,
                        RC_AUTH_FAIL = 0x08E, RC_SIZE = 0x095, RC_RESERVED_BITS = 0x0A1, RC_BAD_AUTH = 0x0A2,
                        RC_POLICY_FAIL = 0x09D, RC_POLICY_CC = 0x0A4, RC_AUTH_TYPE = 0x124, RC_NV_RANGE = 0x146,
                        RC_NV_SIZE = 0x147, RC_NV_LOCKED = 0x148, RC_NV_AUTHORIZATION = 0x149,
                        RC_NV_UNINITIALIZED = 0x14A, RC_NV_SPACE = 0x14B, RC_NV_DEFINED = 0x14C;

constexpr tpm_handle IDX = 0x01500001, IDX2 = 0x01500002;

/// TPMS_NV_PUBLIC (Part 2 Table 251).
bytes nv_public(tpm_handle h, std::uint32_t attrs, std::uint16_t size, std::uint16_t name_alg = alg::sha256,
                byte_view policy = {}) {
    return cat({be32(h), be16(name_alg), be32(attrs), b2b(policy), be16(size)});
}
std::string hash_name(std::uint16_t a) { return a == alg::sha1 ? "sha1" : a == alg::sha384 ? "sha384" : "sha256"; }
/// Name of an index: nameAlg || H(TPMS_NV_PUBLIC) (Part 1 §16).
bytes nv_name(byte_view pub, std::uint16_t name_alg = alg::sha256) {
    return cat({be16(name_alg), py("hashlib.new('" + hash_name(name_alg) + "', " + hx(pub) + ").digest()")});
}

struct fixture {
    tpm_t t{testing::seeded_crypto()};
    fixture() {
        t.manufacture();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
    }
    auto& e() { return t.internals(); }

    std::uint32_t define(tpm_handle auth, byte_view pub, byte_view index_auth = {}) {
        return run(t, command_builder(cc::nv_define_space).handle(auth).password().b2b(index_auth).b2b(pub).build()).rc;
    }
    std::uint32_t undefine(tpm_handle auth, tpm_handle h) {
        return run(t, command_builder(cc::nv_undefine_space).handle(auth).handle(h).password().build()).rc;
    }
    struct pub_info {
        std::uint32_t rc = 0;
        bytes pub, name;
    };
    pub_info read_public(tpm_handle h) {
        auto r = run(t, command_builder(cc::nv_read_public).handle(h).build());
        pub_info p;
        p.rc = r.rc;
        if (r.rc) return p;
        p.pub = r.b2b();
        p.name = r.b2b();
        REQUIRE(r.ok);
        REQUIRE(r.remaining() == 0);
        return p;
    }
    std::uint32_t write(tpm_handle auth, tpm_handle h, byte_view data, std::uint16_t offset = 0, byte_view pw = {}) {
        return run(t, command_builder(cc::nv_write).handle(auth).handle(h).password(pw).b2b(data).u16(offset).build()).rc;
    }
    std::pair<std::uint32_t, bytes> read(tpm_handle auth, tpm_handle h, std::uint16_t size, std::uint16_t offset = 0,
                                         byte_view pw = {}) {
        auto r = run(t, command_builder(cc::nv_read).handle(auth).handle(h).password(pw).u16(size).u16(offset).build());
        if (r.rc) return {r.rc, {}};
        r.parameter_size();
        auto d = r.b2b();
        REQUIRE(r.ok);
        return {0, d};
    }
    std::uint32_t simple(std::uint32_t code, tpm_handle auth, tpm_handle h, byte_view params = {}, byte_view pw = {}) {
        return run(t, command_builder(code).handle(auth).handle(h).password(pw).raw(params).build()).rc;
    }
    std::uint32_t increment(tpm_handle auth, tpm_handle h, byte_view pw = {}) { return simple(cc::nv_increment, auth, h, {}, pw); }
    std::uint32_t extend(tpm_handle auth, tpm_handle h, byte_view data, byte_view pw = {}) {
        return simple(cc::nv_extend, auth, h, b2b(data), pw);
    }
    std::uint32_t set_bits(tpm_handle auth, tpm_handle h, std::uint64_t bits) { return simple(cc::nv_set_bits, auth, h, be64(bits)); }
    std::uint32_t write_lock(tpm_handle auth, tpm_handle h) { return simple(cc::nv_write_lock, auth, h); }
    std::uint32_t read_lock(tpm_handle auth, tpm_handle h) { return simple(cc::nv_read_lock, auth, h); }
    std::uint32_t global_lock(tpm_handle auth) {
        return run(t, command_builder(cc::nv_global_write_lock).handle(auth).password().build()).rc;
    }
    std::uint64_t counter(tpm_handle h) {
        auto [rc, d] = read(rh::owner, h, 8);
        REQUIRE(rc == 0);
        REQUIRE(d.size() == 8);
        return load_be64(d.data());
    }
    std::uint32_t attrs(tpm_handle h) {
        auto p = read_public(h);
        REQUIRE(p.rc == 0);
        return load_be32(p.pub.data() + 6);
    }
    /// Startup after a Shutdown of the given type (TPM Restart / Resume, or TPM Reset).
    void reboot(std::uint16_t shutdown_type, std::uint16_t startup_type) {
        REQUIRE(run(t, command_builder(cc::shutdown).u16(shutdown_type).build()).rc == 0);
        t.reset();
        REQUIRE(run(t, testing::startup_command(startup_type)).rc == 0);
    }
    /// A policy session satisfied by PolicyCommandCode(code); returns its handle.
    tpm_handle policy_session(std::uint32_t code) {
        bytes nonce(16, 0x5A);
        auto r = run(t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null).b2b(nonce).b2b({})
                            .u8(se::policy).u16(alg::null).u16(alg::sha256).build());
        REQUIRE(r.rc == 0);
        const tpm_handle s = r.u32();
        REQUIRE(run(t, command_builder(cc::policy_command_code).handle(s).u32(code).build()).rc == 0);
        return s;
    }
};

/// The policy digest of PolicyCommandCode(code) alone (Part 3 §23.11), SHA-256.
bytes cc_policy(std::uint32_t code) {
    return py("hashlib.sha256(bytes(32) + struct.pack('>II', 0x16C, " + std::to_string(code) + ")).digest()");
}

} // namespace

// =========================================================================================
// NV_DefineSpace, NV_ReadPublic
// =========================================================================================

TEST_CASE("NV_DefineSpace then NV_ReadPublic: the public area and its Name", "[nv]") {
    fixture f;
    const auto pub = nv_public(IDX, RW, 32);
    REQUIRE(f.define(rh::owner, pub, str("secret")) == 0);
    auto p = f.read_public(IDX);
    REQUIRE(p.rc == 0);
    CHECK(to_hex(p.pub) == to_hex(pub));
    CHECK(to_hex(p.name) == to_hex(nv_name(pub)));
    // SHA-1 and SHA-384 name algorithms.
    const auto pub1 = nv_public(IDX2, RW, 4, alg::sha1);
    REQUIRE(f.define(rh::owner, pub1) == 0);
    CHECK(to_hex(f.read_public(IDX2).name) == to_hex(nv_name(pub1, alg::sha1)));
    const auto pub384 = nv_public(0x01000000, PPWRITE | PPREAD | PLATFORMCREATE, 1, alg::sha384);
    REQUIRE(f.define(rh::platform, pub384) == 0);
    CHECK(to_hex(f.read_public(0x01000000).name) == to_hex(nv_name(pub384, alg::sha384)));
    // An index that is not defined; a handle that is no NV index.
    CHECK(f.read_public(0x01500009).rc == H(RC_HANDLE, 1));
    CHECK(run(f.t, command_builder(cc::nv_read_public).handle(0x81000000).build()).rc == H(RC_VALUE, 1));
}

TEST_CASE("NV_DefineSpace: attribute and size rules with their response codes", "[nv]") {
    fixture f;
    const auto attrs_p2 = P(RC_ATTRIBUTES, 2), size_p2 = P(RC_SIZE, 2);
    // Reserved TPM_NT values, reserved bits.
    CHECK(f.define(rh::owner, nv_public(IDX, RW | (3u << 4), 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX, RW | (0xAu << 4), 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX, RW | (1u << 8), 8)) == P(RC_RESERVED_BITS, 2));
    CHECK(f.define(rh::owner, nv_public(IDX, RW | (1u << 22), 8)) == P(RC_RESERVED_BITS, 2));
    // WRITTEN, READLOCKED, WRITELOCKED may not be SET.
    for (auto a : {WRITTEN, READLOCKED, WRITELOCKED}) CHECK(f.define(rh::owner, nv_public(IDX, RW | a, 8)) == attrs_p2);
    // Sizes: 8 octets for counter, bits and PIN indices; a digest for extend; the profile limit.
    CHECK(f.define(rh::owner, nv_public(IDX, RW | T_COUNTER, 4)) == size_p2);
    CHECK(f.define(rh::owner, nv_public(IDX, RW | T_BITS, 16)) == size_p2);
    CHECK(f.define(rh::owner, nv_public(IDX, OWNERWRITE | OWNERREAD | T_PIN_PASS, 7)) == size_p2);
    CHECK(f.define(rh::owner, nv_public(IDX, RW | T_EXTEND, 20)) == size_p2);
    CHECK(f.define(rh::owner, nv_public(IDX, RW | T_EXTEND, 20, alg::sha1)) == 0);
    CHECK(f.define(rh::owner, nv_public(IDX2, RW, 2049)) == size_p2);
    CHECK(f.define(rh::owner, nv_public(IDX2, RW | WRITEALL, 1025)) == size_p2);
    // authValue longer than the nameAlg digest (parameter 1), authPolicy neither empty nor a digest.
    CHECK(f.define(rh::owner, nv_public(IDX2, RW, 8, alg::sha1), bytes(21, 1)) == P(RC_SIZE, 1));
    CHECK(f.define(rh::owner, nv_public(IDX2, RW, 8, alg::sha256, bytes(20, 1))) == size_p2);
    // At least one read and one write authorization.
    CHECK(f.define(rh::owner, nv_public(IDX2, OWNERWRITE, 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX2, OWNERREAD, 8)) == attrs_p2);
    // CLEAR_STCLEAR not on a counter.
    CHECK(f.define(rh::owner, nv_public(IDX2, RW | T_COUNTER | CLEAR_STCLEAR, 8)) == attrs_p2);
    // PLATFORMCREATE must match the authorization; POLICY_DELETE needs Platform Authorization.
    CHECK(f.define(rh::owner, nv_public(IDX2, RW | PLATFORMCREATE, 8)) == attrs_p2);
    CHECK(f.define(rh::platform, nv_public(IDX2, RW, 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX2, RW | POLICY_DELETE, 8)) == attrs_p2);
    // PIN Fail needs NO_DA; PIN indices may not have AUTHWRITE.
    CHECK(f.define(rh::owner, nv_public(IDX2, OWNERWRITE | AUTHREAD | T_PIN_FAIL, 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX2, OWNERWRITE | AUTHWRITE | AUTHREAD | NO_DA | T_PIN_FAIL, 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX2, AUTHWRITE | AUTHREAD | T_PIN_PASS, 8)) == attrs_p2);
    CHECK(f.define(rh::owner, nv_public(IDX2, OWNERWRITE | AUTHREAD | NO_DA | T_PIN_FAIL, 8)) == 0);
    // Handle types: only the NV index range.
    CHECK(f.define(rh::owner, nv_public(0x81000000, RW, 8)) == P(RC_VALUE, 2));
    // Already defined.
    CHECK(f.define(rh::owner, nv_public(IDX, RW, 8)) == RC_NV_DEFINED);
    // Wrong owner password; not TPMI_RH_PROVISION.
    CHECK(run(f.t, command_builder(cc::nv_define_space).handle(rh::owner).password(str("x")).b2b({}).b2b(nv_public(0x01000002, RW, 8)).build()).rc ==
          S(RC_BAD_AUTH, 1));
    CHECK(run(f.t, command_builder(cc::nv_define_space).handle(rh::endorsement).password().b2b({}).b2b(nv_public(0x01000002, RW, 8)).build()).rc ==
          H(RC_VALUE, 1));
}

TEST_CASE("NV_DefineSpace: NV space is limited (index count and octets)", "[nv]") {
    fixture f;
    constexpr auto lim = platform::profile.limits;
    // Fill the octets with big indices, then one more octet is too many.
    std::uint32_t h = 0x01400000;
    std::size_t used = 0;
    while (used + lim.nv_index_max <= lim.nv_memory) {
        REQUIRE(f.define(rh::owner, nv_public(h++, RW, static_cast<std::uint16_t>(lim.nv_index_max))) == 0);
        used += lim.nv_index_max;
    }
    if (used < lim.nv_memory) {
        REQUIRE(f.define(rh::owner, nv_public(h++, RW, static_cast<std::uint16_t>(lim.nv_memory - used))) == 0);
    }
    CHECK(f.define(rh::owner, nv_public(h, RW, 1)) == RC_NV_SPACE);
    // Deleting one makes room again.
    REQUIRE(f.undefine(rh::owner, 0x01400000) == 0);
    CHECK(f.define(rh::owner, nv_public(h, RW, 1)) == 0);
    // The index count.
    fixture g;
    for (unsigned i = 0; i < lim.nv_indices_max; ++i) REQUIRE(g.define(rh::owner, nv_public(0x01400000 + i, RW, 0)) == 0);
    CHECK(g.define(rh::owner, nv_public(0x01410000, RW, 0)) == RC_NV_SPACE);
}

TEST_CASE("NV_DefineSpace2 and NV_ReadPublic2: the TPMT_NV_PUBLIC_2 form, the same Name", "[nv]") {
    fixture f;
    const auto pub = nv_public(IDX, RW | T_BITS, 8);
    const auto pub2 = cat({bytes{0x01}, pub}); // handleType TPM_HT_NV_INDEX
    REQUIRE(run(f.t, command_builder(cc::nv_define_space2).handle(rh::owner).password().b2b({}).b2b(pub2).build()).rc == 0);
    auto r = run(f.t, command_builder(cc::nv_read_public2).handle(IDX).build());
    REQUIRE(r.rc == 0);
    CHECK(to_hex(r.b2b()) == to_hex(pub2));
    CHECK(to_hex(r.b2b()) == to_hex(nv_name(pub))); // Name over TPMS_NV_PUBLIC, handleType left out
    CHECK(to_hex(f.read_public(IDX).pub) == to_hex(pub));
    // Another handle type is not a selector this TPM has.
    const auto ext = cat({bytes{0x11}, pub});
    CHECK(run(f.t, command_builder(cc::nv_define_space2).handle(rh::owner).password().b2b({}).b2b(ext).build()).rc ==
          P(0x098, 2));
}

// =========================================================================================
// NV_UndefineSpace, NV_UndefineSpaceSpecial
// =========================================================================================

TEST_CASE("NV_UndefineSpace: owner and platform indices, POLICY_DELETE", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 8)) == 0);
    REQUIRE(f.define(rh::platform, nv_public(IDX2, PPWRITE | PPREAD | PLATFORMCREATE, 8)) == 0);
    CHECK(f.undefine(rh::platform, IDX) == RC_NV_AUTHORIZATION);
    CHECK(f.undefine(rh::owner, IDX2) == RC_NV_AUTHORIZATION);
    CHECK(f.undefine(rh::owner, IDX) == 0);
    CHECK(f.read_public(IDX).rc == H(RC_HANDLE, 1));
    CHECK(f.undefine(rh::owner, IDX) == H(RC_HANDLE, 2));
    CHECK(f.undefine(rh::platform, IDX2) == 0);
    // POLICY_DELETE: only NV_UndefineSpaceSpecial removes it.
    REQUIRE(f.define(rh::platform, nv_public(IDX, PPWRITE | PPREAD | PLATFORMCREATE | POLICY_DELETE, 8, alg::sha256,
                                             cc_policy(cc::nv_undefine_space_special))) == 0);
    CHECK(f.undefine(rh::platform, IDX) == H(RC_ATTRIBUTES, 2));
}

TEST_CASE("NV_UndefineSpaceSpecial: the index policy (ADMIN role) and Platform Authorization", "[nv]") {
    fixture f;
    const auto pol = cc_policy(cc::nv_undefine_space_special);
    REQUIRE(f.define(rh::platform, nv_public(IDX, PPWRITE | PPREAD | PLATFORMCREATE | POLICY_DELETE, 8, alg::sha256, pol)) == 0);
    REQUIRE(f.define(rh::platform, nv_public(IDX2, PPWRITE | PPREAD | PLATFORMCREATE, 8, alg::sha256, pol)) == 0);
    auto special = [&](tpm_handle idx, tpm_handle s) {
        return run(f.t, command_builder(cc::nv_undefine_space_special).handle(idx).handle(rh::platform)
                            .session(s, bytes(16, 1), 0x00, {}).password().build()).rc;
    };
    // A password for the index (ADMIN role): TPM_RC_AUTH_TYPE.
    CHECK(run(f.t, command_builder(cc::nv_undefine_space_special).handle(IDX).handle(rh::platform).password().password().build()).rc ==
          RC_AUTH_TYPE);
    // A policy for another command: TPM_RC_POLICY_CC.
    CHECK(special(IDX, f.policy_session(cc::nv_undefine_space)) == S(RC_POLICY_CC, 1));
    // POLICY_DELETE CLEAR: TPM_RC_ATTRIBUTES.
    CHECK(special(IDX2, f.policy_session(cc::nv_undefine_space_special)) == H(RC_ATTRIBUTES, 1));
    CHECK(special(IDX, f.policy_session(cc::nv_undefine_space_special)) == 0);
    CHECK(f.read_public(IDX).rc == H(RC_HANDLE, 1));
}

// =========================================================================================
// NV_Write, NV_Read
// =========================================================================================

TEST_CASE("NV_Write and NV_Read: offsets, ranges, WRITEALL, the Name after the first write", "[nv]") {
    fixture f;
    const auto pub = nv_public(IDX, RW, 16);
    REQUIRE(f.define(rh::owner, pub, str("pw")) == 0);
    // Never written: TPM_RC_NV_UNINITIALIZED, even for size 0, also before the authValue check.
    CHECK(f.read(rh::owner, IDX, 0).first == RC_NV_UNINITIALIZED);
    CHECK(f.read(IDX, IDX, 4, 0, str("wrong")).first == RC_NV_UNINITIALIZED);
    REQUIRE(f.write(IDX, IDX, str("hello"), 3, str("pw")) == 0);
    // The Name now covers TPMA_NV_WRITTEN.
    const auto written_pub = nv_public(IDX, RW | WRITTEN, 16);
    CHECK(to_hex(f.read_public(IDX).pub) == to_hex(written_pub));
    CHECK(to_hex(f.read_public(IDX).name) == to_hex(nv_name(written_pub)));
    auto [rc, d] = f.read(rh::owner, IDX, 16);
    REQUIRE(rc == 0);
    CHECK(to_hex(d) == to_hex(cat({bytes(3, 0), str("hello"), bytes(8, 0)})));
    CHECK(f.read(IDX, IDX, 5, 3, str("pw")).second == str("hello"));
    CHECK(f.read(IDX, IDX, 0, 16, str("pw")).second.empty());
    // Ranges.
    CHECK(f.write(rh::owner, IDX, bytes(4, 1), 13) == RC_NV_RANGE);
    CHECK(f.write(rh::owner, IDX, bytes(17, 1), 0) == RC_NV_RANGE);
    CHECK(f.read(rh::owner, IDX, 4, 13).first == RC_NV_RANGE);
    CHECK(f.read(rh::owner, IDX, 1, 17).first == P(RC_VALUE, 2));
    CHECK(f.read(rh::owner, IDX, 1025, 0).first == P(RC_VALUE, 1));
    // Larger than MAX_NV_BUFFER_SIZE does not unmarshal.
    CHECK(f.write(rh::owner, IDX, bytes(1025, 1), 0) == P(RC_SIZE, 1));
    // WRITEALL: only whole writes.
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW | WRITEALL, 4)) == 0);
    CHECK(f.write(rh::owner, IDX2, bytes(3, 1), 0) == RC_NV_RANGE);
    CHECK(f.write(rh::owner, IDX2, bytes(4, 7), 0) == 0);
    CHECK(f.read(rh::owner, IDX2, 2, 2).second == bytes(2, 7));
}

TEST_CASE("NV_Write and NV_Read: a large index is written and read in MAX_NV_BUFFER_SIZE chunks", "[nv]") {
    fixture f;
    constexpr auto max = platform::profile.limits.nv_buffer_max;
    const std::uint16_t size = 2048;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, size)) == 0);
    bytes data(size);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 1);
    for (std::size_t at = 0; at < size; at += max)
        REQUIRE(f.write(rh::owner, IDX, byte_view{data.data() + at, std::min<std::size_t>(max, size - at)},
                        static_cast<std::uint16_t>(at)) == 0);
    bytes back;
    for (std::size_t at = 0; at < size; at += max) {
        auto [rc, d] = f.read(rh::owner, IDX, static_cast<std::uint16_t>(std::min<std::size_t>(max, size - at)),
                              static_cast<std::uint16_t>(at));
        REQUIRE(rc == 0);
        back.insert(back.end(), d.begin(), d.end());
    }
    CHECK(back == data);
}

TEST_CASE("NV access: PP/OWNER/AUTH/POLICY read and write attributes decide who may", "[nv]") {
    fixture f;
    // Owner may write, only the authValue may read.
    REQUIRE(f.define(rh::owner, nv_public(IDX, OWNERWRITE | AUTHREAD, 4), str("pw")) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW, 4)) == 0);
    CHECK(f.write(rh::platform, IDX, bytes(4, 1)) == RC_NV_AUTHORIZATION);
    CHECK(f.write(IDX, IDX, bytes(4, 1), 0, str("pw")) == RC_NV_AUTHORIZATION);
    CHECK(f.write(IDX2, IDX, bytes(4, 1)) == RC_NV_AUTHORIZATION); // another index's authorization
    REQUIRE(f.write(rh::owner, IDX, bytes(4, 1)) == 0);
    CHECK(f.read(rh::owner, IDX, 4).first == RC_NV_AUTHORIZATION);
    CHECK(f.read(rh::platform, IDX, 4).first == RC_NV_AUTHORIZATION);
    CHECK(f.read(IDX, IDX, 4, 0, str("pw")).second == bytes(4, 1));
    // A wrong authValue: DA-protected (AUTH_FAIL) unless NO_DA (BAD_AUTH).
    CHECK(f.read(IDX, IDX, 4, 0, str("no")).first == S(RC_AUTH_FAIL, 1));
    REQUIRE(f.define(rh::owner, nv_public(0x01500003, RW | NO_DA, 4), str("pw")) == 0);
    CHECK(f.write(0x01500003, 0x01500003, bytes(4, 1), 0, str("no")) == S(RC_BAD_AUTH, 1));
    // Platform Authorization with PPWRITE / PPREAD.
    REQUIRE(f.define(rh::platform, nv_public(0x01500004, PPWRITE | PPREAD | OWNERREAD | PLATFORMCREATE, 4)) == 0);
    CHECK(f.write(rh::owner, 0x01500004, bytes(4, 2)) == RC_NV_AUTHORIZATION);
    REQUIRE(f.write(rh::platform, 0x01500004, bytes(4, 2)) == 0);
    CHECK(f.read(rh::owner, 0x01500004, 4).second == bytes(4, 2));
    // A platform index is out of reach while phEnableNV is CLEAR: not in the pipeline.
    f.e().sc.ph_enable_nv = false;
    CHECK(f.read(rh::owner, 0x01500004, 4).first == H(RC_HANDLE, 2));
    CHECK(f.define(rh::platform, nv_public(0x01500005, PPWRITE | PPREAD | PLATFORMCREATE, 4)) == H(RC_HIERARCHY, 1));
    f.e().sc.ph_enable_nv = true;
    CHECK(f.read(rh::owner, 0x01500004, 4).first == 0);
    // phEnable CLEAR alone leaves platform indices reachable (with Owner Authorization).
    f.e().sc.ph_enable = false;
    CHECK(f.read(rh::owner, 0x01500004, 4).second == bytes(4, 2));
    CHECK(f.write(rh::platform, 0x01500004, bytes(4, 2)) == H(RC_HIERARCHY, 1));
    f.e().sc.ph_enable = true;
    // An owner index is out of reach while shEnable is CLEAR.
    f.e().sc.sh_enable = false;
    CHECK(f.read_public(IDX).rc == H(RC_HANDLE, 1));
    f.e().sc.sh_enable = true;
}

TEST_CASE("NV access with policy sessions: POLICYWRITE / POLICYREAD and the authPolicy", "[nv]") {
    fixture f;
    const auto pol = cc_policy(cc::nv_write);
    REQUIRE(f.define(rh::owner, nv_public(IDX, POLICYWRITE | AUTHREAD, 4, alg::sha256, pol)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, AUTHWRITE | AUTHREAD, 4, alg::sha256, pol)) == 0);
    auto policy_write = [&](tpm_handle idx, tpm_handle s) {
        return run(f.t, command_builder(cc::nv_write).handle(idx).handle(idx).session(s, bytes(16, 2), 0x01, {})
                            .b2b(bytes(4, 9)).u16(0).build()).rc;
    };
    CHECK(policy_write(IDX, f.policy_session(cc::nv_write)) == 0);
    CHECK(f.read(IDX, IDX, 4).second == bytes(4, 9));
    // POLICYWRITE CLEAR: the policy is satisfied, but the index does not take policies for writes.
    CHECK(policy_write(IDX2, f.policy_session(cc::nv_write)) == RC_NV_AUTHORIZATION);
    // A policy that does not match the authPolicy.
    CHECK(policy_write(IDX, f.policy_session(cc::nv_read)) == S(RC_POLICY_CC, 1));
    // POLICYREAD CLEAR: reading with a policy is refused.
    const auto s = f.policy_session(cc::nv_read);
    REQUIRE(f.define(rh::owner, nv_public(0x01500003, AUTHWRITE | POLICYREAD, 4, alg::sha256, cc_policy(cc::nv_read))) == 0);
    REQUIRE(f.write(0x01500003, 0x01500003, bytes(4, 3)) == 0);
    auto r = run(f.t, command_builder(cc::nv_read).handle(0x01500003).handle(0x01500003).session(s, bytes(16, 3), 0x01, {})
                          .u16(4).u16(0).build());
    REQUIRE(r.rc == 0);
    r.parameter_size();
    CHECK(r.b2b() == bytes(4, 3));
    CHECK(run(f.t, command_builder(cc::nv_read).handle(IDX).handle(IDX).session(f.policy_session(cc::nv_read), bytes(16, 3), 0x01, {})
                        .u16(4).u16(0).build()).rc == S(RC_POLICY_FAIL, 1));
}

TEST_CASE("NV_Write with an HMAC session: cpHash uses the index Name, which changes when written", "[nv]") {
    fixture f;
    const auto pub = nv_public(IDX, AUTHWRITE | AUTHREAD, 8);
    const auto auth = str("index-auth");
    REQUIRE(f.define(rh::owner, pub, auth) == 0);
    bytes nonce_caller(16, 0x11);
    auto r = run(f.t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null).b2b(nonce_caller).b2b({})
                          .u8(se::hmac).u16(alg::null).u16(alg::sha256).build());
    REQUIRE(r.rc == 0);
    const tpm_handle s = r.u32();
    bytes nonce_tpm = r.b2b();
    auto hmac_write = [&](byte_view name, byte_view data) {
        const bytes params = cat({b2b(data), be16(0)});
        const bytes nc(16, static_cast<std::uint8_t>(nonce_tpm[0] ^ 0x33));
        // HMAC(authValue, H(cc || name(auth) || name(index) || params) || nonceCaller || nonceTPM || attrs)
        const auto mac = py("hmac.new(" + hx(auth) + ", hashlib.sha256(struct.pack('>I', 0x137) + " + hx(name) + " + " +
                            hx(name) + " + " + hx(params) + ").digest() + " + hx(nc) + " + " + hx(nonce_tpm) +
                            " + bytes([1]), 'sha256').digest()");
        auto x = run(f.t, command_builder(cc::nv_write).handle(IDX).handle(IDX).session(s, nc, 0x01, mac).raw(params).build());
        if (x.rc == 0) {
            x.parameter_size();
            nonce_tpm = x.b2b();
        }
        return x.rc;
    };
    const auto name0 = nv_name(pub);
    REQUIRE(hmac_write(name0, str("first")) == 0);
    // The old Name no longer authorizes: the index is WRITTEN now.
    CHECK(hmac_write(name0, str("second")) == S(RC_AUTH_FAIL, 1));
    // (the failed command left the session usable, with the same nonceTPM)
    CHECK(hmac_write(nv_name(nv_public(IDX, AUTHWRITE | AUTHREAD | WRITTEN, 8)), str("second")) == 0);
    CHECK(f.read(IDX, IDX, 6, 0, auth).second == str("second"));
}

// =========================================================================================
// NV_Increment, NV_Extend, NV_SetBits
// =========================================================================================

TEST_CASE("NV_Increment: counters count up, never go back after redefinition", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_COUNTER, 8)) == 0);
    CHECK(f.read(rh::owner, IDX, 8).first == RC_NV_UNINITIALIZED);
    REQUIRE(f.increment(rh::owner, IDX) == 0);
    const auto first = f.counter(IDX);
    REQUIRE(f.increment(rh::owner, IDX) == 0);
    REQUIRE(f.increment(rh::owner, IDX) == 0);
    CHECK(f.counter(IDX) == first + 2);
    // Only NV_Increment changes a counter; NV_Increment only changes counters.
    CHECK(f.write(rh::owner, IDX, bytes(8, 0)) == RC_ATTRIBUTES);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW, 8)) == 0);
    CHECK(f.increment(rh::owner, IDX2) == RC_ATTRIBUTES);
    // A counter defined again starts above every value a counter had.
    REQUIRE(f.undefine(rh::owner, IDX) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_COUNTER, 8)) == 0);
    REQUIRE(f.increment(rh::owner, IDX) == 0);
    CHECK(f.counter(IDX) > first + 2);
    // Authorization rules as for writes.
    CHECK(f.increment(rh::platform, IDX) == RC_NV_AUTHORIZATION);
    // ORDERLY counters count the same.
    REQUIRE(f.define(rh::owner, nv_public(0x01500003, RW | T_COUNTER | ORDERLY, 8)) == 0);
    REQUIRE(f.increment(rh::owner, 0x01500003) == 0);
    REQUIRE(f.increment(rh::owner, 0x01500003) == 0);
    CHECK(f.counter(0x01500003) == f.counter(IDX) + 2);
}

TEST_CASE("ORDERLY indices: counters after a shutdown that was not orderly, data across TPM Reset", "[nv]") {
    fixture f;
    constexpr std::uint64_t max_orderly = platform::profile.limits.orderly_count;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_COUNTER | ORDERLY, 8)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW | ORDERLY, 4)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(0x01500003, RW | T_COUNTER, 8)) == 0);
    REQUIRE(f.increment(rh::owner, IDX) == 0);
    REQUIRE(f.increment(rh::owner, 0x01500003) == 0);
    const auto c0 = f.counter(IDX), p0 = f.counter(0x01500003);
    REQUIRE(f.write(rh::owner, IDX2, bytes(4, 7)) == 0);
    // Orderly: Shutdown(STATE) + Startup(CLEAR) (TPM Restart) keeps both.
    f.reboot(su::state, su::clear);
    CHECK(f.counter(IDX) == c0);
    CHECK(f.read(rh::owner, IDX2, 4).second == bytes(4, 7));
    // Shutdown(CLEAR) + Startup(CLEAR) is a TPM Reset: the ORDERLY data index is not written.
    f.reboot(su::clear, su::clear);
    CHECK(f.counter(IDX) == c0);
    CHECK(f.read(rh::owner, IDX2, 4).first == RC_NV_UNINITIALIZED);
    // No shutdown at all: the ORDERLY counter jumps to count | MAX_ORDERLY_COUNT; others stay.
    f.t.reset();
    REQUIRE(run(f.t, testing::startup_command()).rc == 0);
    CHECK(f.counter(IDX) == (c0 | max_orderly));
    CHECK(f.counter(0x01500003) == p0);
}

TEST_CASE("NV_Extend: data := H(data || buffer) from a Zero Digest, with the index nameAlg", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_EXTEND, 32)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW | T_EXTEND, 20, alg::sha1)) == 0);
    REQUIRE(f.extend(rh::owner, IDX, str("abc")) == 0);
    REQUIRE(f.extend(rh::owner, IDX, bytes(100, 0x42)) == 0);
    CHECK(to_hex(f.read(rh::owner, IDX, 32).second) ==
          python("import hashlib\nd = hashlib.sha256(bytes(32) + b'abc').digest()\n"
                 "print(hashlib.sha256(d + bytes([0x42]) * 100).hexdigest())"));
    REQUIRE(f.extend(rh::owner, IDX2, str("x")) == 0);
    CHECK(to_hex(f.read(rh::owner, IDX2, 20).second) == python("import hashlib\nprint(hashlib.sha1(bytes(20) + b'x').hexdigest())"));
    CHECK(f.write(rh::owner, IDX, bytes(32, 0)) == RC_ATTRIBUTES);
    REQUIRE(f.define(rh::owner, nv_public(0x01500003, RW, 32)) == 0);
    CHECK(f.extend(rh::owner, 0x01500003, str("x")) == RC_ATTRIBUTES);
    // CLEAR_STCLEAR: after Startup(CLEAR) the extend starts from a Zero Digest again.
    REQUIRE(f.define(rh::owner, nv_public(0x01500004, RW | T_EXTEND | CLEAR_STCLEAR, 32)) == 0);
    REQUIRE(f.extend(rh::owner, 0x01500004, str("a")) == 0);
    f.reboot(su::clear, su::clear);
    CHECK(f.read(rh::owner, 0x01500004, 32).first == RC_NV_UNINITIALIZED);
    REQUIRE(f.extend(rh::owner, 0x01500004, str("b")) == 0);
    CHECK(to_hex(f.read(rh::owner, 0x01500004, 32).second) ==
          python("import hashlib\nprint(hashlib.sha256(bytes(32) + b'b').hexdigest())"));
}

TEST_CASE("NV_SetBits: OR into a bit field that starts at zero", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_BITS, 8)) == 0);
    REQUIRE(f.set_bits(rh::owner, IDX, 0) == 0); // WRITTEN even with no bits
    CHECK(f.counter(IDX) == 0);
    REQUIRE(f.set_bits(rh::owner, IDX, 0x8000000000000001ull) == 0);
    REQUIRE(f.set_bits(rh::owner, IDX, 0x0000000100000001ull) == 0);
    CHECK(f.counter(IDX) == 0x8000000100000001ull);
    CHECK(f.write(rh::owner, IDX, bytes(8, 0)) == RC_ATTRIBUTES);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW, 8)) == 0);
    CHECK(f.set_bits(rh::owner, IDX2, 1) == RC_ATTRIBUTES);
}

// =========================================================================================
// Locks: NV_WriteLock, NV_ReadLock, NV_GlobalWriteLock; Startup(CLEAR) and Resume
// =========================================================================================

TEST_CASE("NV_WriteLock: WRITE_STCLEAR locks until Startup(CLEAR); WRITEDEFINE for good", "[nv]") {
    fixture f;
    constexpr tpm_handle STC = IDX, DEF = IDX2, NONE = 0x01500003, DEF_UNWRITTEN = 0x01500004;
    REQUIRE(f.define(rh::owner, nv_public(STC, RW | WRITE_STCLEAR, 4)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(DEF, RW | WRITEDEFINE, 4)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(NONE, RW, 4)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(DEF_UNWRITTEN, RW | WRITEDEFINE, 4)) == 0);
    REQUIRE(f.write(rh::owner, STC, bytes(4, 1)) == 0);
    REQUIRE(f.write(rh::owner, DEF, bytes(4, 1)) == 0);
    CHECK(f.write_lock(rh::owner, NONE) == RC_ATTRIBUTES);
    CHECK(f.write_lock(rh::platform, STC) == RC_NV_AUTHORIZATION);
    for (auto h : {STC, DEF, DEF_UNWRITTEN}) REQUIRE(f.write_lock(rh::owner, h) == 0);
    CHECK(f.write_lock(rh::owner, STC) == 0); // already locked: still success
    CHECK((f.attrs(STC) & WRITELOCKED) != 0);
    for (auto h : {STC, DEF, DEF_UNWRITTEN}) CHECK(f.write(rh::owner, h, bytes(4, 2)) == RC_NV_LOCKED);
    CHECK(f.read(rh::owner, STC, 4).second == bytes(4, 1)); // reads are not locked
    // The Name covers WRITELOCKED.
    CHECK(to_hex(f.read_public(STC).name) == to_hex(nv_name(nv_public(STC, RW | WRITE_STCLEAR | WRITTEN | WRITELOCKED, 4))));
    // TPM Resume keeps every lock.
    f.reboot(su::state, su::state);
    for (auto h : {STC, DEF, DEF_UNWRITTEN}) CHECK(f.write(rh::owner, h, bytes(4, 2)) == RC_NV_LOCKED);
    // TPM Restart: WRITE_STCLEAR and unwritten WRITEDEFINE indices unlock; written WRITEDEFINE stays.
    f.reboot(su::state, su::clear);
    CHECK(f.write(rh::owner, STC, bytes(4, 2)) == 0);
    CHECK(f.write(rh::owner, DEF_UNWRITTEN, bytes(4, 2)) == 0);
    CHECK(f.write(rh::owner, DEF, bytes(4, 2)) == RC_NV_LOCKED);
    // TPM Reset (power cycle, no orderly shutdown) likewise.
    REQUIRE(f.write_lock(rh::owner, STC) == 0);
    f.t.reset();
    REQUIRE(run(f.t, testing::startup_command()).rc == 0);
    CHECK(f.write(rh::owner, STC, bytes(4, 3)) == 0);
    CHECK(f.write(rh::owner, DEF, bytes(4, 3)) == RC_NV_LOCKED);
}

TEST_CASE("NV_ReadLock: READ_STCLEAR locks reads until Startup(CLEAR)", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | READ_STCLEAR, 4), str("pw")) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW, 4)) == 0);
    CHECK(f.read_lock(rh::owner, IDX2) == RC_ATTRIBUTES);
    CHECK(f.read_lock(rh::platform, IDX) == RC_NV_AUTHORIZATION);
    REQUIRE(f.read_lock(rh::owner, IDX) == 0); // not written yet: may be locked
    CHECK(f.read_lock(rh::owner, IDX) == 0);
    REQUIRE(f.write(rh::owner, IDX, bytes(4, 5)) == 0); // writes are not locked
    CHECK(f.read(rh::owner, IDX, 4).first == RC_NV_LOCKED);
    CHECK(f.read(IDX, IDX, 4, 0, str("pw")).first == RC_NV_LOCKED);
    f.reboot(su::state, su::state);
    CHECK(f.read(rh::owner, IDX, 4).first == RC_NV_LOCKED);
    f.reboot(su::state, su::clear);
    CHECK(f.read(rh::owner, IDX, 4).second == bytes(4, 5));
    CHECK((f.attrs(IDX) & READLOCKED) == 0);
}

TEST_CASE("NV_GlobalWriteLock: every GLOBALLOCK index, owner or platform", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | GLOBALLOCK, 4)) == 0);
    REQUIRE(f.define(rh::platform, nv_public(IDX2, PPWRITE | PPREAD | PLATFORMCREATE | GLOBALLOCK | WRITEDEFINE, 4)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(0x01500003, RW, 4)) == 0);
    REQUIRE(f.write(rh::platform, IDX2, bytes(4, 1)) == 0);
    CHECK(run(f.t, command_builder(cc::nv_global_write_lock).handle(rh::endorsement).password().build()).rc == H(RC_VALUE, 1));
    REQUIRE(f.global_lock(rh::owner) == 0);
    CHECK(f.write(rh::owner, IDX, bytes(4, 2)) == RC_NV_LOCKED);
    CHECK(f.write(rh::platform, IDX2, bytes(4, 2)) == RC_NV_LOCKED);
    CHECK(f.write(rh::owner, 0x01500003, bytes(4, 2)) == 0);
    f.reboot(su::clear, su::clear);
    CHECK(f.write(rh::owner, IDX, bytes(4, 2)) == 0);               // no WRITEDEFINE: unlocked
    CHECK(f.write(rh::platform, IDX2, bytes(4, 2)) == RC_NV_LOCKED); // WRITEDEFINE and written: for good
}

// =========================================================================================
// NV_ChangeAuth
// =========================================================================================

TEST_CASE("NV_ChangeAuth: ADMIN role through a PolicyCommandCode(NV_ChangeAuth) policy", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 4, alg::sha256, cc_policy(cc::nv_change_auth)), str("old")) == 0);
    REQUIRE(f.write(IDX, IDX, bytes(4, 1), 0, str("old")) == 0);
    // A password cannot assert the ADMIN role.
    CHECK(run(f.t, command_builder(cc::nv_change_auth).handle(IDX).password(str("old")).b2b(str("new")).build()).rc == RC_AUTH_TYPE);
    auto change = [&](tpm_handle s, byte_view nauth) {
        return run(f.t, command_builder(cc::nv_change_auth).handle(IDX).session(s, bytes(16, 4), 0x00, {}).b2b(nauth).build()).rc;
    };
    CHECK(change(f.policy_session(cc::nv_write), str("new")) == S(RC_POLICY_CC, 1));
    CHECK(change(f.policy_session(cc::nv_change_auth), bytes(33, 1)) == P(RC_SIZE, 1));
    REQUIRE(change(f.policy_session(cc::nv_change_auth), str("new")) == 0);
    CHECK(f.read(IDX, IDX, 4, 0, str("old")).first == S(RC_AUTH_FAIL, 1));
    CHECK(f.read(IDX, IDX, 4, 0, str("new")).second == bytes(4, 1));
}

TEST_CASE("NV_ChangeAuth with PolicyAuthValue: the response HMAC is keyed with the new authValue", "[nv]") {
    fixture f;
    // policyDigest = H(H(0^32 || CC_PolicyCommandCode || CC_NV_ChangeAuth) || CC_PolicyAuthValue)
    const auto pol = py("hashlib.sha256(hashlib.sha256(bytes(32) + struct.pack('>II', 0x16C, 0x13B)).digest() + "
                        "struct.pack('>I', 0x16B)).digest()");
    const auto pub = nv_public(IDX, RW, 4, alg::sha256, pol);
    REQUIRE(f.define(rh::owner, pub, str("old")) == 0);
    bytes nc0(16, 0x21);
    auto r = run(f.t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null).b2b(nc0).b2b({})
                          .u8(se::policy).u16(alg::null).u16(alg::sha256).build());
    REQUIRE(r.rc == 0);
    const tpm_handle s2 = r.u32();
    const bytes nonce_tpm = r.b2b();
    REQUIRE(run(f.t, command_builder(cc::policy_command_code).handle(s2).u32(cc::nv_change_auth).build()).rc == 0);
    REQUIRE(run(f.t, command_builder(cc::policy_auth_value).handle(s2).build()).rc == 0);
    const bytes params = b2b(str("new"));
    const bytes nc(16, 0x22);
    const auto name = nv_name(pub);
    const auto mac = py("hmac.new(b'old', hashlib.sha256(struct.pack('>I', 0x13B) + " + hx(name) + " + " + hx(params) +
                        ").digest() + " + hx(nc) + " + " + hx(nonce_tpm) + " + bytes([1]), 'sha256').digest()");
    auto x = run(f.t, command_builder(cc::nv_change_auth).handle(IDX).session(s2, nc, 0x01, mac).raw(params).build());
    REQUIRE(x.rc == 0);
    REQUIRE(x.parameter_size() == 0);
    const auto new_nonce = x.b2b();
    REQUIRE(x.u8() == 0x01);
    const auto rmac = x.b2b();
    // rpHash = H(responseCode || commandCode || parameters); key = authValue (new).
    CHECK(to_hex(rmac) == to_hex(py("hmac.new(b'new', hashlib.sha256(struct.pack('>II', 0, 0x13B)).digest() + " +
                                    hx(new_nonce) + " + " + hx(nc) + " + bytes([1]), 'sha256').digest()")));
    CHECK(f.read(IDX, IDX, 4, 0, str("new")).first == RC_NV_UNINITIALIZED); // not written, but reachable
}

// =========================================================================================
// PIN Pass / PIN Fail indices
// =========================================================================================

TEST_CASE("PIN Pass and PIN Fail indices: pinCount || pinLimit and authValue authorizations", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, OWNERWRITE | OWNERREAD | AUTHREAD | T_PIN_PASS, 8), str("pass")) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, OWNERWRITE | OWNERREAD | AUTHREAD | NO_DA | T_PIN_FAIL, 8), str("pin")) == 0);
    CHECK(f.increment(rh::owner, IDX) == RC_ATTRIBUTES);
    // Not written: no authValue authorization (and no read).
    CHECK(f.read(IDX, IDX, 8, 0, str("pass")).first == RC_NV_UNINITIALIZED);
    REQUIRE(f.write(rh::owner, IDX, cat({be32(0), be32(2)})) == 0);
    REQUIRE(f.write(rh::owner, IDX2, cat({be32(0), be32(2)})) == 0);
    // PIN Pass: each success counts; at pinLimit the authValue is locked out.
    CHECK(f.read(IDX, IDX, 8, 0, str("pass")).second == cat({be32(1), be32(2)}));
    CHECK(f.read(IDX, IDX, 8, 0, str("wrong")).first == S(RC_AUTH_FAIL, 1)); // failures do not count
    CHECK(f.read(IDX, IDX, 8, 0, str("pass")).second == cat({be32(2), be32(2)}));
    CHECK(f.read(IDX, IDX, 8, 0, str("pass")).first == RC_NV_AUTHORIZATION);
    CHECK(f.read(rh::owner, IDX, 8).second == cat({be32(2), be32(2)})); // owner reads are not counted
    // PIN Fail: each failure counts (BAD_AUTH: NO_DA), a success resets; at pinLimit locked out.
    CHECK(f.read(IDX2, IDX2, 8, 0, str("no")).first == S(RC_BAD_AUTH, 1));
    CHECK(f.read(rh::owner, IDX2, 8).second == cat({be32(1), be32(2)}));
    CHECK(f.read(IDX2, IDX2, 8, 0, str("pin")).second == cat({be32(0), be32(2)}));
    CHECK(f.read(IDX2, IDX2, 8, 0, str("no")).first == S(RC_BAD_AUTH, 1));
    CHECK(f.read(IDX2, IDX2, 8, 0, str("no")).first == S(RC_BAD_AUTH, 1));
    CHECK(f.read(IDX2, IDX2, 8, 0, str("pin")).first == RC_NV_AUTHORIZATION);
    CHECK(f.read(rh::owner, IDX2, 8).second == cat({be32(2), be32(2)}));
    // The owner raises pinLimit: the authValue works again.
    REQUIRE(f.write(rh::owner, IDX2, cat({be32(2), be32(5)})) == 0);
    CHECK(f.read(IDX2, IDX2, 8, 0, str("pin")).second == cat({be32(0), be32(5)}));
}

// =========================================================================================
// State: save_state / load_state, power cycles; GetCapability
// =========================================================================================

TEST_CASE("NV indices survive save_state / load_state and power cycles", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | WRITEDEFINE, 4), str("pw")) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW | T_COUNTER, 8)) == 0);
    REQUIRE(f.write(rh::owner, IDX, str("data")) == 0);
    REQUIRE(f.write_lock(rh::owner, IDX) == 0);
    REQUIRE(f.increment(rh::owner, IDX2) == 0);
    const auto counter = f.counter(IDX2);
    const auto pub = f.read_public(IDX);
    const auto state = f.t.save_state();

    tpm_t t2{testing::seeded_crypto()};
    REQUIRE_FALSE(t2.load_state(state).has_value());
    t2.power_on();
    REQUIRE(run(t2, testing::startup_command()).rc == 0);
    auto r = run(t2, command_builder(cc::nv_read_public).handle(IDX).build());
    REQUIRE(r.rc == 0);
    CHECK(r.b2b() == pub.pub);
    CHECK(r.b2b() == pub.name);
    auto rd = run(t2, command_builder(cc::nv_read).handle(IDX).handle(IDX).password(str("pw")).u16(4).u16(0).build());
    REQUIRE(rd.rc == 0);
    rd.parameter_size();
    CHECK(rd.b2b() == str("data"));
    CHECK(run(t2, command_builder(cc::nv_write).handle(rh::owner).handle(IDX).password().b2b(str("x")).u16(0).build()).rc == RC_NV_LOCKED);
    REQUIRE(run(t2, command_builder(cc::nv_increment).handle(rh::owner).handle(IDX2).password().build()).rc == 0);
    auto rc2 = run(t2, command_builder(cc::nv_read).handle(rh::owner).handle(IDX2).password().u16(8).u16(0).build());
    REQUIRE(rc2.rc == 0);
    rc2.parameter_size();
    CHECK(load_be64(rc2.b2b().data()) == counter + 1);

    // A power cycle of the same TPM keeps them too.
    f.t.power_off();
    f.t.power_on();
    REQUIRE(run(f.t, testing::startup_command()).rc == 0);
    CHECK(f.read(IDX, IDX, 4, 0, str("pw")).second == str("data"));
    // Manufacture erases everything.
    f.t.manufacture();
    f.t.power_on();
    REQUIRE(run(f.t, testing::startup_command()).rc == 0);
    CHECK(f.read_public(IDX).rc == H(RC_HANDLE, 1));
}

TEST_CASE("GetCapability: NV index handles and NV properties", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW, 4)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_COUNTER, 8)) == 0);
    REQUIRE(f.define(rh::platform, nv_public(0x01000010, PPWRITE | PPREAD | PLATFORMCREATE, 4)) == 0);
    auto handles = [&](std::uint32_t first, std::uint32_t count, bool* more = nullptr) {
        auto r = run(f.t, command_builder(cc::get_capability).u32(cap::handles).u32(first).u32(count).build());
        REQUIRE(r.rc == 0);
        const bool m = r.u8();
        if (more) *more = m;
        REQUIRE(r.u32() == cap::handles);
        std::vector<std::uint32_t> v(r.u32());
        for (auto& h : v) h = r.u32();
        REQUIRE(r.ok);
        return v;
    };
    CHECK(handles(0x01000000, 10) == std::vector<std::uint32_t>{0x01000010, IDX, IDX2});
    bool more = false;
    CHECK(handles(0x01000011, 1, &more) == std::vector<std::uint32_t>{IDX});
    CHECK(more);
    auto prop = [&](std::uint32_t p) {
        auto r = run(f.t, command_builder(cc::get_capability).u32(cap::tpm_properties).u32(p).u32(1).build());
        REQUIRE(r.rc == 0);
        r.u8();
        r.u32();
        REQUIRE(r.u32() == 1);
        REQUIRE(r.u32() == p);
        return r.u32();
    };
    constexpr auto lim = platform::profile.limits;
    CHECK(prop(pt::hr_nv_index) == 3);
    CHECK(prop(pt::nv_counters) == 1);
    CHECK(prop(pt::nv_counters_avail) == std::min<std::uint32_t>(lim.nv_indices_max - 3, (lim.nv_memory - 16) / 8));
    CHECK(prop(pt::nv_index_max) == lim.nv_index_max);
    CHECK(prop(pt::nv_buffer_max) == lim.nv_buffer_max);
}

namespace {
/// The blocks of a state (Part of engine/serialize.hpp's format): tag -> (offset, length).
struct block { std::uint16_t tag; std::size_t at, len; };
std::vector<block> blocks_of(const bytes& st) {
    std::vector<block> v;
    const auto n = load_be32(st.data() + 20);
    std::size_t p = 24;
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto len = load_be32(st.data() + p + 2);
        v.push_back({load_be16(st.data() + p), p, 6 + static_cast<std::size_t>(len)});
        p += 6 + len;
    }
    return v;
}
/// Replace the trailing SHA-256 checksum (computed by Python).
bytes reseal(bytes body) {
    body.resize(body.size() - 32);
    const auto sum = py("hashlib.sha256(" + hx(body) + ").digest()");
    body.insert(body.end(), sum.begin(), sum.end());
    return body;
}
} // namespace

TEST_CASE("State format: NV indices are a block of their own; states without it load", "[nv]") {
    fixture f;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW, 4)) == 0);
    const auto st = f.t.save_state();
    const auto bl = blocks_of(st);
    const block* nvb = nullptr;
    for (const auto& b : bl)
        if (b.tag == 3) nvb = &b;
    REQUIRE(nvb != nullptr);
    SECTION("a state without the NV blocks (an older writer) loads with no indices") {
        bytes old(st.begin(), st.begin() + 24);
        std::uint32_t n = 0;
        for (const auto& b : bl)
            if (b.tag != 3 && b.tag != 4) {
                old.insert(old.end(), st.begin() + static_cast<std::ptrdiff_t>(b.at), st.begin() + static_cast<std::ptrdiff_t>(b.at + b.len));
                ++n;
            }
        store_be32(old.data() + 20, n);
        old.resize(old.size() + 32);
        tpm_t t2{testing::seeded_crypto()};
        REQUIRE_FALSE(t2.load_state(reseal(old)).has_value());
        t2.power_on();
        REQUIRE(run(t2, testing::startup_command()).rc == 0);
        CHECK(run(t2, command_builder(cc::nv_read_public).handle(IDX).build()).rc == H(RC_HANDLE, 1));
    }
    SECTION("a malformed NV block is refused, nothing loaded") {
        bytes bad = st;
        // u64 maxCounter, then the u32 index count: far too many.
        store_be32(bad.data() + nvb->at + 6 + 8, 0xFFFFFFFF);
        tpm_t t2{testing::seeded_crypto()};
        auto err = t2.load_state(reseal(bad));
        REQUIRE(err.has_value());
        CHECK(err->find("block 3") != std::string::npos);
        // Data shorter than dataSize: refused too.
        bad = st;
        store_be16(bad.data() + nvb->at + 6 + 8 + 4 + 4 + 2 + 4 + 2, 0x0800); // dataSize 2048, 4 octets stored
        err = t2.load_state(reseal(bad));
        REQUIRE(err.has_value());
    }
}

TEST_CASE("NV unavailable: changes are TPM_RC_NV_UNAVAILABLE, reads still work", "[nv]") {
    fixture f;
    constexpr std::uint32_t RC_NV_UNAVAILABLE = 0x923;
    REQUIRE(f.define(rh::owner, nv_public(IDX, RW | T_COUNTER, 8)) == 0);
    REQUIRE(f.define(rh::owner, nv_public(IDX2, RW | WRITE_STCLEAR | READ_STCLEAR, 4)) == 0);
    REQUIRE(f.increment(rh::owner, IDX) == 0);
    REQUIRE(f.write(rh::owner, IDX2, bytes(4, 1)) == 0);
    f.t.set_nv_available(false);
    CHECK(f.define(rh::owner, nv_public(0x01500003, RW, 4)) == RC_NV_UNAVAILABLE);
    CHECK(f.increment(rh::owner, IDX) == RC_NV_UNAVAILABLE);
    CHECK(f.write(rh::owner, IDX2, bytes(4, 2)) == RC_NV_UNAVAILABLE);
    CHECK(f.write_lock(rh::owner, IDX2) == RC_NV_UNAVAILABLE);
    CHECK(f.read_lock(rh::owner, IDX2) == RC_NV_UNAVAILABLE);
    CHECK(f.global_lock(rh::owner) == RC_NV_UNAVAILABLE);
    CHECK(f.undefine(rh::owner, IDX) == RC_NV_UNAVAILABLE);
    CHECK(f.read(rh::owner, IDX2, 4).second == bytes(4, 1));
    CHECK(f.read_public(IDX).rc == 0);
    f.t.set_nv_available(true);
    CHECK(f.write(rh::owner, IDX2, bytes(4, 2)) == 0);
    CHECK(f.undefine(rh::owner, IDX) == 0);
}
