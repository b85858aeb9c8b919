// Tests for include/vtpm/crypto/rsa.hpp and crypto/botan/rsa.hpp.
//
// Oracles:
//  - key generation: a transcription of the algorithm documented in vtpm/crypto/rsa.hpp in
//    Python (/usr/bin/python3, plain integers and pow()), run at test time on the same
//    stream, must give the same n and p; `openssl prime` checks the primes; a pinned digest of
//    one 2048-bit modulus guards against silent changes of the algorithm (which would change
//    every RSA primary key);
//  - operations: /usr/bin/python3 with python3-cryptography (OpenSSL 3) decrypts our OAEP
//    (TPM labels with their NUL) and PKCS#1 v1.5 ciphertexts, verifies our PKCS#1 v1.5 and
//    PSS signatures, reports our PSS salt length, and makes ciphertexts and signatures that we
//    decrypt and verify; raw RSAEP/RSADP against Python's pow().
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <botan/hash.h>
#include <botan/hash_id.h>

#include <vtpm/crypto/botan/rsa.hpp>
#include <vtpm/crypto/rsa.hpp>

using namespace vtpm;
using vtpm::crypto::rsa_private_key;
using vtpm::crypto::rsa_public_key;
using vtpm::crypto::botan::rsa_provider;

namespace {

bytes hex(std::string_view s) {
    bool ok = false;
    bytes b = from_hex(s, &ok);
    REQUIRE(ok);
    return b;
}

bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }

bytes cat_bytes(byte_view a, byte_view b) {
    bytes r(a.begin(), a.end());
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

bytes pattern(std::size_t n, std::uint8_t seed) {
    bytes b(n);
    std::uint32_t x = 0x85EBCA6Bu * (seed + 1u);
    for (auto& c : b) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<std::uint8_t>(x >> 24);
    }
    return b;
}

/// The test stream: SHA-256(seed || [i]32) for i = 0, 1, ... concatenated; requests take
/// consecutive bytes. (Python below implements the same.)
class sha256_stream {
public:
    explicit sha256_stream(std::string seed) : seed_(std::move(seed)) {}
    void operator()(byte_span out) {
        for (auto& b : out) {
            if (pos_ == block_.size()) refill();
            b = block_[pos_++];
        }
        requested_ += out.size();
    }
    [[nodiscard]] std::size_t requested() const { return requested_; }

private:
    void refill() {
        auto h = Botan::HashFunction::create_or_throw("SHA-256");
        h->update(seed_);
        std::uint8_t c[4];
        store_be32(c, ctr_++);
        h->update(c, 4);
        h->final(block_.data());
        pos_ = 0;
    }
    std::string seed_;
    std::array<std::uint8_t, 32> block_{};
    std::size_t pos_ = 32;
    std::uint32_t ctr_ = 0;
    std::size_t requested_ = 0;
};

crypto::rsa_random_stream stream_of(const std::string& seed) {
    auto s = std::make_shared<sha256_stream>(seed);
    return [s](byte_span out) { (*s)(out); };
}

struct key_bytes {
    bytes n, p;
    std::uint32_t e = 0;
    [[nodiscard]] rsa_public_key pub() const { return {n, e}; }
    [[nodiscard]] rsa_private_key priv() const { return {n, e, p}; }
};

key_bytes generate(rsa_provider& r, std::size_t bits, std::uint32_t e, const std::string& seed) {
    key_bytes k{bytes(bits / 8), bytes(bits / 16), e};
    REQUIRE(r.rsa_generate(bits, e, stream_of(seed), k.n, k.p) == rc::success);
    return k;
}

// --- the independent oracles -------------------------------------------------------------

std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    INFO(cmd << "\n" << out);
    REQUIRE(pclose(p) == 0);
    return out;
}

/// Run a Python 3 script; its output lines "name value" as a map.
std::map<std::string, std::string> python(const std::string& script) {
    char path[] = "/tmp/vtpm_rsa_test_XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size()));
    close(fd);
    const std::string out = run("/usr/bin/python3 " + std::string(path) + " 2>&1");
    std::remove(path);
    std::map<std::string, std::string> r;
    std::istringstream in(out);
    std::string name, value;
    while (in >> name >> value) r[name] = value;
    return r;
}

bool openssl_says_prime(byte_view x) {
    const std::string out = run("openssl prime -hex " + to_hex(x));
    return out.find("is prime") != std::string::npos;
}

// The key generation algorithm of vtpm/crypto/rsa.hpp, transcribed from its description.
const char* const py_keygen = R"PY(
import hashlib, math
class Stream:
    def __init__(s, seed): s.seed, s.ctr, s.buf = seed, 0, b''
    def read(s, k):
        while len(s.buf) < k:
            s.buf += hashlib.sha256(s.seed + s.ctr.to_bytes(4, 'big')).digest()
            s.ctr += 1
        r, s.buf = s.buf[:k], s.buf[k:]
        return r
SP = []
c = 3
while len(SP) < 1023:
    if all(c % q for q in SP if q * q <= c): SP.append(c)
    c += 2
