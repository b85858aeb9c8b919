// Session contexts: TPM2_ContextSave, TPM2_ContextLoad and TPM2_FlushContext of sessions
// (Part 1 §27.5, Part 3 §28), as raw bytes through the command pipeline. HMACs and policy
// digests are computed at test time by /usr/bin/python3, never with the library's code; that
// a reloaded session still verifies shows its key and nonces came back intact.
//
// Tests tagged [!mayfail] document a divergence from the specification; each says what the
// spec requires.
#include <catch2/catch.hpp>

#include <support/oracle.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <support/bytes.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

using vtpm_test::python;
const char* const prelude = R"PY(
import hashlib, hmac, struct
def X(s): return bytes.fromhex(s)
def h(alg, *parts):
    d = hashlib.new(alg)
    for p in parts: d.update(p)
    return d.digest()
def kdfa(alg, key, label, u, v, bits):
    out, i = b'', 1
    while len(out) * 8 < bits:
        out += hmac.new(key, struct.pack('>I', i) + label + b'\x00' + u + v + struct.pack('>I', bits), alg).digest()
        i += 1
    return out[:(bits + 7) // 8]
def mac(alg, key, data): return hmac.new(key, data, alg).digest()
)PY";
std::string X(byte_view b) { return "X('" + to_hex(b) + "')"; }
bytes py(const std::string& expr) { return from_hex(python(std::string(prelude) + "print((" + expr + ").hex())")); }

using vtpm_test::cat;
using vtpm_test::be16;
using vtpm_test::be32;
using vtpm_test::be64;

constexpr std::uint8_t cont = 0x01;

bytes next_nonce() {
    static std::uint8_t n = 0;
    bytes b(16);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(0x30 + i * 5 + n);
    ++n;
    return b;
}

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(7); }

struct client_session {
    tpm_handle handle = 0;
    bytes nonce_tpm;
    bytes session_key;
};

/// StartAuthSession (SHA-256, no symmetric); bound sessions get their key from Python.
client_session start_session(tpm_t& t, std::uint8_t type, tpm_handle bind = rh::null) {
    const auto nc = next_nonce();
    auto r = run(t, command_builder(cc::start_auth_session)
                        .handle(rh::null)
                        .handle(bind)
                        .b2b(nc)
                        .b2b({})
                        .u8(type)
                        .u16(alg::null)
                        .u16(alg::sha256)
                        .build());
    REQUIRE(r.rc == 0);
    client_session s;
    s.handle = r.u32();
    s.nonce_tpm = r.b2b();
    REQUIRE(s.nonce_tpm.size() == 32);
    if (bind != rh::null) // bound to an entity with an empty authValue
        s.session_key = py("kdfa('sha256', b'', b'ATH', " + X(s.nonce_tpm) + ", " + X(nc) + ", 256)");
    return s;
}

/// PCR_Extend of PCR 16 (empty authValue) authorized by session s with a Python-computed
/// HMAC; on success the response HMAC is checked and the new nonceTPM kept.
std::uint32_t extend_with(tpm_t& t, client_session& s) {
    const auto params = cat({be32(1), be16(alg::sha256), bytes(32, 0x16)});
    const auto nc = next_nonce();
    const auto hm = py("mac('sha256', " + X(s.session_key) + ", h('sha256', struct.pack('>II', 0x182, 16) + " + X(params) +
                       ") + " + X(nc) + " + " + X(s.nonce_tpm) + " + bytes([1]))");
    auto r = run(t, command_builder(cc::pcr_extend).handle(16).session(s.handle, nc, cont, hm).raw(params).build());
    if (r.rc != 0) return r.rc;
    REQUIRE(r.u32() == 0); // parameterSize
    const auto nonce = r.b2b();
    CHECK(r.u8() == cont);
    const auto rh_mac = r.b2b();
    REQUIRE(r.ok);
    CHECK(nonce != s.nonce_tpm);
    s.nonce_tpm = nonce;
    CHECK(to_hex(rh_mac) == to_hex(py("mac('sha256', " + X(s.session_key) + ", h('sha256', struct.pack('>II', 0, 0x182)) + " +
                                      X(s.nonce_tpm) + " + " + X(nc) + " + bytes([1]))")));
    return 0;
}

