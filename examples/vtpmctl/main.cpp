// vtpmctl: manage key providers, VMs, their TPMs and EK certificates on a host
// (docs/platform.md). Run `vtpmctl --help` or `vtpmctl GROUP COMMAND --help`.
#include <botan/auto_rng.h>
#include <botan/hex.h>
#include <botan/x509cert.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <vtpm/vtpm.hpp>
#include <vtpm/platform/vm.hpp>

namespace fs = std::filesystem;
using namespace vtpm::platform;

namespace {

constexpr const char* main_help = R"(usage: vtpmctl [--home DIR] GROUP COMMAND [ARGS] [OPTIONS]

Manage the vTPMs of a host: key providers, VMs, TPMs, EK certificates.

  provider create|list|backup|restore|set-default|delete
  vm       create|list|clone|clone-policy|migrate|remove
  tpm      add|remove|info
  ek       show|csr|set-cert|ca-cert
  state    inspect

Options:
  --home DIR   host directory (default: $VTPM_HOME, else $HOME/.local/share/vtpm)
  --help       this text; `vtpmctl GROUP COMMAND --help` describes a command

Exit status:
  0  success
  1  other failure (I/O, TPM command)
  2  bad command line
  3  key provider problem (missing, not backed up, TPM2 device required, wrong key or password)
  4  NVRAM file problem (tampered, belongs to another VM, not an NVRAM file)
  5  the VM's TPM is in use (a running vtpm-server holds its lock)
  6  the certificate does not certify the EK
  7  no such VM, TPM, EK or certificate, or it exists already
)";

const std::map<std::string, std::string> command_help = {
    {"provider create", "usage: vtpmctl provider create NAME [--require-tpm]\n"
                        "Create a native key provider (a new 256-bit key). It must be backed up before it\n"
                        "protects new vTPMs. --require-tpm: release keys only on hosts with a TPM 2.0 device.\n"
                        "The first provider becomes the default.\n"},
    {"provider list", "usage: vtpmctl provider list\nList providers: id, name, backed up, host TPM required, default.\n"},
    {"provider backup", "usage: vtpmctl provider backup NAME FILE.p12 (--password PW | --password-file F)\n"
                        "Write a password-protected PKCS#12 backup (PBES2 AES-256-CBC, HMAC-SHA256 MAC) and\n"
                        "mark the provider as backed up. The password may also come from $VTPM_BACKUP_PASSWORD.\n"},
    {"provider restore", "usage: vtpmctl provider restore FILE.p12 (--password PW | --password-file F) [--require-tpm]\n"
                         "Recreate a provider from its backup: same id and key, so the states it protects open.\n"
                         "Restoring without --require-tpm lifts that restriction.\n"},
    {"provider set-default", "usage: vtpmctl provider set-default NAME\nUse this provider when none is named.\n"},
    {"provider delete", "usage: vtpmctl provider delete NAME [--force]\n"
                        "Delete a provider. Refused while a VM's TPM uses it, unless --force (those TPMs\n"
                        "then open only after a restore of the provider's backup).\n"},
    {"vm create", "usage: vtpmctl vm create NAME [--tpm [--provider P] [--ek LIST]]\nCreate a VM (with a TPM: see tpm add).\n"},
    {"vm list", "usage: vtpmctl vm list\nList VMs: name, id, TPM provider.\n"},
    {"vm clone", "usage: vtpmctl vm clone SRC DST [--tpm-policy copy|replace]\n"
                 "copy: DST gets an identical TPM (same EKs, NV, keys: secrets sealed in SRC unseal in DST).\n"
                 "replace: DST gets a new TPM (new EKs and certificates; nothing of SRC's TPM).\n"
                 "Default: see vm clone-policy.\n"},
    {"vm clone-policy", "usage: vtpmctl vm clone-policy [copy|replace]\nShow or set the default TPM provision policy of clones.\n"},
    {"vm migrate", "usage: vtpmctl vm migrate NAME --to-home DIR [--to-provider P]\n"
                   "Move a powered-off VM to another host directory. The target must have the VM's key\n"
                   "provider (restore its backup there), or name one of its providers with --to-provider to\n"
                   "re-encrypt the state under it. On error the source is unchanged.\n"},
    {"vm remove", "usage: vtpmctl vm remove NAME\nRemove a powered-off VM and its TPM.\n"},
    {"tpm add", "usage: vtpmctl tpm add VM [--provider P] [--ek LIST]\n"
                "Give a powered-off VM a new TPM: new seeds, EKs (LIST: rsa2048,ecc256,rsa3072,ecc384;\n"
                "default rsa2048,ecc256) with certificates from the local CA, state encrypted under P\n"
                "(default provider).\n"},
    {"tpm remove", "usage: vtpmctl tpm remove VM\n"
                   "Delete a powered-off VM's TPM. Secrets the guest keeps in it (BitLocker or LUKS keys\n"
                   "sealed to the TPM, credentials) are lost.\n"},
    {"tpm info", "usage: vtpmctl tpm info VM\nShow the TPM's provider, NVRAM format and EKs.\n"},
    {"ek show", "usage: vtpmctl ek show VM [--ek KIND] [--public-area FILE]\n"
                "Show EKs (re-derived by TPM2_CreatePrimary) and their certificates. --public-area writes\n"
                "the TPMT_PUBLIC of the one EK selected with --ek.\n"},
    {"ek csr", "usage: vtpmctl ek csr VM --ek KIND [--out FILE]\nWrite a PKCS#10 request (PEM) for an EK.\n"},
    {"ek set-cert", "usage: vtpmctl ek set-cert VM --ek KIND CERT\n"
                    "Replace an EK certificate (PEM or DER), e.g. with one from an enterprise CA. Refused\n"
                    "unless the certificate's public key is the EK's.\n"},
    {"ek ca-cert", "usage: vtpmctl ek ca-cert [--out FILE]\nWrite the local EK CA's certificate (PEM).\n"},
    {"state inspect", "usage: vtpmctl state inspect (VM | --file PATH [--vm-id ID])\n"
                      "Show an NVRAM file's header and check it: decryption with the host's providers and\n"
                      "the integrity tag.\n"},
};

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct args {
    std::vector<std::string> pos;
    std::map<std::string, std::string> opt;
    std::vector<std::string> flags;
    bool has(const std::string& f) const { return std::find(flags.begin(), flags.end(), f) != flags.end(); }
    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = opt.find(k);
        return it == opt.end() ? def : it->second;
    }
};

