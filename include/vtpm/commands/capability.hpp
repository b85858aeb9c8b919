// Part 3 §30 Capability Commands: TPM2_GetCapability.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct get_capability { // Part 3 §30.2
    static constexpr tpm_cc code = cc::get_capability;
    static constexpr std::string_view name = "GetCapability";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm_cap, capability), (std::uint32_t, property),
                                 (std::uint32_t, property_count));
    };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpmi_yes_no, more_data), (tpms_capability_data, capability_data));
    };
};

} // namespace vtpm::cmd
