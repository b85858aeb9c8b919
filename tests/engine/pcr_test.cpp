// PCR commands (Part 3 §22) through the command pipeline, as raw bytes. Expected PCR values
// are computed at test time by Python's hashlib (an implementation independent of the
// library's Botan backend); expected codes come from Part 2 §6.6 and Part 3 §22.
#include <catch2/catch.hpp>

#include <support/oracle.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

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

// --- the independent oracle: /usr/bin/python3 -------------------------------------------

using vtpm_test::python;
/// H(data) with hashlib's name for the algorithm.
bytes py_hash(const char* name, byte_view data) {
    return from_hex(python("import hashlib\nprint(hashlib.new('" + std::string(name) + "', bytes.fromhex('" +
                           to_hex(data) + "')).hexdigest())"));
}
/// The extend operation of Part 1: H(old || digest).
bytes py_extend(const char* name, byte_view old, byte_view digest) {
    bytes cat(old.begin(), old.end());
    cat.insert(cat.end(), digest.begin(), digest.end());
    return py_hash(name, cat);
}

// --- command helpers -------------------------------------------------------------------

bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }
bytes zeros(std::size_t n) { return bytes(n, 0); }
bytes ones(std::size_t n) { return bytes(n, 0xFF); }

tpm_t started(std::uint8_t startup_locality = 0) { return vtpm_test::started_tpm<tpm_t>(0, startup_locality); }

struct digest_in {
    tpm_alg_id alg;
    bytes value;
};
bytes pcr_extend(tpm_handle pcr, std::initializer_list<digest_in> ds, byte_view password = {}) {
    command_builder b(cc::pcr_extend);
    b.handle(pcr).password(password).u32(static_cast<std::uint32_t>(ds.size()));
    for (const auto& d : ds) b.u16(d.alg).raw(d.value);
    return b.build();
}
bytes pcr_event(tpm_handle pcr, byte_view data, byte_view password = {}) {
    return command_builder(cc::pcr_event).handle(pcr).password(password).b2b(data).build();
}
bytes pcr_reset(tpm_handle pcr) { return command_builder(cc::pcr_reset).handle(pcr).password().build(); }

struct selection {
    tpm_alg_id alg;
    std::vector<std::uint8_t> select; // sizeofSelect = select.size()
};
command_builder& put_selections(command_builder& b, std::initializer_list<selection> sels) {
    b.u32(static_cast<std::uint32_t>(sels.size()));
    for (const auto& s : sels) {
        b.u16(s.alg).u8(static_cast<std::uint8_t>(s.select.size()));
        for (auto v : s.select) b.u8(v);
    }
    return b;
}
bytes pcr_read(std::initializer_list<selection> sels) {
    command_builder b(cc::pcr_read);
    return put_selections(b, sels).build();
}
/// Selection bytes (3 of them) for a list of PCRs.
std::vector<std::uint8_t> pcrs(std::initializer_list<unsigned> list) {
    std::vector<std::uint8_t> s(3, 0);
    for (auto p : list) s[p / 8] = static_cast<std::uint8_t>(s[p / 8] | 1u << (p % 8));
    return s;
}

/// A parsed PCR_Read response.
struct read_result {
    std::uint32_t rc = 0;
    std::uint32_t counter = 0;
    std::vector<selection> selections;
    std::vector<bytes> values;
};
read_result read(tpm_t& t, std::initializer_list<selection> sels) {
    auto r = run(t, pcr_read(sels));
    read_result out;
    out.rc = r.rc;
    if (r.rc != 0) return out;
    out.counter = r.u32();
    auto n = r.u32();
    for (std::uint32_t i = 0; i < n; ++i) {
        selection s;
        s.alg = r.u16();
        auto size = r.u8();
        for (unsigned k = 0; k < size; ++k) s.select.push_back(r.u8());
        out.selections.push_back(s);
    }
    auto m = r.u32();
    for (std::uint32_t i = 0; i < m; ++i) out.values.push_back(r.b2b());
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 0);
    return out;
}
/// The value of one PCR in one bank.
bytes pcr_value(tpm_t& t, tpm_alg_id a, unsigned pcr) {
    auto r = read(t, {{a, pcrs({pcr})}});
    REQUIRE(r.rc == 0);
    REQUIRE(r.values.size() == 1);
    return r.values[0];
}
std::uint32_t update_counter(tpm_t& t) { return read(t, {{alg::sha256, {0, 0, 0}}}).counter; }

