// TPM2_EncryptDecrypt, TPM2_EncryptDecrypt2 and TPM2_HMAC (Part 3 §15) through the command
// pipeline, as raw bytes. Ciphertexts, chaining values (Part 3 Table 64) and HMACs are
// recomputed with Debian's /usr/bin/python3 (python3-cryptography, hmac), independent of the
// library's Botan backend.
//
// Keys are put into object slots directly until CreatePrimary/Load are available.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <unistd.h>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <support/oracle.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

using vtpm_test::python;
using vtpm_test::hx;
bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }
constexpr std::uint32_t rc_of(rc r) { return r.code(); }

const bytes key_auth{'s', 'y', 'm'};
constexpr std::uint32_t both = object_attr::decrypt | object_attr::sign_encrypt | object_attr::user_with_auth;

tpm_handle install(tpm_t& t, loaded_object o) {
    auto& e = t.internals();
    o.pub.name_alg.value = alg::sha256;
    o.sens.sensitive_type.value = o.pub.type.value;
    (void)o.sens.auth_value.assign(key_auth);
    o.hierarchy = rh::owner;
    o.name = object::compute_name(e.crypto, o.pub);
    auto slot = e.free_object_slot();
    REQUIRE(slot);
    e.objects[*slot] = std::move(o);
    return e.object_handle(*slot);
}

template <tpm_alg_id Cipher>
loaded_object sym_key(byte_view key, tpm_alg_id mode, std::uint32_t attrs = both) {
    loaded_object o;
    o.pub.type.value = alg::symcipher;
    o.pub.object_attributes.value = attrs;
    auto& sp = o.pub.parameters.emplace<alg::symcipher>();
    sp.sym.algorithm.value = Cipher;
    sp.sym.key_bits.emplace<Cipher>().value = static_cast<std::uint16_t>(8 * key.size());
    sp.sym.mode.emplace<Cipher>().value = mode;
    (void)o.pub.unique.emplace<alg::symcipher>().assign(bytes(32, 0x11));
    (void)o.sens.sensitive.emplace<alg::symcipher>().assign(key);
    return o;
}
loaded_object hmac_key(byte_view secret, tpm_alg_id scheme_hash, std::uint32_t attrs) {
    loaded_object o;
    o.pub.type.value = alg::keyedhash;
    o.pub.object_attributes.value = attrs;
    auto& kp = o.pub.parameters.emplace<alg::keyedhash>();
    kp.scheme.scheme.value = scheme_hash == alg::null ? alg::null : alg::hmac;
    if (scheme_hash != alg::null) kp.scheme.details.emplace<alg::hmac>().hash_alg.value = scheme_hash;
    (void)o.pub.unique.emplace<alg::keyedhash>().assign(bytes(32, 0x22));
    (void)o.sens.sensitive.emplace<alg::keyedhash>().assign(secret);
    return o;
}
loaded_object rsa_public_key() {
    loaded_object o;
    o.pub.type.value = alg::rsa;
    o.pub.object_attributes.value = both;
    auto& rp = o.pub.parameters.emplace<alg::rsa>();
    rp.symmetric.algorithm.value = alg::null;
    rp.scheme.scheme.value = alg::null;
    rp.key_bits.value = 2048;
    (void)o.pub.unique.emplace<alg::rsa>().assign(bytes(256, 0xC5));
    (void)o.sens.sensitive.emplace<alg::rsa>().assign(bytes(128, 0x37));
    return o;
}

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(9); }

bytes ed2_cmd(tpm_handle key, byte_view data, bool decrypt, tpm_alg_id mode, byte_view iv) {
    return command_builder(cc::encrypt_decrypt2).handle(key).password(key_auth).b2b(data).u8(decrypt ? 1 : 0).u16(mode)
        .b2b(iv).build();
}
bytes ed_cmd(tpm_handle key, byte_view data, bool decrypt, tpm_alg_id mode, byte_view iv) {
    return command_builder(cc::encrypt_decrypt).handle(key).password(key_auth).u8(decrypt ? 1 : 0).u16(mode).b2b(iv)
        .b2b(data).build();
}
struct crypt_result {
    bytes out, iv;
};
crypt_result crypt_ok(tpm_t& t, const bytes& cmd) {
    auto r = run(t, cmd);
    REQUIRE(r.rc == 0);
    (void)r.parameter_size();
    crypt_result c;
    c.out = r.b2b();
    c.iv = r.b2b();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 5);
    return c;
}

