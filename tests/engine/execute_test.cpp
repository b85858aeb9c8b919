// The command pipeline: header checks, mode checks, handle and authorization areas,
// start-up sequences, profiles, instance independence. Expected codes from Part 2/Part 3.
#include <catch2/catch.hpp>

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

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }
bytes get_random(std::uint16_t n) { return command_builder(cc::get_random).u16(n).build(); }
} // namespace

TEST_CASE("TPM2_Startup is required first; a second one is TPM_RC_INITIALIZE", "[engine]") {
    tpm_t t{testing::seeded_crypto()};
    t.manufacture();
    t.power_on();
    CHECK(run(t, get_random(8)).rc == 0x100);
    CHECK(run(t, testing::startup_command()).rc == 0);
    CHECK(run(t, testing::startup_command()).rc == 0x100);
    auto r = run(t, get_random(8));
    CHECK(r.rc == 0);
    CHECK(r.size == 20);
}

TEST_CASE("header validation (Part 3 §5.2)", "[engine]") {
    auto t = started();
    auto cmd = get_random(8);
    SECTION("bad tag answers TPM_RC_BAD_TAG with tag TPM_ST_RSP_COMMAND") {
        cmd[1] = 0x03;
        auto r = run(t, cmd);
        CHECK(r.rc == 0x01E);
        CHECK(r.tag == 0x00C4);
    }
    SECTION("size field larger than the buffer") {
        cmd[5] += 1;
        CHECK(run(t, cmd).rc == 0x142);
    }
    SECTION("size field smaller than the buffer") {
        cmd.push_back(0);
        CHECK(run(t, cmd).rc == 0x142);
    }
    SECTION("a command shorter than a header") {
        CHECK(run(t, bytes{0x80}).rc == 0x09A);
        CHECK(run(t, bytes{0x80, 0x01, 0, 0}).rc == 0x09A);
        bytes six{0x80, 0x01, 0, 0, 0, 6};
        CHECK(run(t, six).rc == 0x09A);
    }
    SECTION("unknown command code") {
        CHECK(run(t, command_builder(0x0000011E).build()).rc == 0x143);
        CHECK(run(t, command_builder(0x20000000).build()).rc == 0x143);
        // TPM2_FieldUpgradeStart exists in the spec but not in this profile.
        CHECK(run(t, command_builder(cc::field_upgrade_start).build()).rc == 0x143);
    }
    SECTION("oversized command") {
        bytes big = command_builder(cc::get_random).u16(8).raw(bytes(5000, 0)).build();
        CHECK(run(t, big).rc == 0x142);
    }
}

TEST_CASE("parameter area: short, trailing and bad values", "[engine]") {
    auto t = started();
    CHECK(run(t, command_builder(cc::get_random).u8(0).build()).rc == 0x1DA);     // INSUFFICIENT + P1
    CHECK(run(t, command_builder(cc::get_random).u16(8).u8(0).build()).rc == 0x095); // SIZE
    CHECK(run(t, command_builder(cc::shutdown).u16(7).build()).rc == 0x1C4);     // VALUE + P1
    CHECK(run(t, command_builder(cc::self_test).u8(2).build()).rc == 0x1C4);     // VALUE + P1
}

TEST_CASE("handle area: bad values carry the handle number", "[engine]") {
    auto t = started();
    // PCR_Reset with a PCR handle beyond the PCRs: TPM_RC_VALUE + H1.
    CHECK(run(t, command_builder(cc::pcr_reset).handle(24).password().build()).rc == 0x184);
    // PCR_Allocate needs TPM_RH_PLATFORM: TPM_RC_VALUE + H1.
    CHECK(run(t, command_builder(cc::pcr_allocate).handle(rh::owner).password().u32(0).build()).rc == 0x184);
    // A transient handle that is not loaded: TPM_RC_REFERENCE_H0.
    CHECK(run(t, command_builder(cc::sequence_update).handle(0x80000005).password().b2b({}).build()).rc == 0x910);
    // Missing handle bytes: TPM_RC_INSUFFICIENT.
    CHECK(run(t, command_builder(cc::pcr_reset).build()).rc == 0x09A);
}

