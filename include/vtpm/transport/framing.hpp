// Pieces shared by the simulator wire protocols (mssim.hpp, swtpm.hpp): the result of feeding
// bytes to a parser, protocol errors, reply rules and big-endian encoders.
//
// The parsers in this directory are pure state machines over bytes: no sockets, no threads, no
// engine. A server reads from a socket, feeds what arrived (any split, down to one byte at a
// time), acts on each complete event and writes the reply the event calls for. Memory is bounded
// by a cap given to each parser's constructor; malformed input yields an `error` or `unknown`
// event, never an exception or undefined behaviour.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"

namespace vtpm::transport {

/// Default cap on one TPM command, and on the payload of any single event: the reference
/// implementation's MAX_COMMAND_SIZE (4096) plus as much slack again, so that a slightly
/// oversized command still reaches the engine (which answers TPM_RC_COMMAND_SIZE) instead of
/// the transport dropping the connection.
inline constexpr std::size_t default_max_command = 4096 + 4096;

/// _TPM_Hash_Data bytes (mssim TPM_SIGNAL_HASH_DATA, swtpm CMD_HASH_DATA) are handed out in
/// chunks of at most this many bytes (and at most the parser's cap), so any length can be hashed
/// with bounded memory.
inline constexpr std::size_t hash_chunk_size = 4096;

/// What one call of a parser's `feed()` did.
template <class Event>
struct step {
    /// Bytes of the input used; at least 1 whenever the input was not empty. Bytes after
    /// `consumed` were not looked at: feed them again (after handling `event`).
    std::size_t consumed = 0;
    /// The event completed by the last consumed byte, if any.
    std::optional<Event> event;
};

/// Why a parser rejected its input.
enum class error_kind : std::uint8_t {
    length_too_large,    ///< a length field exceeds the parser's cap
    length_too_small,    ///< a raw TPM command header announces fewer than 10 bytes
    bad_client_version,  ///< TPM_REMOTE_HANDSHAKE with client version 0
};

[[nodiscard]] constexpr std::string_view describe(error_kind k) noexcept {
    switch (k) {
    case error_kind::length_too_large: return "length field exceeds the configured maximum";
    case error_kind::length_too_small: return "TPM command header announces fewer than 10 bytes";
    case error_kind::bad_client_version: return "remote handshake with client version 0";
    }
    return "unknown error";
}

/// Malformed input. The stream is out of step afterwards: the parser is closed and the server
/// closes the connection (after the reply, if the protocol has one; see each `reply_for`).
struct error {
    static constexpr std::string_view name = "error";
    error_kind kind{};
    std::uint32_t value = 0;  ///< the offending length or version, for the log
    friend bool operator==(const error&, const error&) = default;
};

/// A request code the protocol does not define. Parsers close after it: its payload, if any,
/// is unknown, so nothing after it can be framed.
struct unknown {
    static constexpr std::string_view name = "unknown";
    std::uint32_t code = 0;
    friend bool operator==(const unknown&, const unknown&) = default;
};

/// What the server does with the connection after writing an event's reply.
enum class after_reply : std::uint8_t {
    keep_open,         ///< read the next request
    close_connection,  ///< close this connection, keep serving (accept the next client)
    stop_server,       ///< the client asks the server (or this TPM instance) to terminate
};

// ---- big-endian encoders ------------------------------------------------------------------

inline void append_be32(bytes& out, std::uint32_t v) {
    std::array<std::uint8_t, 4> b{};
    store_be32(b.data(), v);
    out.insert(out.end(), b.begin(), b.end());
}

inline void append_be64(bytes& out, std::uint64_t v) {
    std::array<std::uint8_t, 8> b{};
    store_be64(b.data(), v);
    out.insert(out.end(), b.begin(), b.end());
}

/// One big-endian u32: the mssim acknowledgement (`encode_u32(0)`), a swtpm result code, ...
[[nodiscard]] inline bytes encode_u32(std::uint32_t v) {
    bytes out;
    append_be32(out, v);
    return out;
}

/// The size-prefixed response framing of mssim TPM_SEND_COMMAND, also used by swtpm for data
/// channel commands that arrived with the TPM_SEND_COMMAND prefix:
/// `u32 size | size bytes of TPM response | u32 0`.
/// An empty response (`size` 0) is what ibmswtpm2 answers while the TPM is powered off.
[[nodiscard]] inline bytes encode_send_command_response(byte_view response) {
    bytes out;
    out.reserve(response.size() + 8);
    append_be32(out, static_cast<std::uint32_t>(response.size()));
    out.insert(out.end(), response.begin(), response.end());
    append_be32(out, 0);
    return out;
}

/// A 10-byte TPM 2.0 error response (tag TPM_ST_NO_SESSIONS, size 10, the code) for a server
/// that answers without the engine, e.g. while the TPM is stopped (swtpm answers
/// TPM_RC_FAILURE then). Part 1 §18.
[[nodiscard]] inline bytes encode_tpm_error_response(rc code) {
    bytes out;
    out.reserve(10);
    out.push_back(0x80);  // TPM_ST_NO_SESSIONS = 0x8001
    out.push_back(0x01);
    append_be32(out, 10);
    append_be32(out, code.code());
    return out;
}

namespace detail {

/// Collects a small fixed-size header (at most 16 bytes) across feeds.
class head_buffer {
public:
    static constexpr std::size_t capacity = 16;

