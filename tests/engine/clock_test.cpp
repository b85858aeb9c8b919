// Part 3 §29 Clocks and Timers: TPM2_ReadClock, TPM2_ClockSet, TPM2_ClockRateAdjust, driven
// by the test platform's manual millisecond clock.
#include <catch2/catch.hpp>

#include <cstdint>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using tpm_t = tpm<testing::deterministic_platform<>>;

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }

/// TPMS_TIME_INFO from a TPM2_ReadClock response.
struct time_info {
    std::uint64_t time = 0, clock = 0;
    std::uint32_t reset_count = 0, restart_count = 0;
    std::uint8_t safe = 0xFF;
};

time_info read_clock(tpm_t& t) {
    auto r = run(t, command_builder(cc::read_clock).build());
    REQUIRE(r.rc == 0);
    time_info ti;
    ti.time = r.u64();
    ti.clock = r.u64();
    ti.reset_count = r.u32();
    ti.restart_count = r.u32();
    ti.safe = r.u8();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 0);
    REQUIRE(r.size == 10 + 25);
    return ti;
}

void advance(std::uint64_t ms) { testing::manual_clock() += ms; }

bytes clock_set(std::uint64_t v, tpm_handle auth = rh::owner) {
    return command_builder(cc::clock_set).handle(auth).password().u64(v).build();
}
bytes rate_adjust(std::int8_t v) {
    return command_builder(cc::clock_rate_adjust).handle(rh::owner).password().u8(static_cast<std::uint8_t>(v)).build();
}

} // namespace

