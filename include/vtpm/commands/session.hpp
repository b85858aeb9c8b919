// Part 3 §11 Session Commands and the first §23 Enhanced Authorization commands.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

struct start_auth_session { // Part 3 §11.1
    static constexpr tpm_cc code = cc::start_auth_session;
    static constexpr std::string_view name = "StartAuthSession";
    using handles = handle_list<hparam<tpmi_dh_object<true>, auth_role::none>, hparam<tpmi_dh_entity<true>, auth_role::none>>;
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_nonce, nonce_caller), (tpm2b_encrypted_secret, encrypted_salt),
                                 (tpm_se, session_type), (tpmt_sym_def, symmetric), (tpmi_alg_hash<false>, auth_hash));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_nonce, nonce_tpm)); };
};

struct policy_restart { // Part 3 §11.2
    static constexpr tpm_cc code = cc::policy_restart;
    static constexpr std::string_view name = "PolicyRestart";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    using request = no_params;
    using response = no_params;
};

struct policy_pcr { // Part 3 §23.7
    static constexpr tpm_cc code = cc::policy_pcr;
    static constexpr std::string_view name = "PolicyPCR";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, pcr_digest), (tpml_pcr_selection, pcrs)); };
    using response = no_params;
};

struct policy_command_code { // Part 3 §23.11
    static constexpr tpm_cc code = cc::policy_command_code;
    static constexpr std::string_view name = "PolicyCommandCode";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (std::uint32_t, command_code)); };
    using response = no_params;
};

struct policy_auth_value { // Part 3 §23.17
    static constexpr tpm_cc code = cc::policy_auth_value;
    static constexpr std::string_view name = "PolicyAuthValue";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    using request = no_params;
    using response = no_params;
};

struct policy_password { // Part 3 §23.18
    static constexpr tpm_cc code = cc::policy_password;
    static constexpr std::string_view name = "PolicyPassword";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    using request = no_params;
    using response = no_params;
};

struct policy_get_digest { // Part 3 §23.19
    static constexpr tpm_cc code = cc::policy_get_digest;
    static constexpr std::string_view name = "PolicyGetDigest";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .encrypt = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, policy_digest)); };
};

} // namespace vtpm::cmd
