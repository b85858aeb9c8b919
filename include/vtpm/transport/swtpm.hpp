// The swtpm socket protocol, as spoken by tpm2-tss tcti-swtpm and QEMU's tpm-emulator backend:
// an incremental parser for the data channel (raw TPM commands, or commands with the mssim
// TPM_SEND_COMMAND prefix), an incremental parser for the control channel (CMD_* requests of
// swtpm's tpm_ioctl.h) and the reply encoders.
//
// Data channel: a TPM command as in Part 3 (tag u16, commandSize u32, code u32, ...) -> the TPM
//   response, nothing else. swtpm also accepts `u32 8 | u8 locality | u32 n | n bytes` there and
//   then answers `u32 m | m bytes | u32 0` (capability PTM_CAP_SEND_COMMAND_HEADER).
// Control channel: `u32 cmd | payload` -> reply; result codes are TPM 1.2 style (namespace res).
//   Payload and reply layouts are listed with each event below.
// See ../shared/notes/simulator-protocols.md §2 and docs/transport.md.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "vtpm/core/bytes.hpp"
#include "vtpm/transport/framing.hpp"

namespace vtpm::transport::swtpm {

/// Control channel request codes (CMD_GET_CAPABILITY -> cmd::get_capability, ...).
namespace cmd {
inline constexpr std::uint32_t get_capability = 0x01;
inline constexpr std::uint32_t init = 0x02;
inline constexpr std::uint32_t shutdown = 0x03;
inline constexpr std::uint32_t get_tpmestablished = 0x04;
inline constexpr std::uint32_t set_locality = 0x05;
inline constexpr std::uint32_t hash_start = 0x06;
inline constexpr std::uint32_t hash_data = 0x07;
inline constexpr std::uint32_t hash_end = 0x08;
inline constexpr std::uint32_t cancel_tpm_cmd = 0x09;
inline constexpr std::uint32_t store_volatile = 0x0a;
inline constexpr std::uint32_t reset_tpmestablished = 0x0b;
inline constexpr std::uint32_t get_stateblob = 0x0c;
inline constexpr std::uint32_t set_stateblob = 0x0d;
inline constexpr std::uint32_t stop = 0x0e;
inline constexpr std::uint32_t get_config = 0x0f;
inline constexpr std::uint32_t set_datafd = 0x10;
inline constexpr std::uint32_t set_buffersize = 0x11;
inline constexpr std::uint32_t get_info = 0x12;
}  // namespace cmd

/// Capability bits of the CMD_GET_CAPABILITY reply (PTM_CAP_INIT -> ptm_cap::init, ...).
namespace ptm_cap {
inline constexpr std::uint64_t init = 1u << 0;
inline constexpr std::uint64_t shutdown = 1u << 1;
inline constexpr std::uint64_t get_tpmestablished = 1u << 2;
inline constexpr std::uint64_t set_locality = 1u << 3;
inline constexpr std::uint64_t hashing = 1u << 4;
inline constexpr std::uint64_t cancel_tpm_cmd = 1u << 5;
inline constexpr std::uint64_t store_volatile = 1u << 6;
inline constexpr std::uint64_t reset_tpmestablished = 1u << 7;
inline constexpr std::uint64_t get_stateblob = 1u << 8;
inline constexpr std::uint64_t set_stateblob = 1u << 9;
inline constexpr std::uint64_t stop = 1u << 10;
inline constexpr std::uint64_t get_config = 1u << 11;
inline constexpr std::uint64_t set_datafd = 1u << 12;
inline constexpr std::uint64_t set_buffersize = 1u << 13;
inline constexpr std::uint64_t get_info = 1u << 14;
inline constexpr std::uint64_t send_command_header = 1u << 15;
/// CMD_LOCK_STORAGE (0x13, newer swtpm): not parsed here; do not advertise it.
inline constexpr std::uint64_t lock_storage = 1u << 16;
/// What swtpm 0.7.1 reports for a TPM 2 (bits 0..15).
inline constexpr std::uint64_t swtpm_0_7_tpm2 = 0xffff;
/// What QEMU's tpm-emulator requires of a TPM 2 backend.
inline constexpr std::uint64_t qemu_tpm2_required =
    init | shutdown | get_tpmestablished | set_locality | reset_tpmestablished | set_datafd | stop |
    set_buffersize;
}  // namespace ptm_cap

/// Control channel result codes: TPM 1.2 TPM_RESULT values (TPM_BAD_PARAMETER ->
/// res::bad_parameter, ...).
namespace res {
inline constexpr std::uint32_t success = 0x00;
inline constexpr std::uint32_t bad_parameter = 0x03;
inline constexpr std::uint32_t fail = 0x09;
inline constexpr std::uint32_t bad_ordinal = 0x0a;
inline constexpr std::uint32_t size = 0x17;
inline constexpr std::uint32_t ioerror = 0x1f;
inline constexpr std::uint32_t invalid_postinit = 0x26;
inline constexpr std::uint32_t bad_locality = 0x3d;
}  // namespace res

/// CMD_INIT flags.
inline constexpr std::uint32_t init_flag_delete_volatile = 1;  // PTM_INIT_FLAG_DELETE_VOLATILE
/// State blob types (PTM_BLOB_TYPE_*).
namespace blob_type {
inline constexpr std::uint32_t permanent = 1;
inline constexpr std::uint32_t volatile_ = 2;
inline constexpr std::uint32_t savestate = 3;
}  // namespace blob_type
/// State blob flags: on input "give me decrypted", on output "this is encrypted".
inline constexpr std::uint32_t state_flag_decrypted = 1;  // PTM_STATE_FLAG_DECRYPTED
inline constexpr std::uint32_t state_flag_encrypted = 2;  // PTM_STATE_FLAG_ENCRYPTED
/// CMD_GET_CONFIG flags.
inline constexpr std::uint32_t config_flag_file_key = 1;       // PTM_CONFIG_FLAG_FILE_KEY
inline constexpr std::uint32_t config_flag_migration_key = 2;  // PTM_CONFIG_FLAG_MIGRATION_KEY
/// Most JSON bytes one CMD_GET_INFO reply carries (PTM_GETINFO_SIZE).
inline constexpr std::size_t getinfo_size = 3 * 1024;
/// Default cap on a CMD_SET_STATEBLOB blob.
inline constexpr std::size_t default_max_state_blob = std::size_t{4} << 20;

using transport::error;
using transport::unknown;

// ---- data channel -------------------------------------------------------------------------

/// One TPM command from the data channel.
/// Reply: if `prefixed`, encode_send_command_response(response); else the raw response bytes.
struct tpm_command {
    static constexpr std::string_view name = "tpm_command";
    bytes command;
    /// The command came with the mssim TPM_SEND_COMMAND prefix. swtpm then takes `locality`
    /// as the current locality (it stays in effect for later commands); a raw command runs at
    /// the locality last set with CMD_SET_LOCALITY.
    bool prefixed = false;
    std::uint8_t locality = 0;
    friend bool operator==(const tpm_command&, const tpm_command&) = default;
};

/// Data channel events. `error` (commandSize < 10 or above the cap): no reply, close.
using data_event = std::variant<tpm_command, error>;

// ---- control channel ----------------------------------------------------------------------
// Each event lists its request payload (after the u32 cmd) and its reply. Requests that need a
// running TPM are answered `res::bad_ordinal` while the TPM is stopped (as swtpm does).

/// CMD_GET_CAPABILITY: -. Reply: encode_get_capability_reply(mask) (u64 only, no result).
struct get_capability {
    static constexpr std::string_view name = "get_capability";
    friend bool operator==(const get_capability&, const get_capability&) = default;
};
/// CMD_INIT: u32 init_flags. (Re)start the TPM: power on + _TPM_Init. Reply: result.
struct init {
    static constexpr std::string_view name = "init";
    std::uint32_t flags = 0;
    friend bool operator==(const init&, const init&) = default;
};
/// CMD_SHUTDOWN: -. Reply: result; then swtpm exits (this TPM instance terminates).
struct shutdown {
    static constexpr std::string_view name = "shutdown";
    friend bool operator==(const shutdown&, const shutdown&) = default;
};
/// CMD_GET_TPMESTABLISHED: -. Reply: encode_get_tpmestablished_reply (8 bytes).
struct get_tpmestablished {
    static constexpr std::string_view name = "get_tpmestablished";
    friend bool operator==(const get_tpmestablished&, const get_tpmestablished&) = default;
};
/// CMD_SET_LOCALITY: u8 locality (QEMU pads it to 4 bytes). Reply: result (bad_locality if
/// locality > 4, or 4 when rejected).
struct set_locality {
    static constexpr std::string_view name = "set_locality";
    std::uint8_t locality = 0;
    friend bool operator==(const set_locality&, const set_locality&) = default;
};
/// CMD_HASH_START: -. Reply: result.
struct hash_start {
    static constexpr std::string_view name = "hash_start";
    friend bool operator==(const hash_start&, const hash_start&) = default;
};
/// CMD_HASH_DATA: u32 length, data; one event per chunk of at most min(hash_chunk_size, cap)
/// bytes. Reply: result, once, after the chunk with `last` set.
struct hash_data {
    static constexpr std::string_view name = "hash_data";
    bytes data;
    bool last = true;
    friend bool operator==(const hash_data&, const hash_data&) = default;
};
/// CMD_HASH_END: -. Reply: result.
struct hash_end {
    static constexpr std::string_view name = "hash_end";
    friend bool operator==(const hash_end&, const hash_end&) = default;
};
/// CMD_CANCEL_TPM_CMD: -. Reply: result.
struct cancel_tpm_cmd {
    static constexpr std::string_view name = "cancel_tpm_cmd";
    friend bool operator==(const cancel_tpm_cmd&, const cancel_tpm_cmd&) = default;
};
/// CMD_STORE_VOLATILE: -. Reply: result.
struct store_volatile {
    static constexpr std::string_view name = "store_volatile";
    friend bool operator==(const store_volatile&, const store_volatile&) = default;
};
/// CMD_RESET_TPMESTABLISHED: u8 locality (QEMU pads it to 4 bytes). Reply: result
/// (bad_locality if locality > 4).
struct reset_tpmestablished {
    static constexpr std::string_view name = "reset_tpmestablished";
    std::uint8_t locality = 0;
    friend bool operator==(const reset_tpmestablished&, const reset_tpmestablished&) = default;
};
/// CMD_GET_STATEBLOB: u32 state_flags, u32 type, u32 offset. Reply:
/// encode_get_stateblob_reply (result, flags, totlength, length, data).
struct get_stateblob {
    static constexpr std::string_view name = "get_stateblob";
    std::uint32_t flags = 0;
    std::uint32_t type = 0;
    std::uint32_t offset = 0;
    friend bool operator==(const get_stateblob&, const get_stateblob&) = default;
};
/// CMD_SET_STATEBLOB: u32 state_flags, u32 type, u32 length, length bytes (only while the TPM
/// is stopped). Reply: result.
struct set_stateblob {
    static constexpr std::string_view name = "set_stateblob";
    std::uint32_t flags = 0;
    std::uint32_t type = 0;
    bytes data;
    friend bool operator==(const set_stateblob&, const set_stateblob&) = default;
};
/// CMD_STOP: -. Stop the TPM; the server keeps running and CMD_INIT restarts it. Reply: result.
struct stop {
    static constexpr std::string_view name = "stop";
    friend bool operator==(const stop&, const stop&) = default;
};
/// CMD_GET_CONFIG: -. Reply: encode_get_config_reply (result, flags).
struct get_config {
    static constexpr std::string_view name = "get_config";
    friend bool operator==(const get_config&, const get_config&) = default;
};
/// CMD_SET_DATAFD: - (the fd travels as SCM_RIGHTS ancillary data with the request, so only on
/// a unix socket: the server must read the control socket with recvmsg). Reply: result;
/// res::bad_parameter if no fd came with it.
struct set_datafd {
    static constexpr std::string_view name = "set_datafd";
    friend bool operator==(const set_datafd&, const set_datafd&) = default;
};
/// CMD_SET_BUFFERSIZE: u32 size (0 = query; setting needs a stopped TPM). Reply:
/// encode_set_buffersize_reply (result, size, min, max).
struct set_buffersize {
    static constexpr std::string_view name = "set_buffersize";
    std::uint32_t size = 0;
    friend bool operator==(const set_buffersize&, const set_buffersize&) = default;
};
/// CMD_GET_INFO: u64 flags, u32 offset, u32 pad. Reply: encode_get_info_reply.
struct get_info {
    static constexpr std::string_view name = "get_info";
    std::uint64_t flags = 0;
    std::uint32_t offset = 0;
    std::uint32_t pad = 0;
    friend bool operator==(const get_info&, const get_info&) = default;
};

/// Control channel events. `unknown`: reply res::bad_ordinal, then close. `error` (a state
/// blob above the cap): reply res::size, then close.
using control_event =
    std::variant<get_capability, init, shutdown, get_tpmestablished, set_locality, hash_start,
                 hash_data, hash_end, cancel_tpm_cmd, store_volatile, reset_tpmestablished,
                 get_stateblob, set_stateblob, stop, get_config, set_datafd, set_buffersize,
                 get_info, unknown, error>;

[[nodiscard]] inline std::string_view name_of(const data_event& e) noexcept {
    return std::visit([](const auto& x) { return x.name; }, e);
}
[[nodiscard]] inline std::string_view name_of(const control_event& e) noexcept {
    return std::visit([](const auto& x) { return x.name; }, e);
}

// ---- replies ------------------------------------------------------------------------------

enum class reply : std::uint8_t {
    none,                  ///< nothing is written
    tpm_response,          ///< data channel: the raw TPM response
    tpm_response_prefixed, ///< data channel: encode_send_command_response(response)
    capability,            ///< encode_get_capability_reply(mask)
    result,                ///< encode_result(result of the action)
    tpm_established,       ///< encode_get_tpmestablished_reply(result, bit)
    stateblob,             ///< encode_get_stateblob_reply(...)
    config,                ///< encode_get_config_reply(result, flags)
    buffersize,            ///< encode_set_buffersize_reply(result, size, min, max)
    info,                  ///< encode_get_info_reply(json, offset)
    fixed_result,          ///< encode_result(reply_rule::result), decided by the transport
};

struct reply_rule {
    reply what = reply::none;
    after_reply after = after_reply::keep_open;
    std::uint32_t result = res::success;  ///< for reply::fixed_result
    friend constexpr bool operator==(reply_rule, reply_rule) = default;
};

/// Data channel: raw reply for raw commands, size-prefixed reply for prefixed ones.
[[nodiscard]] inline reply_rule reply_for(const data_event& e) noexcept {
    if (const auto* c = std::get_if<tpm_command>(&e))
        return {c->prefixed ? reply::tpm_response_prefixed : reply::tpm_response};
    return {reply::none, after_reply::close_connection};
}

/// Control channel (swtpm ctrlchannel.c behaviour). Control replies are read by tcti-swtpm
/// with a single read(): write each reply with one write.
[[nodiscard]] inline reply_rule reply_for(const control_event& e) noexcept {
    using r = reply;
    using a = after_reply;
    return std::visit(
        detail::overloaded{
            [](const get_capability&) { return reply_rule{r::capability}; },
            [](const shutdown&) { return reply_rule{r::result, a::stop_server}; },
            [](const get_tpmestablished&) { return reply_rule{r::tpm_established}; },
            [](const hash_data& h) { return reply_rule{h.last ? r::result : r::none}; },
            [](const get_stateblob&) { return reply_rule{r::stateblob}; },
            [](const get_config&) { return reply_rule{r::config}; },
            [](const set_buffersize&) { return reply_rule{r::buffersize}; },
            [](const get_info&) { return reply_rule{r::info}; },
            [](const unknown&) {
                return reply_rule{r::fixed_result, a::close_connection, res::bad_ordinal};
            },
            [](const error&) { return reply_rule{r::fixed_result, a::close_connection, res::size}; },
            [](const auto&) { return reply_rule{r::result}; },
        },
        e);
}

/// `u32 result`: the reply of most control requests.
[[nodiscard]] inline bytes encode_result(std::uint32_t result) { return encode_u32(result); }

/// CMD_GET_CAPABILITY reply: `u64 mask` (no result code).
[[nodiscard]] inline bytes encode_get_capability_reply(std::uint64_t mask) {
    bytes out;
    append_be64(out, mask);
    return out;
}

/// CMD_GET_TPMESTABLISHED reply: `u32 result | u8 bit | 3 zero bytes` (struct ptm_est is
/// padded to 8 bytes and QEMU reads exactly 8).
[[nodiscard]] inline bytes encode_get_tpmestablished_reply(std::uint32_t result, bool established) {
    bytes out;
    append_be32(out, result);
    out.push_back(established ? 1 : 0);
    out.insert(out.end(), 3, 0);
    return out;
}

/// CMD_GET_STATEBLOB reply: `u32 result | u32 state_flags | u32 totlength | u32 length | data`
/// where data = blob[offset..] in full (totlength == length, as swtpm does on a socket).
/// On a non-zero result the lengths are 0 and no data follows.
[[nodiscard]] inline bytes encode_get_stateblob_reply(std::uint32_t result, std::uint32_t state_flags,
                                                      byte_view blob, std::uint32_t offset) {
    const byte_view part = (result != 0 || offset >= blob.size()) ? byte_view{} : blob.subspan(offset);
    bytes out;
    out.reserve(16 + part.size());
    append_be32(out, result);
    append_be32(out, state_flags);
    append_be32(out, static_cast<std::uint32_t>(part.size()));
    append_be32(out, static_cast<std::uint32_t>(part.size()));
    out.insert(out.end(), part.begin(), part.end());
    return out;
}

/// CMD_GET_CONFIG reply: `u32 result | u32 flags`.
[[nodiscard]] inline bytes encode_get_config_reply(std::uint32_t result, std::uint32_t flags) {
    bytes out;
    append_be32(out, result);
    append_be32(out, flags);
    return out;
}

/// CMD_SET_BUFFERSIZE reply: `u32 result | u32 size | u32 min | u32 max`.
[[nodiscard]] inline bytes encode_set_buffersize_reply(std::uint32_t result, std::uint32_t size,
                                                       std::uint32_t min_size, std::uint32_t max_size) {
    bytes out;
    append_be32(out, result);
    append_be32(out, size);
    append_be32(out, min_size);
    append_be32(out, max_size);
    return out;
}

/// CMD_GET_INFO reply for the JSON text `json`, from byte `offset` of the NUL-terminated
/// string: `u32 0 | u32 totlength (json.size() + 1) | u32 length | length bytes`, length at most
/// getinfo_size. An offset at or past the end of the text gives `u32 res::bad_parameter` alone.
[[nodiscard]] inline bytes encode_get_info_reply(std::string_view json, std::uint32_t offset) {
    if (offset >= json.size()) return encode_result(res::bad_parameter);
    const std::size_t total = json.size() + 1;  // with the terminating NUL, as swtpm sends it
    const std::size_t length = std::min(total - offset, getinfo_size);
    bytes out;
    out.reserve(12 + length);
    append_be32(out, res::success);
    append_be32(out, static_cast<std::uint32_t>(total));
    append_be32(out, static_cast<std::uint32_t>(length));
    for (std::size_t i = offset; i < offset + length; ++i)
        out.push_back(i < json.size() ? static_cast<std::uint8_t>(json[i]) : 0);
    return out;
}

using transport::encode_send_command_response;
using transport::encode_tpm_error_response;

// ---- parsers ------------------------------------------------------------------------------

/// Incremental parser for the data channel. A stream of raw TPM commands (10-byte header, then
/// commandSize - 10 bytes); a stream word `00 00 00 08` where a header would start is the mssim
/// TPM_SEND_COMMAND prefix instead (tag 0x0000 is no TPM tag; swtpm decides the same way).
/// commandSize < 10 or above the cap, or a prefixed size above the cap, yields `error` and
/// closes the parser. Prefixed commands are passed on unchecked, as on the mssim port.
class data_parser {
public:
    explicit data_parser(std::size_t max_command = default_max_command) noexcept : max_(max_command) {
        head_.expect(4);
    }

