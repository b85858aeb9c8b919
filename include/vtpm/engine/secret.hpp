// Secret protection with an asymmetric key (Part 1 §8.4.5.2 "Labeled KEM", §43.10 RSA,
// §44.7 ECC) and the inner duplication wrapper (Part 1 §20.3.2.2).
//
// A Labeled KEM gives a shared secret `seed` and a ciphertext `encryptedSecret` for a key's
// public area and a protocol label: "DUPLICATE" (TPM2_Duplicate / Rewrap / Import),
// "IDENTITY" (MakeCredential / ActivateCredential) or "SECRET" (salted sessions).
//   RSA: seed is random, digest-size(H) octets; encryptedSecret := RSA-OAEP-Encrypt(key, seed,
//        label with its terminating zero octet), H the key's OAEP scheme hash, or its nameAlg
//        when the scheme is TPM_ALG_NULL (another scheme is TPM_RC_VALUE).
//   ECC: an ephemeral key (de, Qe) on the key's curve; Z := x([de]Qs);
//        seed := KDFe(nameAlg, Z, label, x(Qe), x(Qs), 8 * digest-size(nameAlg));
//        encryptedSecret := the marshalled TPMS_ECC_POINT Qe. The key's scheme is ignored.
// Nothing here depends on duplication: the functions take a public area (and a sensitive
// area to decapsulate) and a label.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/crypto/rsa.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/marshal/codec.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::secret {

/// The protocol labels (Part 1 Table 6 and §20.3.2.3, §21.3, §19.6.14).
inline constexpr std::string_view duplicate_label = "DUPLICATE";
inline constexpr std::string_view identity_label = "IDENTITY";
inline constexpr std::string_view salt_label = "SECRET";

namespace detail {

/// The label as an OAEP label: its characters and one terminating zero octet.
struct oaep_label {
    std::array<std::uint8_t, 32> buf{};
    std::size_t size = 0;
    explicit oaep_label(std::string_view s) noexcept {
        size = std::min(s.size(), buf.size() - 1);
        std::memcpy(buf.data(), s.data(), size);
        buf[size++] = 0;
    }
    [[nodiscard]] byte_view view() const noexcept { return {buf.data(), size}; }
};

/// The OAEP hash of an RSA key for the Labeled KEM (Part 1 §43.10), or TPM_ALG_NULL if the
/// key's scheme is neither OAEP nor NULL.
[[nodiscard]] inline tpm_alg_id rsa_kem_hash(const tpmt_public& key) noexcept {
    const auto* parms = key.parameters.get<alg::rsa>();
    if (!parms) return alg::null;
    switch (parms->scheme.scheme.value) {
    case alg::null: return key.name_alg.value;
    case alg::oaep: {
        tpm_alg_id h = alg::null;
        parms->scheme.details.visit([&](const auto& m) {
            if constexpr (requires { m.hash_alg.value; }) h = m.hash_alg.value;
        });
        return h;
    }
    default: return alg::null;
    }
}

/// Z := x([d]Q) and seed := KDFe(nameAlg, Z, label, x(Qe), x(Qs), 8 * digest size).
template <class C>
rc ecc_seed(C& c, tpm_alg_id name_alg, crypto::ecc_curve_id curve, byte_view d, const crypto::ecc_point_view& q,
            byte_view qe_x, byte_view qs_x, std::string_view label, tpm2b_digest& seed) {
    const auto* info = crypto::find_ecc_curve(curve);
    const auto ds = hash_digest_size(name_alg);
    if (!info || ds == 0) return rc::key;
    std::array<std::uint8_t, crypto::max_ecc_bytes> zx{}, zy{};
    rc r = c.ecc_multiply(curve, d, q, crypto::ecc_point_out{byte_span{zx.data(), info->bytes},
                                                             byte_span{zy.data(), info->bytes}});
    if (r.ok())
        r = crypto::kdfe(c, name_alg, byte_view{zx.data(), info->bytes}, label, qe_x, qs_x,
                         static_cast<std::uint32_t>(8 * ds), seed.resize(ds));
    secure_zero(zx.data(), zx.size());
    secure_zero(zy.data(), zy.size());
    if (!r.ok()) seed.clear();
    return r == rc::value ? rc::no_result : r;
}

} // namespace detail

