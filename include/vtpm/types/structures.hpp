// Structures (Part 2 §10): digests, buffers, names, PCR selections, tickets, lists,
// capabilities, clock and time.
#pragma once
#include <cstdint>

#include "vtpm/spec/constants.hpp"
#include "vtpm/types/base.hpp"
#include "vtpm/types/interface.hpp"

namespace vtpm {

// Implementation limits that size the structures (Part 2 §10.4 and Annex A of the profile).
namespace limits {
inline constexpr std::size_t max_digest = 64;        // sizeof(TPMU_HA): SHA-512
inline constexpr std::size_t max_digest_buffer = 1024;
inline constexpr std::size_t max_nv_buffer = 1024;
inline constexpr std::size_t max_sym_data = 128;
inline constexpr std::size_t max_context_size = 2048;
inline constexpr std::size_t hash_count = 8;         // hash algorithms the library knows
inline constexpr std::size_t pcr_select_max = 3;     // 24 PCRs
inline constexpr std::size_t pcr_select_min = 3;
inline constexpr std::size_t max_cap_buffer = 1024;
inline constexpr std::size_t max_cap_data = max_cap_buffer - 4 - 4; // minus capability and count
inline constexpr std::size_t max_cap_algs = max_cap_data / 6;
inline constexpr std::size_t max_cap_handles = max_cap_data / 4;
inline constexpr std::size_t max_cap_cc = max_cap_data / 4;
inline constexpr std::size_t max_tpm_properties = max_cap_data / 8;
inline constexpr std::size_t max_pcr_properties = max_cap_data / (4 + 1 + pcr_select_max);
inline constexpr std::size_t max_ecc_curves = max_cap_data / 2;
} // namespace limits

/// TPMT_HA (Part 2 §10.3.2): a digest tagged with its algorithm; the digest (TPMU_HA)
/// is kept as plain bytes sized by the algorithm.
struct tpmt_ha {
    tpmi_alg_hash<true> hash_alg;
    std::array<std::uint8_t, limits::max_digest> digest{};

    rc unmarshal(reader& r) noexcept;
    void marshal(writer& w) const noexcept;
    [[nodiscard]] std::size_t digest_size() const noexcept;
};

using tpm2b_digest = tpm2b<limits::max_digest>;            // §10.4.2
using tpm2b_data = tpm2b<2 + limits::max_digest>;          // §10.4.3: sizeof(TPMT_HA)
using tpm2b_nonce = tpm2b_digest;                          // §10.4.4
using tpm2b_auth = tpm2b_digest;                           // §10.4.5
using tpm2b_operand = tpm2b_digest;                        // §10.4.6
using tpm2b_event = tpm2b<1024>;                           // §10.4.7
using tpm2b_max_buffer = tpm2b<limits::max_digest_buffer>; // §10.4.8
using tpm2b_max_nv_buffer = tpm2b<limits::max_nv_buffer>;  // §10.4.9
using tpm2b_timeout = tpm2b<8>;                            // §10.4.10
using tpm2b_iv = tpm2b<16>;                                // §10.4.11
using tpm2b_name = tpm2b<2 + limits::max_digest>;          // §10.5.3: sizeof(TPMU_NAME)

/// TPMS_PCR_SELECT / TPMS_PCR_SELECTION (Part 2 §10.6): sizeofSelect must lie in
/// [PCR_SELECT_MIN, PCR_SELECT_MAX] (TPM_RC_VALUE).
struct tpms_pcr_selection {
    tpmi_alg_hash<false> hash;
    std::uint8_t sizeof_select = limits::pcr_select_max;
    std::array<std::uint8_t, limits::pcr_select_max> pcr_select{};

