//! Helpers for the wrapper's unit tests: the ABI of `toolchain/abi.toml` as the wrapper reads
//! it, and short ways to rewrite a command line and look at the result.

use std::ffi::{OsStr, OsString};

use super::env::split_flags;
use super::{Rewritten, Tool, WrapperEnv, rewrite};

/// The ABI of `toolchain/abi.toml`, as `wrapper_env` hands it over.
pub(super) fn abi_env() -> WrapperEnv {
    let flags = |text: &str| split_flags(OsStr::new(text));
    WrapperEnv {
        cflags: flags("-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm"),
        cxxflags: flags("-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm"),
        ldflags: flags("-fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT"),
        side_module_ldflags: flags("-sSIDE_MODULE=1"),
        host_prefix: None,
        prefix_maps: Vec::new(),
    }
}

pub(super) fn args(line: &str) -> Vec<OsString> {
    line.split_whitespace().map(OsString::from).collect()
}

pub(super) fn run(tool: Tool, line: &str) -> Rewritten {
    rewrite(tool, &args(line), &abi_env())
}

pub(super) fn line(rewritten: &Rewritten) -> String {
    let args: Vec<String> = rewritten
        .args
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    format!("{} {}", rewritten.program, args.join(" "))
}

pub(super) fn count(rewritten: &Rewritten, flag: &str) -> usize {
    rewritten.args.iter().filter(|arg| *arg == flag).count()
}
