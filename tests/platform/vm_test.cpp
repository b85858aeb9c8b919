// VM lifecycle on a host directory: adding and removing TPMs, copy and replace clones (a sealed
// object unseals in a copy and does not load in a replacement), migration between hosts, and
// refusals while the TPM is in use.
#include <catch2/catch.hpp>

#include <botan/auto_rng.h>
#include <filesystem>
#include <string>

#include <vtpm/vtpm.hpp>
#include <support/instance.hpp>
#include <vtpm/platform/vm.hpp>

#include "support/oracle.hpp"
#include "support/platform_fixture.hpp"

namespace fs = std::filesystem;
using namespace vtpm::platform;
using vtpm::testing::command_builder;
using vtpm::testing::run;

namespace {

using vtpm_test::temp_dir;
using vtpm_test::code_of;


vtpm::bytes hex(const char* s) { return vtpm::from_hex(s); }
// Owner storage key: ECC P-256, fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|decrypt, AES-128-CFB.
const auto srk_template = hex("0023000b00030072000000060080004300100003001000000000");
// Sealed data object: keyedhash, fixedTPM|fixedParent|userWithAuth, no scheme.
const auto seal_template = hex("0008000b0000005200000010" "0000");

std::uint32_t create_srk(vtpm::platform::vm_tpm& t) {
    auto r = run(t, command_builder(vtpm::cc::create_primary).handle(vtpm::rh::owner).password()
                        .b2b(hex("00000000")).b2b(srk_template).b2b({}).u32(0).build());
    REQUIRE(r.rc == 0);
    return r.u32();
}

struct sealed {
    vtpm::bytes priv, pub;
};
sealed seal(vtpm::platform::vm_tpm& t, vtpm::byte_view secret_data) {
    const auto srk = create_srk(t);
    vtpm::bytes sens{0, 0};
    sens.push_back(static_cast<std::uint8_t>(secret_data.size() >> 8));
    sens.push_back(static_cast<std::uint8_t>(secret_data.size()));
    sens.insert(sens.end(), secret_data.begin(), secret_data.end());
    auto r = run(t, command_builder(vtpm::cc::create).handle(srk).password().b2b(sens).b2b(seal_template).b2b({}).u32(0).build());
    REQUIRE(r.rc == 0);
    r.parameter_size();
    sealed s;
    s.priv = r.b2b();
    s.pub = r.b2b();
    run(t, command_builder(vtpm::cc::flush_context).u32(srk).build());
    return s;
}
/// Load and unseal; returns the TPM_RC of the first failing step and the data.
std::pair<std::uint32_t, vtpm::bytes> unseal(vtpm::platform::vm_tpm& t, const sealed& s) {
    const auto srk = create_srk(t);
    auto l = run(t, command_builder(vtpm::cc::load).handle(srk).password().b2b(s.priv).b2b(s.pub).build());
    if (l.rc != 0) return {l.rc, {}};
    const auto h = l.u32();
    auto u = run(t, command_builder(vtpm::cc::unseal).handle(h).password().build());
    if (u.rc != 0) return {u.rc, {}};
    u.parameter_size();
    return {0, u.b2b()};
}

struct fixture {
    temp_dir d;
    Botan::AutoSeeded_RNG rng;
    host h1{d.path / "host1", [] { return false; }};
    host h2{d.path / "host2", [] { return false; }};
    native_key_provider kp;
    fixture() : kp(h1.providers().create("kp", {}, rng)) {
        h1.providers().backup("kp", d.path / "kp.p12", "pw", rng);
    }
};

} // namespace

