// The policy commands of Part 3 §23 through the command pipeline, as raw bytes: PolicyOR,
// PolicyLocality, PolicyCpHash, PolicyNameHash, PolicySecret, PolicySigned, PolicyTicket,
// PolicyCounterTimer, PolicyPhysicalPresence, PolicyDuplicationSelect, PolicyAuthorize,
// PolicyNvWritten, PolicyTemplate, and the assertions a policy session checks when it
// authorizes a command (Part 3 §5.6 item 8).
//
// Every policy digest, Name, signature and ticket HMAC is computed at test time by
// /usr/bin/python3 (hashlib, hmac, python3-cryptography) from the spec's formulas, never with
// the library's code. Response codes are written out as the numbers Part 2 §6.6 gives.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <support/bytes.hpp>

#include "support/oracle.hpp"

using namespace vtpm;
using testing::command_builder;
using testing::run;

namespace {

using platform = testing::deterministic_platform<>;
using tpm_t = tpm<platform>;

const char* const prelude = R"PY(
import hashlib, hmac, struct
def X(s): return bytes.fromhex(s)
def h(*parts, alg='sha256'):
    d = hashlib.new(alg)
    for p in parts: d.update(p)
    return d.digest()
def cc(c): return struct.pack('>I', c)
def ext(old, *parts): return h(old, *parts)
def update(old, code, arg2, arg3): return h(h(old, cc(code), arg2), arg3)
Z = bytes(32)
)PY";

std::string X(byte_view b) { return "X('" + to_hex(b) + "')"; }
/// Evaluate a Python expression that yields bytes.
bytes py(const std::string& expr) { return from_hex(vtpm_test::python(std::string(prelude) + "print((" + expr + ").hex())")); }

using vtpm_test::cat;
using vtpm_test::be16;
using vtpm_test::be32;
using vtpm_test::be64;
using vtpm_test::str;
bytes sized(byte_view b) { return cat({be16(static_cast<std::uint16_t>(b.size())), b}); }

bytes next_nonce() {
    static std::uint8_t n = 0;
    bytes b(16);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(0x30 + i * 5 + n);
    ++n;
    return b;
}

tpm_t started() { return vtpm_test::started_tpm<tpm_t>(3); }

struct session {
    tpm_handle handle = 0;
    bytes nonce_tpm;
};
session start(tpm_t& t, std::uint8_t type) {
    command_builder b(cc::start_auth_session);
    b.handle(rh::null).handle(rh::null).b2b(next_nonce()).b2b({}).u8(type).u16(alg::null).u16(alg::sha256);
    auto r = run(t, b.build());
    REQUIRE(r.rc == 0);
    session s;
    s.handle = r.u32();
    s.nonce_tpm = r.b2b();
    REQUIRE(r.ok);
    return s;
}
bytes digest_of(tpm_t& t, const session& s) {
    auto r = run(t, command_builder(cc::policy_get_digest).handle(s.handle).build());
    REQUIRE(r.rc == 0);
    return r.b2b();
}
std::uint32_t pcmd(tpm_t& t, const session& s, std::uint32_t code, byte_view params = {}) {
    return run(t, command_builder(code).handle(s.handle).raw(params).build()).rc;
}

// PCR 20 is in the policy group of the PC Client profile and extendable from localities 2-4.
void set_pcr20_policy(tpm_t& t, byte_view policy) {
    auto cmd = command_builder(cc::pcr_set_auth_policy).handle(rh::platform).password().b2b(policy).u16(alg::sha256).u32(20).build();
    REQUIRE(run(t, cmd).rc == 0);
}
bytes extend_params(std::uint8_t fill = 0x20) { return cat({be32(1), be16(alg::sha256), bytes(32, fill)}); }
/// PCR_Extend(PCR 20) authorized by a policy session (unbound: empty HMAC).
std::uint32_t extend20(tpm_t& t, const session& s, std::uint8_t locality = 2, std::uint8_t fill = 0x20) {
    auto cmd = command_builder(cc::pcr_extend).handle(20).session(s.handle, next_nonce(), 0x01, {}).raw(extend_params(fill)).build();
    return run(t, cmd, locality).rc;
}
/// cpHash of PCR_Extend(PCR 20, extend_params(fill)) in Python: H(commandCode || Name || parameters).
bytes extend20_cp_hash(std::uint8_t fill = 0x20) {
    return py("h(cc(0x182), X('00000014'), " + X(extend_params(fill)) + ")");
}

/// An ECC P-256 signing key made by python3-cryptography; the TPM gets its public area
/// (LoadExternal, owner hierarchy). The private scalar stays in Python to sign with.
struct ext_key {
    bytes d, pub, name;
    tpm_handle handle = 0;
};
ext_key load_p256(tpm_t& t) {
    const auto out = vtpm_test::python(
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "k = ec.generate_private_key(ec.SECP256R1())\n"
        "n = k.public_key().public_numbers()\n"
        "print(''.join(format(v, '064x') for v in (k.private_numbers().private_value, n.x, n.y)))");
    const auto all = from_hex(out);
    REQUIRE(all.size() == 96);
    ext_key k;
    k.d.assign(all.begin(), all.begin() + 32);
    const bytes x(all.begin() + 32, all.begin() + 64), y(all.begin() + 64, all.end());
    // TPMT_PUBLIC: ECC, SHA-256, sign | userWithAuth, no policy, ECDSA-SHA256 on NIST P-256.
    k.pub = cat({be16(0x0023), be16(0x000B), be32(0x00040040), sized({}), be16(0x0010), be16(0x0018), be16(0x000B),
                 be16(0x0003), be16(0x0010), sized(x), sized(y)});
    k.name = py("X('000b') + h(" + X(k.pub) + ")");
    auto r = run(t, command_builder(cc::load_external).b2b({}).b2b(k.pub).u32(rh::owner).build());
    REQUIRE(r.rc == 0);
    k.handle = r.u32();
    CHECK(to_hex(r.b2b()) == to_hex(k.name));
    return k;
}
/// An ECDSA-SHA256 signature (TPMT_SIGNATURE) over `message` by the Python key.
bytes ecdsa_sign(const ext_key& k, byte_view message) {
    const auto rs = from_hex(vtpm_test::python(
        "from cryptography.hazmat.primitives.asymmetric import ec, utils\n"
        "from cryptography.hazmat.primitives import hashes\n"
        "k = ec.derive_private_key(int('" + to_hex(k.d) + "', 16), ec.SECP256R1())\n"
        "r, s = utils.decode_dss_signature(k.sign(bytes.fromhex('" + to_hex(message) + "'), ec.ECDSA(hashes.SHA256())))\n"
        "print(format(r, '064x') + format(s, '064x'))"));
    REQUIRE(rs.size() == 64);
    return cat({be16(0x0018), be16(0x000B), sized(byte_view{rs.data(), 32}), sized(byte_view{rs.data() + 32, 32})});
}

