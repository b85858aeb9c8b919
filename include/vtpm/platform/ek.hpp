// Endorsement keys and their certificates (TCG EK Credential Profile for TPM 2.0).
//
// - EK templates: L-1 (RSA 2048) and L-2 (ECC NIST P-256) of the low range, H-6 (RSA 3072)
//   and H-3 (ECC NIST P-384) of the high range. An EK is TPM2_CreatePrimary on the
//   endorsement hierarchy with one of these templates, run through the TPM's own command
//   interface: the same seed and template always give the same key, so EKs are permanent
//   (a new EK needs a new TPM: new seeds).
// - EK certificates: X.509 v3, empty subject, a critical subjectAltName holding the TPM
//   manufacturer, model and version (TCG attributes 2.23.133.2.1/2/3) as a directoryName,
//   basicConstraints CA:FALSE, keyEncipherment (RSA) or keyAgreement (ECC) key usage, the
//   tcg-kp-EKCertificate extended key usage, issued by any cert_signer (local_ca by default).
// - The certificates go to the standard NV indices with platform-created attributes
//   (write_certificates_to_nv: NV_DefineSpace + NV_Write + NV_WriteLock with platform auth).
//
// Include vtpm/vtpm.hpp (the command handlers) before instantiating these templates.
#pragma once
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <botan/ber_dec.h>
#include <botan/bigint.h>
#include <botan/data_src.h>
#include <botan/der_enc.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pkcs10.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/rng.h>
#include <botan/rsa.h>
#include <botan/x509_ca.h>
#include <botan/x509_ext.h>
#include <botan/x509cert.h>
#include <botan/x509self.h>

#include "vtpm/config/profile.hpp"
#include "vtpm/core/bytes.hpp"
#include "vtpm/engine/tpm.hpp"
#include "vtpm/platform/atomic_file.hpp"
#include "vtpm/platform/error.hpp"
#include "vtpm/spec/constants.hpp"
#include "vtpm/testing/command.hpp"

namespace vtpm::platform::ek {

enum class kind { rsa2048, ecc_p256, rsa3072, ecc_p384 };

struct spec {
    kind k;
    std::string_view name;      // as vtpmctl and tpm2_createek -G spell it
    std::string_view tcg_name;  // the template's name in the EK Credential Profile
    std::uint32_t cert_index;   // NV index of the EK certificate
    bool high_range;
};
inline constexpr std::array<spec, 4> specs{{
    {kind::rsa2048, "rsa2048", "L-1", 0x01C00002, false},
    {kind::ecc_p256, "ecc256", "L-2", 0x01C0000A, false},
    {kind::rsa3072, "rsa3072", "H-6", 0x01C0001C, true},
    {kind::ecc_p384, "ecc384", "H-3", 0x01C00016, true},
}};
inline const spec& spec_of(kind k) {
    for (const auto& s : specs)
        if (s.k == k) return s;
    return specs[0];
}
inline std::optional<kind> kind_from_name(std::string_view n) {
    for (const auto& s : specs)
        if (s.name == n) return s.k;
    if (n == "rsa") return kind::rsa2048;
    if (n == "ecc") return kind::ecc_p256;
    return std::nullopt;
}
inline bool is_rsa(kind k) { return k == kind::rsa2048 || k == kind::rsa3072; }

namespace detail {
inline void put16(bytes& b, std::uint16_t v) { b.push_back(static_cast<std::uint8_t>(v >> 8)); b.push_back(static_cast<std::uint8_t>(v)); }
inline void put32(bytes& b, std::uint32_t v) { put16(b, static_cast<std::uint16_t>(v >> 16)); put16(b, static_cast<std::uint16_t>(v)); }
inline void put2b(bytes& b, byte_view v) { put16(b, static_cast<std::uint16_t>(v.size())); b.insert(b.end(), v.begin(), v.end()); }

// TPMA_OBJECT bits (Part 2 §8.3).
inline constexpr std::uint32_t fixed_tpm = 1u << 1, fixed_parent = 1u << 4, sensitive_data_origin = 1u << 5,
                               user_with_auth = 1u << 6, admin_with_policy = 1u << 7, restricted = 1u << 16, decrypt = 1u << 17;
// PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 (policy A of the profile) and the high-range
// PolicyOR of policies with SHA-384 (policy B).
inline constexpr std::uint8_t policy_a_sha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
    0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};
inline constexpr std::uint8_t policy_b_sha384[48] = {
    0xB2, 0x6E, 0x7D, 0x28, 0xD1, 0x1A, 0x50, 0xBC, 0x53, 0xD8, 0x82, 0xBC, 0xF5, 0xFD, 0x3A, 0x1A,
    0x07, 0x41, 0x48, 0xBB, 0x35, 0xD3, 0xB4, 0xE4, 0xCB, 0x1C, 0x0A, 0xD9, 0xBD, 0xE4, 0x19, 0xCA,
    0xCB, 0x47, 0xBA, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0F, 0x9F, 0xC0, 0x00, 0xF3, 0xF8, 0x0E, 0x12};
} // namespace detail

