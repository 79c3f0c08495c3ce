#!/usr/bin/env bash
# A throw-away single-node Slurm on loopback (Debian slurm-wlm + munge), for testing sweep job arrays.
#   bash scripts/slurm/local-cluster.sh start DIR   # starts munged, slurmctld, slurmd; prints "export SLURM_CONF=DIR/slurm.conf"
#   bash scripts/slurm/local-cluster.sh stop DIR    # stops exactly the daemons that `start DIR` started, by PID
# Everything lives under DIR (config, munge key and socket, state, logs, DIR/pids); nothing system-wide is
# touched, so it runs beside a real munge/Slurm. Runs as root (or as a user that may run munged/slurmd) without
# systemd. Needs: munged, slurmctld, slurmd, sinfo (apt: munge slurm-wlm; scripts/install-deps.sh installs them).
set -euo pipefail
cmd=${1:?usage: local-cluster.sh start|stop DIR}
dir=${2:?usage: local-cluster.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  [ -f "$dir/pids" ] || return 0
  local pids
  pids=$(cat "$dir/pids")
  # Reverse start order: slurmd, slurmctld, then munged (Slurm needs munge while it shuts down).
  for pid in $(echo "$pids" | tac); do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pids"
}

free_port() { # a TCP port nobody listens on, from a range chosen by our PID
  local p=$(( 20000 + ($$ * 7 + ${1:-0}) % 20000 ))
  while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo $p
}

start() {
  stop
  for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { echo "missing $b (apt-get install munge slurm-wlm)" >&2; exit 3; }
  done
  export PATH="$PATH:/usr/sbin"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 755 "$dir/munge"   # munged refuses a socket directory of mode 700
  [ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
  local cpus; cpus=$(nproc); [ "$cpus" -gt 2 ] && cpus=2
  local ctld_port slurmd_port; ctld_port=$(free_port 0); slurmd_port=$(free_port 1)
  [ "$slurmd_port" = "$ctld_port" ] && slurmd_port=$((ctld_port + 1))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=cimsim-local
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  : > "$dir/pids"
  munged -F --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
    </dev/null >>"$dir/log/munged.out" 2>&1 &
  echo $! >> "$dir/pids"
  for _ in $(seq 1 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
  [ -S "$dir/munge/munge.socket" ] || { echo "munged did not start; see $dir/log/munged.log" >&2; cat "$dir/log/munged.out" >&2; stop; exit 1; }
  slurmctld -D -i -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! >> "$dir/pids"
  slurmd -D -N localhost -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  echo $! >> "$dir/pids"
  for _ in $(seq 1 100); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
    case "$state" in idle|mixed|allocated) echo "export SLURM_CONF=$dir/slurm.conf"; return 0;; esac
    sleep 0.2
  done
  echo "Slurm node did not become idle (state '${state:-none}'); logs in $dir/log" >&2
  tail -n 20 "$dir/log/"*.log "$dir/log/"*.out >&2 || true
  stop
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: local-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
