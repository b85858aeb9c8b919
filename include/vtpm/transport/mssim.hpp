// The Microsoft/IBM TPM 2.0 simulator protocol ("mssim", ibmswtpm2 `tpm_server`), as spoken by
// tpm2-tss tcti-mssim and the IBM TSS: incremental parsers for the command port (default 2321)
// and the platform port (command port + 1), and the reply encoders.
//
// Wire format (all integers big-endian; codes from ibmswtpm2 TpmTcpProtocol.h):
//   command port:  u32 code, then
//     TPM_SEND_COMMAND (8):         u8 locality, u32 n, n bytes  -> u32 m, m bytes, u32 0
//     TPM_SIGNAL_HASH_START (5):    -                            -> u32 0
//     TPM_SIGNAL_HASH_DATA (6):     u32 n, n bytes               -> u32 0
//     TPM_SIGNAL_HASH_END (7):      -                            -> u32 0
//     TPM_REMOTE_HANDSHAKE (15):    u32 clientVersion (!= 0)     -> u32 1, u32 flags, u32 0
//     TPM_SET_ALTERNATIVE_RESULT (16): u32                       -> u32 0
//     TPM_SESSION_END (20), TPM_STOP (21): -                     -> nothing
//   platform port: u32 code -> u32 0 (power, physical presence, cancel, NV, key cache, reset,
//     restart, test failure mode), except TPM_SESSION_END / TPM_STOP (nothing),
//     TPM_GET_COMMAND_RESPONSE_SIZES (u32 len + blob, u32 0), TPM_ACT_GET_SIGNALED
//     (request u32 handle; reply u32 value, u32 0) and unknown codes (u32 1, then close).
// See ../shared/notes/simulator-protocols.md §1 and docs/transport.md.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "vtpm/core/bytes.hpp"
#include "vtpm/transport/framing.hpp"

