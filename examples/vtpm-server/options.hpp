// vtpm-server command line: a plain struct and its parser.
#pragma once
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtpm_server {

enum class log_level : std::uint8_t { error, warning, info, debug };

/// HOST:PORT of a TCP endpoint (PORT 0: pick free ports).
struct endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
};

struct options {
    std::optional<std::filesystem::path> state_dir;
    std::optional<std::filesystem::path> vm_dir; // --vm: a VM's encrypted NVRAM file (HOME/vms/NAME)
    std::optional<endpoint> mssim;
    std::optional<endpoint> swtpm;
    std::optional<std::string> swtpm_unix;
    unsigned instances = 1;
    std::optional<std::filesystem::path> ready_file;
    log_level level = log_level::info;
    bool startup_clear = false;
    bool help = false;
};

inline constexpr std::string_view usage_text = R"(Usage: vtpm-server [OPTIONS]

Serves one or more virtual TPM 2.0 instances to standard TPM clients over the Microsoft/IBM
simulator protocol (tpm2-tss "mssim" TCTI, IBM TSS) and the swtpm socket + control protocol
(tpm2-tss "swtpm" TCTI, QEMU's tpm-emulator backend). Single-threaded; requests of all clients
are served one at a time.

Options:
  --state DIR          Keep the TPM state in DIR (created if missing). A fresh TPM is
                       manufactured if DIR holds no state, otherwise the state is loaded. The
                       state is written (atomically, previous generation kept) after every
                       command that changed it, on CMD_STORE_VOLATILE, CMD_STOP, TPM_STOP,
                       CMD_SHUTDOWN, SIGTERM and SIGINT. The server holds an exclusive lock on
                       DIR/lock: a second server on the same DIR refuses to start.
                       Without --state the TPM lives in memory only and is lost at exit.
  --vm DIR             Serve the TPM of the VM in DIR (a VM directory HOME/vms/NAME made by
                       vtpmctl): its state is the VM's encrypted NVRAM file, opened with the
                       host's key provider and written back (encrypted, atomically) like
                       --state. The VM stays locked while the server runs (vtpmctl tpm
                       remove, vm clone/migrate are refused meanwhile). Excludes --state.
  --mssim HOST:PORT    Simulator protocol: TPM command port PORT, platform port PORT+1.
                       (TPM2TOOLS_TCTI="mssim:host=HOST,port=PORT")
  --swtpm HOST:PORT    swtpm protocol: data port PORT, control port PORT+1.
                       (TPM2TOOLS_TCTI="swtpm:host=HOST,port=PORT")
  --swtpm-unix PATH    swtpm protocol on unix sockets: the control channel listens on PATH
                       (QEMU: -chardev socket,id=chrtpm,path=PATH); QEMU passes its data
                       channel with CMD_SET_DATAFD. A data socket is also offered, for
                       tcti-swtpm: if PATH ends in ".ctrl", at PATH without ".ctrl"
                       (TPM2TOOLS_TCTI="swtpm:path=<that>"), otherwise at PATH.data.
  --instances N        Serve N independent TPMs (default 1). Instance i uses ports
                       PORT+2*i (and PORT+2*i+1), state directory DIR/i, and unix paths
                       with ".i" inserted before ".ctrl" (or appended).
  --ready-file FILE    Once listening, write the bound endpoints to FILE (atomically):
                         pid PID
                         mssim I HOST COMMAND_PORT PLATFORM_PORT
                         swtpm I HOST DATA_PORT CONTROL_PORT
                         swtpm-unix I CONTROL_PATH DATA_PATH
                       With PORT 0 the server picks free port pairs; FILE tells which.
  --startup-clear      Send TPM2_Startup(CLEAR) to the TPM when the server starts and after
                       every swtpm CMD_INIT (like swtpm --flags startup-clear), so clients that
                       never send Startup (plain tpm2-tools) work right away.
  --log-level LEVEL    error, warning, info (default) or debug. Logs go to stderr.
  -h, --help           Show this text.

HOST defaults to 127.0.0.1 (":PORT" or "PORT" alone are accepted); "[::1]:PORT" for IPv6.
Without --mssim, --swtpm and --swtpm-unix the server listens on --mssim 127.0.0.1:2321 and
--swtpm 127.0.0.1:2331. The protocols have no authentication: keep them on loopback or on
unix sockets with suitable permissions.

The TPM comes up powered on (not started): tcti-mssim's POWER_ON at every client start is a
no-op on a powered TPM, and tcti-swtpm expects an initialised TPM. Platform signals: mssim
POWER_OFF then POWER_ON is a power cycle (TPM2_Startup needed again); swtpm CMD_INIT is a power
cycle. TPM_STOP (mssim) and CMD_SHUTDOWN (swtpm) save and terminate that TPM instance; the
server exits (status 0) when no instance is left, or on SIGTERM/SIGINT after saving every
instance.

Exit status: 0 after an orderly stop; 1 if the server cannot start (port in use, state
directory unusable or locked, state unreadable); 2 for a bad command line.
)";

