// Handlers: Part 3 §12.5 TPM2_ActivateCredential, §12.6 TPM2_MakeCredential and §13
// Duplication Commands (Duplicate, Rewrap, Import).
//
// Protections (Part 1 §20.3, §21): the seed comes from the Labeled KEM of an asymmetric
// storage key (engine/secret.hpp) with the labels "IDENTITY" (credentials) and "DUPLICATE"
// (duplication); the outer wrapper is object::outer_wrap with the key's nameAlg and symmetric
// definition (the same protection a private area gets from its parent's seedValue); the
// inner wrapper is secret::inner_wrap with the caller's symmetric definition, always CFB.
//
// Response codes, in the order checked:
//   MakeCredential: TYPE+H1 (not an asymmetric storage key), SIZE+P1 (credential longer than
//     the key's nameAlg digest).
//   ActivateCredential: TYPE+H2 (keyHandle not an asymmetric storage key), the KEM's code+P2
//     (VALUE, SIZE, ECC_POINT, ...), INTEGRITY+P1 (HMAC), SIZE+P1 (the credential is not a
//     TPM2B_DIGEST of at most the nameAlg digest size).
//   Duplicate: TYPE+H1 (nameAlg NULL), ATTRIBUTES+H1 (fixedParent), SYMMETRIC+P2 /
//     HIERARCHY+H2 (encryptedDuplication without inner wrapper / with TPM_RH_NULL), SIZE+P1
//     (a key with symmetricAlg NULL, or not keyBits/8 octets), SYMMETRIC+P2 / MODE+P2
//     (cipher not supported / mode not CFB), TYPE+H2 (new parent not an asymmetric storage
//     key). The DUP role (a policy session whose commandCode is TPM_CC_Duplicate) is checked
//     by the pipeline (engine/execute.hpp).
//   Rewrap: HANDLE+H1 (inSymSeed empty but oldParent not TPM_RH_NULL, or the reverse),
//     TYPE+H1 / TYPE+H2 (not asymmetric storage keys), SIZE+P2 (name not nameAlg || digest),
//     the KEM's code+P3, INTEGRITY+P1.
//   Import: TYPE+H1 (parent not a storage key), SIZE+P1 (a key with symmetricAlg NULL),
//     SYMMETRIC+P5 / MODE+P5, ATTRIBUTES+P2 (fixedTPM or fixedParent), ATTRIBUTES+P4 /
//     ATTRIBUTES+P1 (encryptedDuplication without outer / inner wrapper), SIZE+P1 (key not
//     keyBits/8 octets), the public-area checks of Load (+P2), the KEM's code+P4,
//     INTEGRITY+P3 (outer or inner integrity), TPM_RC_SENSITIVE (no TPM2B_SENSITIVE inside),
//     the sensitive-area checks of Load (+P3 for the sensitive area, +P2 for the public area).
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "vtpm/commands/duplication.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/object.hpp"
#include "vtpm/engine/object.hpp"
#include "vtpm/engine/secret.hpp"

