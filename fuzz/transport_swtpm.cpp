// Fuzz target: the swtpm data-channel and control-channel parsers (vtpm/transport/swtpm.hpp).
//
// Input: byte 0 picks the caps (command size for the data channel, state blob size for the
// control channel), byte 1 seeds how the stream is cut into feeds, the rest is the byte stream a
// client sends; it goes to both parsers.
// Checks: every feed consumes 1..n bytes; the events do not depend on the cuts; no event
// carries more than the cap; raw commands carry their own commandSize; hash chunks are full
// except the last; nothing comes after a closing event; replies encode.
#include <cstddef>
#include <cstdint>

#include "vtpm/transport/swtpm.hpp"

#define VTPM_FUZZ_CHECK(c)          \
    do {                            \
        if (!(c)) __builtin_trap(); \
    } while (0)

namespace {

namespace sw = vtpm::transport::swtpm;
using vtpm::byte_view;

constexpr std::size_t max_input = std::size_t{1} << 16;
constexpr std::size_t caps[] = {vtpm::transport::default_max_command, 4096, 300, 64, 16, 12, 10, 4, 1, 0};

class cutter {
public:
    explicit cutter(std::uint8_t seed) : x_(0x85ebca6bu ^ seed) {}
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
                const auto after = sw::reply_for(*s.event).after;
                // shutdown asks to stop the server but the stream stays framed
                if (after == vtpm::transport::after_reply::close_connection) {
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

template <class Parser, class Event, class Check>
void differential(std::size_t cap, byte_view in, std::uint8_t seed, Check&& check) {
    const auto whole = run<Parser, Event>(Parser{cap}, in, seed, 0, check);
    VTPM_FUZZ_CHECK(whole == (run<Parser, Event>(Parser{cap}, in, seed, 2, check)));
    if (in.size() <= 256) VTPM_FUZZ_CHECK(whole == (run<Parser, Event>(Parser{cap}, in, seed, 1, check)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2 || size > max_input) return 0;
    const std::size_t cap = caps[data[0] % (sizeof caps / sizeof caps[0])];
    const std::uint8_t seed = data[1];
    const byte_view in(data + 2, size - 2);
    const std::size_t chunk = cap < vtpm::transport::hash_chunk_size ? (cap ? cap : 1)
                                                                     : vtpm::transport::hash_chunk_size;

    auto check_data = [&](const sw::data_event& e) {
        if (const auto* c = std::get_if<sw::tpm_command>(&e)) {
            VTPM_FUZZ_CHECK(c->command.size() <= cap && c->command.size() <= in.size());
            if (!c->prefixed) {
                VTPM_FUZZ_CHECK(c->command.size() >= 10);
                VTPM_FUZZ_CHECK(vtpm::load_be32(c->command.data() + 2) == c->command.size());
                VTPM_FUZZ_CHECK(c->locality == 0);
                VTPM_FUZZ_CHECK(sw::reply_for(e).what == sw::reply::tpm_response);
            } else {
                VTPM_FUZZ_CHECK(sw::reply_for(e).what == sw::reply::tpm_response_prefixed);
                VTPM_FUZZ_CHECK(sw::encode_send_command_response(c->command).size() == c->command.size() + 8);
            }
        }
        VTPM_FUZZ_CHECK(!sw::name_of(e).empty());
    };
    auto check_control = [&](const sw::control_event& e) {
        if (const auto* h = std::get_if<sw::hash_data>(&e)) {
            VTPM_FUZZ_CHECK(h->data.size() <= chunk);
            VTPM_FUZZ_CHECK(h->last || h->data.size() == chunk);
        } else if (const auto* b = std::get_if<sw::set_stateblob>(&e)) {
            VTPM_FUZZ_CHECK(b->data.size() <= cap && b->data.size() <= in.size());
        } else if (const auto* g = std::get_if<sw::get_stateblob>(&e)) {
            const auto r = sw::encode_get_stateblob_reply(0, g->flags, in, g->offset);
            VTPM_FUZZ_CHECK(r.size() >= 16 && r.size() <= 16 + in.size());
        } else if (const auto* i = std::get_if<sw::get_info>(&e)) {
            const auto r = sw::encode_get_info_reply("{\"TPMSpecification\":{}}", i->offset);
            VTPM_FUZZ_CHECK(r.size() == 4 || r.size() >= 12);
        }
        const auto rule = sw::reply_for(e);
        if (rule.what == sw::reply::fixed_result)
            VTPM_FUZZ_CHECK(rule.result == sw::res::bad_ordinal || rule.result == sw::res::size);
        VTPM_FUZZ_CHECK(!sw::name_of(e).empty());
    };

    differential<sw::data_parser, sw::data_event>(cap, in, seed, check_data);
    differential<sw::control_parser, sw::control_event>(cap, in, seed, check_control);
    return 0;
}
