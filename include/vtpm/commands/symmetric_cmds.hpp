// Part 3 §15 Symmetric Primitives: TPM2_EncryptDecrypt, TPM2_EncryptDecrypt2, TPM2_HMAC.
// (TPM2_Hash is in commands/hash.hpp. TPM2_MAC shares TPM2_HMAC's command code, so a TPM
// has one or the other; vtpm has TPM2_HMAC.)
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"

namespace vtpm::cmd {

/// TPMI_ALG_CIPHER_MODE+ (Part 2 §9.x): CTR, OFB, CBC, CFB, ECB or NULL; TPM_RC_MODE.
using tpmi_alg_cipher_mode = tpmi_alg_sym_mode<true>;

struct encrypt_decrypt { // Part 3 §15.2
    static constexpr tpm_cc code = cc::encrypt_decrypt;
    static constexpr std::string_view name = "EncryptDecrypt";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpmi_yes_no, decrypt), (tpmi_alg_cipher_mode, mode), (tpm2b_iv, iv_in),
                                 (tpm2b_max_buffer, in_data));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_max_buffer, out_data), (tpm2b_iv, iv_out)); };
};

struct encrypt_decrypt2 { // Part 3 §15.3
    static constexpr tpm_cc code = cc::encrypt_decrypt2;
    static constexpr std::string_view name = "EncryptDecrypt2";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, in_data), (tpmi_yes_no, decrypt),
                                 (tpmi_alg_cipher_mode, mode), (tpm2b_iv, iv_in));
    };
    using response = encrypt_decrypt::response;
};

struct hmac { // Part 3 §15.5
    static constexpr tpm_cc code = cc::hmac;
    static constexpr std::string_view name = "HMAC";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @handle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, buffer), (tpmi_alg_hash<true>, hash_alg)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, out_hmac)); };
};

} // namespace vtpm::cmd
