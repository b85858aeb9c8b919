// TPM2_EvictControl (Part 3 §28.5) and persistent objects through the command pipeline, as
// raw bytes. Templates are written out by hand; Names are checked by Python (hashlib).
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
using vtpm_test::b2b;
using vtpm_test::str;

// TPMA_OBJECT bits (Part 2 Table 37) written out.
constexpr std::uint32_t fixed_tpm = 1u << 1, st_clear = 1u << 2, fixed_parent = 1u << 4, sdo = 1u << 5,
                        user_with_auth = 1u << 6, no_da = 1u << 10, restricted = 1u << 16, decrypt = 1u << 17;
constexpr std::uint32_t storage_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | restricted | decrypt | no_da;

/// An ECC NIST P-256 storage key template (AES-128-CFB, no scheme), SHA-256 nameAlg.
bytes ecc_storage(std::uint32_t attrs = storage_attrs) {
    return cat({be16(alg::ecc), be16(alg::sha256), be32(attrs), b2b({}), be16(alg::aes), be16(128), be16(alg::cfb),
                be16(alg::null), be16(ecc_curve::nist_p256), be16(alg::null), b2b({}), b2b({})});
}
/// A sealed data object template.
bytes sealed() {
    return cat({be16(alg::keyedhash), be16(alg::sha256), be32(fixed_tpm | fixed_parent | user_with_auth | no_da), b2b({}),
                be16(alg::null), b2b({})});
}

constexpr std::uint32_t P(std::uint32_t rc, unsigned n) { return rc | 0x040 | (n << 8); }
constexpr std::uint32_t H(std::uint32_t rc, unsigned n) { return rc | (n << 8); }
constexpr std::uint32_t RC_ATTRIBUTES = 0x082, RC_VALUE = 0x084, RC_HIERARCHY = 0x085, RC_HANDLE = 0x08B,
                        RC_RANGE = 0x08D, RC_NV_SPACE = 0x14B, RC_NV_DEFINED = 0x14C;

constexpr tpm_handle OWNER_P = 0x81000001, PLATFORM_P = 0x81800001;

struct fixture {
    tpm_t t{testing::seeded_crypto()};
    fixture() {
        t.manufacture();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
    }
    struct created {
        std::uint32_t rc = 0, handle = 0;
        bytes pub, name;
    };
    created primary(tpm_handle hierarchy, byte_view tpl = ecc_storage(), byte_view auth = {}) {
        auto r = run(t, command_builder(cc::create_primary).handle(hierarchy).password().b2b(cat({b2b(auth), b2b({})}))
                            .b2b(tpl).b2b({}).u32(0).build());
        created c;
        c.rc = r.rc;
        if (r.rc) return c;
        c.handle = r.u32();
        r.parameter_size();
        c.pub = r.b2b();
        r.b2b();
        r.b2b();
        r.u16();
        r.u32();
        r.b2b();
        c.name = r.b2b();
        REQUIRE(r.ok);
        return c;
    }
    std::uint32_t evict(tpm_handle auth, tpm_handle obj, tpm_handle persistent) {
        return run(t, command_builder(cc::evict_control).handle(auth).handle(obj).password().u32(persistent).build()).rc;
    }
    std::pair<std::uint32_t, bytes> read_public_name(tpm_handle h) {
        auto r = run(t, command_builder(cc::read_public).handle(h).build());
        if (r.rc) return {r.rc, {}};
        r.b2b();
        return {0, r.b2b()};
    }
    std::vector<std::uint32_t> handles(std::uint32_t first) {
        auto r = run(t, command_builder(cc::get_capability).u32(cap::handles).u32(first).u32(64).build());
        REQUIRE(r.rc == 0);
        r.u8();
        REQUIRE(r.u32() == cap::handles);
        std::vector<std::uint32_t> v(r.u32());
        for (auto& h : v) h = r.u32();
        REQUIRE(r.ok);
        std::vector<std::uint32_t> same_type;
        for (auto h : v)
            if (h >> 24 == first >> 24) same_type.push_back(h);
        return same_type;
    }
    std::uint32_t flush(tpm_handle h) { return run(t, command_builder(cc::flush_context).u32(h).build()).rc; }
};

} // namespace

