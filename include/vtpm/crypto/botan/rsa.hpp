// RSA on Botan 2.19 (DESIGN §5): vtpm::crypto::rsa_provider. Semantics, result codes and the
// key generation algorithm are documented in vtpm/crypto/rsa.hpp.
//
// How the operations map onto Botan:
//   - public operation (RSAEP, and RSAVP1 for verification): PK_Encryptor_EME(key, "Raw");
//   - private operation (RSADP, RSASP1): the CRT written here on Botan::Power_Mod (Montgomery
//     exponentiation, constant time in the exponent) with the CRT values of
//     Botan::RSA_PrivateKey, the input blinded by a Botan::Blinder (r^e, r^-1, squared for each
//     use) and the result checked with the public operation; the result is written as exactly
//     k bytes. Not PK_Signer(key, "Raw"): Botan 2.19 hands one CRT half of it to its global
//     thread pool, and on a busy machine waking that thread cost from 1 to 9 ms per 2048-bit
//     operation against a steady 1.2 ms here. Not PK_Decryptor_EME("Raw") either: it strips
//     leading zeros, and the length of its output would tell whether the first byte of an
//     OAEP block was zero (Manger's attack);
//   - OAEP and PKCS#1 v1.5 encryption padding: Botan::OAEP / Botan::EME_PKCS1v15 used through
//     Botan::EME (an arbitrary binary label is possible only that way; Botan's "OAEP(...)"
//     strings cannot carry ',' or parentheses). Decryption hands the k-byte block to
//     EME::unpad, which runs in constant time; every failure maps to rc::value;
//   - RSASSA-PKCS1-v1_5 and RSASSA-PSS encodings are written here (RFC 8017 §9.1, §9.2) on
//     Botan::HashFunction and Botan::mgf1_mask, because the TPM's PSS salt length
//     (rsa_pss_salt_size) is not what Botan's "PSSR_Raw" chooses for small keys.
//   - key generation: vtpm/crypto/rsa.hpp's algorithm on Botan::BigInt / Power_Mod; Botan's own
//     prime search (RSA_PrivateKey(rng, bits)) is never used.
//
// Performance: private keys are rebuilt from (n, e, p) (q = n / p, d, CRT values, Montgomery
// parameters, a blinder) once and cached, keyed by (n, e), with up to `cache_size`
// entries of each kind, least recently used evicted; public keys likewise. A cache hit
// costs a comparison of n and of the supplied prime with the cached p and q.
// Consequently a provider is not thread-safe: use one per TPM instance.
//
// Randomness (OAEP seeds, PKCS#1 padding, PSS salts, blinding) comes from the RNG given at
// construction (default: Botan::system_rng()); it must outlive the provider.
//
// Errors: every operation is noexcept. std::bad_alloc gives rc::memory; any other exception
// from Botan (none is expected: inputs are checked first) gives rc::failure, empties the key
// caches and sets failed() (sticky), which the engine polls to enter failure mode.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <botan/bigint.h>
#include <botan/blinding.h>
#include <botan/divide.h>
#include <botan/eme.h>
#include <botan/eme_pkcs.h>
#include <botan/hash.h>
#include <botan/mem_ops.h>
#include <botan/mgf1.h>
#include <botan/numthry.h>
#include <botan/oaep.h>
#include <botan/pow_mod.h>
#include <botan/pubkey.h>
#include <botan/reducer.h>
#include <botan/rng.h>
#include <botan/rsa.h>
#include <botan/system_rng.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/core/result.hpp"
#include "vtpm/crypto/botan/hash.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/crypto/rsa.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto::botan {