/// Python's ciphertext and the Table 64 chaining value for whole blocks (ECB: none).
crypt_result py_encrypt(const std::string& cipher, const std::string& mode, byte_view key, byte_view iv, byte_view data) {
    const std::string m = mode == "ECB" ? "modes.ECB()" : "modes." + mode + "(iv)";
    auto out = python(
        "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
        "key, iv, data = " + hx(key) + ", " + hx(iv) + ", " + hx(data) + "\n"
        "def enc(m, d): e = Cipher(algorithms." + cipher + "(key), m).encryptor(); return e.update(d) + e.finalize()\n"
        "c = enc(" + m + ", data)\nn = len(data) // 16\n"
        "mode = '" + mode + "'\n"
        "if mode in ('CBC', 'CFB'): ivout = c[-16:]\n"
        "elif mode == 'OFB': ivout = enc(modes.OFB(iv), bytes(16 * n))[-16:]\n"
        "elif mode == 'CTR': ivout = ((int.from_bytes(iv, 'big') + n) % 2**128).to_bytes(16, 'big')\n"
        "else: ivout = b''\n"
        "print(c.hex() + ' ' + ivout.hex())");
    const auto sp = out.find(' ');
    return {from_hex(out.substr(0, sp)), from_hex(out.substr(sp + 1))};
}

} // namespace

TEST_CASE("TPM2_EncryptDecrypt2 with AES-128 in every mode matches python3-cryptography", "[symcmd]") {
    auto t = started();
    const bytes key = from_hex("000102030405060708090a0b0c0d0e0f");
    const bytes iv = from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    bytes data(64);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13 + 1);
    auto h = install(t, sym_key<alg::aes>(key, alg::null));

    for (auto [mode, name] : {std::pair{alg::cfb, "CFB"}, std::pair{alg::cbc, "CBC"}, std::pair{alg::ctr, "CTR"},
                              std::pair{alg::ofb, "OFB"}, std::pair{alg::ecb, "ECB"}}) {
        INFO(name);
        const bytes ivin = mode == alg::ecb ? bytes{} : iv;
        const auto want = py_encrypt("AES", name, key, ivin, data);
        const auto enc = crypt_ok(t, ed2_cmd(h, data, false, mode, ivin));
        CHECK(enc.out == want.out);
        CHECK(enc.iv == want.iv);
        const auto dec = crypt_ok(t, ed2_cmd(h, enc.out, true, mode, ivin));
        CHECK(dec.out == data);
        CHECK(dec.iv == want.iv); // the same chaining value in both directions
        if (mode == alg::ecb) continue;
        // Chaining: two calls with ivOut as the next ivIn equal one call.
        const bytes first(data.begin(), data.begin() + 32), second(data.begin() + 32, data.end());
        const auto a = crypt_ok(t, ed2_cmd(h, first, false, mode, ivin));
        const auto b = crypt_ok(t, ed2_cmd(h, second, false, mode, a.iv));
        bytes joined = a.out;
        joined.insert(joined.end(), b.out.begin(), b.out.end());
        CHECK(joined == want.out);
        CHECK(b.iv == want.iv);
    }
}

