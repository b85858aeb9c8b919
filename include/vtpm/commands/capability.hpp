// Part 3 §30 Capability Commands: TPM2_GetCapability, TPM2_TestParms.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/algorithms.hpp"

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

struct test_parms { // Part 3 §30.3
    static constexpr tpm_cc code = cc::test_parms;
    static constexpr std::string_view name = "TestParms";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmt_public_parms, parameters)); };
    using response = no_params;
};

} // namespace vtpm::cmd