/// The EK template (TPMT_PUBLIC) of the EK Credential Profile.
inline bytes template_of(kind k) {
    using namespace detail;
    bytes t;
    const bool high = spec_of(k).high_range;
    put16(t, is_rsa(k) ? alg::rsa : alg::ecc);
    put16(t, high ? alg::sha384 : alg::sha256);
    put32(t, fixed_tpm | fixed_parent | sensitive_data_origin | admin_with_policy | restricted | decrypt | (high ? user_with_auth : 0));
    if (high) put2b(t, byte_view{policy_b_sha384});
    else put2b(t, byte_view{policy_a_sha256});
    put16(t, alg::aes); // symmetric: AES-128-CFB (low range), AES-256-CFB (high range)
    put16(t, high ? 256 : 128);
    put16(t, alg::cfb);
    put16(t, alg::null); // scheme
    switch (k) {
    case kind::rsa2048:
        put16(t, 2048);
        put32(t, 0);
        put2b(t, bytes(256, 0));
        break;
    case kind::rsa3072:
        put16(t, 3072);
        put32(t, 0);
        put2b(t, {});
        break;
    case kind::ecc_p256:
        put16(t, 0x0003); // TPM_ECC_NIST_P256
        put16(t, alg::null);
        put2b(t, bytes(32, 0));
        put2b(t, bytes(32, 0));
        break;
    case kind::ecc_p384:
        put16(t, 0x0004); // TPM_ECC_NIST_P384
        put16(t, alg::null);
        put2b(t, {});
        put2b(t, {});
        break;
    }
    return t;
}

/// An EK's public part: the TPMT_PUBLIC the TPM returned and the key as a Botan public key.
struct public_key {
    kind k{};
    bytes public_area;                       // TPMT_PUBLIC
    std::shared_ptr<Botan::Public_Key> key;  // RSA_PublicKey or ECDSA_PublicKey (id-ecPublicKey)
    /// DER SubjectPublicKeyInfo.
    [[nodiscard]] std::vector<std::uint8_t> spki() const { return key->subject_public_key(); }
};

/// The public key in a TPMT_PUBLIC of an RSA or ECC (P-256/P-384) key. Throws errc::bad_format.
inline std::shared_ptr<Botan::Public_Key> key_of_public_area(byte_view p) {
    testing::response r(bytes(10, 0));
    r.data.assign(p.begin(), p.end());
    const auto type = r.u16();
    r.u16(); // nameAlg
    r.u32(); // attributes
    r.b2b(); // authPolicy
    if (r.u16() != alg::null) { r.u16(); r.u16(); } // symmetric
    if (r.u16() != alg::null) r.u16();              // scheme
    std::shared_ptr<Botan::Public_Key> key;
    if (type == alg::rsa) {
        r.u16();
        std::uint32_t e = r.u32();
        const auto n = r.b2b();
        if (r.ok && !n.empty()) key = std::make_shared<Botan::RSA_PublicKey>(Botan::BigInt(n.data(), n.size()), Botan::BigInt(e ? e : 65537u));
    } else if (type == alg::ecc) {
        const auto curve = r.u16();
        if (r.u16() != alg::null) r.u16(); // kdf
        const auto x = r.b2b(), y = r.b2b();
        const char* name = curve == 0x0003 ? "secp256r1" : curve == 0x0004 ? "secp384r1" : nullptr;
        if (r.ok && name) {
            Botan::EC_Group g(name);
            auto pt = g.point(Botan::BigInt(x.data(), x.size()), Botan::BigInt(y.data(), y.size()));
            if (pt.on_the_curve()) {
                auto k = std::make_shared<Botan::ECDSA_PublicKey>(g, pt);
                k->set_parameter_encoding(Botan::EC_DOMPAR_ENC_OID);
                key = k;
            }
        }
    }
    if (!key || !r.ok || r.remaining() != 0) throw error(errc::bad_format, "vtpm: not the public area of an RSA or ECC P-256/P-384 key");
    return key;
}

