// Part 3 §16 Random Number Generator: TPM2_GetRandom, TPM2_StirRandom.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct get_random { // Part 3 §16.1
    static constexpr tpm_cc code = cc::get_random;
    static constexpr std::string_view name = "GetRandom";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.encrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (std::uint16_t, bytes_requested)); };
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpm2b_digest, random_bytes)); };
};

struct stir_random { // Part 3 §16.2
    static constexpr tpm_cc code = cc::stir_random;
    static constexpr std::string_view name = "StirRandom";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.nv = true, .decrypt = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpm2b<limits::max_sym_data>, in_data)); };
    using response = no_params;
};

} // namespace vtpm::cmd
