// Tests for include/vtpm/crypto/ecc.hpp (curve table, concept) and its Botan implementation
// include/vtpm/crypto/botan/ecc.hpp.
//
// Oracles, all independent of the code under test:
//  - curve parameters: `openssl ecparam -name <curve> -param_enc explicit -text` (OpenSSL 3's
//    built-in NIST and SM2 curves); BN-P256/BN-P638: the TCG Algorithm Registry values typed
//    below, checked by /usr/bin/python3 to be BN curves (p = 36u^4+36u^3+24u^2+6u+1,
//    n = 36u^4+36u^3+18u^2+6u+1, both prime) with G on the curve and [n]G = O;
//  - ECDSA and ECDH: /usr/bin/python3 with python3-cryptography 38 (OpenSSL) in both
//    directions, and the RFC 6979 §A.2.5 known answer;
//  - SM2 signatures: `openssl pkeyutl` (SM2 with SM3 and the default distinguishing ID) in both
//    directions;
//  - EC-Schnorr, SM2, ECDAA, Commit, MQV and the SM2 key exchange: the equations of TPM 2.0
//    Part 1 v185 (§44.3.3.3, §44.3.4, §44.2.3, §44.8.4.3, §45.2.2, §45.2.3) transcribed into
//    Python with plain integer affine arithmetic (the `prelude` below), which recomputes every
//    output from the same inputs and random bytes and checks it;
//  - key generation: Part 1 §44.6 transcribed into Python (d = (c mod (n-1)) + 1).
#include <catch2/catch.hpp>

#include <support/oracle.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <system_error>
#include <vector>

#include <botan/bigint.h>
#include <botan/hash.h>

#include <vtpm/crypto/botan/ecc.hpp>
#include <vtpm/crypto/ecc.hpp>

using namespace vtpm;
using namespace vtpm::crypto;
using botan_ecc = vtpm::crypto::botan::ecc_provider;

static_assert(vtpm::crypto::ecc_provider<botan_ecc>);

namespace {

// --- helpers ---------------------------------------------------------------------------------

botan_ecc& provider() {
    static botan_ecc p; // groups are built once for the whole test run
    return p;
}

bytes hex(std::string_view s) {
    bool ok = false;
    bytes b = from_hex(s, &ok);
    REQUIRE(ok);
    return b;
}

bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }

bytes cat(std::initializer_list<byte_view> parts) {
    bytes r;
    for (auto p : parts) r.insert(r.end(), p.begin(), p.end());
    return r;
}

bytes hash_of(const char* botan_name, byte_view data) {
    auto h = Botan::HashFunction::create_or_throw(botan_name);
    h->update(data.data(), data.size());
    const auto d = h->final();
    return bytes(d.begin(), d.end());
}

/// a + b as big-endian numbers (test arithmetic on Botan's BigInt).
bytes plus(byte_view a, byte_view b) {
    const Botan::BigInt s = Botan::BigInt(a.data(), a.size()) + Botan::BigInt(b.data(), b.size());
    const auto v = Botan::BigInt::encode(s);
    return bytes(v.begin(), v.end());
}

/// Strip leading zero octets (compare numbers, not encodings).
std::string num(byte_view b) {
    std::string h = to_hex(b);
    const auto i = h.find_first_not_of('0');
    return i == std::string::npos ? "0" : h.substr(i);
}

std::string py_int(byte_view b) { return "0x" + (b.empty() ? std::string("0") : to_hex(b)); }

/// Run a shell command; returns (exit status, stdout).
std::pair<int, std::string> shell(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int st = pclose(p);
    return {st, out};
}

/// A fresh temporary directory, removed at scope exit.
struct temp_dir {
    std::string path;
    temp_dir() {
        char t[] = "/tmp/vtpm_ecc_test_XXXXXX";
        REQUIRE(mkdtemp(t) != nullptr);
        path = t;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    [[nodiscard]] std::string file(const std::string& name) const { return path + "/" + name; }
    void write(const std::string& name, byte_view data) const {
        FILE* f = std::fopen(file(name).c_str(), "wb");
        REQUIRE(f != nullptr);
        REQUIRE(std::fwrite(data.data(), 1, data.size(), f) == data.size());
        std::fclose(f);
    }
    [[nodiscard]] bytes read(const std::string& name) const {
        FILE* f = std::fopen(file(name).c_str(), "rb");
        REQUIRE(f != nullptr);
        bytes b;
        int c;
        while ((c = std::fgetc(f)) != EOF) b.push_back(static_cast<std::uint8_t>(c));
        std::fclose(f);
        return b;
    }
};

using vtpm_test::python;

/// Every line of a check script is "ok <what>" or "FAIL <what>"; all must be ok and there
/// must be exactly `expected` of them (so a script that silently skipped work fails).
void require_all_ok(const std::string& out, int expected) {
    INFO(out);
    std::istringstream in(out);
    std::string line;
    int ok = 0, bad = 0;
    while (std::getline(in, line)) {
        if (line.rfind("ok ", 0) == 0) ++ok;
        else if (line.rfind("FAIL", 0) == 0) ++bad;
    }
    CHECK(bad == 0);
    CHECK(ok == expected);
}

/// Deterministic byte stream (SHA-256 in counter mode over a label) that records what it gave.
struct stream {
    std::string label;
    std::uint32_t counter = 0;
    bytes given;
    int calls = 0;
    std::vector<std::size_t> sizes;

    explicit stream(std::string l) : label(std::move(l)) {}
    void fill(byte_span out) {
        ++calls;
        sizes.push_back(out.size());
        for (std::size_t done = 0; done < out.size();) {
            bytes in = str(label);
            in.resize(in.size() + 4);
            store_be32(in.data() + in.size() - 4, counter++);
            const bytes block = hash_of("SHA-256", in);
            const std::size_t n = std::min(block.size(), out.size() - done);
            std::copy_n(block.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
            done += n;
        }
        given.insert(given.end(), out.begin(), out.end());
    }
    random_source source() {
        return [this](byte_span b) { fill(b); };
    }
};

const ecc_curve_info& info(ecc_curve_id c) {
    const ecc_curve_info* i = find_ecc_curve(c);
    REQUIRE(i != nullptr);
    return *i;
}

struct point {
    bytes x, y;
    explicit point(const ecc_curve_info& i) : x(i.bytes), y(i.bytes) {}
    point(bytes px, bytes py) : x(std::move(px)), y(std::move(py)) {}
    [[nodiscard]] ecc_point_view view() const { return {x, y}; }
    ecc_point_out out() { return {x, y}; }
    [[nodiscard]] std::string py() const { return "(" + py_int(x) + ", " + py_int(y) + ")"; }
};

struct key {
    ecc_curve_id curve;
    bytes d;
    point q;
};

key generate(ecc_curve_id c, const std::string& label) {
    const auto& i = info(c);
    stream s(label);
    key k{c, bytes(i.order_bytes), point(i)};
    REQUIRE(provider().ecc_generate(c, s.source(), k.d, k.q.out()) == rc::success);
    return k;
}

struct signature {
    bytes r, s;
    explicit signature(const ecc_curve_info& i) : r(i.order_bytes), s(i.order_bytes) {}
    [[nodiscard]] ecc_signature_view view() const { return {r, s}; }
    ecc_signature_out out() { return {r, s}; }
};

const char* botan_hash(tpm_alg_id h) { return crypto::botan::hash_name(h); }

/// The curves of the table as Python objects (parameters from the provider).
std::string py_curves() {
    std::string s = "C = {}\n";
    for (const auto& c : ecc_curves) {
        const auto p = provider().curve_parameters(c.id);
        REQUIRE(p.has_value());
        s += "C[" + std::to_string(c.id) + "] = Curve(" + py_int(p->p) + ", " + py_int(p->a) +
             ", " + py_int(p->b) + ", " + py_int(p->gx) + ", " + py_int(p->gy) + ", " +
             py_int(p->n) + ")\n";
    }
    return s;
}

// Plain integer EC arithmetic (affine, None = point at infinity) and the TPM equations.
const char* const prelude = R"PY(
import hashlib
def H(name, data): return hashlib.new(name, data).digest()
HASH = {0x0004: 'sha1', 0x000B: 'sha256', 0x000C: 'sha384', 0x000D: 'sha512',
        0x0012: 'sm3', 0x0027: 'sha3_256', 0x0028: 'sha3_384', 0x0029: 'sha3_512'}
class Curve:
    def __init__(self, p, a, b, gx, gy, n):
        self.p, self.a, self.b, self.n, self.G = p, a, b, n, (gx, gy)
        self.size = (p.bit_length() + 7) // 8
        self.nsize = (n.bit_length() + 7) // 8
    def on(self, P):
        x, y = P
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - x * x * x - self.a * x - self.b) % self.p == 0
    def add(self, P, Q):
        if P is None: return Q
        if Q is None: return P
        p = self.p
        if P[0] == Q[0]:
            if (P[1] + Q[1]) % p == 0: return None
            l = (3 * P[0] * P[0] + self.a) * pow(2 * P[1], -1, p) % p
        else:
            l = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
        x = (l * l - P[0] - Q[0]) % p
        return (x, (l * (P[0] - x) - P[1]) % p)
    def neg(self, P): return None if P is None else (P[0], (-P[1]) % self.p)
    def mul(self, k, P):
        R = None
        for bit in (bin(k)[2:] if k > 0 else ''):
            R = self.add(R, R)
            if bit == '1': R = self.add(R, P)
        return R
def check(cond, what): print(('ok ' if cond else 'FAIL ') + what)
def extra_bits(c, stream):  # Part 1 44.6: c of len(n)+64 bits, d = (c mod (n-1)) + 1
    bits = c.n.bit_length() + 64
    nb = (bits + 7) // 8
    v = int.from_bytes(stream[:nb], 'big') & ((1 << bits) - 1)
    return v % (c.n - 1) + 1, stream[nb:]
def fe2bs(c, x): return x.to_bytes(c.size, 'big')
def trunc(c, h): return int.from_bytes(h[:c.nsize], 'big')
def schnorr_verify(c, h, Q, P, r, s):  # Part 1 44.3.4.3
    if not 0 < s < c.n: return False
    E = c.add(c.mul(s, c.G), c.neg(c.mul(r % c.n, Q)))
    return E is not None and trunc(c, H(h, fe2bs(c, E[0]) + P)) == r
def avf(c, x, sm2):  # Part 1 44.8.4.3 / 45.2.3.1
    f = (c.n.bit_length() + 1) // 2 - (1 if sm2 else 0)
    return (1 << f) + (x % (1 << f))
)PY";