namespace detail::rsa {

/// A byte string without its leading zero bytes.
[[nodiscard]] inline byte_view strip_zeros(byte_view b) noexcept {
    std::size_t i = 0;
    while (i < b.size() && b[i] == 0) ++i;
    return b.subspan(i);
}

[[nodiscard]] inline std::size_t bit_length(byte_view stripped) noexcept {
    if (stripped.empty()) return 0;
    std::size_t top = 0;
    for (unsigned v = stripped[0]; v != 0; v >>= 1) ++top;
    return (stripped.size() - 1) * 8 + top;
}

[[nodiscard]] inline Botan::BigInt to_bigint(byte_view b) {
    return Botan::BigInt(b.data(), b.size());
}

[[nodiscard]] inline bool same(byte_view a, byte_view b) noexcept {
    return a.size() == b.size() && Botan::constant_time_compare(a.data(), b.data(), a.size());
}

/// Copy a k-byte big-endian result into out, left-padding with zeros (Botan returns k bytes;
/// this also copes with a shorter value).
inline void put_left_padded(byte_view v, byte_span out, std::size_t k) noexcept {
    const std::size_t n = std::min(v.size(), k);
    std::fill_n(out.data(), k - n, std::uint8_t{0});
    std::copy_n(v.data() + (v.size() - n), n, out.data() + (k - n));
}

/// Miller-Rabin with witnesses drawn from the key-generation stream (vtpm/crypto/rsa.hpp,
/// find_prime step 4). `w` is odd and > 3.
inline bool miller_rabin(const Botan::BigInt& w, unsigned rounds, const rsa_random_stream& r,
                         Botan::secure_vector<std::uint8_t>& buf) {
    const Botan::BigInt w1 = w - 1;
    const std::size_t a = Botan::low_zero_bits(w1);
    const Botan::Power_Mod pm(w);
    pm.set_exponent(w1 >> a);
    // Only needed to square z (z neither 1 nor w-1, and a > 1). Building one is a
    // constant-time division, a sizeable part of a candidate's cost, so it is made on first
    // need: most composite candidates are rejected without it.
    std::unique_ptr<Botan::Modular_Reducer> red;
    for (unsigned round = 0; round < rounds; ++round) {
        Botan::BigInt b;
        do {
            r(byte_span{buf.data(), buf.size()});
            b = Botan::BigInt(buf.data(), buf.size());
        } while (b <= 1 || b >= w1);
        pm.set_base(b);
        Botan::BigInt z = pm.execute();
        if (z == 1 || z == w1) continue;
        if (a <= 1) return false; // no squaring left: w is composite
        if (!red) red = std::make_unique<Botan::Modular_Reducer>(w);
        bool passed = false;
        for (std::size_t i = 1; i < a && !passed; ++i) {
            z = red->square(z);
            if (z == w1) passed = true;
            else if (z == 1) break;
        }
        if (!passed) return false;
    }
    return true;
}

/// find_prime() of vtpm/crypto/rsa.hpp.
inline Botan::BigInt find_prime(std::size_t prime_bits, std::uint32_t e,
                                const rsa_random_stream& r) {
    const std::size_t hb = prime_bits / 8;
    const crypto::detail::rsa_sieve& sieve = crypto::detail::rsa_sieve::instance();
    Botan::secure_vector<std::uint8_t> buf(hb);
    const unsigned rounds = rsa_mr_rounds(prime_bits);
    for (;;) {
        r(byte_span{buf.data(), buf.size()});
        buf[0] |= 0xC0;
        buf[hb - 1] |= 0x01;
        if (sieve.has_small_factor(byte_view{buf.data(), hb})) continue;
        // gcd(X - 1, e) = gcd((X mod e) - 1 mod e, e)
        const std::uint32_t x1 =
            (crypto::detail::mod_small(byte_view{buf.data(), hb}, e) + e - 1) % e;
        if (std::gcd(x1, e) != 1) continue;
        Botan::BigInt x(buf.data(), hb);
        if (miller_rabin(x, rounds, r, buf)) return x;
    }
}

} // namespace detail::rsa

