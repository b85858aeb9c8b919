// Part 3 §12 Object Commands (Create, Load, LoadExternal, ReadPublic, Unseal,
// ObjectChangeAuth, CreateLoaded) and §24.1 TPM2_CreatePrimary.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

/// TPM2B_PUBLIC+ (Part 3 Table 22): LoadExternal accepts a nameAlg of TPM_ALG_NULL;
/// tpmt_public's nameAlg is already a TPMI_ALG_HASH+, so the wire form is TPM2B_PUBLIC.
using tpm2b_public_external = tpm2b_public;

struct create { // Part 3 §12.1
    static constexpr tpm_cc code = cc::create;
    static constexpr std::string_view name = "Create";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @parentHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.ro_disallow = true, .decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_sensitive_create, in_sensitive), (tpm2b_public, in_public),
                                 (tpm2b_data, outside_info), (tpml_pcr_selection, creation_pcr));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_private, out_private), (tpm2b_public, out_public),
                                 (tpm2b_creation_data, creation_data), (tpm2b_digest, creation_hash),
                                 (tpmt_tk_creation, creation_ticket));
    };
};

struct load { // Part 3 §12.2
    static constexpr tpm_cc code = cc::load;
    static constexpr std::string_view name = "Load";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @parentHandle
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_private, in_private), (tpm2b_public, in_public)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_name, name)); };
};

struct load_external { // Part 3 §12.3
    static constexpr tpm_cc code = cc::load_external;
    static constexpr std::string_view name = "LoadExternal";
    using handles = handle_list<>;
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_sensitive, in_private), (tpm2b_public_external, in_public),
                                 (tpmi_rh_hierarchy<true>, hierarchy));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_name, name)); };
};

struct read_public { // Part 3 §12.4
    static constexpr tpm_cc code = cc::read_public;
    static constexpr std::string_view name = "ReadPublic";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>>; // objectHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    using request = no_params;
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_public, out_public), (tpm2b_name, name),
                                 (tpm2b_name, qualified_name));
    };
};

struct unseal { // Part 3 §12.7
    static constexpr tpm_cc code = cc::unseal;
    static constexpr std::string_view name = "Unseal";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @itemHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_sensitive_data, out_data)); };
};

struct object_change_auth { // Part 3 §12.8
    static constexpr tpm_cc code = cc::object_change_auth;
    static constexpr std::string_view name = "ObjectChangeAuth";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::admin>,  // @objectHandle
                                hparam<tpmi_dh_object<false>, auth_role::none>>;  // parentHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.ro_disallow = true, .decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, new_auth)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_private, out_private)); };
};

struct create_loaded { // Part 3 §12.9 (deprecated in v184, still in the command set)
    static constexpr tpm_cc code = cc::create_loaded;
    static constexpr std::string_view name = "CreateLoaded";
    using handles = handle_list<hparam<tpmi_dh_parent<true>, auth_role::user>>; // @parentHandle
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.pp_command = true, .ro_disallow = true, .decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_sensitive_create, in_sensitive), (tpm2b_template, in_public));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_private, out_private), (tpm2b_public, out_public),
                                 (tpm2b_name, name));
    };
};

struct create_primary { // Part 3 §24.1
    static constexpr tpm_cc code = cc::create_primary;
    static constexpr std::string_view name = "CreatePrimary";
    using handles = handle_list<hparam<tpmi_rh_hierarchy<true>, auth_role::user>>; // @primaryHandle
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.pp_command = true, .ro_disallow = true, .decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_sensitive_create, in_sensitive), (tpm2b_public, in_public),
                                 (tpm2b_data, outside_info), (tpml_pcr_selection, creation_pcr));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_public, out_public), (tpm2b_creation_data, creation_data),
                                 (tpm2b_digest, creation_hash), (tpmt_tk_creation, creation_ticket),
                                 (tpm2b_name, name));
    };
};

} // namespace vtpm::cmd