TEST_CASE("TPM2_EncryptDecrypt (parameters in the old order) and other ciphers", "[symcmd]") {
    auto t = started();
    const bytes iv = from_hex("000102030405060708090a0b0c0d0eff");
    const auto data = str("thirty-two bytes of plaintext!!!");
    REQUIRE(data.size() == 32);

    SECTION("AES-256 with the key's mode CFB (command mode NULL); a partial block") {
        const bytes key(32, 0x42);
        auto h = install(t, sym_key<alg::aes>(key, alg::cfb));
        const auto want = py_encrypt("AES", "CFB", key, iv, data);
        const auto enc = crypt_ok(t, ed_cmd(h, data, false, alg::null, iv));
        CHECK(enc.out == want.out);
        CHECK(enc.iv == want.iv);
        CHECK(crypt_ok(t, ed_cmd(h, enc.out, true, alg::cfb, iv)).out == data);
        // CFB accepts any length.
        const bytes part(data.begin(), data.begin() + 21);
        CHECK(crypt_ok(t, ed_cmd(h, part, false, alg::null, iv)).out == bytes(want.out.begin(), want.out.begin() + 21));
    }
    SECTION("Camellia-128 CBC and SM4-128 CTR") {
        const bytes key = from_hex("0123456789abcdeffedcba9876543210");
        auto cam = install(t, sym_key<alg::camellia>(key, alg::cbc));
        auto want = py_encrypt("Camellia", "CBC", key, iv, data);
        auto enc = crypt_ok(t, ed_cmd(cam, data, false, alg::cbc, iv));
        CHECK(enc.out == want.out);
        CHECK(enc.iv == want.iv);
        auto sm4 = install(t, sym_key<alg::sm4>(key, alg::null));
        want = py_encrypt("SM4", "CTR", key, iv, data);
        enc = crypt_ok(t, ed2_cmd(sm4, data, false, alg::ctr, iv));
        CHECK(enc.out == want.out);
        CHECK(enc.iv == want.iv);
    }
}

TEST_CASE("TPM2_EncryptDecrypt(2) errors", "[symcmd]") {
    auto t = started();
    const bytes key(16, 7), iv(16, 9), data(32, 1);
    auto cbc_key = install(t, sym_key<alg::aes>(key, alg::cbc));
    auto any_mode = install(t, sym_key<alg::aes>(key, alg::null));
    auto ed2 = [&](tpm_handle h, byte_view d, bool dec, tpm_alg_id mode, byte_view v) { return run(t, ed2_cmd(h, d, dec, mode, v)).rc; };
    auto ed = [&](tpm_handle h, byte_view d, bool dec, tpm_alg_id mode, byte_view v) { return run(t, ed_cmd(h, d, dec, mode, v)).rc; };

    // Mode resolution (TPM_RC_MODE): the key's mode only; a mode when the key has none.
    CHECK(ed2(cbc_key, data, false, alg::cfb, iv) == rc_of(rc::mode.for_param(3)));
    CHECK(ed(cbc_key, data, false, alg::cfb, iv) == rc_of(rc::mode.for_param(2)));
    CHECK(ed2(any_mode, data, false, alg::null, iv) == rc_of(rc::mode.for_param(3)));
    CHECK(ed(any_mode, data, false, alg::null, iv) == rc_of(rc::mode.for_param(2)));
    // A mode outside TPMI_ALG_CIPHER_MODE is refused when unmarshalled.
    CHECK(ed2(any_mode, data, false, alg::aes, iv) == rc_of(rc::mode.for_param(3)));
    // Sizes (TPM_RC_SIZE): ivIn one block (ECB: empty); whole blocks for CBC and ECB.
    CHECK(ed2(any_mode, data, false, alg::ctr, bytes(8, 0)) == rc_of(rc::size.for_param(4)));
    CHECK(ed(any_mode, data, false, alg::ctr, bytes(8, 0)) == rc_of(rc::size.for_param(3)));
    CHECK(ed2(any_mode, data, false, alg::ecb, iv) == rc_of(rc::size.for_param(4)));
    CHECK(ed2(cbc_key, bytes(20, 1), false, alg::null, iv) == rc_of(rc::size.for_param(1)));
    CHECK(ed(cbc_key, bytes(20, 1), false, alg::null, iv) == rc_of(rc::size.for_param(4)));
    CHECK(ed2(any_mode, bytes(20, 1), true, alg::ecb, {}) == rc_of(rc::size.for_param(1)));
    // Key checks: type (TPM_RC_KEY), restricted, and decrypt/sign for the direction
    // (TPM_RC_ATTRIBUTES).
    auto rsa = install(t, rsa_public_key());
    CHECK(ed2(rsa, data, false, alg::cfb, iv) == rc_of(rc::key.for_handle(1)));
    auto restricted = install(t, sym_key<alg::aes>(key, alg::cfb, both | object_attr::restricted));
    CHECK(ed2(restricted, data, true, alg::cfb, iv) == rc_of(rc::attributes.for_handle(1)));
    auto dec_only = install(t, sym_key<alg::aes>(key, alg::cfb, object_attr::decrypt | object_attr::user_with_auth));
    CHECK(ed2(dec_only, data, false, alg::cfb, iv) == rc_of(rc::attributes.for_handle(1)));
    CHECK(crypt_ok(t, ed2_cmd(dec_only, data, true, alg::cfb, iv)).out.size() == data.size());
    auto enc_only = install(t, sym_key<alg::aes>(key, alg::cfb, object_attr::sign_encrypt | object_attr::user_with_auth));
    CHECK(ed2(enc_only, data, true, alg::cfb, iv) == rc_of(rc::attributes.for_handle(1)));
    // Authorization.
    CHECK(run(t, command_builder(cc::encrypt_decrypt2).handle(any_mode).password(str("bad")).b2b(data).u8(0)
                     .u16(alg::cfb).b2b(iv).build()).rc == rc_of(rc::auth_fail.for_session(1)));
}

