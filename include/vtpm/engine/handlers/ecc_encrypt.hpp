// Handlers: Part 3 §14.8 TPM2_ECC_Encrypt and §14.9 TPM2_ECC_Decrypt, the ECC encryption of
// Part 1 §45.2.4 (GB/T 32918.4 structure) on any curve:
//   encrypt: k random in [1, n-1], C1 := [k]G, (x2, y2) := [k]Q, t := KDF2(x2 || y2, len(M)),
//            C2 := M XOR t, C3 := H(x2 || M || y2);
//   decrypt: (x2, y2) := [d]C1, M := C2 XOR KDF2(x2 || y2, len(C2)), C3 = H(x2 || M || y2).
// Coordinates are padded to the curve's size. KDF2 (ISO/IEC 18033-2) is the only KDF:
//   t := H(Z || [1]32) || H(Z || [2]32) || ..., truncated to len(M).
// The hash of KDF2 and of C3 is the KDF scheme's hash: the key's kdf, or inScheme when the
// key's is NULL (inScheme must then be NULL or the same; TPM_RC_SCHEME otherwise).
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "vtpm/commands/asymmetric.hpp"
#include "vtpm/crypto/ecc.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/asymmetric.hpp"
#include "vtpm/engine/handlers/ephemeral.hpp"

