#!/bin/sh
# //examples:seed_distributed on 1, 2 and 4 ranks: the last lines must agree,
# param_sum to 1e-6 relative and final_loss (about 3e-7) to 1e-10 absolute.
set -u
prog="$1"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# Bazel runs tests side by side, each in a PID namespace: two mpiruns can get the same
# job id, and OpenMPI names its session files and shared-memory segments after it
# (in the host's /tmp and /dev/shm), so concurrent jobs would share a segment and
# crash. A fresh short directory per job (unix socket paths must stay < 108 bytes)
# keeps them apart.
mpitmp=$(mktemp -d /tmp/tgmpi.XXXXXX) || exit 1
trap 'rm -rf "$mpitmp"' EXIT
export OMPI_MCA_orte_tmpdir_base="$mpitmp" OMPI_MCA_btl_vader_backing_directory="$mpitmp"
for np in 1 2 4; do
  line=$(timeout -k 5 60 mpirun --oversubscribe -np "$np" "$prog" | tail -n 1)
  echo "np=$np: $line"
  case "$line" in final_loss=*" param_sum="*) ;; *) echo "FAIL: bad last line"; exit 1 ;; esac
  eval "$(echo "$line" | sed 's/ /; /')"  # sets final_loss and param_sum
  eval "loss_$np=$final_loss; sum_$np=$param_sum"
done
awk -v l1="$loss_1" -v l2="$loss_2" -v l4="$loss_4" -v s1="$sum_1" -v s2="$sum_2" -v s4="$sum_4" '
  function abs(v) { return v < 0 ? -v : v }
  BEGIN {
    ok = abs(l2 - l1) <= 1e-10 && abs(l4 - l1) <= 1e-10 &&
         abs(s2 - s1) <= 1e-6 * abs(s1) && abs(s4 - s1) <= 1e-6 * abs(s1)
    printf "loss spread %.3g, param_sum spread %.3g relative\n",
           (abs(l2 - l1) > abs(l4 - l1) ? abs(l2 - l1) : abs(l4 - l1)),
           (abs(s2 - s1) > abs(s4 - s1) ? abs(s2 - s1) : abs(s4 - s1)) / abs(s1)
    exit ok ? 0 : 1
  }' || { echo "FAIL: the rank counts disagree"; exit 1; }
echo PASS
