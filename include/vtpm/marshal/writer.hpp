// Big-endian writer into a caller-provided buffer. Overflow is sticky and checked once at the end.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vtpm/core/bytes.hpp"

namespace vtpm {

class writer {
public:
    constexpr explicit writer(byte_span out) noexcept : out_(out) {}

    [[nodiscard]] constexpr std::size_t size() const noexcept { return pos_; }
    [[nodiscard]] constexpr bool overflow() const noexcept { return overflow_; }
    [[nodiscard]] byte_view written() const noexcept { return byte_view{out_.data(), pos_}; }
    [[nodiscard]] std::uint8_t* data() noexcept { return out_.data(); }

    void put(const std::uint8_t* p, std::size_t n) noexcept {
        if (!reserve(n)) return;
        if (n) std::memcpy(out_.data() + pos_, p, n);
        pos_ += n;
    }
    void put(byte_view b) noexcept { put(b.data(), b.size()); }
    void u8(std::uint8_t v) noexcept {
        if (reserve(1)) out_[pos_++] = v;
    }
    void u16(std::uint16_t v) noexcept {
        if (reserve(2)) { store_be16(out_.data() + pos_, v); pos_ += 2; }
    }
    void u32(std::uint32_t v) noexcept {
        if (reserve(4)) { store_be32(out_.data() + pos_, v); pos_ += 4; }
    }
    void u64(std::uint64_t v) noexcept {
        if (reserve(8)) { store_be64(out_.data() + pos_, v); pos_ += 8; }
    }
    /// Reserve n bytes now and fill them later (sizes written after the content).
    [[nodiscard]] std::size_t skip(std::size_t n) noexcept {
        std::size_t at = pos_;
        if (reserve(n)) pos_ += n;
        return at;
    }
    void patch_u16(std::size_t at, std::uint16_t v) noexcept {
        if (!overflow_ && at + 2 <= pos_) store_be16(out_.data() + at, v);
    }
    void patch_u32(std::size_t at, std::uint32_t v) noexcept {
        if (!overflow_ && at + 4 <= pos_) store_be32(out_.data() + at, v);
    }
    /// Drop everything after position `at` (used to discard a partly written response).
    void truncate(std::size_t at) noexcept {
        if (at <= pos_) pos_ = at;
    }

private:
    [[nodiscard]] bool reserve(std::size_t n) noexcept {
        if (overflow_ || n > out_.size() - pos_) { overflow_ = true; return false; }
        return true;
    }
    byte_span out_;
    std::size_t pos_ = 0;
    bool overflow_ = false;
};

} // namespace vtpm
