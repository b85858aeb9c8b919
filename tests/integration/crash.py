#!/usr/bin/env python3
"""Crash injection: vtpm-server is killed with SIGKILL at random moments while a client keeps
changing NV data; after every kill the server must start from its state file and the state must
hold every change the client saw acknowledged.

  crash.py VTPM_SERVER WRITES SEED [auth|nv]

auth: each write is TPM2_HierarchyChangeAuth(owner) from value k to k+1 (ownerAuth is NV data);
      after a restart ownerAuth must be the last acknowledged value, or the next one if the
      write in flight at the kill reached the state file before its response was lost.
nv:   each write is TPM2_NV_Increment of a counter index; after a restart the counter must be
      the number of acknowledged increments (or one more, for the write in flight).

The kill timer starts once the client has verified the state, so kills land at random points
of the command stream: while a command is parsed, executed, its state written or its response
sent. Prints the number of crashes, writes, lost and corrupt states; exits 1 on any loss.
"""
import os
import random
import shutil
import struct
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simclient as p  # noqa: E402

RC_SUCCESS, RC_INITIALIZE = 0, 0x100
RC_BAD_AUTH_S1 = 0x9A2
OWNER, PW, NV_INDEX = 0x40000001, 0x40000009, 0x01500015


def pw_session(password):
    s = struct.pack(">IHBH", PW, 0, 1, len(password)) + password
    return struct.pack(">I", len(s)) + s


def change_owner_auth(old, new):
    return p.tpm_cmd(0x129, struct.pack(">I", OWNER) + pw_session(old) + struct.pack(">H", len(new)) + new, tag=0x8002)


def auth_value(k):
    return b"auth-%08d" % k if k else b""  # a new TPM's ownerAuth is empty


def nv_define_counter():
    # TPMS_NV_PUBLIC: index, nameAlg SHA-256, attributes COUNTER|AUTHWRITE|AUTHREAD|NO_DA, empty policy, size 8
    attrs = (1 << 4) | (1 << 2) | (1 << 18) | (1 << 25)
    pub = struct.pack(">IHIHH", NV_INDEX, 0x000B, attrs, 0, 8)
    return p.tpm_cmd(0x12A, struct.pack(">I", OWNER) + pw_session(b"") + struct.pack(">H", 0) +
                     struct.pack(">H", len(pub)) + pub, tag=0x8002)


def nv_increment():
    return p.tpm_cmd(0x134, struct.pack(">II", NV_INDEX, NV_INDEX) + pw_session(b""), tag=0x8002)


def nv_read_counter():
    return p.tpm_cmd(0x14E, struct.pack(">II", NV_INDEX, NV_INDEX) + pw_session(b"") + struct.pack(">HH", 8, 0),
                     tag=0x8002)


def main():
    binary, total, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "auth"
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="vtpm-crash.")
    log = os.path.join(work, "server.log")
    state = os.path.join(work, "state")
    acked = 0          # acknowledged writes so far
    crashes = lost = corrupt = in_flight_kept = 0
    first = True
    try:
        while acked < total:
            try:
                srv = p.Server(binary, ["--state", state, "--mssim", "127.0.0.1:0"], log)
            except RuntimeError as e:
                corrupt += 1
                print("FAIL: the server did not start from its state after a kill: %s" % e)
                break
            m = p.Mssim("127.0.0.1", srv.field("mssim", 0, 3))
            rc = p.rc_of(m.send(p.startup_clear()))
            if rc not in (RC_SUCCESS, RC_INITIALIZE):
                print("FAIL: TPM2_Startup after a kill returned 0x%x" % rc)
                corrupt += 1
                srv.kill()
                break
            # What the state holds must be every acknowledged write (or one more).
            if mode == "auth":
                rc = p.rc_of(m.send(change_owner_auth(auth_value(acked), auth_value(acked))))
                if rc == RC_BAD_AUTH_S1:
                    rc = p.rc_of(m.send(change_owner_auth(auth_value(acked + 1), auth_value(acked + 1))))
                    if rc == RC_SUCCESS:
                        acked += 1
                        in_flight_kept += 1
                    else:
                        lost += 1
                        print("FAIL: ownerAuth is neither write %d nor %d after crash %d" % (acked, acked + 1, crashes))
                        srv.kill()
                        break
                elif rc != RC_SUCCESS:
                    print("FAIL: unexpected 0x%x checking ownerAuth" % rc)
                    corrupt += 1
                    srv.kill()
                    break
            else:
                if first:
                    rc = p.rc_of(m.send(nv_define_counter()))
                    if rc != RC_SUCCESS:
                        print("FAIL: NV_DefineSpace returned 0x%x" % rc)
                        corrupt += 1
                        srv.kill()
                        break
                rsp = m.send(nv_read_counter())
                rc = p.rc_of(rsp)
                if rc == 0x14A and acked == 0:  # TPM_RC_NV_UNINITIALIZED: never incremented
                    value = 0
                elif rc == RC_SUCCESS:
                    value = struct.unpack(">Q", rsp[16:24])[0]
                else:
                    print("FAIL: NV_Read returned 0x%x" % rc)
                    corrupt += 1
                    srv.kill()
                    break
                if value == acked + 1:
                    acked += 1
                    in_flight_kept += 1
                elif value != acked:
                    lost += 1
                    print("FAIL: the counter is %d after %d acknowledged increments" % (value, acked))
                    srv.kill()
                    break
            first = False
            timer = threading.Timer(rng.uniform(0.0, 0.08), srv.proc.kill)
            timer.start()
            try:
                while acked < total:
                    if mode == "auth":
                        rsp = m.send(change_owner_auth(auth_value(acked), auth_value(acked + 1)))
                    else:
                        rsp = m.send(nv_increment())
                    if p.rc_of(rsp) != RC_SUCCESS:
                        raise AssertionError("write %d returned 0x%x" % (acked + 1, p.rc_of(rsp)))
                    acked += 1
            except (OSError, EOFError, AssertionError) as e:
                if isinstance(e, AssertionError):
                    print("FAIL: " + str(e))
                    lost += 1
                    timer.cancel()
                    srv.kill()
                    break
            timer.cancel()
            srv.kill()
            try:
                m.close()
            except OSError:
                pass
            crashes += 1
        fallbacks = open(log, errors="replace").read().count("is torn or corrupt")
        print("crash injection (%s): %d crashes, %d acknowledged writes, %d in-flight writes kept, "
              "%d lost, %d corrupt states, %d fallbacks to the previous generation"
              % (mode, crashes, acked, in_flight_kept, lost, corrupt, fallbacks))
        ok = lost == 0 and corrupt == 0 and acked >= total
        if not ok:
            print(open(log, errors="replace").read()[-3000:])
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
