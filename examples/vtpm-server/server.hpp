// vtpm-server: a single-threaded poll() loop serving TPM instances over the simulator protocols.
// The library has no globals: the server object owns its TPM instances, sockets and state.
#pragma once
#include <poll.h>
#include <sys/file.h>
#include <sys/signalfd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <botan/auto_rng.h>
#include <vtpm/platform/vm.hpp>
#include <vtpm/platforms/botan_file.hpp>
#include <vtpm/testing/command.hpp>
#include <vtpm/transport/mssim.hpp>
#include <vtpm/transport/swtpm.hpp>
#include <vtpm/vtpm.hpp>

#include "net.hpp"
#include "options.hpp"

namespace vtpm_server {

namespace ms = vtpm::transport::mssim;
namespace sw = vtpm::transport::swtpm;
using platform = vtpm::platforms::botan_file;
using tpm_type = vtpm::tpm<platform>;
using vtpm::byte_view;
using vtpm::bytes;

/// Startup failure: one line for stderr, exit status 1.
struct startup_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class channel : std::uint8_t { mssim_command, mssim_platform, swtpm_data, swtpm_control };

inline const char* channel_name(channel c) {
    switch (c) {
    case channel::mssim_command: return "mssim command";
    case channel::mssim_platform: return "mssim platform";
    case channel::swtpm_data: return "swtpm data";
    case channel::swtpm_control: return "swtpm control";
    }
    return "?";
}

class logger {
public:
    explicit logger(log_level l) : level_(l) {}
    void operator()(log_level l, const std::string& msg) const {
        if (l > level_) return;
        std::fprintf(stderr, "vtpm-server: %s%s\n", l == log_level::warning ? "warning: " : "", msg.c_str());
        std::fflush(stderr);
    }
    [[nodiscard]] bool enabled(log_level l) const { return l <= level_; }

private:
    log_level level_;
};

/// One TPM with its state directory and the per-TPM platform state of the protocols.
struct instance {
    unsigned id = 0;
    std::unique_ptr<tpm_type> tpm = std::make_unique<tpm_type>();
    std::optional<vtpm::storage::file> store;
    net::fd_handle lock;
    bytes saved;                // the state last written to the store
    std::uint8_t locality = 0;  // swtpm: locality for raw data-channel commands
    bool stopped = false;       // swtpm CMD_STOP: data commands fail until CMD_INIT
    bool established = false;   // swtpm TPMEstablished: set by _TPM_Hash_Start
    bool retired = false;       // TPM_STOP / CMD_SHUTDOWN: no longer served
    std::uint32_t largest_command_size = 0, largest_command_code = 0;
    std::uint32_t largest_response_size = 0, largest_response_code = 0;
    std::vector<std::string> ready_lines;
    std::vector<std::string> unix_paths;
};

struct listener {
    net::fd_handle fd;
    channel kind;
    unsigned inst;
    bool is_unix;
    std::string where;
};

using any_parser = std::variant<ms::command_parser, ms::platform_parser, sw::data_parser, sw::control_parser>;

struct connection {
    net::fd_handle fd;
    channel kind;
    unsigned inst;
    bool is_unix;
    std::string peer;
    any_parser parser;
    bytes in;                 // received, not yet parsed
    std::size_t in_pos = 0;
    bytes out;                // replies not yet written
    std::size_t out_pos = 0;
    std::vector<int> passed_fds;  // SCM_RIGHTS fds received, for CMD_SET_DATAFD
    bool close_after_flush = false;
    bool dead = false;

    connection(net::fd_handle f, channel k, unsigned i, bool u, std::string p, any_parser parse)
        : fd(std::move(f)), kind(k), inst(i), is_unix(u), peer(std::move(p)), parser(std::move(parse)) {}
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() {
        for (int f : passed_fds) ::close(f);
    }
};

inline any_parser make_parser(channel c) {
    switch (c) {
    case channel::mssim_command: return ms::command_parser{};
    case channel::mssim_platform: return ms::platform_parser{};
    case channel::swtpm_data: return sw::data_parser{};
    case channel::swtpm_control: return sw::control_parser{};
    }
    return ms::command_parser{};
}

/// Unix paths of instance i for --swtpm-unix PATH: {control, data}.
inline std::pair<std::string, std::string> unix_paths(const std::string& path, unsigned i, unsigned n) {
    const std::string suffix = ".ctrl";
    const bool has_suffix = path.size() > suffix.size() && path.ends_with(suffix);
    std::string stem = has_suffix ? path.substr(0, path.size() - suffix.size()) : path;
    if (n > 1) stem += "." + std::to_string(i);
    if (has_suffix) return {stem + suffix, stem};
    return {stem, stem + ".data"};
}

class server {
public:
    static constexpr std::size_t max_connections = 512;
    static constexpr std::size_t out_high_water = 256 * 1024;  // stop parsing while more is unsent
    static constexpr std::uint32_t buffer_size = vtpm::max_response_size;

