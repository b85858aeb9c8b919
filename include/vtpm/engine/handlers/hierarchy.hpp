// Handlers: Part 3 §24 Hierarchy Commands and §25 Dictionary Attack Functions.
#pragma once
#include "vtpm/commands/hierarchy.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm {
namespace detail {

/// Largest authValue a hierarchy may have: the digest size of the context integrity hash
/// (SHA-256 here; Part 3 §24.8.1).
inline constexpr std::size_t max_hierarchy_auth = 32;

/// The lockout, owner and endorsement controls of a new owner (TPM2_Clear, Part 3 §24.6):
/// new SPS and proofs, empty authorizations and policies, hierarchies enabled, Clock and the
/// reset counters back to zero, DA protection back to its defaults.
template <class P>
void clear_owner(engine<P>& e) {
    e.flush_hierarchy_objects(rh::owner);
    e.flush_hierarchy_objects(rh::endorsement);
    e.crypto.random(e.nv.sps);
    e.crypto.random(e.nv.sh_proof);
    e.crypto.random(e.nv.eh_proof);
    e.sc.sh_enable = e.sc.eh_enable = true;
    for (auto* a : {&e.nv.owner_auth, &e.nv.endorsement_auth, &e.nv.lockout_auth}) {
        secure_zero(a->buffer.data(), a->buffer.size());
        a->size = 0;
    }
    e.nv.owner_policy = e.nv.endorsement_policy = e.nv.lockout_policy = engine_data::hierarchy_policy{};
    e.set_clock(0);
    e.nv.reset_count = 0;
    e.nv.restart_count = 0;
    ++e.sr.pcr_update_counter; // policy sessions with a PolicyPCR are invalidated (§24.6.1)
    e.da = engine_data::dictionary_attack{};
}

} // namespace detail

