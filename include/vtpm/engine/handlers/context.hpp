// Handlers: Part 3 §28 Context Management.
//
// A saved context (TPMS_CONTEXT.contextBlob) is, in this TPM's own format:
//   u16 size || integrity (HMAC-SHA256) || encrypted state
// with, for sequence s, saved handle h and hierarchy proof P (Part 1 §30.3):
//   key || iv  = KDFa(SHA-256, P, "CONTEXT", s || h, reset/restart counts, 128 + 128 bits)
//   encrypted  = AES-128-CFB(key, iv, marshalled state)
//   integrity  = HMAC-SHA256(P, s || h || hierarchy || resetCount || restartCount || encrypted)
// Session contexts use the null proof (new at every TPM Reset) and are also bound to the
// restart count, so no context outlives the TPM state it came from.
//
// Object contexts (Part 1 §27.2-§27.4) use the proof of the object's hierarchy; their
// sequence comes from objectContextID (sr.object_context_id) and their state is
//   sequence (u64) || the loaded_object fields (BOOST_HANA_ADAPT_STRUCT in engine/object.hpp)
// savedHandle is 0x80000000, or 0x80000002 for an object with the stateClear property (stClear
// in it or an ancestor). The second counter in the formulas above is the restart count for
// those and 0 for the others: an object context survives TPM Restart and Resume (Part 1
// §27.4) but not TPM Reset (resetCount). Part 1 §27.2.3 binds stateClear contexts to the
// clear count; the restart count is stricter (a Resume also ends them).
#pragma once
#include <array>
#include <cstring>

