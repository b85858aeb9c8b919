// Policy sessions (Part 1 §19.7; Part 3 §23.2): the policy context updates shared by the
// policy commands, authorization tickets (TPMT_TK_AUTH), and the deferred assertions checked
// when a policy session authorizes a command (Part 3 §5.6 item 8).
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "vtpm/engine/engine.hpp"

namespace vtpm::policy {

/// The boot cycle a Time value belongs to (timeEpoch): Time starts over at every _TPM_Init, and
/// every Startup after one changes resetCount or restartCount.
template <class P>
[[nodiscard]] std::uint64_t time_epoch(const engine<P>& e) noexcept {
    return (std::uint64_t{e.nv.reset_count} << 32) | e.nv.restart_count;
}

/// Whether one of the mutually exclusive cpHash-like assertions is set.
[[nodiscard]] inline bool cp_hash_set(const auth_session& s) noexcept {
    return !s.cp_hash.empty() || !s.name_hash.empty() || !s.template_hash.empty() || !s.params_hash.empty();
}

/// Whether the policy's time limit has passed (TPM_RC_EXPIRED).
template <class P>
[[nodiscard]] bool expired(const engine<P>& e, const auth_session& s) noexcept {
    return s.timeout != 0 && (e.time() > s.timeout || s.time_epoch != time_epoch(e));
}

/// timeOut may only become smaller (Part 3 §23.2.4).
inline void limit_timeout(auth_session& s, std::uint64_t t) noexcept {
    if (t != 0 && (s.timeout == 0 || t < s.timeout)) s.timeout = t;
}

/// policySession→cpHash (Part 3 §23.2.4, §23.13): set once; PolicyCpHash, PolicyNameHash,
/// PolicyParameters and PolicyTemplate exclude each other. TPM_RC_CPHASH, or TPM_RC_SIZE + P`param` when the
/// digest is not the size of the session's digests.
[[nodiscard]] inline rc check_cp_hash(const auth_session& s, byte_view cp, unsigned param) noexcept {
    if (!s.cp_hash.empty() && !ct_equal(s.cp_hash.view(), cp)) return rc::cphash;
    if (!s.name_hash.empty() || !s.template_hash.empty() || !s.params_hash.empty()) return rc::cphash;
    if (cp.size() != s.policy_digest.size) return rc::size.for_param(param);
    return rc::success;
}

/// PolicyUpdate(commandCode, arg2, arg3) of Part 3 §23.2.3:
///   policyDigest := H(H(policyDigest || commandCode || arg2) || arg3)
template <class P>
void update(engine<P>& e, auth_session& s, tpm_cc code, byte_view arg2, byte_view arg3) {
    std::array<std::uint8_t, 4> cc_bytes{};
    store_be32(cc_bytes.data(), code);
    {
        auto st = e.crypto.hash_start(s.auth_hash);
        st.update(s.policy_digest.view());
        st.update(cc_bytes);
        st.update(arg2);
        st.finish(s.policy_digest.span());
    }
    auto st = e.crypto.hash_start(s.auth_hash);
    st.update(s.policy_digest.view());
    st.update(arg3);
    st.finish(s.policy_digest.span());
}

/// The hierarchy whose proof protects a ticket for an entity (Part 3 §23.2.5).
template <class P>
[[nodiscard]] tpm_handle entity_hierarchy(const engine<P>& e, tpm_handle h) noexcept {
    switch (h) {
    case rh::owner:
    case rh::lockout: return rh::owner;
    case rh::endorsement: return rh::endorsement;
    case rh::platform: return rh::platform;
    default: break;
    }
    if (const auto* o = e.object_at(h)) return o->hierarchy;
    return rh::null;
}

/// The checks of Part 3 §5.6 item 8 that come before the policyDigest comparison: the time
/// limit (TPM_RC_EXPIRED) and cpHash / nameHash / pHash (TPM_RC_POLICY_FAIL). `names` are the Names
/// of the command's handles, `params` its parameter area as received.
template <class P>
[[nodiscard]] rc checks_before_digest(engine<P>& e, const auth_session& s, tpm_cc code,
                                      std::span<const tpm2b_name> names, byte_view params, unsigned sn) {
    if (expired(e, s)) return rc::expired.for_session(sn);
    const auto ds = hash_digest_size(s.auth_hash);
    std::array<std::uint8_t, limits::max_digest> d{};
    if (!s.cp_hash.empty()) {
        session_crypto::cp_hash(e.crypto, s.auth_hash, code, names, params, byte_span{d.data(), ds});
        if (!ct_equal(s.cp_hash.view(), byte_view{d.data(), ds})) return rc::policy_fail.for_session(sn);
    }
    if (!s.name_hash.empty()) {
        auto st = e.crypto.hash_start(s.auth_hash);
        for (const auto& n : names) st.update(n.view());
        st.finish(byte_span{d.data(), ds});
        if (!ct_equal(s.name_hash.view(), byte_view{d.data(), ds})) return rc::policy_fail.for_session(sn);
    }
    if (!s.params_hash.empty()) { // pHash := H(commandCode || parameters), no Names
        session_crypto::cp_hash(e.crypto, s.auth_hash, code, {}, params, byte_span{d.data(), ds});
        if (!ct_equal(s.params_hash.view(), byte_view{d.data(), ds})) return rc::policy_fail.for_session(sn);
    }
    return rc::success;
}

/// The checks after the policyDigest comparison: locality (TPM_RC_LOCALITY), the template of
/// an object creation (TPM_RC_POLICY_FAIL), physical presence (TPM_RC_PP) and
/// TPMA_NV_WRITTEN (TPM_RC_POLICY_FAIL: only NV Indexes have it, and none is authorized here).
template <class P>
[[nodiscard]] rc checks_after_digest(engine<P>& e, const auth_session& s, tpm_cc code, std::uint8_t locality,
                                     byte_view params, unsigned sn) {
    if (s.command_locality != 0) {
        const bool ok = s.command_locality > 31 ? locality == s.command_locality
                                                : locality < 5 && (s.command_locality >> locality & 1);
        if (!ok) return rc::locality;
    }
    if (!s.template_hash.empty()) {
        // inPublic is the second parameter of Create, CreatePrimary and CreateLoaded.
        if (code != cc::create && code != cc::create_primary && code != cc::create_loaded)
            return rc::policy_fail.for_session(sn);
        if (params.size() < 2) return rc::policy_fail.for_session(sn);
        const std::size_t skip = 2 + std::size_t{load_be16(params.data())};
        if (params.size() < skip + 2) return rc::policy_fail.for_session(sn);
        const std::size_t n = load_be16(params.data() + skip);
        if (params.size() < skip + 2 + n) return rc::policy_fail.for_session(sn);
        const auto ds = hash_digest_size(s.auth_hash);
        std::array<std::uint8_t, limits::max_digest> d{};
        e.crypto.hash(s.auth_hash, params.subspan(skip + 2, n), byte_span{d.data(), ds});
        if (!ct_equal(s.template_hash.view(), byte_view{d.data(), ds})) return rc::policy_fail.for_session(sn);
    }
    if (s.pp_required && !e.physical_presence) return rc::pp.for_session(sn);
    if (s.check_nv_written) return rc::policy_fail.for_session(sn);
    return rc::success;
}

} // namespace vtpm::policy
