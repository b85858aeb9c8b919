// Objects in the TPM (Part 1 §23-§27): the loaded form, Names and Qualified Names, the
// deterministic stream primary keys are derived from, and the protection of a private area
// under a storage parent.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/marshal/codec.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm {

/// A loaded object: public and sensitive areas, Name and Qualified Name, hierarchy.
struct loaded_object {
    tpmt_public pub{};
    tpmt_sensitive sens{};
    tpm2b_name name;
    tpm2b_name qualified_name;
    tpm_handle hierarchy = rh::null; // TPM_RH_OWNER / ENDORSEMENT / PLATFORM / NULL
    bool has_sensitive = true;       // false for a public-only LoadExternal
    bool primary = false;
    tpm_handle evict_handle = 0;     // the persistent handle this copy was loaded from, or 0
    /// The stateClear property (Part 1 §27.2.3): stClear is SET in this object or in one of
    /// its ancestors. Its saved contexts do not survive TPM Restart.
    bool st_clear = false;

    loaded_object() = default;
    loaded_object(const loaded_object&) = default;
    loaded_object& operator=(const loaded_object&) = default;
    ~loaded_object() { secure_zero(&sens, sizeof sens); }

    [[nodiscard]] std::uint32_t attrs() const noexcept { return pub.object_attributes.value; }
    [[nodiscard]] bool has(std::uint32_t bits) const noexcept { return (attrs() & bits) == bits; }
    /// A storage parent: restricted decryption key (Part 1 §25.1).
    [[nodiscard]] bool is_storage_parent() const noexcept {
        return has(object_attr::restricted | object_attr::decrypt) && !has(object_attr::sign_encrypt) &&
               (pub.type.value == alg::rsa || pub.type.value == alg::ecc || pub.type.value == alg::symcipher);
    }
    /// The symmetric definition of a storage key (TPMS_RSA_PARMS / TPMS_ECC_PARMS .symmetric,
    /// TPMS_SYMCIPHER_PARMS .sym), or null for other types.
    [[nodiscard]] const tpmt_sym_def_object* symmetric() const noexcept {
        if (const auto* r = pub.parameters.get<alg::rsa>()) return &r->symmetric;
        if (const auto* e = pub.parameters.get<alg::ecc>()) return &e->symmetric;
        return nullptr;
    }
    /// Algorithm and key size of the symmetric definition (TPM_ALG_NULL, 0 if none).
    [[nodiscard]] std::pair<tpm_alg_id, std::uint16_t> sym_def() const noexcept {
        if (const auto* s = pub.parameters.get<alg::symcipher>()) return {s->sym.algorithm.value, sym_bits(s->sym)};
        if (const auto* d = symmetric()) return {d->algorithm.value, sym_bits(*d)};
        return {alg::null, 0};
    }

private:
    template <class Def>
    static std::uint16_t sym_bits(const Def& d) noexcept {
        std::uint16_t b = 0;
        d.key_bits.visit([&](const auto& m) {
            if constexpr (requires { m.value; }) {
                if constexpr (std::is_same_v<std::remove_cvref_t<decltype(m.value)>, std::uint16_t>) b = m.value;
            }
        });
        return b;
    }
};

