// TPM2_GetCapability (Part 3 §30.2): every capability the handler implements, paging and
// moreData, the error codes. Responses are parsed here from raw bytes; expected values come
// from Part 2 (TPMA_CC words, TPM_PT tags) and the TCG PC Client PCR attributes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

/// The full profile without TPM2_Hash.
inline constexpr config::profile no_hash_profile = [] {
    config::profile p = config::profiles::full;
    p.disable(cc::hash);
    return p;
}();

using tpm_t = tpm<testing::deterministic_platform<>>;
using no_hash_tpm = tpm<testing::deterministic_platform<no_hash_profile>>;

template <class Tpm = tpm_t>
Tpm started() {
    Tpm t{testing::seeded_crypto()};
    t.manufacture();
    t.power_on();
    REQUIRE(run(t, testing::startup_command()).rc == 0);
    return t;
}

bytes get_cap(std::uint32_t capability, std::uint32_t property, std::uint32_t count) {
    return command_builder(cc::get_capability).u32(capability).u32(property).u32(count).build();
}

/// A parsed TPM2_GetCapability response; entries are kept as their key and raw fields.
struct cap_result {
    std::uint32_t rc = 0xFFFFFFFF;
    std::uint8_t more = 0xFF;
    std::uint32_t capability = 0;
    std::vector<std::uint32_t> keys;                  // alg, handle, cc, TPM_PT, TPM_PT_PCR, curve
    std::vector<std::uint32_t> values;                // algProperties, TPMA_CC, property value
    std::vector<std::vector<std::uint8_t>> selects;   // PCR selections (sizeofSelect octets)
    bool parsed = false;

    [[nodiscard]] std::map<std::uint32_t, std::uint32_t> as_map() const {
        std::map<std::uint32_t, std::uint32_t> m;
        for (std::size_t i = 0; i < keys.size(); ++i) m[keys[i]] = values[i];
        return m;
    }
};

template <class Tpm>
cap_result get(Tpm& t, std::uint32_t capability, std::uint32_t property, std::uint32_t count) {
    auto r = run(t, get_cap(capability, property, count));
    cap_result c;
    c.rc = r.rc;
    if (r.rc != 0) return c;
    c.more = r.u8();
    c.capability = r.u32();
    const std::uint32_t n = r.u32();
    for (std::uint32_t i = 0; i < n && r.ok; ++i) {
        switch (c.capability) {
        case cap::algs:
            c.keys.push_back(r.u16());
            c.values.push_back(r.u32());
            break;
        case cap::handles:
        case cap::pp_commands:
        case cap::audit_commands:
            c.keys.push_back(r.u32());
            c.values.push_back(c.keys.back());
            break;
        case cap::commands:
            c.values.push_back(r.u32());
            c.keys.push_back(c.values.back() & 0xFFFF);
            break;
        case cap::tpm_properties:
            c.keys.push_back(r.u32());
            c.values.push_back(r.u32());
            break;
        case cap::pcrs:
            c.keys.push_back(r.u16());
            c.values.push_back(0);
            c.selects.push_back(r.take(r.u8()));
            break;
        case cap::pcr_properties:
            c.keys.push_back(r.u32());
            c.values.push_back(0);
            c.selects.push_back(r.take(r.u8()));
            break;
        case cap::ecc_curves:
            c.keys.push_back(r.u16());
            c.values.push_back(0);
            break;
        default: r.ok = false;
        }
    }
    c.parsed = r.ok && r.remaining() == 0 && r.size == 10 + r.data.size();
    return c;
}

std::vector<std::uint32_t> range(std::uint32_t first, std::uint32_t last) {
    std::vector<std::uint32_t> v;
    for (auto i = first; i <= last; ++i) v.push_back(i);
    return v;
}

} // namespace