/// Power cycle: Shutdown(type), _TPM_Init after power loss, Startup(type).
void power_cycle(tpm_t& t, std::uint16_t shutdown_type, std::uint16_t startup_type, std::uint32_t expect_rc = 0) {
    REQUIRE(run(t, command_builder(cc::shutdown).u16(shutdown_type).build()).rc == 0);
    t.power_off();
    t.power_on();
    REQUIRE(run(t, testing::startup_command(startup_type)).rc == expect_rc);
}

const bytes d1 = from_hex("00112233445566778899aabbccddeeff00112233");                                 // 20 octets
const bytes d2 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");         // 32 octets

} // namespace

TEST_CASE("PCR_Extend extends each bank with its digest: H(old || digest)", "[pcr]") {
    auto t = started();
    const auto c0 = update_counter(t);
    REQUIRE(run(t, pcr_extend(3, {{alg::sha1, d1}, {alg::sha256, d2}})).rc == 0);
    const auto sha1_1 = py_extend("sha1", zeros(20), d1);
    const auto sha256_1 = py_extend("sha256", zeros(32), d2);
    CHECK(pcr_value(t, alg::sha1, 3) == sha1_1);
    CHECK(pcr_value(t, alg::sha256, 3) == sha256_1);
    // Once per bank (Part 3 §22.1).
    CHECK(update_counter(t) == c0 + 2);

    SECTION("a bank without a digest in the list is not changed") {
        REQUIRE(run(t, pcr_extend(3, {{alg::sha256, d2}})).rc == 0);
        CHECK(pcr_value(t, alg::sha1, 3) == sha1_1);
        CHECK(pcr_value(t, alg::sha256, 3) == py_extend("sha256", sha256_1, d2));
        CHECK(update_counter(t) == c0 + 3);
    }
    SECTION("two digests for one bank extend it twice, in list order") {
        const bytes d3(32, 0x5A);
        REQUIRE(run(t, pcr_extend(3, {{alg::sha256, d3}, {alg::sha256, d2}})).rc == 0);
        CHECK(pcr_value(t, alg::sha256, 3) == py_extend("sha256", py_extend("sha256", sha256_1, d3), d2));
    }
    SECTION("a digest for an implemented hash without an allocated bank is not used") {
        REQUIRE(run(t, pcr_extend(3, {{alg::sha384, bytes(48, 1)}})).rc == 0);
        CHECK(pcr_value(t, alg::sha1, 3) == sha1_1);
        CHECK(pcr_value(t, alg::sha256, 3) == sha256_1);
        CHECK(update_counter(t) == c0 + 2);
    }
    SECTION("TPM_RH_NULL processes the parameters and changes nothing") {
        CHECK(run(t, pcr_extend(rh::null, {{alg::sha256, d2}})).rc == 0);
        CHECK(pcr_value(t, alg::sha256, 3) == sha256_1);
        CHECK(update_counter(t) == c0 + 2);
        // ... but still checks them: an unknown hash is TPM_RC_HASH + P1.
        CHECK(run(t, pcr_extend(rh::null, {{0x00B0, {}}})).rc == 0x1C3);
    }
    SECTION("an empty list is allowed") {
        CHECK(run(t, pcr_extend(3, {})).rc == 0);
        CHECK(update_counter(t) == c0 + 2);
    }
}

