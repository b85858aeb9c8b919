// Sizes of the hash algorithms a TPM may implement (no crypto library needed).
// Digest sizes: Part 2 TPMU_HA and the TCG algorithm registry; block sizes: FIPS 180-4
// (SHA-1/SHA-2), FIPS 202 (SHA-3: the rate), GM/T 0004-2012 (SM3). HMAC pads keys to the
// block size (RFC 2104, Part 1 §11.4.6.3).
#pragma once
#include <array>
#include <cstddef>

#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto {

/// Digest size in bytes of a TPM hash algorithm; 0 for an id that is not a hash.
[[nodiscard]] constexpr std::size_t digest_size(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::sha1: return 20;
    case alg::sha256: return 32;
    case alg::sha384: return 48;
    case alg::sha512: return 64;
    case alg::sm3_256: return 32;
    case alg::sha3_256: return 32;
    case alg::sha3_384: return 48;
    case alg::sha3_512: return 64;
    default: return 0;
    }
}

/// Input block size in bytes (the HMAC pad length); 0 for an id that is not a hash.
[[nodiscard]] constexpr std::size_t block_size(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::sha1:
    case alg::sha256:
    case alg::sm3_256: return 64;
    case alg::sha384:
    case alg::sha512: return 128;
    case alg::sha3_256: return 136; // FIPS 202: rate = 1600 - 2*256 bits
    case alg::sha3_384: return 104;
    case alg::sha3_512: return 72;
    default: return 0;
    }
}

/// True for the hash algorithms listed in all_hash_algs.
[[nodiscard]] constexpr bool is_hash_alg(tpm_alg_id a) noexcept { return digest_size(a) != 0; }

/// Largest digest_size() of any hash (SHA-512, SHA3-512): sizes TPMU_HA buffers.
inline constexpr std::size_t max_digest_size = 64;
/// Largest block_size() of any hash (SHA3-256).
inline constexpr std::size_t max_block_size = 136;

/// Every hash algorithm id this header knows, in TPM_ALG_ID order.
inline constexpr std::array<tpm_alg_id, 8> all_hash_algs{
    alg::sha1,    alg::sha256,   alg::sha384,   alg::sha512,
    alg::sm3_256, alg::sha3_256, alg::sha3_384, alg::sha3_512};

} // namespace vtpm::crypto
