#!/usr/bin/env python3
"""Throws 10,000 random, malformed, truncated and oversized frames at every channel of both
protocols (mssim command and platform ports, swtpm data and control ports), many connections at
a time, then checks that the server is alive, that real clients (tpm2-tools over both TCTIs)
still work, that the PCRs are unchanged, and that the server logged the protocol errors.

Usage: garbage.py VTPM_SERVER [FRAMES] [SEED]

The generator never sends the requests that legitimately change or stop the TPM (power off,
reset, failure mode, NV off, cancel on, _TPM_Hash_End, TPM_STOP, CMD_INIT/STOP/SHUTDOWN, ...):
those are protocol, not garbage. After a well-formed request, the garbage that follows on the
same connection starts with non-zero bytes, so it can only be read as an unknown request code.
"""
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simclient as p  # noqa: E402

binary = sys.argv[1]
frames = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
work = tempfile.mkdtemp(prefix="vtpm-it.")
rng = random.Random(seed)
print("seed %d, %d frames" % (seed, frames))

BENIGN_CODES = [0x17B, 0x17A, 0x17E, 0x181, 0x146, 0x143, 0x17C, 0x144, 0x145, 0x142, 0x13F,
                0x161, 0x162, 0x165, 0x176, 0x182, 0x199, 0x19A, 0x1FFFFFFF, 0x20000001]


def nz(n):
    """n random bytes, none of them zero."""
    return bytes(rng.randrange(1, 256) for _ in range(n))


def rand(n):
    return bytes(rng.randrange(256) for _ in range(n))


def tpm_command():
    kind = rng.randrange(6)
    if kind == 0:
        return rand(rng.randrange(1, 40))                               # anything
    if kind == 1:                                                       # header says more than sent
        body = rand(rng.randrange(0, 30))
        return struct.pack(">HII", 0x8001, 10 + len(body) + rng.randrange(1, 100), rng.choice(BENIGN_CODES)) + body
    if kind == 2:                                                       # sizes that lie the other way
        body = rand(rng.randrange(0, 30))
        return struct.pack(">HII", rng.choice([0x8001, 0x8002, 0x00C1, 0x1234]), 10 + len(body),
                           rng.choice(BENIGN_CODES)) + body
    if kind == 3:                                                       # sessions area garbage
        body = struct.pack(">I", rng.randrange(0, 64)) + rand(rng.randrange(0, 60))
        return struct.pack(">HII", 0x8002, 10 + len(body), rng.choice(BENIGN_CODES)) + body
    if kind == 4:                                                       # oversized command
        body = rand(rng.randrange(4087, 5000))
        return struct.pack(">HII", 0x8001, 10 + len(body), 0x17B) + body
    return struct.pack(">HII", 0x8001, 12, 0x17B) + struct.pack(">H", rng.randrange(0, 200))  # valid


def mssim_command_frame():
    k = rng.randrange(8)
    if k == 0:                                                          # random code + bytes
        code = rng.randrange(1 << 32)
        if code in (p.HASH_END, p.SESSION_END, p.STOP):
            code = 0xDEAD0000 | code
        return struct.pack(">I", code) + rand(rng.randrange(0, 64)), "random"
    if k in (1, 2):                                                     # TPM_SEND_COMMAND, garbage inside
        cmd = tpm_command()
        return struct.pack(">IBI", p.SEND_COMMAND, rng.randrange(256), len(cmd)) + cmd + nz(rng.randrange(0, 8)), "send"
    if k == 3:                                                          # oversized length
        n = rng.choice([0xFFFFFFFF, 0x80000000, 0x10000000, 8193, 1 << 20])
        return struct.pack(">IBI", p.SEND_COMMAND, 0, n) + rand(rng.randrange(0, 100)), "oversized"
    if k == 4:                                                          # truncated request
        cmd = tpm_command()
        full = struct.pack(">IBI", p.SEND_COMMAND, 0, len(cmd)) + cmd
        return full[:rng.randrange(1, len(full))], "truncated"
    if k == 5:                                                          # hash data, truncated
        return struct.pack(">II", p.HASH_DATA, rng.choice([0xFFFFFFF0, 100000, 5000])) + rand(rng.randrange(0, 3000)), "truncated"
    if k == 6:                                                          # handshake with version 0
        return struct.pack(">II", p.REMOTE_HANDSHAKE, 0) + rand(8), "bad handshake"
    return struct.pack(">I", rng.randrange(22, 1 << 16)) + rand(rng.randrange(0, 16)), "unknown"


