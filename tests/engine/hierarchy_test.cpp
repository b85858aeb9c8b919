// Part 3 §24 Hierarchy Commands and §25 Dictionary Attack Functions, with the lockout rules of
// Part 1 §16.8, through the command pipeline as raw bytes. Expected response codes are the
// spec's numbers written out; HMACs and policy digests are computed by Python.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <support/oracle.hpp>
#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>

using namespace vtpm;
using testing::command_builder;
using testing::run;
using vtpm_test::hx;
using vtpm_test::python;

namespace {

using tpm_t = tpm<testing::deterministic_platform<>>;

// Response codes (Part 2 §6.6), with the session / parameter / handle numbers where they apply.
constexpr std::uint32_t rc_bad_auth_s1 = 0x9A2;      // TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1
constexpr std::uint32_t rc_auth_fail_s1 = 0x98E;     // TPM_RC_AUTH_FAIL + TPM_RC_S + TPM_RC_1
constexpr std::uint32_t rc_lockout = 0x921;          // TPM_RC_LOCKOUT
constexpr std::uint32_t rc_disabled = 0x120;         // TPM_RC_DISABLED
constexpr std::uint32_t rc_auth_fail = 0x08E;        // TPM_RC_AUTH_FAIL
constexpr std::uint32_t rc_auth_type = 0x124;        // TPM_RC_AUTH_TYPE (format 0: no parameter number)
constexpr std::uint32_t rc_size_p1 = 0x1D5;          // TPM_RC_SIZE + TPM_RC_P + TPM_RC_1
constexpr std::uint32_t rc_hierarchy_h1 = 0x185;     // TPM_RC_HIERARCHY + TPM_RC_H + TPM_RC_1
constexpr std::uint32_t rc_reference_h0 = 0x910;     // TPM_RC_REFERENCE_H0
constexpr std::uint32_t rc_value_h1 = 0x184;         // TPM_RC_VALUE + TPM_RC_H + TPM_RC_1

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(0); }

bytes str(const std::string& s) { return bytes(s.begin(), s.end()); }

bytes change_auth(tpm_handle h, const bytes& old_auth, const bytes& new_auth) {
    return command_builder(cc::hierarchy_change_auth).handle(h).password(old_auth).b2b(new_auth).build();
}

struct created {
    std::uint32_t rc = 0;
    tpm_handle handle = 0;
    bytes name;
};

/// CreatePrimary of a sealed data object (KEYEDHASH, scheme NULL) with a userAuth.
created create_sealed(tpm_t& t, tpm_handle hierarchy, const bytes& user_auth, bool no_da = false,
                      const bytes& hierarchy_auth = {}) {
    command_builder sens(0);
    sens.b2b(user_auth).b2b(str("sealed secret"));
    std::uint32_t attrs = 0x2 | 0x10 | 0x40; // fixedTPM | fixedParent | userWithAuth
    if (no_da) attrs |= 0x400;
    command_builder pub(0);
    pub.u16(alg::keyedhash).u16(alg::sha256).u32(attrs).b2b({}).u16(alg::null).b2b({});
    auto body = [](const command_builder& b) {
        bytes x = b.build();
        return bytes(x.begin() + 10, x.end()); // parameters only
    };
    auto r = run(t, command_builder(cc::create_primary).handle(hierarchy).password(hierarchy_auth)
                        .b2b(body(sens)).b2b(body(pub)).b2b({}).u32(0).build());
    created c;
    c.rc = r.rc;
    if (r.rc != 0) return c;
    c.handle = r.u32();
    r.parameter_size();
    r.b2b(); // outPublic
    r.b2b(); // creationData
    r.b2b(); // creationHash
    r.u16(); r.u32(); r.b2b(); // creationTicket
    c.name = r.b2b();
    REQUIRE(r.ok);
    return c;
}

std::uint32_t unseal(tpm_t& t, tpm_handle h, const bytes& auth) {
    return run(t, command_builder(cc::unseal).handle(h).password(auth).build()).rc;
}

/// TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES, property, 1): the value.
std::uint32_t property(tpm_t& t, std::uint32_t pt) {
    auto r = run(t, command_builder(cc::get_capability).u32(cap::tpm_properties).u32(pt).u32(1).build());
    REQUIRE(r.rc == 0);
    r.u8();
    REQUIRE(r.u32() == cap::tpm_properties);
    REQUIRE(r.u32() == 1);
    REQUIRE(r.u32() == pt);
    return r.u32();
}

bytes da_parameters(std::uint32_t max_tries, std::uint32_t recovery, std::uint32_t lockout_recovery,
                    const bytes& lockout_auth = {}) {
    return command_builder(cc::dictionary_attack_parameters).handle(rh::lockout).password(lockout_auth)
        .u32(max_tries).u32(recovery).u32(lockout_recovery).build();
}
bytes da_reset(const bytes& lockout_auth = {}) {
    return command_builder(cc::dictionary_attack_lock_reset).handle(rh::lockout).password(lockout_auth).build();
}

void advance_s(std::uint64_t s) { testing::manual_clock() += s * 1000; }

} // namespace

TEST_CASE("HierarchyChangeAuth: new authValues for owner, endorsement, lockout and platform", "[hierarchy]") {
    auto t = started();
    for (tpm_handle h : {rh::owner, rh::endorsement, rh::lockout, rh::platform}) {
        INFO(std::hex << h);
        REQUIRE(run(t, change_auth(h, {}, str("secret"))).rc == 0);
        // The old (empty) value no longer works; the new one does.
        const auto bad = run(t, change_auth(h, {}, str("x"))).rc;
        CHECK(bad == (h == rh::lockout ? rc_auth_fail_s1 : rc_bad_auth_s1));
        if (h == rh::lockout) REQUIRE(run(t, da_reset(str("secret"))).rc == rc_lockout); // lockoutAuth failure lockout
        if (h == rh::lockout) {
            advance_s(86400); // default lockoutRecovery
            REQUIRE(run(t, da_reset(str("secret"))).rc == 0);
        }
        // Trailing zeros do not count (Part 1 §19.6.4).
        bytes padded = str("secret");
        padded.push_back(0);
        padded.push_back(0);
        REQUIRE(run(t, change_auth(h, padded, {})).rc == 0);
    }
    // TPMA_PERMANENT reports the authorizations that are set.
    REQUIRE(run(t, change_auth(rh::owner, {}, str("o"))).rc == 0);
    CHECK((property(t, pt::permanent) & 0x1) != 0); // ownerAuthSet
    REQUIRE(run(t, change_auth(rh::owner, str("o"), {})).rc == 0);
    CHECK((property(t, pt::permanent) & 0x1) == 0);
}

TEST_CASE("HierarchyChangeAuth: longer than the context-integrity digest is TPM_RC_SIZE", "[hierarchy]") {
    auto t = started();
    bytes a(32, 0x41);
    CHECK(run(t, change_auth(rh::owner, {}, a)).rc == 0);
    bytes b(33, 0x41);
    CHECK(run(t, change_auth(rh::owner, a, b)).rc == rc_size_p1);
    CHECK(run(t, change_auth(rh::owner, a, {})).rc == 0);
    // TPMI_RH_HIERARCHY_AUTH: TPM_RH_NULL is not a hierarchy with an authValue.
    CHECK(run(t, change_auth(rh::null, {}, {})).rc == rc_value_h1);
}

