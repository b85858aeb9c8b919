// Attestation commands (Part 3 §18: Quote, Certify, CertifyCreation, GetTime) through the
// command pipeline, as raw bytes. Python (/usr/bin/python3 with hashlib/hmac and
// python3-cryptography) parses every TPMS_ATTEST field by field, recomputes the obfuscation
// of Part 1 §33.7 (KDFa written out in Python), the quote's pcrDigest from PCR values it
// computes itself, and verifies every signature with the key's public part.
#include <catch2/catch.hpp>

#include <string>

#include "support/attest.hpp"

using namespace vtpm_test::attest;

TEST_CASE("Quote: TPMS_ATTEST fields, pcrDigest and signature checked in Python", "[attest]") {
    fixture f;
    const bytes d16 = from_hex(python("import hashlib\nprint(hashlib.sha256(b'event 16').hexdigest())"));
    f.extend(16, d16);
    f.extend(23, d16);
    const auto pcrs = sha256_pcrs({0, 16, 23});
    // pcrDigest := SHA-256(PCR0 || PCR16 || PCR23) with PCR values computed here.
    const std::string expect_pcrs = "z = bytes(32)\np16 = hashlib.sha256(z + " + hx(d16) + ").digest()\n"
                                    "pd = hashlib.sha256(z + p16 + p16).digest()\n";

    SECTION("RSASSA key in the endorsement hierarchy: no obfuscation") {
        auto k = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
        auto q = f.quote(k.handle, str("nonce"), scheme(alg::null), pcrs);
        REQUIRE(q.rc == 0);
        CHECK(python(py + expect_pcrs + "d = attest(" + hx(q.attest) + ")\n" +
                     "assert d['type'] == 0x8018\n"
                     "check_common(d, " + f.common(k, str("nonce"), false) + ")\n"
                     "assert d['sels'] == [(0x0b, bytes([1, 0, 0x81]))], d['sels']\n"
                     "assert d['pcr_digest'] == pd, 'pcrDigest'\n"
                     "verify(" + hx(k.pub) + ", " + hx(q.signature) + ", " + hx(q.attest) + ")\n"
                     "print('ok')") == "ok");
    }
    SECTION("ECDSA key in the owner hierarchy: resetCount, restartCount, firmwareVersion obfuscated") {
        auto k = f.primary(rh::owner, ecc_tpl(ak_attrs, scheme(alg::ecdsa)));
        auto q = f.quote(k.handle, {}, scheme(alg::ecdsa), pcrs); // inScheme repeats the key's scheme
        REQUIRE(q.rc == 0);
        CHECK(python(py + expect_pcrs + "d = attest(" + hx(q.attest) + ")\n" +
                     "check_common(d, b'', " + hx(k.qn) + ", True, 'sha256', " + hx(f.e().nv.sh_proof) + ", " +
                     std::to_string(f.e().clock()) + ", " + std::to_string(f.e().nv.reset_count) + ", " +
                     std::to_string(f.e().nv.restart_count) + ")\n"
                     "assert d['pcr_digest'] == pd, 'pcrDigest'\n"
                     "verify(" + hx(k.pub) + ", " + hx(q.signature) + ", " + hx(q.attest) + ")\n"
                     "print('ok')") == "ok");
    }
    SECTION("an unrestricted key with no scheme signs with inScheme (RSAPSS)") {
        auto k = f.primary(rh::endorsement, rsa_tpl(ak_attrs & ~restricted, scheme(alg::null)));
        auto q = f.quote(k.handle, str("x"), scheme(alg::rsapss), pcrs);
        REQUIRE(q.rc == 0);
        CHECK(load_be16(q.signature.data()) == alg::rsapss);
        CHECK(python(py + "verify(" + hx(k.pub) + ", " + hx(q.signature) + ", " + hx(q.attest) + ")\nprint('ok')") == "ok");
        // ... and without any scheme there is nothing to sign with.
        CHECK(f.quote(k.handle, {}, scheme(alg::null), pcrs).rc == P(RC_SCHEME, 2));
    }
    SECTION("TPM_RH_NULL: an unsigned, obfuscated quote with the NULL Signature") {
        auto q = f.quote(rh::null, str("n"), scheme(alg::rsassa), pcrs);
        REQUIRE(q.rc == 0);
        CHECK(to_hex(q.signature) == "0010");
        // QN of TPM_RH_NULL is the handle; the context integrity hash (SHA-256) derives the value.
        CHECK(python(py + expect_pcrs + "d = attest(" + hx(q.attest) + ")\n" +
                     "check_common(d, b'n', bytes.fromhex('40000007'), True, 'sha256', " + hx(f.e().nv.sh_proof) + ", " +
                     std::to_string(f.e().clock()) + ", " + std::to_string(f.e().nv.reset_count) + ", " +
                     std::to_string(f.e().nv.restart_count) + ")\n"
                     "assert d['pcr_digest'] == pd\nprint('ok')") == "ok");
        CHECK(f.quote(rh::null, {}, scheme(alg::null), pcrs).rc == P(RC_SCHEME, 2));
    }
    SECTION("banks that are not allocated are left out of pcrSelect") {
        auto k = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
        const auto two = cat({be32(2), be16(alg::sha384), bytes{3, 1, 0, 0}, be16(alg::sha256), bytes{3, 1, 0, 0}});
        auto q = f.quote(k.handle, {}, scheme(alg::null), two);
        REQUIRE(q.rc == 0);
        CHECK(python(py + "d = attest(" + hx(q.attest) + ")\n"
                     "assert d['sels'] == [(0x0b, bytes([1, 0, 0]))], d['sels']\n"
                     "assert d['pcr_digest'] == hashlib.sha256(bytes(32)).digest()\nprint('ok')") == "ok");
    }
    SECTION("errors: not a signing key, scheme mismatch, bad selection") {
        auto st = f.primary(rh::owner, rsa_storage());
        CHECK(f.quote(st.handle, {}, scheme(alg::null), pcrs).rc == H(RC_KEY, 1));
        auto k = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
        CHECK(f.quote(k.handle, {}, scheme(alg::rsapss), pcrs).rc == P(RC_SCHEME, 2));
        CHECK(f.quote(k.handle, {}, scheme(alg::rsassa, alg::sha384), pcrs).rc == P(RC_SCHEME, 2));
        CHECK(f.quote(k.handle, {}, scheme(alg::ecdsa), pcrs).rc == P(RC_SCHEME, 2));
        CHECK(f.quote(k.handle, {}, scheme(alg::null), cat({be32(1), be16(alg::sha256), bytes{9, 0}})).rc ==
              P(RC_VALUE, 3));
    }
}