TEST_CASE("PCR_Extend errors", "[pcr]") {
    auto t = started();
    SECTION("hash algorithm that is not implemented or not a hash: TPM_RC_HASH + P1") {
        CHECK(run(t, pcr_extend(0, {{0x00B0, d2}})).rc == 0x1C3);
        CHECK(run(t, pcr_extend(0, {{alg::hmac, d2}})).rc == 0x1C3);
    }
    SECTION("a digest shorter than its algorithm: TPM_RC_INSUFFICIENT + P1") {
        CHECK(run(t, pcr_extend(0, {{alg::sha256, bytes(31, 0)}})).rc == 0x1DA);
    }
    SECTION("more digests than TPML_DIGEST_VALUES holds: TPM_RC_SIZE + P1") {
        auto cmd = command_builder(cc::pcr_extend).handle(0).password().u32(9).build();
        CHECK(run(t, cmd).rc == 0x1D5);
    }
    SECTION("trailing bytes: TPM_RC_SIZE") {
        auto cmd = command_builder(cc::pcr_extend).handle(0).password().u32(0).u8(0).build();
        CHECK(run(t, cmd).rc == 0x095);
    }
    SECTION("PCR beyond the implemented ones, or not a PCR: TPM_RC_VALUE + H1") {
        CHECK(run(t, pcr_extend(24, {{alg::sha256, d2}})).rc == 0x184);
        CHECK(run(t, pcr_extend(rh::owner, {{alg::sha256, d2}})).rc == 0x184);
    }
    SECTION("no authorization session: TPM_RC_AUTH_MISSING") {
        auto cmd = command_builder(cc::pcr_extend).handle(0).u32(0).build();
        CHECK(run(t, cmd).rc == 0x125);
    }
    SECTION("PCR 17 (D-RTM) from locality 0: TPM_RC_LOCALITY, and nothing changes") {
        CHECK(run(t, pcr_extend(17, {{alg::sha256, d2}})).rc == 0x907);
        CHECK(pcr_value(t, alg::sha256, 17) == ones(32));
        // Localities 2, 3 and 4 may extend it (PC Client).
        CHECK(run(t, pcr_extend(17, {{alg::sha256, d2}}), 1).rc == 0x907);
        CHECK(run(t, pcr_extend(17, {{alg::sha256, d2}}), 2).rc == 0);
        CHECK(pcr_value(t, alg::sha256, 17) == py_extend("sha256", ones(32), d2));
    }
}

TEST_CASE("PCR_Event hashes the data with each allocated bank and extends", "[pcr]") {
    auto t = started();
    const auto data = str("an event for PCR 5");
    const auto h1 = py_hash("sha1", data);
    const auto h256 = py_hash("sha256", data);
    const auto c0 = update_counter(t);

    auto check_digests = [&](testing::response& r) {
        REQUIRE(r.rc == 0);
        CHECK(r.parameter_size() == 4 + 2 + 20 + 2 + 32);
        CHECK(r.u32() == 2);
        CHECK(r.u16() == alg::sha1);
        CHECK(r.take(20) == h1);
        CHECK(r.u16() == alg::sha256);
        CHECK(r.take(32) == h256);
    };
    SECTION("PCR 5") {
        auto r = run(t, pcr_event(5, data));
        check_digests(r);
        CHECK(pcr_value(t, alg::sha1, 5) == py_extend("sha1", zeros(20), h1));
        CHECK(pcr_value(t, alg::sha256, 5) == py_extend("sha256", zeros(32), h256));
        CHECK(update_counter(t) == c0 + 2);
    }
    SECTION("TPM_RH_NULL returns the digests and extends nothing") {
        auto r = run(t, pcr_event(rh::null, data));
        check_digests(r);
        CHECK(pcr_value(t, alg::sha256, 5) == zeros(32));
        CHECK(update_counter(t) == c0);
    }
    SECTION("empty event data is hashed too") {
        auto r = run(t, pcr_event(5, {}));
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        CHECK(r.u32() == 2);
        CHECK(r.u16() == alg::sha1);
        CHECK(r.take(20) == py_hash("sha1", {}));
        CHECK(r.u16() == alg::sha256);
        CHECK(r.take(32) == py_hash("sha256", {}));
    }
    SECTION("1024 octets are accepted, 1025 are TPM_RC_SIZE + P1") {
        CHECK(run(t, pcr_event(5, bytes(1024, 7))).rc == 0);
        CHECK(run(t, pcr_event(5, bytes(1025, 7))).rc == 0x1D5);
    }
    SECTION("locality") {
        CHECK(run(t, pcr_event(17, data)).rc == 0x907);
        CHECK(run(t, pcr_event(22, data), 3).rc == 0x907);
        CHECK(run(t, pcr_event(22, data), 2).rc == 0);
        CHECK(pcr_value(t, alg::sha1, 22) == py_extend("sha1", ones(20), h1));
    }
}

