// Handlers: Part 3 §28 Context Management.
#pragma once
#include "vtpm/commands/context.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm::cmd {

/// TPM2_FlushContext (Part 3 §28.4): a handle that is not loaded is TPM_RC_HANDLE.
template <class P>
rc handle(engine<P>& e, flush_context, command_context&, const flush_context::request& in, no_params&) {
    const tpm_handle h = in.flush_handle.value;
    if (handle_type(h) == ht::transient) {
        if (auto slot = e.object_slot(h)) {
            e.objects[*slot] = std::monostate{};
            return rc::success;
        }
    } else if (e.session_at(h)) {
        e.sessions[h & 0x00FFFFFF].reset();
        return rc::success;
    }
    return rc::handle.for_param(1);
}

} // namespace vtpm::cmd