    [[nodiscard]] bool selected(unsigned pcr) const noexcept {
        return pcr / 8 < sizeof_select && (pcr_select[pcr / 8] >> (pcr % 8) & 1);
    }
    void select(unsigned pcr) noexcept {
        if (pcr / 8 < limits::pcr_select_max) pcr_select[pcr / 8] |= static_cast<std::uint8_t>(1u << (pcr % 8));
    }
    rc unmarshal(reader& r) noexcept {
        rc e = vtpm::unmarshal(r, hash);
        if (!e.ok()) return e;
        return unmarshal_select(r, sizeof_select, pcr_select);
    }
    void marshal(writer& w) const noexcept {
        vtpm::marshal(w, hash);
        w.u8(sizeof_select);
        w.put(pcr_select.data(), sizeof_select);
    }
    static rc unmarshal_select(reader& r, std::uint8_t& size, std::array<std::uint8_t, limits::pcr_select_max>& sel) noexcept {
        std::uint8_t s;
        if (!r.u8(s)) return rc::insufficient;
        if (s < limits::pcr_select_min || s > limits::pcr_select_max) return rc::value;
        sel = {};
        if (!r.copy(s, sel.data())) return rc::insufficient;
        size = s;
        return rc::success;
    }
};

/// TPMS_TAGGED_PCR_SELECT (Part 2 §10.8.5)
struct tpms_tagged_pcr_select {
    std::uint32_t tag = 0;
    std::uint8_t sizeof_select = limits::pcr_select_max;
    std::array<std::uint8_t, limits::pcr_select_max> pcr_select{};
    void marshal(writer& w) const noexcept {
        w.u32(tag);
        w.u8(sizeof_select);
        w.put(pcr_select.data(), sizeof_select);
    }
    rc unmarshal(reader& r) noexcept {
        if (!r.u32(tag)) return rc::insufficient;
        return tpms_pcr_selection::unmarshal_select(r, sizeof_select, pcr_select);
    }
};

/// TPMT_TK_HASHCHECK (Part 2 §10.7.6)
struct tpmt_tk_hashcheck {
    BOOST_HANA_DEFINE_STRUCT(tpmt_tk_hashcheck,
        (std::uint16_t, tag),
        (tpmi_rh_hierarchy<true>, hierarchy),
        (tpm2b_digest, digest));
};

/// TPMS_ALG_PROPERTY (Part 2 §10.8.1)
struct tpms_alg_property {
    BOOST_HANA_DEFINE_STRUCT(tpms_alg_property, (std::uint16_t, alg), (std::uint32_t, alg_properties));
};
/// TPMS_TAGGED_PROPERTY (Part 2 §10.8.2)
struct tpms_tagged_property {
    BOOST_HANA_DEFINE_STRUCT(tpms_tagged_property, (std::uint32_t, property), (std::uint32_t, value));
};

using tpml_cc = tpml<std::uint32_t, limits::max_cap_cc>;                     // §10.9.1
using tpml_cca = tpml<std::uint32_t, limits::max_cap_cc>;                    // §10.9.2
using tpml_alg = tpml<std::uint16_t, limits::max_cap_algs>;                  // §10.9.3
using tpml_handle = tpml<std::uint32_t, limits::max_cap_handles>;            // §10.9.4
using tpml_digest = tpml<tpm2b_digest, 8>;                                   // §10.9.5
using tpml_digest_values = tpml<tpmt_ha, limits::hash_count>;                // §10.9.6
using tpml_pcr_selection = tpml<tpms_pcr_selection, limits::hash_count>;     // §10.9.7
using tpml_alg_property = tpml<tpms_alg_property, limits::max_cap_algs>;     // §10.9.8
using tpml_tagged_tpm_property = tpml<tpms_tagged_property, limits::max_tpm_properties>; // §10.9.9
using tpml_tagged_pcr_property = tpml<tpms_tagged_pcr_select, limits::max_pcr_properties>; // §10.9.10
using tpml_ecc_curve = tpml<std::uint16_t, limits::max_ecc_curves>;         // §10.9.11

/// TPMU_CAPABILITIES / TPMS_CAPABILITY_DATA (Part 2 §10.10)
using tpmu_capabilities =
    tpmu<ucase<cap::algs, tpml_alg_property>, ucase<cap::handles, tpml_handle>, ucase<cap::commands, tpml_cca>,
         ucase<cap::pp_commands, tpml_cc>, ucase<cap::audit_commands, tpml_cc>,
         ucase<cap::pcrs, tpml_pcr_selection>, ucase<cap::tpm_properties, tpml_tagged_tpm_property>,
         ucase<cap::pcr_properties, tpml_tagged_pcr_property>, ucase<cap::ecc_curves, tpml_ecc_curve>>;
struct tpms_capability_data {
    BOOST_HANA_DEFINE_STRUCT(tpms_capability_data, (std::uint32_t, capability), (tpmu_capabilities, data));
};

/// TPMS_CLOCK_INFO (Part 2 §10.11.1) and TPMS_TIME_INFO (§10.11.6)
struct tpms_clock_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_clock_info,
        (std::uint64_t, clock),
        (std::uint32_t, reset_count),
        (std::uint32_t, restart_count),
        (tpmi_yes_no, safe));
};
struct tpms_time_info {
    BOOST_HANA_DEFINE_STRUCT(tpms_time_info, (std::uint64_t, time), (tpms_clock_info, clock_info));
};

// --- out-of-line members -------------------------------------------------------------

[[nodiscard]] constexpr std::size_t hash_digest_size(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::sha1: return 20;
    case alg::sha256: case alg::sm3_256: case alg::sha3_256: return 32;
    case alg::sha384: case alg::sha3_384: return 48;
    case alg::sha512: case alg::sha3_512: return 64;
    default: return 0;
    }
}

inline std::size_t tpmt_ha::digest_size() const noexcept { return hash_digest_size(hash_alg.value); }
inline rc tpmt_ha::unmarshal(reader& r) noexcept {
    rc e = vtpm::unmarshal(r, hash_alg);
    if (!e.ok()) return e;
    return r.copy(digest_size(), digest.data()) ? rc::success : rc::insufficient;
}
inline void tpmt_ha::marshal(writer& w) const noexcept {
    vtpm::marshal(w, hash_alg);
    w.put(digest.data(), digest_size());
}

} // namespace vtpm