/// Labeled encapsulation to the public area `key` (RSA or ECC): a new seed and its
/// encryptedSecret. Results: rc::key (not an RSA or ECC key, or no public key), rc::value
/// (an RSA key with a scheme other than OAEP or NULL), rc::hash (unsupported hash),
/// rc::failure (the crypto layer failed).
template <class C>
rc encapsulate(C& c, const tpmt_public& key, std::string_view label, tpm2b_digest& seed, tpm2b_encrypted_secret& out) {
    seed.clear();
    out.clear();
    if (key.type.value == alg::rsa) {
        if constexpr (crypto::rsa_provider<C>) {
            const auto* parms = key.parameters.get<alg::rsa>();
            const auto* n = key.unique.get<alg::rsa>();
            if (!parms || !n || n->size == 0) return rc::key;
            const tpm_alg_id h = detail::rsa_kem_hash(key);
            if (h == alg::null) return rc::value;
            const auto hs = hash_digest_size(h);
            if (hs == 0 || !c.hash_supported(h)) return rc::hash;
            c.random(seed.resize(hs));
            const detail::oaep_label l{label};
            const rc r = c.rsa_encrypt_oaep(crypto::rsa_public_key{n->view(), parms->exponent}, h, l.view(), seed.view(),
                                            out.resize(n->size));
            if (!r.ok()) {
                seed.clear();
                out.clear();
                return r == rc::failure || r == rc::memory ? rc::failure : r;
            }
            return rc::success;
        } else {
            return rc::key;
        }
    }
    if (key.type.value == alg::ecc) {
        if constexpr (crypto::ecc_provider<C>) {
            const auto* parms = key.parameters.get<alg::ecc>();
            const auto* qs = key.unique.get<alg::ecc>();
            if (!parms || !qs) return rc::key;
            const auto curve = parms->curve_id.value;
            const auto* info = crypto::find_ecc_curve(curve);
            if (!info || !c.curve_supported(curve)) return rc::curve;
            const crypto::ecc_point_view qsv{qs->x.view(), qs->y.view()};
            if (!c.ecc_point_valid(curve, qsv)) return rc::key;
            tpms_ecc_point qe;
            std::array<std::uint8_t, crypto::max_ecc_bytes> d{};
            const byte_span de{d.data(), info->order_bytes};
            const crypto::random_source rnd = [&c](byte_span b) { c.random(b); };
            rc r = c.ecc_generate(curve, rnd, de, crypto::ecc_point_out{qe.x.resize(info->bytes), qe.y.resize(info->bytes)});
            if (r.ok()) r = detail::ecc_seed(c, key.name_alg.value, curve, de, qsv, qe.x.view(), qs->x.view(), label, seed);
            secure_zero(d.data(), d.size());
            if (!r.ok()) return r;
            std::array<std::uint8_t, limits::max_encrypted_secret> buf{};
            writer w{buf};
            marshal(w, qe);
            if (w.overflow()) return rc::failure;
            (void)out.assign(w.written());
            return rc::success;
        } else {
            return rc::key;
        }
    }
    return rc::key;
}

