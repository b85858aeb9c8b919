// CMAC (NIST SP 800-38B) over any block cipher of a symmetric_provider (crypto/symmetric.hpp),
// for TPM2_MAC and MAC sequences with TPM_ALG_CMAC (Part 3 §15.6, §17.3). Library-neutral: it
// needs only CBC and ECB encryption from the backend.
//
//   L := E_K(0^b); K1 := dbl(L); K2 := dbl(K1)  (dbl: shift left one bit, XOR Rb into the last
//   octet if the top bit was set; Rb = 0x87 for 128-bit blocks, 0x1B for 64-bit blocks);
//   M = M1 .. Mn (the last block complete, or padded with 10..0); Mn' := Mn ^ K1 if complete,
//   else pad(Mn) ^ K2; T := the last block of CBC-MAC_K(M1 .. Mn-1 || Mn') with a zero IV.
//
// cmac_state holds the key and the running values (zeroed on destruction); it is plain data,
// so copies are independent. The last block of input is always held back until finish(),
// which decides between K1 and K2.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto {

struct cmac_state {
    tpm_alg_id alg = alg::null;
    std::uint8_t key_len = 0;
    std::uint8_t block = 0;
    std::uint8_t pending = 0; // octets in buf (0..block)
    std::array<std::uint8_t, max_sym_key_size> key{};
    std::array<std::uint8_t, max_sym_block_size> x{};   // CBC-MAC chaining value
    std::array<std::uint8_t, max_sym_block_size> buf{}; // input not yet processed

    cmac_state() = default;
    cmac_state(const cmac_state&) = default;
    cmac_state& operator=(const cmac_state&) = default;
    ~cmac_state() {
        secure_zero(key.data(), key.size());
        secure_zero(x.data(), x.size());
        secure_zero(buf.data(), buf.size());
    }
};

namespace detail {

/// x := E_K(x ^ blocks...) over whole blocks (CBC with IV x, keeping the last ciphertext).
template <symmetric_provider C>
[[nodiscard]] rc cmac_chain(C& c, cmac_state& s, byte_view blocks) {
    std::array<std::uint8_t, 512> tmp{};
    rc r = rc::success;
    while (!blocks.empty() && r.ok()) {
        const std::size_t n = std::min(blocks.size(), tmp.size()); // a multiple of the block size
        const byte_view iv{s.x.data(), s.block};
        r = c.sym_encrypt(s.alg, alg::cbc, byte_view{s.key.data(), s.key_len}, iv, blocks.first(n),
                          byte_span{tmp.data(), n}, byte_span{s.x.data(), s.block});
        blocks = blocks.subspan(n);
    }
    secure_zero(tmp.data(), tmp.size());
    return r;
}

/// dbl() of SP 800-38B §6.1 on one block.
inline void cmac_dbl(byte_span b) noexcept {
    const std::uint8_t rb = b.size() == 16 ? 0x87 : 0x1B;
    const bool carry = (b[0] & 0x80) != 0;
    for (std::size_t i = 0; i + 1 < b.size(); ++i)
        b[i] = static_cast<std::uint8_t>((b[i] << 1) | (b[i + 1] >> 7));
    b[b.size() - 1] = static_cast<std::uint8_t>(b[b.size() - 1] << 1);
    if (carry) b[b.size() - 1] ^= rb;
}

} // namespace detail

/// Starts a CMAC with block cipher `cipher` and key: rc::symmetric for a cipher without a
/// block size the CMAC defines (64 or 128 bits) or that the backend lacks, rc::key_size for a
/// key of the wrong size (the backend's check).
template <symmetric_provider C>
[[nodiscard]] rc cmac_start(C& c, tpm_alg_id cipher, byte_view key, cmac_state& s) {
    const std::size_t block = sym_block_size(cipher);
    if (block != 8 && block != 16) return rc::symmetric;
    if (key.size() > max_sym_key_size) return rc::key_size;
    if (!c.sym_supported(cipher, key.size() * 8)) return rc::key_size;
    s = cmac_state{};
    s.alg = cipher;
    s.block = static_cast<std::uint8_t>(block);
    s.key_len = static_cast<std::uint8_t>(key.size());
    std::copy(key.begin(), key.end(), s.key.begin());
    return rc::success;
}

/// Absorbs data. On an error the state is unusable (rc::failure from the backend).
template <symmetric_provider C>
[[nodiscard]] rc cmac_update(C& c, cmac_state& s, byte_view data) {
    const std::size_t b = s.block;
    // Top up the held-back block; process it only when more input follows.
    if (s.pending < b) {
        const std::size_t take = std::min(b - s.pending, data.size());
        if (take > 0) std::memcpy(s.buf.data() + s.pending, data.data(), take); // data may be empty (null)
        s.pending = static_cast<std::uint8_t>(s.pending + take);
        data = data.subspan(take);
    }
    if (data.empty()) return rc::success;
    if (rc r = detail::cmac_chain(c, s, byte_view{s.buf.data(), b}); !r.ok()) return r;
    // Whole blocks except the last (possibly complete) one go through the chain now.
    const std::size_t rest = (data.size() - 1) % b + 1;
    if (rc r = detail::cmac_chain(c, s, data.first(data.size() - rest)); !r.ok()) return r;
    std::memcpy(s.buf.data(), data.data() + data.size() - rest, rest);
    s.pending = static_cast<std::uint8_t>(rest);
    return rc::success;
}

/// Writes the tag (one block; out.size() must be the block size, else rc::size).
template <symmetric_provider C>
[[nodiscard]] rc cmac_finish(C& c, cmac_state& s, byte_span out) {
    const std::size_t b = s.block;
    if (out.size() != b) return rc::size;
    std::array<std::uint8_t, max_sym_block_size> k{}, last{};
    const byte_span kb{k.data(), b};
    rc r = c.sym_encrypt(s.alg, alg::ecb, byte_view{s.key.data(), s.key_len}, {}, kb, kb, {});
    if (r.ok()) {
        detail::cmac_dbl(kb); // K1
        std::memcpy(last.data(), s.buf.data(), s.pending);
        if (s.pending < b) {
            detail::cmac_dbl(kb); // K2
            last[s.pending] = 0x80;
        }
        for (std::size_t i = 0; i < b; ++i) last[i] ^= k[i];
        r = detail::cmac_chain(c, s, byte_view{last.data(), b});
        if (r.ok()) std::memcpy(out.data(), s.x.data(), b);
    }
    secure_zero(k.data(), k.size());
    secure_zero(last.data(), last.size());
    return r;
}

/// One-shot CMAC.
template <symmetric_provider C>
[[nodiscard]] rc cmac(C& c, tpm_alg_id cipher, byte_view key, byte_view data, byte_span out) {
    cmac_state s;
    rc r = cmac_start(c, cipher, key, s);
    if (r.ok()) r = cmac_update(c, s, data);
    if (r.ok()) r = cmac_finish(c, s, out);
    return r;
}

} // namespace vtpm::crypto
