// Handlers: Part 3 §15.2 TPM2_EncryptDecrypt, §15.3 TPM2_EncryptDecrypt2, §15.5 TPM2_HMAC.
#pragma once
#include <array>
#include <cstdint>

#include "vtpm/commands/symmetric_cmds.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/handlers/asymmetric.hpp"

namespace vtpm {
namespace detail {

/// Parameter numbers of the EncryptDecrypt fields (they differ between the two commands).
struct encrypt_decrypt_params {
    unsigned decrypt, mode, iv_in, in_data;
};

/// The body of TPM2_EncryptDecrypt and TPM2_EncryptDecrypt2 (Part 3 §15.2.1, Table 64):
///   the key is a symmetric cipher (TPM_RC_KEY + H1), unrestricted, and has decrypt SET to
///   decrypt or sign SET to encrypt (TPM_RC_ATTRIBUTES + H1);
///   mode: the key's mode, which the command may repeat or leave NULL; any cipher mode when
///   the key's is NULL (TPM_RC_MODE);
///   ivIn is one cipher block (ECB: empty), inData whole blocks for CBC and ECB (TPM_RC_SIZE);
///   ivOut is the chaining value (ECB: empty).
template <class P>
rc encrypt_decrypt(engine<P>& e, command_context& c, bool decrypt, tpm_alg_id mode, const tpm2b_iv& iv_in,
                   const tpm2b_max_buffer& in_data, tpm2b_max_buffer& out_data, tpm2b_iv& iv_out,
                   encrypt_decrypt_params pn) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? symcipher_parms(*o) : nullptr;
    if (!parms) return rc::key.for_handle(1);
    if (o->has(object_attr::restricted)) return rc::attributes.for_handle(1);
    if (!o->has(decrypt ? object_attr::decrypt : object_attr::sign_encrypt)) return rc::attributes.for_handle(1);
    const auto& sym = parms->sym;
    tpm_alg_id key_mode = alg::null;
    sym.mode.visit([&](const auto& m) {
        if constexpr (requires { m.value; }) key_mode = m.value;
    });
    if (key_mode != alg::null) {
        if (mode != alg::null && mode != key_mode) return rc::mode.for_param(pn.mode);
        mode = key_mode;
    } else if (mode == alg::null) {
        return rc::mode.for_param(pn.mode);
    }
    const tpm_alg_id cipher = sym.algorithm.value;
    const std::size_t block = crypto::sym_block_size(cipher);
    if (mode == alg::ecb ? !iv_in.empty() : iv_in.size != block) return rc::size.for_param(pn.iv_in);
    if (crypto::sym_mode_needs_blocks(mode) && in_data.size % block != 0) return rc::size.for_param(pn.in_data);
    if constexpr (!crypto::symmetric_provider<typename P::crypto>) {
        return rc::key.for_handle(1);
    } else {
        const byte_view key = sensitive_bytes<alg::symcipher>(*o);
        auto dst = out_data.resize(in_data.size);
        auto ivo = mode == alg::ecb ? iv_out.resize(0) : iv_out.resize(block);
        rc r = decrypt ? e.crypto.sym_decrypt(cipher, mode, key, iv_in.view(), in_data.view(), dst, ivo)
                       : e.crypto.sym_encrypt(cipher, mode, key, iv_in.view(), in_data.view(), dst, ivo);
        if (!r.ok()) {
            out_data.clear();
            iv_out.clear();
            return r == rc::failure ? r : r.for_param(pn.in_data);
        }
        return rc::success;
    }
}

} // namespace detail

namespace cmd {

/// TPM2_EncryptDecrypt (Part 3 §15.2).
template <class P>
rc handle(engine<P>& e, encrypt_decrypt, command_context& c, const encrypt_decrypt::request& in,
          encrypt_decrypt::response& out) {
    return detail::encrypt_decrypt(e, c, in.decrypt.value == 1, in.mode.value, in.iv_in, in.in_data, out.out_data,
                                   out.iv_out, {1, 2, 3, 4});
}

/// TPM2_EncryptDecrypt2 (Part 3 §15.3): the same with inData first.
template <class P>
rc handle(engine<P>& e, encrypt_decrypt2, command_context& c, const encrypt_decrypt2::request& in,
          encrypt_decrypt2::response& out) {
    return detail::encrypt_decrypt(e, c, in.decrypt.value == 1, in.mode.value, in.iv_in, in.in_data, out.out_data,
                                   out.iv_out, {2, 3, 4, 1});
}

/// TPM2_HMAC (Part 3 §15.5): an unrestricted KEYEDHASH signing key (TPM_RC_TYPE,
/// TPM_RC_ATTRIBUTES, TPM_RC_KEY + H1). hashAlg must be the key's HMAC hash or NULL when the
/// key has one, and a hash when it has none (TPM_RC_VALUE + P2).
template <class P>
rc handle(engine<P>& e, hmac, command_context& c, const hmac::request& in, hmac::response& out) {
    const auto* o = e.object_at(c.handles[0]);
    const auto* parms = o ? detail::keyedhash_parms(*o) : nullptr;
    if (!parms) return rc::type.for_handle(1);
    if (o->has(object_attr::restricted)) return rc::attributes.for_handle(1);
    if (!o->has(object_attr::sign_encrypt)) return rc::key.for_handle(1);
    const auto k = detail::scheme_of(parms->scheme);
    tpm_alg_id h = in.hash_alg.value;
    if (k.scheme == alg::hmac) {
        if (h != alg::null && h != k.hash) return rc::value.for_param(2);
        h = k.hash;
    } else if (h == alg::null) {
        return rc::value.for_param(2);
    }
    e.crypto.hmac(h, detail::sensitive_bytes<alg::keyedhash>(*o), in.buffer.view(),
                  out.out_hmac.resize(hash_digest_size(h)));
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
