// Handlers that read NV Index data for an attestation or a policy: Part 3 §31.16
// TPM2_NV_Certify, §23.9 TPM2_PolicyNV and §23.22 TPM2_PolicyAuthorizeNV.
#pragma once
#include <array>
#include <cstdint>

#include "vtpm/commands/nv.hpp"
#include "vtpm/commands/policy.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/attest.hpp"
#include "vtpm/engine/handlers/nv.hpp"
#include "vtpm/engine/handlers/policy.hpp"
#include "vtpm/engine/nv.hpp"
#include "vtpm/engine/policy.hpp"

namespace vtpm::cmd {

namespace nv_detail {

/// The read authorization of TPM2_NV_Read (Part 3 §31.1) for an authHandle that is handle
/// `pos` of the command: PPREAD / OWNERREAD / AUTHREAD / POLICYREAD (TPM_RC_NV_AUTHORIZATION).
inline rc read_authorized(const command_context& c, std::size_t pos, const nv::index& x) noexcept {
    const tpm_handle auth = c.handles[pos];
    std::uint32_t need;
    if (auth == rh::platform) need = nv_attr::ppread;
    else if (auth == rh::owner) need = nv_attr::ownerread;
    else if (auth == x.handle()) need = c.policy_auth[pos] ? nv_attr::policyread : nv_attr::authread;
    else return rc::nv_authorization;
    return x.has(need) ? rc::success : rc::nv_authorization;
}

/// Whether the data may be read now: READLOCKED (TPM_RC_NV_LOCKED), WRITTEN
/// (TPM_RC_NV_UNINITIALIZED), in the order of TPM2_NV_Read.
inline rc readable(const nv::index& x) noexcept {
    if (x.has(nv_attr::readlocked)) return rc::nv_locked;
    if (!x.has(nv_attr::written)) return rc::nv_uninitialized;
    return rc::success;
}

/// Both: the rules of TPM2_NV_Read.
inline rc read_access(const command_context& c, std::size_t pos, const nv::index& x) noexcept {
    if (rc r = read_authorized(c, pos, x); !r.ok()) return r;
    return readable(x);
}

} // namespace nv_detail

/// TPM2_NV_Certify (Part 3 §31.16): the signing key and scheme (§18.1), the index's read
/// authorization, then the range. size = offset = 0 certifies the digest of the whole index
/// (TPMS_NV_DIGEST_CERTIFY_INFO) with the scheme's hash algorithm (TPM_RC_SCHEME + P2 when
/// there is none); otherwise the octets [offset, offset + size) (TPMS_NV_CERTIFY_INFO).
template <class P>
rc handle(engine<P>& e, nv_certify, command_context& c, const nv_certify::request& in, attest_response& out) {
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[0], in.in_scheme, 1, 2, s); !r.ok()) return r;
    const auto& x = nv_detail::at(e, c.handles[2]);
    if (rc r = nv_detail::read_access(c, 1, x); !r.ok()) return r;
    if (in.size > P::profile.limits.nv_buffer_max) return rc::value.for_param(3);
    if (in.offset > x.pub.data_size) return rc::value.for_param(4);
    if (std::size_t{in.offset} + in.size > x.pub.data_size) return rc::nv_range;
    if (x.data.size() < x.pub.data_size) return rc::failure; // the store keeps dataSize octets
    tpms_attest a;
    a.extra_data = in.qualifying_data;
    if (in.size == 0 && in.offset == 0) {
        const tpm_alg_id h = s.scheme.hash;
        const auto ds = hash_digest_size(h);
        if (s.scheme.scheme == alg::null || ds == 0 || !e.crypto.hash_supported(h)) return rc::scheme.for_param(2);
        a.type = st::attest_nv_digest;
        auto& info = a.attested.template emplace<st::attest_nv_digest>();
        info.index_name = x.name;
        e.crypto.hash(h, byte_view{x.data.data(), x.pub.data_size}, info.nv_digest.resize(ds));
    } else {
        a.type = st::attest_nv;
        auto& info = a.attested.template emplace<st::attest_nv>();
        info.index_name = x.name;
        info.offset = in.offset;
        (void)info.nv_contents.assign(byte_view{x.data.data() + in.offset, in.size});
    }
    return detail::attest_sign(e, s, a, out.attest, out.signature);
}

