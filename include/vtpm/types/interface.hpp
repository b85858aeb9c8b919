// Interface types (Part 2 §9): TPMI value sets and the TPMA bit fields used by commands.
#pragma once
#include <cstdint>

#include "vtpm/spec/constants.hpp"
#include "vtpm/types/base.hpp"

namespace vtpm {

namespace detail {
[[nodiscard]] constexpr bool is_hash_alg(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::sha1: case alg::sha256: case alg::sha384: case alg::sha512: case alg::sm3_256:
    case alg::sha3_256: case alg::sha3_384: case alg::sha3_512: return true;
    default: return false;
    }
}
[[nodiscard]] constexpr bool is_sym_alg(tpm_alg_id a) noexcept {
    return a == alg::aes || a == alg::sm4 || a == alg::camellia || a == alg::tdes;
}
[[nodiscard]] constexpr bool is_sym_mode(tpm_alg_id a) noexcept {
    return a == alg::ctr || a == alg::ofb || a == alg::cbc || a == alg::cfb || a == alg::ecb;
}

struct rule_alg_hash { // Part 2 §9.27
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::hash;
    static bool valid(tpm_alg_id a, const reader& r) noexcept { return is_hash_alg(a) && r.alg_enabled(a); }
};
struct rule_alg_sym { // Part 2 §9.28 TPMI_ALG_SYM
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::symmetric;
    static bool valid(tpm_alg_id a, const reader& r) noexcept {
        return (is_sym_alg(a) || a == alg::xor_) && r.alg_enabled(a);
    }
};
struct rule_alg_sym_object { // TPMI_ALG_SYM_OBJECT
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::symmetric;
    static bool valid(tpm_alg_id a, const reader& r) noexcept { return is_sym_alg(a) && r.alg_enabled(a); }
};
struct rule_alg_sym_mode { // TPMI_ALG_SYM_MODE
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::mode;
    static bool valid(tpm_alg_id a, const reader& r) noexcept { return is_sym_mode(a) && r.alg_enabled(a); }
};
struct rule_alg_kdf { // TPMI_ALG_KDF
    static constexpr tpm_alg_id null = alg::null;
    static constexpr rc error = rc::kdf;
    static bool valid(tpm_alg_id a, const reader& r) noexcept {
        return (a == alg::mgf1 || a == alg::kdf1_sp800_56a || a == alg::kdf2 || a == alg::kdf1_sp800_108) &&
               r.alg_enabled(a);
    }
};
struct rule_alg_public { // Part 2 §12.2.2 TPMI_ALG_PUBLIC
    static constexpr tpm_alg_id null = 0xFFFF; // no NULL form
    static constexpr rc error = rc::type;
    static bool valid(tpm_alg_id a, const reader& r) noexcept {
        return (a == alg::rsa || a == alg::ecc || a == alg::keyedhash || a == alg::symcipher) && r.alg_enabled(a);
    }
};
struct rule_rh_hierarchy { // Part 2 §9.13 TPMI_RH_HIERARCHY
    static constexpr tpm_handle null = rh::null;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return h == rh::owner || h == rh::endorsement || h == rh::platform;
    }
};
struct rule_yes_no { // Part 2 §9.2 TPMI_YES_NO
    static constexpr std::uint8_t null = 0xFF; // no NULL form
    static constexpr rc error = rc::value;
    static bool valid(std::uint8_t v, const reader&) noexcept { return v <= 1; }
};
struct rule_st_command_tag { // Part 2 §9.35
    static constexpr std::uint16_t null = 0;
    static constexpr rc error = rc::bad_tag;
    static bool valid(std::uint16_t v, const reader&) noexcept { return v == st::no_sessions || v == st::sessions; }
};
struct rule_su { // TPM_SU: only the defined values
    static constexpr std::uint16_t null = 0xFFFF;
    static constexpr rc error = rc::value;
    static bool valid(std::uint16_t v, const reader&) noexcept { return v == su::clear || v == su::state; }
};
struct rule_cap { // TPM_CAP
    static constexpr std::uint32_t null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(std::uint32_t v, const reader&) noexcept { return v <= cap::last || v == cap::vendor_property; }
};
struct rule_ecc_curve { // TPMI_ECC_CURVE: checked against the profile by the engine
    static constexpr std::uint16_t null = ecc_curve::none;
    static constexpr rc error = rc::curve;
    static bool valid(std::uint16_t v, const reader&) noexcept { return v != ecc_curve::none; }
};
} // namespace detail