TEST_CASE("GetCapability(TPM_PROPERTIES): paging within a group", "[capability]") {
    auto t = started();
    auto p1 = get(t, cap::tpm_properties, pt::pt_fixed, 5);
    REQUIRE(p1.rc == 0);
    REQUIRE(p1.parsed);
    CHECK(p1.capability == cap::tpm_properties);
    CHECK(p1.keys == range(0x100, 0x104));
    CHECK(p1.more == 1);

    auto p2 = get(t, cap::tpm_properties, p1.keys.back() + 1, 5);
    REQUIRE(p2.parsed);
    CHECK(p2.keys == range(0x105, 0x109));
    CHECK(p2.more == 1);

    SECTION("the whole fixed group, and nothing of PT_VAR") {
        auto all = get(t, cap::tpm_properties, pt::pt_fixed, 1000);
        REQUIRE(all.parsed);
        CHECK(all.more == 0);
        REQUIRE(!all.keys.empty());
        CHECK(std::is_sorted(all.keys.begin(), all.keys.end()));
        CHECK(std::adjacent_find(all.keys.begin(), all.keys.end()) == all.keys.end());
        CHECK(all.keys.front() == 0x100);
        CHECK(all.keys.back() < 0x200);
        // Ending the walk exactly at the last property: moreData NO.
        auto tail = get(t, cap::tpm_properties, all.keys.back(), 1);
        CHECK(tail.keys == std::vector<std::uint32_t>{all.keys.back()});
        CHECK(tail.more == 0);
        auto before_tail = get(t, cap::tpm_properties, all.keys.back() - 1, 1);
        CHECK(before_tail.more == 1);
    }
    SECTION("a property that is not implemented starts at the next one") {
        auto r = get(t, cap::tpm_properties, 0x115, 1); // PT_FIXED + 21 is reserved
        CHECK(r.keys == std::vector<std::uint32_t>{0x116});
        CHECK(r.more == 1);
        auto below = get(t, cap::tpm_properties, 0, 2); // group 0 has no properties
        CHECK(below.keys == std::vector<std::uint32_t>{0x100, 0x101});
    }
    SECTION("propertyCount 0: an empty list, moreData YES") {
        auto r = get(t, cap::tpm_properties, pt::pt_var, 0);
        CHECK(r.keys.empty());
        CHECK(r.more == 1);
    }
    SECTION("past the last property of a group, or in a group with none: empty, moreData NO") {
        for (std::uint32_t p : {0x1FFu, 0x215u, 0x300u, 0xFFFFFFFFu}) {
            auto r = get(t, cap::tpm_properties, p, 10);
            CHECK(r.rc == 0);
            CHECK(r.keys.empty());
            CHECK(r.more == 0);
        }
    }
    SECTION("PT_VAR: exactly the 21 variable properties") {
        auto var = get(t, cap::tpm_properties, pt::pt_var, 1000);
        CHECK(var.keys == range(0x200, 0x214));
        CHECK(var.more == 0);
    }
}

TEST_CASE("GetCapability(TPM_PROPERTIES): every property tpm2_getcap prints is there", "[capability]") {
    auto t = started();
    // tpm2-tools 5.4 `tpm2_getcap properties-fixed` / `properties-variable`.
    const std::vector<std::uint32_t> fixed = {
        0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10A, 0x10B, 0x10C, 0x10D,
        0x10E, 0x10F, 0x110, 0x111, 0x112, 0x113, 0x114, 0x116, 0x117, 0x118, 0x119, 0x11A, 0x11B, 0x11C,
        0x11D, 0x11E, 0x11F, 0x120, 0x121, 0x122, 0x123, 0x124, 0x125, 0x126, 0x127, 0x128, 0x129, 0x12A,
        0x12B, 0x12C, 0x12D};
    // What tpm2_getcap asks for: TPM2_MAX_TPM_PROPERTIES = 127 from the start of the group.
    auto f = get(t, cap::tpm_properties, pt::pt_fixed, 127).as_map();
    for (auto p : fixed) {
        INFO("TPM_PT 0x" << std::hex << p);
        CHECK(f.count(p) == 1);
    }
    auto v = get(t, cap::tpm_properties, pt::pt_var, 127).as_map();
    for (auto p : range(0x200, 0x214)) {
        INFO("TPM_PT 0x" << std::hex << p);
        CHECK(v.count(p) == 1);
    }
}