assert SP[-1] == 8161
def rounds(h): return 8 if h <= 512 else 5 if h <= 1024 else 4
def find_prime(h, e, R):
    hb = h // 8
    while True:
        x = int.from_bytes(R.read(hb), 'big') | (1 << (h - 1)) | (1 << (h - 2)) | 1
        if any(x % s == 0 for s in SP): continue
        if math.gcd(x - 1, e) != 1: continue
        m, a = x - 1, 0
        while m % 2 == 0: m, a = m // 2, a + 1
        ok = True
        for _ in range(rounds(h)):
            while True:
                b = int.from_bytes(R.read(hb), 'big')
                if 1 < b < x - 1: break
            z = pow(b, m, x)
            if z == 1 or z == x - 1: continue
            passed = False
            for _ in range(a - 1):
                z = z * z % x
                if z == x - 1: passed = True; break
                if z == 1: break
            if not passed: ok = False; break
        if ok: return x
def keygen(bits, e, seed):
    R, h = Stream(seed), bits // 2
    if e == 0: e = 65537
    while True:
        p = find_prime(h, e, R)
        q = find_prime(h, e, R)
        if abs(p - q) <= (1 << (h - 100)): continue
        return p * q, p
)PY";

std::string digest_of(byte_view b) {
    auto h = Botan::HashFunction::create_or_throw("SHA-256");
    h->update(b.data(), b.size());
    const auto d = h->final();
    return to_hex(byte_view{d.data(), d.size()});
}

/// Python's name for a TPM hash.
const char* py_hash(tpm_alg_id h) {
    switch (h) {
    case alg::sha1: return "SHA1";
    case alg::sha256: return "SHA256";
    case alg::sha384: return "SHA384";
    case alg::sha512: return "SHA512";
    case alg::sha3_256: return "SHA3_256";
    default: return "?";
    }
}

bytes digest(tpm_alg_id h, std::uint8_t seed) { return pattern(crypto::digest_size(h), seed); }

} // namespace

TEST_CASE("rsa: sizes, salt lengths and DigestInfo prefixes", "[crypto][rsa]") {
    CHECK(crypto::rsa_exponent(0) == 65537);
    CHECK(crypto::rsa_exponent(3) == 3);
    CHECK(crypto::rsa_exponent_valid(0));
    CHECK(crypto::rsa_exponent_valid(3));
    CHECK_FALSE(crypto::rsa_exponent_valid(1));
    CHECK_FALSE(crypto::rsa_exponent_valid(65536));
    CHECK(crypto::rsa_oaep_max_message(256, 32) == 190);
    CHECK(crypto::rsa_oaep_max_message(128, 64) == 0);
    CHECK(crypto::rsa_pkcs1_max_message(256) == 245);
    // PSS salt: hLen, or emLen - hLen - 2 when the key is small (Part 1 §43.7)
    CHECK(crypto::rsa_pss_salt_size(2048, 32) == 32);
    CHECK(crypto::rsa_pss_salt_size(1024, 64) == 62);
    CHECK(crypto::rsa_pss_salt_size(1024, 48) == 48);
    CHECK(crypto::rsa_pss_salt_size(1025, 64) == 62);
    CHECK(crypto::rsa_pss_salt_size(520, 64) == -1);
    // DigestInfo: Part 1 §43.6 lists SHA-1/256/384/512; all eight agree with Botan's table.
    CHECK(to_hex(crypto::rsa_digest_info(alg::sha256)) == "3031300d060960864801650304020105000420");
    CHECK(to_hex(crypto::rsa_digest_info(alg::sha1)) == "3021300906052b0e03021a05000414");
    CHECK(to_hex(crypto::rsa_digest_info(alg::sha384)) == "3041300d060960864801650304020205000430");
    CHECK(to_hex(crypto::rsa_digest_info(alg::sha512)) == "3051300d060960864801650304020305000440");
    for (tpm_alg_id h : crypto::all_hash_algs) {
        const auto want = Botan::pkcs_hash_id(crypto::botan::hash_name(h));
        CHECK(to_hex(crypto::rsa_digest_info(h)) == to_hex(byte_view{want.data(), want.size()}));
    }
    CHECK(crypto::rsa_digest_info(alg::null).empty());
    // the sieve primes and the sieve itself
    CHECK(crypto::rsa_sieve_primes[1] == 5);
    const auto& sieve = crypto::detail::rsa_sieve::instance();
    bytes x(64, 0);
    const std::uint64_t composite = 8161ull * 8161ull * 13ull;
    for (int i = 0; i < 8; ++i) x[63 - i] = static_cast<std::uint8_t>(composite >> (8 * i));
    CHECK(sieve.has_small_factor(x));
    const std::uint64_t prime = 1000000007ull; // no factor below 8162
    std::fill(x.begin(), x.end(), 0);
    for (int i = 0; i < 8; ++i) x[63 - i] = static_cast<std::uint8_t>(prime >> (8 * i));
    CHECK_FALSE(sieve.has_small_factor(x));
    CHECK(crypto::detail::mod_small(x, 65537) == prime % 65537);
}