struct auth_out {
    std::uint32_t rc = 0;
    bytes timeout;
    std::uint16_t tag = 0;
    std::uint32_t hierarchy = 0;
    bytes digest;
};
auth_out read_auth(testing::response r, bool sessions) {
    auth_out o;
    o.rc = r.rc;
    if (r.rc != 0) return o;
    if (sessions) (void)r.u32();
    o.timeout = r.b2b();
    o.tag = r.u16();
    o.hierarchy = r.u32();
    o.digest = r.b2b();
    CHECK(r.ok);
    return o;
}
bytes signed_params(byte_view nonce, std::int32_t expiration, byte_view cp, byte_view ref, byte_view sig) {
    return cat({sized(nonce), sized(cp), sized(ref), be32(static_cast<std::uint32_t>(expiration)), sig});
}
auth_out policy_signed(tpm_t& t, const ext_key& k, const session& s, byte_view nonce, std::int32_t expiration, byte_view cp,
                       byte_view ref, byte_view sig) {
    return read_auth(run(t, command_builder(cc::policy_signed).handle(k.handle).handle(s.handle)
                                .raw(signed_params(nonce, expiration, cp, ref, sig)).build()), false);
}
/// toBeSigned of PolicySigned: nonceTPM || expiration || cpHashA || policyRef.
bytes to_be_signed(byte_view nonce, std::int32_t expiration, byte_view cp, byte_view ref) {
    return cat({nonce, be32(static_cast<std::uint32_t>(expiration)), cp, ref});
}
auth_out policy_secret(tpm_t& t, const session& s, tpm_handle entity, byte_view nonce, std::int32_t expiration,
                       byte_view cp = {}, byte_view ref = {}) {
    return read_auth(run(t, command_builder(cc::policy_secret).handle(entity).handle(s.handle).password()
                                .raw(cat({sized(nonce), sized(cp), sized(ref), be32(static_cast<std::uint32_t>(expiration))}))
                                .build()), true);
}
bytes ticket_params(byte_view timeout, byte_view cp, byte_view ref, byte_view name, std::uint16_t tag, std::uint32_t hierarchy,
                    byte_view digest) {
    return cat({sized(timeout), sized(cp), sized(ref), sized(name), be16(tag), be32(hierarchy), sized(digest)});
}
/// The TPMT_TK_AUTH HMAC in Python: HMAC-SHA256(proof, tag || cpHash || policyRef || authName
/// || timeout || timeEpoch), timeEpoch = resetCount || restartCount.
bytes py_auth_ticket(tpm_t& t, byte_view proof, std::uint16_t tag, byte_view cp, byte_view ref, byte_view name, byte_view timeout) {
    const auto& nv = t.internals().nv;
    return py("hmac.new(" + X(proof) + ", struct.pack('>H', " + std::to_string(tag) + ") + " + X(cp) + " + " + X(ref) + " + " +
              X(name) + " + " + X(timeout) + " + struct.pack('>II', " + std::to_string(nv.reset_count) + ", " +
              std::to_string(nv.restart_count) + "), hashlib.sha256).digest()");
}
void advance_ms(std::uint64_t ms) { testing::manual_clock() += ms; }

} // namespace

TEST_CASE("PolicyOR: digest of the list; a policy session must match one entry", "[policy]") {
    auto t = started();
    const bytes a = py("h(b'branch a')"), b = py("h(b'branch b')");
    const auto list = cat({be32(2), sized(a), sized(b)});
    const auto want = py("h(Z, cc(0x171), " + X(a) + ", " + X(b) + ")");

    auto trial = start(t, se::trial);
    REQUIRE(pcmd(t, trial, cc::policy_cp_hash, sized(py("h(b'anything')"))) == 0);
    REQUIRE(pcmd(t, trial, cc::policy_or, list) == 0);
    CHECK(to_hex(digest_of(t, trial)) == to_hex(want));

    auto s = start(t, se::policy);
    CHECK(pcmd(t, s, cc::policy_or, list) == 0x1C4); // TPM_RC_VALUE + P1: zero digest is not in the list
    CHECK(to_hex(digest_of(t, s)) == std::string(64, '0'));
    // A branch that holds: PolicyLocality(3), listed with two others.
    REQUIRE(pcmd(t, s, cc::policy_locality, bytes{0x08}) == 0);
    const auto branch = py("h(Z, cc(0x16F), bytes([8]))");
    REQUIRE(to_hex(digest_of(t, s)) == to_hex(branch));
    REQUIRE(pcmd(t, s, cc::policy_or, cat({be32(3), sized(a), sized(branch), sized(b)})) == 0);
    CHECK(to_hex(digest_of(t, s)) == to_hex(py("h(Z, cc(0x171), " + X(a) + ", " + X(branch) + ", " + X(b) + ")")));
    // One entry is not a list (TPM_RC_SIZE + P1); nine are too many (TPM_RC_SIZE + P1).
    CHECK(pcmd(t, s, cc::policy_or, cat({be32(1), sized(a)})) == 0x1D5);
    bytes nine = be32(9);
    for (int i = 0; i < 9; ++i) nine = cat({nine, sized(a)});
    CHECK(pcmd(t, s, cc::policy_or, nine) == 0x1D5);
}

