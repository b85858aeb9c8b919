// Fuzz target: the mssim command-port and platform-port parsers (vtpm/transport/mssim.hpp).
//
// Input: byte 0 picks the command size cap (small caps reach the limits), byte 1 seeds how the
// stream is cut into feeds, the rest is the byte stream a client sends; it goes to both parsers.
// Checks: every feed consumes 1..n bytes; the events do not depend on the cuts (whole input vs
// chunks vs one byte at a time for short inputs); no event carries more than the cap; hash
// chunks are full except the last; nothing comes after a closing event; replies encode.
#include <cstddef>
#include <cstdint>

#include "vtpm/transport/mssim.hpp"

#define VTPM_FUZZ_CHECK(c)          \
    do {                            \
        if (!(c)) __builtin_trap(); \
    } while (0)

namespace {

namespace ms = vtpm::transport::mssim;
using vtpm::byte_view;

constexpr std::size_t max_input = std::size_t{1} << 16;
constexpr std::size_t caps[] = {vtpm::transport::default_max_command, 4096, 64, 16, 12, 10, 1, 0};

/// Cut points from a xorshift seeded by the input: chunks of 1..16 bytes, sometimes larger.
class cutter {
public:
    explicit cutter(std::uint8_t seed) : x_(0x9e3779b9u ^ seed) {}
    std::size_t next() {
        x_ ^= x_ << 13;
        x_ ^= x_ >> 17;
        x_ ^= x_ << 5;
        return (x_ & 0x100) ? 1 + (x_ % 512) : 1 + (x_ % 16);
    }

private:
    std::uint32_t x_;
};

template <class Parser, class Event, class Check>
std::vector<Event> run(Parser p, byte_view in, std::uint8_t seed, int mode, Check&& check) {
    std::vector<Event> out;
    cutter cut(seed);
    std::size_t pos = 0;
    bool closed_seen = false;
    while (pos < in.size()) {
        std::size_t n = mode == 0 ? in.size() - pos : mode == 1 ? 1 : cut.next();
        if (n > in.size() - pos) n = in.size() - pos;
        byte_view chunk = in.subspan(pos, n);
        while (!chunk.empty()) {
            auto s = p.feed(chunk);
            VTPM_FUZZ_CHECK(s.consumed >= 1 && s.consumed <= chunk.size());
            chunk = chunk.subspan(s.consumed);
            if (s.event) {
                VTPM_FUZZ_CHECK(!closed_seen);
                check(*s.event);
                const auto rule = ms::reply_for(*s.event);
                if (rule.after != vtpm::transport::after_reply::keep_open) {
                    VTPM_FUZZ_CHECK(p.closed());
                    closed_seen = true;
                } else {
                    VTPM_FUZZ_CHECK(!p.closed());
                }
                out.push_back(std::move(*s.event));
            }
        }
        pos += n;
    }
    VTPM_FUZZ_CHECK(p.closed() == closed_seen);
    VTPM_FUZZ_CHECK(!(p.closed() && p.mid_frame()));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2 || size > max_input) return 0;
    const std::size_t cap = caps[data[0] % (sizeof caps / sizeof caps[0])];
    const std::uint8_t seed = data[1];
    const byte_view in(data + 2, size - 2);
    const std::size_t chunk = cap < vtpm::transport::hash_chunk_size ? (cap ? cap : 1)
                                                                     : vtpm::transport::hash_chunk_size;

    std::size_t payload = 0;  // bytes handed out in events, per run
    auto check_command = [&](const ms::command_event& e) {
        if (const auto* c = std::get_if<ms::send_command>(&e)) {
            VTPM_FUZZ_CHECK(c->command.size() <= cap);
            payload += c->command.size();
            const auto wire = ms::encode_send_command_response(c->command);
            VTPM_FUZZ_CHECK(wire.size() == c->command.size() + 8);
        } else if (const auto* h = std::get_if<ms::hash_data>(&e)) {
            VTPM_FUZZ_CHECK(h->data.size() <= chunk);
            VTPM_FUZZ_CHECK(h->last || h->data.size() == chunk);
            payload += h->data.size();
        } else if (const auto* r = std::get_if<ms::remote_handshake>(&e)) {
            VTPM_FUZZ_CHECK(r->client_version != 0);
        } else if (const auto* x = std::get_if<ms::error>(&e)) {
            VTPM_FUZZ_CHECK(!vtpm::transport::describe(x->kind).empty());
        }
        VTPM_FUZZ_CHECK(!ms::name_of(e).empty());
        VTPM_FUZZ_CHECK(payload <= in.size());
    };
    auto check_platform = [&](const ms::platform_event& e) {
        VTPM_FUZZ_CHECK(!ms::name_of(e).empty());
        if (ms::reply_for(e).what == ms::reply::unknown_code)
            VTPM_FUZZ_CHECK(std::holds_alternative<ms::unknown>(e));
    };

    using cmd_parser = ms::command_parser;
    const auto whole = run<cmd_parser, ms::command_event>(cmd_parser{cap}, in, seed, 0, check_command);
    payload = 0;
    const auto cut = run<cmd_parser, ms::command_event>(cmd_parser{cap}, in, seed, 2, check_command);
    VTPM_FUZZ_CHECK(whole == cut);
    if (in.size() <= 256) {
        payload = 0;
        VTPM_FUZZ_CHECK(whole == (run<cmd_parser, ms::command_event>(cmd_parser{cap}, in, seed, 1, check_command)));
    }

    const auto pw = run<ms::platform_parser, ms::platform_event>(ms::platform_parser{}, in, seed, 0, check_platform);
    const auto pc = run<ms::platform_parser, ms::platform_event>(ms::platform_parser{}, in, seed, 2, check_platform);
    VTPM_FUZZ_CHECK(pw == pc);
    VTPM_FUZZ_CHECK(pw.size() <= in.size() / 4);
    return 0;
}