namespace cmd {

/// TPM2_HierarchyControl (Part 3 §24.2): platform authorization may CLEAR any enable and
/// SET shEnable/ehEnable; owner and endorsement authorization may only CLEAR their own.
template <class P>
rc handle(engine<P>& e, hierarchy_control, command_context& c, const hierarchy_control::request& in, no_params&) {
    const tpm_handle auth = c.handles[0];
    const tpm_handle which = in.enable.value;
    const bool set = in.state.value != 0;
    bool* flag = nullptr;
    switch (which) {
    case rh::platform: flag = &e.sc.ph_enable; break;
    case rh::platform_nv: flag = &e.sc.ph_enable_nv; break;
    case rh::owner: flag = &e.sc.sh_enable; break;
    case rh::endorsement: flag = &e.sc.eh_enable; break;
    default: return rc::value.for_param(1);
    }
    if (auth != rh::platform) {
        // Only the platform may touch phEnable / phEnableNV or SET an enable.
        if (which != auth || set) return rc::auth_type;
    }
    if (which == rh::platform && set) return rc::success; // phEnable is SET while platformAuth works
    if (*flag == set) return rc::success;
    *flag = set;
    if (!set && which != rh::platform_nv) e.flush_hierarchy_objects(which);
    return rc::success;
}

/// TPM2_SetPrimaryPolicy (Part 3 §24.3).
template <class P>
rc handle(engine<P>& e, set_primary_policy, command_context& c, const set_primary_policy::request& in, no_params&) {
    const tpm_alg_id h = in.hash_alg.value;
    if (h == alg::null ? !in.auth_policy.empty() : in.auth_policy.size != hash_digest_size(h))
        return rc::size.for_param(1);
    engine_data::hierarchy_policy pol{h, in.auth_policy};
    switch (c.handles[0]) {
    case rh::owner: e.nv.owner_policy = pol; break;
    case rh::endorsement: e.nv.endorsement_policy = pol; break;
    case rh::lockout: e.nv.lockout_policy = pol; break;
    case rh::platform: e.sc.platform_policy = pol; break;
    default: return rc::value.for_handle(1);
    }
    return rc::success;
}

/// TPM2_ChangePPS (Part 3 §24.4): a new platform seed and proof; the platform policy and the
/// PCR policies are reset; the platform's objects are flushed. Platform NV indices stay.
template <class P>
rc handle(engine<P>& e, change_pps, command_context&, const no_params&, no_params&) {
    e.crypto.random(e.nv.pps);
    e.crypto.random(e.nv.ph_proof);
    e.sc.platform_policy = engine_data::hierarchy_policy{};
    for (auto& p : e.nv.pcr_policies) p = engine_data::hierarchy_policy{};
    e.flush_hierarchy_objects(rh::platform);
    e.primary_cache.clear();
    return rc::success;
}

/// TPM2_ChangeEPS (Part 3 §24.5): a new endorsement seed and proof; endorsementAuth and
/// endorsementPolicy empty; ehEnable SET; the endorsement hierarchy's objects are flushed.
template <class P>
rc handle(engine<P>& e, change_eps, command_context&, const no_params&, no_params&) {
    e.crypto.random(e.nv.eps);
    e.crypto.random(e.nv.eh_proof);
    secure_zero(e.nv.endorsement_auth.buffer.data(), e.nv.endorsement_auth.buffer.size());
    e.nv.endorsement_auth.size = 0;
    e.nv.endorsement_policy = engine_data::hierarchy_policy{};
    e.sc.eh_enable = true;
    e.flush_hierarchy_objects(rh::endorsement);
    e.primary_cache.clear();
    return rc::success;
}

/// TPM2_Clear (Part 3 §24.6).
template <class P>
rc handle(engine<P>& e, clear, command_context&, const no_params&, no_params&) {
    if (e.nv.disable_clear) return rc::disabled;
    detail::clear_owner(e);
    e.primary_cache.clear();
    return rc::success;
}

/// TPM2_ClearControl (Part 3 §24.7): lockoutAuth may SET disableClear, only the platform may
/// CLEAR it.
template <class P>
rc handle(engine<P>& e, clear_control, command_context& c, const clear_control::request& in, no_params&) {
    const bool disable = in.disable.value != 0;
    if (!disable && c.handles[0] != rh::platform) return rc::auth_fail;
    e.nv.disable_clear = disable;
    return rc::success;
}

/// TPM2_HierarchyChangeAuth (Part 3 §24.8): at most the context-integrity digest size, after
/// trailing zeros are removed (they do not count in an authValue).
template <class P>
rc handle(engine<P>& e, hierarchy_change_auth, command_context& c, const hierarchy_change_auth::request& in,
          no_params&) {
    const auto v = detail::trim_zeros(in.new_auth.view());
    if (v.size() > detail::max_hierarchy_auth) return rc::size.for_param(1);
    tpm2b_auth* a = nullptr;
    switch (c.handles[0]) {
    case rh::owner: a = &e.nv.owner_auth; break;
    case rh::endorsement: a = &e.nv.endorsement_auth; break;
    case rh::lockout: a = &e.nv.lockout_auth; break;
    case rh::platform: a = &e.sc.platform_auth; break;
    default: return rc::value.for_handle(1);
    }
    secure_zero(a->buffer.data(), a->buffer.size());
    (void)a->assign(v);
    return rc::success;
}

/// TPM2_DictionaryAttackLockReset (Part 3 §25.2): failedTries to zero; a pending lockoutAuth
/// lockout ends too.
template <class P>
rc handle(engine<P>& e, dictionary_attack_lock_reset, command_context&, const no_params&, no_params&) {
    e.da.failed_tries = 0;
    e.da.lockout_auth_locked = false;
    e.da_heal_base = e.time();
    return rc::success;
}

/// TPM2_DictionaryAttackParameters (Part 3 §25.3).
template <class P>
rc handle(engine<P>& e, dictionary_attack_parameters, command_context&, const dictionary_attack_parameters::request& in,
          no_params&) {
    e.da.max_tries = in.new_max_tries;
    e.da.recovery_time = in.new_recovery_time;
    e.da.lockout_recovery = in.lockout_recovery;
    if (e.da.failed_tries > e.da.max_tries) e.da.failed_tries = e.da.max_tries;
    e.da_heal_base = e.time();
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
