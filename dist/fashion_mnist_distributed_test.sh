#!/bin/sh
# //examples:fashion_mnist_distributed on 1 and 2 ranks, on the first 1,024 training
# images for 5 epochs (8 global batches of 128 an epoch: 40 Adam steps): the last
# lines must agree, test_accuracy on the 10,000 test images to one image (0.0001 as
# printed; 0.00015 leaves room for awk's decimal parsing) and test_loss to 0.0002,
# and the model must have learned (test_accuracy >= 0.70; chance is 0.10).
# dist/fashion_mnist_test.cc explains why the runs agree to rounding only and
# measures by how much.
set -u
prog="$1"
data=/usr/share/datasets/fashion-mnist
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# A fresh short session directory per job: see dist/mpi_test.sh.
mpitmp=$(mktemp -d /tmp/tgmpi.XXXXXX) || exit 1
trap 'rm -rf "$mpitmp"' EXIT
export OMPI_MCA_orte_tmpdir_base="$mpitmp" OMPI_MCA_btl_vader_backing_directory="$mpitmp"
for np in 1 2; do
  out=$(timeout -k 5 120 mpirun --oversubscribe -np "$np" "$prog" --train-rows 1024 --epochs 5 \
        --data "$data") || { echo "FAIL: np=$np exited non-zero"; echo "$out"; exit 1; }
  echo "$out" | sed "s/^/np=$np: /"
  acc=$(echo "$out" | sed -n 's/^test_accuracy=//p')
  loss=$(echo "$out" | sed -n 's/^test_loss=//p')
  [ -n "$acc" ] && [ -n "$loss" ] || { echo "FAIL: np=$np: no test_accuracy/test_loss line"; exit 1; }
  eval "acc_$np=$acc; loss_$np=$loss"
done
awk -v a1="$acc_1" -v a2="$acc_2" -v l1="$loss_1" -v l2="$loss_2" '
  function abs(v) { return v < 0 ? -v : v }
  BEGIN { exit (abs(a2 - a1) <= 0.00015 && abs(l2 - l1) <= 0.0002 && a1 >= 0.70) ? 0 : 1 }' ||
  { echo "FAIL: 1 rank: accuracy $acc_1 loss $loss_1; 2 ranks: accuracy $acc_2 loss $loss_2"; exit 1; }
echo PASS
