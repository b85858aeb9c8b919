// Golden state files: tests/data/*.vtpmstate were written by earlier versions of vtpm and
// must load in every later one, with everything they hold. A state whose format needs a newer
// reader is refused with a clear message, never misread; so is a state of a TPM whose PCR
// banks differ.
//
// tests/data/state-v1.vtpmstate was written by the hidden test case "[.generate-golden]"
// below (build/bin/vtpm_tests "[.generate-golden]" writes a new one into the current
// directory): a TPM after TPM2_Shutdown(STATE) with an ownerAuth, an ordinary NV index, a
// counter, a persistent ECC primary key, PCR 7 extended and DA parameters. New versions add
// their own golden files next to it; the old ones stay.
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
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

const bytes owner_auth{'g', 'o', 'l', 'd', 'e', 'n', '-', 'o', 'w', 'n', 'e', 'r'};
const bytes nv_data{'g', 'o', 'l', 'd', 'e', 'n', ' ', 'n', 'v', ' ', 'd', 'a', 't', 'a', '!', '!'};
constexpr tpm_handle nv_ordinary = 0x01500001, nv_counter = 0x01500002, persistent_key = 0x81000001;

bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    REQUIRE(f.good());
    return bytes(std::istreambuf_iterator<char>(f), {});
}
/// tests/data/NAME, found from this file's path (tests/engine/).
std::string data_path(const std::string& name) {
    std::string f = __FILE__;
    f.erase(f.find_last_of('/'));
    f.erase(f.find_last_of('/') + 1);
    return f + "data/" + name;
}

bytes params_of(const command_builder& b) {
    bytes x = b.build();
    return bytes(x.begin() + 10, x.end());
}

bytes create_primary_cmd() {
    command_builder pub(0);
    pub.u16(alg::ecc).u16(alg::sha256).u32(0x00040072).b2b({}) // fixedTPM|fixedParent|sdo|userWithAuth|sign
        .u16(alg::null).u16(alg::null).u16(ecc_curve::nist_p256).u16(alg::null).b2b({}).b2b({});
    return command_builder(cc::create_primary).handle(rh::owner).password(owner_auth)
        .u16(4).u16(0).u16(0).b2b(params_of(pub)).b2b({}).u32(0).build();
}

bytes nv_public(tpm_handle index, std::uint32_t attrs, std::uint16_t size) {
    command_builder b(0);
    b.u32(index).u16(alg::sha256).u32(attrs).b2b({}).u16(size);
    return params_of(b);
}

bytes nv_read_cmd(tpm_handle index, std::uint16_t size) {
    return command_builder(cc::nv_read).handle(index).handle(index).password().u16(size).u16(0).build();
}

std::uint32_t property(tpm_t& t, std::uint32_t pt) {
    auto r = run(t, command_builder(cc::get_capability).u32(cap::tpm_properties).u32(pt).u32(1).build());
    REQUIRE(r.rc == 0);
    r.u8();
    r.u32();
    REQUIRE(r.u32() == 1);
    REQUIRE(r.u32() == pt);
    return r.u32();
}

bytes name_of_primary(testing::response& r) {
    r.u32(); // handle
    r.parameter_size();
    r.b2b();
    r.b2b();
    r.b2b();
    r.u16();
    r.u32();
    r.b2b();
    return r.b2b();
}

} // namespace

TEST_CASE("Golden state: write one (run by hand: vtpm_tests \"[.generate-golden]\")", "[.generate-golden]") {
    tpm_t t{testing::seeded_crypto(7)};
    t.manufacture();
    t.power_on();
    REQUIRE(run(t, testing::startup_command()).rc == 0);
    REQUIRE(run(t, command_builder(cc::hierarchy_change_auth).handle(rh::owner).password().b2b(owner_auth).build()).rc == 0);
    // AUTHWRITE | AUTHREAD | NO_DA, ordinary; the counter adds TPM_NT_COUNTER.
    REQUIRE(run(t, command_builder(cc::nv_define_space).handle(rh::owner).password(owner_auth).b2b({})
                       .b2b(nv_public(nv_ordinary, 0x02040004, 16)).build()).rc == 0);
    REQUIRE(run(t, command_builder(cc::nv_write).handle(nv_ordinary).handle(nv_ordinary).password().b2b(nv_data).u16(0).build()).rc == 0);
    REQUIRE(run(t, command_builder(cc::nv_define_space).handle(rh::owner).password(owner_auth).b2b({})
                       .b2b(nv_public(nv_counter, 0x02040014, 8)).build()).rc == 0);
    for (int i = 0; i < 3; ++i)
        REQUIRE(run(t, command_builder(cc::nv_increment).handle(nv_counter).handle(nv_counter).password().build()).rc == 0);
    auto p = run(t, create_primary_cmd());
    REQUIRE(p.rc == 0);
    const tpm_handle h = p.u32();
    REQUIRE(run(t, command_builder(cc::evict_control).handle(rh::owner).handle(h).password(owner_auth).u32(persistent_key).build()).rc == 0);
    REQUIRE(run(t, command_builder(cc::dictionary_attack_parameters).handle(rh::lockout).password().u32(5).u32(100).u32(200).build()).rc == 0);
    REQUIRE(run(t, command_builder(cc::pcr_extend).handle(7).password().u32(1).u16(alg::sha256).raw(bytes(32, 0xAB)).build()).rc == 0);
    REQUIRE(run(t, command_builder(cc::shutdown).u16(su::state).build()).rc == 0);
    t.power_off();
    const auto st = t.save_state();
    std::ofstream("state-new.vtpmstate", std::ios::binary).write(reinterpret_cast<const char*>(st.data()),
                                                                 static_cast<std::streamsize>(st.size()));
}