TEST_CASE("rsa: key generation is the documented algorithm", "[crypto][rsa]") {
    rsa_provider r;
    struct gen_case {
        std::size_t bits;
        std::uint32_t e;
        std::string seed;
    };
    const gen_case cases[] = {{1024, 0, "vtpm rsa 1"},
                              {1024, 3, "vtpm rsa 2"},
                              {1024, 0x10001, "vtpm rsa 3"},
                              {2048, 3, "vtpm rsa 4"},
                              {2048, 0, "vtpm rsa golden"}};
    std::string script = py_keygen;
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        const auto& c = cases[i];
        const std::string tag = std::to_string(i);
        script += "n, p = keygen(" + std::to_string(c.bits) + ", " + std::to_string(c.e) +
                  ", b'" + c.seed + "')\nprint('n" + tag + "', format(n, 'x'))\nprint('p" + tag +
                  "', format(p, 'x'))\n";
    }
    const auto py = python(script);
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        const auto& c = cases[i];
        INFO(c.bits << " bits, e " << c.e << ", seed " << c.seed);
        const key_bytes k = generate(r, c.bits, c.e, c.seed);
        const std::string tag = std::to_string(i);
        CHECK(to_hex(k.n) == py.at("n" + tag));
        CHECK(to_hex(k.p) == py.at("p" + tag));
    }
    // Pinned: SHA-256 of the 2048-bit modulus for the stream "vtpm rsa golden". If this
    // changes, every RSA primary key of every vtpm changes: do not update it casually.
    const key_bytes golden = generate(r, 2048, 0, "vtpm rsa golden");
    CHECK(digest_of(golden.n) ==
          "cdd2fcba7415b57021d3c375b26bee1b51ffbfa02a4dd84ef5f7e833442322c7");
}

TEST_CASE("rsa: generated keys are products of two large primes", "[crypto][rsa]") {
    rsa_provider r;
    for (std::size_t bits : {1024, 2048, 3072, 4096}) {
        INFO(bits << " bits");
        const std::string seed = "primes " + std::to_string(bits);
        // every request is for exactly one prime's worth of bytes
        std::vector<std::size_t> sizes;
        auto inner = stream_of(seed);
        const crypto::rsa_random_stream recording = [&](byte_span out) {
            sizes.push_back(out.size());
            inner(out);
        };
        key_bytes k{bytes(bits / 8), bytes(bits / 16), 0};
        REQUIRE(r.rsa_generate(bits, 0, recording, k.n, k.p) == rc::success);
        CHECK(std::all_of(sizes.begin(), sizes.end(),
                          [&](std::size_t s) { return s == bits / 16; }));
        CHECK(k.n[0] >= 0x80); // exactly `bits` bits
        CHECK(k.p[0] >= 0xC0); // top two bits of the prime set
        CHECK((k.p.back() & 1) == 1);
        const Botan::BigInt n(k.n.data(), k.n.size()), p(k.p.data(), k.p.size());
        const Botan::BigInt q = n / p;
        CHECK(q * p == n);
        bytes qb(bits / 16);
        q.binary_encode(qb.data(), qb.size());
        CHECK(qb[0] >= 0xC0);
        CHECK(openssl_says_prime(k.p));
        CHECK(openssl_says_prime(qb));
        CHECK_FALSE(openssl_says_prime(k.n));
        const Botan::BigInt diff = p > q ? p - q : q - p;
        CHECK(diff > Botan::BigInt::power_of_2(bits / 2 - 100));
        CHECK(r.rsa_check_private(k.priv()) == rc::success);
        // the same stream gives the same key, another stream another key
        if (bits <= 2048) {
            const key_bytes again = generate(r, bits, 0, seed);
            CHECK(again.n == k.n);
            CHECK(again.p == k.p);
            const key_bytes other = generate(r, bits, 0, seed + "'");
            CHECK(other.n != k.n);
        }
    }
}