    /// Start a new header of n bytes (n <= capacity).
    void expect(std::size_t n) noexcept {
        have_ = 0;
        need_ = std::min(n, capacity);
    }
    /// Grow the header being collected to n bytes, keeping what is there.
    void extend(std::size_t n) noexcept { need_ = std::clamp(n, have_, capacity); }
    /// Drop the first k collected bytes (k <= have), keeping the rest at the front.
    void drop_front(std::size_t k) noexcept {
        k = std::min(k, have_);
        std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(k),
                  buf_.begin() + static_cast<std::ptrdiff_t>(have_), buf_.begin());
        have_ -= k;
    }
    /// Copy as much of `in` as the header still needs; returns the number of bytes taken.
    std::size_t fill(byte_view in) noexcept {
        const std::size_t n = std::min(need_ - have_, in.size());
        std::copy_n(in.begin(), n, buf_.begin() + static_cast<std::ptrdiff_t>(have_));
        have_ += n;
        return n;
    }
    [[nodiscard]] bool full() const noexcept { return have_ == need_; }
    [[nodiscard]] std::size_t size() const noexcept { return have_; }
    [[nodiscard]] std::uint8_t u8(std::size_t at) const noexcept {
        return at < have_ ? buf_[at] : 0;
    }
    [[nodiscard]] std::uint32_t u32(std::size_t at) const noexcept {
        return at + 4 <= have_ ? load_be32(buf_.data() + at) : 0;
    }
    [[nodiscard]] std::uint64_t u64(std::size_t at) const noexcept {
        return at + 8 <= have_ ? load_be64(buf_.data() + at) : 0;
    }
    [[nodiscard]] byte_view view() const noexcept { return {buf_.data(), have_}; }

private:
    std::array<std::uint8_t, capacity> buf_{};
    std::size_t have_ = 0;
    std::size_t need_ = 0;
};

/// Collects a variable-size body whose length was checked against the cap beforehand.
class body_buffer {
public:
    /// Start a body of n bytes; `prefix` (already received, part of the n) is copied first.
    void expect(std::size_t n, byte_view prefix = {}) {
        data_.clear();
        need_ = n;
        data_.reserve(n);  // n <= the parser's cap, checked by the caller
        data_.insert(data_.end(), prefix.begin(), prefix.end());
    }
    std::size_t fill(byte_view in) {
        const std::size_t n = std::min(need_ - data_.size(), in.size());
        data_.insert(data_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
        return n;
    }
    [[nodiscard]] bool full() const noexcept { return data_.size() == need_; }
    [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
    /// Hand out the collected bytes and reset.
    [[nodiscard]] bytes take() noexcept {
        bytes out = std::move(data_);
        data_ = bytes{};
        need_ = 0;
        return out;
    }

private:
    bytes data_;
    std::size_t need_ = 0;
};

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

/// Run `feed(in)` repeatedly, handing every event to `sink`; returns the bytes used (all).
template <class Parser, class Sink>
std::size_t feed_all(Parser& p, byte_view in, Sink& sink) {
    std::size_t used = 0;
    while (used < in.size()) {
        auto s = p.feed(in.subspan(used));
        if (s.consumed == 0) break;  // cannot happen (documented invariant); never spin
        used += s.consumed;
        if (s.event) sink(std::move(*s.event));
    }
    return used;
}

}  // namespace detail
}  // namespace vtpm::transport
