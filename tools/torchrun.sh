#!/usr/bin/env bash
# Shared by dist_train.sh / dist_test.sh: run a tool under torchrun on NPROC processes of this node.
#   tools/torchrun.sh TOOL.py NPROC [tool args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (default 29500) as in MMagic; PYTHON picks the interpreter.
set -e
TOOL=$1
NPROC=$2
shift 2
# torchrun answers 0 or a non-number with a bare AssertionError / ValueError traceback
if ! [[ "$NPROC" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: GPUS must be a positive number of processes per node (one per GPU, or CPU processes), got '$NPROC'" >&2
    exit 2
fi
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$(dirname "$0")/$TOOL" "$@" --launcher pytorch