TEST_CASE("rsa: interoperates with python cryptography", "[crypto][rsa]") {
    rsa_provider r;
    for (std::size_t bits : {1024, 2048}) {
        INFO(bits << " bits");
        const key_bytes key = generate(r, bits, 0, "interop " + std::to_string(bits));
        const std::size_t k = bits / 8;

        struct oaep_case {
            std::string name;
            tpm_alg_id hash;
            bytes label;
            bytes message;
        };
        const bytes duplicate = str(std::string_view("DUPLICATE\0", 10)); // with its NUL
        const bytes odd_label = str(std::string_view("a,b(c)\0d)\0", 10));
        std::vector<oaep_case> oaeps;
        for (tpm_alg_id h : {alg::sha1, alg::sha256, alg::sha384, alg::sha512}) {
            const std::size_t max = crypto::rsa_oaep_max_message(k, crypto::digest_size(h));
            if (max == 0) continue; // 1024-bit key with SHA-512
            oaeps.push_back({std::string("oaep_") + py_hash(h), h, duplicate, pattern(max, 1)});
        }
        oaeps.push_back({"oaep_nolabel", alg::sha256, {}, pattern(16, 2)});
        oaeps.push_back({"oaep_oddlabel", alg::sha256, odd_label, pattern(1, 3)});
        oaeps.push_back({"oaep_empty", alg::sha1, duplicate, {}});
        const bytes pkcs1_msg = pattern(crypto::rsa_pkcs1_max_message(k), 4);
        const std::vector<tpm_alg_id> sig_hashes{alg::sha1, alg::sha256, alg::sha384, alg::sha512,
                                                 alg::sha3_256};
        const bytes small_m = hex("05"), raw_c = pattern(k, 5);
        bytes raw_c_below_n = raw_c;
        raw_c_below_n[0] = 0x01; // < n (n has its top bit set)

        // ours, for Python to decrypt and verify
        std::string script = R"PY(
from cryptography.hazmat.primitives.asymmetric import rsa, padding, utils
from cryptography.hazmat.primitives import hashes
from cryptography.exceptions import InvalidSignature
H = {'SHA1': hashes.SHA1(), 'SHA256': hashes.SHA256(), 'SHA384': hashes.SHA384(),
     'SHA512': hashes.SHA512(), 'SHA3_256': hashes.SHA3_256()}
def out(name, b): print(name, b.hex() if b else '-')
)PY";
        script += "n = int('" + to_hex(key.n) + "', 16)\np = int('" + to_hex(key.p) + "', 16)\n";
        script += R"PY(
e = 65537
q = n // p
d = pow(e, -1, (p - 1) * (q - 1))
priv = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                             rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)).private_key()
pub = priv.public_key()
k = (n.bit_length() + 7) // 8
def oaep(h, label): return padding.OAEP(padding.MGF1(H[h]), H[h], label)
)PY";
        std::map<std::string, bytes> ours;
        for (const auto& c : oaeps) {
            bytes ct(k);
            REQUIRE(r.rsa_encrypt_oaep(key.pub(), c.hash, c.label, c.message, ct) == rc::success);
            ours[c.name] = ct;
            script += "out('" + c.name + "', priv.decrypt(bytes.fromhex('" + to_hex(ct) +
                      "'), oaep('" + py_hash(c.hash) + "', bytes.fromhex('" + to_hex(c.label) +
                      "'))))\n";
            script += "out('py_" + c.name + "', pub.encrypt(bytes.fromhex('" + to_hex(c.message) +
                      "'), oaep('" + py_hash(c.hash) + "', bytes.fromhex('" + to_hex(c.label) +
                      "'))))\n";
        }
        {
            bytes ct(k);
            REQUIRE(r.rsa_encrypt_pkcs1(key.pub(), pkcs1_msg, ct) == rc::success);
            script += "out('pkcs1', priv.decrypt(bytes.fromhex('" + to_hex(ct) +
                      "'), padding.PKCS1v15()))\n";
            script += "out('py_pkcs1', pub.encrypt(bytes.fromhex('" + to_hex(pkcs1_msg) +
                      "'), padding.PKCS1v15()))\n";
        }
        script += R"PY(
def verify(name, sig, dig, pad, h):
    try:
        pub.verify(bytes.fromhex(sig), bytes.fromhex(dig), pad, utils.Prehashed(H[h]))
        print(name, 'ok')
    except InvalidSignature:
        print(name, 'bad')
def pss(h, salt): return padding.PSS(padding.MGF1(H[h]), salt)
)PY";
        for (tpm_alg_id h : sig_hashes) {
            const std::string hn = py_hash(h);
            const bytes dig = digest(h, 6);
            bytes s1(k), s2(k);
            REQUIRE(r.rsa_sign_pkcs1(key.priv(), h, dig, s1) == rc::success);
            REQUIRE(r.rsa_sign_pss(key.priv(), h, dig, s2) == rc::success);
            const int salt = crypto::rsa_pss_salt_size(bits, crypto::digest_size(h));
            const std::string d = "'" + to_hex(dig) + "'";
            script += "verify('v_pkcs1_" + hn + "', '" + to_hex(s1) + "', " + d +
                      ", padding.PKCS1v15(), '" + hn + "')\n";
            script += "verify('v_pss_" + hn + "', '" + to_hex(s2) + "', " + d + ", pss('" + hn +
                      "', padding.PSS.AUTO), '" + hn + "')\n";
            // OpenSSL checks an explicit salt length exactly: ours is rsa_pss_salt_size
            script += "verify('v_pss_salt_" + hn + "', '" + to_hex(s2) + "', " + d + ", pss('" +
                      hn + "', " + std::to_string(salt) + "), '" + hn + "')\n";
            script += "verify('v_pss_salt1_" + hn + "', '" + to_hex(s2) + "', " + d + ", pss('" +
                      hn + "', " + std::to_string(salt - 1) + "), '" + hn + "')\n";
            script += "out('s_pkcs1_" + hn + "', priv.sign(bytes.fromhex(" + d +
                      "), padding.PKCS1v15(), utils.Prehashed(H['" + hn + "'])))\n";
            for (const char* salt_len : {"padding.PSS.MAX_LENGTH", "0", "20"})
                script += "out('s_pss_" + hn + "_" + std::string(salt_len).substr(0, 3) +
                          "', priv.sign(bytes.fromhex(" + d + "), pss('" + hn + "', " +
                          salt_len + "), utils.Prehashed(H['" + hn + "'])))\n";
        }
        script += "out('raw_enc', pow(5, e, n).to_bytes(k, 'big'))\n";
        script += "out('raw_dec', pow(int('" + to_hex(raw_c_below_n) +
                  "', 16), d, n).to_bytes(k, 'big'))\n";
        // a public key whose modulus is not a multiple of 8 bits (emLen = k - 1 for PSS)
        script += R"PY(
