// Command audit (Part 1 §32; Part 3 §21.2 SetCommandCodeAuditStatus, §18.6
// GetCommandAuditDigest) and audit sessions (Part 1 §17; Part 3 §18.5 GetSessionAuditDigest)
// through the command pipeline, as raw bytes. Python recomputes every cpHash and rpHash from
// the command and response bytes and chains the audit digests itself; the signed
// TPMS_ATTEST is parsed and its signature verified by python3-cryptography.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/attest.hpp"

using namespace vtpm_test::attest;

namespace {

constexpr std::uint32_t RC_TYPE = 0x08A, RC_EXCLUSIVE = 0x121;
constexpr std::uint32_t S(std::uint32_t rc, unsigned n) { return rc | 0x800 | (n << 8); }

/// One audited exchange: the command code, the Names of its handles, its parameters and the
/// response parameters, as Python expressions for cp()/rp().
struct exchange {
    std::uint32_t code = 0;
    bytes names, params, rparams;
};

/// Python: cpHash, rpHash (Part 1 §18.7, §18.8) and the audit chain (Equations 30 and 55).
const std::string py_audit = py + R"(
def cp(h, cc, names, params): return hashlib.new(h, cc.to_bytes(4, 'big') + names + params).digest()
def rp(h, cc, rparams): return hashlib.new(h, bytes(4) + cc.to_bytes(4, 'big') + rparams).digest()
def chain(h, start, ex):
    d = start
    for (cc, names, params, rparams) in ex:
        d = hashlib.new(h, d + cp(h, cc, names, params) + rp(h, cc, rparams)).digest()
    return d
)";

std::string py_exchanges(const std::vector<exchange>& ex) {
    std::string s = "[";
    for (const auto& x : ex)
        s += "(" + std::to_string(x.code) + ", " + hx(x.names) + ", " + hx(x.params) + ", " + hx(x.rparams) + "), ";
    return s + "]";
}

struct audit_fixture : fixture {
    /// An unbound, unsalted HMAC session (its sessionKey is empty, so its HMACs may be empty
    /// when it authorizes nothing).
    std::uint32_t start_hmac_session(std::uint16_t hash = alg::sha256, std::uint8_t type = se::hmac) {
        const bytes nonce(hash == alg::sha1 ? 20 : 32, 0x5a);
        auto r = run(t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null).b2b(nonce).b2b({})
                            .u8(type).u16(alg::null).u16(hash).build());
        REQUIRE(r.rc == 0);
        return r.u32();
    }
    /// TPM2_GetRandom(n) with a session that audits it; returns the exchange, and the
    /// response's session attributes.
    struct audited {
        std::uint32_t rc = 0;
        exchange ex;
        std::uint8_t attrs = 0;
    };
    audited get_random(std::uint16_t n, std::uint32_t session, std::uint8_t attrs) {
        const bytes nonce(32, 0x11);
        auto r = run(t, command_builder(cc::get_random).session(session, nonce, attrs, {}).u16(n).build());
        audited a;
        a.rc = r.rc;
        if (r.rc != 0) return a;
        const auto psize = r.parameter_size();
        a.ex = {cc::get_random, {}, be16(n), r.take(psize)};
        (void)r.b2b(); // nonceTPM
        a.attrs = r.u8();
        CHECK(r.b2b().empty()); // no key material: the response HMAC is empty as well
        REQUIRE(r.ok);
        return a;
    }
    /// TPM2_GetRandom(n) without sessions.
    exchange get_random(std::uint16_t n) {
        auto r = run(t, command_builder(cc::get_random).u16(n).build());
        REQUIRE(r.rc == 0);
        return {cc::get_random, {}, be16(n), r.take(r.remaining())};
    }
    attested session_audit_digest(std::uint32_t key, std::uint32_t session, byte_view qualifying = {}) {
        auto cb = command_builder(cc::get_session_audit_digest).handle(rh::endorsement).handle(key).handle(session);
        return finish(run(t, cb.password().password().b2b(qualifying).u16(alg::null).build()));
    }
    attested command_audit_digest(std::uint32_t key, byte_view qualifying = {}) {
        auto cb = command_builder(cc::get_command_audit_digest).handle(rh::endorsement).handle(key);
        return finish(run(t, cb.password().password().b2b(qualifying).u16(alg::null).build()));
    }
    /// SetCommandCodeAuditStatus(owner, ...) with a password; returns the rc and the exchange.
    std::pair<std::uint32_t, exchange> set_audit(std::uint16_t hash, std::vector<std::uint32_t> set,
                                                 std::vector<std::uint32_t> clear) {
        bytes params = be16(hash);
        for (const auto* l : {&set, &clear}) {
            params = cat({params, be32(static_cast<std::uint32_t>(l->size()))});
            for (auto c : *l) params = cat({params, be32(c)});
        }
        auto r = run(t, command_builder(cc::set_command_code_audit_status).handle(rh::owner).password().raw(params).build());
        return {r.rc, {cc::set_command_code_audit_status, be32(rh::owner), params, {}}};
    }
    std::vector<std::uint32_t> audit_commands() {
        auto r = run(t, command_builder(cc::get_capability).u32(cap::audit_commands).u32(cc::first).u32(100).build());
        REQUIRE(r.rc == 0);
        (void)r.u8();
        REQUIRE(r.u32() == cap::audit_commands);
        std::vector<std::uint32_t> v(r.u32());
        for (auto& c : v) c = r.u32();
        REQUIRE(r.ok);
        return v;
    }
    std::uint64_t audit_counter_property() {
        auto r = run(t, command_builder(cc::get_capability).u32(cap::tpm_properties).u32(pt::audit_counter_0).u32(2).build());
        REQUIRE(r.rc == 0);
        (void)r.u8();
        (void)r.u32();
        REQUIRE(r.u32() == 2);
        REQUIRE(r.u32() == pt::audit_counter_0);
        const std::uint64_t hi = r.u32();
        REQUIRE(r.u32() == pt::audit_counter_1);
        return hi << 32 | r.u32();
    }
};

} // namespace