namespace vtpm::transport::mssim {

/// Request codes (TPM_SIGNAL_POWER_ON -> code::signal_power_on, TPM_SEND_COMMAND ->
/// code::send_command, ...).
namespace code {
inline constexpr std::uint32_t signal_power_on = 1;
inline constexpr std::uint32_t signal_power_off = 2;
inline constexpr std::uint32_t signal_phys_pres_on = 3;
inline constexpr std::uint32_t signal_phys_pres_off = 4;
inline constexpr std::uint32_t signal_hash_start = 5;
inline constexpr std::uint32_t signal_hash_data = 6;
inline constexpr std::uint32_t signal_hash_end = 7;
inline constexpr std::uint32_t send_command = 8;
inline constexpr std::uint32_t signal_cancel_on = 9;
inline constexpr std::uint32_t signal_cancel_off = 10;
inline constexpr std::uint32_t signal_nv_on = 11;
inline constexpr std::uint32_t signal_nv_off = 12;
inline constexpr std::uint32_t signal_key_cache_on = 13;
inline constexpr std::uint32_t signal_key_cache_off = 14;
inline constexpr std::uint32_t remote_handshake = 15;
inline constexpr std::uint32_t set_alternative_result = 16;
inline constexpr std::uint32_t signal_reset = 17;
inline constexpr std::uint32_t signal_restart = 18;
inline constexpr std::uint32_t session_end = 20;
inline constexpr std::uint32_t stop = 21;
inline constexpr std::uint32_t get_command_response_sizes = 25;
inline constexpr std::uint32_t act_get_signaled = 26;
inline constexpr std::uint32_t test_failure_mode = 30;
}  // namespace code

/// TPM_REMOTE_HANDSHAKE reply flags (TpmEndPointInfo).
namespace endpoint {
inline constexpr std::uint32_t platform_available = 0x01;
inline constexpr std::uint32_t uses_tbs = 0x02;
inline constexpr std::uint32_t in_raw_mode = 0x04;
inline constexpr std::uint32_t supports_pp = 0x08;
/// What ibmswtpm2 reports: platform available, raw mode, physical presence supported.
inline constexpr std::uint32_t ibmswtpm2_default = platform_available | in_raw_mode | supports_pp;
}  // namespace endpoint

/// The server version sent in the TPM_REMOTE_HANDSHAKE reply.
inline constexpr std::uint32_t server_version = 1;

using transport::error;
using transport::unknown;

// ---- events, command port -----------------------------------------------------------------
// Each event names the reply the server owes; reply_for() says the same as data.

/// TPM_SEND_COMMAND. Reply: encode_send_command_response(engine response) (with an empty
/// response while the TPM is powered off, as ibmswtpm2 does). `command` is passed on unchecked
/// (it may be shorter than a TPM header: the engine answers with a TPM error).
struct send_command {
    static constexpr std::string_view name = "send_command";
    std::uint8_t locality = 0;
    bytes command;
    friend bool operator==(const send_command&, const send_command&) = default;
};
/// TPM_SIGNAL_HASH_START (_TPM_Hash_Start). Reply: ack.
struct hash_start {
    static constexpr std::string_view name = "hash_start";
    friend bool operator==(const hash_start&, const hash_start&) = default;
};
/// TPM_SIGNAL_HASH_DATA (_TPM_Hash_Data), one chunk of at most min(hash_chunk_size, cap)
/// bytes. Reply: ack after the chunk with `last` set (one ack per request, not per chunk).
struct hash_data {
    static constexpr std::string_view name = "hash_data";
    bytes data;
    bool last = true;
    friend bool operator==(const hash_data&, const hash_data&) = default;
};
/// TPM_SIGNAL_HASH_END (_TPM_Hash_End). Reply: ack.
struct hash_end {
    static constexpr std::string_view name = "hash_end";
    friend bool operator==(const hash_end&, const hash_end&) = default;
};
/// TPM_REMOTE_HANDSHAKE (client version is never 0; 0 gives an error event). Reply:
/// encode_handshake_reply().
struct remote_handshake {
    static constexpr std::string_view name = "remote_handshake";
    std::uint32_t client_version = 0;
    friend bool operator==(const remote_handshake&, const remote_handshake&) = default;
};
/// TPM_SET_ALTERNATIVE_RESULT (ignored by the simulator). Reply: ack.
struct set_alternative_result {
    static constexpr std::string_view name = "set_alternative_result";
    std::uint32_t value = 0;
    friend bool operator==(const set_alternative_result&, const set_alternative_result&) = default;
};
/// TPM_SESSION_END (either port). No reply; close the connection, keep serving.
struct session_end {
    static constexpr std::string_view name = "session_end";
    friend bool operator==(const session_end&, const session_end&) = default;
};
/// TPM_STOP (either port). No reply; the client asks the server to exit (a multi-instance
/// server may choose to only close the connection).
struct stop {
    static constexpr std::string_view name = "stop";
    friend bool operator==(const stop&, const stop&) = default;
};

/// Events of the command port. `unknown`: no reply, close (ibmswtpm2). `error`: no reply, close.
using command_event = std::variant<send_command, hash_start, hash_data, hash_end, remote_handshake,
                                   set_alternative_result, session_end, stop, unknown, error>;

// ---- events, platform port ----------------------------------------------------------------
// All reply with an ack unless said otherwise.

/// TPM_SIGNAL_POWER_ON. A no-op if already on (tcti-mssim sends it at every init: it must not
/// re-initialise a running TPM); otherwise power on + _TPM_Init.
struct power_on {
    static constexpr std::string_view name = "power_on";
    friend bool operator==(const power_on&, const power_on&) = default;
};
/// TPM_SIGNAL_POWER_OFF. The next power_on runs _TPM_Init; the TPM needs Startup again.
struct power_off {
    static constexpr std::string_view name = "power_off";
    friend bool operator==(const power_off&, const power_off&) = default;
};
struct phys_pres_on {
    static constexpr std::string_view name = "phys_pres_on";
    friend bool operator==(const phys_pres_on&, const phys_pres_on&) = default;
};
struct phys_pres_off {
    static constexpr std::string_view name = "phys_pres_off";
    friend bool operator==(const phys_pres_off&, const phys_pres_off&) = default;
};
struct cancel_on {
    static constexpr std::string_view name = "cancel_on";
    friend bool operator==(const cancel_on&, const cancel_on&) = default;
};
struct cancel_off {
    static constexpr std::string_view name = "cancel_off";
    friend bool operator==(const cancel_off&, const cancel_off&) = default;
};
struct nv_on {
    static constexpr std::string_view name = "nv_on";
    friend bool operator==(const nv_on&, const nv_on&) = default;
};
struct nv_off {
    static constexpr std::string_view name = "nv_off";
    friend bool operator==(const nv_off&, const nv_off&) = default;
};
/// TPM_SIGNAL_KEY_CACHE_ON/OFF (an RSA key cache in the Windows simulator): ack, nothing else.
struct key_cache_on {
    static constexpr std::string_view name = "key_cache_on";
    friend bool operator==(const key_cache_on&, const key_cache_on&) = default;
};
struct key_cache_off {
    static constexpr std::string_view name = "key_cache_off";
    friend bool operator==(const key_cache_off&, const key_cache_off&) = default;
};
/// TPM_SIGNAL_RESET: _TPM_Init if powered.
struct reset {
    static constexpr std::string_view name = "reset";
    friend bool operator==(const reset&, const reset&) = default;
};
/// TPM_SIGNAL_RESTART: timer restart.
struct restart {
    static constexpr std::string_view name = "restart";
    friend bool operator==(const restart&, const restart&) = default;
};
/// TPM_GET_COMMAND_RESPONSE_SIZES (debug). Reply: encode_command_response_sizes_reply().
struct get_command_response_sizes {
    static constexpr std::string_view name = "get_command_response_sizes";
    friend bool operator==(const get_command_response_sizes&,
                           const get_command_response_sizes&) = default;
};
/// TPM_ACT_GET_SIGNALED. Reply: encode_act_signaled_reply(signaled bit of the ACT).
struct act_get_signaled {
    static constexpr std::string_view name = "act_get_signaled";
    std::uint32_t handle = 0;
    friend bool operator==(const act_get_signaled&, const act_get_signaled&) = default;
};
/// TPM_TEST_FAILURE_MODE: the next self test fails.
struct test_failure_mode {
    static constexpr std::string_view name = "test_failure_mode";
    friend bool operator==(const test_failure_mode&, const test_failure_mode&) = default;
};

/// Events of the platform port. `unknown`: reply encode_unknown_code_reply(), then close.
using platform_event =
    std::variant<power_on, power_off, phys_pres_on, phys_pres_off, cancel_on, cancel_off, nv_on,
                 nv_off, key_cache_on, key_cache_off, reset, restart, session_end, stop,
                 get_command_response_sizes, act_get_signaled, test_failure_mode, unknown>;

/// The event's name, for logs.
[[nodiscard]] inline std::string_view name_of(const command_event& e) noexcept {
    return std::visit([](const auto& x) { return x.name; }, e);
}
[[nodiscard]] inline std::string_view name_of(const platform_event& e) noexcept {
    return std::visit([](const auto& x) { return x.name; }, e);
}

// ---- replies ------------------------------------------------------------------------------

/// The reply a request calls for.
enum class reply : std::uint8_t {
    none,                        ///< nothing is written
    ack,                         ///< encode_ack()
    tpm_response,                ///< encode_send_command_response(response)
    handshake,                   ///< encode_handshake_reply()
    unknown_code,                ///< encode_unknown_code_reply()
    command_response_sizes,      ///< encode_command_response_sizes_reply(...)
    act_signaled,                ///< encode_act_signaled_reply(value)
};

struct reply_rule {
    reply what = reply::none;
    after_reply after = after_reply::keep_open;
    friend constexpr bool operator==(reply_rule, reply_rule) = default;
};

/// What the server writes for a command-port event, and what it does next (ibmswtpm2
/// TcpServer.c behaviour).
[[nodiscard]] inline reply_rule reply_for(const command_event& e) noexcept {
    using r = reply;
    using a = after_reply;
    return std::visit(
        detail::overloaded{
            [](const send_command&) { return reply_rule{r::tpm_response, a::keep_open}; },
            [](const hash_data& h) {
                return h.last ? reply_rule{r::ack, a::keep_open} : reply_rule{r::none, a::keep_open};
            },
            [](const remote_handshake&) { return reply_rule{r::handshake, a::keep_open}; },
            [](const session_end&) { return reply_rule{r::none, a::close_connection}; },
            [](const stop&) { return reply_rule{r::none, a::stop_server}; },
            [](const unknown&) { return reply_rule{r::none, a::close_connection}; },
            [](const error&) { return reply_rule{r::none, a::close_connection}; },
            [](const auto&) { return reply_rule{r::ack, a::keep_open}; },  // hash start/end, alt
        },
        e);
}

/// What the server writes for a platform-port event, and what it does next.
[[nodiscard]] inline reply_rule reply_for(const platform_event& e) noexcept {
    using r = reply;
    using a = after_reply;
    return std::visit(
        detail::overloaded{
            [](const session_end&) { return reply_rule{r::none, a::close_connection}; },
            [](const stop&) { return reply_rule{r::none, a::stop_server}; },
            [](const get_command_response_sizes&) {
                return reply_rule{r::command_response_sizes, a::keep_open};
            },
            [](const act_get_signaled&) { return reply_rule{r::act_signaled, a::keep_open}; },
            [](const unknown&) { return reply_rule{r::unknown_code, a::close_connection}; },
            [](const auto&) { return reply_rule{r::ack, a::keep_open}; },  // the signals
        },
        e);
}

/// `u32 0`: the acknowledgement that ends every reply except those of session_end and stop.
inline constexpr std::array<std::uint8_t, 4> ack_bytes{0, 0, 0, 0};

[[nodiscard]] inline bytes encode_ack() { return bytes(ack_bytes.begin(), ack_bytes.end()); }

using transport::encode_send_command_response;

/// TPM_REMOTE_HANDSHAKE reply: `u32 server_version (1) | u32 flags | u32 0`.
[[nodiscard]] inline bytes encode_handshake_reply(
    std::uint32_t flags = endpoint::ibmswtpm2_default) {
    bytes out;
    append_be32(out, server_version);
    append_be32(out, flags);
    append_be32(out, 0);
    return out;
}

/// Platform-port reply to an unknown code: `u32 1`; the server then closes the connection.
[[nodiscard]] inline bytes encode_unknown_code_reply() { return encode_u32(1); }

/// TPM_ACT_GET_SIGNALED reply: `u32 value | u32 0`.
[[nodiscard]] inline bytes encode_act_signaled_reply(std::uint32_t value) {
    bytes out;
    append_be32(out, value);
    append_be32(out, 0);
    return out;
}

/// TPM_GET_COMMAND_RESPONSE_SIZES reply: `u32 16 | 16-byte blob | u32 0`. ibmswtpm2 sends its
/// C struct {largestCommandSize, largestCommand, largestResponseSize, largestResponse} as it
/// lies in memory: the sizes in host order (little-endian on x86), the command code and
/// response code as the raw big-endian bytes copied from the packets. This encoder reproduces
/// that layout as seen from a little-endian host.
[[nodiscard]] inline bytes encode_command_response_sizes_reply(std::uint32_t largest_command_size,
                                                               std::uint32_t largest_command_code,
                                                               std::uint32_t largest_response_size,
                                                               std::uint32_t largest_response_code) {
    auto le32 = [](bytes& o, std::uint32_t v) {
        for (int i = 0; i < 4; ++i, v >>= 8) o.push_back(static_cast<std::uint8_t>(v));
    };
    bytes blob;
    le32(blob, largest_command_size);
    append_be32(blob, largest_command_code);
    le32(blob, largest_response_size);
    append_be32(blob, largest_response_code);
    return encode_send_command_response(blob);
}

// ---- parsers ------------------------------------------------------------------------------

/// Incremental parser for the command port. Feed bytes as they arrive; each complete request
/// yields one event (TPM_SIGNAL_HASH_DATA: one event per chunk). A length above the cap
/// (constructor argument) yields `error` without allocating more than the cap. After
/// session_end, stop, unknown or error the parser is closed: it swallows further input and
/// yields nothing; the server closes the connection.
class command_parser {
public:
    explicit command_parser(std::size_t max_command = default_max_command) noexcept
        : max_(max_command), chunk_(std::max<std::size_t>(1, std::min(hash_chunk_size, max_command))) {
        head_.expect(4);
    }

