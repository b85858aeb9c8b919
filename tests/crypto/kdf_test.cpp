// Tests for include/vtpm/crypto/kdf.hpp (run on the Botan backend).
//
// How the expected values were obtained:
//  - "self-test" KDFa: the KDF self-test vector of the TCG TPM 2.0 reference implementation
//    (key 271FA08B..DA0C, label "KDFSELFTESTLABEL\0", contextU CE244F395DCA7391, contextV
//    DA504031DDF12E83, 160 bits; one expected value per hash SHA-1/256/384/512).
//  - every other KDFa value with bits % 8 == 0 was computed with /usr/bin/python3
//    cryptography 38.0.4 KBKDFHMAC(mode=CounterMode, rlen=4, llen=4,
//    location=BeforeFixed, label=<label without NUL>, context=U||V): SP800-108's fixed input
//    label || 0x00 || context || [L]32 is exactly the TPM's. It also reproduces the self-test
//    vectors above. Values with bits % 8 != 0 (which KBKDFHMAC cannot express) come from a
//    10-line transcription of Part 1 §11.4.10.2 using Python's hmac module.
//  - KDFe values: cryptography ConcatKDFHash(h, n, otherinfo=label||0x00||U||V).derive(Z)
//    (SP800-56A concatenation KDF); the 13-bit value from a Python transcription of
//    Part 1 §11.4.10.3.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include <vtpm/crypto/botan/backend.hpp>
#include <vtpm/crypto/kdf.hpp>

using namespace vtpm;
using vtpm::crypto::kdfa;
using vtpm::crypto::kdfe;

namespace {

byte_view text(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

crypto::botan::backend make() { return crypto::botan::backend{text("kdf tests")}; }

const bytes st_key = from_hex("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C");
const bytes st_u = from_hex("CE244F395DCA7391");
const bytes st_v = from_hex("DA504031DDF12E83");
// The reference code's label is 17 bytes with its NUL.
constexpr std::string_view st_label_nul{"KDFSELFTESTLABEL\0", 17};
constexpr std::string_view st_label{"KDFSELFTESTLABEL"};

std::string run_kdfa(crypto::botan::backend& c, tpm_alg_id h, std::uint32_t bits,
                     std::string_view label = st_label_nul) {
    bytes out((bits + 7) / 8);
    REQUIRE(kdfa(c, h, st_key, label, st_u, st_v, bits, out) == rc::success);
    return to_hex(out);
}

} // namespace

TEST_CASE("kdfa: TPM reference self-test vectors", "[crypto][kdf]") {
    auto c = make();
    CHECK(run_kdfa(c, alg::sha1, 160) == "55b5a7184aa07423c47dae766c26a2377d7cf851");
    CHECK(run_kdfa(c, alg::sha256, 160) == "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4");
    CHECK(run_kdfa(c, alg::sha384, 160) == "1dce70c9113eb2dba47bd9cfc72bf46f45b09312");
    CHECK(run_kdfa(c, alg::sha512, 160) == "8be2c1b85b78569b9fa759f5857c56d684810fd3");
}

TEST_CASE("kdfa: the 0x00 after the label is added only when missing", "[crypto][kdf]") {
    // Part 1 §11.4.10.2: a label that already ends in NUL gets no second one.
    auto c = make();
    const std::string expected = "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4";
    CHECK(run_kdfa(c, alg::sha256, 160, st_label) == expected);
    CHECK(run_kdfa(c, alg::sha256, 160, st_label_nul) == expected);
    // The byte_view overload behaves the same.
    bytes out(20);
    REQUIRE(kdfa(c, alg::sha256, st_key, text(st_label), st_u, st_v, 160, out) == rc::success);
    CHECK(to_hex(out) == expected);
    // Two NULs are data: the label then ends in NUL and nothing is added, so the result
    // differs.
    CHECK(run_kdfa(c, alg::sha256, 160, std::string_view{"KDFSELFTESTLABEL\0\0", 18}) !=
          expected);
}

TEST_CASE("kdfa: several blocks, every hash", "[crypto][kdf]") {
    // 520 bits: 65 bytes, i.e. several HMAC blocks and a partial last one for every hash.
    auto c = make();
    struct row {
        tpm_alg_id h;
        std::string_view out;
    };
    const row rows[] = {
        {alg::sha1, "9e1de5ea6c0def9855b70474b44b534048b032ecf22871e421d8f641923640fb94b3abbe05f40bf419849aecf653b6e339e81d587932895af34327ad8ab50e78b4"},
        {alg::sha256, "a3fdcb3257bb58136bae0976de352d20290bc34d106dc1cef0bbe674dc0feb4cbc2066854cfebe13b54cd9c84b716e0753c8aa674adcb024cbf50203e028542e38"},
        {alg::sha384, "39298e4173e8f8c2e8f382e7f78714ceb8234d317cb22d585a84c28aa76720cb2c80fd32811535267636ea158d14e01b6328a39b70c4d5faff2e06c5f6b7e2e14c"},
        {alg::sha512, "0ab9f96f3292dea64c9c25fc5c98e76ce5f1eccb132372692568929e4cde188d4244f1646da96fe7a1d92817085b92b5c367010c6f5f5f83a23f22f90a1ed8a3da"},
        {alg::sm3_256, "4a3d3e377ee84100144a0bd881b9cae3a7dad41cfb85926f93d2552db0b04f2c52476332f2f1c55f89e9c677565a1118de84ccb0d3ab1739d02a74345907d61587"},
        {alg::sha3_256, "a721a9bf711d795211d6f9baf6b85f5cbcd2b9a6103b30ff4e77528b260d8e65a36c88fbe78ce85f138f0684adafeae008e16d1f0792a0ac8d4b3007cfaec2766b"},
        {alg::sha3_384, "5470361569782a6592d8c33753e1b3f4ac28a688c37dfbfad4718da0a8d9f95b78f668df31e4b664094832b53dee4446c32978f8f6d6daf894365acc8611175c44"},
        {alg::sha3_512, "13a96414e5277f4693d77693a9b6aafe394e612511a14f0db8610ca87acbd0b39fb7ed70c25569815ca39e84cbbf1e1866c97bce80ca909e3f4e2fdaa169d2439b"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.h);
        CHECK(run_kdfa(c, r.h, 520) == r.out);
    }
}

TEST_CASE("kdfa: bits not a multiple of 8 mask the first byte", "[crypto][kdf]") {
    // 12 bits: 2 bytes, the top 4 bits of the first byte cleared. The unmasked first block
    // starts ecc0..., so the mask really removes set bits. [L]32 is 12, not 16, so this is not
    // a truncation of a 16-bit result.
    auto c = make();
    CHECK(run_kdfa(c, alg::sha256, 12) == "0cc0");
    CHECK(run_kdfa(c, alg::sha256, 1) == "01");
}

TEST_CASE("kdfa: empty label and contexts, TPM-style labels", "[crypto][kdf]") {
    auto c = make();
    bytes out(32);
    // An empty label still contributes its 0x00.
    REQUIRE(kdfa(c, alg::sha256, st_key, byte_view{}, byte_view{}, byte_view{}, 256, out) ==
            rc::success);
    CHECK(to_hex(out) == "07635def70fc33b52b6f188d433a1e36a9cd31acff4d751d4ef1def83b73aa5d");

    // The shape of a protected object's symmetric key, KDFa(nameAlg, seed, "STORAGE", name,
    // {}, bits): seed 00..1f, name 00..21, 128 bits.
    bytes seed(32), name(34), key(16);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
    for (std::size_t i = 0; i < name.size(); ++i) name[i] = static_cast<std::uint8_t>(i);
    REQUIRE(kdfa(c, alg::sha256, seed, "STORAGE", name, byte_view{}, 128, key) == rc::success);
    CHECK(to_hex(key) == "a358b323684653d6603dd96af07fffed");
}

namespace {

bytes counting(std::size_t n) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i % 251);
    return b;
}

} // namespace

