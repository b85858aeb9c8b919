// TPM2_Hash and the hash/Event sequence commands (Part 3 §15.4, §17) through the command
// pipeline, as raw bytes. Digests and ticket HMACs are computed at test time by Python's
// hashlib/hmac (independent of the library's Botan backend). Tickets follow Part 2 §10.6.7
// equation 7: HMAC_contextAlg(proof, TPM_ST_HASHCHECK || digest); the context integrity hash
// of the full profile is SHA-256 (TPM_PT_CONTEXT_HASH).
#include <catch2/catch.hpp>

#include <support/oracle.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

// --- the independent oracle: /usr/bin/python3 -------------------------------------------

using vtpm_test::python;
bytes py_hash(const std::string& name, byte_view data) {
    return from_hex(python("import hashlib\nprint(hashlib.new('" + name + "', bytes.fromhex('" + to_hex(data) +
                           "')).hexdigest())"));
}
bytes py_extend(const std::string& name, byte_view old, byte_view digest) {
    bytes cat(old.begin(), old.end());
    cat.insert(cat.end(), digest.begin(), digest.end());
    return py_hash(name, cat);
}
/// The hash-check ticket HMAC: HMAC-SHA256(proof, 0x8024 || digest).
bytes py_ticket(byte_view proof, byte_view digest) {
    return from_hex(python("import hmac, hashlib\nprint(hmac.new(bytes.fromhex('" + to_hex(proof) +
                           "'), bytes.fromhex('8024" + to_hex(digest) + "'), hashlib.sha256).hexdigest())"));
}

// --- command helpers -------------------------------------------------------------------

bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }
bytes cat(byte_view a, byte_view b) {
    bytes r(a.begin(), a.end());
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }

bytes hash_cmd(byte_view data, tpm_alg_id a, tpm_handle hierarchy) {
    return command_builder(cc::hash).b2b(data).u16(a).u32(hierarchy).build();
}
bytes start_cmd(byte_view auth, tpm_alg_id a) {
    return command_builder(cc::hash_sequence_start).b2b(auth).u16(a).build();
}
bytes update_cmd(tpm_handle seq, byte_view data, byte_view password = {}) {
    return command_builder(cc::sequence_update).handle(seq).password(password).b2b(data).build();
}
bytes complete_cmd(tpm_handle seq, byte_view data, tpm_handle hierarchy, byte_view password = {}) {
    return command_builder(cc::sequence_complete).handle(seq).password(password).b2b(data).u32(hierarchy).build();
}
bytes event_complete_cmd(tpm_handle pcr, tpm_handle seq, byte_view data, byte_view seq_password = {}) {
    return command_builder(cc::event_sequence_complete)
        .handle(pcr)
        .handle(seq)
        .password()
        .password(seq_password)
        .b2b(data)
        .build();
}
bytes flush_cmd(tpm_handle h) { return command_builder(cc::flush_context).u32(h).build(); }
bytes pcr_read_cmd(tpm_alg_id a, unsigned pcr) {
    std::uint8_t sel[3] = {};
    sel[pcr / 8] = static_cast<std::uint8_t>(1u << (pcr % 8));
    return command_builder(cc::pcr_read).u32(1).u16(a).u8(3).raw(sel).build();
}
bytes pcr_value(tpm_t& t, tpm_alg_id a, unsigned pcr) {
    auto r = run(t, pcr_read_cmd(a, pcr));
    REQUIRE(r.rc == 0);
    (void)r.take(4 + 4 + 2 + 1 + 3);
    REQUIRE(r.u32() == 1);
    return r.b2b();
}

/// Starts a sequence and returns its handle.
tpm_handle start(tpm_t& t, byte_view auth, tpm_alg_id a) {
    auto r = run(t, start_cmd(auth, a));
    REQUIRE(r.rc == 0);
    REQUIRE(r.size == 14);
    return r.u32();
}

struct ticket {
    std::uint16_t tag = 0;
    std::uint32_t hierarchy = 0;
    bytes digest;
};
/// Digest and ticket of a Hash / SequenceComplete response.
struct hash_result {
    bytes digest;
    ticket validation;
};
hash_result parse_hash(testing::response& r, bool sessions) {
    REQUIRE(r.rc == 0);
    if (sessions) (void)r.parameter_size();
    hash_result h;
    h.digest = r.b2b();
    h.validation.tag = r.u16();
    h.validation.hierarchy = r.u32();
    h.validation.digest = r.b2b();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == (sessions ? 5u : 0u));
    return h;
}

