// Part 3 §22 Integrity Collection (PCR).
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct pcr_extend { // Part 3 §22.2
    static constexpr tpm_cc code = cc::pcr_extend;
    static constexpr std::string_view name = "PCR_Extend";
    using handles = handle_list<hparam<tpmi_dh_pcr<true>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpml_digest_values, digests)); };
    using response = no_params;
};

struct pcr_event { // Part 3 §22.3
    static constexpr tpm_cc code = cc::pcr_event;
    static constexpr std::string_view name = "PCR_Event";
    using handles = handle_list<hparam<tpmi_dh_pcr<true>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_event, event_data)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpml_digest_values, digests)); };
};

struct pcr_read { // Part 3 §22.4
    static constexpr tpm_cc code = cc::pcr_read;
    static constexpr std::string_view name = "PCR_Read";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpml_pcr_selection, pcr_selection_in)); };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (std::uint32_t, pcr_update_counter),
                                 (tpml_pcr_selection, pcr_selection_out), (tpml_digest, pcr_values));
    };
};

struct pcr_allocate { // Part 3 §22.5
    static constexpr tpm_cc code = cc::pcr_allocate;
    static constexpr std::string_view name = "PCR_Allocate";
    using handles = handle_list<hparam<tpmi_rh_platform, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpml_pcr_selection, pcr_allocation)); };
    struct response {
        BOOST_HANA_DEFINE_STRUCT(response, (tpmi_yes_no, allocation_success), (std::uint32_t, max_pcr),
                                 (std::uint32_t, size_needed), (std::uint32_t, size_available));
    };
};

struct pcr_set_auth_policy { // Part 3 §22.6
    static constexpr tpm_cc code = cc::pcr_set_auth_policy;
    static constexpr std::string_view name = "PCR_SetAuthPolicy";
    using handles = handle_list<hparam<tpmi_rh_platform, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .pp_command = true, .ro_disallow = true, .decrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, auth_policy), (tpmi_alg_hash<true>, hash_alg),
                                 (tpmi_dh_pcr<false>, pcr_num));
    };
    using response = no_params;
};

struct pcr_set_auth_value { // Part 3 §22.7
    static constexpr tpm_cc code = cc::pcr_set_auth_value;
    static constexpr std::string_view name = "PCR_SetAuthValue";
    using handles = handle_list<hparam<tpmi_dh_pcr<false>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.ro_disallow = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_digest, auth)); };
    using response = no_params;
};

struct pcr_reset { // Part 3 §22.8
    static constexpr tpm_cc code = cc::pcr_reset;
    static constexpr std::string_view name = "PCR_Reset";
    using handles = handle_list<hparam<tpmi_dh_pcr<false>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true};
    using request = no_params;
    using response = no_params;
};

} // namespace vtpm::cmd