    [[nodiscard]] step<data_event> feed(byte_view in) {
        step<data_event> s;
        while (s.consumed < in.size() && !s.event) {
            if (state_ == st::closed) {
                s.consumed = in.size();
                break;
            }
            const auto rest = in.subspan(s.consumed);
            if (state_ == st::body) {
                s.consumed += body_.fill(rest);
                if (body_.full()) s.event = emit(body_.take());
            } else {
                s.consumed += head_.fill(rest);
                if (head_.full()) s.event = on_head();
            }
        }
        return s;
    }

    template <class Sink>
    std::size_t feed(byte_view in, Sink&& sink) {
        return detail::feed_all(*this, in, sink);
    }

    [[nodiscard]] bool closed() const noexcept { return state_ == st::closed; }
    [[nodiscard]] bool mid_frame() const noexcept {
        return state_ != st::closed && (state_ != st::start || head_.size() != 0);
    }
    [[nodiscard]] std::size_t max_command() const noexcept { return max_; }

private:
    enum class st : std::uint8_t { start, prefix_header, raw_header, body, closed };
    static constexpr std::uint32_t send_command_prefix = 8;  // mssim TPM_SEND_COMMAND
    static constexpr std::uint32_t header_size = 10;

    std::optional<data_event> on_head() {
        switch (state_) {
        case st::start:
            if (head_.u32(0) == send_command_prefix) {
                prefixed_ = true;
                head_.extend(9);  // + u8 locality, u32 size
                state_ = st::prefix_header;
            } else {
                prefixed_ = false;
                head_.extend(header_size);
                state_ = st::raw_header;
            }
            return std::nullopt;
        case st::prefix_header: {
            locality_ = head_.u8(4);
            const std::uint32_t n = head_.u32(5);
            if (n > max_) return fail(error_kind::length_too_large, n);
            if (n == 0) return emit({});
            body_.expect(n);
            state_ = st::body;
            return std::nullopt;
        }
        case st::raw_header: {
            const std::uint32_t n = head_.u32(2);
            if (n < header_size) return fail(error_kind::length_too_small, n);
            if (n > max_) return fail(error_kind::length_too_large, n);
            if (n == header_size) return emit(bytes(head_.view().begin(), head_.view().end()));
            body_.expect(n, head_.view());
            state_ = st::body;
            return std::nullopt;
        }
        default: return std::nullopt;
        }
    }

