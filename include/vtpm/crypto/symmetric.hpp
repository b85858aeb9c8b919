// Symmetric block ciphers and their modes (DESIGN §5; Part 1 §8.4.7): the library-neutral
// concept and the facts about the algorithms that need no crypto library (block and key sizes).
//
// Algorithms (Part 2 TPMI_ALG_SYM): AES-128/192/256 (FIPS 197), SM4-128 (GB/T 32907),
// Camellia-128/192/256 (RFC 3713) and TDES with a 128- or 192-bit key (SP800-67).
// Modes (Part 2 TPMI_ALG_SYM_MODE, SP800-38A), with the chaining value ivOut that
// TPM2_EncryptDecrypt returns (Part 3 §15.1 Table 64) for a buffer of n bytes and block size B:
//   CFB  full-block feedback (CFB-128 for AES, CFB-64 for TDES); any n. ivOut = the last
//        ciphertext block. If n % B != 0 the last block is partial: ivOut = its n % B ciphertext
//        bytes followed by zero bytes (what the TCG reference implementation returns, so a
//        chain of calls is only equal to one call when every call but the last is a multiple
//        of B bytes).
//   CTR  the whole block is one big-endian counter, incremented modulo 2^(8B) after each block
//        (Part 3 Table 64: "All the bits of the IV are incremented"); any n. ivOut = ivIn + the
//        number of blocks used, a partial final block counting as one (Table 64 example:
//        ivIn 0...0, four blocks -> ivOut 0...04), so the rest of a partial block's keystream
//        is discarded.
//   OFB  any n. ivOut = the last keystream block (the value XORed with the last, possibly
//        partial, plaintext block).
//   CBC  n % B == 0 (else rc::size), no padding. ivOut = the last ciphertext block.
//   ECB  n % B == 0 (else rc::size); ivIn must be empty (rc::size) and no ivOut is written.
// With n == 0 every chaining mode returns ivOut = ivIn.
#pragma once
#include <concepts>
#include <cstddef>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto {

/// Block size in bytes of a symmetric block cipher; 0 for an id that is not one.
[[nodiscard]] constexpr std::size_t sym_block_size(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::aes:
    case alg::sm4:
    case alg::camellia: return 16;
    case alg::tdes: return 8;
    default: return 0;
    }
}

/// True if `bits` is a key size the algorithm defines (Part 2 TPMI_AES_KEY_BITS etc.).
[[nodiscard]] constexpr bool sym_key_bits_valid(tpm_alg_id a, std::size_t bits) noexcept {
    switch (a) {
    case alg::aes:
    case alg::camellia: return bits == 128 || bits == 192 || bits == 256;
    case alg::sm4: return bits == 128;
    case alg::tdes: return bits == 128 || bits == 192;
    default: return false;
    }
}

/// True for the block cipher modes of Part 2 TPMI_ALG_SYM_MODE (TPM_ALG_NULL excluded).
[[nodiscard]] constexpr bool is_sym_mode(tpm_alg_id m) noexcept {
    return m == alg::ctr || m == alg::ofb || m == alg::cbc || m == alg::cfb || m == alg::ecb;
}

/// True if the mode needs whole blocks (CBC, ECB).
[[nodiscard]] constexpr bool sym_mode_needs_blocks(tpm_alg_id m) noexcept {
    return m == alg::cbc || m == alg::ecb;
}

inline constexpr std::size_t max_sym_block_size = 16;
inline constexpr std::size_t max_sym_key_size = 32;

/// Symmetric encryption (Part 1 §8.4.7; TPM2_EncryptDecrypt, parameter encryption, the
/// protection of private areas).
///
///   sym_supported(alg, key_bits)  the implementation offers this cipher and key size.
///   sym_encrypt / sym_decrypt(alg, mode, key, iv_in, in, out, iv_out)
///       transforms in into out (out.size() >= in.size(); out may be exactly in, i.e. in place,
///       but must not otherwise overlap it) and writes the chaining value (see the header
///       comment) to the first block-size bytes of iv_out. iv_out may be empty when the caller
///       does not need it; otherwise it must hold at least one block. iv_out may alias iv_in.
///       Results, checked in this order:
///         rc::symmetric  alg is not a supported block cipher,
///         rc::key_size   key.size() is not a valid key size of alg,
///         rc::mode       mode is not a block cipher mode,
///         rc::size       iv_in is not one block (ECB: not empty), in is not whole blocks for
///                        CBC/ECB, out is shorter than in, or iv_out is non-empty but shorter
///                        than a block,
///         rc::failure    the crypto library failed (the implementation records this for the
///                        engine's failure mode; out then holds no plaintext or ciphertext),
///         rc::success.
///   cfb_encrypt / cfb_decrypt(alg, key, iv, data)
///       CFB in place, for parameter encryption (Part 1 §18.3) and the encryption of sensitive
///       areas (Part 1 §19.4, §23.6). iv is one block, or empty for an all-zero IV. Same results.
template <class C>
concept symmetric_provider =
    requires(C& c, const C& cc, tpm_alg_id a, tpm_alg_id mode, std::size_t bits, byte_view key,
             byte_view iv, byte_view in, byte_span out, byte_span iv_out, byte_span data) {
        { cc.sym_supported(a, bits) } noexcept -> std::same_as<bool>;
        { c.sym_encrypt(a, mode, key, iv, in, out, iv_out) } noexcept -> std::same_as<rc>;
        { c.sym_decrypt(a, mode, key, iv, in, out, iv_out) } noexcept -> std::same_as<rc>;
        { c.cfb_encrypt(a, key, iv, data) } noexcept -> std::same_as<rc>;
        { c.cfb_decrypt(a, key, iv, data) } noexcept -> std::same_as<rc>;
    };

} // namespace vtpm::crypto