TEST_CASE("Audit sessions: the digest chains cpHash and rpHash; GetSessionAuditDigest signs it", "[audit]") {
    audit_fixture f;
    auto ak = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
    const auto s = f.start_hmac_session();
    constexpr std::uint8_t cont = 0x01, audit = 0x80, excl = 0x02, reset = 0x04;

    auto a1 = f.get_random(8, s, cont | audit);
    REQUIRE(a1.rc == 0);
    CHECK(a1.attrs == (cont | audit | excl)); // the first use starts a sequence: exclusive
    auto a2 = f.get_random(16, s, cont | audit | excl);
    REQUIRE(a2.rc == 0);
    CHECK(a2.attrs == (cont | audit | excl));
    const std::string expect = "chain('sha256', bytes(32), " + py_exchanges({a1.ex, a2.ex}) + ")";

    auto g = f.session_audit_digest(ak.handle, s, str("audit"));
    REQUIRE(g.rc == 0);
    CHECK(python(py_audit + "d = attest(" + hx(g.attest) + ")\nassert d['type'] == 0x8016\n"
                 "check_common(d, " + f.common(ak, str("audit"), false) + ")\n"
                 "assert d['excl'] == 1, 'exclusive'\n"
                 "assert d['digest'] == " + expect + ", 'sessionDigest'\n"
                 "verify(" + hx(ak.pub) + ", " + hx(g.signature) + ", " + hx(g.attest) + ")\nprint('ok')") == "ok");

    SECTION("a command without the session ends exclusivity; auditExclusive then fails") {
        // GetSessionAuditDigest above did not use the session: it is no longer exclusive.
        auto g2 = f.session_audit_digest(rh::null, s);
        REQUIRE(g2.rc == 0);
        CHECK(python(py_audit + "d = attest(" + hx(g2.attest) + ")\nassert d['excl'] == 0\n"
                     "assert d['digest'] == " + expect + "\nprint('ok')") == "ok");
        CHECK(f.get_random(4, s, cont | audit | excl).rc == RC_EXCLUSIVE);
        // Without auditExclusive the command runs and the digest goes on; the reply says
        // the session is not exclusive.
        auto a3 = f.get_random(4, s, cont | audit);
        REQUIRE(a3.rc == 0);
        CHECK(a3.attrs == (cont | audit));
        auto g3 = f.session_audit_digest(rh::null, s);
        REQUIRE(g3.rc == 0);
        CHECK(python(py_audit + "d = attest(" + hx(g3.attest) + ")\nassert d['digest'] == chain('sha256', bytes(32), " +
                     py_exchanges({a1.ex, a2.ex, a3.ex}) + ")\nprint('ok')") == "ok");
        // auditReset starts a new sequence from the Zero Digest and makes the session exclusive.
        auto a4 = f.get_random(2, s, cont | audit | reset);
        REQUIRE(a4.rc == 0);
        CHECK(a4.attrs == (cont | audit | excl));
        auto a5 = f.get_random(2, s, cont | audit | excl);
        REQUIRE(a5.rc == 0);
        auto g4 = f.session_audit_digest(rh::null, s);
        REQUIRE(g4.rc == 0);
        CHECK(python(py_audit + "d = attest(" + hx(g4.attest) + ")\nassert d['excl'] == 1\n"
                     "assert d['digest'] == chain('sha256', bytes(32), " + py_exchanges({a4.ex, a5.ex}) + ")\nprint('ok')") ==
              "ok");
    }
    SECTION("a failing command leaves the session digest unchanged") {
        auto plain = f.get_random(4, s, cont | 0x20 /* decrypt is refused: GetRandom has no TPM2B */);
        CHECK(plain.rc == S(RC_ATTRIBUTES, 1));
        auto g2 = f.session_audit_digest(rh::null, s);
        REQUIRE(g2.rc == 0);
        CHECK(python(py_audit + "d = attest(" + hx(g2.attest) + ")\nassert d['digest'] == " + expect + "\nprint('ok')") == "ok");
    }
}

