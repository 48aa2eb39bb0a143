//! The compiler wrapper: how a package's own build system (setuptools, meson, cmake, plain
//! make) comes to compile for wasm32-emscripten without knowing it.
//!
//! Build systems call `cc`, `c++`, `ld`, `ar`… with flags meant for the build machine, and
//! read the build machine's Python for more (`-I/usr/include/python3.13`, `-march=native`,
//! `-pthread`, `-Wl,--as-needed`). kiln puts a per-build folder of symlinks named like those
//! tools, each pointing at the kiln binary, first on PATH ([`install_wrappers`],
//! [`wrapper_env`]). When kiln starts under such a name ([`dispatch_from_argv0`], the first
//! thing `main` does, before clap), it:
//!
//! 1. maps the tool to emscripten's ([`Tool::program`]): `cc gcc clang` → `emcc`,
//!    `c++ g++ clang++` → `em++`, `cpp` → `emcc -E`, `ld` → `emcc` (below), `ar` → `emar`,
//!    `ranlib` → `emranlib`, `strip` → `emstrip`, `nm` → `emnm`; also under a
//!    `<arch>-linux-gnu-` prefix and with a `-<version>` suffix (`x86_64-linux-gnu-gcc-14`);
//! 2. rewrites the arguments ([`rewrite`], pure, unit-tested): drops what cannot work on wasm,
//!    adds the ABI's flags and, for a shared-object link only, makes it a side module;
//! 3. appends the original and the rewritten command line to the build log;
//! 4. `exec`s the real tool, found on PATH with the wrapper folder left out, and gives it that
//!    PATH too, so emcc (which runs `clang`, and whose tools may run `cc`) never re-enters;
//!    a side module's link instead runs as a child whose error output the wrapper passes
//!    through and reads: two objects that disagree on a function's type fail the link
//!    ([`link`]), where wasm-ld only warns and the call would trap at run time.
//!
//! `@file` response files (meson writes long links to one) are read and expanded first, so a
//! link's `-shared` is seen wherever it is written ([`response`]).
//!
//! No Python starts and no file is read besides the log and response files: pyodide-build's
//! Python wrapper costs about 55 ms per call; this one costs the start of one small process.
//!
//! # Where each part lives
//! ```text
//! tool.rs       which tool a program name stands for, and the emscripten program for it
//! env.rs        the environment a build sets for the wrapper: its only configuration
//! flags.rs      the tables of what is dropped (data to review when porting), and their rules
//! rewrite.rs    one call rewritten: parse, mode, the ABI's flags added, the tables applied
//! ld.rs         `ld`'s arguments turned into the compiler driver's
//! response.rs   `@file` response files expanded
//! run.rs        the entry point: rewrite, log, find the real tool, exec it
//! link.rs       links run as a child, their signature mismatch warnings made errors
//! install.rs    the wrapper folder of a build, and the environment that points at it
//! cmake.rs      the CMake toolchain file that makes CMake (and scikit-build-core) use it
//! ```

mod cmake;
mod env;
mod flags;
mod install;
mod ld;
mod link;
mod response;
mod rewrite;
mod run;
mod tool;

#[cfg(test)]
mod testing;

pub use cmake::{CmakePython, EMSCRIPTEN_CMAKE_TOOLCHAIN, write_cmake_toolchain};
pub use env::{
    ENV_VARS, WRAPPER_CFLAGS_VAR, WRAPPER_CXXFLAGS_VAR, WRAPPER_DIR_VAR, WRAPPER_LDFLAGS_VAR,
    WRAPPER_LOG_VAR, WRAPPER_SIDE_MODULE_LDFLAGS_VAR, WrapperEnv,
};
pub use install::{install_wrappers, wrapper_env};
pub use link::{SignatureMismatch, signature_mismatches};
pub use rewrite::{Mode, Rewritten, rewrite};
pub use run::dispatch_from_argv0;
pub use tool::{Tool, wrapper_names};