    data_event emit(bytes command) {
        state_ = st::start;
        head_.expect(4);
        return tpm_command{std::move(command), prefixed_, prefixed_ ? locality_ : std::uint8_t{0}};
    }
    data_event fail(error_kind k, std::uint32_t v) {
        state_ = st::closed;
        return error{k, v};
    }

    std::size_t max_;
    st state_ = st::start;
    detail::head_buffer head_;
    detail::body_buffer body_;
    bool prefixed_ = false;
    std::uint8_t locality_ = 0;
};

/// Incremental parser for the control channel. Requests are framed by their code's payload
/// layout, so any split works. Two compatibility rules:
///  * QEMU sends CMD_SET_LOCALITY and CMD_RESET_TPMESTABLISHED with their u8 padded to 4 bytes
///    (sizeof of the ioctl union; the 3 pad bytes may be garbage), tcti-swtpm sends the bare u8.
///    A request code's last byte is never 0, so after such a request the parser looks at the
///    next 4 bytes: if the 4th is 0, the first 3 were padding and are skipped.
///  * CMD_HASH_DATA is handed out in chunks (see hash_data); a CMD_SET_STATEBLOB blob above the
///    cap (constructor argument) yields `error` without allocating more than the cap.
/// After `unknown` or `error` the parser is closed (swallows input, yields nothing).
class control_parser {
public:
    explicit control_parser(std::size_t max_state_blob = default_max_state_blob) noexcept
        : max_blob_(max_state_blob),
          chunk_(std::max<std::size_t>(1, std::min(hash_chunk_size, max_state_blob))) {
        head_.expect(4);
    }