odd = rsa.generate_private_key(65537, 1025)
out('odd_n', odd.public_key().public_numbers().n.to_bytes(130, 'big'))
dig = bytes(range(32))
out('odd_pss', odd.sign(dig, pss('SHA256', padding.PSS.MAX_LENGTH), utils.Prehashed(H['SHA256'])))
out('odd_pkcs1', odd.sign(dig, padding.PKCS1v15(), utils.Prehashed(H['SHA256'])))
)PY";
        const auto py = python(script);
        auto py_bytes = [&](const std::string& name) {
            INFO(name);
            const std::string& v = py.at(name);
            return v == "-" ? bytes{} : hex(v);
        };

        for (const auto& c : oaeps) {
            INFO(c.name);
            CHECK(py_bytes(c.name) == c.message); // Python decrypted ours
            bytes m(k);
            const auto got = r.rsa_decrypt_oaep(key.priv(), c.hash, c.label,
                                                py_bytes("py_" + c.name), m);
            REQUIRE(got.has_value());
            m.resize(*got);
            CHECK(m == c.message); // we decrypted Python's
        }
        CHECK(py_bytes("pkcs1") == pkcs1_msg);
        {
            bytes m(k);
            const auto got = r.rsa_decrypt_pkcs1(key.priv(), py_bytes("py_pkcs1"), m);
            REQUIRE(got.has_value());
            m.resize(*got);
            CHECK(m == pkcs1_msg);
        }
        for (tpm_alg_id h : sig_hashes) {
            const std::string hn = py_hash(h);
            INFO(hn);
            const bytes dig = digest(h, 6);
            CHECK(py.at("v_pkcs1_" + hn) == "ok");
            CHECK(py.at("v_pss_" + hn) == "ok");
            CHECK(py.at("v_pss_salt_" + hn) == "ok");
            CHECK(py.at("v_pss_salt1_" + hn) == "bad");
            CHECK(r.rsa_verify_pkcs1(key.pub(), h, dig, py_bytes("s_pkcs1_" + hn)) == rc::success);
            for (const char* salt : {"pad", "0", "20"})
                CHECK(r.rsa_verify_pss(key.pub(), h, dig, py_bytes("s_pss_" + hn + "_" + salt)) ==
                      rc::success);
            // PKCS#1 v1.5 signatures are deterministic: ours equals Python's
            bytes s1(k);
            REQUIRE(r.rsa_sign_pkcs1(key.priv(), h, dig, s1) == rc::success);
            CHECK(s1 == py_bytes("s_pkcs1_" + hn));
        }
        // raw RSAEP / RSADP, left-padded to k bytes
        bytes raw(k);
        REQUIRE(r.rsa_encrypt_raw(key.pub(), small_m, raw) == rc::success);
        CHECK(raw == py_bytes("raw_enc"));
        bytes back(k);
        REQUIRE(r.rsa_decrypt_raw(key.priv(), raw, back) == rc::success);
        CHECK(to_hex(back) == std::string(2 * k - 2, '0') + "05");
        REQUIRE(r.rsa_decrypt_raw(key.priv(), raw_c_below_n, back) == rc::success);
        CHECK(back == py_bytes("raw_dec"));
        // the 1025-bit public key
        const bytes odd_n = py_bytes("odd_n");
        const rsa_public_key odd{odd_n, 0};
        bytes dig(32);
        for (std::size_t i = 0; i < 32; ++i) dig[i] = static_cast<std::uint8_t>(i);
        CHECK(r.rsa_verify_pss(odd, alg::sha256, dig, py_bytes("odd_pss")) == rc::success);
        CHECK(r.rsa_verify_pkcs1(odd, alg::sha256, dig, py_bytes("odd_pkcs1")) == rc::success);
        dig[0] ^= 1;
        CHECK(r.rsa_verify_pss(odd, alg::sha256, dig, py_bytes("odd_pss")) == rc::signature);
    }
    CHECK_FALSE(r.failed());
}

