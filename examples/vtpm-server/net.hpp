// Socket helpers for vtpm-server: listening TCP port pairs and unix sockets, non-blocking I/O,
// file descriptors received with SCM_RIGHTS. Errors come back as strings for one log line.
#pragma once
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace vtpm_server::net {

/// An owned file descriptor.
class fd_handle {
public:
    fd_handle() = default;
    explicit fd_handle(int fd) noexcept : fd_(fd) {}
    fd_handle(fd_handle&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    fd_handle& operator=(fd_handle&& o) noexcept {
        if (this != &o) { reset(); fd_ = std::exchange(o.fd_, -1); }
        return *this;
    }
    fd_handle(const fd_handle&) = delete;
    fd_handle& operator=(const fd_handle&) = delete;
    ~fd_handle() { reset(); }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_ = -1;
};

inline bool set_nonblocking(int fd) noexcept {
    int fl = ::fcntl(fd, F_GETFL);
    return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

inline std::string errno_text(int e = errno) { return std::strerror(e); }

/// "HOST:PORT" (IPv6 in brackets) of a socket address.
inline std::string to_string(const sockaddr* sa) {
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        return "[" + std::string(host) + "]:" + std::to_string(port);
    }
    if (sa->sa_family == AF_UNIX) return "unix";
    return "?";
}

/// A resolved listening address (the first one getaddrinfo gives for HOST).
struct address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    [[nodiscard]] sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
    void set_port(std::uint16_t p) noexcept {
        if (family == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(p);
        else reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(p);
    }
};

inline std::optional<address> resolve(const std::string& host, std::string& err) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || !res) {
        err = "cannot resolve host '" + host + "': " + ::gai_strerror(rc);
        return std::nullopt;
    }
    address a;
    std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
    a.length = static_cast<socklen_t>(res->ai_addrlen);
    a.family = res->ai_family;
    ::freeaddrinfo(res);
    return a;
}

/// Whether the address is a loopback address (127.0.0.0/8 or ::1).
inline bool is_loopback(const address& a) {
    if (a.family == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr) >> 24) == 127;
    if (a.family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&in6);
    }
    return false;
}

/// A listening TCP socket on `a` with port `port`; errno is left set on failure.
inline fd_handle listen_tcp(address a, std::uint16_t port) {
    fd_handle s{::socket(a.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (!s) return s;
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a.family == AF_INET6) ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    a.set_port(port);
    if (::bind(s.get(), a.get(), a.length) != 0 || ::listen(s.get(), 64) != 0) {
        int e = errno;
        s.reset();
        errno = e;
    }
    return s;
}

inline std::uint16_t bound_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return 0;
}

/// Two listening sockets on ports P and P+1 (the clients hard-code the +1). With port 0 a free
/// pair is searched. On failure `err` says why and `err_port` which port.
inline std::optional<std::pair<fd_handle, fd_handle>> listen_tcp_pair(const address& a, std::uint16_t port,
                                                                      std::string& err, unsigned& err_port) {
    err_port = port;
    if (port == 65535) {
        err = "port 65535 has no port+1";
        return std::nullopt;
    }
    for (int attempt = 0; attempt < (port == 0 ? 100 : 1); ++attempt) {
        fd_handle first = listen_tcp(a, port);
        if (!first) {
            err = errno_text();
            return std::nullopt;
        }
        const std::uint16_t p = bound_port(first.get());
        if (p == 65535) continue;
        fd_handle second = listen_tcp(a, static_cast<std::uint16_t>(p + 1));
        if (second) return std::pair{std::move(first), std::move(second)};
        err = errno_text();
        err_port = p + 1u;
        if (port != 0) return std::nullopt;
    }
    err = "no free pair of consecutive ports found";
    err_port = 0;
    return std::nullopt;
}

/// A listening unix socket at `path`. A stale socket file (nobody accepting) is replaced; a live
/// one is an error ("in use").
inline fd_handle listen_unix(const std::string& path, std::string& err) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
        err = "unix socket path too long (" + std::to_string(path.size()) + " bytes, at most " +
              std::to_string(sizeof sa.sun_path - 1) + ")";
        return {};
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            err = "exists and is not a socket";
            return {};
        }
        fd_handle probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        if (probe && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
            err = "in use by another server";
            return {};
        }
        ::unlink(path.c_str());
    }
    fd_handle s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (!s || ::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(s.get(), 16) != 0) {
        err = errno_text();
        return {};
    }
    return s;
}

/// Read what is available; file descriptors passed with SCM_RIGHTS are appended to `fds`.
/// Returns bytes read, 0 at EOF, -1 on error (errno set; EAGAIN: nothing now).
inline ssize_t receive(int fd, bool with_fds, std::uint8_t* buf, std::size_t n, std::vector<int>& fds) {
    if (!with_fds) {
        ssize_t r;
        do r = ::recv(fd, buf, n, 0); while (r < 0 && errno == EINTR);
        return r;
    }
    iovec iov{buf, n};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r;
    do r = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC); while (r < 0 && errno == EINTR);
    if (r < 0) return r;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int passed;
            std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            fds.push_back(passed);
        }
    }
    return r;
}

} // namespace vtpm_server::net
