// The command → raw primitive table of primitives.hpp, on Botan 2.19's public API.
//
// Each primitive is the main cryptographic operation the command must perform, with the
// same algorithm, key type and data size as the workload line, called the way a plain Botan
// application holding the key would call it: key and operation objects (PK_Signer,
// PK_Verifier, Cipher_Mode, ...) are made once, outside the timing, then one call per
// sample. What a command does beyond it (unmarshalling, authorization, object lookup,
// marshalling the response, tickets, and per-key setup it repeats on every call) is the
// command's overhead.
#include "primitives.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <botan/bigint.h>
#include <botan/cipher_mode.h>
#include <botan/ec_group.h>
#include <botan/ecdh.h>
#include <botan/ecdsa.h>
#include <botan/hash.h>
#include <botan/hmac_drbg.h>
#include <botan/mac.h>
#include <botan/numthry.h>
#include <botan/pubkey.h>
#include <botan/rsa.h>

namespace vtpm::bench {

namespace {

using clock_type = std::chrono::steady_clock;

/// Keys and objects shared by the primitives, made on first use (outside any timing).
class fixtures {
public:
    fixtures() : rng_(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)")) {
        // A fixed seed: the keys and the prime searches are the same in every run.
        static constexpr std::array<std::uint8_t, 32> seed = {'v', 't', 'p', 'm', '-', 'b', 'e', 'n', 'c', 'h'};
        rng_.initialize_with(seed.data(), seed.size());
    }
    Botan::RandomNumberGenerator& rng() { return rng_; }
    const Botan::EC_Group& p256() {
        if (!p256_) p256_ = std::make_unique<Botan::EC_Group>("secp256r1");
        return *p256_;
    }
    Botan::ECDSA_PrivateKey& ecdsa() {
        if (!ecdsa_) ecdsa_ = std::make_unique<Botan::ECDSA_PrivateKey>(rng_, p256());
        return *ecdsa_;
    }
    Botan::ECDH_PrivateKey& ecdh() {
        if (!ecdh_) ecdh_ = std::make_unique<Botan::ECDH_PrivateKey>(rng_, p256());
        return *ecdh_;
    }
    /// RSA-2048, e = 65537 (the TPM's exponent 0).
    Botan::RSA_PrivateKey& rsa() {
        if (!rsa_) rsa_ = std::make_unique<Botan::RSA_PrivateKey>(rng_, 2048, 65537);
        return *rsa_;
    }

private:
    Botan::HMAC_DRBG rng_;
    std::unique_ptr<Botan::EC_Group> p256_;
    std::unique_ptr<Botan::ECDSA_PrivateKey> ecdsa_;
    std::unique_ptr<Botan::ECDH_PrivateKey> ecdh_;
    std::unique_ptr<Botan::RSA_PrivateKey> rsa_;
};

/// The 32-byte digest the workloads sign (any fixed value would do).
constexpr std::array<std::uint8_t, 32> digest32 = {
    0x18, 0x9b, 0x1e, 0xa1, 0x24, 0xa7, 0x2a, 0xad, 0x30, 0xb3, 0x36, 0xb9, 0x3c, 0xbf, 0x42, 0xc5,
    0x48, 0xcb, 0x4e, 0xd1, 0x54, 0xd7, 0x5a, 0xdd, 0x60, 0xe3, 0x66, 0xe9, 0x6c, 0xef, 0x72, 0xf5};

using timed_call = std::function<void()>;
using preparer = timed_call (*)(fixtures&);

struct entry {
    primitive_info info;
    std::size_t max_samples;
    preparer prepare;
};

// ---- the primitives ------------------------------------------------------------------------

timed_call p256_keygen(fixtures& f) {
    const Botan::EC_Group& g = f.p256();
    return [&f, &g] {
        Botan::ECDSA_PrivateKey k(f.rng(), g);
        // the command returns the public point's affine x and y
        (void)k.public_point().encode(Botan::PointGFp::UNCOMPRESSED);
    };
}

timed_call rsa2048_primes(fixtures& f) {
    return [&f] {
        const Botan::BigInt e(65537);
        Botan::BigInt p = Botan::generate_rsa_prime(f.rng(), f.rng(), 1024, e);
        Botan::BigInt q = Botan::generate_rsa_prime(f.rng(), f.rng(), 1024, e);
        if (p == q) throw std::runtime_error("vtpm: bench: equal primes");
    };
}

timed_call ecdsa_sign(fixtures& f) {
    auto s = std::make_shared<Botan::PK_Signer>(f.ecdsa(), f.rng(), "Raw");
    return [&f, s] { (void)s->sign_message(digest32.data(), digest32.size(), f.rng()); };
}

timed_call ecdsa_verify(fixtures& f) {
    auto sig = Botan::PK_Signer(f.ecdsa(), f.rng(), "Raw").sign_message(digest32.data(), digest32.size(), f.rng());
    auto v = std::make_shared<Botan::PK_Verifier>(f.ecdsa(), "Raw");
    return [v, sig] {
        if (!v->verify_message(digest32.data(), digest32.size(), sig.data(), sig.size()))
            throw std::runtime_error("vtpm: bench: ECDSA verification failed");
    };
}

timed_call ecdh_keygen(fixtures& f) {
    const std::vector<std::uint8_t> peer = f.ecdh().public_value();
    return [&f, peer] {
        Botan::ECDH_PrivateKey eph(f.rng(), f.p256());
        (void)eph.public_value();
        Botan::PK_Key_Agreement ka(eph, f.rng(), "Raw");
        (void)ka.derive_key(0, peer.data(), peer.size());
    };
}

timed_call ecdh_zgen(fixtures& f) {
    const std::vector<std::uint8_t> peer = Botan::ECDH_PrivateKey(f.rng(), f.p256()).public_value();
    auto ka = std::make_shared<Botan::PK_Key_Agreement>(f.ecdh(), f.rng(), "Raw");
    return [ka, peer] { (void)ka->derive_key(0, peer.data(), peer.size()); };
}

timed_call rsassa_sign(fixtures& f) {
    auto s = std::make_shared<Botan::PK_Signer>(f.rsa(), f.rng(), "EMSA_PKCS1(Raw,SHA-256)");
    return [&f, s] { (void)s->sign_message(digest32.data(), digest32.size(), f.rng()); };
}

timed_call rsassa_verify(fixtures& f) {
    auto sig = Botan::PK_Signer(f.rsa(), f.rng(), "EMSA_PKCS1(Raw,SHA-256)")
                   .sign_message(digest32.data(), digest32.size(), f.rng());
    auto v = std::make_shared<Botan::PK_Verifier>(f.rsa(), "EMSA_PKCS1(Raw,SHA-256)");
    return [v, sig] {
        if (!v->verify_message(digest32.data(), digest32.size(), sig.data(), sig.size()))
            throw std::runtime_error("vtpm: bench: RSASSA verification failed");
    };
}

timed_call oaep_encrypt(fixtures& f) {
    auto enc = std::make_shared<Botan::PK_Encryptor_EME>(f.rsa(), f.rng(), "OAEP(SHA-256)");
    return [&f, enc] { (void)enc->encrypt(digest32.data(), digest32.size(), f.rng()); };
}

timed_call oaep_decrypt(fixtures& f) {
    auto ct = Botan::PK_Encryptor_EME(f.rsa(), f.rng(), "OAEP(SHA-256)")
                  .encrypt(digest32.data(), digest32.size(), f.rng());
    auto dec = std::make_shared<Botan::PK_Decryptor_EME>(f.rsa(), f.rng(), "OAEP(SHA-256)");
    return [dec, ct] {
        if (dec->decrypt(ct).size() != digest32.size()) throw std::runtime_error("vtpm: bench: OAEP decryption failed");
    };
}

timed_call aes128_cfb(Botan::Cipher_Dir dir) {
    std::shared_ptr<Botan::Cipher_Mode> m = Botan::Cipher_Mode::create_or_throw("AES-128/CFB", dir);
    const std::array<std::uint8_t, 16> key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    m->set_key(key.data(), key.size());
    auto buf = std::make_shared<std::vector<std::uint8_t>>(1024, std::uint8_t{0x5a});
    return [m, buf] {
        static constexpr std::array<std::uint8_t, 16> iv{};
        m->start(iv.data(), iv.size());
        m->process(buf->data(), buf->size());
    };
}
timed_call aes128_cfb_encrypt(fixtures&) { return aes128_cfb(Botan::ENCRYPTION); }
timed_call aes128_cfb_decrypt(fixtures&) { return aes128_cfb(Botan::DECRYPTION); }

timed_call hmac_sha256_1k(fixtures&) {
    std::shared_ptr<Botan::MessageAuthenticationCode> mac =
        Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    auto data = std::make_shared<std::vector<std::uint8_t>>(1024, std::uint8_t{0x5a});
    return [mac, data] {
        std::array<std::uint8_t, 32> out;
        mac->set_key(digest32.data(), digest32.size());
        mac->update(data->data(), data->size());
        mac->final(out.data());
    };
}

timed_call sha256_of(std::size_t n) {
    std::shared_ptr<Botan::HashFunction> h = Botan::HashFunction::create_or_throw("SHA-256");
    auto data = std::make_shared<std::vector<std::uint8_t>>(n, std::uint8_t{0x5a});
    return [h, data] {
        std::array<std::uint8_t, 32> out;
        h->update(data->data(), data->size());
        h->final(out.data());
    };
}
timed_call sha256_1k(fixtures&) { return sha256_of(1024); }
timed_call sha256_extend(fixtures&) { return sha256_of(64); }

timed_call sha256_1k_ticket(fixtures&) {
    std::shared_ptr<Botan::HashFunction> h = Botan::HashFunction::create_or_throw("SHA-256");
    std::shared_ptr<Botan::MessageAuthenticationCode> mac =
        Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    auto data = std::make_shared<std::vector<std::uint8_t>>(1024, std::uint8_t{0x5a});
    return [h, mac, data] {
        std::array<std::uint8_t, 38> ticket{}; // tag(2) || hierarchy(4) || digest(32)
        h->update(data->data(), data->size());
        h->final(ticket.data() + 6);
        std::array<std::uint8_t, 32> out;
        mac->set_key(digest32.data(), digest32.size());
        mac->update(ticket.data(), ticket.size());
        mac->final(out.data());
    };
}

timed_call policy_pcr(fixtures&) {
    std::shared_ptr<Botan::HashFunction> h = Botan::HashFunction::create_or_throw("SHA-256");
    return [h] {
        std::array<std::uint8_t, 8 * 32> pcrs{};
        std::array<std::uint8_t, 32 + 4 + 10 + 32> extend{}; // old || CC || TPML_PCR_SELECTION || pcrDigest
        h->update(pcrs.data(), pcrs.size());
        h->final(extend.data() + 46);
        h->update(extend.data(), extend.size());
        h->final(extend.data());
    };
}

constexpr const char* keygen_p256 =
    "P-256 key pair from a random scalar: `Botan::ECDSA_PrivateKey(rng, secp256r1)` (one [d]G) and its "
    "public point encoded (affine x and y)";
constexpr const char* keygen_rsa =
    "two random 1024-bit primes with gcd(p-1, 65537) = 1: 2 × `Botan::generate_rsa_prime(rng, rng, 1024, 65537)` "
    "(a random search: its time varies from sample to sample like the command's)";

const std::array<entry, 21> table = {{
    {{"CreatePrimary.ECC-SRK", keygen_p256}, 300, p256_keygen},
    {{"Create.ECC-sign", keygen_p256}, 300, p256_keygen},
    {{"Create.ECC-ecdh", keygen_p256}, 300, p256_keygen},
    {{"Sign.ECDSA-P256", "ECDSA P-256 signature of a 32-byte digest: `PK_Signer(ECDSA key, \"Raw\").sign_message`"},
     1000, ecdsa_sign},
    {{"VerifySignature.ECDSA-P256", "ECDSA P-256 verification: `PK_Verifier(ECDSA key, \"Raw\").verify_message`"},
     1000, ecdsa_verify},
    {{"ECDH_KeyGen.P256",
      "ephemeral P-256 key pair `ECDH_PrivateKey(rng, secp256r1)` and its `public_value()`, then "
      "`PK_Key_Agreement(\"Raw\").derive_key` with the loaded key's public point (x of Z only)"},
     1000, ecdh_keygen},
    {{"ECDH_ZGen.P256", "P-256 ECDH with a peer point: `PK_Key_Agreement(ECDH key, \"Raw\").derive_key` (decodes and "
                        "checks the point, one [d]Q; x of Z only)"},
     1000, ecdh_zgen},
    {{"CreatePrimary.RSA2048-SRK", keygen_rsa}, 31, rsa2048_primes},
    {{"Create.RSA2048-sign", keygen_rsa}, 31, rsa2048_primes},
    {{"Create.RSA2048-oaep", keygen_rsa}, 31, rsa2048_primes},
    {{"Sign.RSASSA-2048",
      "RSASSA-PKCS1-v1_5 RSA-2048 signature of a SHA-256 digest: `PK_Signer(RSA key, \"EMSA_PKCS1(Raw,SHA-256)\")`"},
     300, rsassa_sign},
    {{"VerifySignature.RSASSA-2048", "RSASSA-PKCS1-v1_5 RSA-2048 verification: `PK_Verifier(RSA key, "
                                     "\"EMSA_PKCS1(Raw,SHA-256)\")`"},
     1000, rsassa_verify},
    {{"RSA_Encrypt.OAEP-2048", "RSAES-OAEP-SHA256 RSA-2048 encryption of 32 bytes: `PK_Encryptor_EME(RSA key, "
                               "\"OAEP(SHA-256)\")`"},
     1000, oaep_encrypt},
    {{"RSA_Decrypt.OAEP-2048", "RSAES-OAEP-SHA256 RSA-2048 decryption: `PK_Decryptor_EME(RSA key, \"OAEP(SHA-256)\")`"},
     300, oaep_decrypt},
    {{"EncryptDecrypt2.enc.1KiB", "AES-128-CFB encryption of 1 KiB: `Cipher_Mode(\"AES-128/CFB\")` keyed once, "
                                  "`start(iv)` + `process`"},
     2000, aes128_cfb_encrypt},
    {{"EncryptDecrypt2.dec.1KiB", "AES-128-CFB decryption of 1 KiB, as above"}, 2000, aes128_cfb_decrypt},
    {{"HMAC.sha256.1KiB", "HMAC-SHA256 of 1 KiB with a 32-byte key: `set_key` + `update` + `final`"}, 2000,
     hmac_sha256_1k},
    {{"Hash.sha256.1KiB", "SHA-256 of 1 KiB"}, 2000, sha256_1k},
    {{"Hash.sha256.1KiB.ticket",
      "SHA-256 of 1 KiB, then the ticket's HMAC-SHA256 (keyed) over tag || hierarchy || digest (38 bytes)"},
     2000, sha256_1k_ticket},
    {{"PCR_Extend.sha256.16", "SHA-256 of 64 bytes (old PCR value || digest)"}, 2000, sha256_extend},
    {{"PolicyPCR.sha256.0-7",
      "SHA-256 of 8 PCR values (256 bytes), then the policy extend: SHA-256 of 78 bytes"},
     2000, policy_pcr},
}};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2) return *mid;
    double hi = *mid;
    return (*std::max_element(v.begin(), mid) + hi) / 2;
}

