// Tests for include/vtpm/crypto/hash_info.hpp.
#include <catch2/catch.hpp>

#include <iterator>

#include <vtpm/crypto/hash_info.hpp>

using namespace vtpm;
using namespace vtpm::crypto;

// Everything is constexpr: check at compile time ...
static_assert(digest_size(alg::sha1) == 20 && block_size(alg::sha1) == 64);
static_assert(digest_size(alg::sha3_256) == 32 && block_size(alg::sha3_256) == 136);
static_assert(digest_size(alg::null) == 0 && block_size(alg::null) == 0);

// ... and at run time, so a failure shows up as a test result too.
TEST_CASE("hash_info: digest and block sizes", "[crypto][hash_info]") {
    struct row {
        tpm_alg_id a;
        std::size_t digest, block;
    };
    // FIPS 180-4 §1 (SHA-1/2), FIPS 202 §6.1 (rate = 1600 - 2 * output bits), GM/T 0004 (SM3).
    const row rows[] = {
        {alg::sha1, 20, 64},       {alg::sha256, 32, 64},     {alg::sha384, 48, 128},
        {alg::sha512, 64, 128},    {alg::sm3_256, 32, 64},    {alg::sha3_256, 32, 136},
        {alg::sha3_384, 48, 104},  {alg::sha3_512, 64, 72},
    };
    REQUIRE(std::size(rows) == all_hash_algs.size());
    for (std::size_t i = 0; i < std::size(rows); ++i) {
        CAPTURE(rows[i].a);
        CHECK(all_hash_algs[i] == rows[i].a);
        CHECK(digest_size(rows[i].a) == rows[i].digest);
        CHECK(block_size(rows[i].a) == rows[i].block);
        CHECK(is_hash_alg(rows[i].a));
        CHECK(digest_size(rows[i].a) <= max_digest_size);
        CHECK(block_size(rows[i].a) <= max_block_size);
    }
}

TEST_CASE("hash_info: non-hash ids have size 0", "[crypto][hash_info]") {
    for (tpm_alg_id a : {alg::error, alg::null, alg::rsa, alg::hmac, alg::aes, alg::sha256_192,
                         alg::shake128, alg::shake256, tpm_alg_id{0xFFFF}}) {
        CAPTURE(a);
        CHECK(digest_size(a) == 0);
        CHECK(block_size(a) == 0);
        CHECK_FALSE(is_hash_alg(a));
    }
}
