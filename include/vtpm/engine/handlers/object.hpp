// Handlers: Part 3 §12 Object Commands (Create, Load, LoadExternal, ReadPublic, Unseal,
// ObjectChangeAuth, CreateLoaded) and §24.1 TPM2_CreatePrimary.
//
// Public-area checks (Part 2 §8.3 TPMA_OBJECT "Creation"/"Load"/"External" rules, §12.2.3
// parameter tables, Part 3 §12.1-§12.3) are shared by every command that takes a TPMT_PUBLIC;
// each failure names the inPublic parameter (TPM_RC_P + 2 everywhere here), sensitive-data
// failures name inSensitive / inPrivate (TPM_RC_P + 1). Part 3 v1.85 no longer lists the order
// of checks, so the order is: nameAlg, authPolicy, attributes, type parameters, parent
// constraints, then the sensitive data.
//
// Primary objects (CreatePrimary, CreateLoaded under a hierarchy). Every secret comes from
// one deterministic stream (object::kdf_stream, frozen):
//   S := kdf_stream(nameAlg, hierarchy seed, "Primary Object Creation",
//                   contextU = Name of inPublic as received (nameAlg || H(TPMT_PUBLIC), the
//                   unique field as sent), contextV = inSensitive.data)
// drawn in this order:
//   1. seedValue, digest-size(nameAlg) octets, for storage keys and KEYEDHASH/SYMCIPHER
//      objects (Part 1 §24.7.4; other asymmetric keys have none). In the endorsement
//      hierarchy it is then replaced by KDFa(nameAlg, shProof, "Primary Object Creation",
//      drawn seedValue, NULL, 8 * digest size), so that children of EH primaries stop loading
//      when the SPS changes while the key itself stays (Part 1 §24.7.4).
//   2. the key: RSA by crypto::rsa_generate(keyBits, exponent, S) (crypto/rsa.hpp defines the
//      prime search), ECC by crypto::ecc_generate(curve, S), KEYEDHASH: digest-size(nameAlg)
//      octets unless inSensitive.data is given, SYMCIPHER: keyBits / 8 octets unless given.
// The hierarchy seeds are nv.eps/sps/pps and, for TPM_RH_NULL, sr.null_seed (new at every
// TPM Reset). RSA primaries are cached (object::rsa_primary_cache) when the engine has a
// `primary_cache` member.
//
// Ordinary objects (Create, CreateLoaded under a storage parent) draw the same values from the
// TPM's RNG. Private areas: object::sensitive_to_private (Part 1 §19.4-§19.5); the authValue
// is padded with zeros to the nameAlg digest size in a private area (Part 1 §24.7.3).
//
// Derived objects (CreateLoaded under a Derivation Parent, a restricted decryption KEYEDHASH
// key): detail::objects::create_derived draws the sensitive value and then the seedValue from
// object::derivation_stream (Part 1 §25.4, Equation 49); ECC keys by the same extra-bits
// method as every ECC key. Create, Load and Import refuse a Derivation Parent (TPM_RC_TYPE).
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <variant>

#include "vtpm/commands/object.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/crypto/full_backend.hpp"
#include "vtpm/crypto/rsa.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/hash.hpp"
#include "vtpm/engine/object.hpp"

