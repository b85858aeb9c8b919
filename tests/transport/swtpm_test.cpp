// Tests for vtpm/transport/swtpm.hpp: the byte sequences tpm2-tss 3.2.1 tcti-swtpm and QEMU's
// tpm-emulator send (../shared/notes/simulator-protocols.md §2; QEMU backends/tpm/
// tpm_emulator.c), split at every byte boundary; caps, unknown codes, truncation; reply
// encoders byte for byte against the layouts of swtpm's tpm_ioctl.h / ctrlchannel.c.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "vtpm/transport/swtpm.hpp"

namespace {

using namespace vtpm;
using namespace vtpm::transport;
namespace sw = vtpm::transport::swtpm;

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
    if constexpr (requires { x.prefixed; }) s += x.prefixed ? " prefixed" : " raw";
    if constexpr (requires { x.locality; }) s += " loc=" + std::to_string(x.locality);
    if constexpr (requires { x.command; }) s += " cmd=" + to_hex(x.command);
    if constexpr (requires { x.flags; }) s += " flags=" + std::to_string(x.flags);
    if constexpr (requires { x.type; }) s += " type=" + std::to_string(x.type);
    if constexpr (requires { x.offset; }) s += " offset=" + std::to_string(x.offset);
    if constexpr (requires { x.size; }) s += " size=" + std::to_string(x.size);
    if constexpr (requires { x.data; }) s += " data=" + to_hex(x.data);
    if constexpr (requires { x.last; }) s += x.last ? " last" : " more";
    if constexpr (requires { x.code; }) s += " code=" + std::to_string(x.code);
    if constexpr (requires { x.kind; }) s += " kind=" + std::string(describe(x.kind));
    if constexpr (requires { x.value; }) s += " value=" + std::to_string(x.value);
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

template <class Parser>
std::vector<event_of<Parser>> feed_cut(Parser p, byte_view in, const std::vector<std::size_t>& cuts,
                                       bool* closed = nullptr, bool* mid_frame = nullptr) {
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
    if (mid_frame) *mid_frame = p.mid_frame();
    return out;
}

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

const bytes startup_clear = hex("8001 0000000c 00000144 0000");
const bytes get_random_16 = hex("8001 0000000c 0000017b 0010");
// TPM2_PCR_Read with one empty SHA-256 selection: 20 bytes.
const bytes pcr_read = hex("8001 00000014 0000017e 00000001 000b 03 000000");

}  // namespace

// ---- data channel -------------------------------------------------------------------------

TEST_CASE("swtpm data: raw commands as tcti-swtpm and QEMU send them", "[transport]") {
    // tcti-swtpm: one command per connection; QEMU: many on one connection.
    const bytes wire = cat({startup_clear, pcr_read, get_random_16});
    const std::vector<sw::data_event> expected{sw::tpm_command{startup_clear, false, 0},
                                               sw::tpm_command{pcr_read, false, 0},
                                               sw::tpm_command{get_random_16, false, 0}};
    check_splits(sw::data_parser{}, wire, expected);
    CHECK(sw::reply_for(expected[0]) == sw::reply_rule{sw::reply::tpm_response});

    // A TPM 1.2 probe as QEMU's tpm_util_test_tpmdev sends it is framed like any command.
    const bytes tpm12_get_ticks = hex("00c1 0000000a 000000f1");
    check_splits(sw::data_parser{}, tpm12_get_ticks,
                 std::vector<sw::data_event>{sw::tpm_command{tpm12_get_ticks, false, 0}});
}

TEST_CASE("swtpm data: the mssim TPM_SEND_COMMAND prefix", "[transport]") {
    const bytes wire = cat({hex("00000008 02 0000000c"), startup_clear, get_random_16,
                            hex("00000008 00 00000000")});
    const std::vector<sw::data_event> expected{sw::tpm_command{startup_clear, true, 2},
                                               sw::tpm_command{get_random_16, false, 0},
                                               sw::tpm_command{{}, true, 0}};
    check_splits(sw::data_parser{}, wire, expected);
    CHECK(sw::reply_for(expected[0]) == sw::reply_rule{sw::reply::tpm_response_prefixed});
    CHECK(sw::reply_for(expected[1]) == sw::reply_rule{sw::reply::tpm_response});
    const bytes rsp = hex("8001 0000000a 00000100");  // TPM_RC_INITIALIZE
    CHECK(sw::encode_send_command_response(rsp) == hex("0000000a 8001 0000000a 00000100 00000000"));
}

