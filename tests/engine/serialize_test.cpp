// The state format: round trip, refusal of newer/corrupt/foreign states, resume across a
// save/load (a process restart).
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

bytes pcr_read_16() {
    return command_builder(cc::pcr_read).u32(1).u16(alg::sha256).u8(3).u8(0x01).u8(0).u8(0).build();
}
} // namespace

TEST_CASE("a saved state loads into a new instance with the same seeds and settings", "[state]") {
    tpm_t a{testing::seeded_crypto(1)};
    a.manufacture();
    a.power_on();
    REQUIRE(run(a, testing::startup_command()).rc == 0);
    // PCR 0 (saved by Shutdown(STATE)) gets a value.
    bytes digest(32, 0x11);
    REQUIRE(run(a, command_builder(cc::pcr_extend).handle(0).password().u32(1).u16(alg::sha256).raw(digest).build()).rc == 0);
    REQUIRE(run(a, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
    auto state = a.save_state();

    tpm_t b{testing::seeded_crypto(2)};
    REQUIRE_FALSE(b.load_state(state).has_value());
    CHECK(b.internals().nv.sh_proof == a.internals().nv.sh_proof);
    CHECK(b.internals().nv.eps == a.internals().nv.eps);
    b.power_on();
    REQUIRE(run(b, testing::startup_command(su::state)).rc == 0);
    auto pa = run(a, command_builder(cc::pcr_read).u32(1).u16(alg::sha256).u8(3).u8(1).u8(0).u8(0).build());
    auto pb = run(b, command_builder(cc::pcr_read).u32(1).u16(alg::sha256).u8(3).u8(1).u8(0).u8(0).build());
    CHECK(pa.data == pb.data);
    (void)pcr_read_16;
}

TEST_CASE("states that must not load are refused with a message, leaving the TPM unchanged", "[state]") {
    tpm_t a{testing::seeded_crypto(1)};
    a.manufacture();
    auto state = a.save_state();
    tpm_t b{testing::seeded_crypto(2)};
    b.manufacture();
    const auto proof = b.internals().nv.sh_proof;

    SECTION("corrupt") {
        state[30] ^= 1;
        auto err = b.load_state(state);
        REQUIRE(err);
        CHECK(err->find("corrupt") != std::string::npos);
    }
    SECTION("not a state") {
        bytes junk(100, 0);
        REQUIRE(b.load_state(junk));
    }
    SECTION("truncated") {
        state.resize(state.size() / 2);
        REQUIRE(b.load_state(state));
    }
    SECTION("from a newer format that this reader cannot read") {
        store_be16(state.data() + 10, state_format::version + 1); // min reader version
        auto err = b.load_state(state);
        REQUIRE(err);
        CHECK(err->find("upgrade") != std::string::npos);
    }
    CHECK(b.internals().nv.sh_proof == proof);
}

TEST_CASE("the state format starts with its magic and versions", "[state]") {
    tpm_t a{testing::seeded_crypto(1)};
    a.manufacture();
    auto s = a.save_state();
    CHECK(bytes(s.begin(), s.begin() + 8) == bytes{'V', 'T', 'P', 'M', 'S', 'T', 'A', 'T'});
    CHECK(load_be16(s.data() + 8) == 1);
    CHECK(load_be16(s.data() + 10) == 1);
}
