// EK templates, EK creation through TPM2_CreatePrimary, EK certificates from the local CA and
// CSRs, checked with python3 (hashlib, cryptography) and the openssl command line; and a whole
// TPM state through an encrypted NVRAM file.
#include <catch2/catch.hpp>

#include <botan/auto_rng.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <vtpm/platform/ek.hpp>
#include <vtpm/platform/nvram.hpp>
#include <vtpm/testing/platform.hpp>

#include "support/oracle.hpp"
#include "support/platform_fixture.hpp"

namespace fs = std::filesystem;
using namespace vtpm::platform;
using tpm_t = vtpm::tpm<vtpm::testing::deterministic_platform<>>;

namespace {

using vtpm_test::temp_dir;
using vtpm_test::shell;
using vtpm_test::code_of;

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

struct started_tpm {
    tpm_t t;
    explicit started_tpm(std::uint8_t seed = 0) : t(vtpm::testing::seeded_crypto(seed)) {
        t.manufacture();
        t.power_on();
        REQUIRE(vtpm::testing::run(t, vtpm::testing::startup_command()).rc == 0);
    }
};

/// Python: the public key numbers in a TPMT_PUBLIC, parsed independently.
const std::string py_parse_public = R"(
def parse_public(p):
    pos = 0
    def u16():
        nonlocal pos; v = int.from_bytes(p[pos:pos+2], 'big'); pos += 2; return v
    def u32():
        nonlocal pos; v = int.from_bytes(p[pos:pos+4], 'big'); pos += 4; return v
    def b2b():
        nonlocal pos; n = u16(); v = p[pos:pos+n]; pos += n; return v
    t = u16(); u16(); u32(); b2b()
    if u16() != 0x10: u16(); u16()
    if u16() != 0x10: u16()
    if t == 1:
        u16(); e = u32() or 65537; n = b2b(); assert pos == len(p); return ('rsa', int.from_bytes(n, 'big'), e)
    curve = u16()
    if u16() != 0x10: u16()
    x = b2b(); y = b2b(); assert pos == len(p)
    return ('ecc', curve, int.from_bytes(x, 'big'), int.from_bytes(y, 'big'))
)";


} // namespace

TEST_CASE("EK templates: the profile's policies and layout", "[platform][ek]") {
    // Policy A = PolicySecret(TPM_RH_ENDORSEMENT) under SHA-256, computed independently.
    const auto policy_a = vtpm_test::python(
        "import hashlib\n"
        "d = hashlib.sha256(bytes(32) + (0x151).to_bytes(4, 'big') + (0x4000000B).to_bytes(4, 'big')).digest()\n"
        "print(hashlib.sha256(d).hexdigest())\n");
    const auto l1 = ek::template_of(ek::kind::rsa2048);
    CHECK(vtpm::to_hex(vtpm::byte_view{l1.data() + 10, 32}) == policy_a);
    // L-1: RSA, SHA-256, attributes 0x000300B2, AES-128-CFB, no scheme, 2048 bits, 256 zero octets.
    CHECK(vtpm::to_hex(vtpm::byte_view{l1.data(), 8}) == "0001000b000300b2");
    CHECK(vtpm::to_hex(vtpm::byte_view{l1.data() + 42, 14}) == "0006008000430010080000000000");
    CHECK(l1.size() == 42 + 14 + 2 + 256);
    const auto l2 = ek::template_of(ek::kind::ecc_p256);
    CHECK(vtpm::to_hex(vtpm::byte_view{l2.data(), 8}) == "0023000b000300b2");
    CHECK(l2.size() == 42 + 6 + 2 + 2 + 2 + 34 + 34);
    const auto h3 = ek::template_of(ek::kind::ecc_p384);
    CHECK(vtpm::to_hex(vtpm::byte_view{h3.data(), 8}) == "0023000c000300f2"); // SHA-384, userWithAuth
    CHECK(ek::spec_of(ek::kind::rsa2048).cert_index == 0x01C00002);
    CHECK(ek::spec_of(ek::kind::ecc_p256).cert_index == 0x01C0000A);
    CHECK(ek::kind_from_name("ecc") == ek::kind::ecc_p256);
    CHECK_FALSE(ek::kind_from_name("dsa"));
}