/// TPMS_CONTEXT as ContextSave returns it, and its wire form.
struct context {
    std::uint64_t sequence = 0;
    tpm_handle saved_handle = 0;
    tpm_handle hierarchy = 0;
    bytes blob;
    [[nodiscard]] bytes wire() const {
        return cat({be64(sequence), be32(saved_handle), be32(hierarchy), be16(static_cast<std::uint16_t>(blob.size())), blob});
    }
};
context save(tpm_t& t, tpm_handle h) {
    auto r = run(t, command_builder(cc::context_save).handle(h).build());
    REQUIRE(r.rc == 0);
    context c;
    c.sequence = r.u64();
    c.saved_handle = r.u32();
    c.hierarchy = r.u32();
    c.blob = r.b2b();
    REQUIRE(r.ok);
    REQUIRE(r.remaining() == 0);
    return c;
}
testing::response load(tpm_t& t, byte_view wire) { return run(t, command_builder(cc::context_load).raw(wire).build()); }
std::uint32_t load_rc(tpm_t& t, const context& c) { return load(t, c.wire()).rc; }
std::uint32_t flush(tpm_t& t, tpm_handle h) { return run(t, command_builder(cc::flush_context).u32(h).build()).rc; }

std::vector<tpm_handle> handles_of(tpm_t& t, tpm_handle first) {
    auto r = run(t, command_builder(cc::get_capability).u32(cap::handles).u32(first).u32(64).build());
    REQUIRE(r.rc == 0);
    (void)r.u8();
    REQUIRE(r.u32() == cap::handles);
    std::vector<tpm_handle> v(r.u32());
    for (auto& h : v) h = r.u32();
    REQUIRE(r.ok);
    return v;
}

/// Handle indexes (handle & 0xFFFFFF) of the sessions GetCapability(TPM_CAP_HANDLES,
/// TPM_HT_SAVED_SESSION) lists: Part 3 §30.2 reports saved sessions with the HMAC handle type
/// ("the TPM does not track the session type of saved sessions"), so only the index identifies one.
std::vector<tpm_handle> saved_indexes(tpm_t& t) {
    auto v = handles_of(t, 0x03000000);
    for (auto& h : v) h &= 0x00FFFFFF;
    return v;
}

bytes policy_digest(tpm_t& t, tpm_handle h) {
    auto r = run(t, command_builder(cc::policy_get_digest).handle(h).build());
    REQUIRE(r.rc == 0);
    return r.b2b();
}

} // namespace

TEST_CASE("ContextSave then ContextLoad of an HMAC session: same handle, nonces and key kept", "[context]") {
    auto t = started();
    const bool bound = GENERATE(false, true);
    CAPTURE(bound);
    auto s = start_session(t, se::hmac, bound ? tpm_handle{16} : rh::null);
    REQUIRE(extend_with(t, s) == 0);

    const auto c = save(t, s.handle);
    CHECK(c.saved_handle == s.handle);
    CHECK(c.hierarchy == rh::null);
    CHECK(c.sequence != 0);
    CHECK(c.blob.size() > 32);
    // The session left TPM memory; its handle is kept for it.
    CHECK(handles_of(t, 0x02000000).empty());
    CHECK(extend_with(t, s) == 0x918);
    CHECK(start_session(t, se::hmac).handle != s.handle);

    auto r = load(t, c.wire());
    REQUIRE(r.rc == 0);
    CHECK(r.tag == st::no_sessions);
    CHECK(r.u32() == s.handle);
    CHECK(r.remaining() == 0);
    // The HMAC over the nonceTPM of before the save verifies, and the response HMAC too.
    CHECK(extend_with(t, s) == 0);
    CHECK(extend_with(t, s) == 0);
    // A saved-then-loaded session can be saved again with a new sequence.
    const auto c2 = save(t, s.handle);
    CHECK(c2.sequence > c.sequence);
    CHECK(load_rc(t, c2) == 0);
    CHECK(extend_with(t, s) == 0);
}

TEST_CASE("ContextSave/ContextLoad of a policy session keeps the policy digest", "[context]") {
    auto t = started();
    auto s = start_session(t, se::policy);
    REQUIRE(run(t, command_builder(cc::policy_command_code).handle(s.handle).u32(cc::pcr_extend).build()).rc == 0);
    const auto c = save(t, s.handle);
    CHECK(c.saved_handle == s.handle);
    CHECK(saved_indexes(t) == std::vector<tpm_handle>{0});
    CHECK(run(t, command_builder(cc::policy_get_digest).handle(s.handle).build()).rc == 0x910); // TPM_RC_REFERENCE_H0
    REQUIRE(load_rc(t, c) == 0);
    CHECK(saved_indexes(t).empty());
    CHECK(to_hex(policy_digest(t, s.handle)) == to_hex(py("h('sha256', bytes(32) + struct.pack('>II', 0x16C, 0x182))")));
    // An HMAC-session handle with the policy session's index is not it.
    CHECK(run(t, command_builder(cc::context_save).handle(0x02000000 | (s.handle & 0xFFFFFF)).build()).rc == 0x910);
}