TEST_CASE("PolicyLocality: digest, narrowing, TPM_RC_RANGE, TPM_RC_LOCALITY at authorization", "[policy]") {
    auto t = started();
    auto trial = start(t, se::trial);
    REQUIRE(pcmd(t, trial, cc::policy_locality, bytes{0x0C}) == 0);
    REQUIRE(pcmd(t, trial, cc::policy_locality, bytes{0x08}) == 0);
    const auto pol = py("h(h(Z, cc(0x16F), bytes([12])), cc(0x16F), bytes([8]))");
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    // Nothing left: TPM_RC_RANGE + P1; an extended locality after a mask: TPM_RC_RANGE + P1.
    CHECK(pcmd(t, trial, cc::policy_locality, bytes{0x01}) == 0x1CD);
    CHECK(pcmd(t, trial, cc::policy_locality, bytes{0x40}) == 0x1CD);
    auto ext = start(t, se::trial);
    REQUIRE(pcmd(t, ext, cc::policy_locality, bytes{0x40}) == 0);
    CHECK(pcmd(t, ext, cc::policy_locality, bytes{0x41}) == 0x1CD);
    CHECK(pcmd(t, ext, cc::policy_locality, bytes{0x04}) == 0x1CD);

    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_locality, bytes{0x0C}) == 0);
    REQUIRE(pcmd(t, s, cc::policy_locality, bytes{0x08}) == 0);
    CHECK(extend20(t, s, 2) == 0x907); // TPM_RC_LOCALITY
    CHECK(extend20(t, s, 3) == 0);
}

TEST_CASE("PolicyCpHash: the authorized command's cpHash; TPM_RC_CPHASH, TPM_RC_SIZE, TPM_RC_POLICY_FAIL", "[policy]") {
    auto t = started();
    const auto cp = extend20_cp_hash(0x20);
    const auto pol = py("h(Z, cc(0x16E), " + X(cp) + ")");
    auto trial = start(t, se::trial);
    REQUIRE(pcmd(t, trial, cc::policy_cp_hash, sized(cp)) == 0);
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    // The same value again is accepted; another one is TPM_RC_CPHASH; a wrong size TPM_RC_SIZE + P1.
    CHECK(pcmd(t, trial, cc::policy_cp_hash, sized(cp)) == 0);
    CHECK(pcmd(t, trial, cc::policy_cp_hash, sized(bytes(32, 1))) == 0x151);
    CHECK(pcmd(t, trial, cc::policy_name_hash, sized(bytes(32, 1))) == 0x151);
    auto t2 = start(t, se::trial);
    CHECK(pcmd(t, t2, cc::policy_cp_hash, sized(bytes(20, 1))) == 0x1D5);

    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_cp_hash, sized(cp)) == 0);
    CHECK(extend20(t, s, 2, 0x21) == 0x99D); // other parameters: TPM_RC_POLICY_FAIL + S1
    auto s2 = start(t, se::policy);
    REQUIRE(pcmd(t, s2, cc::policy_cp_hash, sized(cp)) == 0);
    CHECK(extend20(t, s2, 2, 0x20) == 0);
}

TEST_CASE("PolicyNameHash: the digest of the handles' Names", "[policy]") {
    auto t = started();
    const auto nh = py("h(X('00000014'))");
    const auto pol = py("h(Z, cc(0x170), " + X(nh) + ")");
    auto trial = start(t, se::trial);
    REQUIRE(pcmd(t, trial, cc::policy_name_hash, sized(nh)) == 0);
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    CHECK(pcmd(t, trial, cc::policy_name_hash, sized(nh)) == 0x151); // set once
    CHECK(pcmd(t, trial, cc::policy_cp_hash, sized(nh)) == 0x151);
    auto t2 = start(t, se::trial);
    CHECK(pcmd(t, t2, cc::policy_name_hash, sized(bytes(31, 0))) == 0x1D5);

    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_name_hash, sized(nh)) == 0);
    CHECK(extend20(t, s, 2, 0x33) == 0); // any parameters
    // Another PCR of the group (21) has the same policy but another Name.
    auto s2 = start(t, se::policy);
    REQUIRE(pcmd(t, s2, cc::policy_name_hash, sized(nh)) == 0);
    auto cmd = command_builder(cc::pcr_extend).handle(21).session(s2.handle, next_nonce(), 0x01, {}).raw(extend_params()).build();
    CHECK(run(t, cmd, 2).rc == 0x99D);
}