    explicit server(options o) : opt_(std::move(o)), log_(opt_.level) {}

    ~server() {
        for (auto& in : instances_)
            for (auto& p : in.unix_paths) ::unlink(p.c_str());
    }

    /// Lock and load the state, listen, write the ready file. Throws startup_error.
    void start() {
        if (opt_.ready_file) {  // a stale file from an earlier run must not look like "ready"
            std::error_code ec;
            std::filesystem::remove(*opt_.ready_file, ec);
        }
        setup_signals();
        instances_.resize(opt_.instances);
        for (unsigned i = 0; i < opt_.instances; ++i) instances_[i].id = i;
        if (opt_.state_dir) open_state();
        else if (opt_.vm_dir) open_vm();
        else
            for (auto& in : instances_) in.tpm->manufacture();
        for (auto& in : instances_) {
            in.saved = (in.store || vm_) ? in.tpm->save_state() : bytes{};
            bring_up(in);
        }
        for (auto& in : instances_) open_listeners(in);
        write_ready_file();
    }

    /// Serve until every instance is retired or a signal arrives. Returns the exit status.
    int run() {
        std::vector<pollfd> pfds;
        std::vector<std::pair<int, std::size_t>> owners;  // (kind: 0 signal, 1 listener, 2 connection, index)
        while (live_instances() > 0) {
            for (auto& c : conns_)
                if (c->close_after_flush && c->out_pos == c->out.size()) close_connection(*c, "");
            std::erase_if(conns_, [](const auto& c) { return c->dead; });
            pfds.clear();
            owners.clear();
            pfds.push_back({sigfd_.get(), POLLIN, 0});
            owners.emplace_back(0, 0);
            for (std::size_t i = 0; i < listeners_.size(); ++i) {
                if (!listeners_[i].fd) continue;
                pfds.push_back({listeners_[i].fd.get(), POLLIN, 0});
                owners.emplace_back(1, i);
            }
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                auto& c = *conns_[i];
                short ev = 0;
                if (c.out_pos < c.out.size()) ev = POLLOUT;
                else if (!c.close_after_flush) ev = POLLIN;
                pfds.push_back({c.fd.get(), ev, 0});
                owners.emplace_back(2, i);
            }
            int n = ::poll(pfds.data(), pfds.size(), -1);
            if (n < 0) {
                if (errno == EINTR) continue;
                log_(log_level::error, "poll failed: " + net::errno_text() + "; saving and exiting");
                save_all("poll failure");
                return 1;
            }
            for (std::size_t k = 0; k < pfds.size(); ++k) {
                if (!pfds[k].revents) continue;
                auto [kind, idx] = owners[k];
                if (kind == 0) {
                    signalfd_siginfo si{};
                    if (::read(sigfd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                        log_(log_level::info, std::string("received ") + (si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM") +
                                                  ": saving state and exiting");
                        save_all("signal");
                        return 0;
                    }
                } else if (kind == 1) {
                    accept_on(idx);
                } else {
                    service(*conns_[idx], pfds[k].revents);
                }
            }
            std::erase_if(conns_, [](const auto& c) { return c->dead; });
            // Connections accepted during this round are picked up by the next poll().
            for (auto& c : pending_) conns_.push_back(std::move(c));
            pending_.clear();
        }
        log_(log_level::info, "no TPM instance left to serve; exiting");
        return 0;
    }

private:
    // ---- start-up ---------------------------------------------------------------------

    void setup_signals() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
            throw startup_error("cannot block SIGTERM/SIGINT: " + net::errno_text());
        sigfd_ = net::fd_handle{::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)};
        if (!sigfd_) throw startup_error("cannot create a signalfd: " + net::errno_text());
        std::signal(SIGPIPE, SIG_IGN);
    }

