#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <vtpm/storage/file.hpp>
#include <vtpm/storage/memory.hpp>

namespace fs = std::filesystem;
using vtpm::bytes;

namespace {
fs::path scratch(const char* name) {
    auto p = fs::temp_directory_path() / ("vtpm-test-" + std::string(name) + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    return p;
}
} // namespace

TEST_CASE("storage::memory keeps blobs by name", "[storage]") {
    vtpm::storage::memory m;
    CHECK_FALSE(m.get("a"));
    const bytes v{1, 2, 3};
    CHECK(m.put("a", v));
    CHECK(m.get("a") == v);
    CHECK(m.remove("a"));
    CHECK_FALSE(m.get("a"));
    CHECK(m.remove("missing"));
}

TEST_CASE("storage::file replaces atomically and keeps the previous generation", "[storage]") {
    auto dir = scratch("file");
    std::string last_log;
    vtpm::storage::file f{dir, [&](const std::string& s) { last_log = s; }};
    CHECK_FALSE(f.get("state"));
    const bytes one{1, 1, 1}, two{2, 2, 2, 2};
    REQUIRE(f.put("state", one));
    REQUIRE(f.put("state", two));
    CHECK(f.get("state") == two);
    CHECK(fs::exists(dir / "state.bak"));
    CHECK_FALSE(fs::exists(dir / "state.tmp"));

    SECTION("a torn file falls back to the previous generation, with a log line") {
        fs::resize_file(dir / "state", fs::file_size(dir / "state") - 3);
        CHECK(f.get("state") == one);
        CHECK(last_log.find("torn or corrupt") != std::string::npos);
    }
    SECTION("a flipped byte is detected") {
        std::fstream s(dir / "state", std::ios::in | std::ios::out | std::ios::binary);
        s.seekp(1);
        s.put('\x7f');
        s.close();
        CHECK(f.get("state") == one);
    }
    SECTION("remove deletes both generations") {
        CHECK(f.remove("state"));
        CHECK_FALSE(f.get("state"));
    }
    fs::remove_all(dir);
}

TEST_CASE("storage::file refuses an unusable directory with one clear error", "[storage]") {
    auto dir = scratch("blocked");
    { std::ofstream(dir.string()) << "x"; } // a file where the directory should be
    try {
        vtpm::storage::file f{dir};
        FAIL("no error");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).rfind("vtpm: ", 0) == 0);
    }
    fs::remove(dir);
}
