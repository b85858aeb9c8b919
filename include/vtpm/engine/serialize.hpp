// The state format: what a TPM keeps across power loss (NV), in a versioned format of its own.
//
//   magic "VTPMSTAT" | u16 format version | u16 min reader version | u64 profile fingerprint
//   | u32 block count | blocks: (u16 tag, u32 length, payload)... | SHA-256 of all the above
//
// Blocks a reader does not know are skipped, so a newer writer can add blocks; a state whose
// min reader version is above this reader's version is refused, never misread. Payloads are
// the field-by-field big-endian marshalling of the structures in engine/state.hpp.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "vtpm/core/bytes.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/state.hpp"
#include "vtpm/marshal/codec.hpp"

namespace vtpm::state_format {

inline constexpr std::array<std::uint8_t, 8> magic{'V', 'T', 'P', 'M', 'S', 'T', 'A', 'T'};
inline constexpr std::uint16_t version = 1;
inline constexpr std::uint16_t min_reader_version = 1;

namespace tag {
inline constexpr std::uint16_t persistent = 1; // engine_data::persistent
inline constexpr std::uint16_t state_save = 2; // engine_data::state_save
inline constexpr std::uint16_t dictionary_attack = 8; // engine_data::dictionary_attack
inline constexpr std::uint16_t state_clear = 9;       // engine_data::state_clear (for TPM Resume)
inline constexpr std::uint16_t state_reset = 10;      // engine_data::state_reset (for TPM Restart/Resume)
inline constexpr std::uint16_t nv_indices = 3; // engine_data::persistent::nv_indices (nv::store)
inline constexpr std::uint16_t persistent_objects = 4; // engine_data::persistent::persistent_objects
inline constexpr std::uint16_t command_audit = 0x10; // engine_data::command_audit
inline constexpr std::uint16_t commit = 0x11;  // engine_data::commit_state
inline constexpr std::uint16_t pp_commands = 0x13;   // engine_data::pp_command_list
inline constexpr std::uint16_t read_only = 0x12;     // engine_data::read_only_mode (for TPM Resume)
} // namespace tag

/// A fingerprint of what gives a state its meaning: the PCR count and the hash algorithms
/// (the possible PCR banks). A state is only loaded by a TPM that agrees on them. Commands and
/// other algorithms are left out on purpose: a build with more of them (a newer vtpm, a larger
/// profile) still loads the states of an older or smaller one.
constexpr std::uint64_t fingerprint(const config::profile& p) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            h ^= (v >> (8 * i)) & 0xFF;
            h *= 0x100000001b3ULL;
        }
    };
    for (tpm_alg_id a : crypto::all_hash_algs) mix(p.has_alg(a));
    mix(p.limits.pcr_count);
    return h;
}

namespace detail {
/// Append block t holding v: u16 tag, u32 length, the marshalled value. Marshalled straight
/// into `out`, with room for sizeof(T) (fixed-size blocks fit at once; blocks with vectors
/// grow the room until they fit).
template <class T>
void put_block(bytes& out, std::uint16_t t, const T& v, std::uint32_t& count) {
    const std::size_t start = out.size();
    std::size_t room = sizeof(T) + 256;
    for (;;) {
        out.resize(start + 6 + room);
        writer w{byte_span{out.data() + start + 6, room}};
        marshal(w, v);
        if (!w.overflow()) {
            store_be16(out.data() + start, t);
            store_be32(out.data() + start + 2, static_cast<std::uint32_t>(w.size()));
            out.resize(start + 6 + w.size());
            ++count;
            return;
        }
        room *= 4;
    }
}
} // namespace detail

/// Serialize what the TPM keeps in NV.
template <class P>
bytes save(engine<P>& e) {
    bytes out;
    out.reserve(4096);
    out.assign(magic.begin(), magic.end());
    std::uint8_t hdr[16];
    store_be16(hdr, version);
    store_be16(hdr + 2, min_reader_version);
    store_be64(hdr + 4, fingerprint(P::profile));
    store_be32(hdr + 12, 0);
    out.insert(out.end(), hdr, hdr + 16);
    std::uint32_t count = 0;
    detail::put_block(out, tag::persistent, e.nv, count);
    // Without a Shutdown(STATE) to resume from, the block is left out (a reader then has the
    // default: no saved state).
    if (e.saved.valid) detail::put_block(out, tag::state_save, e.saved, count);
    detail::put_block(out, tag::dictionary_attack, e.da, count);
    detail::put_block(out, tag::state_clear, e.sc, count);
    detail::put_block(out, tag::state_reset, e.sr, count);
    detail::put_block(out, tag::nv_indices, e.nv.nv_indices, count);
    detail::put_block(out, tag::persistent_objects, e.nv.persistent_objects, count);
    detail::put_block(out, tag::command_audit, e.audit, count);
    detail::put_block(out, tag::commit, e.commit, count);
    detail::put_block(out, tag::pp_commands, e.pp, count);
    detail::put_block(out, tag::read_only, e.ro, count);
    store_be32(out.data() + 8 + 12, count);
    std::array<std::uint8_t, 32> sum{};
    e.crypto.hash(alg::sha256, out, sum);
    out.insert(out.end(), sum.begin(), sum.end());
    return out;
}

