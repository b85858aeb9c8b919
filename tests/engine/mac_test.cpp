// TPM2_MAC (= TPM2_HMAC) with CMAC, TPM2_MAC_Start (= TPM2_HMAC_Start) and HMAC / MAC sequences
// through SequenceUpdate / SequenceComplete (Part 3 §15.5-§15.6, §17.2-§17.3, §17.7-§17.8).
// Expected values: Debian's /usr/bin/python3 (hmac, and python3-cryptography's CMAC).
#include <catch2/catch.hpp>

#include <string>

#include <vtpm/crypto/cmac.hpp>
#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

#include "support/oracle.hpp"

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::python;

namespace {

using platform = testing::deterministic_platform<config::profiles::full>;
using tpm_t = tpm<platform>;

const bytes key_auth{'k', 'e', 'y'};
const bytes seq_auth{'s', 'e', 'q'};
constexpr std::uint32_t sign = object_attr::sign_encrypt | object_attr::user_with_auth;

bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }
constexpr std::uint32_t rc_of(rc r) { return r.code(); }

tpm_handle install(tpm_t& t, loaded_object o) {
    o.pub.name_alg.value = alg::sha256;
    o.sens.sensitive_type.value = o.pub.type.value;
    (void)o.sens.auth_value.assign(key_auth);
    o.has_sensitive = true;
    o.hierarchy = rh::owner;
    auto& e = t.internals();
    o.name = object::compute_name(e.crypto, o.pub);
    auto slot = e.free_object_slot();
    REQUIRE(slot);
    e.objects[*slot] = std::move(o);
    return e.object_handle(*slot);
}
loaded_object hmac_key(byte_view secret, tpm_alg_id hash, std::uint32_t attrs = sign) {
    loaded_object o;
    o.pub.type.value = alg::keyedhash;
    o.pub.object_attributes.value = attrs;
    auto& kp = o.pub.parameters.emplace<alg::keyedhash>();
    kp.scheme.scheme.value = hash == alg::null ? alg::null : alg::hmac;
    if (hash != alg::null) kp.scheme.details.emplace<alg::hmac>().hash_alg.value = hash;
    (void)o.pub.unique.emplace<alg::keyedhash>().assign(bytes(32, 0x5A));
    (void)o.sens.sensitive.emplace<alg::keyedhash>().assign(secret);
    return o;
}
template <tpm_alg_id Cipher>
loaded_object cipher_key(byte_view key, tpm_alg_id mode, std::uint32_t attrs = sign) {
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

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }

bytes mac_cmd(tpm_handle h, byte_view data, tpm_alg_id scheme) {
    return command_builder(cc::mac).handle(h).password(key_auth).b2b(data).u16(scheme).build();
}
bytes mac_ok(tpm_t& t, tpm_handle h, byte_view data, tpm_alg_id scheme) {
    auto r = run(t, mac_cmd(h, data, scheme));
    REQUIRE(r.rc == 0);
    (void)r.parameter_size();
    auto m = r.b2b();
    REQUIRE(r.remaining() == 5);
    return m;
}

std::string py_cmac(byte_view key, byte_view data, const char* cipher = "AES") {
    return python("from cryptography.hazmat.primitives import cmac\n"
                  "from cryptography.hazmat.primitives.ciphers import algorithms\n"
                  "c = cmac.CMAC(algorithms." + std::string(cipher) + "(" + hx(key) + "))\nc.update(" + hx(data) +
                  ")\nprint(c.finalize().hex())");
}
std::string py_hmac(byte_view key, byte_view data, const char* hash) {
    return python("import hmac, hashlib\nprint(hmac.new(" + hx(key) + ", " + hx(data) + ", hashlib." + hash +
                  ").hexdigest())");
}

bytes pattern(std::size_t n, std::uint8_t seed) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 31 * i + (i >> 5));
    return b;
}

/// MAC_Start, SequenceUpdate for each chunk but the last, SequenceComplete with the last.
struct sequence_result {
    bytes mac;
    std::uint16_t tk_tag = 0;
    std::uint32_t tk_hierarchy = 0;
    bytes tk_digest;
};
tpm_handle mac_start(tpm_t& t, tpm_handle key, tpm_alg_id scheme) {
    auto r = run(t, command_builder(cc::mac_start).handle(key).password(key_auth).b2b(seq_auth).u16(scheme).build());
    REQUIRE(r.rc == 0);
    const auto h = r.u32();
    REQUIRE(r.ok);
    return h;
}
sequence_result run_sequence(tpm_t& t, tpm_handle seq, const std::vector<bytes>& chunks) {
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i)
        REQUIRE(run(t, command_builder(cc::sequence_update).handle(seq).password(seq_auth).b2b(chunks[i]).build()).rc ==
                0);
    auto r = run(t, command_builder(cc::sequence_complete)
                        .handle(seq)
                        .password(seq_auth)
                        .b2b(chunks.back())
                        .u32(rh::owner)
                        .build());
    REQUIRE(r.rc == 0);
    (void)r.parameter_size();
    sequence_result s;
    s.mac = r.b2b();
    s.tk_tag = r.u16();
    s.tk_hierarchy = r.u32();
    s.tk_digest = r.b2b();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 5);
    return s;
}

} // namespace

