// Handlers: Part 3 §31 Non-volatile Storage (all but NV_Certify) and §28.5 TPM2_EvictControl.
#pragma once
#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "vtpm/commands/nv.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/nv.hpp"
#include "vtpm/engine/persistent_objects.hpp"

namespace vtpm::cmd {

namespace nv_detail {

/// Whether authHandle may write (or read) the index: Platform Authorization needs PPWRITE
/// (PPREAD), Owner Authorization OWNERWRITE (OWNERREAD), the index itself AUTHWRITE
/// (AUTHREAD) with an authValue or POLICYWRITE (POLICYREAD) with a policy session. Another
/// index as authHandle is TPM_RC_NV_AUTHORIZATION (Part 3 §31.1).
inline rc access(const command_context& c, tpm_handle auth, const nv::index& x, bool write) noexcept {
    std::uint32_t need;
    if (auth == rh::platform) need = write ? nv_attr::ppwrite : nv_attr::ppread;
    else if (auth == rh::owner) need = write ? nv_attr::ownerwrite : nv_attr::ownerread;
    else if (auth == x.handle())
        need = c.policy_auth[0] ? (write ? nv_attr::policywrite : nv_attr::policyread)
                                : (write ? nv_attr::authwrite : nv_attr::authread);
    else return rc::nv_authorization;
    return x.has(need) ? rc::success : rc::nv_authorization;
}

/// Write access and the write lock (Part 3 §31.7: sessions, then the lock).
inline rc write_access(const command_context& c, tpm_handle auth, const nv::index& x) noexcept {
    if (rc r = access(c, auth, x, true); !r.ok()) return r;
    return x.has(nv_attr::writelocked) ? rc::nv_locked : rc::success;
}

template <class P>
void written(engine<P>& e, nv::index& x) {
    x.set(nv_attr::written);
    nv::refresh_name(e.crypto, x);
}

/// TPM2_NV_DefineSpace / DefineSpace2 (Part 3 §31.3): the checks on publicInfo (parameter 2)
/// in the order of the command description, then NV_DEFINED and NV_SPACE.
template <class P>
rc define(engine<P>& e, tpm_handle auth_handle, const tpm2b_auth& auth, const tpms_nv_public& pub) {
    constexpr auto& prof = P::profile;
    const auto a = pub.attributes.value;
    const auto type = nv_attr::type_of(a);
    const auto ds = hash_digest_size(pub.name_alg.value);
    const rc attributes = rc::attributes.for_param(2), size = rc::size.for_param(2);
    // The authValue is at most a digest of nameAlg.
    if (auth.size > ds) return rc::size.for_param(1);
    // The authPolicy is empty or a digest of nameAlg.
    if (pub.auth_policy.size != 0 && pub.auth_policy.size != ds) return size;
    switch (type) {
    case nt::ordinary: case nt::counter: case nt::bits: case nt::extend: case nt::pin_fail: case nt::pin_pass: break;
    default: return attributes;
    }
    if (a & (nv_attr::written | nv_attr::readlocked | nv_attr::writelocked)) return attributes;
    switch (type) {
    case nt::counter: case nt::bits: case nt::pin_fail: case nt::pin_pass:
        if (pub.data_size != 8) return size;
        break;
    case nt::extend:
        if (pub.data_size != ds) return size;
        break;
    default:
        if (pub.data_size > prof.limits.nv_index_max) return size;
        break;
    }
    if ((a & nv_attr::writeall) && pub.data_size > prof.limits.nv_buffer_max) return size;
    if (!(a & (nv_attr::ppread | nv_attr::ownerread | nv_attr::authread | nv_attr::policyread))) return attributes;
    if (!(a & (nv_attr::ppwrite | nv_attr::ownerwrite | nv_attr::authwrite | nv_attr::policywrite))) return attributes;
    if ((a & nv_attr::clear_stclear) && type == nt::counter) return attributes;
    const bool platform = auth_handle == rh::platform;
    if (platform != ((a & nv_attr::platformcreate) != 0)) return attributes;
    if ((a & nv_attr::policy_delete) && !platform) return attributes;
    if (type == nt::pin_fail && !(a & nv_attr::no_da)) return attributes;
    if ((type == nt::pin_fail || type == nt::pin_pass) && (a & nv_attr::authwrite)) return attributes;
    // Types and attributes whose commands this TPM does not have.
    if ((type == nt::counter && !prof.has_command(cc::nv_increment)) ||
        (type == nt::bits && !prof.has_command(cc::nv_set_bits)) ||
        (type == nt::extend && !prof.has_command(cc::nv_extend)) ||
        ((a & nv_attr::policy_delete) && !prof.has_command(cc::nv_undefine_space_special)))
        return attributes;
    // Platform Authorization creates indices only while phEnableNV is SET.
    if (platform && !e.sc.ph_enable_nv) return rc::hierarchy.for_handle(1);
    if (e.nv.nv_indices.find(pub.nv_index.value)) return rc::nv_defined;
    auto& store = e.nv.nv_indices;
    if (store.indices.size() >= prof.limits.nv_indices_max ||
        store.bytes_used() + nv::store::cost(pub.data_size) > prof.limits.nv_memory)
        return rc::nv_space;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    nv::index x;
    x.pub = pub;
    (void)x.auth.assign(auth.view());
    x.data.assign(pub.data_size, 0);
    nv::refresh_name(e.crypto, x);
    store.insert(std::move(x));
    return rc::success;
}

/// The index named by a handle the pipeline has already validated.
template <class P>
nv::index& at(engine<P>& e, tpm_handle h) {
    auto* x = e.nv_index_at(h);
    if (!x) throw std::logic_error("NV index vanished after handle validation");
    return *x;
}

} // namespace nv_detail

/// TPM2_NV_DefineSpace (Part 3 §31.3).
template <class P>
rc handle(engine<P>& e, nv_define_space, command_context& c, const nv_define_space::request& in, no_params&) {
    return nv_detail::define(e, c.handles[0], in.auth, in.public_info.value);
}

/// TPM2_NV_DefineSpace2 (Part 3 §31.17): TPM_HT_NV_INDEX public areas only (no external NV).
template <class P>
rc handle(engine<P>& e, nv_define_space2, command_context& c, const nv_define_space2::request& in, no_params&) {
    const auto* pub = in.public_info.value.public_area.template get<ht::nv_index>();
    if (!pub) return rc::selector.for_param(2);
    return nv_detail::define(e, c.handles[0], in.auth, *pub);
}

/// TPM2_NV_ReadPublic (Part 3 §31.6).
template <class P>
rc handle(engine<P>& e, nv_read_public, command_context& c, const no_params&, nv_read_public::response& out) {
    const auto& x = nv_detail::at(e, c.handles[0]);
    out.nv_public.value = x.pub;
    out.nv_name = x.name;
    return rc::success;
}

/// TPM2_NV_ReadPublic2 (Part 3 §31.18): the same public area in a TPMT_NV_PUBLIC_2.
template <class P>
rc handle(engine<P>& e, nv_read_public2, command_context& c, const no_params&, nv_read_public2::response& out) {
    const auto& x = nv_detail::at(e, c.handles[0]);
    out.nv_public.value.handle_type = ht::nv_index;
    out.nv_public.value.public_area.template emplace<ht::nv_index>() = x.pub;
    out.nv_name = x.name;
    return rc::success;
}

/// TPM2_NV_UndefineSpace (Part 3 §31.4).
template <class P>
rc handle(engine<P>& e, nv_undefine_space, command_context& c, const no_params&, no_params&) {
    const auto& x = nv_detail::at(e, c.handles[1]);
    if (x.has(nv_attr::policy_delete)) return rc::attributes.for_handle(2);
    // Platform-created indices are deleted with Platform Authorization, others with Owner's.
    if ((c.handles[0] == rh::platform) != x.has(nv_attr::platformcreate)) return rc::nv_authorization;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    e.nv.nv_indices.erase(c.handles[1]);
    return rc::success;
}

/// TPM2_NV_UndefineSpaceSpecial (Part 3 §31.5).
template <class P>
rc handle(engine<P>& e, nv_undefine_space_special, command_context& c, const no_params&, no_params&) {
    const auto& x = nv_detail::at(e, c.handles[0]);
    if (!x.has(nv_attr::platformcreate) || !x.has(nv_attr::policy_delete)) return rc::attributes.for_handle(1);
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    e.nv.nv_indices.erase(c.handles[0]);
    return rc::success;
}

/// TPM2_NV_Write (Part 3 §31.7).
template <class P>
rc handle(engine<P>& e, nv_write, command_context& c, const nv_write::request& in, no_params&) {
    auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::write_access(c, c.handles[0], x); !r.ok()) return r;
    const auto t = x.type();
    if (t == nt::counter || t == nt::bits || t == nt::extend) return rc::attributes;
    if (in.data.size > P::profile.limits.nv_buffer_max) return rc::size.for_param(1);
    const std::size_t end = std::size_t{in.offset} + in.data.size;
    if (end > x.pub.data_size) return rc::nv_range;
    if (x.has(nv_attr::writeall) && in.data.size != x.pub.data_size) return rc::nv_range;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    if (in.data.size) std::memcpy(x.data.data() + in.offset, in.data.buffer.data(), in.data.size);
    nv_detail::written(e, x);
    return rc::success;
}

