// Algorithm parameters and structures (Part 2 §11): symmetric definitions, schemes, RSA/ECC
// parameters, signatures, and TPMT_PUBLIC_PARMS.
#pragma once
#include <cstdint>

#include "vtpm/spec/constants.hpp"
#include "vtpm/types/base.hpp"
#include "vtpm/types/interface.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm {

namespace limits {
inline constexpr std::size_t max_sym_key_bytes = 32;  // AES-256
inline constexpr std::size_t max_sym_block_size = 16;
inline constexpr std::size_t max_rsa_key_bytes = 512; // RSA-4096
inline constexpr std::size_t max_ecc_key_bytes = 80;  // BN-P638
} // namespace limits

namespace detail {
template <tpm_alg_id... A>
struct rule_alg_set {
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::scheme;
    static bool valid(tpm_alg_id a, const reader& r) noexcept { return ((a == A) || ...) && r.alg_enabled(a); }
};
template <rc Error, std::uint16_t... V>
struct rule_key_bits {
    static constexpr std::uint16_t null = 0xFFFF; // no NULL form
    static constexpr rc error = Error;
    static bool valid(std::uint16_t v, const reader&) noexcept { return ((v == V) || ...); }
};
} // namespace detail

// Key sizes (Part 2 §11.1.4-§11.1.8, §11.2.4.x): a size the TPM does not have is TPM_RC_VALUE.
using tpmi_aes_key_bits = tpmi<std::uint16_t, detail::rule_key_bits<rc::value, 128, 192, 256>>;
using tpmi_sm4_key_bits = tpmi<std::uint16_t, detail::rule_key_bits<rc::value, 128>>;
using tpmi_camellia_key_bits = tpmi<std::uint16_t, detail::rule_key_bits<rc::value, 128, 192, 256>>;
using tpmi_tdes_key_bits = tpmi<std::uint16_t, detail::rule_key_bits<rc::value, 128, 192>>;
using tpmi_rsa_key_bits = tpmi<std::uint16_t, detail::rule_key_bits<rc::value, 1024, 2048, 3072, 4096>>;

// --- symmetric (Part 2 §11.1) ----------------------------------------------------------

using tpmu_sym_key_bits = tpmu<ucase<alg::aes, tpmi_aes_key_bits>, ucase<alg::sm4, tpmi_sm4_key_bits>,
                               ucase<alg::camellia, tpmi_camellia_key_bits>, ucase<alg::tdes, tpmi_tdes_key_bits>,
                               ucase<alg::xor_, tpmi_alg_hash<false>>, uempty<alg::null>>;
using tpmu_sym_mode = tpmu<ucase<alg::aes, tpmi_alg_sym_mode<true>>, ucase<alg::sm4, tpmi_alg_sym_mode<true>>,
                           ucase<alg::camellia, tpmi_alg_sym_mode<true>>, ucase<alg::tdes, tpmi_alg_sym_mode<true>>,
                           uempty<alg::xor_>, uempty<alg::null>>;

/// TPMT_SYM_DEF (Part 2 §11.1.6); `Null` is the "+" of the field that holds it.
template <bool Null>
struct tpmt_sym_def_t {
    BOOST_HANA_DEFINE_STRUCT(tpmt_sym_def_t, (tpmi_alg_sym<Null>, algorithm), (tpmu_sym_key_bits, key_bits),
                             (tpmu_sym_mode, mode));
    static constexpr std::size_t selector_index(std::size_t) { return 0; }
};
/// TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7)
template <bool Null>
struct tpmt_sym_def_object_t {
    BOOST_HANA_DEFINE_STRUCT(tpmt_sym_def_object_t, (tpmi_alg_sym_object<Null>, algorithm),
                             (tpmu_sym_key_bits, key_bits), (tpmu_sym_mode, mode));
    static constexpr std::size_t selector_index(std::size_t) { return 0; }
};
using tpmt_sym_def = tpmt_sym_def_t<true>;
using tpmt_sym_def_object = tpmt_sym_def_object_t<true>;

using tpm2b_sym_key = tpm2b<limits::max_sym_key_bytes>;       // §11.1.8
using tpm2b_sensitive_data = tpm2b<limits::max_sym_data>;     // §11.1.14
using tpm2b_label = tpm2b<32>;                                // §11.1.11 (LABEL_MAX_BUFFER)

/// TPMS_SYMCIPHER_PARMS (Part 2 §11.1.9)
struct tpms_symcipher_parms {
    BOOST_HANA_DEFINE_STRUCT(tpms_symcipher_parms, (tpmt_sym_def_object_t<false>, sym));
};

