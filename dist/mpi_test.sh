#!/bin/sh
# Runs a GoogleTest binary on N ranks of one machine (loopback and shared memory):
#   mpi_test.sh N BINARY [ARGS...]
# Rank 0 writes the XML report Bazel reads; the job is killed after 120 s so a hung
# collective fails the test instead of stalling CI. Root is allowed (CI runs as root).
set -u
np="$1"; shift
bin="$1"; shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# No network interfaces but loopback are needed; keep OpenMPI off the others.
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# Bazel runs tests side by side, each in a PID namespace: two mpiruns can get the same
# job id, and OpenMPI names its session files and shared-memory segments after it
# (in the host's /tmp and /dev/shm), so concurrent jobs would share a segment and
# crash. A fresh short directory per job (unix socket paths must stay < 108 bytes)
# keeps them apart.
mpitmp=$(mktemp -d /tmp/tgmpi.XXXXXX) || exit 1
trap 'rm -rf "$mpitmp"' EXIT
export OMPI_MCA_orte_tmpdir_base="$mpitmp" OMPI_MCA_btl_vader_backing_directory="$mpitmp"
timeout -k 5 120 mpirun --oversubscribe -np "$np" -x XML_OUTPUT_FILE -x TEST_TMPDIR \
  sh -c 'if [ "${OMPI_COMM_WORLD_RANK:-0}" = 0 ]; then
           exec "$0" ${XML_OUTPUT_FILE:+--gtest_output="xml:$XML_OUTPUT_FILE"} "$@"
         else # one report, one premature-exit file: rank 0'"'"'s; the others print failures only
           unset TEST_PREMATURE_EXIT_FILE; exec "$0" --gtest_brief=1 "$@"; fi' \
  "$bin" "$@"
