#!/usr/bin/env python3
"""Platform semantics of vtpm-server, driven byte by byte (independent of tpm2-tss):

  protocols.py VTPM_SERVER mssim       power signals, H-CRTM, handshake, SESSION_END, STOP
  protocols.py VTPM_SERVER swtpm       control channel: capabilities, locality,
                                               TPMEstablished, STOP/INIT, buffer size, info, SHUTDOWN
  protocols.py VTPM_SERVER qemu        unix control socket + CMD_SET_DATAFD, in the order
                                               QEMU's tpm-emulator backend sends things
  protocols.py VTPM_SERVER migration   CMD_GET_STATEBLOB on one server, SET on another
  protocols.py VTPM_SERVER instances   --instances 3: independent TPMs, ports, state dirs
"""
import hashlib
import os
import shutil
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simclient as p  # noqa: E402

binary, which = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="vtpm-it.")
LOG = os.path.join(work, "server.log")
RC_SUCCESS, RC_INITIALIZE, RC_FAILURE = 0, 0x100, 0x101
servers = []


def check(what, cond, detail=""):
    if not cond:
        raise AssertionError("%s %s" % (what, detail))
    print("ok: " + what)


def start(*args):
    s = p.Server(binary, list(args), LOG)
    servers.append(s)
    return s


