set -e
export RUST_SYSROOT=/work/rust/sysroot-v2
source /work/rust/probe-scripts/env.sh
export RUSTFLAGS="$RUSTFLAGS --remap-path-prefix=$CARGO_HOME/registry/src=/cargo --remap-path-prefix=/work/rust/sdists/rpds_py-2026.9.1=/src"
export CARGO_NET_OFFLINE=true
cd /work/rust/sdists/rpds_py-2026.9.1
for n in 1 2; do
  export CARGO_TARGET_DIR=/work/rust/t-rpds-repro-$n
  rm -rf $CARGO_TARGET_DIR /work/rust/wheels-repro-$n
  start=$(date +%s.%N)
  nice -n 10 python -m build --wheel --no-isolation --skip-dependency-check --outdir /work/rust/wheels-repro-$n "-Cbuild-args=-j1" . > /work/rust/rpds-repro-$n.log 2>&1
  echo "build $n: $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || python3 -c "print($(date +%s.%N) - $start)") s"
done
