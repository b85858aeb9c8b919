// Bounds-checked big-endian reader over untrusted bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "vtpm/core/bytes.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm {

/// What unmarshalling needs to know about the TPM it runs in: which algorithms are
/// implemented (for TPMI_ALG_* checks) and how many PCRs exist. A null context accepts
/// every algorithm the library knows.
struct unmarshal_context {
    bool (*alg_enabled)(const void* self, tpm_alg_id) = nullptr;
    const void* self = nullptr;
    unsigned pcr_count = 24;
    [[nodiscard]] bool enabled(tpm_alg_id a) const noexcept { return !alg_enabled || alg_enabled(self, a); }
};

class reader {
public:
    constexpr explicit reader(byte_view data, const unmarshal_context* ctx = nullptr) noexcept
        : data_(data), ctx_(ctx) {}

    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return data_.size() - pos_; }
    [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return pos_ == data_.size(); }
    [[nodiscard]] const unmarshal_context* context() const noexcept { return ctx_; }
    [[nodiscard]] bool alg_enabled(tpm_alg_id a) const noexcept { return !ctx_ || ctx_->enabled(a); }
    [[nodiscard]] unsigned pcr_count() const noexcept { return ctx_ ? ctx_->pcr_count : 24; }

    /// Take n bytes; returns false (and consumes nothing) if fewer remain.
    [[nodiscard]] bool take(std::size_t n, byte_view& out) noexcept {
        if (n > remaining()) return false;
        out = data_.subspan(pos_, n);
        pos_ += n;
        return true;
    }
    [[nodiscard]] bool copy(std::size_t n, std::uint8_t* dst) noexcept {
        if (n > remaining()) return false;
        if (n) std::memcpy(dst, data_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    [[nodiscard]] bool u8(std::uint8_t& v) noexcept {
        if (remaining() < 1) return false;
        v = data_[pos_++];
        return true;
    }
    [[nodiscard]] bool u16(std::uint16_t& v) noexcept {
        if (remaining() < 2) return false;
        v = load_be16(data_.data() + pos_);
        pos_ += 2;
        return true;
    }
    [[nodiscard]] bool u32(std::uint32_t& v) noexcept {
        if (remaining() < 4) return false;
        v = load_be32(data_.data() + pos_);
        pos_ += 4;
        return true;
    }
    [[nodiscard]] bool u64(std::uint64_t& v) noexcept {
        if (remaining() < 8) return false;
        v = load_be64(data_.data() + pos_);
        pos_ += 8;
        return true;
    }
    /// The rest of the input, consumed.
    byte_view rest() noexcept {
        auto r = data_.subspan(pos_);
        pos_ = data_.size();
        return r;
    }

private:
    byte_view data_;
    std::size_t pos_ = 0;
    const unmarshal_context* ctx_ = nullptr;
};

} // namespace vtpm
