// RSA (DESIGN §5; Part 1 §43, RFC 8017): the library-neutral concept, the deterministic key
// generation algorithm that every backend must implement bit for bit, and the facts that need
// no crypto library (DigestInfo prefixes, PSS salt length, size limits, the small-prime sieve).
//
// Keys are plain big-endian byte strings, as in TPM2B_PUBLIC_KEY_RSA / TPM2B_PRIVATE_KEY_RSA:
// the modulus n, the exponent e (0 means 2^16 + 1, Part 2 TPMS_RSA_PARMS) and, for private
// operations, one prime p (either factor; Part 1 §43.1). Leading zero bytes are ignored.
//
// ---- Deterministic key generation: rsa_generate(bits, e, R, n, p) ------------------------
// This algorithm defines which RSA primary key a hierarchy seed and template give (the TPM
// drives R with KDFa). CHANGING ANY DETAIL BELOW CHANGES EVERY RSA PRIMARY KEY. It follows
// Part 1 §43.8.2-43.8.3 (FIPS 186-5 A.1.3 with Miller-Rabin witnesses from the same stream).
//
//   Inputs: bits in {1024, 2048, 3072, 4096}; e = 0 (use 65537) or an odd e >= 3; R, a byte
//   stream: R(k) returns the next k bytes. Every request this algorithm makes is for exactly
//   hb = bits/16 bytes (the size of a prime), in the order given here. Let h = bits/2.
//
//   find_prime():
//     1. X = R(hb) read as a big-endian unsigned integer; set bits h-1, h-2 and 0 of X
//        (X >= 1.5 * 2^(h-1), so p*q has exactly `bits` bits: Part 1 §43.1).
//     2. If X is divisible by one of the 1023 odd primes 3, 5, ..., 8161 (the first 1024
//        primes without 2: rsa_sieve_primes), go to 1.
//     3. If gcd(X - 1, e) != 1, go to 1.
//     4. Miller-Rabin, t rounds (rsa_mr_rounds(h): t = 8, 5, 4, 4 for h = 512, 1024, 1536,
//        2048; FIPS 186-5 Table B.1, 8 for 512-bit primes). Write X - 1 = 2^a * m, m odd. For
//        each round: draw b = R(hb) as a big-endian integer, repeatedly, until 1 < b < X - 1;
//        z = b^m mod X; the round passes if z == 1 or z == X - 1, or if squaring z (z = z^2
//        mod X) at most a - 1 times reaches X - 1 before it reaches 1. The first round that
//        fails sends the search back to step 1 (later rounds draw no witnesses).
//     5. Return X.
//   Key:
//     1. p = find_prime(); q = find_prime().
//     2. If |p - q| <= 2^(h - 100), go to 1 (both primes anew; FIPS 186-5 A.1.3 step 5.4).
//     3. n = p * q. Output n (bits/8 bytes) and p (hb bytes), big-endian, p being the FIRST
//        prime found.
//   FIPS 186-5's "d > 2^h" check is not performed: it fails with probability < 2^-(h-2).
// --------------------------------------------------------------------------------------------
#pragma once
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/core/result.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto {

/// A public key (non-owning views).
struct rsa_public_key {
    byte_view n;
    std::uint32_t e = 0; // 0: 65537
};

/// A private key: the public key plus one of its two primes (non-owning views).
struct rsa_private_key {
    byte_view n;
    std::uint32_t e = 0;
    byte_view p;
};

/// The byte stream rsa_generate draws from (see the header comment).
using rsa_random_stream = std::function<void(byte_span)>;

inline constexpr std::uint32_t rsa_default_exponent = 65537; // 2^16 + 1
inline constexpr std::size_t rsa_max_modulus_bytes = 512;     // 4096 bits
inline constexpr std::size_t rsa_min_modulus_bits = 1024;
inline constexpr std::size_t rsa_max_modulus_bits = 4096;

/// The exponent a TPMS_RSA_PARMS.exponent value stands for.
[[nodiscard]] constexpr std::uint32_t rsa_exponent(std::uint32_t e) noexcept {
    return e == 0 ? rsa_default_exponent : e;
}
/// Part 2 TPMS_RSA_PARMS: "an odd number greater than 2" (or 0 for the default).
[[nodiscard]] constexpr bool rsa_exponent_valid(std::uint32_t e) noexcept {
    return e == 0 || (e % 2 == 1 && e >= 3);
}
/// The key sizes rsa_generate accepts (Part 2 TPMI_RSA_KEY_BITS values vtpm implements).
[[nodiscard]] constexpr bool rsa_key_bits_valid(std::size_t bits) noexcept {
    return bits == 1024 || bits == 2048 || bits == 3072 || bits == 4096;
}

/// RSAES-OAEP's largest message (RFC 8017 §7.1.1; Part 3 Table 43): k - 2 hLen - 2 bytes, or
/// 0 if the key is too small for the hash (then no message fits).
[[nodiscard]] constexpr std::size_t rsa_oaep_max_message(std::size_t k, std::size_t hlen) noexcept {
    return k >= 2 * hlen + 2 ? k - 2 * hlen - 2 : 0;
}
/// RSAES-PKCS1-v1_5's largest message (RFC 8017 §7.2.1): k - 11 bytes.
[[nodiscard]] constexpr std::size_t rsa_pkcs1_max_message(std::size_t k) noexcept {
    return k >= 11 ? k - 11 : 0;
}

/// The RSASSA-PSS salt length the TPM uses when signing (Part 1 §43.7): the largest FIPS 186-5
/// allows, min(hLen, emLen - hLen - 2) with emLen = ceil((modBits - 1) / 8). Returns -1 if
/// the key is too small for the hash (emLen < hLen + 2).
[[nodiscard]] constexpr int rsa_pss_salt_size(std::size_t mod_bits, std::size_t hlen) noexcept {
    const std::size_t em_len = (mod_bits - 1 + 7) / 8;
    if (mod_bits == 0 || em_len < hlen + 2) return -1;
    return static_cast<int>(std::min(hlen, em_len - hlen - 2));
}

/// The DER DigestInfo prefix that RSASSA-PKCS1-v1_5 puts before the digest (RFC 8017 §9.2
/// note 1 for SHA-1/SHA-2, NIST CSOR OIDs for SHA-3, GM/T 0006 OID 1.2.156.10197.1.401 for
/// SM3; Part 1 §43.6). Empty for an algorithm that has none.
[[nodiscard]] inline byte_view rsa_digest_info(tpm_alg_id h) noexcept {
    static constexpr std::uint8_t sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                            0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
    static constexpr std::uint8_t sha2_3[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                              0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                              0x00, 0x05, 0x00, 0x04, 0x00};
    // One template per digest length; byte 14 is the last arc of the NIST hash OID.
    struct nist {
        std::array<std::uint8_t, 19> b;
        constexpr nist(std::uint8_t seq, std::uint8_t arc, std::uint8_t len) : b{} {
            for (std::size_t i = 0; i < b.size(); ++i) b[i] = sha2_3[i];
            b[1] = seq;
            b[14] = arc;
            b[18] = len;
        }
    };
    static constexpr nist sha256{0x31, 0x01, 0x20}, sha384{0x41, 0x02, 0x30},
        sha512{0x51, 0x03, 0x40}, sha3_256{0x31, 0x08, 0x20}, sha3_384{0x41, 0x09, 0x30},
        sha3_512{0x51, 0x0a, 0x40};
    static constexpr std::uint8_t sm3[] = {0x30, 0x30, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81, 0x1c,
                                           0xcf, 0x55, 0x01, 0x83, 0x11, 0x05, 0x00, 0x04, 0x20};
    switch (h) {
    case alg::sha1: return sha1;
    case alg::sha256: return sha256.b;
    case alg::sha384: return sha384.b;
    case alg::sha512: return sha512.b;
    case alg::sha3_256: return sha3_256.b;
    case alg::sha3_384: return sha3_384.b;
    case alg::sha3_512: return sha3_512.b;
    case alg::sm3_256: return sm3;
    default: return {};
    }
}

/// Miller-Rabin rounds of the key generation for a prime of `prime_bits` bits (header comment).
[[nodiscard]] constexpr unsigned rsa_mr_rounds(std::size_t prime_bits) noexcept {
    return prime_bits <= 512 ? 8 : prime_bits <= 1024 ? 5 : 4;
}

/// The 1023 odd primes 3 ... 8161 of key-generation step 2.
inline constexpr std::array<std::uint16_t, 1023> rsa_sieve_primes = [] {
    std::array<std::uint16_t, 1023> r{};
    std::size_t count = 0;
    for (std::uint32_t c = 3; count < r.size(); c += 2) {
        bool prime = true;
        for (std::size_t i = 0; i < count && std::uint32_t{r[i]} * r[i] <= c; ++i)
            if (c % r[i] == 0) {
                prime = false;
                break;
            }
        if (prime) r[count++] = static_cast<std::uint16_t>(c);
    }
    return r;
}();
static_assert(rsa_sieve_primes.front() == 3 && rsa_sieve_primes.back() == 8161);

namespace detail {

/// x mod m for a big-endian x (m != 0).
[[nodiscard]] constexpr std::uint32_t mod_small(byte_view x, std::uint32_t m) noexcept {
    std::uint64_t r = 0;
    for (std::uint8_t b : x) r = ((r << 8) | b) % m;
    return static_cast<std::uint32_t>(r);
}

/// Key-generation step 2: is a big-endian candidate of at most 256 bytes divisible by one of
/// rsa_sieve_primes? x mod s is computed as sum(d_i * (2^(32 i) mod s)) mod s over the 32-bit
/// digits d_i of x, with the powers tabulated once per process: one division per prime.
class rsa_sieve {
public:
    static constexpr std::size_t max_digits = 64; // 2048-bit primes

    [[nodiscard]] static const rsa_sieve& instance() {
        static const auto s = std::make_unique<const rsa_sieve>();
        return *s;
    }

    rsa_sieve() noexcept {
        for (std::size_t j = 0; j < rsa_sieve_primes.size(); ++j) {
            const std::uint32_t s = rsa_sieve_primes[j];
            const std::uint32_t base = static_cast<std::uint32_t>((std::uint64_t{1} << 32) % s);
            std::uint32_t pw = 1;
            for (std::size_t i = 0; i < max_digits; ++i) {
                pow_[j][i] = static_cast<std::uint16_t>(pw);
                pw = static_cast<std::uint32_t>(std::uint64_t{pw} * base % s);
            }
        }
    }

    /// x's value must exceed 8161 for a "true" to mean "composite". Longer x (never passed by
    /// the key generation) are tested byte by byte.
    [[nodiscard]] bool has_small_factor(byte_view x) const noexcept {
        if (x.size() > 4 * max_digits) {
            for (const std::uint16_t s : rsa_sieve_primes)
                if (mod_small(x, s) == 0) return true;
            return false;
        }
        std::array<std::uint32_t, max_digits> d{}; // little-endian 32-bit digits
        const std::size_t nd = (x.size() + 3) / 4;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const std::size_t pos = x.size() - 1 - i; // byte i from the least significant end
            d[i / 4] |= std::uint32_t{x[pos]} << (8 * (i % 4));
        }
        for (std::size_t j = 0; j < rsa_sieve_primes.size(); ++j) {
            std::uint64_t acc = 0; // < 64 * 2^32 * 2^13 = 2^51
            const auto& pw = pow_[j];
            for (std::size_t i = 0; i < nd; ++i) acc += std::uint64_t{d[i]} * pw[i];
            if (acc % rsa_sieve_primes[j] == 0) return true;
        }
        return false;
    }

private:
    std::array<std::array<std::uint16_t, max_digits>, rsa_sieve_primes.size()> pow_;
};

} // namespace detail