TEST_CASE("rsa: decryption failures all give rc::value", "[crypto][rsa]") {
    rsa_provider r;
    const key_bytes key = generate(r, 2048, 0, "errors 2048");
    const std::size_t k = 256;
    const bytes label = str(std::string_view("DUPLICATE\0", 10));
    const bytes msg = pattern(32, 9);
    bytes ct(k), out(k);
    REQUIRE(r.rsa_encrypt_oaep(key.pub(), alg::sha256, label, msg, ct) == rc::success);
    const auto ok = r.rsa_decrypt_oaep(key.priv(), alg::sha256, label, ct, out);
    REQUIRE(ok.has_value());
    CHECK(*ok == msg.size());

    auto oaep_rc = [&](tpm_alg_id h, byte_view l, byte_view c) {
        bytes o(k);
        return r.rsa_decrypt_oaep(key.priv(), h, l, c, o).error();
    };
    bytes bad = ct;
    bad[100] ^= 0x01;
    CHECK(oaep_rc(alg::sha256, label, bad) == rc::value);                    // corrupted
    CHECK(oaep_rc(alg::sha256, str("DUPLICATE"), ct) == rc::value);          // label without NUL
    CHECK(oaep_rc(alg::sha256, {}, ct) == rc::value);                        // no label
    CHECK(oaep_rc(alg::sha1, label, ct) == rc::value);                       // other hash
    CHECK(oaep_rc(alg::sha384, label, ct) == rc::value);
    bytes pk(k);
    REQUIRE(r.rsa_encrypt_pkcs1(key.pub(), msg, pk) == rc::success);
    CHECK(oaep_rc(alg::sha256, label, pk) == rc::value);                     // PKCS#1 v1.5 block
    // encoded blocks that are almost right: first byte not zero; no 0x01 separator
    {
        bytes em(k, 0);
        em[0] = 0x01;
        bytes c(k);
        REQUIRE(r.rsa_encrypt_raw(key.pub(), em, c) == rc::success);
        CHECK(oaep_rc(alg::sha256, label, c) == rc::value);
        bytes o(k);
        CHECK(r.rsa_decrypt_pkcs1(key.priv(), c, o).error() == rc::value);
        em = bytes(k, 0x5A); // 00 02 then no zero separator
        em[0] = 0x00;
        em[1] = 0x02;
        REQUIRE(r.rsa_encrypt_raw(key.pub(), em, c) == rc::success);
        CHECK(r.rsa_decrypt_pkcs1(key.priv(), c, o).error() == rc::value);
        em[5] = 0x00; // separator too early: fewer than 8 padding bytes
        REQUIRE(r.rsa_encrypt_raw(key.pub(), em, c) == rc::success);
        CHECK(r.rsa_decrypt_pkcs1(key.priv(), c, o).error() == rc::value);
        em[5] = 0x5A;
        em[11] = 0x00; // 9 padding bytes: valid
        REQUIRE(r.rsa_encrypt_raw(key.pub(), em, c) == rc::success);
        CHECK(r.rsa_decrypt_pkcs1(key.priv(), c, o).value() == k - 12);
    }
    // values >= n; sizes other than k
    bytes big(k, 0xFF);
    CHECK(oaep_rc(alg::sha256, label, big) == rc::value);
    CHECK(oaep_rc(alg::sha256, label, key.n) == rc::value);
    CHECK(r.rsa_decrypt_raw(key.priv(), big, out) == rc::value);
    CHECK(oaep_rc(alg::sha256, label, byte_view{ct}.first(k - 1)) == rc::size);
    CHECK(oaep_rc(alg::sha256, label, cat_bytes(hex("00"), ct)) == rc::size);
    CHECK(r.rsa_decrypt_raw(key.priv(), byte_view{ct}.first(k - 1), out) == rc::size);
    // the output must hold the largest message, whatever the padding turns out to be
    bytes small(crypto::rsa_oaep_max_message(k, 32) - 1);
    CHECK(r.rsa_decrypt_oaep(key.priv(), alg::sha256, label, ct, small).error() == rc::size);
    CHECK(r.rsa_decrypt_oaep(key.priv(), alg::null, label, ct, out).error() == rc::hash);
    CHECK_FALSE(r.failed());
}

