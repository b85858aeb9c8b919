// The command pipeline (Part 3 §5; Part 1 §18): header, mode, handle area, authorization
// area, parameters, handler, response. The dispatch table is derived from cmd::all and the
// profile at compile time: a dense array indexed by command code.
#pragma once
#include <array>
#include <cstdint>

#include "vtpm/commands/table.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/marshal/codec.hpp"

namespace vtpm {

namespace detail {

template <class P, class D>
concept has_handler = requires(engine<P>& e, command_context& c, const typename D::request& in,
                               typename D::response& out) {
    { handle(e, D{}, c, in, out) } -> std::same_as<rc>;
};

/// Unmarshal and validate the handle area of D (Part 3 §5.4): TPM_RC_VALUE etc. + handle n.
template <class P, class D>
rc parse_handles(engine<P>& e, reader& r, command_context& c) noexcept {
    rc res = rc::success;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (void)(([&] {
            std::tuple_element_t<I, typename D::handles::types> h{};
            rc x = vtpm::unmarshal(r, h);
            if (!x.ok()) {
                res = x == rc::insufficient ? x : x.for_handle(I + 1);
                return false;
            }
            c.handles[I] = h.value;
            return true;
        }() && ...));
    }(std::make_index_sequence<D::handles::size>{});
    c.handle_count = D::handles::size;
    (void)e;
    return res;
}

/// Unmarshal parameters, run the handler, marshal the response parameters.
template <class P, class D>
rc run_command(engine<P>& e, command_context& c, reader& params, writer& out) {
    if constexpr (!has_handler<P, D>) {
        (void)cmd::missing_handler_for<D>{};
        return rc::command_code;
    } else {
        typename D::request in{};
        rc r = cmd::unmarshal_params(params, in);
        if (!r.ok()) return r;
        typename D::response rsp{};
        r = handle(e, D{}, c, in, rsp);
        if (!r.ok()) return r;
        vtpm::marshal(out, rsp);
        return rc::success;
    }
}

template <class P>
struct dispatch_entry {
    rc (*parse_handles)(engine<P>&, reader&, command_context&) noexcept = nullptr;
    rc (*run)(engine<P>&, command_context&, reader&, writer&) = nullptr;
    cmd::attributes attrs{};
    std::array<cmd::auth_role, 3> roles{};
    std::uint8_t handle_count = 0;
    std::uint32_t tpma = 0;
    [[nodiscard]] constexpr bool present() const noexcept { return run != nullptr; }
};

template <class P>
constexpr std::array<dispatch_entry<P>, config::command_slots> make_dispatch_table() {
    std::array<dispatch_entry<P>, config::command_slots> t{};
    cmd::all::each([&](auto d) {
        using D = decltype(d);
        if constexpr (P::profile.has_command(D::code)) {
            dispatch_entry<P> en;
            en.parse_handles = &parse_handles<P, D>;
            en.run = &run_command<P, D>;
            en.attrs = D::attrs;
            for (std::size_t i = 0; i < D::handles::size; ++i) en.roles[i] = D::handles::roles[i];
            en.handle_count = static_cast<std::uint8_t>(D::handles::size);
            en.tpma = cmd::tpma_cc_of<D>();
            t[D::code - cc::first] = en;
        }
    });
    return t;
}

} // namespace detail

/// The dispatch table of a platform: one entry per command code, empty where the profile
/// leaves the command out.
template <class P>
inline constexpr auto dispatch_table = detail::make_dispatch_table<P>();

template <class P>
[[nodiscard]] constexpr const detail::dispatch_entry<P>* find_command(tpm_cc code) noexcept {
    if (code < cc::first || code > cc::last) return nullptr;
    const auto& en = dispatch_table<P>[code - cc::first];
    return en.present() ? &en : nullptr;
}