TEST_CASE("PCR_Read returns exactly the values it lists in pcrSelectionOut", "[pcr]") {
    auto t = started();
    // Distinct values in PCR 0..9 of both banks.
    for (unsigned p = 0; p < 10; ++p) {
        REQUIRE(run(t, pcr_extend(p, {{alg::sha1, bytes(20, static_cast<std::uint8_t>(p))},
                                      {alg::sha256, bytes(32, static_cast<std::uint8_t>(p))}}))
                    .rc == 0);
    }
    auto expect1 = [](unsigned p) { return py_extend("sha1", zeros(20), bytes(20, static_cast<std::uint8_t>(p))); };
    auto expect256 = [](unsigned p) { return py_extend("sha256", zeros(32), bytes(32, static_cast<std::uint8_t>(p))); };

    SECTION("a few PCRs, in ascending order whatever the bit order") {
        auto r = read(t, {{alg::sha256, pcrs({9, 2, 0})}});
        REQUIRE(r.rc == 0);
        REQUIRE(r.selections.size() == 1);
        CHECK(r.selections[0].alg == alg::sha256);
        CHECK(r.selections[0].select == pcrs({0, 2, 9}));
        REQUIRE(r.values.size() == 3);
        CHECK(r.values[0] == expect256(0));
        CHECK(r.values[1] == expect256(2));
        CHECK(r.values[2] == expect256(9));
    }
    SECTION("at most 8 values; the bits of the others are cleared, the selectors stay") {
        auto r = read(t, {{alg::sha1, {0xFF, 0xFF, 0xFF}}, {alg::sha256, {0xFF, 0xFF, 0xFF}}});
        REQUIRE(r.rc == 0);
        REQUIRE(r.selections.size() == 2);
        CHECK(r.selections[0].alg == alg::sha1);
        CHECK(r.selections[0].select == std::vector<std::uint8_t>{0xFF, 0, 0});
        CHECK(r.selections[1].alg == alg::sha256);
        CHECK(r.selections[1].select == std::vector<std::uint8_t>{0, 0, 0});
        REQUIRE(r.values.size() == 8);
        for (unsigned p = 0; p < 8; ++p) CHECK(r.values[p] == expect1(p));
        // A client reads on with what was not returned.
        auto r2 = read(t, {{alg::sha1, {0x00, 0xFF, 0xFF}}, {alg::sha256, {0xFF, 0xFF, 0xFF}}});
        REQUIRE(r2.values.size() == 8);
        CHECK(r2.selections[0].select == std::vector<std::uint8_t>{0, 0xFF, 0});
        CHECK(r2.values[0] == expect1(8));
        CHECK(r2.values[1] == expect1(9));
        CHECK(r2.values[2] == zeros(20));
    }
    SECTION("the 8-value limit spans selections") {
        auto r = read(t, {{alg::sha1, pcrs({0, 1, 2, 3, 4})}, {alg::sha256, pcrs({5, 6, 7, 8, 9})}});
        REQUIRE(r.values.size() == 8);
        CHECK(r.selections[0].select == pcrs({0, 1, 2, 3, 4}));
        CHECK(r.selections[1].select == pcrs({5, 6, 7}));
        CHECK(r.values[4] == expect1(4));
        CHECK(r.values[5] == expect256(5));
        CHECK(r.values[7] == expect256(7));
    }
    SECTION("a bank that is not allocated returns nothing; its selector stays, cleared") {
        auto r = read(t, {{alg::sha384, pcrs({0, 1})}, {alg::sha256, pcrs({1})}});
        REQUIRE(r.rc == 0);
        REQUIRE(r.selections.size() == 2);
        CHECK(r.selections[0].alg == alg::sha384);
        CHECK(r.selections[0].select == std::vector<std::uint8_t>{0, 0, 0});
        CHECK(r.selections[1].select == pcrs({1}));
        REQUIRE(r.values.size() == 1);
        CHECK(r.values[0] == expect256(1));
    }
    SECTION("an empty selection list") {
        auto r = read(t, {});
        CHECK(r.rc == 0);
        CHECK(r.selections.empty());
        CHECK(r.values.empty());
    }
}

