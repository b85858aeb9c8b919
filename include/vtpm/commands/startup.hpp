// Part 3 §9 Start-up: TPM2_Startup, TPM2_Shutdown.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct startup { // Part 3 §9.3
    static constexpr tpm_cc code = cc::startup;
    static constexpr std::string_view name = "Startup";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .no_sessions = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm_su, startup_type)); };
    using response = no_params;
};

struct shutdown { // Part 3 §9.4
    static constexpr tpm_cc code = cc::shutdown;
    static constexpr std::string_view name = "Shutdown";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm_su, shutdown_type)); };
    using response = no_params;
};

} // namespace vtpm::cmd
