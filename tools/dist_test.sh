#!/usr/bin/env bash
# Distributed testing with torchrun and MMEngine's `pytorch` launcher (NCCL on GPUs, gloo on a CPU-only machine):
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args, e.g. --work-dir DIR --cfg-options k=v]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (default 29500) as in MMagic.
if [ $# -lt 3 ]; then
    echo "error: usage: $0 CONFIG CHECKPOINT GPUS [test.py args]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
exec bash "$(dirname "$0")/torchrun.sh" test.py "$GPUS" "$CONFIG" "$CHECKPOINT" "$@"