/// TPM2_NV_Increment (Part 3 §31.8): a new counter starts above any value a counter had.
template <class P>
rc handle(engine<P>& e, nv_increment, command_context& c, const no_params&, no_params&) {
    auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::write_access(c, c.handles[0], x); !r.ok()) return r;
    if (x.type() != nt::counter) return rc::attributes;
    auto& mc = e.nv.nv_indices.max_counter;
    const std::uint64_t v = x.has(nv_attr::written) ? x.u64() : mc;
    if (v == UINT64_MAX) return rc::nv_range; // never wraps
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    x.set_u64(v + 1);
    mc = std::max(mc, v + 1);
    nv_detail::written(e, x);
    return rc::success;
}

/// TPM2_NV_Extend (Part 3 §31.9): data := H_nameAlg(data || buffer), data a Zero Digest
/// before the first write.
template <class P>
rc handle(engine<P>& e, nv_extend, command_context& c, const nv_extend::request& in, no_params&) {
    auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::write_access(c, c.handles[0], x); !r.ok()) return r;
    if (x.type() != nt::extend) return rc::attributes;
    if (in.data.size > P::profile.limits.nv_buffer_max) return rc::size.for_param(1);
    const auto a = x.pub.name_alg.value;
    const auto ds = hash_digest_size(a);
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    if (!x.has(nv_attr::written)) std::fill(x.data.begin(), x.data.end(), std::uint8_t{0});
    auto st = e.crypto.hash_start(a);
    st.update(byte_view{x.data.data(), ds});
    st.update(in.data.view());
    st.finish(byte_span{x.data.data(), ds});
    nv_detail::written(e, x);
    return rc::success;
}

