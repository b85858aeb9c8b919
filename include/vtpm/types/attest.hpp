// Attestation structures (Part 2 §10.11): TPMS_ATTEST, its TPMU_ATTEST members and
// TPM2B_ATTEST; TPMI_RH_ENDORSEMENT and TPMI_SH_HMAC (Part 2 §9), which the attestation and
// audit commands take.
#pragma once
#include <cstdint>

#include "vtpm/spec/constants.hpp"
#include "vtpm/types/base.hpp"
#include "vtpm/types/interface.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm {

namespace detail {
struct rule_rh_endorsement { // Part 2 §9.12 TPMI_RH_ENDORSEMENT (without the "+" NULL)
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return h == rh::endorsement; }
};
struct rule_sh_hmac { // Part 2 §9.8 TPMI_SH_HMAC
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return handle_type(h) == ht::hmac_session; }
};
} // namespace detail
using tpmi_rh_endorsement = tpmi<tpm_handle, detail::rule_rh_endorsement, false>;
using tpmi_sh_hmac = tpmi<tpm_handle, detail::rule_sh_hmac, false>;

/// TPMS_TIME_ATTEST_INFO (Part 2 §10.11.2)
struct tpms_time_attest_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_time_attest_info, (tpms_time_info, time), (std::uint64_t, firmware_version));
};
/// TPMS_CERTIFY_INFO (Part 2 §10.11.3)
struct tpms_certify_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_certify_info, (tpm2b_name, name), (tpm2b_name, qualified_name));
};
/// TPMS_QUOTE_INFO (Part 2 §10.11.4)
struct tpms_quote_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_quote_info, (tpml_pcr_selection, pcr_select), (tpm2b_digest, pcr_digest));
};
/// TPMS_COMMAND_AUDIT_INFO (Part 2 §10.11.5)
struct tpms_command_audit_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_command_audit_info, (std::uint64_t, audit_counter), (std::uint16_t, digest_alg),
                             (tpm2b_digest, audit_digest), (tpm2b_digest, command_digest));
};
/// TPMS_SESSION_AUDIT_INFO (Part 2 §10.11.6)
struct tpms_session_audit_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_session_audit_info, (tpmi_yes_no, exclusive_session), (tpm2b_digest, session_digest));
};
/// TPMS_CREATION_INFO (Part 2 §10.11.7)
struct tpms_creation_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_creation_info, (tpm2b_name, object_name), (tpm2b_digest, creation_hash));
};
/// TPMS_NV_CERTIFY_INFO (Part 2 §10.11.8)
struct tpms_nv_certify_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_nv_certify_info, (tpm2b_name, index_name), (std::uint16_t, offset),
                             (tpm2b_max_nv_buffer, nv_contents));
};
/// TPMS_NV_DIGEST_CERTIFY_INFO (Part 2 §10.11.9)
struct tpms_nv_digest_certify_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_nv_digest_certify_info, (tpm2b_name, index_name), (tpm2b_digest, nv_digest));
};

/// TPMU_ATTEST (Part 2 §10.11.11), selected by TPMI_ST_ATTEST (§10.11.10).
using tpmu_attest = tpmu<ucase<st::attest_certify, tpms_certify_info>, ucase<st::attest_creation, tpms_creation_info>,
                         ucase<st::attest_quote, tpms_quote_info>,
                         ucase<st::attest_command_audit, tpms_command_audit_info>,
                         ucase<st::attest_session_audit, tpms_session_audit_info>,
                         ucase<st::attest_time, tpms_time_attest_info>, ucase<st::attest_nv, tpms_nv_certify_info>,
                         ucase<st::attest_nv_digest, tpms_nv_digest_certify_info>>;

/// TPMS_ATTEST (Part 2 §10.11.12): what an attestation command signs.
struct tpms_attest {
    BOOST_HANA_DEFINE_STRUCT(tpms_attest, (std::uint32_t, magic), (std::uint16_t, type),
                             (tpm2b_name, qualified_signer), (tpm2b_data, extra_data),
                             (tpms_clock_info, clock_info), (std::uint64_t, firmware_version),
                             (tpmu_attest, attested));
    static constexpr std::size_t selector_index(std::size_t) { return 1; } // attested follows type
};

namespace limits {
/// sizeof(TPMS_ATTEST): the fixed part and the largest member (TPMS_NV_CERTIFY_INFO).
inline constexpr std::size_t max_attest =
    4 + 2 + (2 + tpm2b_name::capacity) + (2 + tpm2b_data::capacity) + (8 + 4 + 4 + 1) + 8 +
    (2 + tpm2b_name::capacity) + 2 + (2 + max_nv_buffer);
} // namespace limits

/// TPM2B_ATTEST (Part 2 §10.11.13): the marshalled TPMS_ATTEST.
using tpm2b_attest = tpm2b<limits::max_attest>;

} // namespace vtpm
