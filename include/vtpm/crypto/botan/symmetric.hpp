// Symmetric block ciphers on Botan 2.19 (DESIGN §5): vtpm::crypto::symmetric_provider.
//
// The modes are written here on Botan::BlockCipher rather than taken from Botan's Cipher_Mode,
// because the TPM needs what Cipher_Mode does not give: the chaining value ivOut of every
// mode (Part 3 §15.1 Table 64), the reference implementation's treatment of a partial final
// CFB block, and ECB (Botan 2.19 has no ECB mode). The semantics are documented in
// vtpm/crypto/symmetric.hpp.
//
// Performance: one BlockCipher object per (algorithm, key size), created on first use and kept
// for the life of the provider (no name lookup per call). The key schedule is recomputed only
// when the key differs from the previous one used with that object (parameter encryption and
// TPM2_EncryptDecrypt typically repeat a key). CTR, ECB and the CFB/CBC decryptions hand the
// cipher up to 16 blocks at once, so Botan's parallel AES-NI/SSSE3 code paths are used.
// Consequently a provider is not thread-safe: use one per TPM instance.
//
// Errors: every operation is noexcept. Parameter errors return the rc listed in
// vtpm/crypto/symmetric.hpp. Should Botan throw anyway (or lack a cipher it is expected to
// have), the operation wipes out, returns rc::failure and failed() becomes true (sticky); the
// engine polls failed() and enters failure mode.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include <botan/block_cipher.h>
#include <botan/mem_ops.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto::botan {

namespace detail::sym {

inline constexpr int sym_slot_count = 9;

/// The cache slot of a (cipher, key size in bytes) pair, or -1 if the pair is not valid.
[[nodiscard]] constexpr int sym_slot(tpm_alg_id a, std::size_t key_bytes) noexcept {
    switch (a) {
    case alg::aes: return key_bytes == 16 ? 0 : key_bytes == 24 ? 1 : key_bytes == 32 ? 2 : -1;
    case alg::sm4: return key_bytes == 16 ? 3 : -1;
    case alg::camellia: return key_bytes == 16 ? 4 : key_bytes == 24 ? 5 : key_bytes == 32 ? 6 : -1;
    case alg::tdes: return key_bytes == 16 ? 7 : key_bytes == 24 ? 8 : -1;
    default: return -1;
    }
}

/// Botan 2.19's name of the block cipher in a slot ("TripleDES" takes 16- and 24-byte keys).
[[nodiscard]] constexpr const char* sym_cipher_name(int slot) noexcept {
    constexpr const char* names[sym_slot_count] = {
        "AES-128",      "AES-192",      "AES-256",   "SM4",      "Camellia-128",
        "Camellia-192", "Camellia-256", "TripleDES", "TripleDES"};
    return slot >= 0 && slot < sym_slot_count ? names[slot] : nullptr;
}

static_assert([] {
    const tpm_alg_id algs[] = {alg::aes, alg::sm4, alg::camellia, alg::tdes};
    for (tpm_alg_id a : algs)
        for (std::size_t bits = 0; bits <= 512; bits += 8)
            if ((sym_slot(a, bits / 8) >= 0) != sym_key_bits_valid(a, bits)) return false;
    return true;
}());

/// Which slots this Botan build can provide (looked up once per process).
[[nodiscard]] inline bool sym_slot_available(int slot) noexcept {
    static const std::array<bool, sym_slot_count> available = [] {
        std::array<bool, sym_slot_count> r{};
        for (int i = 0; i < sym_slot_count; ++i) {
            try {
                r[static_cast<std::size_t>(i)] =
                    !Botan::BlockCipher::providers(sym_cipher_name(i)).empty();
            } catch (...) {
                r[static_cast<std::size_t>(i)] = false;
            }
        }
        return r;
    }();
    return slot >= 0 && slot < sym_slot_count && available[static_cast<std::size_t>(slot)];
}

/// Big-endian increment of a whole block, modulo 2^(8*size).
inline void increment_block(std::uint8_t* b, std::size_t size) noexcept {
    for (std::size_t i = size; i-- > 0;)
        if (++b[i] != 0) return;
}

inline void xor_into(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
                     std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x, y;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        x ^= y;
        std::memcpy(out + i, &x, 8);
    }
    for (; i < n; ++i) out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
}

