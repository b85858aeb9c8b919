#!/usr/bin/env python3
"""Small clients of the simulator protocols for the integration tests (no tpm2-tss involved).

As a program:
  simclient.py mssim-power-cycle HOST PLATFORM_PORT      POWER_OFF, POWER_ON, NV_ON
  simclient.py swtpm-init HOST CONTROL_PORT [FLAGS]      CMD_INIT (power cycle)
  simclient.py swtpm-init unix CONTROL_PATH [FLAGS]
As a module: the helpers below (used by protocols.py and garbage.py).
"""
import os
import socket
import struct
import subprocess
import sys
import time

# mssim codes (ibmswtpm2 TpmTcpProtocol.h)
POWER_ON, POWER_OFF, HASH_START, HASH_DATA, HASH_END, SEND_COMMAND = 1, 2, 5, 6, 7, 8
NV_ON, REMOTE_HANDSHAKE, SESSION_END, STOP = 11, 15, 20, 21
# swtpm control commands (tpm_ioctl.h)
CMD_GET_CAPABILITY, CMD_INIT, CMD_SHUTDOWN, CMD_GET_TPMESTABLISHED = 1, 2, 3, 4
CMD_SET_LOCALITY, CMD_HASH_START, CMD_HASH_DATA, CMD_HASH_END = 5, 6, 7, 8
CMD_CANCEL_TPM_CMD, CMD_STORE_VOLATILE, CMD_RESET_TPMESTABLISHED = 9, 10, 11
CMD_GET_STATEBLOB, CMD_SET_STATEBLOB, CMD_STOP, CMD_GET_CONFIG = 12, 13, 14, 15
CMD_SET_DATAFD, CMD_SET_BUFFERSIZE, CMD_GET_INFO = 16, 17, 18

TPM_RC_INITIALIZE = 0x100


def u32(v):
    return struct.pack(">I", v)


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def connect(host, port, timeout=10):
    if host == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(port)
        return s
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def tpm_cmd(code, params=b"", tag=0x8001):
    return struct.pack(">HII", tag, 10 + len(params), code) + params


def startup_clear():
    return tpm_cmd(0x144, struct.pack(">H", 0))


def get_random(n):
    return tpm_cmd(0x17B, struct.pack(">H", n))


def rc_of(rsp):
    return struct.unpack(">I", rsp[6:10])[0]


class Mssim:
    """A client of the mssim command and platform ports."""

    def __init__(self, host, port):
        self.cmd = connect(host, port)
        self.plat = connect(host, int(port) + 1)

    def signal(self, code):
        self.plat.sendall(u32(code))
        return struct.unpack(">I", recv_exact(self.plat, 4))[0]

    def send(self, command, locality=0):
        self.cmd.sendall(u32(SEND_COMMAND) + bytes([locality]) + u32(len(command)) + command)
        n = struct.unpack(">I", recv_exact(self.cmd, 4))[0]
        rsp = recv_exact(self.cmd, n)
        trailer = recv_exact(self.cmd, 4)
        assert trailer == b"\0\0\0\0", trailer
        return rsp

    def close(self):
        self.cmd.close()
        self.plat.close()


class SwtpmControl:
    """A client of the swtpm control channel (TCP or unix)."""

    def __init__(self, host, port):
        self.s = connect(host, port)

    def request(self, cmd, payload=b"", reply_len=4, fds=None):
        data = u32(cmd) + payload
        if fds:
            socket.send_fds(self.s, [data], fds)
        else:
            self.s.sendall(data)
        return recv_exact(self.s, reply_len) if reply_len else b""

    def result(self, cmd, payload=b"", fds=None):
        return struct.unpack(">I", self.request(cmd, payload, 4, fds))[0]

    def close(self):
        self.s.close()


def swtpm_data_command(host, port, command):
    """One raw TPM command on a fresh data connection, as tcti-swtpm does."""
    s = connect(host, port)
    try:
        s.sendall(command)
        head = recv_exact(s, 10)
        size = struct.unpack(">I", head[2:6])[0]
        return head + recv_exact(s, size - 10)
    finally:
        s.close()


class Server:
    """Starts vtpm-server on free ports (port 0 + --ready-file); always stopped by PID."""

    count = 0

    def __init__(self, binary, args, log_path):
        Server.count += 1
        self.ready = "%s.ready.%d" % (log_path, Server.count)
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([binary, "--ready-file", self.ready] + args,
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                raise RuntimeError("vtpm-server exited during start-up with %d" % self.proc.returncode)
            if time.time() > deadline:
                self.kill()
                raise RuntimeError("vtpm-server did not become ready")
            time.sleep(0.05)
        self.lines = [l.split() for l in open(self.ready).read().splitlines()]

    def field(self, proto, inst, col):
        for l in self.lines:
            if l[0] == proto and l[1] == str(inst):
                return l[col]
        raise KeyError(proto)

    def alive(self):
        return self.proc.poll() is None

    def wait(self, timeout=10):
        return self.proc.wait(timeout)

    def terminate(self):
        if self.alive():
            self.proc.terminate()
        return self.proc.wait(10)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)


def main(argv):
    if len(argv) >= 4 and argv[1] == "mssim-power-cycle":
        s = connect(argv[2], argv[3])
        for code in (POWER_OFF, POWER_ON, NV_ON):
            s.sendall(u32(code))
            if recv_exact(s, 4) != b"\0\0\0\0":
                sys.exit("platform signal %d not acknowledged" % code)
        s.close()
        return 0
    if len(argv) >= 4 and argv[1] == "swtpm-init":
        flags = int(argv[4], 0) if len(argv) > 4 else 0
        c = SwtpmControl(argv[2], argv[3])
        res = c.result(CMD_INIT, u32(flags))
        c.close()
        if res != 0:
            sys.exit("CMD_INIT failed: 0x%x" % res)
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