/// Python: the check script with the prelude and the curves in front.
std::string py_check(const std::string& body) {
    return std::string(prelude) + py_curves() + body;
}

/// Minimal DER for an ECDSA/SM2 signature: SEQUENCE { INTEGER r, INTEGER s }.
bytes der_integer(byte_view v) {
    while (v.size() > 1 && v[0] == 0) v = v.subspan(1);
    const bool pad = v.empty() || (v[0] & 0x80) != 0; // keep the INTEGER positive
    bytes r;
    r.push_back(0x02);
    r.push_back(static_cast<std::uint8_t>(v.size() + (pad ? 1 : 0)));
    if (pad) r.push_back(0);
    for (auto b : v) r.push_back(b);
    return r;
}
bytes der_signature(byte_view r, byte_view s) {
    const bytes body = cat({der_integer(r), der_integer(s)});
    bytes out;
    out.push_back(0x30);
    out.push_back(static_cast<std::uint8_t>(body.size()));
    for (auto b : body) out.push_back(b);
    return out;
}
/// Parse SEQUENCE { INTEGER, INTEGER } (short lengths only) into fixed-size r and s.
void parse_der_signature(byte_view der, std::size_t size, bytes& r, bytes& s) {
    REQUIRE(der.size() >= 8);
    REQUIRE(der[0] == 0x30);
    REQUIRE(der[1] == der.size() - 2);
    std::size_t at = 2;
    for (bytes* out : {&r, &s}) {
        REQUIRE(der[at] == 0x02);
        const std::size_t len = der[at + 1];
        byte_view v = der.subspan(at + 2, len);
        while (!v.empty() && v[0] == 0) v = v.subspan(1);
        REQUIRE(v.size() <= size);
        *out = bytes(size - v.size(), 0);
        out->insert(out->end(), v.begin(), v.end());
        at += 2 + len;
    }
    REQUIRE(at == der.size());
}

/// SM2 ZA (Part 1 equation 64) with SM3 and the given ID.
bytes sm2_za(byte_view id, const point& q) {
    const auto prm = provider().curve_parameters(ecc_curve::sm2_p256);
    REQUIRE(prm.has_value());
    const std::uint8_t entl[2] = {static_cast<std::uint8_t>((id.size() * 8) >> 8),
                                  static_cast<std::uint8_t>(id.size() * 8)};
    return hash_of("SM3", cat({entl, id, prm->a, prm->b, prm->gx, prm->gy, q.x, q.y}));
}

const std::vector<ecc_curve_id> all_curves{ecc_curve::nist_p192, ecc_curve::nist_p224,
                                           ecc_curve::nist_p256, ecc_curve::nist_p384,
                                           ecc_curve::nist_p521, ecc_curve::bn_p256,
                                           ecc_curve::bn_p638,   ecc_curve::sm2_p256};

// The shape a second backend (or a test double) needs: no crypto library involved.
struct fake_ecc {
    bool curve_supported(ecc_curve_id) const { return false; }
    result<ecc_parameters> curve_parameters(ecc_curve_id) const { return rc::curve; }
    bool ecc_point_valid(ecc_curve_id, ecc_point_view) const { return false; }
    rc ecc_generate(ecc_curve_id, const random_source&, byte_span, ecc_point_out) { return rc::curve; }
    rc ecc_public(ecc_curve_id, byte_view, ecc_point_out) { return rc::curve; }
    rc ecc_multiply(ecc_curve_id, byte_view, ecc_point_view, ecc_point_out) { return rc::curve; }
    rc ecc_multiply_base(ecc_curve_id, byte_view, ecc_point_out) { return rc::curve; }
    rc ecc_add(ecc_curve_id, ecc_point_view, ecc_point_view, ecc_point_out) { return rc::curve; }
    rc ecdsa_sign(ecc_curve_id, tpm_alg_id, byte_view, byte_view, ecc_signature_out) { return rc::curve; }
    rc ecdsa_verify(ecc_curve_id, ecc_point_view, byte_view, ecc_signature_view) { return rc::curve; }
    rc ecschnorr_sign(ecc_curve_id, tpm_alg_id, byte_view, byte_view, const random_source&,
                      ecc_signature_out) { return rc::curve; }
    rc ecschnorr_verify(ecc_curve_id, tpm_alg_id, ecc_point_view, byte_view, ecc_signature_view) {
        return rc::curve;
    }
    rc sm2_sign(ecc_curve_id, byte_view, byte_view, const random_source&, ecc_signature_out) {
        return rc::curve;
    }
    rc sm2_verify(ecc_curve_id, ecc_point_view, byte_view, ecc_signature_view) { return rc::curve; }
    rc ecdaa_sign(ecc_curve_id, tpm_alg_id, byte_view, byte_view, byte_view, const random_source&,
                  ecc_signature_out) { return rc::curve; }
    rc ecc_commit(ecc_curve_id, tpm_alg_id, byte_view, byte_view, const ecc_commit_input&,
                  const ecc_commit_output&) { return rc::curve; }
    rc ecmqv_z(ecc_curve_id, byte_view, byte_view, ecc_point_view, ecc_point_view, ecc_point_out) {
        return rc::curve;
    }
    rc sm2_exchange_z(ecc_curve_id, byte_view, byte_view, ecc_point_view, ecc_point_view,
                      ecc_point_out) { return rc::curve; }
};
struct commit_returns_int : fake_ecc {
    int ecc_commit(ecc_curve_id, tpm_alg_id, byte_view, byte_view, const ecc_commit_input&,
                   const ecc_commit_output&) { return 0; }
};
struct non_const_point_valid : fake_ecc {
    bool ecc_point_valid(ecc_curve_id, ecc_point_view) { return false; }
};
static_assert(vtpm::crypto::ecc_provider<fake_ecc>);
static_assert(!vtpm::crypto::ecc_provider<commit_returns_int>);
static_assert(!vtpm::crypto::ecc_provider<non_const_point_valid>);

} // namespace