TEST_CASE("an old session context cannot be loaded again (replay)", "[context]") {
    auto t = started();
    auto s = start_session(t, se::hmac);
    const auto first = save(t, s.handle);
    REQUIRE(load_rc(t, first) == 0);
    // Loaded: neither context can be loaded now.
    CHECK(load_rc(t, first) == 0x1CB); // TPM_RC_HANDLE + P1
    REQUIRE(extend_with(t, s) == 0);
    const auto second = save(t, s.handle);
    CHECK(second.sequence != first.sequence);
    // The older context, although intact, is not the session's current one.
    CHECK(load_rc(t, first) == 0x1CB);
    REQUIRE(load_rc(t, second) == 0);
    CHECK(load_rc(t, second) == 0x1CB);
    CHECK(extend_with(t, s) == 0);
}

TEST_CASE("a tampered session context: TPM_RC_INTEGRITY + P1", "[context]") {
    auto t = started();
    auto s = start_session(t, se::hmac);
    const auto c = save(t, s.handle);
    SECTION("the encrypted state") {
        auto bad = c;
        bad.blob.back() ^= 0x01;
        CHECK(load_rc(t, bad) == 0x1DF);
    }
    SECTION("the integrity value") {
        auto bad = c;
        bad.blob[2] ^= 0x80;
        CHECK(load_rc(t, bad) == 0x1DF);
    }
    SECTION("a truncated blob") {
        auto bad = c;
        bad.blob.resize(20);
        CHECK(load_rc(t, bad) == 0x1DF);
        bad.blob.clear();
        CHECK(load_rc(t, bad) == 0x1DF);
    }
    SECTION("the hierarchy") {
        auto bad = c;
        bad.hierarchy = rh::owner;
        CHECK(load_rc(t, bad) == 0x1DF);
    }
    // Nothing of that harmed the good context.
    CHECK(load_rc(t, c) == 0);
    CHECK(extend_with(t, s) == 0);
}