TEST_CASE("EvictControl persists a primary key: usable by its persistent handle, listed, evicted", "[evict]") {
    fixture f;
    auto p = f.primary(rh::owner);
    REQUIRE(p.rc == 0);
    REQUIRE(f.evict(rh::owner, p.handle, OWNER_P) == 0);
    // The transient copy stays loaded; both handles name the same object.
    REQUIRE(f.flush(p.handle) == 0);
    auto [rc, name] = f.read_public_name(OWNER_P);
    REQUIRE(rc == 0);
    CHECK(to_hex(name) == "000b" + python("import hashlib\nprint(hashlib.sha256(" + hx(p.pub) + ").hexdigest())"));
    CHECK(f.handles(0x81000000) == std::vector<std::uint32_t>{OWNER_P});
    // Used as a parent by its persistent handle: Create and Load of a sealed object.
    auto r = run(f.t, command_builder(cc::create).handle(OWNER_P).password().b2b(cat({b2b({}), b2b(str("secret"))}))
                          .b2b(sealed()).b2b({}).u32(0).build());
    REQUIRE(r.rc == 0);
    r.parameter_size();
    const auto priv = r.b2b(), pub = r.b2b();
    auto l = run(f.t, command_builder(cc::load).handle(OWNER_P).password().b2b(priv).b2b(pub).build());
    REQUIRE(l.rc == 0);
    const auto h = l.u32();
    auto u = run(f.t, command_builder(cc::unseal).handle(h).password().build());
    REQUIRE(u.rc == 0);
    u.parameter_size();
    CHECK(u.b2b() == str("secret"));
    // A persistent object cannot be flushed or saved (not a TPMI_DH_CONTEXT).
    CHECK(f.flush(OWNER_P) == P(RC_VALUE, 1));
    // Evicted with its own handle.
    CHECK(f.evict(rh::owner, OWNER_P, OWNER_P + 1) == P(RC_HANDLE, 1));
    REQUIRE(f.evict(rh::owner, OWNER_P, OWNER_P) == 0);
    CHECK(f.read_public_name(OWNER_P).first == H(RC_HANDLE, 1));
    CHECK(f.handles(0x81000000).empty());
}

TEST_CASE("EvictControl: hierarchy, range, stClear and space rules", "[evict]") {
    fixture f;
    auto owner_key = f.primary(rh::owner);
    auto platform_key = f.primary(rh::platform);
    auto endorsement_key = f.primary(rh::endorsement);
    REQUIRE((owner_key.rc | platform_key.rc | endorsement_key.rc) == 0);
    // Owner persists owner and endorsement objects in the owner range; platform its own in its range.
    CHECK(f.evict(rh::owner, platform_key.handle, OWNER_P) == H(RC_HIERARCHY, 2));
    CHECK(f.evict(rh::platform, owner_key.handle, PLATFORM_P) == H(RC_HIERARCHY, 2));
    CHECK(f.evict(rh::owner, owner_key.handle, PLATFORM_P) == P(RC_RANGE, 1));
    CHECK(f.evict(rh::platform, platform_key.handle, OWNER_P) == P(RC_RANGE, 1));
    CHECK(f.evict(rh::owner, owner_key.handle, 0x80000005) == P(RC_VALUE, 1));
    REQUIRE(f.evict(rh::owner, owner_key.handle, OWNER_P) == 0);
    REQUIRE(f.evict(rh::owner, endorsement_key.handle, OWNER_P + 1) == 0);
    REQUIRE(f.evict(rh::platform, platform_key.handle, PLATFORM_P) == 0);
    CHECK(f.evict(rh::owner, owner_key.handle, OWNER_P) == RC_NV_DEFINED);
    // Evicting: owner only in its range, platform anywhere.
    CHECK(f.evict(rh::owner, PLATFORM_P, PLATFORM_P) == H(RC_RANGE, 2));
    REQUIRE(f.evict(rh::platform, OWNER_P + 1, OWNER_P + 1) == 0);
    // Null hierarchy and stClear objects stay transient.
    auto null_key = f.primary(rh::null);
    REQUIRE(null_key.rc == 0);
    CHECK(f.evict(rh::owner, null_key.handle, OWNER_P + 2) == H(RC_ATTRIBUTES, 2));
    CHECK(f.evict(rh::platform, null_key.handle, PLATFORM_P + 2) == H(RC_ATTRIBUTES, 2));
    REQUIRE(f.flush(null_key.handle) == 0);
    auto stc = f.primary(rh::owner, ecc_storage(storage_attrs | st_clear));
    REQUIRE(stc.rc == 0);
    CHECK(f.evict(rh::owner, stc.handle, OWNER_P + 2) == H(RC_ATTRIBUTES, 2));
    REQUIRE(f.flush(stc.handle) == 0);
    // Space: the profile's number of persistent objects.
    constexpr auto max = platform::profile.limits.persistent_objects_max;
    const auto have = f.handles(0x81000000).size();
    for (std::size_t i = have; i < max; ++i) REQUIRE(f.evict(rh::owner, owner_key.handle, OWNER_P + 0x10 + static_cast<tpm_handle>(i)) == 0);
    CHECK(f.evict(rh::owner, owner_key.handle, OWNER_P + 0x100) == RC_NV_SPACE);
    auto prop = [&](std::uint32_t p) {
        auto r = run(f.t, command_builder(cc::get_capability).u32(cap::tpm_properties).u32(p).u32(1).build());
        REQUIRE(r.rc == 0);
        r.u8();
        r.u32();
        REQUIRE(r.u32() == 1);
        REQUIRE(r.u32() == p);
        return r.u32();
    };
    CHECK(prop(pt::hr_persistent) == max);
    CHECK(prop(pt::hr_persistent_avail) == 0);
    CHECK(prop(pt::hr_persistent_min) == max);
    // A disabled hierarchy hides its persistent objects.
    f.t.internals().sc.ph_enable = false;
    CHECK(f.read_public_name(PLATFORM_P).first == H(RC_HANDLE, 1));
    f.t.internals().sc.ph_enable = true;
    CHECK(f.read_public_name(PLATFORM_P).first == 0);
}