TEST_CASE("Audit session errors", "[audit]") {
    audit_fixture f;
    constexpr std::uint8_t cont = 0x01, audit = 0x80, excl = 0x02, reset = 0x04;
    const auto s = f.start_hmac_session();
    const auto s2 = f.start_hmac_session();
    const auto pol = f.start_hmac_session(alg::sha256, se::policy);
    // A session that has never audited: TPM_RC_TYPE + H3.
    CHECK(f.session_audit_digest(rh::null, s).rc == H(RC_TYPE, 3));
    // auditExclusive / auditReset without audit: TPM_RC_ATTRIBUTES + S1.
    CHECK(f.get_random(4, s, cont | excl).rc == S(RC_ATTRIBUTES, 1));
    CHECK(f.get_random(4, s, cont | reset).rc == S(RC_ATTRIBUTES, 1));
    // Policy sessions cannot audit.
    CHECK(f.get_random(4, pol, cont | audit).rc == S(RC_ATTRIBUTES, 1));
    // auditExclusive on the first use: the session is not exclusive yet.
    CHECK(f.get_random(4, s, cont | audit | excl).rc == RC_EXCLUSIVE);
    // Only one audit session per command: TPM_RC_ATTRIBUTES + S2.
    auto r = run(f.t, command_builder(cc::get_random).session(s, bytes(32, 1), cont | audit, {})
                          .session(s2, bytes(32, 2), cont | audit, {}).u16(4).build());
    CHECK(r.rc == S(RC_ATTRIBUTES, 2));
    // None of these made s an audit session.
    CHECK(f.session_audit_digest(rh::null, s).rc == H(RC_TYPE, 3));
    // sessionHandle must be an HMAC session handle (TPMI_SH_HMAC): TPM_RC_VALUE + H3.
    CHECK(f.session_audit_digest(rh::null, pol).rc == H(RC_VALUE, 3));
}