namespace vtpm {
namespace detail::dup {

/// An asymmetric storage key (restricted decryption RSA or ECC key, Part 1 §25.1): the keys a
/// Labeled KEM can target for duplication and credentials.
[[nodiscard]] inline bool asymmetric_storage_key(const loaded_object& o) noexcept {
    return (o.pub.type.value == alg::rsa || o.pub.type.value == alg::ecc) && o.is_storage_parent();
}

/// The outer protection values of an asymmetric storage key with a KEM seed.
[[nodiscard]] inline std::optional<object::protection> kem_protection(const loaded_object& key, byte_view seed) noexcept {
    const auto [sym, bits] = key.sym_def();
    if (sym == alg::null || bits == 0 || key.pub.name_alg.value == alg::null) return std::nullopt;
    return object::protection{key.pub.name_alg.value, sym, bits, seed};
}

/// The caller's inner-wrapper definition (TPMT_SYM_DEF_OBJECT+): TPM_RC_SYMMETRIC for a cipher
/// or key size the TPM lacks, TPM_RC_MODE for a mode other than CFB (or NULL, meaning CFB).
template <class P>
rc check_inner_sym(engine<P>& e, const tpmt_sym_def_object& s) {
    if (s.algorithm.value == alg::null) return rc::success;
    if (!e.crypto.sym_supported(s.algorithm.value, objects::key_bits_of(s))) return rc::symmetric;
    const auto m = objects::mode_of(s);
    if (m != alg::cfb && m != alg::null) return rc::mode;
    return rc::success;
}

/// A code the sensitive-area checks of Load gave for parameter 1 (inPrivate) names
/// parameter `n` instead.
[[nodiscard]] inline rc renumber_param1(rc r, unsigned n) noexcept {
    const auto v = r.code();
    if (r.is_format_one() && (v & 0x040u) && ((v >> 8) & 0xFu) == 1) return r.base().for_param(n);
    return r;
}

/// A KEM failure of the crypto layer enters failure mode; others name the parameter.
template <class P>
rc kem_error(engine<P>& e, rc r, unsigned param) noexcept {
    if (r == rc::failure) return objects::fail(e, r);
    return r.is_format_one() ? r.for_param(param) : r;
}

} // namespace detail::dup

namespace cmd {

/// TPM2_MakeCredential (Part 3 §12.6, Part 1 §21): credentialBlob := TPM2B_DIGEST(identityHMAC)
/// || encIdentity over the TPM2B_DIGEST credential, with the "IDENTITY" seed of `handle`.
template <class P>
rc handle(engine<P>& e, make_credential, command_context& c, const make_credential::request& in,
          make_credential::response& out) {
    namespace d = detail::dup;
    if constexpr (!detail::objects::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* key = e.object_at(c.handles[0]);
        if (!key || !d::asymmetric_storage_key(*key)) return rc::type.for_handle(1);
        const tpm_alg_id name_alg = key->pub.name_alg.value;
        const auto ds = hash_digest_size(name_alg);
        if (in.credential.size > ds) return rc::size.for_param(1);
        tpm2b_digest seed;
        rc r = secret::encapsulate(e.crypto, key->pub, secret::identity_label, seed, out.secret);
        if (!r.ok()) return r == rc::failure ? detail::objects::fail(e, r) : r.for_handle(1);
        const auto prot = d::kem_protection(*key, seed.view());
        if (!prot) return rc::type.for_handle(1);
        std::array<std::uint8_t, limits::max_id_object> buf{};
        const std::size_t n = 2 + ds + 2 + in.credential.size;
        store_be16(buf.data() + 2 + ds, in.credential.size);
        std::memcpy(buf.data() + 4 + ds, in.credential.buffer.data(), in.credential.size);
        r = object::outer_wrap(e.crypto, *prot, in.object_name.view(), byte_span{buf.data(), n});
        if (r.ok()) (void)out.credential_blob.assign(byte_view{buf.data(), n});
        secure_zero(buf.data(), buf.size());
        seed.clear();
        if (!r.ok()) {
            out.secret.clear();
            return detail::objects::fail(e, r);
        }
        return rc::success;
    }
}

/// TPM2_ActivateCredential (Part 3 §12.5): the credential of a blob made for the Name of
/// activateHandle and the key keyHandle.
template <class P>
rc handle(engine<P>& e, activate_credential, command_context& c, const activate_credential::request& in,
          activate_credential::response& out) {
    namespace d = detail::dup;
    if constexpr (!detail::objects::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* act = e.object_at(c.handles[0]);
        if (!act) return rc::type.for_handle(1); // a sequence object
        const loaded_object* key = e.object_at(c.handles[1]);
        if (!key || !d::asymmetric_storage_key(*key) || !key->has_sensitive) return rc::type.for_handle(2);
        tpm2b_digest seed;
        rc r = secret::decapsulate(e.crypto, key->pub, key->sens, secret::identity_label, in.secret.view(), seed);
        if (!r.ok()) return d::kem_error(e, r, 2);
        const auto prot = d::kem_protection(*key, seed.view());
        if (!prot) {
            seed.clear();
            return rc::type.for_handle(2);
        }
        std::array<std::uint8_t, limits::max_id_object> buf{};
        std::size_t n = 0;
        r = object::outer_unwrap(e.crypto, *prot, act->name.view(), in.credential_blob.view(), buf, n);
        seed.clear();
        if (r == rc::integrity) return r.for_param(1);
        if (!r.ok()) return detail::objects::fail(e, r);
        const auto ds = hash_digest_size(key->pub.name_alg.value);
        if (n < 2 || load_be16(buf.data()) != n - 2 || n - 2 > ds) r = rc::size.for_param(1);
        else (void)out.cert_info.assign(byte_view{buf.data() + 2, n - 2});
        secure_zero(buf.data(), buf.size());
        return r;
    }
}

/// TPM2_Duplicate (Part 3 §13.1, Part 1 §20.3): the sensitive area of a loaded object, with
/// an optional inner wrapper (symmetricAlg) and an outer wrapper for newParentHandle (none
/// for TPM_RH_NULL).
template <class P>
rc handle(engine<P>& e, duplicate, command_context& c, const duplicate::request& in, duplicate::response& out) {
    namespace d = detail::dup;
    namespace o_ = detail::objects;
    if constexpr (!o_::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* obj = e.object_at(c.handles[0]);
        if (!obj || obj->pub.name_alg.value == alg::null) return rc::type.for_handle(1);
        if (obj->has(object_attr::fixed_parent)) return rc::attributes.for_handle(1);
        if (!obj->has_sensitive) return rc::auth_unavailable;
        const tpm_handle np_handle = c.handles[1];
        const auto& sym = in.symmetric_alg;
        const bool inner = sym.algorithm.value != alg::null;
        if (obj->has(object_attr::encrypted_duplication)) {
            if (!inner) return rc::symmetric.for_param(2);
            if (np_handle == rh::null) return rc::hierarchy.for_handle(2);
        }
        if (!inner && in.encryption_key_in.size != 0) return rc::size.for_param(1);
        if (rc r = d::check_inner_sym(e, sym); !r.ok()) return r.for_param(2);
        const std::size_t key_bytes = (o_::key_bits_of(sym) + 7u) / 8u;
        if (inner && in.encryption_key_in.size != 0 && in.encryption_key_in.size != key_bytes)
            return rc::size.for_param(1);
        const loaded_object* np = nullptr;
        if (np_handle != rh::null) {
            np = e.object_at(np_handle);
            if (!np || !d::asymmetric_storage_key(*np)) return rc::type.for_handle(2);
        }

        const tpm_alg_id name_alg = obj->pub.name_alg.value;
        const auto ds = hash_digest_size(name_alg);
        // Layout in buf: [outer integrity: 2 + npDigest][inner integrity: 2 + ds][TPM2B_SENSITIVE]
        std::array<std::uint8_t, limits::max_private> buf{}, sens{};
        const auto sn = object::marshal_sensitive(obj->sens, sens);
        if (sn == 0) return o_::fail(e, rc::failure);
        const std::size_t outer_head = np ? 2 + hash_digest_size(np->pub.name_alg.value) : 0;
        const std::size_t inner_size = inner ? 2 + ds + sn : sn;
        rc r = rc::success;
        if (outer_head + inner_size > buf.size()) r = rc::failure;
        if (r.ok() && inner) {
            tpm2b_sym_key key;
            if (in.encryption_key_in.size != 0) {
                (void)key.assign(in.encryption_key_in.view());
            } else {
                e.crypto.random(key.resize(key_bytes));
                (void)out.encryption_key_out.assign(key.view());
            }
            r = secret::inner_wrap(e.crypto, name_alg, sym.algorithm.value, key.view(), obj->name.view(),
                                   byte_view{sens.data(), sn}, byte_span{buf.data() + outer_head, inner_size});
            secure_zero(key.buffer.data(), key.buffer.size());
        } else if (r.ok()) {
            std::memcpy(buf.data() + outer_head, sens.data(), sn);
        }
        secure_zero(sens.data(), sens.size());
        if (r.ok() && np) {
            tpm2b_digest seed;
            r = secret::encapsulate(e.crypto, np->pub, secret::duplicate_label, seed, out.out_sym_seed);
            if (r.ok()) {
                const auto prot = d::kem_protection(*np, seed.view());
                r = prot ? object::outer_wrap(e.crypto, *prot, obj->name.view(), byte_span{buf.data(), outer_head + inner_size})
                         : rc::type.for_handle(2);
            } else if (r != rc::failure) {
                r = r.is_format_one() ? r.for_handle(2) : r;
            }
            seed.clear();
        }
        if (r.ok()) (void)out.duplicate.assign(byte_view{buf.data(), outer_head + inner_size});
        secure_zero(buf.data(), buf.size());
        if (!r.ok()) {
            out.encryption_key_out.clear();
            out.out_sym_seed.clear();
            return r == rc::failure ? o_::fail(e, r) : r;
        }
        return rc::success;
    }
}

/// TPM2_Rewrap (Part 3 §13.2): the outer wrapper of a duplication blob moved from oldParent
/// to newParent (either may be TPM_RH_NULL: no wrapper).
template <class P>
rc handle(engine<P>& e, rewrap, command_context& c, const rewrap::request& in, rewrap::response& out) {
    namespace d = detail::dup;
    namespace o_ = detail::objects;
    if constexpr (!o_::supported<P>) {
        return rc::command_code;
    } else {
        const tpm_handle old_h = c.handles[0], new_h = c.handles[1];
        if ((in.in_sym_seed.size == 0) != (old_h == rh::null)) return rc::handle.for_handle(1);
        const loaded_object* old_p = nullptr;
        if (old_h != rh::null) {
            old_p = e.object_at(old_h);
            if (!old_p || !d::asymmetric_storage_key(*old_p) || !old_p->has_sensitive) return rc::type.for_handle(1);
        }
        const loaded_object* new_p = nullptr;
        if (new_h != rh::null) {
            new_p = e.object_at(new_h);
            if (!new_p || !d::asymmetric_storage_key(*new_p)) return rc::type.for_handle(2);
        }
        // The Name of an object: nameAlg || digest (Part 1 §16).
        if (in.name.size < 2 || hash_digest_size(load_be16(in.name.buffer.data())) == 0 ||
            in.name.size != 2 + hash_digest_size(load_be16(in.name.buffer.data())))
            return rc::size.for_param(2);

        std::array<std::uint8_t, limits::max_private> buf{};
        const std::size_t head = new_p ? 2 + hash_digest_size(new_p->pub.name_alg.value) : 0;
        std::size_t n = 0;
        rc r = rc::success;
        if (old_p) {
            tpm2b_digest seed;
            r = secret::decapsulate(e.crypto, old_p->pub, old_p->sens, secret::duplicate_label, in.in_sym_seed.view(), seed);
            if (!r.ok()) return d::kem_error(e, r, 3);
            const auto prot = d::kem_protection(*old_p, seed.view());
            if (!prot) {
                seed.clear();
                return rc::type.for_handle(1);
            }
            std::array<std::uint8_t, limits::max_private> plain{};
            r = object::outer_unwrap(e.crypto, *prot, in.name.view(), in.in_duplicate.view(), plain, n);
            seed.clear();
            if (r.ok() && head + n > buf.size()) r = rc::size.for_param(1);
            if (r.ok()) std::memcpy(buf.data() + head, plain.data(), n);
            secure_zero(plain.data(), plain.size());
            if (r == rc::integrity) return r.for_param(1);
            if (!r.ok()) return r == rc::failure ? o_::fail(e, r) : r;
        } else {
            n = in.in_duplicate.size;
            if (head + n > buf.size()) return rc::size.for_param(1);
            std::memcpy(buf.data() + head, in.in_duplicate.buffer.data(), n);
        }
        if (new_p) {
            tpm2b_digest seed;
            r = secret::encapsulate(e.crypto, new_p->pub, secret::duplicate_label, seed, out.out_sym_seed);
            if (r.ok()) {
                const auto prot = d::kem_protection(*new_p, seed.view());
                r = prot ? object::outer_wrap(e.crypto, *prot, in.name.view(), byte_span{buf.data(), head + n})
                         : rc::type.for_handle(2);
            } else if (r != rc::failure) {
                r = r.is_format_one() ? r.for_handle(2) : r;
            }
            seed.clear();
        }
        if (r.ok()) (void)out.out_duplicate.assign(byte_view{buf.data(), head + n});
        secure_zero(buf.data(), buf.size());
        if (!r.ok()) {
            out.out_sym_seed.clear();
            return r == rc::failure ? o_::fail(e, r) : r;
        }
        return rc::success;
    }
}

/// TPM2_Import (Part 3 §13.3): a duplication blob made a child of parentHandle: outer
/// wrapper (inSymSeed), inner wrapper (encryptionKey, symmetricAlg), checks of Load, and a
/// new private area under the parent.
template <class P>
rc handle(engine<P>& e, import, command_context& c, const import::request& in, import::response& out) {
    namespace d = detail::dup;
    namespace o_ = detail::objects;
    if constexpr (!o_::supported<P>) {
        return rc::command_code;
    } else {
        const loaded_object* parent = nullptr;
        const auto prot = o_::storage_parent(e, c.handles[0], parent);
        if (!prot) return rc::type.for_handle(1);
        const auto& sym = in.symmetric_alg;
        const bool inner = sym.algorithm.value != alg::null;
        if (!inner && in.encryption_key.size != 0) return rc::size.for_param(1);
        if (rc r = d::check_inner_sym(e, sym); !r.ok()) return r.for_param(5);
        const auto& pub = in.object_public.value;
        if (pub.object_attributes.value & (object_attr::fixed_tpm | object_attr::fixed_parent))
            return rc::attributes.for_param(2);
        if (pub.object_attributes.value & object_attr::encrypted_duplication) {
            if (in.in_sym_seed.size == 0) return rc::attributes.for_param(4);
            if (!inner || in.encryption_key.size == 0) return rc::attributes.for_param(1);
        }
        const std::size_t key_bytes = (o_::key_bits_of(sym) + 7u) / 8u;
        if (inner && in.encryption_key.size != key_bytes) return rc::size.for_param(1);
        if (rc r = o_::check_public(e, pub, o_::use::load, parent); !r.ok()) return r.for_param(2);

        const tpm2b_name name = object::compute_name(e.crypto, pub);
        std::array<std::uint8_t, limits::max_private> buf{};
        byte_span data{buf.data(), 0};
        rc r = rc::success;
        if (in.in_sym_seed.size != 0) {
            tpm2b_digest seed;
            r = secret::decapsulate(e.crypto, parent->pub, parent->sens, secret::duplicate_label, in.in_sym_seed.view(), seed);
            if (r == rc::key) return rc::type.for_handle(1); // a SYMCIPHER parent has no KEM
            if (!r.ok()) return d::kem_error(e, r, 4);
            const auto outer = d::kem_protection(*parent, seed.view());
            std::size_t n = 0;
            r = outer ? object::outer_unwrap(e.crypto, *outer, name.view(), in.duplicate.view(), buf, n) : rc::failure;
            seed.clear();
            data = byte_span{buf.data(), n};
        } else {
            std::memcpy(buf.data(), in.duplicate.buffer.data(), in.duplicate.size);
            data = byte_span{buf.data(), in.duplicate.size};
        }
        byte_view sens_bytes = data;
        if (r.ok() && inner)
            r = secret::inner_unwrap(e.crypto, pub.name_alg.value, sym.algorithm.value, in.encryption_key.view(),
                                     name.view(), data, sens_bytes);
        loaded_object o;
        o.pub = pub;
        o.name = name;
        if (r.ok()) r = object::unmarshal_sensitive(sens_bytes, o.sens, &e.uctx);
        secure_zero(buf.data(), buf.size());
        if (r == rc::integrity) return r.for_param(3);
        if (!r.ok()) return r == rc::failure ? o_::fail(e, r) : r;
        if (rc x = o_::check_sensitive_loaded(e, pub, o.sens); !x.ok())
            return x == rc::failure ? o_::fail(e, x) : d::renumber_param1(x, 3);
        if (rc x = object::sensitive_to_private(e.crypto, *prot, name.view(), o.sens, out.out_private); !x.ok())
            return o_::fail(e, x);
        return rc::success;
    }
}

} // namespace cmd
} // namespace vtpm