TEST_CASE("HierarchyChangeAuth: the response HMAC is keyed with the new authValue", "[hierarchy][hmac]") {
    auto t = started();
    REQUIRE(run(t, change_auth(rh::owner, {}, str("old-auth"))).rc == 0);
    const bytes nc(16, 0x5A);
    auto s = run(t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null)
                        .b2b(nc).b2b({}).u8(0).u16(alg::null).u16(alg::sha256).build());
    REQUIRE(s.rc == 0);
    const tpm_handle sh = s.u32();
    const bytes nt = s.b2b();
    const bytes new_auth = str("the-new-owner-auth");
    // cpHash = SHA256(commandCode || Name(owner) || newAuth as a TPM2B); unbound, unsalted: the
    // HMAC key is the authValue alone.
    const auto py_common = "import hashlib, hmac\n"
                           "cc = (0x129).to_bytes(4, 'big')\n"
                           "new = " + hx(new_auth) + "\n"
                           "nc = " + hx(nc) + "\n";
    const auto mac = python(py_common + "nt = " + hx(nt) + "\n"
                            "cp = hashlib.sha256(cc + (0x40000001).to_bytes(4, 'big') + len(new).to_bytes(2, 'big') + new).digest()\n"
                            "print(hmac.new(b'old-auth', cp + nc + nt + b'\\x01', 'sha256').hexdigest())");
    auto r = run(t, command_builder(cc::hierarchy_change_auth).handle(rh::owner)
                        .session(sh, nc, 0x01, from_hex(mac)).b2b(new_auth).build());
    REQUIRE(r.rc == 0);
    REQUIRE(r.parameter_size() == 0);
    const bytes nt2 = r.b2b();
    REQUIRE(r.u8() == 0x01);
    const bytes rmac = r.b2b();
    REQUIRE(r.ok);
    const auto want = python(py_common + "nt2 = " + hx(nt2) + "\n"
                             "rp = hashlib.sha256(bytes(4) + cc).digest()\n"
                             "print(hmac.new(new, rp + nt2 + nc + b'\\x01', 'sha256').hexdigest())");
    CHECK(to_hex(rmac) == want);
}

TEST_CASE("SetPrimaryPolicy: a hierarchy authorized by its policy", "[hierarchy][policy]") {
    auto t = started();
    // PolicyCommandCode(ClockSet) from a zero digest (Part 3 §23.11): H(0^32 || TPM_CC_PolicyCommandCode || code).
    const auto digest = from_hex(python("import hashlib\n"
                                        "print(hashlib.sha256(bytes(32) + (0x16C).to_bytes(4, 'big') + (0x128).to_bytes(4, 'big')).hexdigest())"));
    // Size must match the hash; an Empty Buffer goes with TPM_ALG_NULL only.
    CHECK(run(t, command_builder(cc::set_primary_policy).handle(rh::owner).password().b2b(bytes(20, 1)).u16(alg::sha256).build()).rc ==
          rc_size_p1);
    CHECK(run(t, command_builder(cc::set_primary_policy).handle(rh::owner).password().b2b(bytes(32, 1)).u16(alg::null).build()).rc ==
          rc_size_p1);
    REQUIRE(run(t, command_builder(cc::set_primary_policy).handle(rh::owner).password().b2b(digest).u16(alg::sha256).build()).rc == 0);

    auto policy_session = [&] {
        auto s = run(t, command_builder(cc::start_auth_session).handle(rh::null).handle(rh::null)
                            .b2b(bytes(16, 7)).b2b({}).u8(1).u16(alg::null).u16(alg::sha256).build());
        REQUIRE(s.rc == 0);
        const tpm_handle h = s.u32();
        const bytes n = s.b2b();
        return std::pair{h, n};
    };
    auto clock_set = [&](tpm_handle sh, const bytes& nonce) {
        // No session key, no authValue: the HMAC may be empty.
        return run(t, command_builder(cc::clock_set).handle(rh::owner).session(sh, nonce, 0x01, {}).u64(1u << 30).build()).rc;
    };
    auto [sh, n] = policy_session();
    REQUIRE(run(t, command_builder(cc::policy_command_code).handle(sh).u32(cc::clock_set).build()).rc == 0);
    CHECK(clock_set(sh, bytes(16, 9)) == 0);
    // Without the assertion the digest does not match: TPM_RC_POLICY_FAIL + S1.
    REQUIRE(run(t, command_builder(cc::policy_restart).handle(sh).build()).rc == 0);
    CHECK(clock_set(sh, bytes(16, 9)) == 0x99D);
    // Back to no policy: TPM_ALG_NULL and an Empty Buffer.
    REQUIRE(run(t, command_builder(cc::set_primary_policy).handle(rh::owner).password().b2b({}).u16(alg::null).build()).rc == 0);
    REQUIRE(run(t, command_builder(cc::policy_command_code).handle(sh).u32(cc::clock_set).build()).rc == 0);
    CHECK(clock_set(sh, bytes(16, 9)) == 0x99D);
}