TEST_CASE("TPM2_HMAC matches Python's hmac; hashAlg resolution and key checks", "[symcmd]") {
    auto t = started();
    const bytes secret = str("hmac key material");
    const bytes data = str("data to authenticate");
    auto hmac_cmd = [&](tpm_handle h, tpm_alg_id a) {
        return command_builder(cc::hmac).handle(h).password(key_auth).b2b(data).u16(a).build();
    };
    auto hmac_ok = [&](tpm_handle h, tpm_alg_id a) {
        auto r = run(t, hmac_cmd(h, a));
        REQUIRE(r.rc == 0);
        (void)r.parameter_size();
        auto mac = r.b2b();
        REQUIRE(r.remaining() == 5);
        return mac;
    };
    auto py_hmac = [&](const char* name) {
        return from_hex(python("import hmac, hashlib\nprint(hmac.new(" + hx(secret) + ", " + hx(data) + ", hashlib." +
                               name + ").hexdigest())"));
    };
    const std::uint32_t sign = object_attr::sign_encrypt | object_attr::user_with_auth;

    auto keyed = install(t, hmac_key(secret, alg::sha256, sign));
    CHECK(hmac_ok(keyed, alg::null) == py_hmac("sha256"));
    CHECK(hmac_ok(keyed, alg::sha256) == py_hmac("sha256"));
    CHECK(run(t, hmac_cmd(keyed, alg::sha1)).rc == rc_of(rc::value.for_param(2)));

    auto free_hash = install(t, hmac_key(secret, alg::null, sign | object_attr::decrypt));
    CHECK(hmac_ok(free_hash, alg::sha384) == py_hmac("sha384"));
    CHECK(hmac_ok(free_hash, alg::sha1) == py_hmac("sha1"));
    CHECK(run(t, hmac_cmd(free_hash, alg::null)).rc == rc_of(rc::value.for_param(2)));

    auto restricted = install(t, hmac_key(secret, alg::sha256, sign | object_attr::restricted));
    CHECK(run(t, hmac_cmd(restricted, alg::null)).rc == rc_of(rc::attributes.for_handle(1)));
    auto no_sign = install(t, hmac_key(secret, alg::null, object_attr::user_with_auth));
    CHECK(run(t, hmac_cmd(no_sign, alg::sha256)).rc == rc_of(rc::key.for_handle(1)));
    // TPM2_HMAC is TPM2_MAC (same code): a cipher key is accepted, but only for CMAC
    // (tests/engine/mac_test.cpp); a CFB key with a hash scheme is TPM_RC_VALUE + P2.
    auto sym = install(t, sym_key<alg::aes>(bytes(16, 1), alg::cfb));
    CHECK(run(t, hmac_cmd(sym, alg::sha256)).rc == rc_of(rc::value.for_param(2)));
    auto rsa = install(t, rsa_public_key());
    CHECK(run(t, hmac_cmd(rsa, alg::sha256)).rc == rc_of(rc::type.for_handle(1)));
    CHECK(run(t, command_builder(cc::hmac).handle(keyed).password(str("x")).b2b(data).u16(alg::null).build()).rc ==
          rc_of(rc::auth_fail.for_session(1)));
}
