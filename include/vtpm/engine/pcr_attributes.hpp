// PCR attributes of the TCG PC Client Platform TPM Profile: which localities may extend and
// reset each PCR, which PCRs are saved by Shutdown(STATE), and the auth/policy groups.
#pragma once
#include <array>
#include <cstdint>

namespace vtpm::pcr_attr {

struct attributes {
    bool state_save;          // preserved by Shutdown(STATE) / Startup(STATE)
    std::uint8_t reset_mask;  // bit n: PCR_Reset allowed from locality n
    std::uint8_t extend_mask; // bit n: PCR_Extend/PCR_Event allowed from locality n
    bool drtm;                // starts as all ones after TPM Reset
    bool auth_group;          // PCR_SetAuthValue allowed
    bool policy_group;        // PCR_SetAuthPolicy allowed
    bool no_increment;        // updates do not bump pcrUpdateCounter
};

inline constexpr attributes static_pcr{true, 0x00, 0x1F, false, false, false, false};

/// PCR 0-23 of the PC Client profile.
inline constexpr std::array<attributes, 24> pc_client = [] {
    std::array<attributes, 24> a{};
    for (unsigned i = 0; i < 16; ++i) a[i] = static_pcr;
    a[16] = {false, 0x1F, 0x1F, false, false, false, false}; // debug
    a[17] = {false, 0x10, 0x1C, true, false, false, false};  // DRTM
    a[18] = {false, 0x10, 0x1C, true, false, false, false};
    a[19] = {false, 0x10, 0x1C, true, false, false, false};
    a[20] = {false, 0x1C, 0x1E, true, true, true, true};
    a[21] = {false, 0x04, 0x04, true, true, true, true};
    a[22] = {false, 0x04, 0x04, true, true, true, true};
    a[23] = {false, 0x1F, 0x1F, false, false, false, false}; // application
    return a;
}();

[[nodiscard]] constexpr attributes of(unsigned pcr) noexcept {
    return pcr < pc_client.size() ? pc_client[pcr] : attributes{false, 0x1F, 0x1F, false, false, false, false};
}

} // namespace vtpm::pcr_attr