/// Scratch space for up to 16 AES blocks, wiped on destruction (it holds keystream or
/// plaintext).
class sym_scratch {
public:
    static constexpr std::size_t bytes = 256;
    sym_scratch() = default;
    sym_scratch(const sym_scratch&) = delete;
    sym_scratch& operator=(const sym_scratch&) = delete;
    ~sym_scratch() { Botan::secure_scrub_memory(buf_.data(), buf_.size()); }
    [[nodiscard]] std::uint8_t* data() noexcept { return buf_.data(); }

private:
    std::array<std::uint8_t, bytes> buf_;
};

// The modes. `bc` is keyed, B is its block size, n = number of bytes, in and out are either
// the same pointer or do not overlap; reg holds ivIn on entry and ivOut on exit (B bytes).

inline void ecb(const Botan::BlockCipher& bc, bool enc, const std::uint8_t* in,
                std::uint8_t* out, std::size_t n, std::size_t B) {
    if (enc) bc.encrypt_n(in, out, n / B);
    else bc.decrypt_n(in, out, n / B);
}

inline void cbc_encrypt(const Botan::BlockCipher& bc, const std::uint8_t* in, std::uint8_t* out,
                        std::size_t n, std::size_t B, std::uint8_t* reg) {
    for (std::size_t off = 0; off < n; off += B) {
        xor_into(reg, reg, in + off, B);
        bc.encrypt_n(reg, reg, 1);
        std::copy_n(reg, B, out + off);
    }
}

inline void cbc_decrypt(const Botan::BlockCipher& bc, const std::uint8_t* in, std::uint8_t* out,
                        std::size_t n, std::size_t B, std::uint8_t* reg) {
    sym_scratch ct;
    const std::size_t chunk = sym_scratch::bytes / B * B;
    for (std::size_t off = 0; off < n; off += chunk) {
        const std::size_t len = std::min(chunk, n - off);
        std::copy_n(in + off, len, ct.data()); // keep the ciphertext: out may be in
        bc.decrypt_n(ct.data(), out + off, len / B);
        xor_into(out + off, out + off, reg, B);
        xor_into(out + off + B, out + off + B, ct.data(), len - B);
        std::copy_n(ct.data() + len - B, B, reg);
    }
}

inline void cfb_encrypt(const Botan::BlockCipher& bc, const std::uint8_t* in, std::uint8_t* out,
                        std::size_t n, std::size_t B, std::uint8_t* reg) {
    std::size_t off = 0;
    for (; n - off >= B; off += B) { // whole blocks: 64-bit words (B is 8 or 16)
        bc.encrypt_n(reg, reg, 1);
        for (std::size_t i = 0; i < B; i += 8) {
            std::uint64_t r, x;
            std::memcpy(&r, reg + i, 8);
            std::memcpy(&x, in + off + i, 8);
            r ^= x;
            std::memcpy(reg + i, &r, 8);
            std::memcpy(out + off + i, &r, 8);
        }
    }
    if (const std::size_t len = n - off; len != 0) {
        bc.encrypt_n(reg, reg, 1);
        for (std::size_t i = 0; i < len; ++i) out[off + i] = reg[i] ^= in[off + i];
        std::fill(reg + len, reg + B, std::uint8_t{0}); // partial block: reference behaviour
    }
}