class rsa_provider {
public:
    /// Randomness from Botan::system_rng().
    rsa_provider() : rsa_provider(Botan::system_rng()) {}
    /// Randomness from `rng`, which must outlive the provider (e.g. the backend's DRBG).
    explicit rsa_provider(Botan::RandomNumberGenerator& rng, std::size_t cache_size = 8)
        : rng_(&rng), cache_size_(std::max<std::size_t>(cache_size, 1)) {}

    rsa_provider(rsa_provider&&) noexcept = default;
    rsa_provider& operator=(rsa_provider&&) noexcept = default;
    rsa_provider(const rsa_provider&) = delete;
    rsa_provider& operator=(const rsa_provider&) = delete;
    ~rsa_provider() = default;

    [[nodiscard]] bool rsa_supported(std::size_t bits) const noexcept {
        return rsa_key_bits_valid(bits);
    }

    // --- key generation and checks ---------------------------------------------------------

    [[nodiscard]] rc rsa_generate(std::size_t bits, std::uint32_t e, const rsa_random_stream& r,
                                  byte_span n_out, byte_span p_out) noexcept {
        if (!rsa_key_bits_valid(bits)) return rc::key_size;
        if (!rsa_exponent_valid(e)) return rc::value;
        if (n_out.size() < bits / 8 || p_out.size() < bits / 16) return rc::size;
        if (!r) return rc::failure;
        return guarded([&]() -> rc {
            const std::uint32_t ex = rsa_exponent(e);
            const std::size_t h = bits / 2;
            const Botan::BigInt bound = Botan::BigInt::power_of_2(h - 100);
            for (;;) {
                const Botan::BigInt p = detail::rsa::find_prime(h, ex, r);
                const Botan::BigInt q = detail::rsa::find_prime(h, ex, r);
                const Botan::BigInt diff = p > q ? p - q : q - p;
                if (diff <= bound) continue;
                const Botan::BigInt n = p * q;
                n.binary_encode(n_out.data(), bits / 8);
                p.binary_encode(p_out.data(), bits / 16);
                return rc::success;
            }
        });
    }

    [[nodiscard]] rc rsa_check_private(const rsa_private_key& key) noexcept {
        return guarded([&]() -> rc {
            private_entry* k = nullptr;
            return load(key, k);
        });
    }

    // --- encryption ----------------------------------------------------------------------

    [[nodiscard]] rc rsa_encrypt_raw(const rsa_public_key& key, byte_view m,
                                     byte_span out) noexcept {
        return guarded([&]() -> rc {
            public_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            if (out.size() < k->size) return rc::size;
            const byte_view ms = detail::rsa::strip_zeros(m);
            if (m.size() > k->size || detail::rsa::to_bigint(ms) >= k->n) return rc::value;
            return public_op(*k, ms, out);
        });
    }

    [[nodiscard]] rc rsa_decrypt_raw(const rsa_private_key& key, byte_view c,
                                     byte_span out) noexcept {
        return guarded([&]() -> rc {
            private_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            if (c.size() != k->size || out.size() < k->size) return rc::size;
            if (detail::rsa::to_bigint(c) >= k->n) return rc::value;
            return private_op(*k, c, out);
        });
    }

    [[nodiscard]] rc rsa_encrypt_oaep(const rsa_public_key& key, tpm_alg_id h, byte_view label,
                                      byte_view m, byte_span out) noexcept {
        return guarded([&]() -> rc {
            public_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            auto oaep = make_oaep(h, label);
            if (!oaep) return rc::hash;
            if (out.size() < k->size) return rc::size;
            const std::size_t hlen = digest_size(h);
            if (k->size < 2 * hlen + 2 || m.size() > rsa_oaep_max_message(k->size, hlen))
                return rc::value;
            const Botan::EME& eme = *oaep;
            const auto em = eme.encode(m.data(), m.size(), k->bits - 1, *rng_);
            return public_op(*k, em, out);
        });
    }