namespace object {

/// The marshalled public area.
inline bytes marshal_public(const tpmt_public& p) {
    bytes buf(2048);
    writer w{buf};
    marshal(w, p);
    buf.resize(w.size());
    return buf;
}

/// Name of an object (Part 1 §16): nameAlg || H_nameAlg(TPMT_PUBLIC); for nameAlg NULL,
/// the handle.
template <crypto::hash_provider C>
tpm2b_name compute_name(C& c, const tpmt_public& p, tpm_handle handle = 0) {
    tpm2b_name n;
    const tpm_alg_id a = p.name_alg.value;
    if (a == alg::null) {
        store_be32(n.resize(4).data(), handle);
        return n;
    }
    const auto ds = hash_digest_size(a);
    auto out = n.resize(2 + ds);
    store_be16(out.data(), a);
    auto bytes_ = marshal_public(p);
    c.hash(a, bytes_, out.subspan(2));
    return n;
}

/// Qualified Name (Part 1 §26.5): nameAlg || H_nameAlg(QN(parent) || Name). For a primary
/// object, QN(parent) is the hierarchy handle.
template <crypto::hash_provider C>
tpm2b_name compute_qualified_name(C& c, tpm_alg_id name_alg, byte_view parent_qn, byte_view name) {
    tpm2b_name q;
    if (name_alg == alg::null) {
        (void)q.assign(name);
        return q;
    }
    const auto ds = hash_digest_size(name_alg);
    auto out = q.resize(2 + ds);
    store_be16(out.data(), name_alg);
    auto st = c.hash_start(name_alg);
    st.update(parent_qn);
    st.update(name);
    st.finish(out.subspan(2));
    return q;
}

inline tpm2b_name handle_name(tpm_handle h) {
    tpm2b_name n;
    store_be32(n.resize(4).data(), h);
    return n;
}

/// The deterministic byte stream a primary object's secrets come from (keys, primes,
/// seedValue): block j (j = 1, 2, ...) is
///   KDFa(hash, seed, label, contextU, contextV || [j]32, 8 * digest size)
/// and the stream is the concatenation of the blocks. The same hierarchy seed, template and
/// sensitive data give the same stream on every run and version: a change here changes
/// every primary key, so this definition is frozen.
template <crypto::hmac_provider C>
class kdf_stream {
public:
    kdf_stream(C& c, tpm_alg_id hash, byte_view seed, std::string_view label, byte_view context_u, byte_view context_v)
        : c_(c), hash_(hash), seed_(seed), label_(label), u_(context_u.begin(), context_u.end()),
          v_(context_v.begin(), context_v.end()) {
        v_.resize(v_.size() + 4);
    }
    kdf_stream(const kdf_stream&) = delete;
    kdf_stream& operator=(const kdf_stream&) = delete;
    ~kdf_stream() {
        secure_zero(block_.data(), block_.size());
        secure_zero(v_.data(), v_.size());
    }

