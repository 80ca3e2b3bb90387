# two_ranks.sh — sourced by the packaging tests: `run_two_ranks LIBDIR BIN` runs BIN
# (tests/install/dist_consumer.c built against installed libraries in LIBDIR) on 2
# ranks of this machine and checks its report. Loopback only, session files in a
# directory of their own (dist/mpi_test.sh says why), bounded by a timeout so that a
# hung collective fails the check instead of stalling the test.
run_two_ranks() {
  local libdir=$1 bin=$2 mpitmp out rc
  mpitmp=$(mktemp -d /tmp/tgmpi.XXXXXX) || return 1
  out=$(OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
    OMPI_MCA_orte_tmpdir_base="$mpitmp" OMPI_MCA_btl_vader_backing_directory="$mpitmp" \
    LD_LIBRARY_PATH="$libdir" timeout -k 5 120 \
    mpirun --allow-run-as-root --oversubscribe -np 2 -x LD_LIBRARY_PATH "$bin" 2>&1)
  rc=$?
  rm -rf "$mpitmp"
  echo "$out"
  [ $rc -eq 0 ] && grep -q '^dist: 2 ranks, .*parameters agree$' <<<"$out"
}
