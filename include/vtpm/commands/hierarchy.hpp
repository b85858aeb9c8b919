// Part 3 §24 Hierarchy Commands (HierarchyControl, SetPrimaryPolicy, ChangePPS, ChangeEPS,
// Clear, ClearControl, HierarchyChangeAuth) and §25 Dictionary Attack Functions.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm {
namespace detail {
struct rule_rh_base_hierarchy { // Part 2 TPMI_RH_BASE_HIERARCHY
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return h == rh::owner || h == rh::endorsement || h == rh::platform;
    }
};
struct rule_rh_enables { // Part 2 §9.14 TPMI_RH_ENABLES
    static constexpr tpm_handle null = rh::null;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return h == rh::owner || h == rh::endorsement || h == rh::platform || h == rh::platform_nv;
    }
};
struct rule_rh_hierarchy_auth { // Part 2 §9.15 TPMI_RH_HIERARCHY_AUTH
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return h == rh::owner || h == rh::endorsement || h == rh::platform || h == rh::lockout;
    }
};
struct rule_rh_hierarchy_policy { // Part 2 §9.16 TPMI_RH_HIERARCHY_POLICY (no ACT in this TPM)
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return h == rh::owner || h == rh::endorsement || h == rh::platform || h == rh::lockout;
    }
};
struct rule_rh_clear { // Part 2 §9.20 TPMI_RH_CLEAR
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return h == rh::lockout || h == rh::platform; }
};
struct rule_rh_lockout { // Part 2 §9.23 TPMI_RH_LOCKOUT
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return h == rh::lockout; }
};
} // namespace detail

using tpmi_rh_base_hierarchy = tpmi<tpm_handle, detail::rule_rh_base_hierarchy, false>;
template <bool Null = false> using tpmi_rh_enables = tpmi<tpm_handle, detail::rule_rh_enables, Null>;
using tpmi_rh_hierarchy_auth = tpmi<tpm_handle, detail::rule_rh_hierarchy_auth, false>;
using tpmi_rh_hierarchy_policy = tpmi<tpm_handle, detail::rule_rh_hierarchy_policy, false>;
using tpmi_rh_clear = tpmi<tpm_handle, detail::rule_rh_clear, false>;
using tpmi_rh_lockout = tpmi<tpm_handle, detail::rule_rh_lockout, false>;

} // namespace vtpm

namespace vtpm::cmd {

struct hierarchy_control { // Part 3 §24.2
    static constexpr tpm_cc code = cc::hierarchy_control;
    static constexpr std::string_view name = "HierarchyControl";
    using handles = handle_list<hparam<tpmi_rh_base_hierarchy, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .extensive = true, .pp_command = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_rh_enables<false>, enable), (tpmi_yes_no, state)); };
    using response = no_params;
};

struct set_primary_policy { // Part 3 §24.3
    static constexpr tpm_cc code = cc::set_primary_policy;
    static constexpr std::string_view name = "SetPrimaryPolicy";
    using handles = handle_list<hparam<tpmi_rh_hierarchy_policy, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, auth_policy), (tpmi_alg_hash<true>, hash_alg)); };
    using response = no_params;
};

struct change_pps { // Part 3 §24.4
    static constexpr tpm_cc code = cc::change_pps;
    static constexpr std::string_view name = "ChangePPS";
    using handles = handle_list<hparam<tpmi_rh_platform, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .extensive = true, .pp_command = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct change_eps { // Part 3 §24.5
    static constexpr tpm_cc code = cc::change_eps;
    static constexpr std::string_view name = "ChangeEPS";
    using handles = handle_list<hparam<tpmi_rh_platform, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .extensive = true, .pp_command = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct clear { // Part 3 §24.6
    static constexpr tpm_cc code = cc::clear;
    static constexpr std::string_view name = "Clear";
    using handles = handle_list<hparam<tpmi_rh_clear, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .extensive = true, .pp_command = true, .ro_disallow = true};
    using request = no_params;
    using response = no_params;
};

struct clear_control { // Part 3 §24.7
    static constexpr tpm_cc code = cc::clear_control;
    static constexpr std::string_view name = "ClearControl";
    using handles = handle_list<hparam<tpmi_rh_clear, auth_role::user>>; // @auth
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_yes_no, disable)); };
    using response = no_params;
};

struct hierarchy_change_auth { // Part 3 §24.8
    static constexpr tpm_cc code = cc::hierarchy_change_auth;
    static constexpr std::string_view name = "HierarchyChangeAuth";
    using handles = handle_list<hparam<tpmi_rh_hierarchy_auth, auth_role::user>>; // @authHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, new_auth)); };
    using response = no_params;
};

struct dictionary_attack_lock_reset { // Part 3 §25.2
    static constexpr tpm_cc code = cc::dictionary_attack_lock_reset;
    static constexpr std::string_view name = "DictionaryAttackLockReset";
    using handles = handle_list<hparam<tpmi_rh_lockout, auth_role::user>>; // @lockHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    using request = no_params;
    using response = no_params;
};

struct dictionary_attack_parameters { // Part 3 §25.3
    static constexpr tpm_cc code = cc::dictionary_attack_parameters;
    static constexpr std::string_view name = "DictionaryAttackParameters";
    using handles = handle_list<hparam<tpmi_rh_lockout, auth_role::user>>; // @lockHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .ro_disallow = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (std::uint32_t, new_max_tries), (std::uint32_t, new_recovery_time),
                                 (std::uint32_t, lockout_recovery));
    };
    using response = no_params;
};

} // namespace vtpm::cmd
