#!/usr/bin/env bash
# NV indices and persistent objects with tpm2-tools 5.4 against vtpm-server: nv.sh mssim|swtpm
# tpm2_nvdefine, tpm2_nvreadpublic, tpm2_nvwrite, tpm2_nvread, tpm2_nvincrement, tpm2_nvextend,
# tpm2_nvsetbits, tpm2_nvwritelock, tpm2_nvreadlock, tpm2_changeauth (NV_ChangeAuth; 5.4 has no
# tpm2_nvchangeauth), tpm2_nvundefine,
# tpm2_getcap handles-nv-index / handles-persistent, tpm2_evictcontrol. Names and extend values
# are recomputed with python3 hashlib; the state survives SIGTERM, SIGKILL and power cycles.
source "$(dirname "$0")/lib.sh"
PROTO=${1:?usage: nv.sh mssim|swtpm}
STATE="$WORK/state"

# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
cd "$WORK"

py() { python3 -c "$@"; }
field() { awk -v k="$1:" '$1 == k { print $2; exit }'; }
nv_handles() { tpm2_getcap handles-nv-index | tr -d '\n -'; }
persistent_handles() { tpm2_getcap handles-persistent | tr -d '\n -'; }
# expect_fail DESCRIPTION RC-REGEX CMD... — the command fails and its message names the RC.
expect_fail() {
    local what=$1 rc=$2
    shift 2
    if "$@" >out.txt 2>err.txt; then fail "$what: succeeded, expected an error"; fi
    grep -Eqi "$rc" err.txt || fail "$what: expected $rc, got: $(cat err.txt)"
    echo "ok: $what ($rc)"
}

ORD=0x1500010 CNT=0x1500011 EXT=0x1500012 BITS=0x1500013 LCK=0x1500014 POL=0x1500015

# --- tpm2_nvdefine / tpm2_nvreadpublic -----------------------------------------------------
tpm2_nvdefine $ORD -C o -s 64 -a "ownerread|ownerwrite|authread|authwrite" -p ordpw
tpm2_nvdefine $CNT -C o -s 8 -a "ownerread|ownerwrite|nt=counter"
tpm2_nvdefine $EXT -C o -s 32 -g sha256 -a "ownerread|ownerwrite|nt=extend"
tpm2_nvdefine $BITS -C o -s 8 -a "ownerread|ownerwrite|nt=bits"
tpm2_nvdefine $LCK -C o -s 4 -a "ownerread|ownerwrite|write_stclear|read_stclear"
check_eq "getcap handles-nv-index" "$(nv_handles)" "0x15000100x15000110x15000120x15000130x1500014"
tpm2_nvreadpublic $ORD >rp.out
check_match "nvreadpublic: size" "$(cat rp.out)" "size: 64"
# The Name: 000b || SHA-256(TPMS_NV_PUBLIC), rebuilt from the attributes tpm2_nvreadpublic shows.
attrs=$(grep -A1 'attributes:' rp.out | field value | head -1)
[ -n "$attrs" ] || attrs=$(awk '/attributes:/{f=1} f && $1=="value:"{print $2; exit}' rp.out)
name=$(awk '$1=="name:"{print $2; exit}' rp.out)
want=$(py "import hashlib,struct; p=struct.pack('>IHIHH',0x1500010,0x0b,$attrs,0,64); print('000b'+hashlib.sha256(p).hexdigest())")
check_eq "nvreadpublic: Name = 000b || SHA-256(public area)" "$name" "$want"
expect_fail "nvdefine of a defined index" "0x14c|NV_DEFINED|already defined" tpm2_nvdefine $ORD -C o -s 8 -a "ownerread|ownerwrite"
expect_fail "nvdefine of a counter with size 4" "0x2d5|size" tpm2_nvdefine 0x1500020 -C o -s 4 -a "ownerread|ownerwrite|nt=counter"