/// RSA (Part 1 §43; RFC 8017). All operations are noexcept; k is the modulus length in bytes.
///
///   rsa_supported(bits)      key generation (and the other operations) for this size.
///   rsa_generate(bits, e, R, n_out, p_out)
///       the deterministic key generation of the header comment; n_out must hold bits/8 and
///       p_out bits/16 bytes (exactly those are written). rc::key_size (bits), rc::value (e),
///       rc::size (outputs), rc::failure (R threw, or the library failed).
///   rsa_check_private(key)   the Load-time pairing check (Part 1 §43.1): p divides n, both
///       primes' squares have as many bits as n, gcd(e, lcm(p-1, q-1)) == 1. rc::binding if
///       not. Every private operation performs it too (results are cached).
///   rsa_encrypt_raw(pub, m, out)        RSAEP (Part 1 §43.2): out = m^e mod n, k bytes
///       (rc::value if m >= n or m is longer than k).
///   rsa_decrypt_raw(priv, c, out)       RSADP (§43.3): out = c^d mod n, k bytes, left-padded
///       with zeros (c must be k bytes: rc::size; c >= n: rc::value).
///   rsa_encrypt_oaep(pub, hash, label, m, out)   RSAES-OAEP (§43.4) with MGF1(hash); the
///       label is any byte string, used as is (a TPM label includes its NUL). rc::value if m
///       is too long (rsa_oaep_max_message).
///   rsa_decrypt_oaep(priv, hash, label, c, out) -> message length. Constant time: every
///       padding failure gives rc::value. out must hold rsa_oaep_max_message bytes.
///   rsa_encrypt_pkcs1 / rsa_decrypt_pkcs1        RSAES-PKCS1-v1_5 (§43.5), likewise.
///   rsa_sign_pkcs1(priv, hash, digest, out)      RSASSA-PKCS1-v1_5 (§43.6) over a digest (the
///       DigestInfo of `hash` is added); k bytes.
///   rsa_verify_pkcs1(pub, hash, digest, sig)     rc::success or rc::signature.
///   rsa_sign_pss(priv, hash, digest, out)        RSASSA-PSS (§43.7), MGF1(hash), salt length
///       rsa_pss_salt_size; k bytes.
///   rsa_verify_pss(pub, hash, digest, sig)       accepts any salt length. rc::success or
///       rc::signature.
/// Common results: rc::key_size (n is not 1024..4096 bits), rc::key (n even, or e invalid),
/// rc::binding (private key inconsistent, see rsa_check_private), rc::hash (hash not
/// supported), rc::size (digest length differs from the hash's, an output span too short,
/// a ciphertext not k bytes), rc::memory (allocation failed), rc::failure (the crypto library
/// failed; recorded for the engine's failure mode).
template <class C>
concept rsa_provider =
    requires(C& c, const C& cc, std::size_t bits, std::uint32_t e, const rsa_random_stream& r,
             const rsa_public_key& pub, const rsa_private_key& priv, tpm_alg_id h,
             byte_view label, byte_view in, byte_view sig, byte_span out, byte_span out2) {
        { cc.rsa_supported(bits) } noexcept -> std::same_as<bool>;
        { c.rsa_generate(bits, e, r, out, out2) } noexcept -> std::same_as<rc>;
        { c.rsa_check_private(priv) } noexcept -> std::same_as<rc>;
        { c.rsa_encrypt_raw(pub, in, out) } noexcept -> std::same_as<rc>;
        { c.rsa_decrypt_raw(priv, in, out) } noexcept -> std::same_as<rc>;
        { c.rsa_encrypt_oaep(pub, h, label, in, out) } noexcept -> std::same_as<rc>;
        { c.rsa_decrypt_oaep(priv, h, label, in, out) } noexcept
            -> std::same_as<result<std::size_t>>;
        { c.rsa_encrypt_pkcs1(pub, in, out) } noexcept -> std::same_as<rc>;
        { c.rsa_decrypt_pkcs1(priv, in, out) } noexcept -> std::same_as<result<std::size_t>>;
        { c.rsa_sign_pkcs1(priv, h, in, out) } noexcept -> std::same_as<rc>;
        { c.rsa_verify_pkcs1(pub, h, in, sig) } noexcept -> std::same_as<rc>;
        { c.rsa_sign_pss(priv, h, in, out) } noexcept -> std::same_as<rc>;
        { c.rsa_verify_pss(pub, h, in, sig) } noexcept -> std::same_as<rc>;
    };

} // namespace vtpm::crypto
