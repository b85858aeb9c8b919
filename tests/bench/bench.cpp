// vtpm_bench: replays the *.tpmw workloads (../shared/bench/WORKLOAD.md) on vtpm and on libtpms,
// both in this process, each run from a freshly manufactured TPM, and reports the median time
// of every command per implementation and their ratio.
//
// Beside each command that performs one main cryptographic operation it also times that
// operation called directly on Botan (primitives.hpp), so the command's overhead shows.
//
// The state section (name "state") times saving a TPM's whole state and loading it into a new
// TPM (vtpm: tpm::save_state() / load_state(); libtpms: TPMLIB_GetState / TPMLIB_SetState of
// the permanent and volatile blobs) for the scenarios of tests/bench/state/.
//
//   vtpm_bench [--workloads DIR] [--iterations N] [--warmup N] [--repeat R] [--no-primitives]
//              [--targets vtpm,libtpms] [--out-md FILE] [--out-dat FILE] [--state-dir DIR]
//              [--state-iterations N] [--out-state-md FILE] [names...]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <vtpm/platforms/botan_memory.hpp>
#include <vtpm/vtpm.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_memory.h>

#include "primitives.hpp"
#include "workload.hpp"

#ifndef VTPM_BENCH_WORKLOAD_DIR
#define VTPM_BENCH_WORKLOAD_DIR "workloads"
#endif
#ifndef VTPM_BENCH_STATE_DIR
#define VTPM_BENCH_STATE_DIR "state"
#endif