TEST_CASE("swtpm data: commandSize limits", "[transport]") {
    SECTION("commandSize < 10 is an error") {
        for (std::uint32_t n : {0u, 1u, 9u}) {
            bytes wire = hex("8001 00000000 00000144");
            store_be32(wire.data() + 2, n);
            const std::vector<sw::data_event> expected{error{error_kind::length_too_small, n}};
            check_splits(sw::data_parser{}, wire, expected);
            CHECK(sw::reply_for(expected[0]) == sw::reply_rule{sw::reply::none, after_reply::close_connection});
        }
    }
    SECTION("commandSize == cap passes, cap + 1 does not") {
        bytes cmd(32, 0x11);
        store_be16(cmd.data(), 0x8001);
        store_be32(cmd.data() + 2, 32);
        check_splits(sw::data_parser{32}, cmd, std::vector<sw::data_event>{sw::tpm_command{cmd, false, 0}});
        store_be32(cmd.data() + 2, 33);
        cmd.push_back(0x11);
        check_splits(sw::data_parser{32}, cmd,
                     std::vector<sw::data_event>{error{error_kind::length_too_large, 33}});
        sw::data_parser p{32};
        auto s = p.feed(cmd);
        CHECK(s.consumed == 10);  // rejected on the header, before the body is read
        CHECK(p.closed());
        CHECK(p.feed(cmd).consumed == cmd.size());  // closed: swallows, yields nothing
    }
    SECTION("a prefixed size above the cap is an error, 4 GiB does not allocate") {
        sw::data_parser p;
        CHECK(p.max_command() == default_max_command);
        auto s = p.feed(hex("00000008 00 ffffffff 80"));
        CHECK(s.consumed == 9);
        REQUIRE(s.event);
        CHECK(*s.event == sw::data_event{error{error_kind::length_too_large, 0xffffffff}});
    }
}

TEST_CASE("swtpm data: truncated commands report mid_frame", "[transport]") {
    for (std::size_t n = 0; n < pcr_read.size(); ++n) {
        INFO("first " << n << " bytes");
        bool closed = true, mid = false;
        const auto evs = feed_cut(sw::data_parser{}, byte_view(pcr_read).first(n), {}, &closed, &mid);
        CHECK(evs.empty());
        CHECK_FALSE(closed);
        CHECK(mid == (n != 0));
    }
}

// ---- control channel ----------------------------------------------------------------------

TEST_CASE("swtpm control: tcti-swtpm init and reset", "[transport]") {
    // Tss2_Tcti_Swtpm_Init: CMD_SET_LOCALITY with a bare u8 0; first 4 reply bytes must be 0.
    bool closed = true, mid = true;
    const bytes set_loc = hex("00000005 00");
    const auto evs = feed_cut(sw::control_parser{}, set_loc, {}, &closed, &mid);
    REQUIRE(evs == std::vector<sw::control_event>{sw::set_locality{0}});
    CHECK_FALSE(closed);
    CHECK_FALSE(mid);  // the client closes here: not a truncated request
    CHECK(sw::reply_for(evs[0]) == sw::reply_rule{sw::reply::result});
    CHECK(sw::encode_result(sw::res::success) == hex("00000000"));
    CHECK(sw::encode_result(sw::res::bad_locality) == hex("0000003d"));

    // Tss2_Tcti_Swtpm_Reset: CMD_INIT with PTM_INIT_FLAG_DELETE_VOLATILE.
    check_splits(sw::control_parser{}, hex("00000002 00000001"),
                 std::vector<sw::control_event>{sw::init{sw::init_flag_delete_volatile}});
}

