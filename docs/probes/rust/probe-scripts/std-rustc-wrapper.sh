#!/bin/sh
# RUSTC_WRAPPER for the std build: like Rust's own bootstrap, compile the panic_abort runtime
# with panic=abort, so that the one sysroot serves both -Cpanic=unwind and -Cpanic=abort crates.
rustc=$1; shift
case " $* " in
  *" --crate-name panic_abort "*) exec "$rustc" "$@" -Cpanic=abort ;;
  *) exec "$rustc" "$@" ;;
esac