    [[nodiscard]] step<control_event> feed(byte_view in) {
        step<control_event> s;
        while (s.consumed < in.size() && !s.event) {
            if (state_ == st::closed) {
                s.consumed = in.size();
                break;
            }
            const auto rest = in.subspan(s.consumed);
            if (state_ == st::hash_body || state_ == st::blob_body) {
                s.consumed += body_.fill(rest);
                if (body_.full()) s.event = on_body();
            } else {
                s.consumed += head_.fill(rest);
                if (head_.full()) s.event = on_head();
            }
        }
        return s;
    }

    template <class Sink>
    std::size_t feed(byte_view in, Sink&& sink) {
        return detail::feed_all(*this, in, sink);
    }

    [[nodiscard]] bool closed() const noexcept { return state_ == st::closed; }
    /// True if part of a request has been received (up to 3 possible pad bytes do not count).
    [[nodiscard]] bool mid_frame() const noexcept {
        switch (state_) {
        case st::closed: return false;
        case st::code: return head_.size() != 0;
        case st::code_after_u8: return head_.size() > 3;
        default: return true;
        }
    }
    [[nodiscard]] std::size_t max_state_blob() const noexcept { return max_blob_; }

private:
    enum class st : std::uint8_t {
        code,           // collecting the u32 cmd
        code_after_u8,  // collecting 4 bytes that are either a cmd or 3 pad bytes + 1 cmd byte
        payload,        // collecting the fixed-size payload of cmd_
        hash_length,
        hash_body,
        blob_header,
        blob_body,
        closed,
    };