    /// Consume bytes up to and including the end of the next complete event.
    [[nodiscard]] step<command_event> feed(byte_view in) {
        step<command_event> s;
        while (s.consumed < in.size() && !s.event) {
            if (state_ == st::closed) {
                s.consumed = in.size();
                break;
            }
            const auto rest = in.subspan(s.consumed);
            if (state_ == st::send_body || state_ == st::hash_body) {
                s.consumed += body_.fill(rest);
                if (body_.full()) s.event = on_body();
            } else {
                s.consumed += head_.fill(rest);
                if (head_.full()) s.event = on_head();
            }
        }
        return s;
    }

    /// Feed everything, calling `sink(command_event&&)` for each event; returns in.size().
    template <class Sink>
    std::size_t feed(byte_view in, Sink&& sink) {
        return detail::feed_all(*this, in, sink);
    }

    /// True after session_end, stop, unknown or error.
    [[nodiscard]] bool closed() const noexcept { return state_ == st::closed; }
    /// True if part of a request has been received: EOF now means a truncated request.
    [[nodiscard]] bool mid_frame() const noexcept {
        return state_ != st::closed && (state_ != st::code || head_.size() != 0);
    }
    [[nodiscard]] std::size_t max_command() const noexcept { return max_; }

private:
    enum class st : std::uint8_t { code, send_header, send_body, hash_length, hash_body, u32_arg, closed };

