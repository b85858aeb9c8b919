// The data a TPM keeps, grouped by lifetime (Part 1 §37 "Shutdown and Startup"):
//   persistent   survives everything but manufacture (NV);
//   state_save   written by Shutdown(STATE), consumed by the next Startup;
//   state_clear  reset on TPM Reset and TPM Restart (Startup(CLEAR));
//   state_reset  reset on TPM Reset only.
#pragma once
#include <array>
#include <cstdint>

#include "vtpm/engine/nv.hpp"
#include "vtpm/engine/persistent_objects.hpp"
#include "vtpm/spec/constants.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm::engine_data {

inline constexpr std::size_t max_pcrs = 32;
inline constexpr std::size_t max_banks = limits::hash_count;
inline constexpr std::size_t proof_size = 64;   // PROOF_SIZE: largest digest
inline constexpr std::size_t seed_size = 64;    // PRIMARY_SEED_SIZE

/// One PCR bank: its algorithm and the value of each PCR.
struct pcr_bank {
    tpm_alg_id alg = alg::null;
    std::array<std::array<std::uint8_t, limits::max_digest>, max_pcrs> values{};
};

/// Orderly shutdown type recorded in NV (TPM_SU or none).
enum class orderly_state : std::uint8_t { none, clear, state };

struct hierarchy_policy {
    tpm_alg_id alg = alg::null;
    tpm2b_digest digest;
};

struct persistent {
    std::array<std::uint8_t, seed_size> eps{}, sps{}, pps{};
    std::array<std::uint8_t, proof_size> eh_proof{}, sh_proof{}, ph_proof{};
    tpm2b_auth owner_auth, endorsement_auth, lockout_auth;
    hierarchy_policy owner_policy, endorsement_policy, lockout_policy;
    /// Bank allocation in force, and the one PCR_Allocate asked for (applies at TPM Reset).
    std::array<tpm_alg_id, max_banks> pcr_banks{};
    std::array<tpm_alg_id, max_banks> pcr_banks_pending{};
    bool pcr_allocation_pending = false;
    /// PCR_SetAuthPolicy per PCR (only PCRs of the policy group may have one).
    std::array<hierarchy_policy, max_pcrs> pcr_policies{};
    std::uint64_t clock = 0;      // last Clock value recorded in NV
    std::int8_t clock_adjust = 0; // TPM2_ClockRateAdjust setting
    bool clock_safe = true;
    std::uint32_t reset_count = 0;
    std::uint32_t restart_count = 0;
    bool disable_clear = false;
    orderly_state orderly = orderly_state::none;
    // Saved in blocks of their own (not in this structure's field list below).
    vtpm::nv::store nv_indices;                 // defined NV indices
    vtpm::persistent::store persistent_objects; // EvictControl'd objects
};

/// What Shutdown(STATE) preserves for TPM Resume (Part 1 §37.3): saved PCRs and counters.
struct state_save {
    bool valid = false;
    std::array<pcr_bank, max_banks> banks{};
    std::uint32_t pcr_update_counter = 0;
    std::array<tpm2b_auth, max_pcrs> pcr_auth{};
    std::uint32_t startup_clear_flags = 0;
};

struct state_clear {
    bool ph_enable = true, sh_enable = true, eh_enable = true, ph_enable_nv = true;
    tpm2b_auth platform_auth;
    hierarchy_policy platform_policy;
    std::array<tpm2b_auth, max_pcrs> pcr_auth{};
};

struct state_reset {
    std::array<std::uint8_t, proof_size> null_proof{};
    std::array<std::uint8_t, seed_size> null_seed{};
    std::uint32_t pcr_update_counter = 0;
    std::uint32_t clear_count = 0;
    std::uint64_t object_context_id = 0;
};

/// Dictionary-attack protection (Part 1 §16.8): NV state; its own state-file block.
struct dictionary_attack {
    static constexpr std::uint32_t default_max_tries = 3, default_recovery_time = 7200, default_lockout_recovery = 86400;
    std::uint32_t failed_tries = 0;
    std::uint32_t max_tries = default_max_tries;
    std::uint32_t recovery_time = default_recovery_time;       // seconds per failedTries decrement; 0: DA off
    std::uint32_t lockout_recovery = default_lockout_recovery; // seconds after a lockoutAuth failure; 0: reboot
    bool lockout_auth_locked = false; // a lockoutAuth failure is waiting out lockoutRecovery
    bool da_used = false;             // a DA-protected authValue was used since the last orderly shutdown