#include "vtpm/commands/context.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm {
namespace detail {

inline constexpr std::size_t context_integrity_size = 32;

template <class P>
bytes context_aad(engine<P>& e, std::uint64_t seq, tpm_handle saved, tpm_handle hierarchy, std::uint32_t second) {
    bytes a(8 + 4 + 4 + 4 + 4);
    store_be64(a.data(), seq);
    store_be32(a.data() + 8, saved);
    store_be32(a.data() + 12, hierarchy);
    store_be32(a.data() + 16, e.nv.reset_count);
    store_be32(a.data() + 20, second);
    return a;
}

/// Encrypt and authenticate a marshalled state into a context blob; `second` is the counter
/// bound next to resetCount (see the header comment).
template <class P>
rc seal_context(engine<P>& e, tpms_context& ctx, byte_view proof, byte_view state, std::uint32_t second) {
    if constexpr (!crypto::symmetric_provider<typename engine<P>::crypto_type>) {
        return rc::failure;
    } else {
        const auto aad = context_aad(e, ctx.sequence, ctx.saved_handle, ctx.hierarchy.value, second);
        std::array<std::uint8_t, 32> kiv{};
        if (!crypto::kdfa(e.crypto, alg::sha256, proof, "CONTEXT", byte_view{aad.data(), 12}, byte_view{aad.data() + 16, 8},
                          256, kiv).ok())
            return rc::failure;
        const std::size_t n = 2 + context_integrity_size + state.size();
        if (n > ctx.context_blob.capacity) return rc::too_many_contexts;
        auto blob = ctx.context_blob.resize(n);
        store_be16(blob.data(), context_integrity_size);
        auto enc = blob.subspan(2 + context_integrity_size);
        std::memcpy(enc.data(), state.data(), state.size());
        rc r = e.crypto.cfb_encrypt(alg::aes, byte_view{kiv.data(), 16}, byte_view{kiv.data() + 16, 16}, enc);
        secure_zero(kiv.data(), kiv.size());
        if (!r.ok()) return rc::failure;
        auto st = e.crypto.hmac_start(alg::sha256, proof);
        st.update(aad);
        st.update(enc);
        st.finish(blob.subspan(2, context_integrity_size));
        return rc::success;
    }
}

/// Check and decrypt a context blob; the plaintext state replaces the blob's bytes in `out`.
template <class P>
rc open_context(engine<P>& e, const tpms_context& ctx, byte_view proof, bytes& out, std::uint32_t second) {
    if constexpr (!crypto::symmetric_provider<typename engine<P>::crypto_type>) {
        return rc::failure;
    } else {
        const auto blob = ctx.context_blob.view();
        if (blob.size() < 2 + context_integrity_size || load_be16(blob.data()) != context_integrity_size)
            return rc::integrity.for_param(1);
        const auto aad = context_aad(e, ctx.sequence, ctx.saved_handle, ctx.hierarchy.value, second);
        const auto enc = blob.subspan(2 + context_integrity_size);
        std::array<std::uint8_t, context_integrity_size> mac{};
        auto st = e.crypto.hmac_start(alg::sha256, proof);
        st.update(aad);
        st.update(enc);
        st.finish(mac);
        if (!ct_equal(mac, blob.subspan(2, context_integrity_size))) return rc::integrity.for_param(1);
        std::array<std::uint8_t, 32> kiv{};
        if (!crypto::kdfa(e.crypto, alg::sha256, proof, "CONTEXT", byte_view{aad.data(), 12}, byte_view{aad.data() + 16, 8},
                          256, kiv).ok())
            return rc::failure;
        out.assign(enc.begin(), enc.end());
        rc r = e.crypto.cfb_decrypt(alg::aes, byte_view{kiv.data(), 16}, byte_view{kiv.data() + 16, 16}, out);
        secure_zero(kiv.data(), kiv.size());
        return r.ok() ? rc::success : rc::failure;
    }
}

/// Session contexts: not bound to the restart count (they survive Restart and Resume).
template <class P>
rc seal_context(engine<P>& e, tpms_context& ctx, byte_view proof, byte_view state) {
    return seal_context(e, ctx, proof, state, 0u /* sessions survive Restart and Resume (Part 1 §27.5) */);
}
template <class P>
rc open_context(engine<P>& e, const tpms_context& ctx, byte_view proof, bytes& out) {
    return open_context(e, ctx, proof, out, 0u);
}

/// savedHandle values of object contexts (Part 1 §27.2.3).
inline constexpr tpm_handle saved_object = 0x80000000, saved_sequence = 0x80000001, saved_st_clear_object = 0x80000002;

template <class P>
[[nodiscard]] std::uint32_t object_context_counter(const engine<P>& e, tpm_handle saved) noexcept {
    return saved == saved_st_clear_object ? e.nv.restart_count : 0u;
}

/// ContextSave of a loaded object: it stays loaded.
template <class P>
rc save_object_context(engine<P>& e, const loaded_object& o, tpms_context& ctx) {
    bytes state(2048);
    writer w{state};
    w.u64(e.sr.object_context_id);
    vtpm::marshal(w, o);
    if (w.overflow()) return rc::failure;
    state.resize(w.size());
    ctx.sequence = e.sr.object_context_id;
    ctx.saved_handle = o.st_clear ? saved_st_clear_object : saved_object;
    ctx.hierarchy.value = o.hierarchy;
    rc r = seal_context(e, ctx, e.proof(o.hierarchy), state, object_context_counter(e, ctx.saved_handle));
    secure_zero(state.data(), state.size());
    if (!r.ok()) return r;
    ++e.sr.object_context_id; // a sequence is used once (Part 1 §27.2.2)
    return rc::success;
}

/// ContextLoad of an object context into a free slot (Part 3 §28.3).
template <class P>
rc load_object_context(engine<P>& e, const tpms_context& ctx, command_context& c) {
    const tpm_handle saved = ctx.saved_handle;
    if (saved != saved_object && saved != saved_st_clear_object) return rc::handle.for_param(1);
    const tpm_handle h = ctx.hierarchy.value;
    if (!e.hierarchy_enabled(h)) return rc::hierarchy.for_param(1);
    const auto slot = e.free_object_slot();
    if (!slot) return rc::object_memory;
    bytes state;
    rc r = open_context(e, ctx, e.proof(h), state, object_context_counter(e, saved));
    if (!r.ok()) return r;
    loaded_object o;
    reader rd{state, &e.uctx};
    std::uint64_t seq = 0;
    const bool parsed = rd.u64(seq) && vtpm::unmarshal(rd, o).ok() && rd.empty();
    secure_zero(state.data(), state.size());
    // A context that passes its integrity check but holds another sequence number was
    // decrypted with the wrong key: Part 1 §27.3.1 calls for failure mode.
    if (parsed && seq != ctx.sequence) {
        e.enter_failure_mode(0xC0C0);
        return rc::failure;
    }
    if (!parsed || o.hierarchy != h || o.st_clear != (saved == saved_st_clear_object)) return rc::integrity.for_param(1);
    e.objects[*slot] = std::move(o);
    c.response_handle = engine<P>::object_handle(*slot);
    return rc::success;
}

} // namespace detail

