// Tests for vtpm/transport/mssim.hpp: the byte sequences tpm2-tss 3.2.1 tcti-mssim, tpm2-tss
// 4.x and the IBM TSS send (../shared/notes/simulator-protocols.md §1), split at every byte
// boundary; caps, unknown codes, truncation; reply encoders byte for byte.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "vtpm/transport/mssim.hpp"

namespace {

using namespace vtpm;
using namespace vtpm::transport;
namespace ms = vtpm::transport::mssim;

/// Hex literal for tests (also used for namespace-scope constants, so no REQUIRE here).
bytes hex(std::string_view s) {
    bool ok = false;
    bytes b = from_hex(s, &ok);
    if (!ok) throw std::invalid_argument("bad hex literal in test");
    return b;
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

template <class T>
std::string show_one(const T& x) {
    std::string s(T::name);
    if constexpr (requires { x.locality; }) s += " loc=" + std::to_string(x.locality);
    if constexpr (requires { x.command; }) s += " cmd=" + to_hex(x.command);
    if constexpr (requires { x.data; }) s += " data=" + to_hex(x.data);
    if constexpr (requires { x.last; }) s += x.last ? " last" : " more";
    if constexpr (requires { x.code; }) s += " code=" + std::to_string(x.code);
    if constexpr (requires { x.kind; }) s += " kind=" + std::string(describe(x.kind));
    if constexpr (requires { x.value; }) s += " value=" + std::to_string(x.value);
    if constexpr (requires { x.handle; }) s += " handle=" + std::to_string(x.handle);
    if constexpr (requires { x.client_version; }) s += " v=" + std::to_string(x.client_version);
    return s;
}

template <class... E>
std::vector<std::string> shows(const std::vector<std::variant<E...>>& evs) {
    std::vector<std::string> out;
    for (const auto& e : evs) out.push_back(std::visit([](const auto& x) { return show_one(x); }, e));
    return out;
}

template <class Parser>
using event_of = typename decltype(std::declval<Parser&>().feed(byte_view{}).event)::value_type;

/// Feed `in` cut at the given (ascending) positions, checking the step invariants.
template <class Parser>
std::vector<event_of<Parser>> feed_cut(Parser p, byte_view in, const std::vector<std::size_t>& cuts,
                                       bool* closed = nullptr) {
    std::vector<event_of<Parser>> out;
    std::size_t pos = 0;
    auto feed_to = [&](std::size_t end) {
        byte_view chunk = in.subspan(pos, end - pos);
        while (!chunk.empty()) {
            auto s = p.feed(chunk);
            REQUIRE(s.consumed >= 1);
            REQUIRE(s.consumed <= chunk.size());
            chunk = chunk.subspan(s.consumed);
            if (s.event) out.push_back(std::move(*s.event));
        }
        pos = end;
    };
    for (auto c : cuts) feed_to(c);
    feed_to(in.size());
    if (closed) *closed = p.closed();
    return out;
}

/// The events must not depend on how the input is split: whole, every single cut, every byte
/// on its own, and some pseudo-random multi-cuts.
template <class Parser, class E>
void check_splits(const Parser& proto, byte_view in, const std::vector<E>& expected) {
    const auto whole = feed_cut(proto, in, {});
    CHECK(shows(whole) == shows(expected));
    REQUIRE(whole == expected);
    for (std::size_t k = 1; k < in.size(); ++k) {
        INFO("cut at " << k);
        REQUIRE(feed_cut(proto, in, {k}) == expected);
    }
    std::vector<std::size_t> every;
    for (std::size_t k = 1; k < in.size(); ++k) every.push_back(k);
    REQUIRE(feed_cut(proto, in, every) == expected);
    std::uint32_t x = 0x9e3779b9u;
    for (int round = 0; round < 50 && in.size() > 2; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t at = 0;
        for (;;) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            at += 1 + x % 7;
            if (at >= in.size()) break;
            cuts.push_back(at);
        }
        REQUIRE(feed_cut(proto, in, cuts) == expected);
    }
}

// TPM2_Startup(TPM_SU_CLEAR) and TPM2_GetRandom(16), Part 3.
const bytes startup_clear = hex("8001 0000000c 00000144 0000");
const bytes get_random_16 = hex("8001 0000000c 0000017b 0010");

}  // namespace