    static net::fd_handle take_lock(const std::filesystem::path& dir) {
        const auto lock_path = dir / "lock";
        net::fd_handle fd{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
        if (!fd) throw startup_error("cannot create lock file " + lock_path.string() + ": " + net::errno_text());
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK)
                throw startup_error("state directory " + dir.string() + " is in use by another vtpm-server (" +
                                    lock_path.string() + " is locked); stop that server or use another --state");
            throw startup_error("cannot lock " + lock_path.string() + ": " + net::errno_text());
        }
        return fd;
    }

    vtpm::storage::file make_store(const std::filesystem::path& dir) {
        try {
            return vtpm::storage::file(dir, [this](const std::string& m) {
                if (capture_storage_log_) storage_log_.push_back(strip(m));
                else log_(log_level::error, strip(m));
            });
        } catch (const std::exception& e) {
            throw startup_error(strip(e.what()) + " (check --state)");
        }
    }

    static std::string strip(std::string m) {
        if (m.starts_with("vtpm: ")) m.erase(0, 6);
        return m;
    }

    void open_state() {
        const auto& dir = *opt_.state_dir;
        // The top directory: created, checked and locked even when instances live below it.
        auto top = make_store(dir);
        top_lock_ = take_lock(dir);
        for (auto& in : instances_) {
            const auto idir = opt_.instances > 1 ? dir / std::to_string(in.id) : dir;
            if (opt_.instances > 1) {
                in.store.emplace(make_store(idir));
                in.lock = take_lock(idir);
            } else {
                in.store.emplace(std::move(top));
            }
            const auto file = (idir / std::string(platform::state_name)).string();
            capture_storage_log_ = true;
            storage_log_.clear();
            auto state = in.store->get(platform::state_name);
            capture_storage_log_ = false;
            if (state) {
                for (auto& m : storage_log_) log_(log_level::warning, prefix(in) + m);
                if (auto err = in.tpm->load_state(*state))
                    throw startup_error("cannot load " + file + ": " + strip(*err) +
                                        " (move it away to start with a fresh TPM)");
                log_(log_level::info, prefix(in) + "loaded state from " + file);
            } else {
                if (std::filesystem::exists(file))
                    throw startup_error(file + " is unreadable or corrupt and has no good previous generation "
                                        "(move it away to start with a fresh TPM)");
                in.tpm->manufacture();
                if (!in.store->put(platform::state_name, in.tpm->save_state()))
                    throw startup_error("cannot write the state of a new TPM to " + file);
                log_(log_level::info, prefix(in) + "manufactured a new TPM in " + idir.string());
            }
        }
    }

    /// --vm DIR: open the VM's TPM (its NVRAM file, decrypted with the host's key provider)
    /// and hold the VM lock until exit.
    void open_vm() {
        auto dir = std::filesystem::absolute(*opt_.vm_dir).lexically_normal();
        if (dir.filename().empty()) dir = dir.parent_path();
        const auto vms = dir.parent_path();
        if (vms.filename() != "vms")
            throw startup_error(dir.string() + " is not a VM directory of a vtpm host (HOME/vms/NAME); see vtpmctl vm list");
        try {
            vtpm::platform::host h(vms.parent_path());
            vm_.emplace(h.open_session(dir.filename().string()));
        } catch (const vtpm::platform::error& e) {
            throw startup_error(strip(e.what()));
        }
        auto& in = instances_.at(0);
        if (auto err = in.tpm->load_state(vm_->tpm().save_state()))
            throw startup_error("cannot load the TPM of VM " + dir.string() + ": " + strip(*err));
        log_(log_level::info, prefix(in) + "serving the TPM of VM '" + vm_->vm().name + "' from " + dir.string());
    }

    /// Power on (the TPM comes up initialised, like swtpm --flags not-need-init) and, with
    /// --startup-clear, send TPM2_Startup(CLEAR).
    void bring_up(instance& in) {
        in.tpm->power_on();
        in.stopped = false;
        if (!opt_.startup_clear) return;
        const auto cmd = vtpm::testing::startup_command(vtpm::su::clear);
        std::array<std::uint8_t, vtpm::max_response_size> rsp{};
        const std::size_t n = in.tpm->execute(cmd, rsp, 0);
        const std::uint32_t rc = n >= 10 ? vtpm::load_be32(rsp.data() + 6) : 0xffffffff;
        if (rc != 0 && rc != 0x100)  // TPM_RC_INITIALIZE: already started
            log_(log_level::warning, prefix(in) + "TPM2_Startup(CLEAR) failed with " + hex(rc));
        maybe_save(in);
    }

    void open_listeners(instance& in) {
        const unsigned offset = 2 * in.id;
        auto tcp = [&](const endpoint& e, channel first, channel second, const char* proto) {
            std::string err;
            auto addr = net::resolve(e.host, err);
            if (!addr) throw startup_error(err);
            if (!net::is_loopback(*addr))
                log_(log_level::warning, std::string(proto) + " listens on " + e.host +
                                             ", which is not a loopback address: the protocol has no authentication");
            const unsigned port = e.port == 0 ? 0u : e.port + offset;
            if (port > 65534) throw startup_error(std::string("--") + proto + " port " + std::to_string(port) + " of instance " +
                                                  std::to_string(in.id) + " is out of range");
            unsigned err_port = 0;
            auto pair = net::listen_tcp_pair(*addr, static_cast<std::uint16_t>(port), err, err_port);
            if (!pair) {
                const bool second_port = port != 0 && err_port == port + 1;
                throw startup_error("cannot listen on " + e.host + ":" + std::to_string(err_port) + " (" +
                                    channel_name(second_port ? second : first) + " port of instance " +
                                    std::to_string(in.id) + "): " + err);
            }
            const auto p1 = net::bound_port(pair->first.get()), p2 = net::bound_port(pair->second.get());
            log_(log_level::info, prefix(in) + proto + " on " + e.host + ":" + std::to_string(p1) + " (" +
                                      channel_name(first) + ") and :" + std::to_string(p2) + " (" + channel_name(second) + ")");
            in.ready_lines.push_back(std::string(proto) + " " + std::to_string(in.id) + " " + e.host + " " +
                                     std::to_string(p1) + " " + std::to_string(p2));
            listeners_.push_back({std::move(pair->first), first, in.id, false, e.host + ":" + std::to_string(p1)});
            listeners_.push_back({std::move(pair->second), second, in.id, false, e.host + ":" + std::to_string(p2)});
        };
        if (opt_.mssim) tcp(*opt_.mssim, channel::mssim_command, channel::mssim_platform, "mssim");
        if (opt_.swtpm) tcp(*opt_.swtpm, channel::swtpm_data, channel::swtpm_control, "swtpm");
        if (opt_.swtpm_unix) {
            auto [ctrl, data] = unix_paths(*opt_.swtpm_unix, in.id, opt_.instances);
            for (auto [path, kind] : {std::pair{ctrl, channel::swtpm_control}, std::pair{data, channel::swtpm_data}}) {
                std::string err;
                auto fd = net::listen_unix(path, err);
                if (!fd)
                    throw startup_error("cannot listen on unix socket " + path + " (" + channel_name(kind) +
                                        ", instance " + std::to_string(in.id) + "): " + err);
                in.unix_paths.push_back(path);
                listeners_.push_back({std::move(fd), kind, in.id, true, path});
            }
            log_(log_level::info, prefix(in) + "swtpm control on unix socket " + ctrl + ", data on " + data);
            in.ready_lines.push_back("swtpm-unix " + std::to_string(in.id) + " " + ctrl + " " + data);
        }
    }

    void write_ready_file() {
        if (!opt_.ready_file) return;
        const auto tmp = opt_.ready_file->string() + ".tmp";
        {
            std::ofstream f(tmp, std::ios::trunc);
            f << "pid " << ::getpid() << "\n";
            for (auto& in : instances_)
                for (auto& l : in.ready_lines) f << l << "\n";
            f.flush();
            if (!f) throw startup_error("cannot write --ready-file " + tmp);
        }
        std::error_code ec;
        std::filesystem::rename(tmp, *opt_.ready_file, ec);
        if (ec) throw startup_error("cannot write --ready-file " + opt_.ready_file->string() + ": " + ec.message());
    }

    // ---- state ------------------------------------------------------------------------

    /// Write the state if it differs from what was last written.
    void maybe_save(instance& in) {
        if (!in.store && !vm_) return;
        bytes s = in.tpm->save_state();
        if (s == in.saved) return;
        if (vm_) {
            try {
                vm_->save(s, vm_rng_);
                in.saved = std::move(s);
                log_(log_level::debug, prefix(in) + "VM NVRAM file saved");
            } catch (const std::exception& e) {
                log_(log_level::error, prefix(in) + strip(e.what()) + "; the state stays in memory, retrying after the next command");
            }
            return;
        }
        if (in.store->put(platform::state_name, s)) {
            in.saved = std::move(s);
            log_(log_level::debug, prefix(in) + "state saved (" + std::to_string(in.saved.size()) + " bytes)");
        } else {
            log_(log_level::error, prefix(in) + "could not save the TPM state in " + in.store->directory().string() +
                                       "; it stays in memory, retrying after the next command");
        }
    }

    /// Orderly end of an instance: power off (Clock is recorded) and save.
    void shut_down(instance& in, const char* why) {
        if (in.retired) return;
        in.tpm->power_off();
        maybe_save(in);
        in.retired = true;
        log_(log_level::info, prefix(in) + "stopped (" + why + ")" + ((in.store || vm_) ? ", state saved" : ""));
    }

    void save_all(const char* why) {
        for (auto& in : instances_) shut_down(in, why);
    }

    /// End an instance: save, stop listening, close its connections, release its lock (so
    /// another server may take over DIR/i while this one serves the other instances).
    void retire(instance& in, const char* why) {
        shut_down(in, why);
        for (auto& l : listeners_)
            if (l.inst == in.id) l.fd.reset();
        for (auto& p : in.unix_paths) ::unlink(p.c_str());
        in.unix_paths.clear();
        in.store.reset();
        in.lock.reset();
        for (auto& c : conns_)
            if (c->inst == in.id) c->close_after_flush = true;
    }

    [[nodiscard]] std::size_t live_instances() const {
        std::size_t n = 0;
        for (auto& in : instances_) n += !in.retired;
        return n;
    }

    // ---- connections ------------------------------------------------------------------

    void accept_on(std::size_t li) {
        auto& l = listeners_[li];
        while (l.fd) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            net::fd_handle fd{::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC | SOCK_NONBLOCK)};
            if (!fd) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                    log_(log_level::warning, "accept on " + l.where + " failed: " + net::errno_text());
                return;
            }
            const std::string peer = l.is_unix ? l.where : net::to_string(reinterpret_cast<sockaddr*>(&ss));
            if (conns_.size() + pending_.size() >= max_connections) {
                log_(log_level::warning, "too many connections (" + std::to_string(max_connections) + "); refusing " + peer);
                continue;
            }
            add_connection(std::move(fd), l.kind, l.inst, l.is_unix, peer);
        }
    }

    void add_connection(net::fd_handle fd, channel kind, unsigned inst, bool is_unix, std::string peer) {
        auto c = std::make_unique<connection>(std::move(fd), kind, inst, is_unix, std::move(peer), make_parser(kind));
        log_(log_level::debug, where(*c) + "connected");
        pending_.push_back(std::move(c));
    }

    std::string where(const connection& c) const {
        return "[" + std::to_string(c.inst) + "] " + channel_name(c.kind) + " " + c.peer + ": ";
    }
    static std::string prefix(const instance& in) { return "[" + std::to_string(in.id) + "] "; }
    static std::string hex(std::uint32_t v) {
        char b[16];
        std::snprintf(b, sizeof b, "0x%x", v);
        return b;
    }

    void close_connection(connection& c, const std::string& why, log_level level = log_level::debug) {
        if (c.dead) return;
        if (!why.empty()) log_(level, where(c) + why);
        c.fd.reset();
        c.dead = true;
    }

    void service(connection& c, short revents) {
        if (c.dead) return;
        if (revents & POLLOUT) {
            flush(c);
            if (c.dead) return;
            if (c.out_pos == c.out.size()) process(c);  // parse what was held back
            return;
        }
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
            std::array<std::uint8_t, 65536> buf;
            const bool with_fds = c.is_unix && c.kind == channel::swtpm_control;
            const ssize_t n = net::receive(c.fd.get(), with_fds, buf.data(), buf.size(), c.passed_fds);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                return close_connection(c, "receive failed: " + net::errno_text() + "; connection closed", log_level::warning);
            }
            if (n == 0) return on_eof(c);
            c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(c.in_pos));
            c.in_pos = 0;
            c.in.insert(c.in.end(), buf.begin(), buf.begin() + n);
            process(c);
        }
    }

    void on_eof(connection& c) {
        const bool truncated = std::visit([](const auto& p) { return p.mid_frame(); }, c.parser);
        if (truncated)
            close_connection(c, "client closed the connection in the middle of a request (truncated frame); request dropped",
                             log_level::warning);
        else
            close_connection(c, "client disconnected");
    }

    /// Parse and execute buffered requests while the reply backlog is small.
    void process(connection& c) {
        while (!c.dead && !c.close_after_flush && c.in_pos < c.in.size() && c.out.size() - c.out_pos < out_high_water) {
            byte_view in{c.in.data() + c.in_pos, c.in.size() - c.in_pos};
            std::visit(
                [&](auto& p) {
                    auto s = p.feed(in);
                    c.in_pos += s.consumed;
                    if (s.event) handle(c, std::move(*s.event));
                },
                c.parser);
        }
        flush(c);
    }

    void send(connection& c, const bytes& b) { c.out.insert(c.out.end(), b.begin(), b.end()); }

    void flush(connection& c) {
        while (!c.dead && c.out_pos < c.out.size()) {
            ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                return close_connection(c, "send failed: " + net::errno_text() + "; connection closed",
                                        errno == EPIPE || errno == ECONNRESET ? log_level::debug : log_level::warning);
            }
            c.out_pos += static_cast<std::size_t>(n);
        }
        if (c.out_pos == c.out.size()) {
            c.out.clear();
            c.out_pos = 0;
            if (c.close_after_flush && !c.dead) close_connection(c, "");
        }
    }

    // ---- TPM execution ----------------------------------------------------------------

    bytes execute(instance& in, byte_view cmd, std::uint8_t locality) {
        std::array<std::uint8_t, vtpm::max_response_size> rsp{};
        const std::size_t n = in.tpm->execute(cmd, rsp, locality);
        if (cmd.size() >= 10 && cmd.size() > in.largest_command_size) {
            in.largest_command_size = static_cast<std::uint32_t>(cmd.size());
            in.largest_command_code = vtpm::load_be32(cmd.data() + 6);
        }
        if (n >= 10 && n > in.largest_response_size) {
            in.largest_response_size = static_cast<std::uint32_t>(n);
            in.largest_response_code = vtpm::load_be32(rsp.data() + 6);
        }
        if (log_.enabled(log_level::debug)) {
            const std::uint32_t code = cmd.size() >= 10 ? vtpm::load_be32(cmd.data() + 6) : 0;
            const std::uint32_t rc = n >= 10 ? vtpm::load_be32(rsp.data() + 6) : 0;
            log_(log_level::debug, prefix(in) + "command " + hex(code) + " at locality " + std::to_string(locality) +
                                       " -> " + hex(rc));
        }
        maybe_save(in);
        return bytes(rsp.begin(), rsp.begin() + static_cast<std::ptrdiff_t>(n));
    }

    void protocol_error(connection& c, std::string_view what) {
        log_(log_level::warning, where(c) + std::string(what) + "; connection closed");
    }

    template <class Event>
    void handle(connection& c, Event&& e) {
        instance& in = instances_[c.inst];
        if (in.retired) {
            c.close_after_flush = true;
            return;
        }
        if constexpr (std::is_same_v<std::decay_t<Event>, ms::command_event>) on_mssim_command(c, in, e);
        else if constexpr (std::is_same_v<std::decay_t<Event>, ms::platform_event>) on_mssim_platform(c, in, e);
        else if constexpr (std::is_same_v<std::decay_t<Event>, sw::data_event>) on_swtpm_data(c, in, e);
        else on_swtpm_control(c, in, e);
    }

    void after(connection& c, instance& in, vtpm::transport::after_reply a, const char* stop_why) {
        using vtpm::transport::after_reply;
        if (a == after_reply::close_connection) c.close_after_flush = true;
        if (a == after_reply::stop_server) {
            c.close_after_flush = true;
            retire(in, stop_why);
        }
    }

    static std::string describe_error(const vtpm::transport::error& e) {
        return std::string(vtpm::transport::describe(e.kind)) + " (" + std::to_string(e.value) + ")";
    }

    void on_mssim_command(connection& c, instance& in, ms::command_event& e) {
        const auto rule = ms::reply_for(e);
        std::visit(vtpm::transport::detail::overloaded{
                       [&](ms::send_command& s) {
                           // Powered off: an empty response, as ibmswtpm2 answers.
                           const bytes rsp = in.tpm->powered() ? execute(in, s.command, s.locality) : bytes{};
                           send(c, ms::encode_send_command_response(rsp));
                       },
                       [&](ms::hash_start&) { in.tpm->hash_start(); },
                       [&](ms::hash_data& h) { in.tpm->hash_data(h.data); },
                       [&](ms::hash_end&) { in.tpm->hash_end(); maybe_save(in); },
                       [&](ms::remote_handshake&) { send(c, ms::encode_handshake_reply()); },
                       [&](vtpm::transport::unknown& u) { protocol_error(c, "unknown request code " + hex(u.code)); },
                       [&](vtpm::transport::error& x) { protocol_error(c, describe_error(x)); },
                       [&](auto&) {},
                   },
                   e);
        if (rule.what == ms::reply::ack) send(c, ms::encode_ack());
        after(c, in, rule.after, "TPM_STOP");
    }

    void on_mssim_platform(connection& c, instance& in, ms::platform_event& e) {
        const auto rule = ms::reply_for(e);
        auto& t = *in.tpm;
        std::visit(vtpm::transport::detail::overloaded{
                       [&](ms::power_on&) { t.power_on(); },
                       [&](ms::power_off&) { t.power_off(); maybe_save(in); },
                       [&](ms::phys_pres_on&) { t.set_physical_presence(true); },
                       [&](ms::phys_pres_off&) { t.set_physical_presence(false); },
                       [&](ms::cancel_on&) { t.set_cancel(true); },
                       [&](ms::cancel_off&) { t.set_cancel(false); },
                       [&](ms::nv_on&) { t.set_nv_available(true); },
                       [&](ms::nv_off&) { t.set_nv_available(false); },
                       [&](ms::reset&) {
                           if (t.powered()) t.reset();
                       },
                       [&](ms::test_failure_mode&) { t.force_failure(); },
                       [&](ms::get_command_response_sizes&) {
                           send(c, ms::encode_command_response_sizes_reply(in.largest_command_size, in.largest_command_code,
                                                                           in.largest_response_size,
                                                                           in.largest_response_code));
                       },
                       [&](ms::act_get_signaled&) { send(c, ms::encode_act_signaled_reply(0)); },
                       [&](vtpm::transport::unknown& u) {
                           protocol_error(c, "unknown platform code " + hex(u.code));
                           send(c, ms::encode_unknown_code_reply());
                       },
                       [&](auto&) {},  // key cache, restart, session end, stop
                   },
                   e);
        if (rule.what == ms::reply::ack) send(c, ms::encode_ack());
        after(c, in, rule.after, "TPM_STOP");
    }

    void on_swtpm_data(connection& c, instance& in, sw::data_event& e) {
        if (auto* x = std::get_if<vtpm::transport::error>(&e)) {
            protocol_error(c, describe_error(*x));
            c.close_after_flush = true;
            return;
        }
        auto& cmd = std::get<sw::tpm_command>(e);
        if (cmd.prefixed) in.locality = cmd.locality;
        bytes rsp = (in.stopped || !in.tpm->powered()) ? sw::encode_tpm_error_response(vtpm::rc::failure)
                                                       : execute(in, cmd.command, in.locality);
        send(c, cmd.prefixed ? sw::encode_send_command_response(rsp) : rsp);
    }

    std::string info_json(std::uint64_t flags) const {
        std::string parts;
        auto add = [&](const std::string& p) { parts += (parts.empty() ? "" : ",") + p; };
        if (flags & 1) add(R"("TPMSpecification":{"family":"2.0","level":0,"revision":185})");
        if (flags & 2) add(R"("TPMAttributes":{"manufacturer":"id:00000000","version":"id:00000001","model":"vtpm"})");
        return "{" + parts + "}";
    }

    void on_swtpm_control(connection& c, instance& in, sw::control_event& e) {
        const auto rule = sw::reply_for(e);
        auto& t = *in.tpm;
        std::uint32_t result = sw::res::success;
        const bool running = !in.stopped;
        auto need_running = [&] {
            if (!running) result = sw::res::bad_ordinal;
            return running;
        };
        std::visit(vtpm::transport::detail::overloaded{
                       [&](sw::get_capability&) {
                           send(c, sw::encode_get_capability_reply(sw::ptm_cap::swtpm_0_7_tpm2));
                       },
                       [&](sw::init& i) {
                           // A power cycle (_TPM_Init). Volatile state is never kept on disk here, so
                           // DELETE_VOLATILE has nothing to delete.
                           t.power_off();
                           maybe_save(in);
                           bring_up(in);
                           log_(log_level::debug, where(c) + "CMD_INIT flags " + hex(i.flags));
                       },
                       [&](sw::shutdown&) {},
                       [&](sw::get_tpmestablished&) {
                           need_running();
                           send(c, sw::encode_get_tpmestablished_reply(result, in.established));
                       },
                       [&](sw::set_locality& l) {
                           if (!need_running()) return;
                           if (l.locality > 4) result = sw::res::bad_locality;
                           else in.locality = l.locality;
                       },
                       [&](sw::hash_start&) {
                           if (!need_running()) return;
                           t.hash_start();
                           in.established = true;
                       },
                       [&](sw::hash_data& h) {
                           if (need_running()) t.hash_data(h.data);
                       },
                       [&](sw::hash_end&) {
                           if (!need_running()) return;
                           t.hash_end();
                           maybe_save(in);
                       },
                       [&](sw::cancel_tpm_cmd&) { need_running(); },  // commands run to completion
                       [&](sw::store_volatile&) {
                           if (need_running()) maybe_save(in);
                       },
                       [&](sw::reset_tpmestablished& r) {
                           if (!need_running()) return;
                           if (r.locality < 3 || r.locality > 4) result = sw::res::bad_locality;
                           else in.established = false;
                       },
                       [&](sw::get_stateblob& g) {
                           // The permanent blob is the versioned state (tpm::save_state()); volatile
                           // and savestate blobs are empty (not serialized yet).
                           bytes blob;
                           if (g.type == sw::blob_type::permanent) blob = t.save_state();
                           else if (g.type != sw::blob_type::volatile_ && g.type != sw::blob_type::savestate)
                               result = sw::res::bad_parameter;
                           send(c, sw::encode_get_stateblob_reply(result, 0, blob, g.offset));
                       },
                       [&](sw::set_stateblob& s) {
                           if (running) {
                               result = sw::res::invalid_postinit;
                           } else if (s.flags & sw::state_flag_encrypted) {
                               result = sw::res::bad_parameter;
                           } else if (s.type == sw::blob_type::permanent) {
                               if (auto err = t.load_state(s.data)) {
                                   log_(log_level::warning, where(c) + "CMD_SET_STATEBLOB rejected: " + strip(*err));
                                   result = sw::res::fail;
                               } else {
                                   maybe_save(in);
                                   log_(log_level::info, where(c) + "TPM state replaced by CMD_SET_STATEBLOB");
                               }
                           } else if (s.type == sw::blob_type::volatile_ || s.type == sw::blob_type::savestate) {
                               if (!s.data.empty()) result = sw::res::bad_parameter;
                           } else {
                               result = sw::res::bad_parameter;
                           }
                       },
                       [&](sw::stop&) {
                           t.power_off();
                           maybe_save(in);
                           in.stopped = true;
                       },
                       [&](sw::get_config&) { send(c, sw::encode_get_config_reply(sw::res::success, 0)); },
                       [&](sw::set_datafd&) {
                           if (c.passed_fds.empty()) {
                               result = sw::res::bad_parameter;
                               return;
                           }
                           net::fd_handle fd{c.passed_fds.front()};
                           c.passed_fds.erase(c.passed_fds.begin());
                           net::set_nonblocking(fd.get());
                           add_connection(std::move(fd), channel::swtpm_data, in.id, true, "fd from CMD_SET_DATAFD");
                       },
                       [&](sw::set_buffersize& b) {
                           if (b.size != 0 && running) result = sw::res::invalid_postinit;
                           send(c, sw::encode_set_buffersize_reply(result, buffer_size, 128, buffer_size));
                       },
                       [&](sw::get_info& g) { send(c, sw::encode_get_info_reply(info_json(g.flags), g.offset)); },
                       [&](vtpm::transport::unknown& u) { protocol_error(c, "unknown control command " + hex(u.code)); },
                       [&](vtpm::transport::error& x) { protocol_error(c, describe_error(x)); },
                   },
                   e);
        if (rule.what == sw::reply::result) send(c, sw::encode_result(result));
        else if (rule.what == sw::reply::fixed_result) send(c, sw::encode_result(rule.result));
        after(c, in, rule.after, "CMD_SHUTDOWN");
    }

    options opt_;
    logger log_;
    net::fd_handle sigfd_;
    net::fd_handle top_lock_;
    bool capture_storage_log_ = false;
    std::vector<std::string> storage_log_;
    std::vector<instance> instances_;
    std::optional<vtpm::platform::vm_session> vm_; // --vm: the VM's TPM, locked while served
    Botan::AutoSeeded_RNG vm_rng_;
    std::vector<listener> listeners_;
    std::vector<std::unique_ptr<connection>> conns_;
    std::vector<std::unique_ptr<connection>> pending_;
};

} // namespace vtpm_server