namespace cmd {

/// TPM2_ContextSave (Part 3 §28.2): a session leaves TPM memory (its handle stays
/// reserved); an object stays loaded.
template <class P>
rc handle(engine<P>& e, context_save, command_context& c, const no_params&, context_save::response& out) {
    const tpm_handle h = c.handles[0];
    auto& ctx = out.context;
    if (auto* s = e.session_at(h)) {
        bytes state(1024);
        writer w{state};
        vtpm::marshal(w, *s);
        if (w.overflow()) return rc::failure;
        state.resize(w.size());
        ctx.sequence = ++e.context_sequence;
        ctx.saved_handle = h;
        ctx.hierarchy.value = rh::null;
        rc r = detail::seal_context(e, ctx, e.proof(rh::null), state);
        secure_zero(state.data(), state.size());
        if (!r.ok()) return r;
        const auto i = h & 0x00FFFFFF;
        e.saved_session_seq[i] = ctx.sequence;
        e.saved_session_policy[i] = s->is_policy();
        e.sessions[i].reset();
        return rc::success;
    }
    if (const auto* o = e.object_at(h)) return detail::save_object_context(e, *o, ctx);
    // Hash and event sequence objects hold library hash states that cannot be exported.
    return rc::handle.for_handle(1);
}

/// TPM2_ContextLoad (Part 3 §28.3)
template <class P>
rc handle(engine<P>& e, context_load, command_context& c, const context_load::request& in, no_params&) {
    const auto& ctx = in.context.value;
    const tpm_handle h = ctx.saved_handle;
    const auto t = handle_type(h);
    if (t == ht::hmac_session || t == ht::policy_session) {
        const auto i = h & 0x00FFFFFF;
        // The session must be saved, by this very context (no replay of an older one).
        if (i >= e.saved_session_seq.size() || e.saved_session_seq[i] != ctx.sequence ||
            e.saved_session_policy[i] != (t == ht::policy_session))
            return rc::handle.for_param(1);
        if (ctx.hierarchy.value != rh::null) return rc::integrity.for_param(1);
        if (!e.session_memory_available()) return rc::session_memory;
        bytes state;
        rc r = detail::open_context(e, ctx, e.proof(rh::null), state);
        if (!r.ok()) return r;
        auth_session s;
        r = unmarshal_exact(state, s);
        secure_zero(state.data(), state.size());
        if (!r.ok()) return rc::integrity.for_param(1);
        e.sessions[i] = s;
        e.saved_session_seq[i] = 0;
        c.response_handle = h;
        return rc::success;
    }
    if (t == ht::transient) return detail::load_object_context(e, ctx, c);
    return rc::value.for_param(1);
}

/// TPM2_FlushContext (Part 3 §28.4): a handle that is not loaded (or saved) is TPM_RC_HANDLE.
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
    } else {
        const auto i = h & 0x00FFFFFF;
        // A saved session is flushed by either session handle type (GetCapability reports
        // saved sessions with the HMAC type, Part 3 §30.2).
        if ((handle_type(h) == ht::hmac_session || handle_type(h) == ht::policy_session) &&
            i < e.saved_session_seq.size() && e.saved_session_seq[i] != 0) {
            e.saved_session_seq[i] = 0;
            return rc::success;
        }
    }
    return rc::handle.for_param(1);
}

} // namespace cmd
} // namespace vtpm