PLATFORM_HARMLESS = [1, 4, 10, 11, 13, 14, 18, 25]


def mssim_platform_frame():
    k = rng.randrange(4)
    if k == 0:
        return struct.pack(">I", rng.randrange(31, 1 << 32)) + rand(rng.randrange(0, 32)), "unknown"
    if k == 1:
        return rand(rng.randrange(1, 4)), "truncated"
    if k == 2:
        return struct.pack(">I", 26) + rand(rng.randrange(0, 4)), "act"   # u32 argument, maybe truncated
    return struct.pack(">I", rng.choice(PLATFORM_HARMLESS)) + nz(rng.randrange(0, 12)), "signal+garbage"


def swtpm_data_frame():
    k = rng.randrange(6)
    if k == 0:
        return rand(rng.randrange(1, 64)), "random"
    if k == 1:
        return struct.pack(">HI", 0x8001, rng.randrange(0, 10)) + rand(rng.randrange(0, 20)), "too small"
    if k == 2:
        return struct.pack(">HI", 0x8001, rng.choice([0xFFFFFFFF, 8193, 1 << 24])) + rand(rng.randrange(0, 64)), "oversized"
    if k == 3:
        cmd = tpm_command()
        return cmd[:rng.randrange(1, len(cmd) + 1)], "truncated"
    if k == 4:
        cmd = tpm_command()
        return struct.pack(">IBI", 8, rng.randrange(0, 5), len(cmd)) + cmd, "prefixed"
    return tpm_command() + rand(rng.randrange(0, 20)), "command+garbage"


CONTROL_HARMLESS = [
    lambda: struct.pack(">I", p.CMD_GET_CAPABILITY),
    lambda: struct.pack(">I", p.CMD_GET_TPMESTABLISHED),
    lambda: struct.pack(">I", p.CMD_GET_CONFIG),
    lambda: struct.pack(">II", p.CMD_SET_BUFFERSIZE, 0),
    lambda: struct.pack(">IQII", p.CMD_GET_INFO, rng.randrange(4), rng.randrange(100), 0),
    lambda: struct.pack(">IIII", p.CMD_GET_STATEBLOB, 1, rng.randrange(1, 4), rng.randrange(0, 100)),
    lambda: struct.pack(">IB", p.CMD_SET_LOCALITY, 0),
    lambda: struct.pack(">IB", p.CMD_SET_LOCALITY, rng.randrange(5, 256)),
    lambda: struct.pack(">I", p.CMD_CANCEL_TPM_CMD),
    lambda: struct.pack(">I", p.CMD_SET_DATAFD),
    lambda: struct.pack(">IIII", p.CMD_SET_STATEBLOB, 0, 1, 16) + rand(16),   # refused while running
]


def swtpm_control_frame():
    k = rng.randrange(5)
    if k == 0:
        return struct.pack(">I", rng.randrange(0x13, 1 << 32)) + rand(rng.randrange(0, 32)), "unknown"
    if k == 1:
        return struct.pack(">IIII", p.CMD_SET_STATEBLOB, 0, 1, rng.choice([0xFFFFFFFF, 5 << 20])) + rand(64), "oversized"
    if k == 2:
        full = struct.pack(">IIII", p.CMD_GET_STATEBLOB, 1, 1, 0)
        return full[:rng.randrange(1, len(full))], "truncated"
    if k == 3:
        return struct.pack(">II", p.CMD_HASH_DATA, 100)[: rng.randrange(1, 8)], "truncated"
    return rng.choice(CONTROL_HARMLESS)() + nz(rng.randrange(0, 12)), "request+garbage"