namespace vtpm {
namespace detail::objects {

template <class P>
inline constexpr bool supported = crypto::full_backend<typename P::crypto>;

/// Which rules of Part 2 §8.3 apply.
enum class use : std::uint8_t {
    create,         // TPM2_Create / CreatePrimary / CreateLoaded template
    load,           // TPM2_Load
    external,       // TPM2_LoadExternal with a sensitive area
    external_public // TPM2_LoadExternal of a public area only
};

[[nodiscard]] constexpr bool is_asymmetric(tpm_alg_id t) noexcept { return t == alg::rsa || t == alg::ecc; }

/// Restricted decryption key without sign: a storage key (Part 1 §25.1, Part 2 §8.3.3.13).
[[nodiscard]] inline bool storage_key(const tpmt_public& p) noexcept {
    const auto a = p.object_attributes.value;
    return (a & object_attr::restricted) && (a & object_attr::decrypt) && !(a & object_attr::sign_encrypt);
}

[[nodiscard]] inline const tpmt_sym_def_object* asym_symmetric(const tpmt_public& p) noexcept {
    if (const auto* r = p.parameters.get<alg::rsa>()) return &r->symmetric;
    if (const auto* e = p.parameters.get<alg::ecc>()) return &e->symmetric;
    return nullptr;
}

template <class Def>
[[nodiscard]] std::uint16_t key_bits_of(const Def& d) noexcept {
    std::uint16_t b = 0;
    if (d.algorithm.value == alg::null) return 0;
    d.key_bits.visit([&](const auto& m) {
        if constexpr (requires { m.value; }) b = static_cast<std::uint16_t>(m.value);
    });
    return b;
}
template <class Def>
[[nodiscard]] tpm_alg_id mode_of(const Def& d) noexcept {
    tpm_alg_id m = alg::null;
    d.mode.visit([&](const auto& x) {
        if constexpr (requires { x.value; }) m = x.value;
    });
    return m;
}
template <class A, class B>
[[nodiscard]] bool same_sym(const A& a, const B& b) noexcept {
    return a.algorithm.value == b.algorithm.value && key_bits_of(a) == key_bits_of(b) && mode_of(a) == mode_of(b);
}

/// The TPMT_SYM_DEF_OBJECT of a storage key: a supported cipher, key size and mode; of any
/// other asymmetric key: TPM_ALG_NULL (Part 2 Tables 228/229). TPM_RC_SYMMETRIC otherwise.
template <class P>
rc check_asym_symmetric(engine<P>& e, const tpmt_public& p) {
    const auto* s = asym_symmetric(p);
    if (!s) return rc::success;
    if (!storage_key(p)) return s->algorithm.value == alg::null ? rc::success : rc::symmetric;
    if (s->algorithm.value == alg::null || mode_of(*s) == alg::null) return rc::symmetric;
    if (!e.crypto.sym_supported(s->algorithm.value, key_bits_of(*s))) return rc::symmetric;
    return rc::success;
}

/// The scheme rules of Part 2 Tables 228/229 (RSA, ECC) and Part 3 §12.1 (KEYEDHASH).
[[nodiscard]] inline rc check_scheme(const tpmt_public& p) noexcept {
    const auto a = p.object_attributes.value;
    const bool sign = a & object_attr::sign_encrypt, dec = a & object_attr::decrypt, res = a & object_attr::restricted;
    auto one_of = [](tpm_alg_id s, std::initializer_list<tpm_alg_id> l) { return std::find(l.begin(), l.end(), s) != l.end(); };
    switch (p.type.value) {
    case alg::keyedhash: {
        const auto s = p.parameters.get<alg::keyedhash>()->scheme.scheme.value;
        if (sign == dec) return s == alg::null ? rc::success : rc::scheme; // sealed data, or both
        if (sign) return (s == alg::hmac || (s == alg::null && !res)) ? rc::success : rc::scheme;
        return (s == alg::xor_ || s == alg::null) ? rc::success : rc::scheme;
    }
    case alg::rsa: {
        const auto s = p.parameters.get<alg::rsa>()->scheme.scheme.value;
        if ((res && dec) || (sign && dec)) return s == alg::null ? rc::success : rc::scheme;
        if (sign) return (one_of(s, {alg::rsassa, alg::rsapss}) || (s == alg::null && !res)) ? rc::success : rc::scheme;
        return one_of(s, {alg::rsaes, alg::oaep, alg::null}) ? rc::success : rc::scheme;
    }
    case alg::ecc: {
        const auto s = p.parameters.get<alg::ecc>()->scheme.scheme.value;
        if ((res && dec) || (sign && dec)) return s == alg::null ? rc::success : rc::scheme;
        if (sign)
            return (one_of(s, {alg::ecdsa, alg::ecdaa, alg::sm2, alg::ecschnorr}) || (s == alg::null && !res))
                       ? rc::success : rc::scheme;
        return one_of(s, {alg::ecdh, alg::ecmqv, alg::sm2, alg::null}) ? rc::success : rc::scheme;
    }
    default: return rc::success;
    }
}

/// Checks of a public area (see the header comment for the order). `parent` is the storage
/// parent for create/load of an ordinary object, null for a primary object (whose parent, a
/// hierarchy, counts as fixedTPM, fixedParent, restricted and decrypt SET, Part 3 §24.1) and
/// for LoadExternal. Returns the bare code; the caller adds the parameter number.
template <class P>
rc check_public(engine<P>& e, const tpmt_public& p, use u, const loaded_object* parent) {
    const tpm_alg_id name_alg = p.name_alg.value;
    // nameAlg: TPM_ALG_NULL only for LoadExternal (Part 1 §24.2.3).
    if (name_alg == alg::null && (u == use::create || u == use::load)) return rc::hash;
    // authPolicy: the Empty Buffer or a digest of nameAlg (Part 3 §12.3.1).
    if (p.auth_policy.size != 0 && p.auth_policy.size != hash_digest_size(name_alg)) return rc::size;

    // --- TPMA_OBJECT (Part 2 §8.3.3) ---------------------------------------------------
    const auto a = p.object_attributes.value;
    auto has = [&](std::uint32_t b) { return (a & b) != 0; };
    const bool sign = has(object_attr::sign_encrypt), dec = has(object_attr::decrypt), res = has(object_attr::restricted);
    const tpm_alg_id type = p.type.value;
    // Part 3 §12.1/§12.2: anything but a KEYEDHASH object needs sign or decrypt.
    if (type != alg::keyedhash && !sign && !dec) return rc::attributes;
    if (res && !sign && !dec) return rc::attributes;                          // §8.3.3.12
    if (res && sign && dec) return rc::attributes;                            // §8.3.3.14
    if (has(object_attr::x509sign) && (!sign || !is_asymmetric(type))) return rc::attributes; // §8.3.3.15
    if (has(object_attr::fixed_tpm) && !has(object_attr::fixed_parent)) return rc::attributes; // §8.3.3.2
    if (u != use::external_public && u != use::external && has(object_attr::fixed_tpm) &&
        has(object_attr::encrypted_duplication))
        return rc::attributes; // §8.3.3.11
    switch (u) {
    case use::create:
    case use::load: {
        const bool parent_fixed_tpm = !parent || parent->has(object_attr::fixed_tpm);
        if (parent_fixed_tpm) {
            if (has(object_attr::fixed_tpm) != has(object_attr::fixed_parent)) return rc::attributes;
        } else {
            if (has(object_attr::fixed_tpm)) return rc::attributes;
            if (has(object_attr::encrypted_duplication) != parent->has(object_attr::encrypted_duplication))
                return rc::attributes;
        }
        // No firmware-limited or SVN-limited hierarchy exists here (§8.3.3.8-§8.3.3.9).
        if (u == use::create && (has(object_attr::firmware_limited) || has(object_attr::svn_limited)))
            return rc::attributes;
        break;
    }
    case use::external:
        // A loaded sensitive area cannot be fixedTPM, fixedParent or restricted (Part 3 §12.3).
        if (has(object_attr::fixed_tpm) || has(object_attr::fixed_parent) || res) return rc::attributes;
        if (has(object_attr::firmware_limited) || has(object_attr::svn_limited)) return rc::attributes;
        break;
    case use::external_public: break;
    }

    // --- type parameters (Part 2 §12.2.3) ----------------------------------------------
    switch (type) {
    case alg::rsa: {
        const auto& r = *p.parameters.get<alg::rsa>();
        if (rc x = check_asym_symmetric(e, p); !x.ok()) return x;
        if (rc x = check_scheme(p); !x.ok()) return x;
        if (!e.crypto.rsa_supported(r.key_bits.value)) return rc::key_size;
        if (!crypto::rsa_exponent_valid(r.exponent)) return rc::value;
        break;
    }
    case alg::ecc: {
        const auto& c = *p.parameters.get<alg::ecc>();
        if (!P::profile.has_curve(c.curve_id.value) || !e.crypto.curve_supported(c.curve_id.value)) return rc::curve;
        if (rc x = check_asym_symmetric(e, p); !x.ok()) return x;
        if (rc x = check_scheme(p); !x.ok()) return x;
        // No curve mandates a KDF, and no command lets the caller pick one (Part 3 §12.1).
        if (c.kdf.scheme.value != alg::null) return rc::kdf;
        break;
    }
    case alg::symcipher: {
        const auto& s = p.parameters.get<alg::symcipher>()->sym;
        // Any mode, TPM_ALG_NULL included: as a parent it protects children with CFB anyway
        // (Part 3 §12.1), and tpm2-tools' SYMCIPHER templates leave it NULL.
        if (!e.crypto.sym_supported(s.algorithm.value, key_bits_of(s))) return rc::symmetric;
        break;
    }
    case alg::keyedhash:
        if (rc x = check_scheme(p); !x.ok()) return x;
        break;
    default: return rc::type;
    }

    // --- parent constraints (Part 3 §12.1) ---------------------------------------------
    // A fixedParent storage key uses its parent's nameAlg and symmetric definition.
    // (A KEYEDHASH storage key, a Derivation Parent, has no symmetric definition to compare.)
    if (u == use::create && parent && storage_key(p) && has(object_attr::fixed_parent)) {
        if (name_alg != parent->pub.name_alg.value) return rc::hash;
        if (type == alg::keyedhash || parent->pub.type.value == alg::keyedhash) return rc::success;
        const auto* mine = asym_symmetric(p);
        const auto* theirs = parent->symmetric();
        const auto* my_sc = p.parameters.get<alg::symcipher>();
        const auto* their_sc = parent->pub.parameters.get<alg::symcipher>();
        bool same = false;
        if (mine && theirs) same = same_sym(*mine, *theirs);
        else if (mine && their_sc) same = same_sym(*mine, their_sc->sym);
        else if (my_sc && theirs) same = same_sym(my_sc->sym, *theirs);
        else if (my_sc && their_sc) same = same_sym(my_sc->sym, their_sc->sym);
        if (!same) return rc::symmetric;
    }
    return rc::success;
}

/// The HMAC key limit of Part 1 §24.7.5.1: the smaller of the hash block size and 128.
[[nodiscard]] constexpr std::size_t hash_block_size(tpm_alg_id h) noexcept {
    switch (h) {
    case alg::sha384: case alg::sha512: return 128;
    case alg::sha3_256: return 136;
    case alg::sha3_384: return 104;
    case alg::sha3_512: return 72;
    default: return 64;
    }
}

/// Checks of inSensitive against the template (Part 3 §12.1, Part 1 §24.3, Part 2 §8.3.3.5),
/// with their parameter numbers. `primary`: CreatePrimary / CreateLoaded under a hierarchy.
inline rc check_sensitive_create(const tpmt_public& p, const tpms_sensitive_create& s, bool primary) noexcept {
    const tpm_alg_id name_alg = p.name_alg.value;
    const auto a = p.object_attributes.value;
    if (s.user_auth.size > hash_digest_size(name_alg)) return rc::size.for_param(1); // Part 1 §24.3.2
    const bool origin = a & object_attr::sensitive_data_origin;
    if (origin != s.data.empty()) return rc::attributes.for_param(2);               // Part 2 §8.3.3.5
    const bool sign = a & object_attr::sign_encrypt, dec = a & object_attr::decrypt;
    switch (p.type.value) {
    case alg::keyedhash:
        // A sealed data object holds caller data (Part 3 §12.1 KEYEDHASH rule 1).
        if (!sign && !dec && s.data.empty()) return rc::attributes.for_param(2);
        if (sign) {
            const auto* sc = p.parameters.get<alg::keyedhash>();
            const auto* h = sc ? sc->scheme.details.get<alg::hmac>() : nullptr;
            const auto limit = std::min<std::size_t>(128, hash_block_size(h ? h->hash_alg.value : name_alg));
            if (s.data.size > limit) return rc::size.for_param(1);
        }
        break;
    case alg::symcipher: {
        const auto& d = p.parameters.get<alg::symcipher>()->sym;
        if (s.data.size > (key_bits_of(d) + 7u) / 8u) return rc::size.for_param(1);
        break;
    }
    default: // asymmetric: no caller key material, except to personalise a primary key
        if (!primary && !s.data.empty()) return rc::value.for_param(1);
        break;
    }
    return rc::success;
}

/// Checks of a loaded sensitive area against its public area (Load, LoadExternal, Import;
/// Part 3 §12.2.1, §12.3.1): sizes (TPM_RC_KEY_SIZE), the public key (TPM_RC_ECC_POINT) and
/// the binding of the two halves (TPM_RC_BINDING). `asymmetric_pair` = false skips the
/// public-key arithmetic of an RSA or ECC pair (the modulus / point checks and the
/// recomputation from the private part): TPM2_Load does so under a fixedTPM parent, whose
/// children's private areas only this TPM can have made (Create, CreateLoaded,
/// ObjectChangeAuth of a loaded object, or Import, which checks the pair), so the private
/// area's integrity value already proves the binding.
template <class P>
rc check_sensitive_loaded(engine<P>& e, const tpmt_public& p, const tpmt_sensitive& s, bool asymmetric_pair = true) {
    const tpm_alg_id name_alg = p.name_alg.value;
    const auto ds = hash_digest_size(name_alg);
    if (s.sensitive_type.value != p.type.value) return rc::type.for_param(2);
    if (name_alg != alg::null && s.auth_value.size > ds) return rc::size.for_param(1);
    if (name_alg != alg::null && storage_key(p) && (s.seed_value.size < ds / 2 || s.seed_value.size > ds))
        return rc::key_size.for_param(1); // Part 1 §24.7.4
    switch (p.type.value) {
    case alg::rsa: {
        const auto& r = *p.parameters.get<alg::rsa>();
        const auto* prime = s.sensitive.get<alg::rsa>();
        const auto* n = p.unique.get<alg::rsa>();
        if (!n || n->size != r.key_bits.value / 8) return rc::key_size.for_param(2);
        if (!prime || prime->size != r.key_bits.value / 16) return rc::key_size.for_param(1);
        if (!asymmetric_pair) break;
        const rc x = e.crypto.rsa_check_private(crypto::rsa_private_key{n->view(), r.exponent, prime->view()});
        if (x == rc::failure) return rc::failure;
        if (!x.ok()) return rc::binding.for_param(2);
        break;
    }
    case alg::ecc: {
        const auto curve = p.parameters.get<alg::ecc>()->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        const auto* d = s.sensitive.get<alg::ecc>();
        const auto* q = p.unique.get<alg::ecc>();
        if (!info || !q) return rc::curve.for_param(2);
        if (!d || d->size == 0 || d->size > info->order_bytes) return rc::key_size.for_param(1);
        if (!asymmetric_pair) break;
        if (!e.crypto.ecc_point_valid(curve, crypto::ecc_point_view{q->x.view(), q->y.view()}))
            return rc::ecc_point.for_param(2);
        std::array<std::uint8_t, crypto::max_ecc_bytes> x{}, y{};
        const rc g = e.crypto.ecc_public(curve, d->view(), crypto::ecc_point_out{byte_span{x.data(), info->bytes},
                                                                                 byte_span{y.data(), info->bytes}});
        if (g == rc::failure) return rc::failure;
        auto same = [&](byte_view want, const tpm2b_ecc_parameter& got) {
            if (got.size > info->bytes) return false;
            const auto pad = info->bytes - got.size;
            return std::all_of(want.begin(), want.begin() + pad, [](auto b) { return b == 0; }) &&
                   std::equal(got.buffer.begin(), got.buffer.begin() + got.size, want.begin() + pad);
        };
        if (!g.ok() || !same(byte_view{x.data(), info->bytes}, q->x) || !same(byte_view{y.data(), info->bytes}, q->y))
            return rc::binding.for_param(2);
        break;
    }
    case alg::symcipher:
    case alg::keyedhash: {
        byte_view key;
        if (p.type.value == alg::symcipher) {
            const auto* k = s.sensitive.get<alg::symcipher>();
            const auto bits = key_bits_of(p.parameters.get<alg::symcipher>()->sym);
            if (!k || k->size != (bits + 7u) / 8u) return rc::key_size.for_param(1);
            key = k->view();
        } else {
            const auto* k = s.sensitive.get<alg::keyedhash>();
            if (k) key = k->view();
        }
        if (name_alg == alg::null) break; // nothing to bind with (Part 3 §12.3.1)
        const auto* u = p.unique.get<alg::symcipher>();
        if (!u) u = p.unique.get<alg::keyedhash>();
        const auto want = object::symmetric_unique(e.crypto, name_alg, s.seed_value.view(), key);
        if (!u || !(*u == want)) return rc::binding.for_param(2);
        break;
    }
    default: return rc::type.for_param(2);
    }
    return rc::success;
}

/// A public area loaded without its sensitive area (Part 3 §12.3): the public key is usable.
template <class P>
rc check_public_key(engine<P>& e, const tpmt_public& p) {
    if (p.type.value == alg::rsa) {
        const auto* n = p.unique.get<alg::rsa>();
        if (!n || n->size != p.parameters.get<alg::rsa>()->key_bits.value / 8) return rc::key_size.for_param(2);
    } else if (p.type.value == alg::ecc) {
        const auto* q = p.unique.get<alg::ecc>();
        if (!q || !e.crypto.ecc_point_valid(p.parameters.get<alg::ecc>()->curve_id.value,
                                            crypto::ecc_point_view{q->x.view(), q->y.view()}))
            return rc::ecc_point.for_param(2);
    }
    return rc::success;
}

/// The Primary Seed behind a hierarchy handle (TPM_RH_NULL: the null seed).
template <class P>
[[nodiscard]] byte_view primary_seed(engine<P>& e, tpm_handle h) noexcept {
    switch (h) {
    case rh::owner: return e.nv.sps;
    case rh::endorsement: return e.nv.eps;
    case rh::platform: return e.nv.pps;
    default: return e.sr.null_seed;
    }
}

/// What makes a new object primary: its seed stream and the key of its RSA cache entry.
struct primary_source {
    tpm_handle hierarchy = rh::null;
    byte_view seed;
    tpm2b_name template_name;
};

/// Create the sensitive area and unique field of a new object from `tmpl` (Part 1 §24.5-
/// §24.7). rnd(span) fills a span: the RNG for ordinary objects, the primary stream else.
template <class P, class Rnd>
rc generate(engine<P>& e, loaded_object& o, const tpmt_public& tmpl, const tpms_sensitive_create& in, Rnd& rnd,
            const primary_source* primary, bool derived = false) {
    const tpm_alg_id name_alg = tmpl.name_alg.value;
    const auto ds = hash_digest_size(name_alg);
    o.pub = tmpl;
    o.sens = tpmt_sensitive{};
    o.sens.sensitive_type.value = tmpl.type.value;
    (void)o.sens.auth_value.assign(in.user_auth.view());
    o.has_sensitive = true;
    const tpm_alg_id type = tmpl.type.value;
    const bool has_seed = !is_asymmetric(type) || storage_key(tmpl);
    // A Derived Object takes its sensitive value first and its seedValue next (Part 1
    // §25.4.1); caller data is never key material for it (the data are label and context).
    const bool caller_key = !derived && !in.data.empty();
    if (has_seed && !derived) {
        rnd(o.sens.seed_value.resize(ds));
        if (primary && primary->hierarchy == rh::endorsement) {
            std::array<std::uint8_t, limits::max_digest> drawn{};
            std::memcpy(drawn.data(), o.sens.seed_value.buffer.data(), ds);
            const rc r = crypto::kdfa(e.crypto, name_alg, e.nv.sh_proof, object::primary_label, byte_view{drawn.data(), ds},
                                      {}, static_cast<std::uint32_t>(8 * ds), o.sens.seed_value.span());
            secure_zero(drawn.data(), drawn.size());
            if (!r.ok()) return rc::failure;
        }
    }
    switch (type) {
    case alg::rsa: {
        const auto& r = *tmpl.parameters.get<alg::rsa>();
        const std::size_t bits = r.key_bits.value;
        auto& n = o.pub.unique.emplace<alg::rsa>();
        auto& prime = o.sens.sensitive.emplace<alg::rsa>();
        const auto n_out = n.resize(bits / 8);
        const auto p_out = prime.resize(bits / 16);
        tpm2b_digest cache_key;
        bool cached = false;
        if constexpr (requires { e.primary_cache; }) {
            if (primary) {
                cache_key = object::rsa_primary_cache::key_of(e.crypto, name_alg, primary->seed,
                                                              primary->template_name.view(), in.data.view(),
                                                              r.key_bits.value, r.exponent);
                cached = e.primary_cache.find(cache_key, n_out, p_out);
            }
        }
        if (!cached) {
            const rc g = e.crypto.rsa_generate(bits, r.exponent, [&](byte_span b) { rnd(b); }, n_out, p_out);
            if (g == rc::key_size || g == rc::value) return g.for_param(2);
            if (!g.ok()) return rc::failure;
            if constexpr (requires { e.primary_cache; }) {
                if (primary) e.primary_cache.insert(cache_key, n_out, p_out);
            }
        }
        break;
    }
    case alg::ecc: {
        const auto curve = tmpl.parameters.get<alg::ecc>()->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info) return rc::curve.for_param(2);
        auto& q = o.pub.unique.emplace<alg::ecc>();
        auto& d = o.sens.sensitive.emplace<alg::ecc>();
        const crypto::random_source src = [&](byte_span b) { rnd(b); };
        const rc g = e.crypto.ecc_generate(curve, src, d.resize(info->order_bytes),
                                           crypto::ecc_point_out{q.x.resize(info->bytes), q.y.resize(info->bytes)});
        if (g == rc::curve) return g.for_param(2);
        if (!g.ok()) return rc::failure;
        break;
    }
    case alg::keyedhash: {
        auto& k = o.sens.sensitive.emplace<alg::keyedhash>();
        if (caller_key) (void)k.assign(in.data.view());
        else rnd(k.resize(ds));
        break;
    }
    case alg::symcipher: {
        auto& k = o.sens.sensitive.emplace<alg::symcipher>();
        const std::size_t kb = (key_bits_of(tmpl.parameters.get<alg::symcipher>()->sym) + 7u) / 8u;
        auto key = k.resize(kb);
        if (caller_key) { // zero octets at the high-order end (Part 1 §24.7.5.1)
            std::fill(key.begin(), key.end(), std::uint8_t{0});
            std::memcpy(key.data() + kb - in.data.size, in.data.buffer.data(), in.data.size);
        } else {
            rnd(key);
        }
        break;
    }
    default: return rc::type.for_param(2);
    }
    if (has_seed && derived) rnd(o.sens.seed_value.resize(ds));
    if (const auto* k = o.sens.sensitive.get<alg::keyedhash>())
        o.pub.unique.emplace<alg::keyedhash>() = object::symmetric_unique(e.crypto, name_alg, o.sens.seed_value.view(), k->view());
    else if (const auto* k = o.sens.sensitive.get<alg::symcipher>())
        o.pub.unique.emplace<alg::symcipher>() = object::symmetric_unique(e.crypto, name_alg, o.sens.seed_value.view(), k->view());
    o.name = object::compute_name(e.crypto, o.pub);
    o.st_clear = o.has(object_attr::st_clear);
    return rc::success;
}

/// TPMA_LOCALITY of a locality (Part 2 §8.5): bit n for localities 0-4, the value itself above.
[[nodiscard]] constexpr std::uint8_t locality_attr(std::uint8_t loc) noexcept {
    return loc < 5 ? static_cast<std::uint8_t>(1u << loc) : loc;
}

/// Creation data, its hash and ticket (Part 1 §24.8; Part 2 §10.6.3 Equation 4, §15.1).
template <class P>
void creation_outputs(engine<P>& e, const command_context& c, const loaded_object& o, tpm_alg_id parent_name_alg,
                      const tpm2b_name& parent_name, const tpm2b_name& parent_qn, const tpm2b_data& outside,
                      const tpml_pcr_selection& pcrs, tpm2b_creation_data& cd, tpm2b_digest& hash,
                      tpmt_tk_creation& ticket) {
    const tpm_alg_id name_alg = o.pub.name_alg.value;
    auto& d = cd.value;
    // The selection, without banks that are not allocated and PCRs that do not exist.
    d.pcr_select.count = 0;
    for (const auto& sel : pcrs.view()) {
        if (!e.bank(sel.hash.value)) continue;
        auto s = sel;
        for (std::size_t j = 0; j < s.pcr_select.size(); ++j) {
            const std::size_t first = 8 * j; // PCR of bit 0 of octet j
            if (first + 8 <= e.pcr_count) continue;
            const unsigned keep = first >= e.pcr_count ? 0u : (1u << (e.pcr_count - first)) - 1u;
            s.pcr_select[j] &= static_cast<std::uint8_t>(keep);
        }
        (void)d.pcr_select.push_back(s);
    }
    {
        auto st = e.crypto.hash_start(name_alg);
        for (const auto& sel : d.pcr_select.view()) {
            const auto* b = e.bank(sel.hash.value);
            const auto n = hash_digest_size(b->alg);
            for (unsigned i = 0; i < e.pcr_count; ++i)
                if (sel.selected(i)) st.update(byte_view{b->values[i].data(), n});
        }
        st.finish(d.pcr_digest.resize(hash_digest_size(name_alg)));
    }
    d.locality = locality_attr(c.locality);
    d.parent_name_alg = parent_name_alg;
    d.parent_name = parent_name;
    d.parent_qualified_name = parent_qn;
    d.outside_info = outside;
    std::array<std::uint8_t, 1024> buf{};
    writer w{buf};
    vtpm::marshal(w, d);
    e.crypto.hash(name_alg, w.written(), hash.resize(hash_digest_size(name_alg)));
    // ticket := HMAC_contextAlg(proof, TPM_ST_CREATION || Name || creationHash)
    constexpr tpm_alg_id ha = detail::context_integrity_hash<P>();
    ticket.tag = st::creation;
    ticket.hierarchy.value = o.hierarchy;
    std::array<std::uint8_t, 2> tag{};
    store_be16(tag.data(), st::creation);
    auto st = e.crypto.hmac_start(ha, e.proof(o.hierarchy));
    st.update(tag);
    st.update(o.name.view());
    st.update(hash.view());
    st.finish(ticket.digest.resize(hash_digest_size(ha)));
}

/// The private area of `o` under `parent`, with the authValue padded (Part 1 §24.7.3).
template <class P>
rc make_private(engine<P>& e, const object::protection& prot, const loaded_object& o, byte_view auth,
                tpm2b_private& out) {
    tpmt_sensitive s = o.sens;
    const auto ds = hash_digest_size(o.pub.name_alg.value);
    auto padded = s.auth_value.resize(ds);
    std::fill(padded.begin(), padded.end(), std::uint8_t{0});
    if (!auth.empty()) std::memcpy(padded.data(), auth.data(), std::min(auth.size(), ds));
    const rc r = object::sensitive_to_private(e.crypto, prot, o.name.view(), s, out);
    secure_zero(&s, sizeof s);
    return r;
}

/// Put `o` into the free slot `slot` and return its handle.
template <class P>
tpm_handle install(engine<P>& e, std::size_t slot, loaded_object&& o) {
    e.objects[slot] = std::move(o);
    return engine<P>::object_handle(slot);
}

template <class P>
rc fail(engine<P>& e, rc r) noexcept {
    if (r == rc::failure) e.enter_failure_mode(0x0B1E);
    return r;
}

/// The loaded storage parent of a command's parent handle, or TPM_RC_TYPE + H1 (an object
/// that is not a storage parent cannot have children; a sequence object is no key at all).
template <class P>
[[nodiscard]] std::optional<object::protection> storage_parent(engine<P>& e, tpm_handle h, const loaded_object*& parent) {
    parent = e.object_at(h);
    if (!parent) return std::nullopt;
    return object::parent_protection(*parent);
}

/// CreatePrimary and CreateLoaded under a hierarchy: the new object, loaded into `slot`.
template <class P>
rc create_primary_object(engine<P>& e, tpm_handle hierarchy, const tpmt_public& tmpl, const tpms_sensitive_create& in,
                         loaded_object& o) {
    primary_source src;
    src.hierarchy = hierarchy;
    src.seed = primary_seed(e, hierarchy);
    src.template_name = object::compute_name(e.crypto, tmpl);
    object::kdf_stream<typename P::crypto> stream(e.crypto, tmpl.name_alg.value, src.seed, object::primary_label,
                                                  src.template_name.view(), in.data.view());
    rc r = generate(e, o, tmpl, in, stream, &src);
    if (!r.ok()) return r;
    o.hierarchy = hierarchy;
    o.primary = true;
    o.qualified_name = object::compute_qualified_name(e.crypto, tmpl.name_alg.value, object::handle_name(hierarchy).view(),
                                                      o.name.view());
    return rc::success;
}

/// Create and CreateLoaded under a storage parent: a new ordinary object.
template <class P>
rc create_ordinary_object(engine<P>& e, const loaded_object& parent, const tpmt_public& tmpl,
                          const tpms_sensitive_create& in, loaded_object& o) {
    auto rnd = [&](byte_span b) { e.crypto.random(b); };
    rc r = generate(e, o, tmpl, in, rnd, nullptr);
    if (!r.ok()) return r;
    o.hierarchy = parent.hierarchy;
    o.st_clear = o.st_clear || parent.st_clear;
    o.qualified_name = object::compute_qualified_name(e.crypto, tmpl.name_alg.value, parent.qualified_name.view(),
                                                      o.name.view());
    return rc::success;
}

/// A Derivation Parent: a KEYEDHASH object with restricted and decrypt SET and sign CLEAR
/// (Part 1 §23.2 Table 33), loaded with its sensitive area.
[[nodiscard]] inline bool derivation_parent(const loaded_object& o) noexcept {
    return o.pub.type.value == alg::keyedhash && o.has_sensitive && storage_key(o.pub);
}

/// CreateLoaded under a Derivation Parent (Part 1 §25, Part 3 §12.9): the template's unique
/// field is a TPMS_DERIVE; label and context come from it, a field it leaves empty from the
/// TPMS_DERIVE in inSensitive.data (Part 2 §11.1.11). The sensitive value and then the
/// seedValue are drawn from object::derivation_stream keyed with the parent's sensitive value,
/// with the hash of the parent's XOR scheme (its nameAlg if the scheme is TPM_ALG_NULL). RSA
/// keys are not derived (TPM_RC_TYPE); sensitiveDataOrigin must be CLEAR. No private area
/// is returned: a Derived Object is derived again, never loaded (Part 3 §12.9.1).
template <class P>
rc create_derived(engine<P>& e, const loaded_object& parent, const tpm2b_template& in_public,
                  const tpms_sensitive_create& sens, loaded_object& o) {
    tpmt_public_derive t;
    if (in_public.size == 0) return rc::size.for_param(2);
    if (rc r = unmarshal_exact(in_public.view(), t, &e.uctx); !r.ok())
        return (r == rc::insufficient ? rc::size : r).for_param(2);
    tpmt_public tmpl;
    tmpl.type = t.type;
    tmpl.name_alg = t.name_alg;
    tmpl.object_attributes = t.object_attributes;
    tmpl.auth_policy = t.auth_policy;
    tmpl.parameters = t.parameters;
    switch (t.type.value) {
    case alg::ecc: tmpl.unique.emplace<alg::ecc>(); break;
    case alg::keyedhash: tmpl.unique.emplace<alg::keyedhash>(); break;
    case alg::symcipher: tmpl.unique.emplace<alg::symcipher>(); break;
    default: return rc::type.for_param(2); // RSA keys are never derived (Part 1 §25.5)
    }
    if (rc r = check_public(e, tmpl, use::create, &parent); !r.ok()) return r.for_param(2);
    if (tmpl.object_attributes.value & object_attr::sensitive_data_origin) return rc::attributes.for_param(2);
    if (sens.user_auth.size > hash_digest_size(tmpl.name_alg.value)) return rc::size.for_param(1);
    tpms_derive lc = t.unique;
    if ((lc.label.size == 0 || lc.context.size == 0) && !sens.data.empty()) {
        tpms_derive from_sensitive;
        if (rc r = unmarshal_exact(sens.data.view(), from_sensitive); !r.ok()) return rc::size.for_param(1);
        if (lc.label.size == 0) lc.label = from_sensitive.label;
        if (lc.context.size == 0) lc.context = from_sensitive.context;
    }
    tpm_alg_id hash = parent.pub.name_alg.value;
    if (const auto* x = parent.pub.parameters.get<alg::keyedhash>()->scheme.details.get<alg::xor_>()) {
        hash = x->hash_alg.value;
        if (x->kdf.value != alg::kdf1_sp800_108) return rc::kdf.for_handle(1);
    }
    const auto* key = parent.sens.sensitive.get<alg::keyedhash>();
    if (!key) return rc::type.for_handle(1);
    object::derivation_stream<typename P::crypto> stream(e.crypto, hash, key->view(), lc.label.view(), lc.context.view());
    tpms_sensitive_create auth_only;
    auth_only.user_auth = sens.user_auth;
    rc r = generate(e, o, tmpl, auth_only, stream, nullptr, true);
    secure_zero(&auth_only, sizeof auth_only);
    if (!r.ok()) return r;
    if (stream.exhausted()) return rc::failure;
    o.hierarchy = parent.hierarchy;
    o.st_clear = o.st_clear || parent.st_clear;
    o.qualified_name = object::compute_qualified_name(e.crypto, tmpl.name_alg.value, parent.qualified_name.view(),
                                                      o.name.view());
    return rc::success;
}

} // namespace detail::objects

