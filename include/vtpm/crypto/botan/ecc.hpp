// ECC on Botan 2.19 (DESIGN §5): vtpm::crypto::botan::ecc_provider implements the
// library-neutral vtpm::crypto::ecc_provider concept of crypto/ecc.hpp (read that header for
// the encoding, sizes, result codes and the equations of each operation).
//
// Built on Botan's EC_Group / PointGFp arithmetic. Botan's own ECDSA/ECDH/SM2 key objects are
// not used: constructing one computes the public point (a second scalar multiplication per
// call), and EC-Schnorr, ECDAA, Commit, MQV and SM2 key exchange do not exist in Botan at all.
//  - Groups: NIST P-192..P-521 and SM2-P256 are Botan's named groups; BN-P256 and BN-P638 are
//    built from the explicit parameters of the table in crypto/ecc.hpp. A group is built on
//    first use, compared with that table (p, a, b, G, n, h = 1, sizes) and kept by the
//    provider; a curve Botan cannot build or that differs stays unsupported. (Botan also
//    shares its precomputed base-point tables within a process.)
//  - Secret scalars are multiplied with Botan's blinded multiplications; the blinding
//    randomness comes from a private HMAC_DRBG seeded from the system RNG. It never affects a
//    result, so a deterministic random_source still gives reproducible outputs.
//  - ECDSA nonces: RFC 6979 (Botan's generate_rfc6979_nonce, HMAC with the scheme's hash).
//  - ECDSA verification goes through Botan's PK_Verifier ("Raw": the digest is the message),
//    kept for the last `verifier_cache_size` public keys: building one costs the table of
//    G and Q for the double multiplication (~35 µs on P-256), a verification with it ~230 µs.
//
// Errors: Botan's exceptions are caught in every member function and become rc::failure;
// std::bad_alloc propagates. The constructor throws std::runtime_error ("vtpm: ...") if the
// blinding DRBG cannot be seeded. Not thread-safe (one provider per TPM instance, like the
// backend); movable, not copyable; a moved-from provider may only be destroyed or assigned.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <botan/bigint.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pubkey.h>
#include <botan/hash.h>
#include <botan/hmac_drbg.h>
#include <botan/mac.h>
#include <botan/point_gfp.h>
#include <botan/reducer.h>
#include <botan/rfc6979.h>
#include <botan/secmem.h>
#include <botan/system_rng.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/core/result.hpp"
#include "vtpm/crypto/botan/hash.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto::botan {

namespace detail {

/// Botan 2.19's name of a built-in group; nullptr for the BN curves.
[[nodiscard]] constexpr const char* ecc_group_name(ecc_curve_id c) noexcept {
    switch (c) {
    case ecc_curve::nist_p192: return "secp192r1";
    case ecc_curve::nist_p224: return "secp224r1";
    case ecc_curve::nist_p256: return "secp256r1";
    case ecc_curve::nist_p384: return "secp384r1";
    case ecc_curve::nist_p521: return "secp521r1";
    case ecc_curve::sm2_p256: return "sm2p256v1";
    default: return nullptr;
    }
}

[[nodiscard]] inline Botan::BigInt hex_int(std::string_view hex) {
    return Botan::BigInt("0x" + std::string(hex));
}

/// A big-endian octet string as a number (empty = 0).
[[nodiscard]] inline Botan::BigInt to_int(byte_view b) {
    return b.empty() ? Botan::BigInt{} : Botan::BigInt(b.data(), b.size());
}

/// Writes v big-endian, zero-padded to out.size() (precondition: v fits).
inline void put(const Botan::BigInt& v, byte_span out) { v.binary_encode(out.data(), out.size()); }

/// Position of a hash algorithm in all_hash_algs, or all_hash_algs.size().
[[nodiscard]] constexpr std::size_t hash_slot(tpm_alg_id a) noexcept {
    std::size_t i = 0;
    while (i < all_hash_algs.size() && all_hash_algs[i] != a) ++i;
    return i;
}

/// The leftmost len(n) bits of a digest as a number (ECDSA's bits2int; RFC 6979 §2.3.2).
[[nodiscard]] inline Botan::BigInt bits2int(byte_view digest, std::size_t order_bits) {
    Botan::BigInt m = to_int(digest);
    if (digest.size() * 8 > order_bits) m >>= digest.size() * 8 - order_bits;
    return m;
}

/// avf() of Part 1 §44.8.4.3 (MQV, f = ceil(ceil(log2 n) / 2)) and avfSM2() of §45.2.3.1
/// (f one less): 2^f + (x mod 2^f). ceil(log2 n) is the bit length of n (n is an odd prime).
[[nodiscard]] inline Botan::BigInt avf(const Botan::BigInt& x, std::size_t order_bits, bool sm2) {
    const std::size_t f = (order_bits + 1) / 2 - (sm2 ? 1 : 0);
    Botan::BigInt low = x;
    low.mask_bits(f);
    return Botan::BigInt::power_of_2(f) + low;
}

} // namespace detail

