// Part 3 §31 Non-volatile Storage and §28.5 TPM2_EvictControl.
#pragma once
#include "vtpm/commands/attest.hpp"
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/nv.hpp"

namespace vtpm {
namespace detail {
struct rule_dh_persistent { // Part 2 §9.5 TPMI_DH_PERSISTENT
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return handle_type(h) == ht::persistent; }
};
} // namespace detail
using tpmi_dh_persistent = tpmi<tpm_handle, detail::rule_dh_persistent, false>;
} // namespace vtpm

namespace vtpm::cmd {

struct nv_define_space { // Part 3 §31.3
    static constexpr tpm_cc code = cc::nv_define_space;
    static constexpr std::string_view name = "NV_DefineSpace";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, auth), (tpm2b_nv_public, public_info)); };
    using response = no_params;
};

struct nv_undefine_space { // Part 3 §31.4
    static constexpr tpm_cc code = cc::nv_undefine_space;
    static constexpr std::string_view name = "NV_UndefineSpace";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>,          // @authHandle
                                hparam<tpmi_rh_nv_defined_index, auth_role::none>>; // nvIndex
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct nv_undefine_space_special { // Part 3 §31.5
    static constexpr tpm_cc code = cc::nv_undefine_space_special;
    static constexpr std::string_view name = "NV_UndefineSpaceSpecial";
    using handles = handle_list<hparam<tpmi_rh_nv_defined_index, auth_role::admin>, // @nvIndex
                                hparam<tpmi_rh_platform, auth_role::user>>;         // @platform
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct nv_read_public { // Part 3 §31.6
    static constexpr tpm_cc code = cc::nv_read_public;
    static constexpr std::string_view name = "NV_ReadPublic";
    using handles = handle_list<hparam<tpmi_rh_nv_legacy_index, auth_role::none>>; // nvIndex
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_nv_public, nv_public), (tpm2b_name, nv_name)); };
};

struct nv_write { // Part 3 §31.7
    static constexpr tpm_cc code = cc::nv_write;
    static constexpr std::string_view name = "NV_Write";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>,   // @authHandle
                                hparam<tpmi_rh_nv_index, auth_role::none>>; // nvIndex
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_nv_buffer, data), (std::uint16_t, offset)); };
    using response = no_params;
};

struct nv_increment { // Part 3 §31.8
    static constexpr tpm_cc code = cc::nv_increment;
    static constexpr std::string_view name = "NV_Increment";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>, hparam<tpmi_rh_nv_index, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct nv_extend { // Part 3 §31.9
    static constexpr tpm_cc code = cc::nv_extend;
    static constexpr std::string_view name = "NV_Extend";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>, hparam<tpmi_rh_nv_index, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_nv_buffer, data)); };
    using response = no_params;
};

struct nv_set_bits { // Part 3 §31.10
    static constexpr tpm_cc code = cc::nv_set_bits;
    static constexpr std::string_view name = "NV_SetBits";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>, hparam<tpmi_rh_nv_index, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (std::uint64_t, bits)); };
    using response = no_params;
};

struct nv_write_lock { // Part 3 §31.11
    static constexpr tpm_cc code = cc::nv_write_lock;
    static constexpr std::string_view name = "NV_WriteLock";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>, hparam<tpmi_rh_nv_index, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    using request = no_params;
    using response = no_params;
};

struct nv_global_write_lock { // Part 3 §31.12
    static constexpr tpm_cc code = cc::nv_global_write_lock;
    static constexpr std::string_view name = "NV_GlobalWriteLock";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct nv_read { // Part 3 §31.13
    static constexpr tpm_cc code = cc::nv_read;
    static constexpr std::string_view name = "NV_Read";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>, hparam<tpmi_rh_nv_index, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (std::uint16_t, size), (std::uint16_t, offset)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_max_nv_buffer, data)); };
};

struct nv_read_lock { // Part 3 §31.14
    static constexpr tpm_cc code = cc::nv_read_lock;
    static constexpr std::string_view name = "NV_ReadLock";
    using handles = handle_list<hparam<tpmi_rh_nv_auth, auth_role::user>, hparam<tpmi_rh_nv_index, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    using request = no_params;
    using response = no_params;
};

struct nv_change_auth { // Part 3 §31.15
    static constexpr tpm_cc code = cc::nv_change_auth;
    static constexpr std::string_view name = "NV_ChangeAuth";
    using handles = handle_list<hparam<tpmi_rh_nv_index, auth_role::admin>>; // @nvIndex
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .ro_disallow = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, new_auth)); };
    using response = no_params;
};

struct nv_define_space2 { // Part 3 §31.17 (v1.83)
    static constexpr tpm_cc code = cc::nv_define_space2;
    static constexpr std::string_view name = "NV_DefineSpace2";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, auth), (tpm2b_nv_public_2, public_info)); };
    using response = no_params;
};

struct nv_read_public2 { // Part 3 §31.18 (v1.83)
    static constexpr tpm_cc code = cc::nv_read_public2;
    static constexpr std::string_view name = "NV_ReadPublic2";
    using handles = handle_list<hparam<tpmi_rh_nv_index, auth_role::none>>; // nvIndex
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_nv_public_2, nv_public), (tpm2b_name, nv_name)); };
};

struct evict_control { // Part 3 §28.5
    static constexpr tpm_cc code = cc::evict_control;
    static constexpr std::string_view name = "EvictControl";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>,     // @auth
                                hparam<tpmi_dh_object<false>, auth_role::none>>; // objectHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_dh_persistent, persistent_handle)); };
    using response = no_params;
};

struct nv_certify { // Part 3 §31.16
    static constexpr tpm_cc code = cc::nv_certify;
    static constexpr std::string_view name = "NV_Certify";
    using handles = handle_list<hparam<tpmi_dh_object<true>, auth_role::user>, // @signHandle
                                hparam<tpmi_rh_nv_auth, auth_role::user>,      // @authHandle
                                hparam<tpmi_rh_nv_index, auth_role::none>>;    // nvIndex
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_data, qualifying_data), (tpmt_sig_scheme, in_scheme),
                                 (std::uint16_t, size), (std::uint16_t, offset));
    };
    using response = attest_response;
};

} // namespace vtpm::cmd
