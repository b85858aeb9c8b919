// Read-Only mode (TPM2_ReadOnlyControl, Part 3 §24.9; TPMA_STARTUP_CLEAR.readOnly, Part 2
// §8.7): the commands that are refused with TPM_RC_READ_ONLY while it is SET.
#pragma once
#include "vtpm/commands/descriptor.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm::detail {

/// TPM_RC_READ_ONLY for a command refused in Read-Only mode (Part 3 Table 207): those whose
/// descriptor has ro_disallow, and the NV commands permitted only on an index that is
/// ORDERLY and CLEAR_STCLEAR (its contents do not outlive the boot cycle).
template <class P>
[[nodiscard]] rc read_only_check(const engine<P>& e, const cmd::attributes& attrs, const command_context& c) noexcept {
    if (!e.ro.read_only) return rc::success;
    if (attrs.ro_disallow) return rc::read_only;
    switch (c.code) {
    case cc::nv_write: case cc::nv_extend: case cc::nv_set_bits: case cc::nv_write_lock: case cc::nv_read_lock: {
        const auto* x = c.handle_count > 1 ? e.nv_index_at(c.handles[1]) : nullptr;
        if (!x || !x->has(nv_attr::orderly | nv_attr::clear_stclear)) return rc::read_only;
        return rc::success;
    }
    default: return rc::success;
    }
}

} // namespace vtpm::detail