TEST_CASE("PCR_Read errors", "[pcr]") {
    auto t = started();
    SECTION("hash that is not implemented: TPM_RC_HASH + P1") {
        CHECK(read(t, {{0x00B0, pcrs({0})}}).rc == 0x1C3);
        CHECK(read(t, {{alg::null, pcrs({0})}}).rc == 0x1C3);
    }
    SECTION("sizeofSelect outside [PCR_SELECT_MIN, PCR_SELECT_MAX]: TPM_RC_VALUE + P1") {
        CHECK(read(t, {{alg::sha256, {1, 0}}}).rc == 0x1C4);
        CHECK(read(t, {{alg::sha256, {1, 0, 0, 0}}}).rc == 0x1C4);
    }
    SECTION("more selections than TPML_PCR_SELECTION holds: TPM_RC_SIZE + P1") {
        CHECK(run(t, command_builder(cc::pcr_read).u32(9).build()).rc == 0x1D5);
    }
    SECTION("short and trailing bytes") {
        CHECK(run(t, command_builder(cc::pcr_read).u32(1).u16(alg::sha256).u8(3).u8(1).build()).rc == 0x1DA);
        command_builder b(cc::pcr_read);
        put_selections(b, {{alg::sha256, pcrs({0})}}).u8(0);
        CHECK(run(t, b.build()).rc == 0x095);
    }
}

TEST_CASE("pcrUpdateCounter counts changes, except of the PCRs excluded by the profile", "[pcr]") {
    auto t = started();
    const auto c0 = update_counter(t);
    REQUIRE(run(t, pcr_extend(16, {{alg::sha256, d2}})).rc == 0);
    CHECK(update_counter(t) == c0 + 1);
    REQUIRE(run(t, pcr_reset(16)).rc == 0); // one reset of all banks counts once
    CHECK(update_counter(t) == c0 + 2);
    // PCR 20-22 (PC Client) do not count.
    REQUIRE(run(t, pcr_extend(20, {{alg::sha1, d1}, {alg::sha256, d2}}), 1).rc == 0);
    REQUIRE(run(t, pcr_event(21, str("x")), 2).rc == 0);
    CHECK(update_counter(t) == c0 + 2);
    // Failed commands do not count.
    REQUIRE(run(t, pcr_extend(17, {{alg::sha256, d2}})).rc == 0x907);
    CHECK(update_counter(t) == c0 + 2);
}

TEST_CASE("initial PCR values after TPM Reset (PC Client)", "[pcr]") {
    SECTION("Startup from locality 0") {
        auto t = started();
        for (tpm_alg_id a : {alg::sha1, alg::sha256}) {
            const auto n = a == alg::sha1 ? 20u : 32u;
            for (unsigned p : {0u, 7u, 15u, 16u, 23u}) CHECK(pcr_value(t, a, p) == zeros(n));
            for (unsigned p : {17u, 18u, 19u, 20u, 21u, 22u}) CHECK(pcr_value(t, a, p) == ones(n));
        }
    }
    SECTION("Startup from locality 3 puts 3 in the last octet of PCR 0") {
        auto t = started(3);
        auto v = zeros(32);
        v.back() = 3;
        CHECK(pcr_value(t, alg::sha256, 0) == v);
        CHECK(pcr_value(t, alg::sha256, 1) == zeros(32));
    }
}

TEST_CASE("PCR_Reset follows the reset localities of each PCR", "[pcr]") {
    auto t = started();
    for (unsigned p : {0u, 16u, 17u, 23u})
        REQUIRE(run(t, pcr_extend(p, {{alg::sha1, d1}, {alg::sha256, d2}}), 4).rc == 0);
    SECTION("PCR 16 and 23 from locality 0: zero in every bank") {
        CHECK(run(t, pcr_reset(16)).rc == 0);
        CHECK(run(t, pcr_reset(23)).rc == 0);
        for (unsigned p : {16u, 23u}) {
            CHECK(pcr_value(t, alg::sha1, p) == zeros(20));
            CHECK(pcr_value(t, alg::sha256, p) == zeros(32));
        }
    }
    SECTION("PCR 0 cannot be reset: TPM_RC_LOCALITY from every locality") {
        for (std::uint8_t loc = 0; loc < 5; ++loc) CHECK(run(t, pcr_reset(0), loc).rc == 0x907);
        CHECK(pcr_value(t, alg::sha256, 0) == py_extend("sha256", zeros(32), d2));
    }
    SECTION("PCR 17 only from locality 4, and then it becomes zero, not ones") {
        for (std::uint8_t loc = 0; loc < 4; ++loc) CHECK(run(t, pcr_reset(17), loc).rc == 0x907);
        CHECK(run(t, pcr_reset(17), 4).rc == 0);
        CHECK(pcr_value(t, alg::sha256, 17) == zeros(32));
        CHECK(pcr_value(t, alg::sha1, 17) == zeros(20));
    }
    SECTION("errors of the handle area") {
        CHECK(run(t, pcr_reset(24)).rc == 0x184);
        CHECK(run(t, pcr_reset(rh::null)).rc == 0x184); // TPMI_DH_PCR without '+'
        CHECK(run(t, command_builder(cc::pcr_reset).handle(16).build()).rc == 0x125);
        CHECK(run(t, command_builder(cc::pcr_reset).handle(16).password().u8(0).build()).rc == 0x095);
    }
}