TEST_CASE("Persistent objects survive save_state / load_state and power cycles", "[evict]") {
    fixture f;
    auto p = f.primary(rh::owner, ecc_storage(), str("keyauth"));
    REQUIRE(p.rc == 0);
    REQUIRE(f.evict(rh::owner, p.handle, OWNER_P) == 0);
    const auto state = f.t.save_state();
    tpm_t t2{testing::seeded_crypto()};
    REQUIRE_FALSE(t2.load_state(state).has_value());
    t2.power_on();
    REQUIRE(run(t2, testing::startup_command()).rc == 0);
    auto r = run(t2, command_builder(cc::read_public).handle(OWNER_P).build());
    REQUIRE(r.rc == 0);
    CHECK(r.b2b() == p.pub);
    CHECK(r.b2b() == p.name);
    // The authValue came along: Create under it needs "keyauth".
    auto create = [&](tpm_t& t, byte_view pw) {
        return run(t, command_builder(cc::create).handle(OWNER_P).password(pw).b2b(cat({b2b({}), b2b(str("s"))}))
                          .b2b(sealed()).b2b({}).u32(0).build()).rc;
    };
    CHECK(create(t2, str("nope")) == 0x9A2); // TPM_RC_BAD_AUTH, session 1 (noDA key)
    CHECK(create(t2, str("keyauth")) == 0);
    // Power cycle of the same TPM.
    f.t.power_off();
    f.t.power_on();
    REQUIRE(run(f.t, testing::startup_command()).rc == 0);
    CHECK(f.read_public_name(OWNER_P).second == p.name);
    CHECK(create(f.t, str("keyauth")) == 0);
}

TEST_CASE("EvictControl while NV is unavailable: TPM_RC_NV_UNAVAILABLE", "[evict]") {
    fixture f;
    auto p = f.primary(rh::owner);
    REQUIRE(p.rc == 0);
    f.t.set_nv_available(false);
    CHECK(f.evict(rh::owner, p.handle, OWNER_P) == 0x923);
    f.t.set_nv_available(true);
    REQUIRE(f.evict(rh::owner, p.handle, OWNER_P) == 0);
    f.t.set_nv_available(false);
    CHECK(f.evict(rh::owner, OWNER_P, OWNER_P) == 0x923);
    CHECK(f.read_public_name(OWNER_P).first == 0);
}
