// The independent oracle of the unit tests: Debian's /usr/bin/python3 (hashlib, hmac and
// python3-cryptography) and the openssl command line. Tests compute expected values with these,
// never with the library's own code.
#pragma once
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <vtpm/core/bytes.hpp>

namespace vtpm_test {

/// Run a Python 3 script (warnings off); return its standard output without the trailing
/// newline. A failing script fails the test, with its output (stderr included) in the report.
inline std::string python(const std::string& script) {
    char path[] = "/tmp/vtpm_oracle_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size()));
    close(fd);
    std::string out;
    int status = -1;
    if (FILE* p = popen(("/usr/bin/python3 -W ignore " + std::string(path) + " 2>&1").c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        status = pclose(p);
    }
    std::remove(path);
    INFO(out);
    REQUIRE(status == 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

/// A Python bytes literal of some bytes.
inline std::string hx(vtpm::byte_view b) { return "bytes.fromhex('" + vtpm::to_hex(b) + "')"; }

/// Python definitions: KDFa (Part 1 §11.4.10.2), KDFe (§11.4.10.3) and object Names.
inline const std::string py_prelude = R"(
import hashlib, hmac
def kdfa(h, key, label, cu, cv, bits):
    out = b''
    i = 1
    while len(out) * 8 < bits:
        out += hmac.new(key, i.to_bytes(4, 'big') + label + b'\0' + cu + cv + bits.to_bytes(4, 'big'), h).digest()
        i += 1
    return out[:(bits + 7) // 8]
def kdfe(h, z, label, pu, pv, bits):
    out = b''
    i = 1
    while len(out) * 8 < bits:
        out += hashlib.new(h, i.to_bytes(4, 'big') + z + label + b'\0' + pu + pv).digest()
        i += 1
    return out[:(bits + 7) // 8]
def name(h, pub):
    return {'sha256': b'\x00\x0b', 'sha384': b'\x00\x0c', 'sha1': b'\x00\x04', 'sha512': b'\x00\x0d'}[h] + hashlib.new(h, pub).digest()
)";

} // namespace vtpm_test