namespace detail {
struct primary {
    std::uint32_t handle = 0;
    bytes public_area;
};
template <class Tpm>
primary create_primary(Tpm& t, kind k, byte_view endorsement_auth) {
    const auto cmd = testing::command_builder(cc::create_primary)
                         .handle(rh::endorsement)
                         .password(endorsement_auth)
                         .b2b(bytes{0, 0, 0, 0}) // TPM2B_SENSITIVE_CREATE: empty userAuth and data
                         .b2b(template_of(k))
                         .b2b({})                // outsideInfo
                         .u32(0)                 // creationPCR: no selection
                         .build();
    auto r = testing::run(t, cmd);
    if (r.rc != 0)
        throw error(errc::tpm_error, "vtpm: TPM2_CreatePrimary of the " + std::string(spec_of(k).name) + " EK failed with TPM_RC 0x" +
                                         to_hex(bytes{static_cast<std::uint8_t>(r.rc >> 8), static_cast<std::uint8_t>(r.rc)}) +
                                         "; check that the TPM is started and the endorsement hierarchy is enabled");
    primary p;
    p.handle = r.u32();
    r.parameter_size();
    p.public_area = r.b2b();
    if (!r.ok) throw error(errc::tpm_error, "vtpm: TPM2_CreatePrimary returned a short response");
    return p;
}
template <class Tpm>
void flush(Tpm& t, std::uint32_t h) {
    (void)testing::run(t, testing::command_builder(cc::flush_context).u32(h).build());
}
} // namespace detail

/// Create the EK of kind `k` (TPM2_CreatePrimary on the endorsement hierarchy) and flush it.
/// The TPM must be started.
template <class Tpm>
public_key create(Tpm& t, kind k, byte_view endorsement_auth = {}) {
    auto p = detail::create_primary(t, k, endorsement_auth);
    detail::flush(t, p.handle);
    public_key out{k, p.public_area, key_of_public_area(p.public_area)};
    return out;
}

// --- certificates ---------------------------------------------------------------------------

/// What the subjectAltName of an EK certificate says about the TPM.
struct tpm_identity {
    std::uint32_t manufacturer = 0;
    std::string model;
    std::uint32_t version = 0;
};
/// The identity a profile reports through GetCapability (TPM_PT_MANUFACTURER, the vendor
/// strings and TPM_PT_FIRMWARE_VERSION_1).
inline tpm_identity identity_of(const config::profile& p) {
    tpm_identity id{p.identity.manufacturer, {}, p.identity.firmware_version_1};
    for (auto w : p.identity.vendor_string)
        for (int s = 24; s >= 0; s -= 8)
            if (const char c = static_cast<char>((w >> s) & 0xFF); c >= ' ' && c < 0x7F) id.model.push_back(c);
    if (id.model.empty()) id.model = "vtpm";
    return id;
}

namespace detail {
inline std::string id_hex(std::uint32_t v) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
                               static_cast<std::uint8_t>(v)};
    std::string h = to_hex(byte_view{b, 4});
    for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "id:" + h;
}