TEST_CASE("Certify: Name and Qualified Name of a loaded object, signed", "[attest]") {
    fixture f;
    auto ak = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
    auto obj = f.primary(rh::owner, rsa_storage());
    SECTION("signed by an endorsement key") {
        auto c = f.certify(obj.handle, ak.handle, str("q"), scheme(alg::null));
        REQUIRE(c.rc == 0);
        CHECK(python(py + "d = attest(" + hx(c.attest) + ")\nassert d['type'] == 0x8017\n"
                     "check_common(d, " + f.common(ak, str("q"), false) + ")\n"
                     "assert d['name'] == " + hx(obj.name) + " and d['qn'] == " + hx(obj.qn) + "\n"
                     "verify(" + hx(ak.pub) + ", " + hx(c.signature) + ", " + hx(c.attest) + ")\nprint('ok')") == "ok");
    }
    SECTION("a key certifies itself; TPM_RH_NULL gives the NULL Signature") {
        auto self = f.certify(ak.handle, ak.handle, {}, scheme(alg::null));
        REQUIRE(self.rc == 0);
        CHECK(python(py + "d = attest(" + hx(self.attest) + ")\nassert d['name'] == " + hx(ak.name) + "\n"
                     "verify(" + hx(ak.pub) + ", " + hx(self.signature) + ", " + hx(self.attest) + ")\nprint('ok')") == "ok");
        auto n = f.certify(obj.handle, rh::null, {}, scheme(alg::null));
        REQUIRE(n.rc == 0);
        CHECK(to_hex(n.signature) == "0010");
    }
    SECTION("errors") {
        CHECK(f.certify(obj.handle, obj.handle, {}, scheme(alg::null)).rc == H(RC_KEY, 2));
        CHECK(f.certify(obj.handle, ak.handle, {}, scheme(alg::rsapss)).rc == P(RC_SCHEME, 2));
    }
}