    [[nodiscard]] result<std::size_t> rsa_decrypt_oaep(const rsa_private_key& key, tpm_alg_id h,
                                                       byte_view label, byte_view c,
                                                       byte_span out) noexcept {
        return guarded_size([&]() -> result<std::size_t> {
            private_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            auto oaep = make_oaep(h, label);
            if (!oaep) return rc::hash;
            const std::size_t hlen = digest_size(h);
            if (c.size() != k->size || out.size() < rsa_oaep_max_message(k->size, hlen))
                return rc::size;
            if (k->size < 2 * hlen + 2) return rc::value;
            return decrypt_eme(*k, *oaep, c, out);
        });
    }

    [[nodiscard]] rc rsa_encrypt_pkcs1(const rsa_public_key& key, byte_view m,
                                       byte_span out) noexcept {
        return guarded([&]() -> rc {
            public_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            if (out.size() < k->size) return rc::size;
            if (m.size() > rsa_pkcs1_max_message(k->size)) return rc::value;
            const Botan::EME_PKCS1v15 pkcs1;
            const Botan::EME& eme = pkcs1;
            const auto em = eme.encode(m.data(), m.size(), k->bits - 1, *rng_);
            return public_op(*k, em, out);
        });
    }

    [[nodiscard]] result<std::size_t> rsa_decrypt_pkcs1(const rsa_private_key& key, byte_view c,
                                                        byte_span out) noexcept {
        return guarded_size([&]() -> result<std::size_t> {
            private_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            if (c.size() != k->size || out.size() < rsa_pkcs1_max_message(k->size))
                return rc::size;
            const Botan::EME_PKCS1v15 pkcs1;
            return decrypt_eme(*k, pkcs1, c, out);
        });
    }

    // --- signatures ----------------------------------------------------------------------

    [[nodiscard]] rc rsa_sign_pkcs1(const rsa_private_key& key, tpm_alg_id h, byte_view digest,
                                    byte_span out) noexcept {
        return guarded([&]() -> rc {
            private_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            Botan::secure_vector<std::uint8_t> em;
            if (const rc r = pkcs1_encoding(h, digest, k->size, em); !r.ok()) return r;
            if (out.size() < k->size) return rc::size;
            return private_op(*k, em, out);
        });
    }

    [[nodiscard]] rc rsa_verify_pkcs1(const rsa_public_key& key, tpm_alg_id h, byte_view digest,
                                      byte_view sig) noexcept {
        return guarded([&]() -> rc {
            public_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            Botan::secure_vector<std::uint8_t> em;
            if (const rc r = pkcs1_encoding(h, digest, k->size, em); !r.ok()) return r;
            Botan::secure_vector<std::uint8_t> got(k->size);
            if (const rc r = verify_op(*k, sig, got); !r.ok()) return r;
            return detail::rsa::same(em, got) ? rc::success : rc::signature;
        });
    }

    [[nodiscard]] rc rsa_sign_pss(const rsa_private_key& key, tpm_alg_id h, byte_view digest,
                                  byte_span out) noexcept {
        return guarded([&]() -> rc {
            private_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            auto hash = make_hash(h);
            if (!hash) return rc::hash;
            const std::size_t hlen = hash->output_length();
            if (digest.size() != hlen || out.size() < k->size) return rc::size;
            const int salt_len = rsa_pss_salt_size(k->bits, hlen);
            if (salt_len < 0) return rc::value;
            // RFC 8017 §9.1.1 with emBits = modBits - 1.
            const std::size_t em_bits = k->bits - 1, em_len = (em_bits + 7) / 8;
            const std::size_t s_len = static_cast<std::size_t>(salt_len);
            const std::size_t db_len = em_len - hlen - 1;
            Botan::secure_vector<std::uint8_t> em(k->size, 0); // left-padded to k bytes
            std::uint8_t* e = em.data() + (k->size - em_len);
            std::uint8_t* db = e;
            std::uint8_t* hp = e + db_len;
            std::uint8_t* salt = db + (db_len - s_len);
            rng_->randomize(salt, s_len);
            db[db_len - s_len - 1] = 0x01;
            static constexpr std::uint8_t zeros[8] = {};
            hash->update(zeros, sizeof zeros);
            hash->update(digest.data(), digest.size());
            hash->update(salt, s_len);
            hash->final(hp);
            Botan::mgf1_mask(*hash, hp, hlen, db, db_len);
            db[0] &= static_cast<std::uint8_t>(0xFF >> (8 * em_len - em_bits));
            e[em_len - 1] = 0xBC;
            return private_op(*k, em, out);
        });
    }