TEST_CASE("PolicySecret: digest, nonce and cpHash checks, tickets used by PolicyTicket", "[policy]") {
    auto t = started();
    const auto owner_name = be32(rh::owner);
    const auto ref = str("ref");

    auto trial = start(t, se::trial);
    auto o = policy_secret(t, trial, rh::owner, {}, 0, {}, ref);
    REQUIRE(o.rc == 0);
    CHECK(o.timeout.empty());
    CHECK(o.tag == 0x8023);
    CHECK(o.hierarchy == rh::null);
    CHECK(o.digest.empty());
    const auto pol = py("update(Z, 0x151, " + X(owner_name) + ", " + X(ref) + ")");
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    // The authorization is checked even for a trial session: a wrong owner password fails.
    auto bad = run(t, command_builder(cc::policy_secret).handle(rh::owner).handle(trial.handle).password(str("x"))
                          .raw(cat({sized({}), sized({}), sized({}), be32(0)})).build());
    CHECK(bad.rc == 0x9A2); // TPM_RC_BAD_AUTH + S1

    auto s = start(t, se::policy);
    CHECK(policy_secret(t, s, rh::owner, bytes(32, 9), 0).rc == 0x1C4);          // nonceTPM mismatch: VALUE + P1
    CHECK(policy_secret(t, s, rh::owner, {}, 0, bytes(20, 1)).rc == 0x2D5);      // cpHashA size: SIZE + P2
    CHECK(to_hex(digest_of(t, s)) == std::string(64, '0'));

    // A negative expiration gives a ticket (Part 3 §23.2.5) whose HMAC is over the owner proof.
    const auto cp = extend20_cp_hash();
    o = policy_secret(t, s, rh::owner, s.nonce_tpm, -100, cp, ref);
    REQUIRE(o.rc == 0);
    CHECK(to_hex(digest_of(t, s)) == to_hex(pol));
    CHECK(o.tag == 0x8023);
    CHECK(o.hierarchy == rh::owner);
    REQUIRE(o.timeout.size() == 8);
    CHECK(to_hex(o.digest) == to_hex(py_auth_ticket(t, t.internals().nv.sh_proof, 0x8023, cp, ref, owner_name, o.timeout)));

    // PolicyTicket reproduces the PolicySecret digest in another session.
    auto s2 = start(t, se::policy);
    const auto tp = [&](byte_view digest, byte_view timeout, byte_view c = {}) {
        return ticket_params(timeout, c.empty() ? byte_view{cp} : c, ref, owner_name, 0x8023, rh::owner, digest);
    };
    auto tampered = o.digest;
    tampered[3] ^= 1;
    CHECK(pcmd(t, s2, cc::policy_ticket, tp(tampered, o.timeout)) == 0x5E0); // TPM_RC_TICKET + P5
    CHECK(pcmd(t, s2, cc::policy_ticket, tp(o.digest, o.timeout, bytes(32, 7))) == 0x5E0);
    REQUIRE(pcmd(t, s2, cc::policy_ticket, tp(o.digest, o.timeout)) == 0);
    CHECK(to_hex(digest_of(t, s2)) == to_hex(pol));
    // The ticket carried cpHashA: the session only authorizes that command.
    set_pcr20_policy(t, pol);
    CHECK(extend20(t, s2, 2, 0x44) == 0x99D);
    auto s3 = start(t, se::policy);
    REQUIRE(pcmd(t, s3, cc::policy_ticket, tp(o.digest, o.timeout)) == 0);
    CHECK(extend20(t, s3, 2, 0x20) == 0);

    // After its timeout the ticket is TPM_RC_EXPIRED + P1.
    advance_ms(101000);
    auto s4 = start(t, se::policy);
    CHECK(pcmd(t, s4, cc::policy_ticket, tp(o.digest, o.timeout)) == 0x1E3);
}

TEST_CASE("PolicySecret: a policy session must carry the authValue (TPM_RC_MODE); expiration", "[policy]") {
    auto t = started();
    // PCR 20 as authEntity, with a policy of PolicyCommandCode(PolicySecret) only.
    const auto pol = py("h(Z, cc(0x16C), cc(0x151))");
    set_pcr20_policy(t, pol);
    auto inner = start(t, se::policy);
    REQUIRE(pcmd(t, inner, cc::policy_command_code, be32(cc::policy_secret)) == 0);
    auto s = start(t, se::policy);
    auto cmd = command_builder(cc::policy_secret).handle(20).handle(s.handle).session(inner.handle, next_nonce(), 0x01, {})
                   .raw(cat({sized({}), sized({}), sized({}), be32(0)})).build();
    CHECK(run(t, cmd).rc == 0x989); // TPM_RC_MODE + S1

    // expiration (seconds from nonceTPM): the session expires with it (TPM_RC_EXPIRED + S1).
    const auto pol2 = py("update(Z, 0x151, X('40000001'), b'')");
    set_pcr20_policy(t, pol2);
    auto a = start(t, se::policy);
    REQUIRE(policy_secret(t, a, rh::owner, a.nonce_tpm, 2).rc == 0);
    advance_ms(3000);
    CHECK(extend20(t, a) == 0x9A3);
    auto b = start(t, se::policy);
    REQUIRE(policy_secret(t, b, rh::owner, b.nonce_tpm, 2).rc == 0);
    advance_ms(1000);
    CHECK(extend20(t, b) == 0);
    // An expiration already past (no nonce: counted from Time 0): TPM_RC_EXPIRED + P4.
    auto c = start(t, se::policy);
    CHECK(policy_secret(t, c, rh::owner, {}, 1).rc == 0x4E3);
}