TEST_CASE("Golden state v1: loads with everything it holds", "[state][golden]") {
    const auto st = read_file(data_path("state-v1.vtpmstate"));
    tpm_t t{testing::seeded_crypto(1)};
    const auto err = t.load_state(st);
    INFO(err.value_or(""));
    REQUIRE(!err);
    t.power_on();
    // It was saved after Shutdown(STATE): a TPM Resume.
    REQUIRE(run(t, testing::startup_command(su::state)).rc == 0);
    // PCR 7 (kept by Shutdown(STATE)) = SHA-256(0^32 || AB^32).
    auto pr = run(t, command_builder(cc::pcr_read).u32(1).u16(alg::sha256).u8(3).u8(0x80).u8(0).u8(0).build());
    REQUIRE(pr.rc == 0);
    pr.u32();
    pr.take(4 + 2 + 1 + 3);
    REQUIRE(pr.u32() == 1);
    CHECK(to_hex(pr.b2b()) == python("import hashlib\nprint(hashlib.sha256(bytes(32) + bytes([0xAB] * 32)).hexdigest())"));
    // NV: the ordinary index and the counter.
    auto r1 = run(t, nv_read_cmd(nv_ordinary, 16));
    REQUIRE(r1.rc == 0);
    r1.parameter_size();
    CHECK(r1.b2b() == nv_data);
    auto r2 = run(t, nv_read_cmd(nv_counter, 8));
    REQUIRE(r2.rc == 0);
    r2.parameter_size();
    const auto c = r2.b2b();
    REQUIRE(c.size() == 8);
    CHECK(load_be64(c.data()) == 3);
    // The persistent key is the primary the same template gives under the same seed (so the
    // seeds and the ownerAuth came back too).
    auto rp = run(t, command_builder(cc::read_public).handle(persistent_key).build());
    REQUIRE(rp.rc == 0);
    const auto pub = rp.b2b();
    const auto name = rp.b2b();
    CHECK(to_hex(name) == python(vtpm_test::py_prelude + "print(name('sha256', " + hx(pub) + ").hex())"));
    auto cp = run(t, create_primary_cmd());
    REQUIRE(cp.rc == 0);
    CHECK(name_of_primary(cp) == name);
    // Dictionary-attack parameters.
    CHECK(property(t, pt::max_auth_fail) == 5);
    CHECK(property(t, pt::lockout_interval) == 100);
    CHECK(property(t, pt::lockout_recovery) == 200);
}

TEST_CASE("Golden state: a format that needs a newer reader is refused, never misread", "[state][golden]") {
    auto st = read_file(data_path("state-v1.vtpmstate"));
    // min reader version (bytes 10-11) := 0x7FFF, checksum recomputed by Python.
    const auto fixed = from_hex(python("import hashlib\nb = bytearray(" + hx(st) + ")\n"
                                       "b[10:12] = (0x7FFF).to_bytes(2, 'big')\n"
                                       "b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()\n"
                                       "print(bytes(b).hex())"));
    tpm_t t{testing::seeded_crypto(1)};
    const auto err = t.load_state(fixed);
    REQUIRE(err);
    CHECK(err->find("upgrade vtpm") != std::string::npos);
    // A flipped byte: the checksum catches it.
    st[st.size() / 2] ^= 1;
    const auto err2 = t.load_state(st);
    REQUIRE(err2);
    CHECK(err2->find("corrupt") != std::string::npos);
}

TEST_CASE("Golden state: a TPM with other PCR banks refuses it", "[state][golden]") {
    const auto st = read_file(data_path("state-v1.vtpmstate"));
    tpm<testing::deterministic_platform<config::profiles::minimal>> m{testing::seeded_crypto(1)};
    const auto err = m.load_state(st);
    REQUIRE(err);
    CHECK(err->find("another profile") != std::string::npos);
}