    /// Fill out with the next bytes of the stream.
    void operator()(byte_span out) {
        std::size_t done = 0;
        const auto ds = hash_digest_size(hash_);
        while (done < out.size()) {
            if (left_ == 0) {
                ++counter_;
                store_be32(v_.data() + v_.size() - 4, counter_);
                (void)crypto::kdfa(c_, hash_, seed_, label_, u_, v_, static_cast<std::uint32_t>(8 * ds),
                                   byte_span{block_.data(), ds});
                left_ = ds;
            }
            const auto n = std::min(left_, out.size() - done);
            std::memcpy(out.data() + done, block_.data() + (ds - left_), n);
            left_ -= n;
            done += n;
        }
    }

private:
    C& c_;
    tpm_alg_id hash_;
    byte_view seed_;
    std::string_view label_;
    bytes u_, v_;
    std::array<std::uint8_t, limits::max_digest> block_{};
    std::size_t left_ = 0;
    std::uint32_t counter_ = 0;
};

/// unique of a symmetric object (KEYEDHASH or SYMCIPHER; Part 1 §24.5.3.2, Part 3 §12.1
/// Equation 1): H_nameAlg(seedValue || key).
template <crypto::hash_provider C>
tpm2b_digest symmetric_unique(C& c, tpm_alg_id name_alg, byte_view seed_value, byte_view key) {
    tpm2b_digest u;
    auto st = c.hash_start(name_alg);
    st.update(seed_value);
    st.update(key);
    st.finish(u.resize(hash_digest_size(name_alg)));
    return u;
}

/// What a storage parent protects its children with (Part 1 §19.4-§19.5, Table 30): its
/// nameAlg, symmetric algorithm and key size, and its seedValue.
struct protection {
    tpm_alg_id name_alg = alg::null;
    tpm_alg_id sym = alg::null;
    std::uint16_t key_bits = 0;
    byte_view seed;
};

/// The protection values of a loaded storage parent, or nothing if it is not one.
[[nodiscard]] inline std::optional<protection> parent_protection(const loaded_object& parent) noexcept {
    if (!parent.is_storage_parent() || !parent.has_sensitive) return std::nullopt;
    const auto [sym, bits] = parent.sym_def();
    if (sym == alg::null || bits == 0 || parent.pub.name_alg.value == alg::null) return std::nullopt;
    return protection{parent.pub.name_alg.value, sym, bits, parent.sens.seed_value.view()};
}

/// The outer protection shared by private areas (Part 1 §19.4-§19.5), the outer duplication
/// wrapper (§20.3.2.3, Equations 40-43) and credential blobs (§21.4-§21.5, Equations 44-46),
/// with (nameAlg, sym, keyBits, seed) from `p`:
///   symKey    := KDFa(nameAlg, seed, "STORAGE", Name, NULL, keyBits)
///   enc       := CFB_sym(symKey, IV = 0, data)
///   HMACkey   := KDFa(nameAlg, seed, "INTEGRITY", NULL, NULL, 8 * digest size)
///   integrity := HMAC_nameAlg(HMACkey, enc || Name)
///   result    := TPM2B_DIGEST(integrity) || enc
/// buf holds 2 + digest size reserved octets followed by the data; on success it holds the
/// result (same size). rc::failure if the crypto layer fails.
template <class C>
rc outer_wrap(C& c, const protection& p, byte_view name, byte_span buf) {
    const auto ds = hash_digest_size(p.name_alg);
    if (ds == 0 || buf.size() < 2 + ds) return rc::failure;
    const byte_span enc = buf.subspan(2 + ds);
    std::array<std::uint8_t, limits::max_sym_key_bytes> key{};
    if (p.key_bits == 0 || (p.key_bits + 7u) / 8u > key.size()) return rc::failure;
    const byte_span k{key.data(), (p.key_bits + 7u) / 8u};
    rc r = crypto::kdfa(c, p.name_alg, p.seed, "STORAGE", name, {}, p.key_bits, k);
    if (r.ok() && !enc.empty()) r = c.cfb_encrypt(p.sym, k, {}, enc);
    secure_zero(key.data(), key.size());
    if (!r.ok()) return rc::failure;
    std::array<std::uint8_t, limits::max_digest> hkey{};
    r = crypto::kdfa(c, p.name_alg, p.seed, "INTEGRITY", {}, {}, static_cast<std::uint32_t>(8 * ds),
                     byte_span{hkey.data(), ds});
    if (!r.ok()) return rc::failure;
    store_be16(buf.data(), static_cast<std::uint16_t>(ds));
    auto st = c.hmac_start(p.name_alg, byte_view{hkey.data(), ds});
    st.update(enc);
    st.update(name);
    st.finish(byte_span{buf.data() + 2, ds});
    secure_zero(hkey.data(), hkey.size());
    return rc::success;
}

/// The reverse of outer_wrap, integrity first: rc::integrity if the integrity value is
/// missing, of the wrong size or wrong. On success the decrypted data (in.size() - 2 - digest
/// size octets) is in out[0, n) and n is stored in out_size; out must hold in.size() octets.
/// rc::failure if the crypto layer fails.
template <class C>
rc outer_unwrap(C& c, const protection& p, byte_view name, byte_view in, byte_span out, std::size_t& out_size) {
    const auto ds = hash_digest_size(p.name_alg);
    if (ds == 0 || in.size() < 2 || load_be16(in.data()) != ds || in.size() < 2 + ds) return rc::integrity;
    const byte_view integrity = in.subspan(2, ds);
    const byte_view enc_in = in.subspan(2 + ds);
    if (out.size() < enc_in.size()) return rc::failure;
    std::array<std::uint8_t, limits::max_digest> hkey{}, mac{};
    if (!crypto::kdfa(c, p.name_alg, p.seed, "INTEGRITY", {}, {}, static_cast<std::uint32_t>(8 * ds),
                      byte_span{hkey.data(), ds}).ok())
        return rc::failure;
    auto st = c.hmac_start(p.name_alg, byte_view{hkey.data(), ds});
    st.update(enc_in);
    st.update(name);
    st.finish(byte_span{mac.data(), ds});
    secure_zero(hkey.data(), hkey.size());
    if (!ct_equal(byte_view{mac.data(), ds}, integrity)) return rc::integrity;
    if (!enc_in.empty()) std::memcpy(out.data(), enc_in.data(), enc_in.size());
    const byte_span enc{out.data(), enc_in.size()};
    std::array<std::uint8_t, limits::max_sym_key_bytes> key{};
    if (p.key_bits == 0 || (p.key_bits + 7u) / 8u > key.size()) return rc::failure;
    const byte_span k{key.data(), (p.key_bits + 7u) / 8u};
    rc r = crypto::kdfa(c, p.name_alg, p.seed, "STORAGE", name, {}, p.key_bits, k);
    if (r.ok() && !enc.empty()) r = c.cfb_decrypt(p.sym, k, {}, enc);
    secure_zero(key.data(), key.size());
    if (!r.ok()) {
        secure_zero(enc.data(), enc.size());
        return rc::failure;
    }
    out_size = enc.size();
    return rc::success;
}

/// The marshalled TPM2B_SENSITIVE of `s` into out; its size, or 0 if it does not fit.
inline std::size_t marshal_sensitive(const tpmt_sensitive& s, byte_span out) {
    writer w{out};
    const auto at = w.skip(2);
    marshal(w, s);
    w.patch_u16(at, static_cast<std::uint16_t>(w.size() - 2));
    return w.overflow() ? 0 : w.size();
}

/// A TPM2B_SENSITIVE that must fill `in` exactly: rc::sensitive for any unmarshalling error
/// (one code for all of them, so nothing leaks about where it failed; Part 2
/// TPM_RC_SENSITIVE).
inline rc unmarshal_sensitive(byte_view in, tpmt_sensitive& out, const unmarshal_context* uctx) {
    if (in.size() > 2 && load_be16(in.data()) == in.size() - 2 && unmarshal_exact(in.subspan(2), out, uctx).ok())
        return rc::success;
    return rc::sensitive;
}

/// Private area of an object under a storage parent (Part 1 §19.4-§19.5, §23.4): outer_wrap
/// of the marshalled TPM2B_SENSITIVE with the parent's protection values (Equations 33-36):
///   TPM2B_PRIVATE := TPM2B_DIGEST(outerHMAC) || encSensitive
/// The IV is zero, so no TPM2B_IV precedes encSensitive (§19.4: "If the symIv was zero, then
/// no value is added"), which is the form TPMs and offline tools exchange.
template <class C>
rc sensitive_to_private(C& c, const protection& p, byte_view name, const tpmt_sensitive& s, tpm2b_private& out) {
    const auto ds = hash_digest_size(p.name_alg);
    std::array<std::uint8_t, limits::max_private> buf{};
    if (2 + ds >= buf.size()) return rc::failure;
    const auto n = marshal_sensitive(s, byte_span{buf.data() + 2 + ds, buf.size() - 2 - ds});
    if (n == 0) return rc::failure;
    const rc r = outer_wrap(c, p, name, byte_span{buf.data(), 2 + ds + n});
    if (r.ok()) (void)out.assign(byte_view{buf.data(), 2 + ds + n});
    secure_zero(buf.data(), buf.size());
    return r;
}

/// The reverse of sensitive_to_private, integrity first (Part 3 §12.2.1): rc::integrity if
/// the HMAC is missing, of the wrong size or wrong; rc::sensitive if the decrypted area does
/// not unmarshal to exactly one TPM2B_SENSITIVE. Callers add the parameter number.
template <class C>
rc private_to_sensitive(C& c, const protection& p, byte_view name, byte_view priv, tpmt_sensitive& out,
                        const unmarshal_context* uctx) {
    std::array<std::uint8_t, limits::max_private> buf{};
    if (priv.size() > buf.size()) return rc::sensitive; // a TPM2B_PRIVATE never is
    std::size_t n = 0;
    rc r = outer_unwrap(c, p, name, priv, buf, n);
    if (r.ok()) r = unmarshal_sensitive(byte_view{buf.data(), n}, out, uctx);
    secure_zero(buf.data(), buf.size());
    return r;
}

/// The bytes a Derived Object is made of (Part 1 §25.4, Equation 49):
///   KDFa(hashAlg, sensitive value of the Derivation Parent, label, context, 8192 bits)
/// taken from the most significant octet on, with no octet skipped: block i (i = 1, 2, ...)
/// is HMAC_hashAlg(key, [i]32 || label || 0x00 || context || [8192]32), generated on demand.
/// More than the 1024 octets of the KDF output is never needed; asking for more sets
/// exhausted() (and yields zeros) rather than extending the stream.
template <class C>
class derivation_stream {
public:
    static constexpr std::uint32_t bits = 8192; // TPM_MAX_DERIVATION_BITS (Part 2 Table 15)