TEST_CASE("swtpm control: a QEMU tpm-emulator session", "[transport]") {
    // tpm_emulator.c writes u32 cmd + the request part of the ioctl struct in one write.
    // SET_LOCALITY and RESET_TPMESTABLISHED send sizeof(the union) = 4 payload bytes: the u8
    // plus 3 pad bytes (zeroed for ptm_loc, uninitialised stack for ptm_reset_est).
    bytes blob(300);
    for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>(i * 7);
    const bytes wire = cat({
        hex("00000001"),                    // probe caps
        hex("00000010"),                    // SET_DATAFD (fd as SCM_RIGHTS)
        hex("0000000e"),                    // STOP (before SET_BUFFERSIZE)
        hex("00000011 00001000"),           // SET_BUFFERSIZE 4096
        hex("00000002 00000000"),           // INIT
        hex("00000004"),                    // GET_TPMESTABLISHED
        hex("00000005 00 000000"),          // SET_LOCALITY 0, padded
        hex("00000005 03 000000"),          // SET_LOCALITY 3, padded
        hex("0000000b 03 a55aff"),          // RESET_TPMESTABLISHED 3, garbage padding
        hex("00000009"),                    // CANCEL_TPM_CMD
        hex("0000000c 00000001 00000001 00000000"),  // GET_STATEBLOB decrypted permanent @0
        hex("0000000e"),                    // STOP (before SET_STATEBLOB on the target)
        hex("0000000d 00000000 00000002 0000012c"), blob,  // SET_STATEBLOB volatile, 300 bytes
        hex("00000002 00000001"),           // INIT, delete volatile (resume)
        hex("00000003"),                    // SHUTDOWN
    });
    const std::vector<sw::control_event> expected{
        sw::get_capability{},
        sw::set_datafd{},
        sw::stop{},
        sw::set_buffersize{4096},
        sw::init{0},
        sw::get_tpmestablished{},
        sw::set_locality{0},
        sw::set_locality{3},
        sw::reset_tpmestablished{3},
        sw::cancel_tpm_cmd{},
        sw::get_stateblob{sw::state_flag_decrypted, sw::blob_type::permanent, 0},
        sw::stop{},
        sw::set_stateblob{0, sw::blob_type::volatile_, blob},
        sw::init{1},
        sw::shutdown{},
    };
    check_splits(sw::control_parser{}, wire, expected);

    using sw::reply;
    const reply want[] = {reply::capability, reply::result,    reply::result,          reply::buffersize,
                          reply::result,     reply::tpm_established, reply::result,    reply::result,
                          reply::result,     reply::result,    reply::stateblob,       reply::result,
                          reply::result,     reply::result,    reply::result};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(sw::name_of(expected[i]));
        CHECK(sw::reply_for(expected[i]).what == want[i]);
        CHECK(sw::reply_for(expected[i]).after ==
              (i + 1 == expected.size() ? after_reply::stop_server : after_reply::keep_open));
    }
}

TEST_CASE("swtpm control: padding after a u8 request is told apart from the next request", "[transport]") {
    SECTION("bare u8 followed directly by requests") {
        check_splits(sw::control_parser{}, hex("00000005 04 00000001 0000000b 00 00000004"),
                     std::vector<sw::control_event>{sw::set_locality{4}, sw::get_capability{},
                                                    sw::reset_tpmestablished{0}, sw::get_tpmestablished{}});
    }
    SECTION("padded u8 followed by requests") {
        check_splits(sw::control_parser{}, hex("00000005 01 000000 0000000b 02 ffffff 00000012"
                                               "0000000000000001 00000000 00000000"),
                     std::vector<sw::control_event>{sw::set_locality{1}, sw::reset_tpmestablished{2},
                                                    sw::get_info{1, 0, 0}});
    }
    SECTION("padding at the end of the stream is not a truncated request") {
        bool closed = true, mid = true;
        const auto evs = feed_cut(sw::control_parser{}, hex("00000005 02 000000"), {}, &closed, &mid);
        CHECK(evs == std::vector<sw::control_event>{sw::set_locality{2}});
        CHECK_FALSE(mid);
        CHECK_FALSE(closed);
        // ... but four bytes after the u8 are.
        feed_cut(sw::control_parser{}, hex("00000005 02 00000000"), {}, &closed, &mid);
        CHECK(mid);
    }
}