namespace {

using vtpm::bench::byte_vector;
using vtpm::bench::command_line;
using vtpm::bench::workload;
using clock_type = std::chrono::steady_clock;

// ---- the two implementations ---------------------------------------------------------------

class target {
public:
    virtual ~target() = default;
    [[nodiscard]] virtual const char* name() const noexcept = 0;
    /// A freshly manufactured, powered-on TPM (TPM2_Startup is the workload's first line).
    virtual void start() = 0;
    /// One command; the response stays valid until the next call.
    virtual std::span<const std::uint8_t> execute(byte_vector& command) = 0;
    virtual void stop() = 0;
    /// The running TPM's state, into `parts`; returns the microseconds of the save calls alone.
    virtual double save_state(std::vector<byte_vector>& parts) = 0;
    /// Replaces the running TPM by one started from `parts` (what save_state gave); returns the
    /// microseconds of the load calls alone (vtpm: load_state and power-on; libtpms: SetState
    /// of each blob and MainInit, which unmarshals them).
    virtual double load_state(const std::vector<byte_vector>& parts) = 0;
    /// Whether the TPM needs TPM2_Startup after load_state (libtpms resumes from its
    /// volatile blob).
    [[nodiscard]] virtual bool startup_after_load() const noexcept = 0;
};

double micros(clock_type::time_point t0, clock_type::time_point t1) {
    return std::chrono::duration<double, std::micro>(t1 - t0).count();
}

class vtpm_target final : public target {
public:
    const char* name() const noexcept override { return "vtpm"; }
    void start() override {
        tpm_ = std::make_unique<tpm_type>();
        tpm_->manufacture();
        tpm_->power_on();
    }
    std::span<const std::uint8_t> execute(byte_vector& command) override {
        std::size_t n = tpm_->execute(command, response_);
        return {response_.data(), n};
    }
    void stop() override { tpm_.reset(); }
    double save_state(std::vector<byte_vector>& parts) override {
        auto t0 = clock_type::now();
        auto state = tpm_->save_state();
        auto t1 = clock_type::now();
        parts.assign(1, byte_vector(state.begin(), state.end()));
        return micros(t0, t1);
    }
    double load_state(const std::vector<byte_vector>& parts) override {
        tpm_ = std::make_unique<tpm_type>();  // a new TPM object, not manufactured
        auto t0 = clock_type::now();
        auto err = tpm_->load_state(parts.at(0));
        if (!err) tpm_->power_on();
        auto t1 = clock_type::now();
        if (err) throw std::runtime_error(*err);
        return micros(t0, t1);
    }
    bool startup_after_load() const noexcept override { return true; }

private:
    using tpm_type = vtpm::tpm<vtpm::platforms::botan_memory>;
    std::unique_ptr<tpm_type> tpm_;
    std::array<std::uint8_t, vtpm::max_response_size> response_{};
};

// libtpms is one TPM per process; its NV state goes through these callbacks into memory.
std::map<std::string, byte_vector> libtpms_nv;

TPM_RESULT libtpms_nv_init() { return TPM_SUCCESS; }

TPM_RESULT libtpms_nv_load(unsigned char** data, uint32_t* length, uint32_t, const char* name) {
    auto it = libtpms_nv.find(name);
    if (it == libtpms_nv.end() || it->second.empty()) return TPM_RETRY;  // "no data yet"
    if (TPM_Malloc(data, static_cast<uint32_t>(it->second.size())) != TPM_SUCCESS) return TPM_FAIL;
    std::memcpy(*data, it->second.data(), it->second.size());
    *length = static_cast<uint32_t>(it->second.size());
    return TPM_SUCCESS;
}

TPM_RESULT libtpms_nv_store(const unsigned char* data, uint32_t length, uint32_t, const char* name) {
    libtpms_nv[name].assign(data, data + length);
    return TPM_SUCCESS;
}

TPM_RESULT libtpms_nv_delete(uint32_t, const char* name, TPM_BOOL must_exist) {
    bool erased = libtpms_nv.erase(name) != 0;
    return erased || !must_exist ? TPM_SUCCESS : TPM_FAIL;
}

class libtpms_target final : public target {
public:
    ~libtpms_target() override {
        if (running_) TPMLIB_Terminate();
        TPM_Free(buffer_);
    }
    const char* name() const noexcept override { return "libtpms"; }
    void start() override {
        libtpms_nv.clear();  // no permanent state: MainInit manufactures a new TPM
        choose_and_register();
        if (auto r = TPMLIB_MainInit(); r != TPM_SUCCESS)
            throw std::runtime_error("vtpm: libtpms: TPMLIB_MainInit failed with " + hex(r));
        running_ = true;
    }
    std::span<const std::uint8_t> execute(byte_vector& command) override {
        uint32_t length = 0;
        if (TPMLIB_Process(&buffer_, &length, &size_, command.data(), static_cast<uint32_t>(command.size())) !=
            TPM_SUCCESS)
            return {};
        return {buffer_, length};
    }
    void stop() override {
        if (running_) TPMLIB_Terminate();
        running_ = false;
    }
    double save_state(std::vector<byte_vector>& parts) override {
        unsigned char* blob[2] = {nullptr, nullptr};
        uint32_t length[2] = {0, 0};
        auto t0 = clock_type::now();
        auto rp = TPMLIB_GetState(TPMLIB_STATE_PERMANENT, &blob[0], &length[0]);
        auto rv = rp == TPM_SUCCESS ? TPMLIB_GetState(TPMLIB_STATE_VOLATILE, &blob[1], &length[1]) : rp;
        auto t1 = clock_type::now();
        parts.clear();
        for (int i = 0; i < 2; ++i) {
            if (blob[i]) parts.emplace_back(blob[i], blob[i] + length[i]);
            TPM_Free(blob[i]);
        }
        if (rp != TPM_SUCCESS || rv != TPM_SUCCESS || parts.size() != 2)
            throw std::runtime_error("libtpms: TPMLIB_GetState failed with " + hex(rp != TPM_SUCCESS ? rp : rv));
        return micros(t0, t1);
    }
    double load_state(const std::vector<byte_vector>& parts) override {
        stop();
        // Nothing in the NV callbacks: the state can only come from the blobs.
        libtpms_nv.clear();
        choose_and_register();
        auto t0 = clock_type::now();
        auto rp = TPMLIB_SetState(TPMLIB_STATE_PERMANENT, parts.at(0).data(), static_cast<uint32_t>(parts[0].size()));
        auto rv = rp == TPM_SUCCESS ? TPMLIB_SetState(TPMLIB_STATE_VOLATILE, parts.at(1).data(),
                                                      static_cast<uint32_t>(parts[1].size()))
                                    : rp;
        auto ri = rv == TPM_SUCCESS ? TPMLIB_MainInit() : rv;
        auto t1 = clock_type::now();
        if (rp != TPM_SUCCESS || rv != TPM_SUCCESS || ri != TPM_SUCCESS)
            throw std::runtime_error("libtpms: TPMLIB_SetState/TPMLIB_MainInit failed with " +
                                     hex(rp != TPM_SUCCESS ? rp : rv != TPM_SUCCESS ? rv : ri));
        running_ = true;
        return micros(t0, t1);
    }
    bool startup_after_load() const noexcept override { return false; }

private:
    void choose_and_register() {
        if (auto r = TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2); r != TPM_SUCCESS)
            throw std::runtime_error("vtpm: libtpms: TPMLIB_ChooseTPMVersion(2) failed with " + hex(r));
        libtpms_callbacks cb{};
        cb.sizeOfStruct = sizeof cb;
        cb.tpm_nvram_init = libtpms_nv_init;
        cb.tpm_nvram_loaddata = libtpms_nv_load;
        cb.tpm_nvram_storedata = libtpms_nv_store;
        cb.tpm_nvram_deletename = libtpms_nv_delete;
        if (auto r = TPMLIB_RegisterCallbacks(&cb); r != TPM_SUCCESS)
            throw std::runtime_error("vtpm: libtpms: TPMLIB_RegisterCallbacks failed with " + hex(r));
    }
    static std::string hex(TPM_RESULT r) {
        char b[16];
        std::snprintf(b, sizeof b, "0x%x", static_cast<unsigned>(r));
        return b;
    }
    unsigned char* buffer_ = nullptr;
    uint32_t size_ = 0;
    bool running_ = false;
};

// ---- replay --------------------------------------------------------------------------------

std::string hex_rc(std::uint32_t rc) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%03x", static_cast<unsigned>(rc));
    std::string s = b;
    static const std::map<std::uint32_t, const char*> names{
        {0x000, "TPM_RC_SUCCESS"}, {0x100, "TPM_RC_INITIALIZE"}, {0x101, "TPM_RC_FAILURE"},
        {0x143, "TPM_RC_COMMAND_CODE"}, {0x142, "TPM_RC_COMMAND_SIZE"}, {0x084, "TPM_RC_VALUE"},
        {0x902, "TPM_RC_OBJECT_MEMORY"}, {0x903, "TPM_RC_SESSION_MEMORY"}, {0x922, "TPM_RC_RETRY"},
        {0x08b, "TPM_RC_HANDLE"}, {0x09a, "TPM_RC_INSUFFICIENT"}, {0x095, "TPM_RC_SIZE"},
        {0x08f, "TPM_RC_AUTH_FAIL"},
    };
    if (auto it = names.find(rc); it != names.end()) s += std::string(" (") + it->second + ")";
    return s;
}