TEST_CASE("vm: adding a TPM needs a backed-up provider and the VM off", "[platform][vm]") {
    fixture f;
    auto& h = f.h1;
    h.providers().create("fresh", {}, f.rng);
    h.create_vm("vm1", f.rng);
    CHECK(code_of([&] { h.create_vm("vm1", f.rng); }) == errc::exists);
    CHECK(code_of([&] { h.create_vm("../x", f.rng); }) == errc::invalid_argument);
    std::string msg;
    CHECK(code_of([&] { h.add_tpm("vm1", "fresh", default_eks(), f.rng); }, &msg) == errc::provider_not_backed_up);
    CHECK(msg.find("has not been backed up") != std::string::npos);
    CHECK_FALSE(host::has_tpm(h.get_vm("vm1")));
    {
        vm_lock running(h.get_vm("vm1").dir, "vm1");
        CHECK(code_of([&] { h.add_tpm("vm1", "", default_eks(), f.rng); }, &msg) == errc::in_use);
        CHECK(msg.find("in use") != std::string::npos);
    }
    h.add_tpm("vm1", "", default_eks(), f.rng); // the default provider: kp
    const auto vm = h.get_vm("vm1");
    CHECK(host::has_tpm(vm));
    CHECK(vm.eks == default_eks());
    CHECK(h.tpm_header(vm).provider_id == f.kp.id());
    CHECK(h.tpm_header(vm).vm_id == vm.id);
    CHECK(code_of([&] { h.add_tpm("vm1", "", default_eks(), f.rng); }) == errc::exists);
    // The certificates on disk certify the EKs the TPM re-derives.
    for (const auto& e : h.eks(vm)) {
        Botan::X509_Certificate c(host::cert_path(vm, e.k).string());
        CHECK_NOTHROW(ek::check_certificate(c, e));
    }
    {
        vm_lock running(vm.dir, "vm1");
        CHECK(code_of([&] { h.remove_tpm("vm1"); }) == errc::in_use);
        CHECK(code_of([&] { h.remove_vm("vm1"); }) == errc::in_use);
    }
    h.remove_tpm("vm1");
    CHECK_FALSE(host::has_tpm(h.get_vm("vm1")));
    CHECK_FALSE(fs::exists(host::cert_path(vm, ek::kind::rsa2048)));
    h.remove_vm("vm1");
    CHECK(code_of([&] { (void)h.get_vm("vm1"); }) == errc::not_found);
}

TEST_CASE("vm: copy clone keeps the TPM, replace clone makes a new one", "[platform][vm]") {
    fixture f;
    auto& h = f.h1;
    h.create_vm("src", f.rng);
    h.add_tpm("src", "kp", {ek::kind::ecc_p256}, f.rng);
    auto src = h.get_vm("src");
    // A sealed object made in the source TPM; the state is saved back as a running VM would.
    const vtpm::bytes secret_data{'d', 'i', 's', 'k', '-', 'k', 'e', 'y'};
    sealed s;
    {
        auto t = h.start_tpm(src);
        s = seal(*t, secret_data);
        const auto before = h.open_tpm(src);
        h.save_tpm(src, *t, f.rng);
        const auto after = h.open_tpm(src);
        CHECK(vtpm::bytes(after.data_key.begin(), after.data_key.end()) == vtpm::bytes(before.data_key.begin(), before.data_key.end()));
        CHECK(after.hdr.nonce != before.hdr.nonce);
    }
    const auto src_ek = h.ek_of(src, ek::kind::ecc_p256);

    CHECK(h.default_clone_policy() == clone_policy::copy);
    auto copy = h.clone_vm("src", "copy", h.default_clone_policy(), f.rng);
    CHECK(copy.id != src.id);
    CHECK(h.tpm_header(copy).vm_id == copy.id);
    CHECK(h.ek_of(copy, ek::kind::ecc_p256).public_area == src_ek.public_area);
    CHECK(vtpm::platform::read_file(host::cert_path(copy, ek::kind::ecc_p256)) ==
          vtpm::platform::read_file(host::cert_path(src, ek::kind::ecc_p256)));
    {
        auto t = h.start_tpm(copy);
        const auto [rc, data] = unseal(*t, s);
        CHECK(rc == 0);
        CHECK(data == secret_data);
    }
    // The copy's file is its own: the source's file does not open as the copy.
    CHECK(code_of([&] { nvram::load(host::nvram_path(src), copy.id, h.finder()); }) == errc::other_vm);

    h.set_default_clone_policy(clone_policy::replace);
    CHECK(h.default_clone_policy() == clone_policy::replace);
    auto repl = h.clone_vm("src", "repl", h.default_clone_policy(), f.rng);
    CHECK(repl.eks == src.eks);
    const auto repl_ek = h.ek_of(repl, ek::kind::ecc_p256);
    CHECK(repl_ek.public_area != src_ek.public_area);
    Botan::X509_Certificate rc_cert(host::cert_path(repl, ek::kind::ecc_p256).string());
    CHECK_NOTHROW(ek::check_certificate(rc_cert, repl_ek));
    {
        auto t = h.start_tpm(repl);
        CHECK(unseal(*t, s).first != 0);
    }
    CHECK(code_of([&] { h.clone_vm("src", "copy", clone_policy::copy, f.rng); }) == errc::exists);
}