const std::vector<std::string> flag_names = {"--require-tpm", "--force", "--tpm", "--help", "-h"};
const std::vector<std::string> value_names = {"--password", "--password-file", "--provider", "--ek", "--tpm-policy", "--to-home",
                                              "--to-provider", "--public-area", "--out", "--file", "--vm-id"};

args parse(int argc, char** argv, int from) {
    args a;
    for (int i = from; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("-", 0) == 0 && s.size() > 1) {
            if (std::find(flag_names.begin(), flag_names.end(), s) != flag_names.end()) {
                a.flags.push_back(s == "-h" ? "--help" : s);
            } else if (auto eq = s.find('='); eq != std::string::npos) {
                a.opt[s.substr(0, eq)] = s.substr(eq + 1);
            } else if (std::find(value_names.begin(), value_names.end(), s) == value_names.end()) {
                throw usage_error("unknown option " + s);
            } else {
                if (i + 1 >= argc) throw usage_error("option " + s + " needs a value");
                a.opt[s] = argv[++i];
            }
        } else {
            a.pos.push_back(s);
        }
    }
    return a;
}

void allow(const args& a, std::size_t npos_min, std::size_t npos_max, std::initializer_list<const char*> opts) {
    if (a.pos.size() < npos_min) throw usage_error("missing argument");
    if (a.pos.size() > npos_max) throw usage_error("unexpected argument '" + a.pos[npos_max] + "'");
    for (const auto& [k, v] : a.opt) {
        bool ok = false;
        for (auto o : opts) ok = ok || k == o;
        if (!ok) throw usage_error("unknown option " + k);
    }
    for (const auto& f : a.flags) {
        bool ok = f == "--help";
        for (auto o : opts) ok = ok || f == o;
        if (!ok) throw usage_error("unknown option " + f);
    }
}

std::string password(const args& a) {
    if (auto p = a.get("--password"); !p.empty()) return p;
    if (auto f = a.get("--password-file"); !f.empty()) {
        const auto b = read_file(f);
        std::string s(b.begin(), b.end());
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        return s;
    }
    if (const char* e = std::getenv("VTPM_BACKUP_PASSWORD"); e && *e) return e;
    throw usage_error("a password is needed: --password PW, --password-file FILE or $VTPM_BACKUP_PASSWORD");
}