TEST_CASE("PolicySigned: ECDSA authorization from python3-cryptography, tickets", "[policy]") {
    auto t = started();
    const auto k = load_p256(t);
    const auto ref = str("signed-ref");
    const auto pol = py("update(Z, 0x160, " + X(k.name) + ", " + X(ref) + ")");

    // A trial session does not check the signature.
    auto trial = start(t, se::trial);
    auto o = policy_signed(t, k, trial, {}, 0, {}, ref, ecdsa_sign(k, str("whatever")));
    REQUIRE(o.rc == 0);
    CHECK(o.tag == 0x8025);
    CHECK(o.digest.empty());
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));

    auto s = start(t, se::policy);
    const auto sig = ecdsa_sign(k, to_be_signed(s.nonce_tpm, 0, {}, ref));
    // A signature over other fields: TPM_RC_POLICY_FAIL + P5, nothing changed.
    CHECK(policy_signed(t, k, s, s.nonce_tpm, 0, {}, str("other"), sig).rc == 0x5DD);
    CHECK(policy_signed(t, k, s, bytes(32, 1), 0, {}, ref, sig).rc == 0x1C4);
    CHECK(to_hex(digest_of(t, s)) == std::string(64, '0'));
    o = policy_signed(t, k, s, s.nonce_tpm, 0, {}, ref, sig);
    REQUIRE(o.rc == 0);
    CHECK(o.hierarchy == rh::null); // expiration >= 0: the NULL Ticket
    CHECK(o.timeout.empty());
    CHECK(to_hex(digest_of(t, s)) == to_hex(pol));
    set_pcr20_policy(t, pol);
    CHECK(extend20(t, s) == 0);

    // No nonce, a negative expiration: a ticket for TPM2_PolicyTicket.
    auto s2 = start(t, se::policy);
    const auto cp = extend20_cp_hash(0x55);
    o = policy_signed(t, k, s2, {}, -3600, cp, ref, ecdsa_sign(k, to_be_signed({}, -3600, cp, ref)));
    REQUIRE(o.rc == 0);
    CHECK(o.tag == 0x8025);
    CHECK(o.hierarchy == rh::owner);
    CHECK(to_hex(o.timeout) == to_hex(be64(3600u * 1000u)));
    CHECK(to_hex(o.digest) == to_hex(py_auth_ticket(t, t.internals().nv.sh_proof, 0x8025, cp, ref, k.name, o.timeout)));
    CHECK(extend20(t, s2, 2, 0x54) == 0x99D); // cpHashA binds the command
    auto s3 = start(t, se::policy);
    REQUIRE(pcmd(t, s3, cc::policy_ticket, ticket_params(o.timeout, cp, ref, k.name, 0x8025, rh::owner, o.digest)) == 0);
    CHECK(to_hex(digest_of(t, s3)) == to_hex(pol));
    CHECK(extend20(t, s3, 2, 0x55) == 0);
    // A PolicySigned ticket presented as a PolicySecret one fails.
    auto s4 = start(t, se::policy);
    CHECK(pcmd(t, s4, cc::policy_ticket, ticket_params(o.timeout, cp, ref, k.name, 0x8023, rh::owner, o.digest)) == 0x5E0);
    CHECK(pcmd(t, s4, cc::policy_ticket, ticket_params(o.timeout, cp, ref, k.name, 0x8022, rh::owner, o.digest)) == 0x5D7);
}

TEST_CASE("PolicyAuthorize: a policy approved by a key, shown by a VerifySignature ticket", "[policy]") {
    auto t = started();
    const auto k = load_p256(t);
    const auto ref = str("auth-ref");
    // The approved policy: PolicyLocality(2).
    const auto approved = py("h(Z, cc(0x16F), bytes([4]))");
    const auto pol = py("update(Z, 0x16A, " + X(k.name) + ", " + X(ref) + ")");
    const auto a_hash = py("h(" + X(approved) + ", " + X(ref) + ")");
    auto vr = run(t, command_builder(cc::verify_signature).handle(k.handle).b2b(a_hash).raw(ecdsa_sign(k, cat({approved, ref}))).build());
    REQUIRE(vr.rc == 0);
    const auto tk_tag = vr.u16();
    const auto tk_h = vr.u32();
    const auto tk = vr.b2b();
    REQUIRE(tk_tag == 0x8022);
    REQUIRE(tk_h == rh::owner);
    const auto params = [&](byte_view ap, byte_view digest) {
        return cat({sized(ap), sized(ref), sized(k.name), be16(0x8022), be32(rh::owner), sized(digest)});
    };

    auto trial = start(t, se::trial);
    REQUIRE(pcmd(t, trial, cc::policy_authorize, cat({sized(approved), sized(ref), sized(k.name), be16(0x8022), be32(rh::null), sized({})})) == 0);
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    set_pcr20_policy(t, pol);

    auto s = start(t, se::policy);
    CHECK(pcmd(t, s, cc::policy_authorize, params(approved, tk)) == 0x1C4); // policyDigest is not approvedPolicy
    REQUIRE(pcmd(t, s, cc::policy_locality, bytes{0x04}) == 0);
    auto bad = tk;
    bad[0] ^= 0x80;
    CHECK(pcmd(t, s, cc::policy_authorize, params(approved, bad)) == 0x126); // TPM_RC_POLICY
    CHECK(pcmd(t, s, cc::policy_authorize, cat({sized(approved), sized(ref), sized(k.name), be16(0x8022), be32(rh::null), sized({})})) == 0x126);
    // keySign checks: an unknown hash (TPM_RC_HASH + P3), a wrong size (TPM_RC_SIZE + P3).
    auto name_bad = k.name;
    name_bad[1] = 0x77;
    CHECK(pcmd(t, s, cc::policy_authorize, cat({sized(approved), sized(ref), sized(name_bad), be16(0x8022), be32(rh::owner), sized(tk)})) == 0x3C3);
    CHECK(pcmd(t, s, cc::policy_authorize, cat({sized(approved), sized(ref), sized(byte_view{k.name.data(), 20}), be16(0x8022), be32(rh::owner), sized(tk)})) == 0x3D5);
    REQUIRE(pcmd(t, s, cc::policy_authorize, params(approved, tk)) == 0);
    CHECK(to_hex(digest_of(t, s)) == to_hex(pol));
    // The approved branch still asserts its locality.
    CHECK(extend20(t, s, 3) == 0x907);
    auto s2 = start(t, se::policy);
    REQUIRE(pcmd(t, s2, cc::policy_locality, bytes{0x04}) == 0);
    REQUIRE(pcmd(t, s2, cc::policy_authorize, params(approved, tk)) == 0);
    CHECK(extend20(t, s2, 2) == 0);
}

