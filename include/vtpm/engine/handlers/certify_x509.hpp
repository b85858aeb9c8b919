// Handler: Part 3 §18.8 TPM2_CertifyX509 (deprecated in v184, still in the command set), with
// the little DER it needs: reading the caller's partial certificate and writing the fields
// the TPM adds (RFC 5280 §4.1).
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "vtpm/commands/attest.hpp"
#include "vtpm/engine/handlers/attest.hpp"

namespace vtpm {
namespace detail::der {

/// One DER element: its tag (single-octet tags only), contents and complete encoding.
struct tlv {
    std::uint8_t tag = 0;
    byte_view value;
    byte_view whole;
};

/// Read the element at the start of `in` and advance past it. Definite lengths of at most
/// two octets only (a partial certificate fits in TPM2B_MAX_BUFFER); false if malformed.
[[nodiscard]] inline bool next(byte_view& in, tlv& out) noexcept {
    if (in.size() < 2) return false;
    const std::uint8_t tag = in[0];
    if ((tag & 0x1F) == 0x1F) return false; // high tag numbers
    std::size_t len = in[1], hdr = 2;
    if (len == 0x81) {
        if (in.size() < 3 || in[2] < 0x80) return false;
        len = in[2];
        hdr = 3;
    } else if (len == 0x82) {
        if (in.size() < 4 || in[2] == 0) return false;
        len = std::size_t{in[2]} << 8 | in[3];
        hdr = 4;
    } else if (len >= 0x80) {
        return false;
    }
    if (len > in.size() - hdr) return false;
    out.tag = tag;
    out.value = in.subspan(hdr, len);
    out.whole = in.first(hdr + len);
    in = in.subspan(hdr + len);
    return true;
}

/// Append tag, length and contents.
inline void put(bytes& out, std::uint8_t tag, byte_view value) {
    out.push_back(tag);
    const std::size_t n = value.size();
    if (n < 0x80) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n < 0x100) {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(n));
    } else {
        out.push_back(0x82);
        out.push_back(static_cast<std::uint8_t>(n >> 8));
        out.push_back(static_cast<std::uint8_t>(n));
    }
    out.insert(out.end(), value.begin(), value.end());
}
/// A non-negative INTEGER from big-endian octets (leading zeros dropped, 00 added when needed).
inline void put_unsigned(bytes& out, byte_view v) {
    while (v.size() > 1 && v[0] == 0) v = v.subspan(1);
    bytes c;
    if (v.empty() || (v[0] & 0x80)) c.push_back(0);
    c.insert(c.end(), v.begin(), v.end());
    put(out, 0x02, c);
}

// Object identifiers (contents octets).
inline constexpr std::uint8_t oid_key_usage[] = {0x55, 0x1D, 0x0F};                          // 2.5.29.15
inline constexpr std::uint8_t oid_tpma_object[] = {0x67, 0x81, 0x05, 0x0A, 0x01, 0x01, 0x01}; // 2.23.133.10.1.1.1
inline constexpr std::uint8_t oid_rsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
inline constexpr std::uint8_t oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};

[[nodiscard]] inline bool same(byte_view a, std::span<const std::uint8_t> b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

/// AlgorithmIdentifier of a signing scheme with its hash (RFC 4055, RFC 5758), or nothing.
[[nodiscard]] inline std::optional<bytes> signature_algorithm(tpm_alg_id scheme, tpm_alg_id hash) {
    bytes oid;
    bool null_params = false;
    if (scheme == alg::rsassa) {
        const std::uint8_t last = hash == alg::sha1 ? 0x05 : hash == alg::sha256 ? 0x0B : hash == alg::sha384 ? 0x0C
                                  : hash == alg::sha512 ? 0x0D : 0;
        if (last == 0) return std::nullopt;
        oid = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, last}; // 1.2.840.113549.1.1.x
        null_params = true;
    } else if (scheme == alg::ecdsa) {
        if (hash == alg::sha1) {
            oid = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01}; // 1.2.840.10045.4.1
        } else {
            const std::uint8_t last = hash == alg::sha256 ? 0x02 : hash == alg::sha384 ? 0x03 : hash == alg::sha512 ? 0x04 : 0;
            if (last == 0) return std::nullopt;
            oid = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, last}; // 1.2.840.10045.4.3.x
        }
    } else {
        return std::nullopt; // RSAPSS needs parameters, other schemes have no OID here
    }
    bytes body;
    put(body, 0x06, oid);
    if (null_params) put(body, 0x05, {});
    bytes out;
    put(out, 0x30, body);
    return out;
}

