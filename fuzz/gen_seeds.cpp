// Generates, from the command table, one engine seed per command and the libFuzzer
// dictionary: gen_seeds <seed-dir> <dictionary-file>.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <vtpm/commands/table.hpp>
#include <vtpm/testing/command.hpp>

namespace {

using namespace vtpm;

template <class T>
struct sample_handle {
    static constexpr tpm_handle value = rh::owner;
};
template <bool N>
struct sample_handle<tpmi_dh_pcr<N>> {
    static constexpr tpm_handle value = 16;
};
template <bool N>
struct sample_handle<tpmi_dh_object<N>> {
    static constexpr tpm_handle value = hr::transient_first;
};
template <>
struct sample_handle<tpmi_rh_platform> {
    static constexpr tpm_handle value = rh::platform;
};

template <class D>
bytes seed_for() {
    testing::command_builder b{D::code};
    bool auth = false;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (b.handle(sample_handle<std::tuple_element_t<I, typename D::handles::types>>::value), ...);
    }(std::make_index_sequence<D::handles::size>{});
    for (auto r : D::handles::roles) auth = auth || r != cmd::auth_role::none;
    if (auth) b.password();
    typename D::request req{};
    std::vector<std::uint8_t> buf(8192);
    writer w{buf};
    marshal(w, req);
    b.raw(w.written());
    return b.build();
}

void write_file(const std::filesystem::path& p, const bytes& cmd) {
    std::ofstream f(p, std::ios::binary);
    std::uint8_t len[2] = {static_cast<std::uint8_t>(cmd.size() >> 8), static_cast<std::uint8_t>(cmd.size())};
    f.write(reinterpret_cast<const char*>(len), 2);
    f.write(reinterpret_cast<const char*>(cmd.data()), static_cast<std::streamsize>(cmd.size()));
}

std::string dict_entry(std::uint32_t v, int bytes_) {
    std::string s = "\"";
    char buf[8];
    for (int i = bytes_ - 1; i >= 0; --i) {
        std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>((v >> (8 * i)) & 0xFF));
        s += buf;
    }
    return s + "\"";
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: gen_seeds <seed-dir> <dictionary-file>\n");
        return 2;
    }
    std::filesystem::path dir{argv[1]};
    std::filesystem::create_directories(dir);
    std::ofstream dict(argv[2]);
    std::set<std::string> seen;
    auto add = [&](const std::string& name, std::uint32_t v, int n) {
        auto e = dict_entry(v, n);
        if (seen.insert(e).second) dict << name << "=" << e << "\n";
    };
    add("tag_no_sessions", st::no_sessions, 2);
    add("tag_sessions", st::sessions, 2);
    add("rs_pw", rh::pw, 4);
    for (auto [n, h] : {std::pair{"rh_owner", rh::owner}, {"rh_null", rh::null}, {"rh_platform", rh::platform},
                        {"rh_endorsement", rh::endorsement}, {"rh_lockout", rh::lockout},
                        {"transient", hr::transient_first}})
        add(n, h, 4);
    for (auto [n, a] : {std::pair{"sha1", alg::sha1}, {"sha256", alg::sha256}, {"sha384", alg::sha384},
                        {"sha512", alg::sha512}, {"sm3", alg::sm3_256}, {"sha3_256", alg::sha3_256},
                        {"null", alg::null}})
        add(std::string("alg_") + n, a, 2);
    std::size_t count = 0;
    cmd::all::each([&](auto d) {
        using D = decltype(d);
        add(std::string("cc_") + std::string(D::name), D::code, 4);
        write_file(dir / (std::string(D::name) + ".bin"), seed_for<D>());
        ++count;
    });
    std::printf("%zu seeds, %zu dictionary entries\n", count, seen.size());
    return 0;
}