TEST_CASE("crypto::cmac: SP 800-38B example vectors and python3-cryptography", "[mac]") {
    auto c = testing::seeded_crypto();
    // SP 800-38B Appendix D.1 (AES-128), examples 1 and 2.
    const bytes k = from_hex("2b7e151628aed2a6abf7158809cf4f3c");
    bytes out(16);
    REQUIRE(crypto::cmac(c, alg::aes, k, {}, out).ok());
    CHECK(to_hex(out) == "bb1d6929e95937287fa37d129b756746");
    REQUIRE(crypto::cmac(c, alg::aes, k, from_hex("6bc1bee22e409f96e93d7e117393172a"), out).ok());
    CHECK(to_hex(out) == "070a16b46b4d4144f79bdd9dd04a287c");
    // Every length around block boundaries, fed in uneven pieces, against Python.
    const bytes key256 = pattern(32, 7);
    std::string script = "from cryptography.hazmat.primitives import cmac\n"
                         "from cryptography.hazmat.primitives.ciphers import algorithms\n"
                         "k = " + hx(key256) + "\n"
                         "for n in [0, 1, 15, 16, 17, 31, 32, 33, 100, 600, 1024]:\n"
                         "    d = bytes((5 + 31 * i + (i >> 5)) & 0xff for i in range(n))\n"
                         "    c = cmac.CMAC(algorithms.AES(k)); c.update(d); print(c.finalize().hex())\n";
    const auto want = python(script);
    std::string got;
    for (std::size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 600, 1024}) {
        const bytes d = pattern(n, 5);
        crypto::cmac_state s;
        REQUIRE(crypto::cmac_start(c, alg::aes, key256, s).ok());
        for (std::size_t pos = 0, step = 1; pos < n; pos += step, step = step * 3 + 1)
            REQUIRE(crypto::cmac_update(c, s, byte_view{d}.subspan(pos, std::min(step, n - pos))).ok());
        REQUIRE(crypto::cmac_finish(c, s, out).ok());
        got += (got.empty() ? "" : "\n") + to_hex(out);
    }
    CHECK(got == want);
    CHECK(crypto::cmac(c, alg::aes, bytes(15, 1), {}, out) == rc::key_size);
    CHECK(crypto::cmac(c, alg::sha256, k, {}, out) == rc::symmetric);
}

TEST_CASE("TPM2_MAC: HMAC and CMAC; algorithm selection (Part 3 Table 82)", "[mac]") {
    auto t = started();
    const bytes data = str("data to authenticate with a block cipher mac");
    const bytes aes_key = pattern(16, 3);
    const bytes secret = str("hmac secret");

    auto cmac_null = install(t, cipher_key<alg::aes>(aes_key, alg::null));
    CHECK(to_hex(mac_ok(t, cmac_null, data, alg::cmac)) == py_cmac(aes_key, data));
    const bytes aes256 = pattern(32, 9);
    auto cmac256 = install(t, cipher_key<alg::aes>(aes256, alg::null, sign | object_attr::decrypt));
    CHECK(to_hex(mac_ok(t, cmac256, {}, alg::cmac)) == py_cmac(aes256, {}));
    const bytes cam = pattern(16, 4);
    auto camellia = install(t, cipher_key<alg::camellia>(cam, alg::null));
    CHECK(to_hex(mac_ok(t, camellia, data, alg::cmac)) == py_cmac(cam, data, "Camellia"));

    auto hk = install(t, hmac_key(secret, alg::null));
    CHECK(to_hex(mac_ok(t, hk, data, alg::sha384)) == py_hmac(secret, data, "sha384"));

    // Scheme errors: TPM_RC_VALUE + P2.
    CHECK(run(t, mac_cmd(cmac_null, data, alg::null)).rc == rc_of(rc::value.for_param(2)));
    CHECK(run(t, mac_cmd(cmac_null, data, alg::sha256)).rc == rc_of(rc::value.for_param(2)));
    CHECK(run(t, mac_cmd(hk, data, alg::cmac)).rc == rc_of(rc::value.for_param(2)));
    CHECK(run(t, mac_cmd(hk, data, alg::null)).rc == rc_of(rc::value.for_param(2)));
    auto cfb = install(t, cipher_key<alg::aes>(aes_key, alg::cfb));
    CHECK(run(t, mac_cmd(cfb, data, alg::cmac)).rc == rc_of(rc::value.for_param(2)));
    CHECK(run(t, mac_cmd(cfb, data, alg::null)).rc == rc_of(rc::value.for_param(2)));
    // Not a TPMI_ALG_MAC_SCHEME value: TPM_RC_SYMMETRIC + P2 at unmarshalling.
    CHECK(run(t, mac_cmd(cmac_null, data, alg::aes)).rc == rc_of(rc::symmetric.for_param(2)));
    // Key checks.
    auto restricted = install(t, cipher_key<alg::aes>(aes_key, alg::null, sign | object_attr::restricted));
    CHECK(run(t, mac_cmd(restricted, data, alg::cmac)).rc == rc_of(rc::attributes.for_handle(1)));
    auto no_sign = install(t, cipher_key<alg::aes>(aes_key, alg::null, object_attr::decrypt | object_attr::user_with_auth));
    CHECK(run(t, mac_cmd(no_sign, data, alg::cmac)).rc == rc_of(rc::key.for_handle(1)));
}

