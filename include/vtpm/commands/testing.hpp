// Part 3 §10 Testing: TPM2_SelfTest, TPM2_IncrementalSelfTest, TPM2_GetTestResult.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct self_test { // Part 3 §10.2
    static constexpr tpm_cc code = cc::self_test;
    static constexpr std::string_view name = "SelfTest";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_yes_no, full_test)); };
    using response = no_params;
};

struct incremental_self_test { // Part 3 §10.3
    static constexpr tpm_cc code = cc::incremental_self_test;
    static constexpr std::string_view name = "IncrementalSelfTest";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpml_alg, to_test)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpml_alg, to_do_list)); };
};

struct get_test_result { // Part 3 §10.4
    static constexpr tpm_cc code = cc::get_test_result;
    static constexpr std::string_view name = "GetTestResult";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_max_buffer, out_data), (std::uint32_t, test_result)); };
};

} // namespace vtpm::cmd
