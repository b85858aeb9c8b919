// Handlers: Part 3 §18 Attestation Commands (Certify, CertifyCreation, Quote, GetTime,
// GetSessionAuditDigest, GetCommandAuditDigest), §21 TPM2_SetCommandCodeAuditStatus, and the
// TPMS_ATTEST every attestation command signs (Part 3 §18.1, Part 1 §33.7). The audit digests
// themselves are updated by the pipeline (engine/execute.hpp).
#pragma once
#include <array>
#include <cstdint>

#include "vtpm/commands/attest.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/execute.hpp"
#include "vtpm/engine/handlers/signing.hpp"

namespace vtpm {
namespace detail {

/// The key that signs an attestation and the scheme it signs with. key is null for
/// TPM_RH_NULL (the structure is returned with the NULL Signature).
struct attest_signer {
    const loaded_object* key = nullptr;
    scheme_choice scheme;
};

/// Signing key and scheme of an attestation command (Part 3 §18.1): the key signs
/// (TPM_RC_KEY + handle) and, unless `x509`, is not limited to TPM2_CertifyX509
/// (TPM_RC_ATTRIBUTES + handle);
/// inScheme may only repeat the key's scheme, and is used when the key has none or signHandle
/// is TPM_RH_NULL (TPM_RC_SCHEME + the parameter number of inScheme). ECDAA needs
/// TPM2_Commit, which this TPM does not have: TPM_RC_SCHEME.
template <class P>
[[nodiscard]] rc attest_signer_for(engine<P>& e, tpm_handle sign_handle, const tpmt_sig_scheme& in_scheme,
                                   unsigned handle_no, unsigned scheme_param, attest_signer& out,
                                   bool x509 = false) {
    out = {};
    if (sign_handle == rh::null) {
        out.scheme = scheme_of(in_scheme);
        if (out.scheme.scheme == alg::ecdaa) return rc::scheme.for_param(scheme_param);
        return rc::success;
    }
    const auto* o = e.object_at(sign_handle);
    if (!o || !o->has(object_attr::sign_encrypt) || !o->has_sensitive) return rc::key.for_handle(handle_no);
    if (o->has(object_attr::x509sign) && !x509) return rc::attributes.for_handle(handle_no);
    if (!select_sign_scheme(*o, in_scheme, out.scheme) || out.scheme.scheme == alg::ecdaa ||
        hash_digest_size(out.scheme.hash) == 0)
        return rc::scheme.for_param(scheme_param);
    out.key = o;
    return rc::success;
}

/// TPMS_ATTEST.firmwareVersion: TPM_PT_FIRMWARE_VERSION_1 || TPM_PT_FIRMWARE_VERSION_2.
template <class P>
[[nodiscard]] constexpr std::uint64_t firmware_version() noexcept {
    return (std::uint64_t{P::profile.identity.firmware_version_1} << 32) | P::profile.identity.firmware_version_2;
}

/// Fill in the common part of a TPMS_ATTEST (magic, qualifiedSigner, clockInfo,
/// firmwareVersion; type, extraData and attested are the command's), marshal it into
/// `attest` and sign it.
///
/// Privacy (Part 3 §18.1, Part 1 §33.7): unless the key is in the endorsement or platform
/// hierarchy, resetCount, restartCount and firmwareVersion have
///   obfuscation := KDFa(signHandle->nameAlg, shProof, "OBFUSCATE", signHandle->QN, 0, 128)
/// added to them: octets 0-7 (big-endian) to firmwareVersion, 8-11 to resetCount, 12-15 to
/// restartCount (the order is the implementation's choice). TPM_RH_NULL is obfuscated with
/// the context integrity hash and QN = TPM_RH_NULL.
template <class P>
[[nodiscard]] rc attest_sign(engine<P>& e, const attest_signer& s, tpms_attest& a, tpm2b_attest& attest,
                             tpmt_signature& sig) {
    a.magic = tpm_generated_value;
    a.clock_info = e.clock_info();
    a.firmware_version = firmware_version<P>();
    // TPM2_GetTime reports the same Clock twice; only the outer copy is obfuscated.
    if (auto* t = a.attested.template get<st::attest_time>()) t->time.clock_info = a.clock_info;
    tpm_alg_id obf_hash = alg::null;
    if (s.key) {
        a.qualified_signer = s.key->qualified_name;
        const tpm_handle h = s.key->hierarchy;
        if (h != rh::endorsement && h != rh::platform) {
            obf_hash = s.key->pub.name_alg.value;
            if (obf_hash == alg::null) obf_hash = context_integrity_hash<P>();
        }
    } else {
        a.qualified_signer = object::handle_name(rh::null);
        obf_hash = context_integrity_hash<P>();
    }
    if (obf_hash != alg::null) {
        std::array<std::uint8_t, 16> obf{};
        rc r = crypto::kdfa(e.crypto, obf_hash, e.proof(rh::owner), "OBFUSCATE", a.qualified_signer.view(), byte_view{},
                            128, obf);
        if (!r.ok()) return rc::failure;
        a.firmware_version += load_be64(obf.data());
        a.clock_info.reset_count += load_be32(obf.data() + 8);
        a.clock_info.restart_count += load_be32(obf.data() + 12);
    }
    writer w{attest.resize(tpm2b_attest::capacity)};
    vtpm::marshal(w, a);
    if (w.overflow()) return rc::failure;
    attest.resize(w.size());

    if (!s.key) {
        sig.sig_alg.value = alg::null;
        return rc::success;
    }
    std::array<std::uint8_t, limits::max_digest> digest{};
    const auto ds = hash_digest_size(s.scheme.hash);
    e.crypto.hash(s.scheme.hash, attest.view(), byte_span{digest.data(), ds});
    return sign_digest(e, *s.key, s.scheme, byte_view{digest.data(), ds}, sig);
}

/// A PCR selection restricted to the banks that are allocated and the PCRs that exist.
template <class P>
[[nodiscard]] tpml_pcr_selection allocated_selection(engine<P>& e, const tpml_pcr_selection& in) {
    tpml_pcr_selection out;
    for (const auto& sel : in.view()) {
        if (!e.bank(sel.hash.value)) continue;
        auto s = sel;
        constexpr std::size_t n = engine<P>::pcr_count;
        for (std::size_t j = 0; j < s.pcr_select.size(); ++j) { // octet j holds PCRs 8j .. 8j+7
            if (8 * j + 8 <= n) continue;
            const unsigned keep = 8 * j >= n ? 0u : (1u << (n - 8 * j)) - 1u;
            s.pcr_select[j] = static_cast<std::uint8_t>(s.pcr_select[j] & keep);
        }
        (void)out.push_back(s);
    }
    return out;
}

} // namespace detail

namespace cmd {

/// TPM2_Certify (Part 3 §18.2): the Name and Qualified Name of a loaded object (one with its
/// sensitive area), signed.
template <class P>
rc handle(engine<P>& e, certify, command_context& c, const certify::request& in, attest_response& out) {
    const auto* o = e.object_at(c.handles[0]);
    if (!o || !o->has_sensitive) return rc::handle.for_handle(1);
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[1], in.in_scheme, 2, 2, s); !r.ok()) return r;
    tpms_attest a;
    a.type = st::attest_certify;
    a.extra_data = in.qualifying_data;
    auto& info = a.attested.emplace<st::attest_certify>();
    info.name = o->name;
    info.qualified_name = o->qualified_name;
    return detail::attest_sign(e, s, a, out.attest, out.signature);
}

