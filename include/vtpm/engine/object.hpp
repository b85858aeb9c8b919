// Objects in the TPM (Part 1 §23-§27): the loaded form, Names and Qualified Names, the
// deterministic stream primary keys are derived from, and the protection of a private area
// under a storage parent.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

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

} // namespace object
} // namespace vtpm
