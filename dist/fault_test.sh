#!/bin/sh
# A rank killed mid-training on N ranks: the job must end non-zero within 60 s, the
# last checkpoint must load, and resuming from it must give bit for bit the
# parameters of a run that never stopped.
#   fault_test.sh N FAULT_MAIN
set -u
np="$1"; prog="$2"
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
dir="${TEST_TMPDIR:-$(mktemp -d)}"
run() { timeout -k 5 60 mpirun --oversubscribe -np "$np" "$prog" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

run "$dir/a.tgm" "$dir/full.bin" || fail "the uninterrupted run failed"

victim=$((np - 1))
start=$(date +%s%N)
run "$dir/b.tgm" "$dir/never.bin" kill "$victim" 47
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "killed run: exit $rc after ${ms} ms (rank $victim died after step 47)"
[ "$rc" -ne 0 ] || fail "the job exited 0 although rank $victim died"
# mpirun reports a rank killed by signal 9 as 137, as timeout(1) does: time tells.
[ "$rc" -ne 124 ] && [ "$ms" -lt 60000 ] || fail "the job hung until the 60 s timeout"
[ ! -e "$dir/never.bin" ] || fail "the killed run wrote final parameters"
[ -s "$dir/b.tgm" ] || fail "no checkpoint left"

run "$dir/b.tgm" "$dir/resumed.bin" resume > "$dir/resume.log" || fail "the resumed run failed"
cat "$dir/resume.log"
grep -q "resuming at step 40$" "$dir/resume.log" || fail "the checkpoint is not the one after step 40"
cmp "$dir/full.bin" "$dir/resumed.bin" || fail "resumed parameters differ from the uninterrupted run"
echo "PASS: resumed from the step-40 checkpoint, parameters identical to the uninterrupted run"
