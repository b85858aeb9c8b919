// Handlers: Part 3 §30 Capability Commands (TPM2_GetCapability).
//
// Every list is produced in ascending order of its key (algorithm, handle, command code,
// property tag) and paged by one helper: entries below `property` are skipped, at most
// min(propertyCount, list capacity) are returned, and moreData is YES when another entry
// follows the last one returned (Part 3 §30.2.1).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "vtpm/commands/capability.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/execute.hpp"
#include "vtpm/engine/pcr_attributes.hpp"

namespace vtpm {

namespace detail {

/// One page of a TPML in a TPM2_GetCapability response.
template <class List>
class cap_page {
public:
    cap_page(List& list, std::uint32_t first, std::uint32_t count) noexcept
        : list_(list), first_(first), limit_(std::min<std::size_t>(count, List::capacity)) {
        list_.count = 0;
    }
    /// Offer the next entry (keys must ascend). Entries past a full page only set moreData.
    template <class T>
    void operator()(std::uint32_t key, const T& item) noexcept {
        if (key < first_) return;
        if (list_.count < limit_) (void)list_.push_back(item);
        else more_ = true;
    }
    [[nodiscard]] bool more() const noexcept { return more_; }

private:
    List& list_;
    std::uint32_t first_;
    std::size_t limit_;
    bool more_ = false;
};

/// Four characters packed big-endian into a UINT32 (TPM_PT_FAMILY_INDICATOR and the
/// vendor strings, Part 2 §6.13).
[[nodiscard]] constexpr std::uint32_t pack_chars(std::string_view s) noexcept {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v = v << 8 | (i < s.size() ? static_cast<std::uint8_t>(s[i]) : 0u);
    return v;
}

/// TPMA_ALGORITHM of an algorithm: the "Type" of the TCG Algorithm Registry (A asymmetric,
/// S symmetric, H hash, O object, X signing, E encrypting, M method). Part 2 §8.2; the bits
/// are deprecated in v1.85 but still reported.
[[nodiscard]] constexpr std::uint32_t alg_properties(tpm_alg_id a) noexcept {
    using namespace tpma_algorithm;
    switch (a) {
    case alg::rsa: case alg::ecc: return asymmetric | tpma_algorithm::object;
    case alg::tdes: case alg::aes: case alg::sm4: case alg::camellia: return symmetric;
    case alg::sha1: case alg::sha256: case alg::sha384: case alg::sha512: case alg::sm3_256:
    case alg::sha3_256: case alg::sha3_384: case alg::sha3_512: case alg::shake128: case alg::shake256:
        return hash;
    case alg::hmac: return hash | signing;
    case alg::mgf1: case alg::kdf1_sp800_56a: case alg::kdf2: case alg::kdf1_sp800_108: return hash | method;
    case alg::keyedhash: return hash | tpma_algorithm::object;
    case alg::xor_: return hash | symmetric;
    case alg::symcipher: return tpma_algorithm::object;
    case alg::rsassa: case alg::rsapss: case alg::ecdsa: case alg::ecdaa: case alg::sm2: case alg::ecschnorr:
        return asymmetric | signing;
    case alg::rsaes: case alg::ecmqv: return asymmetric | encrypting;
    case alg::oaep: return asymmetric | encrypting | hash;
    case alg::ecdh: return asymmetric | method;
    case alg::ctr: case alg::ofb: case alg::cbc: case alg::cfb: case alg::ecb: return symmetric | encrypting;
    case alg::cmac: return symmetric | signing;
    default: return 0; // TPM_ALG_NULL and anything without a type
    }
}

/// The permanent handles this TPM implements (Part 2 §7.4 Table 34), ascending.
inline constexpr tpm_handle permanent_handles[] = {rh::owner,       rh::null,     rh::pw,         rh::lockout,
                                                   rh::endorsement, rh::platform, rh::platform_nv};

/// Interval in milliseconds between updates of the NV copy of Clock (TPM_PT_CLOCK_UPDATE):
/// about 70 minutes (2^22 ms).
inline constexpr std::uint32_t clock_update_ms = 1u << 22;

/// Number of commands the platform's profile enables (TPM_PT_TOTAL_COMMANDS).
template <class P>
[[nodiscard]] constexpr std::uint32_t enabled_command_count() noexcept {
    std::uint32_t n = 0;
    for (const auto& en : dispatch_table<P>)
        if (en.present()) ++n;
    return n;
}

/// Largest digest of the hash algorithms the profile enables (TPM_PT_MAX_DIGEST).
template <class P>
[[nodiscard]] constexpr std::uint32_t max_enabled_digest() noexcept {
    std::size_t n = 0;
    for (tpm_alg_id a = 0; a < config::alg_slots; ++a)
        if (P::profile.has_alg(a)) n = std::max(n, hash_digest_size(a));
    return static_cast<std::uint32_t>(n);
}

/// Offer every TPM_PT property in tag order (Part 2 §6.13 Table 28). With fixed_only
/// (failure mode) only the PT_FIXED group, which depends on nothing but the profile.
template <class P, class Put>
void tpm_properties(const engine<P>& e, bool fixed_only, Put&& put) {
    constexpr const config::profile& prof = P::profile;
    constexpr const config::identity_t& id = prof.identity;
    constexpr const config::limits_t& lim = prof.limits;
    // TPMS_CONTEXT: sequence (8), savedHandle (4), hierarchy (4), TPM2B_CONTEXT_DATA.
    constexpr std::uint32_t context_size = 8 + 4 + 4 + 2 + limits::max_context_size;
    constexpr bool has_aes = prof.has_alg(alg::aes);

    // PT_FIXED
    put(pt::family_indicator, pack_chars("2.0"));
    put(pt::level, id.spec_level);
    put(pt::revision, id.spec_revision);
    put(pt::day_of_year, 0); // TPM_PT_ERRATA since v1.85: no errata implemented
    put(pt::year, 0);        // "shall be zero" since v1.85
    put(pt::manufacturer, id.manufacturer);
    put(pt::vendor_string_1, id.vendor_string[0]);
    put(pt::vendor_string_2, id.vendor_string[1]);
    put(pt::vendor_string_3, id.vendor_string[2]);
    put(pt::vendor_string_4, id.vendor_string[3]);
    put(pt::vendor_tpm_type, id.vendor_tpm_type);
    put(pt::firmware_version_1, id.firmware_version_1);
    put(pt::firmware_version_2, id.firmware_version_2);
    put(pt::input_buffer, static_cast<std::uint32_t>(limits::max_digest_buffer));
    put(pt::hr_transient_min, lim.max_loaded_objects);
    put(pt::hr_persistent_min, lim.persistent_objects_max);
    put(pt::hr_loaded_min, lim.max_loaded_sessions);
    put(pt::active_sessions_max, lim.max_active_sessions);
    put(pt::pcr_count, lim.pcr_count);
    put(pt::pcr_select_min, static_cast<std::uint32_t>(limits::pcr_select_min));
    put(pt::context_gap_max, lim.context_gap_max);
    put(pt::nv_counters_max, 0); // no fixed maximum
    put(pt::nv_index_max, lim.nv_index_max);
    put(pt::memory, 1u << 2);    // TPMA_MEMORY.objectCopiedToRam
    put(pt::clock_update, clock_update_ms);
    put(pt::context_hash, prof.has_alg(alg::sha256) ? alg::sha256 : alg::null);
    put(pt::context_sym, has_aes ? alg::aes : alg::null);
    put(pt::context_sym_size, has_aes ? 128u : 0u);
    put(pt::orderly_count, lim.orderly_count);
    put(pt::max_command_size, lim.max_command_size);
    put(pt::max_response_size, lim.max_response_size);
    put(pt::max_digest, max_enabled_digest<P>());
    put(pt::max_object_context, context_size);
    put(pt::max_session_context, context_size);
    put(pt::ps_family_indicator, id.ps_family_indicator);
    put(pt::ps_level, id.ps_level);
    put(pt::ps_revision, id.ps_revision);
    put(pt::ps_day_of_year, id.ps_day_of_year);
    put(pt::ps_year, id.ps_year);
    put(pt::split_max, 0);
    put(pt::total_commands, enabled_command_count<P>());
    put(pt::library_commands, enabled_command_count<P>());
    put(pt::vendor_commands, 0);
    put(pt::nv_buffer_max, lim.nv_buffer_max);
    put(pt::modes, 0); // TPMA_MODES: no FIPS claim
    put(pt::max_cap_buffer, static_cast<std::uint32_t>(limits::max_cap_buffer));
    if (fixed_only) return;

    // PT_VAR
    std::uint32_t permanent = tpma_permanent::tpm_generated_eps;
    if (!e.nv.owner_auth.empty()) permanent |= tpma_permanent::owner_auth_set;
    if (!e.nv.endorsement_auth.empty()) permanent |= tpma_permanent::endorsement_auth_set;
    if (!e.nv.lockout_auth.empty()) permanent |= tpma_permanent::lockout_auth_set;
    if (e.nv.disable_clear) permanent |= tpma_permanent::disable_clear;
    if (e.da.in_lockout()) permanent |= tpma_permanent::in_lockout;
    std::uint32_t startup_clear = 0;
    if (e.sc.ph_enable) startup_clear |= tpma_startup_clear::ph_enable;
    if (e.sc.sh_enable) startup_clear |= tpma_startup_clear::sh_enable;
    if (e.sc.eh_enable) startup_clear |= tpma_startup_clear::eh_enable;
    if (e.sc.ph_enable_nv) startup_clear |= tpma_startup_clear::ph_enable_nv;
    if (e.last_startup_orderly) startup_clear |= tpma_startup_clear::orderly;
    if (e.ro.read_only) startup_clear |= tpma_startup_clear::read_only;
    const auto loaded = static_cast<std::uint32_t>(e.loaded_object_count());

    put(pt::permanent, permanent);
    put(pt::startup_clear, startup_clear);
    put(pt::hr_nv_index, static_cast<std::uint32_t>(e.nv.nv_indices.indices.size()));
    put(pt::hr_loaded, static_cast<std::uint32_t>(e.loaded_session_count()));
    put(pt::hr_loaded_avail, static_cast<std::uint32_t>(lim.max_loaded_sessions - e.loaded_session_count()));
    put(pt::hr_active, static_cast<std::uint32_t>(e.loaded_session_count() + e.saved_session_count()));
    put(pt::hr_active_avail,
        static_cast<std::uint32_t>(lim.max_active_sessions - e.loaded_session_count() - e.saved_session_count()));
    put(pt::hr_transient_avail, static_cast<std::uint32_t>(e.objects.size()) - loaded);
    const auto persistent = static_cast<std::uint32_t>(e.nv.persistent_objects.objects.size());
    put(pt::hr_persistent, persistent);
    put(pt::hr_persistent_avail, lim.persistent_objects_max > persistent ? lim.persistent_objects_max - persistent : 0u);
    {
        // Counter indices that could still be defined: index slots and NV octets (8 each).
        const auto& nvs = e.nv.nv_indices;
        const std::size_t slots = lim.nv_indices_max > nvs.indices.size() ? lim.nv_indices_max - nvs.indices.size() : 0;
        const std::size_t room = lim.nv_memory > nvs.bytes_used() ? (lim.nv_memory - nvs.bytes_used()) / 8 : 0;
        put(pt::nv_counters, static_cast<std::uint32_t>(nvs.counters()));
        put(pt::nv_counters_avail, static_cast<std::uint32_t>(std::min(slots, room)));
    }
    put(pt::algorithm_set, 0);
    put(pt::loaded_curves, 0);
    put(pt::lockout_counter, e.da.failed_tries);
    put(pt::max_auth_fail, e.da.max_tries);
    put(pt::lockout_interval, e.da.recovery_time);
    put(pt::lockout_recovery, e.da.lockout_recovery);
    put(pt::nv_write_recovery, 0);
    put(pt::audit_counter_0, static_cast<std::uint32_t>(e.audit.counter >> 32));
    put(pt::audit_counter_1, static_cast<std::uint32_t>(e.audit.counter));
}

/// Offer every TPM_PT_PCR property in tag order (Part 2 §6.14 Table 29), derived from the
/// PCR attributes of the platform profile.
template <class P, class Put>
void pcr_properties(Put&& put) {
    constexpr unsigned n = engine<P>::pcr_count;
    auto select = [&](std::uint32_t tag, auto&& has) {
        tpms_tagged_pcr_select s;
        s.tag = tag;
        s.sizeof_select = static_cast<std::uint8_t>(std::clamp<std::size_t>(n / 8, limits::pcr_select_min, limits::pcr_select_max));
        for (unsigned i = 0; i < n; ++i)
            if (has(pcr_attr::of(i))) s.pcr_select[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
        put(tag, s);
    };
    select(pt_pcr::save, [](const pcr_attr::attributes& a) { return a.state_save; });
    for (unsigned loc = 0; loc < 5; ++loc) {
        select(pt_pcr::extend_l0 + 2 * loc, [loc](const pcr_attr::attributes& a) { return (a.extend_mask >> loc & 1) != 0; });
        select(pt_pcr::reset_l0 + 2 * loc, [loc](const pcr_attr::attributes& a) { return (a.reset_mask >> loc & 1) != 0; });
    }
    select(pt_pcr::no_increment, [](const pcr_attr::attributes& a) { return a.no_increment; });
    select(pt_pcr::drtm_reset, [](const pcr_attr::attributes& a) { return a.drtm; });
    select(pt_pcr::policy, [](const pcr_attr::attributes& a) { return a.policy_group; });
    select(pt_pcr::auth, [](const pcr_attr::attributes& a) { return a.auth_group; });
}

} // namespace detail

namespace cmd {

/// TPM2_GetCapability (Part 3 §30.2).
template <class P>
rc handle(engine<P>& e, get_capability, command_context&, const get_capability::request& in,
          get_capability::response& out) {
    const std::uint32_t property = in.property;
    const std::uint32_t count = in.property_count;
    auto& data = out.capability_data;
    data.capability = in.capability.value;
    bool more = false;
    // In Failure mode only the fixed properties are reported; other requests return no
    // value (Part 3 §30.2.1).
    const bool failed = e.failure_mode;

    switch (in.capability.value) {
    case cap::algs: {
        detail::cap_page page{data.data.emplace<cap::algs>(), property, count};
        if (!failed)
            for (tpm_alg_id a = 0; a < config::alg_slots; ++a)
                if (P::profile.has_alg(a)) page(a, tpms_alg_property{a, detail::alg_properties(a)});
        more = page.more();
        break;
    }
    case cap::handles: {
        auto& list = data.data.emplace<cap::handles>();
        detail::cap_page page{list, property, count};
        switch (handle_type(property)) {
        case ht::pcr:
            if (!failed)
                for (tpm_handle h = 0; h < engine<P>::pcr_count; ++h) page(h, h);
            break;
        case ht::permanent:
            if (!failed)
                for (tpm_handle h : detail::permanent_handles) page(h, h);
            break;
        case ht::transient:
            if (!failed)
                for (std::size_t i = 0; i < e.objects.size(); ++i)
                    if (!std::holds_alternative<std::monostate>(e.objects[i])) page(e.object_handle(i), e.object_handle(i));
            break;
        case ht::loaded_session: {
            // Loaded HMAC and policy sessions, in handle order (HMAC handles first).
            if (failed) break;
            for (bool policy : {false, true})
                for (std::size_t i = 0; i < e.sessions.size(); ++i)
                    if (e.sessions[i] && e.sessions[i]->is_policy() == policy) {
                        const auto h = engine<P>::session_handle(i, policy);
                        page(h, h);
                    }
            break;
        }
        case ht::saved_session: {
            // Saved (context-saved) sessions keep their handles.
            if (failed) break;
            for (std::size_t i = 0; i < e.saved_session_seq.size(); ++i)
                if (e.saved_session_seq[i] != 0) {
                    // Paged by index; every saved session is reported with the HMAC handle
                    // type (Part 3 §30.2).
                    page(hr::policy_session_first + static_cast<tpm_handle>(i),
                         hr::hmac_session_first + static_cast<tpm_handle>(i));
                }
            break;
        }
        case ht::nv_index:
            if (!failed)
                for (const auto& x : e.nv.nv_indices.indices) page(x.handle(), x.handle());
            break;
        case ht::persistent:
            if (!failed)
                for (const auto& o : e.nv.persistent_objects.objects) page(o.handle, o.handle);
            break;
        default:
            // Not a handle type with meaning for TPM2_GetCapability (Part 2 §7.2 Table 33).
            return rc::handle.for_param(2);
        }
        more = page.more();
        break;
    }
    case cap::commands: {
        detail::cap_page page{data.data.emplace<cap::commands>(), property, count};
        if (!failed)
            for (const auto& en : dispatch_table<P>)
                if (en.present()) page(en.tpma & tpma_cc::command_index, en.tpma);
        more = page.more();
        break;
    }
    case cap::pp_commands: {
        detail::cap_page page{data.data.emplace<cap::pp_commands>(), property, count};
        if (!failed)
            for (std::size_t i = 0; i < dispatch_table<P>.size(); ++i) {
                const auto& en = dispatch_table<P>[i];
                const auto code = static_cast<tpm_cc>(cc::first + i);
                if (en.present() && (en.attrs.pp_required || (en.attrs.pp_command && e.pp.listed(code)))) page(code, code);
            }
        more = page.more();
        break;
    }
    case cap::audit_commands: {
        // The commands set for command audit (TPM2_SetCommandCodeAuditStatus).
        detail::cap_page page{data.data.emplace<cap::audit_commands>(), property, count};
        if (!failed)
            for (std::size_t i = 0; i < dispatch_table<P>.size(); ++i) {
                const auto code = static_cast<tpm_cc>(cc::first + i);
                if (dispatch_table<P>[i].present() && e.audit.audited(code)) page(code, code);
            }
        more = page.more();
        break;
    }
    case cap::pcrs: {
        // The full allocation; property is not used and moreData is NO.
        auto& list = data.data.emplace<cap::pcrs>();
        if (!failed)
            for (tpm_alg_id a : e.nv.pcr_banks) {
                if (a == 0 || a == alg::null) continue;
                tpms_pcr_selection s;
                s.hash.value = a;
                s.sizeof_select = static_cast<std::uint8_t>(
                    std::clamp<std::size_t>(engine<P>::pcr_count / 8, limits::pcr_select_min, limits::pcr_select_max));
                for (unsigned i = 0; i < engine<P>::pcr_count; ++i) s.select(i);
                (void)list.push_back(s);
            }
        break;
    }
    case cap::tpm_properties: {
        detail::cap_page page{data.data.emplace<cap::tpm_properties>(), property, count};
        // Only properties of the group of `property` (a multiple of PT_GROUP); group 0 has
        // none, so a property below PT_FIXED starts at the first fixed one.
        const std::uint32_t group = std::max(property, pt::pt_fixed) & ~(pt::pt_group - 1);
        e.da_refresh(); // the lockout counter as of now
        detail::tpm_properties(e, failed, [&](std::uint32_t tag, std::uint32_t value) {
            if ((tag & ~(pt::pt_group - 1)) == group) page(tag, tpms_tagged_property{tag, value});
        });
        more = page.more();
        break;
    }
    case cap::pcr_properties: {
        detail::cap_page page{data.data.emplace<cap::pcr_properties>(), property, count};
        if (!failed) detail::pcr_properties<P>([&](std::uint32_t tag, const tpms_tagged_pcr_select& s) { page(tag, s); });
        more = page.more();
        break;
    }
    case cap::ecc_curves: {
        // The curves of the profile that the crypto backend implements, ascending (none
        // without TPM_ALG_ECC).
        detail::cap_page page{data.data.emplace<cap::ecc_curves>(), property, count};
        if constexpr (crypto::ecc_provider<typename P::crypto>) {
            if (!failed && P::profile.has_alg(alg::ecc)) {
                auto curves = P::profile.curves;
                std::sort(curves.begin(), curves.end());
                for (const std::uint16_t c : curves)
                    if (c != 0 && e.crypto.curve_supported(c)) page(c, c);
            }
        }
        more = page.more();
        break;
    }
    default:
        // TPM_CAP_AUTH_POLICIES, TPM_CAP_ACT and TPM_CAP_VENDOR_PROPERTY are not implemented.
        return rc::value.for_param(1);
    }
    out.more_data.value = more ? 1 : 0;
    return rc::success;
}

/// TPM2_TestParms (Part 3 §30.3): the parameters unmarshal (every TPMI in them checks the
/// profile's algorithms) and the TPM supports the combination.
template <class P>
rc handle(engine<P>&, test_parms, command_context&, const test_parms::request& in, no_params&) {
    const auto& p = in.parameters;
    if (p.type.value == alg::ecc) {
        const auto* ecc = p.parameters.get<alg::ecc>();
        if (!ecc || !P::profile.has_curve(ecc->curve_id.value)) return rc::curve.for_param(1);
    }
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
