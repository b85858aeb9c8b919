// Building blocks of a command descriptor (see docs/architecture.md).
//
// A descriptor is a type in vtpm::cmd with:
//   code, name               TPM_CC and the Part 3 name
//   handles                  handle_list<hparam<TPMI type, auth role>...> (command handle area)
//   response_handle          true if the response carries a handle
//   attrs                    TPMA_CC flags and the Part 3 notes (PP, read-only, trial, encryption)
//   request, response        the parameter areas, reflected structures (or no_params)
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "vtpm/marshal/codec.hpp"
#include "vtpm/spec/constants.hpp"
#include "vtpm/types/interface.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm::cmd {

/// Authorization role of a command handle (Part 1 §19.2; "@" handles in Part 3).
enum class auth_role : std::uint8_t { none, user, admin, dup };

template <class Tpmi, auth_role Role>
struct hparam {
    using type = Tpmi;
    static constexpr auth_role role = Role;
};
template <class... H>
struct handle_list {
    static constexpr std::size_t size = sizeof...(H);
    static constexpr std::array<auth_role, sizeof...(H)> roles{H::role...};
    using types = std::tuple<typename H::type...>;
};

/// Command attributes: the TPMA_CC flags and the per-command notes of Part 3.
struct attributes {
    bool nv = false;          // may write NV (TPMA_CC.nv)
    bool extensive = false;   // may flush many objects (TPMA_CC.extensive)
    bool flushed = false;     // flushes any transient handle in the command (TPMA_CC.flushed)
    bool no_sessions = false; // tag must be TPM_ST_NO_SESSIONS
    bool pp_command = false;  // platform auth may need physical presence
    bool pp_required = false; // always needs physical presence
    bool ro_disallow = false; // refused in read-only mode
    bool allow_trial = false; // allowed on a trial policy session
    bool decrypt = false;     // first command parameter is a TPM2B (parameter encryption)
    bool encrypt = false;     // first response parameter is a TPM2B
};

/// An empty parameter area.
struct no_params {
    rc unmarshal(reader&) noexcept { return rc::success; }
    void marshal(writer&) const noexcept {}
};

/// Unmarshal a command's parameter area: each failure carries its parameter number
/// (TPM_RC_P + n), and bytes left over are TPM_RC_SIZE (Part 3 §5.7).
template <class Req>
[[nodiscard]] rc unmarshal_params(reader& r, Req& req) noexcept {
    rc e = rc::success;
    if constexpr (vtpm::detail::reflected<Req>) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (void)(((e = vtpm::detail::unmarshal_field<Req, I>(r, req)).ok() ? true : (e = e.for_param(I + 1), false)) && ...);
        }(std::make_index_sequence<vtpm::detail::field_count<Req>>{});
    } else {
        e = vtpm::unmarshal(r, req);
        if (!e.ok()) e = e.for_param(1);
    }
    if (e.ok() && !r.empty()) e = rc::size;
    return e;
}

/// TPMA_CC word for a descriptor (Part 2 §8.9).
template <class D>
constexpr std::uint32_t tpma_cc_of() {
    std::uint32_t v = D::code & tpma_cc::command_index;
    if (D::attrs.nv) v |= tpma_cc::nv;
    if (D::attrs.extensive) v |= tpma_cc::extensive;
    if (D::attrs.flushed) v |= tpma_cc::flushed;
    v |= static_cast<std::uint32_t>(D::handles::size) << tpma_cc::c_handles_shift;
    if (D::response_handle) v |= tpma_cc::r_handle;
    return v;
}

/// Names an enabled command whose handler is missing; instantiated only to fail.
template <class D>
struct missing_handler_for {
    static_assert(sizeof(D) == 0,
                  "an enabled command has no handler: declare handle(engine&, vtpm::cmd::<name>, ...) "
                  "or leave the command out of the profile (the command is the template argument above)");
};

} // namespace vtpm::cmd
