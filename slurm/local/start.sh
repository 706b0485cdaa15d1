#!/usr/bin/env bash
# slurm/local/start.sh - a throwaway one-node SLURM cluster (munged + slurmctld + slurmd) on this
# machine, as root, without systemd and without cgroups, for clipscale's `slurm` tests and for
# trying `clipscale sweep run --launcher slurm` without a cluster.
# Adapted from the tested recipe in ../shared/reference/slurm.md (slurm-local-start.sh there),
# verified on Debian 12 with slurm-wlm 22.05.8 and munge 0.5.15 (cmake/setup-debian.sh installs them).
#
# Idempotent: a daemon whose pid file points at a live process is left alone.
# Usage:   eval "$(bash slurm/local/start.sh)"   # exports SLURM_CONF to the caller
# Env:     SLURM_LOCAL_DIR   everything lives here (default /tmp/slurm-local)
#          SLURM_LOCAL_PORT  slurmctld port; slurmd uses PORT+1 (default 6817)
#          SLURM_LOCAL_FRESH 1 (default): wipe job/node state if ctld is down
# Exit:    0 up; 3 cannot run here (not root, or slurm-wlm/munge missing); 1 the node did not come up.
set -euo pipefail

D=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
PORT=${SLURM_LOCAL_PORT:-6817}
NODE=$(hostname -s)     # slurmctld only accepts SlurmctldHost == its short hostname
CPUS=$(nproc)
# RealMemory must not exceed what slurmd detects, or the node is drained
# ("Low RealMemory"); give it 3/4 of MemTotal (MiB).
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 3 / 4)}' /proc/meminfo)
export SLURM_CONF=$D/etc/slurm.conf
log() { echo "slurm-local: $*" >&2; }

for program in munged slurmctld slurmd sinfo; do
  command -v "$program" >/dev/null 2>&1 ||
    { log "$program not found; install slurm-wlm and munge (bash cmake/setup-debian.sh)"; exit 3; }
done
[ "$(id -u)" -eq 0 ] || { log "must run as root (the daemons run as SlurmUser=root)"; exit 3; }

# alive PIDFILE NAME: pid in PIDFILE is a running, non-zombie process called NAME.
# (kill -0 is not enough: exited daemons can linger as zombies until PID 1 reaps.)
alive() {
  local pid; pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$2" ] &&
    [ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" != Z ]
}

t0=$(date +%s%N)
mkdir -p "$D"/{etc,log,run,tmp}
# munged insists: socket dir o+x; key 0600 and owned by the uid munged runs as.
install -d -m 755 "$D/munge"

# --- munge ------------------------------------------------------------------
if ! alive "$D/run/munged.pid" munged; then
  # A private key is enough: only this node has to decode credentials.
  [ -s "$D/munge/munge.key" ] ||
    { (umask 077; dd if=/dev/urandom of="$D/munge/munge.key" bs=128 count=1 status=none); }
  chmod 600 "$D/munge/munge.key"
  munged --socket="$D/munge/munge.socket.2" --key-file="$D/munge/munge.key" \
         --pid-file="$D/run/munged.pid" --seed-file="$D/munge/munged.seed" \
         --log-file="$D/log/munged.log"          # forks; returns when ready
  log "munged started"
fi

# --- slurm.conf + state (only rewritten while slurmctld is down) ------------
if ! alive "$D/run/slurmctld.pid" slurmctld; then
  if [ "${SLURM_LOCAL_FRESH:-1}" = 1 ]; then
    # Stale state = old jobs come back; a changed ClusterName makes ctld refuse.
    rm -rf "$D/state" "$D/spool" "$D/log/jobcomp.txt"
  fi
  mkdir -p "$D/state" "$D/spool"
  cat > "$SLURM_CONF" <<EOF
ClusterName=local
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${PORT}
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
# cred_expire also is the delay before a requeued job may start (default 120 s)
AuthInfo=socket=${D}/munge/munge.socket.2,cred_expire=10
StateSaveLocation=${D}/state
SlurmdSpoolDir=${D}/spool
TmpFS=${D}/tmp
SlurmctldPidFile=${D}/run/slurmctld.pid
SlurmdPidFile=${D}/run/slurmd.pid
SlurmctldLogFile=${D}/log/slurmctld.log
SlurmdLogFile=${D}/log/slurmd.log
MailProg=/bin/true
# No cgroups needed: plain process tracking, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Fast scheduling for tests (defaults: 60 s main loop, 30 s backfill).
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
KillWait=5
MinJobAge=300
# afterok on a failed job: cancel the dependent instead of pending forever
DependencyParameters=kill_invalid_depend
ReturnToService=2
MpiDefault=none
# No slurmdbd: sacct is unavailable; completed jobs go to a text file instead.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/filetxt
JobCompLoc=${D}/log/jobcomp.txt
# Preemption for tests: a job in 'urgent' requeues jobs in 'debug'. Victims get
# their --signal (e.g. B:USR1) at once, SIGTERM/SIGKILL after GraceTime.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
SlurmctldParameters=preempt_send_user_signal
# Without a default, CR_Core_Memory gives every job the whole node's memory, so jobs never share
# the node (array tasks would run one at a time). (Added for clipscale; not in the reference.)
DefMemPerCPU=$((MEM / CPUS))
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP PriorityTier=1 GraceTime=10
PartitionName=urgent Nodes=ALL MaxTime=INFINITE State=UP PriorityTier=10
EOF
  slurmctld -i            # forks; -i: ignore unreadable state files
  log "slurmctld started"
fi

# --- slurmd -----------------------------------------------------------------
if ! alive "$D/run/slurmd.pid" slurmd; then
  slurmd -N "$NODE"       # forks
  log "slurmd started"
fi

# --- wait until the node is usable ------------------------------------------
for _ in $(seq 1 300); do
  st=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1 || true)
  case "$st" in
    idle|mixed|allocated|completing) break ;;
    drain*|down) scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 0.1
done
case "$st" in idle|mixed|allocated|completing) ;; *)
  log "node not ready (state '$st'); see $D/log"; exit 1 ;; esac
log "node $NODE $st after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "export SLURM_CONF=$SLURM_CONF"
