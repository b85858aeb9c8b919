// Tests for include/vtpm/crypto/symmetric.hpp and crypto/botan/symmetric.hpp.
//
// Oracles:
//  - NIST SP800-38A Appendix F known-answer vectors (AES-128/192/256, ECB/CBC/CFB128/OFB/CTR);
//  - the `openssl enc` command (OpenSSL 3), run at test time, for every cipher, key size and
//    mode (TDES has no CTR in OpenSSL: its keystream is built from openssl's ECB output);
//  - ivOut values computed independently (last ciphertext block, counter arithmetic on the
//    IV, keystream blocks from openssl OFB over zeros).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <vtpm/crypto/botan/symmetric.hpp>
#include <vtpm/crypto/symmetric.hpp>

using namespace vtpm;
using vtpm::crypto::botan::symmetric_provider;

namespace {

bytes hex(std::string_view s) {
    bool ok = false;
    bytes b = from_hex(s, &ok);
    REQUIRE(ok);
    return b;
}

/// Deterministic test data.
bytes pattern(std::size_t n, std::uint8_t seed) {
    bytes b(n);
    std::uint32_t x = 0x9E3779B9u * (seed + 1u);
    for (auto& c : b) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<std::uint8_t>(x >> 24);
    }
    return b;
}

bytes cat(byte_view a, byte_view b) {
    bytes r(a.begin(), a.end());
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

// --- the independent oracle: the openssl command ----------------------------------------

struct temp_file {
    std::string path;
    temp_file() {
        char p[] = "/tmp/vtpm_symmetric_test_XXXXXX";
        const int fd = mkstemp(p);
        REQUIRE(fd >= 0);
        close(fd);
        path = p;
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() { std::remove(path.c_str()); }
};

/// `openssl enc -<cipher>` over data (no padding, no salt); iv empty for ECB.
bytes openssl_enc(const std::string& cipher, bool encrypt, byte_view key, byte_view iv,
                  byte_view data) {
    temp_file in, out;
    {
        std::ofstream f(in.path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(data.data()),
                static_cast<std::streamsize>(data.size()));
    }
    std::string cmd = "openssl enc -" + cipher + (encrypt ? " -e" : " -d") + " -nopad -nosalt -K " +
                      to_hex(key) + (iv.empty() ? "" : " -iv " + to_hex(iv)) + " -in " + in.path +
                      " -out " + out.path + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string msg;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) msg += buf;
    INFO(cmd << "\n" << msg);
    REQUIRE(pclose(p) == 0);
    std::ifstream f(out.path, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

struct cipher_case {
    tpm_alg_id alg;
    std::size_t key_bytes;
    const char* openssl; // openssl cipher name prefix: <prefix>-cfb, ...; ECB: see ecb_name
};

const cipher_case all_ciphers[] = {
    {alg::aes, 16, "aes-128"},           {alg::aes, 24, "aes-192"},
    {alg::aes, 32, "aes-256"},           {alg::sm4, 16, "sm4"},
    {alg::camellia, 16, "camellia-128"}, {alg::camellia, 24, "camellia-192"},
    {alg::camellia, 32, "camellia-256"}, {alg::tdes, 24, "des-ede3"},
    {alg::tdes, 16, "des-ede"},
};

std::string openssl_name(const cipher_case& c, tpm_alg_id mode) {
    const std::string base = c.openssl;
    switch (mode) {
    case alg::cfb: return base + "-cfb";
    case alg::ofb: return base + "-ofb";
    case alg::cbc: return base + "-cbc";
    case alg::ctr: return base + "-ctr";
    default: return c.alg == alg::tdes ? base : base + "-ecb"; // des-ede3 / des-ede are ECB
    }
}

/// IV + blocks as a big-endian number modulo 2^(8 size), computed digit by digit.
bytes add_to_counter(bytes iv, std::uint64_t blocks) {
    unsigned carry = 0;
    for (std::size_t i = iv.size(); i-- > 0;) {
        const unsigned s = iv[i] + static_cast<unsigned>(blocks & 0xFF) + carry;
        iv[i] = static_cast<std::uint8_t>(s);
        carry = s >> 8;
        blocks >>= 8;
    }
    return iv;
}

/// The keystream of CTR mode from openssl's ECB encryption of the counter blocks.
bytes ctr_via_ecb(const cipher_case& c, byte_view key, byte_view iv, byte_view data) {
    const std::size_t B = iv.size(), blocks = (data.size() + B - 1) / B;
    bytes counters;
    for (std::size_t i = 0; i < blocks; ++i) {
        const bytes ctr = add_to_counter(bytes(iv.begin(), iv.end()), i);
        counters.insert(counters.end(), ctr.begin(), ctr.end());
    }
    const bytes ks = openssl_enc(openssl_name(c, alg::ecb), true, key, {}, counters);
    bytes out(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) out[i] = data[i] ^ ks[i];
    return out;
}

bytes reference_encrypt(const cipher_case& c, tpm_alg_id mode, byte_view key, byte_view iv,
                        byte_view data) {
    if (mode == alg::ctr && c.alg == alg::tdes) return ctr_via_ecb(c, key, iv, data);
    return openssl_enc(openssl_name(c, mode), true, key, mode == alg::ecb ? byte_view{} : iv,
                       data);
}

/// The ivOut the TPM must return for `data` (plaintext) and `ct` (its ciphertext).
bytes expected_iv_out(const cipher_case& c, tpm_alg_id mode, byte_view key, byte_view iv,
                      byte_view ct) {
    const std::size_t B = iv.size();
    const std::size_t n = ct.size(), blocks = (n + B - 1) / B, tail = n % B;
    if (n == 0) return bytes(iv.begin(), iv.end());
    switch (mode) {
    case alg::cbc: return bytes(ct.end() - static_cast<std::ptrdiff_t>(B), ct.end());
    case alg::cfb: {
        // last ciphertext block; a partial one zero-filled (reference implementation)
        const std::size_t len = tail == 0 ? B : tail;
        bytes r(ct.end() - static_cast<std::ptrdiff_t>(len), ct.end());
        r.resize(B, 0);
        return r;
    }
    case alg::ctr: return add_to_counter(bytes(iv.begin(), iv.end()), blocks);
    case alg::ofb: {
        // keystream block number `blocks`: OFB over zeros gives the keystream itself
        const bytes ks = openssl_enc(openssl_name(c, alg::ofb), true, key, iv, bytes(blocks * B));
        return bytes(ks.end() - static_cast<std::ptrdiff_t>(B), ks.end());
    }
    default: return {};
    }
}

const tpm_alg_id all_modes[] = {alg::cfb, alg::ctr, alg::ofb, alg::cbc, alg::ecb};

const char* mode_name(tpm_alg_id m) {
    switch (m) {
    case alg::cfb: return "CFB";
    case alg::ctr: return "CTR";
    case alg::ofb: return "OFB";
    case alg::cbc: return "CBC";
    default: return "ECB";
    }
}

} // namespace

TEST_CASE("symmetric: block and key sizes", "[crypto][symmetric]") {
    CHECK(crypto::sym_block_size(alg::aes) == 16);
    CHECK(crypto::sym_block_size(alg::sm4) == 16);
    CHECK(crypto::sym_block_size(alg::camellia) == 16);
    CHECK(crypto::sym_block_size(alg::tdes) == 8);
    CHECK(crypto::sym_block_size(alg::sha256) == 0);
    CHECK(crypto::sym_key_bits_valid(alg::aes, 192));
    CHECK_FALSE(crypto::sym_key_bits_valid(alg::aes, 64));
    CHECK_FALSE(crypto::sym_key_bits_valid(alg::sm4, 256));
    CHECK(crypto::sym_key_bits_valid(alg::tdes, 128));
    CHECK(crypto::is_sym_mode(alg::ecb));
    CHECK_FALSE(crypto::is_sym_mode(alg::null));
    CHECK_FALSE(crypto::is_sym_mode(alg::cmac));

    const symmetric_provider s;
    for (const auto& c : all_ciphers) CHECK(s.sym_supported(c.alg, c.key_bytes * 8));
    CHECK_FALSE(s.sym_supported(alg::aes, 64));
    CHECK_FALSE(s.sym_supported(alg::aes, 130));
    CHECK_FALSE(s.sym_supported(alg::rsa, 128));
}

TEST_CASE("symmetric: NIST SP800-38A vectors (AES)", "[crypto][symmetric]") {
    // SP800-38A Appendix F: F.1 ECB, F.2 CBC, F.3.13/F.3.17 CFB128, F.4 OFB, F.5 CTR.
    const bytes pt = hex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
                         "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710");
    const bytes iv = hex("000102030405060708090a0b0c0d0e0f");
    const bytes ctr0 = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    struct kat {
        const char* key;
        tpm_alg_id mode;
        const char* ct;
    };
    const std::string k128 = "2b7e151628aed2a6abf7158809cf4f3c";
    const std::string k192 = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
    const std::string k256 = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
    const kat kats[] = {
        {k128.c_str(), alg::ecb,
         "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
         "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"},
        {k128.c_str(), alg::cbc,
         "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
         "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
        {k128.c_str(), alg::cfb,
         "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b"
         "26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6"},
        {k128.c_str(), alg::ofb,
         "3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed825"
         "9740051e9c5fecf64344f7a82260edcc304c6528f659c77866a510d9c1d6ae5e"},
        {k128.c_str(), alg::ctr,
         "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
         "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
        {k192.c_str(), alg::ecb,
         "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
         "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e"},
        {k256.c_str(), alg::ecb,
         "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
         "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"},
        {k256.c_str(), alg::cbc,
         "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
         "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
        {k256.c_str(), alg::cfb,
         "dc7e84bfda79164b7ecd8486985d386039ffed143b28b1c832113c6331e5407b"
         "df10132415e54b92a13ed0a8267ae2f975a385741ab9cef82031623d55b1e471"},
        {k256.c_str(), alg::ofb,
         "dc7e84bfda79164b7ecd8486985d38604febdc6740d20b3ac88f6ad82a4fb08d"
         "71ab47a086e86eedf39d1c5bba97c4080126141d67f37be8538f5a8be740e484"},
        {k256.c_str(), alg::ctr,
         "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
         "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
    };
    symmetric_provider s;
    for (const auto& k : kats) {
        const bytes key = hex(k.key);
        const bytes ct = hex(k.ct);
        const bytes v = k.mode == alg::ecb ? bytes{} : k.mode == alg::ctr ? ctr0 : iv;
        INFO(mode_name(k.mode) << " key " << k.key);
        bytes out(pt.size()), iv_out(16);
        REQUIRE(s.sym_encrypt(alg::aes, k.mode, key, v, pt, out, iv_out) == rc::success);
        CHECK(to_hex(out) == to_hex(ct));
        bytes back(ct.size());
        REQUIRE(s.sym_decrypt(alg::aes, k.mode, key, v, ct, back, iv_out) == rc::success);
        CHECK(to_hex(back) == to_hex(pt));
        if (k.mode == alg::ctr) // four blocks: the counter advanced by 4 (Part 3 Table 64)
            CHECK(to_hex(iv_out) == "f0f1f2f3f4f5f6f7f8f9fafbfcfdff03");
        if (k.mode == alg::cbc || k.mode == alg::cfb)
            CHECK(to_hex(iv_out) == to_hex(byte_view{ct}.last(16)));
    }
}

TEST_CASE("symmetric: every cipher and mode against openssl enc", "[crypto][symmetric]") {
    symmetric_provider s;
    std::uint8_t seed = 1;
    for (const auto& c : all_ciphers) {
        const std::size_t B = crypto::sym_block_size(c.alg);
        const bytes key = pattern(c.key_bytes, seed++);
        for (tpm_alg_id mode : all_modes) {
            // whole blocks only for CBC/ECB; otherwise a partial final block too
            const std::size_t n = crypto::sym_mode_needs_blocks(mode) ? 13 * B : 13 * B + 5;
            const bytes pt = pattern(n, seed++);
            const bytes iv = mode == alg::ecb ? bytes{} : pattern(B, seed++);
            INFO(c.openssl << " " << mode_name(mode) << " n=" << n);

            const bytes want = reference_encrypt(c, mode, key, iv, pt);
            REQUIRE(want.size() == n);
            bytes ct(n), iv_out(B, 0xEE);
            REQUIRE(s.sym_encrypt(c.alg, mode, key, iv, pt, ct, iv_out) == rc::success);
            CHECK(to_hex(ct) == to_hex(want));

            bytes pt2(n), iv_out2(B, 0xEE);
            REQUIRE(s.sym_decrypt(c.alg, mode, key, iv, want, pt2, iv_out2) == rc::success);
            CHECK(to_hex(pt2) == to_hex(pt));

            if (mode == alg::ecb) {
                CHECK(iv_out == bytes(B, 0xEE)); // ECB writes no ivOut
            } else {
                const bytes exp_iv = expected_iv_out(c, mode, key, iv, want);
                CHECK(to_hex(iv_out) == to_hex(exp_iv));
                CHECK(to_hex(iv_out2) == to_hex(exp_iv));
            }
            // openssl decrypts ours (for CTR/TDES the ECB-built keystream is its own inverse)
            if (!(mode == alg::ctr && c.alg == alg::tdes))
                CHECK(to_hex(openssl_enc(openssl_name(c, mode), false, key, iv, ct)) ==
                      to_hex(pt));
        }
    }
}

TEST_CASE("symmetric: ivOut chains calls (two calls equal one)", "[crypto][symmetric]") {
    symmetric_provider s;
    for (const auto& c : all_ciphers) {
        const std::size_t B = crypto::sym_block_size(c.alg);
        const bytes key = pattern(c.key_bytes, 40);
        for (tpm_alg_id mode : all_modes) {
            if (mode == alg::ecb) continue;
            INFO(c.openssl << " " << mode_name(mode));
            const bytes iv = pattern(B, 41);
            const std::size_t total = crypto::sym_mode_needs_blocks(mode) ? 40 * B : 40 * B + 3;
            const bytes pt = pattern(total, 42);
            bytes whole(total), iv_whole(B);
            REQUIRE(s.sym_encrypt(c.alg, mode, key, iv, pt, whole, iv_whole) == rc::success);
            // first part: whole blocks (a chain is exact only at block boundaries, Part 3
            // Table 64), crossing the provider's 16-block internal chunks
            for (std::size_t first : {std::size_t{0}, B, 17 * B, 32 * B}) {
                bytes a(first), b(total - first), iv_mid(B), iv_end(B);
                REQUIRE(s.sym_encrypt(c.alg, mode, key, iv, byte_view{pt}.first(first), a,
                                      iv_mid) == rc::success);
                REQUIRE(s.sym_encrypt(c.alg, mode, key, iv_mid, byte_view{pt}.subspan(first), b,
                                      iv_end) == rc::success);
                CHECK(to_hex(cat(a, b)) == to_hex(whole));
                CHECK(to_hex(iv_end) == to_hex(iv_whole));
                // decryption chains the same way
                bytes da(first), db(total - first), div_mid(B), div_end(B);
                REQUIRE(s.sym_decrypt(c.alg, mode, key, iv, byte_view{whole}.first(first), da,
                                      div_mid) == rc::success);
                REQUIRE(s.sym_decrypt(c.alg, mode, key, div_mid,
                                      byte_view{whole}.subspan(first), db,
                                      div_end) == rc::success);
                CHECK(to_hex(cat(da, db)) == to_hex(pt));
                CHECK(to_hex(div_end) == to_hex(iv_whole));
            }
        }
    }
}

TEST_CASE("symmetric: partial final blocks follow the reference implementation",
          "[crypto][symmetric]") {
    symmetric_provider s;
    const bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
    const bytes iv = hex("000102030405060708090a0b0c0d0e0f");
    const bytes pt = pattern(21, 7); // one block and 5 bytes
    bytes ct(21), iv_out(16);

    // CFB: ivOut = the 5 ciphertext bytes of the partial block, then zeros
    REQUIRE(s.sym_encrypt(alg::aes, alg::cfb, key, iv, pt, ct, iv_out) == rc::success);
    CHECK(to_hex(iv_out) == to_hex(ct).substr(32) + std::string(22, '0'));
    bytes back(21), iv_dec(16);
    REQUIRE(s.sym_decrypt(alg::aes, alg::cfb, key, iv, ct, back, iv_dec) == rc::success);
    CHECK(back == pt);
    CHECK(iv_dec == iv_out);

    // CTR: the partial block counts as a used counter value
    REQUIRE(s.sym_encrypt(alg::aes, alg::ctr, key, iv, pt, ct, iv_out) == rc::success);
    CHECK(to_hex(iv_out) == "000102030405060708090a0b0c0d0e11");

    // OFB: ivOut is the whole keystream block used for the partial block
    REQUIRE(s.sym_encrypt(alg::aes, alg::ofb, key, iv, pt, ct, iv_out) == rc::success);
    const bytes ks = openssl_enc("aes-128-ofb", true, key, iv, bytes(32));
    CHECK(to_hex(iv_out) == to_hex(byte_view{ks}.last(16)));

    // CTR wraps the whole 128-bit counter (big-endian, modulo 2^128)
    const bytes ff(16, 0xFF);
    bytes ct2(48), iv2(16);
    REQUIRE(s.sym_encrypt(alg::aes, alg::ctr, key, ff, pattern(48, 3), ct2, iv2) == rc::success);
    CHECK(to_hex(iv2) == "00000000000000000000000000000002");
    const cipher_case aes128{alg::aes, 16, "aes-128"};
    CHECK(to_hex(ct2) == to_hex(ctr_via_ecb(aes128, key, ff, pattern(48, 3))));

    // empty input: ivOut = ivIn
    bytes none;
    for (tpm_alg_id m : {alg::cfb, alg::ctr, alg::ofb, alg::cbc}) {
        bytes io(16);
        REQUIRE(s.sym_encrypt(alg::aes, m, key, iv, none, none, io) == rc::success);
        CHECK(io == iv);
    }
}

TEST_CASE("symmetric: in place equals out of place", "[crypto][symmetric]") {
    symmetric_provider s;
    for (const auto& c : all_ciphers) {
        const std::size_t B = crypto::sym_block_size(c.alg);
        const bytes key = pattern(c.key_bytes, 50);
        for (tpm_alg_id mode : all_modes) {
            INFO(c.openssl << " " << mode_name(mode));
            const bytes iv = mode == alg::ecb ? bytes{} : pattern(B, 51);
            const std::size_t n = crypto::sym_mode_needs_blocks(mode) ? 63 * B : 63 * B + 7;
            const bytes pt = pattern(n, 52);
            bytes ct(n), iv1(B), iv2(B);
            REQUIRE(s.sym_encrypt(c.alg, mode, key, iv, pt, ct, iv1) == rc::success);
            bytes buf = pt;
            REQUIRE(s.sym_encrypt(c.alg, mode, key, iv, buf, buf, iv2) == rc::success);
            CHECK(buf == ct);
            CHECK(iv1 == iv2);
            REQUIRE(s.sym_decrypt(c.alg, mode, key, iv, buf, buf, iv2) == rc::success);
            CHECK(buf == pt);
            // ivOut may alias ivIn
            if (mode != alg::ecb) {
                bytes v = iv;
                REQUIRE(s.sym_encrypt(c.alg, mode, key, v, pt, ct, v) == rc::success);
                CHECK(v == iv1);
            }
        }
    }
}

TEST_CASE("symmetric: changing keys re-keys the cached cipher", "[crypto][symmetric]") {
    symmetric_provider s;
    const bytes k1 = pattern(16, 60), k2 = pattern(16, 61), iv = pattern(16, 62);
    const bytes pt = pattern(100, 63);
    auto enc = [&](symmetric_provider& p, const bytes& k) {
        bytes out(pt.size());
        REQUIRE(p.sym_encrypt(alg::aes, alg::cfb, k, iv, pt, out, {}) == rc::success);
        return out;
    };
    const bytes c1 = enc(s, k1), c2 = enc(s, k2), c1b = enc(s, k1);
    CHECK(c1 != c2);
    CHECK(c1 == c1b);
    symmetric_provider fresh;
    CHECK(enc(fresh, k2) == c2);
    // same algorithm and key, other key size: a separate cipher object
    const bytes k3 = pattern(32, 64);
    bytes out(pt.size());
    REQUIRE(s.sym_encrypt(alg::aes, alg::cfb, k3, iv, pt, out, {}) == rc::success);
    CHECK(to_hex(out) == to_hex(openssl_enc("aes-256-cfb", true, k3, iv, pt)));
    CHECK(enc(s, k1) == c1);
}

TEST_CASE("symmetric: cfb_encrypt / cfb_decrypt", "[crypto][symmetric]") {
    symmetric_provider s;
    const bytes key = pattern(32, 70), iv = pattern(16, 71);
    const bytes pt = pattern(77, 72);
    bytes buf = pt;
    REQUIRE(s.cfb_encrypt(alg::aes, key, iv, buf) == rc::success);
    CHECK(to_hex(buf) == to_hex(openssl_enc("aes-256-cfb", true, key, iv, pt)));
    REQUIRE(s.cfb_decrypt(alg::aes, key, iv, buf) == rc::success);
    CHECK(buf == pt);
    // an empty IV is the zero IV (sensitive-area encryption, Part 1 §8.4.7.2)
    REQUIRE(s.cfb_encrypt(alg::aes, key, {}, buf) == rc::success);
    CHECK(to_hex(buf) == to_hex(openssl_enc("aes-256-cfb", true, key, bytes(16), pt)));
    REQUIRE(s.cfb_decrypt(alg::aes, key, {}, buf) == rc::success);
    CHECK(buf == pt);
    // SM4 and Camellia too
    const bytes k16 = pattern(16, 73);
    buf = pt;
    REQUIRE(s.cfb_encrypt(alg::sm4, k16, iv, buf) == rc::success);
    CHECK(to_hex(buf) == to_hex(openssl_enc("sm4-cfb", true, k16, iv, pt)));
    buf = pt;
    REQUIRE(s.cfb_encrypt(alg::camellia, k16, iv, buf) == rc::success);
    CHECK(to_hex(buf) == to_hex(openssl_enc("camellia-128-cfb", true, k16, iv, pt)));
    // errors
    CHECK(s.cfb_encrypt(alg::aes, pattern(20, 1), iv, buf) == rc::key_size);
    CHECK(s.cfb_encrypt(alg::aes, key, pattern(8, 1), buf) == rc::size);
    CHECK(s.cfb_decrypt(alg::null, key, iv, buf) == rc::symmetric);
}

TEST_CASE("symmetric: parameter errors", "[crypto][symmetric]") {
    symmetric_provider s;
    const bytes k16 = pattern(16, 80), iv = pattern(16, 81), data = pattern(32, 82);
    bytes out(32), iv_out(16);
    auto enc = [&](tpm_alg_id a, tpm_alg_id m, byte_view k, byte_view v, byte_view in,
                   byte_span o, byte_span io) { return s.sym_encrypt(a, m, k, v, in, o, io); };

    CHECK(enc(alg::rsa, alg::cfb, k16, iv, data, out, iv_out) == rc::symmetric);
    CHECK(enc(alg::null, alg::cfb, k16, iv, data, out, iv_out) == rc::symmetric);
    CHECK(enc(alg::aes, alg::cfb, pattern(20, 1), iv, data, out, iv_out) == rc::key_size);
    CHECK(enc(alg::aes, alg::cfb, {}, iv, data, out, iv_out) == rc::key_size);
    CHECK(enc(alg::sm4, alg::cfb, pattern(32, 1), iv, data, out, iv_out) == rc::key_size);
    CHECK(enc(alg::tdes, alg::cfb, pattern(8, 1), pattern(8, 2), data, out, iv_out) ==
          rc::key_size);
    CHECK(enc(alg::aes, alg::null, k16, iv, data, out, iv_out) == rc::mode);
    CHECK(enc(alg::aes, alg::cmac, k16, iv, data, out, iv_out) == rc::mode);
    CHECK(enc(alg::aes, alg::cfb, k16, pattern(15, 1), data, out, iv_out) == rc::size);
    CHECK(enc(alg::aes, alg::cfb, k16, {}, data, out, iv_out) == rc::size);
    CHECK(enc(alg::tdes, alg::cbc, pattern(24, 1), iv, data, out, iv_out) == rc::size);
    CHECK(enc(alg::aes, alg::ecb, k16, iv, data, out, iv_out) == rc::size); // ECB: no IV
    CHECK(enc(alg::aes, alg::cbc, k16, iv, byte_view{data}.first(17), out, iv_out) == rc::size);
    CHECK(enc(alg::aes, alg::ecb, k16, {}, byte_view{data}.first(31), out, iv_out) == rc::size);
    CHECK(enc(alg::aes, alg::ctr, k16, iv, data, byte_span{out}.first(31), iv_out) == rc::size);
    CHECK(enc(alg::aes, alg::ofb, k16, iv, data, out, byte_span{iv_out}.first(8)) == rc::size);
    CHECK(s.sym_decrypt(alg::aes, alg::cbc, k16, iv, byte_view{data}.first(8), out, iv_out) ==
          rc::size);
    // allowed: ECB ignores ivOut, partial blocks in stream modes, TDES with 8-byte blocks
    CHECK(enc(alg::aes, alg::ecb, k16, {}, data, out, iv_out) == rc::success);
    CHECK(enc(alg::aes, alg::ctr, k16, iv, byte_view{data}.first(1), out, {}) == rc::success);
    CHECK(enc(alg::tdes, alg::cbc, pattern(24, 1), pattern(8, 2), byte_view{data}.first(8), out,
              byte_span{iv_out}.first(8)) == rc::success);
    CHECK_FALSE(s.failed());
}

// Hidden (run with "[.bench]"): the time of the sym workload's primitive.
TEST_CASE("symmetric: time of 1 KiB AES-128-CFB", "[crypto][symmetric][.bench]") {
    symmetric_provider s;
    const bytes key = pattern(16, 90), iv = pattern(16, 91);
    bytes buf = pattern(1024, 92), iv_out(16);
    for (const bool enc : {true, false}) {
        constexpr int n = 200000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            const rc r = enc ? s.sym_encrypt(alg::aes, alg::cfb, key, iv, buf, buf, iv_out)
                             : s.sym_decrypt(alg::aes, alg::cfb, key, iv, buf, buf, iv_out);
            REQUIRE(r == rc::success);
        }
        const std::chrono::duration<double, std::nano> dt = std::chrono::steady_clock::now() - t0;
        WARN((enc ? "encrypt" : "decrypt") << " 1 KiB AES-128-CFB: " << dt.count() / n / 1000
                                           << " us");
    }
}