byte_view proof_of(const tpm_t& t, tpm_handle hierarchy) {
    const auto& nv = t.internals().nv;
    switch (hierarchy) {
    case rh::owner: return nv.sh_proof;
    case rh::endorsement: return nv.eh_proof;
    default: return nv.ph_proof;
    }
}

void check_null_ticket(const ticket& tk) {
    CHECK(tk.tag == 0x8024);
    CHECK(tk.hierarchy == rh::null);
    CHECK(tk.digest.empty());
}

} // namespace

TEST_CASE("TPM2_Hash digests match hashlib for every implemented hash", "[hash]") {
    auto t = started();
    const auto data = str("The quick brown fox jumps over the lazy dog");
    const std::pair<tpm_alg_id, const char*> algs[] = {
        {alg::sha1, "sha1"},         {alg::sha256, "sha256"},     {alg::sha384, "sha384"},
        {alg::sha512, "sha512"},     {alg::sha3_256, "sha3_256"}, {alg::sha3_384, "sha3_384"},
        {alg::sha3_512, "sha3_512"},
    };
    for (auto [a, name] : algs) {
        INFO(name);
        auto r = run(t, hash_cmd(data, a, rh::null));
        auto h = parse_hash(r, false);
        CHECK(h.digest == py_hash(name, data));
        check_null_ticket(h.validation);
    }
    // SM3 is not in Debian's hashlib: a known answer from GB/T 32905-2016 Appendix A.1.
    auto r = run(t, hash_cmd(str("abc"), alg::sm3_256, rh::null));
    CHECK(parse_hash(r, false).digest ==
          from_hex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"));
}

TEST_CASE("TPM2_Hash tickets", "[hash]") {
    auto t = started();
    const auto data = str("a digest that is safe to sign");
    const auto expected = py_hash("sha256", data);

    SECTION("a hierarchy's proof makes the ticket") {
        for (tpm_handle h : {rh::owner, rh::endorsement, rh::platform}) {
            INFO(h);
            auto r = run(t, hash_cmd(data, alg::sha256, h));
            auto res = parse_hash(r, false);
            CHECK(res.digest == expected);
            CHECK(res.validation.tag == 0x8024);
            CHECK(res.validation.hierarchy == h);
            CHECK(res.validation.digest.size() == 32);
            CHECK(res.validation.digest == py_ticket(proof_of(t, h), expected));
        }
    }
    SECTION("TPM_RH_NULL: a NULL ticket") {
        auto r = run(t, hash_cmd(data, alg::sha256, rh::null));
        check_null_ticket(parse_hash(r, false).validation);
    }
    SECTION("data that begins with TPM_GENERATED_VALUE: a NULL ticket") {
        const auto generated = cat(from_hex("ff544347"), str("attest"));
        auto r = run(t, hash_cmd(generated, alg::sha256, rh::owner));
        auto res = parse_hash(r, false);
        CHECK(res.digest == py_hash("sha256", generated));
        check_null_ticket(res.validation);
        // Exactly the four octets, too.
        auto r4 = run(t, hash_cmd(from_hex("ff544347"), alg::sha256, rh::owner));
        check_null_ticket(parse_hash(r4, false).validation);
    }
    SECTION("data shorter than TPM_GENERATED_VALUE cannot begin with it") {
        const auto prefix = from_hex("ff5443");
        auto r = run(t, hash_cmd(prefix, alg::sha256, rh::owner));
        auto res = parse_hash(r, false);
        CHECK(res.validation.hierarchy == rh::owner);
        CHECK(res.validation.digest == py_ticket(proof_of(t, rh::owner), py_hash("sha256", prefix)));
    }
    SECTION("a SHA-1 digest is ticketed the same way") {
        auto r = run(t, hash_cmd(data, alg::sha1, rh::endorsement));
        auto res = parse_hash(r, false);
        CHECK(res.digest == py_hash("sha1", data));
        CHECK(res.validation.digest == py_ticket(proof_of(t, rh::endorsement), res.digest));
    }
}

TEST_CASE("TPM2_Hash errors", "[hash]") {
    auto t = started();
    SECTION("disabled hierarchy: TPM_RC_HIERARCHY + P3") {
        t.internals().sc.sh_enable = false;
        CHECK(run(t, hash_cmd(str("x"), alg::sha256, rh::owner)).rc == 0x3C5);
        CHECK(run(t, hash_cmd(str("x"), alg::sha256, rh::null)).rc == 0);
    }
    SECTION("hashAlg TPM_ALG_NULL or not a hash: TPM_RC_HASH + P2") {
        CHECK(run(t, hash_cmd(str("x"), alg::null, rh::null)).rc == 0x2C3);
        CHECK(run(t, hash_cmd(str("x"), alg::aes, rh::null)).rc == 0x2C3);
    }
    SECTION("hierarchy that is not one: TPM_RC_VALUE + P3") {
        CHECK(run(t, hash_cmd(str("x"), alg::sha256, rh::lockout)).rc == 0x3C4);
    }
    SECTION("data larger than TPM2B_MAX_BUFFER: TPM_RC_SIZE + P1") {
        CHECK(run(t, hash_cmd(bytes(1025, 0), alg::sha256, rh::null)).rc == 0x1D5);
        CHECK(run(t, hash_cmd(bytes(1024, 0), alg::sha256, rh::null)).rc == 0);
    }
    SECTION("trailing bytes: TPM_RC_SIZE") {
        auto cmd = command_builder(cc::hash).b2b(str("x")).u16(alg::sha256).u32(rh::null).u8(0).build();
        CHECK(run(t, cmd).rc == 0x095);
    }
}

TEST_CASE("a hash sequence equals the one-shot hash of the concatenation", "[hash]") {
    auto t = started();
    const auto auth = str("sequence password");
    const auto part1 = str("hello, ");
    const auto part2 = bytes(1000, 0x61);
    const auto part3 = str("world");
    const auto all = cat(cat(part1, part2), part3);

    const std::pair<tpm_alg_id, const char*> algs[] = {
        {alg::sha1, "sha1"}, {alg::sha256, "sha256"}, {alg::sha384, "sha384"}, {alg::sha512, "sha512"},
        {alg::sha3_256, "sha3_256"}};
    for (auto [a, name] : algs) {
        INFO(name);
        const auto h = start(t, auth, a);
        CHECK(h == 0x80000000); // the first transient slot
        REQUIRE(run(t, update_cmd(h, part1, auth)).rc == 0);
        REQUIRE(run(t, update_cmd(h, part2, auth)).rc == 0);
        auto r = run(t, complete_cmd(h, part3, rh::owner, auth));
        auto res = parse_hash(r, true);
        const auto expected = py_hash(name, all);
        CHECK(res.digest == expected);
        CHECK(res.validation.tag == 0x8024);
        CHECK(res.validation.hierarchy == rh::owner);
        CHECK(res.validation.digest == py_ticket(proof_of(t, rh::owner), expected));
        // The sequence is flushed: its handle no longer refers to anything.
        CHECK(run(t, update_cmd(h, part1, auth)).rc == 0x910);
        CHECK(t.internals().loaded_object_count() == 0);
    }
}

TEST_CASE("hash sequence tickets depend on the first block", "[hash]") {
    auto t = started();
    auto complete = [&](std::initializer_list<bytes> updates, const bytes& last, tpm_handle hierarchy) {
        const auto h = start(t, {}, alg::sha256);
        bytes all;
        for (const auto& u : updates) {
            REQUIRE(run(t, update_cmd(h, u)).rc == 0);
            all = cat(all, u);
        }
        auto r = run(t, complete_cmd(h, last, hierarchy));
        auto res = parse_hash(r, true);
        CHECK(res.digest == py_hash("sha256", cat(all, last)));
        return res;
    };
    const auto generated = from_hex("ff544347");
    SECTION("only SequenceComplete, with at least four safe octets: a ticket") {
        auto res = complete({}, str("abcd"), rh::platform);
        CHECK(res.validation.digest == py_ticket(proof_of(t, rh::platform), res.digest));
    }
    SECTION("a first block shorter than four octets: NULL ticket, whatever follows") {
        check_null_ticket(complete({str("abc")}, str("defgh"), rh::owner).validation);
        check_null_ticket(complete({}, str("abc"), rh::owner).validation);
        check_null_ticket(complete({}, {}, rh::owner).validation);
        check_null_ticket(complete({bytes{}}, str("abcdefg"), rh::owner).validation);
    }
    SECTION("a first block beginning with TPM_GENERATED_VALUE: NULL ticket") {
        check_null_ticket(complete({cat(generated, str("x"))}, str("more"), rh::owner).validation);
        check_null_ticket(complete({}, generated, rh::owner).validation);
    }
    SECTION("TPM_GENERATED_VALUE after the first block does not matter") {
        auto res = complete({str("safe"), generated}, generated, rh::owner);
        CHECK(res.validation.hierarchy == rh::owner);
        CHECK(res.validation.digest == py_ticket(proof_of(t, rh::owner), res.digest));
    }
    SECTION("TPM_RH_NULL: NULL ticket") { check_null_ticket(complete({str("safe")}, {}, rh::null).validation); }
}

TEST_CASE("sequence authorization", "[hash]") {
    auto t = started();
    const auto auth = str("pw");
    const auto h = start(t, auth, alg::sha256);
    SECTION("wrong password: TPM_RC_BAD_AUTH + S1, and the sequence is unchanged") {
        CHECK(run(t, update_cmd(h, str("data"), str("wrong"))).rc == 0x9A2);
        CHECK(run(t, update_cmd(h, str("data"))).rc == 0x9A2);
        CHECK(run(t, complete_cmd(h, str("data"), rh::null, str("pw!"))).rc == 0x9A2);
        auto r = run(t, complete_cmd(h, str("data"), rh::null, auth));
        CHECK(parse_hash(r, true).digest == py_hash("sha256", str("data")));
    }
    SECTION("no session: TPM_RC_AUTH_MISSING") {
        auto cmd = command_builder(cc::sequence_update).handle(h).b2b(str("x")).build();
        CHECK(run(t, cmd).rc == 0x125);
    }
    SECTION("an empty auth needs an empty password") {
        const auto h2 = start(t, {}, alg::sha256);
        CHECK(run(t, update_cmd(h2, str("x"), str("pw"))).rc == 0x9A2);
        CHECK(run(t, update_cmd(h2, str("x"))).rc == 0);
    }
}

TEST_CASE("an Event sequence hashes with every allocated bank and extends the PCR", "[hash]") {
    auto t = started();
    const auto auth = str("event auth");
    const auto data1 = bytes(700, 0x11);
    const auto data2 = str("final part of the event");
    const auto all = cat(data1, data2);
    const auto h1 = py_hash("sha1", all);
    const auto h256 = py_hash("sha256", all);

    const auto h = start(t, auth, alg::null);
    REQUIRE(run(t, update_cmd(h, data1, auth)).rc == 0);

    auto check_results = [&](testing::response& r) {
        REQUIRE(r.rc == 0);
        CHECK(r.parameter_size() == 4 + 2 + 20 + 2 + 32);
        CHECK(r.u32() == 2);
        CHECK(r.u16() == alg::sha1);
        CHECK(r.take(20) == h1);
        CHECK(r.u16() == alg::sha256);
        CHECK(r.take(32) == h256);
        CHECK(r.remaining() == 10); // two password sessions
    };
    SECTION("into PCR 16") {
        auto r = run(t, event_complete_cmd(16, h, data2, auth));
        check_results(r);
        CHECK(pcr_value(t, alg::sha1, 16) == py_extend("sha1", bytes(20, 0), h1));
        CHECK(pcr_value(t, alg::sha256, 16) == py_extend("sha256", bytes(32, 0), h256));
        CHECK(run(t, update_cmd(h, data1, auth)).rc == 0x910); // flushed
    }
    SECTION("TPM_RH_NULL: digests only") {
        auto r = run(t, event_complete_cmd(rh::null, h, data2, auth));
        check_results(r);
        CHECK(pcr_value(t, alg::sha256, 16) == bytes(32, 0));
    }
    SECTION("a PCR the locality may not extend: TPM_RC_LOCALITY; the sequence stays") {
        CHECK(run(t, event_complete_cmd(17, h, data2, auth)).rc == 0x907);
        CHECK(pcr_value(t, alg::sha256, 17) == bytes(32, 0xFF));
        auto r = run(t, event_complete_cmd(17, h, data2, auth), 3);
        check_results(r);
        CHECK(pcr_value(t, alg::sha256, 17) == py_extend("sha256", bytes(32, 0xFF), h256));
    }
    SECTION("the sequence's password is checked (session 2)") {
        CHECK(run(t, event_complete_cmd(16, h, data2, str("nope"))).rc == 0xAA2);
        auto one_session = command_builder(cc::event_sequence_complete).handle(16).handle(h).password().b2b(data2).build();
        CHECK(run(t, one_session).rc == 0x125);
    }
    SECTION("SequenceComplete refuses an Event sequence: TPM_RC_MODE + H1") {
        CHECK(run(t, complete_cmd(h, data2, rh::null, auth)).rc == 0x189);
        auto r = run(t, event_complete_cmd(rh::null, h, data2, auth)); // still there
        check_results(r);
    }
}

TEST_CASE("EventSequenceComplete refuses a hash sequence: TPM_RC_MODE + H2", "[hash]") {
    auto t = started();
    const auto h = start(t, {}, alg::sha256);
    CHECK(run(t, event_complete_cmd(16, h, str("x"))).rc == 0x289);
    CHECK(pcr_value(t, alg::sha256, 16) == bytes(32, 0));
    auto r = run(t, complete_cmd(h, str("x"), rh::null));
    CHECK(parse_hash(r, true).digest == py_hash("sha256", str("x")));
}

TEST_CASE("sequence objects take transient object slots", "[hash]") {
    auto t = started();
    const auto slots = platform::profile.limits.max_loaded_objects;
    std::vector<tpm_handle> handles;
    for (unsigned i = 0; i < slots; ++i) {
        handles.push_back(start(t, {}, i % 2 ? alg::sha256 : alg::null));
        CHECK(handles.back() == 0x80000000 + i);
    }
    SECTION("all slots full: TPM_RC_OBJECT_MEMORY") {
        CHECK(run(t, start_cmd({}, alg::sha256)).rc == 0x902);
        CHECK(run(t, start_cmd({}, alg::null)).rc == 0x902);
    }
    SECTION("FlushContext frees a slot, and the flushed handle is gone") {
        REQUIRE(run(t, flush_cmd(handles[3])).rc == 0);
        CHECK(run(t, update_cmd(handles[3], str("x"))).rc == 0x910);
        CHECK(run(t, flush_cmd(handles[3])).rc == 0x1CB); // TPM_RC_HANDLE + P1
        CHECK(start(t, {}, alg::sha1) == handles[3]);
        CHECK(run(t, start_cmd({}, alg::sha256)).rc == 0x902);
    }
    SECTION("completing a sequence frees its slot") {
        REQUIRE(run(t, complete_cmd(handles[1], {}, rh::null)).rc == 0);
        CHECK(start(t, {}, alg::sha256) == handles[1]);
    }
    SECTION("TPM Reset flushes them all") {
        REQUIRE(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
        t.power_off();
        t.power_on();
        REQUIRE(run(t, testing::startup_command()).rc == 0);
        CHECK(run(t, update_cmd(handles[0], str("x"))).rc == 0x910);
        CHECK(start(t, {}, alg::sha256) == handles[0]);
    }
}

TEST_CASE("sequence command errors", "[hash]") {
    auto t = started();
    const auto h = start(t, {}, alg::sha256);
    SECTION("HashSequenceStart: bad hash is TPM_RC_HASH + P2, big auth is TPM_RC_SIZE + P1") {
        CHECK(run(t, start_cmd({}, alg::aes)).rc == 0x2C3);
        CHECK(run(t, start_cmd({}, 0x00B0)).rc == 0x2C3);
        CHECK(run(t, start_cmd(bytes(65, 1), alg::sha256)).rc == 0x1D5);
        CHECK(run(t, command_builder(cc::hash_sequence_start).b2b({}).u16(alg::sha256).u8(0).build()).rc == 0x095);
    }
    SECTION("SequenceUpdate: too much data is TPM_RC_SIZE + P1; a non-object handle is TPM_RC_VALUE + H1") {
        CHECK(run(t, update_cmd(h, bytes(1025, 0))).rc == 0x1D5);
        CHECK(run(t, update_cmd(rh::owner, str("x"))).rc == 0x184);
        CHECK(run(t, update_cmd(0x80000005, str("x"))).rc == 0x910);
    }
    SECTION("SequenceComplete: disabled hierarchy is TPM_RC_HIERARCHY + P2, bad one TPM_RC_VALUE + P2") {
        t.internals().sc.eh_enable = false;
        CHECK(run(t, complete_cmd(h, str("x"), rh::endorsement)).rc == 0x2C5);
        CHECK(run(t, complete_cmd(h, str("x"), 0x40000003)).rc == 0x2C4);
        // Neither failure consumed the sequence or its data.
        auto r = run(t, complete_cmd(h, str("x"), rh::owner));
        auto res = parse_hash(r, true);
        CHECK(res.digest == py_hash("sha256", str("x")));
        check_null_ticket(res.validation); // "x" is shorter than TPM_GENERATED_VALUE
    }
}