TEST_CASE("mssim platform: tcti-mssim init sends POWER_ON then NV_ON", "[transport]") {
    const bytes wire = hex("00000001 0000000b");
    check_splits(ms::platform_parser{}, wire,
                 std::vector<ms::platform_event>{ms::power_on{}, ms::nv_on{}});
    for (const ms::platform_event& e : {ms::platform_event{ms::power_on{}}, ms::platform_event{ms::nv_on{}}})
        CHECK(ms::reply_for(e) == ms::reply_rule{ms::reply::ack, after_reply::keep_open});
    CHECK(ms::encode_ack() == hex("00000000"));
}

TEST_CASE("mssim platform: cancel, IBM TSS power cycle, tpm2-tss 4.x session end", "[transport]") {
    // tcti-mssim cancel: CANCEL_ON, later CANCEL_OFF. tsspowerup: POWER_OFF, POWER_ON, NV_ON.
    // Then SESSION_END (IBM TSS, tpm2-tss >= 4): no reply, close; later bytes are ignored.
    const bytes wire = hex("00000009 0000000a 00000002 00000001 0000000b 00000014 00000001");
    bool closed = false;
    const auto evs = feed_cut(ms::platform_parser{}, wire, {}, &closed);
    const std::vector<ms::platform_event> expected{ms::cancel_on{}, ms::cancel_off{}, ms::power_off{},
                                                   ms::power_on{}, ms::nv_on{}, ms::session_end{}};
    check_splits(ms::platform_parser{}, wire, expected);
    CHECK(closed);
    CHECK(ms::reply_for(evs.back()) == ms::reply_rule{ms::reply::none, after_reply::close_connection});
}

TEST_CASE("mssim platform: every code maps to its event and reply", "[transport]") {
    struct row {
        std::uint32_t code;
        std::string_view name;
        ms::reply reply;
        after_reply after;
    };
    using ms::reply;
    const row rows[] = {
        {1, "power_on", reply::ack, after_reply::keep_open},
        {2, "power_off", reply::ack, after_reply::keep_open},
        {3, "phys_pres_on", reply::ack, after_reply::keep_open},
        {4, "phys_pres_off", reply::ack, after_reply::keep_open},
        {9, "cancel_on", reply::ack, after_reply::keep_open},
        {10, "cancel_off", reply::ack, after_reply::keep_open},
        {11, "nv_on", reply::ack, after_reply::keep_open},
        {12, "nv_off", reply::ack, after_reply::keep_open},
        {13, "key_cache_on", reply::ack, after_reply::keep_open},
        {14, "key_cache_off", reply::ack, after_reply::keep_open},
        {17, "reset", reply::ack, after_reply::keep_open},
        {18, "restart", reply::ack, after_reply::keep_open},
        {20, "session_end", reply::none, after_reply::close_connection},
        {21, "stop", reply::none, after_reply::stop_server},
        {25, "get_command_response_sizes", reply::command_response_sizes, after_reply::keep_open},
        {30, "test_failure_mode", reply::ack, after_reply::keep_open},
        // command-port codes are unknown on the platform port (ibmswtpm2 answers 1 and closes)
        {5, "unknown", reply::unknown_code, after_reply::close_connection},
        {8, "unknown", reply::unknown_code, after_reply::close_connection},
        {15, "unknown", reply::unknown_code, after_reply::close_connection},
        {19, "unknown", reply::unknown_code, after_reply::close_connection},
        {0, "unknown", reply::unknown_code, after_reply::close_connection},
        {0xffffffff, "unknown", reply::unknown_code, after_reply::close_connection},
    };
    for (const auto& r : rows) {
        INFO("code " << r.code);
        ms::platform_parser p;
        const bytes wire = encode_u32(r.code);
        auto s = p.feed(wire);
        REQUIRE(s.consumed == 4);
        REQUIRE(s.event.has_value());
        CHECK(ms::name_of(*s.event) == r.name);
        CHECK(ms::reply_for(*s.event) == ms::reply_rule{r.reply, r.after});
        CHECK(p.closed() == (r.after != after_reply::keep_open));
        if (r.name == "unknown") CHECK(std::get<ms::unknown>(*s.event).code == r.code);
    }
    CHECK(ms::encode_unknown_code_reply() == hex("00000001"));
}

