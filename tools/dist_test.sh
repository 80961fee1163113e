#!/usr/bin/env bash
# Distributed testing with torchrun and MMEngine's `pytorch` launcher (NCCL on GPUs, gloo on a CPU-only machine):
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args, e.g. --work-dir DIR --cfg-options k=v]
# GPUS is the number of processes on this node (on a machine without CUDA, CPU processes). Each clip of the
# test set goes to exactly one process and the merged scores count it once, so the printed result equals
# `python tools/test.py CONFIG CHECKPOINT` (iart_mm.engine.distributed.one_rank_per_sample).
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (default 29500) as in MMagic.
if [ $# -lt 3 ]; then
    echo "error: usage: $0 CONFIG CHECKPOINT GPUS [test.py args]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
if ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: GPUS must be a positive number of processes per node (one per GPU, or CPU processes), got '$GPUS'" >&2
    exit 2
fi
if [ ! -f "$CONFIG" ]; then
    echo "error: config not found: $CONFIG" >&2
    exit 2
fi
if [[ "$CHECKPOINT" != *://* ]] && [ ! -f "$CHECKPOINT" ]; then
    echo "error: checkpoint not found: $CHECKPOINT" >&2
    exit 2
fi
exec bash "$(dirname "$0")/torchrun.sh" test.py "$GPUS" "$CONFIG" "$CHECKPOINT" "$@"