// --- curves ---------------------------------------------------------------------------------

TEST_CASE("ecc: the table lists every TPM_ECC_CURVE once, with consistent sizes", "[crypto][ecc]") {
    REQUIRE(ecc_curves.size() == all_curves.size());
    for (std::size_t i = 0; i < ecc_curves.size(); ++i) {
        const auto& c = ecc_curves[i];
        CAPTURE(c.id);
        CHECK(c.id == all_curves[i]);
        CHECK(find_ecc_curve(c.id) == &c);
        CHECK(c.bytes == (c.key_bits + 7) / 8);
        CHECK(c.order_bytes == (c.order_bits + 7) / 8);
        CHECK(c.bytes <= max_ecc_bytes);
        CHECK(c.h == "01");
    }
    CHECK(find_ecc_curve(ecc_curve::none) == nullptr);
    CHECK(find_ecc_curve(0x0006) == nullptr);
    static_assert(find_ecc_curve(ecc_curve::bn_p638)->key_bits == 638);
}

TEST_CASE("ecc: every curve is supported and reports its table parameters", "[crypto][ecc]") {
    for (const auto& c : ecc_curves) {
        CAPTURE(c.id);
        REQUIRE(provider().curve_supported(c.id));
        const auto p = provider().curve_parameters(c.id);
        REQUIRE(p.has_value());
        CHECK(p->curve_id == c.id);
        CHECK(p->key_bits == c.key_bits);
        for (const bytes* v : {&p->p, &p->a, &p->b, &p->gx, &p->gy}) CHECK(v->size() == c.bytes);
        CHECK(p->n.size() == c.order_bytes);
        CHECK(to_hex(p->h) == "01");
        CHECK(num(p->p) == num(hex(c.p)));
        CHECK(num(p->a) == num(hex(c.a)));
        CHECK(num(p->b) == num(hex(c.b)));
        CHECK(num(p->gx) == num(hex(c.gx)));
        CHECK(num(p->gy) == num(hex(c.gy)));
        CHECK(num(p->n) == num(hex(c.n)));
    }
    CHECK_FALSE(provider().curve_supported(ecc_curve::none));
    CHECK_FALSE(provider().curve_supported(0x0006));
    CHECK(provider().curve_parameters(0x0006).error() == rc::curve);
}

TEST_CASE("ecc: NIST and SM2 parameters equal OpenSSL's", "[crypto][ecc]") {
    const std::map<ecc_curve_id, const char*> names{
        {ecc_curve::nist_p192, "prime192v1"}, {ecc_curve::nist_p224, "secp224r1"},
        {ecc_curve::nist_p256, "prime256v1"}, {ecc_curve::nist_p384, "secp384r1"},
        {ecc_curve::nist_p521, "secp521r1"},  {ecc_curve::sm2_p256, "SM2"}};
    std::string script = R"PY(
import re, subprocess
def params(name):
    t = subprocess.run(['openssl', 'ecparam', '-name', name, '-param_enc', 'explicit', '-text',
                        '-noout'], capture_output=True, text=True, check=True).stdout
    def field(label):
        m = re.search('^' + re.escape(label) + r'[: ]*\n((?:[ \t]+[0-9a-f:]+\n)+)', t, re.M)
        return int(re.sub('[^0-9a-f]', '', m.group(1)), 16)
    g = field('Generator (uncompressed)')
    size = (field('Prime').bit_length() + 7) // 8
    cof = int(re.search(r'Cofactor:\s*(\d+)', t).group(1))
    return field('Prime'), field('A'), field('B'), g >> (8 * size) & ((1 << 8 * size) - 1), g & ((1 << 8 * size) - 1), field('Order'), cof
)PY";
    for (const auto& [id, name] : names) {
        const auto p = provider().curve_parameters(id);
        REQUIRE(p.has_value());
        script += "check(params('" + std::string(name) + "') == (" + py_int(p->p) + ", " +
                  py_int(p->a) + ", " + py_int(p->b) + ", " + py_int(p->gx) + ", " +
                  py_int(p->gy) + ", " + py_int(p->n) + ", " + py_int(p->h) + "), '" + name +
                  "')\n";
    }
    script = "def check(cond, what): print(('ok ' if cond else 'FAIL ') + what)\n" + script;
    require_all_ok(python(script), static_cast<int>(names.size()));
}

TEST_CASE("ecc: BN-P256 and BN-P638 are the TCG registry's Barreto-Naehrig curves", "[crypto][ecc]") {
    // TCG Algorithm Registry, TPM_ECC_BN_P256 / TPM_ECC_BN_P638 (ISO/IEC 15946-5).
    const std::string bn256_p = "fffffffffffcf0cd46e5f25eee71a49f0cdc65fb12980a82d3292ddbaed33013";
    const std::string bn256_n = "fffffffffffcf0cd46e5f25eee71a49e0cdc65fb1299921af62d536cd10b500d";
    const std::string bn638_p =
        "23fffffdc000000d7fffffb8000001d3fffff942d000165e3fff94870000d52ffffdd0e00008de55c"
        "00086520021e55bfffff51ffff4eb800000004c80015acdffffffffffffece00000000000000067";
    const std::string bn638_n =
        "23fffffdc000000d7fffffb8000001d3fffff942d000165e3fff94870000d52ffffdd0e00008de556"
        "00086550021e555fffff54ffff4eac000000049800154d9ffffffffffffeda00000000000000061";
    const auto p256 = provider().curve_parameters(ecc_curve::bn_p256);
    const auto p638 = provider().curve_parameters(ecc_curve::bn_p638);
    REQUIRE(p256.has_value());
    REQUIRE(p638.has_value());
    CHECK(num(p256->p) == bn256_p);
    CHECK(num(p256->n) == bn256_n);
    CHECK(num(p256->a) == "0");
    CHECK(num(p256->b) == "3");
    CHECK(num(p256->gx) == "1");
    CHECK(num(p256->gy) == "2");
    CHECK(num(p638->p) == bn638_p);
    CHECK(num(p638->n) == bn638_n);
    CHECK(num(p638->a) == "0");
    CHECK(num(p638->b) == "101");
    CHECK(num(p638->gy) == "10");
    std::string script = R"PY(
import math
def prime(n):
    d, s = n - 1, 0
    while d % 2 == 0: d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53):
        x = pow(a, d, n)
        if x in (1, n - 1): continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1: break
        else: return False
    return True
def bn(c, name):
    t = c.p + 1 - c.n                      # trace = 6u^2 + 1
    u = math.isqrt((t - 1) // 6)
    ok = any(36*v**4 + 36*v**3 + 24*v**2 + 6*v + 1 == c.p and 36*v**4 + 36*v**3 + 18*v**2 + 6*v + 1 == c.n
             for v in (u, -u))
    check(ok and c.a == 0, name + ' BN parametrisation')
    check(prime(c.p) and prime(c.n), name + ' p and n prime')
    check(c.on(c.G), name + ' G on the curve')
    check(c.mul(c.n, c.G) is None, name + ' [n]G = O')
bn(C[0x0010], 'BN-P256')
bn(C[0x0011], 'BN-P638')
check(C[0x0011].G == (C[0x0011].p - 1, 16), 'BN-P638 G = (p-1, 16)')
)PY";
    require_all_ok(python(py_check(script)), 9);
}

// --- keys and point arithmetic -----------------------------------------------------------------