TEST_CASE("EKs from CreatePrimary: reproducible, per TPM, certified by the local CA", "[platform][ek]") {
    temp_dir d;
    Botan::AutoSeeded_RNG rng;
    started_tpm a(1), b(2);
    auto ca = ek::local_ca::open_or_create(d.path / "ca", rng);
    // The CA is kept: opening again gives the same certificate.
    CHECK(ek::local_ca::open_or_create(d.path / "ca", rng).certificate() == ca.certificate());
    const auto id = ek::identity_of(vtpm::config::profiles::full);
    CHECK(id.model == "vtpm");

    for (auto k : {ek::kind::rsa2048, ek::kind::ecc_p256, ek::kind::ecc_p384}) {
        const auto name = std::string(ek::spec_of(k).name);
        INFO(name);
        const auto e1 = ek::create(a.t, k);
        CHECK(ek::create(a.t, k).public_area == e1.public_area);
        CHECK(ek::create(b.t, k).public_area != e1.public_area);

        const auto cert = ek::issue_certificate(ca, e1, id, rng);
        const auto pem = d.path / (name + ".pem");
        write_text(pem, cert.PEM_encode());
        int st = -1;
        const auto v = shell("openssl verify -CAfile " + (d.path / "ca" / "ca.crt").string() + " " + pem.string(), &st);
        INFO(v);
        CHECK(st == 0);
        CHECK(v.find(": OK") != std::string::npos);
        const auto text = shell("openssl x509 -noout -text -in " + pem.string(), &st);
        INFO(text);
        CHECK(text.find("X509v3 Subject Alternative Name: critical") != std::string::npos);
        CHECK(text.find("DirName:/2.23.133.2.1=id:5654504D/2.23.133.2.2=vtpm/2.23.133.2.3=id:00000001") != std::string::npos);
        CHECK(text.find("CA:FALSE") != std::string::npos);
        CHECK(text.find(ek::is_rsa(k) ? "Key Encipherment" : "Key Agreement") != std::string::npos);
        CHECK(text.find("2.23.133.8.1") != std::string::npos);
        CHECK(text.find("Subject: \n") != std::string::npos);
        // The certified key is the key in the EK's public area (parsed by Python).
        const auto same = vtpm_test::python(
            py_parse_public +
            "from cryptography import x509\n"
            "from cryptography.hazmat.primitives.asymmetric import rsa, ec\n"
            "c = x509.load_pem_x509_certificate(open('" + pem.string() + "', 'rb').read())\n"
            "k = c.public_key().public_numbers()\n"
            "p = parse_public(" + vtpm_test::hx(e1.public_area) + ")\n"
            "if p[0] == 'rsa': print(k.n == p[1] and k.e == p[2])\n"
            "else: print(k.x == p[2] and k.y == p[3] and k.curve.name == {3: 'secp256r1', 4: 'secp384r1'}[p[1]])\n");
        CHECK(same == "True");
        CHECK_NOTHROW(ek::check_certificate(cert, e1));
        CHECK(code_of([&] { ek::check_certificate(cert, ek::create(b.t, k)); }) == errc::key_mismatch);

        // A CSR signed with the EK's private key; openssl checks the signature and the key.
        const auto csr = d.path / (name + ".csr");
        write_text(csr, ek::make_csr(a.t, k, rng, "vm-ek"));
        const auto rv = shell("openssl req -verify -noout -in " + csr.string(), &st);
        INFO(rv);
        CHECK(st == 0);
        const auto csr_key = shell("openssl req -noout -pubkey -in " + csr.string() + " | openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d ' \\n'");
        CHECK(csr_key == vtpm::to_hex(e1.spki()));
    }
    // The RSA EK's certificate does not match the ECC EK.
    const auto rsa_cert = ek::issue_certificate(ca, ek::create(a.t, ek::kind::rsa2048), id, rng);
    CHECK(code_of([&] { ek::check_certificate(rsa_cert, ek::create(a.t, ek::kind::ecc_p256)); }) == errc::key_mismatch);
    // A flushed TPM: no object left behind by create / make_csr.
    CHECK(a.t.internals().loaded_object_count() == 0);
}

