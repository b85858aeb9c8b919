// Authorization sessions (Part 1 §19-§21): the session state, cpHash/rpHash, the HMAC of
// an authorization, and parameter encryption (CFB and XOR).
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include "vtpm/core/bytes.hpp"
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/crypto/kdf.hpp"
#include "vtpm/crypto/symmetric.hpp"
#include "vtpm/types/algorithms.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm {

namespace detail {
/// Strip trailing zero octets (Part 1 §19.6.4: authValues are used without them).
inline byte_view trim_zeros(byte_view b) noexcept {
    std::size_t n = b.size();
    while (n > 0 && b[n - 1] == 0) --n;
    return b.first(n);
}
} // namespace detail

/// One HMAC, policy or trial session.
struct auth_session {
    std::uint8_t type = se::hmac;
    tpm_alg_id auth_hash = alg::sha256;
    tpm2b_digest session_key;
    tpm2b_nonce nonce_tpm;
    tpm2b_nonce nonce_caller;
    tpm_alg_id sym_alg = alg::null; // TPM_ALG_NULL, TPM_ALG_XOR or a block cipher (CFB)
    std::uint16_t sym_key_bits = 0;
    bool bound = false;
    tpm2b_name bind_name; // the entity the session is bound to (its Name)
    // Policy state (Part 1 §19.7).
    tpm2b_digest policy_digest;
    bool need_auth_value = false; // PolicyAuthValue
    bool need_password = false;   // PolicyPassword
    std::uint32_t command_code = 0;
    bool pcr_checked = false;
    std::uint32_t pcr_update_counter = 0;
    // Session audit (Part 1 §17): set once the session has been used with audit SET.
    bool audit = false;
    tpm2b_digest audit_digest;
    // Deferred policy assertions (Part 3 §23.2.4).
    tpm2b_digest cp_hash;           // PolicyCpHash, PolicySigned/Secret/Ticket cpHashA
    tpm2b_digest name_hash;         // PolicyNameHash, PolicyDuplicationSelect
    tpm2b_digest template_hash;     // PolicyTemplate
    tpm2b_digest params_hash;       // PolicyParameters
    std::uint8_t command_locality = 0; // PolicyLocality: 0 = any, else TPMA_LOCALITY or an extended locality
    bool pp_required = false;       // PolicyPhysicalPresence
    bool check_nv_written = false;  // PolicyNvWritten
    bool nv_written_state = false;
    std::uint64_t start_time = 0;   // Time (ms) when the current nonceTPM was made
    std::uint64_t timeout = 0;      // Time (ms) after which the policy has expired; 0 = none
    std::uint64_t time_epoch = 0;   // the boot cycle of start_time (resetCount, restartCount)

    ~auth_session() { secure_zero(session_key.buffer.data(), session_key.buffer.size()); }
    auth_session() = default;
    auth_session(const auth_session&) = default;
    auth_session& operator=(const auth_session&) = default;

    [[nodiscard]] bool is_policy() const noexcept { return type == se::policy || type == se::trial; }
    void restart_policy() noexcept {
        policy_digest.resize(hash_digest_size(auth_hash));
        std::fill(policy_digest.buffer.begin(), policy_digest.buffer.end(), 0);
        need_auth_value = need_password = pcr_checked = false;
        command_code = 0;
        cp_hash.clear();
        name_hash.clear();
        template_hash.clear();
        params_hash.clear();
        command_locality = 0;
        pp_required = check_nv_written = nv_written_state = false;
        timeout = 0;
    }
};

