#!/bin/bash
# Builds Rust std for wasm32-unknown-emscripten (wasm EH, panic=unwind) through a tiny bin crate,
# offline from the Rust source's library/vendor. Run inside the probe root.
set -euo pipefail
export CARGO_HOME=/work/rust/cargo-home-std
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/rust/std-target}
export RUSTFLAGS="${STD_RUSTFLAGS:-}"
cd /work/rust/stdprobe
time nice -n 10 cargo build --offline --release -j1 --target wasm32-unknown-emscripten \
  -Zbuild-std=std,panic_unwind "$@"