TEST_CASE("EK: the RSA-3072 high-range EK", "[platform][ek]") {
    started_tpm a(3);
    const auto e = ek::create(a.t, ek::kind::rsa3072);
    const auto* k = dynamic_cast<const Botan::RSA_PublicKey*>(e.key.get());
    REQUIRE(k);
    CHECK(k->get_n().bits() == 3072);
    CHECK(vtpm::to_hex(vtpm::byte_view{e.public_area.data(), 8}) == "0001000c000300f2");
}

TEST_CASE("EK: a TPM that is not started refuses, with the TPM_RC in the message", "[platform][ek]") {
    tpm_t t(vtpm::testing::seeded_crypto(4));
    t.manufacture();
    t.power_on();
    try {
        (void)ek::create(t, ek::kind::rsa2048);
        FAIL("no error");
    } catch (const error& e) {
        CHECK(e.code() == errc::tpm_error);
        CHECK(std::string(e.what()).find("TPM_RC 0x0100") != std::string::npos); // TPM_RC_INITIALIZE
    }
    CHECK(code_of([] { (void)ek::key_of_public_area(vtpm::bytes{0, 1, 0}); }) == errc::bad_format);
}

TEST_CASE("nvram: a whole TPM state opens on another host with the restored provider", "[platform][nvram][ek]") {
    Botan::AutoSeeded_RNG rng;
    started_tpm a(5);
    const auto ek1 = ek::create(a.t, ek::kind::ecc_p256);
    const auto state = a.t.save_state();
    auto p = native_key_provider::generate("kp", {}, rng);
    const auto dk = nvram::new_data_key(rng);
    const auto file = nvram::seal(p, "vm-a", dk, state, rng);

    // "Another host": the provider recreated from its key and id (as a restore does).
    native_key_provider restored(p.id(), "kp", p.key_for_backup(), {}, true);
    auto find = [&](std::string_view id) -> std::optional<native_key_provider> {
        if (id == restored.id()) return restored;
        return std::nullopt;
    };
    const auto o = nvram::open(file, "vm-a", find, "file");
    tpm_t t2(vtpm::testing::seeded_crypto(9));
    REQUIRE_FALSE(t2.load_state(vtpm::byte_view{o.state.data(), o.state.size()}));
    t2.power_on();
    REQUIRE(vtpm::testing::run(t2, vtpm::testing::startup_command()).rc == 0);
    CHECK(ek::create(t2, ek::kind::ecc_p256).public_area == ek1.public_area);
}

namespace {
/// Records the commands it gets and answers each with TPM_RC_SUCCESS (or `fail_rc` for the
/// command code `fail_cc`), with an empty password-session response.
struct recording_tpm {
    std::vector<vtpm::bytes> commands;
    std::uint32_t fail_cc = 0, fail_rc = 0;
    std::size_t execute(std::span<const std::uint8_t> cmd, std::span<std::uint8_t> rsp, std::uint8_t = 0) {
        commands.emplace_back(cmd.begin(), cmd.end());
        const std::uint32_t cc = vtpm::load_be32(cmd.data() + 6);
        const std::uint32_t rc = cc == fail_cc ? fail_rc : 0;
        const vtpm::bytes ok{0x80, 0x02, 0, 0, 0, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0};
        const vtpm::bytes err{0x80, 0x01, 0, 0, 0, 0x0A, static_cast<std::uint8_t>(rc >> 24), static_cast<std::uint8_t>(rc >> 16),
                              static_cast<std::uint8_t>(rc >> 8), static_cast<std::uint8_t>(rc)};
        const auto& r = rc ? err : ok;
        std::copy(r.begin(), r.end(), rsp.begin());
        return r.size();
    }
};
} // namespace