TEST_CASE("Command audit: SetCommandCodeAuditStatus, the audit digest and counter, GetCommandAuditDigest", "[audit]") {
    audit_fixture f;
    auto ak = f.primary(rh::endorsement, ecc_tpl(ak_attrs, scheme(alg::ecdsa)));
    // After manufacture only SetCommandCodeAuditStatus is audited, and no log exists yet.
    CHECK(f.audit_commands() == std::vector<std::uint32_t>{cc::set_command_code_audit_status});
    CHECK(f.audit_counter_property() == 0);
    (void)f.get_random(4); // not audited
    auto [rc1, set1] = f.set_audit(alg::null, {cc::get_random, cc::pcr_read, cc::shutdown, 0x00002000}, {});
    REQUIRE(rc1 == 0);
    CHECK(f.audit_commands() == std::vector<std::uint32_t>{cc::set_command_code_audit_status, cc::get_random, cc::pcr_read});
    CHECK(f.audit_counter_property() == 1); // the first audited event starts log 1
    auto r1 = f.get_random(8);
    auto r2 = f.get_random(3);
    const std::string commands = "hashlib.sha256(b''.join(c.to_bytes(4, 'big') for c in (0x140, 0x17b, 0x17e))).digest()";

    // TPM_RH_NULL: an unsigned report that does not end the log.
    auto n = f.command_audit_digest(rh::null, str("n"));
    REQUIRE(n.rc == 0);
    CHECK(to_hex(n.signature) == "0010");
    const std::string log1 = "chain('sha256', bytes(32), " + py_exchanges({set1, r1, r2}) + ")";
    CHECK(python(py_audit + "d = attest(" + hx(n.attest) + ")\nassert d['type'] == 0x8015\n"
                 "assert d['counter'] == 1 and d['alg'] == 0x0b\n"
                 "assert d['audit'] == " + log1 + ", 'auditDigest'\n"
                 "assert d['cmds'] == " + commands + ", 'commandDigest'\nprint('ok')") == "ok");

    // Signed: the log ends (the digest is cleared); the next audited command starts log 2.
    auto g = f.command_audit_digest(ak.handle, str("q"));
    REQUIRE(g.rc == 0);
    CHECK(python(py_audit + "d = attest(" + hx(g.attest) + ")\n"
                 "check_common(d, " + f.common(ak, str("q"), false) + ")\n"
                 "assert d['counter'] == 1 and d['audit'] == " + log1 + "\n"
                 "verify(" + hx(ak.pub) + ", " + hx(g.signature) + ", " + hx(g.attest) + ")\nprint('ok')") == "ok");
    auto empty = f.command_audit_digest(rh::null);
    REQUIRE(empty.rc == 0);
    CHECK(python(py_audit + "d = attest(" + hx(empty.attest) + ")\nassert d['counter'] == 1 and d['audit'] == b''\nprint('ok')") ==
          "ok");
    auto r3 = f.get_random(5);
    CHECK(f.audit_counter_property() == 2);
    auto n2 = f.command_audit_digest(rh::null);
    REQUIRE(n2.rc == 0);
    CHECK(python(py_audit + "d = attest(" + hx(n2.attest) + ")\nassert d['counter'] == 2\n"
                 "assert d['audit'] == chain('sha256', bytes(32), " + py_exchanges({r3}) + ")\nprint('ok')") == "ok");

    SECTION("a new audit hash: lists must be empty; the digest is cleared; that command is not audited") {
        CHECK(f.set_audit(alg::sha384, {cc::get_random}, {}).first == P(RC_VALUE, 1));
        CHECK(f.set_audit(alg::sha384, {}, {cc::pcr_read}).first == P(RC_VALUE, 1));
        REQUIRE(f.set_audit(alg::sha384, {}, {}).first == 0);
        CHECK(f.audit_counter_property() == 2);
        auto x = f.command_audit_digest(rh::null);
        REQUIRE(x.rc == 0);
        CHECK(python(py_audit + "d = attest(" + hx(x.attest) + ")\nassert d['alg'] == 0x0c and d['audit'] == b''\n"
                     "assert d['cmds'] == hashlib.sha384(b''.join(c.to_bytes(4, 'big') for c in (0x140, 0x17b, 0x17e))).digest()\n"
                     "print('ok')") == "ok");
        auto r4 = f.get_random(6);
        CHECK(f.audit_counter_property() == 3);
        auto y = f.command_audit_digest(rh::null);
        CHECK(python(py_audit + "d = attest(" + hx(y.attest) + ")\nassert d['counter'] == 3\n"
                     "assert d['audit'] == chain('sha384', bytes(48), " + py_exchanges({r4}) + ")\nprint('ok')") == "ok");
    }
    SECTION("clearList: SetCommandCodeAuditStatus itself stays audited; set is processed first") {
        auto [rc2, set2] = f.set_audit(alg::sha256, {cc::get_time}, {cc::get_random, cc::set_command_code_audit_status, cc::get_time});
        REQUIRE(rc2 == 0);
        CHECK(f.audit_commands() == std::vector<std::uint32_t>{cc::set_command_code_audit_status, cc::pcr_read});
        (void)f.get_random(4); // no longer audited
        auto z = f.command_audit_digest(rh::null);
        CHECK(python(py_audit + "d = attest(" + hx(z.attest) + ")\n"
                     "assert d['audit'] == chain('sha256', bytes(32), " + py_exchanges({r3, set2}) + ")\nprint('ok')") == "ok");
    }
    SECTION("privacyHandle is TPMI_RH_ENDORSEMENT; auth is TPMI_RH_PROVISION") {
        auto r = run(f.t, command_builder(cc::get_command_audit_digest).handle(rh::owner).handle(rh::null)
                              .password().password().b2b({}).u16(alg::null).build());
        CHECK(r.rc == H(RC_VALUE, 1));
        auto r2 = run(f.t, command_builder(cc::set_command_code_audit_status).handle(rh::endorsement).password()
                               .u16(alg::null).u32(0).u32(0).build());
        CHECK(r2.rc == H(RC_VALUE, 1));
    }
}