TEST_CASE("CertifyCreation: the creation ticket is checked; creationHash and Name are signed", "[attest]") {
    fixture f;
    auto ak = f.primary(rh::endorsement, ecc_tpl(ak_attrs, scheme(alg::ecdsa)));
    auto obj = f.primary(rh::owner, rsa_storage());
    const auto ticket = cat({be16(st::creation), be32(obj.ticket_hierarchy), b2b(obj.ticket)});
    SECTION("a good ticket") {
        auto c = f.certify_creation(ak.handle, obj.handle, str("fresh"), obj.creation_hash, scheme(alg::null), ticket);
        REQUIRE(c.rc == 0);
        CHECK(python(py + "d = attest(" + hx(c.attest) + ")\nassert d['type'] == 0x801a\n"
                     "check_common(d, " + f.common(ak, str("fresh"), false) + ")\n"
                     "assert d['name'] == " + hx(obj.name) + " and d['creation_hash'] == " + hx(obj.creation_hash) + "\n"
                     "verify(" + hx(ak.pub) + ", " + hx(c.signature) + ", " + hx(c.attest) + ")\nprint('ok')") == "ok");
    }
    SECTION("wrong creationHash, wrong object, changed ticket: TPM_RC_TICKET + P4") {
        auto other = obj.creation_hash;
        other[0] ^= 1;
        CHECK(f.certify_creation(ak.handle, obj.handle, {}, other, scheme(alg::null), ticket).rc == P(RC_TICKET, 4));
        CHECK(f.certify_creation(ak.handle, ak.handle, {}, obj.creation_hash, scheme(alg::null), ticket).rc ==
              P(RC_TICKET, 4));
        auto bad = ticket;
        bad.back() ^= 1;
        CHECK(f.certify_creation(ak.handle, obj.handle, {}, obj.creation_hash, scheme(alg::null), bad).rc ==
              P(RC_TICKET, 4));
        // The ticket of another hierarchy.
        auto moved = cat({be16(st::creation), be32(rh::endorsement), b2b(obj.ticket)});
        CHECK(f.certify_creation(ak.handle, obj.handle, {}, obj.creation_hash, scheme(alg::null), moved).rc ==
              P(RC_TICKET, 4));
        auto tag = cat({be16(st::verified), be32(obj.ticket_hierarchy), b2b(obj.ticket)});
        CHECK(f.certify_creation(ak.handle, obj.handle, {}, obj.creation_hash, scheme(alg::null), tag).rc ==
              P(RC_TAG, 4));
    }
    SECTION("signing key errors come first") {
        CHECK(f.certify_creation(obj.handle, obj.handle, {}, obj.creation_hash, scheme(alg::null), ticket).rc ==
              H(RC_KEY, 1));
        CHECK(f.certify_creation(ak.handle, obj.handle, {}, obj.creation_hash, scheme(alg::rsassa), ticket).rc ==
              P(RC_SCHEME, 3));
    }
}

