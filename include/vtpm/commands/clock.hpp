// Part 3 §29 Clocks and Timers: TPM2_ReadClock, TPM2_ClockSet, TPM2_ClockRateAdjust.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct read_clock { // Part 3 §29.1
    static constexpr tpm_cc code = cc::read_clock;
    static constexpr std::string_view name = "ReadClock";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpms_time_info, current_time)); };
};

struct clock_set { // Part 3 §29.2
    static constexpr tpm_cc code = cc::clock_set;
    static constexpr std::string_view name = "ClockSet";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (std::uint64_t, new_time)); };
    using response = no_params;
};

struct clock_rate_adjust { // Part 3 §29.3
    static constexpr tpm_cc code = cc::clock_rate_adjust;
    static constexpr std::string_view name = "ClockRateAdjust";
    using handles = handle_list<hparam<tpmi_rh_provision, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.pp_command = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (std::uint8_t, rate_adjust)); }; // TPM_CLOCK_ADJUST (INT8)
    using response = no_params;
};

} // namespace vtpm::cmd
