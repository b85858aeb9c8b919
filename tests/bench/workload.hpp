// Benchmark workloads (`*.tpmw`, ../shared/bench/WORKLOAD.md): parser, command builder with
// {var} substitution, and response captures. Standard C++ only, no vtpm dependency, so the
// same streams can drive any TPM 2.0 implementation.
//
// Every error (malformed file, capture outside a response) is a `workload_error` whose
// message names the file and line: "vtpm: misc.tpmw:12: ...".
#pragma once
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace vtpm::bench {

using byte_vector = std::vector<std::uint8_t>;

namespace detail {
inline void append_part(std::string& s, std::string_view v) { s.append(v); }
inline void append_part(std::string& s, char c) { s.push_back(c); }
inline void append_part(std::string& s, std::size_t n) { s.append(std::to_string(n)); }
/// Concatenation for messages (strings, characters, sizes).
template <class... Parts>
std::string cat(const Parts&... parts) {
    std::string s;
    (append_part(s, parts), ...);
    return s;
}
} // namespace detail

class workload_error : public std::runtime_error {
public:
    workload_error(const std::string& file, std::size_t line, const std::string& what)
        : std::runtime_error(line ? detail::cat("vtpm: ", file, ":", line, ": ", what)
                                  : detail::cat("vtpm: ", file, ": ", what)),
          line_(line) {}
    /// 1-based line of the offending text, 0 when the error concerns the whole file.
    [[nodiscard]] std::size_t line() const noexcept { return line_; }

private:
    std::size_t line_;
};

enum class phase : char { setup = 'S', loop = 'L', teardown = 'T' };

/// `var=OFF:LEN` (WORKLOAD.md "Captures").
struct capture {
    enum class length_kind { bytes, tpm2b, to_end };
    std::string var;
    bool after_previous = false;   ///< OFF was `+`
    std::size_t offset = 0;        ///< OFF when not `+`
    length_kind kind = length_kind::bytes;
    std::size_t length = 0;        ///< LEN for `bytes`; K of `e-K` for `to_end`
};

/// A run of literal bytes, or a `{var}` reference.
struct segment {
    byte_vector literal;
    std::string var;  ///< non-empty: a variable reference
};

struct command_line {
    std::size_t line = 0;  ///< in the file, 1-based
    bench::phase phase = bench::phase::loop;
    std::string name;
    std::uint32_t expected_rc = 0;
    std::vector<segment> segments;  ///< the first one is literal and holds the 10-byte header
    std::vector<capture> captures;
    [[nodiscard]] std::uint32_t command_code() const noexcept {
        const auto& h = segments.front().literal;
        return (std::uint32_t{h[6]} << 24) | (std::uint32_t{h[7]} << 16) | (std::uint32_t{h[8]} << 8) | h[9];
    }
};

struct workload {
    std::string file;            ///< as given to the parser (for messages)
    std::string name;            ///< `!name`, else the file name without directory and `.tpmw`
    std::size_t iterations = 1;  ///< `!iterations`, default 1
    std::vector<command_line> setup, loop, teardown;  ///< each in file order
};

/// Captured variables: name → raw bytes.
using variables = std::map<std::string, byte_vector, std::less<>>;

namespace detail {

inline constexpr std::size_t max_number = 1u << 20;  // offsets, lengths, iterations

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

inline std::vector<std::string_view> split_tokens(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i])) ++i;
        std::size_t j = i;
        while (j < s.size() && !is_space(s[j])) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline bool is_identifier(std::string_view s) noexcept {
    if (s.empty()) return false;
    auto first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (!first(s[0])) return false;
    return std::all_of(s.begin() + 1, s.end(), [&](char c) { return first(c) || (c >= '0' && c <= '9'); });
}

/// Decimal number in [0, max_number]; nullopt if not.
inline std::optional<std::size_t> parse_decimal(std::string_view s) noexcept {
    if (s.empty() || s.size() > 9) return std::nullopt;
    std::size_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (ec != std::errc{} || p != s.data() + s.size() || v > max_number) return std::nullopt;
    return v;
}