TEST_CASE("mssim platform: ACT_GET_SIGNALED carries a handle", "[transport]") {
    const bytes wire = hex("0000001a 40000110 0000001e");
    check_splits(ms::platform_parser{}, wire,
                 std::vector<ms::platform_event>{ms::act_get_signaled{0x40000110}, ms::test_failure_mode{}});
    CHECK(ms::reply_for(ms::platform_event{ms::act_get_signaled{1}}).what == ms::reply::act_signaled);
    CHECK(ms::encode_act_signaled_reply(1) == hex("00000001 00000000"));

    ms::platform_parser p;
    CHECK_FALSE(p.mid_frame());
    auto s = p.feed(hex("0000001a 4000"));
    CHECK(s.consumed == 6);
    CHECK_FALSE(s.event);
    CHECK(p.mid_frame());  // EOF here = truncated request
}

TEST_CASE("mssim command: tcti-mssim transmit, locality, 4.x session end", "[transport]") {
    // transmit = 00 00 00 08 | locality | u32 size | command
    const bytes wire = cat({hex("00000008 00 0000000c"), startup_clear,
                            hex("00000008 03 0000000c"), get_random_16, hex("00000014")});
    const std::vector<ms::command_event> expected{ms::send_command{0, startup_clear},
                                                  ms::send_command{3, get_random_16},
                                                  ms::session_end{}};
    check_splits(ms::command_parser{}, wire, expected);
    CHECK(ms::reply_for(expected[0]) == ms::reply_rule{ms::reply::tpm_response, after_reply::keep_open});
    CHECK(ms::reply_for(expected[2]) == ms::reply_rule{ms::reply::none, after_reply::close_connection});

    // After SESSION_END the parser is closed: further bytes are swallowed, nothing is yielded.
    ms::command_parser p;
    auto n = p.feed(cat({wire, hex("00000008 00 0000000c"), startup_clear}), [](auto&&) {});
    CHECK(n == wire.size() + 9 + startup_clear.size());
    CHECK(p.closed());
    CHECK_FALSE(p.mid_frame());
}

TEST_CASE("mssim command: response framing is u32 size, response, u32 0", "[transport]") {
    const bytes rsp = hex("8001 0000000a 00000000");  // TPM_RC_SUCCESS, no parameters
    CHECK(ms::encode_send_command_response(rsp) == hex("0000000a 8001 0000000a 00000000 00000000"));
    // Powered off: ibmswtpm2 answers an empty response.
    CHECK(ms::encode_send_command_response({}) == hex("00000000 00000000"));
    CHECK(encode_tpm_error_response(rc::failure) == hex("8001 0000000a 00000101"));
}

