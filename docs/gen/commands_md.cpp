// Writes docs/commands.md from the command table and the ready-made profiles:
//   vtpm_gen_commands_md <spec-commands.csv|-> <output>
// The CSV (the spec's command list) adds the commands the library does not have yet.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <vtpm/commands/table.hpp>
#include <vtpm/config/profiles/default.hpp>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: vtpm_gen_commands_md <commands.csv|-> <output>\n");
        return 2;
    }
    using namespace vtpm;
    struct row { std::string name; bool implemented = false; std::string section; };
    std::map<std::uint32_t, row> rows;
    cmd::all::each([&](auto d) {
        using D = decltype(d);
        rows[D::code] = {std::string(D::name), true, {}};
    });
    std::size_t spec_total = 0;
    if (std::string(argv[1]) != "-") {
        std::ifstream csv(argv[1]);
        std::string line;
        std::getline(csv, line); // header
        while (std::getline(csv, line)) {
            std::stringstream ss(line);
            std::string name, code, section;
            std::getline(ss, name, ',');
            std::getline(ss, code, ',');
            std::getline(ss, section, ',');
            if (code.empty()) continue;
            auto c = static_cast<std::uint32_t>(std::stoul(code, nullptr, 16));
            if (c > cc::last) continue;
            ++spec_total;
            auto& r = rows[c];
            if (r.name.empty()) r.name = name;
            else if (r.name != name && r.name.find(name) == std::string::npos && !r.implemented) r.name += " / " + name;
            r.section = section;
        }
    }
    std::ofstream out(argv[2]);
    std::size_t impl = 0;
    for (auto& [c, r] : rows) impl += r.implemented;
    out << "# Commands\n\n"
           "Generated from `include/vtpm/commands/table.hpp` and the ready-made profiles by the\n"
           "`vtpm_gen_commands_md` target; do not edit by hand.\n\n"
        << impl << " commands implemented.\n\n"
        << "| code | command | Part 3 § | implemented | full | pc_client | minimal |\n"
           "|---|---|---|---|---|---|---|\n";
    auto yes = [](bool b) { return b ? "yes" : ""; };
    for (auto& [c, r] : rows) {
        char code[16];
        std::snprintf(code, sizeof code, "0x%08X", c);
        out << "| " << code << " | " << r.name << " | " << r.section << " | " << yes(r.implemented) << " | "
            << yes(r.implemented && config::profiles::full.has_command(c)) << " | "
            << yes(r.implemented && config::profiles::pc_client.has_command(c)) << " | "
            << yes(r.implemented && config::profiles::minimal.has_command(c)) << " |\n";
    }
    return 0;
}
