#!/usr/bin/env bash
# A tpm2-tss ESAPI program (C, Debian's libtss2-esys) against vtpm-server over mssim:
# esapi.sh PROGRAM — the program gets the TCTI configuration as its argument.
source "$(dirname "$0")/lib.sh"
PROGRAM=${1:?usage: esapi.sh PROGRAM}
start_server --mssim 127.0.0.1:0
"$PROGRAM" "mssim:host=127.0.0.1,port=$MSSIM_PORT"
stop_server