TEST_CASE("EK certificates to NV: the command bytes, parsed by Python per Part 3", "[platform][ek]") {
    recording_tpm t;
    vtpm::bytes rsa(1500), ecc(600);
    for (std::size_t i = 0; i < rsa.size(); ++i) rsa[i] = static_cast<std::uint8_t>(i * 13);
    for (std::size_t i = 0; i < ecc.size(); ++i) ecc[i] = static_cast<std::uint8_t>(i * 7 + 1);
    ek::write_certificates_to_nv(t, {{ek::kind::rsa2048, rsa}, {ek::kind::ecc_p256, ecc}});
    std::string cmds = "[";
    for (const auto& c : t.commands) cmds += vtpm_test::hx(c) + ",";
    cmds += "]";
    const auto out = vtpm_test::python(
        "cmds = " + cmds + "\n"
        "# TPMA_NV bits (Part 2 §13.4): PPWRITE 0, WRITEDEFINE 13, PPREAD 16, OWNERREAD 17, AUTHREAD 18, NO_DA 25, PLATFORMCREATE 30\n"
        "attrs = sum(1 << b for b in (0, 13, 16, 17, 18, 25, 30))\n"
        "data = {}\n"
        "order = []\n"
        "for c in cmds:\n"
        "    tag, size, cc = int.from_bytes(c[0:2], 'big'), int.from_bytes(c[2:6], 'big'), int.from_bytes(c[6:10], 'big')\n"
        "    assert tag == 0x8002 and size == len(c)\n"
        "    nh = {0x12A: 1, 0x137: 2, 0x138: 2}[cc]\n"
        "    handles = [int.from_bytes(c[10+4*i:14+4*i], 'big') for i in range(nh)]\n"
        "    assert handles[0] == 0x4000000C  # TPM_RH_PLATFORM\n"
        "    p = 10 + 4 * nh\n"
        "    auth = int.from_bytes(c[p:p+4], 'big'); p += 4\n"
        "    assert c[p:p+auth] == bytes.fromhex('40000009' '0000' '01' '0000'), 'empty password session'\n"
        "    p += auth\n"
        "    if cc == 0x12A:\n"
        "        assert c[p:p+2] == b'\\0\\0'; p += 2  # auth: empty\n"
        "        n = int.from_bytes(c[p:p+2], 'big'); p += 2\n"
        "        pub = c[p:p+n]; assert p + n == len(c)\n"
        "        index = int.from_bytes(pub[0:4], 'big')\n"
        "        assert pub[4:6] == b'\\x00\\x0b' and int.from_bytes(pub[6:10], 'big') == attrs and pub[10:12] == b'\\0\\0'\n"
        "        data[index] = bytearray(int.from_bytes(pub[12:14], 'big')); assert len(pub) == 14\n"
        "        order.append(('define', index))\n"
        "    elif cc == 0x137:\n"
        "        n = int.from_bytes(c[p:p+2], 'big'); chunk = c[p+2:p+2+n]; p += 2 + n\n"
        "        off = int.from_bytes(c[p:p+2], 'big'); assert p + 2 == len(c) and n <= 1024\n"
        "        data[handles[1]][off:off+n] = chunk\n"
        "        order.append(('write', handles[1]))\n"
        "    else:\n"
        "        assert p == len(c); order.append(('lock', handles[1]))\n"
        "print(data[0x01C00002].hex(), data[0x01C0000A].hex(), order[0], order[-1], len(order))\n");
    CHECK(out == vtpm::to_hex(rsa) + " " + vtpm::to_hex(ecc) + " ('define', 29360130) ('lock', 29360138) 7");

    recording_tpm refusing;
    refusing.fail_cc = vtpm::cc::nv_define_space;
    refusing.fail_rc = 0x14C; // TPM_RC_NV_DEFINED
    try {
        ek::write_certificates_to_nv(refusing, {{ek::kind::ecc_p256, ecc}});
        FAIL("no error");
    } catch (const error& e) {
        CHECK(e.code() == errc::tpm_error);
        CHECK(std::string(e.what()).find("TPM2_NV_DefineSpace of NV index 0x01c0000a failed with TPM_RC 0x014c") != std::string::npos);
    }
    CHECK(refusing.commands.size() == 1);
}
