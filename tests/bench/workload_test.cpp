// The *.tpmw parser (../shared/bench/WORKLOAD.md): the shipped workloads parse, substitution
// rewrites commandSize, captures follow the documented forms, and malformed files fail with
// the line number.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "workload.hpp"

using namespace vtpm::bench;

namespace {
std::string error_of(const std::string& text) {
    try {
        (void)parse_workload(text, "t.tpmw");
    } catch (const workload_error& e) {
        return e.what();
    }
    return "no error";
}
byte_vector hex(const std::string& h) {
    byte_vector b;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
    return b;
}
} // namespace

TEST_CASE("the shipped workloads parse", "[bench]") {
    std::filesystem::path dir = VTPM_BENCH_WORKLOAD_DIR;
    if (!std::filesystem::exists(dir)) {
        WARN("no workload directory " << dir.string() << ": nothing to check");
        return;
    }
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".tpmw") continue;
        ++files;
        INFO(e.path().string());
        auto w = load_workload(e.path().string());
        CHECK(w.name == e.path().stem().string());
        REQUIRE_FALSE(w.setup.empty());
        CHECK(w.setup.front().command_code() == 0x144);  // every file starts with TPM2_Startup
        CHECK_FALSE(w.loop.empty());
        CHECK(w.iterations > 1);
        // Where the generator knew the size (no variables), the rewrite must leave it alone.
        byte_vector cmd;
        for (const auto* lines : {&w.setup, &w.loop, &w.teardown})
            for (const auto& c : *lines)
                if (c.segments.size() == 1) {
                    build_command(w, c, {}, cmd);
                    CHECK(cmd == c.segments[0].literal);
                }
    }
    CHECK(files >= 8);
}

TEST_CASE("lines, phases, names, directives", "[bench]") {
    auto w = parse_workload("# header\n"
                            "!iterations 7   # seven\n"
                            "!name demo\n"
                            "S Startup 0x000 80010000000c00000144 0000\n"
                            "\n"
                            "T Tear   0x0   80010000000e00000165 {h}\n"
                            "L Get    0x000 80010000000c0000017b 0020 -> h=10:4\n"
                            "L Get    0x922 80010000000c0000017b 0020\n",
                            "dir/x.tpmw");
    CHECK(w.name == "demo");
    CHECK(w.iterations == 7);
    REQUIRE(w.setup.size() == 1);
    REQUIRE(w.loop.size() == 2);
    REQUIRE(w.teardown.size() == 1);
    CHECK(w.setup[0].line == 4);
    CHECK(w.teardown[0].line == 6);
    CHECK(w.loop[1].expected_rc == 0x922);
    CHECK(w.loop[0].command_code() == 0x17b);
    CHECK(report_names(w) == std::vector<std::string>{"Startup", "Get", "Tear"});
    CHECK(parse_workload("S a 0x000 80010000000a00000181\n", "dir/misc.tpmw").name == "misc");
    CHECK(parse_workload("S a 0x000 80010000000a00000181\n", "dir/misc.tpmw").iterations == 1);
}

TEST_CASE("substitution rewrites commandSize", "[bench]") {
    auto w = parse_workload("S a 0x000 80010000000a00000181 -> k=10:b h=+:4\n"
                            "L b 0x000 80020000000000000157 {h} 0001{k}ff\n",
                            "t.tpmw");
    variables v;
    auto rsp = hex("80010000001200000000" "0003aabbcc" "01020304" "99");
    apply_captures(w, w.setup[0], rsp, v);
    CHECK(v["k"] == hex("0003aabbcc"));
    CHECK(v["h"] == hex("01020304"));
    byte_vector cmd;
    build_command(w, w.loop[0], v, cmd);
    CHECK(cmd == hex("800200000016" "00000157" "01020304" "0001" "0003aabbcc" "ff"));
}

