// The state loader: any bytes given to tpm::load_state are refused with a message or give a
// TPM that powers on, starts and answers commands. A state that loads must save back to a
// state that loads.
//
// Input: one flag byte, then the state. With the flag's low bit set the harness rewrites the
// trailing SHA-256 so that mutated states get past the checksum and reach the block parser.
#include <array>
#include <vector>

#include "driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > 64 * 1024) return 0;
    using namespace vtpm;
    std::vector<std::uint8_t> st(data + 1, data + size);
    fuzz::tpm_t t{testing::seeded_crypto()};
    if ((data[0] & 1) && st.size() >= 32) {
        std::array<std::uint8_t, 32> sum{};
        auto c = testing::seeded_crypto();
        c.hash(alg::sha256, byte_view{st.data(), st.size() - 32}, sum);
        std::copy(sum.begin(), sum.end(), st.end() - 32);
    }
    if (t.load_state(st)) return 0; // refused, with a message
    t.power_on();
    std::uint8_t rsp[4096];
    for (auto cmd : {testing::startup_command(su::state), testing::startup_command(su::clear),
                     testing::command_builder(cc::get_random).u16(16).build(),
                     testing::command_builder(cc::pcr_read).u32(1).u16(alg::sha256).u8(3).u8(0xFF).u8(0xFF).u8(0xFF).build(),
                     testing::command_builder(cc::get_capability).u32(cap::tpm_properties).u32(pt::pt_var).u32(64).build(),
                     testing::command_builder(cc::shutdown).u16(su::state).build()}) {
        auto n = t.execute(cmd, rsp);
        fuzz::check_response({rsp, n});
    }
    t.power_off();
    const auto again = t.save_state();
    fuzz::tpm_t u{testing::seeded_crypto()};
    if (u.load_state(again)) __builtin_trap(); // what was saved must load
    return 0;
}
