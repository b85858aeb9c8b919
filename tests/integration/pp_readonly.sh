#!/usr/bin/env bash
# Physical Presence and Read-Only mode against vtpm-server over mssim: pp_readonly.sh
# TPM2_PP_Commands and TPM2_ReadOnlyControl have no tpm2-tools 5.4 tool: python3 sends them
# raw on the mssim command port and asserts Physical Presence with the platform port's
# PHYSICAL_PRESENCE_ON / _OFF signals; tpm2-tools (tpm2_hierarchycontrol, tpm2_nvdefine,
# tpm2_createprimary, tpm2_getrandom) see the effects.
source "$(dirname "$0")/lib.sh"
export VTPM_TEST_DIR

# shellcheck disable=SC2046
start_server --state "$WORK/state" $(server_args_for mssim)
use_tcti mssim
tpm2_startup -c
cd "$WORK"

# raw SIGNAL|- CC HEX-PARAMS — optionally a platform signal (pp-on, pp-off), then a command
# with Platform Authorization (password session, empty auth); prints its response code.
raw() {
    python3 - "$MSSIM_PORT" "$@" <<'PY'
import os, struct, sys
sys.path.insert(0, os.environ['VTPM_TEST_DIR'])
import simclient as sc
port, sig, code, params = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), bytes.fromhex(sys.argv[4])
m = sc.Mssim('127.0.0.1', port)
if sig != '-':
    assert m.signal({'pp-on': 3, 'pp-off': 4}[sig]) == 0
# handle TPM_RH_PLATFORM, authorization area: TPM_RS_PW, empty nonce, continueSession, empty hmac
auth = struct.pack('>IHBH', 0x40000009, 0, 1, 0)
body = struct.pack('>I', 0x4000000C) + struct.pack('>I', len(auth)) + auth + params
rsp = m.send(sc.tpm_cmd(code, body, tag=0x8002))
m.close()
print('0x%x' % sc.rc_of(rsp))
PY
}
signal() {
    python3 - "$MSSIM_PORT" "$1" <<'PY'
import os, sys
sys.path.insert(0, os.environ['VTPM_TEST_DIR'])
import simclient as sc
m = sc.Mssim('127.0.0.1', sys.argv[1])
assert m.signal({'pp-on': 3, 'pp-off': 4}[sys.argv[2]]) == 0
m.close()
PY
}
# pp_list — GetCapability(TPM_CAP_PP_COMMANDS) (tpm2_getcap 5.4 has no pp-commands): the codes.
pp_list() {
    python3 - "$MSSIM_PORT" <<'PY'
import os, struct, sys
sys.path.insert(0, os.environ['VTPM_TEST_DIR'])
import simclient as sc
m = sc.Mssim('127.0.0.1', sys.argv[1])
rsp = m.send(sc.tpm_cmd(0x17A, struct.pack('>III', 3, 0, 64)))
m.close()
assert sc.rc_of(rsp) == 0, hex(sc.rc_of(rsp))
cap, n = struct.unpack('>II', rsp[11:19])
assert cap == 3
print(''.join('0x%x ' % struct.unpack('>I', rsp[19 + 4 * i:23 + 4 * i])[0] for i in range(n)))
PY
}
# expect_fail DESCRIPTION RC-REGEX CMD... — the command fails and its message names the RC.
expect_fail() {
    local what=$1 rc=$2
    shift 2
    if "$@" >out.txt 2>err.txt; then fail "$what: succeeded, expected an error"; fi
    grep -Eqi "$rc" err.txt || fail "$what: expected $rc, got: $(cat err.txt)"
    echo "ok: $what ($rc)"
}

# --- TPM2_PP_Commands -------------------------------------------------------------------------
check_eq "pp-commands after manufacture: PP_Commands only" "$(pp_list)" "0x12d "
# setList: HierarchyControl (0x121), NV_DefineSpace (0x12A), GetRandom (0x17B, discarded);
# clearList: empty.
PARAMS=$(printf '%08x%08x%08x%08x%08x' 3 0x121 0x12A 0x17B 0)
check_eq "PP_Commands without Physical Presence: TPM_RC_PP + S1" "$(raw - 0x12D "$PARAMS")" 0x990
check_eq "PP_Commands with Physical Presence" "$(raw pp-on 0x12D "$PARAMS")" 0x0
signal pp-off
check_eq "pp-commands lists the gated commands" "$(pp_list)" "0x121 0x12a 0x12d "
expect_fail "hierarchycontrol with Platform Authorization, no Physical Presence" "0x990|physical presence" \
    tpm2_hierarchycontrol -C p shEnable set
signal pp-on
tpm2_hierarchycontrol -C p shEnable set
echo "ok: hierarchycontrol with Physical Presence asserted"
tpm2_nvdefine 0x1500001 -C o -s 8 -a "ownerread|ownerwrite"
echo "ok: nvdefine with Owner Authorization needs no Physical Presence"
check_eq "PP_Commands clearList" "$(raw - 0x12D "$(printf '%08x%08x%08x' 0 1 0x121)")" 0x0
signal pp-off
check_eq "pp-commands after clearList" "$(pp_list)" "0x12a 0x12d "
tpm2_hierarchycontrol -C p shEnable set
echo "ok: hierarchycontrol no longer needs Physical Presence"

# --- TPM2_ReadOnlyControl ---------------------------------------------------------------------
check_eq "ReadOnlyControl(YES)" "$(raw - 0x1A0 01)" 0x0
startup_clear=$(python3 - "$MSSIM_PORT" <<'PY'
import os, struct, sys
sys.path.insert(0, os.environ['VTPM_TEST_DIR'])
import simclient as sc
m = sc.Mssim('127.0.0.1', sys.argv[1])
# GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_STARTUP_CLEAR = PT_VAR + 1, 1)
rsp = m.send(sc.tpm_cmd(0x17A, struct.pack('>III', 6, 0x201, 1)))
m.close()
assert sc.rc_of(rsp) == 0
cap, n, prop, value = struct.unpack('>IIII', rsp[11:27])
assert (cap, n, prop) == (6, 1, 0x201)
print(value)
PY
)
check_eq "TPMA_STARTUP_CLEAR.readOnly (bit 4) SET" "$(( startup_clear >> 4 & 1 ))" 1
expect_fail "nvdefine in Read-Only mode: TPM_RC_READ_ONLY" "0x156|read.only" \
    tpm2_nvdefine 0x1500002 -C o -s 8 -a "ownerread|ownerwrite"
expect_fail "createprimary in Read-Only mode: TPM_RC_READ_ONLY" "0x156|read.only" tpm2_createprimary -C o -c p.ctx
tpm2_getrandom 8 >/dev/null
echo "ok: getrandom in Read-Only mode"
check_eq "ReadOnlyControl(NO)" "$(raw - 0x1A0 00)" 0x0
tpm2_nvdefine 0x1500002 -C o -s 8 -a "ownerread|ownerwrite"
echo "ok: nvdefine after Read-Only mode ends"
stop_server 0
echo "PASS: pp_readonly"
