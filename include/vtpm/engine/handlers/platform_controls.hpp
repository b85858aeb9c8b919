// Handlers: Part 3 §26.2 TPM2_PP_Commands and §24.9 TPM2_ReadOnlyControl. Physical presence
// itself is checked by the pipeline (engine/execute.hpp) for Platform Authorization of a
// command that needs it, and so is Read-Only mode (engine/read_only.hpp).
#pragma once
#include "vtpm/commands/platform_controls.hpp"
#include "vtpm/commands/table.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/execute.hpp"

namespace vtpm::cmd {

/// TPM2_PP_Commands (Part 3 §26.2): setList is added to the commands that need Physical
/// Presence with Platform Authorization, then clearList is removed from them. Only commands
/// this TPM has whose handles may be TPM_RH_PLATFORM (TPMI_RH_PLATFORM, _PROVISION, _CLEAR,
/// _HIERARCHY: pp_command in the descriptor) can be gated; others are discarded, as are
/// the commands that always need Physical Presence.
template <class P>
rc handle(engine<P>& e, pp_commands, command_context&, const pp_commands::request& in, no_params&) {
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    const auto gated = [](tpm_cc code) {
        const auto* en = find_command<P>(code);
        return en && en->attrs.pp_command && !en->attrs.pp_required;
    };
    for (tpm_cc code : in.set_list.view())
        if (gated(code)) e.pp.set(code, true);
    for (tpm_cc code : in.clear_list.view())
        if (gated(code)) e.pp.set(code, false);
    return rc::success;
}

/// TPM2_ReadOnlyControl (Part 3 §24.9): SET or CLEAR TPMA_STARTUP_CLEAR.readOnly. The mode
/// lasts until TPM Reset or TPM Restart (kept by TPM Resume).
template <class P>
rc handle(engine<P>& e, read_only_control, command_context&, const read_only_control::request& in, no_params&) {
    e.ro.read_only = in.state.value != 0;
    return rc::success;
}

} // namespace vtpm::cmd