TEST_CASE("GetCapability(TPM_PROPERTIES): fixed values", "[capability]") {
    auto t = started();
    auto f = get(t, cap::tpm_properties, pt::pt_fixed, 127).as_map();
    CHECK(f[pt::family_indicator] == 0x322E3000); // "2.0\0"
    CHECK(f[pt::level] == 0);
    CHECK(f[pt::revision] == 185);
    CHECK(f[pt::day_of_year] == 0); // TPM_PT_ERRATA in v1.85
    CHECK(f[pt::year] == 0);        // shall be zero since v1.85
    CHECK(f[pt::manufacturer] == 0x5654504D); // "VTPM"
    CHECK(f[pt::vendor_string_1] == 0x7674706D); // "vtpm"
    CHECK(f[pt::input_buffer] == 1024);
    CHECK(f[pt::hr_transient_min] == 8);
    CHECK(f[pt::hr_loaded_min] == config::profiles::full.limits.max_loaded_sessions);
    CHECK(f[pt::active_sessions_max] == 64);
    CHECK(f[pt::pcr_count] == 24);
    CHECK(f[pt::pcr_select_min] == 3);
    CHECK(f[pt::context_gap_max] == 0xFFFF);
    CHECK(f[pt::nv_index_max] == 2048);
    CHECK(f[pt::context_hash] == alg::sha256);
    CHECK(f[pt::orderly_count] == 255);
    CHECK(f[pt::max_command_size] == 4096);
    CHECK(f[pt::max_response_size] == 4096);
    CHECK(f[pt::max_digest] == 64);
    CHECK(f[pt::ps_family_indicator] == 1);
    CHECK(f[pt::total_commands] == cmd::all::size);
    CHECK(f[pt::library_commands] == cmd::all::size);
    CHECK(f[pt::vendor_commands] == 0);
    CHECK(f[pt::nv_buffer_max] == 1024);
    CHECK(f[pt::max_cap_buffer] == 1024);

    SECTION("a smaller profile reports its own limits") {
        auto m = started<tpm<testing::deterministic_platform<config::profiles::minimal>>>();
        auto mf = get(m, cap::tpm_properties, pt::pt_fixed, 127).as_map();
        CHECK(mf[pt::hr_transient_min] == 3);
        CHECK(mf[pt::max_digest] == 32); // SHA-256 only
        CHECK(mf[pt::total_commands] == 9);
    }
}

