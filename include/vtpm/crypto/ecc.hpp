// Elliptic-curve cryptography for the TPM, library-neutral (DESIGN §5): the curve table
// (TCG Algorithm Registry values, reported by TPM2_ECC_Parameters, Part 2 §11.2.5.8 /
// Part 3 §14.6), the value types of the ECC operations and the ecc_provider concept that a
// crypto backend implements (the Botan one is crypto/botan/ecc.hpp). No crypto library here.
//
// Encoding (Part 1 §44.5):
//  - integers (coordinates, private keys, signature halves, nonces) are big-endian octet
//    strings, like the content of a TPM2B_ECC_PARAMETER;
//  - inputs may carry leading zero octets or be shorter than the curve size (they are read as
//    numbers); an empty coordinate is never a valid point (the point at infinity is "x and y
//    empty", Part 1 §44.5.1, and is rejected as an input);
//  - outputs are written to spans of exactly the curve's size, zero-padded at the front
//    (Part 1 §44.5.3): coordinates ecc_curve_info::bytes octets, scalars (private keys,
//    signature r and s, the ECDAA nonce) ecc_curve_info::order_bytes octets. (Both are equal
//    for every curve in the table.) A span of another size is rc::size and nothing is written.
//
// Results: every operation returns an rc:
//   rc::success;
//   rc::curve      the curve is not implemented by the provider;
//   rc::hash       the hash algorithm is not one the provider implements;
//   rc::size       an output span has the wrong size, or (Commit) s2 and y2 are not both
//                  empty or both present;
//   rc::ecc_point  an input point is not a point of the curve (empty coordinate, coordinate
//                  >= p, not on the curve, not in the prime-order subgroup);
//   rc::value      a private key is not in [1, n-1] (SM2 signing: [1, n-2]);
//   rc::no_result  the result is the point at infinity (or a nonce loop gave up, which has
//                  negligible probability); nothing useful was written;
//   rc::signature  a signature does not verify (also for r or s out of range);
//   rc::failure    the crypto library failed internally (the engine should enter failure
//                  mode, Part 3 §10.4).
// Implementations may throw std::bad_alloc; nothing else leaves them.
#pragma once
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/core/result.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto {

/// TPM_ECC_CURVE (Part 2 §6.4); the values are in vtpm::ecc_curve.
using ecc_curve_id = std::uint16_t;

/// Fills the whole span with random bytes. For ordinary keys and nonces that is the TPM's
/// RNG (Part 1 §24.6.2); for primary keys a DRBG seeded from the primary seed and the
/// template (§24.6.3) — the engine's business. The requests are documented per operation.
using random_source = std::function<void(byte_span)>;

/// Largest coordinate or scalar of any curve below (BN-P638: 638 bits).
inline constexpr std::size_t max_ecc_bytes = 80;

/// One curve: sizes and the domain parameters as published in the TCG Algorithm Registry
/// (lower-case hex, minimal length). NIST curves: FIPS 186-4 §D.1.2 (= SEC 2); BN curves:
/// ISO/IEC 15946-5 (y^2 = x^3 + b, G = (1, 2) resp. (p-1, 16)); SM2: GB/T 32918.5-2017.
struct ecc_curve_info {
    ecc_curve_id id;
    std::uint16_t key_bits;    // TPMS_ALGORITHM_DETAIL_ECC.keySize: the bit length of p
    std::uint16_t bytes;       // octets of a coordinate: (key_bits + 7) / 8
    std::uint16_t order_bits;  // bit length of n
    std::uint16_t order_bytes; // octets of a scalar: (order_bits + 7) / 8
    std::string_view p, a, b, gx, gy, n, h;
};

/// Every curve Part 2 §6.4 names that this project knows, in TPM_ECC_CURVE order. A provider
/// may implement fewer (ecc_provider::curve_supported); all of these have cofactor 1.
inline constexpr std::array<ecc_curve_info, 8> ecc_curves{{
    {ecc_curve::nist_p192, 192, 24, 192, 24,
     "fffffffffffffffffffffffffffffffeffffffffffffffff",
     "fffffffffffffffffffffffffffffffefffffffffffffffc",
     "64210519e59c80e70fa7e9ab72243049feb8deecc146b9b1",
     "188da80eb03090f67cbf20eb43a18800f4ff0afd82ff1012",
     "07192b95ffc8da78631011ed6b24cdd573f977a11e794811",
     "ffffffffffffffffffffffff99def836146bc9b1b4d22831", "01"},
    {ecc_curve::nist_p224, 224, 28, 224, 28,
     "ffffffffffffffffffffffffffffffff000000000000000000000001",
     "fffffffffffffffffffffffffffffffefffffffffffffffffffffffe",
     "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4",
     "b70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21",
     "bd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34",
     "ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d", "01"},
    {ecc_curve::nist_p256, 256, 32, 256, 32,
     "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
     "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
     "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
     "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
     "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
     "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", "01"},
    {ecc_curve::nist_p384, 384, 48, 384, 48,
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"
     "ffffffff0000000000000000ffffffff",
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"
     "ffffffff0000000000000000fffffffc",
     "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
     "c656398d8a2ed19d2a85c8edd3ec2aef",
     "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38"
     "5502f25dbf55296c3a545e3872760ab7",
     "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0"
     "0a60b1ce1d7e819d7a431d7c90ea0e5f",
     "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
     "581a0db248b0a77aecec196accc52973", "01"},
    {ecc_curve::nist_p521, 521, 66, 521, 66,
     "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc",
     "51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109"
     "e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
     "c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3d"
     "baa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
     "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e66"
     "2c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
     "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409", "01"},
    {ecc_curve::bn_p256, 256, 32, 256, 32,
     "fffffffffffcf0cd46e5f25eee71a49f0cdc65fb12980a82d3292ddbaed33013", "00", "03", "01", "02",
     "fffffffffffcf0cd46e5f25eee71a49e0cdc65fb1299921af62d536cd10b500d", "01"},
    {ecc_curve::bn_p638, 638, 80, 638, 80,
     "23fffffdc000000d7fffffb8000001d3fffff942d000165e3fff94870000d52f"
     "fffdd0e00008de55c00086520021e55bfffff51ffff4eb800000004c80015acd"
     "ffffffffffffece00000000000000067",
     "00", "0101",
     "23fffffdc000000d7fffffb8000001d3fffff942d000165e3fff94870000d52f"
     "fffdd0e00008de55c00086520021e55bfffff51ffff4eb800000004c80015acd"
     "ffffffffffffece00000000000000066",
     "10",
     "23fffffdc000000d7fffffb8000001d3fffff942d000165e3fff94870000d52f"
     "fffdd0e00008de55600086550021e555fffff54ffff4eac000000049800154d9"
     "ffffffffffffeda00000000000000061", "01"},
    {ecc_curve::sm2_p256, 256, 32, 256, 32,
     "fffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff",
     "fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc",
     "28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93",
     "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7",
     "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0",
     "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123", "01"},
}};

/// The table entry of a curve, or nullptr.
[[nodiscard]] constexpr const ecc_curve_info* find_ecc_curve(ecc_curve_id id) noexcept {
    for (const auto& c : ecc_curves)
        if (c.id == id) return &c;
    return nullptr;
}

/// A point given to the provider (see the encoding rules at the top).
struct ecc_point_view {
    byte_view x, y;
};
/// Where a point result goes: x and y exactly ecc_curve_info::bytes long.
struct ecc_point_out {
    byte_span x, y;
};
/// An ECDSA, EC-Schnorr, SM2 or ECDAA signature (TPMS_SIGNATURE_ECC's signatureR/S).
struct ecc_signature_view {
    byte_view r, s;
};
/// Where a signature goes: r and s exactly ecc_curve_info::order_bytes long.
struct ecc_signature_out {
    byte_span r, s;
};

/// TPMS_ALGORITHM_DETAIL_ECC without kdf/sign (Part 2 §11.2.5.8; both are TPM_ALG_NULL for
/// every curve here, and kdf is deprecated). p, a, b, gX, gY are padded to the coordinate
/// size, n to the scalar size; h is minimal ("01").
struct ecc_parameters {
    ecc_curve_id curve_id = ecc_curve::none;
    std::uint16_t key_bits = 0;
    bytes p, a, b, gx, gy, n, h;
};

/// The inputs of TPM2_Commit (Part 1 §44.2.3; Part 3 §19.2): P1 may be the Empty Point
/// (both coordinates empty); s2 and y2 are both empty or both present.
struct ecc_commit_input {
    ecc_point_view p1;
    byte_view s2, y2;
};
/// The outputs of TPM2_Commit. k and l are written only when s2 is present, e only when P1
/// is not the Empty Point or s2 is empty; the others may be empty spans.
struct ecc_commit_output {
    ecc_point_out k, l, e;
};

/// The ECC operations the TPM needs (Part 1 §44, §45.2). Equation and step numbers refer to
/// TPM 2.0 Library Part 1 v185. h = 1 for every curve in the table, so the cofactor
/// multiplications of ECDH/MQV/SM2 key exchange are no-ops.
///
///  curve_supported(c)            c can be used with every operation below.
///  curve_parameters(c)           TPM2_ECC_Parameters / GetCapability(ECC_CURVES) data, or
///                                rc::curve.
///  ecc_point_valid(c, P)         P is a point of the curve: both coordinates present and
///                                < p, on the curve, not infinity, in the order-n subgroup
///                                (implied by h = 1).
///  ecc_generate(c, rnd, d, Q)    Part 1 §44.6 (FIPS 186-5 A.2.1, extra random bits): calls
///                                rnd once for ceil((len(n) + 64) / 8) bytes, clears the
///                                bits above len(n) + 64 in the first byte, reads them as a
///                                big-endian c, sets d := (c mod (n - 1)) + 1, Q := [d]G.
///                                The same bytes give the same key.
///  ecc_public(c, d, Q)           Q := [d]G for d in [1, n-1] (else rc::value).
///  ecc_multiply(c, k, P, R)      R := [k]P, P validated, any k (reduced mod n). ECDH_ZGen
///                                (Z = h[d]Q), ECDH_KeyGen, the ECDH variant of
///                                ZGen_2Phase (Zs = [dsA]QsB, Ze = [deA]QeB).
///  ecc_multiply_base(c, k, R)    R := [k]G, any k (reduced mod n); EC_Ephemeral (Q = [r]G).
///  ecc_add(c, P, Q, R)           R := P + Q, both validated.
///  ecdsa_sign(c, hash, d, digest, sig)
///                                ECDSA (ISO/IEC 14888-3, Part 1 §44.3.1) on a digest: the
///                                leftmost len(n) bits of the digest, nonce from RFC 6979
///                                with HMAC-`hash` (deterministic).
///  ecdsa_verify(c, Q, digest, sig)
///  ecschnorr_sign(c, hash, d, digest, rnd, sig) / ecschnorr_verify(c, hash, Q, digest, sig)
///                                Part 1 §44.3.4: r := TRUNC(H(FE2BS(xE) || P), n),
///                                s := (k + r·d) mod n with E := [k]G; verify with
///                                E := [s]G + [-r]Q and a numeric compare of r.
///  sm2_sign(c, d, e, rnd, sig) / sm2_verify(c, Q, e, sig)
///                                Part 1 §45.2.2 on the digest e = H(ZA || M) (the caller
///                                hashes ZA; for attestations e = H(M), §45.2.2.5).
///  ecdaa_sign(c, hash, d, r, digest, rnd, sig)
///                                Part 1 §44.3.3.3: k random, T := H(k || P) mod n,
///                                s := (r + T·d) mod n; sig.r receives k. r is the commit
///                                value recovered by the engine (§44.2.5); it is used mod n.
///  ecc_commit(c, nameAlg, d, r, in, out)
///                                Part 1 §44.2.3 steps 1-12 given r (steps 7, 13-15 and the
///                                commit counter are the engine's).
///  ecmqv_z(c, dsA, deA, QsB, QeB, Z)
///                                Part 1 §44.8.4.3 (Full MQV, ZGen_2Phase with TPM_ALG_ECMQV).
///  sm2_exchange_z(c, dsA, deA, QsB, QeB, Z)
///                                Part 1 §45.2.3.2 (ZGen_2Phase with TPM_ALG_SM2).
///
/// Nonces for EC-Schnorr, SM2 and ECDAA are drawn from rnd with the rule of ecc_generate
/// (k in [1, n-1]), one call per attempt.
template <class E>
concept ecc_provider = requires(E& e, const E& ce, ecc_curve_id c, tpm_alg_id h, byte_view v,
                                ecc_point_view p, ecc_point_out o, ecc_signature_view sv,
                                ecc_signature_out so, const random_source& rnd, byte_span d,
                                const ecc_commit_input& ci, const ecc_commit_output& co) {
    { ce.curve_supported(c) } -> std::same_as<bool>;
    { ce.curve_parameters(c) } -> std::same_as<result<ecc_parameters>>;
    { ce.ecc_point_valid(c, p) } -> std::same_as<bool>;
    { e.ecc_generate(c, rnd, d, o) } -> std::same_as<rc>;
    { e.ecc_public(c, v, o) } -> std::same_as<rc>;
    { e.ecc_multiply(c, v, p, o) } -> std::same_as<rc>;
    { e.ecc_multiply_base(c, v, o) } -> std::same_as<rc>;
    { e.ecc_add(c, p, p, o) } -> std::same_as<rc>;
    { e.ecdsa_sign(c, h, v, v, so) } -> std::same_as<rc>;
    { e.ecdsa_verify(c, p, v, sv) } -> std::same_as<rc>;
    { e.ecschnorr_sign(c, h, v, v, rnd, so) } -> std::same_as<rc>;
    { e.ecschnorr_verify(c, h, p, v, sv) } -> std::same_as<rc>;
    { e.sm2_sign(c, v, v, rnd, so) } -> std::same_as<rc>;
    { e.sm2_verify(c, p, v, sv) } -> std::same_as<rc>;
    { e.ecdaa_sign(c, h, v, v, v, rnd, so) } -> std::same_as<rc>;
    { e.ecc_commit(c, h, v, v, ci, co) } -> std::same_as<rc>;
    { e.ecmqv_z(c, v, v, p, p, o) } -> std::same_as<rc>;
    { e.sm2_exchange_z(c, v, v, p, p, o) } -> std::same_as<rc>;
};

} // namespace vtpm::crypto
