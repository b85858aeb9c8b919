// Byte helpers: views, big-endian access, constant-time compare, zeroization.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vtpm {

using byte_view = std::span<const std::uint8_t>;
using byte_span = std::span<std::uint8_t>;
using bytes = std::vector<std::uint8_t>;

/// Compare two byte ranges in time that depends only on their lengths.
[[nodiscard]] inline bool ct_equal(byte_view a, byte_view b) noexcept {
    if (a.size() != b.size()) return false;
    volatile std::uint8_t d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = static_cast<std::uint8_t>(d | (a[i] ^ b[i]));
    return d == 0;
}

/// Overwrite memory so the compiler cannot drop the store.
inline void secure_zero(void* p, std::size_t n) noexcept {
    volatile auto* v = static_cast<volatile std::uint8_t*>(p);
    while (n--) *v++ = 0;
}

inline void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}
[[nodiscard]] inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
[[nodiscard]] inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
[[nodiscard]] inline std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

/// Lower-case hex of a byte range (tests, diagnostics; never for secrets).
[[nodiscard]] inline std::string to_hex(byte_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (auto c : b) {
        s.push_back(digits[c >> 4]);
        s.push_back(digits[c & 0xF]);
    }
    return s;
}

/// Parse hex (whitespace ignored). Returns an empty vector and sets ok=false on bad input.
[[nodiscard]] inline bytes from_hex(std::string_view s, bool* ok = nullptr) {
    bytes out;
    int hi = -1;
    bool good = true;
    for (char c : s) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
        else { good = false; break; }
        if (hi < 0) hi = v;
        else { out.push_back(static_cast<std::uint8_t>(hi << 4 | v)); hi = -1; }
    }
    if (hi >= 0) good = false;
    if (!good) out.clear();
    if (ok) *ok = good;
    return out;
}

} // namespace vtpm
