// Building TPM commands and reading responses as bytes, independent of the library's own
// marshalling (tests, fuzz seeds, benchmarks).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "vtpm/core/bytes.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::testing {

/// Builds a command: header, handles, an optional authorization area, parameters.
class command_builder {
public:
    explicit command_builder(std::uint32_t code) : code_(code) {}

    command_builder& handle(std::uint32_t h) { put32(handles_, h); return *this; }
    /// A password session (TPM_RS_PW) with the given password.
    command_builder& password(byte_view auth = {}, std::uint8_t attrs = 0x01) {
        put32(sessions_, rh::pw);
        put16(sessions_, 0);
        sessions_.push_back(attrs);
        put16(sessions_, static_cast<std::uint16_t>(auth.size()));
        sessions_.insert(sessions_.end(), auth.begin(), auth.end());
        with_sessions_ = true;
        return *this;
    }
    /// A raw session entry (handle, nonce, attributes, hmac) for error-path tests.
    command_builder& session(std::uint32_t h, byte_view nonce, std::uint8_t attrs, byte_view hmac) {
        put32(sessions_, h);
        put16(sessions_, static_cast<std::uint16_t>(nonce.size()));
        sessions_.insert(sessions_.end(), nonce.begin(), nonce.end());
        sessions_.push_back(attrs);
        put16(sessions_, static_cast<std::uint16_t>(hmac.size()));
        sessions_.insert(sessions_.end(), hmac.begin(), hmac.end());
        with_sessions_ = true;
        return *this;
    }
    command_builder& u8(std::uint8_t v) { params_.push_back(v); return *this; }
    command_builder& u16(std::uint16_t v) { put16(params_, v); return *this; }
    command_builder& u32(std::uint32_t v) { put32(params_, v); return *this; }
    command_builder& u64(std::uint64_t v) { put32(params_, static_cast<std::uint32_t>(v >> 32)); put32(params_, static_cast<std::uint32_t>(v)); return *this; }
    /// A TPM2B: u16 size + bytes.
    command_builder& b2b(byte_view b) {
        put16(params_, static_cast<std::uint16_t>(b.size()));
        params_.insert(params_.end(), b.begin(), b.end());
        return *this;
    }
    command_builder& raw(byte_view b) { params_.insert(params_.end(), b.begin(), b.end()); return *this; }
    /// Force the tag (TPM_ST_SESSIONS with no sessions, bad tags, ...).
    command_builder& tag(std::uint16_t t) { tag_ = t; return *this; }

    [[nodiscard]] bytes build() const {
        bytes out;
        std::uint16_t tag = tag_ ? *tag_ : (with_sessions_ ? st::sessions : st::no_sessions);
        put16(out, tag);
        put32(out, 0);
        put32(out, code_);
        out.insert(out.end(), handles_.begin(), handles_.end());
        if (with_sessions_) {
            put32(out, static_cast<std::uint32_t>(sessions_.size()));
            out.insert(out.end(), sessions_.begin(), sessions_.end());
        }
        out.insert(out.end(), params_.begin(), params_.end());
        store_be32(out.data() + 2, static_cast<std::uint32_t>(out.size()));
        return out;
    }

private:
    static void put16(bytes& b, std::uint16_t v) { b.push_back(static_cast<std::uint8_t>(v >> 8)); b.push_back(static_cast<std::uint8_t>(v)); }
    static void put32(bytes& b, std::uint32_t v) { put16(b, static_cast<std::uint16_t>(v >> 16)); put16(b, static_cast<std::uint16_t>(v)); }
    std::uint32_t code_;
    std::optional<std::uint16_t> tag_;
    bool with_sessions_ = false;
    bytes handles_, sessions_, params_;
};

/// A parsed response: header fields and a cursor over what follows.
struct response {
    std::uint16_t tag = 0;
    std::uint32_t size = 0;
    std::uint32_t rc = 0xFFFFFFFF;
    bytes data; // everything after the header
    std::size_t pos = 0;
    bool ok = true; // false once a read ran past the end

    explicit response(byte_view r) {
        if (r.size() < 10) { ok = false; return; }
        tag = load_be16(r.data());
        size = load_be32(r.data() + 2);
        rc = load_be32(r.data() + 6);
        data.assign(r.begin() + 10, r.end());
    }
    std::uint8_t u8() { if (pos + 1 > data.size()) { ok = false; return 0; } return data[pos++]; }
    std::uint16_t u16() { if (pos + 2 > data.size()) { ok = false; return 0; } auto v = load_be16(data.data() + pos); pos += 2; return v; }
    std::uint32_t u32() { if (pos + 4 > data.size()) { ok = false; return 0; } auto v = load_be32(data.data() + pos); pos += 4; return v; }
    std::uint64_t u64() { if (pos + 8 > data.size()) { ok = false; return 0; } auto v = load_be64(data.data() + pos); pos += 8; return v; }
    bytes take(std::size_t n) {
        if (pos + n > data.size()) { ok = false; return {}; }
        bytes b(data.begin() + static_cast<std::ptrdiff_t>(pos), data.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        return b;
    }
    bytes b2b() { return take(u16()); }
    /// For a TPM_ST_SESSIONS response: skip the parameterSize field.
    std::uint32_t parameter_size() { return u32(); }
    [[nodiscard]] std::size_t remaining() const { return data.size() - pos; }
};

/// Run a command through anything with execute(command, response, locality).
template <class Tpm>
response run(Tpm& t, byte_view command, std::uint8_t locality = 0) {
    std::vector<std::uint8_t> buf(4096);
    auto n = t.execute(command, buf, locality);
    return response{byte_view{buf.data(), n}};
}

/// TPM2_Startup(type) as bytes.
inline bytes startup_command(std::uint16_t type = su::clear) {
    return command_builder(cc::startup).u16(type).build();
}

} // namespace vtpm::testing