    std::optional<command_event> on_head() {
        switch (state_) {
        case st::code: return on_code(head_.u32(0));
        case st::send_header: {
            const std::uint8_t locality = head_.u8(0);
            const std::uint32_t n = head_.u32(1);
            if (n > max_) return fail(error_kind::length_too_large, n);
            if (n == 0) {
                next_request();
                return send_command{locality, {}};
            }
            locality_ = locality;
            body_.expect(n);
            state_ = st::send_body;
            return std::nullopt;
        }
        case st::hash_length: {
            remaining_ = head_.u32(0);
            if (remaining_ == 0) {
                next_request();
                return hash_data{{}, true};
            }
            body_.expect(std::min<std::size_t>(chunk_, remaining_));
            state_ = st::hash_body;
            return std::nullopt;
        }
        case st::u32_arg: {
            const std::uint32_t v = head_.u32(0);
            if (arg_code_ == code::remote_handshake) {
                if (v == 0) return fail(error_kind::bad_client_version, 0);
                next_request();
                return remote_handshake{v};
            }
            next_request();
            return set_alternative_result{v};
        }
        default: return std::nullopt;  // body and closed states do not use the head
        }
    }

    std::optional<command_event> on_code(std::uint32_t c) {
        switch (c) {
        case code::send_command:
            head_.expect(5);
            state_ = st::send_header;
            return std::nullopt;
        case code::signal_hash_start: next_request(); return hash_start{};
        case code::signal_hash_data:
            head_.expect(4);
            state_ = st::hash_length;
            return std::nullopt;
        case code::signal_hash_end: next_request(); return hash_end{};
        case code::remote_handshake:
        case code::set_alternative_result:
            arg_code_ = c;
            head_.expect(4);
            state_ = st::u32_arg;
            return std::nullopt;
        case code::session_end: state_ = st::closed; return session_end{};
        case code::stop: state_ = st::closed; return stop{};
        default: state_ = st::closed; return unknown{c};
        }
    }