TEST_CASE("Command audit across power events and the saved state", "[audit]") {
    audit_fixture f;
    REQUIRE(f.set_audit(alg::sha256, {cc::get_random}, {}).first == 0);
    (void)f.get_random(4);
    const auto before = f.e().audit.digest;
    REQUIRE(before.size == 32);

    SECTION("the state format keeps hash, counter, command set and digest") {
        REQUIRE(f.set_audit(alg::sha384, {}, {}).first == 0);
        (void)f.get_random(4);
        const auto audit = f.e().audit;
        const auto blob = f.t.save_state();
        tpm_t other{testing::seeded_crypto(9)};
        other.manufacture();
        REQUIRE_FALSE(other.load_state(blob).has_value());
        const auto& got = other.internals().audit;
        CHECK(got.alg == alg::sha384);
        CHECK(got.counter == audit.counter);
        CHECK(got.commands == audit.commands);
        CHECK(got.digest == audit.digest);
    }
    SECTION("an orderly shutdown keeps the digest; an unorderly one clears it") {
        REQUIRE(run(f.t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
        f.t.power_off();
        f.t.power_on();
        REQUIRE(run(f.t, testing::startup_command()).rc == 0);
        CHECK(f.e().audit.digest == before);
        CHECK(f.audit_counter_property() == 1);
        f.t.power_off(); // no TPM2_Shutdown
        f.t.power_on();
        REQUIRE(run(f.t, testing::startup_command()).rc == 0);
        CHECK(f.e().audit.digest.empty());
        (void)f.get_random(4);
        CHECK(f.audit_counter_property() == 2); // the next event opens a new log
    }
}

TEST_CASE("An audit session keeps its digest through ContextSave and ContextLoad", "[audit]") {
    audit_fixture f;
    const auto s = f.start_hmac_session();
    auto a1 = f.get_random(8, s, 0x81);
    REQUIRE(a1.rc == 0);
    auto saved = run(f.t, command_builder(cc::context_save).handle(s).build());
    REQUIRE(saved.rc == 0);
    const auto ctx = saved.take(saved.remaining());
    auto loaded = run(f.t, command_builder(cc::context_load).raw(ctx).build());
    REQUIRE(loaded.rc == 0);
    REQUIRE(loaded.u32() == s);
    auto a2 = f.get_random(4, s, 0x81);
    REQUIRE(a2.rc == 0);
    // ContextSave and ContextLoad allow no sessions: they leave the session exclusive.
    CHECK(a2.attrs == (0x81 | 0x02));
    auto g = f.session_audit_digest(rh::null, s);
    REQUIRE(g.rc == 0);
    CHECK(python(py_audit + "d = attest(" + hx(g.attest) + ")\n"
                 "assert d['digest'] == chain('sha256', bytes(32), " + py_exchanges({a1.ex, a2.ex}) + ")\nprint('ok')") == "ok");
}