TEST_CASE("PolicyCounterTimer: digest, comparisons on TPMS_TIME_INFO, expiration", "[policy]") {
    auto t = started();
    auto trial = start(t, se::trial);
    const auto op = be64(5);
    REQUIRE(pcmd(t, trial, cc::policy_counter_timer, cat({sized(op), be16(0), be16(0x0005)})) == 0);
    const auto pol = py("h(Z, cc(0x16D), h(" + X(op) + ", struct.pack('>HH', 0, 5)))");
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    CHECK(pcmd(t, trial, cc::policy_counter_timer, cat({sized(op), be16(0), be16(12)})) == 0x3C4); // TPM_EO: VALUE + P3

    auto s = start(t, se::policy);
    const auto& nv = t.internals().nv;
    // resetCount (offset 16) equal; not equal: TPM_RC_POLICY.
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(be32(nv.reset_count)), be16(16), be16(0)})) == 0);
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(be32(nv.reset_count + 1)), be16(16), be16(0)})) == 0x126);
    // safe (offset 24) BITCLEAR 0xFE; clock (offset 8) UNSIGNED_GE 0.
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(bytes{0xFE}), be16(24), be16(0x000B)})) == 0);
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(be64(0)), be16(8), be16(0x0007)})) == 0);
    // Signed comparison: 0x80.. is negative.
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(bytes{0x80, 0, 0, 0}), be16(16), be16(0x0002)})) == 0);
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(bytes{0x80, 0, 0, 0}), be16(16), be16(0x0003)})) == 0x126);
    // Offsets: beyond the structure VALUE + P2; overflowing it RANGE + P2.
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(bytes{0}), be16(26), be16(0)})) == 0x2C4);
    CHECK(pcmd(t, s, cc::policy_counter_timer, cat({sized(be64(0)), be16(20), be16(0)})) == 0x2CD);

    // UNSIGNED_LT on Time: operandB seconds from the session's start.
    set_pcr20_policy(t, pol);
    auto a = start(t, se::policy);
    REQUIRE(pcmd(t, a, cc::policy_counter_timer, cat({sized(op), be16(0), be16(0x0005)})) == 0);
    advance_ms(6000);
    CHECK(extend20(t, a) == 0x9A3);
    CHECK(pcmd(t, a, cc::policy_counter_timer, cat({sized(op), be16(0), be16(0x0005)})) == 0x0A3);
    auto b = start(t, se::policy);
    REQUIRE(pcmd(t, b, cc::policy_counter_timer, cat({sized(op), be16(0), be16(0x0005)})) == 0);
    advance_ms(4000);
    CHECK(extend20(t, b) == 0);
}

TEST_CASE("PolicyPhysicalPresence: TPM_RC_PP without physical presence", "[policy]") {
    auto t = started();
    const auto pol = py("h(Z, cc(0x187))");
    auto trial = start(t, se::trial);
    REQUIRE(pcmd(t, trial, cc::policy_physical_presence) == 0);
    CHECK(to_hex(digest_of(t, trial)) == to_hex(pol));
    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_physical_presence) == 0);
    CHECK(extend20(t, s) == 0x990);
    t.internals().physical_presence = true;
    auto s2 = start(t, se::policy);
    REQUIRE(pcmd(t, s2, cc::policy_physical_presence) == 0);
    CHECK(extend20(t, s2) == 0);
}

TEST_CASE("PolicyDuplicationSelect: digests with and without the object, commandCode Duplicate", "[policy]") {
    auto t = started();
    const auto obj = py("X('000b') + h(b'object')"), parent = py("X('000b') + h(b'parent')");
    const auto params = [&](std::uint8_t inc) { return cat({sized(obj), sized(parent), bytes{inc}}); };
    auto a = start(t, se::trial);
    REQUIRE(pcmd(t, a, cc::policy_duplication_select, params(1)) == 0);
    CHECK(to_hex(digest_of(t, a)) == to_hex(py("h(Z, cc(0x188), " + X(obj) + ", " + X(parent) + ", bytes([1]))")));
    auto b = start(t, se::trial);
    REQUIRE(pcmd(t, b, cc::policy_duplication_select, params(0)) == 0);
    CHECK(to_hex(digest_of(t, b)) == to_hex(py("h(Z, cc(0x188), " + X(parent) + ", bytes([0]))")));
    CHECK(pcmd(t, b, cc::policy_duplication_select, params(0)) == 0x151); // nameHash already set
    CHECK(pcmd(t, b, cc::policy_command_code, be32(cc::pcr_extend)) == 0x1C4);
    auto c = start(t, se::trial);
    CHECK(pcmd(t, c, cc::policy_duplication_select, params(2)) == 0x3C4); // TPMI_YES_NO: VALUE + P3

    // Used for another command than Duplicate: the nameHash check (Part 3 §5.6 8.b) fails before
    // the commandCode check (8.c): TPM_RC_POLICY_FAIL + S1.
    const auto pol = py("h(Z, cc(0x188), " + X(parent) + ", bytes([0]))");
    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_duplication_select, params(0)) == 0);
    CHECK(extend20(t, s) == 0x99D);
}

TEST_CASE("PolicyNvWritten: digest; consistency; only NV Indexes can satisfy it", "[policy]") {
    auto t = started();
    auto a = start(t, se::trial);
    REQUIRE(pcmd(t, a, cc::policy_nv_written, bytes{1}) == 0);
    CHECK(to_hex(digest_of(t, a)) == to_hex(py("h(Z, cc(0x18F), bytes([1]))")));
    CHECK(pcmd(t, a, cc::policy_nv_written, bytes{0}) == 0x1C4);
    CHECK(pcmd(t, a, cc::policy_nv_written, bytes{1}) == 0);
    CHECK(to_hex(digest_of(t, a)) == to_hex(py("h(h(Z, cc(0x18F), bytes([1])), cc(0x18F), bytes([1]))")));

    const auto pol = py("h(Z, cc(0x18F), bytes([0]))");
    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_nv_written, bytes{0}) == 0);
    CHECK(extend20(t, s) == 0x99D); // PCR 20 is not an NV Index
}

