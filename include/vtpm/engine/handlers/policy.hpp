// Handlers: Part 3 §23 Enhanced Authorization, the policy commands of commands/policy.hpp.
// A trial session (TPM_SE_TRIAL) only computes policyDigest: its validations are skipped
// (Part 3 §23.1), except those of the command's own authorization (PolicySecret).
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "vtpm/commands/policy.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/capability.hpp"
#include "vtpm/engine/handlers/session.hpp"
#include "vtpm/engine/handlers/signing.hpp"
#include "vtpm/engine/policy.hpp"

namespace vtpm {
namespace policy {

/// The TPM2B_TIMEOUT of a ticket: Time in milliseconds, 8 octets big-endian.
inline tpm2b_timeout encode_timeout(std::uint64_t t) noexcept {
    tpm2b_timeout b;
    store_be64(b.resize(8).data(), t);
    return b;
}

/// TPMT_TK_AUTH (Part 3 §23.2.5):
///   HMAC_contextAlg(proof(hierarchy), tag || cpHash || policyRef || authName || timeout || timeEpoch)
/// with the TPM2B buffers without their sizes; timeEpoch (8 octets: resetCount, restartCount)
/// is included because timeout is never zero in a ticket, and it covers resetCount.
template <class P>
[[nodiscard]] tpmt_tk_auth auth_ticket(engine<P>& e, std::uint16_t tag, tpm_handle hierarchy, byte_view timeout,
                                       byte_view cp_hash, byte_view policy_ref, byte_view auth_name) {
    tpmt_tk_auth t;
    t.tag = tag;
    t.hierarchy.value = hierarchy;
    constexpr tpm_alg_id ha = detail::context_integrity_hash<P>();
    auto st = e.crypto.hmac_start(ha, e.proof(hierarchy));
    std::array<std::uint8_t, 2> tb{};
    store_be16(tb.data(), tag);
    std::array<std::uint8_t, 8> epoch{};
    store_be64(epoch.data(), time_epoch(e));
    st.update(tb);
    st.update(cp_hash);
    st.update(policy_ref);
    st.update(auth_name);
    st.update(timeout);
    st.update(epoch);
    st.finish(t.digest.resize(hash_digest_size(ha)));
    return t;
}

/// The NULL Ticket of TPM2_PolicySigned / TPM2_PolicySecret: <tag, TPM_RH_NULL, Empty Buffer>.
inline tpmt_tk_auth null_auth_ticket(std::uint16_t tag) noexcept {
    tpmt_tk_auth t;
    t.tag = tag;
    t.hierarchy.value = rh::null;
    return t;
}

/// The hash algorithm of a signature (TPM_ALG_NULL if it has none).
[[nodiscard]] inline tpm_alg_id signature_hash(const tpmt_signature& s) noexcept {
    const auto of = [](const auto* m) -> tpm_alg_id { return m ? m->hash.value : alg::null; };
    switch (s.sig_alg.value) {
    case alg::rsassa: return of(s.signature.get<alg::rsassa>());
    case alg::rsapss: return of(s.signature.get<alg::rsapss>());
    case alg::ecdsa: return of(s.signature.get<alg::ecdsa>());
    case alg::sm2: return of(s.signature.get<alg::sm2>());
    case alg::ecschnorr: return of(s.signature.get<alg::ecschnorr>());
    case alg::hmac: {
        const auto* m = s.signature.get<alg::hmac>();
        return m ? m->hash_alg.value : alg::null;
    }
    default: return alg::null;
    }
}

/// The parameter checks of Part 3 §23.2.2 for PolicySigned and PolicySecret (nonceTPM is
/// parameter 1, cpHashA 2, expiration 4). On success `timeout` is the authorization's time
/// limit in Time milliseconds (0: none).
template <class P>
[[nodiscard]] rc check_auth_params(const engine<P>& e, const auth_session& s, byte_view nonce, std::int32_t expiration,
                                   byte_view cp, std::uint64_t& timeout) noexcept {
    if (!nonce.empty() && !ct_equal(nonce, s.nonce_tpm.view())) return rc::value.for_param(1);
    timeout = 0;
    if (expiration != 0) {
        const std::uint64_t ms = static_cast<std::uint64_t>(expiration < 0 ? -std::int64_t{expiration} : std::int64_t{expiration}) * 1000;
        // Counted from the session's start when the authorization names its nonceTPM; else Time itself.
        timeout = nonce.empty() ? ms : s.start_time + ms;
        if (timeout < e.time() || (!nonce.empty() && s.time_epoch != time_epoch(e))) return rc::expired.for_param(4);
    }
    if (!cp.empty()) {
        if (rc r = check_cp_hash(s, cp, 2); !r.ok()) return r;
    }
    return rc::success;
}

/// The end of PolicySigned / PolicySecret once the authorization holds: PolicyUpdate, the
/// session context (cpHash, timeout) and the ticket of Part 3 §23.2.5 (for a negative
/// expiration; a trial session gets the NULL Ticket).
template <class P>
void finish_auth(engine<P>& e, auth_session& s, tpm_cc code, std::uint16_t tag, tpm_handle hierarchy, byte_view auth_name,
                 byte_view policy_ref, byte_view cp, std::int32_t expiration, std::uint64_t timeout, tpm2b_timeout& out_timeout,
                 tpmt_tk_auth& out_ticket) {
    update(e, s, code, auth_name, policy_ref);
    out_timeout.clear();
    out_ticket = null_auth_ticket(tag);
    if (s.type == se::trial) return;
    if (!cp.empty()) (void)s.cp_hash.assign(cp);
    limit_timeout(s, timeout);
    if (expiration < 0) {
        out_timeout = encode_timeout(timeout);
        out_ticket = auth_ticket(e, tag, hierarchy, out_timeout.view(), cp, policy_ref, auth_name);
    }
}

/// policyDigest := H(policyDigest || commandCode || data...)
template <class P, class... B>
void extend(engine<P>& e, auth_session& s, tpm_cc code, const B&... parts) {
    detail::policy_update(e, s, detail::be32(code), parts...);
}

/// One TPM_EO comparison of Part 2 §6.8 (operand A from the TPM, B from the caller, equal
/// sizes, most significant octet first). False if the operation is not one of TPM_EO.
[[nodiscard]] inline bool compare(std::uint16_t op, byte_view a, byte_view b, bool& result) noexcept {
    int ucmp = 0; // unsigned order of A against B
    for (std::size_t i = 0; i < a.size() && ucmp == 0; ++i) ucmp = a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
    int scmp = ucmp; // two's complement: a different sign bit decides, else the unsigned order
    if (!a.empty()) {
        const bool na = a[0] & 0x80, nb = b[0] & 0x80;
        if (na != nb) scmp = na ? -1 : 1;
    }
    bool all = true, none = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if ((a[i] & b[i]) != b[i]) all = false;
        if ((a[i] & b[i]) != 0) none = false;
    }
    switch (op) {
    case 0x0000: result = ucmp == 0; return true;  // TPM_EO_EQ
    case 0x0001: result = ucmp != 0; return true;  // TPM_EO_NEQ
    case 0x0002: result = scmp > 0; return true;   // TPM_EO_SIGNED_GT
    case 0x0003: result = ucmp > 0; return true;   // TPM_EO_UNSIGNED_GT
    case 0x0004: result = scmp < 0; return true;   // TPM_EO_SIGNED_LT
    case 0x0005: result = ucmp < 0; return true;   // TPM_EO_UNSIGNED_LT
    case 0x0006: result = scmp >= 0; return true;  // TPM_EO_SIGNED_GE
    case 0x0007: result = ucmp >= 0; return true;  // TPM_EO_UNSIGNED_GE
    case 0x0008: result = scmp <= 0; return true;  // TPM_EO_SIGNED_LE
    case 0x0009: result = ucmp <= 0; return true;  // TPM_EO_UNSIGNED_LE
    case 0x000A: result = all; return true;        // TPM_EO_BITSET
    case 0x000B: result = none; return true;       // TPM_EO_BITCLEAR
    default: return false;
    }
}
inline constexpr std::uint16_t eo_unsigned_lt = 0x0005;

} // namespace policy

