// Part 3 §28 Context Management: TPM2_FlushContext.
#pragma once
#include "vtpm/commands/descriptor.hpp"

namespace vtpm::cmd {

struct flush_context { // Part 3 §28.4
    static constexpr tpm_cc code = cc::flush_context;
    static constexpr std::string_view name = "FlushContext";
    using handles = handle_list<>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.no_sessions = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (tpmi_dh_context, flush_handle)); };
    using response = no_params;
};

} // namespace vtpm::cmd