TEST_CASE("mssim command: hash sequence, handshake, alternative result, stop", "[transport]") {
    const bytes wire = hex(
        "00000005"                     // HASH_START
        "00000006 00000005 0102030405"  // HASH_DATA, 5 bytes
        "00000006 00000000"            // HASH_DATA, empty
        "00000007"                     // HASH_END
        "0000000f 00000001"            // REMOTE_HANDSHAKE, client version 1
        "00000010 deadbeef"            // SET_ALTERNATIVE_RESULT
        "00000008 00 00000000"         // SEND_COMMAND with 0 bytes: passed on to the engine
        "00000015");                   // STOP
    const std::vector<ms::command_event> expected{
        ms::hash_start{},
        ms::hash_data{hex("0102030405"), true},
        ms::hash_data{{}, true},
        ms::hash_end{},
        ms::remote_handshake{1},
        ms::set_alternative_result{0xdeadbeef},
        ms::send_command{0, {}},
        ms::stop{}};
    check_splits(ms::command_parser{}, wire, expected);
    using ms::reply;
    CHECK(ms::reply_for(expected[0]).what == reply::ack);
    CHECK(ms::reply_for(expected[1]).what == reply::ack);
    CHECK(ms::reply_for(expected[3]).what == reply::ack);
    CHECK(ms::reply_for(expected[4]).what == reply::handshake);
    CHECK(ms::reply_for(expected[5]).what == reply::ack);
    CHECK(ms::reply_for(expected[7]) == ms::reply_rule{reply::none, after_reply::stop_server});
    // ibmswtpm2: server version 1, flags PlatformAvailable|InRawMode|SupportsPP, then the ack.
    CHECK(ms::encode_handshake_reply() == hex("00000001 0000000d 00000000"));
}

TEST_CASE("mssim command: hash data is handed out in bounded chunks", "[transport]") {
    // With a cap of 16 bytes the chunks are 16 bytes; only the last one asks for the ack.
    bytes data(40);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i);
    const bytes wire = cat({hex("00000006 00000028"), data, hex("00000007")});
    const std::vector<ms::command_event> expected{
        ms::hash_data{bytes(data.begin(), data.begin() + 16), false},
        ms::hash_data{bytes(data.begin() + 16, data.begin() + 32), false},
        ms::hash_data{bytes(data.begin() + 32, data.end()), true},
        ms::hash_end{}};
    check_splits(ms::command_parser{16}, wire, expected);
    CHECK(ms::reply_for(expected[0]) == ms::reply_rule{ms::reply::none, after_reply::keep_open});
    CHECK(ms::reply_for(expected[2]) == ms::reply_rule{ms::reply::ack, after_reply::keep_open});

    // Default cap: 4096-byte chunks for a long sequence (the length field itself is not capped).
    bytes big(10000, 0xab);
    ms::command_parser p;
    std::vector<std::size_t> sizes;
    p.feed(cat({hex("00000006 00002710"), big}), [&](ms::command_event&& e) {
        sizes.push_back(std::get<ms::hash_data>(e).data.size());
    });
    CHECK(sizes == std::vector<std::size_t>{4096, 4096, 1808});
    CHECK_FALSE(p.mid_frame());
}

TEST_CASE("mssim command: the command size cap", "[transport]") {
    const std::size_t cap = 64;
    bytes cmd(cap, 0x5a);
    SECTION("a command of exactly the cap is accepted") {
        const bytes wire = cat({hex("00000008 01 00000040"), cmd});
        check_splits(ms::command_parser{cap}, wire,
                     std::vector<ms::command_event>{ms::send_command{1, cmd}});
    }
    SECTION("one byte more is an error, and the parser closes") {
        const bytes wire = cat({hex("00000008 01 00000041"), cmd, hex("00")});
        const std::vector<ms::command_event> expected{error{error_kind::length_too_large, 65}};
        check_splits(ms::command_parser{cap}, wire, expected);
        CHECK(ms::reply_for(expected[0]) == ms::reply_rule{ms::reply::none, after_reply::close_connection});
        ms::command_parser p{cap};
        auto s = p.feed(wire);
        CHECK(s.consumed == 9);  // the error comes with the length field, before any body byte
        CHECK(p.closed());
    }
    SECTION("a 4 GiB length field never allocates") {
        ms::command_parser p;  // default cap
        CHECK(p.max_command() == default_max_command);
        auto s = p.feed(hex("00000008 00 ffffffff 8001"));
        CHECK(s.consumed == 9);
        REQUIRE(s.event);
        CHECK(*s.event == ms::command_event{error{error_kind::length_too_large, 0xffffffff}});
    }
    SECTION("remote handshake with client version 0 is refused") {
        const std::vector<ms::command_event> expected{error{error_kind::bad_client_version, 0}};
        check_splits(ms::command_parser{}, hex("0000000f 00000000"), expected);
        CHECK(ms::reply_for(expected[0]).after == after_reply::close_connection);
    }
}