# --- tpm2_nvwrite / tpm2_nvread ------------------------------------------------------------
head -c 64 /dev/urandom >data.bin
tpm2_nvwrite $ORD -C o -i data.bin
tpm2_nvread $ORD -C o -s 64 -o back.bin
check_eq "nvwrite + nvread (owner)" "$(hexof back.bin)" "$(hexof data.bin)"
tpm2_nvread $ORD -C $ORD -P ordpw -s 10 --offset=5 -o part.bin
check_eq "nvread with the index password, offset 5" "$(hexof part.bin)" "$(hexof data.bin | cut -c11-30)"
printf 'hello' >hello.bin
tpm2_nvwrite $ORD -C $ORD -P ordpw -i hello.bin --offset=59
tpm2_nvread $ORD -C o -s 5 --offset=59 -o tail.bin
check_eq "nvwrite with offset" "$(hexof tail.bin)" "$(printf hello | od -An -v -tx1 | tr -d ' \n')"
expect_fail "nvwrite to a counter index" "0x82|ATTRIBUTES|attributes" tpm2_nvwrite $CNT -C o -i hello.bin
expect_fail "nvread with a wrong index password" "0x98e|AUTH_FAIL|authorization failure" tpm2_nvread $ORD -C $ORD -P nope -s 4
expect_fail "nvread of an index never written" "0x14a|NV_UNINITIALIZED|not been written|uninitialized" tpm2_nvread $BITS -C o -s 8
# A large index: tpm2-tools write and read it in TPM_PT_NV_BUFFER_MAX chunks.
tpm2_nvdefine 0x1500016 -C o -s 2048 -a "ownerread|ownerwrite"
head -c 2048 /dev/urandom >big.bin
tpm2_nvwrite 0x1500016 -C o -i big.bin
tpm2_nvread 0x1500016 -C o -o bigback.bin
check_eq "2048-octet index written and read in chunks" "$(hexof bigback.bin)" "$(hexof big.bin)"

# --- tpm2_nvincrement / tpm2_nvextend / tpm2_nvsetbits -------------------------------------
tpm2_nvincrement $CNT -C o
tpm2_nvincrement $CNT -C o
tpm2_nvread $CNT -C o -s 8 -o cnt.bin
c1=$(py "import sys; print(int.from_bytes(open('cnt.bin','rb').read(),'big'))")
tpm2_nvincrement $CNT -C o
tpm2_nvread $CNT -C o -s 8 -o cnt.bin
check_eq "nvincrement counts by one" "$(py "print(int.from_bytes(open('cnt.bin','rb').read(),'big'))")" $((c1 + 1))
printf 'first' >e1.bin
printf 'second' >e2.bin
tpm2_nvextend $EXT -C o -i e1.bin
tpm2_nvextend $EXT -C o -i e2.bin
tpm2_nvread $EXT -C o -s 32 -o ext.bin
want=$(py "import hashlib; d=hashlib.sha256(bytes(32)+b'first').digest(); print(hashlib.sha256(d+b'second').hexdigest())")
check_eq "nvextend = SHA-256(SHA-256(0^32 || first) || second)" "$(hexof ext.bin)" "$want"
tpm2_nvsetbits $BITS -C o -i 0x5
tpm2_nvsetbits $BITS -C o -i 0x8000000000000000
tpm2_nvread $BITS -C o -s 8 -o bits.bin
check_eq "nvsetbits ORs the bits" "$(hexof bits.bin)" "8000000000000005"

# --- tpm2_nvwritelock / tpm2_nvreadlock ----------------------------------------------------
printf 'lock' >lock.bin
tpm2_nvwrite $LCK -C o -i lock.bin
tpm2_nvwritelock $LCK -C o
expect_fail "nvwrite after nvwritelock" "0x148|NV_LOCKED|locked" tpm2_nvwrite $LCK -C o -i lock.bin
tpm2_nvreadlock $LCK -C o
expect_fail "nvread after nvreadlock" "0x148|NV_LOCKED|locked" tpm2_nvread $LCK -C o -s 4
expect_fail "nvwritelock without WRITEDEFINE / WRITE_STCLEAR" "0x82|ATTRIBUTES|attributes" tpm2_nvwritelock $ORD -C o
# Startup(CLEAR) after a power cycle lifts both locks.
tpm2_shutdown -c
power_cycle "$PROTO"
tpm2_startup -c
tpm2_nvread $LCK -C o -s 4 -o lockback.bin
check_eq "locks lifted by Startup(CLEAR)" "$(hexof lockback.bin)" "$(hexof lock.bin)"
tpm2_nvwrite $LCK -C o -i lock.bin

