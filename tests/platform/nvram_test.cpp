// Encrypted NVRAM files: the body is checked with python3-cryptography (RFC 3394 unwrap of the
// data key, AES-256-GCM with the header as associated data); every refusal has its own code.
#include <catch2/catch.hpp>

#include <botan/auto_rng.h>
#include <filesystem>
#include <map>
#include <string>

#include <vtpm/platform/nvram.hpp>

#include "support/oracle.hpp"

namespace fs = std::filesystem;
using namespace vtpm::platform;

namespace {

template <class F>
errc code_of(F&& f, std::string* msg = nullptr) {
    try {
        f();
    } catch (const error& e) {
        if (msg) *msg = e.what();
        return e.code();
    }
    return errc{};
}

struct host {
    std::map<std::string, native_key_provider, std::less<>> providers;
    auto finder() {
        return [this](std::string_view id) -> std::optional<native_key_provider> {
            auto it = providers.find(id);
            if (it == providers.end()) return std::nullopt;
            return it->second;
        };
    }
};

} // namespace

TEST_CASE("nvram: sealed state decrypts with an independent AES-GCM", "[platform][nvram]") {
    Botan::AutoSeeded_RNG rng;
    auto p = native_key_provider::generate("kp", {}, rng);
    p.mark_backed_up();
    vtpm::bytes state(3000);
    rng.randomize(state.data(), state.size());
    const auto dk = nvram::new_data_key(rng);
    const auto f = nvram::seal(p, "vm-1", dk, state, rng);
    const auto h = nvram::read_header(f, "f");
    CHECK(h.version == 1);
    CHECK(h.provider_id == p.id());
    CHECK(h.vm_id == "vm-1");
    CHECK(f.size() == h.body_offset + 4 + state.size() + 16);

    const auto plain = vtpm_test::python(
        "from cryptography.hazmat.primitives.keywrap import aes_key_unwrap\n"
        "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
        "f = " + vtpm_test::hx(f) + "\n"
        "kek = " + vtpm_test::hx(vtpm::bytes(p.key_for_backup().begin(), p.key_for_backup().end())) + "\n"
        "pos = 10\n"
        "def take(n):\n"
        "    global pos\n"
        "    b = f[pos:pos+n]; pos += n; return b\n"
        "def take16():\n"
        "    return take(int.from_bytes(take(2), 'big'))\n"
        "assert f[:8] == b'VTPMNVR\\0' and f[8:10] == b'\\x00\\x01'\n"
        "pid = take16(); vid = take16(); kcv = take(8); wrapped = take16(); nonce = take(12)\n"
        "assert vid == b'vm-1'\n"
        "ad = f[:pos]\n"
        "n = int.from_bytes(take(4), 'big')\n"
        "assert n == len(f) - pos\n"
        "dk = aes_key_unwrap(kek, wrapped)\n"
        "print(AESGCM(dk).decrypt(nonce, f[pos:], ad).hex())\n");
    CHECK(plain == vtpm::to_hex(state));

    host h1;
    h1.providers.emplace(p.id(), p);
    const auto o = nvram::open(f, "vm-1", h1.finder(), "f");
    CHECK(vtpm::bytes(o.state.begin(), o.state.end()) == state);
    CHECK(vtpm::bytes(o.data_key.begin(), o.data_key.end()) == vtpm::bytes(dk.begin(), dk.end()));
    // A second seal uses a new nonce.
    const auto f2 = nvram::seal(p, "vm-1", dk, state, rng);
    CHECK(f2 != f);
}

