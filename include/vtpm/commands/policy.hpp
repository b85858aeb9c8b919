// Part 3 §23 Enhanced Authorization: the policy commands beyond those of commands/session.hpp.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"
#include "vtpm/types/nv.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

struct policy_signed { // Part 3 §23.3
    static constexpr tpm_cc code = cc::policy_signed;
    static constexpr std::string_view name = "PolicySigned";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>, hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true, .encrypt = true};
    struct request {
        // expiration is an INT32 carried as its two's-complement bits.
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_nonce, nonce_tpm), (tpm2b_digest, cp_hash_a), (tpm2b_nonce, policy_ref),
                                 (std::uint32_t, expiration), (tpmt_signature, auth));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_timeout, timeout), (tpmt_tk_auth, policy_ticket)); };
};

struct policy_secret { // Part 3 §23.4
    static constexpr tpm_cc code = cc::policy_secret;
    static constexpr std::string_view name = "PolicySecret";
    using handles = handle_list<hparam<tpmi_dh_entity<false>, auth_role::user>, hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_nonce, nonce_tpm), (tpm2b_digest, cp_hash_a), (tpm2b_nonce, policy_ref),
                                 (std::uint32_t, expiration));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_timeout, timeout), (tpmt_tk_auth, policy_ticket)); };
};

struct policy_ticket { // Part 3 §23.5
    static constexpr tpm_cc code = cc::policy_ticket;
    static constexpr std::string_view name = "PolicyTicket";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_timeout, timeout), (tpm2b_digest, cp_hash_a), (tpm2b_nonce, policy_ref),
                                 (tpm2b_name, auth_name), (tpmt_tk_auth, ticket));
    };
    using response = no_params;
};

struct policy_or { // Part 3 §23.6
    static constexpr tpm_cc code = cc::policy_or;
    static constexpr std::string_view name = "PolicyOR";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpml_digest, p_hash_list)); };
    using response = no_params;
};

struct policy_locality { // Part 3 §23.8
    static constexpr tpm_cc code = cc::policy_locality;
    static constexpr std::string_view name = "PolicyLocality";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpma_locality, locality)); };
    using response = no_params;
};

struct policy_counter_timer { // Part 3 §23.10
    static constexpr tpm_cc code = cc::policy_counter_timer;
    static constexpr std::string_view name = "PolicyCounterTimer";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_operand, operand_b), (std::uint16_t, offset), (std::uint16_t, operation));
    };
    using response = no_params;
};

struct policy_physical_presence { // Part 3 §23.12
    static constexpr tpm_cc code = cc::policy_physical_presence;
    static constexpr std::string_view name = "PolicyPhysicalPresence";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    using request = no_params;
    using response = no_params;
};

struct policy_cp_hash { // Part 3 §23.13
    static constexpr tpm_cc code = cc::policy_cp_hash;
    static constexpr std::string_view name = "PolicyCpHash";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, cp_hash_a)); };
    using response = no_params;
};

struct policy_name_hash { // Part 3 §23.14
    static constexpr tpm_cc code = cc::policy_name_hash;
    static constexpr std::string_view name = "PolicyNameHash";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, name_hash)); };
    using response = no_params;
};

struct policy_duplication_select { // Part 3 §23.15
    static constexpr tpm_cc code = cc::policy_duplication_select;
    static constexpr std::string_view name = "PolicyDuplicationSelect";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_name, object_name), (tpm2b_name, new_parent_name),
                                 (tpmi_yes_no, include_object));
    };
    using response = no_params;
};

struct policy_authorize { // Part 3 §23.16
    static constexpr tpm_cc code = cc::policy_authorize;
    static constexpr std::string_view name = "PolicyAuthorize";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, approved_policy), (tpm2b_nonce, policy_ref),
                                 (tpm2b_name, key_sign), (tpmt_tk_verified, check_ticket));
    };
    using response = no_params;
};

struct policy_nv_written { // Part 3 §23.20
    static constexpr tpm_cc code = cc::policy_nv_written;
    static constexpr std::string_view name = "PolicyNvWritten";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_yes_no, written_set)); };
    using response = no_params;
};

struct policy_template { // Part 3 §23.21
    static constexpr tpm_cc code = cc::policy_template;
    static constexpr std::string_view name = "PolicyTemplate";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, template_hash)); };
    using response = no_params;
};

struct policy_capability { // Part 3 §23.23 (v1.83)
    static constexpr tpm_cc code = cc::policy_capability;
    static constexpr std::string_view name = "PolicyCapability";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_operand, operand_b), (std::uint16_t, offset), (std::uint16_t, operation),
                                 (std::uint32_t, capability), (std::uint32_t, property));
    };
    using response = no_params;
};

struct policy_parameters { // Part 3 §23.24 (v1.83)
    static constexpr tpm_cc code = cc::policy_parameters;
    static constexpr std::string_view name = "PolicyParameters";
    using handles = handle_list<hparam<tpmi_sh_policy, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, p_hash)); };
    using response = no_params;
};

struct policy_nv { // Part 3 §23.9
    static constexpr tpm_cc code = cc::policy_nv;
    static constexpr std::string_view name = "PolicyNV";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>,    // @authHandle
                                hparam<tpmi_rh_nv_index, auth_role::none>,   // nvIndex
                                hparam<tpmi_sh_policy, auth_role::none>>;    // policySession
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_operand, operand_b), (std::uint16_t, offset), (std::uint16_t, operation));
    };
    using response = no_params;
};

struct policy_authorize_nv { // Part 3 §23.22
    static constexpr tpm_cc code = cc::policy_authorize_nv;
    static constexpr std::string_view name = "PolicyAuthorizeNV";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>,    // @authHandle
                                hparam<tpmi_rh_nv_index, auth_role::none>,   // nvIndex
                                hparam<tpmi_sh_policy, auth_role::none>>;    // policySession
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.allow_trial = true};
    using request = no_params;
    using response = no_params;
};

} // namespace vtpm::cmd