// --- schemes (Part 2 §11.1.17-§11.2.3) -------------------------------------------------

struct tpms_scheme_hash { BOOST_HANA_DEFINE_STRUCT(tpms_scheme_hash, (tpmi_alg_hash<false>, hash_alg)); };
struct tpms_scheme_ecdaa {
    BOOST_HANA_DEFINE_STRUCT(tpms_scheme_ecdaa, (tpmi_alg_hash<false>, hash_alg), (std::uint16_t, count));
};
struct tpms_scheme_xor {
    BOOST_HANA_DEFINE_STRUCT(tpms_scheme_xor, (tpmi_alg_hash<false>, hash_alg), (tpmi_alg_kdf<false>, kdf));
};
using tpms_scheme_hmac = tpms_scheme_hash;

using tpmi_alg_keyedhash_scheme = tpmi<tpm_alg_id, detail::rule_alg_set<alg::hmac, alg::xor_>, true>;
using tpmu_scheme_keyedhash = tpmu<ucase<alg::hmac, tpms_scheme_hmac>, ucase<alg::xor_, tpms_scheme_xor>, uempty<alg::null>>;
struct tpmt_keyedhash_scheme {
    BOOST_HANA_DEFINE_STRUCT(tpmt_keyedhash_scheme, (tpmi_alg_keyedhash_scheme, scheme), (tpmu_scheme_keyedhash, details));
};

using tpmi_alg_sig_scheme = tpmi<tpm_alg_id, detail::rule_alg_set<alg::rsassa, alg::rsapss, alg::ecdsa, alg::ecdaa,
                                                                   alg::sm2, alg::ecschnorr, alg::hmac>, true>;
using tpmu_sig_scheme = tpmu<ucase<alg::rsassa, tpms_scheme_hash>, ucase<alg::rsapss, tpms_scheme_hash>,
                             ucase<alg::ecdsa, tpms_scheme_hash>, ucase<alg::ecdaa, tpms_scheme_ecdaa>,
                             ucase<alg::sm2, tpms_scheme_hash>, ucase<alg::ecschnorr, tpms_scheme_hash>,
                             ucase<alg::hmac, tpms_scheme_hmac>, uempty<alg::null>>;
struct tpmt_sig_scheme {
    BOOST_HANA_DEFINE_STRUCT(tpmt_sig_scheme, (tpmi_alg_sig_scheme, scheme), (tpmu_sig_scheme, details));
};

using tpmu_kdf_scheme = tpmu<ucase<alg::mgf1, tpms_scheme_hash>, ucase<alg::kdf1_sp800_56a, tpms_scheme_hash>,
                             ucase<alg::kdf2, tpms_scheme_hash>, ucase<alg::kdf1_sp800_108, tpms_scheme_hash>,
                             uempty<alg::null>>;
struct tpmt_kdf_scheme {
    BOOST_HANA_DEFINE_STRUCT(tpmt_kdf_scheme, (tpmi_alg_kdf<true>, scheme), (tpmu_kdf_scheme, details));
};

/// TPMU_ASYM_SCHEME (Part 2 §11.2.3.5): RSAES has no details; the others name a hash.
using tpmu_asym_scheme =
    tpmu<ucase<alg::ecdh, tpms_scheme_hash>, ucase<alg::ecmqv, tpms_scheme_hash>, ucase<alg::rsassa, tpms_scheme_hash>,
         ucase<alg::rsapss, tpms_scheme_hash>, ucase<alg::ecdsa, tpms_scheme_hash>, ucase<alg::ecdaa, tpms_scheme_ecdaa>,
         ucase<alg::sm2, tpms_scheme_hash>, ucase<alg::ecschnorr, tpms_scheme_hash>, uempty<alg::rsaes>,
         ucase<alg::oaep, tpms_scheme_hash>, uempty<alg::null>>;