TEST_CASE("GetTime: Time and Clock, the inner copy never obfuscated", "[attest]") {
    fixture f;
    testing::manual_clock() += 1234;
    auto ak = f.primary(rh::owner, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
    auto g = f.get_time(ak.handle, str("tick"), scheme(alg::null));
    REQUIRE(g.rc == 0);
    CHECK(python(py + "d = attest(" + hx(g.attest) + ")\nassert d['type'] == 0x8019\n"
                 "check_common(d, " + f.common(ak, str("tick"), true) + ")\n"
                 "assert d['time'] == " + std::to_string(f.e().time()) + ", 'time'\n"
                 "assert d['t_clock'] == d['clock'] and d['t_safe'] == 1\n"
                 "assert d['t_reset'] == " + std::to_string(f.e().nv.reset_count) + " and d['t_restart'] == " +
                 std::to_string(f.e().nv.restart_count) + "\n"
                 "assert d['t_fw'] == 0x0000000100000000\n"
                 "verify(" + hx(ak.pub) + ", " + hx(g.signature) + ", " + hx(g.attest) + ")\nprint('ok')") == "ok");
    auto n = f.get_time(rh::null, {}, scheme(alg::null));
    REQUIRE(n.rc == 0);
    CHECK(to_hex(n.signature) == "0010");
    // privacyAdminHandle is TPMI_RH_ENDORSEMENT.
    auto r = run(f.t, command_builder(cc::get_time).handle(rh::owner).handle(rh::null).password().password().b2b({}).u16(alg::null).build());
    CHECK(r.rc == H(RC_VALUE, 1));
    (void)RC_ATTRIBUTES;
}

namespace {

/// Python: DER writing and reading for X.509 (RFC 5280), written out here.
const std::string py_der = py + R"(
from cryptography import x509
def tlv(tag, v):
    n = len(v)
    l = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + l + v
def children(b):
    out, p = [], 0
    while p < len(b):
        n, h = b[p + 1], 2
        if n == 0x81: n, h = b[p + 2], 3
        elif n == 0x82: n, h = (b[p + 2] << 8) | b[p + 3], 4
        out.append(b[p:p + h + n]); p += h + n
    assert p == len(b)
    return out
def body(b): return children(b)[0][2 if b[1] < 0x80 else 2 + (b[1] & 0x7f):]
name = tlv(0x30, tlv(0x31, tlv(0x30, tlv(6, bytes.fromhex('550403')) + tlv(0x0c, b'vtpm test key'))))
validity = tlv(0x30, tlv(0x17, b'250101000000Z') + tlv(0x17, b'350101000000Z'))
def key_usage(bits): return tlv(0x30, tlv(6, bytes.fromhex('551d0f')) + tlv(1, b'\xff') + tlv(4, tlv(3, bits)))
def tpma(v): return tlv(0x30, tlv(6, bytes.fromhex('6781050a010101')) + tlv(4, tlv(3, b'\0' + v.to_bytes(4, 'big'))))
def partial(exts, alg=b''): return tlv(0x30, alg + name + validity + name + tlv(0xa3, tlv(0x30, exts)))
RSA_SHA256 = tlv(0x30, tlv(6, bytes.fromhex('2a864886f70d01010b')) + tlv(5, b''))
ECDSA_SHA256 = tlv(0x30, tlv(6, bytes.fromhex('2a8648ce3d040302')))
def certificate(part, added, tbs_digest, sig):
    p = children(body(part)); a = children(body(added))
    has_alg = len(p) == 5
    alg = p[0] if has_alg else a[2]
    rest = p[1:4] if has_alg else p[0:3]
    tbs = tlv(0x30, a[0] + a[1] + alg + b''.join(rest) + a[-1] + p[-1])
    assert hashlib.sha256(tbs).digest() == tbs_digest, 'tbsDigest'
    s = rd(sig); sa = s.u16(); s.u16()
    if sa == 0x14: value = s.b2b()
    else: value = utils.encode_dss_signature(int.from_bytes(s.b2b(), 'big'), int.from_bytes(s.b2b(), 'big'))
    return x509.load_der_x509_certificate(tlv(0x30, tbs + alg + tlv(3, b'\0' + value))), len(a)
def check_cert(cert, signer_pub, subject_pub):
    k = public(signer_pub)
    if k[0] == 'rsa':
        rsa.RSAPublicNumbers(65537, k[1]).public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                                              padding.PKCS1v15(), cert.signature_hash_algorithm)
    else:
        ec.EllipticCurvePublicNumbers(k[1], k[2], ec.SECP256R1()).public_key().verify(
            cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    sk = public(subject_pub); pk = cert.public_key().public_numbers()
    if sk[0] == 'rsa': assert pk.n == sk[1] and pk.e == 65537, 'subject key'
    else: assert (pk.x, pk.y) == (sk[1], sk[2]), 'subject key'
    assert cert.version == x509.Version.v3 and cert.serial_number > 0
    assert cert.subject.rfc4514_string() == 'CN=vtpm test key'
)";

struct x509_fixture : fixture {
    struct result {
        std::uint32_t rc = 0;
        bytes added, tbs_digest, signature;
    };
    result certify_x509(std::uint32_t object, std::uint32_t key, byte_view partial, byte_view in_scheme = be16(alg::null),
                        byte_view reserved = {}) {
        auto cb = command_builder(cc::certify_x509).handle(object).handle(key).password().password();
        auto r = run(t, cb.b2b(reserved).raw(in_scheme).b2b(partial).build());
        result x;
        x.rc = r.rc;
        if (r.rc != 0) return x;
        const auto psize = r.parameter_size();
        const auto start = r.pos;
        x.added = r.b2b();
        x.tbs_digest = r.b2b();
        x.signature = r.take(psize - (r.pos - start));
        REQUIRE(r.ok);
        return x;
    }
};
bytes der(const std::string& expr) { return from_hex(python(py_der + "print((" + expr + ").hex())")); }

} // namespace