/// subjectAltName with one directoryName of the three TCG attributes, each its own RDN.
class tcg_subject_alt_name final : public Botan::Certificate_Extension {
public:
    explicit tcg_subject_alt_name(tpm_identity id) : id_(std::move(id)) {}
    static Botan::OID static_oid() { return Botan::OID{2, 5, 29, 17}; }
    Botan::OID oid_of() const override { return static_oid(); }
    std::string oid_name() const override { return "X509v3.SubjectAlternativeName"; }
    Botan::Certificate_Extension* copy() const override { return new tcg_subject_alt_name(id_); }
    void contents_to(Botan::Data_Store&, Botan::Data_Store&) const override {}

private:
    std::vector<std::uint8_t> encode_inner() const override {
        using namespace Botan;
        std::vector<std::uint8_t> out;
        DER_Encoder der(out);
        der.start_cons(SEQUENCE).start_explicit(4).start_cons(SEQUENCE);
        const std::pair<OID, std::string> attrs[] = {
            {OID{2, 23, 133, 2, 1}, id_hex(id_.manufacturer)},
            {OID{2, 23, 133, 2, 2}, id_.model},
            {OID{2, 23, 133, 2, 3}, id_hex(id_.version)},
        };
        for (const auto& [oid, value] : attrs)
            der.start_cons(SET).start_cons(SEQUENCE).encode(oid).encode(ASN1_String(value, UTF8_STRING)).end_cons().end_cons();
        der.end_cons().end_explicit().end_cons();
        return out;
    }
    void decode_inner(const std::vector<std::uint8_t>&) override {}

    tpm_identity id_;
};
} // namespace detail

/// Issues certificates. Implement this to use another CA (an HSM, a remote service).
class cert_signer {
public:
    virtual ~cert_signer() = default;
    /// A certificate for `spki` (DER SubjectPublicKeyInfo) with an empty subject, the given
    /// extensions, and the validity [not_before, not_after]. The signer adds its own
    /// authorityKeyIdentifier.
    virtual Botan::X509_Certificate issue(const std::vector<std::uint8_t>& spki, Botan::Extensions extensions,
                                          const Botan::X509_Time& not_before, const Botan::X509_Time& not_after,
                                          Botan::RandomNumberGenerator& rng) = 0;
};

/// The built-in local CA: an ECDSA P-384 key and a self-signed certificate in a directory
/// (ca.key: PKCS#8 PEM, mode 0600; ca.crt: PEM).
class local_ca final : public cert_signer {
public:
    static local_ca open_or_create(const std::filesystem::path& dir, Botan::RandomNumberGenerator& rng,
                                   const std::string& common_name = "vtpm local EK CA") {
        const auto key_file = dir / "ca.key", crt_file = dir / "ca.crt";
        if (std::filesystem::exists(key_file) && std::filesystem::exists(crt_file)) {
            const auto kb = read_file(key_file);
            Botan::DataSource_Memory src(kb.data(), kb.size());
            std::unique_ptr<Botan::Private_Key> key;
            try {
                key = Botan::PKCS8::load_key(src);
            } catch (const Botan::Exception& e) {
                throw error(errc::bad_format, "vtpm: cannot read the CA key " + key_file.string() + ": " + e.what());
            }
            return local_ca(std::move(key), Botan::X509_Certificate(crt_file.string()));
        }
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        auto key = std::make_unique<Botan::ECDSA_PrivateKey>(rng, Botan::EC_Group("secp384r1"));
        Botan::X509_Cert_Options opt(common_name + "/US/vtpm/platform", 20u * 365 * 24 * 3600);
        opt.CA_key(0);
        auto crt = Botan::X509::create_self_signed_cert(opt, *key, "SHA-384", rng);
        const auto pem = Botan::PKCS8::PEM_encode(*key);
        write_file_atomic(key_file, byte_view{reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()});
        const auto cpem = crt.PEM_encode();
        write_file_atomic(crt_file, byte_view{reinterpret_cast<const std::uint8_t*>(cpem.data()), cpem.size()});
        return local_ca(std::move(key), std::move(crt));
    }

    [[nodiscard]] const Botan::X509_Certificate& certificate() const noexcept { return cert_; }

    Botan::X509_Certificate issue(const std::vector<std::uint8_t>& spki, Botan::Extensions ext, const Botan::X509_Time& nb,
                                  const Botan::X509_Time& na, Botan::RandomNumberGenerator& rng) override {
        ext.add(new Botan::Cert_Extension::Authority_Key_ID(cert_.subject_key_id()));
        Botan::AlgorithmIdentifier sig_alg;
        std::unique_ptr<Botan::PK_Signer> signer(Botan::choose_sig_format(*key_, rng, "SHA-384", sig_alg));
        return Botan::X509_CA::make_cert(signer.get(), rng, sig_alg, spki, nb, na, cert_.subject_dn(), Botan::X509_DN(), ext);
    }

private:
    local_ca(std::unique_ptr<Botan::Private_Key> key, Botan::X509_Certificate cert) : key_(std::move(key)), cert_(std::move(cert)) {}
    std::unique_ptr<Botan::Private_Key> key_;
    Botan::X509_Certificate cert_;
};

