// NV storage structures (Part 2 §13) and the NV handle types (Part 2 §9.23-§9.27).
#pragma once
#include <cstdint>

#include "vtpm/spec/constants.hpp"
#include "vtpm/types/base.hpp"
#include "vtpm/types/interface.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm {

/// TPM_NT (Part 2 §13.2): the index type, bits 7:4 of TPMA_NV.
namespace nt {
inline constexpr std::uint8_t ordinary = 0x0, counter = 0x1, bits = 0x2, extend = 0x4, pin_fail = 0x8, pin_pass = 0x9;
}

/// TPMA_NV bits (Part 2 §13.4 Table 249).
namespace nv_attr {
inline constexpr std::uint32_t ppwrite = 1u << 0, ownerwrite = 1u << 1, authwrite = 1u << 2, policywrite = 1u << 3,
    type_mask = 0xFu << 4, policy_delete = 1u << 10, writelocked = 1u << 11, writeall = 1u << 12,
    writedefine = 1u << 13, write_stclear = 1u << 14, globallock = 1u << 15, ppread = 1u << 16,
    ownerread = 1u << 17, authread = 1u << 18, policyread = 1u << 19, no_da = 1u << 25, orderly = 1u << 26,
    clear_stclear = 1u << 27, readlocked = 1u << 28, written = 1u << 29, platformcreate = 1u << 30,
    read_stclear = 1u << 31;
inline constexpr std::uint32_t reserved = 0x01F00300u; // bits 8, 9, 20-24
inline constexpr unsigned type_shift = 4;
[[nodiscard]] constexpr std::uint8_t type_of(std::uint32_t a) noexcept {
    return static_cast<std::uint8_t>((a & type_mask) >> type_shift);
}
} // namespace nv_attr

/// TPMA_NV: reserved bits set are TPM_RC_RESERVED_BITS.
using tpma_nv = tpma<std::uint32_t, nv_attr::reserved>;

namespace detail {
[[nodiscard]] constexpr bool is_nv_index(tpm_handle h) noexcept { return handle_type(h) == ht::nv_index; }
struct rule_rh_nv_auth { // Part 2 §9.23 TPMI_RH_NV_AUTH
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return h == rh::owner || h == rh::platform || is_nv_index(h);
    }
};
/// TPMI_RH_NV_INDEX, _DEFINED_INDEX, _LEGACY_INDEX (Part 2 §9.25-§9.27). This TPM has no
/// external or permanent NV indices: all three accept the TPM_HT_NV_INDEX range.
struct rule_rh_nv_index {
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return is_nv_index(h); }
};
} // namespace detail

using tpmi_rh_nv_auth = tpmi<tpm_handle, detail::rule_rh_nv_auth, false>;
using tpmi_rh_nv_index = tpmi<tpm_handle, detail::rule_rh_nv_index, false>;
using tpmi_rh_nv_defined_index = tpmi_rh_nv_index;
using tpmi_rh_nv_legacy_index = tpmi_rh_nv_index;

/// TPMS_NV_PUBLIC (Part 2 §13.6). dataSize is limited by the profile (checked by the command).
struct tpms_nv_public {
    BOOST_HANA_DEFINE_STRUCT(tpms_nv_public, (tpmi_rh_nv_legacy_index, nv_index), (tpmi_alg_hash<false>, name_alg),
                             (tpma_nv, attributes), (tpm2b_digest, auth_policy), (std::uint16_t, data_size));
};
using tpm2b_nv_public = tpm2b_of<tpms_nv_public>; // §13.7

/// TPMU_NV_PUBLIC_2 / TPMT_NV_PUBLIC_2 (Part 2 §13.9-§13.10): only TPM_HT_NV_INDEX is
/// implemented; other handle types are TPM_RC_SELECTOR.
using tpmu_nv_public_2 = tpmu<ucase<ht::nv_index, tpms_nv_public>>;
struct tpmt_nv_public_2 {
    BOOST_HANA_DEFINE_STRUCT(tpmt_nv_public_2, (std::uint8_t, handle_type), (tpmu_nv_public_2, public_area));
    static constexpr std::size_t selector_index(std::size_t) { return 0; }
};
using tpm2b_nv_public_2 = tpm2b_of<tpmt_nv_public_2>; // §13.11

/// TPMS_NV_PIN_COUNTER_PARAMETERS (Part 2 §13.3): pinCount || pinLimit, big-endian.
struct tpms_nv_pin_counter_parameters {
    BOOST_HANA_DEFINE_STRUCT(tpms_nv_pin_counter_parameters, (std::uint32_t, pin_count), (std::uint32_t, pin_limit));
};

} // namespace vtpm