/// TPM2_NV_SetBits (Part 3 §31.10).
template <class P>
rc handle(engine<P>& e, nv_set_bits, command_context& c, const nv_set_bits::request& in, no_params&) {
    auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::write_access(c, c.handles[0], x); !r.ok()) return r;
    if (x.type() != nt::bits) return rc::attributes;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    x.set_u64((x.has(nv_attr::written) ? x.u64() : 0) | in.bits);
    nv_detail::written(e, x);
    return rc::success;
}

/// TPM2_NV_WriteLock (Part 3 §31.11).
template <class P>
rc handle(engine<P>& e, nv_write_lock, command_context& c, const no_params&, no_params&) {
    auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::access(c, c.handles[0], x, true); !r.ok()) return r;
    if (!x.has(nv_attr::writedefine) && !x.has(nv_attr::write_stclear)) return rc::attributes;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    if (!x.has(nv_attr::writelocked)) {
        x.set(nv_attr::writelocked);
        nv::refresh_name(e.crypto, x);
    }
    return rc::success;
}

/// TPM2_NV_GlobalWriteLock (Part 3 §31.12).
template <class P>
rc handle(engine<P>& e, nv_global_write_lock, command_context&, const no_params&, no_params&) {
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    for (auto& x : e.nv.nv_indices.indices)
        if (x.has(nv_attr::globallock) && !x.has(nv_attr::writelocked)) {
            x.set(nv_attr::writelocked);
            nv::refresh_name(e.crypto, x);
        }
    return rc::success;
}