/// TPM2_PolicyNV (Part 3 §23.9): operandA, the octets of the index from `offset` on, compared
/// with operandB by a TPM_EO operation (an immediate assertion: TPM_RC_POLICY if it fails);
///   args := H(operandB || offset || operation)
///   policyDigest := H(policyDigest || TPM_CC_PolicyNV || args || nvIndex->Name).
/// The read authorization holds for a trial session too; the rest is skipped for it.
template <class P>
rc handle(engine<P>& e, policy_nv, command_context& c, const policy_nv::request& in, no_params&) {
    const auto& x = nv_detail::at(e, c.handles[1]);
    auto& s = *e.session_at(c.handles[2]);
    const byte_view b = in.operand_b.view();
    bool holds = false;
    if (!policy::compare(in.operation, b, b, holds)) return rc::value.for_param(3);
    if (rc r = nv_detail::read_authorized(c, 0, x); !r.ok()) return r;
    if (s.type != se::trial) {
        if (rc r = nv_detail::readable(x); !r.ok()) return r;
        if (in.offset > x.pub.data_size) return rc::value.for_param(2);
        if (std::size_t{in.offset} + b.size() > x.pub.data_size) return rc::nv_range;
        if (x.data.size() < x.pub.data_size) return rc::failure; // the store keeps dataSize octets
        (void)policy::compare(in.operation, byte_view{x.data.data() + in.offset, b.size()}, b, holds);
        if (!holds) return rc::policy;
    }
    const auto ds = hash_digest_size(s.auth_hash);
    std::array<std::uint8_t, limits::max_digest> args{};
    {
        auto st = e.crypto.hash_start(s.auth_hash);
        st.update(b);
        std::array<std::uint8_t, 4> tail{};
        store_be16(tail.data(), in.offset);
        store_be16(tail.data() + 2, in.operation);
        st.update(tail);
        st.finish(byte_span{args.data(), ds});
    }
    policy::extend(e, s, cc::policy_nv, byte_view{args.data(), ds}, x.name.view());
    return rc::success;
}

/// TPM2_PolicyAuthorizeNV (Part 3 §23.22): the index holds a TPMT_HA, the approved policy.
/// The index must hold one (TPM_RC_INSUFFICIENT), of the session's hash (TPM_RC_HASH), equal
/// to policyDigest (TPM_RC_VALUE); then
///   policyDigest := H(0...0 || TPM_CC_PolicyAuthorizeNV || nvIndex->Name).
template <class P>
rc handle(engine<P>& e, policy_authorize_nv, command_context& c, const no_params&, no_params&) {
    const auto& x = nv_detail::at(e, c.handles[1]);
    auto& s = *e.session_at(c.handles[2]);
    if (rc r = nv_detail::read_authorized(c, 0, x); !r.ok()) return r;
    if (s.type != se::trial) {
        if (rc r = nv_detail::readable(x); !r.ok()) return r;
        if (x.pub.data_size < 2 || x.data.size() < x.pub.data_size) return rc::insufficient;
        const tpm_alg_id h = load_be16(x.data.data());
        const auto ds = hash_digest_size(h);
        if (ds == 0 || !P::profile.has_alg(h) || h != s.auth_hash) return rc::hash;
        if (x.pub.data_size < 2 + ds) return rc::insufficient;
        if (!ct_equal(byte_view{x.data.data() + 2, ds}, s.policy_digest.view())) return rc::value;
    }
    std::fill(s.policy_digest.buffer.begin(), s.policy_digest.buffer.end(), 0);
    policy::extend(e, s, cc::policy_authorize_nv, x.name.view());
    return rc::success;
}

} // namespace vtpm::cmd