const entry* find_entry(std::string_view command) {
    for (const auto& e : table)
        if (e.info.command == command) return &e;
    return nullptr;
}

} // namespace

std::span<const primitive_info> primitive_table() {
    static const std::vector<primitive_info> infos = [] {
        std::vector<primitive_info> v;
        for (const auto& e : table) v.push_back(e.info);
        return v;
    }();
    return infos;
}

const primitive_info* find_primitive(std::string_view command) {
    const entry* e = find_entry(command);
    return e ? &e->info : nullptr;
}

fixtures& shared_fixtures() {
    static fixtures f;
    return f;
}

primitive_call prepare_primitive(std::string_view command) {
    const entry* e = find_entry(command);
    if (!e) return {};
    // One prepared call per primitive, shared by the lines that map to it.
    static std::map<preparer, primitive_call> prepared;
    auto it = prepared.find(e->prepare);
    if (it == prepared.end()) it = prepared.emplace(e->prepare, e->prepare(shared_fixtures())).first;
    return it->second;
}

std::optional<double> time_primitive(std::string_view command, std::size_t samples) {
    const entry* e = find_entry(command);
    if (!e) return std::nullopt;
    // Lines that share a primitive (the key generations) share one measurement, redone only
    // when more samples are asked for.
    static std::map<preparer, std::pair<std::size_t, double>> done;
    const std::size_t n = std::clamp<std::size_t>(samples, 11, e->max_samples);
    if (auto it = done.find(e->prepare); it != done.end() && it->second.first >= n) return it->second.second;
    const primitive_call call = prepare_primitive(command);
    call();
    call();
    std::vector<double> us(n);
    for (auto& x : us) {
        auto t0 = clock_type::now();
        call();
        auto t1 = clock_type::now();
        x = std::chrono::duration<double, std::micro>(t1 - t0).count();
    }
    const double m = median(std::move(us));
    done[e->prepare] = {n, m};
    return m;
}

} // namespace vtpm::bench
