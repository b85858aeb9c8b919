// Platform controls through the command pipeline, as raw bytes: TPM2_PP_Commands (Part 3
// §26.2) with the list reported by GetCapability(TPM_CAP_PP_COMMANDS) and enforced for
// Platform Authorization.
#include <catch2/catch.hpp>

#include <vector>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

// Command codes and response codes written out (Part 2 §6.5, §6.6).
constexpr std::uint32_t CC_HIERARCHY_CONTROL = 0x121, CC_CLEAR = 0x126, CC_CLEAR_CONTROL = 0x127,
                        CC_NV_DEFINE_SPACE = 0x12A, CC_PP_COMMANDS = 0x12D, CC_GET_RANDOM = 0x17B,
                        CC_PCR_EXTEND = 0x182, CC_VENDOR = 0x20000000;
constexpr std::uint32_t RC_PP = 0x090, RC_VALUE = 0x084;
constexpr std::uint32_t S(std::uint32_t rc, unsigned n) { return rc | 0x800 | (n << 8); }

struct fixture {
    tpm_t t{testing::seeded_crypto()};
    fixture() {
        t.manufacture();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
    }
    std::uint32_t pp_commands(const std::vector<std::uint32_t>& set, const std::vector<std::uint32_t>& clear) {
        auto cb = command_builder(cc::pp_commands).handle(rh::platform).password();
        cb.u32(static_cast<std::uint32_t>(set.size()));
        for (auto c : set) cb.u32(c);
        cb.u32(static_cast<std::uint32_t>(clear.size()));
        for (auto c : clear) cb.u32(c);
        return run(t, cb.build()).rc;
    }
    /// GetCapability(TPM_CAP_PP_COMMANDS) from TPM_CC_FIRST.
    std::vector<std::uint32_t> listed() {
        auto r = run(t, command_builder(cc::get_capability).u32(3).u32(0).u32(64).build());
        REQUIRE(r.rc == 0);
        (void)r.u8();           // moreData
        REQUIRE(r.u32() == 3);  // TPM_CAP_PP_COMMANDS
        const auto n = r.u32();
        std::vector<std::uint32_t> v;
        for (std::uint32_t i = 0; i < n; ++i) v.push_back(r.u32());
        REQUIRE(r.ok);
        return v;
    }
    /// HierarchyControl(TPM_RH_PLATFORM: enable shEnable) with Platform Authorization.
    std::uint32_t hierarchy_control() {
        return run(t, command_builder(cc::hierarchy_control).handle(rh::platform).password().u32(rh::owner).u8(1).build()).rc;
    }
};

} // namespace

TEST_CASE("PP_Commands: needs Physical Presence itself; the list in GetCapability and enforced", "[pp_commands]") {
    fixture f;
    // After manufacture only PP_Commands needs Physical Presence.
    CHECK(f.listed() == std::vector<std::uint32_t>{CC_PP_COMMANDS});
    CHECK(f.pp_commands({CC_CLEAR}, {}) == S(RC_PP, 1));
    CHECK(f.listed() == std::vector<std::uint32_t>{CC_PP_COMMANDS});
    f.t.set_physical_presence(true);
    // GetRandom and PCR_Extend have no platform handle and a vendor code is not implemented:
    // discarded. ClearControl is in both lists: not gated.
    REQUIRE(f.pp_commands({CC_CLEAR, CC_HIERARCHY_CONTROL, CC_GET_RANDOM, CC_PCR_EXTEND, CC_VENDOR, CC_CLEAR_CONTROL,
                           CC_NV_DEFINE_SPACE},
                          {CC_CLEAR_CONTROL, CC_PP_COMMANDS}) == 0);
    CHECK(f.listed() == std::vector<std::uint32_t>{CC_HIERARCHY_CONTROL, CC_CLEAR, CC_NV_DEFINE_SPACE, CC_PP_COMMANDS});
    CHECK(f.hierarchy_control() == 0);
    f.t.set_physical_presence(false);
    CHECK(f.hierarchy_control() == S(RC_PP, 1));
    // Owner authorization of a gated command needs no Physical Presence.
    const bytes nv_pub{0x01, 0x50, 0x00, 0x01, 0x00, 0x0B, 0x00, 0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08};
    CHECK(run(f.t, command_builder(cc::nv_define_space).handle(rh::owner).password().b2b({}).b2b(nv_pub).build()).rc == 0);
    SECTION("the list is NV: it survives save_state / load_state and Startup") {
        const bytes st = f.t.save_state();
        tpm_t u{testing::seeded_crypto()};
        REQUIRE_FALSE(u.load_state(st).has_value());
        u.power_on();
        REQUIRE(run(u, testing::startup_command()).rc == 0);
        auto cmd = command_builder(cc::hierarchy_control).handle(rh::platform).password().u32(rh::owner).u8(1).build();
        CHECK(run(u, cmd).rc == S(RC_PP, 1));
        u.set_physical_presence(true);
        CHECK(run(u, cmd).rc == 0);
    }
    SECTION("clearList removes commands") {
        f.t.set_physical_presence(true);
        REQUIRE(f.pp_commands({}, {CC_HIERARCHY_CONTROL, CC_CLEAR}) == 0);
        CHECK(f.listed() == std::vector<std::uint32_t>{CC_NV_DEFINE_SPACE, CC_PP_COMMANDS});
        f.t.set_physical_presence(false);
        CHECK(f.hierarchy_control() == 0);
    }
}