bool is_retry(std::uint32_t rc) { return rc == 0x922 || rc == 0x908 || rc == 0x90a; }

struct samples {
    std::map<std::string, std::vector<double>> us;  // NAME → microseconds
    std::map<std::string, std::vector<double>> primitive_us;  // NAME → its primitive, interleaved
    std::size_t resends = 0;
};

/// Why a workload did not complete on a target.
struct stop_reason {
    std::string text;
};

class replayer {
public:
    /// With `primitives`, every timed command that maps to a primitive (primitives.hpp) is
    /// followed by one timed call of that primitive, so both see the same machine load.
    replayer(const workload& w, target& t, samples& s, bool primitives)
        : w_(w), t_(t), s_(s), primitives_(primitives) {}

    /// One run: fresh TPM, setup, warm-up, timed loop, teardown.
    std::optional<stop_reason> run(std::size_t iterations, std::size_t warmup) {
        vars_.clear();
        try {
            t_.start();
        } catch (const std::exception& e) {
            return stop_reason{e.what()};
        }
        auto r = body(iterations, warmup);
        t_.stop();
        return r;
    }

    /// A fresh TPM and the setup lines, untimed; the TPM stays running (state benchmark).
    std::optional<stop_reason> setup_only() {
        vars_.clear();
        try {
            t_.start();
            for (const auto& c : w_.setup)
                if (auto r = one(c, false)) return r;
        } catch (const vtpm::bench::workload_error& e) {
            return stop_reason{std::string(t_.name()) + ": " + e.what()};
        } catch (const std::exception& e) {
            return stop_reason{std::string(t_.name()) + ": " + e.what()};
        }
        return std::nullopt;
    }

    /// The teardown lines, untimed (state benchmark: the checks after a load).
    std::optional<stop_reason> checks() {
        try {
            for (const auto& c : w_.teardown)
                if (auto r = one(c, false)) return r;
        } catch (const vtpm::bench::workload_error& e) {
            return stop_reason{std::string(t_.name()) + ": " + e.what()};
        }
        return std::nullopt;
    }

private:
    std::optional<stop_reason> body(std::size_t iterations, std::size_t warmup) {
        try {
            for (const auto& c : w_.setup)
                if (auto r = one(c, true)) return r;
            for (std::size_t i = 0; i < warmup; ++i)
                for (const auto& c : w_.loop)
                    if (auto r = one(c, false)) return r;
            for (std::size_t i = 0; i < iterations; ++i)
                for (const auto& c : w_.loop)
                    if (auto r = one(c, true)) return r;
            for (const auto& c : w_.teardown)
                if (auto r = one(c, true)) return r;
        } catch (const vtpm::bench::workload_error& e) {
            return stop_reason{std::string(t_.name()) + ": " + e.what()};
        } catch (const std::exception& e) {
            return stop_reason{std::string("a primitive failed: ") + e.what()};
        }
        return std::nullopt;
    }

    /// One timed call of the primitive of line `c`, if it has one.
    void time_primitive(const command_line& c) {
        auto it = calls_.find(c.name);
        if (it == calls_.end()) it = calls_.emplace(c.name, vtpm::bench::prepare_primitive(c.name)).first;
        if (!it->second) return;
        auto t0 = clock_type::now();
        it->second();
        auto t1 = clock_type::now();
        s_.primitive_us[c.name].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }

    std::optional<stop_reason> one(const command_line& c, bool timed) {
        vtpm::bench::build_command(w_, c, vars_, command_);
        std::span<const std::uint8_t> rsp;
        std::uint32_t rc = 0;
        clock_type::duration took{};
        for (int attempt = 0;; ++attempt) {
            auto t0 = clock_type::now();
            rsp = t_.execute(command_);
            auto t1 = clock_type::now();
            took = t1 - t0;
            if (rsp.size() < 10 || vtpm::load_be32(rsp.data() + 2) != rsp.size())
                return fail(c, "gave a malformed response (" + std::to_string(rsp.size()) + " bytes)");
            rc = vtpm::load_be32(rsp.data() + 6);
            if (!is_retry(rc) || attempt == 5) break;
            ++s_.resends;
        }
        if (rc != c.expected_rc) return fail(c, "returned " + hex_rc(rc) + ", expected " + hex_rc(c.expected_rc));
        vtpm::bench::apply_captures(w_, c, rsp, vars_);
        if (timed) {
            s_.us[c.name].push_back(std::chrono::duration<double, std::micro>(took).count());
            if (primitives_) time_primitive(c);
        }
        return std::nullopt;
    }

    std::optional<stop_reason> fail(const command_line& c, const std::string& what) const {
        char cc[16];
        std::snprintf(cc, sizeof cc, "0x%08x", static_cast<unsigned>(c.command_code()));
        std::string file = w_.file.substr(w_.file.find_last_of('/') + 1);
        return stop_reason{std::string(t_.name()) + ": " + c.name + " (" + file + ":" + std::to_string(c.line) +
                           ", command code " + cc + ") " + what};
    }

    const workload& w_;
    target& t_;
    samples& s_;
    bool primitives_;
    std::map<std::string, vtpm::bench::primitive_call> calls_;
    vtpm::bench::variables vars_;
    byte_vector command_;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2) return *mid;
    double hi = *mid;
    return (*std::max_element(v.begin(), mid) + hi) / 2;
}