TEST_CASE("HierarchyControl: who may disable and enable what; objects of a disabled hierarchy go", "[hierarchy]") {
    auto t = started();
    auto control = [&](tpm_handle auth, tpm_handle enable, bool state) {
        return run(t, command_builder(cc::hierarchy_control).handle(auth).password().u32(enable).u8(state ? 1 : 0).build()).rc;
    };
    auto k = create_sealed(t, rh::endorsement, str("pw"));
    REQUIRE(k.rc == 0);
    // The owner may not touch the endorsement enable, nor SET its own.
    CHECK(control(rh::owner, rh::endorsement, false) == rc_auth_type);
    CHECK(control(rh::owner, rh::owner, true) == rc_auth_type);
    CHECK(control(rh::endorsement, rh::platform, false) == rc_auth_type);
    // Endorsement disables itself: its objects are flushed, its handle refused.
    REQUIRE(control(rh::endorsement, rh::endorsement, false) == 0);
    CHECK(unseal(t, k.handle, str("pw")) == rc_reference_h0);
    CHECK(create_sealed(t, rh::endorsement, {}).rc == rc_hierarchy_h1);
    CHECK((property(t, pt::startup_clear) & 0x4) == 0); // ehEnable
    // Only the platform SETs it again.
    REQUIRE(control(rh::platform, rh::endorsement, true) == 0);
    CHECK(create_sealed(t, rh::endorsement, {}).rc == 0);
    // Owner disables storage; platform disables itself; a Startup(CLEAR) restores both.
    REQUIRE(control(rh::owner, rh::owner, false) == 0);
    CHECK(create_sealed(t, rh::owner, {}).rc == rc_hierarchy_h1);
    REQUIRE(control(rh::platform, rh::platform_nv, false) == 0);
    REQUIRE(control(rh::platform, rh::platform, false) == 0);
    CHECK(control(rh::platform, rh::owner, true) == rc_hierarchy_h1);
    CHECK((property(t, pt::startup_clear) & 0xB) == 0); // phEnable, shEnable, phEnableNV
    REQUIRE(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
    t.power_off();
    t.power_on();
    REQUIRE(run(t, testing::startup_command()).rc == 0);
    CHECK((property(t, pt::startup_clear) & 0xF) == 0xF);
    CHECK(create_sealed(t, rh::owner, {}).rc == 0);
}

TEST_CASE("Clear: a new owner; ClearControl disables it", "[hierarchy]") {
    auto t = started();
    const auto before = create_sealed(t, rh::owner, {});
    REQUIRE(before.rc == 0);
    REQUIRE(run(t, change_auth(rh::owner, {}, str("owner"))).rc == 0);
    REQUIRE(run(t, change_auth(rh::lockout, {}, str("lock"))).rc == 0);
    const auto eh_before = create_sealed(t, rh::endorsement, {});
    REQUIRE(eh_before.rc == 0);
    advance_s(100);

    // Lockout may SET disableClear but not CLEAR it; then Clear is TPM_RC_DISABLED.
    REQUIRE(run(t, command_builder(cc::clear_control).handle(rh::lockout).password(str("lock")).u8(1).build()).rc == 0);
    CHECK((property(t, pt::permanent) & 0x100) != 0); // disableClear
    CHECK(run(t, command_builder(cc::clear_control).handle(rh::lockout).password(str("lock")).u8(0).build()).rc == rc_auth_fail);
    CHECK(run(t, command_builder(cc::clear).handle(rh::lockout).password(str("lock")).build()).rc == rc_disabled);
    REQUIRE(run(t, command_builder(cc::clear_control).handle(rh::platform).password().u8(0).build()).rc == 0);

    REQUIRE(run(t, command_builder(cc::clear).handle(rh::lockout).password(str("lock")).build()).rc == 0);
    // Objects of the owner and endorsement hierarchies are gone; the authValues are empty.
    CHECK(unseal(t, before.handle, {}) == rc_reference_h0);
    CHECK(unseal(t, eh_before.handle, {}) == rc_reference_h0);
    CHECK((property(t, pt::permanent) & 0x7) == 0);
    // A new SPS: the same template gives another object. The endorsement hierarchy's sealed
    // object changes too: its seedValue is bound to shProof, which Clear changes.
    const auto after = create_sealed(t, rh::owner, {});
    REQUIRE(after.rc == 0);
    CHECK(after.name != before.name);
    const auto eh_after = create_sealed(t, rh::endorsement, {});
    REQUIRE(eh_after.rc == 0);
    CHECK(eh_after.name != eh_before.name);
    // Clock and the reset counters start over.
    auto rc_ = run(t, command_builder(cc::read_clock).build());
    REQUIRE(rc_.rc == 0);
    rc_.u64();
    CHECK(rc_.u64() < 100000);
    CHECK(rc_.u32() == 0);
    CHECK(rc_.u32() == 0);
    CHECK(rc_.u8() == 1);
}

TEST_CASE("ChangeEPS and ChangePPS: new seeds for the endorsement and platform hierarchies", "[hierarchy]") {
    auto t = started();
    const auto ek = create_sealed(t, rh::endorsement, {});
    const auto pk = create_sealed(t, rh::platform, {});
    const auto sk = create_sealed(t, rh::owner, {});
    REQUIRE(run(t, change_auth(rh::endorsement, {}, str("e"))).rc == 0);
    REQUIRE(run(t, command_builder(cc::change_eps).handle(rh::platform).password().build()).rc == 0);
    CHECK(unseal(t, ek.handle, {}) == rc_reference_h0);
    CHECK(unseal(t, sk.handle, {}) == 0);
    CHECK((property(t, pt::permanent) & 0x2) == 0); // endorsementAuthSet cleared
    const auto ek2 = create_sealed(t, rh::endorsement, {});
    REQUIRE(ek2.rc == 0);
    CHECK(ek2.name != ek.name);
    REQUIRE(run(t, command_builder(cc::change_pps).handle(rh::platform).password().build()).rc == 0);
    CHECK(unseal(t, pk.handle, {}) == rc_reference_h0);
    const auto pk2 = create_sealed(t, rh::platform, {});
    REQUIRE(pk2.rc == 0);
    CHECK(pk2.name != pk.name);
    CHECK(create_sealed(t, rh::owner, {}).name == sk.name);
}

TEST_CASE("Dictionary attack: failures count, lockout, reset, self-healing", "[hierarchy][da]") {
    auto t = started();
    auto k = create_sealed(t, rh::owner, str("right"));
    auto nd = create_sealed(t, rh::owner, str("right"), true);
    REQUIRE(k.rc == 0);
    REQUIRE(nd.rc == 0);
    CHECK(property(t, pt::max_auth_fail) == 3);
    CHECK(property(t, pt::lockout_interval) == 7200);
    CHECK(property(t, pt::lockout_recovery) == 86400);

    // A noDA object: BAD_AUTH, nothing counted.
    CHECK(unseal(t, nd.handle, str("wrong")) == rc_bad_auth_s1);
    CHECK(property(t, pt::lockout_counter) == 0);
    // A DA-protected one: AUTH_FAIL, counted; at maxTries the TPM is in lockout.
    for (std::uint32_t i = 1; i <= 3; ++i) {
        CHECK(unseal(t, k.handle, str("wrong")) == rc_auth_fail_s1);
        CHECK(property(t, pt::lockout_counter) == i);
    }
    CHECK((property(t, pt::permanent) & 0x200) != 0); // inLockout
    CHECK(unseal(t, k.handle, str("right")) == rc_lockout);
    CHECK(unseal(t, nd.handle, str("right")) == 0); // noDA objects still work
    // DictionaryAttackLockReset works in lockout (lockoutAuth is exempt from failedTries).
    REQUIRE(run(t, da_reset()).rc == 0);
    CHECK(property(t, pt::lockout_counter) == 0);
    CHECK(unseal(t, k.handle, str("right")) == 0);

    // Self-healing: one decrement per recoveryTime seconds of powered time.
    REQUIRE(run(t, da_parameters(2, 10, 20)).rc == 0);
    CHECK(unseal(t, k.handle, str("wrong")) == rc_auth_fail_s1);
    CHECK(unseal(t, k.handle, str("wrong")) == rc_auth_fail_s1);
    CHECK(unseal(t, k.handle, str("right")) == rc_lockout);
    advance_s(9);
    CHECK(unseal(t, k.handle, str("right")) == rc_lockout);
    advance_s(1);
    CHECK(property(t, pt::lockout_counter) == 1);
    CHECK(unseal(t, k.handle, str("right")) == 0);
    advance_s(10);
    CHECK(property(t, pt::lockout_counter) == 0);

    // recoveryTime 0: DA protection off, failures are BAD_AUTH and not counted.
    REQUIRE(run(t, da_parameters(2, 0, 20)).rc == 0);
    CHECK(unseal(t, k.handle, str("wrong")) == rc_bad_auth_s1);
    CHECK(property(t, pt::lockout_counter) == 0);
    // maxTries 0: always in lockout.
    REQUIRE(run(t, da_parameters(0, 10, 20)).rc == 0);
    CHECK(unseal(t, k.handle, str("right")) == rc_lockout);
    REQUIRE(run(t, da_parameters(3, 7200, 86400)).rc == 0);
    CHECK(unseal(t, k.handle, str("right")) == 0);
}

TEST_CASE("Dictionary attack: a lockoutAuth failure locks lockoutAuth for lockoutRecovery", "[hierarchy][da]") {
    auto t = started();
    REQUIRE(run(t, change_auth(rh::lockout, {}, str("L"))).rc == 0);
    REQUIRE(run(t, da_parameters(3, 7200, 60, str("L"))).rc == 0);
    CHECK(run(t, da_reset(str("bad"))).rc == rc_auth_fail_s1);
    CHECK(run(t, da_reset(str("L"))).rc == rc_lockout);
    advance_s(59);
    CHECK(run(t, da_reset(str("L"))).rc == rc_lockout);
    advance_s(1);
    CHECK(run(t, da_reset(str("L"))).rc == 0);
    // lockoutRecovery 0: only a reboot ends it.
    REQUIRE(run(t, da_parameters(3, 7200, 0, str("L"))).rc == 0);
    CHECK(run(t, da_reset(str("bad"))).rc == rc_auth_fail_s1);
    advance_s(100000);
    CHECK(run(t, da_reset(str("L"))).rc == rc_lockout);
    REQUIRE(run(t, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
    t.power_off();
    t.power_on();
    REQUIRE(run(t, testing::startup_command()).rc == 0);
    CHECK(run(t, da_reset(str("L"))).rc == 0);
}

TEST_CASE("Dictionary attack: state survives a power cycle; a non-orderly start counts one failure", "[hierarchy][da]") {
    auto t = started();
    auto k = create_sealed(t, rh::owner, str("right"));
    REQUIRE(k.rc == 0);
    CHECK(unseal(t, k.handle, str("wrong")) == rc_auth_fail_s1);
    // Saved and loaded state (what vtpm-server writes) keeps the counter and parameters.
    REQUIRE(run(t, da_parameters(5, 100, 200)).rc == 0);
    CHECK(unseal(t, k.handle, str("wrong")) == rc_auth_fail_s1);
    const auto st = t.save_state();
    tpm_t u{testing::seeded_crypto(2)};
    REQUIRE(!u.load_state(st));
    u.power_on();
    // The DA-protected authValue was in use and no orderly shutdown followed: one more failure.
    REQUIRE(run(u, testing::startup_command()).rc == 0);
    CHECK(property(u, pt::lockout_counter) == 3);
    CHECK(property(u, pt::max_auth_fail) == 5);
    CHECK(property(u, pt::lockout_interval) == 100);
    CHECK(property(u, pt::lockout_recovery) == 200);
    // After an orderly shutdown nothing is added.
    REQUIRE(run(u, command_builder(cc::shutdown).u16(su::clear).build()).rc == 0);
    u.power_off();
    u.power_on();
    REQUIRE(run(u, testing::startup_command()).rc == 0);
    CHECK(property(u, pt::lockout_counter) == 3);
    // Clear: failedTries 0, DA parameters back to their defaults.
    REQUIRE(run(u, command_builder(cc::clear).handle(rh::platform).password().build()).rc == 0);
    CHECK(property(u, pt::lockout_counter) == 0);
    CHECK(property(u, pt::max_auth_fail) == 3);
}