    [[nodiscard]] bool in_lockout() const noexcept { return max_tries == 0 || failed_tries >= max_tries; }
};

/// Command audit (Part 1 §32): the audit hash, the audit counter (NV), the audited command
/// codes (a bit per code from TPM_CC_FIRST) and the audit digest register (empty: cleared).
struct command_audit {
    tpm_alg_id alg = alg::sha256;
    std::uint64_t counter = 0;
    std::array<std::uint8_t, (cc::last - cc::first + 1 + 7) / 8> commands{};
    tpm2b_digest digest;

    [[nodiscard]] bool audited(tpm_cc c) const noexcept {
        return c >= cc::first && c <= cc::last && (commands[(c - cc::first) / 8] >> ((c - cc::first) % 8) & 1);
    }
    void set(tpm_cc c, bool on) noexcept {
        if (c < cc::first || c > cc::last) return;
        const auto bit = static_cast<std::uint8_t>(1u << ((c - cc::first) % 8));
        auto& b = commands[(c - cc::first) / 8];
        b = static_cast<std::uint8_t>(on ? (b | bit) : (b & ~bit));
    }
};

/// The commit mechanism of two-phase operations (Part 1 §44.2.2; NV Reset Data, §34.4.4):
/// kept in NV, reset on TPM Reset. r := KDFa(nameAlg, nonce, "ECDAA Commit", name, count, bits).
struct commit_state {
    static constexpr std::uint32_t array_bits = 128; // 2^N pending commit values, N = 7
    bool valid = false;                              // nonce drawn since the last TPM Reset
    std::uint64_t count = 0;                         // commitCount
    std::array<std::uint8_t, 64> nonce{};            // commitRandom
    std::array<std::uint8_t, array_bits / 8> pending{}; // A[]: commit value not used yet
};

/// The commands that need Physical Presence when Platform Authorization is given
/// (TPM2_PP_Commands, Part 3 §26.2): NV, a bit per code from TPM_CC_FIRST. Commands whose
/// descriptor has pp_required need it always and are not kept here.
struct pp_command_list {
    std::array<std::uint8_t, (cc::last - cc::first + 1 + 7) / 8> commands{};

    [[nodiscard]] bool listed(tpm_cc c) const noexcept {
        return c >= cc::first && c <= cc::last && (commands[(c - cc::first) / 8] >> ((c - cc::first) % 8) & 1);
    }
    void set(tpm_cc c, bool on) noexcept {
        if (c < cc::first || c > cc::last) return;
        const auto bit = static_cast<std::uint8_t>(1u << ((c - cc::first) % 8));
        auto& b = commands[(c - cc::first) / 8];
        b = static_cast<std::uint8_t>(on ? (b | bit) : (b & ~bit));
    }
};

/// TPMA_STARTUP_CLEAR.readOnly (Part 2 §8.7, TPM2_ReadOnlyControl): state-clear data, CLEAR
/// on TPM Reset and TPM Restart, kept by TPM Resume; its own state-file block.
struct read_only_mode {
    bool read_only = false;
};

} // namespace vtpm::engine_data

// Field lists for the state format (engine/serialize.hpp). A block's field list is frozen
// once released: new data goes into new blocks.
#include <boost/hana/adapt_struct.hpp>
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::pcr_bank, alg, values);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::hierarchy_policy, alg, digest);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::persistent, eps, sps, pps, eh_proof, sh_proof, ph_proof, owner_auth,
                        endorsement_auth, lockout_auth, owner_policy, endorsement_policy, lockout_policy, pcr_banks,
                        pcr_banks_pending, pcr_allocation_pending, pcr_policies, clock, clock_adjust, clock_safe,
                        reset_count, restart_count, disable_clear, orderly);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::dictionary_attack, failed_tries, max_tries, recovery_time, lockout_recovery,
                        lockout_auth_locked, da_used);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::state_clear, ph_enable, sh_enable, eh_enable, ph_enable_nv, platform_auth,
                        platform_policy, pcr_auth);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::state_reset, null_proof, null_seed, pcr_update_counter, clear_count,
                        object_context_id);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::commit_state, valid, count, nonce, pending);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::state_save, valid, banks, pcr_update_counter, pcr_auth,
                        startup_clear_flags);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::command_audit, alg, counter, commands, digest);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::pp_command_list, commands);
BOOST_HANA_ADAPT_STRUCT(vtpm::engine_data::read_only_mode, read_only);