TEST_CASE("PP_Commands: only Platform Authorization (TPMI_RH_PLATFORM)", "[pp_commands]") {
    fixture f;
    f.t.set_physical_presence(true);
    auto r = run(f.t, command_builder(cc::pp_commands).handle(rh::owner).password().u32(0).u32(0).build());
    CHECK(r.rc == (RC_VALUE | (1u << 8))); // TPM_RC_VALUE + handle 1
}

// =========================================================================================
// TPM2_ReadOnlyControl
// =========================================================================================

namespace {

constexpr std::uint32_t RC_READ_ONLY = 0x156; // RC_VER1 + 0x056
constexpr std::uint32_t TPM_PT_STARTUP_CLEAR = 0x201; // PT_VAR + 1
// TPMA_NV bits (Part 2 Table 249), written out here.
constexpr std::uint32_t OWNERWRITE = 1u << 1, OWNERREAD = 1u << 17, ORDERLY = 1u << 26, CLEAR_STCLEAR = 1u << 27;

bytes be16(std::uint16_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
}
bytes nv_public(std::uint32_t h, std::uint32_t attrs, std::uint16_t size) {
    bytes r = be32(h);
    for (const auto& p : {be16(alg::sha256), be32(attrs), be16(0), be16(size)}) r.insert(r.end(), p.begin(), p.end());
    return r;
}

struct ro_fixture : fixture {
    std::uint32_t read_only_control(std::uint8_t state) {
        return run(t, command_builder(cc::read_only_control).handle(rh::platform).password().u8(state).build()).rc;
    }
    std::uint32_t startup_clear() {
        auto r = run(t, command_builder(cc::get_capability).u32(6).u32(TPM_PT_STARTUP_CLEAR).u32(1).build());
        REQUIRE(r.rc == 0);
        (void)r.u8();
        REQUIRE(r.u32() == 6);
        REQUIRE(r.u32() == 1);
        REQUIRE(r.u32() == TPM_PT_STARTUP_CLEAR);
        return r.u32();
    }
    std::uint32_t define(std::uint32_t h, std::uint32_t attrs, std::uint16_t size = 8) {
        return run(t, command_builder(cc::nv_define_space).handle(rh::owner).password().b2b({}).b2b(nv_public(h, attrs, size))
                          .build()).rc;
    }
    std::uint32_t nv_write(std::uint32_t h) {
        return run(t, command_builder(cc::nv_write).handle(rh::owner).handle(h).password().b2b(bytes(8, 1)).u16(0).build()).rc;
    }
    std::uint32_t create_primary() {
        const bytes tpl{0x00, 0x23, 0x00, 0x0B, 0x00, 0x03, 0x00, 0x72, 0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x00, 0x43,
                        0x00, 0x10, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00};
        auto r = run(t, command_builder(cc::create_primary).handle(rh::owner).password().b2b(bytes{0, 0, 0, 0}).b2b(tpl)
                            .b2b({}).u32(0).build());
        if (r.rc == 0) REQUIRE(run(t, command_builder(cc::flush_context).u32(r.u32()).build()).rc == 0);
        return r.rc;
    }
};

} // namespace

