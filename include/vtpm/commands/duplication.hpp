// Part 3 §12.5 TPM2_ActivateCredential, §12.6 TPM2_MakeCredential and §13 Duplication
// Commands (Duplicate, Rewrap, Import).
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

struct activate_credential { // Part 3 §12.5
    static constexpr tpm_cc code = cc::activate_credential;
    static constexpr std::string_view name = "ActivateCredential";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::admin>, // @activateHandle
                                hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_id_object, credential_blob), (tpm2b_encrypted_secret, secret));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, cert_info)); };
};

struct make_credential { // Part 3 §12.6
    static constexpr tpm_cc code = cc::make_credential;
    static constexpr std::string_view name = "MakeCredential";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>>; // handle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, credential), (tpm2b_name, object_name)); };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_id_object, credential_blob), (tpm2b_encrypted_secret, secret));
    };
};

struct duplicate { // Part 3 §13.1
    static constexpr tpm_cc code = cc::duplicate;
    static constexpr std::string_view name = "Duplicate";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::dup>,   // @objectHandle
                                hparam<tpmi_dh_object<true>, auth_role::none>>;  // newParentHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, encryption_key_in), (tpmt_sym_def_object, symmetric_alg));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_data, encryption_key_out), (tpm2b_private, duplicate),
                                 (tpm2b_encrypted_secret, out_sym_seed));
    };
};

struct rewrap { // Part 3 §13.2
    static constexpr tpm_cc code = cc::rewrap;
    static constexpr std::string_view name = "Rewrap";
    using handles = handle_list<hparam<tpmi_dh_object<true>, auth_role::user>,   // @oldParent
                                hparam<tpmi_dh_object<true>, auth_role::none>>;  // newParent
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_private, in_duplicate), (tpm2b_name, name),
                                 (tpm2b_encrypted_secret, in_sym_seed));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_private, out_duplicate), (tpm2b_encrypted_secret, out_sym_seed));
    };
};

struct import { // Part 3 §13.3
    static constexpr tpm_cc code = cc::import;
    static constexpr std::string_view name = "Import";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @parentHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, encryption_key), (tpm2b_public, object_public),
                                 (tpm2b_private, duplicate), (tpm2b_encrypted_secret, in_sym_seed),
                                 (tpmt_sym_def_object, symmetric_alg));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_private, out_private)); };
};

} // namespace vtpm::cmd
