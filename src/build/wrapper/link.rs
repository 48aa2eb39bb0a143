//! Side-module links run as a child whose error output the wrapper passes through and reads:
//! a function signature mismatch fails the link.
//!
//! When two objects of one link disagree on a function's type (a C LAPACK routine defined
//! returning `int` and declared `void` by its caller, a BLAS routine called without the hidden
//! string-length arguments f2c adds), wasm-ld only warns — `wasm-ld: warning: function
//! signature mismatch: dgemm_` — and links the call to a stub that traps: the module loads,
//! and dies with `RuntimeError: unreachable` when the call is made. On native targets the same
//! mismatch usually goes unnoticed, so packages ship it. The wrapper turns that warning into
//! an error for every link of a side module (`-shared`: an extension module or a shared
//! library, what kiln ships): it prints the warning as wasm-ld wrote it, then a message naming
//! each symbol, deletes the output (so `make` does not take it for done) and exits 1. The fix
//! is always to make the declarations agree, in a patch to the package.
//!
//! Program links keep wasm-ld's warning and its result. In a cross build a program is a
//! configure probe, and function probes (CMake's `check_function_exists`, autoconf's
//! `AC_CHECK_FUNCS`, meson's `has_function` without a header) declare the function as
//! `char f(void)` on purpose: failing them made every such probe answer "no" for functions
//! libc has. Relocatable links (`-r`) end up in a side module, checked then.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, ExitCode};

/// Runs a link as a child: its standard output is inherited, its error output is passed
/// through line by line and kept, to find wasm-ld's signature mismatch warnings. Returns the
/// child's exit code, or 1 when the link succeeded with mismatches.
pub(super) fn run_link(mut command: Command, program: &Path, args: &[OsString]) -> ExitCode {
    use std::io::BufRead;
    let mut child = match command.stderr(std::process::Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(error) => {
            eprintln!("kiln: cannot run `{}`: {error}", program.display());
            return ExitCode::from(126);
        }
    };
    let mut captured = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        let mut reader = io::BufReader::new(stderr);
        let mut line = Vec::new();
        let mut out = io::stderr().lock();
        // Bytes, not `lines()`: compiler output need not be UTF-8, and is passed on as it came.
        while reader
            .read_until(b'\n', &mut line)
            .is_ok_and(|read| read > 0)
        {
            let _ = out.write_all(&line);
            captured.extend_from_slice(&line);
            line.clear();
        }
    }
    let status = match child.wait() {
        Ok(status) => status,
        Err(error) => {
            eprintln!("kiln: cannot wait for `{}`: {error}", program.display());
            return ExitCode::from(126);
        }
    };
    let code = match status.code() {
        Some(code) => code,
        None => {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }
    };
    let mismatches = signature_mismatches(&String::from_utf8_lossy(&captured));
    if mismatches.is_empty() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let output = output_file(args);
    let message = mismatch_message(&mismatches, output.as_deref());
    // Standard error only: in a kiln build it is the build log already.
    eprint!("{message}");
    if let Some(output) = output {
        // A half-good output left in place would let a rerun of `make` skip this link.
        let _ = std::fs::remove_file(output);
    }
    ExitCode::from(1)
}

/// One `function signature mismatch` warning of wasm-ld: the symbol, and the `>>> defined
/// as … in …` lines that say which types and files disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    pub symbol: String,
    pub details: Vec<String>,
}

/// The signature mismatch warnings in a link's error output. wasm-ld 19 writes each as
/// ```text
/// wasm-ld: warning: function signature mismatch: dgemm_
/// >>> defined as (i32, i32, …) -> void in interface/gemm.o
/// >>> defined as (i32, i32, …, i32, i32) -> void in lapack-netlib/SRC/dgetrf2.o
/// ```
/// (the tool may be named by its path, `wasm-ld-19`, …), and `--fatal-warnings` would turn it
/// into `error: function signature mismatch`: both count. Each symbol is listed once.
pub fn signature_mismatches(stderr: &str) -> Vec<SignatureMismatch> {
    const MARKER: &str = "function signature mismatch: ";
    let mut found: Vec<SignatureMismatch> = Vec::new();
    let mut current: Option<usize> = None;
    for line in stderr.lines() {
        let line = line.trim_end();
        if let Some(at) = line.find(MARKER)
            && (line.contains("warning:") || line.contains("error:"))
        {
            let symbol = line[at + MARKER.len()..].trim().to_string();
            current = match found.iter().position(|known| known.symbol == symbol) {
                Some(index) => Some(index),
                None => {
                    found.push(SignatureMismatch {
                        symbol,
                        details: Vec::new(),
                    });
                    Some(found.len() - 1)
                }
            };
        } else if let (Some(index), Some(detail)) = (current, line.strip_prefix(">>> ")) {
            let detail = detail.to_string();
            if !found[index].details.contains(&detail) {
                found[index].details.push(detail);
            }
        } else {
            current = None;
        }
    }
    found
}

