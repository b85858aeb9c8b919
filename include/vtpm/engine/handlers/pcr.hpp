// Handlers: Part 3 §22 Integrity Collection (PCR).
//
// Banks: a PCR bank is allocated whole (every PCR of the profile) or not at all; see
// PCR_Allocate below. The PCR attributes (localities, groups, counter exclusion) are the
// PC Client ones of engine/pcr_attributes.hpp. The PC Client profile has one authorization
// group and one policy group, so setting the value of one member sets the whole group.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "vtpm/commands/pcr.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm {
namespace detail {

/// Extend pcr in the bank of each digest of the list; digests of banks that are not
/// allocated are not used (Part 3 §22.2.1). pcrUpdateCounter moves once per bank
/// extended (Part 3 §22.1).
template <class P>
void extend_digests(engine<P>& e, unsigned pcr, const tpml_digest_values& digests) {
    for (const auto& d : digests.view()) {
        if (auto* b = e.bank(d.hash_alg.value)) {
            e.extend(*b, pcr, byte_view{d.digest.data(), d.digest_size()});
            e.pcr_changed(pcr);
        }
    }
}

/// TPM_RC_LOCALITY unless the command's locality may extend pcr (PC Client PCR attributes).
template <class P>
[[nodiscard]] rc check_extend_locality(const engine<P>& e, tpm_handle pcr, const command_context& c) noexcept {
    if (pcr == rh::null) return rc::success;
    return e.pcr_extend_allowed(pcr, c.locality) ? rc::success : rc::locality;
}

/// PCRs that can be read or allocated through a TPMS_PCR_SELECTION of this TPM.
template <class P>
inline constexpr unsigned selectable_pcrs = std::min<unsigned>(engine<P>::pcr_count, limits::pcr_select_max * 8);

} // namespace detail

