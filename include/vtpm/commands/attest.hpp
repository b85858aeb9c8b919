// Part 3 §18 Attestation Commands (Certify, CertifyCreation, Quote, GetSessionAuditDigest,
// GetCommandAuditDigest, GetTime, CertifyX509) and §21 Command Audit (SetCommandCodeAuditStatus).
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"
#include "vtpm/types/attest.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

/// The response of every attestation command: the signed structure and its signature.
struct attest_response {
    BOOST_HANA_DEFINE_STRUCT(attest_response, (tpm2b_attest, attest), (tpmt_signature, signature));
};

struct certify { // Part 3 §18.2
    static constexpr tpm_cc code = cc::certify;
    static constexpr std::string_view name = "Certify";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::admin>, // @objectHandle
                                hparam<tpmi_dh_object<true>, auth_role::user>>;  // @signHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpmt_sig_scheme, in_scheme)); };
    using response = attest_response;
};

struct certify_creation { // Part 3 §18.3
    static constexpr tpm_cc code = cc::certify_creation;
    static constexpr std::string_view name = "CertifyCreation";
    using handles = handle_list<hparam<tpmi_dh_object<true>, auth_role::user>,   // @signHandle
                                hparam<tpmi_dh_object<false>, auth_role::none>>; // objectHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpm2b_digest, creation_hash),
                                 (tpmt_sig_scheme, in_scheme), (tpmt_tk_creation, creation_ticket));
    };
    using response = attest_response;
};

struct quote { // Part 3 §18.4
    static constexpr tpm_cc code = cc::quote;
    static constexpr std::string_view name = "Quote";
    using handles = handle_list<hparam<tpmi_dh_object<true>, auth_role::user>>; // @signHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpmt_sig_scheme, in_scheme),
                                 (tpml_pcr_selection, pcr_select));
    };
    using response = attest_response;
};

struct get_time { // Part 3 §18.7
    static constexpr tpm_cc code = cc::get_time;
    static constexpr std::string_view name = "GetTime";
    using handles = handle_list<hparam<tpmi_rh_endorsement, auth_role::user>, // @privacyAdminHandle
                                hparam<tpmi_dh_object<true>, auth_role::user>>; // @signHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpmt_sig_scheme, in_scheme)); };
    using response = attest_response;
};

struct get_session_audit_digest { // Part 3 §18.5
    static constexpr tpm_cc code = cc::get_session_audit_digest;
    static constexpr std::string_view name = "GetSessionAuditDigest";
    using handles = handle_list<hparam<tpmi_rh_endorsement, auth_role::user>, // @privacyAdminHandle
                                hparam<tpmi_dh_object<true>, auth_role::user>, // @signHandle
                                hparam<tpmi_sh_hmac, auth_role::none>>;        // sessionHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpmt_sig_scheme, in_scheme)); };
    using response = attest_response;
};

struct get_command_audit_digest { // Part 3 §18.6
    static constexpr tpm_cc code = cc::get_command_audit_digest;
    static constexpr std::string_view name = "GetCommandAuditDigest";
    using handles = handle_list<hparam<tpmi_rh_endorsement, auth_role::user>, // @privacyHandle
                                hparam<tpmi_dh_object<true>, auth_role::user>>; // @signHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpmt_sig_scheme, in_scheme)); };
    using response = attest_response;
};

struct set_command_code_audit_status { // Part 3 §21.2
    static constexpr tpm_cc code = cc::set_command_code_audit_status;
    static constexpr std::string_view name = "SetCommandCodeAuditStatus";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>>; // @auth
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpmi_alg_hash<true>, audit_alg), (tpml_cc, set_list), (tpml_cc, clear_list));
    };
    using response = no_params;
};

struct certify_x509 { // Part 3 §18.8 (deprecated in v184, still in the command set)
    static constexpr tpm_cc code = cc::certify_x509;
    static constexpr std::string_view name = "CertifyX509";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::admin>, // @objectHandle
                                hparam<tpmi_dh_object<false>, auth_role::user>>; // @signHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, reserved), (tpmt_sig_scheme, in_scheme),
                                 (tpm2b_max_buffer, partial_certificate));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_max_buffer, added_to_certificate), (tpm2b_digest, tbs_digest),
                                 (tpmt_signature, signature));
    };
};

} // namespace vtpm::cmd
