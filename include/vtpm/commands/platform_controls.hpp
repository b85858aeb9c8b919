// Platform controls: Part 3 §26.2 TPM2_PP_Commands and §24.9 TPM2_ReadOnlyControl (v1.85).
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm::cmd {

struct pp_commands { // Part 3 §26.2
    static constexpr tpm_cc code = cc::pp_commands;
    static constexpr std::string_view name = "PP_Commands";
    using handles = handle_list<hparam<tpmi_rh_platform, auth_role::user>>; // @auth (+PP)
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .pp_required = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpml_cc, set_list), (tpml_cc, clear_list)); };
    using response = no_params;
};

struct read_only_control { // Part 3 §24.9 (v1.85)
    static constexpr tpm_cc code = cc::read_only_control;
    static constexpr std::string_view name = "ReadOnlyControl";
    using handles = handle_list<hparam<tpmi_rh_platform, auth_role::user>>; // @authHandle (+{PP})
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.pp_command = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_yes_no, state)); };
    using response = no_params;
};

} // namespace vtpm::cmd
