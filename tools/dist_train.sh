#!/usr/bin/env bash
# Distributed training with torchrun and MMEngine's `pytorch` launcher (NCCL on GPUs, gloo on a CPU-only machine):
#   tools/dist_train.sh CONFIG GPUS [train.py args, e.g. --resume --amp --work-dir DIR --cfg-options k=v]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (default 29500) as in MMagic.
set -e
if [ $# -lt 2 ]; then
    echo "error: usage: $0 CONFIG GPUS [train.py args]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "$@"
