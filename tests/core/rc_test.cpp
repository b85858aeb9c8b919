#include <catch2/catch.hpp>

#include <vtpm/core/bytes.hpp>
#include <vtpm/core/rc.hpp>
#include <vtpm/core/result.hpp>

using vtpm::rc;

TEST_CASE("rc values and decoration follow Part 2 §6.6", "[core]") {
    CHECK(rc::initialize.code() == 0x100);
    CHECK(rc::command_code.code() == 0x143);
    CHECK(rc::value.code() == 0x084);
    CHECK(rc::auth_missing.code() == 0x125);
    CHECK(rc::object_memory.code() == 0x902);
    CHECK(rc::reference_h0.code() == 0x910);
    // TPM_RC_VALUE + TPM_RC_P + TPM_RC_1
    CHECK(rc::value.for_param(1).code() == 0x1C4);
    // TPM_RC_HASH + TPM_RC_P + TPM_RC_2
    CHECK(rc::hash.for_param(2).code() == 0x2C3);
    // TPM_RC_VALUE + TPM_RC_H + TPM_RC_1
    CHECK(rc::value.for_handle(1).code() == 0x184);
    // TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1
    CHECK(rc::bad_auth.for_session(1).code() == 0x9A2);
    // Format-zero codes carry no number.
    CHECK(rc::initialize.for_param(3) == rc::initialize);
    CHECK(rc::value.for_param(5).base() == rc::value);
    CHECK(rc::value.for_param(1).decorated());
    CHECK_FALSE(rc::value.decorated());
}

TEST_CASE("result holds a value or an rc", "[core]") {
    vtpm::result<int> a = 5;
    vtpm::result<int> b = rc::size;
    REQUIRE(a);
    CHECK(*a == 5);
    CHECK(a.error() == rc::success);
    CHECK_FALSE(b);
    CHECK(b.error() == rc::size);
}

TEST_CASE("byte helpers", "[core]") {
    const std::uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 3}, c[] = {1, 2, 4};
    CHECK(vtpm::ct_equal(a, b));
    CHECK_FALSE(vtpm::ct_equal(a, c));
    CHECK_FALSE(vtpm::ct_equal(a, vtpm::byte_view{b, 2}));
    CHECK(vtpm::to_hex(a) == "010203");
    bool ok = false;
    CHECK(vtpm::from_hex("0a 0B", &ok) == vtpm::bytes{0x0a, 0x0b});
    CHECK(ok);
    (void)vtpm::from_hex("0g", &ok);
    CHECK_FALSE(ok);
}