TEST_CASE("rsa: message, digest and key checks", "[crypto][rsa]") {
    rsa_provider r;
    const key_bytes key = generate(r, 1024, 0, "errors 1024");
    const std::size_t k = 128;
    bytes out(k);
    // message lengths (Part 3 Table 43)
    const std::size_t max256 = crypto::rsa_oaep_max_message(k, 32);
    CHECK(r.rsa_encrypt_oaep(key.pub(), alg::sha256, {}, pattern(max256, 1), out) == rc::success);
    CHECK(r.rsa_encrypt_oaep(key.pub(), alg::sha256, {}, pattern(max256 + 1, 1), out) ==
          rc::value);
    CHECK(r.rsa_encrypt_oaep(key.pub(), alg::sha512, {}, pattern(1, 1), out) == rc::value);
    CHECK(r.rsa_decrypt_oaep(key.priv(), alg::sha512, {}, out, out).error() == rc::value);
    CHECK(r.rsa_encrypt_oaep(key.pub(), alg::null, {}, pattern(1, 1), out) == rc::hash);
    CHECK(r.rsa_encrypt_pkcs1(key.pub(), pattern(k - 11, 1), out) == rc::success);
    CHECK(r.rsa_encrypt_pkcs1(key.pub(), pattern(k - 10, 1), out) == rc::value);
    CHECK(r.rsa_encrypt_raw(key.pub(), key.n, out) == rc::value);           // m == n
    CHECK(r.rsa_encrypt_raw(key.pub(), bytes(k, 0xFF), out) == rc::value);  // m > n
    CHECK(r.rsa_encrypt_raw(key.pub(), bytes(k + 1, 0x00), out) == rc::value); // longer than k
    CHECK(r.rsa_encrypt_raw(key.pub(), bytes{}, out) == rc::success);       // m = 0
    CHECK(r.rsa_encrypt_raw(key.pub(), pattern(4, 1), byte_span{out}.first(k - 1)) == rc::size);

    // digests and signatures
    const bytes d256 = digest(alg::sha256, 2);
    bytes sig(k), pss(k);
    REQUIRE(r.rsa_sign_pkcs1(key.priv(), alg::sha256, d256, sig) == rc::success);
    REQUIRE(r.rsa_sign_pss(key.priv(), alg::sha256, d256, pss) == rc::success);
    CHECK(r.rsa_sign_pkcs1(key.priv(), alg::sha256, byte_view{d256}.first(31), out) == rc::size);
    CHECK(r.rsa_sign_pss(key.priv(), alg::sha384, d256, out) == rc::size);
    CHECK(r.rsa_sign_pkcs1(key.priv(), alg::null, d256, out) == rc::hash);
    CHECK(r.rsa_sign_pss(key.priv(), alg::sha256_192, d256, out) == rc::hash);
    CHECK(r.rsa_sign_pkcs1(key.priv(), alg::sha256, d256, byte_span{out}.first(k - 1)) ==
          rc::size);
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, d256, sig) == rc::success);
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha256, d256, pss) == rc::success);
    // PSS is randomised: two signatures differ and both verify
    bytes pss2(k);
    REQUIRE(r.rsa_sign_pss(key.priv(), alg::sha256, d256, pss2) == rc::success);
    CHECK(pss2 != pss);
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha256, d256, pss2) == rc::success);
    bytes bad = sig;
    bad[k - 1] ^= 0x80;
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, d256, bad) == rc::signature);
    bad = pss;
    bad[0] ^= 0x01;
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha256, d256, bad) == rc::signature);
    bytes d2 = d256;
    d2[31] ^= 1;
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, d2, sig) == rc::signature);
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha256, d2, pss) == rc::signature);
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, d256, pss) == rc::signature);
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha256, d256, sig) == rc::signature);
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha3_256, d256, pss) == rc::signature);
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, d256, byte_view{sig}.first(k - 1)) ==
          rc::signature);
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, d256, key.n) == rc::signature); // s = n
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha256, d256, bytes(k, 0xFF)) == rc::signature);
    CHECK(r.rsa_verify_pkcs1(key.pub(), alg::sha256, byte_view{d256}.first(20), sig) == rc::size);
    // SHA-512 PSS on a 1024-bit key: the salt shrinks to 62 bytes (checked by Python above)
    const bytes d512 = digest(alg::sha512, 3);
    REQUIRE(r.rsa_sign_pss(key.priv(), alg::sha512, d512, pss) == rc::success);
    CHECK(r.rsa_verify_pss(key.pub(), alg::sha512, d512, pss) == rc::success);

    // malformed keys
    const bytes n512(key.n.begin(), key.n.begin() + 64);
    const bytes n8192 = cat_bytes(key.n, bytes(896, 0xFF));
    bytes even = key.n;
    even.back() ^= 1;
    CHECK(r.rsa_encrypt_raw({n512, 0}, pattern(4, 1), out) == rc::key_size);
    CHECK(r.rsa_verify_pkcs1({n8192, 0}, alg::sha256, d256, sig) == rc::key_size);
    CHECK(r.rsa_encrypt_raw({even, 0}, pattern(4, 1), out) == rc::key);
    CHECK(r.rsa_encrypt_raw({key.n, 2}, pattern(4, 1), out) == rc::key);
    CHECK(r.rsa_encrypt_raw({key.n, 1}, pattern(4, 1), out) == rc::key);
    CHECK(r.rsa_sign_pkcs1({n512, 0, key.p}, alg::sha256, d256, out) == rc::key_size);
    // leading zero bytes are ignored
    const bytes padded_n = cat_bytes(bytes(3, 0), key.n);
    const bytes padded_p = cat_bytes(bytes(1, 0), key.p);
    CHECK(r.rsa_verify_pkcs1({padded_n, 0}, alg::sha256, d256, sig) == rc::success);
    bytes sig2(k);
    REQUIRE(r.rsa_sign_pkcs1({padded_n, 65537, padded_p}, alg::sha256, d256, sig2) ==
            rc::success);
    CHECK(sig2 == sig);
    CHECK_FALSE(r.failed());
}

TEST_CASE("rsa: key generation arguments", "[crypto][rsa]") {
    rsa_provider r;
    bytes n(512), p(256);
    const auto s = stream_of("args");
    CHECK(r.rsa_generate(1000, 0, s, n, p) == rc::key_size);
    CHECK(r.rsa_generate(1536, 0, s, n, p) == rc::key_size);
    CHECK(r.rsa_generate(8192, 0, s, n, p) == rc::key_size);
    CHECK(r.rsa_generate(2048, 2, s, n, p) == rc::value);
    CHECK(r.rsa_generate(2048, 1, s, n, p) == rc::value);
    CHECK(r.rsa_generate(4096, 0, s, byte_span{n}.first(511), p) == rc::size);
    CHECK(r.rsa_generate(4096, 0, s, n, byte_span{p}.first(255)) == rc::size);
    CHECK(r.rsa_generate(1024, 0, crypto::rsa_random_stream{}, n, p) == rc::failure);
    CHECK(r.rsa_supported(2048));
    CHECK_FALSE(r.rsa_supported(1536));
    // a stream that fails: the failure is reported, not thrown
    rsa_provider r2;
    const crypto::rsa_random_stream broken = [](byte_span) { throw std::runtime_error("no"); };
    CHECK(r2.rsa_generate(1024, 0, broken, n, p) == rc::failure);
    CHECK(r2.failed());
}

