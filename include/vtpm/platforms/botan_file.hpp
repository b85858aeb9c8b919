// A ready-made platform: Botan 2 crypto, state in files (storage::file: atomic replace, previous
// generation kept, checksummed), the full profile. The storage object is made by the program that
// owns the state directory (examples/vtpm-server):
//
//   vtpm::tpm<vtpm::platforms::botan_file> tpm;
//   vtpm::platforms::botan_file::storage store{"/var/lib/vtpm/vm1"};
//   if (auto s = store.get(vtpm::platforms::botan_file::state_name)) tpm.load_state(*s);
//   else tpm.manufacture();
//   ...
//   store.put(vtpm::platforms::botan_file::state_name, tpm.save_state());
#pragma once
#include <string_view>

#include "vtpm/config/profiles/default.hpp"
#include "vtpm/crypto/botan/backend.hpp"
#include "vtpm/storage/file.hpp"

namespace vtpm::platforms {

struct botan_file {
    using crypto = vtpm::crypto::botan::backend;
    using storage = vtpm::storage::file;
    static constexpr const config::profile& profile = config::profiles::full;
    /// The blob name under which the TPM's state (tpm::save_state()) is kept.
    static constexpr std::string_view state_name = "tpm-state";
};

/// Same, with the PC Client object limits (3 loaded objects).
struct botan_file_pc_client {
    using crypto = vtpm::crypto::botan::backend;
    using storage = vtpm::storage::file;
    static constexpr const config::profile& profile = config::profiles::pc_client;
    static constexpr std::string_view state_name = "tpm-state";
};

} // namespace vtpm::platforms
