// The TPM key derivation functions, generic over any crypto backend (no crypto library here).
//   kdfa: Part 1 §11.4.10.2, SP800-108 KDF in counter mode with HMAC as the PRF.
//   kdfe: Part 1 §11.4.10.3, SP800-56A concatenation KDF with a hash.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/crypto/hash_info.hpp"

namespace vtpm::crypto {

namespace detail {

/// The label (Use) is followed by one 0x00 octet, unless it already ends in one: labels in the
/// spec are written as NUL-terminated strings ("STORAGE\0"), and callers may pass them either
/// way. An empty label becomes the single 0x00. (Part 1 §11.4.10.2 "Label".)
[[nodiscard]] constexpr bool label_needs_nul(byte_view label) noexcept {
    return label.empty() || label.back() != 0;
}

[[nodiscard]] inline byte_view label_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Both KDFs return (bits + 7) / 8 bytes; when bits % 8 != 0 only the low bits % 8 bits of
/// the first byte are kept (the result is a big-endian number of `bits` bits).
[[nodiscard]] constexpr bool kdf_size_ok(std::uint32_t bits, std::size_t out_size) noexcept {
    return bits != 0 && out_size == (std::uint64_t{bits} + 7) / 8;
}

inline void kdf_mask(std::uint32_t bits, byte_span out) noexcept {
    if (bits % 8 != 0) out[0] &= static_cast<std::uint8_t>((1u << (bits % 8)) - 1);
}

/// Runs one KDF iteration on state h: feed(h), then writes the digest to out[done, done+take).
/// A short final block goes through a scratch buffer that is wiped afterwards.
template <class State, class Feed>
void kdf_block(State& h, Feed&& feed, std::size_t d, byte_span out, std::size_t done,
               std::size_t take) {
    feed(h);
    if (take == d) {
        h.finish(out.subspan(done, d));
    } else {
        std::array<std::uint8_t, max_digest_size> block;
        h.finish(byte_span{block.data(), d});
        std::copy_n(block.data(), take, out.data() + done);
        secure_zero(block.data(), block.size());
    }
}

} // namespace detail

/// KDFa(hashAlg, key, label, contextU, contextV, bits), Part 1 §11.4.10.2:
///   K(i) = HMAC_hash(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32),
///   i = 1, 2, ...; the result is the first (bits+7)/8 bytes of K(1) || K(2) || ...,
///   with the top 8 - bits%8 bits of the first byte cleared when bits % 8 != 0.
/// out must be exactly (bits + 7) / 8 bytes.
/// Returns rc::hash if the backend does not support `hash`, rc::size if bits == 0 or out has
/// the wrong size (out is then left untouched), otherwise rc::success.
/// May throw std::bad_alloc (creating the HMAC state); nothing else.
template <hmac_provider C>
[[nodiscard]] rc kdfa(C& c, tpm_alg_id hash, byte_view key, byte_view label, byte_view context_u,
                      byte_view context_v, std::uint32_t bits, byte_span out) {
    const std::size_t d = digest_size(hash);
    if (d == 0 || !c.hash_supported(hash)) return rc::hash;
    if (!detail::kdf_size_ok(bits, out.size())) return rc::size;

    std::array<std::uint8_t, 4> counter{}, length{};
    store_be32(length.data(), bits);
    static constexpr std::uint8_t nul = 0;
    const bool add_nul = detail::label_needs_nul(label);

    // The HMAC key schedule is done once; every block but the last runs on a copy of it.
    auto keyed = c.hmac_start(hash, key);
    std::uint32_t i = 0;
    for (std::size_t done = 0; done < out.size();) {
        store_be32(counter.data(), ++i);
        const std::size_t take = std::min(d, out.size() - done);
        auto feed = [&](auto& h) {
            h.update(counter);
            h.update(label);
            if (add_nul) h.update(byte_view{&nul, 1});
            h.update(context_u);
            h.update(context_v);
            h.update(length);
        };
        if (done + take == out.size()) {
            detail::kdf_block(keyed, feed, d, out, done, take);
        } else {
            auto h = keyed;
            detail::kdf_block(h, feed, d, out, done, take);
        }
        done += take;
    }
    detail::kdf_mask(bits, out);
    return rc::success;
}

/// KDFa with the label given as text; a trailing "\0" inside the view is honoured
/// (e.g. std::string_view{"KDFSELFTESTLABEL", 17}), otherwise the 0x00 is appended.
template <hmac_provider C>
[[nodiscard]] rc kdfa(C& c, tpm_alg_id hash, byte_view key, std::string_view label,
                      byte_view context_u, byte_view context_v, std::uint32_t bits,
                      byte_span out) {
    return kdfa(c, hash, key, detail::label_bytes(label), context_u, context_v, bits, out);
}

/// KDFe(hashAlg, Z, Use, PartyUInfo, PartyVInfo, bits), Part 1 §11.4.10.3:
///   K(i) = H([i]32 || Z || Use || 0x00 || PartyUInfo || PartyVInfo), i = 1, 2, ...;
///   truncated and masked like kdfa. Use follows the same NUL rule as the kdfa label.
/// Same return values and size rule as kdfa. May throw std::bad_alloc (hash states).
template <hash_provider C>
[[nodiscard]] rc kdfe(C& c, tpm_alg_id hash, byte_view z, byte_view label, byte_view party_u,
                      byte_view party_v, std::uint32_t bits, byte_span out) {
    const std::size_t d = digest_size(hash);
    if (d == 0 || !c.hash_supported(hash)) return rc::hash;
    if (!detail::kdf_size_ok(bits, out.size())) return rc::size;

    std::array<std::uint8_t, 4> counter{};
    static constexpr std::uint8_t nul = 0;
    const bool add_nul = detail::label_needs_nul(label);

    std::uint32_t i = 0;
    for (std::size_t done = 0; done < out.size();) {
        store_be32(counter.data(), ++i);
        const std::size_t take = std::min(d, out.size() - done);
        auto h = c.hash_start(hash);
        auto feed = [&](auto& s) {
            s.update(counter);
            s.update(z);
            s.update(label);
            if (add_nul) s.update(byte_view{&nul, 1});
            s.update(party_u);
            s.update(party_v);
        };
        detail::kdf_block(h, feed, d, out, done, take);
        done += take;
    }
    detail::kdf_mask(bits, out);
    return rc::success;
}

/// KDFe with the label (Use) given as text, e.g. "SECRET" or "IDENTITY".
template <hash_provider C>
[[nodiscard]] rc kdfe(C& c, tpm_alg_id hash, byte_view z, std::string_view label,
                      byte_view party_u, byte_view party_v, std::uint32_t bits, byte_span out) {
    return kdfe(c, hash, z, detail::label_bytes(label), party_u, party_v, bits, out);
}

} // namespace vtpm::crypto