    std::optional<control_event> on_head() {
        switch (state_) {
        case st::code_after_u8:
            if (head_.u8(3) == 0) {  // 3 pad bytes, then the first byte of the next cmd
                head_.drop_front(3);
                head_.extend(4);
                state_ = st::code;
                return std::nullopt;
            }
            [[fallthrough]];
        case st::code: return on_code(head_.u32(0));
        case st::payload: return on_payload();
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
        case st::blob_header: {
            const std::uint32_t n = head_.u32(8);
            if (n > max_blob_) return fail(error_kind::length_too_large, n);
            blob_flags_ = head_.u32(0);
            blob_type_ = head_.u32(4);
            if (n == 0) {
                next_request();
                return set_stateblob{blob_flags_, blob_type_, {}};
            }
            body_.expect(n);
            state_ = st::blob_body;
            return std::nullopt;
        }
        default: return std::nullopt;
        }
    }

    std::optional<control_event> on_code(std::uint32_t c) {
        cmd_ = c;
        switch (c) {
        case cmd::get_capability: next_request(); return get_capability{};
        case cmd::shutdown: next_request(); return shutdown{};
        case cmd::get_tpmestablished: next_request(); return get_tpmestablished{};
        case cmd::hash_start: next_request(); return hash_start{};
        case cmd::hash_end: next_request(); return hash_end{};
        case cmd::cancel_tpm_cmd: next_request(); return cancel_tpm_cmd{};
        case cmd::store_volatile: next_request(); return store_volatile{};
        case cmd::stop: next_request(); return stop{};
        case cmd::get_config: next_request(); return get_config{};
        case cmd::set_datafd: next_request(); return set_datafd{};
        case cmd::set_locality:
        case cmd::reset_tpmestablished: return expect_payload(1);
        case cmd::init:
        case cmd::set_buffersize: return expect_payload(4);
        case cmd::get_stateblob: return expect_payload(12);
        case cmd::get_info: return expect_payload(16);
        case cmd::hash_data:
            head_.expect(4);
            state_ = st::hash_length;
            return std::nullopt;
        case cmd::set_stateblob:
            head_.expect(12);
            state_ = st::blob_header;
            return std::nullopt;
        default: state_ = st::closed; return unknown{c};
        }
    }

