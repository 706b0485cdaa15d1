#!/usr/bin/env bash
# slurm/local/stop.sh - stops the cluster started by slurm/local/start.sh.
# Adapted from the tested recipe in ../shared/reference/slurm.md (slurm-local-stop.sh there).
# Cancels all jobs first (slurmstepd job processes outlive slurmd otherwise),
# then stops slurmd, slurmctld and munged by the PIDs in their pid files.
# Env: SLURM_LOCAL_DIR (default /tmp/slurm-local); SLURM_LOCAL_PURGE=1 also
#      deletes the directory (logs included).
set -uo pipefail

D=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
export SLURM_CONF=$D/etc/slurm.conf
log() { echo "slurm-local: $*" >&2; }

alive() {   # same test as in the start script: live, non-zombie NAME process
  local pid; pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$2" ] &&
    [ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" != Z ]
}

# stop PIDFILE NAME: SIGTERM, wait up to 10 s, then SIGKILL.
stop() {
  alive "$1" "$2" || { rm -f "$1"; return 0; }
  local pid; pid=$(cat "$1")
  kill -TERM "$pid"
  for _ in $(seq 1 100); do alive "$1" "$2" || break; sleep 0.1; done
  alive "$1" "$2" && { log "$2 ($pid) ignored SIGTERM, killing"; kill -KILL "$pid"; }
  rm -f "$1"
  log "$2 stopped"
}

# 1. Cancel every job while slurmctld + slurmd still run, wait for them to go.
if alive "$D/run/slurmctld.pid" slurmctld; then
  ids=$(squeue -h -o %A 2>/dev/null | sort -u)
  [ -n "$ids" ] && scancel $ids
  for _ in $(seq 1 150); do
    [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.2
  done
  [ -n "$(squeue -h -o %A 2>/dev/null)" ] && log "warning: jobs still listed"
fi

# 2. Daemons, compute side first. (`scontrol shutdown` would also stop both.)
stop "$D/run/slurmd.pid" slurmd
stop "$D/run/slurmctld.pid" slurmctld
stop "$D/run/munged.pid" munged

[ "${SLURM_LOCAL_PURGE:-0}" = 1 ] && rm -rf "$D" && log "removed $D"
exit 0
