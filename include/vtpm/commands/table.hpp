// The single list of command descriptors. Everything about a command that is not its
// handler derives from here: unmarshalling, dispatch, GetCapability(COMMANDS), the fuzz
// dictionary and seeds, docs/commands.md.
#pragma once
#include <cstddef>
#include <tuple>

#include "vtpm/commands/asymmetric.hpp"
#include "vtpm/commands/attest.hpp"
#include "vtpm/commands/capability.hpp"
#include "vtpm/commands/clock.hpp"
#include "vtpm/commands/context.hpp"
#include "vtpm/commands/duplication.hpp"
#include "vtpm/commands/ephemeral.hpp"
#include "vtpm/commands/hash.hpp"
#include "vtpm/commands/hierarchy.hpp"
#include "vtpm/commands/nv.hpp"
#include "vtpm/commands/object.hpp"
#include "vtpm/commands/pcr.hpp"
#include "vtpm/commands/platform_controls.hpp"
#include "vtpm/commands/policy.hpp"
#include "vtpm/commands/random.hpp"
#include "vtpm/commands/session.hpp"
#include "vtpm/commands/signing.hpp"
#include "vtpm/commands/startup.hpp"
#include "vtpm/commands/symmetric_cmds.hpp"
#include "vtpm/commands/testing.hpp"

namespace vtpm::cmd {

template <class... D>
struct list {
    static constexpr std::size_t size = sizeof...(D);
    using tuple = std::tuple<D...>;
    /// Call f(D{}) for each descriptor (compile-time iteration; not for runtime lookups).
    template <class F>
    static constexpr void each(F&& f) { (f(D{}), ...); }
};

using all = list<
    // §9 Start-up
    startup, shutdown,
    // §10 Testing
    self_test, incremental_self_test, get_test_result,
    // §15-§17 Hash and sequences
    hash, hash_sequence_start, sequence_update, sequence_complete, event_sequence_complete,
    // §11 Sessions, §23 Enhanced Authorization
    start_auth_session, policy_restart, policy_pcr, policy_command_code, policy_auth_value, policy_password,
    policy_get_digest, policy_signed, policy_secret, policy_ticket, policy_or, policy_locality, policy_counter_timer,
    policy_physical_presence, policy_cp_hash, policy_name_hash, policy_duplication_select, policy_authorize,
    policy_nv_written, policy_template, policy_capability, policy_parameters, policy_nv, policy_authorize_nv,
    // §12 Object, §24.1 CreatePrimary
    create, load, load_external, read_public, unseal, object_change_auth, create_loaded, create_primary,
    // §16 Random
    get_random, stir_random,
    // §22 PCR
    pcr_extend, pcr_event, pcr_read, pcr_allocate, pcr_set_auth_policy, pcr_set_auth_value, pcr_reset,
    // §28 Context
    context_save, context_load, flush_context,
    // §29 Clock
    read_clock, clock_set, clock_rate_adjust,
    // §30 Capability
    get_capability, test_parms,
    // §14 Asymmetric, §15 Symmetric primitives, §20 Signing
    rsa_encrypt, rsa_decrypt, ecdh_keygen, ecdh_zgen, ecc_parameters, encrypt_decrypt, encrypt_decrypt2, mac,
    verify_signature, sign,
    // §14.7 ZGen_2Phase, §19 Ephemeral EC Keys
    zgen_2phase, commit, ec_ephemeral,
    // §17.3 MAC_Start (= HMAC_Start)
    mac_start,
    // §14.8-§14.9 ECC encryption
    ecc_encrypt, ecc_decrypt,
    // §24 Hierarchy, §25 Dictionary Attack
    hierarchy_control, set_primary_policy, change_pps, change_eps, clear, clear_control, hierarchy_change_auth,
    dictionary_attack_lock_reset, dictionary_attack_parameters,
    // §12.5-§12.6 Credentials, §13 Duplication
    activate_credential, make_credential, duplicate, rewrap, import,
    // §31 Non-volatile Storage, §28.5 EvictControl
    nv_define_space, nv_undefine_space, nv_undefine_space_special, nv_read_public, nv_write, nv_increment, nv_extend,
    nv_set_bits, nv_write_lock, nv_global_write_lock, nv_read, nv_read_lock, nv_change_auth, nv_define_space2,
    nv_read_public2, evict_control, nv_certify,
    // §18 Attestation
    certify, certify_creation, quote, get_time, get_session_audit_digest, get_command_audit_digest, certify_x509,
    // §21 Command Audit
    set_command_code_audit_status,
    // §26.2 PP_Commands, §24.9 ReadOnlyControl
    pp_commands, read_only_control>;

} // namespace vtpm::cmd