inline std::string quoted(std::string_view s) {
    constexpr std::size_t shown = 40;
    return cat("'", s.substr(0, shown), s.size() > shown ? "...'" : "'");
}

class line_parser {
public:
    line_parser(const std::string& file, std::size_t line) : file_(file), line_(line) {}

    [[noreturn]] void fail(const std::string& what) const { throw workload_error(file_, line_, what); }

    std::uint32_t parse_rc(std::string_view t) const {
        std::string_view digits = t;
        if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
        std::uint32_t v = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
        if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size())
            fail(cat("expected response code ", quoted(t), " is not a hex number like 0x000"));
        return v;
    }

    /// Appends the hex tokens (with `{var}` references) to `out`.
    void parse_hex(std::span<const std::string_view> tokens, std::vector<segment>& out) const {
        std::string pending;  // hex digits of the current literal run (whitespace is ignored)
        auto flush = [&](const std::string& before) {
            if (pending.size() % 2 != 0)
                fail(cat("odd number of hex digits (", pending.size(), ") before ", before));
            if (pending.empty()) return;
            byte_vector b(pending.size() / 2);
            for (std::size_t i = 0; i < b.size(); ++i)
                b[i] = static_cast<std::uint8_t>(hex_value(pending[2 * i]) << 4 | hex_value(pending[2 * i + 1]));
            if (!out.empty() && out.back().var.empty())
                out.back().literal.insert(out.back().literal.end(), b.begin(), b.end());
            else
                out.push_back(segment{std::move(b), {}});
            pending.clear();
        };
        for (auto tok : tokens) {
            for (std::size_t i = 0; i < tok.size(); ++i) {
                char c = tok[i];
                if (c == '{') {
                    auto close = tok.find('}', i + 1);
                    if (close == std::string_view::npos) fail(cat("unterminated '{' in ", quoted(tok)));
                    auto var = tok.substr(i + 1, close - i - 1);
                    const std::string ref = cat("{", var, "}");
                    if (!is_identifier(var)) fail(cat("bad variable name ", ref));
                    flush(ref);
                    if (out.empty()) fail(cat("the command must start with the literal 10-byte header, not ", ref));
                    out.push_back(segment{{}, std::string(var)});
                    i = close;
                } else if (hex_value(c) >= 0) {
                    pending.push_back(c);
                } else if (c == '-' && i + 1 < tok.size() && tok[i + 1] == '>') {
                    fail("'->' must be a token of its own, separated by whitespace");
                } else {
                    fail(cat("invalid character '", c, "' in hex ", quoted(tok)));
                }
            }
        }
        flush("the end of the command");
        if (out.empty()) fail("no command bytes");
        if (out.front().literal.size() < 10)
            fail(cat("the command must start with the literal 10-byte header tag(2) commandSize(4) "
                     "commandCode(4); found ", out.front().literal.size(), " byte(s) before ",
                     out.size() > 1 ? cat("{", out[1].var, "}") : std::string("the end")));
    }

    capture parse_capture(std::string_view t, bool first) const {
        auto eq = t.find('=');
        if (eq == std::string_view::npos) fail(cat("capture ", quoted(t), " is not var=OFF:LEN"));
        capture c;
        auto var = t.substr(0, eq);
        if (!is_identifier(var)) fail(cat("capture ", quoted(t), ": bad variable name '", var, "'"));
        c.var = std::string(var);
        auto rest = t.substr(eq + 1);
        auto colon = rest.find(':');
        if (colon == std::string_view::npos) fail(cat("capture ", quoted(t), " is not var=OFF:LEN (no ':')"));
        auto off = rest.substr(0, colon);
        auto len = rest.substr(colon + 1);
        if (off == "+") {
            if (first) fail(cat("capture ", quoted(t), ": '+' needs an earlier capture on the same line"));
            c.after_previous = true;
        } else if (auto v = parse_decimal(off)) {
            c.offset = *v;
        } else {
            fail(cat("capture ", quoted(t), ": OFF must be a decimal offset or '+'"));
        }
        if (len == "b") {
            c.kind = capture::length_kind::tpm2b;
        } else if (len == "e") {
            c.kind = capture::length_kind::to_end;
        } else if (len.size() > 2 && len.substr(0, 2) == "e-") {
            auto k = parse_decimal(len.substr(2));
            if (!k) fail(cat("capture ", quoted(t), ": K in 'e-K' must be a decimal number"));
            c.kind = capture::length_kind::to_end;
            c.length = *k;
        } else if (auto v = parse_decimal(len)) {
            c.length = *v;
        } else {
            fail(cat("capture ", quoted(t), ": LEN must be a decimal count, 'b', 'e' or 'e-K'"));
        }
        return c;
    }

