// A TPM in-process: manufacture, power on, and execute raw command bytes.
#include <array>
#include <cstdio>
#include <vtpm/platforms/botan_memory.hpp>
#include <vtpm/vtpm.hpp>

int main() {
    vtpm::tpm<vtpm::platforms::botan_memory> tpm;
    tpm.manufacture();  // fresh seeds
    tpm.power_on();     // _TPM_Init
    std::array<std::uint8_t, vtpm::max_response_size> rsp{};
    const std::uint8_t startup[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0};        // TPM2_Startup(CLEAR)
    const std::uint8_t get_random[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8};    // TPM2_GetRandom(8)
    for (auto cmd : {vtpm::byte_view{startup}, vtpm::byte_view{get_random}}) {
        const std::size_t n = tpm.execute(cmd, rsp);
        for (std::size_t i = 0; i < n; ++i) std::printf("%02x", rsp[i]);
        std::printf("\n");
        if (n < 10 || rsp[6] | rsp[7] | rsp[8] | rsp[9]) return 1;  // responseCode != TPM_RC_SUCCESS
    }
}
