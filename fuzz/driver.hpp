// Shared fuzzing driver: input cap, splitting an input into several commands, a TPM with a
// fixed DRBG seed and clock, and helpers that every harness uses.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>

namespace vtpm::fuzz {

/// Larger inputs only slow the fuzzer down: a TPM command is at most 4096 bytes.
inline constexpr std::size_t max_input = 16 * 1024;

using platform = vtpm::testing::deterministic_platform<>;
using tpm_t = vtpm::tpm<platform>;

} // namespace vtpm::fuzz

// Replay builds compile the engine once (engine_instance.cpp) for every harness.
#ifdef VTPM_FUZZ_SHARED_ENGINE
extern template class vtpm::tpm<vtpm::testing::deterministic_platform<>>;
#endif

namespace vtpm::fuzz {

/// Splits an input into commands: each is a u16 big-endian length then that many bytes.
/// A trailing piece without a full length prefix is taken as one last command.
class splitter {
public:
    explicit splitter(std::span<const std::uint8_t> in) : in_(in) {}
    bool next(std::span<const std::uint8_t>& out) {
        if (pos_ >= in_.size()) return false;
        if (in_.size() - pos_ < 2) { out = in_.subspan(pos_); pos_ = in_.size(); return true; }
        std::size_t n = (std::size_t{in_[pos_]} << 8) | in_[pos_ + 1];
        pos_ += 2;
        n = std::min(n, in_.size() - pos_);
        out = in_.subspan(pos_, n);
        pos_ += n;
        return true;
    }

private:
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

/// A freshly manufactured, started TPM (the same seeds for every input).
inline tpm_t started_tpm() {
    tpm_t t{vtpm::testing::seeded_crypto()};
    t.manufacture();
    t.power_on();
    std::uint8_t rsp[4096];
    auto su = vtpm::testing::startup_command();
    (void)t.execute(su, rsp);
    return t;
}

/// Every response must be well formed: at least a header whose size field is the length.
inline void check_response(std::span<const std::uint8_t> rsp) {
    if (rsp.size() < 10) __builtin_trap();
    if (load_be32(rsp.data() + 2) != rsp.size()) __builtin_trap();
    const auto tag = load_be16(rsp.data());
    if (tag != st::no_sessions && tag != st::sessions && tag != st::rsp_command) __builtin_trap();
    if (load_be32(rsp.data() + 6) != 0 && rsp.size() != 10) __builtin_trap();
}

} // namespace vtpm::fuzz