TEST_CASE("mssim command: unknown codes close without reply", "[transport]") {
    for (std::uint32_t c : {0u, 1u, 2u, 11u, 25u, 26u, 30u, 0x63u, 0x80000008u}) {
        INFO("code " << c);
        ms::command_parser p;
        const bytes wire = cat({encode_u32(c), hex("00000008 00 0000000c"), startup_clear});
        std::vector<ms::command_event> evs;
        p.feed(wire, [&](ms::command_event&& e) { evs.push_back(std::move(e)); });
        REQUIRE(evs.size() == 1);
        CHECK(evs[0] == ms::command_event{ms::unknown{c}});
        CHECK(ms::reply_for(evs[0]) == ms::reply_rule{ms::reply::none, after_reply::close_connection});
        CHECK(p.closed());
    }
}

TEST_CASE("mssim command: truncated frames yield nothing and report mid_frame", "[transport]") {
    const bytes wire = cat({hex("00000008 00 0000000c"), startup_clear});
    for (std::size_t n = 0; n < wire.size(); ++n) {
        INFO("first " << n << " bytes");
        ms::command_parser p;
        const auto evs = feed_cut(p, byte_view(wire).first(n), {});
        CHECK(evs.empty());
        auto s = p.feed(byte_view(wire).first(n));
        CHECK_FALSE(s.event);
        CHECK(p.mid_frame() == (n != 0));
        CHECK_FALSE(p.closed());
    }
}

TEST_CASE("mssim: GET_COMMAND_RESPONSE_SIZES reply reproduces ibmswtpm2 on little-endian", "[transport]") {
    // {largestCommandSize = 0x1a, largestCommand = TPM2_CC_Create (raw BE bytes),
    //  largestResponseSize = 0x200, largestResponse = TPM_RC_SUCCESS}
    CHECK(ms::encode_command_response_sizes_reply(0x1a, 0x153, 0x200, 0) ==
          hex("00000010 1a000000 00000153 00020000 00000000 00000000"));
}

TEST_CASE("mssim: garbage in any split gives the same bounded events", "[transport]") {
    std::uint32_t x = 12345;
    auto next = [&] {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        return x;
    };
    for (int round = 0; round < 200; ++round) {
        bytes in(1 + next() % 96);
        for (auto& b : in) {
            // bias towards small big-endian numbers so that codes and lengths are hit
            const auto r = next();
            b = static_cast<std::uint8_t>(r % 3 == 0 ? r >> 8 : (r % 3 == 1 ? 0 : r % 32));
        }
        const std::size_t cap = 1 + next() % 40;
        std::vector<std::size_t> cuts;
        for (std::size_t k = 1 + next() % 5; k < in.size(); k += 1 + next() % 5) cuts.push_back(k);
        const auto a = feed_cut(ms::command_parser{cap}, in, {});
        const auto b = feed_cut(ms::command_parser{cap}, in, cuts);
        REQUIRE(a == b);
        for (const auto& e : a) {
            if (auto* c = std::get_if<ms::send_command>(&e)) CHECK(c->command.size() <= cap);
            if (auto* h = std::get_if<ms::hash_data>(&e)) CHECK(h->data.size() <= cap);
        }
        REQUIRE(feed_cut(ms::platform_parser{}, in, {}) == feed_cut(ms::platform_parser{}, in, cuts));
    }
}