namespace cmd {

/// TPM2_PolicySigned (Part 3 §23.3): an authorization signed by authObject over
///   toBeSigned := nonceTPM || expiration || cpHashA || policyRef
/// hashed with the signature's hash; PolicyUpdate(TPM_CC_PolicySigned, authObject→Name, policyRef).
template <class P>
rc handle(engine<P>& e, policy_signed, command_context& c, const policy_signed::request& in, policy_signed::response& out) {
    auto& s = *e.session_at(c.handles[1]);
    const auto* o = e.object_at(c.handles[0]);
    if (!o) return rc::handle.for_handle(1); // a sequence object signs nothing
    const auto expiration = static_cast<std::int32_t>(in.expiration);
    std::uint64_t timeout = 0;
    if (s.type != se::trial) {
        if (rc r = policy::check_auth_params(e, s, in.nonce_tpm.view(), expiration, in.cp_hash_a.view(), timeout); !r.ok())
            return r;
        if (!o->has(object_attr::sign_encrypt)) return rc::attributes.for_handle(1);
        const tpm_alg_id h = policy::signature_hash(in.auth);
        if (h == alg::null || hash_digest_size(h) == 0) return rc::scheme.for_param(5);
        std::array<std::uint8_t, limits::max_digest> digest{};
        const auto ds = hash_digest_size(h);
        {
            auto st = e.crypto.hash_start(h);
            st.update(in.nonce_tpm.view());
            st.update(detail::be32(in.expiration));
            st.update(in.cp_hash_a.view());
            st.update(in.policy_ref.view());
            st.finish(byte_span{digest.data(), ds});
        }
        rc r = detail::verify_signature(e, *o, byte_view{digest.data(), ds}, in.auth);
        if (r == rc::failure) return r;
        if (r == rc::signature) return rc::policy_fail.for_param(5);
        if (!r.ok()) return r.for_param(5);
    }
    policy::finish_auth(e, s, cc::policy_signed, st::auth_signed, o->hierarchy, o->name.view(), in.policy_ref.view(),
                        in.cp_hash_a.view(), expiration, timeout, out.timeout, out.policy_ticket);
    return rc::success;
}

/// TPM2_PolicySecret (Part 3 §23.4): the authorization of authHandle (checked by the pipeline,
/// also for a trial session); PolicyUpdate(TPM_CC_PolicySecret, authEntity→Name, policyRef).
template <class P>
rc handle(engine<P>& e, policy_secret, command_context& c, const policy_secret::request& in, policy_secret::response& out) {
    auto& s = *e.session_at(c.handles[1]);
    const tpm_handle entity = c.handles[0];
    const auto expiration = static_cast<std::int32_t>(in.expiration);
    std::uint64_t timeout = 0;
    if (s.type != se::trial) {
        if (rc r = policy::check_auth_params(e, s, in.nonce_tpm.view(), expiration, in.cp_hash_a.view(), timeout); !r.ok())
            return r;
    }
    const auto name = e.entity_name(entity);
    policy::finish_auth(e, s, cc::policy_secret, st::auth_secret, policy::entity_hierarchy(e, entity), name.view(),
                        in.policy_ref.view(), in.cp_hash_a.view(), expiration, timeout, out.timeout, out.policy_ticket);
    return rc::success;
}

/// TPM2_PolicyTicket (Part 3 §23.5): a ticket of PolicySigned (TPM_ST_AUTH_SIGNED) or
/// PolicySecret (TPM_ST_AUTH_SECRET) stands for the authorization until its timeout.
template <class P>
rc handle(engine<P>& e, policy_ticket, command_context& c, const policy_ticket::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const auto& tk = in.ticket;
    if (tk.tag != st::auth_signed && tk.tag != st::auth_secret) return rc::tag.for_param(5);
    const tpm_cc code = tk.tag == st::auth_signed ? cc::policy_signed : cc::policy_secret;
    if (s.type != se::trial) {
        if (in.timeout.size != 8) return rc::size.for_param(1);
        const std::uint64_t t = load_be64(in.timeout.buffer.data());
        if (t < e.time()) return rc::expired.for_param(1);
        if (!in.cp_hash_a.empty()) {
            if (rc r = policy::check_cp_hash(s, in.cp_hash_a.view(), 2); !r.ok()) return r;
        }
        if (tk.digest.empty()) return rc::ticket.for_param(5); // the NULL Ticket
        const auto want = policy::auth_ticket(e, tk.tag, tk.hierarchy.value, in.timeout.view(), in.cp_hash_a.view(),
                                              in.policy_ref.view(), in.auth_name.view());
        if (!ct_equal(want.digest.view(), tk.digest.view())) return rc::ticket.for_param(5);
        if (!in.cp_hash_a.empty()) (void)s.cp_hash.assign(in.cp_hash_a.view());
        policy::limit_timeout(s, t);
    }
    policy::update(e, s, code, in.auth_name.view(), in.policy_ref.view());
    return rc::success;
}

/// TPM2_PolicyOR (Part 3 §23.6): policyDigest := H(0...0 || TPM_CC_PolicyOR || digests) when
/// policyDigest is one of the list (TPM_RC_VALUE otherwise); a list has at least two entries.
template <class P>
rc handle(engine<P>& e, policy_or, command_context& c, const policy_or::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const auto list = in.p_hash_list.view();
    if (list.size() < 2) return rc::size.for_param(1);
    if (s.type != se::trial) {
        bool found = false;
        for (const auto& d : list) found |= d.size == s.policy_digest.size && ct_equal(d.view(), s.policy_digest.view());
        if (!found) return rc::value.for_param(1);
    }
    std::fill(s.policy_digest.buffer.begin(), s.policy_digest.buffer.end(), 0);
    auto st = e.crypto.hash_start(s.auth_hash);
    st.update(s.policy_digest.view());
    st.update(detail::be32(cc::policy_or));
    for (const auto& d : list) st.update(d.view());
    st.finish(s.policy_digest.span());
    return rc::success;
}

/// TPM2_PolicyLocality (Part 3 §23.8): the localities that may use the policy (the AND of all
/// PolicyLocality commands), or one extended locality (> 31). TPM_RC_RANGE + P1 otherwise.
template <class P>
rc handle(engine<P>& e, policy_locality, command_context& c, const policy_locality::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const std::uint8_t l = in.locality;
    std::uint8_t next;
    if (l > 31) {
        if (s.command_locality != 0 && s.command_locality != l) return rc::range.for_param(1);
        next = l;
    } else {
        if (s.command_locality > 31) return rc::range.for_param(1);
        next = static_cast<std::uint8_t>((s.command_locality == 0 ? 0x1F : s.command_locality) & l);
        if (next == 0) return rc::range.for_param(1);
    }
    policy::extend(e, s, cc::policy_locality, std::array<std::uint8_t, 1>{l});
    s.command_locality = next;
    return rc::success;
}

/// TPM2_PolicyCounterTimer (Part 3 §23.10): a comparison against TPMS_TIME_INFO
/// (time || clock || resetCount || restartCount || safe, 25 octets);
///   policyDigest := H(policyDigest || TPM_CC_PolicyCounterTimer || H(operandB || offset || operation)).
/// TPM_EO_UNSIGNED_LT at offset 0 (Time) sets an expiration of operandB seconds from the
/// session's start instead (v1.83).
template <class P>
rc handle(engine<P>& e, policy_counter_timer, command_context& c, const policy_counter_timer::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const byte_view b = in.operand_b.view();
    bool holds = false;
    if (!policy::compare(in.operation, b, b, holds)) return rc::value.for_param(3);
    if (s.type != se::trial) {
        std::array<std::uint8_t, 25> info{};
        const auto ci = e.clock_info();
        store_be64(info.data(), e.time());
        store_be64(info.data() + 8, ci.clock);
        store_be32(info.data() + 16, ci.reset_count);
        store_be32(info.data() + 20, ci.restart_count);
        info[24] = ci.safe.value;
        if (in.offset > info.size()) return rc::value.for_param(2);
        if (std::size_t{in.offset} + b.size() > info.size()) return rc::range.for_param(2);
        if (in.operation == policy::eo_unsigned_lt && in.offset == 0) {
            if (b.size() > 8) return rc::value.for_param(1);
            std::uint64_t seconds = 0;
            for (auto x : b) seconds = seconds << 8 | x;
            if (seconds > 0x7FFFFFFF) return rc::value.for_param(1);
            const std::uint64_t limit = s.start_time + seconds * 1000;
            if (limit < e.time() || s.time_epoch != policy::time_epoch(e)) return rc::expired;
            policy::limit_timeout(s, limit);
        } else {
            (void)policy::compare(in.operation, byte_view{info.data() + in.offset, b.size()}, b, holds);
            if (!holds) return rc::policy;
        }
    }
    const auto ds = hash_digest_size(s.auth_hash);
    std::array<std::uint8_t, limits::max_digest> args{};
    {
        auto st = e.crypto.hash_start(s.auth_hash);
        st.update(b);
        std::array<std::uint8_t, 4> tail{};
        store_be16(tail.data(), in.offset);
        store_be16(tail.data() + 2, in.operation);
        st.update(tail);
        st.finish(byte_span{args.data(), ds});
    }
    policy::extend(e, s, cc::policy_counter_timer, byte_view{args.data(), ds});
    return rc::success;
}

/// TPM2_PolicyPhysicalPresence (Part 3 §23.12): physical presence is checked at authorization.
template <class P>
rc handle(engine<P>& e, policy_physical_presence, command_context& c, const no_params&, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    policy::extend(e, s, cc::policy_physical_presence);
    s.pp_required = true;
    return rc::success;
}

/// TPM2_PolicyCpHash (Part 3 §23.13): the authorized command's cpHash.
template <class P>
rc handle(engine<P>& e, policy_cp_hash, command_context& c, const policy_cp_hash::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    if (rc r = policy::check_cp_hash(s, in.cp_hash_a.view(), 1); !r.ok()) return r;
    (void)s.cp_hash.assign(in.cp_hash_a.view());
    policy::extend(e, s, cc::policy_cp_hash, in.cp_hash_a.view());
    return rc::success;
}

/// TPM2_PolicyNameHash (Part 3 §23.14): the digest of the authorized command's handle Names.
template <class P>
rc handle(engine<P>& e, policy_name_hash, command_context& c, const policy_name_hash::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    if (policy::cp_hash_set(s)) return rc::cphash;
    if (in.name_hash.size != s.policy_digest.size) return rc::size.for_param(1);
    (void)s.name_hash.assign(in.name_hash.view());
    policy::extend(e, s, cc::policy_name_hash, in.name_hash.view());
    return rc::success;
}

/// TPM2_PolicyDuplicationSelect (Part 3 §23.15): nameHash := H(objectName || newParentName),
/// commandCode := TPM_CC_Duplicate;
///   policyDigest := H(policyDigest || code || [objectName ||] newParentName || includeObject).
template <class P>
rc handle(engine<P>& e, policy_duplication_select, command_context& c, const policy_duplication_select::request& in,
          no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    if (policy::cp_hash_set(s)) return rc::cphash;
    if (s.command_code != 0 && s.command_code != cc::duplicate) return rc::policy_cc;
    const auto ds = hash_digest_size(s.auth_hash);
    {
        auto st = e.crypto.hash_start(s.auth_hash);
        st.update(in.object_name.view());
        st.update(in.new_parent_name.view());
        st.finish(s.name_hash.resize(ds));
    }
    const std::array<std::uint8_t, 1> include{in.include_object.value};
    if (include[0]) policy::extend(e, s, cc::policy_duplication_select, in.object_name.view(), in.new_parent_name.view(), include);
    else policy::extend(e, s, cc::policy_duplication_select, in.new_parent_name.view(), include);
    s.command_code = cc::duplicate;
    return rc::success;
}

/// TPM2_PolicyAuthorize (Part 3 §23.16): a policy approved by keySign, shown by a verified
/// ticket over aHash := H_nameAlg(approvedPolicy || policyRef). policyDigest starts over, then
/// PolicyUpdate(TPM_CC_PolicyAuthorize, keySign, policyRef).
template <class P>
rc handle(engine<P>& e, policy_authorize, command_context& c, const policy_authorize::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const auto& tk = in.check_ticket;
    if (tk.tag != st::verified) return rc::tag.for_param(4);
    const byte_view key = in.key_sign.view();
    if (key.size() < 2) return rc::size.for_param(3);
    const tpm_alg_id name_alg = load_be16(key.data());
    const auto nds = hash_digest_size(name_alg);
    if (nds == 0 || !P::profile.has_alg(name_alg)) return rc::hash.for_param(3);
    if (key.size() != 2 + nds) return rc::size.for_param(3);
    if (s.type != se::trial) {
        if (!ct_equal(in.approved_policy.view(), s.policy_digest.view())) return rc::value.for_param(1);
        if (tk.hierarchy.value == rh::null || tk.digest.empty()) return rc::policy;
        std::array<std::uint8_t, limits::max_digest> a_hash{};
        {
            auto st = e.crypto.hash_start(name_alg);
            st.update(in.approved_policy.view());
            st.update(in.policy_ref.view());
            st.finish(byte_span{a_hash.data(), nds});
        }
        const auto want = detail::verified_ticket(e, tk.hierarchy.value, byte_view{a_hash.data(), nds}, key);
        if (!ct_equal(want.digest.view(), tk.digest.view())) return rc::policy;
    }
    std::fill(s.policy_digest.buffer.begin(), s.policy_digest.buffer.end(), 0);
    policy::update(e, s, cc::policy_authorize, key, in.policy_ref.view());
    return rc::success;
}

/// TPM2_PolicyNvWritten (Part 3 §23.20): the TPMA_NV_WRITTEN state the authorized NV Index needs.
template <class P>
rc handle(engine<P>& e, policy_nv_written, command_context& c, const policy_nv_written::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const bool want = in.written_set.value != 0;
    if (s.check_nv_written && s.nv_written_state != want) return rc::value.for_param(1);
    policy::extend(e, s, cc::policy_nv_written, std::array<std::uint8_t, 1>{in.written_set.value});
    s.check_nv_written = true;
    s.nv_written_state = want;
    return rc::success;
}

/// TPM2_PolicyTemplate (Part 3 §23.21): the digest of the inPublic an object creation must use.
template <class P>
rc handle(engine<P>& e, policy_template, command_context& c, const policy_template::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    if (!s.template_hash.empty() && !ct_equal(s.template_hash.view(), in.template_hash.view())) return rc::value.for_param(1);
    if (!s.cp_hash.empty() || !s.name_hash.empty() || !s.params_hash.empty()) return rc::cphash;
    if (in.template_hash.size != s.policy_digest.size) return rc::size.for_param(1);
    (void)s.template_hash.assign(in.template_hash.view());
    policy::extend(e, s, cc::policy_template, in.template_hash.view());
    return rc::success;
}

/// TPM2_PolicyCapability (Part 3 §23.23): a comparison against one entry of a capability
/// (the structure TPM2_GetCapability lists for `property`);
///   policyDigest := H(policyDigest || TPM_CC_PolicyCapability ||
///                     H(operandB || offset || operation || capability || property)).
/// TPM_CAP_AUTH_POLICIES and TPM_CAP_ACT are not implemented by GetCapability either
/// (TPM_RC_VALUE + P4, as for TPM_CAP_PCRS).
template <class P>
rc handle(engine<P>& e, policy_capability, command_context& c, const policy_capability::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const byte_view b = in.operand_b.view();
    bool holds = false;
    if (!policy::compare(in.operation, b, b, holds)) return rc::value.for_param(3);
    const std::uint32_t capability = in.capability;
    switch (capability) {
    case cap::algs: case cap::handles: case cap::commands: case cap::pp_commands: case cap::audit_commands:
    case cap::tpm_properties: case cap::pcr_properties: case cap::ecc_curves: break;
    default: return rc::value.for_param(4);
    }
    if (s.type != se::trial) {
        // The first entry at or after `property`, marshalled: capability || count || entry.
        get_capability::request q;
        q.capability.value = capability;
        q.property = in.property;
        q.property_count = 1;
        get_capability::response r{};
        command_context inner;
        if (rc x = handle(e, get_capability{}, inner, q, r); !x.ok()) return rc::value.for_param(4);
        std::array<std::uint8_t, 512> buf{};
        writer w{buf};
        vtpm::marshal(w, r.capability_data);
        const byte_view d = w.written();
        if (w.overflow() || d.size() < 8) return rc::failure;
        const std::uint32_t count = load_be32(d.data() + 4);
        const byte_view entry = d.subspan(8);
        std::size_t size = 4;
        bool exists = count > 0;
        if (exists) {
            switch (capability) {
            case cap::algs: size = 6; exists = load_be16(entry.data()) == in.property; break;
            case cap::ecc_curves: size = 2; exists = load_be16(entry.data()) == in.property; break;
            case cap::commands: // TPMA_CC: commandIndex and V (Part 2 §8.9)
                exists = (load_be32(entry.data()) & 0x2000FFFFu) == (in.property & 0x2000FFFFu);
                break;
            case cap::tpm_properties: size = 8; exists = load_be32(entry.data()) == in.property; break;
            case cap::pcr_properties:
                size = 5 + std::size_t{entry.size() > 4 ? entry[4] : 0u};
                exists = load_be32(entry.data()) == in.property;
                break;
            default: exists = load_be32(entry.data()) == in.property; break;
            }
        }
        if (!exists) {
            if (in.operation != 0x0001) return rc::policy; // only TPM_EO_NEQ holds for a missing property
        } else {
            if (std::size_t{in.offset} + b.size() > std::min(size, entry.size())) return rc::range.for_param(2);
            (void)policy::compare(in.operation, entry.subspan(in.offset, b.size()), b, holds);
            if (!holds) return rc::policy;
        }
    }
    const auto ds = hash_digest_size(s.auth_hash);
    std::array<std::uint8_t, limits::max_digest> args{};
    {
        auto st = e.crypto.hash_start(s.auth_hash);
        st.update(b);
        std::array<std::uint8_t, 12> tail{};
        store_be16(tail.data(), in.offset);
        store_be16(tail.data() + 2, in.operation);
        store_be32(tail.data() + 4, capability);
        store_be32(tail.data() + 8, in.property);
        st.update(tail);
        st.finish(byte_span{args.data(), ds});
    }
    policy::extend(e, s, cc::policy_capability, byte_view{args.data(), ds});
    return rc::success;
}

/// TPM2_PolicyParameters (Part 3 §23.24): pHash := H(commandCode || parameters) of the
/// authorized command.
template <class P>
rc handle(engine<P>& e, policy_parameters, command_context& c, const policy_parameters::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    if (policy::cp_hash_set(s)) return rc::cphash;
    if (in.p_hash.size != s.policy_digest.size) return rc::size.for_param(1);
    (void)s.params_hash.assign(in.p_hash.view());
    policy::extend(e, s, cc::policy_parameters, in.p_hash.view());
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