/// TPM2_CertifyCreation (Part 3 §18.3): the creation ticket must be
/// HMAC(proof(hierarchy), TPM_ST_CREATION || Name || creationHash) (TPM_RC_TICKET + P4).
template <class P>
rc handle(engine<P>& e, certify_creation, command_context& c, const certify_creation::request& in,
          attest_response& out) {
    const auto& tk = in.creation_ticket;
    if (tk.tag != st::creation) return rc::tag.for_param(4);
    const auto* o = e.object_at(c.handles[1]);
    if (!o) return rc::handle.for_handle(2);
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[0], in.in_scheme, 1, 3, s); !r.ok()) return r;
    {
        constexpr tpm_alg_id ha = detail::context_integrity_hash<P>();
        std::array<std::uint8_t, 2> tag{};
        store_be16(tag.data(), st::creation);
        std::array<std::uint8_t, limits::max_digest> want{};
        const auto ds = hash_digest_size(ha);
        auto st = e.crypto.hmac_start(ha, e.proof(tk.hierarchy.value));
        st.update(tag);
        st.update(o->name.view());
        st.update(in.creation_hash.view());
        st.finish(byte_span{want.data(), ds});
        if (!ct_equal(byte_view{want.data(), ds}, tk.digest.view())) return rc::ticket.for_param(4);
    }
    tpms_attest a;
    a.type = st::attest_creation;
    a.extra_data = in.qualifying_data;
    auto& info = a.attested.emplace<st::attest_creation>();
    info.object_name = o->name;
    info.creation_hash = in.creation_hash;
    return detail::attest_sign(e, s, a, out.attest, out.signature);
}

/// TPM2_Quote (Part 3 §18.4): pcrDigest is the hash, with the scheme's hash algorithm, of
/// the selected PCR values in selection order (Part 1 §17.8.1); a scheme or scheme hash of
/// TPM_ALG_NULL is TPM_RC_SCHEME + P2.
template <class P>
rc handle(engine<P>& e, quote, command_context& c, const quote::request& in, attest_response& out) {
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[0], in.in_scheme, 1, 2, s); !r.ok()) return r;
    const tpm_alg_id h = s.scheme.hash;
    if (s.scheme.scheme == alg::null || hash_digest_size(h) == 0 || !e.crypto.hash_supported(h))
        return rc::scheme.for_param(2);
    tpms_attest a;
    a.type = st::attest_quote;
    a.extra_data = in.qualifying_data;
    auto& info = a.attested.emplace<st::attest_quote>();
    info.pcr_select = detail::allocated_selection(e, in.pcr_select);
    auto st = e.crypto.hash_start(h);
    for (const auto& sel : info.pcr_select.view()) {
        const auto* b = e.bank(sel.hash.value);
        const auto n = hash_digest_size(b->alg);
        for (unsigned i = 0; i < engine<P>::pcr_count; ++i)
            if (sel.selected(i)) st.update(byte_view{b->values[i].data(), n});
    }
    st.finish(info.pcr_digest.resize(hash_digest_size(h)));
    return detail::attest_sign(e, s, a, out.attest, out.signature);
}