TEST_CASE("ecc: generated keys, [n]G = O and point arithmetic on every curve", "[crypto][ecc]") {
    std::string script;
    for (const auto id : all_curves) {
        CAPTURE(id);
        const auto& i = info(id);
        const auto prm = provider().curve_parameters(id);
        REQUIRE(prm.has_value());
        const key k = generate(id, "keygen " + std::to_string(id));
        CHECK(provider().ecc_point_valid(id, k.q.view()));

        // Q from d again.
        point q2(i);
        REQUIRE(provider().ecc_public(id, k.d, q2.out()) == rc::success);
        CHECK(q2.x == k.q.x);
        CHECK(q2.y == k.q.y);

        // [n-1]G = -G, G + (-G) = O, [n]G = O, [0]G = O.
        bytes n_minus_1 = prm->n;
        REQUIRE(n_minus_1.back() > 0);
        --n_minus_1.back();
        point neg_g(i);
        REQUIRE(provider().ecc_multiply_base(id, n_minus_1, neg_g.out()) == rc::success);
        CHECK(neg_g.x == prm->gx);
        script += "check(" + neg_g.py() + " == C[" + std::to_string(id) + "].neg(C[" +
                  std::to_string(id) + "].G), '[n-1]G = -G " + std::to_string(id) + "')\n";
        const point g(prm->gx, prm->gy);
        point sum(i);
        CHECK(provider().ecc_add(id, g.view(), neg_g.view(), sum.out()) == rc::no_result);
        CHECK(provider().ecc_multiply_base(id, prm->n, sum.out()) == rc::no_result);
        CHECK(provider().ecc_multiply_base(id, bytes{0}, sum.out()) == rc::no_result);
        CHECK(provider().ecc_multiply(id, prm->n, g.view(), sum.out()) == rc::no_result);

        // Q + Q = [2]Q = [2d]G; [d]G via ecc_multiply(G) equals Q.
        point dbl(i), dbl2(i), via_g(i);
        REQUIRE(provider().ecc_add(id, k.q.view(), k.q.view(), dbl.out()) == rc::success);
        REQUIRE(provider().ecc_multiply(id, bytes{2}, k.q.view(), dbl2.out()) == rc::success);
        CHECK(dbl.x == dbl2.x);
        CHECK(dbl.y == dbl2.y);
        REQUIRE(provider().ecc_multiply(id, k.d, g.view(), via_g.out()) == rc::success);
        CHECK(via_g.x == k.q.x);
        CHECK(via_g.y == k.q.y);

        const std::string c = "C[" + std::to_string(id) + "]";
        script += "check(" + c + ".on(" + k.q.py() + ") and " + c + ".mul(" + py_int(k.d) + ", " +
                  c + ".G) == " + k.q.py() + ", 'Q = [d]G " + std::to_string(id) + "')\n";
        script += "check(" + c + ".mul(" + c + ".n, " + c + ".G) is None, '[n]G = O " +
                  std::to_string(id) + "')\n";
        script += "check(" + c + ".add(" + k.q.py() + ", " + k.q.py() + ") == " + dbl.py() +
                  ", 'Q + Q " + std::to_string(id) + "')\n";
    }
    require_all_ok(python(py_check(script)), 4 * static_cast<int>(all_curves.size()));
}

TEST_CASE("ecc: key generation follows Part 1 §44.6 and is deterministic", "[crypto][ecc]") {
    std::string script;
    for (const auto id : all_curves) {
        CAPTURE(id);
        const auto& i = info(id);
        stream s1("primary seed"), s2("primary seed"), s3("another seed");
        bytes d1(i.order_bytes), d2(i.order_bytes), d3(i.order_bytes);
        point q1(i), q2(i), q3(i);
        REQUIRE(provider().ecc_generate(id, s1.source(), d1, q1.out()) == rc::success);
        REQUIRE(provider().ecc_generate(id, s2.source(), d2, q2.out()) == rc::success);
        REQUIRE(provider().ecc_generate(id, s3.source(), d3, q3.out()) == rc::success);
        CHECK(d1 == d2);
        CHECK(q1.x == q2.x);
        CHECK(q1.y == q2.y);
        CHECK(d1 != d3);
        // One request of ceil((len(n) + 64) / 8) bytes.
        CHECK(s1.calls == 1);
        REQUIRE(s1.sizes.size() == 1);
        CHECK(s1.sizes[0] == (i.order_bits + 64u + 7u) / 8u);
        const std::string c = "C[" + std::to_string(id) + "]";
        script += "check(extra_bits(" + c + ", bytes.fromhex('" + to_hex(s1.given) + "'))[0] == " +
                  py_int(d1) + ", 'd " + std::to_string(id) + "')\n";
    }
    // Edge values of c: all zero bits give d = 1 (Q = G); all one bits are reduced mod n - 1.
    for (const auto id : {ecc_curve::nist_p256, ecc_curve::nist_p521, ecc_curve::bn_p638}) {
        const auto& i = info(id);
        const auto prm = provider().curve_parameters(id);
        bytes d(i.order_bytes);
        point q(i);
        REQUIRE(provider().ecc_generate(id, [](byte_span b) { std::fill(b.begin(), b.end(), 0); },
                                        d, q.out()) == rc::success);
        CHECK(num(d) == "1");
        CHECK(q.x == prm->gx);
        REQUIRE(provider().ecc_generate(id, [](byte_span b) { std::fill(b.begin(), b.end(), 0xff); },
                                        d, q.out()) == rc::success);
        const std::string c = "C[" + std::to_string(id) + "]";
        script += "check(extra_bits(" + c + ", b'\\xff' * 200)[0] == " + py_int(d) +
                  ", 'all ones " + std::to_string(id) + "')\n";
    }
    require_all_ok(python(py_check(script)), static_cast<int>(all_curves.size()) + 3);
}

TEST_CASE("ecc: invalid points and scalars are rejected", "[crypto][ecc]") {
    auto& e = provider();
    for (const auto id : all_curves) {
        CAPTURE(id);
        const auto& i = info(id);
        const auto prm = provider().curve_parameters(id);
        const key k = generate(id, "invalid " + std::to_string(id));
        point r(i);

        CHECK(e.ecc_point_valid(id, k.q.view()));
        // Leading zeros and stripped leading zeros are still the same number.
        const point padded(cat({bytes{0, 0}, k.q.x}), cat({bytes{0}, k.q.y}));
        CHECK(e.ecc_point_valid(id, padded.view()));
        const point one(bytes{1}, bytes{2});
        CHECK(e.ecc_point_valid(id, one.view()) == (id == ecc_curve::bn_p256)); // BN-P256: G = (1, 2)

        // Off the curve: y + 1.
        point off = k.q;
        off.y.back() ^= 1; // y +- 1: the only other y for this x is p - y
        CHECK_FALSE(e.ecc_point_valid(id, off.view()));
        CHECK(e.ecc_multiply(id, k.d, off.view(), r.out()) == rc::ecc_point);
        CHECK(e.ecc_add(id, k.q.view(), off.view(), r.out()) == rc::ecc_point);
        // The point at infinity (empty coordinates) and a compressed-looking point.
        CHECK_FALSE(e.ecc_point_valid(id, {}));
        CHECK(e.ecc_multiply(id, k.d, {}, r.out()) == rc::ecc_point);
        CHECK_FALSE(e.ecc_point_valid(id, {k.q.x, {}}));
        CHECK_FALSE(e.ecc_point_valid(id, {{}, k.q.y}));
        // Coordinates >= p: G with p added to x or to y is the same residue but not a field
        // element; x = p; a y with an extra non-zero leading octet.
        CHECK(e.ecc_point_valid(id, {prm->gx, prm->gy}));
        CHECK_FALSE(e.ecc_point_valid(id, {plus(prm->gx, prm->p), prm->gy}));
        CHECK_FALSE(e.ecc_point_valid(id, {prm->gx, plus(prm->gy, prm->p)}));
        CHECK_FALSE(e.ecc_point_valid(id, {prm->p, prm->gy}));
        CHECK_FALSE(e.ecc_point_valid(id, {prm->gx, cat({bytes{0x01}, prm->gy})}));
        CHECK(e.ecc_multiply(id, k.d, {plus(prm->gx, prm->p), prm->gy}, r.out()) == rc::ecc_point);
        CHECK(e.ecc_add(id, k.q.view(), {prm->gx, plus(prm->gy, prm->p)}, r.out()) == rc::ecc_point);
        // Signature verification with a bad public key is a point error.
        signature sig(i);
        CHECK(e.ecdsa_verify(id, off.view(), bytes(32, 1), sig.view()) == rc::ecc_point);

        // Private keys outside [1, n-1].
        CHECK(e.ecc_public(id, bytes{0}, r.out()) == rc::value);
        CHECK(e.ecc_public(id, {}, r.out()) == rc::value);
        CHECK(e.ecc_public(id, prm->n, r.out()) == rc::value);
        CHECK(e.ecdsa_sign(id, alg::sha256, prm->n, bytes(32, 1), sig.out()) == rc::value);
        // Wrong output sizes.
        bytes small(i.bytes - 1);
        CHECK(e.ecc_public(id, k.d, {small, r.y}) == rc::size);
        CHECK(e.ecc_multiply_base(id, k.d, {r.x, small}) == rc::size);
        bytes dsmall(i.order_bytes + 1);
        CHECK(e.ecc_generate(id, [](byte_span) {}, dsmall, r.out()) == rc::size);
        CHECK(e.ecdsa_sign(id, alg::sha256, k.d, bytes(32, 1), {dsmall, sig.s}) == rc::size);
    }
    // Unknown curve, unknown hash.
    point r(info(ecc_curve::nist_p256));
    signature sig(info(ecc_curve::nist_p256));
    const key k = generate(ecc_curve::nist_p256, "errors");
    CHECK(e.ecc_public(0x0006, k.d, r.out()) == rc::curve);
    CHECK_FALSE(e.ecc_point_valid(0x0006, k.q.view()));
    CHECK(e.ecdsa_sign(ecc_curve::nist_p256, alg::aes, k.d, bytes(32, 1), sig.out()) == rc::hash);
    stream s("x");
    CHECK(e.ecschnorr_sign(ecc_curve::nist_p256, alg::null, k.d, bytes(32, 1), s.source(),
                           sig.out()) == rc::hash);
    // A random source that throws is an internal failure, not a crash.
    CHECK(e.ecc_generate(ecc_curve::nist_p256, [](byte_span) { throw std::runtime_error("rng"); },
                         sig.r, r.out()) == rc::failure);
    CHECK(e.ecc_generate(ecc_curve::nist_p256, random_source{}, sig.r, r.out()) == rc::failure);
}