/// What one steady_clock::now() pair costs (in every sample; not subtracted).
double clock_overhead_us() {
    std::vector<double> v(20000);
    for (auto& x : v) {
        auto a = clock_type::now();
        auto b = clock_type::now();
        x = std::chrono::duration<double, std::micro>(b - a).count();
    }
    return median(std::move(v));
}

// ---- command line and reports --------------------------------------------------------------

struct options {
    std::string dir = VTPM_BENCH_WORKLOAD_DIR;
    std::optional<std::size_t> iterations, warmup;
    std::size_t repeat = 1;
    bool run_vtpm = true, run_libtpms = true, primitives = true;
    std::string out_md, out_dat, out_state_md;
    std::vector<std::string> names;
    std::vector<std::size_t> fresh_runs; ///< per name: R of NAME@R, 0 if none
    std::string state_dir = VTPM_BENCH_STATE_DIR;
    std::size_t state_iterations = 200;
    bool run_state = true;     ///< the name "state", or no names at all
    bool run_workloads = true; ///< workload names, or no names at all
};

constexpr const char* usage =
    "usage: vtpm_bench [--workloads DIR] [--iterations|-n N] [--warmup|-w N] [--repeat|-r R]\n"
    "                  [--no-primitives] [--targets vtpm,libtpms] [--out-md FILE] [--out-dat FILE]\n"
    "                  [--state-dir DIR] [--state-iterations N] [--out-state-md FILE] [names...]\n"
    "Replays DIR/*.tpmw (or the named ones) on vtpm and libtpms and prints per command the\n"
    "median time in microseconds, the ratio vtpm/libtpms, the time of the raw Botan primitive\n"
    "the command performs and vtpm's overhead beyond it.\n"
    "  --iterations N  loop iterations (default: the workload's !iterations)\n"
    "  --warmup N      untimed loop iterations first (default: iterations/20, 1..20)\n"
    "  --repeat R      whole runs from a fresh TPM per implementation (default 1)\n"
    "  --no-primitives do not time the raw primitives\n"
    "  --targets LIST  vtpm, libtpms or both (default)\n"
    "  --out-md FILE   markdown table and the list of skipped workloads\n"
    "  --out-dat FILE  gnuplot data: index label vtpm_us libtpms_us ratio\n"
    "  --state-dir DIR the state scenarios (*.tpmw, default tests/bench/state)\n"
    "  --state-iterations N  saves and loads per scenario and run (default 200)\n"
    "  --out-state-md FILE   markdown table of the state section\n"
    "A name NAME@R runs that workload R times from a fresh TPM with one iteration and no\n"
    "warm-up (one sample per new primary seed), whatever the options say.\n"
    "The name 'state' selects the state section: per scenario of the state directory (S lines\n"
    "build it, T lines check it after each load), the time of saving the whole state (vtpm:\n"
    "tpm::save_state(); libtpms: TPMLIB_GetState of the permanent and volatile blobs) and of\n"
    "loading it into a new TPM (tpm::load_state(); TPMLIB_SetState and TPMLIB_MainInit), and\n"
    "its size. Without names every workload runs and then the state section.\n";

std::optional<std::size_t> to_count(const std::string& s, bool allow_zero) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9) return std::nullopt;
    std::size_t v = std::stoul(s);
    if (!allow_zero && v == 0) return std::nullopt;
    return v;
}

std::optional<options> parse_options(int argc, char** argv) {
    options o;
    bool saw_state = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) {
                std::cerr << "vtpm: bench: " << a << " needs a value (see --help)\n";
                return std::nullopt;
            }
            return std::string(argv[++i]);
        };
        auto count = [&](bool allow_zero) -> std::optional<std::size_t> {
            auto v = value();
            if (!v) return std::nullopt;
            auto n = to_count(*v, allow_zero);
            if (!n) std::cerr << "vtpm: bench: " << a << " wants a " << (allow_zero ? "" : "positive ")
                              << "whole number, got '" << *v << "'\n";
            return n;
        };
        if (a == "-h" || a == "--help") {
            std::cout << usage;
            std::exit(0);
        } else if (a == "--workloads") {
            auto v = value();
            if (!v) return std::nullopt;
            o.dir = *v;
        } else if (a == "--iterations" || a == "-n") {
            if (!(o.iterations = count(false))) return std::nullopt;
        } else if (a == "--warmup" || a == "-w") {
            if (!(o.warmup = count(true))) return std::nullopt;
        } else if (a == "--repeat" || a == "-r") {
            auto n = count(false);
            if (!n) return std::nullopt;
            o.repeat = *n;
        } else if (a == "--no-primitives") {
            o.primitives = false;
        } else if (a == "--targets") {
            auto v = value();
            if (!v) return std::nullopt;
            o.run_vtpm = o.run_libtpms = false;
            std::stringstream ss(*v);
            for (std::string t; std::getline(ss, t, ',');) {
                if (t == "vtpm") o.run_vtpm = true;
                else if (t == "libtpms") o.run_libtpms = true;
                else {
                    std::cerr << "vtpm: bench: unknown target '" << t << "' (vtpm, libtpms)\n";
                    return std::nullopt;
                }
            }
        } else if (a == "--out-md") {
            auto v = value();
            if (!v) return std::nullopt;
            o.out_md = *v;
        } else if (a == "--out-dat") {
            auto v = value();
            if (!v) return std::nullopt;
            o.out_dat = *v;
        } else if (a == "--state-dir") {
            auto v = value();
            if (!v) return std::nullopt;
            o.state_dir = *v;
        } else if (a == "--state-iterations") {
            auto n = count(false);
            if (!n) return std::nullopt;
            o.state_iterations = *n;
        } else if (a == "--out-state-md") {
            auto v = value();
            if (!v) return std::nullopt;
            o.out_state_md = *v;
        } else if (a == "state") {
            saw_state = true;
        } else if (a.starts_with("-")) {
            std::cerr << "vtpm: bench: unknown option " << a << " (see --help)\n";
            return std::nullopt;
        } else {
            std::size_t fresh = 0;
            if (auto at = a.find('@'); at != std::string::npos) {
                auto r = to_count(a.substr(at + 1), false);
                if (!r) {
                    std::cerr << "vtpm: bench: '" << a << "': NAME@R wants a positive whole number R\n";
                    return std::nullopt;
                }
                fresh = *r;
                a.resize(at);
            }
            o.names.push_back(a);
            o.fresh_runs.push_back(fresh);
        }
    }
    o.run_state = saw_state || o.names.empty();
    o.run_workloads = !saw_state || !o.names.empty();
    return o;
}

