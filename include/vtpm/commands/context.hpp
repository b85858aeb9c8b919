// Part 3 §28 Context Management: TPM2_ContextSave, TPM2_ContextLoad, TPM2_FlushContext.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/types/objects.hpp"

namespace vtpm::cmd {

/// TPMS_CONTEXT as ContextLoad takes it: zero octets after the structure are accepted,
/// because Windows pads contexts to TPM_PT_MAX_OBJECT_CONTEXT (nonzero ones are
/// TPM_RC_SIZE like any trailing bytes).
struct padded_context {
    tpms_context value{};
    rc unmarshal(reader& r) noexcept {
        rc e = vtpm::unmarshal(r, value);
        if (!e.ok()) return e;
        for (auto b : r.rest())
            if (b != 0) return rc::size;
        return rc::success;
    }
    void marshal(writer& w) const noexcept { vtpm::marshal(w, value); }
};

struct context_save { // Part 3 §28.2
    static constexpr tpm_cc code = cc::context_save;
    static constexpr std::string_view name = "ContextSave";
    using handles = handle_list<hparam<tpmi_dh_context, auth_role::none>>;
    static constexpr bool response_handle = false;
    static constexpr attributes attrs{.no_sessions = true};
    using request = no_params;
    struct response { BOOST_HANA_DEFINE_STRUCT(response, (tpms_context, context)); };
};

struct context_load { // Part 3 §28.3
    static constexpr tpm_cc code = cc::context_load;
    static constexpr std::string_view name = "ContextLoad";
    using handles = handle_list<>;
    static constexpr bool response_handle = true;
    static constexpr attributes attrs{.no_sessions = true};
    struct request { BOOST_HANA_DEFINE_STRUCT(request, (padded_context, context)); };
    using response = no_params;
};

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
