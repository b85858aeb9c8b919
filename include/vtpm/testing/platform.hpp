// Platforms for tests and fuzzing: Botan crypto with a fixed DRBG seed, a settable clock.
#pragma once
#include <atomic>
#include <cstdint>

#include "vtpm/config/profiles/default.hpp"
#include "vtpm/crypto/botan/backend.hpp"
#include "vtpm/storage/memory.hpp"

namespace vtpm::testing {

/// A manually advanced millisecond clock shared by the test platforms.
inline std::atomic<std::uint64_t>& manual_clock() {
    static std::atomic<std::uint64_t> ms{1000};
    return ms;
}

template <const config::profile& Profile = config::profiles::full>
struct deterministic_platform {
    using crypto = vtpm::crypto::botan::backend;
    using storage = vtpm::storage::memory;
    static constexpr const config::profile& profile = Profile;
    static std::uint64_t now_ms() noexcept { return manual_clock().load(); }
};

/// A fixed-seed crypto backend: the same seed gives the same TPM (seeds, random bytes).
inline vtpm::crypto::botan::backend seeded_crypto(std::uint8_t tag = 0) {
    std::uint8_t seed[32] = {};
    for (std::size_t i = 0; i < sizeof seed; ++i) seed[i] = static_cast<std::uint8_t>(i * 7 + tag);
    return vtpm::crypto::botan::backend{byte_view{seed}};
}

} // namespace vtpm::testing