// --- ECDSA and ECDH against OpenSSL (Python cryptography) -------------------------------------

TEST_CASE("ecc: ECDSA RFC 6979 known answer (P-256, SHA-256, \"sample\")", "[crypto][ecc]") {
    // RFC 6979 §A.2.5.
    const bytes d = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
    const bytes digest = hash_of("SHA-256", str("sample"));
    signature sig(info(ecc_curve::nist_p256));
    REQUIRE(provider().ecdsa_sign(ecc_curve::nist_p256, alg::sha256, d, digest, sig.out()) == rc::success);
    CHECK(to_hex(sig.r) == "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
    CHECK(to_hex(sig.s) == "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    point q(info(ecc_curve::nist_p256));
    REQUIRE(provider().ecc_public(ecc_curve::nist_p256, d, q.out()) == rc::success);
    CHECK(to_hex(q.x) == "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6");
    CHECK(to_hex(q.y) == "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
    CHECK(provider().ecdsa_verify(ecc_curve::nist_p256, q.view(), digest, sig.view()) == rc::success);
    // Deterministic: the same signature again.
    signature again(info(ecc_curve::nist_p256));
    REQUIRE(provider().ecdsa_sign(ecc_curve::nist_p256, alg::sha256, d, digest, again.out()) == rc::success);
    CHECK(again.r == sig.r);
    CHECK(again.s == sig.s);
}

TEST_CASE("ecc: ECDSA signatures verify in OpenSSL and OpenSSL's verify here", "[crypto][ecc]") {
    struct row {
        ecc_curve_id curve;
        tpm_alg_id hash;
        const char* py_curve;
        const char* py_hash;
    };
    // Digests shorter than, equal to and longer than the order (truncation).
    const row rows[] = {
        {ecc_curve::nist_p192, alg::sha256, "SECP192R1", "SHA256"},
        {ecc_curve::nist_p224, alg::sha1, "SECP224R1", "SHA1"},
        {ecc_curve::nist_p256, alg::sha256, "SECP256R1", "SHA256"},
        {ecc_curve::nist_p256, alg::sha512, "SECP256R1", "SHA512"},
        {ecc_curve::nist_p384, alg::sha384, "SECP384R1", "SHA384"},
        {ecc_curve::nist_p384, alg::sha256, "SECP384R1", "SHA256"},
        {ecc_curve::nist_p521, alg::sha512, "SECP521R1", "SHA512"},
        {ecc_curve::nist_p521, alg::sha256, "SECP521R1", "SHA256"},
    };
    std::string script = R"PY(
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives import hashes
from cryptography.exceptions import InvalidSignature
def case(i, curve, h, d, qx, qy, digest, r, s):
    curve = getattr(ec, curve)(); algo = ec.ECDSA(utils.Prehashed(getattr(hashes, h)()))
    priv = ec.derive_private_key(d, curve)
    nums = priv.public_key().public_numbers()
    check((nums.x, nums.y) == (qx, qy), 'public %d' % i)
    pub = ec.EllipticCurvePublicNumbers(qx, qy, curve).public_key()
    try:
        pub.verify(utils.encode_dss_signature(r, s), digest, algo); check(True, 'verify %d' % i)
    except InvalidSignature: check(False, 'verify %d' % i)
    try:
        pub.verify(utils.encode_dss_signature(r, s ^ 1), digest, algo); check(False, 'tampered %d' % i)
    except InvalidSignature: check(True, 'tampered %d' % i)
    pr, ps = utils.decode_dss_signature(priv.sign(digest, algo))
    print('sig %d %x %x' % (i, pr, ps))
)PY";
    std::vector<key> keys;
    std::vector<bytes> digests;
    int idx = 0;
    for (const auto& r : rows) {
        CAPTURE(r.curve, r.hash);
        const auto& i = info(r.curve);
        keys.push_back(generate(r.curve, "ecdsa " + std::to_string(idx)));
        digests.push_back(hash_of(botan_hash(r.hash), str("message " + std::to_string(idx))));
        signature sig(i);
        REQUIRE(provider().ecdsa_sign(r.curve, r.hash, keys.back().d, digests.back(), sig.out()) ==
                rc::success);
        CHECK(provider().ecdsa_verify(r.curve, keys.back().q.view(), digests.back(), sig.view()) ==
              rc::success);
        script += "case(" + std::to_string(idx) + ", '" + r.py_curve + "', '" + r.py_hash + "', " +
                  py_int(keys.back().d) + ", " + py_int(keys.back().q.x) + ", " +
                  py_int(keys.back().q.y) + ", bytes.fromhex('" + to_hex(digests.back()) + "'), " +
                  py_int(sig.r) + ", " + py_int(sig.s) + ")\n";
        ++idx;
    }
    const std::string out = python(std::string(prelude) + script);
    require_all_ok(out, 3 * idx);
    // Python's (randomized) signatures verify here; altered ones do not.
    std::istringstream in(out);
    std::string line;
    int seen = 0;
    while (std::getline(in, line)) {
        if (line.rfind("sig ", 0) != 0) continue;
        std::istringstream f(line.substr(4));
        int n;
        std::string rh, sh;
        f >> n >> rh >> sh;
        const row& r = rows[n];
        const auto& i = info(r.curve);
        auto fixed = [&](std::string h) {
            if (h.size() % 2) h = "0" + h;
            bytes b = hex(h);
            b.insert(b.begin(), i.order_bytes - b.size(), 0);
            return b;
        };
        const bytes sr = fixed(rh), ss = fixed(sh);
        CAPTURE(n);
        CHECK(provider().ecdsa_verify(r.curve, keys[n].q.view(), digests[n], {sr, ss}) == rc::success);
        bytes bad_digest = digests[n];
        bad_digest[0] ^= 0x80;
        CHECK(provider().ecdsa_verify(r.curve, keys[n].q.view(), bad_digest, {sr, ss}) == rc::signature);
        CHECK(provider().ecdsa_verify(r.curve, keys[n].q.view(), digests[n], {ss, sr}) == rc::signature);
        CHECK(provider().ecdsa_verify(r.curve, keys[n].q.view(), digests[n], {sr, bytes{0}}) == rc::signature);
        ++seen;
    }
    CHECK(seen == idx);
}

TEST_CASE("ecc: ECDH shared point equals OpenSSL's and is symmetric", "[crypto][ecc]") {
    const std::pair<ecc_curve_id, const char*> curves[] = {
        {ecc_curve::nist_p192, "SECP192R1"}, {ecc_curve::nist_p224, "SECP224R1"},
        {ecc_curve::nist_p256, "SECP256R1"}, {ecc_curve::nist_p384, "SECP384R1"},
        {ecc_curve::nist_p521, "SECP521R1"}};
    std::string script = R"PY(
from cryptography.hazmat.primitives.asymmetric import ec
def case(curve, da, qbx, qby, zx):
    curve = getattr(ec, curve)()
    peer = ec.EllipticCurvePublicNumbers(qbx, qby, curve).public_key()
    z = ec.derive_private_key(da, curve).exchange(ec.ECDH(), peer)
    check(int.from_bytes(z, 'big') == zx and len(z) == (curve.key_size + 7) // 8, 'ecdh ' + curve.name)
)PY";
    for (const auto& [id, py] : curves) {
        CAPTURE(id);
        const auto& i = info(id);
        const key a = generate(id, "ecdh a"), b = generate(id, "ecdh b");
        point zab(i), zba(i);
        REQUIRE(provider().ecc_multiply(id, a.d, b.q.view(), zab.out()) == rc::success);
        REQUIRE(provider().ecc_multiply(id, b.d, a.q.view(), zba.out()) == rc::success);
        CHECK(zab.x == zba.x);
        CHECK(zab.y == zba.y);
        CHECK(provider().ecc_point_valid(id, zab.view()));
        script += std::string("case('") + py + "', " + py_int(a.d) + ", " + py_int(b.q.x) + ", " +
                  py_int(b.q.y) + ", " + py_int(zab.x) + ")\n";
    }
    require_all_ok(python(std::string(prelude) + script), 5);
}

// --- EC-Schnorr, SM2, ECDAA ------------------------------------------------------------------

TEST_CASE("ecc: EC-Schnorr signs and verifies exactly as Part 1 §44.3.4 computes it", "[crypto][ecc]") {
    // Every curve, with digests shorter than, equal to and longer than the order (TRUNC).
    const std::pair<ecc_curve_id, tpm_alg_id> rows[] = {
        {ecc_curve::nist_p192, alg::sha256}, {ecc_curve::nist_p224, alg::sha1},
        {ecc_curve::nist_p256, alg::sha256}, {ecc_curve::nist_p256, alg::sha512},
        {ecc_curve::nist_p384, alg::sha256}, {ecc_curve::nist_p521, alg::sha512},
        {ecc_curve::bn_p256, alg::sha256},   {ecc_curve::bn_p638, alg::sha384},
        {ecc_curve::sm2_p256, alg::sm3_256}, {ecc_curve::nist_p256, alg::sha3_256}};
    std::string script;
    int idx = 0;
    for (const auto& [id, h] : rows) {
        CAPTURE(id, h);
        const auto& i = info(id);
        const key k = generate(id, "schnorr key " + std::to_string(idx));
        const bytes digest = hash_of(botan_hash(h), str("schnorr " + std::to_string(idx)));
        stream s("schnorr nonce " + std::to_string(idx));
        signature sig(i);
        REQUIRE(provider().ecschnorr_sign(id, h, k.d, digest, s.source(), sig.out()) == rc::success);
        CHECK(s.calls == 1);
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), digest, sig.view()) == rc::success);
        // Altered digest, r, s, key, hash: rejected.
        bytes bad = digest;
        bad.back() ^= 1;
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), bad, sig.view()) == rc::signature);
        signature alt = sig;
        alt.r.back() ^= 1;
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), digest, alt.view()) == rc::signature);
        alt = sig;
        alt.s.back() ^= 1;
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), digest, alt.view()) == rc::signature);
        const key other = generate(id, "schnorr other");
        CHECK(provider().ecschnorr_verify(id, h, other.q.view(), digest, sig.view()) == rc::signature);
        CHECK(provider().ecschnorr_verify(id, h == alg::sha1 ? alg::sha256 : alg::sha1, k.q.view(),
                                          digest, sig.view()) == rc::signature);
        // r is a number: leading zeros do not matter; s = 0 and s = n are out of range.
        const bytes r_padded = cat({bytes{0, 0, 0}, sig.r});
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), digest, {r_padded, sig.s}) == rc::success);
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), digest, {sig.r, bytes{0}}) == rc::signature);
        CHECK(provider().ecschnorr_verify(id, h, k.q.view(), digest,
                                          {sig.r, provider().curve_parameters(id)->n}) == rc::signature);

        const std::string c = "C[" + std::to_string(id) + "]", n = std::to_string(idx);
        script += "c = " + c + "; h = HASH[" + std::to_string(h) + "]; d = " + py_int(k.d) +
                  "; P = bytes.fromhex('" + to_hex(digest) + "')\n"
                  "k, _ = extra_bits(c, bytes.fromhex('" + to_hex(s.given) + "'))\n"
                  "E = c.mul(k, c.G)\n"
                  "r = trunc(c, H(h, fe2bs(c, E[0]) + P))\n"
                  "check((r, (k + r * d) % c.n) == (" + py_int(sig.r) + ", " + py_int(sig.s) +
                  "), 'sign " + n + "')\n"
                  "check(schnorr_verify(c, h, " + k.q.py() + ", P, " + py_int(sig.r) + ", " +
                  py_int(sig.s) + "), 'verify " + n + "')\n"
                  "check(not schnorr_verify(c, h, " + k.q.py() + ", P, " + py_int(sig.r) + " ^ 1, " +
                  py_int(sig.s) + "), 'tampered " + n + "')\n";
        ++idx;
    }
    require_all_ok(python(py_check(script)), 3 * idx);
}