    derivation_stream(C& c, tpm_alg_id hash, byte_view key, byte_view label, byte_view context)
        : c_(c), hash_(hash), key_(key) {
        input_.resize(4);
        input_.insert(input_.end(), label.begin(), label.end());
        if (label.empty() || label.back() != 0) input_.push_back(0);
        input_.insert(input_.end(), context.begin(), context.end());
        input_.resize(input_.size() + 4);
        store_be32(input_.data() + input_.size() - 4, bits);
    }
    derivation_stream(const derivation_stream&) = delete;
    derivation_stream& operator=(const derivation_stream&) = delete;
    ~derivation_stream() { secure_zero(block_.data(), block_.size()); }

    void operator()(byte_span out) {
        const auto ds = hash_digest_size(hash_);
        std::size_t done = 0;
        while (done < out.size()) {
            if (left_ == 0) {
                if (ds == 0 || (counter_ + 1) * ds > bits / 8) {
                    exhausted_ = true;
                    std::fill(out.begin() + static_cast<std::ptrdiff_t>(done), out.end(), std::uint8_t{0});
                    return;
                }
                store_be32(input_.data(), ++counter_);
                c_.hmac(hash_, key_, input_, byte_span{block_.data(), ds});
                left_ = ds;
            }
            const auto n = std::min(left_, out.size() - done);
            std::memcpy(out.data() + done, block_.data() + (ds - left_), n);
            left_ -= n;
            done += n;
        }
    }
    [[nodiscard]] bool exhausted() const noexcept { return exhausted_; }

private:
    C& c_;
    tpm_alg_id hash_;
    byte_view key_;
    bytes input_;
    std::array<std::uint8_t, limits::max_digest> block_{};
    std::size_t left_ = 0;
    std::uint32_t counter_ = 0;
    bool exhausted_ = false;
};

/// The label of the primary-object stream (see kdf_stream).
inline constexpr std::string_view primary_label = "Primary Object Creation";

/// RSA primary keys already generated: an RSA primary is generated once and cached by
/// (seed, template digest), so a repeated CreatePrimary is fast. An entry is found by a digest of everything the key depends
/// on (see key_of); it holds the modulus and the first prime. Least recently used entries go
/// first; entries are wiped when replaced or destroyed. Not thread-safe (one per engine).
class rsa_primary_cache {
public:
    static constexpr std::size_t capacity = 4;