struct row {
    std::string workload, command;
    std::size_t n = 0;
    std::optional<double> vtpm_us, libtpms_us;
    std::optional<double> primitive_us; ///< the raw Botan primitive (primitives.hpp)
    [[nodiscard]] std::optional<double> ratio() const {
        if (vtpm_us && libtpms_us && *libtpms_us > 0) return *vtpm_us / *libtpms_us;
        return std::nullopt;
    }
    /// vtpm's time beyond the raw primitive.
    [[nodiscard]] std::optional<double> overhead() const {
        if (vtpm_us && primitive_us) return *vtpm_us - *primitive_us;
        return std::nullopt;
    }
    /// The targets this line misses: every line at most 1.0x libtpms, RSA private-key
    /// operations (Sign.RSA*, RSA_Decrypt*) at most 0.4x, at most 2 µs beyond the primitive.
    [[nodiscard]] std::string missed() const {
        std::string m;
        auto add = [&](const char* t) { m += m.empty() ? t : std::string(", ") + t; };
        auto r = ratio();
        const bool rsa_private = command.starts_with("Sign.RSA") || command.starts_with("RSA_Decrypt");
        if (r && *r > 1.0) add("ratio > 1");
        else if (r && rsa_private && *r > 0.4) add("RSA ratio > 0.4");
        if (auto o = overhead(); o && *o > 2.0) add("overhead > 2 µs");
        return m;
    }
};

struct workload_report {
    std::string name;
    std::size_t runs = 1, iterations = 0, warmup = 0;
    std::vector<row> rows;
    std::optional<std::string> skipped;
    std::size_t vtpm_resends = 0, libtpms_resends = 0;
};

std::string fixed(std::optional<double> v, int decimals) {
    if (!v) return "-";
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", decimals, *v);
    return b;
}

void print_console(const workload_report& r) {
    std::printf("\n== %s (%zu run(s), %zu iterations, %zu warm-up)\n", r.name.c_str(), r.runs, r.iterations,
                r.warmup);
    if (r.skipped) {
        std::printf("   skipped: %s\n", r.skipped->c_str());
        return;
    }
    std::printf("   %-30s %7s %12s %12s %8s %12s %12s\n", "command", "n", "vtpm µs", "libtpms µs", "ratio",
                "primitive µs", "overhead µs");
    for (const auto& x : r.rows)
        std::printf("   %-30s %7zu %12s %12s %8s %12s %12s\n", x.command.c_str(), x.n, fixed(x.vtpm_us, 2).c_str(),
                    fixed(x.libtpms_us, 2).c_str(), fixed(x.ratio(), 2).c_str(), fixed(x.primitive_us, 2).c_str(),
                    fixed(x.overhead(), 2).c_str());
    if (r.libtpms_resends || r.vtpm_resends)
        std::printf("   resends after a retry warning: vtpm %zu, libtpms %zu\n", r.vtpm_resends, r.libtpms_resends);
    std::fflush(stdout);
}