TEST_CASE("kdfa: long contexts take the HMAC-state path", "[crypto][kdf]") {
    // Inputs up to 512 bytes per block are HMACed one-shot from a stack buffer; longer ones
    // use a keyed HMAC state copied per block. Both paths and the boundary between them.
    auto c = make();
    auto run = [&](tpm_alg_id h, std::size_t u_len, std::size_t n) {
        bytes out(n);
        REQUIRE(kdfa(c, h, st_key, st_label_nul, counting(u_len), st_v,
                     static_cast<std::uint32_t>(8 * n), out) == rc::success);
        return to_hex(out);
    };
    CHECK(run(alg::sha256, 600, 65) ==
          "69b665a89f419b022ed59e9b4251bf3e4e64c6dbf6f54cada316e3ae0acbc81725753527d46dc6c8b3f2"
          "90f29ff0cfb23a0b79a41dd8a4aa3c1850855aaf4aad2f");
    CHECK(run(alg::sha1, 600, 65) ==
          "3ef83b412d6928f5c53d69b7c25c7f2da7b5d6edcb152aab38fb010f1ce701fd598da0ba0bf4911d206a"
          "c07748039389f04e1b5b605681a4ac590196900005a6da");
    // 4 + 17 + 479 + 8 + 4 = 512 bytes: the last size on the buffer path; one more byte is not.
    CHECK(run(alg::sha256, 479, 40) ==
          "cd610f0d83ef6e00ae8d6cf47e2f973f47e7d7b2cfcad2ce4f2b6a9adab332202c80fc6430cbfe52");
    CHECK(run(alg::sha256, 480, 40) ==
          "c36794573ea50cfa9566febe1a04a2ea080a7b8a69aa4464bbf0a8cc268c9414aefcb405c96ebb1b");
}