def pcr_read_cmd(alg, pcr):
    sel = bytearray(3)
    sel[pcr // 8] |= 1 << (pcr % 8)
    return p.tpm_cmd(0x17E, struct.pack(">IHB", 1, alg, 3) + bytes(sel))


def pcr_value(rsp):
    assert p.rc_of(rsp) == 0, rsp.hex()
    body = rsp[10:]
    off = 4 + 4 + 2 + 1 + 3  # updateCounter, TPML_PCR_SELECTION with one 3-byte selection
    count = struct.unpack(">I", body[off:off + 4])[0]
    assert count == 1, body.hex()
    size = struct.unpack(">H", body[off + 4:off + 6])[0]
    return body[off + 6:off + 6 + size]


def read_clock_counts(rsp):
    assert p.rc_of(rsp) == 0, rsp.hex()
    _time, clock, reset, restart, safe = struct.unpack(">QQIIB", rsp[10:10 + 25])
    return clock, reset, restart


def shutdown_cmd(su):
    return p.tpm_cmd(0x145, struct.pack(">H", su))


def test_mssim():
    srv = start("--state", os.path.join(work, "state"), "--mssim", "127.0.0.1:0")
    port = int(srv.field("mssim", 0, 3))
    m = p.Mssim("127.0.0.1", port)
    # The server comes up powered: POWER_ON (what tcti-mssim sends at every start) is a no-op.
    check("POWER_ON acknowledged", m.signal(p.POWER_ON) == 0)
    check("NV_ON acknowledged", m.signal(p.NV_ON) == 0)
    check("Startup(CLEAR)", p.rc_of(m.send(p.startup_clear())) == RC_SUCCESS)
    check("POWER_ON on a powered TPM is a no-op (no new Startup needed)",
          m.signal(p.POWER_ON) == 0 and p.rc_of(m.send(p.get_random(8))) == RC_SUCCESS)
    # POWER_OFF: commands get an empty response; POWER_ON: _TPM_Init, Startup needed again.
    check("POWER_OFF acknowledged", m.signal(p.POWER_OFF) == 0)
    check("a command while powered off gets an empty response", m.send(p.get_random(8)) == b"")
    # H-CRTM before Startup: PCR 0 = H(0...04 || H(data)) (Part 1 §34.2).
    check("POWER_ON after POWER_OFF", m.signal(p.POWER_ON) == 0)
    check("a command after the power cycle needs Startup (TPM_RC_INITIALIZE)",
          p.rc_of(m.send(p.get_random(8))) == RC_INITIALIZE)
    data = b"H-CRTM measured firmware" * 300  # > 4096 bytes: several chunks
    m.cmd.sendall(p.u32(p.HASH_START))
    check("HASH_START acknowledged", p.recv_exact(m.cmd, 4) == b"\0\0\0\0")
    m.cmd.sendall(p.u32(p.HASH_DATA) + p.u32(len(data)) + data)
    check("HASH_DATA acknowledged once", p.recv_exact(m.cmd, 4) == b"\0\0\0\0")
    m.cmd.sendall(p.u32(p.HASH_END))
    check("HASH_END acknowledged", p.recv_exact(m.cmd, 4) == b"\0\0\0\0")
    check("Startup(CLEAR) after the H-CRTM sequence", p.rc_of(m.send(p.startup_clear())) == RC_SUCCESS)
    want = hashlib.sha256(bytes(31) + b"\x04" + hashlib.sha256(data).digest()).digest()
    check("PCR 0 (sha256) holds the H-CRTM measurement", pcr_value(m.send(pcr_read_cmd(0x0B, 0))) == want)
    # Remote handshake.
    m.cmd.sendall(p.u32(p.REMOTE_HANDSHAKE) + p.u32(1))
    version, flags, ack = struct.unpack(">III", p.recv_exact(m.cmd, 12))
    check("REMOTE_HANDSHAKE: server version 1, flags, ack", version == 1 and flags & 1 and ack == 0)
    # Locality travels with TPM_SEND_COMMAND: PCR 16 can be reset at locality 0..4, PCR 20 only
    # at 2..4 (PC Client) — reset needs a password session.
    reset20 = p.tpm_cmd(0x13D, struct.pack(">I", 20) + struct.pack(">IIHBH", 9, 0x40000009, 0, 1, 0), tag=0x8002)
    check("PCR_Reset(20) at locality 0: TPM_RC_LOCALITY", p.rc_of(m.send(reset20, 0)) == 0x907)
    check("PCR_Reset(20) at locality 2: success", p.rc_of(m.send(reset20, 2)) == RC_SUCCESS)
    # Many clients: a second client is served while the first stays connected.
    m2 = p.Mssim("127.0.0.1", port)
    check("a second client is served concurrently", p.rc_of(m2.send(p.get_random(4))) == RC_SUCCESS)
    check("the first client still works", p.rc_of(m.send(p.get_random(4))) == RC_SUCCESS)
    # SESSION_END closes that connection only.
    m2.cmd.sendall(p.u32(p.SESSION_END))
    check("SESSION_END closes the connection", m2.cmd.recv(1) == b"")
    m2.close()
    check("other clients are unaffected", p.rc_of(m.send(p.get_random(4))) == RC_SUCCESS)
    # Unknown platform code: u32 1, then the connection closes.
    m.plat.sendall(p.u32(0x77))
    check("unknown platform code answered with 1", p.recv_exact(m.plat, 4) == p.u32(1))
    check("... and the platform connection closed", m.plat.recv(1) == b"")
    # Shutdown(CLEAR) is recorded; TPM_STOP saves and ends the server with status 0.
    check("Shutdown(CLEAR)", p.rc_of(m.send(shutdown_cmd(0))) == RC_SUCCESS)
    m.cmd.sendall(p.u32(p.STOP))
    check("TPM_STOP: the server exits with status 0", srv.wait(10) == 0)
    # The restarted server has the state: Startup(STATE) fails (the last shutdown was CLEAR),
    # Startup(CLEAR) works and reset_count went up.
    srv2 = start("--state", os.path.join(work, "state"), "--mssim", "127.0.0.1:0")
    m = p.Mssim("127.0.0.1", int(srv2.field("mssim", 0, 3)))
    check("Startup(STATE) after Shutdown(CLEAR) fails",
          p.rc_of(m.send(p.tpm_cmd(0x144, struct.pack(">H", 1)))) != RC_SUCCESS)
    check("Startup(CLEAR) after restart", p.rc_of(m.send(p.startup_clear())) == RC_SUCCESS)
    _c, reset, _r = read_clock_counts(m.send(p.tpm_cmd(0x181)))
    check("reset_count kept across TPM_STOP and restart", reset >= 2, "(%d)" % reset)
    m.close()
    check("SIGTERM: exit status 0", srv2.terminate() == 0)


def swtpm_ctrl(srv):
    return p.SwtpmControl("127.0.0.1", int(srv.field("swtpm", 0, 4)))


def test_swtpm():
    srv = start("--state", os.path.join(work, "state"), "--swtpm", "127.0.0.1:0")
    dport = int(srv.field("swtpm", 0, 3))
    data = lambda cmd: p.swtpm_data_command("127.0.0.1", dport, cmd)  # noqa: E731
    c = swtpm_ctrl(srv)
    cap = struct.unpack(">Q", c.request(p.CMD_GET_CAPABILITY, reply_len=8))[0]
    check("CMD_GET_CAPABILITY: 0xffff (what QEMU needs and more)", cap == 0xFFFF, hex(cap))
    check("CMD_SET_LOCALITY 0", c.result(p.CMD_SET_LOCALITY, b"\0") == 0)
    check("CMD_SET_LOCALITY 5 -> TPM_BAD_LOCALITY", c.result(p.CMD_SET_LOCALITY, b"\x05") == 0x3D)
    check("the TPM comes up initialised (no CMD_INIT needed): Startup works",
          p.rc_of(data(p.startup_clear())) == RC_SUCCESS)
    res, bit = struct.unpack(">IB3x", c.request(p.CMD_GET_TPMESTABLISHED, reply_len=8))
    check("CMD_GET_TPMESTABLISHED: 0 before any _TPM_Hash_Start", res == 0 and bit == 0)
    check("CMD_HASH_START", c.result(p.CMD_HASH_START) == 0)
    check("CMD_HASH_DATA", c.result(p.CMD_HASH_DATA, p.u32(5) + b"drtm!") == 0)
    check("CMD_HASH_END", c.result(p.CMD_HASH_END) == 0)
    want = hashlib.sha256(bytes(32) + hashlib.sha256(b"drtm!").digest()).digest()
    check("DRTM sequence after Startup: PCR 17 = H(0 || H(data))", pcr_value(data(pcr_read_cmd(0x0B, 17))) == want)
    res, bit = struct.unpack(">IB3x", c.request(p.CMD_GET_TPMESTABLISHED, reply_len=8))
    check("TPMEstablished set by _TPM_Hash_Start", res == 0 and bit == 1)
    check("CMD_RESET_TPMESTABLISHED at locality 0 -> TPM_BAD_LOCALITY",
          c.result(p.CMD_RESET_TPMESTABLISHED, b"\0") == 0x3D)
    check("CMD_RESET_TPMESTABLISHED at locality 3 (QEMU's 4-byte form)",
          c.result(p.CMD_RESET_TPMESTABLISHED, b"\x03\0\0\0") == 0)
    res, bit = struct.unpack(">IB3x", c.request(p.CMD_GET_TPMESTABLISHED, reply_len=8))
    check("TPMEstablished cleared", res == 0 and bit == 0)
    # The mssim TPM_SEND_COMMAND prefix on the data channel; its locality becomes the current one.
    s = p.connect("127.0.0.1", dport)
    cmd = p.get_random(8)
    s.sendall(struct.pack(">IBI", 8, 0, len(cmd)) + cmd)
    n = struct.unpack(">I", p.recv_exact(s, 4))[0]
    rsp = p.recv_exact(s, n)
    check("prefixed data command: size-prefixed response + u32 0",
          p.rc_of(rsp) == 0 and len(rsp) == 20 and p.recv_exact(s, 4) == b"\0\0\0\0")
    s.close()
    res, flags = struct.unpack(">II", c.request(p.CMD_GET_CONFIG, reply_len=8))
    check("CMD_GET_CONFIG: no keys", res == 0 and flags == 0)
    reply = c.request(p.CMD_GET_INFO, struct.pack(">QII", 1, 0, 0), reply_len=12)
    res, total, length = struct.unpack(">III", reply)
    text = p.recv_exact(c.s, length)
    check("CMD_GET_INFO: TPM specification JSON", res == 0 and b'"TPMSpecification"' in text, text)
    check("CMD_STORE_VOLATILE", c.result(p.CMD_STORE_VOLATILE) == 0)
    check("CMD_CANCEL_TPM_CMD", c.result(p.CMD_CANCEL_TPM_CMD) == 0)
    check("CMD_SET_DATAFD without an fd (TCP) -> TPM_BAD_PARAMETER", c.result(p.CMD_SET_DATAFD) == 3)
    check("CMD_SET_STATEBLOB while running is refused", c.result(p.CMD_SET_STATEBLOB, struct.pack(">III", 0, 1, 0)) != 0)
    res, size, lo, hi = struct.unpack(">IIII", c.request(p.CMD_SET_BUFFERSIZE, p.u32(0), reply_len=16))
    check("CMD_SET_BUFFERSIZE query: 4096 (128..4096)", (res, size, lo, hi) == (0, 4096, 128, 4096))
    # CMD_STOP: data commands fail until CMD_INIT; control requests needing a TPM are refused.
    check("CMD_STOP", c.result(p.CMD_STOP) == 0)
    check("data command while stopped: TPM_RC_FAILURE", p.rc_of(data(p.get_random(8))) == RC_FAILURE)
    check("CMD_SET_LOCALITY while stopped -> TPM_BAD_ORDINAL", c.result(p.CMD_SET_LOCALITY, b"\0") == 0x0A)
    res, size, lo, hi = struct.unpack(">IIII", c.request(p.CMD_SET_BUFFERSIZE, p.u32(2048), reply_len=16))
    check("CMD_SET_BUFFERSIZE 2048 while stopped: 4096 in effect", res == 0 and size == 4096)
    check("CMD_INIT", c.result(p.CMD_INIT, p.u32(0)) == 0)
    check("after CMD_INIT the TPM needs Startup", p.rc_of(data(p.get_random(8))) == RC_INITIALIZE)
    check("Startup(CLEAR) after CMD_INIT", p.rc_of(data(p.startup_clear())) == RC_SUCCESS)
    # Unknown control command: TPM_BAD_ORDINAL, then the connection closes.
    c.s.sendall(p.u32(0x4242))
    check("unknown control command -> TPM_BAD_ORDINAL", p.recv_exact(c.s, 4) == p.u32(0x0A))
    check("... and the control connection closed", c.s.recv(1) == b"")
    c.close()
    # CMD_SHUTDOWN: result 0, state saved, server exits 0.
    c = swtpm_ctrl(srv)
    check("CMD_SHUTDOWN", c.result(p.CMD_SHUTDOWN) == 0)
    check("CMD_SHUTDOWN: the server exits with status 0", srv.wait(10) == 0)
    c.close()


def test_qemu():
    ctrl_path = os.path.join(work, "vm1-swtpm.sock")
    srv = start("--state", os.path.join(work, "state"), "--swtpm-unix", ctrl_path)
    check("ready file names the unix control socket", srv.field("swtpm-unix", 0, 2) == ctrl_path)
    c = p.SwtpmControl("unix", ctrl_path)
    # tpm_emulator_prepare_data_fd: a socketpair, one end passed with CMD_SET_DATAFD.
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    check("CMD_SET_DATAFD with an fd", c.result(p.CMD_SET_DATAFD, fds=[theirs.fileno()]) == 0)
    theirs.close()
    mine.settimeout(10)

    def data(cmd):
        mine.sendall(cmd)
        head = p.recv_exact(mine, 10)
        return head + p.recv_exact(mine, struct.unpack(">I", head[2:6])[0] - 10)

    # tpm_util_test_tpmdev: TPM2_ReadClock probe before CMD_INIT, expects a TPM 2 tag.
    rsp = data(p.tpm_cmd(0x181))
    check("probe (ReadClock before CMD_INIT) answered with a TPM 2.0 tag", rsp[:2] == b"\x80\x01", rsp.hex())
    cap = struct.unpack(">Q", c.request(p.CMD_GET_CAPABILITY, reply_len=8))[0]
    qemu_required = 0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x1000 | 0x400 | 0x2000
    check("capabilities include what QEMU requires for a TPM 2", cap & qemu_required == qemu_required)
    # tpm_emulator_get_buffer_size / startup_tpm: STOP, SET_BUFFERSIZE, INIT.
    check("CMD_STOP", c.result(p.CMD_STOP) == 0)
    res, size, _lo, _hi = struct.unpack(">IIII", c.request(p.CMD_SET_BUFFERSIZE, p.u32(0), reply_len=16))
    check("CMD_SET_BUFFERSIZE query", res == 0 and size == 4096)
    check("CMD_STOP", c.result(p.CMD_STOP) == 0)
    res, size, _lo, _hi = struct.unpack(">IIII", c.request(p.CMD_SET_BUFFERSIZE, p.u32(4096), reply_len=16))
    check("CMD_SET_BUFFERSIZE 4096", res == 0 and size == 4096)
    check("CMD_INIT", c.result(p.CMD_INIT, p.u32(0)) == 0)
    res, bit = struct.unpack(">IB3x", c.request(p.CMD_GET_TPMESTABLISHED, reply_len=8))
    check("CMD_GET_TPMESTABLISHED", res == 0 and bit == 0)
    # QEMU pads the locality to 4 bytes and reads a 4-byte reply.
    check("CMD_SET_LOCALITY 0 (4-byte form)", c.result(p.CMD_SET_LOCALITY, b"\0\0\0\0") == 0)
    check("guest firmware: Startup(CLEAR)", p.rc_of(data(p.startup_clear())) == RC_SUCCESS)
    rsp = data(p.get_random(32))
    check("guest: GetRandom(32)", p.rc_of(rsp) == 0 and len(rsp) == 10 + 2 + 32)
    check("CMD_SET_LOCALITY 3 (4-byte form)", c.result(p.CMD_SET_LOCALITY, b"\x03\0\0\0") == 0)
    reset20 = p.tpm_cmd(0x13D, struct.pack(">I", 20) + struct.pack(">IIHBH", 9, 0x40000009, 0, 1, 0), tag=0x8002)
    check("raw data commands run at the locality set on the control channel",
          p.rc_of(data(reset20)) == RC_SUCCESS)
    # A second control connection (QEMU reconnects after a restart of its own).
    c2 = p.SwtpmControl("unix", ctrl_path)
    check("a second control connection", c2.result(p.CMD_SET_LOCALITY, b"\0\0\0\0") == 0)
    c2.close()
    check("VM shutdown: CMD_SHUTDOWN", c.result(p.CMD_SHUTDOWN) == 0)
    check("the server exits with status 0", srv.wait(10) == 0)
    check("the unix socket is removed", not os.path.exists(ctrl_path))
    check("the state was saved", os.path.exists(os.path.join(work, "state", "tpm-state")))
    mine.close()


def test_migration():
    src = start("--state", os.path.join(work, "src"), "--swtpm", "127.0.0.1:0")
    dport = int(src.field("swtpm", 0, 3))
    for _ in range(3):  # some history: reset_count 3
        p.swtpm_data_command("127.0.0.1", dport, p.startup_clear())
        p.swtpm_data_command("127.0.0.1", dport, shutdown_cmd(0))
        c = swtpm_ctrl(src)
        assert c.result(p.CMD_INIT, p.u32(0)) == 0
        c.close()
    p.swtpm_data_command("127.0.0.1", dport, p.startup_clear())
    _clock, src_reset, _r = read_clock_counts(p.swtpm_data_command("127.0.0.1", dport, p.tpm_cmd(0x181)))
    # QEMU pre_save: GET_STATEBLOB permanent, volatile, savestate (decrypted).
    c = swtpm_ctrl(src)
    blobs = {}
    for t in (1, 2, 3):
        c.s.sendall(struct.pack(">IIII", p.CMD_GET_STATEBLOB, 1, t, 0))
        res, flags, total, length = struct.unpack(">IIII", p.recv_exact(c.s, 16))
        check("CMD_GET_STATEBLOB type %d" % t, res == 0 and total == length and flags == 0)
        blobs[t] = p.recv_exact(c.s, length)
    check("the permanent blob is the vtpm state", blobs[1][:4] != b"" and len(blobs[1]) > 100)
    c.close()
    dst = start("--state", os.path.join(work, "dst"), "--swtpm", "127.0.0.1:0")
    d = swtpm_ctrl(dst)
    # QEMU post_load: STOP, SET_STATEBLOB (non-empty blobs only), INIT with DELETE_VOLATILE.
    check("destination CMD_STOP", d.result(p.CMD_STOP) == 0)
    for t in (1, 2, 3):
        if blobs[t]:
            d.s.sendall(struct.pack(">IIII", p.CMD_SET_STATEBLOB, 0, t, len(blobs[t])) + blobs[t])
            check("CMD_SET_STATEBLOB type %d" % t, struct.unpack(">I", p.recv_exact(d.s, 4))[0] == 0)
    d.s.sendall(struct.pack(">IIII", p.CMD_SET_STATEBLOB, 0, 1, 10) + b"not-vtpm!!")
    check("a foreign blob is refused", struct.unpack(">I", p.recv_exact(d.s, 4))[0] != 0)
    check("destination CMD_INIT (DELETE_VOLATILE)", d.result(p.CMD_INIT, p.u32(1)) == 0)
    ddport = int(dst.field("swtpm", 0, 3))
    check("Startup(CLEAR) on the destination", p.rc_of(p.swtpm_data_command("127.0.0.1", ddport, p.startup_clear())) == 0)
    _clock, dst_reset, _r = read_clock_counts(p.swtpm_data_command("127.0.0.1", ddport, p.tpm_cmd(0x181)))
    check("the destination continues the source's counters", dst_reset == src_reset + 1,
          "(%d vs %d)" % (dst_reset, src_reset))
    d.close()
    check("destination state persisted: SIGTERM", dst.terminate() == 0)
    dst2 = start("--state", os.path.join(work, "dst"), "--swtpm", "127.0.0.1:0")
    port2 = int(dst2.field("swtpm", 0, 3))
    p.swtpm_data_command("127.0.0.1", port2, p.startup_clear())
    _clock, reset2, _r = read_clock_counts(p.swtpm_data_command("127.0.0.1", port2, p.tpm_cmd(0x181)))
    check("the migrated state was written to the destination's state directory", reset2 == dst_reset + 1)
    check("SIGTERM", dst2.terminate() == 0 and src.terminate() == 0)


def test_instances():
    state = os.path.join(work, "state")
    srv = start("--state", state, "--instances", "3", "--mssim", "127.0.0.1:0", "--swtpm", "127.0.0.1:0")
    ms = [p.Mssim("127.0.0.1", int(srv.field("mssim", i, 3))) for i in range(3)]
    sw = [int(srv.field("swtpm", i, 3)) for i in range(3)]
    check("three instances, six distinct port pairs",
          len({int(srv.field(pr, i, 3)) for pr in ("mssim", "swtpm") for i in range(3)}) == 6)
    for i, m in enumerate(ms):
        check("instance %d: Startup(CLEAR) over mssim" % i, p.rc_of(m.send(p.startup_clear())) == 0)
    # PCR 16 extended on instance 1 only.
    ext = p.tpm_cmd(0x182, struct.pack(">I", 16) + struct.pack(">IIHBH", 9, 0x40000009, 0, 1, 0)
                    + struct.pack(">IH", 1, 0x0B) + bytes(range(32)), tag=0x8002)
    check("instance 1: PCR_Extend(16)", p.rc_of(ms[1].send(ext)) == 0)
    zero = bytes(32)
    check("instance 1's PCR 16 changed (read over swtpm)",
          pcr_value(p.swtpm_data_command("127.0.0.1", sw[1], pcr_read_cmd(0x0B, 16))) != zero)
    for i in (0, 2):
        check("instance %d's PCR 16 unchanged (read over swtpm)" % i,
              pcr_value(p.swtpm_data_command("127.0.0.1", sw[i], pcr_read_cmd(0x0B, 16))) == zero)
    for i in range(3):
        check("state directory %s/%d" % (state, i), os.path.exists(os.path.join(state, str(i), "tpm-state")))
    # TPM_STOP on instance 1 ends that instance only.
    ms[1].cmd.sendall(p.u32(p.STOP))
    check("instance 1: connection closed after TPM_STOP", ms[1].cmd.recv(1) == b"")
    try:
        p.Mssim("127.0.0.1", int(srv.field("mssim", 1, 3)))
        refused = False
    except OSError:
        refused = True
    check("instance 1 no longer listens", refused)
    check("the server keeps serving instances 0 and 2",
          srv.alive() and p.rc_of(ms[0].send(p.get_random(8))) == 0 and p.rc_of(ms[2].send(p.get_random(8))) == 0)
    other = start("--state", os.path.join(state, "1"), "--mssim", "127.0.0.1:0")
    m1 = p.Mssim("127.0.0.1", int(other.field("mssim", 0, 3)))
    check("another server can take over the stopped instance's state directory",
          p.rc_of(m1.send(p.startup_clear())) == 0)
    m1.close()
    check("... and stops", other.terminate() == 0)
    check("SIGTERM: exit status 0", srv.terminate() == 0)
    again = start("--state", state, "--instances", "3", "--mssim", "127.0.0.1:0")
    m = p.Mssim("127.0.0.1", int(again.field("mssim", 1, 3)))
    check("instance 1 restarts from its own state", p.rc_of(m.send(p.startup_clear())) == 0)
    m.close()
    check("SIGTERM", again.terminate() == 0)


def main():
    ok = False
    try:
        {"mssim": test_mssim, "swtpm": test_swtpm, "qemu": test_qemu, "migration": test_migration,
         "instances": test_instances}[which]()
        ok = True
        print("PASS: %s" % which)
    finally:
        for s in servers:
            s.kill()
        if not ok and os.path.exists(LOG):
            print("--- server log (last 30 lines) ---")
            with open(LOG, encoding="utf-8", errors="replace") as f:
                print("".join(f.readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