TEST_CASE("Shutdown(STATE) and Startup(STATE) keep PCR 0-15 and reset the others", "[pcr]") {
    auto t = started();
    for (unsigned p : {0u, 15u, 16u, 23u}) REQUIRE(run(t, pcr_extend(p, {{alg::sha1, d1}, {alg::sha256, d2}})).rc == 0);
    const auto counter = update_counter(t);
    const auto ext1 = py_extend("sha1", zeros(20), d1);
    const auto ext256 = py_extend("sha256", zeros(32), d2);

    SECTION("TPM Resume") {
        power_cycle(t, su::state, su::state);
        for (unsigned p : {0u, 15u}) {
            CHECK(pcr_value(t, alg::sha1, p) == ext1);
            CHECK(pcr_value(t, alg::sha256, p) == ext256);
        }
        for (unsigned p : {16u, 23u}) {
            CHECK(pcr_value(t, alg::sha1, p) == zeros(20));
            CHECK(pcr_value(t, alg::sha256, p) == zeros(32));
        }
        CHECK(pcr_value(t, alg::sha256, 17) == ones(32));
        CHECK(update_counter(t) == counter);
    }
    SECTION("TPM Restart (Shutdown(STATE), Startup(CLEAR)) resets them all") {
        power_cycle(t, su::state, su::clear);
        for (unsigned p : {0u, 15u, 16u, 23u}) CHECK(pcr_value(t, alg::sha256, p) == zeros(32));
    }
    SECTION("TPM Reset resets them all") {
        power_cycle(t, su::clear, su::clear);
        for (unsigned p : {0u, 15u, 16u, 23u}) CHECK(pcr_value(t, alg::sha1, p) == zeros(20));
        CHECK(update_counter(t) == 0);
    }
}

namespace {
bytes pcr_allocate(std::initializer_list<selection> sels, tpm_handle auth = rh::platform) {
    command_builder b(cc::pcr_allocate);
    b.handle(auth).password();
    return put_selections(b, sels).build();
}
const std::vector<std::uint8_t> all24{0xFF, 0xFF, 0xFF};
const std::vector<std::uint8_t> none24{0, 0, 0};
} // namespace