TEST_CASE("TPM2_MAC_Start: HMAC and CMAC sequences", "[mac]") {
    auto t = started();
    const bytes secret = pattern(40, 1);
    const auto a = pattern(1024, 2), b = pattern(1000, 3), c = pattern(17, 4);
    bytes all = a;
    all.insert(all.end(), b.begin(), b.end());
    all.insert(all.end(), c.begin(), c.end());

    SECTION("HMAC-SHA256 over several SequenceUpdates; the ticket is NULL") {
        auto hk = install(t, hmac_key(secret, alg::sha256));
        const auto seq = mac_start(t, hk, alg::null);
        const auto r = run_sequence(t, seq, {a, b, c});
        CHECK(to_hex(r.mac) == py_hmac(secret, all, "sha256"));
        CHECK(r.tk_tag == st::hashcheck);
        CHECK(r.tk_hierarchy == rh::null);
        CHECK(r.tk_digest.empty());
        // The sequence is gone (TPM_RC_REFERENCE_H0: the handle names no loaded object).
        CHECK(run(t, command_builder(cc::sequence_update).handle(seq).password(seq_auth).b2b(a).build()).rc ==
              rc_of(rc::reference_h0));
    }
    SECTION("HMAC-SHA512 with the hash given in inScheme; empty final buffer") {
        auto hk = install(t, hmac_key(secret, alg::null));
        const auto seq = mac_start(t, hk, alg::sha512);
        CHECK(to_hex(run_sequence(t, seq, {a, b, c, {}}).mac) == py_hmac(secret, all, "sha512"));
    }
    SECTION("CMAC-AES over block-unaligned pieces") {
        const bytes key = pattern(16, 8);
        auto ck = install(t, cipher_key<alg::aes>(key, alg::null));
        const auto seq = mac_start(t, ck, alg::cmac);
        CHECK(to_hex(run_sequence(t, seq, {c, a, b}).mac) == py_cmac(key, [&] {
                  bytes m = c;
                  m.insert(m.end(), a.begin(), a.end());
                  m.insert(m.end(), b.begin(), b.end());
                  return m;
              }()));
    }
    SECTION("CMAC of exactly one block and of nothing") {
        const bytes key = pattern(16, 8);
        auto ck = install(t, cipher_key<alg::aes>(key, alg::null));
        CHECK(to_hex(run_sequence(t, mac_start(t, ck, alg::cmac), {pattern(16, 1)}).mac) ==
              py_cmac(key, pattern(16, 1)));
        CHECK(to_hex(run_sequence(t, mac_start(t, ck, alg::cmac), {{}}).mac) == py_cmac(key, {}));
    }
    SECTION("errors") {
        auto hk = install(t, hmac_key(secret, alg::sha256));
        auto start = [&](tpm_handle k, tpm_alg_id s) {
            return run(t, command_builder(cc::mac_start).handle(k).password(key_auth).b2b(seq_auth).u16(s).build()).rc;
        };
        CHECK(start(hk, alg::sha1) == rc_of(rc::value.for_param(2)));
        CHECK(start(hk, alg::cmac) == rc_of(rc::value.for_param(2)));
        auto restricted = install(t, hmac_key(secret, alg::sha256, sign | object_attr::restricted));
        CHECK(start(restricted, alg::null) == rc_of(rc::attributes.for_handle(1)));
        // A MAC sequence is not an Event sequence.
        const auto seq = mac_start(t, hk, alg::null);
        CHECK(run(t, command_builder(cc::event_sequence_complete)
                         .handle(rh::null)
                         .handle(seq)
                         .password({})
                         .password(seq_auth)
                         .b2b({})
                         .build())
                  .rc == rc_of(rc::mode.for_handle(2)));
        // The sequence's authValue is auth, not the key's (no DA protection: TPM_RC_BAD_AUTH).
        CHECK(run(t, command_builder(cc::sequence_update).handle(seq).password(key_auth).b2b(a).build()).rc ==
              rc_of(rc::bad_auth.for_session(1)));
        // Object slots run out: TPM_RC_OBJECT_MEMORY.
        std::uint32_t last = 0;
        for (int i = 0; i < 10 && last == 0; ++i) last = start(hk, alg::null);
        CHECK(last == rc_of(rc::object_memory));
    }
}
