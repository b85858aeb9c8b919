// TPM2_Duplicate, TPM2_Import and TPM2_Rewrap (Part 3 §13, Part 1 §20.3 with the Labeled
// KEMs of §43.10 and §44.7). Objects go between two TPMs with different seeds; duplication
// blobs made by the TPM are opened by Python, and blobs built by Python are imported, with
// python3-cryptography (OAEP, ECDH, ECDSA, AES-CFB) and hashlib/hmac, never the library.
#include "support/dup_fixture.hpp"

using namespace dup_test;

namespace {

constexpr std::uint32_t movable = user_with_auth | no_da; // fixedTPM, fixedParent CLEAR

/// TPMT_SYM_DEF_OBJECT of the inner wrapper.
bytes aes128() { return sym_def(alg::aes, 128, alg::cfb); }
bytes no_inner() { return sym_def(alg::null); }

/// A sealed data object that may be duplicated (policy: PolicyCommandCode(Duplicate)).
bytes movable_sealed(std::uint32_t extra = 0) { return sealed(movable | extra, duplicate_policy()); }
/// An ECDSA P-256 signing key that may be duplicated.
bytes movable_signer() {
    return ecc_key(movable | sdo | sign, sym_def(alg::null), scheme(alg::ecdsa), duplicate_policy());
}

/// TPM2_Sign with an ECDSA key over a SHA-256 digest; the signature's r || s.
std::pair<std::uint32_t, bytes> ecdsa_sign(fixture& f, std::uint32_t key, byte_view digest, byte_view auth = {}) {
    auto r = run(f.t, command_builder(cc::sign).handle(key).password(auth).b2b(digest).u16(alg::ecdsa).u16(alg::sha256)
                          .u16(st::hashcheck).u32(rh::null).b2b({}).build());
    if (r.rc != 0) return {r.rc, {}};
    r.parameter_size();
    REQUIRE(r.u16() == alg::ecdsa);
    REQUIRE(r.u16() == alg::sha256);
    auto rr = r.b2b();
    auto ss = r.b2b();
    REQUIRE(r.ok);
    return {0, cat({rr, ss})};
}

/// Python: does (r || s) verify for SHA-256(msg) under the P-256 point (x, y)?
std::string py_ecdsa_verify(byte_view x, byte_view y, byte_view msg, byte_view rs) {
    return python(py_wrap + R"(
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.exceptions import InvalidSignature
pub = ec.EllipticCurvePublicNumbers(int.from_bytes()" + hx(x) + ", 'big'), int.from_bytes(" + hx(y) +
                  R"(, 'big'), ec.SECP256R1()).public_key()
rs = )" + hx(rs) + R"(
h = len(rs) // 2
try:
    pub.verify(encode_dss_signature(int.from_bytes(rs[:h], 'big'), int.from_bytes(rs[h:], 'big')), )" +
                  hx(msg) + R"(, ec.ECDSA(hashes.SHA256()))
    print('ok')
except InvalidSignature:
    print('bad')
)");
}

struct two_tpms {
    fixture a{11}, b{12};
    fixture::object srk_a, np_b;
    std::uint32_t np_on_a = 0;
    explicit two_tpms(bool ecc_parent) {
        srk_a = a.create_primary(rsa_storage());
        np_b = b.create_primary(ecc_parent ? ecc_storage() : rsa_storage());
        REQUIRE(srk_a.rc == 0);
        REQUIRE(np_b.rc == 0);
        auto [rc, h] = a.load_public(np_b.pub);
        REQUIRE(rc == 0);
        np_on_a = h;
    }
    /// A movable child of srk_a, loaded.
    fixture::object child(byte_view tpl, byte_view sens) {
        auto o = a.create(srk_a.handle, tpl, sens);
        REQUIRE(o.rc == 0);
        REQUIRE(a.load(srk_a.handle, o) == 0);
        return o;
    }
};

} // namespace

TEST_CASE("Duplicate a sealed object to another TPM and Import it there", "[duplication]") {
    const bool ecc_parent = GENERATE(false, true);
    const int inner = GENERATE(0, 1, 2); // none, TPM-generated key, caller's key
    INFO("ECC new parent: " << ecc_parent << ", inner wrapper: " << inner);
    two_tpms w(ecc_parent);
    auto obj = w.child(movable_sealed(), sensitive_create(str("pw"), str("the sealed secret")));
    const bytes caller_key = from_hex("000102030405060708090a0b0c0d0e0f");
    const bytes sym = inner ? aes128() : no_inner();
    auto d = w.a.duplicate(obj.handle, w.np_on_a, inner == 2 ? caller_key : bytes{}, sym);
    REQUIRE(d.rc == 0);
    CHECK(d.key_out.size() == (inner == 1 ? 16u : 0u));
    CHECK(d.seed.size() == (ecc_parent ? 68u : 256u));
    const bytes key = inner == 1 ? d.key_out : inner == 2 ? caller_key : bytes{};

    auto [irc, priv] = w.b.import(w.np_b.handle, key, obj.pub, d.dup, d.seed, sym);
    REQUIRE(irc == 0);
    fixture::object imported{0, 0, obj.pub, priv, {}};
    REQUIRE(w.b.load(w.np_b.handle, imported) == 0);
    CHECK(imported.name == obj.name);
    auto [urc, data] = w.b.unseal(imported.handle, str("pw"));
    REQUIRE(urc == 0);
    CHECK(data == str("the sealed secret"));

    SECTION("Import checks the blob") {
        auto bad = d.dup;
        bad[bad.size() / 2] ^= 0x40;
        CHECK(w.b.import(w.np_b.handle, key, obj.pub, bad, d.seed, sym).first == P(RC_INTEGRITY, 3));
        // Another public area: another Name in the HMAC.
        auto other = movable_sealed(1u << 2 /* stClear */);
        CHECK(w.b.import(w.np_b.handle, key, other, d.dup, d.seed, sym).first == P(RC_INTEGRITY, 3));
        // The blob is for np_b: another storage key of b cannot import it.
        auto np2 = w.b.create_primary(ecc_parent ? rsa_storage() : ecc_storage());
        REQUIRE(np2.rc == 0);
        const auto r = w.b.import(np2.handle, key, obj.pub, d.dup, d.seed, sym).first;
        CHECK((r == P(RC_INTEGRITY, 3) || r == P(RC_VALUE, 4) || r == P(RC_SIZE, 4) || r == P(RC_ECC_POINT, 4)));
        if (inner) {
            auto wrong = key;
            wrong[0] ^= 1;
            CHECK(w.b.import(w.np_b.handle, wrong, obj.pub, d.dup, d.seed, sym).first == P(RC_INTEGRITY, 3));
        }
    }
}

TEST_CASE("A duplicated signing key signs on the other TPM (verified in Python)", "[duplication]") {
    two_tpms w(false);
    auto obj = w.child(movable_signer(), sensitive_create(str("key auth")));
    auto d = w.a.duplicate(obj.handle, w.np_on_a, {}, aes128());
    REQUIRE(d.rc == 0);
    auto [irc, priv] = w.b.import(w.np_b.handle, d.key_out, obj.pub, d.dup, d.seed, aes128());
    REQUIRE(irc == 0);
    fixture::object imported{0, 0, obj.pub, priv, {}};
    REQUIRE(w.b.load(w.np_b.handle, imported) == 0);
    const bytes msg = str("signed after duplication");
    const bytes digest = from_hex(python("import hashlib\nprint(hashlib.sha256(" + hx(msg) + ").hexdigest())"));
    auto [src, sig] = ecdsa_sign(w.b, imported.handle, digest, str("key auth"));
    REQUIRE(src == 0);
    auto [x, y] = ecc_point(obj.pub);
    CHECK(py_ecdsa_verify(x, y, msg, sig) == "ok");
    CHECK(py_ecdsa_verify(x, y, str("another message"), sig) == "bad");
}

TEST_CASE("Duplicate to TPM_RH_NULL gives the sensitive area without outer wrapper", "[duplication]") {
    fixture a(13), b(14);
    auto srk = a.create_primary(rsa_storage());
    auto obj = a.create(srk.handle, movable_sealed(), sensitive_create(str("pw"), str("plain data")));
    REQUIRE(a.load(srk.handle, obj) == 0);
    const bool inner = GENERATE(false, true);
    auto d = a.duplicate(obj.handle, rh::null, {}, inner ? aes128() : no_inner());
    REQUIRE(d.rc == 0);
    CHECK(d.seed.empty());
    // The TPM2B_SENSITIVE (Part 2 §12.3.3) parsed and checked against the public area in Python:
    // KEYEDHASH, authValue, seedValue, data, and unique = SHA-256(seedValue || data).
    const std::string open = inner ? "s = inner_unwrap(" + hx(d.key_out) + ", " + hx(obj.name) + ", " + hx(d.dup) + ")\n"
                                   : "s = " + hx(d.dup) + "\n";
    const auto out = python(py_wrap + open + R"(
assert int.from_bytes(s[:2], 'big') == len(s) - 2
r = rd(s[2:])
assert r.u16() == 0x0008
auth, seed, data = r.b2b(), r.b2b(), r.b2b()
assert r.p == len(s) - 2
pub = )" + hx(obj.pub) + R"(
assert pub.endswith(tpm2b(hashlib.sha256(seed + data).digest()))
print(auth.rstrip(b'\0').decode(), data.decode())
)");
    CHECK(out == "pw plain data");
    // Import without outer wrapper on another TPM.
    auto np = b.create_primary(rsa_storage());
    auto [irc, priv] = b.import(np.handle, d.key_out, obj.pub, d.dup, {}, inner ? aes128() : no_inner());
    REQUIRE(irc == 0);
    fixture::object imported{0, 0, obj.pub, priv, {}};
    REQUIRE(b.load(np.handle, imported) == 0);
    CHECK(b.unseal(imported.handle, str("pw")).second == str("plain data"));
}

TEST_CASE("A duplication blob made by the TPM is opened by Python", "[duplication]") {
    fixture a(15);
    auto srk = a.create_primary(rsa_storage());
    auto obj = a.create(srk.handle, movable_sealed(), sensitive_create({}, str("to python")));
    REQUIRE(a.load(srk.handle, obj) == 0);
    // The new parent's private key exists only in Python.
    const auto kout = python(py_wrap + "k = rsa.generate_private_key(65537, 2048); n = k.private_numbers()\n"
                                       "print(n.p.to_bytes(128, 'big').hex(), n.public_numbers.n.to_bytes(256, 'big').hex())");
    const auto sp = kout.find(' ');
    const auto p = from_hex(kout.substr(0, sp)), n = from_hex(kout.substr(sp + 1));
    auto [lrc, np] = a.load_public(rsa_key(movable_storage, sym_def(), scheme(alg::null), {}, n));
    REQUIRE(lrc == 0);
    auto d = a.duplicate(obj.handle, np, {}, aes128());
    REQUIRE(d.rc == 0);
    const auto out = python(py_wrap + "nn = int.from_bytes(" + hx(n) + ", 'big'); p = int.from_bytes(" + hx(p) + R"(, 'big'); q = nn // p
dd = pow(65537, -1, (p - 1) * (q - 1))
k = rsa.RSAPrivateNumbers(p, q, dd, dd % (p - 1), dd % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(65537, nn)).private_key()
seed = k.decrypt()" + hx(d.seed) + R"(, oaep(b'DUPLICATE'))
name = )" + hx(obj.name) + R"(
s = inner_unwrap()" + hx(d.key_out) + ", name, outer_unwrap(seed, name, " + hx(d.dup) + R"())
r = rd(s[2:])
assert r.u16() == 0x0008
auth, sv, data = r.b2b(), r.b2b(), r.b2b()
assert )" + hx(obj.pub) + R"(.endswith(tpm2b(hashlib.sha256(sv + data).digest()))
print(len(seed), data.decode())
)");
    CHECK(out == "32 to python");
}

TEST_CASE("Import of duplication blobs built in Python", "[duplication]") {
    const bool ecc_parent = GENERATE(false, true);
    const bool inner = GENERATE(false, true);
    INFO("ECC parent: " << ecc_parent << ", inner wrapper: " << inner);
    fixture b(16);
    auto np = b.create_primary(ecc_parent ? ecc_storage() : rsa_storage());
    REQUIRE(np.rc == 0);
    const std::string encap = ecc_parent ? "ecc_encap(" + hx(ecc_point(np.pub).first) + ", " + hx(ecc_point(np.pub).second) +
                                               ", b'DUPLICATE')"
                                         : "rsa_encap(" + hx(rsa_modulus(np.pub)) + ", b'DUPLICATE')";
    const bytes inner_key = from_hex("f0e1d2c3b4a5968778695a4b3c2d1e0f");
    // Part 1 §20.3.2: sensitive -> [inner wrapper] -> outer wrapper; the public area and
    // TPMT_SENSITIVE written out field by field (Part 2 §12.2.4, §12.3.2).
    const std::string wrap = "def dup(pub, sens):\n"
                             "    nm = name('sha256', pub)\n"
                             "    s2b = tpm2b(sens)\n" +
                             std::string(inner ? "    s2b = inner_wrap(" + hx(inner_key) + ", nm, s2b)\n" : "") +
                             "    seed, secret = " + encap + "\n"
                             "    return outer_wrap(seed, nm, s2b), secret\n";
    const bytes sym = inner ? aes128() : no_inner();
    const bytes key = inner ? inner_key : bytes{};

    SECTION("a sealed data object") {
        const auto out = python(py_wrap + wrap + R"(
sv, data = os.urandom(32), b'made by python'
pub = u16(0x0008) + u16(0x000b) + (0x40 | 0x400).to_bytes(4, 'big') + tpm2b(b'') + u16(0x0010) + tpm2b(hashlib.sha256(sv + data).digest())
blob, secret = dup(pub, u16(0x0008) + tpm2b(b'secret') + tpm2b(sv) + tpm2b(data))
print(pub.hex(), blob.hex(), secret.hex())
)");
        const auto s1 = out.find(' '), s2 = out.find(' ', s1 + 1);
        const auto pub = from_hex(out.substr(0, s1)), blob = from_hex(out.substr(s1 + 1, s2 - s1 - 1)),
                   secret = from_hex(out.substr(s2 + 1));
        auto [irc, priv] = b.import(np.handle, key, pub, blob, secret, sym);
        REQUIRE(irc == 0);
        fixture::object o{0, 0, pub, priv, {}};
        REQUIRE(b.load(np.handle, o) == 0);
        CHECK(b.unseal(o.handle, str("secret")).second == str("made by python"));
        // A sensitive area that does not match the public area: TPM_RC_BINDING on objectPublic.
        const auto out2 = python(py_wrap + wrap + R"(
sv, data = os.urandom(32), b'made by python'
pub = u16(0x0008) + u16(0x000b) + (0x40 | 0x400).to_bytes(4, 'big') + tpm2b(b'') + u16(0x0010) + tpm2b(hashlib.sha256(sv + data).digest())
blob, secret = dup(pub, u16(0x0008) + tpm2b(b'secret') + tpm2b(sv) + tpm2b(b'other data'))
print(pub.hex(), blob.hex(), secret.hex())
)");
        const auto t1 = out2.find(' '), t2 = out2.find(' ', t1 + 1);
        CHECK(b.import(np.handle, key, from_hex(out2.substr(0, t1)), from_hex(out2.substr(t1 + 1, t2 - t1 - 1)),
                       from_hex(out2.substr(t2 + 1)), sym).first == P(RC_BINDING, 2));
        // Garbage inside a valid wrapper: TPM_RC_SENSITIVE.
        const auto out3 = python(py_wrap + wrap + R"(
pub = u16(0x0008) + u16(0x000b) + (0x40 | 0x400).to_bytes(4, 'big') + tpm2b(b'') + u16(0x0010) + tpm2b(bytes(32))
blob, secret = dup(pub, b'\x00\x08\x00')
print(pub.hex(), blob.hex(), secret.hex())
)");
        const auto g1 = out3.find(' '), g2 = out3.find(' ', g1 + 1);
        CHECK(b.import(np.handle, key, from_hex(out3.substr(0, g1)), from_hex(out3.substr(g1 + 1, g2 - g1 - 1)),
                       from_hex(out3.substr(g2 + 1)), sym).first == RC_SENSITIVE);
    }
    SECTION("an ECDSA key pair, used to sign after the import") {
        const auto out = python(py_wrap + wrap + R"(
k = ec.generate_private_key(ec.SECP256R1()); n = k.public_key().public_numbers()
x, y, d = n.x.to_bytes(32, 'big'), n.y.to_bytes(32, 'big'), k.private_numbers().private_value.to_bytes(32, 'big')
attrs = 0x40 | 0x400 | 0x20 | 0x40000
pub = u16(0x0023) + u16(0x000b) + attrs.to_bytes(4, 'big') + tpm2b(b'') + u16(0x0010) + u16(0x0018) + u16(0x000b) + u16(0x0003) + u16(0x0010) + tpm2b(x) + tpm2b(y)
blob, secret = dup(pub, u16(0x0023) + tpm2b(b'') + tpm2b(b'') + tpm2b(d))
print(pub.hex(), blob.hex(), secret.hex())
)");
        const auto s1 = out.find(' '), s2 = out.find(' ', s1 + 1);
        const auto pub = from_hex(out.substr(0, s1)), blob = from_hex(out.substr(s1 + 1, s2 - s1 - 1)),
                   secret = from_hex(out.substr(s2 + 1));
        auto [irc, priv] = b.import(np.handle, key, pub, blob, secret, sym);
        REQUIRE(irc == 0);
        fixture::object o{0, 0, pub, priv, {}};
        REQUIRE(b.load(np.handle, o) == 0);
        const bytes msg = str("imported key");
        const bytes digest = from_hex(python("import hashlib\nprint(hashlib.sha256(" + hx(msg) + ").hexdigest())"));
        auto [src, sig] = ecdsa_sign(b, o.handle, digest);
        REQUIRE(src == 0);
        auto [x, y] = ecc_point(pub);
        CHECK(py_ecdsa_verify(x, y, msg, sig) == "ok");
    }
}

TEST_CASE("Rewrap moves a duplication blob to another new parent", "[duplication]") {
    fixture a(17), b(18);
    auto srk = a.create_primary(rsa_storage());
    auto obj = a.create(srk.handle, movable_sealed(), sensitive_create({}, str("rewrapped")));
    REQUIRE(a.load(srk.handle, obj) == 0);
    // b holds the duplication authority's key (np1) and the final parent (np2).
    auto np1 = b.create_primary(rsa_storage());
    auto np2 = b.create_primary(ecc_storage());
    REQUIRE(np1.rc == 0);
    REQUIRE(np2.rc == 0);
    auto [lrc, np1_on_a] = a.load_public(np1.pub);
    REQUIRE(lrc == 0);
    auto d = a.duplicate(obj.handle, np1_on_a, {}, aes128());
    REQUIRE(d.rc == 0);
    auto w = b.rewrap(np1.handle, np2.handle, d.dup, obj.name, d.seed);
    REQUIRE(w.rc == 0);
    CHECK(w.seed.size() == 68u); // a TPMS_ECC_POINT for the ECC parent
    // Only np2 can import the result.
    CHECK(b.import(np1.handle, d.key_out, obj.pub, w.dup, w.seed, aes128()).first != 0);
    auto [irc, priv] = b.import(np2.handle, d.key_out, obj.pub, w.dup, w.seed, aes128());
    REQUIRE(irc == 0);
    fixture::object o{0, 0, obj.pub, priv, {}};
    REQUIRE(b.load(np2.handle, o) == 0);
    CHECK(b.unseal(o.handle).second == str("rewrapped"));

    SECTION("to and from TPM_RH_NULL") {
        auto open = b.rewrap(np1.handle, rh::null, d.dup, obj.name, d.seed);
        REQUIRE(open.rc == 0);
        CHECK(open.seed.empty());
        // What is left is the inner-wrapped sensitive area (checked in Python).
        CHECK(python(py_wrap + "s = inner_unwrap(" + hx(d.key_out) + ", " + hx(obj.name) + ", " + hx(open.dup) +
                     ")\nprint(s[-9:].decode())") == "rewrapped");
        auto again = b.rewrap(rh::null, np2.handle, open.dup, obj.name, {});
        REQUIRE(again.rc == 0);
        CHECK(b.import(np2.handle, d.key_out, obj.pub, again.dup, again.seed, aes128()).first == 0);
    }
    SECTION("errors") {
        // inSymSeed and oldParent TPM_RH_NULL go together.
        CHECK(b.rewrap(rh::null, np2.handle, d.dup, obj.name, d.seed).rc == H(RC_HANDLE, 1));
        CHECK(b.rewrap(np1.handle, np2.handle, d.dup, obj.name, {}).rc == H(RC_HANDLE, 1));
        // name is nameAlg || digest.
        CHECK(b.rewrap(np1.handle, np2.handle, d.dup, bytes(obj.name.begin(), obj.name.end() - 1), d.seed).rc ==
              P(RC_SIZE, 2));
        // Another Name, or a tampered blob: integrity.
        auto other = obj.name;
        other.back() ^= 1;
        CHECK(b.rewrap(np1.handle, np2.handle, d.dup, other, d.seed).rc == P(RC_INTEGRITY, 1));
        auto bad = d.dup;
        bad.back() ^= 1;
        CHECK(b.rewrap(np1.handle, np2.handle, bad, obj.name, d.seed).rc == P(RC_INTEGRITY, 1));
        auto bad_seed = d.seed;
        bad_seed[10] ^= 1;
        CHECK(b.rewrap(np1.handle, np2.handle, d.dup, obj.name, bad_seed).rc == P(RC_VALUE, 3));
        // The new parent must be an asymmetric storage key.
        auto signer = b.create_primary(ecc_key(fixed_tpm | fixed_parent | sdo | user_with_auth | sign, sym_def(alg::null),
                                               scheme(alg::ecdsa)));
        REQUIRE(signer.rc == 0);
        CHECK(b.rewrap(np1.handle, signer.handle, d.dup, obj.name, d.seed).rc == H(RC_TYPE, 2));
        CHECK(b.rewrap(signer.handle, np2.handle, d.dup, obj.name, d.seed).rc == H(RC_TYPE, 1));
    }
}

TEST_CASE("Duplicate: authorization role, attributes and parameters", "[duplication]") {
    two_tpms w(false);
    auto obj = w.child(movable_sealed(), sensitive_create({}, str("data")));

    SECTION("the DUP role needs a policy session whose commandCode is TPM_CC_Duplicate") {
        // TPM_RC_AUTH_TYPE is a format-zero code: no session number (Part 2 §6.6).
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, {}, no_inner(), 0, true).rc == RC_AUTH_TYPE);
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, {}, no_inner(), w.a.policy_session(0)).rc == S(RC_POLICY_FAIL, 1));
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, {}, no_inner(), w.a.policy_session(cc::unseal)).rc ==
              S(RC_POLICY_CC, 1));
        // The policy is the object's authPolicy: another object's policy does not match.
        auto other = w.child(sealed(movable, bytes(32, 7)), sensitive_create({}, str("x")));
        CHECK(w.a.duplicate(other.handle, w.np_on_a, {}, no_inner()).rc == S(RC_POLICY_FAIL, 1));
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, {}, no_inner()).rc == 0);
    }
    SECTION("fixedParent objects cannot be duplicated") {
        auto fixed = w.child(sealed(fixed_tpm | fixed_parent | user_with_auth, duplicate_policy()),
                             sensitive_create({}, str("x")));
        CHECK(w.a.duplicate(fixed.handle, w.np_on_a, {}, no_inner()).rc == H(RC_ATTRIBUTES, 1));
    }
    SECTION("encryptedDuplication needs an inner wrapper and a new parent") {
        auto ed = w.child(movable_sealed(enc_dup), sensitive_create({}, str("x")));
        CHECK(w.a.duplicate(ed.handle, w.np_on_a, {}, no_inner()).rc == P(RC_SYMMETRIC, 2));
        CHECK(w.a.duplicate(ed.handle, rh::null, {}, aes128()).rc == H(RC_HIERARCHY, 2));
        auto d = w.a.duplicate(ed.handle, w.np_on_a, {}, aes128());
        REQUIRE(d.rc == 0);
        // Import insists on both wrappers too (Part 3 §13.3).
        CHECK(w.b.import(w.np_b.handle, {}, ed.pub, d.dup, d.seed, no_inner()).first == P(RC_ATTRIBUTES, 1));
        CHECK(w.b.import(w.np_b.handle, d.key_out, ed.pub, d.dup, {}, aes128()).first == P(RC_ATTRIBUTES, 4));
        CHECK(w.b.import(w.np_b.handle, d.key_out, ed.pub, d.dup, d.seed, aes128()).first == 0);
    }
    SECTION("the inner wrapper's key and algorithm") {
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, bytes(16, 1), no_inner()).rc == P(RC_SIZE, 1));
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, bytes(15, 1), aes128()).rc == P(RC_SIZE, 1));
        CHECK(w.a.duplicate(obj.handle, w.np_on_a, {}, sym_def(alg::aes, 128, alg::cbc)).rc == P(RC_MODE, 2));
        auto d = w.a.duplicate(obj.handle, w.np_on_a, {}, sym_def(alg::aes, 256, alg::cfb));
        REQUIRE(d.rc == 0);
        CHECK(d.key_out.size() == 32u);
    }
    SECTION("the new parent must be an asymmetric storage key") {
        auto signer = w.b.create_primary(ecc_key(sdo | user_with_auth | sign, sym_def(alg::null), scheme(alg::ecdsa)));
        REQUIRE(signer.rc == 0);
        auto [rc, h] = w.a.load_public(signer.pub);
        REQUIRE(rc == 0);
        CHECK(w.a.duplicate(obj.handle, h, {}, no_inner()).rc == H(RC_TYPE, 2));
    }
}