# --- tpm2_changeauth of an NV index (policy with PolicyCommandCode(NV_ChangeAuth)) ---------------------
tpm2_startauthsession -S trial.ctx
tpm2_policycommandcode -S trial.ctx -L cc.policy TPM2_CC_NV_ChangeAuth >/dev/null
tpm2_flushcontext trial.ctx
tpm2_nvdefine $POL -C o -s 8 -a "ownerread|ownerwrite|authread|authwrite" -p oldpw -L cc.policy
head -c 8 data.bin >eight.bin
tpm2_nvwrite $POL -C $POL -P oldpw -i eight.bin
tpm2_startauthsession --policy-session -S pol.ctx
tpm2_policycommandcode -S pol.ctx TPM2_CC_NV_ChangeAuth >/dev/null
tpm2_changeauth -c $POL -p session:pol.ctx newpw
tpm2_flushcontext pol.ctx 2>/dev/null || true
expect_fail "nvread with the old password after NV_ChangeAuth" "0x98e|AUTH_FAIL|authorization failure" tpm2_nvread $POL -C $POL -P oldpw -s 4
# Those two failures count against dictionary-attack protection; each SIGKILL below adds one
# more at the next Startup (Part 1 §16.8.6). Reset the counter so the restarts do not lock out.
check_eq "lockout counter after two wrong index passwords" "$(tpm2_getcap properties-variable | awk '$1 == "TPM2_PT_LOCKOUT_COUNTER:" { print $2 }')" "0x2"
tpm2_dictionarylockout -c
tpm2_nvread $POL -C $POL -P newpw -s 4 -o pol.bin
echo "ok: NV_ChangeAuth: the new password reads the index"

# --- the state survives SIGTERM and SIGKILL -------------------------------------------------
stop_server 0
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
tpm2_nvread $ORD -C o -s 64 -o back2.bin
check_eq "index data after SIGTERM + restart" "$(hexof back2.bin | cut -c1-118)" "$(hexof data.bin | cut -c1-118)"
tpm2_nvincrement $CNT -C o
kill_server
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
tpm2_nvread $CNT -C o -s 8 -o cnt.bin
check_eq "counter after SIGKILL + restart" "$(py "print(int.from_bytes(open('cnt.bin','rb').read(),'big'))")" $((c1 + 2))
check_eq "handles-nv-index after restarts" "$(nv_handles)" "0x15000100x15000110x15000120x15000130x15000140x15000150x1500016"

# --- tpm2_nvundefine ------------------------------------------------------------------------
for h in $ORD $CNT $EXT $BITS $LCK $POL 0x1500016; do tpm2_nvundefine $h -C o; done
check_eq "handles-nv-index after nvundefine" "$(nv_handles)" ""
expect_fail "nvreadpublic of an undefined index" "0x18b|HANDLE|handle" tpm2_nvreadpublic $ORD

# --- tpm2_evictcontrol ----------------------------------------------------------------------
tpm2_createprimary -C o -G ecc256 -c prim.ctx >/dev/null
tpm2_readpublic -c prim.ctx -n prim.name >/dev/null
tpm2_evictcontrol -C o -c prim.ctx 0x81000001 >evict.out
check_match "evictcontrol: persisted" "$(cat evict.out)" "persisted"
tpm2_flushcontext -t
check_eq "getcap handles-persistent" "$(persistent_handles)" "0x81000001"
tpm2_readpublic -c 0x81000001 -n p.name >/dev/null
check_eq "the persistent key has the primary's Name" "$(hexof p.name)" "$(hexof prim.name)"
# Use it by its persistent handle: seal and unseal under it.
printf 'sealed-secret' >secret.bin
tpm2_create -C 0x81000001 -i secret.bin -u seal.pub -r seal.priv >/dev/null
tpm2_load -C 0x81000001 -u seal.pub -r seal.priv -c seal.ctx >/dev/null
check_eq "unseal under the persistent parent" "$(tpm2_unseal -c seal.ctx)" "sealed-secret"
tpm2_flushcontext -t
# Survives an orderly restart and a SIGKILL.
stop_server 0
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
kill_server
# shellcheck disable=SC2046
start_server --state "$STATE" $(server_args_for "$PROTO")
use_tcti "$PROTO"
tpm2_startup -c
check_eq "handles-persistent after SIGTERM and SIGKILL" "$(persistent_handles)" "0x81000001"
tpm2_load -C 0x81000001 -u seal.pub -r seal.priv -c seal2.ctx >/dev/null
check_eq "unseal under the persistent parent after restarts" "$(tpm2_unseal -c seal2.ctx)" "sealed-secret"
tpm2_flushcontext -t
tpm2_createprimary -C o -G ecc256 -c prim2.ctx >/dev/null
expect_fail "evictcontrol to a taken handle" "0x14c|NV_DEFINED|defined" tpm2_evictcontrol -C o -c prim2.ctx 0x81000001
expect_fail "evictcontrol of an owner key into the platform range" "0x14d|RANGE|range" tpm2_evictcontrol -C o -c prim2.ctx 0x81800001
tpm2_evictcontrol -C o -c 0x81000001 >evict.out
check_match "evictcontrol: evicted" "$(cat evict.out)" "evicted"
check_eq "handles-persistent after eviction" "$(persistent_handles)" ""
stop_server 0
echo "PASS: nv over $PROTO"
