// Handlers: Part 3 §11 Session Commands and the policy commands implemented so far (§23).
#pragma once
#include <algorithm>
#include <array>

#include "vtpm/commands/session.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/secret.hpp"

namespace vtpm {
namespace detail {
/// The value a TPMU member holds, when it is a TPMI (mode or key bits of a TPMT_SYM_DEF).
template <class U>
std::uint32_t tpmu_value(const U& u) {
    return u.visit([](const auto& m) -> std::uint32_t {
        if constexpr (requires { m.value; }) return static_cast<std::uint32_t>(m.value);
        else return 0;
    });
}

/// policyDigest := H_authHash(policyDigest || data...)  (Part 1 §19.7.2)
template <class P, class... B>
void policy_update(engine<P>& e, auth_session& s, const B&... parts) {
    auto st = e.crypto.hash_start(s.auth_hash);
    st.update(s.policy_digest.view());
    (st.update(byte_view{parts}), ...);
    st.finish(s.policy_digest.span());
}
inline std::array<std::uint8_t, 4> be32(std::uint32_t v) {
    std::array<std::uint8_t, 4> b{};
    store_be32(b.data(), v);
    return b;
}
} // namespace detail

namespace cmd {

/// TPM2_StartAuthSession (Part 3 §11.1): HMAC, policy and trial sessions, bound or unbound,
/// salted (RSA OAEP or ECC ECDH + KDFe with tpmKey) or not.
template <class P>
rc handle(engine<P>& e, start_auth_session, command_context& c, const start_auth_session::request& in,
          start_auth_session::response& out) {
    const tpm_handle key = c.handles[0], bind = c.handles[1];
    const tpm_alg_id h = in.auth_hash.value;
    const auto ds = hash_digest_size(h);
    if (in.nonce_caller.size < 16 || in.nonce_caller.size > ds) return rc::size.for_param(1);
    // symmetric: TPM_ALG_NULL, TPM_ALG_XOR or a block cipher in CFB mode.
    const tpm_alg_id sa = in.symmetric.algorithm.value;
    std::uint16_t bits = 0;
    if (sa != alg::null && sa != alg::xor_) {
        if (detail::tpmu_value(in.symmetric.mode) != alg::cfb) return rc::mode.for_param(4);
        bits = static_cast<std::uint16_t>(detail::tpmu_value(in.symmetric.key_bits));
        if constexpr (crypto::symmetric_provider<typename engine<P>::crypto_type>) {
            if (!e.crypto.sym_supported(sa, bits)) return rc::symmetric.for_param(4);
        } else {
            return rc::symmetric.for_param(4);
        }
    }
    // A salt is decrypted with tpmKey, a loaded asymmetric decryption key (Labeled KEM with
    // the label "SECRET", Part 1 §21.3); without tpmKey there is no salt.
    tpm2b_digest salt;
    if (key == rh::null) {
        if (!in.encrypted_salt.empty()) return rc::value.for_param(2);
    } else {
        const loaded_object* k = e.object_at(key);
        if (!k) return rc::handle.for_handle(1); // a sequence object
        if (k->pub.type.value != alg::rsa && k->pub.type.value != alg::ecc) return rc::type.for_handle(1);
        if (!k->has(object_attr::decrypt)) return rc::attributes.for_handle(1);
        if (!k->has_sensitive) return rc::handle.for_handle(1); // only the public part is loaded
        rc r = secret::decapsulate(e.crypto, k->pub, k->sens, secret::salt_label, in.encrypted_salt.view(), salt);
        if (r == rc::failure) return rc::failure;
        if (!r.ok()) return r.for_param(2);
    }
    if (!e.session_memory_available()) return rc::session_memory;
    const auto slot = e.free_session_slot();
    if (!slot) return rc::session_handles;

    auth_session s;
    s.type = in.session_type.value;
    s.auth_hash = h;
    s.sym_alg = sa;
    s.sym_key_bits = bits;
    s.nonce_caller = in.nonce_caller;
    e.crypto.random(s.nonce_tpm.resize(ds));
    std::array<std::uint8_t, 2 * limits::max_digest> material{};
    std::size_t mlen = 0;
    if (bind != rh::null) {
        const tpm2b_auth* av = e.auth_value(bind);
        if (!av) return rc::handle.for_handle(2);
        auto t = detail::trim_zeros(av->view());
        std::memcpy(material.data(), t.data(), t.size());
        mlen = t.size();
        s.bound = true;
        s.bind_name = e.entity_name(bind);
    }
    if (!salt.empty()) {
        std::memcpy(material.data() + mlen, salt.buffer.data(), salt.size);
        mlen += salt.size;
        secure_zero(salt.buffer.data(), salt.buffer.size());
    }
    if (mlen > 0 || s.bound) {
        // sessionKey := KDFa(authHash, bindAuth || salt, "ATH", nonceTPM, nonceCaller, bits)
        rc r = crypto::kdfa(e.crypto, h, byte_view{material.data(), mlen}, "ATH", s.nonce_tpm.view(),
                            s.nonce_caller.view(), static_cast<std::uint32_t>(8 * ds), s.session_key.resize(ds));
        secure_zero(material.data(), material.size());
        if (!r.ok()) return rc::failure;
    }
    s.restart_policy();
    s.start_time = e.time();
    s.time_epoch = (std::uint64_t{e.nv.reset_count} << 32) | e.nv.restart_count; // policy::time_epoch
    out.nonce_tpm = s.nonce_tpm;
    e.sessions[*slot] = s;
    c.response_handle = engine<P>::session_handle(*slot, s.is_policy());
    return rc::success;
}

/// TPM2_PolicyRestart (Part 3 §11.2)
template <class P>
rc handle(engine<P>& e, policy_restart, command_context& c, const no_params&, no_params&) {
    e.session_at(c.handles[0])->restart_policy();
    return rc::success;
}

/// TPM2_PolicyPCR (Part 3 §23.7): binds the policy to PCR values.
///   digestTPM := H(selected PCR values, in selection order)
///   policyDigest := H(policyDigest || TPM_CC_PolicyPCR || pcrs || digestTPM)
template <class P>
rc handle(engine<P>& e, policy_pcr, command_context& c, const policy_pcr::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    const auto ds = hash_digest_size(s.auth_hash);
    std::array<std::uint8_t, limits::max_digest> digest{};
    {
        auto st = e.crypto.hash_start(s.auth_hash);
        for (const auto& sel : in.pcrs.view()) {
            auto* b = e.bank(sel.hash.value);
            if (!b) continue;
            const auto n = hash_digest_size(b->alg);
            for (unsigned p = 0; p < e.pcr_count; ++p)
                if (sel.selected(p)) st.update(byte_view{b->values[p].data(), n});
        }
        st.finish(byte_span{digest.data(), ds});
    }
    byte_view use{digest.data(), ds};
    if (s.type == se::trial) {
        if (!in.pcr_digest.empty()) use = in.pcr_digest.view();
    } else if (!in.pcr_digest.empty() && !ct_equal(in.pcr_digest.view(), use)) {
        return rc::value.for_param(1);
    }
    std::array<std::uint8_t, 4 + limits::hash_count * (2 + 1 + limits::pcr_select_max)> sel_buf{};
    writer w{sel_buf};
    vtpm::marshal(w, in.pcrs);
    detail::policy_update(e, s, detail::be32(cc::policy_pcr), w.written(), use);
    if (s.type != se::trial) {
        s.pcr_checked = true;
        s.pcr_update_counter = e.sr.pcr_update_counter;
    }
    return rc::success;
}

/// TPM2_PolicyCommandCode (Part 3 §23.11)
template <class P>
rc handle(engine<P>& e, policy_command_code, command_context& c, const policy_command_code::request& in, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    if (s.command_code != 0 && s.command_code != in.command_code) return rc::value.for_param(1);
    if (!find_command<P>(in.command_code)) return rc::policy_cc.for_param(1);
    s.command_code = in.command_code;
    detail::policy_update(e, s, detail::be32(cc::policy_command_code), detail::be32(in.command_code));
    return rc::success;
}

/// TPM2_PolicyAuthValue (Part 3 §23.17): the authorization needs an HMAC with the authValue.
template <class P>
rc handle(engine<P>& e, policy_auth_value, command_context& c, const no_params&, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    detail::policy_update(e, s, detail::be32(cc::policy_auth_value));
    s.need_auth_value = true;
    s.need_password = false;
    return rc::success;
}

/// TPM2_PolicyPassword (Part 3 §23.18): the authorization is the plain authValue; the
/// policy digest is the same as PolicyAuthValue's.
template <class P>
rc handle(engine<P>& e, policy_password, command_context& c, const no_params&, no_params&) {
    auto& s = *e.session_at(c.handles[0]);
    detail::policy_update(e, s, detail::be32(cc::policy_auth_value));
    s.need_password = true;
    s.need_auth_value = false;
    return rc::success;
}

/// TPM2_PolicyGetDigest (Part 3 §23.19)
template <class P>
rc handle(engine<P>& e, policy_get_digest, command_context& c, const no_params&, policy_get_digest::response& out) {
    out.policy_digest = e.session_at(c.handles[0])->policy_digest;
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