TEST_CASE("GetCapability(TPM_PROPERTIES): variable values follow the state", "[capability]") {
    auto t = started();
    auto v = get(t, cap::tpm_properties, pt::pt_var, 127).as_map();
    CHECK(v[pt::permanent] == 0x400);         // tpmGeneratedEPS; no auth set, clear enabled
    CHECK(v[pt::startup_clear] == 0x0000000F); // all hierarchies enabled; Startup without Shutdown
    CHECK(v[pt::hr_transient_avail] == 8);
    CHECK(v[pt::hr_loaded_avail] == config::profiles::full.limits.max_loaded_sessions);
    CHECK(v[pt::hr_active_avail] == 64);
    CHECK(v[pt::max_auth_fail] == 3);
    CHECK(v[pt::lockout_interval] == 7200);
    CHECK(v[pt::lockout_recovery] == 86400);

    auto& e = t.internals();
    (void)e.nv.owner_auth.assign(bytes{1, 2, 3});
    e.nv.disable_clear = true;
    e.objects[2] = engine<tpm_t::platform_type>::sequence{};
    v = get(t, cap::tpm_properties, pt::pt_var, 127).as_map();
    CHECK(v[pt::permanent] == (0x400 | 0x100 | 0x1));
    CHECK(v[pt::hr_transient_avail] == 7);

    SECTION("orderly after Shutdown and Startup") {
        REQUIRE(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
        t.reset();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
        auto v2 = get(t, cap::tpm_properties, pt::startup_clear, 1);
        CHECK(v2.values == std::vector<std::uint32_t>{0x8000000F});
    }
}

TEST_CASE("GetCapability(COMMANDS): the profile's commands with their TPMA_CC", "[capability]") {
    auto t = started();
    auto c = get(t, cap::commands, cc::first, 256);
    REQUIRE(c.parsed);
    CHECK(c.more == 0);
    CHECK(c.keys.size() == cmd::all::size);
    CHECK(std::is_sorted(c.keys.begin(), c.keys.end()));
    std::vector<std::uint32_t> expected;
    cmd::all::each([&](auto d) { expected.push_back(decltype(d)::code); });
    std::sort(expected.begin(), expected.end());
    CHECK(c.keys == expected);

    // TPMA_CC words (Part 2 §8.9: commandIndex, nv, extensive, flushed, cHandles, rHandle).
    auto m = c.as_map();
    CHECK(m[cc::startup] == 0x00400144);
    CHECK(m[cc::pcr_extend] == 0x02400182);
    CHECK(m[cc::hash_sequence_start] == 0x10000186);
    CHECK(m[cc::flush_context] == 0x00000165);
    CHECK(m[cc::get_capability] == 0x0000017A);
    CHECK(m[cc::clock_set] == 0x02400128);
    CHECK(m[cc::nv_write] == 0x04400137);      // nv, 2 handles
    CHECK(m[cc::evict_control] == 0x04400120); // nv, 2 handles
    CHECK(m[cc::nv_read] == 0x0400014E);       // 2 handles

    SECTION("paging by command code") {
        // Pages are cut from the full ascending list; what follows a code is what the list has.
        auto from = [&](std::uint32_t code) {
            return std::vector<std::uint32_t>(std::lower_bound(c.keys.begin(), c.keys.end(), code), c.keys.end());
        };
        auto p = get(t, cap::commands, cc::pcr_extend, 2);
        CHECK(p.keys == std::vector<std::uint32_t>{cc::pcr_extend, cc::pcr_set_auth_value});
        CHECK(p.more == 1);
        auto tail = from(cc::hash_sequence_start);
        auto last = get(t, cap::commands, cc::hash_sequence_start, static_cast<std::uint32_t>(tail.size()));
        CHECK(last.keys == tail);
        CHECK(last.more == 0);
        auto none = get(t, cap::commands, cc::last + 1, 10);
        CHECK(none.keys.empty());
        CHECK(none.more == 0);
        auto below = get(t, cap::commands, 0, 1);
        CHECK(below.keys == std::vector<std::uint32_t>{c.keys.front()}); // lowest enabled code
        CHECK(below.more == 1);
    }
}

TEST_CASE("a profile without TPM2_Hash: no command, not listed, not counted", "[capability]") {
    auto t = started<no_hash_tpm>();
    CHECK(run(t, command_builder(cc::hash).b2b(bytes{1, 2, 3}).u16(alg::sha256).u32(rh::null).build()).rc == 0x143);
    auto c = get(t, cap::commands, cc::first, 256);
    CHECK(c.keys.size() == cmd::all::size - 1);
    CHECK(std::find(c.keys.begin(), c.keys.end(), cc::hash) == c.keys.end());
    CHECK(std::find(c.keys.begin(), c.keys.end(), cc::hash_sequence_start) != c.keys.end());
    auto f = get(t, cap::tpm_properties, pt::total_commands, 2).as_map();
    CHECK(f[pt::total_commands] == cmd::all::size - 1);
    CHECK(f[pt::library_commands] == cmd::all::size - 1);
}

TEST_CASE("GetCapability(PCRS): the allocated banks, all PCRs selected", "[capability]") {
    auto t = started();
    auto p = get(t, cap::pcrs, 0, 1);
    REQUIRE(p.parsed);
    CHECK(p.more == 0);
    CHECK(p.keys == std::vector<std::uint32_t>{alg::sha1, alg::sha256});
    for (auto& s : p.selects) CHECK(s == bytes{0xFF, 0xFF, 0xFF});
}

TEST_CASE("GetCapability(PCR_PROPERTIES): PC Client PCR attributes", "[capability]") {
    auto t = started();
    auto p = get(t, cap::pcr_properties, pt_pcr::save, 100);
    REQUIRE(p.parsed);
    CHECK(p.more == 0);
    const std::vector<std::uint32_t> tags = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                             0x08, 0x09, 0x0A, 0x11, 0x12, 0x13, 0x14};
    REQUIRE(p.keys == tags);
    std::map<std::uint32_t, bytes> s;
    for (std::size_t i = 0; i < p.keys.size(); ++i) s[p.keys[i]] = p.selects[i];
    // PCR bit i is octet i/8, bit i%8.
    CHECK(s[pt_pcr::save] == bytes{0xFF, 0xFF, 0x00});        // 0-15
    CHECK(s[pt_pcr::extend_l0] == bytes{0xFF, 0xFF, 0x81});   // 0-16, 23
    CHECK(s[pt_pcr::reset_l0] == bytes{0x00, 0x00, 0x81});    // 16, 23
    CHECK(s[pt_pcr::reset_l1] == bytes{0x00, 0x00, 0x81});
    CHECK(s[pt_pcr::extend_l2] == bytes{0xFF, 0xFF, 0xFF});   // everything
    CHECK(s[pt_pcr::reset_l2] == bytes{0x00, 0x00, 0xF1});    // 16, 20-23
    CHECK(s[pt_pcr::extend_l3] == bytes{0xFF, 0xFF, 0x9F});   // 0-20, 23
    CHECK(s[pt_pcr::reset_l4] == bytes{0x00, 0x00, 0x9F});    // 16-20, 23
    CHECK(s[pt_pcr::extend_l4] == bytes{0xFF, 0xFF, 0x9F});   // 0-20, 23
    CHECK(s[pt_pcr::no_increment] == bytes{0x00, 0x00, 0x70}); // 20-22
    CHECK(s[pt_pcr::drtm_reset] == bytes{0x00, 0x00, 0x7E});   // 17-22
    CHECK(s[pt_pcr::policy] == bytes{0x00, 0x00, 0x70});
    CHECK(s[pt_pcr::auth] == bytes{0x00, 0x00, 0x70});

    SECTION("paging across the reserved tags") {
        auto a = get(t, cap::pcr_properties, pt_pcr::reset_l4, 2);
        CHECK(a.keys == std::vector<std::uint32_t>{pt_pcr::reset_l4, pt_pcr::no_increment});
        CHECK(a.more == 1);
        auto b = get(t, cap::pcr_properties, 0x0B, 1);
        CHECK(b.keys == std::vector<std::uint32_t>{pt_pcr::no_increment});
        auto c = get(t, cap::pcr_properties, pt_pcr::auth + 1, 5);
        CHECK(c.keys.empty());
        CHECK(c.more == 0);
    }
}