class ecc_provider {
public:
    ecc_provider() {
        try {
            rng_ = std::make_unique<Botan::HMAC_DRBG>(
                Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"),
                Botan::system_rng());
            rng_->reseed_from_rng(Botan::system_rng(), rng_->security_level());
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("vtpm: cannot seed the ECC blinding DRBG from the "
                                                 "system RNG: ") + e.what());
        }
        for (std::size_t i = 0; i < all_hash_algs.size(); ++i) {
            try {
                hashes_[i] = Botan::HashFunction::create(hash_name(all_hash_algs[i]));
            } catch (const std::bad_alloc&) {
                throw;
            } catch (...) {
                hashes_[i] = nullptr; // unsupported
            }
        }
    }
    ecc_provider(ecc_provider&&) noexcept = default;
    ecc_provider& operator=(ecc_provider&&) noexcept = default;
    ecc_provider(const ecc_provider&) = delete;
    ecc_provider& operator=(const ecc_provider&) = delete;
    ~ecc_provider() = default;

    // --- curves -----------------------------------------------------------------------------

    /// May build the curve's group (see find()), hence not noexcept (std::bad_alloc).
    [[nodiscard]] bool curve_supported(ecc_curve_id c) const { return find(c) != nullptr; }

    [[nodiscard]] result<ecc_parameters> curve_parameters(ecc_curve_id id) const {
        const curve* c = find(id);
        if (!c) return rc::curve;
        try {
            const Botan::EC_Group& g = c->group;
            const auto enc = [](const Botan::BigInt& v, std::size_t len) {
                bytes out(len);
                detail::put(v, out);
                return out;
            };
            const std::size_t len = c->info->bytes;
            ecc_parameters r;
            r.curve_id = id;
            r.key_bits = c->info->key_bits;
            r.p = enc(g.get_p(), len);
            r.a = enc(g.get_a(), len);
            r.b = enc(g.get_b(), len);
            r.gx = enc(g.get_g_x(), len);
            r.gy = enc(g.get_g_y(), len);
            r.n = enc(g.get_order(), c->info->order_bytes);
            r.h = enc(g.get_cofactor(), g.get_cofactor().bytes());
            return r;
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            return rc::failure;
        }
    }

    [[nodiscard]] bool ecc_point_valid(ecc_curve_id id, ecc_point_view p) const {
        const curve* c = find(id);
        if (!c) return false;
        try {
            return to_point(*c, p).has_value();
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            return false;
        }
    }

    // --- keys and point arithmetic ----------------------------------------------------------

    /// Part 1 §44.6; see crypto/ecc.hpp for the exact use of rnd.
    [[nodiscard]] rc ecc_generate(ecc_curve_id id, const random_source& rnd, byte_span d_out,
                                  ecc_point_out q) {
        return guarded(id, [&](const curve& c) -> rc {
            if (d_out.size() != c.info->order_bytes || !fits(c, q)) return rc::size;
            const Botan::BigInt d = extra_bits_scalar(c, rnd);
            const rc r = put_point(mul_base(c, d), q); // 1 <= d < n: never infinity
            if (r == rc::success) detail::put(d, d_out);
            return r;
        });
    }

    [[nodiscard]] rc ecc_public(ecc_curve_id id, byte_view d, ecc_point_out q) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!fits(c, q)) return rc::size;
            const auto k = private_scalar(c, d);
            if (!k) return rc::value;
            return put_point(mul_base(c, *k), q);
        });
    }

    [[nodiscard]] rc ecc_multiply(ecc_curve_id id, byte_view k, ecc_point_view p, ecc_point_out r) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!fits(c, r)) return rc::size;
            const auto pt = to_point(c, p);
            if (!pt) return rc::ecc_point;
            return put_point(mul(c, *pt, c.group.mod_order(detail::to_int(k))), r);
        });
    }

    [[nodiscard]] rc ecc_multiply_base(ecc_curve_id id, byte_view k, ecc_point_out r) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!fits(c, r)) return rc::size;
            return put_point(mul_base(c, c.group.mod_order(detail::to_int(k))), r);
        });
    }

    [[nodiscard]] rc ecc_add(ecc_curve_id id, ecc_point_view p, ecc_point_view q, ecc_point_out r) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!fits(c, r)) return rc::size;
            const auto a = to_point(c, p), b = to_point(c, q);
            if (!a || !b) return rc::ecc_point;
            return put_point(*a + *b, r);
        });
    }

    // --- signatures -------------------------------------------------------------------------

    /// ECDSA over a digest (ISO/IEC 14888-3 / FIPS 186-4 §6.4): e := leftmost len(n) bits of
    /// the digest, k := RFC 6979 nonce (HMAC-`hash`), r := x([k]G) mod n,
    /// s := k^-1 (e + r·d) mod n, computed as (k·b)^-1 (b·e + b·r·d) with a random blinding b.
    [[nodiscard]] rc ecdsa_sign(ecc_curve_id id, tpm_alg_id hash, byte_view d, byte_view digest,
                                ecc_signature_out sig) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!hash_fn(hash)) return rc::hash;
            if (!fits(c, sig)) return rc::size;
            const auto x = private_scalar(c, d);
            if (!x) return rc::value;
            const Botan::EC_Group& g = c.group;
            const Botan::BigInt e = g.mod_order(detail::bits2int(digest, g.get_order_bits()));
            const Botan::BigInt k = Botan::generate_rfc6979_nonce(*x, g.get_order(), e, hash_name(hash));
            const Botan::BigInt r = g.mod_order(g.blinded_base_point_multiply_x(k, *rng_, ws_));
            const Botan::BigInt b = g.random_scalar(*rng_);
            const Botan::BigInt kb_inv = g.inverse_mod_order(g.multiply_mod_order(k, b));
            const Botan::BigInt be_brd =
                g.mod_order(g.multiply_mod_order(b, e) + g.multiply_mod_order(b, r, *x));
            const Botan::BigInt s = g.multiply_mod_order(kb_inv, be_brd);
            if (r.is_zero() || s.is_zero()) return rc::no_result; // probability ~2^-len(n)
            detail::put(r, sig.r);
            detail::put(s, sig.s);
            return rc::success;
        });
    }

    /// ECDSA verification: r, s in [1, n-1], R := [e·s^-1]G + [r·s^-1]Q, valid iff R is not
    /// infinity and x(R) mod n = r.
    [[nodiscard]] rc ecdsa_verify(ecc_curve_id id, ecc_point_view q, byte_view digest,
                                  ecc_signature_view sig) {
        return guarded(id, [&](const curve& c) -> rc {
            Botan::PK_Verifier* v = verifier(c, q);
            if (!v) return rc::ecc_point;
            const Botan::BigInt r = detail::to_int(sig.r), s = detail::to_int(sig.s);
            if (!in_range(c, r) || !in_range(c, s)) return rc::signature;
            const std::size_t n = c.info->order_bytes;
            std::array<std::uint8_t, 2 * max_ecc_bytes> rs{};
            Botan::BigInt::encode_1363(rs.data(), n, r);
            Botan::BigInt::encode_1363(rs.data() + n, n, s);
            // e := bits2int(digest) mod n, as Botan's ECDSA computes it from a raw message.
            return v->verify_message(digest.data(), digest.size(), rs.data(), 2 * n) ? rc::success : rc::signature;
        });
    }

    /// EC-Schnorr, Part 1 §44.3.4.2: k in [1, n-1] from rnd (step 1), E := [k]G (2, 3),
    /// r := TRUNC(H(FE2BS(xE) || P), n) (4), s := (k + r·d) mod n (5), again if s = 0 or
    /// s = k (6). FE2BS pads xE to the coordinate size (= the size of n for every curve here);
    /// TRUNC keeps the leading min(digest size, size of n) octets. r is written as a number
    /// (zero-padded to the size of n) and is not reduced mod n.
    [[nodiscard]] rc ecschnorr_sign(ecc_curve_id id, tpm_alg_id hash, byte_view d,
                                    byte_view digest, const random_source& rnd,
                                    ecc_signature_out sig) {
        return guarded(id, [&](const curve& c) -> rc {
            Botan::HashFunction* h = hash_fn(hash);
            if (!h) return rc::hash;
            if (!fits(c, sig)) return rc::size;
            const auto x = private_scalar(c, d);
            if (!x) return rc::value;
            const Botan::EC_Group& g = c.group;
            for (int attempt = 0; attempt < max_attempts; ++attempt) {
                const Botan::BigInt k = extra_bits_scalar(c, rnd);
                const Botan::PointGFp E = mul_base(c, k);
                if (E.is_zero()) continue;
                const Botan::BigInt r = schnorr_r(c, *h, E.get_affine_x(), digest);
                const Botan::BigInt s = g.mod_order(k + g.multiply_mod_order(g.mod_order(r), *x));
                if (s.is_zero() || s == k) continue;
                detail::put(r, sig.r);
                detail::put(s, sig.s);
                return rc::success;
            }
            return rc::no_result;
        });
    }

    /// EC-Schnorr validation, Part 1 §44.3.4.3: 0 < s < n (1), E := [s]G + [-r]Q (2),
    /// r' := TRUNC(H(FE2BS(xE) || P), n) (3), valid iff r' = r as numbers (4).
    [[nodiscard]] rc ecschnorr_verify(ecc_curve_id id, tpm_alg_id hash, ecc_point_view q,
                                      byte_view digest, ecc_signature_view sig) {
        return guarded(id, [&](const curve& c) -> rc {
            Botan::HashFunction* h = hash_fn(hash);
            if (!h) return rc::hash;
            const auto Q = to_point(c, q);
            if (!Q) return rc::ecc_point;
            const Botan::EC_Group& g = c.group;
            const Botan::BigInt r = detail::to_int(sig.r), s = detail::to_int(sig.s);
            if (!in_range(c, s)) return rc::signature;
            const Botan::BigInt neg_r = g.mod_order(g.get_order() - g.mod_order(r));
            const Botan::PointGFp E = g.point_multiply(s, *Q, neg_r);
            if (E.is_zero()) return rc::signature;
            return schnorr_r(c, *h, E.get_affine_x(), digest) == r ? rc::success : rc::signature;
        });
    }

    /// SM2 signature on e, Part 1 §45.2.2.1 (GB/T 32918.2 A3-A7): k in [1, n-1] (1),
    /// (x1, y1) := [k]G (2), r := (e + x1) mod n (3), again if r = 0 or r + k = n (4),
    /// s := (1 + d)^-1 (k - r·d) mod n (5), again if s = 0 (6). e is the whole digest read as a
    /// number (no truncation). d must be in [1, n-2] so that 1 + d is invertible.
    [[nodiscard]] rc sm2_sign(ecc_curve_id id, byte_view d, byte_view e_digest,
                              const random_source& rnd, ecc_signature_out sig) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!fits(c, sig)) return rc::size;
            const auto x = private_scalar(c, d);
            const Botan::EC_Group& g = c.group;
            const Botan::BigInt& n = g.get_order();
            if (!x || *x + 1 == n) return rc::value;
            const Botan::BigInt e = g.mod_order(detail::to_int(e_digest));
            const Botan::BigInt inv_1d = g.inverse_mod_order(*x + 1);
            for (int attempt = 0; attempt < max_attempts; ++attempt) {
                const Botan::BigInt k = extra_bits_scalar(c, rnd);
                const Botan::BigInt r =
                    g.mod_order(e + g.blinded_base_point_multiply_x(k, *rng_, ws_));
                if (r.is_zero() || r + k == n) continue;
                const Botan::BigInt s = g.multiply_mod_order(
                    inv_1d, g.mod_order(k + n - g.multiply_mod_order(r, *x)));
                if (s.is_zero()) continue;
                detail::put(r, sig.r);
                detail::put(s, sig.s);
                return rc::success;
            }
            return rc::no_result;
        });
    }

    /// SM2 verification, Part 1 §45.2.2.2: r, s in [1, n-1] (1), t := (r + s) mod n (2),
    /// t != 0 (3), (x, y) := [s]G + [t]Q (4), valid iff (e + x) mod n = r (5, 6).
    [[nodiscard]] rc sm2_verify(ecc_curve_id id, ecc_point_view q, byte_view e_digest,
                                ecc_signature_view sig) {
        return guarded(id, [&](const curve& c) -> rc {
            const auto Q = to_point(c, q);
            if (!Q) return rc::ecc_point;
            const Botan::EC_Group& g = c.group;
            const Botan::BigInt r = detail::to_int(sig.r), s = detail::to_int(sig.s);
            if (!in_range(c, r) || !in_range(c, s)) return rc::signature;
            const Botan::BigInt t = g.mod_order(r + s);
            if (t.is_zero()) return rc::signature;
            const Botan::PointGFp P = g.point_multiply(s, *Q, t);
            if (P.is_zero()) return rc::signature;
            const Botan::BigInt e = g.mod_order(detail::to_int(e_digest));
            return g.mod_order(e + P.get_affine_x()) == r ? rc::success : rc::signature;
        });
    }

    /// ECDAA sign, Part 1 §44.3.3.3: k in [1, n-1] from rnd (1), T := H(k || P) mod n (2),
    /// s := (r + T·d) mod n (3), again if s = 0 (4). k is hashed exactly as it is returned in
    /// sig.r (zero-padded to the size of n), so a verifier hashing signatureR reproduces T.
    /// r is the commit value (used mod n, §44.2.3 step 8).
    [[nodiscard]] rc ecdaa_sign(ecc_curve_id id, tpm_alg_id hash, byte_view d, byte_view r_commit,
                                byte_view digest, const random_source& rnd,
                                ecc_signature_out sig) {
        return guarded(id, [&](const curve& c) -> rc {
            Botan::HashFunction* h = hash_fn(hash);
            if (!h) return rc::hash;
            if (!fits(c, sig)) return rc::size;
            const auto x = private_scalar(c, d);
            if (!x) return rc::value;
            const Botan::EC_Group& g = c.group;
            const Botan::BigInt r = g.mod_order(detail::to_int(r_commit));
            Botan::secure_vector<std::uint8_t> k_bytes(c.info->order_bytes);
            for (int attempt = 0; attempt < max_attempts; ++attempt) {
                const Botan::BigInt k = extra_bits_scalar(c, rnd);
                detail::put(k, k_bytes);
                const auto t = hash2(*h, k_bytes, digest);
                const Botan::BigInt T = g.mod_order(Botan::BigInt(t.data(), t.size()));
                const Botan::BigInt s = g.mod_order(r + g.multiply_mod_order(T, *x));
                if (s.is_zero()) continue;
                std::copy(k_bytes.begin(), k_bytes.end(), sig.r.begin());
                detail::put(s, sig.s);
                return rc::success;
            }
            return rc::no_result;
        });
    }

    // --- two-phase operations ---------------------------------------------------------------

    /// TPM2_Commit, Part 1 §44.2.3, given the commit value r:
    ///   1. s2 and y2 both empty or both present, else rc::size;
    ///   3. x2 := H_nameAlg(s2) mod p;  4. (x2, y2) on the curve, else rc::ecc_point;
    ///   5. P1 the Empty Point or a point of the curve, else rc::ecc_point;
    ///   8. r := r mod n;
    ///   9. with s2: K := [d](x2, y2), L := [r](x2, y2) (d in [1, n-1], else rc::value);
    ///  10. with P1: E := [r]P1;  11. without P1 and s2: E := [r]G;
    ///  12. rc::no_result if K, L or E is the point at infinity.
    [[nodiscard]] rc ecc_commit(ecc_curve_id id, tpm_alg_id name_alg, byte_view d,
                                byte_view r_commit, const ecc_commit_input& in,
                                const ecc_commit_output& out) {
        return guarded(id, [&](const curve& c) -> rc {
            const bool has_s2 = !in.s2.empty();
            if (has_s2 != !in.y2.empty()) return rc::size;
            const bool has_p1 = !in.p1.x.empty() || !in.p1.y.empty();
            const bool has_e = has_p1 || !has_s2;
            if ((has_s2 && (!fits(c, out.k) || !fits(c, out.l))) || (has_e && !fits(c, out.e)))
                return rc::size;
            const Botan::EC_Group& g = c.group;
            std::optional<Botan::PointGFp> B;
            if (has_s2) {
                Botan::HashFunction* h = hash_fn(name_alg);
                if (!h) return rc::hash;
                const auto hs = hash2(*h, in.s2, {});
                const Botan::BigInt x2 = Botan::BigInt(hs.data(), hs.size()) % g.get_p();
                B = to_point(c, x2, detail::to_int(in.y2));
                if (!B) return rc::ecc_point;
            }
            std::optional<Botan::PointGFp> P1;
            if (has_p1) {
                P1 = to_point(c, in.p1);
                if (!P1) return rc::ecc_point;
            }
            const Botan::BigInt r = g.mod_order(detail::to_int(r_commit));
            Botan::PointGFp K, L, E;
            if (has_s2) {
                const auto x = private_scalar(c, d);
                if (!x) return rc::value;
                K = mul(c, *B, *x);
                L = mul(c, *B, r);
                if (K.is_zero() || L.is_zero()) return rc::no_result;
            }
            if (has_e) {
                E = has_p1 ? mul(c, *P1, r) : mul_base(c, r);
                if (E.is_zero()) return rc::no_result;
            }
            if (has_s2) {
                (void)put_point(K, out.k);
                (void)put_point(L, out.l);
            }
            if (has_e) (void)put_point(E, out.e);
            return rc::success;
        });
    }

    /// Full MQV for TPM2_ZGen_2Phase (TPM_ALG_ECMQV), Part 1 §44.8.4.3 steps 4-8:
    /// QsB, QeB validated; QeA := [deA]G; tA := (deA + dsA·avf(QeA)) mod n;
    /// Z := [h·tA](QeB + [avf(QeB)]QsB). deA (the recovered commit value r) is used mod n;
    /// rc::no_result if it is 0 or Z is the point at infinity (outZ1 is then the Empty Point).
    [[nodiscard]] rc ecmqv_z(ecc_curve_id id, byte_view ds_a, byte_view de_a, ecc_point_view qs_b,
                             ecc_point_view qe_b, ecc_point_out z) {
        return two_phase_z(id, ds_a, de_a, qs_b, qe_b, z, false);
    }

    /// SM2 key exchange for TPM2_ZGen_2Phase (TPM_ALG_SM2), Part 1 §45.2.3.2 steps 1-6:
    /// tA := (dsA + deA·avfSM2(QeA)) mod n; Z := [h·tA](QsB + [avfSM2(QeB)]QeB).
    /// Same rules as ecmqv_z; the KDF of GB/T 32918.3 over Z is the caller's.
    [[nodiscard]] rc sm2_exchange_z(ecc_curve_id id, byte_view ds_a, byte_view de_a,
                                    ecc_point_view qs_b, ecc_point_view qe_b, ecc_point_out z) {
        return two_phase_z(id, ds_a, de_a, qs_b, qe_b, z, true);
    }