/// The error the wrapper prints for a link with signature mismatches.
fn mismatch_message(mismatches: &[SignatureMismatch], output: Option<&OsStr>) -> String {
    let names: Vec<String> = mismatches
        .iter()
        .map(|mismatch| format!("`{}`", mismatch.symbol))
        .collect();
    let mut text = format!(
        "kiln: error: function signature mismatch in the link of `{}`: {}\n",
        output.map_or("?".into(), |path| Path::new(path).display().to_string()),
        names.join(", ")
    );
    for mismatch in mismatches {
        text.push_str(&format!("  `{}`\n", mismatch.symbol));
        for detail in &mismatch.details {
            text.push_str(&format!("    {detail}\n"));
        }
    }
    text.push_str(
        "  wasm-ld links such a call to a stub that traps (`RuntimeError: unreachable`) when it \
         runs.\n\nhint: make the declarations agree (a patch to the package): same return \
         type, same arguments, including the hidden string lengths f2c-translated code passes\n",
    );
    text
}

/// The `-o` of a command line (`-o x.so` or `-ox.so`).
fn output_file(args: &[OsString]) -> Option<OsString> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "-o" {
            return iter.next().cloned();
        }
        if let Some(rest) = arg.as_bytes().strip_prefix(b"-o")
            && !rest.is_empty()
        {
            return Some(OsStr::from_bytes(rest).to_os_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::ffi::{OsStr, OsString};

    use super::*;
    use crate::build::wrapper::testing::args;

    #[test]
    fn signature_mismatch_warnings_are_found_with_their_details() {
        let stderr = "\
wasm-ld: warning: function signature mismatch: dgemm_
>>> defined as (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> void in lapack-netlib/SRC/dgetrf2.o
>>> defined as (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> void in interface/dgemm.o
/usr/bin/wasm-ld-19: warning: function signature mismatch: dgetrf_
>>> defined as (i32, i32, i32, i32, i32, i32) -> void in scipy/linalg/_flapack.o
>>> defined as (i32, i32, i32, i32, i32, i32) -> i32 in libopenblas.a(dgetrf.o)
wasm-ld: warning: function signature mismatch: dgemm_
>>> defined as (i32) -> void in b.o
emcc: warning: something else [-Wlinkflags]
>>> not a detail of anything
wasm-ld: error: function signature mismatch: xerbla_
";
        let found = signature_mismatches(stderr);
        let symbols: Vec<&str> = found.iter().map(|m| m.symbol.as_str()).collect();
        assert_eq!(symbols, ["dgemm_", "dgetrf_", "xerbla_"]);
        assert_eq!(found[0].details.len(), 3, "{:?}", found[0]);
        assert!(found[1].details[1].ends_with("-> i32 in libopenblas.a(dgetrf.o)"));
        assert!(found[2].details.is_empty());
        // Other warnings, and the words in another context, are not mismatches.
        assert!(signature_mismatches("emcc: warning: unused argument\n").is_empty());
        assert!(
            signature_mismatches("note: see 'function signature mismatch: x' in the docs\n")
                .is_empty()
        );
        let message = mismatch_message(&found, Some(OsStr::new("libopenblas.so")));
        assert!(message.starts_with(
            "kiln: error: function signature mismatch in the link of `libopenblas.so`: `dgemm_`, `dgetrf_`, `xerbla_`\n"
        ));
        assert!(message.contains("hint: make the declarations agree"));
    }

    #[test]
    fn output_file_of_a_link() {
        assert_eq!(
            output_file(&args("-shared a.o -o x.so")),
            Some(OsString::from("x.so"))
        );
        assert_eq!(
            output_file(&args("-shared a.o -ox.so")),
            Some(OsString::from("x.so"))
        );
        assert_eq!(output_file(&args("-shared a.o")), None);
    }
}