/// TPM2_NV_Read (Part 3 §31.13).
template <class P>
rc handle(engine<P>& e, nv_read, command_context& c, const nv_read::request& in, nv_read::response& out) {
    const auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::access(c, c.handles[0], x, false); !r.ok()) return r;
    if (x.has(nv_attr::readlocked)) return rc::nv_locked;
    if (!x.has(nv_attr::written)) return rc::nv_uninitialized;
    if (in.size > P::profile.limits.nv_buffer_max) return rc::value.for_param(1);
    if (in.offset > x.pub.data_size) return rc::value.for_param(2);
    if (std::size_t{in.offset} + in.size > x.pub.data_size) return rc::nv_range;
    (void)out.data.assign(byte_view{x.data.data() + in.offset, in.size});
    return rc::success;
}

/// TPM2_NV_ReadLock (Part 3 §31.14): an index not yet written may be read-locked.
template <class P>
rc handle(engine<P>& e, nv_read_lock, command_context& c, const no_params&, no_params&) {
    auto& x = nv_detail::at(e, c.handles[1]);
    if (rc r = nv_detail::access(c, c.handles[0], x, false); !r.ok()) return r;
    if (!x.has(nv_attr::read_stclear)) return rc::attributes;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    if (!x.has(nv_attr::readlocked)) {
        x.set(nv_attr::readlocked);
        nv::refresh_name(e.crypto, x);
    }
    return rc::success;
}

/// TPM2_NV_ChangeAuth (Part 3 §31.15): ADMIN role (a policy session, enforced by the pipeline).
template <class P>
rc handle(engine<P>& e, nv_change_auth, command_context& c, const nv_change_auth::request& in, no_params&) {
    auto& x = nv_detail::at(e, c.handles[0]);
    if (in.new_auth.size > hash_digest_size(x.pub.name_alg.value)) return rc::size.for_param(1);
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    x.auth.clear();
    (void)x.auth.assign(in.new_auth.view());
    return rc::success;
}

/// TPM2_EvictControl (Part 3 §28.5): persist a transient object or evict a persistent one.
template <class P>
rc handle(engine<P>& e, evict_control, command_context& c, const evict_control::request& in, no_params&) {
    const tpm_handle auth = c.handles[0], obj = c.handles[1], ph = in.persistent_handle.value;
    const bool platform = auth == rh::platform;
    if (handle_type(obj) == ht::persistent) {
        if (!platform && !persistent::owner_range(obj)) return rc::range.for_handle(2);
        if (obj != ph) return rc::handle.for_param(1);
        if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
        e.nv.persistent_objects.erase(obj);
        return rc::success;
    }
    const auto* o = e.object_at(obj);
    if (!o) return rc::handle.for_handle(2); // a sequence object
    if (o->hierarchy == rh::null || o->st_clear) return rc::attributes.for_handle(2);
    if (platform ? o->hierarchy != rh::platform : (o->hierarchy != rh::owner && o->hierarchy != rh::endorsement))
        return rc::hierarchy.for_handle(2);
    if (platform ? !persistent::platform_range(ph) : !persistent::owner_range(ph)) return rc::range.for_param(1);
    if (e.nv.persistent_objects.find(ph)) return rc::nv_defined;
    if (e.nv.persistent_objects.objects.size() >= P::profile.limits.persistent_objects_max) return rc::nv_space;
    if (!e.nv_available) return rc::nv_unavailable; // the change goes to NV at once
    e.nv.persistent_objects.insert(ph, *o);
    return rc::success;
}

} // namespace vtpm::cmd