/// TPM2_GetTime (Part 3 §18.7): Time and Clock; the copy in attested.time is not obfuscated.
template <class P>
rc handle(engine<P>& e, get_time, command_context& c, const get_time::request& in, attest_response& out) {
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[1], in.in_scheme, 2, 2, s); !r.ok()) return r;
    tpms_attest a;
    a.type = st::attest_time;
    a.extra_data = in.qualifying_data;
    auto& info = a.attested.emplace<st::attest_time>();
    info.time.time = e.time();
    info.firmware_version = detail::firmware_version<P>(); // clockInfo: set by attest_sign
    return detail::attest_sign(e, s, a, out.attest, out.signature);
}

/// TPM2_GetSessionAuditDigest (Part 3 §18.5): the digest of an audit session (TPM_RC_TYPE +
/// H3 for a session never used for audit) and whether it is the exclusive one. The digest
/// signed does not include this command.
template <class P>
rc handle(engine<P>& e, get_session_audit_digest, command_context& c, const get_session_audit_digest::request& in,
          attest_response& out) {
    const auto* as = e.session_at(c.handles[2]);
    if (!as || !as->audit) return rc::type.for_handle(3);
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[1], in.in_scheme, 2, 2, s); !r.ok()) return r;
    tpms_attest a;
    a.type = st::attest_session_audit;
    a.extra_data = in.qualifying_data;
    auto& info = a.attested.emplace<st::attest_session_audit>();
    info.exclusive_session.value = e.exclusive_audit_session == c.handles[2] ? 1 : 0;
    info.session_digest = as->audit_digest;
    return detail::attest_sign(e, s, a, out.attest, out.signature);
}

/// TPM2_GetCommandAuditDigest (Part 3 §18.6): the audit counter, hash, digest and
/// commandDigest = H_auditAlg(the audited command codes, ascending, each a big-endian UINT32).
/// A signed report ends the audit log: the digest register is cleared.
template <class P>
rc handle(engine<P>& e, get_command_audit_digest, command_context& c, const get_command_audit_digest::request& in,
          attest_response& out) {
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[1], in.in_scheme, 2, 2, s); !r.ok()) return r;
    if (!e.nv_available) return rc::nv_unavailable;
    tpms_attest a;
    a.type = st::attest_command_audit;
    a.extra_data = in.qualifying_data;
    auto& info = a.attested.emplace<st::attest_command_audit>();
    info.audit_counter = e.audit.counter;
    info.digest_alg = e.audit.alg;
    info.audit_digest = e.audit.digest;
    auto st = e.crypto.hash_start(e.audit.alg);
    for (tpm_cc code = cc::first; code <= cc::last; ++code) {
        if (!find_command<P>(code) || !e.audit.audited(code)) continue;
        std::array<std::uint8_t, 4> b{};
        store_be32(b.data(), code);
        st.update(b);
    }
    st.finish(info.command_digest.resize(hash_digest_size(e.audit.alg)));
    rc r = detail::attest_sign(e, s, a, out.attest, out.signature);
    if (r.ok() && s.key) e.audit.digest.clear();
    return r;
}

/// TPM2_SetCommandCodeAuditStatus (Part 3 §21.2): either a new audit hash (both lists empty,
/// else TPM_RC_VALUE + P1; the digest is cleared and this command is not audited), or the
/// lists: setList first, then clearList. Codes the TPM does not implement are ignored, as
/// are TPM2_Shutdown in setList (it cannot be audited) and this command in clearList (it is
/// always audited).
template <class P>
rc handle(engine<P>& e, set_command_code_audit_status, command_context& c,
          const set_command_code_audit_status::request& in, no_params&) {
    if (!e.nv_available) return rc::nv_unavailable;
    const tpm_alg_id h = in.audit_alg.value;
    if (h != alg::null && h != e.audit.alg) {
        if (in.set_list.count != 0 || in.clear_list.count != 0) return rc::value.for_param(1);
        e.audit.alg = h;
        e.audit.digest.clear();
        c.skip_command_audit = true;
        return rc::success;
    }
    for (tpm_cc code : in.set_list.view())
        if (find_command<P>(code) && code != cc::shutdown) e.audit.set(code, true);
    for (tpm_cc code : in.clear_list.view())
        if (code != cc::set_command_code_audit_status) e.audit.set(code, false);
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