/// Labeled decapsulation of `in` with the loaded key (public area `key`, sensitive area
/// `sens`): the seed. Results (the caller adds the parameter number of encryptedSecret):
/// rc::key (not an RSA or ECC key), rc::value (RSA: the OAEP decryption fails, the key's
/// scheme is neither OAEP nor NULL, or the seed is longer than the OAEP hash's digest),
/// rc::size (RSA: the ciphertext is not the modulus size), rc::insufficient / rc::size (ECC:
/// `in` is not exactly one TPMS_ECC_POINT), rc::ecc_point (ECC: not a point of the curve),
/// rc::no_result (ECC: the product is the point at infinity), rc::failure.
template <class C>
rc decapsulate(C& c, const tpmt_public& key, const tpmt_sensitive& sens, std::string_view label, byte_view in,
               tpm2b_digest& seed) {
    seed.clear();
    if (key.type.value == alg::rsa) {
        if constexpr (crypto::rsa_provider<C>) {
            const auto* parms = key.parameters.get<alg::rsa>();
            const auto* n = key.unique.get<alg::rsa>();
            const auto* p = sens.sensitive.get<alg::rsa>();
            if (!parms || !n || !p) return rc::key;
            const tpm_alg_id h = detail::rsa_kem_hash(key);
            if (h == alg::null) return rc::value;
            if (in.size() != n->size) return rc::size;
            const detail::oaep_label l{label};
            std::array<std::uint8_t, limits::max_rsa_key_bytes> buf{};
            auto m = c.rsa_decrypt_oaep(crypto::rsa_private_key{n->view(), parms->exponent, p->view()}, h, l.view(), in,
                                        buf);
            rc r = rc::success;
            if (!m) r = m.error() == rc::failure || m.error() == rc::memory ? rc::failure : rc::value;
            else if (*m > hash_digest_size(h) || *m == 0) r = rc::value;
            else (void)seed.assign(byte_view{buf.data(), *m});
            secure_zero(buf.data(), buf.size());
            return r;
        } else {
            return rc::key;
        }
    }
    if (key.type.value == alg::ecc) {
        if constexpr (crypto::ecc_provider<C>) {
            const auto* parms = key.parameters.get<alg::ecc>();
            const auto* qs = key.unique.get<alg::ecc>();
            const auto* d = sens.sensitive.get<alg::ecc>();
            if (!parms || !qs || !d) return rc::key;
            const auto curve = parms->curve_id.value;
            tpms_ecc_point qe;
            if (rc r = unmarshal_exact(in, qe); !r.ok()) return r.base();
            const crypto::ecc_point_view qev{qe.x.view(), qe.y.view()};
            if (!c.ecc_point_valid(curve, qev)) return rc::ecc_point;
            return detail::ecc_seed(c, key.name_alg.value, curve, d->view(), qev, qe.x.view(), qs->x.view(), label, seed);
        } else {
            return rc::key;
        }
    }
    return rc::key;
}

/// The inner duplication wrapper (Part 1 §20.3.2.2, Equations 37-38) of a marshalled
/// TPM2B_SENSITIVE `sensitive` of the object whose nameAlg and Name are given:
///   innerIntegrity := H_nameAlg(sensitive || Name)
///   encSensitive   := CFB_sym(key, IV = 0, TPM2B_DIGEST(innerIntegrity) || sensitive)
/// out must hold 2 + digest size + sensitive.size() octets; that many are written.
template <class C>
rc inner_wrap(C& c, tpm_alg_id name_alg, tpm_alg_id sym, byte_view key, byte_view name, byte_view sensitive,
              byte_span out) {
    const auto ds = hash_digest_size(name_alg);
    if (ds == 0 || out.size() != 2 + ds + sensitive.size()) return rc::failure;
    store_be16(out.data(), static_cast<std::uint16_t>(ds));
    auto st = c.hash_start(name_alg);
    st.update(sensitive);
    st.update(name);
    st.finish(out.subspan(2, ds));
    if (!sensitive.empty()) std::memcpy(out.data() + 2 + ds, sensitive.data(), sensitive.size());
    return c.cfb_encrypt(sym, key, {}, out).ok() ? rc::success : rc::failure;
}

/// The reverse of inner_wrap: `data` is decrypted in place and the integrity checked
/// (rc::integrity if the digest is missing, of the wrong size or wrong). On success
/// `sensitive` views the marshalled TPM2B_SENSITIVE inside data.
template <class C>
rc inner_unwrap(C& c, tpm_alg_id name_alg, tpm_alg_id sym, byte_view key, byte_view name, byte_span data,
                byte_view& sensitive) {
    const auto ds = hash_digest_size(name_alg);
    if (ds == 0) return rc::failure;
    if (!data.empty() && !c.cfb_decrypt(sym, key, {}, data).ok()) return rc::failure;
    if (data.size() < 2 + ds || load_be16(data.data()) != ds) return rc::integrity;
    const byte_view rest{data.data() + 2 + ds, data.size() - 2 - ds};
    std::array<std::uint8_t, limits::max_digest> want{};
    auto st = c.hash_start(name_alg);
    st.update(rest);
    st.update(name);
    st.finish(byte_span{want.data(), ds});
    if (!ct_equal(byte_view{want.data(), ds}, byte_view{data.data() + 2, ds})) return rc::integrity;
    sensitive = rest;
    return rc::success;
}

} // namespace vtpm::secret