    [[nodiscard]] rc rsa_verify_pss(const rsa_public_key& key, tpm_alg_id h, byte_view digest,
                                    byte_view sig) noexcept {
        return guarded([&]() -> rc {
            public_entry* k = nullptr;
            if (const rc r = load(key, k); !r.ok()) return r;
            auto hash = make_hash(h);
            if (!hash) return rc::hash;
            const std::size_t hlen = hash->output_length();
            if (digest.size() != hlen) return rc::size;
            Botan::secure_vector<std::uint8_t> em_k(k->size);
            if (const rc r = verify_op(*k, sig, em_k); !r.ok()) return r;
            // RFC 8017 §9.1.2 with emBits = modBits - 1; any salt length.
            const std::size_t em_bits = k->bits - 1, em_len = (em_bits + 7) / 8;
            if (em_len < hlen + 2) return rc::signature;
            for (std::size_t i = 0; i < k->size - em_len; ++i)
                if (em_k[i] != 0) return rc::signature;
            std::uint8_t* em = em_k.data() + (k->size - em_len);
            if (em[em_len - 1] != 0xBC) return rc::signature;
            const std::size_t db_len = em_len - hlen - 1;
            std::uint8_t* db = em;
            const std::uint8_t* hp = em + db_len;
            const auto top_mask = static_cast<std::uint8_t>(0xFF >> (8 * em_len - em_bits));
            if ((db[0] & ~top_mask) != 0) return rc::signature;
            Botan::mgf1_mask(*hash, hp, hlen, db, db_len);
            db[0] &= top_mask;
            std::size_t i = 0;
            while (i < db_len && db[i] == 0) ++i;
            if (i == db_len || db[i] != 0x01) return rc::signature;
            const std::uint8_t* salt = db + i + 1;
            const std::size_t s_len = db_len - i - 1;
            static constexpr std::uint8_t zeros[8] = {};
            std::uint8_t h2[max_digest_size];
            hash->update(zeros, sizeof zeros);
            hash->update(digest.data(), digest.size());
            hash->update(salt, s_len);
            hash->final(h2);
            return detail::rsa::same({h2, hlen}, {hp, hlen}) ? rc::success : rc::signature;
        });
    }

    /// True once Botan failed unexpectedly inside this provider (see the header comment).
    [[nodiscard]] bool failed() const noexcept { return failed_; }

    /// Drop every cached key (e.g. when the TPM flushes all objects).
    void clear_cache() noexcept {
        public_.clear();
        private_.clear();
    }

private:
    struct public_entry {
        bytes n_bytes; // n without leading zeros
        std::uint32_t e = 0;
        std::size_t bits = 0, size = 0; // modulus length in bits and bytes (k)
        Botan::BigInt n;
        std::unique_ptr<Botan::RSA_PublicKey> key;
        std::unique_ptr<Botan::PK_Encryptor_EME> op; // "Raw": RSAEP
    };
    struct private_entry {
        bytes n_bytes;
        std::uint32_t e = 0;
        std::size_t bits = 0, size = 0;
        Botan::BigInt n;
        Botan::secure_vector<std::uint8_t> p, q; // without leading zeros
        std::unique_ptr<Botan::RSA_PrivateKey> key;  // d1 = d mod (p-1), d2, c = q^-1 mod p
        std::unique_ptr<Botan::Power_Mod> pow_p, pow_q; // x^d1 mod p, x^d2 mod q
        std::unique_ptr<Botan::Modular_Reducer> mod_p;
        std::unique_ptr<Botan::Blinder> blinder;       // x r^e mod n, and back with r^-1
        std::unique_ptr<Botan::PK_Encryptor_EME> check; // "Raw": RSAEP, to check the result
    };