TEST_CASE("swtpm control: hash data, state blob cap, get_info, unknown", "[transport]") {
    SECTION("CMD_HASH_DATA in chunks, one result for the whole request") {
        const bytes wire = hex("00000006 00000007 00000007 01020304050607 00000007 00000000 00000008");
        const std::vector<sw::control_event> expected{
            sw::hash_start{},
            sw::hash_data{hex("01020304"), false},
            sw::hash_data{hex("050607"), true},
            sw::hash_data{{}, true},
            sw::hash_end{}};
        check_splits(sw::control_parser{4}, wire, expected);
        CHECK(sw::reply_for(expected[1]).what == sw::reply::none);
        CHECK(sw::reply_for(expected[2]).what == sw::reply::result);
    }
    SECTION("a state blob of exactly the cap passes, one more byte is refused") {
        const bytes ok = hex("0000000d 00000002 00000001 00000004 deadbeef");
        check_splits(sw::control_parser{4}, ok,
                     std::vector<sw::control_event>{sw::set_stateblob{2, 1, hex("deadbeef")}});
        const bytes big = hex("0000000d 00000002 00000001 00000005 deadbeef00");
        const std::vector<sw::control_event> expected{error{error_kind::length_too_large, 5}};
        check_splits(sw::control_parser{4}, big, expected);
        CHECK(sw::reply_for(expected[0]) ==
              sw::reply_rule{sw::reply::fixed_result, after_reply::close_connection, sw::res::size});
        sw::control_parser p;  // default cap
        CHECK(p.max_state_blob() == sw::default_max_state_blob);
        auto s = p.feed(hex("0000000d 00000000 00000001 ffffffff 00"));
        CHECK(s.consumed == 16);
        CHECK(p.closed());
        // an empty blob is framed too
        check_splits(sw::control_parser{}, hex("0000000d 00000000 00000003 00000000"),
                     std::vector<sw::control_event>{sw::set_stateblob{0, sw::blob_type::savestate, {}}});
    }
    SECTION("CMD_GET_INFO, CMD_GET_CONFIG, CMD_STORE_VOLATILE") {
        check_splits(sw::control_parser{},
                     hex("00000012 0000000000000003 00000010 00000000 0000000f 0000000a"),
                     std::vector<sw::control_event>{sw::get_info{3, 16, 0}, sw::get_config{},
                                                    sw::store_volatile{}});
    }
    SECTION("unknown commands: TPM_BAD_ORDINAL, then close") {
        for (std::uint32_t c : {0u, 0x13u, 0x14u, 0x100u, 0xffffffffu}) {
            INFO("cmd " << c);
            bool closed = false;
            const auto evs = feed_cut(sw::control_parser{}, cat({encode_u32(c), hex("00000001")}), {}, &closed);
            REQUIRE(evs == std::vector<sw::control_event>{sw::unknown{c}});
            CHECK(closed);
            CHECK(sw::reply_for(evs[0]) ==
                  sw::reply_rule{sw::reply::fixed_result, after_reply::close_connection, sw::res::bad_ordinal});
        }
        CHECK(sw::encode_result(sw::res::bad_ordinal) == hex("0000000a"));
    }
    SECTION("every payload-carrying request, truncated, is mid_frame") {
        const bytes reqs[] = {hex("00000002 00000001"), hex("00000005 01"), hex("00000007 00000002 abcd"),
                              hex("0000000b 00"), hex("0000000c 00000001 00000001 00000000"),
                              hex("0000000d 00000000 00000001 00000001 ff"), hex("00000011 00000000"),
                              hex("00000012 0000000000000001 00000000 00000000")};
        for (const auto& r : reqs) {
            for (std::size_t n = 1; n < r.size(); ++n) {
                INFO(to_hex(r) << " first " << n);
                bool closed = true, mid = false;
                CHECK(feed_cut(sw::control_parser{}, byte_view(r).first(n), {}, &closed, &mid).empty());
                CHECK(mid);
                CHECK_FALSE(closed);
            }
        }
    }
}