TEST_CASE("PCR_Allocate takes effect at the next TPM Reset", "[pcr]") {
    auto t = started();
    REQUIRE(run(t, pcr_extend(0, {{alg::sha1, d1}, {alg::sha256, d2}})).rc == 0);

    // SHA-1 out, SHA-384 in, SHA-256 unchanged (not listed).
    auto r = run(t, pcr_allocate({{alg::sha1, none24}, {alg::sha384, all24}}));
    REQUIRE(r.rc == 0);
    CHECK(r.parameter_size() == 13);
    CHECK(r.u8() == 1);                           // allocationSuccess
    CHECK(r.u32() == 24);                         // maxPCR
    CHECK(r.u32() == 24 * (32 + 48));             // sizeNeeded: SHA-256 and SHA-384 banks
    // sizeAvailable: 24 PCRs of each implemented hash (SHA-1, SHA-256, SHA-384, SHA-512,
    // SM3-256, SHA3-256, SHA3-384, SHA3-512).
    CHECK(r.u32() == 24 * (20 + 32 + 48 + 64 + 32 + 32 + 48 + 64));
    CHECK(r.remaining() == 5); // the password session's response area

    // Nothing changes before the reset.
    auto before = read(t, {{alg::sha1, pcrs({0})}, {alg::sha256, pcrs({0})}, {alg::sha384, pcrs({0})}});
    REQUIRE(before.values.size() == 2);
    CHECK(before.values[0] == py_extend("sha1", zeros(20), d1));
    CHECK(before.selections[2].select == none24);

    SECTION("Shutdown(STATE) is refused while an allocation is pending (TPM_RC_TYPE + P1)") {
        CHECK(run(t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0x1CA);
        power_cycle(t, su::clear, su::clear);
        auto after = read(t, {{alg::sha1, pcrs({0})}, {alg::sha384, pcrs({0})}});
        REQUIRE(after.values.size() == 1);
        CHECK(after.values[0] == zeros(48));
    }
    SECTION("after TPM Reset the new banks are in force") {
        power_cycle(t, su::clear, su::clear);
        auto after = read(t, {{alg::sha1, pcrs({0, 1})}, {alg::sha256, pcrs({0})}, {alg::sha384, pcrs({0, 17})}});
        REQUIRE(after.rc == 0);
        CHECK(after.selections[0].select == none24);
        CHECK(after.selections[1].select == pcrs({0}));
        CHECK(after.selections[2].select == pcrs({0, 17}));
        REQUIRE(after.values.size() == 3);
        CHECK(after.values[0] == zeros(32));
        CHECK(after.values[1] == zeros(48));
        CHECK(after.values[2] == ones(48));
        // Extends now reach SHA-384 and skip SHA-1.
        const bytes d48(48, 0x33);
        REQUIRE(run(t, pcr_extend(0, {{alg::sha1, d1}, {alg::sha384, d48}})).rc == 0);
        CHECK(pcr_value(t, alg::sha384, 0) == py_extend("sha384", zeros(48), d48));
        auto ev = run(t, pcr_event(rh::null, str("e")));
        REQUIRE(ev.rc == 0);
        (void)ev.parameter_size();
        CHECK(ev.u32() == 2);
        CHECK(ev.u16() == alg::sha256);
        (void)ev.take(32);
        CHECK(ev.u16() == alg::sha384);
        CHECK(ev.take(48) == py_hash("sha384", str("e")));
    }
    SECTION("a later request replaces the pending one") {
        REQUIRE(run(t, pcr_allocate({{alg::sha512, all24}})).rc == 0);
        power_cycle(t, su::clear, su::clear);
        auto after = read(t, {{alg::sha1, pcrs({0})}, {alg::sha384, pcrs({0})}, {alg::sha512, pcrs({0})}});
        REQUIRE(after.values.size() == 2);
        CHECK(after.values[0] == zeros(20));
        CHECK(after.values[1] == zeros(64));
    }
}

TEST_CASE("PCR_Allocate errors", "[pcr]") {
    auto t = started();
    SECTION("no bank left (no H-CRTM or D-RTM PCR): TPM_RC_PCR") {
        CHECK(run(t, pcr_allocate({{alg::sha1, none24}, {alg::sha256, none24}})).rc == 0x127);
    }
    SECTION("a bank can only be allocated whole: TPM_RC_NO_RESULT") {
        CHECK(run(t, pcr_allocate({{alg::sha256, {0xFF, 0xFF, 0x7F}}})).rc == 0x154);
    }
    SECTION("the last selection of a bank wins") {
        CHECK(run(t, pcr_allocate({{alg::sha256, {0x01, 0, 0}}, {alg::sha256, all24}})).rc == 0);
        CHECK(t.internals().nv.pcr_allocation_pending);
    }
    SECTION("parameter and handle errors") {
        CHECK(run(t, pcr_allocate({{0x00B0, all24}})).rc == 0x1C3);
        CHECK(run(t, pcr_allocate({{alg::sha256, {0xFF, 0xFF}}})).rc == 0x1C4);
        CHECK(run(t, pcr_allocate({{alg::sha256, all24}}, rh::owner)).rc == 0x184);
        auto no_auth = command_builder(cc::pcr_allocate).handle(rh::platform).u32(0).build();
        CHECK(run(t, no_auth).rc == 0x125);
        auto wrong = command_builder(cc::pcr_allocate).handle(rh::platform).password(str("x")).u32(0).build();
        CHECK(run(t, wrong).rc == 0x9A2);
    }
}

TEST_CASE("PCR_SetAuthValue protects the PCRs of its group", "[pcr]") {
    auto t = started();
    const auto secret = str("pcr secret");
    auto set = [&](tpm_handle pcr, byte_view value, byte_view password = {}) {
        return run(t, command_builder(cc::pcr_set_auth_value).handle(pcr).password(password).b2b(value).build());
    };
    REQUIRE(set(20, secret).rc == 0);

    SECTION("PCR_Extend needs the new value") {
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}), 1).rc == 0x9A2);              // empty password
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}, str("wrong")), 1).rc == 0x9A2); // BAD_AUTH + S1
        CHECK(pcr_value(t, alg::sha256, 20) == ones(32));
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}, secret), 1).rc == 0);
        CHECK(pcr_value(t, alg::sha256, 20) == py_extend("sha256", ones(32), d2));
    }
    SECTION("the group shares the value (PCR 20-22)") {
        CHECK(run(t, pcr_event(21, str("e")), 2).rc == 0x9A2);
        CHECK(run(t, pcr_event(21, str("e"), secret), 2).rc == 0);
        // Trailing zeros of a password do not count (Part 1 §19.6.4).
        auto padded = secret;
        padded.push_back(0);
        CHECK(run(t, pcr_event(22, str("e"), padded), 2).rc == 0);
    }
    SECTION("other PCRs keep EmptyAuth") { CHECK(run(t, pcr_extend(16, {{alg::sha256, d2}})).rc == 0); }
    SECTION("changing it needs the current value") {
        CHECK(set(20, str("new")).rc == 0x9A2);
        CHECK(set(20, str("new"), secret).rc == 0);
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}, str("new")), 1).rc == 0);
    }
    SECTION("kept by Shutdown(STATE)/Startup(STATE), emptied by Startup(CLEAR)") {
        power_cycle(t, su::state, su::state);
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}), 1).rc == 0x9A2);
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}, secret), 1).rc == 0);
        power_cycle(t, su::state, su::clear);
        CHECK(run(t, pcr_extend(20, {{alg::sha256, d2}}), 1).rc == 0);
    }
    SECTION("a PCR outside every authorization group: TPM_RC_VALUE") {
        CHECK(set(0, secret).rc == 0x084);
        CHECK(set(16, secret).rc == 0x084);
        CHECK(set(24, secret).rc == 0x184);
        CHECK(set(20, bytes(65, 1), secret).rc == 0x1D5);
    }
}

