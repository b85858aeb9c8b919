// The command pipeline (Part 3 §5; Part 1 §18): header, mode, handle area, authorization
// area, parameters, handler, response. The dispatch table is derived from cmd::all and the
// profile at compile time: a dense array indexed by command code.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "vtpm/commands/table.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/policy.hpp"
#include "vtpm/engine/read_only.hpp"
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
        if (r = detail::read_only_check(e, D::attrs, c); !r.ok()) return r;
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
            if (!e.persistent_object_at(h)) return fail(rc::handle.for_handle(static_cast<unsigned>(i + 1)));
            break;
        case ht::nv_index:
            if (!e.nv_index_at(h)) return fail(rc::handle.for_handle(static_cast<unsigned>(i + 1)));
            break;
        case ht::hmac_session:
        case ht::policy_session:
            if (!e.session_at(h)) return fail(rc{rc::reference_h0.code() + static_cast<std::uint32_t>(i)});
            break;
        case ht::permanent:
            if ((h == rh::owner || h == rh::endorsement || h == rh::platform) && !e.hierarchy_enabled(h))
                return fail(rc::hierarchy.for_handle(static_cast<unsigned>(i + 1)));
            break;
        default: break;
        }
    }

    // Part 3 §5.5 authorization area.
    std::array<detail::session_in, 3> sessions{};
    std::array<auth_session*, 3> sess{}; // the loaded session of each entry (null for a password)
    std::size_t nsess = 0;
    std::size_t auth_count = 0; // handles that need an authorization
    for (std::size_t i = 0; i < en->handle_count; ++i)
        if (en->roles[i] != cmd::auth_role::none) ++auth_count;
    int decrypt_at = -1, encrypt_at = -1, audit_at = -1;
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
            ++nsess;
        }
        for (std::size_t k = 0; k < nsess; ++k) {
            auto& s = sessions[k];
            const auto sn = static_cast<unsigned>(k + 1);
            const auto st_ = handle_type(s.handle);
            if (s.handle == rh::pw) {
                // Password sessions: empty nonce, only continueSession (Part 1 §19.8.4), and
                // only to authorize a handle.
                if (!s.nonce.empty()) return fail(rc::nonce.for_session(sn));
                if ((s.attrs.value & ~tpma_session::continue_session) != 0) return fail(rc::attributes.for_session(sn));
                if (k >= auth_count) return fail(rc::attributes.for_session(sn));
            } else if (st_ == ht::hmac_session || st_ == ht::policy_session) {
                sess[k] = e.session_at(s.handle);
                if (!sess[k]) return fail(rc{rc::reference_s0.code() + static_cast<std::uint32_t>(k)});
                for (std::size_t j = 0; j < k; ++j)
                    if (sessions[j].handle == s.handle) return fail(rc::handle.for_session(sn)); // used twice
                if (s.attrs.value & tpma_session::audit) {
                    // Session audit (Part 1 §17): HMAC sessions only, one per command.
                    if (sess[k]->is_policy() || audit_at >= 0) return fail(rc::attributes.for_session(sn));
                    audit_at = static_cast<int>(k);
                } else if (s.attrs.value & (tpma_session::audit_exclusive | tpma_session::audit_reset)) {
                    return fail(rc::attributes.for_session(sn)); // these need audit SET
                }
                if (s.attrs.value & tpma_session::decrypt) {
                    if (decrypt_at >= 0 || !en->attrs.decrypt) return fail(rc::attributes.for_session(sn));
                    if (sess[k]->sym_alg == alg::null) return fail(rc::symmetric.for_session(sn));
                    decrypt_at = static_cast<int>(k);
                }
                if (s.attrs.value & tpma_session::encrypt) {
                    if (encrypt_at >= 0 || !en->attrs.encrypt) return fail(rc::attributes.for_session(sn));
                    if (sess[k]->sym_alg == alg::null) return fail(rc::symmetric.for_session(sn));
                    encrypt_at = static_cast<int>(k);
                }
                // A session that authorizes nothing must decrypt, encrypt or audit (§5.5.4.4.2).
                if (k >= auth_count &&
                    !(s.attrs.value & (tpma_session::decrypt | tpma_session::encrypt | tpma_session::audit)))
                    return fail(rc::attributes.for_session(sn));
            } else {
                return fail(rc::handle.for_session(sn));
            }
        }
        // Every "@" handle needs a session (§5.5.5).
        if (nsess < auth_count) return fail(rc::auth_missing);
        // auditExclusive: the audit session must be the current exclusive one (Part 1 §17.3).
        if (audit_at >= 0 && (sessions[audit_at].attrs.value & tpma_session::audit_exclusive) &&
            e.exclusive_audit_session != sessions[audit_at].handle)
            return fail(rc::exclusive);
    } else if (auth_count > 0) {
        return fail(rc::auth_missing);
    }
    c.session_count = nsess;

    // The parameter area as received: cpHash covers it before any decryption.
    const byte_view received = r.rest();
    std::array<std::uint8_t, 4096> pbuf;
    if (received.size() > pbuf.size()) return fail(rc::command_size);
    std::memcpy(pbuf.data(), received.data(), received.size());
    const byte_view params_in{pbuf.data(), received.size()};

    // Names of the handles, for cpHash (only computed when an HMAC/policy session needs them).
    std::array<tpm2b_name, 3> names{};
    const bool any_session = std::any_of(sess.begin(), sess.begin() + nsess, [](auto* x) { return x != nullptr; });
    // Command audit (Part 1 §32), not functional in failure mode.
    const bool command_audited = !e.failure_mode && e.audit.audited(code);
    if (any_session || command_audited)
        for (std::size_t i = 0; i < c.handle_count; ++i) names[i] = e.entity_name(c.handles[i]);
    auto cp_hash_for = [&](tpm_alg_id h, byte_span out) {
        session_crypto::cp_hash(e.crypto, h, code, std::span<const tpm2b_name>{names.data(), c.handle_count}, params_in, out);
    };
    // Part 3 §5.6 authorization checks, and the key material of every session:
    //   HMAC key = sessionKey || authValue, the authValue (of the entity the session
    //   authorizes) only for an HMAC session not bound to that entity, or a policy session
    //   with PolicyAuthValue (Part 1 §19.6.10); with an empty key the HMAC may be empty.
    //   Parameter encryption uses sessionKey || authValue, the binding ignored (Part 1 §21.1).
    // The authValues are copied now: the command may change or flush the entity.
    std::array<tpm2b_auth, 3> entity_auth{};
    std::array<bool, 3> hmac_with_auth{}, enc_with_auth{}, hmac_empty_reply{};
    std::array<std::size_t, 3> session_handle_index{}; // which handle each session authorizes
    {
        std::size_t si = 0;
        for (std::size_t i = 0; i < en->handle_count; ++i)
            if (en->roles[i] != cmd::auth_role::none) session_handle_index[si++] = i;
    }
    for (std::size_t k = 0; k < nsess; ++k) {
        const auto& s = sessions[k];
        auth_session* ss = sess[k];
        const auto sn = static_cast<unsigned>(k + 1);
        const bool authorizes = k < auth_count;
        // Dictionary-attack protection (Part 1 §16.8): a wrong authValue of a DA-protected
        // entity counts (TPM_RC_AUTH_FAIL); in lockout its authValue may not be used at all.
        bool da_entity = false;
        tpm_handle da_handle = 0;
        auto auth_failure = [&]() -> rc {
            return da_entity ? e.da_failure(da_handle).for_session(sn) : rc::bad_auth.for_session(sn);
        };
        auto uses_auth_value = [&]() -> rc {
            if (!da_entity) return rc::success;
            if (e.da_locked_out(da_handle)) return rc::lockout;
            e.da.da_used = true;
            return rc::success;
        };
        tpm_handle pin_index = 0; // a PIN Pass / PIN Fail index authorized with its authValue
        if (authorizes) {
            const std::size_t i = session_handle_index[k];
            const tpm_handle entity = c.handles[i];
            if (en->roles[i] == cmd::auth_role::dup && (!ss || !ss->is_policy())) return fail(rc::auth_type.for_session(sn));
            c.policy_auth[i] = ss && ss->is_policy();
            if (const auto* x = e.nv_index_at(entity)) {
                // NV index (Part 1 §19.7, Part 3 §31): the ADMIN role needs a policy session
                // bound to this command; reading an index never written fails before its
                // authValue is checked (and is not a dictionary-attack failure).
                if (en->roles[i] == cmd::auth_role::admin) {
                    if (!ss || !ss->is_policy()) return fail(rc::auth_type.for_session(sn));
                    if (ss->command_code != code) return fail(rc::policy_cc.for_session(sn));
                }
                if (code == cc::nv_read && entity == c.handles[1] && !x->has(nv_attr::written)) return fail(rc::nv_uninitialized);
                if (!(ss && ss->is_policy()) && e.nv_pin_index(entity)) {
                    if (!e.nv_pin_available(entity)) return fail(rc::nv_authorization);
                    pin_index = entity;
                }
            }
            if (en->attrs.pp_command && entity == rh::platform && (en->attrs.pp_required || e.pp.listed(code)) &&
                !e.physical_presence)
                return fail(rc::pp.for_session(sn));
            // Part 3 §5.6 items 5-7: objects whose ADMIN role needs a policy (adminWithPolicy),
            // whose USER role accepts only a policy (userWithAuth CLEAR), and ADMIN / DUP
            // policies that name their command.
            const bool by_policy = ss && ss->is_policy();
            if (const auto* o = e.object_at(entity); o && !by_policy) {
                if (en->roles[i] == cmd::auth_role::admin && o->has(object_attr::admin_with_policy))
                    return fail(rc::auth_type.for_session(sn));
                if (en->roles[i] == cmd::auth_role::user && !o->has(object_attr::user_with_auth))
                    return fail(rc::policy_fail.for_session(sn));
            }
            if (by_policy && ss->type != se::trial && ss->command_code == 0 &&
                (en->roles[i] == cmd::auth_role::admin || en->roles[i] == cmd::auth_role::dup))
                return fail(rc::policy_fail.for_session(sn));
            const tpm2b_auth* av = e.auth_value(entity);
            if (!av) return fail(rc::auth_unavailable);
            (void)entity_auth[k].assign(detail::trim_zeros(av->view()));
            if (e.da_protected(entity)) {
                da_entity = true;
                da_handle = entity;
            }
        }
        if (!ss) { // password
            if (rc l = uses_auth_value(); !l.ok()) return fail(l);
            const bool ok = ct_equal(entity_auth[k].view(), detail::trim_zeros(s.hmac.view()));
            if (pin_index) e.nv_pin_result(pin_index, ok);
            if (!ok) return fail(auth_failure());
            continue;
        }
        if (authorizes && ss->is_policy()) {
            // Part 3 §5.6 item 8, in its order.
            if (ss->type == se::trial) return fail(rc::policy_fail.for_session(sn));
            if (rc x = policy::checks_before_digest(e, *ss, code, std::span<const tpm2b_name>{names.data(), c.handle_count},
                                                    params_in, sn);
                !x.ok())
                return fail(x);
            if (ss->command_code != 0 && ss->command_code != code) return fail(rc::policy_cc.for_session(sn));
            // The DUP role needs a policy that selects the command (Part 3 §4.2.10, §5.6).
            if (en->roles[session_handle_index[k]] == cmd::auth_role::dup && ss->command_code != code)
                return fail(rc::policy_fail.for_session(sn));
            if (ss->pcr_checked && ss->pcr_update_counter != e.sr.pcr_update_counter)
                return fail(rc::pcr_changed.for_session(sn));
            const auto pol = e.auth_policy(c.handles[session_handle_index[k]]);
            if (!pol || pol->alg != ss->auth_hash || !(pol->digest == ss->policy_digest))
                return fail(rc::policy_fail.for_session(sn));
            if (rc x = policy::checks_after_digest(e, *ss, code, c.locality, params_in, sn); !x.ok()) return fail(x);
            // PolicySecret needs the authValue: a policy session for it must ask for it (Part 3 §23.4).
            if (code == cc::policy_secret && !ss->need_auth_value && !ss->need_password)
                return fail(rc::mode.for_session(sn));
            if (ss->need_password) {
                if (rc l = uses_auth_value(); !l.ok()) return fail(l);
                if (!ct_equal(entity_auth[k].view(), detail::trim_zeros(s.hmac.view()))) return fail(auth_failure());
                enc_with_auth[k] = true;
                hmac_empty_reply[k] = true;
                continue;
            }
            hmac_with_auth[k] = enc_with_auth[k] = ss->need_auth_value;
            if (!ss->need_auth_value) da_entity = false; // the authValue takes no part
            else if (rc l = uses_auth_value(); !l.ok()) return fail(l);
        } else if (authorizes) {
            if (rc l = uses_auth_value(); !l.ok()) return fail(l);
            hmac_with_auth[k] = !(ss->bound && ss->bind_name == names[session_handle_index[k]]);
            enc_with_auth[k] = true;
        }
        const auto key_auth = hmac_with_auth[k] ? entity_auth[k].view() : byte_view{};
        if (ss->session_key.empty() && key_auth.empty() && s.hmac.empty()) {
            // With no key material the HMAC may be left empty (Part 1 §19.6.16); so is the reply's.
            hmac_empty_reply[k] = true;
            continue;
        }
        std::array<std::uint8_t, limits::max_digest> cp{}, want{};
        const auto ds = hash_digest_size(ss->auth_hash);
        cp_hash_for(ss->auth_hash, byte_span{cp.data(), ds});
        // nonceDecrypt / nonceEncrypt go into the first session's HMAC when another session
        // does the encryption (Part 1 §19.6.5).
        byte_view nd{}, ne{};
        if (k == 0) {
            if (decrypt_at > 0 && sess[decrypt_at]) nd = sess[decrypt_at]->nonce_tpm.view();
            if (encrypt_at > 0 && encrypt_at != decrypt_at && sess[encrypt_at]) ne = sess[encrypt_at]->nonce_tpm.view();
        }
        session_crypto::auth_hmac(e.crypto, ss->auth_hash, ss->session_key.view(), key_auth, byte_view{cp.data(), ds},
                                  s.nonce.view(), ss->nonce_tpm.view(), nd, ne, s.attrs.value, byte_span{want.data(), ds});
        const bool hmac_ok = ct_equal(byte_view{want.data(), ds}, s.hmac.view());
        if (pin_index) e.nv_pin_result(pin_index, hmac_ok);
        if (!hmac_ok) return fail(auth_failure());
    }

    // The session value for parameter encryption.
    auto session_value = [&](std::size_t k, std::array<std::uint8_t, 2 * limits::max_digest>& buf) {
        const auto& ss = *sess[k];
        std::size_t n = ss.session_key.size;
        std::memcpy(buf.data(), ss.session_key.buffer.data(), n);
        if (enc_with_auth[k]) {
            std::memcpy(buf.data() + n, entity_auth[k].buffer.data(), entity_auth[k].size);
            n += entity_auth[k].size;
        }
        return byte_view{buf.data(), n};
    };

    // The cpHashes of session and command audit, over the parameters as received.
    std::array<std::uint8_t, limits::max_digest> audit_cp{}, command_audit_cp{};
    if (audit_at >= 0) cp_hash_for(sess[audit_at]->auth_hash, byte_span{audit_cp.data(), hash_digest_size(sess[audit_at]->auth_hash)});
    if (command_audited) cp_hash_for(e.audit.alg, byte_span{command_audit_cp.data(), hash_digest_size(e.audit.alg)});

    // Decrypt the first parameter (a TPM2B) in place.
    if (decrypt_at >= 0) {
        if (received.size() < 2) return fail(rc::insufficient.for_param(1));
        const std::size_t n = load_be16(pbuf.data());
        if (n + 2 > received.size()) return fail(rc::insufficient.for_param(1));
        std::array<std::uint8_t, 2 * limits::max_digest> sv{};
        const auto& ds = sessions[static_cast<std::size_t>(decrypt_at)];
        rc x = session_crypto::param_crypt(e.crypto, *sess[decrypt_at], session_value(static_cast<std::size_t>(decrypt_at), sv),
                                           ds.nonce.view(), sess[decrypt_at]->nonce_tpm.view(), byte_span{pbuf.data() + 2, n}, false);
        secure_zero(sv.data(), sv.size());
        if (!x.ok()) return fail(rc::failure);
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

    reader pr{params_in, &e.uctx};
    rc res = en->run(e, c, pr, w);
    if (!res.ok()) return fail(res);
    // NV_ChangeAuth / NV_UndefineSpaceSpecial change or delete the authValue of the index the
    // first session authorizes: the response uses the new value, an Empty Buffer for a deleted
    // index (Part 3 §31.5, §31.15).
    if ((code == cc::nv_change_auth || code == cc::nv_undefine_space_special) && auth_count > 0) {
        const tpm2b_auth* av = e.auth_value(c.handles[0]);
        entity_auth[0].clear();
        (void)entity_auth[0].assign(av ? detail::trim_zeros(av->view()) : byte_view{});
    }
    if (w.overflow()) return fail(rc::size);
    if (has_rh) w.patch_u32(handle_at, c.response_handle.value_or(0));
    // A command that changes the authValue that authorized it (HierarchyChangeAuth, Clear
    // with lockoutAuth, NV_ChangeAuth) answers with the new value in the response HMAC.
    for (std::size_t k = 0; k < nsess && k < auth_count; ++k)
        if (const tpm2b_auth* av = e.auth_value(c.handles[session_handle_index[k]]))
            (void)entity_auth[k].assign(detail::trim_zeros(av->view()));
    const std::size_t response_params_end = w.size();
    // Exclusive audit (Part 1 §17.2): a session becomes the exclusive one when it starts an
    // audit sequence (first use, or auditReset); a command without it ends its exclusivity.
    // Commands that allow no sessions do not change it.
    bool audit_restart = false;
    if (audit_at >= 0 && e.session_at(sessions[audit_at].handle)) {
        audit_restart = !sess[audit_at]->audit || (sessions[audit_at].attrs.value & tpma_session::audit_reset);
        if (audit_restart) e.exclusive_audit_session = sessions[audit_at].handle;
    }
    if (!en->attrs.no_sessions && (audit_at < 0 || sessions[audit_at].handle != e.exclusive_audit_session))
        e.exclusive_audit_session = 0;
    if (tag == st::sessions) {
        const auto params_end = w.size();
        w.patch_u32(psize_at, static_cast<std::uint32_t>(params_end - params_start));
        // New nonceTPM for every session (nonce rolling, Part 1 §19.6.3); a session that a
        // command just flushed (FlushContext of itself) is gone.
        for (std::size_t k = 0; k < nsess; ++k) {
            if (!sess[k] || !e.session_at(sessions[k].handle)) { sess[k] = nullptr; continue; }
            sess[k]->nonce_caller = sessions[k].nonce;
            e.crypto.random(sess[k]->nonce_tpm.resize(hash_digest_size(sess[k]->auth_hash)));
            sess[k]->start_time = e.time(); // startTime follows nonceTPM (Part 1 §16.7.8)
            sess[k]->time_epoch = policy::time_epoch(e);
        }
        // Encrypt the first response parameter (a TPM2B).
        if (encrypt_at >= 0 && sess[encrypt_at] && params_end - params_start >= 2) {
            auto* base = w.data() + params_start;
            const std::size_t n = std::min<std::size_t>(load_be16(base), params_end - params_start - 2);
            std::array<std::uint8_t, 2 * limits::max_digest> sv{};
            auto* es = sess[encrypt_at];
            rc x = session_crypto::param_crypt(e.crypto, *es, session_value(static_cast<std::size_t>(encrypt_at), sv),
                                               es->nonce_tpm.view(), sessions[encrypt_at].nonce.view(),
                                               byte_span{base + 2, n}, true);
            secure_zero(sv.data(), sv.size());
            if (!x.ok()) return fail(rc::failure);
        }
        const byte_view rparams{w.data() + params_start, params_end - params_start};
        // Session audit: auditDigest := H(auditDigest || cpHash || rpHash) (Part 1 §17.1
        // Equation 30); a new sequence starts from a Zero Digest, and a bound session loses its
        // binding.
        if (audit_at >= 0 && sess[audit_at]) {
            auto* as = sess[audit_at];
            const auto ha = as->auth_hash;
            const auto ds = hash_digest_size(ha);
            if (audit_restart) {
                auto d = as->audit_digest.resize(ds);
                std::fill(d.begin(), d.end(), std::uint8_t{0});
                if (!as->audit) as->bound = false;
                as->audit = true;
            }
            std::array<std::uint8_t, limits::max_digest> rp{};
            session_crypto::rp_hash(e.crypto, ha, code, rparams, byte_span{rp.data(), ds});
            auto st = e.crypto.hash_start(ha);
            st.update(as->audit_digest.view());
            st.update(byte_view{audit_cp.data(), ds});
            st.update(byte_view{rp.data(), ds});
            st.finish(as->audit_digest.resize(ds));
        }
        for (std::size_t k = 0; k < nsess; ++k) {
            const auto& s = sessions[k];
            auto* ss = sess[k];
            std::uint8_t attrs = s.attrs.value & static_cast<std::uint8_t>(~(tpma_session::audit_reset | tpma_session::audit_exclusive));
            if (static_cast<int>(k) == audit_at && e.exclusive_audit_session == s.handle)
                attrs |= tpma_session::audit_exclusive;
            if (!ss) { // password: empty nonce, continueSession, empty hmac
                w.u16(0);
                w.u8(tpma_session::continue_session);
                w.u16(0);
                continue;
            }
            vtpm::marshal(w, ss->nonce_tpm);
            w.u8(attrs);
            const auto key_auth = hmac_with_auth[k] ? entity_auth[k].view() : byte_view{};
            if (hmac_empty_reply[k]) {
                w.u16(0);
            } else {
                std::array<std::uint8_t, limits::max_digest> rp{}, mac{};
                const auto ds = hash_digest_size(ss->auth_hash);
                session_crypto::rp_hash(e.crypto, ss->auth_hash, code, rparams, byte_span{rp.data(), ds});
                session_crypto::auth_hmac(e.crypto, ss->auth_hash, ss->session_key.view(), key_auth, byte_view{rp.data(), ds},
                                          ss->nonce_tpm.view(), s.nonce.view(), {}, {}, attrs, byte_span{mac.data(), ds});
                w.u16(static_cast<std::uint16_t>(ds));
                w.put(mac.data(), ds);
            }
            if (!(s.attrs.value & tpma_session::continue_session)) {
                // continueSession clear: the session ends with this command.
                e.sessions[s.handle & 0x00FFFFFF].reset();
                if (e.exclusive_audit_session == s.handle) e.exclusive_audit_session = 0;
            } else if (ss->is_policy() && k < auth_count) {
                // A policy session that authorized a command starts over (Part 1 §19.7.1).
                ss->restart_policy();
            }
        }
    }
    if (w.overflow()) return fail(rc::size);
    // Command audit: auditDigest := H(auditDigest || cpHash || rpHash) (Part 1 §32 Equation
    // 55); the first event of a new log increments the audit counter.
    if (command_audited && !c.skip_command_audit) {
        const auto ha = e.audit.alg;
        const auto ds = hash_digest_size(ha);
        std::array<std::uint8_t, limits::max_digest> rp{};
        session_crypto::rp_hash(e.crypto, ha, code, byte_view{w.data() + params_start, response_params_end - params_start},
                                byte_span{rp.data(), ds});
        if (e.audit.digest.empty()) {
            ++e.audit.counter;
            auto d = e.audit.digest.resize(ds);
            std::fill(d.begin(), d.end(), std::uint8_t{0});
        }
        auto st = e.crypto.hash_start(ha);
        st.update(e.audit.digest.view());
        st.update(byte_view{command_audit_cp.data(), ds});
        st.update(byte_view{rp.data(), ds});
        st.finish(e.audit.digest.resize(ds));
    }
    w.patch_u32(size_at, static_cast<std::uint32_t>(w.size()));
    return w.size();
}

} // namespace vtpm
