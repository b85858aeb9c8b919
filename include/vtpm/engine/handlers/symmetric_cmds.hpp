// Handlers: Part 3 §15.2 TPM2_EncryptDecrypt, §15.3 TPM2_EncryptDecrypt2, §15.6 TPM2_MAC
// (= §15.5 TPM2_HMAC) and §17.3 TPM2_MAC_Start (= §17.2 TPM2_HMAC_Start).
#pragma once
#include <array>
#include <cstdint>

#include "vtpm/commands/symmetric_cmds.hpp"
#include "vtpm/crypto/cmac.hpp"
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

/// The MAC of TPM2_MAC / TPM2_MAC_Start: a hash (HMAC) or TPM_ALG_CMAC with `cipher`.
struct mac_choice {
    tpm_alg_id alg = alg::null;
    tpm_alg_id cipher = alg::null;
    byte_view key;
};

/// Key and scheme checks of TPM2_MAC / TPM2_MAC_Start (Part 3 §15.6.1, §17.3.1, Table 82):
/// a KEYEDHASH or SYMCIPHER key (TPM_RC_TYPE + H1), unrestricted (TPM_RC_ATTRIBUTES + H1),
/// with sign SET (TPM_RC_KEY + H1). inScheme must equal the key's scheme (HMAC hash, or the
/// cipher key's mode) or be NULL when the key has one, and must name a MAC when it has none;
/// the algorithm used must be a hash for a KEYEDHASH key and CMAC for a SYMCIPHER key
/// (TPM_RC_VALUE + P2 otherwise).
[[nodiscard]] inline rc select_mac(const loaded_object* o, tpm_alg_id in, mac_choice& out) noexcept {
    const tpm_alg_id type = o ? o->pub.type.value : alg::null;
    if (type != alg::keyedhash && type != alg::symcipher) return rc::type.for_handle(1);
    if (o->has(object_attr::restricted)) return rc::attributes.for_handle(1);
    if (!o->has(object_attr::sign_encrypt)) return rc::key.for_handle(1);
    if (!o->has_sensitive) return rc::handle.for_handle(1); // public area only: no key
    tpm_alg_id key_scheme = alg::null;
    if (type == alg::keyedhash) {
        const auto k = scheme_of(keyedhash_parms(*o)->scheme);
        key_scheme = k.scheme == alg::hmac ? k.hash : k.scheme;
    } else {
        symcipher_parms(*o)->sym.mode.visit([&](const auto& m) {
            if constexpr (requires { m.value; }) key_scheme = m.value;
        });
    }
    tpm_alg_id used = in;
    if (key_scheme != alg::null) {
        if (in != alg::null && in != key_scheme) return rc::value.for_param(2);
        used = key_scheme;
    }
    if (type == alg::keyedhash) {
        if (!vtpm::detail::is_hash_alg(used)) return rc::value.for_param(2);
        out = {used, alg::null, sensitive_bytes<alg::keyedhash>(*o)};
    } else {
        if (used != alg::cmac) return rc::value.for_param(2);
        out = {alg::cmac, symcipher_parms(*o)->sym.algorithm.value, sensitive_bytes<alg::symcipher>(*o)};
    }
    return rc::success;
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

/// TPM2_MAC (Part 3 §15.6; = TPM2_HMAC, §15.5): an HMAC with a keyed-hash key or a CMAC
/// with a symmetric cipher key; see detail::select_mac for the checks.
template <class P>
rc handle(engine<P>& e, mac, command_context& c, const mac::request& in, mac::response& out) {
    detail::mac_choice m;
    if (rc r = detail::select_mac(e.object_at(c.handles[0]), in.in_scheme.value, m); !r.ok()) return r;
    if (m.alg != alg::cmac) {
        e.crypto.hmac(m.alg, m.key, in.buffer.view(), out.out_mac.resize(hash_digest_size(m.alg)));
        return rc::success;
    }
    if constexpr (!crypto::symmetric_provider<typename P::crypto>) {
        return rc::value.for_param(2);
    } else {
        rc r = crypto::cmac(e.crypto, m.cipher, m.key, in.buffer.view(),
                            out.out_mac.resize(crypto::sym_block_size(m.cipher)));
        if (!r.ok()) {
            out.out_mac.clear();
            return r == rc::failure ? r : rc::key.for_handle(1);
        }
        return rc::success;
    }
}

/// TPM2_MAC_Start (Part 3 §17.3; = TPM2_HMAC_Start, §17.2): an HMAC or CMAC sequence object
/// with authValue auth (same key checks as TPM2_MAC; TPM_RC_OBJECT_MEMORY when no slot is
/// free). SequenceUpdate / SequenceComplete (handlers/hash.hpp) continue it.
template <class P>
rc handle(engine<P>& e, mac_start, command_context& c, const mac_start::request& in, no_params&) {
    detail::mac_choice m;
    if (rc r = detail::select_mac(e.object_at(c.handles[0]), in.in_scheme.value, m); !r.ok()) return r;
    auto slot = e.free_object_slot();
    if (!slot) return rc::object_memory;
    typename engine<P>::sequence s;
    s.auth = in.auth;
    s.alg = m.alg;
    if (m.alg != alg::cmac) {
        s.type = engine<P>::sequence::kind::hmac;
        s.hmac.emplace(e.crypto.hmac_start(m.alg, m.key));
    } else if constexpr (!crypto::symmetric_provider<typename P::crypto>) {
        return rc::value.for_param(2);
    } else {
        s.type = engine<P>::sequence::kind::mac;
        if (rc r = crypto::cmac_start(e.crypto, m.cipher, m.key, s.cmac.emplace()); !r.ok())
            return r == rc::failure ? r : rc::key.for_handle(1);
    }
    e.objects[*slot] = std::move(s);
    c.response_handle = e.object_handle(*slot);
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