inline void cfb_decrypt(const Botan::BlockCipher& bc, const std::uint8_t* in, std::uint8_t* out,
                        std::size_t n, std::size_t B, std::uint8_t* reg) {
    sym_scratch ks;
    const std::size_t chunk = sym_scratch::bytes / B * B;
    for (std::size_t off = 0; off < n; off += chunk) {
        const std::size_t len = std::min(chunk, n - off);
        const std::size_t blocks = (len + B - 1) / B;
        // Cipher inputs: the register, then every ciphertext block of the chunk but the last.
        std::copy_n(reg, B, ks.data());
        std::copy_n(in + off, (blocks - 1) * B, ks.data() + B);
        bc.encrypt_n(ks.data(), ks.data(), blocks);
        // The next register: the last (possibly partial, zero-filled) ciphertext block, saved
        // before out (which may be in) is written.
        const std::size_t last = (blocks - 1) * B, tail = len - last;
        std::copy_n(in + off + last, tail, reg);
        std::fill(reg + tail, reg + B, std::uint8_t{0});
        xor_into(out + off, in + off, ks.data(), len);
    }
}

inline void ofb(const Botan::BlockCipher& bc, const std::uint8_t* in, std::uint8_t* out,
                std::size_t n, std::size_t B, std::uint8_t* reg) {
    for (std::size_t off = 0; off < n; off += B) {
        bc.encrypt_n(reg, reg, 1);
        xor_into(out + off, in + off, reg, std::min(B, n - off));
    }
}

inline void ctr(const Botan::BlockCipher& bc, const std::uint8_t* in, std::uint8_t* out,
                std::size_t n, std::size_t B, std::uint8_t* reg) {
    sym_scratch ks;
    const std::size_t chunk = sym_scratch::bytes / B * B;
    for (std::size_t off = 0; off < n; off += chunk) {
        const std::size_t len = std::min(chunk, n - off);
        const std::size_t blocks = (len + B - 1) / B;
        for (std::size_t b = 0; b < blocks; ++b) {
            std::copy_n(reg, B, ks.data() + b * B);
            increment_block(reg, B);
        }
        bc.encrypt_n(ks.data(), ks.data(), blocks);
        xor_into(out + off, in + off, ks.data(), len);
    }
}

} // namespace detail::sym

class symmetric_provider {
public:
    /// Creates nothing yet: each cipher object is made on first use.
    symmetric_provider() noexcept = default;
    symmetric_provider(symmetric_provider&&) noexcept = default;
    symmetric_provider& operator=(symmetric_provider&&) noexcept = default;
    symmetric_provider(const symmetric_provider&) = delete;
    symmetric_provider& operator=(const symmetric_provider&) = delete;
    ~symmetric_provider() {
        for (auto& s : slots_) Botan::secure_scrub_memory(s.key.data(), s.key.size());
    }

    /// True if alg with a key of key_bits bits is implemented.
    [[nodiscard]] bool sym_supported(tpm_alg_id a, std::size_t key_bits) const noexcept {
        return key_bits % 8 == 0 &&
               detail::sym::sym_slot_available(detail::sym::sym_slot(a, key_bits / 8));
    }

    [[nodiscard]] rc sym_encrypt(tpm_alg_id a, tpm_alg_id mode, byte_view key, byte_view iv_in,
                                 byte_view in, byte_span out, byte_span iv_out) noexcept {
        return run(true, a, mode, key, iv_in, in, out, iv_out);
    }
    [[nodiscard]] rc sym_decrypt(tpm_alg_id a, tpm_alg_id mode, byte_view key, byte_view iv_in,
                                 byte_view in, byte_span out, byte_span iv_out) noexcept {
        return run(false, a, mode, key, iv_in, in, out, iv_out);
    }

    /// CFB in place; an empty iv means the all-zero IV.
    [[nodiscard]] rc cfb_encrypt(tpm_alg_id a, byte_view key, byte_view iv,
                                 byte_span data) noexcept {
        return cfb_in_place(true, a, key, iv, data);
    }
    [[nodiscard]] rc cfb_decrypt(tpm_alg_id a, byte_view key, byte_view iv,
                                 byte_span data) noexcept {
        return cfb_in_place(false, a, key, iv, data);
    }

    /// True once Botan failed inside this provider (see the header comment).
    [[nodiscard]] bool failed() const noexcept { return failed_; }

private:
    struct slot {
        std::unique_ptr<Botan::BlockCipher> cipher;
        std::array<std::uint8_t, max_sym_key_size> key{}; // the key currently scheduled
        bool keyed = false;
    };