bool write_md(const std::string& path, const std::vector<workload_report>& reports, const options& o,
              double overhead_us) {
    std::ofstream out(path);
    out << "| workload | command | n | vtpm median µs | libtpms median µs | ratio vtpm/libtpms "
           "| primitive median µs | vtpm overhead µs | targets missed |\n"
        << "|---|---|---:|---:|---:|---:|---:|---:|---|\n";
    for (const auto& r : reports)
        for (const auto& x : r.rows) {
            auto ratio = x.ratio();
            std::string rs = fixed(ratio, 2);
            if (ratio && *ratio > 1.0) rs = "**" + rs + "**";
            out << "| " << x.workload << " | " << x.command << " | " << x.n << " | " << fixed(x.vtpm_us, 2) << " | "
                << fixed(x.libtpms_us, 2) << " | " << rs << " | " << fixed(x.primitive_us, 2) << " | "
                << fixed(x.overhead(), 2) << " | " << x.missed() << " |\n";
        }
    // The primitive behind each command of the table.
    std::vector<std::string> mapped;
    for (const auto& r : reports)
        for (const auto& x : r.rows)
            if (x.primitive_us && std::find(mapped.begin(), mapped.end(), x.command) == mapped.end())
                mapped.push_back(x.command);
    if (!mapped.empty()) {
        out << "\nPrimitive: the main cryptographic operation of the command, called directly on Botan "
            << "(`tests/bench/primitives.cpp`), same algorithm, key type and data size, timed in the same run "
            << "(one call right after each timed command, in the runs of both implementations so that both "
            << "are perturbed alike; the median is over the calls made beside vtpm's commands; setup and "
            << "teardown lines, which give fewer than 11 samples, take "
            << "the median of a separate loop of at least 11 calls). Key and operation objects (`PK_Signer`, `PK_Verifier`, "
            << "`Cipher_Mode`, ...) are made once per key outside the timing, as an application holding the key "
            << "would. **vtpm overhead = vtpm median − primitive median**: unmarshalling, authorization, object "
            << "lookup, marshalling, per-key setup repeated on every call, and any other work of the command. "
            << "Key generation rows compare random searches (their times vary from sample to sample), so their "
            << "overhead is only indicative. The primitive repeats one operation on warm caches while a "
            << "workload command follows other commands, so a few µs of a line's overhead can be cache misses "
            << "(compare the same command repeated alone). Targets: every line at most 1.0× libtpms; RSA private-key lines "
            << "(Sign.RSA*, RSA_Decrypt*) at most 0.4×; at most 2 µs of overhead. "
            << "Lines without a primitive (`-`) do no single dominant cryptographic operation.\n"
            << "\n| command | primitive timed |\n|---|---|\n";
        for (const auto& c : mapped)
            if (const auto* p = vtpm::bench::find_primitive(c))
                out << "| " << c << " | " << p->description << " |\n";
    }
    out << "\nRuns: " << o.repeat << " per implementation and workload unless the table below says otherwise, "
        << "each from a freshly manufactured TPM. "
        << "Timer: one `steady_clock::now()` pair costs a median " << fixed(overhead_us * 1000, 0)
        << " ns here; it is part of every sample (not subtracted), which matters for sub-microsecond rows.\n";
    out << "\n| workload | runs | iterations | warm-up | result | resends (vtpm / libtpms) |\n"
        << "|---|---:|---:|---:|---|---|\n";
    for (const auto& r : reports) {
        std::string result = r.skipped ? "skipped: " + *r.skipped : "ran";
        for (auto& ch : result)
            if (ch == '|') ch = '/';
        out << "| " << r.name << " | " << r.runs << " | " << r.iterations << " | " << r.warmup << " | " << result << " | "
            << r.vtpm_resends << " / " << r.libtpms_resends << " |\n";
    }
    return bool(out.flush());
}

// ---- state save and load -------------------------------------------------------------------

/// One scenario of the state section: save and load times and the state's size.
struct state_report {
    std::string name;
    std::size_t runs = 0, iterations = 0;
    std::optional<std::string> skipped;
    std::map<std::string, std::vector<double>> save_us, load_us;  // target → samples
    std::map<std::string, std::vector<std::size_t>> bytes;         // target → size of each part
};

std::optional<double> median_of(const std::map<std::string, std::vector<double>>& m, const char* target) {
    auto it = m.find(target);
    if (it == m.end() || it->second.empty()) return std::nullopt;
    return median(it->second);
}

/// Per run and target: a fresh TPM, the scenario's setup lines; `iterations` saves of its
/// state; then `iterations` loads of the first saved state into a new TPM, each followed
/// (untimed) by TPM2_Startup(CLEAR) where the TPM needs it and the scenario's check lines.
state_report run_state(const workload& w, const std::vector<target*>& targets, std::size_t runs,
                       std::size_t iterations) {
    state_report rep;
    rep.name = w.name;
    rep.runs = runs;
    rep.iterations = iterations;
    samples unused;
    for (std::size_t r = 0; r < runs && !rep.skipped; ++r)
        for (auto* t : targets) {
            replayer rp(w, *t, unused, false);
            auto fail = [&](std::string why) {
                rep.skipped = std::move(why);
                t->stop();
            };
            if (auto why = rp.setup_only()) {
                fail(why->text);
                break;
            }
            try {
                std::vector<byte_vector> first, parts;
                for (std::size_t i = 0; i < iterations; ++i) {
                    rep.save_us[t->name()].push_back(t->save_state(parts));
                    if (i == 0) first = parts;
                }
                auto& sizes = rep.bytes[t->name()];
                sizes.clear();
                for (const auto& p : first) sizes.push_back(p.size());
                for (std::size_t i = 0; i < iterations; ++i) {
                    rep.load_us[t->name()].push_back(t->load_state(first));
                    if (t->startup_after_load()) {
                        byte_vector startup{0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0};
                        auto rsp = t->execute(startup);
                        if (rsp.size() < 10 || vtpm::load_be32(rsp.data() + 6) != 0)
                            throw std::runtime_error("TPM2_Startup(CLEAR) after the load failed");
                    }
                    if (auto why = rp.checks()) {
                        fail(why->text + " (after load " + std::to_string(i + 1) + ")");
                        break;
                    }
                }
            } catch (const std::exception& e) {
                fail(std::string(t->name()) + ": " + e.what());
            }
            if (rep.skipped) break;
            t->stop();
        }
    return rep;
}

