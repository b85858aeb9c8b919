// Handlers: Part 3 §14 Asymmetric Primitives (RSA_Encrypt, RSA_Decrypt, ECDH_KeyGen, ECDH_ZGen,
// ECC_Parameters), and the key accessors the signing handlers share.
//
// Error codes follow Part 3's order of checks. Where a failure comes out of the arithmetic
// (padding, message too long, ciphertext of the wrong size) the code is the bare TPM_RC_VALUE /
// TPM_RC_SIZE without a parameter number, as the TCG reference implementation returns it.
#pragma once
#include <array>
#include <cstdint>
#include <utility>

#include "vtpm/commands/asymmetric.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/crypto/rsa.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm {
namespace detail {

template <class P>
inline constexpr bool has_rsa = crypto::rsa_provider<typename P::crypto>;
template <class P>
inline constexpr bool has_ecc = crypto::ecc_provider<typename P::crypto>;

/// A scheme selector with its hash (and ECDAA count), from any TPMT_*_SCHEME.
struct scheme_choice {
    tpm_alg_id scheme = alg::null;
    tpm_alg_id hash = alg::null;
    std::uint16_t count = 0;
};
template <class Scheme>
[[nodiscard]] scheme_choice scheme_of(const Scheme& s) noexcept {
    scheme_choice c;
    c.scheme = s.scheme.value;
    s.details.visit([&](const auto& m) {
        if constexpr (requires { m.hash_alg.value; }) c.hash = m.hash_alg.value;
        if constexpr (requires { m.count; }) c.count = m.count;
    });
    return c;
}

[[nodiscard]] inline const tpms_rsa_parms* rsa_parms(const loaded_object& o) noexcept {
    return o.pub.type.value == alg::rsa ? o.pub.parameters.get<alg::rsa>() : nullptr;
}
[[nodiscard]] inline const tpms_ecc_parms* ecc_parms(const loaded_object& o) noexcept {
    return o.pub.type.value == alg::ecc ? o.pub.parameters.get<alg::ecc>() : nullptr;
}
[[nodiscard]] inline const tpms_keyedhash_parms* keyedhash_parms(const loaded_object& o) noexcept {
    return o.pub.type.value == alg::keyedhash ? o.pub.parameters.get<alg::keyedhash>() : nullptr;
}
[[nodiscard]] inline const tpms_symcipher_parms* symcipher_parms(const loaded_object& o) noexcept {
    return o.pub.type.value == alg::symcipher ? o.pub.parameters.get<alg::symcipher>() : nullptr;
}

/// The secret bytes of a loaded object's sensitive area for its type (empty if not loaded).
template <tpm_alg_id Type>
[[nodiscard]] byte_view sensitive_bytes(const loaded_object& o) noexcept {
    if (!o.has_sensitive) return {};
    const auto* s = o.sens.sensitive.get<Type>();
    return s ? s->view() : byte_view{};
}

[[nodiscard]] inline byte_view rsa_modulus(const loaded_object& o) noexcept {
    const auto* n = o.pub.unique.get<alg::rsa>();
    return n ? n->view() : byte_view{};
}
[[nodiscard]] inline crypto::rsa_public_key rsa_public(const loaded_object& o) noexcept {
    const auto* p = rsa_parms(o);
    return {rsa_modulus(o), p ? p->exponent : 0};
}
[[nodiscard]] inline crypto::rsa_private_key rsa_private(const loaded_object& o) noexcept {
    const auto* p = rsa_parms(o);
    return {rsa_modulus(o), p ? p->exponent : 0, sensitive_bytes<alg::rsa>(o)};
}
[[nodiscard]] inline crypto::ecc_point_view ecc_public(const loaded_object& o) noexcept {
    const auto* q = o.pub.unique.get<alg::ecc>();
    if (!q) return {};
    return {q->x.view(), q->y.view()};
}

/// A point result of `curve`: both coordinates sized to the curve (Part 1 §44.5.3).
struct point_result {
    tpms_ecc_point point;
    [[nodiscard]] crypto::ecc_point_out out(const crypto::ecc_curve_info& c) noexcept {
        return {point.x.resize(c.bytes), point.y.resize(c.bytes)};
    }
};

/// TPM2B_DATA used as an OAEP label (Part 3 §14.2): empty, or ending in a zero octet that is
/// part of the label.
[[nodiscard]] inline bool label_well_formed(const tpm2b_data& l) noexcept {
    return l.size == 0 || l.buffer[l.size - 1] == 0;
}

/// The padding of RSA_Encrypt / RSA_Decrypt (Part 3 Table 42). Returns false for
/// TPM_RC_SCHEME: inScheme differs from a key scheme that is not NULL, or the key's scheme is
/// not an encryption scheme. A NULL result means no padding.
[[nodiscard]] inline bool select_rsa_decrypt_scheme(const tpms_rsa_parms& key, const tpmt_rsa_decrypt& in,
                                                    scheme_choice& out) noexcept {
    const auto k = scheme_of(key.scheme);
    const auto i = scheme_of(in);
    if (k.scheme == alg::null) {
        out = i;
        return true;
    }
    if (k.scheme != alg::rsaes && k.scheme != alg::oaep) return false;
    if (i.scheme == alg::null) {
        out = k;
        return true;
    }
    if (i.scheme != k.scheme || i.hash != k.hash) return false;
    out = k;
    return true;
}

} // namespace detail