private:
    /// Nonce loops retry only on events of probability ~2^-len(n); this bound just keeps a
    /// broken random_source (e.g. all zeros with a degenerate hash) from looping forever.
    static constexpr int max_attempts = 16;

    struct curve {
        const ecc_curve_info* info;
        Botan::EC_Group group;
        Botan::Modular_Reducer mod_n_minus_1; // for d := (c mod (n - 1)) + 1
    };

    /// The group of a table entry if Botan builds it and it matches the table, else nullopt.
    static std::optional<curve> make_curve(const ecc_curve_info& info) {
        using detail::hex_int;
        try {
            const char* name = detail::ecc_group_name(info.id);
            Botan::EC_Group g = name ? Botan::EC_Group(name)
                                     : Botan::EC_Group(hex_int(info.p), hex_int(info.a),
                                                       hex_int(info.b), hex_int(info.gx),
                                                       hex_int(info.gy), hex_int(info.n),
                                                       hex_int(info.h));
            const bool same = g.get_p() == hex_int(info.p) && g.get_a() == hex_int(info.a) &&
                              g.get_b() == hex_int(info.b) && g.get_g_x() == hex_int(info.gx) &&
                              g.get_g_y() == hex_int(info.gy) && g.get_order() == hex_int(info.n) &&
                              g.get_cofactor() == 1 && hex_int(info.h) == 1 &&
                              g.get_p_bits() == info.key_bits &&
                              g.get_p_bytes() == info.bytes &&
                              g.get_order_bits() == info.order_bits &&
                              g.get_order_bytes() == info.order_bytes;
            if (!same) return std::nullopt;
            Botan::Modular_Reducer red(g.get_order() - 1);
            return curve{&info, std::move(g), std::move(red)};
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            return std::nullopt;
        }
    }

    /// The curve, built on first use: the first EC_Group of a curve in a process costs 1.3 ms
    /// (P-224) to 12 ms (BN-P638) for Botan's base-point tables, 35 ms for all eight; Botan
    /// then shares them, so later providers pay ~0.03 ms per curve. (A const member function
    /// may therefore build a group: the provider is not thread-safe, even for const calls.)
    [[nodiscard]] const curve* find(ecc_curve_id id) const {
        for (std::size_t i = 0; i < ecc_curves.size(); ++i) {
            if (ecc_curves[i].id != id) continue;
            if (!tried_[i]) {
                curves_[i] = make_curve(ecc_curves[i]);
                tried_[i] = true;
            }
            return curves_[i] ? &*curves_[i] : nullptr;
        }
        return nullptr;
    }

    [[nodiscard]] Botan::HashFunction* hash_fn(tpm_alg_id a) const noexcept {
        const std::size_t i = detail::hash_slot(a);
        return i < hashes_.size() ? hashes_[i].get() : nullptr;
    }

    /// Runs f on the curve with Botan's exceptions turned into rc::failure.
    template <class F>
    rc guarded(ecc_curve_id id, F&& f) {
        const curve* c = find(id);
        if (!c) return rc::curve;
        try {
            return f(*c);
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            return rc::failure;
        }
    }

    static bool fits(const curve& c, ecc_point_out o) noexcept {
        return o.x.size() == c.info->bytes && o.y.size() == c.info->bytes;
    }
    static bool fits(const curve& c, ecc_signature_out s) noexcept {
        return s.r.size() == c.info->order_bytes && s.s.size() == c.info->order_bytes;
    }
    static bool in_range(const curve& c, const Botan::BigInt& v) {
        return !v.is_zero() && v < c.group.get_order();
    }

    /// A private key: 1 <= d < n.
    static std::optional<Botan::BigInt> private_scalar(const curve& c, byte_view d) {
        Botan::BigInt v = detail::to_int(d);
        if (!in_range(c, v)) return std::nullopt;
        return v;
    }

    /// A point of the curve (h = 1, so every affine point on the curve has order n).
    static std::optional<Botan::PointGFp> to_point(const curve& c, const Botan::BigInt& x,
                                                   const Botan::BigInt& y) {
        const Botan::BigInt& p = c.group.get_p();
        if (x >= p || y >= p) return std::nullopt;
        Botan::PointGFp pt = c.group.point(x, y);
        if (!pt.on_the_curve()) return std::nullopt;
        return pt;
    }
    static std::optional<Botan::PointGFp> to_point(const curve& c, ecc_point_view p) {
        if (p.x.empty() || p.y.empty()) return std::nullopt; // infinity or malformed
        return to_point(c, detail::to_int(p.x), detail::to_int(p.y));
    }

    static rc put_point(const Botan::PointGFp& pt, ecc_point_out o) {
        if (pt.is_zero()) return rc::no_result;
        Botan::PointGFp a = pt;
        a.force_affine(); // one field inversion for both coordinates
        detail::put(a.get_affine_x(), o.x);
        detail::put(a.get_affine_y(), o.y);
        return rc::success;
    }

    static constexpr std::size_t verifier_cache_size = 8;
    struct cached_verifier {
        ecc_curve_id curve = 0;
        std::array<std::uint8_t, 2 * max_ecc_bytes> q{}; // x || y, each padded to the field size
        std::unique_ptr<Botan::ECDSA_PublicKey> key;
        std::unique_ptr<Botan::PK_Verifier> verifier;
    };

    /// The ECDSA verifier of public key q (validated when first seen), most recently used
    /// first; nullptr if q is not a point of the curve.
    Botan::PK_Verifier* verifier(const curve& c, ecc_point_view q) {
        const std::size_t len = c.info->bytes;
        if (q.x.empty() || q.y.empty() || q.x.size() > len || q.y.size() > len) {
            const auto pt = to_point(c, q); // leading zeros beyond the field size, or invalid
            if (!pt) return nullptr;
            std::array<std::uint8_t, max_ecc_bytes> x{}, y{};
            detail::put(pt->get_affine_x(), byte_span{x.data(), len});
            detail::put(pt->get_affine_y(), byte_span{y.data(), len});
            return verifier(c, ecc_point_view{byte_view{x.data(), len}, byte_view{y.data(), len}});
        }
        std::array<std::uint8_t, 2 * max_ecc_bytes> want{};
        std::copy(q.x.begin(), q.x.end(), want.begin() + static_cast<std::ptrdiff_t>(len - q.x.size()));
        std::copy(q.y.begin(), q.y.end(), want.begin() + static_cast<std::ptrdiff_t>(2 * len - q.y.size()));
        for (std::size_t i = 0; i < verifiers_.size(); ++i) {
            if (verifiers_[i].curve != c.info->id || verifiers_[i].q != want) continue;
            std::rotate(verifiers_.begin(), verifiers_.begin() + static_cast<std::ptrdiff_t>(i),
                        verifiers_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            return verifiers_.front().verifier.get();
        }
        const auto pt = to_point(c, q);
        if (!pt) return nullptr;
        cached_verifier e;
        e.curve = c.info->id;
        e.q = want;
        e.key = std::make_unique<Botan::ECDSA_PublicKey>(c.group, *pt);
        e.verifier = std::make_unique<Botan::PK_Verifier>(*e.key, "Raw");
        if (verifiers_.size() >= verifier_cache_size) verifiers_.pop_back();
        verifiers_.insert(verifiers_.begin(), std::move(e));
        return verifiers_.front().verifier.get();
    }

    /// [k]G and [k]P for 0 <= k < n, blinded (k may be secret).
    Botan::PointGFp mul_base(const curve& c, const Botan::BigInt& k) {
        if (k.is_zero()) return c.group.zero_point();
        return c.group.blinded_base_point_multiply(k, *rng_, ws_);
    }
    Botan::PointGFp mul(const curve& c, const Botan::PointGFp& p, const Botan::BigInt& k) {
        if (k.is_zero()) return c.group.zero_point();
        return c.group.blinded_var_point_multiply(p, k, *rng_, ws_);
    }

    /// Part 1 §44.6: c := len(n) + 64 random bits (one call of rnd), (c mod (n - 1)) + 1.
    static Botan::BigInt extra_bits_scalar(const curve& c, const random_source& rnd) {
        const std::size_t bits = c.info->order_bits + 64u;
        Botan::secure_vector<std::uint8_t> buf((bits + 7) / 8);
        rnd(byte_span{buf.data(), buf.size()});
        if (bits % 8 != 0) buf[0] &= static_cast<std::uint8_t>((1u << (bits % 8)) - 1);
        return c.mod_n_minus_1.reduce(Botan::BigInt(buf.data(), buf.size())) + 1;
    }

    /// H(a || b) on a prototype, which is idle again afterwards (also after an exception).
    static Botan::secure_vector<std::uint8_t> hash2(Botan::HashFunction& h, byte_view a,
                                                    byte_view b) {
        try {
            h.update(a.data(), a.size());
            h.update(b.data(), b.size());
            return h.final();
        } catch (...) {
            h.clear();
            throw;
        }
    }

    /// TRUNC(H(FE2BS(xE) || P), n) of Part 1 §44.3.4.2 step 4, as a number.
    static Botan::BigInt schnorr_r(const curve& c, Botan::HashFunction& h, const Botan::BigInt& xe,
                                   byte_view digest) {
        std::array<std::uint8_t, max_ecc_bytes> fe{};
        const byte_span fe_bytes{fe.data(), c.info->bytes};
        detail::put(xe, fe_bytes);
        const auto hv = hash2(h, fe_bytes, digest);
        return Botan::BigInt(hv.data(), std::min<std::size_t>(hv.size(), c.info->order_bytes));
    }

    rc two_phase_z(ecc_curve_id id, byte_view ds_a, byte_view de_a, ecc_point_view qs_b,
                   ecc_point_view qe_b, ecc_point_out z, bool sm2) {
        return guarded(id, [&](const curve& c) -> rc {
            if (!fits(c, z)) return rc::size;
            const auto QsB = to_point(c, qs_b), QeB = to_point(c, qe_b);
            if (!QsB || !QeB) return rc::ecc_point;
            const auto ds = private_scalar(c, ds_a);
            if (!ds) return rc::value;
            const Botan::EC_Group& g = c.group;
            const std::size_t bits = g.get_order_bits();
            const Botan::BigInt de = g.mod_order(detail::to_int(de_a));
            if (de.is_zero()) return rc::no_result;
            const Botan::PointGFp QeA = mul_base(c, de);
            const Botan::BigInt avf_a = detail::avf(QeA.get_affine_x(), bits, sm2);
            const Botan::BigInt avf_b = detail::avf(QeB->get_affine_x(), bits, sm2);
            // MQV: tA = deA + dsA·avf(QeA), P = QeB + [avf(QeB)]QsB.
            // SM2: tA = dsA + deA·avfSM2(QeA), P = QsB + [avfSM2(QeB)]QeB.
            const Botan::BigInt tA = sm2 ? g.mod_order(*ds + g.multiply_mod_order(de, avf_a))
                                         : g.mod_order(de + g.multiply_mod_order(*ds, avf_a));
            const Botan::PointGFp P = sm2 ? *QsB + avf_b * *QeB : *QeB + avf_b * *QsB;
            if (P.is_zero()) return rc::no_result;
            return put_point(mul(c, P, tA), z);
        });
    }

    mutable std::array<std::optional<curve>, ecc_curves.size()> curves_;
    mutable std::array<bool, ecc_curves.size()> tried_{};
    std::array<std::unique_ptr<Botan::HashFunction>, all_hash_algs.size()> hashes_;
    std::unique_ptr<Botan::HMAC_DRBG> rng_; // blinding only
    std::vector<Botan::BigInt> ws_;
    std::vector<cached_verifier> verifiers_;
};

static_assert(vtpm::crypto::ecc_provider<ecc_provider>);

} // namespace vtpm::crypto::botan
