// Compile-time configuration of a TPM: which commands and algorithms it has, and its limits.
// A profile is a constexpr value; see config/profiles/ for ready-made ones.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>

#include "vtpm/commands/table.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::config {

inline constexpr std::size_t command_slots = cc::last - cc::first + 1;
inline constexpr std::size_t alg_slots = 0x50;

struct limits_t {
    unsigned pcr_count = 24;             // IMPLEMENTATION_PCR (PC Client: 24)
    unsigned max_loaded_objects = 8;     // transient object slots (PC Client minimum: 3)
    unsigned max_loaded_sessions = 8;    // MAX_LOADED_SESSIONS (PC Client minimum: 3)
    unsigned max_active_sessions = 64;   // MAX_ACTIVE_SESSIONS
    unsigned max_command_size = 4096;    // MAX_COMMAND_SIZE
    unsigned max_response_size = 4096;   // MAX_RESPONSE_SIZE
    unsigned nv_buffer_max = 1024;       // MAX_NV_BUFFER_SIZE
    unsigned nv_index_max = 2048;        // largest NV index data
    unsigned context_gap_max = 0xFFFF;
    unsigned orderly_count = 255;        // MAX_ORDERLY_COUNT
    unsigned nv_memory = 16384;          // NV octets for index data (TPM_RC_NV_SPACE beyond)
    unsigned nv_indices_max = 64;        // defined NV indices at most
    unsigned persistent_objects_max = 8; // persistent objects at most (TPM_RC_NV_SPACE beyond)
};

struct identity_t {
    std::uint32_t manufacturer = 0x5654504D; // "VTPM"
    std::array<std::uint32_t, 4> vendor_string{0x7674706D, 0x00000000, 0, 0}; // "vtpm"
    std::uint32_t vendor_tpm_type = 1;
    std::uint32_t firmware_version_1 = 0x00000001;
    std::uint32_t firmware_version_2 = 0x00000000;
    std::uint32_t spec_level = 0;
    std::uint32_t spec_revision = 185;   // TPM 2.0 Library v1.85
    std::uint32_t spec_day_of_year = 71; // 2026-03-12
    std::uint32_t spec_year = 2026;
    std::uint32_t ps_family_indicator = 1; // TCG PC Client
    std::uint32_t ps_level = 0;
    std::uint32_t ps_revision = 0x105;
    std::uint32_t ps_day_of_year = 0;
    std::uint32_t ps_year = 0;
};

struct profile {
    std::array<bool, command_slots> commands{};
    std::array<bool, alg_slots> algorithms{};
    std::array<tpm_alg_id, 8> default_pcr_banks{alg::sha1, alg::sha256}; // zero-terminated
    std::array<std::uint16_t, 16> curves{};                               // TPM_ECC_CURVE, zero-terminated
    limits_t limits{};
    identity_t identity{};

    [[nodiscard]] constexpr bool has_command(tpm_cc c) const noexcept {
        return c >= cc::first && c <= cc::last && commands[c - cc::first];
    }
    [[nodiscard]] constexpr bool has_alg(tpm_alg_id a) const noexcept {
        return a < alg_slots && algorithms[a];
    }
    [[nodiscard]] constexpr bool has_curve(std::uint16_t c) const noexcept {
        if (c == 0) return false;
        for (auto x : curves)
            if (x == c) return true;
        return false;
    }
    constexpr profile& enable(tpm_cc c) noexcept {
        if (c >= cc::first && c <= cc::last) commands[c - cc::first] = true;
        return *this;
    }
    constexpr profile& disable(tpm_cc c) noexcept {
        if (c >= cc::first && c <= cc::last) commands[c - cc::first] = false;
        return *this;
    }
    constexpr profile& enable_alg(tpm_alg_id a) noexcept {
        if (a < alg_slots) algorithms[a] = true;
        return *this;
    }
    constexpr profile& disable_alg(tpm_alg_id a) noexcept {
        if (a < alg_slots) algorithms[a] = false;
        return *this;
    }
    /// Every command in the table.
    constexpr profile& enable_all_commands() noexcept {
        cmd::all::each([this](auto d) { enable(decltype(d)::code); });
        return *this;
    }
};

} // namespace vtpm::config