TEST_CASE("ecc: SM2 signatures interoperate with OpenSSL", "[crypto][ecc]") {
    const ecc_curve_id id = ecc_curve::sm2_p256;
    const auto& i = info(id);
    temp_dir dir;
    const bytes msg = str("message digest");
    const bytes uid = str("1234567812345678"); // OpenSSL's default SM2 distinguishing ID
    dir.write("msg.bin", msg);
    const std::string opts = " -rawin -in " + dir.file("msg.bin") +
                             " -digest sm3 -pkeyopt distid:1234567812345678";

    SECTION("signed here, verified by openssl pkeyutl") {
        const key k = generate(id, "sm2 key");
        const bytes e = hash_of("SM3", cat({sm2_za(uid, k.q), msg})); // equation 65
        stream s("sm2 nonce");
        signature sig(i);
        REQUIRE(provider().sm2_sign(id, k.d, e, s.source(), sig.out()) == rc::success);
        CHECK(provider().sm2_verify(id, k.q.view(), e, sig.view()) == rc::success);
        // SubjectPublicKeyInfo { id-ecPublicKey, sm2 (1.2.156.10197.1.301) }, uncompressed point.
        dir.write("pub.der", cat({hex("3059301306072a8648ce3d020106082a811ccf5501822d03420004"),
                                  k.q.x, k.q.y}));
        dir.write("sig.der", der_signature(sig.r, sig.s));
        const std::string verify = "openssl pkeyutl -verify -pubin -keyform DER -inkey " +
                                   dir.file("pub.der") + opts + " -sigfile " + dir.file("sig.der") +
                                   " 2>&1";
        auto [st, out] = shell(verify);
        INFO(out);
        CHECK(st == 0);
        CHECK(out.find("Signature Verified Successfully") != std::string::npos);
        // The oracle can say no: a changed s fails.
        bytes bad_s = sig.s;
        bad_s.back() ^= 1;
        dir.write("sig.der", der_signature(sig.r, bad_s));
        CHECK(shell(verify).first != 0);

        // The signature is exactly Part 1 §45.2.2.1 with the nonce from the stream.
        const std::string script =
            "c = C[0x20]; d = " + py_int(k.d) + "; e = " + py_int(e) + "\n"
            "k, _ = extra_bits(c, bytes.fromhex('" + to_hex(s.given) + "'))\n"
            "r = (e + c.mul(k, c.G)[0]) % c.n\n"
            "s = pow(1 + d, -1, c.n) * (k - r * d) % c.n\n"
            "check((r, s) == (" + py_int(sig.r) + ", " + py_int(sig.s) + "), 'sm2 sign')\n";
        require_all_ok(python(py_check(script)), 1);
    }

    SECTION("signed by openssl, verified here") {
        REQUIRE(shell("openssl genpkey -algorithm SM2 -out " + dir.file("k.pem") + " 2>&1").first == 0);
        REQUIRE(shell("openssl pkey -in " + dir.file("k.pem") + " -pubout -outform DER -out " +
                      dir.file("pub.der") + " 2>&1").first == 0);
        REQUIRE(shell("openssl pkeyutl -sign -inkey " + dir.file("k.pem") + opts + " -out " +
                      dir.file("sig.der") + " 2>&1").first == 0);
        const bytes spki = dir.read("pub.der");
        REQUIRE(spki.size() == 91);
        REQUIRE(spki[26] == 0x04);
        const point q(bytes(spki.begin() + 27, spki.begin() + 59), bytes(spki.begin() + 59, spki.end()));
        REQUIRE(provider().ecc_point_valid(id, q.view()));
        bytes r, s;
        parse_der_signature(dir.read("sig.der"), i.order_bytes, r, s);
        const bytes e = hash_of("SM3", cat({sm2_za(uid, q), msg}));
        CHECK(provider().sm2_verify(id, q.view(), e, {r, s}) == rc::success);
        const bytes e_other = hash_of("SM3", cat({sm2_za(str("another id"), q), msg}));
        CHECK(provider().sm2_verify(id, q.view(), e_other, {r, s}) == rc::signature);
        CHECK(provider().sm2_verify(id, q.view(), e, {s, r}) == rc::signature);
    }
}

