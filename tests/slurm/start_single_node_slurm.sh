#!/usr/bin/env bash
# Start a real single-node SLURM cluster on this machine (Debian's slurm-wlm and munge), for the cluster test.
# Idempotent: a running cluster is left as it is. Needs root (CI and the developers' machines run as root).
#   --config-only  write /etc/slurm/slurm.conf and stop (.ci/run does this right after installing slurm-wlm).
# Why the config matters without a cluster: the SLURM executor plugin asks `scontrol show config` when Snakemake
# starts, wherever `sinfo` is installed. With no controller and no config, every Snakemake start then waits for the
# plugin's 10 s timeout (a DNS lookup of the controller); with this config and MessageTimeout=2 it fails in about
# a second. MessageTimeout is a reply timeout: a local controller answers in milliseconds.
set -euo pipefail
config_only=${1:-}
node=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

if [ "$config_only" != "--config-only" ] && ! pgrep -x munged > /dev/null; then
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge /run/munge
  [ -s /etc/munge/munge.key ] || (dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null &&
                                  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key)
  runuser -u munge -- /usr/sbin/munged --force
fi

install -d /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=study
SlurmctldHost=${node}
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
MpiDefault=none
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
ReturnToService=2
MessageTimeout=2
NodeName=${node} CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=main Nodes=${node} Default=YES MaxTime=INFINITE State=UP
CONF
# No cgroup.conf: Debian 12's SLURM (22.05) runs without cgroups when none is configured (there is no systemd here).
rm -f /etc/slurm/cgroup.conf
[ "$config_only" = "--config-only" ] && exit 0

pgrep -x slurmctld > /dev/null || /usr/sbin/slurmctld
pgrep -x slurmd > /dev/null || /usr/sbin/slurmd
for _ in $(seq 1 30); do
  if sinfo -h -o "%T" 2>/dev/null | grep -qE "idle|mixed|allocated"; then
    sinfo
    exit 0
  fi
  scontrol update nodename="${node}" state=resume > /dev/null 2>&1 || true
  sleep 1
done
echo "SLURM did not come up; see /var/log/slurm/" >&2
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
