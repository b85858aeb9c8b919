// Part 3 §15.4 TPM2_Hash and §17 Hash/HMAC/Event sequences.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct hash { // Part 3 §15.4
    static constexpr tpm_cc code = cc::hash;
    static constexpr std::string_view name = "Hash";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true, .encrypt = true};
    struct request {
        BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, data), (tpmi_alg_hash<false>, hash_alg),
                                 (tpmi_rh_hierarchy<true>, hierarchy));
    };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, out_hash), (tpmt_tk_hashcheck, validation)); };
};

struct hash_sequence_start { // Part 3 §17.3
    static constexpr tpm_cc code = cc::hash_sequence_start;
    static constexpr std::string_view name = "HashSequenceStart";
    using handles = handle_list<>;
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_auth, auth), (tpmi_alg_hash<true>, hash_alg)); };
    using response = no_params;
};

struct sequence_update { // Part 3 §17.4
    static constexpr tpm_cc code = cc::sequence_update;
    static constexpr std::string_view name = "SequenceUpdate";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, buffer)); };
    using response = no_params;
};

struct sequence_complete { // Part 3 §17.5
    static constexpr tpm_cc code = cc::sequence_complete;
    static constexpr std::string_view name = "SequenceComplete";
    using handles = handle_list<hparam<tpmi_dh_object<false>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.flushed = true, .decrypt = true, .encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, buffer), (tpmi_rh_hierarchy<true>, hierarchy)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, result), (tpmt_tk_hashcheck, validation)); };
};

struct event_sequence_complete { // Part 3 §17.6
    static constexpr tpm_cc code = cc::event_sequence_complete;
    static constexpr std::string_view name = "EventSequenceComplete";
    using handles = handle_list<hparam<tpmi_dh_pcr<true>, auth_role::user>, hparam<tpmi_dh_object<false>, auth_role::user>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .flushed = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b_max_buffer, buffer)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpml_digest_values, results)); };
};

} // namespace vtpm::cmd