/// SubjectPublicKeyInfo of an RSA or ECC (NIST P-256/384/521) key, or nothing.
[[nodiscard]] inline std::optional<bytes> subject_public_key_info(const loaded_object& o) {
    bytes alg_body, key;
    if (const auto* n = o.pub.unique.get<alg::rsa>(); n && o.pub.type.value == alg::rsa) {
        const auto* parms = o.pub.parameters.get<alg::rsa>();
        if (!parms) return std::nullopt;
        const std::uint32_t exp = parms->exponent == 0 ? 65537u : parms->exponent;
        std::array<std::uint8_t, 4> eb{};
        store_be32(eb.data(), exp);
        bytes ints;
        put_unsigned(ints, n->view());
        put_unsigned(ints, eb);
        bytes seq;
        put(seq, 0x30, ints);
        key.push_back(0); // no unused bits
        key.insert(key.end(), seq.begin(), seq.end());
        put(alg_body, 0x06, oid_rsa);
        put(alg_body, 0x05, {});
    } else if (const auto* q = o.pub.unique.get<alg::ecc>(); q && o.pub.type.value == alg::ecc) {
        const auto* parms = o.pub.parameters.get<alg::ecc>();
        if (!parms) return std::nullopt;
        bytes curve;
        std::size_t size = 0;
        switch (parms->curve_id.value) {
        case ecc_curve::nist_p256: curve = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}; size = 32; break;
        case ecc_curve::nist_p384: curve = {0x2B, 0x81, 0x04, 0x00, 0x22}; size = 48; break;
        case ecc_curve::nist_p521: curve = {0x2B, 0x81, 0x04, 0x00, 0x23}; size = 66; break;
        default: return std::nullopt;
        }
        if (q->x.size > size || q->y.size > size) return std::nullopt;
        key = {0x00, 0x04}; // no unused bits; uncompressed point
        key.insert(key.end(), size - q->x.size, 0);
        key.insert(key.end(), q->x.buffer.begin(), q->x.buffer.begin() + q->x.size);
        key.insert(key.end(), size - q->y.size, 0);
        key.insert(key.end(), q->y.buffer.begin(), q->y.buffer.begin() + q->y.size);
        put(alg_body, 0x06, oid_ec_public_key);
        put(alg_body, 0x06, curve);
    } else {
        return std::nullopt;
    }
    bytes body;
    put(body, 0x30, alg_body);
    put(body, 0x03, key);
    bytes out;
    put(out, 0x30, body);
    return out;
}

} // namespace detail::der

namespace detail {

/// Key Usage (RFC 5280 §4.2.1.3) against the attributes of the certified key (Part 2
/// §8.11 Table 45). `bits` holds the BIT STRING's octets (bit 0 is the top bit of octet 0).
[[nodiscard]] inline bool key_usage_allowed(const loaded_object& o, byte_view bits) noexcept {
    auto bit = [&](unsigned i) { return i / 8 < bits.size() && (bits[i / 8] >> (7 - i % 8) & 1); };
    const bool sign = o.has(object_attr::sign_encrypt), decrypt = o.has(object_attr::decrypt);
    const bool asym = o.pub.type.value == alg::rsa || o.pub.type.value == alg::ecc;
    if (bit(0) && !sign) return false;                                     // digitalSignature
    if (bit(1) && !o.has(object_attr::fixed_tpm)) return false;            // nonRepudiation
    if (bit(2) && !(asym && decrypt && o.has(object_attr::restricted))) return false; // keyEncipherment
    if ((bit(3) || bit(4) || bit(7) || bit(8)) && !decrypt) return false;  // data/keyAgreement/en-/decipherOnly
    if ((bit(5) || bit(6)) && !sign) return false;                         // keyCertSign, cRLSign
    return true;
}

} // namespace detail

