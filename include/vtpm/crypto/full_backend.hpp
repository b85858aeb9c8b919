// A backend with every algorithm family: hash, HMAC, RNG, symmetric ciphers, RSA, ECC.
#pragma once
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/crypto/rsa.hpp"
#include "vtpm/crypto/symmetric.hpp"

namespace vtpm::crypto {

template <class C>
concept full_backend = backend<C> && symmetric_provider<C> && rsa_provider<C> && ecc_provider<C>;

} // namespace vtpm::crypto