private:
    const std::string& file_;
    std::size_t line_;
};

} // namespace detail

/// Parses the text of a workload. `file` names it in error messages and gives the default name.
[[nodiscard]] inline workload parse_workload(std::string_view text, const std::string& file) {
    workload w;
    w.file = file;
    w.name = file.substr(file.find_last_of('/') + 1);  // npos + 1 == 0
    if (w.name.size() > 5 && w.name.ends_with(".tpmw")) w.name.resize(w.name.size() - 5);
    bool have_iterations = false, have_name = false;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        auto tokens = detail::split_tokens(line);
        if (tokens.empty()) continue;
        detail::line_parser p(file, line_no);
        if (line.find('\0') != std::string_view::npos) p.fail("NUL byte in the line (is this a text file?)");

        if (tokens[0].starts_with('!')) {
            auto d = tokens[0];
            if (d == "!iterations") {
                if (tokens.size() != 2) p.fail("usage: !iterations N");
                if (have_iterations) p.fail("second !iterations directive");
                auto n = detail::parse_decimal(tokens[1]);
                if (!n || *n == 0) p.fail(detail::cat("!iterations wants a positive decimal number, got ", detail::quoted(tokens[1])));
                w.iterations = *n;
                have_iterations = true;
            } else if (d == "!name") {
                if (tokens.size() != 2) p.fail("usage: !name NAME (no spaces)");
                if (have_name) p.fail("second !name directive");
                w.name = std::string(tokens[1]);
                have_name = true;
            } else {
                p.fail(detail::cat("unknown directive ", detail::quoted(d), " (known: !iterations, !name)"));
            }
            continue;
        }

        if (tokens.size() < 4) p.fail("expected: PHASE NAME RC HEX... [-> CAPTURE...]");
        command_line c;
        c.line = line_no;
        if (tokens[0] == "S") c.phase = phase::setup;
        else if (tokens[0] == "L") c.phase = phase::loop;
        else if (tokens[0] == "T") c.phase = phase::teardown;
        else p.fail(detail::cat("unknown phase ", detail::quoted(tokens[0]), " (S, L or T)"));
        c.name = std::string(tokens[1]);
        c.expected_rc = p.parse_rc(tokens[2]);

        auto arrow = std::find(tokens.begin() + 3, tokens.end(), std::string_view("->"));
        std::span<const std::string_view> hex(tokens.begin() + 3, arrow);
        if (hex.empty()) p.fail("no command bytes before '->'");
        p.parse_hex(hex, c.segments);
        if (arrow != tokens.end()) {
            if (arrow + 1 == tokens.end()) p.fail("'->' without captures");
            for (auto it = arrow + 1; it != tokens.end(); ++it) {
                if (*it == "->") p.fail("second '->' on the line");
                auto cap = p.parse_capture(*it, it == arrow + 1);
                for (const auto& other : c.captures)
                    if (other.var == cap.var) p.fail(detail::cat("variable '", cap.var, "' captured twice on the line"));
                c.captures.push_back(std::move(cap));
            }
        }
        (c.phase == phase::setup ? w.setup : c.phase == phase::loop ? w.loop : w.teardown).push_back(std::move(c));
    }

    // Every {var} must be captured by a line that runs before it: setup lines, then loop
    // lines (a loop line may use what an earlier loop line captured), then teardown lines.
    std::map<std::string, std::size_t, std::less<>> defined;  // var → line that first captures it
    auto check = [&](const std::vector<command_line>& lines) {
        for (const auto& c : lines) {
            for (const auto& s : c.segments)
                if (!s.var.empty() && !defined.contains(s.var))
                    throw workload_error(file, c.line,
                                         detail::cat("{", s.var, "} is used before any line that runs earlier captures it"));
            for (const auto& cap : c.captures) defined.emplace(cap.var, c.line);
        }
    };
    check(w.setup);
    check(w.loop);
    check(w.teardown);
    if (w.setup.empty() && w.loop.empty() && w.teardown.empty())
        throw workload_error(file, 0, "no command lines");
    return w;
}

