// Handlers: Part 3 §20 TPM2_VerifySignature and TPM2_Sign (RSASSA, RSAPSS, ECDSA, EC-Schnorr,
// SM2, ECDAA after TPM2_Commit, and HMAC), and the verified ticket (Part 2 §10.6.5).
// ECDAA signatures are not verified by the TPM (TPM_RC_SCHEME): checking one needs the
// issuer's credential, not only the key.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include "vtpm/commands/signing.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/asymmetric.hpp"
#include "vtpm/engine/handlers/ephemeral.hpp"
#include "vtpm/engine/handlers/hash.hpp"

namespace vtpm {
namespace detail {

/// TPMT_TK_VERIFIED of TPM2_VerifySignature (Part 2 §10.6.5, equation 5):
///   hmac := HMAC_contextAlg(proof(hierarchy), TPM_ST_VERIFIED || digest || keyName)
/// (the metadata of TPM_ST_VERIFIED is empty), with TPM_ST_VERIFIED a big-endian UINT16 and
/// digest and keyName without size fields. TPM_RH_NULL gives the NULL ticket
/// <TPM_ST_VERIFIED, TPM_RH_NULL, Empty Buffer>.
template <class P>
[[nodiscard]] tpmt_tk_verified verified_ticket(engine<P>& e, tpm_handle hierarchy, byte_view digest, byte_view key_name) {
    tpmt_tk_verified t;
    t.tag = st::verified;
    if (hierarchy == rh::null) {
        t.hierarchy.value = rh::null;
        t.digest.size = 0;
        return t;
    }
    t.hierarchy.value = hierarchy;
    constexpr tpm_alg_id ha = context_integrity_hash<P>();
    auto st = e.crypto.hmac_start(ha, e.proof(hierarchy));
    std::array<std::uint8_t, 2> tag{};
    store_be16(tag.data(), st::verified);
    st.update(tag);
    st.update(digest);
    st.update(key_name);
    st.finish(t.digest.resize(hash_digest_size(ha)));
    return t;
}

/// Whether `scheme` is a signing scheme for keys of `type` (Part 2 TPMI_ALG_SIG_SCHEME by key
/// type).
[[nodiscard]] constexpr bool is_sign_scheme_for(tpm_alg_id type, tpm_alg_id scheme) noexcept {
    switch (type) {
    case alg::rsa: return scheme == alg::rsassa || scheme == alg::rsapss;
    case alg::ecc: return scheme == alg::ecdsa || scheme == alg::ecdaa || scheme == alg::sm2 || scheme == alg::ecschnorr;
    case alg::keyedhash: return scheme == alg::hmac;
    default: return false;
    }
}

/// The signing scheme a key declares in its public area (NULL if none).
[[nodiscard]] inline scheme_choice key_sign_scheme(const loaded_object& o) noexcept {
    if (const auto* p = rsa_parms(o)) return scheme_of(p->scheme);
    if (const auto* p = ecc_parms(o)) return scheme_of(p->scheme);
    if (const auto* p = keyedhash_parms(o)) return scheme_of(p->scheme);
    return {};
}

/// Scheme selection of TPM2_Sign (Part 3 §20.5.1): the key's scheme, which inScheme may
/// repeat (same scheme and hash) or leave NULL; inScheme when the key has none. False is
/// TPM_RC_SCHEME.
[[nodiscard]] inline bool select_sign_scheme(const loaded_object& o, const tpmt_sig_scheme& in, scheme_choice& out) noexcept {
    const tpm_alg_id type = o.pub.type.value;
    const auto k = key_sign_scheme(o);
    const auto i = scheme_of(in);
    if (k.scheme == alg::null) {
        if (i.scheme == alg::null || !is_sign_scheme_for(type, i.scheme)) return false;
        out = i;
        return true;
    }
    if (!is_sign_scheme_for(type, k.scheme)) return false;
    if (i.scheme == alg::null) {
        out = k;
        return true;
    }
    if (i.scheme != k.scheme || i.hash != k.hash) return false;
    out = i; // ECDAA: the count comes from inScheme
    return true;
}

/// Signature verification for TPM2_VerifySignature (no parameter number yet): TPM_RC_SCHEME
/// for a signature the key type cannot have, TPM_RC_HANDLE for an HMAC key without its
/// private area, TPM_RC_SIGNATURE for a signature that does not verify.
template <class P>
[[nodiscard]] rc verify_signature(engine<P>& e, const loaded_object& o, byte_view digest, const tpmt_signature& sig) {
    const tpm_alg_id sa = sig.sig_alg.value;
    const tpm_alg_id type = o.pub.type.value;
    if (sa == alg::null || !is_sign_scheme_for(type, sa)) return rc::scheme;
    if (type == alg::keyedhash) {
        const auto* ha = sig.signature.get<alg::hmac>();
        if (!ha) return rc::scheme;
        const auto k = key_sign_scheme(o);
        if (k.scheme == alg::hmac && k.hash != ha->hash_alg.value) return rc::scheme;
        if (!o.has_sensitive) return rc::handle;
        const auto ds = ha->digest_size();
        std::array<std::uint8_t, limits::max_digest> mac{};
        e.crypto.hmac(ha->hash_alg.value, sensitive_bytes<alg::keyedhash>(o), digest, byte_span{mac.data(), ds});
        return ct_equal(byte_view{mac.data(), ds}, byte_view{ha->digest.data(), ds}) ? rc::success : rc::signature;
    }
    if (type == alg::rsa) {
        if constexpr (!has_rsa<P>) {
            return rc::scheme;
        } else {
            const auto* s = sa == alg::rsassa ? sig.signature.get<alg::rsassa>() : sig.signature.get<alg::rsapss>();
            if (!s) return rc::scheme;
            const auto pub = rsa_public(o);
            const tpm_alg_id h = s->hash.value;
            if (digest.size() != hash_digest_size(h)) return rc::signature;
            rc r = sa == alg::rsassa ? e.crypto.rsa_verify_pkcs1(pub, h, digest, s->sig.view())
                                     : e.crypto.rsa_verify_pss(pub, h, digest, s->sig.view());
            return r.ok() || r == rc::failure ? r : rc::signature;
        }
    }
    if constexpr (!has_ecc<P>) {
        return rc::scheme;
    } else {
        const tpms_signature_ecc* s = nullptr;
        switch (sa) {
        case alg::ecdsa: s = sig.signature.get<alg::ecdsa>(); break;
        case alg::sm2: s = sig.signature.get<alg::sm2>(); break;
        case alg::ecschnorr: s = sig.signature.get<alg::ecschnorr>(); break;
        default: return rc::scheme; // ECDAA verification is not implemented
        }
        const auto* parms = ecc_parms(o);
        if (!s || !parms) return rc::scheme;
        const auto curve = parms->curve_id.value;
        const crypto::ecc_signature_view sv{s->signature_r.view(), s->signature_s.view()};
        const auto q = ecc_public(o);
        rc r;
        switch (sa) {
        case alg::ecdsa: r = e.crypto.ecdsa_verify(curve, q, digest, sv); break;
        case alg::sm2: r = e.crypto.sm2_verify(curve, q, digest, sv); break;
        default: r = e.crypto.ecschnorr_verify(curve, s->hash.value, q, digest, sv); break;
        }
        return r.ok() || r == rc::failure ? r : rc::signature;
    }
}

/// Produce the signature of TPM2_Sign once the scheme is chosen and the checks are done.
template <class P>
[[nodiscard]] rc sign_digest(engine<P>& e, const loaded_object& o, const scheme_choice& s, byte_view digest,
                             tpmt_signature& out) {
    out.sig_alg.value = s.scheme;
    switch (s.scheme) {
    case alg::hmac: {
        auto& ha = out.signature.template emplace<alg::hmac>();
        ha.hash_alg.value = s.hash;
        e.crypto.hmac(s.hash, sensitive_bytes<alg::keyedhash>(o), digest, byte_span{ha.digest.data(), ha.digest_size()});
        return rc::success;
    }
    case alg::rsassa:
    case alg::rsapss:
        if constexpr (!has_rsa<P>) {
            return rc::scheme;
        } else {
            tpms_signature_rsa* sig = s.scheme == alg::rsassa ? &out.signature.template emplace<alg::rsassa>()
                                                              : &out.signature.template emplace<alg::rsapss>();
            sig->hash.value = s.hash;
            const auto key = rsa_private(o);
            auto dst = sig->sig.resize(key.n.size());
            rc r = s.scheme == alg::rsassa ? e.crypto.rsa_sign_pkcs1(key, s.hash, digest, dst)
                                           : e.crypto.rsa_sign_pss(key, s.hash, digest, dst);
            if (!r.ok()) sig->sig.clear();
            return r;
        }
    case alg::ecdsa:
    case alg::sm2:
    case alg::ecschnorr:
        if constexpr (!has_ecc<P>) {
            return rc::scheme;
        } else {
            tpms_signature_ecc* sig = s.scheme == alg::ecdsa ? &out.signature.template emplace<alg::ecdsa>()
                                      : s.scheme == alg::sm2 ? &out.signature.template emplace<alg::sm2>()
                                                             : &out.signature.template emplace<alg::ecschnorr>();
            sig->hash.value = s.hash;
            const auto* parms = ecc_parms(o);
            if (!parms) return rc::scheme;
            const auto curve = parms->curve_id.value;
            const auto* info = crypto::find_ecc_curve(curve);
            if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
            const crypto::ecc_signature_out so{sig->signature_r.resize(info->order_bytes),
                                               sig->signature_s.resize(info->order_bytes)};
            const byte_view d = sensitive_bytes<alg::ecc>(o);
            const crypto::random_source rnd = [&e](byte_span b) { e.crypto.random(b); };
            switch (s.scheme) {
            case alg::ecdsa: return e.crypto.ecdsa_sign(curve, s.hash, d, digest, so);
            case alg::sm2: return e.crypto.sm2_sign(curve, d, digest, rnd, so);
            default: return e.crypto.ecschnorr_sign(curve, s.hash, d, digest, rnd, so);
            }
        }
    case alg::ecdaa:
        // Part 1 §44.3.3.3 with the commit value named by the scheme's count (§44.2.5):
        // TPM_RC_RANGE / TPM_RC_VALUE + P2 if it is not pending; used up on success.
        if constexpr (!has_ecc<P>) {
            return rc::scheme.for_param(2);
        } else {
            auto& sig = out.signature.template emplace<alg::ecdaa>();
            sig.hash.value = s.hash;
            const auto* parms = ecc_parms(o);
            if (!parms) return rc::scheme.for_param(2);
            const auto curve = parms->curve_id.value;
            const auto* info = crypto::find_ecc_curve(curve);
            if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
            std::uint64_t count = 0;
            if (rc k = commit_recover(e, s.count, count); !k.ok()) return k.for_param(2);
            scalar_buffer r;
            const byte_span rv = r.first(info->order_bytes);
            if (rc k = commit_value(e, o.pub.name_alg.value, o.name.view(), count, *info, rv); !k.ok()) return k;
            const crypto::ecc_signature_out so{sig.signature_r.resize(info->order_bytes),
                                               sig.signature_s.resize(info->order_bytes)};
            const crypto::random_source rnd = [&e](byte_span b) { e.crypto.random(b); };
            rc res = e.crypto.ecdaa_sign(curve, s.hash, sensitive_bytes<alg::ecc>(o), rv, digest, rnd, so);
            if (res.ok()) commit_consume(e, count);
            return res;
        }
    default: return rc::scheme.for_param(2);
    }
}

} // namespace detail

namespace cmd {

/// TPM2_VerifySignature (Part 3 §20.2). Errors of the verification carry the signature's
/// parameter number (TPM_RC_SCHEME, TPM_RC_HANDLE, TPM_RC_SIGNATURE + P2).
template <class P>
rc handle(engine<P>& e, verify_signature, command_context& c, const verify_signature::request& in,
          verify_signature::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    if (!o) return rc::key.for_handle(1);
    if (!o->has(object_attr::sign_encrypt)) return rc::attributes.for_handle(1);
    rc r = detail::verify_signature(e, *o, in.digest.view(), in.signature);
    if (r == rc::failure) return r;
    if (!r.ok()) return r.for_param(2);
    // A key in the NULL hierarchy or with nameAlg TPM_ALG_NULL gets the NULL ticket.
    const tpm_handle h = o->pub.name_alg.value == alg::null ? rh::null : o->hierarchy;
    out.validation = detail::verified_ticket(e, h, in.digest.view(), o->name.view());
    return rc::success;
}

/// TPM2_Sign (Part 3 §20.5). Order of checks: the ticket's tag (TPM_RC_TAG + P3, a check of
/// the structure); the key signs (TPM_RC_KEY) and is not an x509
/// key (TPM_RC_ATTRIBUTES); the scheme (TPM_RC_SCHEME + P2); the ticket when the key is
/// restricted or a ticket is given (TPM_RC_TICKET + P3), else the digest size
/// against the scheme's hash (TPM_RC_SIZE + P1).
///
/// The hash-check ticket (detail::hashcheck_ticket) does not cover the hash algorithm, so
/// with a ticket the digest size is checked against the scheme's hash as well (a mismatch is
/// TPM_RC_TICKET: "the hash algorithm used in computing the digest is required to be the hash
/// algorithm specified in the scheme").
template <class P>
rc handle(engine<P>& e, sign, command_context& c, const sign::request& in, sign::response& out) {
    const auto& tk = in.validation;
    if (tk.tag != st::hashcheck) return rc::tag.for_param(3); // TPMT_TK_HASHCHECK's #TPM_RC_TAG
    const auto* o = e.object_at(c.handles[0]);
    if (!o || !o->has(object_attr::sign_encrypt)) return rc::key.for_handle(1);
    if (o->has(object_attr::x509sign)) return rc::attributes.for_handle(1);
    detail::scheme_choice s;
    if (!detail::select_sign_scheme(*o, in.in_scheme, s)) return rc::scheme.for_param(2);
    const byte_view digest = in.digest.view();
    if (!tk.digest.empty() || o->has(object_attr::restricted)) {
        const tpm_handle h = tk.hierarchy.value;
        if (h == rh::null || tk.digest.empty()) return rc::ticket.for_param(3);
        const auto want = detail::hashcheck_ticket(e, h, digest);
        if (!ct_equal(want.digest.view(), tk.digest.view())) return rc::ticket.for_param(3);
        if (digest.size() != hash_digest_size(s.hash)) return rc::ticket.for_param(3);
    } else if (digest.size() != hash_digest_size(s.hash)) {
        return rc::size.for_param(1);
    }
    return detail::sign_digest(e, *o, s, digest, out.signature);
}

} // namespace cmd
} // namespace vtpm