TEST_CASE("PolicyTemplate: digest; exclusive with cpHash; only object creation can use it", "[policy]") {
    auto t = started();
    const auto th = py("h(b'template')");
    const auto pol = py("h(Z, cc(0x190), " + X(th) + ")");
    auto a = start(t, se::trial);
    REQUIRE(pcmd(t, a, cc::policy_template, sized(th)) == 0);
    CHECK(to_hex(digest_of(t, a)) == to_hex(pol));
    CHECK(pcmd(t, a, cc::policy_template, sized(th)) == 0);
    CHECK(pcmd(t, a, cc::policy_template, sized(bytes(32, 3))) == 0x1C4);
    CHECK(pcmd(t, a, cc::policy_cp_hash, sized(th)) == 0x151);
    auto b = start(t, se::trial);
    REQUIRE(pcmd(t, b, cc::policy_cp_hash, sized(th)) == 0);
    CHECK(pcmd(t, b, cc::policy_template, sized(th)) == 0x151);
    auto c = start(t, se::trial);
    CHECK(pcmd(t, c, cc::policy_template, sized(bytes(48, 3))) == 0x1D5);

    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_template, sized(th)) == 0);
    CHECK(extend20(t, s) == 0x99D);
}

TEST_CASE("PolicyRestart clears the deferred assertions", "[policy]") {
    auto t = started();
    set_pcr20_policy(t, py("h(Z, cc(0x16F), bytes([4]))"));
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_physical_presence) == 0);
    REQUIRE(pcmd(t, s, cc::policy_cp_hash, sized(bytes(32, 1))) == 0);
    REQUIRE(pcmd(t, s, cc::policy_locality, bytes{0x08}) == 0);
    REQUIRE(pcmd(t, s, cc::policy_restart) == 0);
    REQUIRE(pcmd(t, s, cc::policy_locality, bytes{0x04}) == 0);
    CHECK(extend20(t, s, 2) == 0);
}

TEST_CASE("PolicyParameters: H(commandCode || parameters) of the authorized command, any handles", "[policy]") {
    auto t = started();
    const auto ph = py("h(cc(0x182), " + X(extend_params(0x20)) + ")");
    const auto pol = py("h(Z, cc(0x19C), " + X(ph) + ")");
    auto a = start(t, se::trial);
    REQUIRE(pcmd(t, a, cc::policy_parameters, sized(ph)) == 0);
    CHECK(to_hex(digest_of(t, a)) == to_hex(pol));
    CHECK(pcmd(t, a, cc::policy_parameters, sized(ph)) == 0x151);
    CHECK(pcmd(t, a, cc::policy_cp_hash, sized(ph)) == 0x151);
    CHECK(pcmd(t, a, cc::policy_template, sized(ph)) == 0x151);
    auto b = start(t, se::trial);
    CHECK(pcmd(t, b, cc::policy_parameters, sized(bytes(33, 0))) == 0x1D5);

    set_pcr20_policy(t, pol);
    for (tpm_handle pcr : {20u, 21u}) {
        auto s = start(t, se::policy);
        REQUIRE(pcmd(t, s, cc::policy_parameters, sized(ph)) == 0);
        auto cmd = command_builder(cc::pcr_extend).handle(pcr).session(s.handle, next_nonce(), 0x01, {}).raw(extend_params(0x20)).build();
        CHECK(run(t, cmd, 2).rc == 0);
    }
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_parameters, sized(ph)) == 0);
    CHECK(extend20(t, s, 2, 0x21) == 0x99D);
}

TEST_CASE("PolicyCapability: comparisons against GetCapability entries", "[policy]") {
    auto t = started();
    const auto params = [](byte_view op, std::uint16_t offset, std::uint16_t operation, std::uint32_t capability,
                           std::uint32_t property) {
        return cat({sized(op), be16(offset), be16(operation), be32(capability), be32(property)});
    };
    // TPM_PT_FAMILY_INDICATOR (0x100) of TPM_CAP_TPM_PROPERTIES: TPMS_TAGGED_PROPERTY, value "2.0\0" at offset 4.
    const auto fam = str(std::string_view{"2.0\0", 4});
    auto a = start(t, se::trial);
    REQUIRE(pcmd(t, a, cc::policy_capability, params(fam, 4, 0, 6, 0x100)) == 0);
    CHECK(to_hex(digest_of(t, a)) ==
          to_hex(py("h(Z, cc(0x19B), h(" + X(fam) + ", struct.pack('>HHII', 4, 0, 6, 0x100)))")));
    CHECK(pcmd(t, a, cc::policy_capability, params(fam, 4, 0, 5, 0)) == 0x4C4);  // TPM_CAP_PCRS: VALUE + P4
    CHECK(pcmd(t, a, cc::policy_capability, params(fam, 4, 13, 6, 0x100)) == 0x3C4); // TPM_EO: VALUE + P3

    auto s = start(t, se::policy);
    CHECK(pcmd(t, s, cc::policy_capability, params(fam, 4, 0, 6, 0x100)) == 0);
    CHECK(pcmd(t, s, cc::policy_capability, params(str("1.2"), 4, 0, 6, 0x100)) == 0x126);   // TPM_RC_POLICY
    CHECK(pcmd(t, s, cc::policy_capability, params(fam, 6, 0, 6, 0x100)) == 0x2CD);          // past the entry: RANGE + P2
    // A property the TPM does not have: only TPM_EO_NEQ holds.
    CHECK(pcmd(t, s, cc::policy_capability, params(fam, 4, 0, 6, 0x1FF)) == 0x126);
    CHECK(pcmd(t, s, cc::policy_capability, params(fam, 4, 1, 6, 0x1FF)) == 0);
    // TPM_CAP_ALGS: TPMS_ALG_PROPERTY of SHA-256 (alg || TPMA_ALGORITHM hash = bit 2).
    CHECK(pcmd(t, s, cc::policy_capability, params(be16(0x000B), 0, 0, 0, 0x000B)) == 0);
    CHECK(pcmd(t, s, cc::policy_capability, params(be32(4), 2, 10, 0, 0x000B)) == 0);           // BITSET
    CHECK(pcmd(t, s, cc::policy_capability, params(be32(4), 2, 0, 0, 0x0001)) == 0x126);        // RSA is no hash
    // TPM_CAP_COMMANDS: TPMA_CC of PCR_Extend has nv (bit 22) and one handle.
    CHECK(pcmd(t, s, cc::policy_capability, params(be32(0x02400000), 0, 10, 2, cc::pcr_extend)) == 0);
    CHECK(pcmd(t, s, cc::policy_capability, params(be32(0x10000000), 0, 10, 2, cc::pcr_extend)) == 0x126);
}