TEST_CASE("GetCapability(HANDLES): by handle type", "[capability]") {
    auto t = started();
    SECTION("PCR") {
        auto all = get(t, cap::handles, hr::pcr_first, 100);
        CHECK(all.keys == range(0, 23));
        CHECK(all.more == 0);
        auto some = get(t, cap::handles, 5, 3);
        CHECK(some.keys == range(5, 7));
        CHECK(some.more == 1);
    }
    SECTION("permanent") {
        auto p = get(t, cap::handles, 0x40000000, 100);
        CHECK(p.keys == std::vector<std::uint32_t>{0x40000001, 0x40000007, 0x40000009, 0x4000000A, 0x4000000B,
                                                   0x4000000C, 0x4000000D});
        CHECK(p.more == 0);
        auto from_lockout = get(t, cap::handles, rh::lockout, 1);
        CHECK(from_lockout.keys == std::vector<std::uint32_t>{rh::lockout});
        CHECK(from_lockout.more == 1);
    }
    SECTION("transient: the loaded objects") {
        auto none = get(t, cap::handles, hr::transient_first, 100);
        CHECK(none.keys.empty());
        CHECK(none.more == 0);
        auto& e = t.internals();
        e.objects[1] = engine<tpm_t::platform_type>::sequence{};
        e.objects[4] = engine<tpm_t::platform_type>::sequence{};
        auto two = get(t, cap::handles, hr::transient_first, 100);
        CHECK(two.keys == std::vector<std::uint32_t>{0x80000001, 0x80000004});
        // One at a time, as Part 3 §30.2.1 describes.
        auto first = get(t, cap::handles, hr::transient_first, 1);
        CHECK(first.keys == std::vector<std::uint32_t>{0x80000001});
        CHECK(first.more == 1);
        auto next = get(t, cap::handles, first.keys[0] + 1, 1);
        CHECK(next.keys == std::vector<std::uint32_t>{0x80000004});
        CHECK(next.more == 0);
    }
    SECTION("NV, sessions and persistent: none") {
        for (std::uint32_t h : {0x01000000u, 0x02000000u, 0x03000000u, 0x81000000u}) {
            auto r = get(t, cap::handles, h, 100);
            CHECK(r.rc == 0);
            CHECK(r.keys.empty());
            CHECK(r.more == 0);
        }
    }
    SECTION("a handle type without meaning here: TPM_RC_HANDLE + P2") {
        for (std::uint32_t h : {0x11000000u, 0x12000000u, 0x90000000u, 0xFF000000u}) CHECK(get(t, cap::handles, h, 1).rc == 0x2CB);
    }
}

