// Handlers: Part 3 §19 Ephemeral EC Keys (TPM2_Commit, TPM2_EC_Ephemeral) and §14.7
// TPM2_ZGen_2Phase, with the commit mechanism they share with ECDAA signing (Part 1 §44.2).
//
// Commit values are pseudo-random (Part 1 §44.2.2, equation 60):
//   r := KDFa(nameAlg, commitRandom, "ECDAA Commit", name, commitCount, bits)
// with commitCount a big-endian UINT64 and bits the size of the curve order rounded up to
// whole octets. TPM2_Commit uses the signing key's nameAlg and Name; TPM2_EC_Ephemeral (which
// has no key) uses the context integrity hash and an empty Name, and so does
// TPM2_ZGen_2Phase when it recovers that value. A bit array of 2^7 entries tracks the values
// issued but not yet used (engine_data::commit_state); the low 16 bits of commitCount are the
// counter returned to the caller.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "vtpm/commands/ephemeral.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/asymmetric.hpp"
#include "vtpm/engine/handlers/hash.hpp"

namespace vtpm {
namespace detail {

/// Draws commitRandom if this is the first commit since the last TPM Reset.
template <class P>
void commit_ready(engine<P>& e) {
    if (e.commit.valid) return;
    e.commit = {};
    e.crypto.random(e.commit.nonce);
    e.commit.valid = true;
}

/// The commit value r of commit number `count` (equation 60), order_bytes long.
template <class P>
[[nodiscard]] rc commit_value(engine<P>& e, tpm_alg_id name_alg, byte_view name, std::uint64_t count,
                              const crypto::ecc_curve_info& curve, byte_span r) {
    if (name_alg == alg::null) name_alg = context_integrity_hash<P>();
    std::array<std::uint8_t, 8> cv{};
    store_be64(cv.data(), count);
    return crypto::kdfa(e.crypto, name_alg, e.commit.nonce, std::string_view{"ECDAA Commit"}, name, cv,
                        static_cast<std::uint32_t>(curve.order_bytes) * 8u, r);
}

/// Steps 13-15 of Part 1 §44.2.3: marks the current commit value pending, advances
/// commitCount and returns the counter (its low 16 bits before the increment).
template <class P>
[[nodiscard]] std::uint16_t commit_take(engine<P>& e) noexcept {
    const std::uint64_t c = e.commit.count;
    const auto i = static_cast<std::size_t>(c % engine_data::commit_state::array_bits);
    e.commit.pending[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
    ++e.commit.count;
    return static_cast<std::uint16_t>(c);
}

/// Part 1 §44.2.5 steps 1-7: the commitCount a counter stands for. TPM_RC_RANGE if the
/// counter is outside the last 2^N values issued, TPM_RC_VALUE if that value was used
/// already (or never issued since the last TPM Reset). No parameter number.
template <class P>
[[nodiscard]] rc commit_recover(const engine<P>& e, std::uint16_t counter, std::uint64_t& count) noexcept {
    constexpr std::uint32_t n = engine_data::commit_state::array_bits;
    const auto t = static_cast<std::uint16_t>(e.commit.count);
    const auto dist = static_cast<std::uint16_t>(t - counter);
    if (dist == 0 || dist >= n) return rc::range;
    if (!e.commit.valid || dist > e.commit.count) return rc::value;
    count = e.commit.count - dist;
    const auto i = static_cast<std::size_t>(count % n);
    if ((e.commit.pending[i / 8] >> (i % 8) & 1) == 0) return rc::value;
    return rc::success;
}

/// Step 9 of §44.2.5: the commit value of `count` cannot be used again.
template <class P>
void commit_consume(engine<P>& e, std::uint64_t count) noexcept {
    const auto i = static_cast<std::size_t>(count % engine_data::commit_state::array_bits);
    e.commit.pending[i / 8] &= static_cast<std::uint8_t>(~(1u << (i % 8)));
}

/// A zero-wiped buffer for a commit value or a private scalar.
struct scalar_buffer {
    std::array<std::uint8_t, crypto::max_ecc_bytes> b{};
    scalar_buffer() = default;
    scalar_buffer(const scalar_buffer&) = delete;
    scalar_buffer& operator=(const scalar_buffer&) = delete;
    ~scalar_buffer() { secure_zero(b.data(), b.size()); }
    [[nodiscard]] byte_span first(std::size_t n) noexcept { return {b.data(), n}; }
};

[[nodiscard]] inline crypto::ecc_point_view point_view(const tpm2b_ecc_point& p) noexcept {
    return {p.value.x.view(), p.value.y.view()};
}

} // namespace detail

namespace cmd {

/// TPM2_Commit (Part 3 §19.2; Part 1 §44.2.3). The key is an ECC key (TPM_RC_KEY + H1) whose
/// scheme is anonymous, i.e. ECDAA (TPM_RC_SCHEME + H1). s2 and y2 are both empty or both
/// present (TPM_RC_SIZE + P3); (H(s2) mod p, y2) must be on the curve (TPM_RC_ECC_POINT + P2),
/// and so must P1 unless it is the Empty Point (TPM_RC_ECC_POINT + P1); a point at infinity
/// is TPM_RC_NO_RESULT.
template <class P>
rc handle(engine<P>& e, commit, command_context& c, const commit::request& in, commit::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::ecc_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (parms->scheme.scheme.value != alg::ecdaa) return rc::scheme.for_handle(1);
    if (in.s2.empty() != in.y2.empty()) return rc::size.for_param(3);
    if constexpr (!detail::has_ecc<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto curve = parms->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
        detail::commit_ready(e);
        detail::scalar_buffer r;
        const byte_span rv = r.first(info->order_bytes);
        if (rc k = detail::commit_value(e, o->pub.name_alg.value, o->name.view(), e.commit.count, *info, rv); !k.ok())
            return k;
        const bool has_s2 = !in.s2.empty();
        const auto p1 = detail::point_view(in.p1);
        const bool has_p1 = !p1.x.empty() || !p1.y.empty();
        const crypto::ecc_commit_input ci{p1, in.s2.view(), in.y2.view()};
        detail::point_result k, l, ep;
        const crypto::ecc_point_out none{};
        const crypto::ecc_commit_output co{has_s2 ? k.out(*info) : none, has_s2 ? l.out(*info) : none,
                                           has_p1 || !has_s2 ? ep.out(*info) : none};
        rc res = e.crypto.ecc_commit(curve, o->pub.name_alg.value, detail::sensitive_bytes<alg::ecc>(*o), rv, ci, co);
        if (res == rc::ecc_point) {
            // Which input is off the curve: (x2, y2) is checked first (steps 3-5).
            if (!has_s2) return rc::ecc_point.for_param(1);
            if (!has_p1 || e.crypto.ecc_point_valid(curve, p1)) return rc::ecc_point.for_param(2);
            const crypto::ecc_commit_input only_s2{{}, in.s2.view(), in.y2.view()};
            detail::point_result k2, l2;
            const rc again = e.crypto.ecc_commit(curve, o->pub.name_alg.value, detail::sensitive_bytes<alg::ecc>(*o), rv,
                                                 only_s2, {k2.out(*info), l2.out(*info), none});
            return rc::ecc_point.for_param(again == rc::ecc_point ? 2 : 1);
        }
        if (res == rc::value) return rc::key.for_handle(1); // no usable private key
        if (res == rc::hash) return rc::hash;
        if (!res.ok()) return res;
        if (has_s2) {
            out.k.value = k.point;
            out.l.value = l.point;
        }
        if (has_p1 || !has_s2) out.e.value = ep.point;
        out.counter = detail::commit_take(e);
        return rc::success;
    }
}

/// TPM2_EC_Ephemeral (Part 3 §19.3; Part 1 §44.2.4): Q := [r]G for the next commit value on
/// curveID (TPM_RC_CURVE + P1 if the profile or the crypto backend lacks it).
template <class P>
rc handle(engine<P>& e, ec_ephemeral, command_context&, const ec_ephemeral::request& in,
          ec_ephemeral::response& out) {
    const auto curve = in.curve_id.value;
    if (!P::profile.has_curve(curve)) return rc::curve.for_param(1);
    if constexpr (!detail::has_ecc<P>) {
        return rc::curve.for_param(1);
    } else {
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve.for_param(1);
        detail::commit_ready(e);
        detail::scalar_buffer r;
        const byte_span rv = r.first(info->order_bytes);
        if (rc k = detail::commit_value(e, alg::null, {}, e.commit.count, *info, rv); !k.ok()) return k;
        detail::point_result q;
        if (rc res = e.crypto.ecc_multiply_base(curve, rv, q.out(*info)); !res.ok()) return res;
        out.q.value = q.point;
        out.counter = detail::commit_take(e);
        return rc::success;
    }
}

/// TPM2_ZGen_2Phase (Part 3 §14.7). keyA is an unrestricted ECC decryption key
/// (TPM_RC_KEY / TPM_RC_ATTRIBUTES + H1) whose scheme is NULL or inScheme (TPM_RC_SCHEME + P3);
/// inQsB and inQeB are points of its curve (TPM_RC_ECC_POINT + P1 / P2); counter names an
/// unused EC_Ephemeral value (TPM_RC_RANGE / TPM_RC_VALUE + P4), which is then used up.
///   ECDH:  outZ1 := [dsA]QsB, outZ2 := [deA]QeB (SP 800-56A §6.1.1.2, full points);
///   ECMQV: outZ1 := Z of Part 1 §44.8.4.3, outZ2 the Empty Point;
///   SM2:   outZ1 := Z of Part 1 §45.2.3.2, outZ2 the Empty Point.
template <class P>
rc handle(engine<P>& e, zgen_2phase, command_context& c, const zgen_2phase::request& in,
          zgen_2phase::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::ecc_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (o->has(object_attr::restricted) || !o->has(object_attr::decrypt)) return rc::attributes.for_handle(1);
    const tpm_alg_id scheme = in.in_scheme.value;
    const tpm_alg_id ks = parms->scheme.scheme.value;
    if (ks != alg::null && ks != scheme) return rc::scheme.for_param(3);
    if constexpr (!detail::has_ecc<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto curve = parms->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
        const auto qs = detail::point_view(in.in_qs_b), qe = detail::point_view(in.in_qe_b);
        if (!e.crypto.ecc_point_valid(curve, qs)) return rc::ecc_point.for_param(1);
        if (!e.crypto.ecc_point_valid(curve, qe)) return rc::ecc_point.for_param(2);
        std::uint64_t count = 0;
        if (rc k = detail::commit_recover(e, in.counter, count); !k.ok()) return k.for_param(4);
        detail::scalar_buffer r;
        const byte_span rv = r.first(info->order_bytes);
        if (rc k = detail::commit_value(e, alg::null, {}, count, *info, rv); !k.ok()) return k;
        const byte_view ds = detail::sensitive_bytes<alg::ecc>(*o);
        detail::point_result z1, z2;
        rc res;
        switch (scheme) {
        case alg::ecdh:
            res = e.crypto.ecc_multiply(curve, ds, qs, z1.out(*info));
            if (res.ok()) res = e.crypto.ecc_multiply(curve, rv, qe, z2.out(*info));
            break;
        case alg::ecmqv: res = e.crypto.ecmqv_z(curve, ds, rv, qs, qe, z1.out(*info)); break;
        default: res = e.crypto.sm2_exchange_z(curve, ds, rv, qs, qe, z1.out(*info)); break;
        }
        if (res == rc::value) return rc::key.for_handle(1); // no usable private key
        if (!res.ok()) return res;
        detail::commit_consume(e, count);
        out.out_z1.value = z1.point;
        if (scheme == alg::ecdh) out.out_z2.value = z2.point;
        return rc::success;
    }
}

} // namespace cmd
} // namespace vtpm