TEST_CASE("startTime follows nonceTPM: an expiration counts from the session's latest nonce", "[policy]") {
    auto t = started();
    const auto pol = py("update(Z, 0x151, X('40000001'), b'')");
    set_pcr20_policy(t, pol);
    auto s = start(t, se::policy);
    REQUIRE(policy_secret(t, s, rh::owner, s.nonce_tpm, 0).rc == 0);
    advance_ms(10000);
    // The session authorizes a command: its nonceTPM rolls (the response carries the new one).
    auto cmd = command_builder(cc::pcr_extend).handle(20).session(s.handle, next_nonce(), 0x01, {}).raw(extend_params()).build();
    auto r = run(t, cmd, 2);
    REQUIRE(r.rc == 0);
    (void)r.take(r.u32()); // parameters
    s.nonce_tpm = r.b2b();
    REQUIRE(s.nonce_tpm.size() == 32);
    advance_ms(1000);
    // 2 s from the new nonce: still valid, although 11 s have passed since StartAuthSession.
    REQUIRE(policy_secret(t, s, rh::owner, s.nonce_tpm, 2).rc == 0);
    CHECK(extend20(t, s) == 0);
    // 2 s from a nonce that is 3 s old: TPM_RC_EXPIRED + P4.
    auto s2 = start(t, se::policy);
    advance_ms(3000);
    CHECK(policy_secret(t, s2, rh::owner, s2.nonce_tpm, 2).rc == 0x4E3);
}

namespace {
/// CreatePrimary of sealed data (KEYEDHASH, no scheme) in the owner hierarchy with the given
/// attributes, authValue and authPolicy; returns its handle.
tpm_handle sealed_primary(tpm_t& t, std::uint32_t attrs, byte_view auth, byte_view policy, byte_view data) {
    const auto pub = cat({be16(0x0008), be16(0x000B), be32(attrs), sized(policy), be16(0x0010), sized({})});
    const auto sens = sized(cat({sized(auth), sized(data)}));
    auto r = run(t, command_builder(cc::create_primary).handle(rh::owner).password().raw(cat({sens, sized(pub), sized({}), be32(0)})).build());
    REQUIRE(r.rc == 0);
    return r.u32();
}
bytes unseal_with(tpm_t& t, tpm_handle h, std::uint32_t& rc, const session* s, byte_view password = {}) {
    command_builder b(cc::unseal);
    b.handle(h);
    if (s) b.session(s->handle, next_nonce(), 0x01, {});
    else b.password(password);
    auto r = run(t, b.build());
    rc = r.rc;
    if (r.rc != 0) return {};
    (void)r.u32();
    return r.b2b();
}
} // namespace

TEST_CASE("userWithAuth CLEAR: only a policy authorizes the USER role; adminWithPolicy for ADMIN", "[policy]") {
    auto t = started();
    const auto pol = py("h(Z, cc(0x16C), cc(0x15E))"); // PolicyCommandCode(Unseal)
    constexpr std::uint32_t fixed = 0x00000012;        // fixedTPM | fixedParent
    const auto h = sealed_primary(t, fixed, str("pw"), pol, str("sealed data"));
    std::uint32_t rc = 0;
    CHECK(unseal_with(t, h, rc, nullptr, str("pw")).empty());
    CHECK(rc == 0x99D); // Part 3 §5.6 item 7: TPM_RC_POLICY_FAIL + S1
    auto s = start(t, se::policy);
    REQUIRE(pcmd(t, s, cc::policy_command_code, be32(cc::unseal)) == 0);
    CHECK(to_hex(unseal_with(t, h, rc, &s)) == to_hex(str("sealed data")));
    CHECK(rc == 0);
    // userWithAuth SET: the password works.
    const auto h2 = sealed_primary(t, fixed | 0x40, str("pw"), pol, str("other"));
    CHECK(to_hex(unseal_with(t, h2, rc, nullptr, str("pw"))) == to_hex(str("other")));

    // ObjectChangeAuth (ADMIN role) with adminWithPolicy SET: a password is TPM_RC_AUTH_TYPE;
    // a policy without PolicyCommandCode is TPM_RC_POLICY_FAIL + S1 (item 6).
    const auto h3 = sealed_primary(t, fixed | 0x40 | 0x80, str("pw"), py("h(Z, cc(0x16B))"), str("x"));
    const auto change = [&](command_builder& b) { return run(t, b.raw(sized(str("new"))).build()).rc; };
    {
        command_builder b(cc::object_change_auth);
        b.handle(h3).handle(h2).password(str("pw"));
        CHECK(change(b) == 0x124); // TPM_RC_AUTH_TYPE (format 0: no session number)
    }
    {
        auto p = start(t, se::policy);
        REQUIRE(pcmd(t, p, cc::policy_auth_value) == 0);
        command_builder b(cc::object_change_auth);
        b.handle(h3).handle(h2).session(p.handle, next_nonce(), 0x01, {});
        CHECK(change(b) == 0x99D);
    }
}