TEST_CASE("GetCapability(ALGS), PP_COMMANDS, AUDIT_COMMANDS, ECC_CURVES", "[capability]") {
    auto t = started();
    auto a = get(t, cap::algs, 0, 100);
    REQUIRE(a.parsed);
    CHECK(a.more == 0);
    CHECK(a.keys == std::vector<std::uint32_t>{0x0001, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x000A, 0x000B, 0x000C,
                                               0x000D, 0x0010, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016, 0x0017, 0x0018,
                                               0x0019, 0x001A, 0x001B, 0x001C, 0x001D, 0x0020, 0x0021, 0x0022, 0x0023,
                                               0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x003F, 0x0040, 0x0041, 0x0042,
                                               0x0043, 0x0044});
    auto m = a.as_map();
    CHECK(m[alg::sha256] == 0x0004);  // hash
    CHECK(m[alg::hmac] == 0x0104);    // hash, signing
    CHECK(m[alg::cmac] == 0x0102);    // symmetric, signing
    CHECK(m[alg::ecdaa] == 0x0101);   // asymmetric, signing
    CHECK(m[alg::null] == 0x0000);
    auto page = get(t, cap::algs, alg::sha256, 2);
    CHECK(page.keys == std::vector<std::uint32_t>{alg::sha256, alg::sha384});
    CHECK(page.more == 1);
    CHECK(get(t, cap::algs, 0x10000, 10).keys.empty());

    auto pp = get(t, cap::pp_commands, cc::first, 100);
    CHECK(pp.rc == 0);
    // TPM2_PP_Commands always needs physical presence (Part 3 §26.2); no other command after manufacture.
    CHECK(pp.keys == std::vector<std::uint32_t>{0x12D});
    auto audit = get(t, cap::audit_commands, cc::first, 100);
    CHECK(audit.rc == 0);
    // TPM2_SetCommandCodeAuditStatus is always audited (Part 3 §21.1).
    CHECK(audit.keys == std::vector<std::uint32_t>{cc::set_command_code_audit_status});
    auto curves = get(t, cap::ecc_curves, ecc_curve::nist_p192, 100);
    CHECK(curves.rc == 0);
    CHECK(curves.capability == cap::ecc_curves);
    CHECK(curves.keys == std::vector<std::uint32_t>{0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0010, 0x0011, 0x0020});
    CHECK(curves.more == 0);
    auto curves_page = get(t, cap::ecc_curves, ecc_curve::nist_p521, 2);
    CHECK(curves_page.keys == std::vector<std::uint32_t>{ecc_curve::nist_p521, ecc_curve::bn_p256});
    CHECK(curves_page.more == 1);
}

TEST_CASE("GetCapability errors", "[capability]") {
    auto t = started();
    SECTION("an unknown or unimplemented capability: TPM_RC_VALUE + P1") {
        for (std::uint32_t c : {0x0Bu, 0x0Cu, 0xFFu, 0x09u, 0x0Au, 0x100u, 0xFFFFFFFFu}) {
            INFO("capability " << c);
            CHECK(get(t, c, 0, 1).rc == 0x1C4);
        }
    }
    SECTION("trailing bytes: TPM_RC_SIZE") {
        CHECK(run(t, command_builder(cc::get_capability).u32(cap::pcrs).u32(0).u32(1).u8(0).build()).rc == 0x095);
    }
    SECTION("a short parameter area: TPM_RC_INSUFFICIENT + P3") {
        CHECK(run(t, command_builder(cc::get_capability).u32(cap::pcrs).u32(0).u16(1).build()).rc == 0x3DA);
    }
}

TEST_CASE("GetCapability in failure mode: only the fixed properties", "[capability]") {
    auto t = started();
    t.force_failure();
    auto f = get(t, cap::tpm_properties, pt::manufacturer, 8);
    REQUIRE(f.rc == 0);
    CHECK(f.keys == range(0x105, 0x10C));
    CHECK(f.values[0] == 0x5654504D);
    auto v = get(t, cap::tpm_properties, pt::pt_var, 100);
    CHECK(v.rc == 0);
    CHECK(v.keys.empty());
    CHECK(v.more == 0);
    auto c = get(t, cap::commands, cc::first, 100);
    CHECK(c.rc == 0);
    CHECK(c.keys.empty());
    CHECK(run(t, command_builder(cc::get_random).u16(8).build()).rc == 0x101);
}

TEST_CASE("TestParms accepts only what the TPM implements", "[capability]") {
    using namespace vtpm;
    using testing::command_builder;
    vtpm::tpm<vtpm::testing::deterministic_platform<>> t{vtpm::testing::seeded_crypto()};
    t.manufacture();
    t.power_on();
    REQUIRE(testing::run(t, testing::startup_command()).rc == 0);
    // RSA-2048 parameters are implemented.
    auto rsa = command_builder(cc::test_parms).u16(alg::rsa).u16(alg::null).u16(alg::null).u16(2048).u32(0).build();
    CHECK(testing::run(t, rsa).rc == 0);
    // An unknown type is TPM_RC_TYPE + P1 as well; a short area is TPM_RC_INSUFFICIENT + P1.
    CHECK(testing::run(t, command_builder(cc::test_parms).u16(0x0099).build()).rc == 0x1CA);
    CHECK(testing::run(t, command_builder(cc::test_parms).u8(0).build()).rc == 0x1DA);
}