/// Reads and parses a workload file.
[[nodiscard]] inline workload load_workload(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw workload_error(path, 0, "cannot open the file (does it exist and is it readable?)");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw workload_error(path, 0, "read error");
    return parse_workload(ss.str(), path);
}

/// The command bytes of `c` with every {var} replaced and commandSize rewritten.
/// `out` is reused so the replay loop does not allocate.
inline void build_command(const workload& w, const command_line& c, const variables& vars, byte_vector& out) {
    out.clear();
    for (const auto& s : c.segments) {
        if (s.var.empty()) {
            out.insert(out.end(), s.literal.begin(), s.literal.end());
        } else {
            auto it = vars.find(s.var);
            if (it == vars.end())
                throw workload_error(w.file, c.line, detail::cat("{", s.var, "} has no value (its capture did not run)"));
            out.insert(out.end(), it->second.begin(), it->second.end());
        }
    }
    if (out.size() > 0xFFFFFFFFu) throw workload_error(w.file, c.line, "command too large");
    auto n = static_cast<std::uint32_t>(out.size());
    for (int i = 0; i < 4; ++i) out[2 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
}

/// Takes the captures of `c` from `response` into `vars`.
inline void apply_captures(const workload& w, const command_line& c, std::span<const std::uint8_t> response,
                           variables& vars) {
    std::size_t next = 0;  // end of the previous capture of this line
    for (const auto& cap : c.captures) {
        std::size_t off = cap.after_previous ? next : cap.offset;
        auto where = [&] {
            return detail::cat("capture ", cap.var, ": response has ", response.size(), " bytes, ");
        };
        if (off > response.size())
            throw workload_error(w.file, c.line, detail::cat(where(), "offset ", off, " is past its end"));
        std::size_t len = 0;
        switch (cap.kind) {
        case capture::length_kind::bytes: len = cap.length; break;
        case capture::length_kind::tpm2b:
            if (response.size() - off < 2)
                throw workload_error(w.file, c.line, detail::cat(where(), "no room for a TPM2B size at offset ", off));
            len = 2 + ((std::size_t{response[off]} << 8) | response[off + 1]);
            break;
        case capture::length_kind::to_end:
            if (response.size() - off < cap.length)
                throw workload_error(w.file, c.line,
                                     detail::cat(where(), "'e-", cap.length, "' ends before offset ", off));
            len = response.size() - off - cap.length;
            break;
        }
        if (len > response.size() - off)
            throw workload_error(w.file, c.line,
                                 detail::cat(where(), len, " bytes at offset ", off, " do not fit"));
        vars[cap.var].assign(response.begin() + static_cast<std::ptrdiff_t>(off),
                             response.begin() + static_cast<std::ptrdiff_t>(off + len));
        next = off + len;
    }
}

/// Command names in report order (execution order: setup, loop, teardown; first occurrence).
[[nodiscard]] inline std::vector<std::string> report_names(const workload& w) {
    std::vector<std::string> names;
    for (const auto* lines : {&w.setup, &w.loop, &w.teardown})
        for (const auto& c : *lines)
            if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
    return names;
}

} // namespace vtpm::bench