TEST_CASE("ecc: SM2 signing on other curves and key range", "[crypto][ecc]") {
    // The scheme is defined for any curve (Part 1 §45.2.2); d = n - 1 has no (1 + d)^-1.
    for (const auto id : {ecc_curve::nist_p256, ecc_curve::bn_p638}) {
        const auto& i = info(id);
        const key k = generate(id, "sm2 other");
        const bytes e = hash_of("SHA-256", str("e"));
        stream s("sm2 other nonce");
        signature sig(i);
        REQUIRE(provider().sm2_sign(id, k.d, e, s.source(), sig.out()) == rc::success);
        CHECK(provider().sm2_verify(id, k.q.view(), e, sig.view()) == rc::success);
        bytes n_minus_1 = provider().curve_parameters(id)->n;
        --n_minus_1.back();
        CHECK(provider().sm2_sign(id, n_minus_1, e, s.source(), sig.out()) == rc::value);
    }
}

TEST_CASE("ecc: ECDAA signature is Part 1 §44.3.3.3 over the commit value", "[crypto][ecc]") {
    std::string script;
    int idx = 0;
    for (const auto& [id, h] : {std::pair{ecc_curve::bn_p256, alg::sha256},
                                std::pair{ecc_curve::bn_p638, alg::sha512},
                                std::pair{ecc_curve::nist_p256, alg::sha384}}) {
        CAPTURE(id);
        const auto& i = info(id);
        const key k = generate(id, "ecdaa key");
        // The commit value r and E = [r]G (TPM2_Commit without P1 and s2).
        const bytes r = hash_of("SHA-256", cat({str("commit random "), bytes{static_cast<std::uint8_t>(idx)}}));
        point e(i), unused(i);
        REQUIRE(provider().ecc_commit(id, alg::sha256, k.d, r, {}, {{}, {}, e.out()}) == rc::success);
        const bytes digest = hash_of(botan_hash(h), str("attest"));
        stream s("ecdaa nonce");
        signature sig(i);
        REQUIRE(provider().ecdaa_sign(id, h, k.d, r, digest, s.source(), sig.out()) == rc::success);
        // Verifier's view: T = H(k || P) mod n and [s]G = E + [T]Q.
        const std::string c = "C[" + std::to_string(id) + "]", n = std::to_string(idx);
        script += "c = " + c + "; h = HASH[" + std::to_string(h) + "]; d = " + py_int(k.d) +
                  "; r = " + py_int(r) + " % c.n; P = bytes.fromhex('" + to_hex(digest) + "')\n"
                  "k, _ = extra_bits(c, bytes.fromhex('" + to_hex(s.given) + "'))\n"
                  "T = int.from_bytes(H(h, k.to_bytes(c.nsize, 'big') + P), 'big') % c.n\n"
                  "check((k, (r + T * d) % c.n) == (" + py_int(sig.r) + ", " + py_int(sig.s) +
                  "), 'ecdaa sign " + n + "')\n"
                  "check(" + e.py() + " == c.mul(r, c.G), 'commit E " + n + "')\n"
                  "Th = int.from_bytes(H(h, bytes.fromhex('" + to_hex(sig.r) + "') + P), 'big') % c.n\n"
                  "check(c.mul(" + py_int(sig.s) + ", c.G) == c.add(" + e.py() + ", c.mul(Th, " +
                  k.q.py() + ")), 'ecdaa equation " + n + "')\n";
        ++idx;
    }
    require_all_ok(python(py_check(script)), 3 * idx);
}

// --- Commit and two-phase key exchange --------------------------------------------------------