namespace cmd {

/// TPM2_RSA_Encrypt (Part 3 §14.2). Only the public area is needed.
template <class P>
rc handle(engine<P>& e, rsa_encrypt, command_context& c, const rsa_encrypt::request& in,
          rsa_encrypt::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::rsa_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (!o->has(object_attr::decrypt)) return rc::attributes.for_handle(1);
    if (!detail::label_well_formed(in.label)) return rc::value.for_param(3);
    detail::scheme_choice s;
    if (!detail::select_rsa_decrypt_scheme(*parms, in.in_scheme, s)) return rc::scheme.for_param(2);
    if constexpr (!detail::has_rsa<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto pub = detail::rsa_public(*o);
        auto dst = out.out_data.resize(pub.n.size());
        rc r;
        switch (s.scheme) {
        case alg::oaep: r = e.crypto.rsa_encrypt_oaep(pub, s.hash, in.label.view(), in.message.view(), dst); break;
        case alg::rsaes: r = e.crypto.rsa_encrypt_pkcs1(pub, in.message.view(), dst); break;
        default: r = e.crypto.rsa_encrypt_raw(pub, in.message.view(), dst); break;
        }
        if (!r.ok()) out.out_data.clear();
        return r;
    }
}

/// TPM2_RSA_Decrypt (Part 3 §14.3): an unrestricted RSA decryption key with its private area.
template <class P>
rc handle(engine<P>& e, rsa_decrypt, command_context& c, const rsa_decrypt::request& in,
          rsa_decrypt::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::rsa_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (o->has(object_attr::restricted) || !o->has(object_attr::decrypt)) return rc::attributes.for_handle(1);
    if (!detail::label_well_formed(in.label)) return rc::value.for_param(3);
    detail::scheme_choice s;
    if (!detail::select_rsa_decrypt_scheme(*parms, in.in_scheme, s)) return rc::scheme.for_param(2);
    if constexpr (!detail::has_rsa<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto key = detail::rsa_private(*o);
        if (s.scheme == alg::null) {
            rc r = e.crypto.rsa_decrypt_raw(key, in.cipher_text.view(), out.message.resize(key.n.size()));
            if (!r.ok()) out.message.clear();
            return r;
        }
        std::array<std::uint8_t, limits::max_rsa_key_bytes> buf{};
        auto n = s.scheme == alg::oaep
                     ? e.crypto.rsa_decrypt_oaep(key, s.hash, in.label.view(), in.cipher_text.view(), buf)
                     : e.crypto.rsa_decrypt_pkcs1(key, in.cipher_text.view(), buf);
        if (!n) return n.error();
        (void)out.message.assign(byte_view{buf.data(), *n});
        secure_zero(buf.data(), buf.size());
        return rc::success;
    }
}

/// TPM2_ECDH_KeyGen (Part 3 §14.4): an ephemeral key (de, Qe) on the key's curve and
/// P := [de]Qs. Only the public area is needed.
template <class P>
rc handle(engine<P>& e, ecdh_keygen, command_context& c, const no_params&, ecdh_keygen::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::ecc_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if constexpr (!detail::has_ecc<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto curve = parms->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
        const crypto::random_source rnd = [&e](byte_span b) { e.crypto.random(b); };
        std::array<std::uint8_t, crypto::max_ecc_bytes> d{};
        const byte_span de{d.data(), info->order_bytes};
        detail::point_result qe, z;
        rc r = e.crypto.ecc_generate(curve, rnd, de, qe.out(*info));
        if (r.ok()) r = e.crypto.ecc_multiply(curve, de, detail::ecc_public(*o), z.out(*info));
        secure_zero(d.data(), d.size());
        if (!r.ok()) return r;
        out.z_point.value = z.point;
        out.pub_point.value = qe.point;
        return rc::success;
    }
}

/// TPM2_ECDH_ZGen (Part 3 §14.5): Z := [ds]QB with an unrestricted ECC decryption key whose
/// scheme is ECDH or NULL.
template <class P>
rc handle(engine<P>& e, ecdh_zgen, command_context& c, const ecdh_zgen::request& in, ecdh_zgen::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::ecc_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (o->has(object_attr::restricted) || !o->has(object_attr::decrypt)) return rc::attributes.for_handle(1);
    const auto ks = parms->scheme.scheme.value;
    if (ks != alg::null && ks != alg::ecdh) return rc::scheme.for_handle(1);
    if constexpr (!detail::has_ecc<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto curve = parms->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
        const crypto::ecc_point_view qb{in.in_point.value.x.view(), in.in_point.value.y.view()};
        detail::point_result z;
        rc r = e.crypto.ecc_multiply(curve, detail::sensitive_bytes<alg::ecc>(*o), qb, z.out(*info));
        if (r == rc::ecc_point) return rc::ecc_point.for_param(1); // QB is not a point of the curve
        if (!r.ok()) return r;
        out.out_point.value = z.point;
        return rc::success;
    }
}

/// TPM2_ECC_Parameters (Part 3 §14.6): the curve's parameters from the crypto layer's table.
/// A curve the profile or the backend lacks is TPM_RC_CURVE (as the TPMI_ECC_CURVE check).
template <class P>
rc handle(engine<P>& e, ecc_parameters, command_context&, const ecc_parameters::request& in,
          ecc_parameters::response& out) {
    const auto curve = in.curve_id.value;
    if (!P::profile.has_curve(curve)) return rc::curve.for_param(1);
    if constexpr (!detail::has_ecc<P>) {
        return rc::curve.for_param(1);
    } else {
        if (!e.crypto.curve_supported(curve)) return rc::curve.for_param(1);
        auto params = e.crypto.curve_parameters(curve);
        if (!params) return rc::curve.for_param(1);
        auto& d = out.parameters;
        d.curve_id = curve;
        d.key_size = params->key_bits;
        d.kdf.scheme.value = alg::null;
        d.sign.scheme.value = alg::null;
        for (auto [dst, src] : {std::pair{&d.p, &params->p}, std::pair{&d.a, &params->a}, std::pair{&d.b, &params->b},
                                std::pair{&d.g_x, &params->gx}, std::pair{&d.g_y, &params->gy},
                                std::pair{&d.n, &params->n}, std::pair{&d.h, &params->h}})
            if (!dst->assign(*src)) return rc::failure;
        return rc::success;
    }
}

} // namespace cmd
} // namespace vtpm
