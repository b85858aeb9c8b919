// Tests for vtpm/transport/framing.hpp: the shared encoders and the small buffers the parsers
// are built from.
#include <catch2/catch.hpp>

#include <cstdint>

#include "vtpm/transport/framing.hpp"

using namespace vtpm;
using namespace vtpm::transport;

TEST_CASE("framing: big-endian encoders", "[transport]") {
    CHECK(to_hex(encode_u32(0)) == "00000000");
    CHECK(to_hex(encode_u32(0x0102a0ff)) == "0102a0ff");
    bytes b;
    append_be64(b, 0x000000000000ffffu);
    append_be32(b, 8);
    CHECK(to_hex(b) == "000000000000ffff00000008");
}

TEST_CASE("framing: size-prefixed response and TPM error response", "[transport]") {
    const bytes rsp{0x80, 0x01, 0, 0, 0, 0x0a, 0, 0, 0x01, 0x00};
    CHECK(to_hex(encode_send_command_response(rsp)) == "0000000a" "80010000000a00000100" "00000000");
    CHECK(to_hex(encode_send_command_response({})) == "0000000000000000");
    // Part 2: TPM_ST_NO_SESSIONS = 0x8001; TPM_RC_FAILURE = 0x101; TPM_RC_COMMAND_SIZE = 0x142.
    CHECK(to_hex(encode_tpm_error_response(rc::failure)) == "80010000000a00000101");
    CHECK(to_hex(encode_tpm_error_response(rc::command_size)) == "80010000000a00000142");
}

TEST_CASE("framing: every error kind is described", "[transport]") {
    for (auto k : {error_kind::length_too_large, error_kind::length_too_small, error_kind::bad_client_version})
        CHECK(describe(k) != describe(static_cast<error_kind>(0xff)));
}

TEST_CASE("framing: head_buffer collects, extends and drops", "[transport]") {
    transport::detail::head_buffer h;
    h.expect(4);
    const bytes in{0, 0, 0, 8, 2, 0, 0, 0, 12};
    CHECK(h.fill(byte_view(in).first(3)) == 3);
    CHECK_FALSE(h.full());
    CHECK(h.fill(byte_view(in).subspan(3)) == 1);  // takes only what the header needs
    REQUIRE(h.full());
    CHECK(h.u32(0) == 8);
    CHECK(h.u32(1) == 0);  // out of range reads are 0, never past the collected bytes
    h.extend(9);
    CHECK(h.fill(byte_view(in).subspan(4)) == 5);
    CHECK(h.full());
    CHECK(h.u8(4) == 2);
    CHECK(h.u32(5) == 12);
    h.drop_front(8);
    CHECK(h.size() == 1);
    CHECK(h.u8(0) == 12);
    h.expect(100);  // clamped to the capacity
    CHECK(h.fill(bytes(40)) == transport::detail::head_buffer::capacity);
}

TEST_CASE("framing: body_buffer keeps a prefix and hands out its bytes once", "[transport]") {
    transport::detail::body_buffer b;
    const bytes head{1, 2, 3};
    b.expect(5, head);
    CHECK(b.size() == 3);
    CHECK(b.fill(bytes{4, 5, 6, 7}) == 2);
    REQUIRE(b.full());
    CHECK(b.take() == bytes{1, 2, 3, 4, 5});
    CHECK(b.size() == 0);
}
