// Engine harness across power cycles: commands, Shutdown(STATE), power off/on,
// Startup(STATE or CLEAR, chosen by the input's last byte), more commands. Checks the TPM always starts
// again after an orderly shutdown.
#include "driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > vtpm::fuzz::max_input) return 0;
    using namespace vtpm;
    auto t = fuzz::started_tpm();
    const bool resume = data[size - 1] & 1; // the last byte; the rest is in engine's format
    fuzz::splitter s{{data, size - 1}};
    std::span<const std::uint8_t> cmd;
    std::uint8_t rsp[4096];
    int phase = 0;
    while (s.next(cmd)) {
        auto n = t.execute(cmd, rsp);
        fuzz::check_response({rsp, n});
        if (++phase == 4) {
            // Shutdown(STATE) is refused only while a PCR_Allocate is pending (TPM_RC_TYPE + P1);
            // then the cycle goes through Shutdown(CLEAR) and Startup(CLEAR).
            auto sd = testing::command_builder(cc::shutdown).u16(su::state).build();
            n = t.execute(sd, rsp);
            auto rc = testing::response({rsp, n}).rc;
            bool state = rc == 0;
            if (rc == 0x1CA) {
                auto sc = testing::command_builder(cc::shutdown).u16(su::clear).build();
                n = t.execute(sc, rsp);
                rc = testing::response({rsp, n}).rc;
            }
            if (rc != 0) __builtin_trap();
            t.power_off();
            t.power_on();
            auto su_cmd = testing::startup_command(resume && state ? su::state : su::clear);
            n = t.execute(su_cmd, rsp);
            if (testing::response({rsp, n}).rc != 0) __builtin_trap();
        }
    }
    return 0;
}