TEST_CASE("PCR_SetAuthPolicy sets the policy of a policy group", "[pcr]") {
    auto t = started();
    auto set = [&](byte_view policy, tpm_alg_id a, std::uint32_t pcr) {
        return run(t, command_builder(cc::pcr_set_auth_policy)
                          .handle(rh::platform)
                          .password()
                          .b2b(policy)
                          .u16(a)
                          .u32(pcr)
                          .build());
    };
    const auto& nv = t.internals().nv;
    SECTION("a SHA-256 policy for PCR 21 applies to the group") {
        REQUIRE(set(d2, alg::sha256, 21).rc == 0);
        for (unsigned p : {20u, 21u, 22u}) {
            CHECK(nv.pcr_policies[p].alg == alg::sha256);
            CHECK(bytes(nv.pcr_policies[p].digest.view().begin(), nv.pcr_policies[p].digest.view().end()) == d2);
        }
        CHECK(nv.pcr_policies[16].alg != alg::sha256);
        // TPM_ALG_NULL with an empty digest removes it.
        REQUIRE(set({}, alg::null, 20).rc == 0);
        CHECK(nv.pcr_policies[22].alg == alg::null);
        CHECK(nv.pcr_policies[22].digest.size == 0);
    }
    SECTION("the digest must have the size of hashAlg: TPM_RC_SIZE + P1") {
        CHECK(set(d1, alg::sha256, 20).rc == 0x1D5);
        CHECK(set(d2, alg::null, 20).rc == 0x1D5);
    }
    SECTION("a PCR outside every policy group: TPM_RC_VALUE + P3") {
        CHECK(set(d2, alg::sha256, 0).rc == 0x3C4);
        CHECK(set(d2, alg::sha256, 24).rc == 0x3C4);
    }
    SECTION("other parameter and handle errors") {
        CHECK(set(d2, 0x00B0, 20).rc == 0x2C3);
        auto owner = command_builder(cc::pcr_set_auth_policy).handle(rh::owner).password().b2b(d2).u16(alg::sha256).u32(20).build();
        CHECK(run(t, owner).rc == 0x184);
    }
}