template <bool Null = false> using tpmi_alg_hash = tpmi<tpm_alg_id, detail::rule_alg_hash, Null>;
template <bool Null = false> using tpmi_alg_sym = tpmi<tpm_alg_id, detail::rule_alg_sym, Null>;
template <bool Null = false> using tpmi_alg_sym_object = tpmi<tpm_alg_id, detail::rule_alg_sym_object, Null>;
template <bool Null = false> using tpmi_alg_sym_mode = tpmi<tpm_alg_id, detail::rule_alg_sym_mode, Null>;
template <bool Null = false> using tpmi_alg_kdf = tpmi<tpm_alg_id, detail::rule_alg_kdf, Null>;
using tpmi_alg_public = tpmi<tpm_alg_id, detail::rule_alg_public, false>;
template <bool Null = false> using tpmi_rh_hierarchy = tpmi<tpm_handle, detail::rule_rh_hierarchy, Null>;
using tpmi_yes_no = tpmi<std::uint8_t, detail::rule_yes_no, false>;
using tpmi_st_command_tag = tpmi<std::uint16_t, detail::rule_st_command_tag, false>;
using tpm_su = tpmi<std::uint16_t, detail::rule_su, false>;
using tpm_cap = tpmi<std::uint32_t, detail::rule_cap, false>;
template <bool Null = false> using tpmi_ecc_curve = tpmi<std::uint16_t, detail::rule_ecc_curve, Null>;

/// TPMA_SESSION (Part 2 §8.4): bits 3 and 4 are reserved.
using tpma_session_t = tpma<std::uint8_t, tpma_session::reserved>;
/// TPMA_LOCALITY (Part 2 §8.5): any value (extended localities use the upper bits).
using tpma_locality = std::uint8_t;
/// TPMA_OBJECT (Part 2 §8.3): bits 0, 3, 8, 9, 12-15, 20-31 are reserved.
using tpma_object = tpma<std::uint32_t, 0xFFF0F309u>;

namespace object_attr { // TPMA_OBJECT bits (Part 2 §8.3)
inline constexpr std::uint32_t fixed_tpm = 1u << 1, st_clear = 1u << 2, fixed_parent = 1u << 4,
    sensitive_data_origin = 1u << 5, user_with_auth = 1u << 6, admin_with_policy = 1u << 7,
    firmware_limited = 1u << 8, svn_limited = 1u << 9, no_da = 1u << 10, encrypted_duplication = 1u << 11,
    restricted = 1u << 16, decrypt = 1u << 17, sign_encrypt = 1u << 18, x509sign = 1u << 19;
}

} // namespace vtpm

namespace vtpm {
namespace detail {
struct rule_dh_pcr { // Part 2 §9.7 TPMI_DH_PCR
    static constexpr tpm_handle null = rh::null;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader& r) noexcept { return h < r.pcr_count(); }
};
struct rule_dh_object { // Part 2 §9.3 TPMI_DH_OBJECT
    static constexpr tpm_handle null = rh::null;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        return handle_type(h) == ht::transient || handle_type(h) == ht::persistent;
    }
};
struct rule_dh_context { // Part 2 §9.11 TPMI_DH_CONTEXT
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        auto t = handle_type(h);
        return t == ht::transient || t == ht::hmac_session || t == ht::policy_session;
    }
};
struct rule_rh_platform { // TPMI_RH_PLATFORM
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return h == rh::platform; }
};
struct rule_rh_provision { // TPMI_RH_PROVISION
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return h == rh::owner || h == rh::platform; }
};
} // namespace detail

template <bool Null = false> using tpmi_dh_pcr = tpmi<tpm_handle, detail::rule_dh_pcr, Null>;
template <bool Null = false> using tpmi_dh_object = tpmi<tpm_handle, detail::rule_dh_object, Null>;
using tpmi_dh_context = tpmi<tpm_handle, detail::rule_dh_context, false>;
using tpmi_rh_platform = tpmi<tpm_handle, detail::rule_rh_platform, false>;
using tpmi_rh_provision = tpmi<tpm_handle, detail::rule_rh_provision, false>;
} // namespace vtpm

namespace vtpm {
namespace detail {
struct rule_dh_entity { // Part 2 §9.6 TPMI_DH_ENTITY
    static constexpr tpm_handle null = rh::null;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader& r) noexcept {
        switch (handle_type(h)) {
        case ht::transient: case ht::persistent: case ht::nv_index: return true;
        case ht::pcr: return h < r.pcr_count();
        case ht::permanent:
            return h == rh::owner || h == rh::endorsement || h == rh::platform || h == rh::lockout ||
                   (h >= rh::auth_00 && h <= rh::auth_ff);
        default: return false;
        }
    }
};
struct rule_sh_policy { // Part 2 §9.9 TPMI_SH_POLICY
    static constexpr tpm_handle null = 0xFFFFFFFF;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept { return handle_type(h) == ht::policy_session; }
};
struct rule_se { // TPM_SE
    static constexpr std::uint8_t null = 0xFF;
    static constexpr rc error = rc::value;
    static bool valid(std::uint8_t v, const reader&) noexcept { return v == se::hmac || v == se::policy || v == se::trial; }
};
} // namespace detail
template <bool Null = false> using tpmi_dh_entity = tpmi<tpm_handle, detail::rule_dh_entity, Null>;
using tpmi_sh_policy = tpmi<tpm_handle, detail::rule_sh_policy, false>;
using tpm_se = tpmi<std::uint8_t, detail::rule_se, false>;
} // namespace vtpm