/// An EK certificate per the TCG EK Credential Profile, valid from now until 2999-12-31 (EKs
/// do not expire; Botan 2.19 refuses RFC 5280's 99991231235959Z, so the latest year it takes).
inline Botan::X509_Certificate issue_certificate(cert_signer& ca, const public_key& ek, const tpm_identity& id,
                                                 Botan::RandomNumberGenerator& rng) {
    using namespace Botan;
    Extensions ext;
    ext.add(new detail::tcg_subject_alt_name(id), true); // critical: the subject is empty
    ext.add(new Cert_Extension::Basic_Constraints(false), true);
    ext.add(new Cert_Extension::Key_Usage(is_rsa(ek.k) ? KEY_ENCIPHERMENT : KEY_AGREEMENT), true);
    ext.add(new Cert_Extension::Extended_Key_Usage(std::vector<OID>{OID{2, 23, 133, 8, 1}}), false);
    const X509_Time nb(std::chrono::system_clock::now());
    const X509_Time na("29991231235959Z", GENERALIZED_TIME);
    return ca.issue(ek.spki(), std::move(ext), nb, na, rng);
}

/// Throws errc::key_mismatch unless `cert` certifies the public key of `ek`.
inline void check_certificate(const Botan::X509_Certificate& cert, const public_key& ek) {
    std::unique_ptr<Botan::Public_Key> k;
    try {
        k = cert.load_subject_public_key();
    } catch (const Botan::Exception&) {
    }
    bool same = false;
    if (k && is_rsa(ek.k)) {
        const auto* a = dynamic_cast<const Botan::RSA_PublicKey*>(k.get());
        const auto* b = dynamic_cast<const Botan::RSA_PublicKey*>(ek.key.get());
        same = a && b && a->get_n() == b->get_n() && a->get_e() == b->get_e();
    } else if (k) {
        const auto* a = dynamic_cast<const Botan::EC_PublicKey*>(k.get());
        const auto* b = dynamic_cast<const Botan::EC_PublicKey*>(ek.key.get());
        same = a && b && a->domain() == b->domain() && a->public_point() == b->public_point();
    }
    if (!same)
        throw error(errc::key_mismatch, "vtpm: the certificate's public key is not the " + std::string(spec_of(ek.k).name) +
                                            " EK of this TPM; have the CA sign a CSR of this EK (vtpmctl ek csr)");
}

/// A PKCS#10 request for the EK of kind `k`, signed with the EK's private key (a proof of
/// possession the platform makes on the TPM's behalf: the EK itself is a decryption key and
/// cannot sign through the TPM interface). PEM.
template <class Tpm>
std::string make_csr(Tpm& t, kind k, Botan::RandomNumberGenerator& rng, const std::string& subject_cn = "",
                     byte_view endorsement_auth = {}) {
    auto p = detail::create_primary(t, k, endorsement_auth);
    std::unique_ptr<Botan::Private_Key> priv;
    {
        const auto* o = t.internals().object_at(p.handle);
        if (!o || !o->has_sensitive) {
            detail::flush(t, p.handle);
            throw error(errc::tpm_error, "vtpm: the EK is not loaded");
        }
        const auto pub = key_of_public_area(p.public_area);
        if (is_rsa(k)) {
            const auto* rp = o->sens.sensitive.template get<alg::rsa>();
            const auto* rk = dynamic_cast<const Botan::RSA_PublicKey*>(pub.get());
            const Botan::BigInt prime(rp->buffer.data(), rp->size);
            priv = std::make_unique<Botan::RSA_PrivateKey>(prime, rk->get_n() / prime, rk->get_e());
        } else {
            const auto* d = o->sens.sensitive.template get<alg::ecc>();
            const auto* ek = dynamic_cast<const Botan::EC_PublicKey*>(pub.get());
            Botan::BigInt scalar(d->buffer.data(), d->size);
            auto key = std::make_unique<Botan::ECDSA_PrivateKey>(rng, ek->domain(), scalar);
            scalar.clear();
            key->set_parameter_encoding(Botan::EC_DOMPAR_ENC_OID);
            priv = std::move(key);
        }
    }
    detail::flush(t, p.handle);
    Botan::X509_DN dn;
    if (!subject_cn.empty()) dn.add_attribute("X520.CommonName", subject_cn);
    Botan::Extensions ext;
    ext.add(new Botan::Cert_Extension::Key_Usage(is_rsa(k) ? Botan::KEY_ENCIPHERMENT : Botan::KEY_AGREEMENT), true);
    auto req = Botan::PKCS10_Request::create(*priv, dn, ext, is_rsa(k) ? "SHA-256" : (k == kind::ecc_p384 ? "SHA-384" : "SHA-256"), rng,
                                             is_rsa(k) ? "EMSA3(SHA-256)" : "");
    return req.PEM_encode();
}

