// A password-protected PKCS#12 file (RFC 7292) holding one secret: the key of a native key
// provider. Written in the profile OpenSSL 3 uses by default:
//
//   PFX v3
//     authSafe: ContentInfo(data) -> AuthenticatedSafe
//       ContentInfo(encryptedData): PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) over SafeContents
//         SafeBag secretBag (1.2.840.113549.1.12.10.1.5)
//           SecretBag { secretTypeId id-aes256-CBC, secretValue OCTET STRING (the key) }
//           attributes: friendlyName (BMPString), localKeyId (OCTET STRING)
//     macData: HMAC-SHA256 over the AuthenticatedSafe, key from the RFC 7292 Appendix B KDF
//
// The reader accepts what the writer produces (and the same layout from other writers).
#pragma once
#include <cstdint>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/der_enc.h>
#include <botan/exceptn.h>
#include <botan/hash.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/oids.h>
#include <botan/pbes2.h>
#include <botan/rng.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/platform/error.hpp"
#include "vtpm/platform/key_provider.hpp"

namespace vtpm::platform::pkcs12 {

struct secret_bag {
    secret value;
    std::string friendly_name;  // ASCII
    bytes local_key_id;
};

namespace detail {
inline const Botan::OID oid_data{1, 2, 840, 113549, 1, 7, 1};
inline const Botan::OID oid_encrypted_data{1, 2, 840, 113549, 1, 7, 6};
inline const Botan::OID oid_secret_bag{1, 2, 840, 113549, 1, 12, 10, 1, 5};
inline const Botan::OID oid_aes256_cbc{2, 16, 840, 1, 101, 3, 4, 1, 42};
inline const Botan::OID oid_friendly_name{1, 2, 840, 113549, 1, 9, 20};
inline const Botan::OID oid_local_key_id{1, 2, 840, 113549, 1, 9, 21};
inline const Botan::OID oid_sha256{2, 16, 840, 1, 101, 3, 4, 2, 1};
inline const Botan::OID oid_pbes2{1, 2, 840, 113549, 1, 5, 13};

/// The password as a BMPString with a two-byte NUL terminator (RFC 7292 Appendix B.1).
/// UTF-8 input; characters outside the Basic Multilingual Plane are refused.
inline secret bmp_password(std::string_view pw) {
    secret out;
    for (std::size_t i = 0; i < pw.size();) {
        const auto c = static_cast<std::uint8_t>(pw[i]);
        std::uint32_t cp = 0;
        std::size_t n = 0;
        if (c < 0x80) { cp = c; n = 1; }
        else if ((c & 0xE0) == 0xC0) { cp = c & 0x1Fu; n = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0Fu; n = 3; }
        else throw error(errc::invalid_argument, "vtpm: the password must be UTF-8 text without characters outside the BMP");
        if (i + n > pw.size()) throw error(errc::invalid_argument, "vtpm: the password is not valid UTF-8");
        for (std::size_t k = 1; k < n; ++k) {
            const auto d = static_cast<std::uint8_t>(pw[i + k]);
            if ((d & 0xC0) != 0x80) throw error(errc::invalid_argument, "vtpm: the password is not valid UTF-8");
            cp = (cp << 6) | (d & 0x3Fu);
        }
        out.push_back(static_cast<std::uint8_t>(cp >> 8));
        out.push_back(static_cast<std::uint8_t>(cp));
        i += n;
    }
    out.push_back(0);
    out.push_back(0);
    return out;
}

/// RFC 7292 Appendix B.2 key derivation with SHA-256 (u = 32, v = 64).
inline secret kdf(std::uint8_t id, const secret& bmp_pw, byte_view salt, std::size_t iterations, std::size_t n) {
    constexpr std::size_t u = 32, v = 64;
    auto fill = [&](byte_view src) {
        secret out;
        if (src.empty()) return out;
        const std::size_t len = v * ((src.size() + v - 1) / v);
        out.resize(len);
        for (std::size_t i = 0; i < len; ++i) out[i] = src[i % src.size()];
        return out;
    };
    secret I = fill(salt);
    const secret P = fill(bmp_pw);
    I.insert(I.end(), P.begin(), P.end());
    auto h = Botan::HashFunction::create_or_throw("SHA-256");
    secret result;
    while (result.size() < n) {
        h->update(secret(v, id));
        h->update(I);
        secret A = h->final();
        for (std::size_t r = 1; r < iterations; ++r) A = h->process(A);
        result.insert(result.end(), A.begin(), A.end());
        if (result.size() >= n) break;
        // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v octets.
        for (std::size_t j = 0; j < I.size(); j += v) {
            unsigned carry = 1;
            for (std::size_t k = v; k-- > 0;) {
                const unsigned s = I[j + k] + A[k % u] + carry;
                I[j + k] = static_cast<std::uint8_t>(s);
                carry = s >> 8;
            }
        }
    }
    result.resize(n);
    return result;
}

inline secret mac(const secret& bmp_pw, byte_view salt, std::size_t iterations, byte_view data) {
    auto key = kdf(3, bmp_pw, salt, iterations, 32);
    auto m = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    m->set_key(key);
    m->update(data.data(), data.size());
    return m->final();
}

inline bytes ascii_to_bmp(std::string_view s) {
    bytes out;
    for (char c : s) {
        out.push_back(0);
        out.push_back(static_cast<std::uint8_t>(c));
    }
    return out;
}
} // namespace detail

/// Encode `bag` in a PKCS#12 file protected by `password`.
inline bytes write(const secret_bag& bag, std::string_view password, Botan::RandomNumberGenerator& rng,
                   std::size_t iterations = 100000) {
    using namespace Botan;
    if (password.empty()) throw error(errc::invalid_argument, "vtpm: a backup needs a non-empty password");
    const secret bmp = detail::bmp_password(password);
    DER_Encoder contents;
    contents.start_cons(SEQUENCE)
        .start_cons(SEQUENCE)
        .encode(detail::oid_secret_bag)
        .start_explicit(0)
        .start_cons(SEQUENCE)
        .encode(detail::oid_aes256_cbc)
        .start_explicit(0)
        .encode(bag.value, OCTET_STRING)
        .end_explicit()
        .end_cons()
        .end_explicit()
        .start_cons(SET)
        .start_cons(SEQUENCE)
        .encode(detail::oid_friendly_name)
        .start_cons(SET)
        .add_object(BMP_STRING, UNIVERSAL, detail::ascii_to_bmp(bag.friendly_name))
        .end_cons()
        .end_cons()
        .start_cons(SEQUENCE)
        .encode(detail::oid_local_key_id)
        .start_cons(SET)
        .encode(bag.local_key_id, OCTET_STRING)
        .end_cons()
        .end_cons()
        .end_cons()
        .end_cons()
        .end_cons();
    const secret safe_contents = contents.get_contents();
    const auto [alg, ct] = pbes2_encrypt_iter(safe_contents, std::string(password), iterations, "AES-256/CBC", "SHA-256", rng);

    std::vector<std::uint8_t> auth_safe;
    DER_Encoder(auth_safe)
        .start_cons(SEQUENCE)
        .start_cons(SEQUENCE)
        .encode(detail::oid_encrypted_data)
        .start_explicit(0)
        .start_cons(SEQUENCE)
        .encode(static_cast<std::size_t>(0))
        .start_cons(SEQUENCE)
        .encode(detail::oid_data)
        .encode(alg)
        .add_object(ASN1_Tag(0), CONTEXT_SPECIFIC, ct.data(), ct.size())
        .end_cons()
        .end_cons()
        .end_explicit()
        .end_cons()
        .end_cons();

    std::uint8_t salt[16];
    rng.randomize(salt, sizeof salt);
    const secret m = detail::mac(bmp, byte_view{salt, sizeof salt}, iterations, auth_safe);
    std::vector<std::uint8_t> pfx;
    DER_Encoder(pfx)
        .start_cons(SEQUENCE)
        .encode(static_cast<std::size_t>(3))
        .start_cons(SEQUENCE)
        .encode(detail::oid_data)
        .start_explicit(0)
        .encode(auth_safe, OCTET_STRING)
        .end_explicit()
        .end_cons()
        .start_cons(SEQUENCE)
        .start_cons(SEQUENCE)
        .encode(AlgorithmIdentifier(detail::oid_sha256, AlgorithmIdentifier::USE_NULL_PARAM))
        .encode(m, OCTET_STRING)
        .end_cons()
        .encode(std::vector<std::uint8_t>(salt, salt + sizeof salt), OCTET_STRING)
        .encode(iterations)
        .end_cons()
        .end_cons();
    return bytes(pfx.begin(), pfx.end());
}

/// Decode a PKCS#12 file written by write(). `where` names the file in error messages.
/// Throws platform::error: bad_password (the MAC does not verify), bad_format (anything else).
inline secret_bag read(byte_view der, std::string_view password, const std::string& where) {
    using namespace Botan;
    auto bad = [&](const std::string& why) {
        return error(errc::bad_format, "vtpm: " + where + " is not a key provider backup (" + why + ")");
    };
    if (password.empty()) throw error(errc::invalid_argument, "vtpm: a backup needs a non-empty password");
    const secret bmp = detail::bmp_password(password);
    try {
        std::vector<std::uint8_t> auth_safe, mac_value, salt;
        std::size_t version = 0, iterations = 1;
        OID content_type;
        AlgorithmIdentifier mac_alg;
        BER_Decoder pfx = BER_Decoder(der.data(), der.size()).start_cons(SEQUENCE);
        pfx.decode(version);
        if (version != 3) throw bad("PFX version " + std::to_string(version));
        pfx.start_cons(SEQUENCE).decode(content_type).start_cons(ASN1_Tag(0), CONTEXT_SPECIFIC)
            .decode(auth_safe, OCTET_STRING).end_cons().end_cons();
        if (content_type != detail::oid_data) throw bad("the authSafe is not of type data");
        if (!pfx.more_items()) throw bad("no MAC");
        BER_Decoder md = pfx.start_cons(SEQUENCE);
        md.start_cons(SEQUENCE).decode(mac_alg).decode(mac_value, OCTET_STRING).end_cons();
        md.decode(salt, OCTET_STRING);
        md.decode_optional(iterations, INTEGER, UNIVERSAL, static_cast<std::size_t>(1));
        md.verify_end();
        pfx.end_cons();
        if (mac_alg.get_oid() != detail::oid_sha256) throw bad("the MAC is not HMAC-SHA256; only files in OpenSSL 3's default profile are read");
        if (iterations == 0 || iterations > 10'000'000) throw bad("MAC iteration count out of range");
        const secret expect = detail::mac(bmp, salt, iterations, auth_safe);
        if (mac_value.size() != expect.size() || !constant_time_compare(mac_value.data(), expect.data(), expect.size()))
            throw error(errc::bad_password, "vtpm: the password of " + where + " is wrong (or the file was modified); try again with the password used for the backup");

        BER_Decoder safes = BER_Decoder(auth_safe).start_cons(SEQUENCE);
        while (safes.more_items()) {
            OID type;
            BER_Decoder ci = safes.start_cons(SEQUENCE);
            ci.decode(type);
            if (type != detail::oid_encrypted_data) { ci.discard_remaining(); ci.end_cons(); continue; }
            std::size_t ed_version = 0;
            OID inner_type;
            AlgorithmIdentifier enc_alg;
            std::vector<std::uint8_t> ct;
            BER_Decoder ed = ci.start_cons(ASN1_Tag(0), CONTEXT_SPECIFIC).start_cons(SEQUENCE);
            ed.decode(ed_version).start_cons(SEQUENCE).decode(inner_type).decode(enc_alg)
                .decode(ct, OCTET_STRING, ASN1_Tag(0), CONTEXT_SPECIFIC).end_cons();
            if (enc_alg.get_oid() != detail::oid_pbes2) throw bad("the contents are not PBES2-encrypted");
            const secret plain = pbes2_decrypt(secret(ct.begin(), ct.end()), std::string(password), enc_alg.get_parameters());
            BER_Decoder bags = BER_Decoder(plain).start_cons(SEQUENCE);
            while (bags.more_items()) {
                OID bag_id, secret_type;
                secret_bag out;
                BER_Decoder bag = bags.start_cons(SEQUENCE);
                bag.decode(bag_id);
                if (bag_id != detail::oid_secret_bag) { bag.discard_remaining(); bag.end_cons(); continue; }
                bag.start_cons(ASN1_Tag(0), CONTEXT_SPECIFIC).start_cons(SEQUENCE).decode(secret_type)
                    .start_cons(ASN1_Tag(0), CONTEXT_SPECIFIC).decode(out.value, OCTET_STRING).end_cons().end_cons().end_cons();
                if (bag.more_items()) {
                    BER_Decoder attrs = bag.start_cons(SET);
                    while (attrs.more_items()) {
                        OID attr;
                        BER_Decoder a = attrs.start_cons(SEQUENCE);
                        a.decode(attr);
                        BER_Decoder vals = a.start_cons(SET);
                        if (attr == detail::oid_friendly_name) {
                            BER_Object o = vals.get_next_object();
                            if (o.is_a(BMP_STRING, UNIVERSAL))
                                for (std::size_t i = 1; i < o.length(); i += 2) out.friendly_name.push_back(static_cast<char>(o.bits()[i]));
                        } else if (attr == detail::oid_local_key_id) {
                            vals.decode(out.local_key_id, OCTET_STRING);
                        }
                        vals.discard_remaining();
                        a.discard_remaining();
                    }
                }
                if (secret_type != detail::oid_aes256_cbc) throw bad("the secret is not an AES-256 key");
                return out;
            }
        }
        throw bad("no secret bag");
    } catch (const error&) {
        throw;
    } catch (const Botan::Exception& e) {
        throw bad(e.what());
    }
}

} // namespace vtpm::platform::pkcs12
