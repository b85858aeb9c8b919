// Part 3 §14 Asymmetric Primitives: TPM2_RSA_Encrypt, TPM2_RSA_Decrypt, TPM2_ECDH_KeyGen,
// TPM2_ECDH_ZGen, TPM2_ECC_Parameters, TPM2_ECC_Encrypt, TPM2_ECC_Decrypt.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"

namespace vtpm {

/// TPMS_ALGORITHM_DETAIL_ECC (Part 2 §11.2.5.8): the parameters of a curve.
struct tpms_algorithm_detail_ecc {
    BOOST_HANA_DEFINE_STRUCT(tpms_algorithm_detail_ecc, (std::uint16_t, curve_id), (std::uint16_t, key_size),
                             (tpmt_kdf_scheme, kdf), (tpmt_ecc_scheme, sign), (tpm2b_ecc_parameter, p),
                             (tpm2b_ecc_parameter, a), (tpm2b_ecc_parameter, b), (tpm2b_ecc_parameter, g_x),
                             (tpm2b_ecc_parameter, g_y), (tpm2b_ecc_parameter, n), (tpm2b_ecc_parameter, h));
};

} // namespace vtpm

namespace vtpm::cmd {

struct rsa_encrypt { // Part 3 §14.2
    static constexpr tpm_cc code = cc::rsa_encrypt;
    static constexpr std::string_view name = "RSA_Encrypt";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>>; // keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_public_key_rsa, message), (tpmt_rsa_decrypt, in_scheme),
                                 (tpm2b_data, label));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_public_key_rsa, out_data)); };
};

struct rsa_decrypt { // Part 3 §14.3
    static constexpr tpm_cc code = cc::rsa_decrypt;
    static constexpr std::string_view name = "RSA_Decrypt";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_public_key_rsa, cipher_text), (tpmt_rsa_decrypt, in_scheme),
                                 (tpm2b_data, label));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_public_key_rsa, message)); };
};

struct ecdh_keygen { // Part 3 §14.4
    static constexpr tpm_cc code = cc::ecdh_keygen;
    static constexpr std::string_view name = "ECDH_KeyGen";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>>; // keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_ecc_point, z_point), (tpm2b_ecc_point, pub_point)); };
};

struct ecdh_zgen { // Part 3 §14.5
    static constexpr tpm_cc code = cc::ecdh_zgen;
    static constexpr std::string_view name = "ECDH_ZGen";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_ecc_point, in_point)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_ecc_point, out_point)); };
};

struct ecc_parameters { // Part 3 §14.6
    static constexpr tpm_cc code = cc::ecc_parameters;
    static constexpr std::string_view name = "ECC_Parameters";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_ecc_curve<false>, curve_id)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpms_algorithm_detail_ecc, parameters)); };
};

struct ecc_encrypt { // Part 3 §14.8
    static constexpr tpm_cc code = cc::ecc_encrypt;
    static constexpr std::string_view name = "ECC_Encrypt";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>>; // keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, plain_text), (tpmt_kdf_scheme, in_scheme)); };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_ecc_point, c1), (tpm2b_max_buffer, c2), (tpm2b_digest, c3));
    };
};

struct ecc_decrypt { // Part 3 §14.9
    static constexpr tpm_cc code = cc::ecc_decrypt;
    static constexpr std::string_view name = "ECC_Decrypt";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_ecc_point, c1), (tpm2b_max_buffer, c2), (tpm2b_digest, c3),
                                 (tpmt_kdf_scheme, in_scheme));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_max_buffer, plain_text)); };
};

} // namespace vtpm::cmd