namespace vtpm {
namespace detail {

/// The KDF of ECC_Encrypt / ECC_Decrypt; false is TPM_RC_SCHEME.
[[nodiscard]] inline bool select_ecc_kdf(const tpms_ecc_parms& key, const tpmt_kdf_scheme& in,
                                         scheme_choice& out) noexcept {
    const auto k = scheme_of(key.kdf), i = scheme_of(in);
    if (k.scheme == alg::null) {
        out = i;
    } else {
        if (i.scheme != alg::null && (i.scheme != k.scheme || i.hash != k.hash)) return false;
        out = k;
    }
    return out.scheme == alg::kdf2 && out.hash != alg::null;
}

/// x2 || y2 of a point result (each coordinate curve-sized), and the KDF2 mask XORed into
/// data. The mask is computed block by block and wiped.
template <class P>
void kdf2_xor(engine<P>& e, tpm_alg_id hash, byte_view z, byte_span data) {
    const std::size_t d = hash_digest_size(hash);
    std::array<std::uint8_t, limits::max_digest> block{};
    std::array<std::uint8_t, 4> counter{};
    for (std::uint32_t i = 1; !data.empty(); ++i) {
        store_be32(counter.data(), i);
        auto h = e.crypto.hash_start(hash);
        h.update(z);
        h.update(counter);
        h.finish(block);
        const std::size_t n = std::min(d, data.size());
        for (std::size_t j = 0; j < n; ++j) data[j] ^= block[j];
        data = data.subspan(n);
    }
    secure_zero(block.data(), block.size());
}

/// H(x2 || M || y2).
template <class P>
void ecc_encrypt_check_value(engine<P>& e, tpm_alg_id hash, const tpms_ecc_point& p2, byte_view m, tpm2b_digest& out) {
    auto h = e.crypto.hash_start(hash);
    h.update(p2.x.view());
    h.update(m);
    h.update(p2.y.view());
    h.finish(out.resize(hash_digest_size(hash)));
}

/// A curve-sized point result that is wiped on destruction (it holds the shared secret).
struct secret_point : point_result {
    secret_point() = default;
    secret_point(const secret_point&) = delete;
    secret_point& operator=(const secret_point&) = delete;
    ~secret_point() {
        secure_zero(point.x.buffer.data(), point.x.buffer.size());
        secure_zero(point.y.buffer.data(), point.y.buffer.size());
    }
    /// x2 || y2 into buf (2 * curve bytes).
    [[nodiscard]] byte_view concat(std::array<std::uint8_t, 2 * crypto::max_ecc_bytes>& buf) const noexcept {
        std::copy(point.x.view().begin(), point.x.view().end(), buf.begin());
        std::copy(point.y.view().begin(), point.y.view().end(), buf.begin() + point.x.size);
        return {buf.data(), static_cast<std::size_t>(point.x.size + point.y.size)};
    }
};

} // namespace detail

namespace cmd {

/// TPM2_ECC_Encrypt (Part 3 §14.8): with the public part of an ECC key (TPM_RC_KEY + H1);
/// the KDF must be KDF2 (TPM_RC_SCHEME + P2); a public key off the curve is TPM_RC_KEY + H1.
template <class P>
rc handle(engine<P>& e, ecc_encrypt, command_context& c, const ecc_encrypt::request& in, ecc_encrypt::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::ecc_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    detail::scheme_choice kdf;
    if (!detail::select_ecc_kdf(*parms, in.in_scheme, kdf)) return rc::scheme.for_param(2);
    if constexpr (!detail::has_ecc<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto curve = parms->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
        if (!e.crypto.ecc_point_valid(curve, detail::ecc_public(*o))) return rc::key.for_handle(1);
        const crypto::random_source rnd = [&e](byte_span b) { e.crypto.random(b); };
        detail::scalar_buffer k;
        detail::point_result c1;
        detail::secret_point p2;
        rc r = e.crypto.ecc_generate(curve, rnd, k.first(info->order_bytes), c1.out(*info));
        if (r.ok()) r = e.crypto.ecc_multiply(curve, k.first(info->order_bytes), detail::ecc_public(*o), p2.out(*info));
        if (!r.ok()) return r;
        std::array<std::uint8_t, 2 * crypto::max_ecc_bytes> z{};
        const byte_view m = in.plain_text.view();
        detail::ecc_encrypt_check_value(e, kdf.hash, p2.point, m, out.c3);
        auto c2 = out.c2.resize(m.size());
        std::copy(m.begin(), m.end(), c2.begin());
        detail::kdf2_xor(e, kdf.hash, p2.concat(z), c2);
        secure_zero(z.data(), z.size());
        out.c1.value = c1.point;
        return rc::success;
    }
}

/// TPM2_ECC_Decrypt (Part 3 §14.9): an ECC key (TPM_RC_KEY + H1) with restricted CLEAR and
/// decrypt SET (TPM_RC_ATTRIBUTES + H1); the KDF must be KDF2 (TPM_RC_SCHEME + P4); C1 must be
/// a point of the key's curve (TPM_RC_ECC_POINT + P1); C3 must match (TPM_RC_VALUE + P3), and
/// no plaintext is returned otherwise.
template <class P>
rc handle(engine<P>& e, ecc_decrypt, command_context& c, const ecc_decrypt::request& in, ecc_decrypt::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::ecc_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (o->has(object_attr::restricted) || !o->has(object_attr::decrypt)) return rc::attributes.for_handle(1);
    detail::scheme_choice kdf;
    if (!detail::select_ecc_kdf(*parms, in.in_scheme, kdf)) return rc::scheme.for_param(4);
    if constexpr (!detail::has_ecc<P>) {
        return rc::key.for_handle(1);
    } else {
        const auto curve = parms->curve_id.value;
        const auto* info = crypto::find_ecc_curve(curve);
        if (!info || !e.crypto.curve_supported(curve)) return rc::curve;
        const auto c1 = detail::point_view(in.c1);
        if (!e.crypto.ecc_point_valid(curve, c1)) return rc::ecc_point.for_param(1);
        detail::secret_point p2;
        rc r = e.crypto.ecc_multiply(curve, detail::sensitive_bytes<alg::ecc>(*o), c1, p2.out(*info));
        if (r == rc::no_result) return rc::key.for_handle(1); // no usable private key
        if (!r.ok()) return r;
        std::array<std::uint8_t, 2 * crypto::max_ecc_bytes> z{};
        auto m = out.plain_text.resize(in.c2.size);
        std::copy(in.c2.view().begin(), in.c2.view().end(), m.begin());
        detail::kdf2_xor(e, kdf.hash, p2.concat(z), m);
        secure_zero(z.data(), z.size());
        tpm2b_digest v;
        detail::ecc_encrypt_check_value(e, kdf.hash, p2.point, m, v);
        if (!ct_equal(v.view(), in.c3.view())) {
            secure_zero(m.data(), m.size());
            out.plain_text.clear();
            return rc::value.for_param(3);
        }
        return rc::success;
    }
}

} // namespace cmd
} // namespace vtpm