void print_state_console(const state_report& r) {
    std::printf("\n== state: %s (%zu run(s), %zu saves and %zu loads each)\n", r.name.c_str(), r.runs, r.iterations,
                r.iterations);
    if (r.skipped) {
        std::printf("   skipped: %s\n", r.skipped->c_str());
        return;
    }
    for (const char* op : {"save", "load"}) {
        const auto& m = std::string(op) == "save" ? r.save_us : r.load_us;
        auto v = median_of(m, "vtpm"), l = median_of(m, "libtpms");
        std::optional<double> ratio;
        if (v && l && *l > 0) ratio = *v / *l;
        std::printf("   %-6s vtpm %10s µs  libtpms %10s µs  ratio %6s\n", op, fixed(v, 2).c_str(), fixed(l, 2).c_str(),
                    fixed(ratio, 2).c_str());
    }
    for (const auto& [t, sizes] : r.bytes) {
        std::printf("   %s state bytes:", t.c_str());
        for (auto n : sizes) std::printf(" %zu", n);
        std::printf("\n");
    }
    std::fflush(stdout);
}

std::string state_bytes(const state_report& r, const char* target) {
    auto it = r.bytes.find(target);
    if (it == r.bytes.end() || it->second.empty()) return "-";
    std::size_t total = 0;
    std::string parts;
    for (auto n : it->second) {
        total += n;
        parts += (parts.empty() ? "" : " + ") + std::to_string(n);
    }
    return it->second.size() > 1 ? std::to_string(total) + " (" + parts + ")" : std::to_string(total);
}

bool write_state_md(const std::string& path, const std::vector<state_report>& reports) {
    std::ofstream out(path);
    out << "| state | operation | n | vtpm median µs | libtpms median µs | ratio vtpm/libtpms | vtpm bytes "
           "| libtpms bytes (permanent + volatile) | targets missed |\n"
        << "|---|---|---:|---:|---:|---:|---:|---:|---|\n";
    for (const auto& r : reports) {
        if (r.skipped) {
            std::string why = *r.skipped;
            for (auto& ch : why)
                if (ch == '|') ch = '/';
            out << "| " << r.name << " | skipped: " << why << " | | | | | | | |\n";
            continue;
        }
        for (const char* op : {"save", "load"}) {
            const auto& m = std::string(op) == "save" ? r.save_us : r.load_us;
            auto v = median_of(m, "vtpm"), l = median_of(m, "libtpms");
            std::optional<double> ratio;
            if (v && l && *l > 0) ratio = *v / *l;
            std::string rs = fixed(ratio, 2);
            if (ratio && *ratio > 1.0) rs = "**" + rs + "**";
            std::size_t n = 0;
            for (const auto& [t, x] : m) n = x.size();
            out << "| " << r.name << " | " << op << " | " << n << " | " << fixed(v, 2) << " | " << fixed(l, 2) << " | "
                << rs << " | " << state_bytes(r, "vtpm") << " | " << state_bytes(r, "libtpms") << " | "
                << (ratio && *ratio > 1.0 ? "ratio > 1" : "") << " |\n";
        }
    }
    return bool(out.flush());
}

bool write_dat(const std::string& path, const std::vector<workload_report>& reports,
               const std::vector<state_report>& states) {
    std::ofstream out(path);
    out << "# index label vtpm_median_us libtpms_median_us ratio_vtpm_over_libtpms\n";
    std::size_t i = 0;
    for (const auto& r : reports)
        for (const auto& x : r.rows)
            if (auto ratio = x.ratio())
                out << i++ << ' ' << x.workload << '/' << x.command << ' ' << *x.vtpm_us << ' ' << *x.libtpms_us << ' '
                    << *ratio << '\n';
    for (const auto& r : states)
        for (const char* op : {"save", "load"}) {
            const auto& m = std::string(op) == "save" ? r.save_us : r.load_us;
            auto v = median_of(m, "vtpm"), l = median_of(m, "libtpms");
            if (!r.skipped && v && l && *l > 0)
                out << i++ << " state/" << r.name << '.' << op << ' ' << *v << ' ' << *l << ' ' << *v / *l << '\n';
        }
    return bool(out.flush());
}

} // namespace