def main():
    log_path = os.path.join(work, "server.log")
    srv = p.Server(binary, ["--state", os.path.join(work, "state"), "--mssim", "127.0.0.1:0",
                            "--swtpm", "127.0.0.1:0", "--log-level", "warning"], log_path)
    ok = False
    try:
        mport, sport = int(srv.field("mssim", 0, 3)), int(srv.field("swtpm", 0, 3))
        channels = [(mport, mssim_command_frame), (mport + 1, mssim_platform_frame),
                    (sport, swtpm_data_frame), (sport + 1, swtpm_control_frame)]
        env = dict(os.environ, TSS2_LOG="all+none")
        tctis = ["mssim:host=127.0.0.1,port=%d" % mport, "swtpm:host=127.0.0.1,port=%d" % sport]

        def tools(tcti, *args):
            return subprocess.run(list(args), env=dict(env, TPM2TOOLS_TCTI=tcti), check=True,
                                  capture_output=True).stdout

        tools(tctis[0], "tpm2_startup", "-c")
        pcrs_before = tools(tctis[0], "tpm2_pcrread", "sha1:0,1,16,17+sha256:0,1,16,17")
        # A client that stays connected all along and keeps working in between.
        steady = p.Mssim("127.0.0.1", mport)
        kinds = {}
        sent = 0
        batch = 25
        while sent < frames:
            socks = []
            for _ in range(min(batch, frames - sent)):
                port, gen = rng.choice(channels)
                data, kind = gen()
                kinds[kind] = kinds.get(kind, 0) + 1
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # the server may close first (it saw enough garbage)
                socks.append(s)
                sent += 1
            for s in socks:
                try:
                    while s.recv(65536):
                        pass
                except (ConnectionResetError, socket.timeout) as e:
                    if isinstance(e, socket.timeout):
                        raise RuntimeError("the server neither answered nor closed a garbage connection in 10 s")
                s.close()
            if not srv.alive():
                raise RuntimeError("vtpm-server died after %d frames" % sent)
            if sent % 1000 < batch:
                rsp = steady.send(p.get_random(16))
                if p.rc_of(rsp) != 0 or len(rsp) != 10 + 2 + 16:
                    raise RuntimeError("GetRandom on a steady connection failed after %d frames: %s" % (sent, rsp.hex()))
        steady.close()
        print("sent %d frames: %s" % (sent, ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))

        for tcti in tctis:
            out = tools(tcti, "tpm2_getrandom", "--hex", "16").decode()
            if len(out.strip()) != 32:
                raise RuntimeError("tpm2_getrandom over %s returned %r" % (tcti, out))
            print("ok: tpm2_getrandom over %s: %s" % (tcti, out.strip()))
        if tools(tctis[1], "tpm2_pcrread", "sha1:0,1,16,17+sha256:0,1,16,17") != pcrs_before:
            raise RuntimeError("PCR values changed")
        print("ok: PCRs 0, 1, 16, 17 unchanged")
        log = open(log_path, encoding="utf-8", errors="replace").read()
        for what in ("truncated frame", "length field exceeds", "unknown request code",
                     "unknown platform code", "unknown control command", "fewer than 10 bytes"):
            n = log.count(what)
            if n == 0:
                raise RuntimeError("no '%s' line in the server log" % what)
            print("ok: server logged %d x '%s'" % (n, what))
        if srv.terminate() != 0:
            raise RuntimeError("vtpm-server exit status after SIGTERM is not 0")
        print("PASS: %d garbage frames" % sent)
        ok = True
    finally:
        srv.kill()
        if not ok:
            print("--- server log (last 20 lines) ---")
            with open(log_path, encoding="utf-8", errors="replace") as f:
                print("".join(f.readlines()[-20:]))
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