    rsa_primary_cache() = default;
    rsa_primary_cache(const rsa_primary_cache&) = default;
    rsa_primary_cache& operator=(const rsa_primary_cache&) = default;
    ~rsa_primary_cache() { clear(); }

    /// The cache key: H_nameAlg(seed || u16 size || template Name || u16 size || data ||
    /// u16 keyBits || u32 exponent) with nameAlg the template's.
    template <crypto::hash_provider C>
    static tpm2b_digest key_of(C& c, tpm_alg_id name_alg, byte_view seed, byte_view template_name, byte_view data,
                               std::uint16_t key_bits, std::uint32_t exponent) {
        std::array<std::uint8_t, 8> sz{};
        tpm2b_digest k;
        auto st = c.hash_start(name_alg);
        st.update(seed);
        store_be16(sz.data(), static_cast<std::uint16_t>(template_name.size()));
        st.update(byte_view{sz.data(), 2});
        st.update(template_name);
        store_be16(sz.data(), static_cast<std::uint16_t>(data.size()));
        st.update(byte_view{sz.data(), 2});
        st.update(data);
        store_be16(sz.data(), key_bits);
        store_be32(sz.data() + 2, exponent);
        st.update(byte_view{sz.data(), 6});
        st.finish(k.resize(hash_digest_size(name_alg)));
        return k;
    }

    /// Copy a cached key to n and p (sized by the caller); false if absent.
    bool find(const tpm2b_digest& key, byte_span n, byte_span p) noexcept {
        for (auto& e : entries_) {
            if (e.used == 0 || !(e.key == key) || e.n.size != n.size() || e.p.size != p.size()) continue;
            std::memcpy(n.data(), e.n.buffer.data(), n.size());
            std::memcpy(p.data(), e.p.buffer.data(), p.size());
            e.used = ++clock_;
            return true;
        }
        return false;
    }
    void insert(const tpm2b_digest& key, byte_view n, byte_view p) noexcept {
        auto* victim = &entries_[0];
        for (auto& e : entries_)
            if (e.used < victim->used) victim = &e;
        victim->n.clear();
        victim->p.clear();
        victim->key = key;
        (void)victim->n.assign(n);
        (void)victim->p.assign(p);
        victim->used = ++clock_;
    }
    void clear() noexcept {
        for (auto& e : entries_) {
            e.n.clear();
            e.p.clear();
            e.key.clear();
            e.used = 0;
        }
    }
    [[nodiscard]] std::size_t size() const noexcept {
        return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](auto& e) { return e.used != 0; }));
    }

private:
    struct entry {
        tpm2b_digest key;
        tpm2b_public_key_rsa n;
        tpm2b_private_key_rsa p;
        std::uint64_t used = 0; // 0: empty
    };
    std::array<entry, capacity> entries_{};
    std::uint64_t clock_ = 0;
};

} // namespace object
} // namespace vtpm

// The fields of a loaded object in a saved object context (engine/handlers/context.hpp).
#include <boost/hana/adapt_struct.hpp>
BOOST_HANA_ADAPT_STRUCT(vtpm::loaded_object, pub, sens, name, qualified_name, hierarchy, has_sensitive, primary,
                        evict_handle, st_clear);
