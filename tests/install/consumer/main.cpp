// A consumer of the installed package: runs TPM2_Startup and TPM2_GetRandom in-process.
#include <vtpm/vtpm.hpp>
#include <vtpm/platforms/botan_memory.hpp>

#include <array>
#include <cstdio>

int main() {
    vtpm::tpm<vtpm::platforms::botan_memory> tpm;
    tpm.manufacture();
    tpm.power_on();
    std::array<std::uint8_t, 4096> rsp{};
    const std::uint8_t startup[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0};
    auto n = tpm.execute(startup, rsp);
    if (n != 10 || rsp[9] != 0) return 1;
    const std::uint8_t getrandom[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8};
    n = tpm.execute(getrandom, rsp);
    if (n != 20 || rsp[9] != 0 || rsp[11] != 8) return 2;
    std::puts("consumer ok");
    return 0;
}