using tpmi_alg_rsa_scheme = tpmi<tpm_alg_id, detail::rule_alg_set<alg::rsaes, alg::oaep, alg::rsassa, alg::rsapss>, true>;
struct tpmt_rsa_scheme {
    BOOST_HANA_DEFINE_STRUCT(tpmt_rsa_scheme, (tpmi_alg_rsa_scheme, scheme), (tpmu_asym_scheme, details));
};
using tpmi_alg_rsa_decrypt = tpmi<tpm_alg_id, detail::rule_alg_set<alg::rsaes, alg::oaep>, true>;
struct tpmt_rsa_decrypt {
    BOOST_HANA_DEFINE_STRUCT(tpmt_rsa_decrypt, (tpmi_alg_rsa_decrypt, scheme), (tpmu_asym_scheme, details));
};
using tpmi_alg_ecc_scheme =
    tpmi<tpm_alg_id, detail::rule_alg_set<alg::ecdsa, alg::ecdaa, alg::sm2, alg::ecschnorr, alg::ecdh, alg::ecmqv>, true>;
struct tpmt_ecc_scheme {
    BOOST_HANA_DEFINE_STRUCT(tpmt_ecc_scheme, (tpmi_alg_ecc_scheme, scheme), (tpmu_asym_scheme, details));
};

// --- RSA / ECC (Part 2 §11.2) ------------------------------------------------------------

using tpm2b_public_key_rsa = tpm2b<limits::max_rsa_key_bytes>;       // §11.2.4.5
using tpm2b_private_key_rsa = tpm2b<limits::max_rsa_key_bytes / 2>;  // §11.2.4.7
using tpm2b_ecc_parameter = tpm2b<limits::max_ecc_key_bytes>;        // §11.2.5.1

struct tpms_ecc_point {
    BOOST_HANA_DEFINE_STRUCT(tpms_ecc_point, (tpm2b_ecc_parameter, x), (tpm2b_ecc_parameter, y));
};
using tpm2b_ecc_point = tpm2b_of<tpms_ecc_point>; // §11.2.5.3

/// TPMS_SIGNATURE_RSA / TPMS_SIGNATURE_ECC (Part 2 §11.3.1-§11.3.2)
struct tpms_signature_rsa {
    BOOST_HANA_DEFINE_STRUCT(tpms_signature_rsa, (tpmi_alg_hash<false>, hash), (tpm2b_public_key_rsa, sig));
};
struct tpms_signature_ecc {
    BOOST_HANA_DEFINE_STRUCT(tpms_signature_ecc, (tpmi_alg_hash<false>, hash), (tpm2b_ecc_parameter, signature_r),
                             (tpm2b_ecc_parameter, signature_s));
};
using tpmu_signature = tpmu<ucase<alg::rsassa, tpms_signature_rsa>, ucase<alg::rsapss, tpms_signature_rsa>,
                            ucase<alg::ecdsa, tpms_signature_ecc>, ucase<alg::ecdaa, tpms_signature_ecc>,
                            ucase<alg::sm2, tpms_signature_ecc>, ucase<alg::ecschnorr, tpms_signature_ecc>,
                            ucase<alg::hmac, tpmt_ha>, uempty<alg::null>>;
/// TPMT_SIGNATURE (Part 2 §11.3.4)
struct tpmt_signature {
    BOOST_HANA_DEFINE_STRUCT(tpmt_signature, (tpmi_alg_sig_scheme, sig_alg), (tpmu_signature, signature));
};

// --- public parameters (Part 2 §12.2.3) -------------------------------------------------

struct tpms_keyedhash_parms {
    BOOST_HANA_DEFINE_STRUCT(tpms_keyedhash_parms, (tpmt_keyedhash_scheme, scheme));
};
struct tpms_rsa_parms {
    BOOST_HANA_DEFINE_STRUCT(tpms_rsa_parms, (tpmt_sym_def_object, symmetric), (tpmt_rsa_scheme, scheme),
                             (tpmi_rsa_key_bits, key_bits), (std::uint32_t, exponent));
};
struct tpms_ecc_parms {
    BOOST_HANA_DEFINE_STRUCT(tpms_ecc_parms, (tpmt_sym_def_object, symmetric), (tpmt_ecc_scheme, scheme),
                             (tpmi_ecc_curve<false>, curve_id), (tpmt_kdf_scheme, kdf));
};
using tpmu_public_parms = tpmu<ucase<alg::keyedhash, tpms_keyedhash_parms>, ucase<alg::symcipher, tpms_symcipher_parms>,
                               ucase<alg::rsa, tpms_rsa_parms>, ucase<alg::ecc, tpms_ecc_parms>>;
/// TPMT_PUBLIC_PARMS (Part 2 §12.2.3.7), the argument of TPM2_TestParms.
struct tpmt_public_parms {
    BOOST_HANA_DEFINE_STRUCT(tpmt_public_parms, (tpmi_alg_public, type), (tpmu_public_parms, parameters));
};

} // namespace vtpm
