#!/usr/bin/env bash
# slurm-local.sh start|stop|status — a single-node Slurm on this machine, for
# botprof's cluster tests and for trying `botprof slurm` without a cluster.
# Needs Debian's slurm-wlm and munge (start installs them with apt-get when
# run as root and they are missing). Works as root without systemd: the
# daemons run as root with proctrack/linuxproc and no cgroups; state, spool,
# logs and pid files live in $SLURM_LOCAL_DIR (default /tmp/botprof-slurm).
# It writes /etc/slurm/slurm.conf (the path sbatch, squeue and the daemons
# read), keeping any earlier one as slurm.conf.botprof-saved.
set -euo pipefail
dir=${SLURM_LOCAL_DIR:-/tmp/botprof-slurm}
conf=/etc/slurm/slurm.conf

die() { echo "slurm-local: $*" >&2; exit 1; }

install() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null && return
  [ "$(id -u)" = 0 ] || die "slurm-wlm and munge are missing; install them: apt-get install slurm-wlm munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null
}

start_munge() {
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey -c -f -k /etc/munge/munge.key 2>/dev/null || head -c 1024 /dev/urandom > /etc/munge/munge.key
  fi
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 0400 /etc/munge/munge.key; chmod 0700 /etc/munge; chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
  die "munged did not start"
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/{print int($2/1024*0.9)}' /proc/meminfo)
  mkdir -p "$dir"/{state,spool,log,run} /etc/slurm
  if [ -f "$conf" ] && ! grep -q '^# botprof slurm-local' "$conf"; then cp "$conf" "$conf.botprof-saved"; fi
  cat > "$conf" <<CONF
# botprof slurm-local: single node, root, no systemd, no cgroups
ClusterName=botprof
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
MinJobAge=3600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

case ${1:-} in
start)
  install
  start_munge
  if sinfo -h >/dev/null 2>&1; then echo "slurm-local: already running"; sinfo; exit 0; fi
  write_conf
  slurmctld
  slurmd
  for _ in $(seq 100); do
    state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
    case $state in idle|mixed|allocated) sinfo; exit 0;; esac
    sleep 0.2
  done
  tail -n 20 "$dir"/log/*.log >&2 || true
  die "the node did not become idle in 20 s (state: ${state:-none})"
  ;;
stop)
  scontrol shutdown >/dev/null 2>&1 || true
  for p in "$dir"/run/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  pkill -x slurmstepd 2>/dev/null || true
  sleep 0.5
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  pkill -x munged 2>/dev/null || true
  ;;
status)
  sinfo
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2
  ;;
esac