TEST_CASE("CertifyX509: the completed certificate verifies with the signing key (python3-cryptography)", "[attest]") {
    x509_fixture f;
    auto ak = f.primary(rh::endorsement, rsa_tpl(ak_attrs, scheme(alg::rsassa)));
    constexpr std::uint32_t signer_attrs = fixed_tpm | fixed_parent | sdo | user_with_auth | sign | no_da;
    auto obj = f.primary(rh::owner, rsa_tpl(signer_attrs, scheme(alg::null)));
    SECTION("RSA subject; the TPM adds version, serial, signature algorithm and the public key") {
        const auto part = der("partial(key_usage(bytes([7, 0x80])))"); // digitalSignature
        auto x = f.certify_x509(obj.handle, ak.handle, part);
        REQUIRE(x.rc == 0);
        CHECK(python(py_der + "cert, n = certificate(" + hx(part) + ", " + hx(x.added) + ", " + hx(x.tbs_digest) + ", " +
                     hx(x.signature) + ")\nassert n == 4\nassert children(body(" + hx(x.added) + "))[2] == RSA_SHA256\n"
                     "check_cert(cert, " + hx(ak.pub) + ", " + hx(obj.pub) + ")\n"
                     "assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature\n"
                     "print('ok')") == "ok");
    }
    SECTION("ECC subject and ECDSA signer; the caller's algorithm identifier and TPMA_OBJECT extension") {
        auto eak = f.primary(rh::endorsement, ecc_tpl(ak_attrs, scheme(alg::ecdsa)));
        auto eobj = f.primary(rh::owner, ecc_tpl(signer_attrs, scheme(alg::null)));
        const auto part = der("partial(key_usage(bytes([7, 0x80])) + tpma(" + std::to_string(signer_attrs) + "), ECDSA_SHA256)");
        auto x = f.certify_x509(eobj.handle, eak.handle, part);
        REQUIRE(x.rc == 0);
        CHECK(python(py_der + "cert, n = certificate(" + hx(part) + ", " + hx(x.added) + ", " + hx(x.tbs_digest) + ", " +
                     hx(x.signature) + ")\nassert n == 3\n"
                     "check_cert(cert, " + hx(eak.pub) + ", " + hx(eobj.pub) + ")\nprint('ok')") == "ok");
    }
    SECTION("errors") {
        // keyEncipherment needs a restricted decryption key; TPMA_OBJECT must match.
        CHECK(f.certify_x509(obj.handle, ak.handle, der("partial(key_usage(bytes([5, 0x20])))")).rc == H(RC_ATTRIBUTES, 1));
        CHECK(f.certify_x509(obj.handle, ak.handle, der("partial(key_usage(bytes([7, 0x80])) + tpma(" +
                                                        std::to_string(signer_attrs ^ restricted) + "))")).rc ==
              H(RC_ATTRIBUTES, 1));
        // No Key Usage, a malformed or truncated partial certificate: TPM_RC_VALUE + P3.
        CHECK(f.certify_x509(obj.handle, ak.handle, der("partial(b'')")).rc == P(RC_VALUE, 3));
        CHECK(f.certify_x509(obj.handle, ak.handle, from_hex("3003020101")).rc == P(RC_VALUE, 3));
        auto part = der("partial(key_usage(bytes([7, 0x80])))");
        part.pop_back();
        CHECK(f.certify_x509(obj.handle, ak.handle, part).rc == P(RC_VALUE, 3));
        CHECK(f.certify_x509(obj.handle, ak.handle, from_hex("3084000000000000")).rc == P(RC_VALUE, 3));
        // reserved must be empty: TPM_RC_SIZE + P1.
        CHECK(f.certify_x509(obj.handle, ak.handle, der("partial(key_usage(bytes([7, 0x80])))"), be16(alg::null), str("x")).rc ==
              P(0x095, 1));
        // RSAPSS has no algorithm identifier here: the caller must give one (TPM_RC_SCHEME + P2).
        CHECK(f.certify_x509(obj.handle, obj.handle, der("partial(key_usage(bytes([7, 0x80])))"), scheme(alg::rsapss)).rc ==
              P(RC_SCHEME, 2));
        // The signing key must sign: TPM_RC_KEY + H2.
        auto st = f.primary(rh::owner, rsa_storage());
        CHECK(f.certify_x509(obj.handle, st.handle, der("partial(key_usage(bytes([7, 0x80])))")).rc == H(RC_KEY, 2));
    }
}