namespace session_crypto {

/// cpHash (Part 1 §18.7): H(commandCode || Name1 || ... || parameters as received).
/// rpHash: H(responseCode || commandCode || response parameters).
template <crypto::hash_provider C>
void cp_hash(C& c, tpm_alg_id h, tpm_cc code, std::span<const tpm2b_name> names, byte_view params, byte_span out) {
    auto st = c.hash_start(h);
    std::uint8_t cc_bytes[4];
    store_be32(cc_bytes, code);
    st.update(cc_bytes);
    for (const auto& n : names) st.update(n.view());
    st.update(params);
    st.finish(out);
}
template <crypto::hash_provider C>
void rp_hash(C& c, tpm_alg_id h, tpm_cc code, byte_view params, byte_span out) {
    auto st = c.hash_start(h);
    std::uint8_t head[8] = {};
    store_be32(head + 4, code); // responseCode (0) || commandCode
    st.update(head);
    st.update(params);
    st.finish(out);
}

/// The HMAC of an authorization (Part 1 §19.6.5, §19.6.6):
///   HMAC_authHash(sessionKey || authValue, pHash || nonceNewer || nonceOlder
///                 [|| nonceDecrypt] [|| nonceEncrypt] || sessionAttributes)
template <crypto::hmac_provider C>
void auth_hmac(C& c, tpm_alg_id h, byte_view session_key, byte_view auth_value, byte_view phash, byte_view newer,
               byte_view older, byte_view nonce_decrypt, byte_view nonce_encrypt, std::uint8_t attrs, byte_span out) {
    std::array<std::uint8_t, 2 * limits::max_digest> key{};
    if (!session_key.empty()) std::memcpy(key.data(), session_key.data(), session_key.size());
    if (!auth_value.empty()) std::memcpy(key.data() + session_key.size(), auth_value.data(), auth_value.size());
    auto st = c.hmac_start(h, byte_view{key.data(), session_key.size() + auth_value.size()});
    secure_zero(key.data(), key.size());
    st.update(phash);
    st.update(newer);
    st.update(older);
    st.update(nonce_decrypt);
    st.update(nonce_encrypt);
    st.update(byte_view{&attrs, 1});
    st.finish(out);
}

/// Parameter encryption of the first TPM2B parameter (Part 1 §21): CFB with
/// key || iv = KDFa(hash, sessionValue, "CFB", nonceNewer, nonceOlder, keyBits + blockBits),
/// or XOR with mask = KDFa(hash, sessionValue, "XOR", nonceNewer, nonceOlder, 8 * size).
/// For a command nonceNewer is nonceCaller; for a response, nonceTPM.
template <class C>
rc param_crypt(C& c, const auth_session& s, byte_view session_value, byte_view newer, byte_view older, byte_span data,
               bool encrypt) {
    if (data.empty()) return rc::success;
    if (s.sym_alg == alg::xor_) {
        bytes mask(data.size());
        rc r = crypto::kdfa(c, s.auth_hash, session_value, "XOR", newer, older,
                            static_cast<std::uint32_t>(8 * data.size()), mask);
        if (!r.ok()) return r;
        for (std::size_t i = 0; i < data.size(); ++i) data[i] ^= mask[i];
        secure_zero(mask.data(), mask.size());
        return rc::success;
    }
    if constexpr (crypto::symmetric_provider<C>) {
        const std::size_t kb = s.sym_key_bits / 8, bb = crypto::sym_block_size(s.sym_alg);
        std::array<std::uint8_t, 64> kiv{};
        rc r = crypto::kdfa(c, s.auth_hash, session_value, "CFB", newer, older,
                            static_cast<std::uint32_t>(8 * (kb + bb)), byte_span{kiv.data(), kb + bb});
        if (!r.ok()) return r;
        r = encrypt ? c.cfb_encrypt(s.sym_alg, byte_view{kiv.data(), kb}, byte_view{kiv.data() + kb, bb}, data)
                    : c.cfb_decrypt(s.sym_alg, byte_view{kiv.data(), kb}, byte_view{kiv.data() + kb, bb}, data);
        secure_zero(kiv.data(), kiv.size());
        return r;
    } else {
        return rc::symmetric;
    }
}

} // namespace session_crypto
} // namespace vtpm

// The fields a saved session context carries (engine/handlers/context.hpp).
#include <boost/hana/adapt_struct.hpp>
BOOST_HANA_ADAPT_STRUCT(vtpm::auth_session, type, auth_hash, session_key, nonce_tpm, nonce_caller, sym_alg, sym_key_bits,
                        bound, bind_name, policy_digest, need_auth_value, need_password, command_code, pcr_checked,
                        pcr_update_counter, audit, audit_digest, cp_hash, name_hash, template_hash,
                        command_locality, pp_required, check_nv_written, nv_written_state, start_time, timeout,
                        time_epoch, params_hash);