namespace detail {
inline bool parse_uint(std::string_view s, unsigned long max, unsigned long& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size() && out <= max;
}
} // namespace detail

/// Parse "HOST:PORT", ":PORT", "PORT" or "[V6]:PORT".
inline std::optional<endpoint> parse_endpoint(std::string_view s) {
    endpoint e;
    std::string_view port = s;
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
        e.host = std::string(s.substr(1, close - 1));
        port = s.substr(close + 2);
    } else if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
        if (colon > 0) e.host = std::string(s.substr(0, colon));
        port = s.substr(colon + 1);
    }
    unsigned long p = 0;
    if (e.host.empty() || !detail::parse_uint(port, 65535, p)) return std::nullopt;
    e.port = static_cast<std::uint16_t>(p);
    return e;
}

/// Parse argv. On error returns the message (without the "vtpm-server: " prefix).
inline std::optional<std::string> parse_options(int argc, char** argv, options& o) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        std::string_view value;
        bool has_value = false;
        if (auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_value = true;
        }
        auto need = [&](std::string_view& v) -> bool {
            if (has_value) { v = value; return true; }
            if (i + 1 >= args.size()) return false;
            v = args[++i];
            return true;
        };
        std::string_view v;
        auto missing = [&] { return "option " + std::string(a) + " needs a value"; };
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--startup-clear") {
            o.startup_clear = true;
        } else if (a == "--state") {
            if (!need(v) || v.empty()) return missing();
            o.state_dir = std::filesystem::path(v);
        } else if (a == "--vm") {
            if (!need(v) || v.empty()) return missing();
            o.vm_dir = std::filesystem::path(v);
        } else if (a == "--mssim" || a == "--swtpm") {
            if (!need(v)) return missing();
            auto e = parse_endpoint(v);
            if (!e) return "bad " + std::string(a) + " value '" + std::string(v) + "': expected HOST:PORT (PORT 0..65535)";
            (a == "--mssim" ? o.mssim : o.swtpm) = *e;
        } else if (a == "--swtpm-unix") {
            if (!need(v) || v.empty()) return missing();
            o.swtpm_unix = std::string(v);
        } else if (a == "--instances") {
            unsigned long n = 0;
            if (!need(v)) return missing();
            if (!detail::parse_uint(v, 1024, n) || n == 0) return "bad --instances value '" + std::string(v) + "': expected 1..1024";
            o.instances = static_cast<unsigned>(n);
        } else if (a == "--ready-file") {
            if (!need(v) || v.empty()) return missing();
            o.ready_file = std::filesystem::path(v);
        } else if (a == "--log-level") {
            if (!need(v)) return missing();
            if (v == "error") o.level = log_level::error;
            else if (v == "warning" || v == "warn") o.level = log_level::warning;
            else if (v == "info") o.level = log_level::info;
            else if (v == "debug") o.level = log_level::debug;
            else return "bad --log-level value '" + std::string(v) + "': expected error, warning, info or debug";
        } else {
            return "unknown option '" + std::string(args[i]) + "' (see --help)";
        }
    }
    if (o.vm_dir && o.state_dir) return "--vm and --state exclude each other (a VM's TPM state is its NVRAM file)";
    if (o.vm_dir && o.instances > 1) return "--vm serves one TPM: it excludes --instances";
    if (!o.mssim && !o.swtpm && !o.swtpm_unix) {
        o.mssim = endpoint{"127.0.0.1", 2321};
        o.swtpm = endpoint{"127.0.0.1", 2331};
    }
    return std::nullopt;
}

} // namespace vtpm_server
