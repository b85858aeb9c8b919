// A ready-made platform: Botan 2 crypto, state in memory, the full profile.
#pragma once
#include "vtpm/config/profiles/default.hpp"
#include "vtpm/crypto/botan/backend.hpp"
#include "vtpm/storage/memory.hpp"

namespace vtpm::platforms {

struct botan_memory {
    using crypto = vtpm::crypto::botan::backend;
    using storage = vtpm::storage::memory;
    static constexpr const config::profile& profile = config::profiles::full;
};

/// Same, with the PC Client object limits (3 loaded objects).
struct botan_memory_pc_client {
    using crypto = vtpm::crypto::botan::backend;
    using storage = vtpm::storage::memory;
    static constexpr const config::profile& profile = config::profiles::pc_client;
};

} // namespace vtpm::platforms
