// Byte-string helpers of the tests that write commands and structures out by hand.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include <vtpm/core/bytes.hpp>

namespace vtpm_test {

inline vtpm::bytes cat(std::initializer_list<vtpm::byte_view> parts) {
    vtpm::bytes r;
    for (auto p : parts) r.insert(r.end(), p.begin(), p.end());
    return r;
}
inline vtpm::bytes be16(std::uint16_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
inline vtpm::bytes be32(std::uint32_t v) {
    return cat({be16(static_cast<std::uint16_t>(v >> 16)), be16(static_cast<std::uint16_t>(v))});
}
inline vtpm::bytes be64(std::uint64_t v) {
    return cat({be32(static_cast<std::uint32_t>(v >> 32)), be32(static_cast<std::uint32_t>(v))});
}
/// A TPM2B: u16 size, then the bytes.
inline vtpm::bytes b2b(vtpm::byte_view b) { return cat({be16(static_cast<std::uint16_t>(b.size())), b}); }
inline vtpm::bytes str(std::string_view s) { return vtpm::bytes(s.begin(), s.end()); }

} // namespace vtpm_test