namespace detail {

/// Strip trailing zero octets (Part 1 §19.6.4: authValues compare without them).
inline byte_view trim_zeros(byte_view b) noexcept {
    std::size_t n = b.size();
    while (n > 0 && b[n - 1] == 0) --n;
    return b.first(n);
}

struct session_in {
    tpm_handle handle = 0;
    tpm2b_nonce nonce;
    tpma_session_t attrs;
    tpm2b_auth hmac;
};

inline void write_error(writer& w, rc r, std::uint16_t tag = st::no_sessions) noexcept {
    w.truncate(0);
    w.u16(tag);
    w.u32(10);
    w.u32(r.code());
}

} // namespace detail

/// Execute one command; every failure is a TPM response. May throw only what the
/// handlers' allocations throw (tpm::execute turns that into failure mode).
template <class P>
std::size_t execute_command(engine<P>& e, byte_view cmd, byte_span rsp_buf, std::uint8_t locality) {
    if (rsp_buf.size() < 10) return 0;
    writer w{rsp_buf};
    auto fail = [&](rc r, std::uint16_t tag = st::no_sessions) {
        detail::write_error(w, r, tag);
        return w.size();
    };
    if (!e.powered) return fail(rc::failure);

    // Part 3 §5.2 header validation.
    reader r{cmd, &e.uctx};
    std::uint16_t tag;
    if (!r.u16(tag)) return fail(rc::insufficient);
    if (tag != st::no_sessions && tag != st::sessions) return fail(rc::bad_tag, st::rsp_command);
    std::uint32_t size;
    if (!r.u32(size)) return fail(rc::insufficient);
    if (size != cmd.size() || size > P::profile.limits.max_command_size) return fail(rc::command_size);
    std::uint32_t code;
    if (!r.u32(code)) return fail(rc::insufficient);
    const auto* en = find_command<P>(code);
    if (!en) return fail(rc::command_code);

    // Part 3 §5.3 mode checks.
    if (e.failure_mode && ((code != cc::get_test_result && code != cc::get_capability) || tag != st::no_sessions))
        return fail(rc::failure);
    if (!e.started && code != cc::startup && !e.failure_mode) return fail(rc::initialize);

    command_context c;
    c.code = code;
    c.tag = tag;
    c.locality = locality;

    // Part 3 §5.4 handle area.
    if (rc h = en->parse_handles(e, r, c); !h.ok()) return fail(h);
    for (std::size_t i = 0; i < c.handle_count; ++i) {
        tpm_handle h = c.handles[i];
        switch (handle_type(h)) {
        case ht::transient:
            if (!e.object_slot(h)) return fail(rc{rc::reference_h0.code() + static_cast<std::uint32_t>(i)});
            break;
        case ht::persistent:
        case ht::nv_index:
            return fail(rc::handle.for_handle(static_cast<unsigned>(i + 1)));
        case ht::hmac_session:
        case ht::policy_session:
            return fail(rc{rc::reference_h0.code() + static_cast<std::uint32_t>(i)});
        case ht::permanent:
            if ((h == rh::owner || h == rh::endorsement || h == rh::platform) && !e.hierarchy_enabled(h))
                return fail(rc::hierarchy.for_handle(static_cast<unsigned>(i + 1)));
            break;
        default: break;
        }
    }

    // Part 3 §5.5 authorization area.
    std::array<detail::session_in, 3> sessions{};
    std::size_t nsess = 0;
    const bool needs_auth = std::any_of(en->roles.begin(), en->roles.begin() + en->handle_count,
                                        [](cmd::auth_role ro) { return ro != cmd::auth_role::none; });
    if (tag == st::sessions) {
        if (en->attrs.no_sessions) return fail(rc::auth_context);
        std::uint32_t auth_size;
        if (!r.u32(auth_size)) return fail(rc::insufficient);
        if (auth_size < 9 || auth_size > r.remaining()) return fail(rc::authsize);
        byte_view area;
        (void)r.take(auth_size, area);
        reader ar{area, &e.uctx};
        while (!ar.empty()) {
            if (nsess == 3) return fail(rc::authsize);
            auto& s = sessions[nsess];
            const auto sn = static_cast<unsigned>(nsess + 1);
            if (!ar.u32(s.handle)) return fail(rc::authsize);
            rc x = vtpm::unmarshal(ar, s.nonce);
            if (x.ok()) x = vtpm::unmarshal(ar, s.attrs);
            if (x.ok()) x = vtpm::unmarshal(ar, s.hmac);
            if (x == rc::insufficient) return fail(rc::authsize);
            if (!x.ok()) return fail(x.for_session(sn));
            const auto st_ = handle_type(s.handle);
            if (s.handle == rh::pw) {
                // Password sessions: empty nonce, only continueSession (Part 1 §19.8.4).
                if (!s.nonce.empty()) return fail(rc::nonce.for_session(sn));
                if ((s.attrs.value & ~tpma_session::continue_session) != 0) return fail(rc::attributes.for_session(sn));
            } else if (st_ == ht::hmac_session || st_ == ht::policy_session) {
                return fail(rc{rc::reference_s0.code() + static_cast<std::uint32_t>(nsess)});
            } else {
                return fail(rc::handle.for_session(sn));
            }
            ++nsess;
        }
        if (nsess < en->handle_count && needs_auth) {
            // Every "@" handle needs a session (§5.5.5).
            for (std::size_t i = nsess; i < en->handle_count; ++i)
                if (en->roles[i] != cmd::auth_role::none) return fail(rc::auth_missing);
        }
        // A session beyond the handles that need one must do something else (§5.5.4.4.2);
        // password sessions cannot.
        std::size_t auth_sessions = 0;
        for (std::size_t i = 0; i < en->handle_count; ++i)
            if (en->roles[i] != cmd::auth_role::none) ++auth_sessions;
        if (nsess > auth_sessions) return fail(rc::attributes.for_session(static_cast<unsigned>(auth_sessions + 1)));
    } else if (needs_auth) {
        return fail(rc::auth_missing);
    }
    c.session_count = nsess;

    // Part 3 §5.6 authorization checks (password sessions).
    {
        std::size_t si = 0;
        for (std::size_t i = 0; i < en->handle_count; ++i) {
            if (en->roles[i] == cmd::auth_role::none) continue;
            const auto& s = sessions[si];
            const auto sn = static_cast<unsigned>(si + 1);
            ++si;
            if (en->roles[i] == cmd::auth_role::dup) return fail(rc::auth_type.for_session(sn));
            if (en->attrs.pp_command && c.handles[i] == rh::platform && en->attrs.pp_required && !e.physical_presence)
                return fail(rc::pp.for_session(sn));
            const tpm2b_auth* av = e.auth_value(c.handles[i]);
            if (!av) return fail(rc::auth_unavailable);
            if (!ct_equal(detail::trim_zeros(av->view()), detail::trim_zeros(s.hmac.view())))
                return fail((e.da_protected(c.handles[i]) ? rc::auth_fail : rc::bad_auth).for_session(sn));
        }
    }

    // Response: header, optional handle, parameter size, parameters, sessions.
    w.u16(tag);
    const auto size_at = w.skip(4);
    w.u32(0);
    std::size_t handle_at = 0;
    const bool has_rh = (en->tpma & tpma_cc::r_handle) != 0;
    if (has_rh) handle_at = w.skip(4);
    std::size_t psize_at = 0;
    if (tag == st::sessions) psize_at = w.skip(4);
    const auto params_start = w.size();

    rc res = en->run(e, c, r, w);
    if (!res.ok()) return fail(res);
    if (w.overflow()) return fail(rc::size);
    if (has_rh) w.patch_u32(handle_at, c.response_handle.value_or(0));
    if (tag == st::sessions) {
        w.patch_u32(psize_at, static_cast<std::uint32_t>(w.size() - params_start));
        for (std::size_t i = 0; i < nsess; ++i) {
            w.u16(0);                                   // nonceTPM: empty for a password session
            w.u8(tpma_session::continue_session);       // a password session always continues
            w.u16(0);                                   // hmac: empty
        }
    }
    if (w.overflow()) return fail(rc::size);
    w.patch_u32(size_at, static_cast<std::uint32_t>(w.size()));
    return w.size();
}

} // namespace vtpm