TEST_CASE("vm: migration needs the same provider on the target, or re-encryption", "[platform][vm]") {
    fixture f;
    f.h1.create_vm("m", f.rng);
    f.h1.add_tpm("m", "kp", {ek::kind::rsa2048}, f.rng);
    const auto before = f.h1.get_vm("m");
    const auto ek_before = f.h1.ek_of(before, ek::kind::rsa2048);
    const auto file_before = vtpm::platform::read_file(host::nvram_path(before));

    // Target without the provider: refused, source intact.
    std::string msg;
    CHECK(code_of([&] { f.h1.migrate_vm("m", f.h2, "", f.rng); }, &msg) == errc::provider_not_found);
    CHECK(msg.find(f.kp.id()) != std::string::npos);
    CHECK(vtpm::platform::read_file(host::nvram_path(before)) == file_before);
    CHECK(f.h2.list_vms().empty());
    // A different provider with the same id on the target: refused.
    host h3(f.d.path / "host3");
    h3.providers().save(native_key_provider(f.kp.id(), "kp", secret(32, 3), {}, true));
    CHECK(code_of([&] { f.h1.migrate_vm("m", h3, "", f.rng); }) == errc::wrong_provider);

    // The provider restored on the target from its backup: the file moves unchanged.
    f.h2.providers().restore(f.d.path / "kp.p12", "pw", {});
    const auto moved = f.h1.migrate_vm("m", f.h2, "", f.rng);
    CHECK(moved.id == before.id);
    CHECK(vtpm::platform::read_file(host::nvram_path(moved)) == file_before);
    CHECK(f.h2.ek_of(moved, ek::kind::rsa2048).public_area == ek_before.public_area);
    CHECK(f.h1.list_vms().empty());

    // Bridge: re-encrypt under another provider of the target.
    const auto other = h3.providers().create("other", {}, f.rng);
    h3.providers().remove(f.kp.id());
    const auto bridged = f.h2.migrate_vm("m", h3, "other", f.rng);
    CHECK(h3.tpm_header(bridged).provider_id == other.id());
    CHECK(h3.ek_of(bridged, ek::kind::rsa2048).public_area == ek_before.public_area);
}

TEST_CASE("vm: a session holds the lock and saves the running TPM's state", "[platform][vm]") {
    fixture f;
    f.h1.create_vm("s", f.rng);
    f.h1.add_tpm("s", "kp", {ek::kind::ecc_p256}, f.rng);
    const std::uint64_t new_clock = 987654321000ull;
    {
        auto session = f.h1.open_session("s");
        CHECK(code_of([&] { (void)f.h1.open_session("s"); }) == errc::in_use);
        CHECK(code_of([&] { f.h1.remove_tpm("s"); }) == errc::in_use);
        CHECK(code_of([&] { f.h1.migrate_vm("s", f.h2, "", f.rng); }) == errc::in_use);
        auto& t = session.tpm();
        CHECK_FALSE(t.powered());
        t.power_on();
        REQUIRE(run(t, vtpm::testing::startup_command()).rc == 0);
        REQUIRE(run(t, command_builder(vtpm::cc::clock_set).handle(vtpm::rh::owner).password().u64(new_clock).build()).rc == 0);
        session.save(f.rng);
    }
    // The saved state carries the new clock (TPMS_TIME_INFO: time, then clockInfo.clock).
    auto t = f.h1.start_tpm(f.h1.get_vm("s"));
    auto r = run(*t, command_builder(vtpm::cc::read_clock).build());
    REQUIRE(r.rc == 0);
    r.u64();
    CHECK(r.u64() >= new_clock);
    CHECK_NOTHROW(f.h1.remove_tpm("s"));
}
