// The TPM key derivation functions, generic over any crypto backend (no crypto library here).
//   kdfa: Part 1 §11.4.10.2, SP800-108 KDF in counter mode with HMAC as the PRF.
//   kdfe: Part 1 §11.4.10.3, SP800-56A concatenation KDF with a hash.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
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

/// The per-block input of a KDF, assembled once in a stack buffer so each block is a single
/// one-shot hash()/hmac() call (no state allocation). Wiped on destruction (KDFe puts Z in it).
class kdf_input {
public:
    static constexpr std::size_t capacity = 512;
    kdf_input() = default;
    kdf_input(const kdf_input&) = delete;
    kdf_input& operator=(const kdf_input&) = delete;
    ~kdf_input() { secure_zero(buf_.data(), len_); }

    /// Precondition: the total stays within capacity (callers check first).
    void put(byte_view b) noexcept {
        std::copy(b.begin(), b.end(), buf_.begin() + static_cast<std::ptrdiff_t>(len_));
        len_ += b.size();
    }
    void set_counter(std::size_t at, std::uint32_t i) noexcept { store_be32(buf_.data() + at, i); }
    [[nodiscard]] byte_view view() const noexcept { return {buf_.data(), len_}; }

private:
    std::array<std::uint8_t, capacity> buf_;
    std::size_t len_ = 0;
};

/// Fills out with K(1) || K(2) || ... (truncated), where block(i, k) writes the d-byte K(i)
/// to k. A short final block goes through a scratch buffer that is wiped afterwards.
template <class Block>
void kdf_blocks(std::size_t d, byte_span out, Block&& block) {
    std::uint32_t i = 0;
    for (std::size_t done = 0; done < out.size(); done += d) {
        ++i;
        if (out.size() - done >= d) {
            block(i, out.subspan(done, d));
        } else {
            std::array<std::uint8_t, max_digest_size> last;
            block(i, byte_span{last.data(), d});
            std::copy_n(last.data(), out.size() - done, out.data() + done);
            secure_zero(last.data(), last.size());
        }
    }
}

inline constexpr std::uint8_t nul = 0;
inline constexpr std::array<std::uint8_t, 4> counter_placeholder{};

} // namespace detail

/// KDFa(hashAlg, key, label, contextU, contextV, bits), Part 1 §11.4.10.2:
///   K(i) = HMAC_hash(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32),
///   i = 1, 2, ...; the result is the first (bits+7)/8 bytes of K(1) || K(2) || ...,
///   with the top 8 - bits%8 bits of the first byte cleared when bits % 8 != 0.
/// out must be exactly (bits + 7) / 8 bytes.
/// Returns rc::hash if the backend does not support `hash`, rc::size if bits == 0 or out has
/// the wrong size (out is then left untouched), otherwise rc::success.
/// May throw std::bad_alloc (only for label + contexts longer than about 500 bytes, which
/// need an HMAC state); nothing else.
template <hmac_provider C>
[[nodiscard]] rc kdfa(C& c, tpm_alg_id hash, byte_view key, byte_view label, byte_view context_u,
                      byte_view context_v, std::uint32_t bits, byte_span out) {
    const std::size_t d = digest_size(hash);
    if (d == 0 || !c.hash_supported(hash)) return rc::hash;
    if (!detail::kdf_size_ok(bits, out.size())) return rc::size;

    std::array<std::uint8_t, 4> length{};
    store_be32(length.data(), bits);
    const byte_view nul{&detail::nul, detail::label_needs_nul(label) ? 1u : 0u};
    const std::size_t fixed = label.size() + nul.size() + context_u.size() + context_v.size();

    if (fixed + 8 <= detail::kdf_input::capacity) {
        // Usual case: [i]32 || label || 00 || U || V || [L]32 in one buffer, one-shot HMACs.
        detail::kdf_input in;
        for (byte_view part : {byte_view{detail::counter_placeholder}, label, nul, context_u,
                               context_v, byte_view{length}})
            in.put(part);
        detail::kdf_blocks(d, out, [&](std::uint32_t i, byte_span k) {
            in.set_counter(0, i);
            c.hmac(hash, key, in.view(), k);
        });
    } else {
        // Long labels/contexts: key the HMAC once and copy the state for every block.
        const auto keyed = c.hmac_start(hash, key);
        std::array<std::uint8_t, 4> counter{};
        detail::kdf_blocks(d, out, [&](std::uint32_t i, byte_span k) {
            store_be32(counter.data(), i);
            auto h = keyed;
            for (byte_view part : {byte_view{counter}, label, nul, context_u, context_v,
                                   byte_view{length}})
                h.update(part);
            h.finish(k);
        });
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
/// Same return values, size rule and exceptions as kdfa.
template <hash_provider C>
[[nodiscard]] rc kdfe(C& c, tpm_alg_id hash, byte_view z, byte_view label, byte_view party_u,
                      byte_view party_v, std::uint32_t bits, byte_span out) {
    const std::size_t d = digest_size(hash);
    if (d == 0 || !c.hash_supported(hash)) return rc::hash;
    if (!detail::kdf_size_ok(bits, out.size())) return rc::size;

    const byte_view nul{&detail::nul, detail::label_needs_nul(label) ? 1u : 0u};
    const std::size_t fixed = z.size() + label.size() + nul.size() + party_u.size() +
                              party_v.size();

    if (fixed + 4 <= detail::kdf_input::capacity) {
        // [i]32 || Z || Use || 00 || PartyUInfo || PartyVInfo, one-shot hashes.
        detail::kdf_input in;
        for (byte_view part :
             {byte_view{detail::counter_placeholder}, z, label, nul, party_u, party_v})
            in.put(part);
        detail::kdf_blocks(d, out, [&](std::uint32_t i, byte_span k) {
            in.set_counter(0, i);
            c.hash(hash, in.view(), k);
        });
    } else {
        std::array<std::uint8_t, 4> counter{};
        detail::kdf_blocks(d, out, [&](std::uint32_t i, byte_span k) {
            store_be32(counter.data(), i);
            auto h = c.hash_start(hash);
            for (byte_view part : {byte_view{counter}, z, label, nul, party_u, party_v})
                h.update(part);
            h.finish(k);
        });
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