namespace cmd {

/// TPM2_PCR_Extend (Part 3 §22.2). TPM_RH_NULL processes the parameters and changes nothing.
template <class P>
rc handle(engine<P>& e, pcr_extend, command_context& c, const pcr_extend::request& in, no_params&) {
    const tpm_handle pcr = c.handles[0];
    if (pcr == rh::null) return rc::success;
    if (rc r = detail::check_extend_locality(e, pcr, c); !r.ok()) return r;
    detail::extend_digests(e, pcr, in.digests);
    return rc::success;
}

/// TPM2_PCR_Event (Part 3 §22.3): eventData is hashed with the algorithm of each allocated
/// bank; the digests are returned (also for TPM_RH_NULL, which the spec allows) and, unless
/// pcrHandle is TPM_RH_NULL, extended into the PCR as TPM2_PCR_Extend would.
template <class P>
rc handle(engine<P>& e, pcr_event, command_context& c, const pcr_event::request& in, pcr_event::response& out) {
    const tpm_handle pcr = c.handles[0];
    if (rc r = detail::check_extend_locality(e, pcr, c); !r.ok()) return r;
    out.digests.count = 0;
    for (const auto& b : e.banks) {
        if (b.alg == alg::null) continue;
        tpmt_ha d;
        d.hash_alg.value = b.alg;
        e.crypto.hash(b.alg, in.event_data.view(), byte_span{d.digest.data(), d.digest_size()});
        (void)out.digests.push_back(d); // at most max_banks == capacity entries
    }
    if (pcr != rh::null) detail::extend_digests(e, pcr, out.digests);
    return rc::success;
}

/// TPM2_PCR_Read (Part 3 §22.4). Selections are processed in order, PCRs in ascending order;
/// at most 8 values fit in a TPML_DIGEST, and pcrSelectionOut has a bit SET exactly for each
/// value returned: bits of PCRs that are not implemented, of banks that are not allocated or
/// past the 8th value are cleared. A selector whose PCRs are all cleared stays in the list
/// ("If no PCR are returned from a bank, the selector for the bank will be present").
template <class P>
rc handle(engine<P>& e, pcr_read, command_context&, const pcr_read::request& in, pcr_read::response& out) {
    out.pcr_update_counter = e.sr.pcr_update_counter;
    out.pcr_selection_out = in.pcr_selection_in;
    out.pcr_values.count = 0;
    for (auto& sel : out.pcr_selection_out.view()) {
        const auto* b = e.bank(sel.hash.value);
        const auto n = hash_digest_size(sel.hash.value);
        for (unsigned pcr = 0; pcr < sel.sizeof_select * 8u; ++pcr) {
            if (!sel.selected(pcr)) continue;
            // Once the list is full, no later bit is returned (in this or a later selector).
            if (b && pcr < engine<P>::pcr_count && out.pcr_values.count < tpml_digest::capacity) {
                (void)out.pcr_values.push_back(tpm2b_digest{byte_view{b->values[pcr].data(), n}});
                continue;
            }
            sel.pcr_select[pcr / 8] = static_cast<std::uint8_t>(sel.pcr_select[pcr / 8] & ~(1u << (pcr % 8)));
        }
    }
    return rc::success;
}

/// TPM2_PCR_Allocate (Part 3 §22.5). The request changes the banks it lists (the last
/// selection of a bank wins) and keeps the others as they are now; the result is stored and
/// takes effect at the next TPM Reset (Startup(CLEAR) applies nv.pcr_banks_pending; until
/// then Startup(STATE) is refused). This TPM allocates a bank whole: a selection must name
/// every PCR of the bank or none. Any other selection fails with TPM_RC_NO_RESULT, which
/// §22.5.1 allows for a request the TPM cannot satisfy. An allocation without the H-CRTM
/// PCR (0) and the D-RTM PCR (17) of the PC Client profile in some bank is TPM_RC_PCR.
/// sizeAvailable is what every implemented hash algorithm allocated in full would take.
template <class P>
rc handle(engine<P>& e, pcr_allocate, command_context&, const pcr_allocate::request& in, pcr_allocate::response& out) {
    if (!e.nv_available) return rc::nv_unavailable;
    constexpr unsigned max_pcr = detail::selectable_pcrs<P>;
    constexpr std::uint32_t all_selected = max_pcr >= 32 ? 0xFFFFFFFFu : (1u << max_pcr) - 1u;
    constexpr unsigned hcrtm_pcr = 0, drtm_pcr = 17; // HCRTM_PCR and DRTM_PCR of the PC Client profile

    // The resulting allocation: one PCR mask per bank, in the current order of the banks and
    // then in the order of the request.
    struct slot {
        tpm_alg_id alg = alg::null;
        std::uint32_t mask = 0;
    };
    std::array<slot, engine_data::max_banks> next{};
    std::size_t count = 0;
    for (auto a : e.nv.pcr_banks)
        if (a != alg::null && a != alg::error && count < next.size()) next[count++] = {a, all_selected};
    for (const auto& sel : in.pcr_allocation.view()) {
        std::uint32_t mask = 0;
        for (unsigned p = 0; p < max_pcr; ++p)
            if (sel.selected(p)) mask |= 1u << p;
        auto* it = std::find_if(next.begin(), next.begin() + static_cast<std::ptrdiff_t>(count),
                                [&](const slot& s) { return s.alg == sel.hash.value; });
        if (it != next.begin() + static_cast<std::ptrdiff_t>(count)) it->mask = mask;
        else if (count < next.size()) next[count++] = {sel.hash.value, mask}; // TPML count <= max_banks
    }

    std::uint32_t needed = 0, available = 0;
    bool hcrtm = hcrtm_pcr >= max_pcr, drtm = drtm_pcr >= max_pcr, partial = false;
    for (std::size_t i = 0; i < count; ++i) {
        const auto m = next[i].mask;
        needed += static_cast<std::uint32_t>(std::popcount(m) * hash_digest_size(next[i].alg));
        hcrtm = hcrtm || (m >> hcrtm_pcr & 1u) != 0;
        drtm = drtm || (m >> drtm_pcr & 1u) != 0;
        partial = partial || (m != 0 && m != all_selected);
    }
    for (auto a : crypto::all_hash_algs)
        if (P::profile.has_alg(a)) available += static_cast<std::uint32_t>(max_pcr * hash_digest_size(a));
    if (!hcrtm || !drtm) return rc::pcr;
    if (partial) return rc::no_result;

    e.nv.pcr_banks_pending = {};
    std::size_t k = 0;
    for (std::size_t i = 0; i < count; ++i)
        if (next[i].mask != 0) e.nv.pcr_banks_pending[k++] = next[i].alg;
    e.nv.pcr_allocation_pending = true;
    out.allocation_success.value = 1;
    out.max_pcr = max_pcr;
    out.size_needed = needed;
    out.size_available = available;
    return rc::success;
}

/// TPM2_PCR_SetAuthPolicy (Part 3 §22.6): authPolicy must have the size of a hashAlg digest
/// (zero for TPM_ALG_NULL), else TPM_RC_SIZE; pcrNum must be in a policy group, else
/// TPM_RC_VALUE. The policy is persistent.
template <class P>
rc handle(engine<P>& e, pcr_set_auth_policy, command_context&, const pcr_set_auth_policy::request& in, no_params&) {
    if (in.auth_policy.size != hash_digest_size(in.hash_alg.value)) return rc::size.for_param(1);
    if (!pcr_attr::of(in.pcr_num.value).policy_group) return rc::value.for_param(3);
    if (!e.nv_available) return rc::nv_unavailable;
    for (unsigned p = 0; p < engine<P>::pcr_count; ++p) {
        if (!pcr_attr::of(p).policy_group) continue;
        e.nv.pcr_policies[p].alg = in.hash_alg.value;
        e.nv.pcr_policies[p].digest = in.auth_policy;
    }
    return rc::success;
}

/// TPM2_PCR_SetAuthValue (Part 3 §22.7): pcrHandle must be in an authorization group, else
/// TPM_RC_VALUE (the reference implementation returns it without a handle number; so do we).
/// The value is state-clear data: kept by Shutdown(STATE), emptied by Startup(CLEAR).
template <class P>
rc handle(engine<P>& e, pcr_set_auth_value, command_context& c, const pcr_set_auth_value::request& in, no_params&) {
    if (!pcr_attr::of(c.handles[0]).auth_group) return rc::value;
    tpm2b_auth v = in.auth;
    while (v.size > 0 && v.buffer[v.size - 1u] == 0) --v.size; // Part 1 §19.6.4: trailing zeros do not count
    for (unsigned p = 0; p < engine<P>::pcr_count; ++p)
        if (pcr_attr::of(p).auth_group) e.sc.pcr_auth[p] = v;
    return rc::success;
}

/// TPM2_PCR_Reset (Part 3 §22.8): a PCR that the command's locality may not reset is
/// TPM_RC_LOCALITY; otherwise the PCR becomes zero in every bank and pcrUpdateCounter moves
/// once (Part 3 §22.1).
template <class P>
rc handle(engine<P>& e, pcr_reset, command_context& c, const no_params&, no_params&) {
    const tpm_handle pcr = c.handles[0];
    if (!e.pcr_reset_allowed(pcr, c.locality)) return rc::locality;
    for (auto& b : e.banks)
        if (b.alg != alg::null) b.values[pcr].fill(0);
    e.pcr_changed(pcr);
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
