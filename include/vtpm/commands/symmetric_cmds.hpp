// Part 3 §15 Symmetric Primitives: TPM2_EncryptDecrypt, TPM2_EncryptDecrypt2, TPM2_MAC; and
// §17.3 TPM2_MAC_Start. (TPM2_Hash is in commands/hash.hpp.) TPM2_MAC and TPM2_MAC_Start share
// the command codes of TPM2_HMAC and TPM2_HMAC_Start, so a TPM has one pair or the other; vtpm
// has the MAC pair, which accepts every TPM2_HMAC / TPM2_HMAC_Start command unchanged.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"

namespace vtpm {
namespace detail {
struct rule_alg_mac_scheme { // Part 2 §9.34 TPMI_ALG_MAC_SCHEME
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::symmetric;
    static bool valid(tpm_alg_id a, const reader& r) noexcept {
        return (a == alg::cmac || is_hash_alg(a)) && r.alg_enabled(a);
    }
};
} // namespace detail

/// TPMI_ALG_MAC_SCHEME (Part 2 §9.34): TPM_ALG_CMAC or a hash (+NULL); TPM_RC_SYMMETRIC.
template <bool Null = false>
using tpmi_alg_mac_scheme = tpmi<tpm_alg_id, detail::rule_alg_mac_scheme, Null>;

} // namespace vtpm

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

struct mac { // Part 3 §15.6 (TPM2_HMAC, §15.5, is the same command for hash algorithms)
    static constexpr tpm_cc code = cc::mac;
    static constexpr std::string_view name = "MAC";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @handle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, buffer), (tpmi_alg_mac_scheme<true>, in_scheme)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, out_mac)); };
};

struct mac_start { // Part 3 §17.3 (TPM2_HMAC_Start, §17.2, is the same command for hash algorithms)
    static constexpr tpm_cc code = cc::mac_start;
    static constexpr std::string_view name = "MAC_Start";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @handle
    static constexpr bool response_handle = true;                                 // sequenceHandle
    static constexpr attributes attrs{.decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, auth), (tpmi_alg_mac_scheme<true>, in_scheme)); };
    using response = no_params;
};

} // namespace vtpm::cmd