TEST_CASE("capture forms b, e, e-K and their bounds", "[bench]") {
    auto w = parse_workload("S a 0x000 80010000000a00000181 -> all=0:e tail=14:e-5 z=10:0\n"
                            "S b 0x000 80010000000a00000181 -> x=12:b\n"
                            "S c 0x000 80010000000a00000181 -> x=19:2\n"
                            "S d 0x000 80010000000a00000181 -> x=10:e-20\n",
                            "t.tpmw");
    variables v;
    auto rsp = hex("80010000001400000000" "0000" "0003" "010203" "ffff00");  // 20 bytes
    REQUIRE(rsp.size() == 20);
    apply_captures(w, w.setup[0], rsp, v);
    CHECK(v["all"] == rsp);
    CHECK(v["tail"] == hex("01"));
    CHECK(v["z"].empty());
    apply_captures(w, w.setup[1], rsp, v);
    CHECK(v["x"] == hex("0003010203"));
    CHECK_THROWS_WITH(apply_captures(w, w.setup[2], rsp, v), Catch::Contains("t.tpmw:3") && Catch::Contains("do not fit"));
    CHECK_THROWS_WITH(apply_captures(w, w.setup[3], rsp, v), Catch::Contains("t.tpmw:4"));
    auto tpm2b_past_end = parse_workload("S b 0x000 80010000000a00000181 -> x=16:b\n", "t.tpmw");
    CHECK_THROWS_WITH(apply_captures(tpm2b_past_end, tpm2b_past_end.setup[0], rsp, v), Catch::Contains("do not fit"));
}

TEST_CASE("malformed files name the line", "[bench]") {
    using Catch::Contains;
    CHECK_THAT(error_of("\n\nX a 0x000 80010000000a00000181\n"), Contains("t.tpmw:3") && Contains("unknown phase"));
    CHECK_THAT(error_of("S a 0x000\n"), Contains("t.tpmw:1") && Contains("PHASE NAME RC HEX"));
    CHECK_THAT(error_of("S a zz 80010000000a00000181\n"), Contains("response code"));
    CHECK_THAT(error_of("S a 0x000 80010000000a0000018\n"), Contains("odd number of hex digits"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 0g\n"), Contains("invalid character 'g'"));
    CHECK_THAT(error_of("S a 0x000 800100000000 {x}\n"), Contains("10-byte header"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 {x\n"), Contains("unterminated"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 {1x}\n"), Contains("bad variable name"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 {x}\n"), Contains("{x} is used before"));
    CHECK_THAT(error_of("L a 0x000 80010000000a00000181 {x}\nL b 0x000 80010000000a00000181 -> x=10:4\n"),
               Contains("t.tpmw:1") && Contains("{x}"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 ->\n"), Contains("without captures"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=+:4\n"), Contains("'+' needs an earlier capture"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=10\n"), Contains("no ':'"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=10:q\n"), Contains("LEN must be"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=-1:4\n"), Contains("OFF must be"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=10:e-\n"), Contains("LEN must be"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=99999999999:4\n"), Contains("OFF must be"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=10:4 x=+:4\n"), Contains("captured twice"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=10:4 -> y=1:1\n"), Contains("second '->'"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181->x=10:4\n"), Contains("token of its own"));
    CHECK_THAT(error_of("!iterations 0\n"), Contains("t.tpmw:1") && Contains("positive"));
    CHECK_THAT(error_of("!iterations 5\n!iterations 6\n"), Contains("t.tpmw:2") && Contains("second"));
    CHECK_THAT(error_of("!repeat 5\n"), Contains("unknown directive"));
    CHECK_THAT(error_of("# only a comment\n"), Contains("no command lines"));
    CHECK_THAT(error_of(std::string("S a 0x000 8001\0", 15)), Contains("NUL"));
    CHECK_THAT(error_of("S a 0x000 80010000000a00000181 -> x=10:4\nL b 0x000 80010000000a00000181 {x} {y}\n"),
               Contains("t.tpmw:2") && Contains("{y}"));
}

TEST_CASE("load_workload reports a missing file", "[bench]") {
    CHECK_THROWS_WITH(load_workload("/nonexistent/x.tpmw"), Catch::StartsWith("vtpm: /nonexistent/x.tpmw: cannot open"));
}