TEST_CASE("nvram: tampered, other VM, missing or wrong provider are distinct errors", "[platform][nvram]") {
    Botan::AutoSeeded_RNG rng;
    auto p = native_key_provider::generate("kp", {}, rng);
    const vtpm::bytes state(500, 0x42);
    const auto dk = nvram::new_data_key(rng);
    const auto f = nvram::seal(p, "vm-1", dk, state, rng);
    const auto h = nvram::read_header(f, "f");
    host good;
    good.providers.emplace(p.id(), p);
    std::string msg;

    // Any flipped bit of the body, the nonce, the wrapped key or the key check value: tampered.
    const std::size_t kcv_at = 10 + 2 + p.id().size() + 2 + 4;
    for (std::size_t at : {h.body_offset + 4, f.size() - 1, h.body_offset - 1, h.body_offset - nvram::nonce_size - 3, kcv_at, kcv_at + 7}) {
        INFO(at);
        auto t = f;
        t[at] ^= 0x01;
        CHECK(code_of([&] { nvram::open(t, "vm-1", good.finder(), "f"); }, &msg) == errc::tampered);
        CHECK(msg.find("integrity check") != std::string::npos);
    }
    CHECK(code_of([&] { nvram::open(f, "vm-2", good.finder(), "f"); }, &msg) == errc::other_vm);
    CHECK(msg.find("belongs to VM 'vm-1', not to VM 'vm-2'") != std::string::npos);
    // The VM id in the header is authenticated: renaming it makes the file another VM's,
    // and claiming it for that VM fails the integrity check.
    auto renamed = f;
    const auto vid_at = 10 + 2 + p.id().size() + 2;
    REQUIRE(renamed[vid_at + 3] == '1');
    renamed[vid_at + 3] = '2';
    CHECK(code_of([&] { nvram::open(renamed, "vm-2", good.finder(), "f"); }) == errc::tampered);

    host empty;
    CHECK(code_of([&] { nvram::open(f, "vm-1", empty.finder(), "f"); }, &msg) == errc::provider_not_found);
    CHECK(msg.find(p.id()) != std::string::npos);
    host impostor;
    impostor.providers.emplace(p.id(), native_key_provider(p.id(), "kp", secret(32, 9), {}, true));
    CHECK(code_of([&] { nvram::open(f, "vm-1", impostor.finder(), "f"); }) == errc::wrong_provider);
    host no_tpm;
    no_tpm.providers.emplace(p.id(), native_key_provider(p.id(), "kp", p.key_for_backup(), {.require_host_tpm = true}, true,
                                                        [] { return false; }));
    CHECK(code_of([&] { nvram::open(f, "vm-1", no_tpm.finder(), "f"); }, &msg) == errc::tpm_device_required);
    CHECK(msg.find("TPM2 Device is Required") != std::string::npos);

    // Malformed: truncated anywhere, trailing data, wrong magic, newer version.
    for (std::size_t cut = 0; cut < f.size(); cut += 7) {
        INFO(cut);
        CHECK(code_of([&] { nvram::open(vtpm::byte_view{f.data(), cut}, "vm-1", good.finder(), "f"); }) == errc::bad_format);
    }
    auto longer = f;
    longer.push_back(0);
    CHECK(code_of([&] { nvram::open(longer, "vm-1", good.finder(), "f"); }) == errc::bad_format);
    auto v2 = f;
    v2[9] = 2;
    CHECK(code_of([&] { nvram::open(v2, "vm-1", good.finder(), "f"); }, &msg) == errc::bad_format);
    CHECK(msg.find("format version 2") != std::string::npos);
    auto m = f;
    m[0] = 'X';
    CHECK(code_of([&] { nvram::open(m, "vm-1", good.finder(), "f"); }) == errc::bad_format);
}

TEST_CASE("nvram: files are written atomically with mode 0600", "[platform][nvram]") {
    char t[] = "/tmp/vtpm_nvram_XXXXXX";
    REQUIRE(mkdtemp(t));
    const fs::path dir = t;
    Botan::AutoSeeded_RNG rng;
    auto p = native_key_provider::generate("kp", {}, rng);
    const auto dk = nvram::new_data_key(rng);
    const auto path = dir / "tpm.nvram";
    nvram::store(path, p, "vm", dk, vtpm::bytes(10, 1), rng);
    nvram::store(path, p, "vm", dk, vtpm::bytes(20, 2), rng);
    CHECK_FALSE(fs::exists(dir / "tpm.nvram.tmp"));
    CHECK((fs::status(path).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    host h;
    h.providers.emplace(p.id(), p);
    const auto o = nvram::load(path, "vm", h.finder());
    CHECK(vtpm::bytes(o.state.begin(), o.state.end()) == vtpm::bytes(20, 2));
    CHECK(code_of([&] { nvram::load(dir / "missing", "vm", h.finder()); }) == errc::not_found);
    fs::remove_all(dir);
}

#include <vtpm/platform/pkcs12.hpp>

TEST_CASE("platform parsers: every damaged input is a platform::error", "[platform][nvram][pkcs12]") {
    Botan::AutoSeeded_RNG rng;
    auto p = native_key_provider::generate("kp", {}, rng);
    host h;
    h.providers.emplace(p.id(), p);
    const auto f = nvram::seal(p, "vm", nvram::new_data_key(rng), vtpm::bytes(64, 5), rng);
    const auto p12 = pkcs12::write({p.key_for_backup(), "kp", vtpm::bytes(p.id().begin(), p.id().end())}, "pw", rng, 1);
    const auto nkp = p.serialize();
    std::size_t other = 0;
    auto mutate = [&](const vtpm::bytes& in, auto&& parse) {
        for (std::size_t i = 0; i < in.size(); ++i)
            for (std::uint8_t x : {0x01, 0x80, 0xFF}) {
                auto m = in;
                m[i] ^= x;
                try {
                    parse(m);
                } catch (const error&) {
                } catch (...) {
                    ++other;
                }
            }
        for (std::size_t n = 0; n < in.size(); ++n) {
            try {
                parse(vtpm::bytes(in.begin(), in.begin() + static_cast<long>(n)));
            } catch (const error&) {
            } catch (...) {
                ++other;
            }
        }
    };
    mutate(f, [&](const vtpm::bytes& m) { (void)nvram::open(m, "vm", h.finder(), "f"); });
    mutate(p12, [&](const vtpm::bytes& m) { (void)pkcs12::read(m, "pw", "f"); });
    mutate(vtpm::bytes(nkp.begin(), nkp.end()), [&](const vtpm::bytes& m) { (void)native_key_provider::parse(m, "f"); });
    CHECK(other == 0);
}
