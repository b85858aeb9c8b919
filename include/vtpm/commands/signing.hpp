// Part 3 §20 Signing and Signature Verification: TPM2_VerifySignature, TPM2_Sign.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

struct verify_signature { // Part 3 §20.2
    static constexpr tpm_cc code = cc::verify_signature;
    static constexpr std::string_view name = "VerifySignature";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::none>>; // keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, digest), (tpmt_signature, signature)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpmt_tk_verified, validation)); };
};

struct sign { // Part 3 §20.5
    static constexpr tpm_cc code = cc::sign;
    static constexpr std::string_view name = "Sign";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, digest), (tpmt_sig_scheme, in_scheme),
                                 (tpmt_tk_hashcheck, validation));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpmt_signature, signature)); };
};

} // namespace vtpm::cmd
