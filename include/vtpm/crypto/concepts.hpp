// Crypto backend concepts (DESIGN §5): library-neutral, bytes and TPM algorithm ids in, bytes
// out. No crypto-library type appears in a signature, so a second backend (OpenSSL 3) or a test
// double can stand in for the Botan one. Each implementation header ends with
// static_assert(vtpm::crypto::backend<its_type>).
//
// Error model: the operations below cannot fail for a supported algorithm. An implementation
// catches its library's exceptions at its own boundary and documents what it does instead;
// allocating a state (hash_start, hmac_start, copying a state) may throw std::bad_alloc like
// any other allocation in the engine.
#pragma once
#include <concepts>
#include <utility>

#include "vtpm/core/bytes.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto {

/// A running hash or HMAC computation (the state behind a TPM hash/HMAC sequence object,
/// Part 3 §17). Copyable (and assignable), because sequence objects and KDF loops duplicate
/// states.
///   update(data)  absorbs data;
///   finish(out)   writes digest_size(alg) bytes to out (precondition:
///                 out.size() >= digest_size(alg)). Afterwards the state must not be used
///                 again except to be destroyed or assigned to.
template <class S>
concept hash_state = std::copyable<S> &&
    requires(S& s, byte_view in, byte_span out) {
        { s.update(in) } -> std::same_as<void>;
        { s.finish(out) } -> std::same_as<void>;
    };

/// Hash functions (Part 1 §11.4.2). hash_start/hash require hash_supported(alg).
template <class C>
concept hash_provider = requires(C& c, const C& cc, tpm_alg_id alg, byte_view in, byte_span out) {
    { cc.hash_supported(alg) } -> std::same_as<bool>;
    { c.hash_start(alg) } -> hash_state;
    { c.hash(alg, in, out) } -> std::same_as<void>; // one-shot: out gets digest_size(alg) bytes
};

/// HMAC (Part 1 §11.4.3, RFC 2104) over the same hash algorithms. Any key length.
template <class C>
concept hmac_provider = hash_provider<C> &&
    requires(C& c, tpm_alg_id alg, byte_view key, byte_view in, byte_span out) {
        { c.hmac_start(alg, key) } -> hash_state;
        { c.hmac(alg, key, in, out) } -> std::same_as<void>;
    };

/// The TPM's random number generator (Part 1 §11.4, "Random Number Generator"): random()
/// fills out; stir() mixes caller entropy into the DRBG state (TPM2_StirRandom, Part 3 §16.2).
template <class C>
concept rng_provider = requires(C& c, byte_view in, byte_span out) {
    { c.random(out) } -> std::same_as<void>;
    { c.stir(in) } -> std::same_as<void>;
};

/// What the TPM core needs from a crypto library: hashes, HMAC and the RNG. Symmetric,
/// RSA and ECC are separate concepts (crypto/symmetric.hpp, rsa.hpp, ecc.hpp), joined in
/// crypto::full_backend (crypto/full_backend.hpp); commands that need them require them.
template <class C>
concept backend = hash_provider<C> && hmac_provider<C> && rng_provider<C>;

/// The state types a provider returns.
template <hash_provider C>
using hash_state_t = decltype(std::declval<C&>().hash_start(tpm_alg_id{}));
template <hmac_provider C>
using hmac_state_t = decltype(std::declval<C&>().hmac_start(tpm_alg_id{}, byte_view{}));

} // namespace vtpm::crypto