TEST_CASE("ReadOnlyControl: TPMA_STARTUP_CLEAR.readOnly and TPM_RC_READ_ONLY", "[read_only]") {
    ro_fixture f;
    REQUIRE(f.define(0x01500001, OWNERWRITE | OWNERREAD) == 0);
    REQUIRE(f.define(0x01500002, OWNERWRITE | OWNERREAD | ORDERLY | CLEAR_STCLEAR) == 0);
    CHECK((f.startup_clear() & (1u << 4)) == 0);
    CHECK(f.create_primary() == 0);
    REQUIRE(f.read_only_control(1) == 0);
    CHECK((f.startup_clear() & (1u << 4)) != 0);
    // Refused: object creation, NV definition, writes to an index that outlives the boot cycle.
    CHECK(f.create_primary() == RC_READ_ONLY);
    CHECK(f.define(0x01500003, OWNERWRITE | OWNERREAD) == RC_READ_ONLY);
    CHECK(f.nv_write(0x01500001) == RC_READ_ONLY);
    CHECK(run(f.t, command_builder(cc::nv_increment).handle(rh::owner).handle(0x01500001).password().build()).rc ==
          RC_READ_ONLY);
    CHECK(run(f.t, command_builder(cc::clear).handle(rh::platform).password().build()).rc == RC_READ_ONLY);
    // Permitted: an ORDERLY + CLEAR_STCLEAR index, reads, and the mode itself.
    CHECK(f.nv_write(0x01500002) == 0);
    CHECK(run(f.t, command_builder(cc::nv_read).handle(rh::owner).handle(0x01500002).password().u16(8).u16(0).build()).rc == 0);
    CHECK(run(f.t, command_builder(cc::get_random).u16(8).build()).rc == 0);
    SECTION("ReadOnlyControl(NO) ends it") {
        REQUIRE(f.read_only_control(0) == 0);
        CHECK((f.startup_clear() & (1u << 4)) == 0);
        CHECK(f.nv_write(0x01500001) == 0);
        CHECK(f.create_primary() == 0);
    }
    SECTION("kept by TPM Resume, cleared by TPM Restart") {
        REQUIRE(run(f.t, command_builder(cc::shutdown).u16(1).build()).rc == 0); // TPM_SU_STATE
        const bytes st = f.t.save_state();
        tpm_t u{testing::seeded_crypto()};
        REQUIRE_FALSE(u.load_state(st).has_value());
        u.power_on();
        REQUIRE(run(u, testing::startup_command(1)).rc == 0); // Resume
        CHECK(run(u, command_builder(cc::nv_write).handle(rh::owner).handle(0x01500001).password().b2b(bytes(8, 1)).u16(0)
                         .build()).rc == RC_READ_ONLY);
        REQUIRE(run(u, command_builder(cc::shutdown).u16(1).build()).rc == 0);
        u.reset();
        REQUIRE(run(u, testing::startup_command(0)).rc == 0); // Restart
        CHECK(run(u, command_builder(cc::nv_write).handle(rh::owner).handle(0x01500001).password().b2b(bytes(8, 1)).u16(0)
                         .build()).rc == 0);
    }
    SECTION("only Platform Authorization; PP when listed with PP_Commands") {
        CHECK(run(f.t, command_builder(cc::read_only_control).handle(rh::owner).password().u8(0).build()).rc ==
              (RC_VALUE | (1u << 8)));
        CHECK(run(f.t, command_builder(cc::read_only_control).handle(rh::platform).password().u8(2).build()).rc ==
              (RC_VALUE | 0x040 | (1u << 8)));
        f.t.set_physical_presence(true);
        REQUIRE(f.read_only_control(0) == 0);
        REQUIRE(f.pp_commands({cc::read_only_control}, {}) == 0);
        f.t.set_physical_presence(false);
        CHECK(f.read_only_control(1) == S(RC_PP, 1));
    }
}