TEST_CASE("authorization area (Part 3 §5.5)", "[engine]") {
    auto t = started();
    auto clockset = [](command_builder b) { return b.u64(0xFFFFFFFFFFULL).build(); };
    SECTION("an @handle without sessions is TPM_RC_AUTH_MISSING") {
        CHECK(run(t, clockset(command_builder(cc::clock_set).handle(rh::owner))).rc == 0x125);
    }
    SECTION("sessions on a no-sessions command are TPM_RC_AUTH_CONTEXT") {
        auto r = run(t, command_builder(cc::flush_context).password().u32(0x80000000).build());
        CHECK(r.rc == 0x145);
    }
    SECTION("authorizationSize out of range is TPM_RC_AUTHSIZE") {
        auto c = command_builder(cc::pcr_reset).handle(16).password().build();
        store_be32(c.data() + 14, 3);
        CHECK(run(t, c).rc == 0x144);
        store_be32(c.data() + 14, 0x1000);
        CHECK(run(t, c).rc == 0x144);
    }
    SECTION("a session handle that is not a session is TPM_RC_HANDLE + S1") {
        auto c = command_builder(cc::pcr_reset).handle(16).session(0x40000001, {}, 1, {}).build();
        CHECK(run(t, c).rc == 0x98B);
    }
    SECTION("an HMAC session that is not loaded is TPM_RC_REFERENCE_S0") {
        auto c = command_builder(cc::pcr_reset).handle(16).session(0x02000000, {}, 1, {}).build();
        CHECK(run(t, c).rc == 0x918);
    }
    SECTION("a password session with a nonce is TPM_RC_NONCE + S1") {
        const std::uint8_t n[] = {1};
        auto c = command_builder(cc::pcr_reset).handle(16).session(rh::pw, n, 1, {}).build();
        CHECK(run(t, c).rc == 0x98F);
    }
    SECTION("reserved session attributes are TPM_RC_RESERVED_BITS + S1") {
        auto c = command_builder(cc::pcr_reset).handle(16).session(rh::pw, {}, 0x08, {}).build();
        CHECK(run(t, c).rc == 0x9A1);
    }
    SECTION("a wrong password is TPM_RC_BAD_AUTH + S1; the right one works") {
        const std::uint8_t pw[] = {'x'};
        CHECK(run(t, clockset(command_builder(cc::clock_set).handle(rh::owner).password(pw))).rc == 0x9A2);
        CHECK(run(t, clockset(command_builder(cc::clock_set).handle(rh::owner).password())).rc == 0);
    }
    SECTION("more than three sessions is TPM_RC_AUTHSIZE") {
        auto c = command_builder(cc::pcr_reset).handle(16).password().password().password().password().build();
        CHECK(run(t, c).rc == 0x144);
    }
    SECTION("a response to a command with a password session carries the session area") {
        auto r = run(t, command_builder(cc::pcr_reset).handle(16).password().build());
        REQUIRE(r.rc == 0);
        CHECK(r.tag == st::sessions);
        CHECK(r.u32() == 0); // parameterSize
        CHECK(r.u16() == 0); // nonceTPM
        CHECK(r.u8() == 1);  // continueSession
        CHECK(r.u16() == 0); // hmac
        CHECK(r.remaining() == 0);
        CHECK(r.size == 19);
    }
}

