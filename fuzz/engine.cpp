// Whole-engine harness: a started TPM executes every command of the input in turn
// (see driver.hpp for the input format). Each response must be well formed.
#include "driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > vtpm::fuzz::max_input) return 0;
    auto t = vtpm::fuzz::started_tpm();
    vtpm::fuzz::splitter s{{data, size}};
    std::span<const std::uint8_t> cmd;
    std::uint8_t rsp[4096];
    unsigned locality = 0;
    while (s.next(cmd)) {
        auto n = t.execute(cmd, rsp, static_cast<std::uint8_t>(locality));
        vtpm::fuzz::check_response({rsp, n});
        locality = (locality + (cmd.empty() ? 0 : cmd[0])) % 5;
    }
    return 0;
}