    /// The cipher of `s` with `key` scheduled, or nullptr if Botan cannot make it. May throw
    /// (Botan errors, bad_alloc): callers catch.
    Botan::BlockCipher* keyed(int s, byte_view key) {
        slot& sl = slots_[static_cast<std::size_t>(s)];
        if (!sl.cipher) {
            sl.cipher = Botan::BlockCipher::create(detail::sym::sym_cipher_name(s));
            if (!sl.cipher) return nullptr;
        }
        if (!sl.keyed || !Botan::constant_time_compare(sl.key.data(), key.data(), key.size())) {
            sl.keyed = false;
            sl.cipher->set_key(key.data(), key.size());
            std::copy(key.begin(), key.end(), sl.key.begin());
            sl.keyed = true;
        }
        return sl.cipher.get();
    }

    rc run(bool enc, tpm_alg_id a, tpm_alg_id mode, byte_view key, byte_view iv_in,
           byte_view in, byte_span out, byte_span iv_out) noexcept {
        const std::size_t B = sym_block_size(a);
        if (B == 0) return rc::symmetric;
        const int s = detail::sym::sym_slot(a, key.size());
        if (s < 0) return rc::key_size;
        if (!is_sym_mode(mode)) return rc::mode;
        const bool is_ecb = mode == alg::ecb;
        if (iv_in.size() != (is_ecb ? 0 : B)) return rc::size;
        if (sym_mode_needs_blocks(mode) && in.size() % B != 0) return rc::size;
        if (out.size() < in.size()) return rc::size;
        if (!iv_out.empty() && iv_out.size() < B) return rc::size;
        if (!detail::sym::sym_slot_available(s)) return rc::symmetric;

        std::array<std::uint8_t, max_sym_block_size> reg{};
        std::copy(iv_in.begin(), iv_in.end(), reg.begin());
        const std::size_t n = in.size();
        try {
            if (n != 0) {
                const Botan::BlockCipher* bc = keyed(s, key);
                if (!bc) return fail(out.first(n));
                const std::uint8_t* src = in.data();
                std::uint8_t* dst = out.data();
                switch (mode) {
                case alg::ecb: detail::sym::ecb(*bc, enc, src, dst, n, B); break;
                case alg::cbc:
                    if (enc) detail::sym::cbc_encrypt(*bc, src, dst, n, B, reg.data());
                    else detail::sym::cbc_decrypt(*bc, src, dst, n, B, reg.data());
                    break;
                case alg::cfb:
                    if (enc) detail::sym::cfb_encrypt(*bc, src, dst, n, B, reg.data());
                    else detail::sym::cfb_decrypt(*bc, src, dst, n, B, reg.data());
                    break;
                case alg::ofb: detail::sym::ofb(*bc, src, dst, n, B, reg.data()); break;
                default: detail::sym::ctr(*bc, src, dst, n, B, reg.data()); break;
                }
            }
        } catch (...) {
            Botan::secure_scrub_memory(reg.data(), reg.size());
            return fail(out.first(n));
        }
        if (!is_ecb && !iv_out.empty()) std::copy_n(reg.data(), B, iv_out.data());
        Botan::secure_scrub_memory(reg.data(), reg.size());
        return rc::success;
    }

    rc cfb_in_place(bool enc, tpm_alg_id a, byte_view key, byte_view iv, byte_span data) noexcept {
        static constexpr std::array<std::uint8_t, max_sym_block_size> zero{};
        const std::size_t B = sym_block_size(a);
        const byte_view iv_in = iv.empty() && B != 0 ? byte_view{zero.data(), B} : iv;
        return run(enc, a, alg::cfb, key, iv_in, data, data, {});
    }

    rc fail(byte_span out) noexcept {
        failed_ = true;
        Botan::secure_scrub_memory(out.data(), out.size());
        return rc::failure;
    }

    std::array<slot, detail::sym::sym_slot_count> slots_;
    bool failed_ = false;
};

static_assert(vtpm::crypto::symmetric_provider<symmetric_provider>);

} // namespace vtpm::crypto::botan
