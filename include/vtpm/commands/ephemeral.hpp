// Part 3 §19 Ephemeral EC Keys: TPM2_Commit, TPM2_EC_Ephemeral; and Part 3 §14.7
// TPM2_ZGen_2Phase, the command that consumes an EC_Ephemeral key.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"

namespace vtpm {
namespace detail {
struct rule_ecc_key_exchange { // Part 2 §9.33 TPMI_ECC_KEY_EXCHANGE
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::scheme;
    static bool valid(tpm_alg_id a, const reader& r) noexcept {
        return (a == alg::ecdh || a == alg::ecmqv || a == alg::sm2) && r.alg_enabled(a);
    }
};
} // namespace detail

/// TPMI_ECC_KEY_EXCHANGE (Part 2 §9.33): ECDH, ECMQV or SM2 (+NULL); TPM_RC_SCHEME.
template <bool Null = false>
using tpmi_ecc_key_exchange = tpmi<tpm_alg_id, detail::rule_ecc_key_exchange, Null>;

} // namespace vtpm

namespace vtpm::cmd {

struct zgen_2phase { // Part 3 §14.7
    static constexpr tpm_cc code = cc::zgen_2phase;
    static constexpr std::string_view name = "ZGen_2Phase";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @keyA
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_ecc_point, in_qs_b), (tpm2b_ecc_point, in_qe_b),
                                 (tpmi_ecc_key_exchange<false>, in_scheme), (std::uint16_t, counter));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_ecc_point, out_z1), (tpm2b_ecc_point, out_z2)); };
};

struct commit { // Part 3 §19.2
    static constexpr tpm_cc code = cc::commit;
    static constexpr std::string_view name = "Commit";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>; // @signHandle
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_ecc_point, p1), (tpm2b_sensitive_data, s2),
                                 (tpm2b_ecc_parameter, y2));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_ecc_point, k), (tpm2b_ecc_point, l), (tpm2b_ecc_point, e),
                                 (std::uint16_t, counter));
    };
};

struct ec_ephemeral { // Part 3 §19.3
    static constexpr tpm_cc code = cc::ec_ephemeral;
    static constexpr std::string_view name = "EC_Ephemeral";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_ecc_curve<false>, curve_id)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_ecc_point, q), (std::uint16_t, counter)); };
};

} // namespace vtpm::cmd
