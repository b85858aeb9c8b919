#include <catch2/catch.hpp>

#include <vtpm/commands/table.hpp>
#include <vtpm/types/structures.hpp>

using namespace vtpm;

namespace {
template <class T>
rc parse(std::initializer_list<std::uint8_t> in, T& v) {
    bytes b(in);
    return unmarshal_exact(b, v);
}
template <class T>
bytes emit(const T& v) {
    bytes out(8192);
    writer w{out};
    marshal(w, v);
    out.resize(w.size());
    return out;
}
} // namespace

TEST_CASE("integers are big-endian; short input is TPM_RC_INSUFFICIENT", "[marshal]") {
    std::uint32_t v = 0;
    CHECK(parse({0x12, 0x34, 0x56, 0x78}, v) == rc::success);
    CHECK(v == 0x12345678);
    CHECK(parse({0x12, 0x34, 0x56}, v) == rc::insufficient);
    CHECK(parse({1, 2, 3, 4, 5}, v) == rc::size); // trailing byte
    CHECK(emit(std::uint16_t{0xBEEF}) == bytes{0xBE, 0xEF});
}

TEST_CASE("TPM2B: size above the maximum is TPM_RC_SIZE", "[marshal]") {
    tpm2b<4> b;
    CHECK(parse({0, 4, 1, 2, 3, 4}, b) == rc::success);
    CHECK(b.size == 4);
    CHECK(parse({0, 5, 1, 2, 3, 4, 5}, b) == rc::size);
    CHECK(parse({0, 3, 1, 2}, b) == rc::insufficient);
    CHECK(emit(b) == bytes{0, 4, 1, 2, 3, 4});
}

TEST_CASE("TPML: count above the maximum is TPM_RC_SIZE", "[marshal]") {
    tpml<std::uint16_t, 2> l;
    CHECK(parse({0, 0, 0, 2, 0, 1, 0, 2}, l) == rc::success);
    CHECK(l.count == 2);
    CHECK(parse({0, 0, 0, 3, 0, 1, 0, 2, 0, 3}, l) == rc::size);
}

TEST_CASE("TPMI: values outside the set and the NULL option", "[marshal]") {
    tpmi_alg_hash<false> h;
    CHECK(parse({0x00, 0x0B}, h) == rc::success);
    CHECK(parse({0x00, 0x10}, h) == rc::hash); // NULL without "+"
    CHECK(parse({0x00, 0x06}, h) == rc::hash); // AES is not a hash
    tpmi_alg_hash<true> hn;
    CHECK(parse({0x00, 0x10}, hn) == rc::success);
    CHECK(hn.is_null());
    tpmi_yes_no yn;
    CHECK(parse({1}, yn) == rc::success);
    CHECK(parse({2}, yn) == rc::value);
    tpmi_st_command_tag tag;
    CHECK(parse({0x80, 0x02}, tag) == rc::success);
    CHECK(parse({0x80, 0x03}, tag) == rc::bad_tag);
}

TEST_CASE("TPMI alg sets follow the unmarshal context", "[marshal]") {
    unmarshal_context ctx;
    ctx.alg_enabled = [](const void*, tpm_alg_id a) { return a == alg::sha256; };
    tpmi_alg_hash<false> h;
    bytes sha1{0x00, 0x04}, sha256{0x00, 0x0B};
    CHECK(unmarshal_exact(sha256, h, &ctx) == rc::success);
    CHECK(unmarshal_exact(sha1, h, &ctx) == rc::hash);
}

TEST_CASE("TPMA: reserved bits are TPM_RC_RESERVED_BITS", "[marshal]") {
    tpma_session_t s;
    CHECK(parse({0x01}, s) == rc::success);
    CHECK(parse({0x08}, s) == rc::reserved_bits);
    tpma_object o;
    CHECK(parse({0x00, 0x03, 0x04, 0x72}, o) == rc::success);
    CHECK(parse({0x00, 0x03, 0x04, 0x73}, o) == rc::reserved_bits);
}

TEST_CASE("TPMT_HA: the digest size follows the algorithm", "[marshal]") {
    tpmt_ha ha;
    bytes in{0x00, 0x04};
    in.resize(2 + 20, 0xAA);
    CHECK(unmarshal_exact(in, ha) == rc::success);
    CHECK(ha.digest_size() == 20);
    CHECK(emit(ha) == in);
    in.pop_back();
    CHECK(unmarshal_exact(in, ha) == rc::insufficient);
}

TEST_CASE("TPMS_PCR_SELECTION: sizeofSelect range is TPM_RC_VALUE", "[marshal]") {
    tpms_pcr_selection s;
    CHECK(parse({0x00, 0x0B, 3, 0xFF, 0x00, 0x01}, s) == rc::success);
    CHECK(s.selected(0));
    CHECK(s.selected(16));
    CHECK_FALSE(s.selected(8));
    CHECK(parse({0x00, 0x0B, 4, 0, 0, 0, 0}, s) == rc::value);
    CHECK(parse({0x00, 0x0B, 2, 0, 0}, s) == rc::value);
}

TEST_CASE("TPMU: the member is selected by its sibling", "[marshal]") {
    tpms_capability_data d;
    d.capability = cap::tpm_properties;
    auto& props = d.data.emplace<cap::tpm_properties>();
    props.push_back({pt::pcr_count, 24});
    CHECK(emit(d) == bytes{0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 1, 0x12, 0, 0, 0, 24});
    tpms_capability_data back;
    CHECK(unmarshal_exact(emit(d), back) == rc::success);
    REQUIRE(back.data.get<cap::tpm_properties>() != nullptr);
    CHECK(back.data.get<cap::tpm_properties>()->items[0].value == 24);
    CHECK(back.data.get<cap::algs>() == nullptr);
    bytes bad{0, 0, 0, 0x55, 0, 0, 0, 0};
    CHECK(unmarshal_exact(bad, back) == rc::selector);
}

TEST_CASE("command parameters carry their position in the RC", "[marshal]") {
    cmd::hash::request req;
    // data (TPM2B) ok, hashAlg = AES (bad), hierarchy ...
    bytes in{0, 1, 0xAB, 0x00, 0x06, 0x40, 0x00, 0x00, 0x07};
    reader r{in};
    CHECK(cmd::unmarshal_params(r, req) == rc::hash.for_param(2));
    bytes in2{0, 1, 0xAB, 0x00, 0x0B, 0x40, 0x00, 0x00, 0x09};
    reader r2{in2};
    CHECK(cmd::unmarshal_params(r2, req) == rc::value.for_param(3));
    bytes in3{0, 1, 0xAB, 0x00, 0x0B, 0x40, 0x00, 0x00, 0x07, 0x00};
    reader r3{in3};
    CHECK(cmd::unmarshal_params(r3, req) == rc::size);
}

TEST_CASE("TPMA_CC words derive from the descriptors (Part 2 §8.9)", "[marshal]") {
    CHECK(cmd::tpma_cc_of<cmd::startup>() == 0x00400144);
    CHECK(cmd::tpma_cc_of<cmd::pcr_extend>() == 0x02400182);
    CHECK(cmd::tpma_cc_of<cmd::hash_sequence_start>() == 0x10000186);
    CHECK(cmd::tpma_cc_of<cmd::event_sequence_complete>() == 0x05400185);
    CHECK(cmd::tpma_cc_of<cmd::sequence_complete>() == 0x0300013E);
    CHECK(cmd::tpma_cc_of<cmd::flush_context>() == 0x00000165);
}
