// Handlers: Part 3 §15.4 TPM2_Hash and §17 hash and Event sequences (HashSequenceStart,
// SequenceUpdate, SequenceComplete, EventSequenceComplete).
#pragma once
#include <array>
#include <cstring>
#include <cstdint>
#include <variant>

#include "vtpm/commands/hash.hpp"
#include "vtpm/crypto/cmac.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/pcr.hpp"

namespace vtpm {
namespace detail {

/// The context integrity hash (TPM_PT_CONTEXT_HASH), which computes tickets (Part 2 §10.6:
/// "HMACcontextAlg ... an HMAC using the context integrity hash"): the strongest SHA-2 hash
/// the profile implements, so the 64-octet proofs (engine_data::proof_size) are used whole.
template <class P>
[[nodiscard]] constexpr tpm_alg_id context_integrity_hash() noexcept {
    if (P::profile.has_alg(alg::sha256)) return alg::sha256;
    if (P::profile.has_alg(alg::sha384)) return alg::sha384;
    return alg::sha512;
}

/// True if data may be signed by a restricted key: it does not begin with
/// TPM_GENERATED_VALUE (Part 2 §6.2; Part 3 §15.4.1).
[[nodiscard]] inline bool starts_with_generated(byte_view data) noexcept {
    return data.size() >= 4 && load_be32(data.data()) == tpm_generated_value;
}

/// The NULL hash-check ticket <TPM_ST_HASHCHECK, TPM_RH_NULL, Empty Buffer>.
[[nodiscard]] inline tpmt_tk_hashcheck null_hashcheck_ticket() noexcept {
    tpmt_tk_hashcheck t;
    t.tag = st::hashcheck;
    t.hierarchy.value = rh::null;
    t.digest.size = 0;
    return t;
}

/// TPMT_TK_HASHCHECK (Part 2 §10.6.7, equation 7):
///   digest := HMAC_contextAlg(proof(hierarchy), TPM_ST_HASHCHECK || digest)
/// with TPM_ST_HASHCHECK as a big-endian UINT16 and digest the octets of the hash (no size
/// field). TPM2_Sign must recompute the ticket with this same function.
/// (The TCG reference code also puts the UINT16 hash algorithm after the tag; equation 7
/// does not, and tickets are only ever checked by the TPM that made them.)
template <class P>
[[nodiscard]] tpmt_tk_hashcheck hashcheck_ticket(engine<P>& e, tpm_handle hierarchy, byte_view digest) {
    constexpr tpm_alg_id ha = context_integrity_hash<P>();
    tpmt_tk_hashcheck t;
    t.tag = st::hashcheck;
    t.hierarchy.value = hierarchy;
    std::array<std::uint8_t, 2 + limits::max_digest> msg{};
    store_be16(msg.data(), st::hashcheck);
    const auto n = std::min(digest.size(), limits::max_digest);
    std::memcpy(msg.data() + 2, digest.data(), n);
    e.crypto.hmac(ha, e.proof(hierarchy), byte_view{msg.data(), 2 + n}, t.digest.resize(hash_digest_size(ha)));
    return t;
}

/// The ticket of TPM2_Hash / TPM2_SequenceComplete: NULL for TPM_RH_NULL or data that is not
/// safe to sign, else the HMAC ticket.
template <class P>
[[nodiscard]] tpmt_tk_hashcheck hash_result_ticket(engine<P>& e, tpm_handle hierarchy, bool safe, byte_view digest) {
    if (hierarchy == rh::null || !safe) return null_hashcheck_ticket();
    return hashcheck_ticket(e, hierarchy, digest);
}

/// Record whether the first block of a hash sequence makes its digest safe to sign: it must
/// hold at least sizeof(TPM_GENERATED) octets and not begin with TPM_GENERATED_VALUE
/// (Part 3 §17.7.1, §17.8.1).
template <class Seq>
void note_block(Seq& s, byte_view data) noexcept {
    if (!s.started && s.type == Seq::kind::hash)
        s.ticket_allowed = data.size() >= 4 && !starts_with_generated(data);
    s.started = true;
}
template <class Seq>
void update_all(Seq& s, byte_view data) {
    for (auto& st : s.states)
        if (st) st->update(data);
}

/// HMAC and MAC sequences (TPM2_MAC_Start): add data to the keyed state.
template <class P>
[[nodiscard]] rc update_keyed(engine<P>& e, typename engine<P>::sequence& s, byte_view data) {
    if (s.hmac) s.hmac->update(data);
    if constexpr (crypto::symmetric_provider<typename P::crypto>) {
        if (s.cmac) return crypto::cmac_update(e.crypto, *s.cmac, data);
    }
    return rc::success;
}
/// Finish an HMAC or MAC sequence into out (resized to the MAC's size).
template <class P>
[[nodiscard]] rc finish_keyed(engine<P>& e, typename engine<P>::sequence& s, tpm2b_digest& out) {
    if (s.hmac) {
        s.hmac->finish(out.resize(hash_digest_size(s.alg)));
        return rc::success;
    }
    if constexpr (crypto::symmetric_provider<typename P::crypto>) {
        if (s.cmac) return crypto::cmac_finish(e.crypto, *s.cmac, out.resize(s.cmac->block));
    }
    return rc::failure;
}

} // namespace detail

namespace cmd {

/// TPM2_Hash (Part 3 §15.4). A disabled hierarchy cannot vouch for the digest:
/// TPM_RC_HIERARCHY for the hierarchy parameter. Data shorter than TPM_GENERATED_VALUE
/// cannot start with it and gets a ticket.
template <class P>
rc handle(engine<P>& e, hash, command_context&, const hash::request& in, hash::response& out) {
    const tpm_handle hierarchy = in.hierarchy.value;
    if (!e.hierarchy_enabled(hierarchy)) return rc::hierarchy.for_param(3);
    const tpm_alg_id a = in.hash_alg.value;
    e.crypto.hash(a, in.data.view(), out.out_hash.resize(hash_digest_size(a)));
    out.validation = detail::hash_result_ticket(e, hierarchy, !detail::starts_with_generated(in.data.view()),
                                                out.out_hash.view());
    return rc::success;
}

/// TPM2_HashSequenceStart (Part 3 §17.4): a hash sequence for an implemented hash, an Event
/// sequence for TPM_ALG_NULL (one hash state per allocated PCR bank, in bank order). The
/// sequence takes a transient object slot (TPM_RC_OBJECT_MEMORY when none is free); auth is
/// its authValue.
template <class P>
rc handle(engine<P>& e, hash_sequence_start, command_context& c, const hash_sequence_start::request& in, no_params&) {
    auto slot = e.free_object_slot();
    if (!slot) return rc::object_memory;
    typename engine<P>::sequence s;
    s.auth = in.auth;
    const tpm_alg_id a = in.hash_alg.value;
    if (a == alg::null) {
        s.type = engine<P>::sequence::kind::event;
        s.alg = alg::null;
        std::size_t k = 0;
        for (const auto& b : e.banks) {
            if (b.alg == alg::null) continue;
            s.algs[k] = b.alg;
            s.states[k].emplace(e.crypto.hash_start(b.alg));
            ++k;
        }
    } else {
        s.type = engine<P>::sequence::kind::hash;
        s.alg = a;
        s.algs[0] = a;
        s.states[0].emplace(e.crypto.hash_start(a));
    }
    e.objects[*slot] = std::move(s);
    c.response_handle = e.object_handle(*slot);
    return rc::success;
}

/// TPM2_SequenceUpdate (Part 3 §17.7): adds data to a hash, HMAC, MAC or Event sequence. A handle that
/// is loaded but not a sequence object is TPM_RC_MODE.
template <class P>
rc handle(engine<P>& e, sequence_update, command_context& c, const sequence_update::request& in, no_params&) {
    auto* s = e.sequence_at(c.handles[0]);
    if (!s) return rc::mode.for_handle(1);
    detail::note_block(*s, in.buffer.view());
    detail::update_all(*s, in.buffer.view());
    return detail::update_keyed(e, *s, in.buffer.view());
}

/// TPM2_SequenceComplete (Part 3 §17.8): finishes a hash, HMAC or MAC sequence (an Event
/// sequence is TPM_RC_MODE), returns the digest and its ticket (a NULL ticket for HMAC and
/// MAC sequences), and flushes the sequence object.
template <class P>
rc handle(engine<P>& e, sequence_complete, command_context& c, const sequence_complete::request& in,
          sequence_complete::response& out) {
    auto* s = e.sequence_at(c.handles[0]);
    using kind = typename engine<P>::sequence::kind;
    if (!s || s->type == kind::event) return rc::mode.for_handle(1);
    const tpm_handle hierarchy = in.hierarchy.value;
    if (!e.hierarchy_enabled(hierarchy)) return rc::hierarchy.for_param(2);
    if (s->type != kind::hash) { // HMAC or MAC sequence: the MAC and a NULL ticket
        rc r = detail::update_keyed(e, *s, in.buffer.view());
        if (r.ok()) r = detail::finish_keyed(e, *s, out.result);
        if (!r.ok()) return r;
        out.validation = detail::null_hashcheck_ticket();
        e.objects[*e.object_slot(c.handles[0])] = std::monostate{};
        return rc::success;
    }
    detail::note_block(*s, in.buffer.view());
    auto& st = *s->states[0];
    st.update(in.buffer.view());
    st.finish(out.result.resize(hash_digest_size(s->alg)));
    out.validation = detail::hash_result_ticket(e, hierarchy, s->ticket_allowed, out.result.view());
    e.objects[*e.object_slot(c.handles[0])] = std::monostate{};
    return rc::success;
}

/// TPM2_EventSequenceComplete (Part 3 §17.9): finishes an Event sequence (a hash sequence is
/// TPM_RC_MODE for the sequence handle), returns one digest per bank of the sequence and,
/// unless pcrHandle is TPM_RH_NULL, extends them as TPM2_PCR_Extend would (TPM_RC_LOCALITY
/// if the locality may not extend that PCR). The sequence object is flushed.
///
/// The digests are those of the PCR banks allocated when the sequence started (the banks
/// cannot change while it exists: allocation changes at TPM Reset, which flushes objects).
template <class P>
rc handle(engine<P>& e, event_sequence_complete, command_context& c, const event_sequence_complete::request& in,
          event_sequence_complete::response& out) {
    auto* s = e.sequence_at(c.handles[1]);
    if (!s || s->type != engine<P>::sequence::kind::event) return rc::mode.for_handle(2);
    const tpm_handle pcr = c.handles[0];
    if (rc r = detail::check_extend_locality(e, pcr, c); !r.ok()) return r;
    out.results.count = 0;
    for (std::size_t k = 0; k < s->states.size(); ++k) {
        if (!s->states[k]) continue;
        tpmt_ha d;
        d.hash_alg.value = s->algs[k];
        s->states[k]->update(in.buffer.view());
        s->states[k]->finish(byte_span{d.digest.data(), d.digest_size()});
        (void)out.results.push_back(d);
    }
    if (pcr != rh::null) detail::extend_digests(e, pcr, out.results);
    e.objects[*e.object_slot(c.handles[1])] = std::monostate{};
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
