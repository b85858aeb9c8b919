// Engine harness with sessions and an object already there: before the input's commands run
// (engine's format: u16 length + command, repeated), the TPM has a storage primary key at
// 0x80000000 (empty authValue), an HMAC session at 0x02000000, a policy session at 0x03000001
// and a trial session at 0x03000002, all unsalted and unbound with SHA-256 and AES-128-CFB
// parameter encryption. Their session keys are empty, so with the empty authValues an empty
// HMAC authorizes: the fuzzer reaches policy assertions, policy checks at authorization time,
// parameter encryption and session flags without computing HMACs.
#include "driver.hpp"

namespace {

using namespace vtpm;

bytes start_session(std::uint8_t type) {
    return testing::command_builder(cc::start_auth_session)
        .handle(rh::null).handle(rh::null)
        .b2b(bytes(16, 0xA5)).b2b({}).u8(type)
        .u16(alg::aes).u16(128).u16(alg::cfb) // TPMT_SYM_DEF: AES-128-CFB
        .u16(alg::sha256)
        .build();
}

bytes create_primary_srk() {
    // TPM2B_SENSITIVE_CREATE (empty), TPM2B_PUBLIC: ECC P-256 restricted decrypt (storage) key.
    testing::command_builder pub(0);
    pub.u16(alg::ecc).u16(alg::sha256).u32(0x00030072).b2b({})
        .u16(alg::aes).u16(128).u16(alg::cfb) // symmetric
        .u16(alg::null)                       // scheme
        .u16(ecc_curve::nist_p256).u16(alg::null)
        .b2b({}).b2b({});                     // unique
    bytes p = pub.build();
    bytes params(p.begin() + 10, p.end());
    return testing::command_builder(cc::create_primary).handle(rh::owner).password()
        .u16(4).u16(0).u16(0).b2b(params).b2b({}).u32(0).build();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > vtpm::fuzz::max_input) return 0;
    auto t = fuzz::started_tpm();
    std::uint8_t rsp[4096];
    for (const auto& cmd : {create_primary_srk(), start_session(se::hmac), start_session(se::policy), start_session(se::trial)}) {
        auto n = t.execute(cmd, rsp);
        if (testing::response({rsp, n}).rc != 0) __builtin_trap(); // the set-up must work
    }
    fuzz::splitter s{{data, size}};
    std::span<const std::uint8_t> cmd;
    while (s.next(cmd)) {
        auto n = t.execute(cmd, rsp);
        fuzz::check_response({rsp, n});
    }
    return 0;
}
