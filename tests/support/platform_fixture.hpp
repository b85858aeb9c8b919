// Helpers of the platform tests (key providers, NVRAM files, EKs, VMs): a temporary directory,
// a shell command runner for the openssl command line, and the error code of a platform call.
#pragma once
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <vtpm/platform/error.hpp>

namespace vtpm_test {

/// A fresh directory under /tmp, removed with everything in it at scope exit.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        char t[] = "/tmp/vtpm_platform_XXXXXX";
        REQUIRE(mkdtemp(t));
        path = t;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

/// Run a shell command; its output (stderr included), and its wait status in *status.
inline std::string shell(const std::string& cmd, int* status = nullptr) {
    std::string out;
    int st = -1;
    if (FILE* p = popen((cmd + " 2>&1").c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        st = pclose(p);
    }
    if (status) *status = st;
    return out;
}

/// The code of the vtpm::platform::error f() throws (and its message in *msg), or errc{}.
template <class F>
vtpm::platform::errc code_of(F&& f, std::string* msg = nullptr) {
    try {
        f();
    } catch (const vtpm::platform::error& e) {
        if (msg) *msg = e.what();
        return e.code();
    }
    return vtpm::platform::errc{};
}

} // namespace vtpm_test