/// Load a state into a powered-off TPM. On error nothing is changed and the message says
/// what is wrong; on success the TPM is as it was when the state was saved (powered off).
template <class P>
std::optional<std::string> load(engine<P>& e, byte_view in) {
    if (in.size() < magic.size() + 16 + 32 || !std::equal(magic.begin(), magic.end(), in.begin()))
        return "vtpm: not a vtpm state (bad magic or too short)";
    const auto* h = in.data() + magic.size();
    const auto ver = load_be16(h), min_reader = load_be16(h + 2);
    if (min_reader > version)
        return "vtpm: state format " + std::to_string(ver) + " needs a reader of version " + std::to_string(min_reader) +
               "; this build reads up to " + std::to_string(version) + ": upgrade vtpm";
    std::array<std::uint8_t, 32> sum{};
    auto body = in.first(in.size() - 32);
    e.crypto.hash(alg::sha256, body, sum);
    if (!ct_equal(sum, in.last(32))) return "vtpm: state is corrupt (checksum mismatch)";
    if (load_be64(h + 4) != fingerprint(P::profile))
        return "vtpm: state was written by a TPM with another profile (commands, algorithms or limits differ)";
    const auto count = load_be32(h + 12);
    reader r{body.subspan(magic.size() + 16)};
    engine_data::persistent nv{};
    engine_data::state_save saved{};
    engine_data::dictionary_attack da{};
    engine_data::state_clear sc{};
    engine_data::state_reset sr{};
    nv::store nv_indices;
    vtpm::persistent::store persistent_objects;
    std::optional<engine_data::command_audit> audit;
    engine_data::commit_state commit{};
    engine_data::pp_command_list pp{}; // a state without the block: the manufacture default
    engine_data::read_only_mode ro{};
    bool have_nv = false;
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint16_t t;
        std::uint32_t len;
        byte_view payload;
        if (!r.u16(t) || !r.u32(len) || !r.take(len, payload)) return "vtpm: state is truncated";
        rc res = rc::success;
        if (t == tag::persistent) {
            res = unmarshal_exact(payload, nv);
            have_nv = true;
        } else if (t == tag::state_save) {
            res = unmarshal_exact(payload, saved);
        } else if (t == tag::dictionary_attack) {
            res = unmarshal_exact(payload, da);
        } else if (t == tag::state_clear) {
            res = unmarshal_exact(payload, sc);
        } else if (t == tag::state_reset) {
            res = unmarshal_exact(payload, sr);
        } else if (t == tag::nv_indices) {
            res = unmarshal_exact(payload, nv_indices);
        } else if (t == tag::persistent_objects) {
            res = unmarshal_exact(payload, persistent_objects);
        } else if (t == tag::command_audit) {
            res = unmarshal_exact(payload, audit.emplace());
        } else if (t == tag::commit) {
            res = unmarshal_exact(payload, commit);
        } else if (t == tag::pp_commands) {
            res = unmarshal_exact(payload, pp);
        } else if (t == tag::read_only) {
            res = unmarshal_exact(payload, ro);
        } // unknown blocks: written by a newer version, skipped
        if (!res.ok()) return "vtpm: state block " + std::to_string(t) + " is malformed";
    }
    if (!r.empty()) return "vtpm: state has trailing bytes";
    if (!have_nv) return "vtpm: state has no persistent block";
    e.power_off();
    e.nv = nv;
    e.nv.nv_indices = std::move(nv_indices);
    for (auto& x : e.nv.nv_indices.indices) nv::refresh_name(e.crypto, x);
    e.nv.persistent_objects = std::move(persistent_objects);
    e.saved = saved;
    e.da = da;
    e.sc = sc;
    e.sr = sr;
    if (audit) {
        e.audit = *audit;
    } else { // a state written before command audit existed: the manufacture defaults
        e.audit = {};
        e.audit.set(cc::set_command_code_audit_status, true);
    }
    e.commit = commit;
    e.pp = pp;
    e.ro = ro;
    e.manufactured = true;
    return std::nullopt;
}

} // namespace vtpm::state_format
