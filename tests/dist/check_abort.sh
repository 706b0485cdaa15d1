#!/usr/bin/env bash
# One rank's failure stops the whole job: mpirun must return (no hang) with a non-zero status,
# and the message must name the failing rank and its host.
#   check_abort.sh MPIRUN PROBE
set -uo pipefail
mpirun=$1 probe=$2
output=$(timeout 60 "$mpirun" -np 2 --oversubscribe "$probe" 2>&1)
rc=$?
echo "$output"
if [ "$rc" -eq 124 ]; then echo "FAIL: the job hung (killed after 60 s)"; exit 1; fi
if [ "$rc" -eq 0 ]; then echo "FAIL: mpirun returned 0 after a rank failed"; exit 1; fi
if ! grep -q "error on rank 1/2 on $(hostname): injected failure in step 3" <<<"$output"; then
  echo "FAIL: no message naming rank 1 and its host"; exit 1
fi
echo "PASS: mpirun returned $rc"