TEST_CASE("swtpm control: reply encoders", "[transport]") {
    CHECK(sw::encode_get_capability_reply(sw::ptm_cap::swtpm_0_7_tpm2) == hex("00000000 0000ffff"));
    std::uint64_t all = 0;
    for (int bit = 0; bit < 16; ++bit) all |= std::uint64_t{1} << bit;
    CHECK(sw::ptm_cap::swtpm_0_7_tpm2 == all);
    CHECK((sw::ptm_cap::send_command_header | sw::ptm_cap::get_info) == 0xc000);
    CHECK((sw::ptm_cap::qemu_tpm2_required & ~sw::ptm_cap::swtpm_0_7_tpm2) == 0);

    // struct ptm_est: u32 result, u8 bit, 3 pad bytes -> QEMU reads exactly 8 bytes.
    CHECK(sw::encode_get_tpmestablished_reply(0, true) == hex("00000000 01 000000"));
    CHECK(sw::encode_get_tpmestablished_reply(0, false) == hex("00000000 00 000000"));

    const bytes blob = hex("0102030405");
    CHECK(sw::encode_get_stateblob_reply(0, sw::state_flag_encrypted, blob, 0) ==
          hex("00000000 00000002 00000005 00000005 0102030405"));
    CHECK(sw::encode_get_stateblob_reply(0, 0, blob, 3) == hex("00000000 00000000 00000002 00000002 0405"));
    CHECK(sw::encode_get_stateblob_reply(0, 0, blob, 5) == hex("00000000 00000000 00000000 00000000"));
    CHECK(sw::encode_get_stateblob_reply(0, 0, blob, 0xffffffff) == hex("00000000 00000000 00000000 00000000"));
    CHECK(sw::encode_get_stateblob_reply(sw::res::fail, 0, blob, 0) == hex("00000009 00000000 00000000 00000000"));

    CHECK(sw::encode_get_config_reply(0, sw::config_flag_file_key | sw::config_flag_migration_key) ==
          hex("00000000 00000003"));
    CHECK(sw::encode_set_buffersize_reply(0, 4096, 2048, 8192) == hex("00000000 00001000 00000800 00002000"));

    // GET_INFO: totlength counts the NUL; a chunk carries at most 3072 bytes.
    CHECK(sw::encode_get_info_reply("{}", 0) == hex("00000000 00000003 00000003 7b7d00"));
    CHECK(sw::encode_get_info_reply("{}", 1) == hex("00000000 00000003 00000002 7d00"));
    CHECK(sw::encode_get_info_reply("{}", 2) == hex("00000003"));
    const std::string big(5000, 'x');
    const bytes first = sw::encode_get_info_reply(big, 0);
    REQUIRE(first.size() == 12 + 3072);
    CHECK(load_be32(first.data() + 4) == 5001);
    CHECK(load_be32(first.data() + 8) == 3072);
    const bytes rest = sw::encode_get_info_reply(big, 3072);
    REQUIRE(rest.size() == 12 + 1929);
    CHECK(rest.back() == 0);
    CHECK(load_be32(rest.data() + 8) == 1929);
}

TEST_CASE("swtpm: garbage in any split gives the same bounded events", "[transport]") {
    std::uint32_t x = 4242;
    auto next = [&] {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        return x;
    };
    for (int round = 0; round < 300; ++round) {
        bytes in(1 + next() % 96);
        for (auto& b : in) {
            const auto r = next();
            b = static_cast<std::uint8_t>(r % 3 == 0 ? r >> 8 : (r % 3 == 1 ? 0 : r % 20));
        }
        if (round % 4 == 0 && in.size() > 6) store_be16(in.data(), 0x8001);
        const std::size_t cap = 1 + next() % 40;
        std::vector<std::size_t> cuts;
        for (std::size_t k = 1 + next() % 5; k < in.size(); k += 1 + next() % 5) cuts.push_back(k);
        const auto d = feed_cut(sw::data_parser{cap}, in, {});
        REQUIRE(d == feed_cut(sw::data_parser{cap}, in, cuts));
        for (const auto& e : d)
            if (auto* c = std::get_if<sw::tpm_command>(&e)) {
                CHECK(c->command.size() <= cap);
                if (!c->prefixed) CHECK(load_be32(c->command.data() + 2) == c->command.size());
            }
        const auto c = feed_cut(sw::control_parser{cap}, in, {});
        REQUIRE(c == feed_cut(sw::control_parser{cap}, in, cuts));
        for (const auto& e : c) {
            if (auto* h = std::get_if<sw::hash_data>(&e)) CHECK(h->data.size() <= cap);
            if (auto* b = std::get_if<sw::set_stateblob>(&e)) CHECK(b->data.size() <= cap);
        }
    }
}