    /// Run f, mapping exceptions as the header comment says.
    template <class F>
    rc guarded(F&& f) noexcept {
        try {
            return f();
        } catch (const std::bad_alloc&) {
            return rc::memory;
        } catch (...) {
            return fail();
        }
    }
    template <class F>
    result<std::size_t> guarded_size(F&& f) noexcept {
        try {
            return f();
        } catch (const std::bad_alloc&) {
            return rc::memory;
        } catch (...) {
            return fail();
        }
    }
    rc fail() noexcept {
        failed_ = true;
        clear_cache();
        return rc::failure;
    }

    /// Modulus checks shared by public and private keys.
    static rc check_modulus(byte_view n, std::uint32_t e, byte_view& stripped,
                            std::size_t& bits) noexcept {
        stripped = detail::rsa::strip_zeros(n);
        bits = detail::rsa::bit_length(stripped);
        if (bits < rsa_min_modulus_bits || bits > rsa_max_modulus_bits) return rc::key_size;
        if ((stripped.back() & 1) == 0 || !rsa_exponent_valid(e)) return rc::key;
        return rc::success;
    }

    template <class Entry>
    static Entry* find(std::vector<std::unique_ptr<Entry>>& cache, byte_view n,
                       std::uint32_t e) noexcept {
        for (std::size_t i = 0; i < cache.size(); ++i) {
            Entry& c = *cache[i];
            if (c.e == e && c.n_bytes.size() == n.size() &&
                std::memcmp(c.n_bytes.data(), n.data(), n.size()) == 0) {
                // most recently used first
                std::rotate(cache.begin(), cache.begin() + static_cast<std::ptrdiff_t>(i),
                            cache.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                return cache.front().get();
            }
        }
        return nullptr;
    }

    template <class Entry>
    Entry* insert(std::vector<std::unique_ptr<Entry>>& cache, std::unique_ptr<Entry> e) {
        if (cache.size() >= cache_size_) cache.pop_back();
        cache.insert(cache.begin(), std::move(e));
        return cache.front().get();
    }

    rc load(const rsa_public_key& key, public_entry*& out) {
        byte_view n;
        std::size_t bits = 0;
        if (const rc r = check_modulus(key.n, key.e, n, bits); !r.ok()) return r;
        const std::uint32_t e = rsa_exponent(key.e);
        if ((out = find(public_, n, e))) return rc::success;
        auto entry = std::make_unique<public_entry>();
        entry->n_bytes.assign(n.begin(), n.end());
        entry->e = e;
        entry->bits = bits;
        entry->size = (bits + 7) / 8;
        entry->n = detail::rsa::to_bigint(n);
        entry->key = std::make_unique<Botan::RSA_PublicKey>(entry->n, Botan::BigInt(e));
        entry->op = std::make_unique<Botan::PK_Encryptor_EME>(*entry->key, *rng_, "Raw");
        out = insert(public_, std::move(entry));
        return rc::success;
    }

    /// The private key, from the cache or rebuilt (with the checks of rsa_check_private).
    rc load(const rsa_private_key& key, private_entry*& out) {
        byte_view n;
        std::size_t bits = 0;
        if (const rc r = check_modulus(key.n, key.e, n, bits); !r.ok()) return r;
        const std::uint32_t e = rsa_exponent(key.e);
        const byte_view p = detail::rsa::strip_zeros(key.p);
        if (private_entry* c = find(private_, n, e)) {
            if (!detail::rsa::same(p, c->p) && !detail::rsa::same(p, c->q)) return rc::binding;
            out = c;
            return rc::success;
        }
        const Botan::BigInt N = detail::rsa::to_bigint(n), P = detail::rsa::to_bigint(p);
        if (P <= 1 || P >= N) return rc::binding;
        Botan::BigInt Q, R;
        Botan::ct_divide(N, P, Q, R);
        if (!R.is_zero()) return rc::binding;
        // Part 1 §43.1: each prime's square has as many bits as n.
        if (Botan::square(P).bits() != bits || Botan::square(Q).bits() != bits)
            return rc::binding;
        // d exists: gcd(e, p-1) == gcd(e, q-1) == 1.
        if (std::gcd(static_cast<std::uint32_t>((P - 1) % Botan::word{e}), e) != 1 ||
            std::gcd(static_cast<std::uint32_t>((Q - 1) % Botan::word{e}), e) != 1)
            return rc::binding;
        auto entry = std::make_unique<private_entry>();
        entry->n_bytes.assign(n.begin(), n.end());
        entry->e = e;
        entry->bits = bits;
        entry->size = (bits + 7) / 8;
        entry->n = N;
        entry->p.assign(p.begin(), p.end());
        entry->q.resize(Q.bytes());
        Q.binary_encode(entry->q.data(), entry->q.size());
        entry->key = std::make_unique<Botan::RSA_PrivateKey>(P, Q, Botan::BigInt(e));
        const Botan::RSA_PrivateKey& rk = *entry->key;
        entry->pow_p = std::make_unique<Botan::Power_Mod>(rk.get_p());
        entry->pow_p->set_exponent(rk.get_d1());
        entry->pow_q = std::make_unique<Botan::Power_Mod>(rk.get_q());
        entry->pow_q->set_exponent(rk.get_d2());
        entry->mod_p = std::make_unique<Botan::Modular_Reducer>(rk.get_p());
        entry->check = std::make_unique<Botan::PK_Encryptor_EME>(rk, *rng_, "Raw");
        // r^e with the (variable-time, public-exponent) public operation; r^-1 mod n.
        Botan::PK_Encryptor_EME* rsaep = entry->check.get();
        Botan::RandomNumberGenerator* rng = rng_;
        const std::size_t k = entry->size;
        entry->blinder = std::make_unique<Botan::Blinder>(
            N, *rng_,
            [rsaep, rng, k](const Botan::BigInt& r) {
                Botan::secure_vector<std::uint8_t> rb(k);
                r.binary_encode(rb.data(), k);
                const std::vector<std::uint8_t> re = rsaep->encrypt(rb.data(), k, *rng);
                return Botan::BigInt(re.data(), re.size());
            },
            [N](const Botan::BigInt& r) { return Botan::inverse_mod(r, N); });
        out = insert(private_, std::move(entry));
        return rc::success;
    }

    /// out[0..k) = m^e mod n. Precondition: m < n.
    rc public_op(public_entry& k, byte_view m, byte_span out) {
        const std::vector<std::uint8_t> c = k.op->encrypt(m.data(), m.size(), *rng_);
        detail::rsa::put_left_padded(c, out, k.size);
        return rc::success;
    }

    /// RSAVP1 on a signature: out (k bytes) = s^e mod n, or rc::signature.
    rc verify_op(public_entry& k, byte_view sig, byte_span out) {
        if (sig.size() != k.size || detail::rsa::to_bigint(sig) >= k.n) return rc::signature;
        return public_op(k, detail::rsa::strip_zeros(sig), out);
    }

    /// out[0..k) = c^d mod n (CRT, blinded, checked: see the header comment). Precondition:
    /// c < n.
    rc private_op(private_entry& k, byte_view c, byte_span out) {
        const Botan::RSA_PrivateKey& rk = *k.key;
        const Botan::BigInt x = k.blinder->blind(detail::rsa::to_bigint(c));
        k.pow_p->set_base(x);
        const Botan::BigInt j1 = k.pow_p->execute();
        k.pow_q->set_base(x);
        const Botan::BigInt j2 = k.pow_q->execute();
        // h = (q^-1 mod p) (j1 - j2) mod p, from j1 - (j2 mod p) + p in (0, 2p); m = j2 + h q.
        const Botan::BigInt t = k.mod_p->reduce(j1 + rk.get_p() - k.mod_p->reduce(j2));
        const Botan::BigInt h = k.mod_p->multiply(rk.get_c(), t);
        const Botan::BigInt m = k.blinder->unblind(h * rk.get_q() + j2);
        Botan::secure_vector<std::uint8_t> mb(k.size);
        m.binary_encode(mb.data(), mb.size());
        // A fault in the computation must not reveal a prime (Bellcore attack): m^e = c.
        const std::vector<std::uint8_t> back = k.check->encrypt(mb.data(), mb.size(), *rng_);
        Botan::secure_vector<std::uint8_t> cb(k.size);
        detail::rsa::put_left_padded(back, cb, k.size);
        Botan::secure_vector<std::uint8_t> ck(k.size);
        detail::rsa::put_left_padded(c, ck, k.size);
        if (!detail::rsa::same(cb, ck)) throw std::runtime_error("vtpm: RSA private operation check failed");
        std::copy(mb.begin(), mb.end(), out.begin());
        return rc::success;
    }

    /// RSADP, then the EME's constant-time unpadding; every failure is rc::value.
    result<std::size_t> decrypt_eme(private_entry& k, const Botan::EME& eme, byte_view c,
                                    byte_span out) {
        if (detail::rsa::to_bigint(c) >= k.n) return rc::value;
        Botan::secure_vector<std::uint8_t> em(k.size);
        if (const rc r = private_op(k, c, em); !r.ok()) return r;
        std::uint8_t valid = 0;
        const Botan::secure_vector<std::uint8_t> m = eme.unpad(valid, em.data(), em.size());
        if (valid == 0) return rc::value;
        if (m.size() > out.size()) return rc::value; // cannot happen: out >= maximum message
        std::copy(m.begin(), m.end(), out.begin());
        return m.size();
    }

    /// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of a digest: k bytes 00 01 FF..FF 00 DigestInfo H.
    static rc pkcs1_encoding(tpm_alg_id h, byte_view digest, std::size_t k,
                             Botan::secure_vector<std::uint8_t>& em) {
        const byte_view prefix = rsa_digest_info(h);
        if (prefix.empty()) return rc::hash;
        if (digest.size() != digest_size(h)) return rc::size;
        const std::size_t t_len = prefix.size() + digest.size();
        if (k < t_len + 11) return rc::value;
        em.assign(k, 0xFF);
        em[0] = 0x00;
        em[1] = 0x01;
        em[k - t_len - 1] = 0x00;
        std::copy(prefix.begin(), prefix.end(), em.data() + (k - t_len));
        std::copy(digest.begin(), digest.end(), em.data() + (k - digest.size()));
        return rc::success;
    }

    static std::unique_ptr<Botan::HashFunction> make_hash(tpm_alg_id h) {
        const char* name = hash_name(h);
        return name ? Botan::HashFunction::create(name) : nullptr;
    }

    static std::unique_ptr<Botan::OAEP> make_oaep(tpm_alg_id h, byte_view label) {
        auto hash = make_hash(h);
        if (!hash) return nullptr;
        return std::make_unique<Botan::OAEP>(
            hash.release(), std::string(reinterpret_cast<const char*>(label.data()), label.size()));
    }

    Botan::RandomNumberGenerator* rng_;
    std::size_t cache_size_;
    std::vector<std::unique_ptr<public_entry>> public_;
    std::vector<std::unique_ptr<private_entry>> private_;
    bool failed_ = false;
};

static_assert(vtpm::crypto::rsa_provider<rsa_provider>);

} // namespace vtpm::crypto::botan