std::vector<ek::kind> ek_list(const std::string& s) {
    if (s.empty()) return default_eks();
    std::vector<ek::kind> out;
    std::istringstream in(s);
    std::string k;
    while (std::getline(in, k, ',')) {
        auto kk = ek::kind_from_name(k);
        if (!kk) throw usage_error("unknown EK kind '" + k + "' (rsa2048, ecc256, rsa3072, ecc384)");
        if (std::find(out.begin(), out.end(), *kk) == out.end()) out.push_back(*kk);
    }
    return out;
}
ek::kind one_ek(const args& a) {
    const auto s = a.get("--ek");
    if (s.empty()) throw usage_error("name the EK with --ek rsa2048|ecc256|rsa3072|ecc384");
    auto k = ek::kind_from_name(s);
    if (!k) throw usage_error("unknown EK kind '" + s + "' (rsa2048, ecc256, rsa3072, ecc384)");
    return *k;
}

void write_out(const std::string& path, const std::string& text) {
    if (path.empty() || path == "-") {
        std::cout << text;
        return;
    }
    write_file_atomic(path, vtpm::byte_view{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::string provider_label(const host& h, const std::string& id) {
    auto p = h.providers().find(id);
    return p ? p->name() + " (" + id + ")" : id + " (not on this host)";
}

std::string sha256_hex(vtpm::byte_view b) {
    auto hf = Botan::HashFunction::create_or_throw("SHA-256");
    hf->update(b.data(), b.size());
    return Botan::hex_encode(hf->final(), false);
}

int run_command(host& h, const std::string& group, const std::string& cmd, const args& a) {
    Botan::AutoSeeded_RNG rng;
    const std::string key = group + " " + cmd;
    if (group == "provider" && cmd == "create") {
        allow(a, 1, 1, {"--require-tpm"});
        auto p = h.providers().create(a.pos[0], {.require_host_tpm = a.has("--require-tpm")}, rng);
        std::cout << p.id() << "\n";
        std::cerr << "vtpmctl: note: back up provider '" << p.name() << "' (vtpmctl provider backup " << p.name()
                  << " FILE.p12) before it can protect new vTPMs\n";
    } else if (key == "provider list") {
        allow(a, 0, 0, {});
        const auto def = h.providers().default_id();
        for (const auto& p : h.providers().list())
            std::cout << p.id() << "  " << p.name() << "  backed-up=" << (p.backed_up() ? "yes" : "no")
                      << "  require-tpm=" << (p.opts().require_host_tpm ? "yes" : "no") << (def == p.id() ? "  default" : "") << "\n";
    } else if (key == "provider backup") {
        allow(a, 2, 2, {"--password", "--password-file"});
        auto p = h.providers().backup(a.pos[0], a.pos[1], password(a), rng);
        std::cout << "backed up " << p.name() << " (" << p.id() << ") to " << a.pos[1] << "\n";
    } else if (key == "provider restore") {
        allow(a, 1, 1, {"--password", "--password-file", "--require-tpm"});
        auto p = h.providers().restore(a.pos[0], password(a), {.require_host_tpm = a.has("--require-tpm")});
        std::cout << "restored " << p.name() << " (" << p.id() << ")\n";
    } else if (key == "provider set-default") {
        allow(a, 1, 1, {});
        h.providers().set_default(a.pos[0]);
    } else if (key == "provider delete") {
        allow(a, 1, 1, {"--force"});
        const auto p = h.providers().get(a.pos[0]);
        if (!a.has("--force"))
            for (const auto& vm : h.list_vms())
                if (host::has_tpm(vm) && h.tpm_header(vm).provider_id == p.id())
                    throw error(errc::exists, "vtpm: key provider '" + p.name() + "' protects the TPM of VM '" + vm.name +
                                                  "'; migrate or remove that TPM first, or use --force (keep the backup!)");
        h.providers().remove(p.id());
    } else if (key == "vm create") {
        allow(a, 1, 1, {"--tpm", "--provider", "--ek"});
        auto vm = h.create_vm(a.pos[0], rng);
        if (a.has("--tpm")) {
            try {
                h.add_tpm(vm.name, a.get("--provider"), ek_list(a.get("--ek")), rng);
            } catch (...) {
                h.remove_vm(vm.name);
                throw;
            }
        }
        std::cout << vm.id << "\n";
    } else if (key == "vm list") {
        allow(a, 0, 0, {});
        for (const auto& vm : h.list_vms()) {
            std::cout << vm.name << "  " << vm.id << "  tpm=";
            if (host::has_tpm(vm)) {
                try {
                    std::cout << provider_label(h, h.tpm_header(vm).provider_id);
                } catch (const error&) {
                    std::cout << "unreadable";
                }
            } else {
                std::cout << "none";
            }
            std::cout << "\n";
        }
    } else if (key == "vm clone") {
        allow(a, 2, 2, {"--tpm-policy"});
        auto policy = h.default_clone_policy();
        if (auto s = a.get("--tpm-policy"); !s.empty()) {
            auto p = clone_policy_from(s);
            if (!p) throw usage_error("--tpm-policy is copy or replace");
            policy = *p;
        }
        auto vm = h.clone_vm(a.pos[0], a.pos[1], policy, rng);
        std::cout << vm.id << "\n";
        std::cerr << "vtpmctl: cloned with TPM provision policy " << to_string(policy) << "\n";
    } else if (key == "vm clone-policy") {
        allow(a, 0, 1, {});
        if (a.pos.empty()) {
            std::cout << to_string(h.default_clone_policy()) << "\n";
        } else {
            auto p = clone_policy_from(a.pos[0]);
            if (!p) throw usage_error("the policy is copy or replace");
            h.set_default_clone_policy(*p);
        }
    } else if (key == "vm migrate") {
        allow(a, 1, 1, {"--to-home", "--to-provider"});
        if (a.get("--to-home").empty()) throw usage_error("name the target host directory with --to-home DIR");
        host target(a.get("--to-home"));
        auto vm = h.migrate_vm(a.pos[0], target, a.get("--to-provider"), rng);
        std::cout << "migrated " << vm.name << " to " << vm.dir.string() << "\n";
    } else if (key == "vm remove") {
        allow(a, 1, 1, {});
        const auto vm = h.get_vm(a.pos[0]);
        if (host::has_tpm(vm))
            std::cerr << "vtpmctl: warning: the TPM of VM '" << vm.name
                      << "' is removed with the VM; secrets the guest sealed to it (BitLocker/LUKS keys, credentials) are lost\n";
        h.remove_vm(vm.name);
    } else if (key == "tpm add") {
        allow(a, 1, 1, {"--provider", "--ek"});
        h.add_tpm(a.pos[0], a.get("--provider"), ek_list(a.get("--ek")), rng);
    } else if (key == "tpm remove") {
        allow(a, 1, 1, {});
        h.remove_tpm(a.pos[0]);
        std::cerr << "vtpmctl: warning: the TPM of VM '" << a.pos[0]
                  << "' was removed; secrets the guest sealed to it (BitLocker/LUKS keys, credentials) are lost\n";
    } else if (key == "tpm info") {
        allow(a, 1, 1, {});
        const auto vm = h.get_vm(a.pos[0]);
        const auto hd = h.tpm_header(vm);
        std::cout << "vm: " << vm.name << " (" << vm.id << ")\n"
                  << "provider: " << provider_label(h, hd.provider_id) << "\n"
                  << "nvram: " << host::nvram_path(vm).string() << " (format " << hd.version << ")\n";
        for (auto k : vm.eks) {
            const auto& s = ek::spec_of(k);
            std::cout << "ek: " << s.name << " template " << s.tcg_name << ", certificate NV index 0x" << std::hex << s.cert_index
                      << std::dec << (fs::exists(host::cert_path(vm, k)) ? ", certificate " + host::cert_path(vm, k).string() : "") << "\n";
        }
    } else if (key == "ek show") {
        allow(a, 1, 1, {"--ek", "--public-area"});
        const auto vm = h.get_vm(a.pos[0]);
        std::vector<ek::kind> kinds = vm.eks;
        if (!a.get("--ek").empty()) kinds = {one_ek(a)};
        if (!a.get("--public-area").empty() && kinds.size() != 1) throw usage_error("--public-area needs --ek");
        for (auto k : kinds) {
            const auto e = h.ek_of(vm, k);
            const auto& s = ek::spec_of(k);
            std::cout << "ek: " << s.name << " (template " << s.tcg_name << ", NV index 0x" << std::hex << s.cert_index << std::dec << ")\n"
                      << "public-area-sha256: " << sha256_hex(e.public_area) << "\n"
                      << "spki-sha256: " << sha256_hex(e.spki()) << "\n";
            if (fs::exists(host::cert_path(vm, k))) {
                Botan::X509_Certificate c(host::cert_path(vm, k).string());
                std::cout << "certificate: " << host::cert_path(vm, k).string() << "\n"
                          << "issuer: " << c.issuer_dn().to_string() << "\n"
                          << "serial: " << Botan::hex_encode(c.serial_number()) << "\n";
            } else {
                std::cout << "certificate: none\n";
            }
            if (auto f = a.get("--public-area"); !f.empty()) write_file_atomic(f, e.public_area);
        }
    } else if (key == "ek csr") {
        allow(a, 1, 1, {"--ek", "--out"});
        const auto vm = h.get_vm(a.pos[0]);
        write_out(a.get("--out"), h.csr(vm, one_ek(a), rng));
    } else if (key == "ek set-cert") {
        allow(a, 2, 2, {"--ek"});
        std::unique_ptr<Botan::X509_Certificate> c;
        try {
            c = std::make_unique<Botan::X509_Certificate>(a.pos[1]);
        } catch (const Botan::Exception& e) {
            throw error(errc::bad_format, "vtpm: " + a.pos[1] + " is not an X.509 certificate (PEM or DER): " + e.what());
        }
        h.set_certificate(a.pos[0], one_ek(a), *c);
    } else if (key == "ek ca-cert") {
        allow(a, 0, 0, {"--out"});
        write_out(a.get("--out"), h.ca(rng).certificate().PEM_encode());
    } else if (key == "state inspect") {
        allow(a, 0, 1, {"--file", "--vm-id"});
        fs::path file;
        std::string vm_id = a.get("--vm-id");
        if (!a.pos.empty()) {
            const auto vm = h.get_vm(a.pos[0]);
            file = host::nvram_path(vm);
            if (vm_id.empty()) vm_id = vm.id;
        } else if (!a.get("--file").empty()) {
            file = a.get("--file");
        } else {
            throw usage_error("name a VM or --file PATH");
        }
        const auto bytes = read_file(file);
        const auto hd = nvram::read_header(bytes, file.string());
        std::cout << "file: " << file.string() << " (" << bytes.size() << " bytes)\n"
                  << "format: " << hd.version << "\n"
                  << "vm-id: " << hd.vm_id << "\n"
                  << "provider: " << provider_label(h, hd.provider_id) << "\n"
                  << "wrapped-key: " << hd.wrapped_key.size() << " bytes\n"
                  << "body: " << hd.body_size << " bytes (AES-256-GCM)\n";
        const auto o = nvram::open(bytes, vm_id.empty() ? hd.vm_id : vm_id, h.finder(), file.string());
        std::cout << "integrity: ok\n"
                  << "state: " << o.state.size() << " bytes, sha256 " << sha256_hex(vtpm::byte_view{o.state.data(), o.state.size()}) << "\n";
    } else {
        throw usage_error("unknown command '" + key + "'; see vtpmctl --help");
    }
    return 0;
}

int exit_code(errc c) {
    switch (c) {
    case errc::provider_not_found:
    case errc::provider_not_backed_up:
    case errc::tpm_device_required:
    case errc::wrong_provider:
    case errc::bad_password: return 3;
    case errc::tampered:
    case errc::other_vm:
    case errc::bad_format: return 4;
    case errc::in_use: return 5;
    case errc::key_mismatch: return 6;
    case errc::not_found:
    case errc::exists: return 7;
    case errc::invalid_argument: return 2;
    default: return 1;
    }
}

} // namespace

int main(int argc, char** argv) {
    int i = 1;
    std::string home_dir;
    if (const char* e = std::getenv("VTPM_HOME"); e && *e) home_dir = e;
    else if (const char* hd = std::getenv("HOME"); hd && *hd) home_dir = std::string(hd) + "/.local/share/vtpm";
    for (; i < argc; ++i) {
        std::string s = argv[i];
        if (s == "--home" && i + 1 < argc) home_dir = argv[++i];
        else if (s.rfind("--home=", 0) == 0) home_dir = s.substr(7);
        else break;
    }
    if (i >= argc || std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
        std::fputs(main_help, i >= argc ? stderr : stdout);
        return i >= argc ? 2 : 0;
    }
    const std::string group = argv[i];
    const std::string cmd = i + 1 < argc ? argv[i + 1] : "";
    try {
        if (cmd.empty() || cmd == "--help" || cmd == "-h") {
            for (const auto& [k, v] : command_help)
                if (k.rfind(group + " ", 0) == 0) std::cout << v << "\n";
            return cmd.empty() ? 2 : 0;
        }
        const auto a = parse(argc, argv, i + 2);
        if (a.has("--help")) {
            auto it = command_help.find(group + " " + cmd);
            if (it == command_help.end()) throw usage_error("unknown command '" + group + " " + cmd + "'; see vtpmctl --help");
            std::cout << it->second;
            return 0;
        }
        if (home_dir.empty()) throw usage_error("no host directory: use --home DIR or set VTPM_HOME");
        host h(home_dir);
        return run_command(h, group, cmd, a);
    } catch (const usage_error& e) {
        auto it = command_help.find(group + " " + cmd);
        std::fprintf(stderr, "vtpmctl: %s; see vtpmctl %s --help\n", e.what(),
                     it != command_help.end() ? (group + " " + cmd).c_str() : "");
        return 2;
    } catch (const error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return exit_code(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vtpmctl: vtpm: unexpected error: %s; report this with the command line that caused it\n", e.what());
        return 1;
    }
}