    std::optional<command_event> on_body() {
        if (state_ == st::send_body) {
            next_request();
            return send_command{locality_, body_.take()};
        }
        bytes chunk = body_.take();
        remaining_ -= static_cast<std::uint32_t>(chunk.size());
        const bool last = remaining_ == 0;
        if (last) next_request();
        else body_.expect(std::min<std::size_t>(chunk_, remaining_));
        return hash_data{std::move(chunk), last};
    }

    command_event fail(error_kind k, std::uint32_t v) {
        state_ = st::closed;
        return error{k, v};
    }
    void next_request() noexcept {
        state_ = st::code;
        head_.expect(4);
    }

    std::size_t max_;
    std::size_t chunk_;
    st state_ = st::code;
    detail::head_buffer head_;
    detail::body_buffer body_;
    std::uint8_t locality_ = 0;
    std::uint32_t remaining_ = 0;
    std::uint32_t arg_code_ = 0;
};

/// Incremental parser for the platform port. Every request is a u32 code (TPM_ACT_GET_SIGNALED
/// adds a u32 handle), so no allocation happens. After session_end, stop or unknown the parser
/// is closed (swallows input, yields nothing).
class platform_parser {
public:
    platform_parser() noexcept { head_.expect(4); }

    [[nodiscard]] step<platform_event> feed(byte_view in) {
        step<platform_event> s;
        while (s.consumed < in.size() && !s.event) {
            if (state_ == st::closed) {
                s.consumed = in.size();
                break;
            }
            s.consumed += head_.fill(in.subspan(s.consumed));
            if (head_.full()) s.event = on_head();
        }
        return s;
    }