namespace cmd {

/// TPM2_CreatePrimary (Part 3 §24.1): a Primary Object under a hierarchy seed, or a
/// Temporary Object under TPM_RH_NULL, loaded at once.
template <class P>
rc handle(engine<P>& e, create_primary, command_context& c, const create_primary::request& in,
          create_primary::response& out) {
    namespace d = detail::objects;
    if constexpr (!d::supported<P>) {
        return rc::command_code;
    } else {
        const tpm_handle h = c.handles[0];
        const auto& tmpl = in.in_public.value;
        const auto& sens = in.in_sensitive.value;
        if (rc r = d::check_public(e, tmpl, d::use::create, nullptr); !r.ok()) return r.for_param(2);
        if (rc r = d::check_sensitive_create(tmpl, sens, true); !r.ok()) return r;
        const auto slot = e.free_object_slot();
        if (!slot) return rc::object_memory; // Part 1 §24.9
        loaded_object o;
        if (rc r = d::create_primary_object(e, h, tmpl, sens, o); !r.ok()) return d::fail(e, r);
        const auto hn = object::handle_name(h);
        d::creation_outputs(e, c, o, alg::null, hn, hn, in.outside_info, in.creation_pcr, out.creation_data,
                            out.creation_hash, out.creation_ticket);
        out.out_public.value = o.pub;
        out.name = o.name;
        c.response_handle = d::install(e, *slot, std::move(o));
        return rc::success;
    }
}

/// TPM2_Create (Part 3 §12.1): an ordinary object under a storage parent, returned as a
/// public area and a private area (not loaded).
template <class P>
rc handle(engine<P>& e, create, command_context& c, const create::request& in, create::response& out) {
    namespace d = detail::objects;
    if constexpr (!d::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* parent = nullptr;
        const auto prot = d::storage_parent(e, c.handles[0], parent);
        if (!prot) return rc::type.for_handle(1);
        const auto& tmpl = in.in_public.value;
        const auto& sens = in.in_sensitive.value;
        if (rc r = d::check_public(e, tmpl, d::use::create, parent); !r.ok()) return r.for_param(2);
        if (rc r = d::check_sensitive_create(tmpl, sens, false); !r.ok()) return r;
        loaded_object o;
        if (rc r = d::create_ordinary_object(e, *parent, tmpl, sens, o); !r.ok()) return d::fail(e, r);
        if (rc r = d::make_private(e, *prot, o, sens.user_auth.view(), out.out_private); !r.ok()) return d::fail(e, r);
        d::creation_outputs(e, c, o, parent->pub.name_alg.value, parent->name, parent->qualified_name, in.outside_info,
                            in.creation_pcr, out.creation_data, out.creation_hash, out.creation_ticket);
        out.out_public.value = o.pub;
        return rc::success;
    }
}

/// TPM2_Load (Part 3 §12.2): a public and private area under a storage parent.
template <class P>
rc handle(engine<P>& e, load, command_context& c, const load::request& in, load::response& out) {
    namespace d = detail::objects;
    if constexpr (!d::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* parent = nullptr;
        const auto prot = d::storage_parent(e, c.handles[0], parent);
        if (!prot) return rc::type.for_handle(1);
        if (in.in_private.size == 0) return rc::size.for_param(1);
        const auto& pub = in.in_public.value;
        if (rc r = d::check_public(e, pub, d::use::load, parent); !r.ok()) return r.for_param(2);
        const auto slot = e.free_object_slot();
        if (!slot) return rc::object_memory;
        loaded_object o;
        o.pub = pub;
        o.name = object::compute_name(e.crypto, pub);
        // Integrity before decryption and unmarshalling (Part 3 §12.2.1).
        rc r = object::private_to_sensitive(e.crypto, *prot, o.name.view(), in.in_private.view(), o.sens, &e.uctx);
        if (r == rc::integrity) return r.for_param(1);
        if (!r.ok()) return d::fail(e, r);
        if (rc x = d::check_sensitive_loaded(e, pub, o.sens, !parent->has(object_attr::fixed_tpm)); !x.ok())
            return d::fail(e, x);
        o.has_sensitive = true;
        o.hierarchy = parent->hierarchy;
        o.st_clear = o.has(object_attr::st_clear) || parent->st_clear;
        o.qualified_name = object::compute_qualified_name(e.crypto, pub.name_alg.value, parent->qualified_name.view(),
                                                          o.name.view());
        out.name = o.name;
        c.response_handle = d::install(e, *slot, std::move(o));
        return rc::success;
    }
}

/// TPM2_LoadExternal (Part 3 §12.3): a public area, or a public and sensitive area in the
/// clear (then only under TPM_RH_NULL). With nameAlg TPM_ALG_NULL the Name is the Empty
/// Buffer; the Qualified Name of an external object is its Name.
template <class P>
rc handle(engine<P>& e, load_external, command_context& c, const load_external::request& in,
          load_external::response& out) {
    namespace d = detail::objects;
    if constexpr (!d::supported<P>) {
        return rc::command_code;
    } else {
        const tpm_handle h = in.hierarchy.value;
        const bool with_private = in.in_private.size != 0;
        if (!e.hierarchy_enabled(h)) return rc::hierarchy.for_param(3);
        if (with_private && h != rh::null) return rc::hierarchy.for_param(3);
        const auto& pub = in.in_public.value;
        if (rc r = d::check_public(e, pub, with_private ? d::use::external : d::use::external_public, nullptr); !r.ok())
            return r.for_param(2);
        const auto slot = e.free_object_slot();
        if (!slot) return rc::object_memory;
        loaded_object o;
        o.pub = pub;
        if (with_private) {
            o.sens = in.in_private.value;
            if (rc x = d::check_sensitive_loaded(e, pub, o.sens); !x.ok()) return d::fail(e, x);
        } else {
            if (rc x = d::check_public_key(e, pub); !x.ok()) return x;
            o.sens.sensitive_type.value = pub.type.value;
        }
        o.has_sensitive = with_private;
        if (pub.name_alg.value != alg::null) o.name = object::compute_name(e.crypto, pub);
        o.qualified_name = o.name;
        o.hierarchy = h;
        o.st_clear = o.has(object_attr::st_clear);
        out.name = o.name;
        c.response_handle = d::install(e, *slot, std::move(o));
        return rc::success;
    }
}

/// TPM2_ReadPublic (Part 3 §12.4)
template <class P>
rc handle(engine<P>& e, read_public, command_context& c, const no_params&, read_public::response& out) {
    const loaded_object* o = e.object_at(c.handles[0]);
    if (!o) return rc::sequence; // the handle names a sequence object
    out.out_public.value = o->pub;
    out.name = o->name;
    out.qualified_name = o->qualified_name;
    return rc::success;
}

/// TPM2_Unseal (Part 3 §12.7): the data of a sealed data object.
template <class P>
rc handle(engine<P>& e, unseal, command_context& c, const no_params&, unseal::response& out) {
    const loaded_object* o = e.object_at(c.handles[0]);
    if (!o || o->pub.type.value != alg::keyedhash) return rc::type.for_handle(1);
    if (o->attrs() & (object_attr::restricted | object_attr::decrypt | object_attr::sign_encrypt))
        return rc::attributes.for_handle(1);
    const auto* data = o->sens.sensitive.get<alg::keyedhash>();
    if (data) (void)out.out_data.assign(data->view());
    return rc::success;
}

/// TPM2_ObjectChangeAuth (Part 3 §12.8): a new private area with newAuth; the loaded object
/// keeps its authValue. parentHandle must be the object's parent: QN(object) =
/// H_nameAlg(QN(parent) || Name(object)) (Part 1 §23.5), else TPM_RC_TYPE + H2, which also
/// refuses primary objects (their parent is a hierarchy).
template <class P>
rc handle(engine<P>& e, object_change_auth, command_context& c, const object_change_auth::request& in,
          object_change_auth::response& out) {
    namespace d = detail::objects;
    if constexpr (!d::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* o = e.object_at(c.handles[0]);
        if (!o) return rc::type.for_handle(1);
        const loaded_object* parent = nullptr;
        const auto prot = d::storage_parent(e, c.handles[1], parent);
        if (!prot || o->primary) return rc::type.for_handle(2);
        const auto qn = object::compute_qualified_name(e.crypto, o->pub.name_alg.value, parent->qualified_name.view(),
                                                       o->name.view());
        if (!(qn == o->qualified_name)) return rc::type.for_handle(2);
        if (in.new_auth.size > hash_digest_size(o->pub.name_alg.value)) return rc::size.for_param(1);
        if (rc r = d::make_private(e, *prot, *o, in.new_auth.view(), out.out_private); !r.ok()) return d::fail(e, r);
        return rc::success;
    }
}

/// TPM2_CreateLoaded (Part 3 §12.9): a primary object (parent: a hierarchy) or an ordinary
/// object (parent: a storage key), loaded; outPrivate is the Empty Buffer for a primary.
template <class P>
rc handle(engine<P>& e, create_loaded, command_context& c, const create_loaded::request& in,
          create_loaded::response& out) {
    namespace d = detail::objects;
    if constexpr (!d::supported<P>) {
        return rc::command_code;
    } else {
        const tpm_handle h = c.handles[0];
        const bool primary = handle_type(h) == ht::permanent;
        const loaded_object* parent = nullptr;
        std::optional<object::protection> prot;
        if (!primary) {
            if (const loaded_object* dp = e.object_at(h); dp && d::derivation_parent(*dp)) {
                const auto slot = e.free_object_slot();
                loaded_object o;
                if (rc r = d::create_derived(e, *dp, in.in_public, in.in_sensitive.value, o); !r.ok()) return d::fail(e, r);
                if (!slot) return rc::object_memory;
                out.out_private.size = 0; // Part 3 §12.9.1: derived again, never loaded
                out.out_public.value = o.pub;
                out.name = o.name;
                c.response_handle = d::install(e, *slot, std::move(o));
                return rc::success;
            }
            prot = d::storage_parent(e, h, parent);
            if (!prot) return rc::type.for_handle(1);
        }
        // TPM2B_TEMPLATE holds a TPMT_PUBLIC (Part 2 §12.2.6).
        tpmt_public tmpl;
        if (in.in_public.size == 0) return rc::size.for_param(2);
        if (rc r = unmarshal_exact(in.in_public.view(), tmpl, &e.uctx); !r.ok())
            return (r == rc::insufficient ? rc::size : r).for_param(2);
        const auto& sens = in.in_sensitive.value;
        if (rc r = d::check_public(e, tmpl, d::use::create, parent); !r.ok()) return r.for_param(2);
        if (rc r = d::check_sensitive_create(tmpl, sens, primary); !r.ok()) return r;
        const auto slot = e.free_object_slot();
        if (!slot) return rc::object_memory;
        loaded_object o;
        if (primary) {
            if (rc r = d::create_primary_object(e, h, tmpl, sens, o); !r.ok()) return d::fail(e, r);
        } else {
            if (rc r = d::create_ordinary_object(e, *parent, tmpl, sens, o); !r.ok()) return d::fail(e, r);
            if (rc r = d::make_private(e, *prot, o, sens.user_auth.view(), out.out_private); !r.ok()) return d::fail(e, r);
        }
        out.out_public.value = o.pub;
        out.name = o.name;
        c.response_handle = d::install(e, *slot, std::move(o));
        return rc::success;
    }
}

} // namespace cmd
} // namespace vtpm
