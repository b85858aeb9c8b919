// vtpm-server: virtual TPM 2.0 instances for tpm2-tss (mssim and swtpm TCTIs), IBM TSS and QEMU.
// See --help and docs/server.md.
#include <cstdio>
#include <exception>

#include "options.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    vtpm_server::options opt;
    if (auto err = vtpm_server::parse_options(argc, argv, opt)) {
        std::fprintf(stderr, "vtpm-server: %s\n", err->c_str());
        return 2;
    }
    if (opt.help) {
        std::fputs(vtpm_server::usage_text.data(), stdout);
        return 0;
    }
    try {
        vtpm_server::server s{std::move(opt)};
        s.start();
        return s.run();
    } catch (const vtpm_server::startup_error& e) {
        std::fprintf(stderr, "vtpm-server: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vtpm-server: unexpected error: %s\n", e.what());
        return 1;
    }
}