TEST_CASE("Import: parent, attributes and parameters", "[duplication]") {
    two_tpms w(false);
    auto obj = w.child(movable_sealed(), sensitive_create({}, str("data")));
    auto d = w.a.duplicate(obj.handle, w.np_on_a, {}, aes128());
    REQUIRE(d.rc == 0);
    auto signer = w.b.create_primary(ecc_key(fixed_tpm | fixed_parent | sdo | user_with_auth | sign, sym_def(alg::null),
                                             scheme(alg::ecdsa)));
    REQUIRE(signer.rc == 0);
    CHECK(w.b.import(signer.handle, d.key_out, obj.pub, d.dup, d.seed, aes128()).first == H(RC_TYPE, 1));
    CHECK(w.b.import(w.np_b.handle, d.key_out, obj.pub, d.dup, d.seed, no_inner()).first == P(RC_SIZE, 1));
    CHECK(w.b.import(w.np_b.handle, bytes(d.key_out.begin(), d.key_out.end() - 1), obj.pub, d.dup, d.seed, aes128())
              .first == P(RC_SIZE, 1));
    CHECK(w.b.import(w.np_b.handle, d.key_out, obj.pub, d.dup, d.seed, sym_def(alg::aes, 128, alg::ofb)).first ==
          P(RC_MODE, 5));
    // fixedTPM / fixedParent objects are never imported.
    CHECK(w.b.import(w.np_b.handle, d.key_out, sealed(fixed_tpm | fixed_parent | user_with_auth), d.dup, d.seed, aes128())
              .first == P(RC_ATTRIBUTES, 2));
    auto bad_seed = d.seed;
    bad_seed[0] ^= 0x80;
    CHECK(w.b.import(w.np_b.handle, d.key_out, obj.pub, d.dup, bad_seed, aes128()).first == P(RC_VALUE, 4));
    CHECK(w.b.import(w.np_b.handle, d.key_out, obj.pub, d.dup, bytes(d.seed.begin(), d.seed.end() - 1), aes128()).first ==
          P(RC_SIZE, 4));
    CHECK(w.b.import(w.np_b.handle, d.key_out, obj.pub, bytes(d.dup.begin(), d.dup.begin() + 10), d.seed, aes128())
              .first == P(RC_INTEGRITY, 3));
    CHECK(w.b.import(w.np_b.handle, d.key_out, obj.pub, d.dup, d.seed, aes128()).first == 0);
}