TEST_CASE("TPM2_ReadClock: Clock and Time advance with the platform clock", "[clock]") {
    auto t = started();
    auto a = read_clock(t);
    CHECK(a.safe == 1);
    CHECK(a.restart_count == 0);
    advance(5000);
    auto b = read_clock(t);
    CHECK(b.time - a.time >= 4999);
    CHECK(b.time - a.time <= 5001);
    CHECK(b.clock - a.clock >= 4999);
    CHECK(b.clock - a.clock <= 5001);
    CHECK(b.reset_count == a.reset_count);

    SECTION("Time restarts at _TPM_Init; Clock does not") {
        REQUIRE(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
        t.reset();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
        auto c = read_clock(t);
        CHECK(c.time <= 1);
        CHECK(c.clock >= b.clock);
        CHECK(c.clock <= b.clock + 1);
        CHECK(c.reset_count == b.reset_count + 1);
    }
}

TEST_CASE("TPM2_ClockSet", "[clock]") {
    auto t = started();
    const auto now = read_clock(t).clock;

    SECTION("forward") {
        CHECK(run(t, clock_set(now + 1'000'000)).rc == 0);
        auto c = read_clock(t).clock;
        CHECK(c >= now + 1'000'000);
        CHECK(c <= now + 1'000'001);
        advance(250);
        CHECK(read_clock(t).clock - c == 250);
        // Platform authorization works too.
        CHECK(run(t, clock_set(now + 2'000'000, rh::platform)).rc == 0);
        // The NV copy follows at once.
        CHECK(t.internals().nv.clock == now + 2'000'000);
    }
    SECTION("to the current value") {
        CHECK(run(t, clock_set(now)).rc == 0);
    }
    SECTION("backwards: TPM_RC_VALUE + P1, Clock unchanged") {
        advance(10);
        CHECK(run(t, clock_set(now)).rc == 0x1C4);
        CHECK(read_clock(t).clock == now + 10);
    }
    SECTION("beyond FFFF000000000000: TPM_RC_VALUE + P1") {
        CHECK(run(t, clock_set(0xFFFF000000000001ull)).rc == 0x1C4);
        CHECK(run(t, clock_set(0xFFFFFFFFFFFFFFFFull)).rc == 0x1C4);
        CHECK(read_clock(t).clock == now);
        CHECK(run(t, clock_set(0xFFFF000000000000ull)).rc == 0);
        CHECK(read_clock(t).clock == 0xFFFF000000000000ull);
    }
    SECTION("authorization") {
        // No authorization session: TPM_RC_AUTH_MISSING.
        CHECK(run(t, command_builder(cc::clock_set).handle(rh::owner).u64(now + 5).build()).rc == 0x125);
        // A wrong password: TPM_RC_BAD_AUTH + S1.
        const std::uint8_t pw[] = {'x'};
        CHECK(run(t, command_builder(cc::clock_set).handle(rh::owner).password(pw).u64(now + 5).build()).rc == 0x9A2);
        // Not TPMI_RH_PROVISION: TPM_RC_VALUE + H1.
        CHECK(run(t, clock_set(now + 5, rh::endorsement)).rc == 0x184);
        CHECK(read_clock(t).clock == now);
    }
    SECTION("short and trailing parameters") {
        CHECK(run(t, command_builder(cc::clock_set).handle(rh::owner).password().u32(1).build()).rc == 0x1DA);
        CHECK(run(t, command_builder(cc::clock_set).handle(rh::owner).password().u64(now + 5).u8(0).build()).rc == 0x095);
    }
    SECTION("NV unavailable: TPM_RC_NV_UNAVAILABLE") {
        t.set_nv_available(false);
        CHECK(run(t, clock_set(now + 5)).rc == 0x923);
        CHECK(read_clock(t).clock == now);
    }
}

TEST_CASE("TPM2_ClockRateAdjust", "[clock]") {
    auto t = started();
    auto& e = t.internals();

    SECTION("values outside TPM_CLOCK_ADJUST: TPM_RC_VALUE + P1") {
        for (int v : {4, -4, 127, -128}) {
            INFO("rateAdjust " << v);
            CHECK(run(t, rate_adjust(static_cast<std::int8_t>(v))).rc == 0x1C4);
        }
        CHECK(e.nv.clock_adjust == 0);
    }
    SECTION("every defined value is accepted; steps accumulate") {
        for (int v = -3; v <= 3; ++v) CHECK(run(t, rate_adjust(static_cast<std::int8_t>(v))).rc == 0);
        CHECK(e.nv.clock_adjust == 0); // they cancel out
        CHECK(run(t, rate_adjust(3)).rc == 0);
        CHECK(run(t, rate_adjust(3)).rc == 0);
        CHECK(run(t, rate_adjust(-1)).rc == 0);
        CHECK(e.nv.clock_adjust == 19); // +1 % +1 % -0.1 %
    }
    SECTION("Clock runs faster or slower; Time does not change rate") {
        const auto a = read_clock(t);
        CHECK(run(t, rate_adjust(3)).rc == 0); // coarse: +1 %
        advance(10000);
        const auto b = read_clock(t);
        CHECK(b.clock - a.clock == 10100);
        CHECK(b.time - a.time == 10000);
        // Back to nominal: Clock continues from where it was, without a jump.
        CHECK(run(t, rate_adjust(-3)).rc == 0);
        CHECK(read_clock(t).clock == b.clock);
        advance(1000);
        CHECK(read_clock(t).clock - b.clock == 1000);
        // Slower.
        CHECK(run(t, rate_adjust(-3)).rc == 0);
        const auto c = read_clock(t);
        advance(10000);
        CHECK(read_clock(t).clock - c.clock == 9900);
    }
    SECTION("no more than 10 % from nominal") {
        for (int i = 0; i < 10; ++i) REQUIRE(run(t, rate_adjust(3)).rc == 0);
        CHECK(run(t, rate_adjust(3)).rc == 0x1C4);
        CHECK(run(t, rate_adjust(1)).rc == 0x1C4);
        CHECK(e.nv.clock_adjust == 100);
        CHECK(run(t, rate_adjust(-1)).rc == 0);
    }
    SECTION("authorization is required") {
        CHECK(run(t, command_builder(cc::clock_rate_adjust).handle(rh::owner).u8(1).build()).rc == 0x125);
    }
}
