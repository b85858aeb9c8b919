// The default profile: every command the library implements, all hash algorithms, RSA, ECC (every
// curve the Botan backend has), keyed-hash and symmetric objects, PC Client PCR banks (SHA-1 and
// SHA-256), 8 object slots.
#pragma once
#include "vtpm/config/profile.hpp"

namespace vtpm::config::profiles {

inline constexpr profile full = [] {
    profile p;
    p.enable_all_commands();
    for (auto a : {alg::sha1, alg::sha256, alg::sha384, alg::sha512, alg::sm3_256, alg::sha3_256,
                   alg::sha3_384, alg::sha3_512, alg::hmac, alg::null,
                   // symmetric ciphers and modes (parameter encryption, symmetric keys)
                   alg::aes, alg::sm4, alg::camellia, alg::cmac, alg::cfb, alg::ctr, alg::ofb, alg::cbc, alg::ecb, alg::xor_,
                   // object types (Part 2 TPMI_ALG_PUBLIC)
                   alg::rsa, alg::ecc, alg::keyedhash, alg::symcipher,
                   // schemes and key derivation
                   alg::rsassa, alg::rsapss, alg::rsaes, alg::oaep, alg::ecdsa, alg::ecdh, alg::ecschnorr, alg::sm2,
                   alg::ecdaa, alg::ecmqv,
                   alg::mgf1, alg::kdf1_sp800_56a, alg::kdf2, alg::kdf1_sp800_108})
        p.enable_alg(a);
    p.curves = {ecc_curve::nist_p192, ecc_curve::nist_p224, ecc_curve::nist_p256, ecc_curve::nist_p384,
                ecc_curve::nist_p521, ecc_curve::bn_p256, ecc_curve::bn_p638, ecc_curve::sm2_p256};
    return p;
}();

/// A PC Client sized TPM: 3 object slots like a minimal hardware TPM.
inline constexpr profile pc_client = [] {
    profile p = full;
    p.limits.max_loaded_objects = 3;
    p.limits.max_loaded_sessions = 3;
    return p;
}();

/// Firmware-style trimmed profile: start-up, random, PCRs and capabilities only; SHA-256 only.
inline constexpr profile minimal = [] {
    profile p;
    for (auto c : {cc::startup, cc::shutdown, cc::self_test, cc::get_test_result, cc::get_random,
                   cc::get_capability, cc::pcr_read, cc::pcr_extend, cc::flush_context})
        p.enable(c);
    for (auto a : {alg::sha256, alg::hmac, alg::null}) p.enable_alg(a);
    p.default_pcr_banks = {alg::sha256};
    p.limits.max_loaded_objects = 3;
    return p;
}();

} // namespace vtpm::config::profiles