TEST_CASE("a session context does not survive TPM Reset", "[context]") {
    auto t = started();
    auto s = start_session(t, GENERATE(se::hmac, se::policy));
    const auto c = save(t, s.handle);
    REQUIRE(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
    t.reset();
    REQUIRE(run(t, testing::startup_command(su::clear)).rc == 0);
    CHECK(saved_indexes(t).empty());
    const auto rc = load_rc(t, c);
    CHECK((rc == 0x1CB || rc == 0x1DF));
}

TEST_CASE("a session context survives TPM Restart and TPM Resume (Part 1 §27.5)", "[context]") {
    // "Saved session contexts are not invalidated and may be reloaded after a TPM Restart or
    // TPM Resume. Saved session contexts are invalidated on a TPM Reset."
    auto t = started();
    auto s = start_session(t, se::hmac);
    const auto c = save(t, s.handle);
    REQUIRE(run(t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
    t.reset();
    const bool resume = GENERATE(false, true);
    CAPTURE(resume);
    REQUIRE(run(t, testing::startup_command(resume ? su::state : su::clear)).rc == 0);
    CHECK(saved_indexes(t) == std::vector<tpm_handle>{s.handle & 0x00FFFFFF});
    REQUIRE(load_rc(t, c) == 0);
    CHECK(extend_with(t, s) == 0);
}

TEST_CASE("ContextLoad accepts zero padding after TPMS_CONTEXT, not other trailing bytes", "[context]") {
    auto t = started();
    auto s = start_session(t, se::hmac);
    const auto c = save(t, s.handle);
    SECTION("zero octets (Windows pads contexts to TPM_PT_MAX_SESSION_CONTEXT)") {
        auto r = load(t, cat({c.wire(), bytes(300, 0)}));
        REQUIRE(r.rc == 0);
        CHECK(r.u32() == s.handle);
        CHECK(extend_with(t, s) == 0);
    }
    SECTION("a non-zero octet: TPM_RC_SIZE, and the context stays loadable") {
        auto padded = cat({c.wire(), bytes(300, 0)});
        padded[padded.size() - 7] = 1;
        // Part 3 §5.8.2: adding the parameter number is optional.
        const auto rc = load(t, padded).rc;
        CHECK((rc == 0x095 || rc == 0x1D5));
        CHECK(load_rc(t, c) == 0);
    }
}

TEST_CASE("GetCapability(TPM_CAP_HANDLES, TPM_HT_SAVED_SESSION) lists every saved session (Part 3 §30.2)",
          "[context]") {
    // "Requesting handles with a handle type of ... TPM_HT_SAVED_SESSION": "If saved sessions
    // are requested, all returned values will have the TPM_HT_HMAC_SESSION handle type". The
    // range starts at the handle index of property.
    auto t = started();
    auto a = start_session(t, se::hmac);   // index 0
    auto b = start_session(t, se::policy); // index 1
    auto c = start_session(t, se::hmac);   // index 2, stays loaded
    auto d = start_session(t, se::trial);  // index 3
    (void)save(t, d.handle);
    (void)save(t, a.handle);
    (void)save(t, b.handle);
    CHECK(handles_of(t, 0x02000000) == std::vector<tpm_handle>{c.handle});
    CHECK(saved_indexes(t) == std::vector<tpm_handle>{0, 1, 3});
    CHECK(handles_of(t, 0x03000000) == std::vector<tpm_handle>{0x02000000, 0x02000001, 0x02000003});
    CHECK(handles_of(t, 0x03000002) == std::vector<tpm_handle>{0x02000003});
}

TEST_CASE("saved policy sessions are listed by GetCapability(TPM_CAP_HANDLES, TPM_HT_SAVED_SESSION)", "[context]") {
    auto t = started();
    auto a = start_session(t, se::policy);
    auto b = start_session(t, se::hmac);
    auto c = start_session(t, se::trial);
    (void)save(t, c.handle);
    (void)save(t, a.handle);
    CHECK(saved_indexes(t) == std::vector<tpm_handle>{0, 2});
    CHECK(handles_of(t, 0x02000000) == std::vector<tpm_handle>{b.handle});
    // Loading one takes it off the list.
    REQUIRE(load_rc(t, save(t, b.handle)) == 0);
    CHECK(saved_indexes(t) == std::vector<tpm_handle>{0, 2});
}

TEST_CASE("FlushContext of a saved session ends it", "[context]") {
    auto t = started();
    const auto type = GENERATE(se::hmac, se::policy);
    CAPTURE(type);
    auto s = start_session(t, type);
    const auto c = save(t, s.handle);
    // GetCapability reports every saved session with the HMAC handle type (Part 3 §30.2), so
    // a saved session is flushed by its index with either session handle type.
    CHECK(flush(t, (s.handle ^ 0x01000000)) == 0);
    CHECK(saved_indexes(t).empty());
    CHECK(load_rc(t, c) == 0x1CB);
    CHECK(flush(t, s.handle) == 0x1CB);
    // The handle is free again.
    CHECK(start_session(t, type).handle == s.handle);
}

TEST_CASE("a saved session takes no loaded-session memory", "[context]") {
    auto t = started();
    std::vector<client_session> ss;
    for (int i = 0; i < 8; ++i) ss.push_back(start_session(t, se::hmac));
    auto full = run(t, command_builder(cc::start_auth_session)
                           .handle(rh::null)
                           .handle(rh::null)
                           .b2b(next_nonce())
                           .b2b({})
                           .u8(se::hmac)
                           .u16(alg::null)
                           .u16(alg::sha256)
                           .build());
    CHECK(full.rc == 0x903); // TPM_RC_SESSION_MEMORY
    const auto c = save(t, ss[3].handle);
    auto extra = start_session(t, se::hmac);
    CHECK(extra.handle == 0x02000008); // the saved session keeps 0x02000003
    CHECK(handles_of(t, 0x02000000).size() == 8);
    // Loading it back needs a free loaded slot.
    CHECK(load_rc(t, c) == 0x903);
    REQUIRE(flush(t, extra.handle) == 0);
    REQUIRE(load_rc(t, c) == 0);
    CHECK(extend_with(t, ss[3]) == 0);
    CHECK(handles_of(t, 0x02000000).size() == 8);
}
