#!/bin/bash
# Turns cargo's build-std output into a rustc sysroot folder usable with `--sysroot`.
# usage: make-sysroot.sh <build-std target dir> <sysroot dir>
set -euo pipefail
deps=$1/wasm32-unknown-emscripten/release/deps
out=$2
lib=$out/lib/rustlib/wasm32-unknown-emscripten/lib
rm -rf "$out.tmp"; mkdir -p "$out.tmp/lib/rustlib/wasm32-unknown-emscripten/lib"
# every std crate's rlib (not the probe crate's own artifacts)
for f in "$deps"/lib*.rlib; do
  case $(basename "$f") in libstdprobe-*) continue;; esac
  cp "$f" "$out.tmp/lib/rustlib/wasm32-unknown-emscripten/lib/"
done
# the host's own std stays where Debian put it (build scripts, proc macros)
ln -s /usr/lib/rustlib/x86_64-unknown-linux-gnu "$out.tmp/lib/rustlib/x86_64-unknown-linux-gnu"
ln -s /usr/lib/rustlib/src "$out.tmp/lib/rustlib/src"
rm -rf "$out"; mv "$out.tmp" "$out"
ls "$out/lib/rustlib/wasm32-unknown-emscripten/lib"; du -sh "$out/lib/rustlib/wasm32-unknown-emscripten/lib"