TEST_CASE("rsa: private keys are checked, cached and keyed by either prime", "[crypto][rsa]") {
    rsa_provider r{Botan::system_rng(), 2}; // two cache entries
    std::vector<key_bytes> keys;
    for (int i = 0; i < 4; ++i)
        keys.push_back(generate(r, 1024, 0, "cache " + std::to_string(i)));
    const bytes dig = digest(alg::sha256, 7);
    auto q_of = [](const key_bytes& k) {
        const Botan::BigInt n(k.n.data(), k.n.size()), p(k.p.data(), k.p.size());
        bytes q(k.p.size());
        (n / p).binary_encode(q.data(), q.size());
        return q;
    };
    // either prime gives the same key; cycling through more keys than entries stays correct
    for (int round = 0; round < 2; ++round)
        for (const auto& k : keys) {
            bytes s1(128), s2(128);
            const bytes q = q_of(k);
            REQUIRE(r.rsa_sign_pkcs1(k.priv(), alg::sha256, dig, s1) == rc::success);
            REQUIRE(r.rsa_sign_pkcs1({k.n, 0, q}, alg::sha256, dig, s2) == rc::success);
            CHECK(s1 == s2);
            CHECK(r.rsa_verify_pkcs1(k.pub(), alg::sha256, dig, s1) == rc::success);
        }
    // a wrong prime: on a cache hit and on a miss
    const key_bytes& k0 = keys[0];
    bytes wrong = k0.p;
    wrong.back() ^= 2;
    bytes out(128);
    REQUIRE(r.rsa_check_private(k0.priv()) == rc::success); // cached now
    CHECK(r.rsa_check_private({k0.n, 0, wrong}) == rc::binding);
    CHECK(r.rsa_sign_pkcs1({k0.n, 0, wrong}, alg::sha256, dig, out) == rc::binding);
    r.clear_cache();
    CHECK(r.rsa_check_private({k0.n, 0, wrong}) == rc::binding);
    CHECK(r.rsa_check_private({k0.n, 0, hex("01")}) == rc::binding);
    CHECK(r.rsa_check_private({k0.n, 0, {}}) == rc::binding);
    CHECK(r.rsa_check_private({k0.n, 0, k0.n}) == rc::binding);
    CHECK(r.rsa_decrypt_raw({k0.n, 0, wrong}, bytes(128, 1), out) == rc::binding);
    CHECK(r.rsa_check_private(k0.priv()) == rc::success);
    // primes of unequal size (Part 1 §43.1: p^2 and q^2 must have as many bits as n)
    key_bytes big = generate(r, 3072, 0, "cache big");
    const Botan::BigInt p512(k0.p.data(), k0.p.size()), p1536(big.p.data(), big.p.size());
    const Botan::BigInt lopsided = p512 * p1536;
    bytes ln(lopsided.bytes());
    lopsided.binary_encode(ln.data(), ln.size());
    CHECK(r.rsa_check_private({ln, 0, k0.p}) == rc::binding);
    CHECK(r.rsa_check_private({ln, 0, big.p}) == rc::binding);
    // an exponent that has no inverse: e = 3 with p = 1 (mod 3) or q = 1 (mod 3)
    bool found = false;
    for (const auto& k : keys) {
        const Botan::BigInt p(k.p.data(), k.p.size()), n(k.n.data(), k.n.size());
        if ((p - 1) % Botan::word{3} == 0 || (n / p - 1) % Botan::word{3} == 0) {
            CHECK(r.rsa_check_private({k.n, 3, k.p}) == rc::binding);
            found = true;
            break;
        }
    }
    CHECK(found);
    CHECK_FALSE(r.failed());
}

// Hidden (run with "[.bench]"): timings for docs/benchmarks.md.
TEST_CASE("rsa: timings", "[crypto][rsa][.bench]") {
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::duration d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };
    rsa_provider r;
    for (std::size_t bits : {1024, 2048, 3072}) {
        const int n = bits == 3072 ? 11 : 21;
        std::vector<double> t;
        for (int i = 0; i < n; ++i) {
            const auto t0 = clock::now();
            (void)generate(r, bits, 0, "bench " + std::to_string(i));
            t.push_back(ms(clock::now() - t0));
        }
        std::sort(t.begin(), t.end());
        WARN("keygen " << bits << ": median " << t[t.size() / 2] << " ms, min " << t.front()
                       << ", max " << t.back() << " (n=" << n << ")");
    }
    const key_bytes key = generate(r, 2048, 0, "bench key");
    const bytes dig = digest(alg::sha256, 1);
    bytes sig(256), ct(256), m(256);
    r.clear_cache();
    auto t0 = clock::now();
    REQUIRE(r.rsa_check_private(key.priv()) == rc::success);
    WARN("private key load (2048): " << ms(clock::now() - t0) << " ms");
    auto each = [&](const char* what, int n, auto&& f) {
        const auto s = clock::now();
        for (int i = 0; i < n; ++i) REQUIRE(f() == rc::success);
        WARN(what << ": " << ms(clock::now() - s) * 1000 / n << " us");
    };
    each("sign RSASSA 2048", 200,
         [&] { return r.rsa_sign_pkcs1(key.priv(), alg::sha256, dig, sig); });
    each("sign RSAPSS 2048", 200,
         [&] { return r.rsa_sign_pss(key.priv(), alg::sha256, dig, sig); });
    REQUIRE(r.rsa_sign_pkcs1(key.priv(), alg::sha256, dig, sig) == rc::success);
    each("verify RSASSA 2048", 2000,
         [&] { return r.rsa_verify_pkcs1(key.pub(), alg::sha256, dig, sig); });
    each("encrypt OAEP 2048", 2000,
         [&] { return r.rsa_encrypt_oaep(key.pub(), alg::sha256, {}, dig, ct); });
    each("decrypt OAEP 2048", 200, [&] {
        return r.rsa_decrypt_oaep(key.priv(), alg::sha256, {}, ct, m).error();
    });
}