    std::optional<control_event> expect_payload(std::size_t n) {
        head_.expect(n);
        state_ = st::payload;
        return std::nullopt;
    }

    std::optional<control_event> on_payload() {
        const detail::head_buffer p = head_;
        switch (cmd_) {
        case cmd::set_locality: after_u8(); return set_locality{p.u8(0)};
        case cmd::reset_tpmestablished: after_u8(); return reset_tpmestablished{p.u8(0)};
        case cmd::init: next_request(); return init{p.u32(0)};
        case cmd::set_buffersize: next_request(); return set_buffersize{p.u32(0)};
        case cmd::get_stateblob: next_request(); return get_stateblob{p.u32(0), p.u32(4), p.u32(8)};
        case cmd::get_info: next_request(); return get_info{p.u64(0), p.u32(8), p.u32(12)};
        default: next_request(); return std::nullopt;  // unreachable: only the cases above
        }
    }

    std::optional<control_event> on_body() {
        if (state_ == st::blob_body) {
            next_request();
            return set_stateblob{blob_flags_, blob_type_, body_.take()};
        }
        bytes chunk = body_.take();
        remaining_ -= static_cast<std::uint32_t>(chunk.size());
        const bool last = remaining_ == 0;
        if (last) next_request();
        else body_.expect(std::min<std::size_t>(chunk_, remaining_));
        return hash_data{std::move(chunk), last};
    }

    control_event fail(error_kind k, std::uint32_t v) {
        state_ = st::closed;
        return error{k, v};
    }
    void next_request() noexcept {
        state_ = st::code;
        head_.expect(4);
    }
    void after_u8() noexcept {
        state_ = st::code_after_u8;
        head_.expect(4);
    }

    std::size_t max_blob_;
    std::size_t chunk_;
    st state_ = st::code;
    detail::head_buffer head_;
    detail::body_buffer body_;
    std::uint32_t cmd_ = 0;
    std::uint32_t remaining_ = 0;
    std::uint32_t blob_flags_ = 0;
    std::uint32_t blob_type_ = 0;
};

}  // namespace vtpm::transport::swtpm
