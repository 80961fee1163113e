#!/usr/bin/env bash
# Distributed training with torchrun and MMEngine's `pytorch` launcher (NCCL on GPUs, gloo on a CPU-only machine):
#   tools/dist_train.sh CONFIG GPUS [train.py args, e.g. --resume --amp --work-dir DIR --cfg-options k=v]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (default 29500) as in MMagic.
if [ $# -lt 2 ]; then
    echo "error: usage: $0 CONFIG GPUS [train.py args]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
exec bash "$(dirname "$0")/torchrun.sh" train.py "$GPUS" "$CONFIG" "$@"