    template <class Sink>
    std::size_t feed(byte_view in, Sink&& sink) {
        return detail::feed_all(*this, in, sink);
    }

    [[nodiscard]] bool closed() const noexcept { return state_ == st::closed; }
    [[nodiscard]] bool mid_frame() const noexcept {
        return state_ == st::act_handle || (state_ == st::code && head_.size() != 0);
    }

private:
    enum class st : std::uint8_t { code, act_handle, closed };

    std::optional<platform_event> on_head() {
        if (state_ == st::act_handle) {
            const std::uint32_t handle = head_.u32(0);
            next_request();
            return act_get_signaled{handle};
        }
        const std::uint32_t c = head_.u32(0);
        next_request();
        switch (c) {
        case code::signal_power_on: return power_on{};
        case code::signal_power_off: return power_off{};
        case code::signal_phys_pres_on: return phys_pres_on{};
        case code::signal_phys_pres_off: return phys_pres_off{};
        case code::signal_cancel_on: return cancel_on{};
        case code::signal_cancel_off: return cancel_off{};
        case code::signal_nv_on: return nv_on{};
        case code::signal_nv_off: return nv_off{};
        case code::signal_key_cache_on: return key_cache_on{};
        case code::signal_key_cache_off: return key_cache_off{};
        case code::signal_reset: return reset{};
        case code::signal_restart: return restart{};
        case code::get_command_response_sizes: return get_command_response_sizes{};
        case code::test_failure_mode: return test_failure_mode{};
        case code::act_get_signaled: state_ = st::act_handle; return std::nullopt;
        case code::session_end: state_ = st::closed; return session_end{};
        case code::stop: state_ = st::closed; return stop{};
        default: state_ = st::closed; return unknown{c};
        }
    }
    void next_request() noexcept {
        state_ = st::code;
        head_.expect(4);
    }

    st state_ = st::code;
    detail::head_buffer head_;
};

}  // namespace vtpm::transport::mssim