TEST_CASE("kdfa: errors", "[crypto][kdf]") {
    auto c = make();
    bytes out(20, 0xEE);
    const bytes untouched = out;
    CHECK(kdfa(c, alg::null, st_key, st_label_nul, st_u, st_v, 160, out) == rc::hash);
    CHECK(kdfa(c, alg::sha256_192, st_key, st_label_nul, st_u, st_v, 160, out) == rc::hash);
    CHECK(kdfa(c, alg::aes, st_key, st_label_nul, st_u, st_v, 160, out) == rc::hash);
    CHECK(kdfa(c, alg::sha256, st_key, st_label_nul, st_u, st_v, 0, out) == rc::size);
    CHECK(kdfa(c, alg::sha256, st_key, st_label_nul, st_u, st_v, 152, out) == rc::size);
    CHECK(kdfa(c, alg::sha256, st_key, st_label_nul, st_u, st_v, 161, out) == rc::size);
    CHECK(kdfa(c, alg::sha256, st_key, st_label_nul, st_u, st_v, 0xFFFFFFFFu, out) == rc::size);
    CHECK(out == untouched);
    CHECK(kdfa(c, alg::sha256, st_key, st_label_nul, st_u, st_v, 153, out) == rc::success);
    CHECK_FALSE(c.failed());
}

namespace {

const bytes z = from_hex("a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5");
const bytes party_u = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const bytes party_v = from_hex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");

std::string run_kdfe(crypto::botan::backend& c, tpm_alg_id h, std::string_view label,
                     std::uint32_t bits) {
    bytes out((bits + 7) / 8);
    REQUIRE(kdfe(c, h, z, label, party_u, party_v, bits, out) == rc::success);
    return to_hex(out);
}

} // namespace

TEST_CASE("kdfe: SP800-56A concatenation KDF, every hash", "[crypto][kdf]") {
    auto c = make();
    struct row {
        tpm_alg_id h;
        std::string_view out;
    };
    const row rows[] = {
        {alg::sha1, "731b69e98df3b23164c87550a2e156ad0b053e268a1e4c879383dd9ca2ee9ba0"},
        {alg::sha256, "421a6f6533282cc394fb049d22ed0df78971004d44c0fd4262d60d1bfa9f3dad"},
        {alg::sha384, "bed8512b07432751639b5b267baeb2e36d281ed8732ba530f5fa31679ada169e"},
        {alg::sha512, "41c1be999e0135b4d202c12c9dedd9e6e387e131175523320cec6b2f06a8763e"},
        {alg::sm3_256, "eb0f0ccf23c5e8b6cf4c0486c3678bd7b31a2d70086432bfe867c6c4dd0f0ac9"},
        {alg::sha3_256, "ba755ab204cafb3b40a00ce5c1377a42a29ee987171fee67c693d3c997d557cb"},
        {alg::sha3_384, "7e6c59037a6822f390368e5a9b070180414255276ba17f849c3a678c7440bc07"},
        {alg::sha3_512, "41633121e848a5a6bd6830cb66c7679b0f4a3d7e02724ec8769de4e889e9153d"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.h);
        CHECK(run_kdfe(c, r.h, "SECRET", 256) == r.out);
        // Same NUL rule as KDFa.
        CHECK(run_kdfe(c, r.h, std::string_view{"SECRET\0", 7}, 256) == r.out);
    }
}

TEST_CASE("kdfe: several blocks, masking, errors", "[crypto][kdf]") {
    auto c = make();
    // 600 bits = 75 bytes: three SHA-256 blocks, the last partial.
    CHECK(run_kdfe(c, alg::sha256, "IDENTITY", 600) ==
          "d9f53748d2f66b1ffa239ff73f18f033a4209f94c96946be49e6bc36dff8a55e2cdaeb977bc2ae51c5c2d3"
          "5cfffb86476b07a474e7557d3abe22631551df2766c4460848e85abe66cbb5e0");
    CHECK(run_kdfe(c, alg::sha256, "SECRET", 13) == "021a"); // unmasked: 421a

    // A PartyUInfo longer than the stack buffer (hash-state path).
    bytes long_out(65);
    REQUIRE(kdfe(c, alg::sha256, z, "SECRET", counting(600), st_v, 520, long_out) ==
            rc::success);
    CHECK(to_hex(long_out) ==
          "cb9bc48fb0c406aa0859aeecb6f706650af7e9049cb4fd2455e9b6861be5e521bcf7fef53325abe96f29"
          "fc00b7030b26f3e875d2df8cb9d0357fd72cb3c872df1c");

    bytes out(32, 0xEE);
    const bytes untouched = out;
    CHECK(kdfe(c, alg::null, z, "SECRET", party_u, party_v, 256, out) == rc::hash);
    CHECK(kdfe(c, alg::sha256, z, "SECRET", party_u, party_v, 0, out) == rc::size);
    CHECK(kdfe(c, alg::sha256, z, "SECRET", party_u, party_v, 264, out) == rc::size);
    CHECK(out == untouched);
    CHECK_FALSE(c.failed());
}
