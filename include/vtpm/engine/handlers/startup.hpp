// Handlers: Part 3 §9 Start-up and §10 Testing.
#pragma once
#include "vtpm/commands/startup.hpp"
#include "vtpm/commands/testing.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/self_test.hpp"

namespace vtpm::cmd {

/// TPM2_Startup (Part 3 §9.3; Part 1 §37): TPM Reset, TPM Restart or TPM Resume.
template <class P>
rc handle(engine<P>& e, startup, command_context& c, const startup::request& in, no_params&) {
    if (e.started) return rc::initialize;
    const bool resume = in.startup_type.value == su::state;
    const bool was_state = e.nv.orderly == engine_data::orderly_state::state && e.saved.valid;
    if (resume && (!was_state || e.nv.pcr_allocation_pending)) return rc::value.for_param(1);
    const bool reset = !resume && !was_state; // Startup(CLEAR) without a saved state

    if (!self_test_all(e)) {
        e.enter_failure_mode(1);
        return rc::failure;
    }
    e.last_startup_orderly = e.nv.orderly != engine_data::orderly_state::none;
    // A failure recorded without an orderly shutdown may have been lost: count one if a
    // DA-protected authValue was in use (Part 1 §16.8.6).
    if (!e.last_startup_orderly && e.da.da_used && e.da.failed_tries < e.da.max_tries) ++e.da.failed_tries;
    e.da.da_used = false;
    if (e.da.lockout_recovery == 0) e.da.lockout_auth_locked = false; // a reboot is the recovery
    // The command audit digest survives only an orderly shutdown (Part 1 §32).
    if (!e.last_startup_orderly) e.audit.digest.clear();
    e.exclusive_audit_session = 0;
    if (reset) {
        if (e.nv.orderly == engine_data::orderly_state::none && e.nv.reset_count > 0) e.nv.clock_safe = false;
        e.sr = {};
        e.commit = {}; // a new commit nonce is drawn on first use
        e.crypto.random(e.sr.null_proof);
        e.crypto.random(e.sr.null_seed);
        ++e.nv.reset_count;
        e.saved_session_seq.fill(0); // saved session contexts end with a TPM Reset
        e.nv.restart_count = 0;
    } else {
        ++e.nv.restart_count;
    }
    // A PCR_Allocate takes effect at the next Startup that is not a Resume (Part 3 §22.5).
    if (!resume && e.nv.pcr_allocation_pending) {
        e.nv.pcr_banks = e.nv.pcr_banks_pending;
        e.nv.pcr_allocation_pending = false;
    }
    // State-clear data: fresh on Reset and Restart, restored on Resume (phEnable always SET).
    if (resume) {
        e.sc.ph_enable = true;
    } else {
        e.sc = {};
        e.ro = {};
    }
    // NV indices: locks, CLEAR_STCLEAR, ORDERLY indices (engine/nv.hpp).
    nv::startup(e.crypto, e.nv.nv_indices, resume, reset, e.last_startup_orderly, P::profile.limits.orderly_count);
    // PCR banks.
    for (std::size_t i = 0; i < e.banks.size(); ++i) {
        auto& b = e.banks[i];
        b.alg = e.nv.pcr_banks[i];
        if (b.alg == alg::null || b.alg == 0) { b.alg = alg::null; continue; }
        for (unsigned p = 0; p < e.pcr_count; ++p) e.pcr_initial(b, p, c.locality);
        if (resume) {
            for (auto& sb : e.saved.banks) {
                if (sb.alg != b.alg) continue;
                for (unsigned p = 0; p < e.pcr_count; ++p)
                    if (pcr_attr::of(p).state_save) b.values[p] = sb.values[p];
            }
        }
    }
    if (resume) {
        e.sr.pcr_update_counter = e.saved.pcr_update_counter;
        e.sc.pcr_auth = e.saved.pcr_auth;
    }
    e.hcrtm_digests.reset();
    e.saved.valid = false;
    e.nv.orderly = engine_data::orderly_state::none;
    e.started = true;
    return rc::success;
}

/// TPM2_Shutdown (Part 3 §9.4): record an orderly shutdown; STATE also saves what a
/// TPM Resume restores.
template <class P>
rc handle(engine<P>& e, shutdown, command_context&, const shutdown::request& in, no_params&) {
    if (in.shutdown_type.value == su::state) {
        // A pending PCR allocation can only take effect through a TPM Reset or Restart.
        if (e.nv.pcr_allocation_pending) return rc::type.for_param(1);
        e.saved.valid = true;
        e.saved.banks = e.banks;
        e.saved.pcr_update_counter = e.sr.pcr_update_counter;
        e.saved.pcr_auth = e.sc.pcr_auth;
        e.nv.orderly = engine_data::orderly_state::state;
    } else {
        e.saved.valid = false;
        e.nv.orderly = engine_data::orderly_state::clear;
    }
    e.nv.clock = e.clock();
    e.nv.clock_safe = true;
    e.da.da_used = false;
    return rc::success;
}

/// TPM2_SelfTest (Part 3 §10.2).
template <class P>
rc handle(engine<P>& e, self_test, command_context&, const self_test::request&, no_params&) {
    if (!self_test_all(e)) {
        e.enter_failure_mode(2);
        return rc::failure;
    }
    return rc::success;
}

/// TPM2_IncrementalSelfTest (Part 3 §10.3): every algorithm is tested here and now, so
/// nothing is left to do.
template <class P>
rc handle(engine<P>& e, incremental_self_test, command_context&, const incremental_self_test::request&,
          incremental_self_test::response& out) {
    if (!self_test_all(e)) {
        e.enter_failure_mode(3);
        return rc::failure;
    }
    out.to_do_list.count = 0;
    return rc::success;
}

/// TPM2_GetTestResult (Part 3 §10.4).
template <class P>
rc handle(engine<P>& e, get_test_result, command_context&, const no_params&, get_test_result::response& out) {
    if (e.failure_mode) {
        std::uint8_t info[8];
        store_be32(info, 0x56545046); // "VTPF"
        store_be32(info + 4, e.failure_reason);
        (void)out.out_data.assign(info);
        out.test_result = rc::failure.code();
    } else {
        out.test_result = e.self_tested ? rc::success.code() : rc::needs_test.code();
    }
    return rc::success;
}

} // namespace vtpm::cmd