int main(int argc, char** argv) {
    auto opt = parse_options(argc, argv);
    if (!opt) return 2;
    const options& o = *opt;
    if (!o.run_vtpm && !o.run_libtpms) {
        std::cerr << "vtpm: bench: --targets names no implementation\n";
        return 2;
    }

    // Collect and parse the workloads.
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(o.dir, ec))
        if (e.path().extension() == ".tpmw") files.push_back(e.path().string());
    if (ec) {
        std::cerr << "vtpm: bench: cannot list workload directory " << o.dir << ": " << ec.message()
                  << " (pass --workloads DIR)\n";
        return 2;
    }
    std::sort(files.begin(), files.end());
    int status = 0;
    std::vector<workload> workloads;
    for (const auto& f : files) {
        try {
            workloads.push_back(vtpm::bench::load_workload(f));
        } catch (const vtpm::bench::workload_error& e) {
            std::cerr << e.what() << "\n";
            status = 1;
        }
    }
    std::vector<std::size_t> fresh_runs(workloads.size(), 0);
    if (!o.names.empty()) {
        std::vector<workload> chosen;
        fresh_runs = o.fresh_runs;
        for (const auto& n : o.names) {
            auto it = std::find_if(workloads.begin(), workloads.end(), [&](const workload& w) {
                auto stem = std::filesystem::path(w.file).stem().string();
                return w.name == n || stem == n;
            });
            if (it == workloads.end()) {
                std::cerr << "vtpm: bench: no workload named '" << n << "' in " << o.dir << "\n";
                return 2;
            }
            chosen.push_back(*it);
        }
        workloads = std::move(chosen);
    }
    if (!o.run_workloads) workloads.clear();

    vtpm_target vt;
    libtpms_target lt;
    std::vector<target*> targets;
    if (o.run_vtpm) targets.push_back(&vt);
    if (o.run_libtpms) targets.push_back(&lt);

    std::printf("vtpm_bench: libtpms %u.%u.%u, %zu workload(s), %zu run(s) each\n", TPMLIB_GetVersion() >> 16,
                (TPMLIB_GetVersion() >> 8) & 0xFF, TPMLIB_GetVersion() & 0xFF, workloads.size(), o.repeat);

    const double overhead_us = clock_overhead_us();
    std::printf("timer: a steady_clock::now() pair costs a median %.0f ns (included in every sample)\n",
                overhead_us * 1000);

    std::vector<workload_report> reports;
    for (std::size_t wi = 0; wi < workloads.size(); ++wi) {
        const workload& w = workloads[wi];
        workload_report rep;
        rep.name = w.name;
        rep.runs = o.repeat;
        rep.iterations = o.iterations.value_or(w.iterations);
        rep.warmup = o.warmup.value_or(std::clamp<std::size_t>(rep.iterations / 20, 1, 20));
        if (fresh_runs[wi] != 0) {
            rep.runs = fresh_runs[wi];
            rep.iterations = 1;
            rep.warmup = 0;
        }
        if (w.loop.empty()) rep.warmup = 0;
        std::map<std::string, samples> by_target;
        for (std::size_t r = 0; r < rep.runs && !rep.skipped; ++r)
            for (auto* t : targets) {
                replayer rp(w, *t, by_target[t->name()], o.primitives);
                if (auto why = rp.run(rep.iterations, rep.warmup)) {
                    rep.skipped = why->text;
                    break;
                }
            }
        if (!rep.skipped) {
            for (const auto& name : vtpm::bench::report_names(w)) {
                row x;
                x.workload = w.name;
                x.command = name;
                if (o.run_vtpm) {
                    auto& v = by_target["vtpm"].us[name];
                    x.vtpm_us = median(v);
                    x.n = v.size();
                }
                if (o.run_libtpms) {
                    auto& v = by_target["libtpms"].us[name];
                    x.libtpms_us = median(v);
                    x.n = v.size();
                }
                rep.rows.push_back(std::move(x));
            }
            // The primitive samples taken beside vtpm's commands (both implementations' runs
            // make the calls, so both see the same perturbation; vtpm's are the ones that
            // share its conditions); lines with fewer than 11 (setup, teardown) use a separate
            // loop of calls instead.
            if (o.primitives)
                for (auto& x : rep.rows) {
                    std::vector<double> p = by_target[o.run_vtpm ? "vtpm" : "libtpms"].primitive_us[x.command];
                    try {
                        x.primitive_us = p.size() >= 11 ? std::optional<double>(median(std::move(p)))
                                                        : vtpm::bench::time_primitive(x.command, x.n);
                    } catch (const std::exception& e) {
                        std::cerr << "vtpm: bench: primitive of " << x.command << " failed: " << e.what() << "\n";
                        status = 1;
                    }
                }
            rep.vtpm_resends = by_target["vtpm"].resends;
            rep.libtpms_resends = by_target["libtpms"].resends;
        }
        print_console(rep);
        reports.push_back(std::move(rep));
    }

    // The state section: its scenarios, in file name order.
    std::vector<state_report> states;
    if (o.run_state) {
#if defined(__GLIBC__)
        // Both implementations allocate and free their state buffers on every save; without
        // padding glibc gives the top of the heap back after each free and the next save pays
        // the page faults again, or not, depending on what the process allocated before. Keep
        // room at the top of the heap, as in a long-running process.
        mallopt(M_TOP_PAD, 64 << 20);
#endif
        std::vector<std::string> state_files;
        for (const auto& e : std::filesystem::directory_iterator(o.state_dir, ec))
            if (e.path().extension() == ".tpmw") state_files.push_back(e.path().string());
        if (ec) {
            std::cerr << "vtpm: bench: cannot list state directory " << o.state_dir << ": " << ec.message()
                      << " (pass --state-dir DIR)\n";
            return 2;
        }
        std::sort(state_files.begin(), state_files.end());
        for (const auto& f : state_files) {
            try {
                auto w = vtpm::bench::load_workload(f);
                states.push_back(run_state(w, targets, o.repeat, o.state_iterations));
                print_state_console(states.back());
                if (states.back().skipped) status = 1;
            } catch (const vtpm::bench::workload_error& e) {
                std::cerr << e.what() << "\n";
                status = 1;
            }
        }
    }
    if (!o.out_state_md.empty() && o.run_state && !write_state_md(o.out_state_md, states)) {
        std::cerr << "vtpm: bench: cannot write " << o.out_state_md << "\n";
        return 1;
    }

    if (!o.out_md.empty() && !write_md(o.out_md, reports, o, overhead_us)) {
        std::cerr << "vtpm: bench: cannot write " << o.out_md << "\n";
        return 1;
    }
    if (!o.out_dat.empty() && !write_dat(o.out_dat, reports, states)) {
        std::cerr << "vtpm: bench: cannot write " << o.out_dat << "\n";
        return 1;
    }
    return status;
}