TEST_CASE("Shutdown/Startup: Reset, Restart, Resume", "[engine]") {
    auto t = started();
    auto& e = t.internals();
    const auto resets = e.nv.reset_count;
    SECTION("Startup(STATE) without Shutdown(STATE) is TPM_RC_VALUE + P1") {
        t.power_off();
        t.power_on();
        CHECK(run(t, testing::startup_command(su::state)).rc == 0x1C4);
        CHECK(run(t, testing::startup_command(su::clear)).rc == 0);
        CHECK(e.nv.reset_count == resets + 1);
    }
    SECTION("Shutdown(STATE) then Startup(STATE) is a TPM Resume") {
        CHECK(run(t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
        t.power_off();
        t.power_on();
        CHECK(run(t, testing::startup_command(su::state)).rc == 0);
        CHECK(e.nv.reset_count == resets);
        CHECK(e.nv.restart_count == 1);
    }
    SECTION("Shutdown(STATE) then Startup(CLEAR) is a TPM Restart") {
        CHECK(run(t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
        t.power_off();
        t.power_on();
        CHECK(run(t, testing::startup_command(su::clear)).rc == 0);
        CHECK(e.nv.reset_count == resets);
        CHECK(e.nv.restart_count == 1);
    }
    SECTION("Shutdown(CLEAR) then Startup(STATE) fails; Startup(CLEAR) is a TPM Reset") {
        CHECK(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
        t.power_off();
        t.power_on();
        CHECK(run(t, testing::startup_command(su::state)).rc == 0x1C4);
        CHECK(run(t, testing::startup_command(su::clear)).rc == 0);
        CHECK(e.nv.reset_count == resets + 1);
        CHECK(e.nv.restart_count == 0);
    }
    SECTION("power_on on a powered TPM is a no-op") {
        t.power_on();
        CHECK(run(t, get_random(4)).rc == 0);
    }
}

TEST_CASE("GetRandom returns at most 64 bytes, and different bytes each time", "[engine]") {
    auto t = started();
    auto a = run(t, get_random(100));
    REQUIRE(a.rc == 0);
    auto ab = a.b2b();
    CHECK(ab.size() == 64);
    auto b = run(t, get_random(32)).b2b();
    CHECK(b.size() == 32);
    CHECK(bytes(ab.begin(), ab.begin() + 32) != b);
    CHECK(run(t, get_random(0)).b2b().empty());
    const std::uint8_t entropy[] = {1, 2, 3};
    CHECK(run(t, command_builder(cc::stir_random).b2b(entropy).build()).rc == 0);
    CHECK(run(t, command_builder(cc::stir_random).b2b(bytes(129, 1)).build()).rc == 0x1D5); // SIZE + P1
}

TEST_CASE("two instances in one process are independent", "[engine]") {
    tpm_t a{testing::seeded_crypto(1)}, b{testing::seeded_crypto(2)};
    a.manufacture();
    b.manufacture();
    a.power_on();
    b.power_on();
    CHECK(run(a, testing::startup_command()).rc == 0);
    // b is not started: a's start-up does not touch it.
    CHECK(run(b, get_random(8)).rc == 0x100);
    CHECK(run(b, testing::startup_command()).rc == 0);
    CHECK(run(a, get_random(16)).b2b() != run(b, get_random(16)).b2b());
    CHECK(a.internals().nv.sh_proof != b.internals().nv.sh_proof);
    // Power-cycling one leaves the other running.
    a.power_off();
    CHECK(run(b, get_random(8)).rc == 0);
    CHECK(run(a, get_random(8)).rc == 0x101);
}

TEST_CASE("failure mode allows only GetTestResult and GetCapability", "[engine]") {
    auto t = started();
    t.force_failure();
    CHECK(run(t, get_random(8)).rc == 0x101);
    auto r = run(t, command_builder(cc::get_test_result).build());
    REQUIRE(r.rc == 0);
    auto data = r.b2b();
    CHECK(data.size() == 8);
    CHECK(r.u32() == 0x101);
    CHECK(run(t, command_builder(cc::get_capability).u32(cap::tpm_properties).u32(pt::pcr_count).u32(1).build()).rc == 0);
    // With sessions even GetCapability is refused.
    CHECK(run(t, command_builder(cc::get_test_result).tag(st::sessions).build()).rc == 0x101);
}

TEST_CASE("SelfTest, IncrementalSelfTest and GetTestResult", "[engine]") {
    auto t = started();
    CHECK(run(t, command_builder(cc::self_test).u8(1).build()).rc == 0);
    auto inc = run(t, command_builder(cc::incremental_self_test).u32(2).u16(alg::sha1).u16(alg::sha256).build());
    REQUIRE(inc.rc == 0);
    CHECK(inc.u32() == 0); // nothing left to do
    auto r = run(t, command_builder(cc::get_test_result).build());
    REQUIRE(r.rc == 0);
    CHECK(r.b2b().empty());
    CHECK(r.u32() == 0);
}

namespace {
inline constexpr config::profile no_get_random = [] {
    auto p = config::profiles::full;
    p.disable(cc::get_random);
    return p;
}();
}

TEST_CASE("a profile without a command answers TPM_RC_COMMAND_CODE for it", "[engine]") {
    using small = testing::deterministic_platform<no_get_random>;
    tpm<small> t{testing::seeded_crypto()};
    t.manufacture();
    t.power_on();
    REQUIRE(run(t, testing::startup_command()).rc == 0);
    CHECK(run(t, get_random(8)).rc == 0x143);
    CHECK(find_command<small>(cc::get_random) == nullptr);
    CHECK(find_command<small>(cc::stir_random) != nullptr);
    // Dispatch is one dense array indexed by command code.
    CHECK(dispatch_table<small>.size() == cc::last - cc::first + 1);
}

TEST_CASE("FlushContext of something not loaded is TPM_RC_HANDLE + P1", "[engine]") {
    auto t = started();
    CHECK(run(t, command_builder(cc::flush_context).u32(0x80000001).build()).rc == 0x1CB);
    CHECK(run(t, command_builder(cc::flush_context).u32(0x02000000).build()).rc == 0x1CB);
    CHECK(run(t, command_builder(cc::flush_context).u32(0x40000001).build()).rc == 0x1C4);
}

TEST_CASE("GetRandom returns the next bytes of the TPM's DRBG", "[engine]") {
    // The seeded DRBG itself is checked against an independent SP800-90A HMAC_DRBG in
    // tests/crypto/botan_backend_test.cpp; here: GetRandom hands out exactly its output.
    tpm_t a{testing::seeded_crypto(7)}, b{testing::seeded_crypto(7)};
    for (auto* t : {&a, &b}) {
        t->manufacture();
        t->power_on();
        REQUIRE(run(*t, testing::startup_command()).rc == 0);
    }
    auto r = run(a, get_random(32));
    REQUIRE(r.rc == 0);
    bytes direct(32);
    b.internals().crypto.random(direct);
    CHECK(r.b2b() == direct);
    // StirRandom feeds the DRBG: after the same stir both agree again.
    const std::uint8_t entropy[] = {9, 8, 7};
    REQUIRE(run(a, command_builder(cc::stir_random).b2b(entropy).build()).rc == 0);
    b.internals().crypto.stir(entropy);
    b.internals().crypto.random(direct);
    CHECK(run(a, get_random(32)).b2b() == direct);
}