TEST_CASE("ecc: TPM2_Commit point computations (Part 1 §44.2.3)", "[crypto][ecc]") {
    auto& e = provider();
    for (const auto id : {ecc_curve::bn_p256, ecc_curve::nist_p256}) {
        CAPTURE(id);
        const auto& i = info(id);
        const key k = generate(id, "commit key");
        const key p1 = generate(id, "commit P1"); // any point of the curve
        const bytes r = hash_of("SHA-256", str("commit r"));
        // Python finds s2 whose x2 = H(s2) mod p is on the curve (both p = 3 mod 4) and y2.
        const std::string c = "C[" + std::to_string(id) + "]";
        const std::string find = py_check(
            "c = " + c + "\nassert c.p % 4 == 3\ni = 0\nwhile True:\n"
            "    s2 = b'vtpm commit %d' % i\n"
            "    x2 = int.from_bytes(H('sha256', s2), 'big') % c.p\n"
            "    rhs = (x2 ** 3 + c.a * x2 + c.b) % c.p\n"
            "    y2 = pow(rhs, (c.p + 1) // 4, c.p)\n"
            "    if y2 * y2 % c.p == rhs: break\n"
            "    i += 1\n"
            "print(s2.hex(), y2.to_bytes(c.size, 'big').hex())\n");
        std::istringstream in(python(find));
        std::string s2h, y2h;
        in >> s2h >> y2h;
        const bytes s2 = hex(s2h), y2 = hex(y2h);

        point K(i), L(i), E(i);
        REQUIRE(e.ecc_commit(id, alg::sha256, k.d, r, {p1.q.view(), s2, y2}, {K.out(), L.out(), E.out()}) ==
                rc::success);
        point E2(i);
        REQUIRE(e.ecc_commit(id, alg::sha256, k.d, r, {{}, {}, {}}, {{}, {}, E2.out()}) == rc::success);
        point K3(i), L3(i);
        REQUIRE(e.ecc_commit(id, alg::sha256, k.d, r, {{}, s2, y2}, {K3.out(), L3.out(), {}}) == rc::success);
        CHECK(K3.x == K.x);
        CHECK(L3.x == L.x);
        const std::string script =
            "c = " + c + "; d = " + py_int(k.d) + "; r = " + py_int(r) + " % c.n\n"
            "B = (int.from_bytes(H('sha256', bytes.fromhex('" + s2h + "')), 'big') % c.p, " + py_int(y2) + ")\n"
            "check(" + K.py() + " == c.mul(d, B), 'K')\n"
            "check(" + L.py() + " == c.mul(r, B), 'L')\n"
            "check(" + E.py() + " == c.mul(r, " + p1.q.py() + "), 'E = [r]P1')\n"
            "check(" + E2.py() + " == c.mul(r, c.G), 'E = [r]G')\n";
        require_all_ok(python(py_check(script)), 4);

        // Errors: step 1 (sizes), 4 (x2, y2 off the curve), 5 (bad P1), 12 (r = 0), hash.
        CHECK(e.ecc_commit(id, alg::sha256, k.d, r, {{}, s2, {}}, {K.out(), L.out(), E.out()}) == rc::size);
        CHECK(e.ecc_commit(id, alg::sha256, k.d, r, {{}, {}, y2}, {K.out(), L.out(), E.out()}) == rc::size);
        bytes y2_bad = y2;
        y2_bad.back() ^= 1;
        CHECK(e.ecc_commit(id, alg::sha256, k.d, r, {{}, s2, y2_bad}, {K.out(), L.out(), {}}) ==
              rc::ecc_point);
        CHECK(e.ecc_commit(id, alg::sha1, k.d, r, {{}, s2, y2}, {K.out(), L.out(), {}}) == rc::ecc_point);
        point bad_p1 = p1.q;
        bad_p1.x.back() ^= 1;
        CHECK(e.ecc_commit(id, alg::sha256, k.d, r, {bad_p1.view(), {}, {}}, {{}, {}, E.out()}) ==
              rc::ecc_point);
        CHECK(e.ecc_commit(id, alg::sha256, k.d, r, {{p1.q.x, {}}, {}, {}}, {{}, {}, E.out()}) ==
              rc::ecc_point);
        CHECK(e.ecc_commit(id, alg::sha256, k.d, provider().curve_parameters(id)->n, {}, {{}, {}, E.out()}) ==
              rc::no_result);
        CHECK(e.ecc_commit(id, alg::null, k.d, r, {{}, s2, y2}, {K.out(), L.out(), {}}) == rc::hash);
        CHECK(e.ecc_commit(id, alg::sha256, k.d, r, {{}, s2, y2}, {K.out(), {}, {}}) == rc::size);
    }
}

TEST_CASE("ecc: ECMQV and SM2 key exchange agree between parties and with Part 1", "[crypto][ecc]") {
    auto& e = provider();
    std::string script;
    int checks = 0;
    for (const auto id : {ecc_curve::nist_p256, ecc_curve::nist_p384, ecc_curve::sm2_p256, ecc_curve::bn_p256}) {
        CAPTURE(id);
        const auto& i = info(id);
        const key sa = generate(id, "static A"), sb = generate(id, "static B");
        // Ephemeral keys as TPM2_EC_Ephemeral makes them: Qe = [r]G for a commit value r.
        const bytes ra = hash_of("SHA-256", str("ephemeral A")), rb = hash_of("SHA-256", str("ephemeral B"));
        point qea(i), qeb(i);
        REQUIRE(e.ecc_multiply_base(id, ra, qea.out()) == rc::success);
        REQUIRE(e.ecc_multiply_base(id, rb, qeb.out()) == rc::success);
        const std::string c = "C[" + std::to_string(id) + "]";
        for (const bool sm2 : {false, true}) {
            auto z = [&](const key& s, byte_view r, const key& peer, const point& peer_e, point& out) {
                return sm2 ? e.sm2_exchange_z(id, s.d, r, peer.q.view(), peer_e.view(), out.out())
                           : e.ecmqv_z(id, s.d, r, peer.q.view(), peer_e.view(), out.out());
            };
            point za(i), zb(i);
            REQUIRE(z(sa, ra, sb, qeb, za) == rc::success);
            REQUIRE(z(sb, rb, sa, qea, zb) == rc::success);
            CHECK(za.x == zb.x);
            CHECK(za.y == zb.y);
            const std::string s = sm2 ? "True" : "False", dea = py_int(ra) + " % c.n";
            script += "c = " + c + "\nQeA = c.mul(" + dea + ", c.G)\n";
            script += sm2 ? "tA = (" + py_int(sa.d) + " + (" + dea + ") * avf(c, QeA[0], True)) % c.n\n"
                            "Z = c.mul(tA, c.add(" + sb.q.py() + ", c.mul(avf(c, " + qeb.py() + "[0], True), " + qeb.py() + ")))\n"
                          : "tA = ((" + dea + ") + " + py_int(sa.d) + " * avf(c, QeA[0], False)) % c.n\n"
                            "Z = c.mul(tA, c.add(" + qeb.py() + ", c.mul(avf(c, " + qeb.py() + "[0], False), " + sb.q.py() + ")))\n";
            script += "check(Z == " + za.py() + ", '" + (sm2 ? "sm2 " : "mqv ") + std::to_string(id) + "')\n";
            ++checks;
            // Bad peer points, bad static key, r = 0.
            point bad = qeb;
            bad.y.back() ^= 1;
            CHECK(z(sa, ra, sb, bad, za) == rc::ecc_point);
            CHECK(z(key{id, bytes{0}, sa.q}, ra, sb, qeb, za) == rc::value);
            CHECK(z(sa, bytes{0}, sb, qeb, za) == rc::no_result);
        }
        // The ECDH (Full Unified Model) variant is two ecc_multiply calls: Zs = [dsA]QsB, Ze = [deA]QeB.
        point zs_a(i), zs_b(i), ze_a(i), ze_b(i);
        REQUIRE(e.ecc_multiply(id, sa.d, sb.q.view(), zs_a.out()) == rc::success);
        REQUIRE(e.ecc_multiply(id, sb.d, sa.q.view(), zs_b.out()) == rc::success);
        REQUIRE(e.ecc_multiply(id, ra, qeb.view(), ze_a.out()) == rc::success);
        REQUIRE(e.ecc_multiply(id, rb, qea.view(), ze_b.out()) == rc::success);
        CHECK(zs_a.x == zs_b.x);
        CHECK(ze_a.x == ze_b.x);
    }
    require_all_ok(python(py_check(script)), checks);
}

// --- timings (not run by default: ./vtpm_tests "[.ecc-bench]") -------------------------------

TEST_CASE("ecc: timings", "[crypto][.ecc-bench]") {
    auto& e = provider();
    const auto time_us = [](int n, auto&& f) {
        f();
        const auto t0 = std::chrono::steady_clock::now();
        for (int k = 0; k < n; ++k) f();
        const auto t1 = std::chrono::steady_clock::now();
        return std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
    };
    for (const auto id : all_curves) {
        const auto& i = info(id);
        const key a = generate(id, "bench a"), b = generate(id, "bench b");
        const bytes digest = hash_of("SHA-256", str("bench"));
        signature sig(i);
        point z(i);
        stream s("bench");
        const double sign = time_us(200, [&] { (void)e.ecdsa_sign(id, alg::sha256, a.d, digest, sig.out()); });
        const double verify = time_us(200, [&] { (void)e.ecdsa_verify(id, a.q.view(), digest, sig.view()); });
        const double ecdh = time_us(200, [&] { (void)e.ecc_multiply(id, a.d, b.q.view(), z.out()); });
        const double keygen = time_us(200, [&] { (void)e.ecc_generate(id, s.source(), sig.r, z.out()); });
        const double schnorr = time_us(200, [&] { (void)e.ecschnorr_sign(id, alg::sha256, a.d, digest, s.source(), sig.out()); });
        const double valid = time_us(200, [&] { (void)e.ecc_point_valid(id, a.q.view()); });
        std::printf("curve 0x%04x: ECDSA sign %.0f us, verify %.0f us; ECDH ecc_multiply %.0f us; "
                    "keygen %.0f us; EC-Schnorr sign %.0f us; point check %.1f us\n",
                    id, sign, verify, ecdh, keygen, schnorr, valid);
    }
}