namespace cmd {

/// TPM2_CertifyX509 (Part 3 §18.8). partialCertificate is a SEQUENCE of [signature
/// AlgorithmIdentifier,] issuer, validity, subject and [3] extensions (TPM_RC_VALUE + P3 if
/// it is not); the extensions must hold a Key Usage consistent with the object (TPM_RC_VALUE
/// + P3 if missing, TPM_RC_ATTRIBUTES + H1 if not) and may hold the TCG TPMA_OBJECT
/// extension, which must match the object's attributes (TPM_RC_ATTRIBUTES + H1). The TPM adds
/// version (v3), a random positive serial number, the signature AlgorithmIdentifier when the
/// caller gave none (TPM_RC_SCHEME + P2 for a scheme without one here) and the
/// SubjectPublicKeyInfo (RSA, or ECC on NIST P-256/384/521: TPM_RC_TYPE + H1 otherwise), and
/// signs the digest of the complete TBSCertificate.
template <class P>
rc handle(engine<P>& e, certify_x509, command_context& c, const certify_x509::request& in,
          certify_x509::response& out) {
    namespace der = detail::der;
    if (!in.reserved.empty()) return rc::size.for_param(1);
    const auto* o = e.object_at(c.handles[0]);
    if (!o || !o->has_sensitive) return rc::handle.for_handle(1);
    detail::attest_signer s;
    if (rc r = detail::attest_signer_for(e, c.handles[1], in.in_scheme, 2, 2, s, true); !r.ok()) return r;

    // The partial certificate.
    const rc bad = rc::value.for_param(3);
    byte_view p = in.partial_certificate.view();
    der::tlv outer;
    if (!der::next(p, outer) || outer.tag != 0x30 || !p.empty()) return bad;
    std::array<der::tlv, 5> el{};
    std::size_t n = 0;
    for (byte_view b = outer.value; !b.empty(); ++n)
        if (n == el.size() || !der::next(b, el[n])) return bad;
    if (n != 4 && n != 5) return bad;
    const bool has_alg = n == 5;
    const der::tlv& extensions = el[n - 1];
    for (std::size_t i = 0; i + 1 < n; ++i)
        if (el[i].tag != 0x30) return bad;
    if (extensions.tag != 0xA3) return bad;
    byte_view ext_list = extensions.value;
    der::tlv seq;
    if (!der::next(ext_list, seq) || seq.tag != 0x30 || !ext_list.empty()) return bad;
    bool key_usage = false;
    for (byte_view b = seq.value; !b.empty();) {
        der::tlv ext, oid, field;
        if (!der::next(b, ext) || ext.tag != 0x30) return bad;
        byte_view x = ext.value;
        if (!der::next(x, oid) || oid.tag != 0x06 || !der::next(x, field)) return bad;
        if (field.tag == 0x01 && !der::next(x, field)) return bad; // critical
        if (field.tag != 0x04 || !x.empty()) return bad;
        byte_view v = field.value;
        der::tlv bits;
        if (der::same(oid.value, der::oid_key_usage)) {
            if (!der::next(v, bits) || bits.tag != 0x03 || !v.empty() || bits.value.empty() || bits.value.size() > 3)
                return bad;
            if (!detail::key_usage_allowed(*o, bits.value.subspan(1))) return rc::attributes.for_handle(1);
            key_usage = true;
        } else if (der::same(oid.value, der::oid_tpma_object)) {
            if (!der::next(v, bits) || bits.tag != 0x03 || !v.empty() || bits.value.size() != 5 || bits.value[0] != 0)
                return bad;
            if (load_be32(bits.value.data() + 1) != o->attrs()) return rc::attributes.for_handle(1);
        }
    }
    if (!key_usage) return bad;

    // What the TPM adds: version, serialNumber, [signature], subjectPublicKeyInfo.
    bytes version;
    {
        bytes v;
        der::put(v, 0x02, std::array<std::uint8_t, 1>{2});
        der::put(version, 0xA0, v);
    }
    bytes serial;
    {
        std::array<std::uint8_t, 16> r{};
        e.crypto.random(r);
        r[0] = static_cast<std::uint8_t>((r[0] & 0x3F) | 0x40); // positive, minimal
        der::put(serial, 0x02, r);
    }
    std::optional<bytes> sig_alg;
    if (!has_alg) {
        sig_alg = der::signature_algorithm(s.scheme.scheme, s.scheme.hash);
        if (!sig_alg) return rc::scheme.for_param(2);
    }
    const auto spki = der::subject_public_key_info(*o);
    if (!spki) return rc::type.for_handle(1);

    bytes added_body = version;
    added_body.insert(added_body.end(), serial.begin(), serial.end());
    if (sig_alg) added_body.insert(added_body.end(), sig_alg->begin(), sig_alg->end());
    added_body.insert(added_body.end(), spki->begin(), spki->end());
    bytes added;
    der::put(added, 0x30, added_body);
    if (!out.added_to_certificate.assign(added)) return rc::size.for_param(3);

    // TBSCertificate (RFC 5280 §4.1) in its order.
    bytes tbs_body = version;
    tbs_body.insert(tbs_body.end(), serial.begin(), serial.end());
    const byte_view alg_id = has_alg ? el[0].whole : byte_view{*sig_alg};
    tbs_body.insert(tbs_body.end(), alg_id.begin(), alg_id.end());
    for (std::size_t i = has_alg ? 1 : 0; i + 1 < n; ++i) // issuer, validity, subject
        tbs_body.insert(tbs_body.end(), el[i].whole.begin(), el[i].whole.end());
    tbs_body.insert(tbs_body.end(), spki->begin(), spki->end());
    tbs_body.insert(tbs_body.end(), extensions.whole.begin(), extensions.whole.end());
    bytes tbs;
    der::put(tbs, 0x30, tbs_body);

    const auto ds = hash_digest_size(s.scheme.hash);
    e.crypto.hash(s.scheme.hash, tbs, out.tbs_digest.resize(ds));
    return detail::sign_digest(e, *s.key, s.scheme, out.tbs_digest.view(), out.signature);
}

} // namespace cmd
} // namespace vtpm