// --- NV provisioning ------------------------------------------------------------------------

/// TPMA_NV of the EK certificate indices: PPWRITE, WRITEDEFINE, PPREAD, OWNERREAD, AUTHREAD,
/// NO_DA, PLATFORMCREATE (TPM_NT_ORDINARY).
inline constexpr std::uint32_t cert_index_attributes =
    (1u << 0) | (1u << 13) | (1u << 16) | (1u << 17) | (1u << 18) | (1u << 25) | (1u << 30);

/// Store EK certificates (DER) in their NV indices through the TPM's commands, with
/// platform authorization: TPM2_NV_DefineSpace (empty authValue, cert_index_attributes, SHA-256
/// nameAlg), TPM2_NV_Write in chunks of `chunk` octets, TPM2_NV_WriteLock. The TPM must be
/// started and implement the NV commands. Throws errc::tpm_error naming the failing step.
template <class Tpm>
void write_certificates_to_nv(Tpm& t, const std::vector<std::pair<kind, bytes>>& certs, byte_view platform_auth = {},
                              std::size_t chunk = 1024) {
    auto check = [&](const testing::response& r, const std::string& what, std::uint32_t index) {
        if (r.rc != 0)
            throw error(errc::tpm_error, "vtpm: " + what + " of NV index 0x" + to_hex(bytes{static_cast<std::uint8_t>(index >> 24),
                                                                                           static_cast<std::uint8_t>(index >> 16),
                                                                                           static_cast<std::uint8_t>(index >> 8),
                                                                                           static_cast<std::uint8_t>(index)}) +
                                             " failed with TPM_RC 0x" + to_hex(bytes{static_cast<std::uint8_t>(r.rc >> 8), static_cast<std::uint8_t>(r.rc)}) +
                                             "; the index may exist already (a TPM is provisioned once)");
    };
    for (const auto& [k, der] : certs) {
        const std::uint32_t index = spec_of(k).cert_index;
        if (der.empty() || der.size() > 0xFFFF) throw error(errc::invalid_argument, "vtpm: an EK certificate has 1 to 65535 octets");
        bytes nv_public; // TPMS_NV_PUBLIC
        detail::put32(nv_public, index);
        detail::put16(nv_public, alg::sha256);
        detail::put32(nv_public, cert_index_attributes);
        detail::put2b(nv_public, {}); // authPolicy
        detail::put16(nv_public, static_cast<std::uint16_t>(der.size()));
        check(testing::run(t, testing::command_builder(cc::nv_define_space).handle(rh::platform).password(platform_auth)
                                  .b2b({}).b2b(nv_public).build()),
              "TPM2_NV_DefineSpace", index);
        for (std::size_t off = 0; off < der.size(); off += chunk) {
            const std::size_t n = std::min(chunk, der.size() - off);
            check(testing::run(t, testing::command_builder(cc::nv_write).handle(rh::platform).handle(index).password(platform_auth)
                                      .b2b(byte_view{der.data() + off, n}).u16(static_cast<std::uint16_t>(off)).build()),
                  "TPM2_NV_Write", index);
        }
        check(testing::run(t, testing::command_builder(cc::nv_write_lock).handle(rh::platform).handle(index).password(platform_auth).build()),
              "TPM2_NV_WriteLock", index);
    }
}

} // namespace vtpm::platform::ek
