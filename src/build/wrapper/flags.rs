//! What the wrapper drops from a build machine's command line, as tables: the data a porter
//! reviews when a new emscripten or a new package needs a flag kept or dropped, and the few
//! rules that apply them ([`dropped`], [`linker_items_kept`], [`is_host_dir`]). What is added
//! and replaced is in [`super::rewrite`].
//!
//! Dropped (each was tried against the root's emcc 3.1.69 / wasm-ld 19):
//! - threads: `-pthread` (compiles with atomics and shared memory the runtime does not have);
//! - the build machine's CPU and ABI: `-march= -mtune= -mcpu= -mcmodel= -mfpmath=
//!   -mfloat-abi= -mfpu= -mabi=` (OpenBLAS's riscv64 makefile adds `-mabi=lp64d`), x86
//!   features (`-msse*`, `-mavx*`, `-mno-avx`, `-mpopcnt`…: clang errors, emcc demands
//!   `-msimd128`), `-m64` (silently makes a wasm64 object), `-target`;
//!   wasm feature flags (`-msimd128`, `-mbulk-memory`) are kept;
//! - hardening that has no wasm meaning: `-fstack-protector*`, `-fstack-clash-protection`,
//!   `-fcf-protection*` (an error);
//! - position-dependent code: `-fno-pic -fPIE`…: every object must be PIC, as wasm-ld refuses
//!   anything else in a side module or in the dynamically linking main module;
//! - gcc-only spellings: `-flto-partition=`, `-fvar-tracking*`, `-fuse-linker-plugin`,
//!   `-fuse-ld=`, `-specs=`, `-static-libgcc`, `-static-libstdc++`; `-flto=<jobs>` → `-flto`;
//! - the build machine's headers and libraries: `-I -isystem -idirafter -iquote -L` under
//!   `/usr/include`, `/usr/local/include`, `/usr/lib*`, `/usr/local/lib*`, `/lib*` (the root's
//!   x86_64 `pyconfig.h` would be used silently), `--sysroot`, `-isysroot`;
//! - libraries emscripten lacks: `-lutil -lgcc -lgcc_s -lcrypt` (what exists of them is in
//!   libc); `-lpthread -ldl -lrt -lm` are accepted by emcc and kept;
//! - gcc's `-s` (strip at link; emcc would read the next argument as a setting): strip
//!   later with `strip`, as kiln's wheel step does;
//! - linker options wasm-ld rejects or ignores, in `-Wl,`, `-Xlinker` and `-z`: `-rpath`,
//!   `-rpath-link`, `-R`, `--version-script` (wasm exports are not versioned), `-soname`,
//!   `-h`, `--as-needed`, `--no-as-needed`, `-Bsymbolic-functions`, `--no-undefined`,
//!   `--[no-]allow-shlib-undefined`, `--hash-style`, `--enable-new-dtags`, `--sort-common`,
//!   `--warn-common`, `--exclude-libs`, `--dynamic-list`, `--icf`, `--compress-debug-sections`,
//!   `--strip-all`/`-s` (pyodide: breaks emscripten's output), `-x`, `-X`,
//!   `--push-state`/`--pop-state`, `-z <anything but stack-size=>` (`relro`, `now`, `defs`).
//!
//! A flag dropped here that a build needs shows in the build log as the pair of lines the
//! wrapper writes per call: what the build asked for, and what ran.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// Driver options whose value is the next argument. Knowing them keeps a value such as the
/// `x.so` of `-o x.so` from being taken for an input file.
pub(super) const TAKES_VALUE: &[&str] = &[
    "-o",
    "-I",
    "-L",
    "-l",
    "-D",
    "-U",
    "-include",
    "-imacros",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-isysroot",
    "-iprefix",
    "-iwithprefix",
    "-iwithprefixbefore",
    "-imultilib",
    "-MF",
    "-MT",
    "-MQ",
    "-x",
    "-Xlinker",
    "-Xclang",
    "-Xpreprocessor",
    "-Xassembler",
    "-arch",
    "-target",
    "-u",
    "-T",
    "-z",
    "-e",
    "--param",
    "-aux-info",
    "--sysroot",
    "-mllvm",
    "--embed-file",
    "--preload-file",
    "--exclude-file",
    "--js-library",
    "--pre-js",
    "--post-js",
    "--extern-pre-js",
    "--extern-post-js",
    "--shell-file",
    "--source-map-base",
    "--js-transform",
    "--cache",
    "--em-config",
];

/// Options dropped as they are (the module header says why).
pub(super) const DROP: &[&str] = &[
    "-pthread",
    "-pthreads",
    "-m64",
    "-fstack-clash-protection",
    "-fno-stack-clash-protection",
    "-fno-pic",
    "-fno-PIC",
    "-fpie",
    "-fPIE",
    "-fno-pie",
    "-fno-PIE",
    "-pie",
    "-no-pie",
    "-static-libgcc",
    "-static-libstdc++",
    "-fuse-linker-plugin",
    "-ffat-lto-objects",
    "-fno-fat-lto-objects",
    "-lutil",
    "-lgcc",
    "-lgcc_s",
    "-lcrypt",
];

/// Options dropped when they start with one of these.
const DROP_PREFIX: &[&str] = &[
    "-march=",
    "-mtune=",
    "-mcpu=",
    "-mcmodel=",
    "-mfpmath=",
    "-mfloat-abi=",
    "-mfpu=",
    "-mabi=",
    "-fstack-protector",
    "-fno-stack-protector",
    "-fcf-protection",
    "-flto-partition=",
    "-fvar-tracking",
    "-fuse-ld=",
    "-specs=",
    "--sysroot=",
    "--target=",
];

/// x86 instruction-set options, as `-m<feature>` and `-mno-<feature>` (prefixes). wasm's own
/// (`-msimd128`, `-mbulk-memory`, `-mnontrapping-fptoint`) match none of them.
const X86_FEATURES: &[&str] = &[
    "sse",
    "ssse3",
    "avx",
    "fma",
    "f16c",
    "popcnt",
    "bmi",
    "lzcnt",
    "aes",
    "pclmul",
    "sha",
    "movbe",
    "xsave",
    "rdrnd",
    "rdseed",
    "adx",
    "mmx",
    "3dnow",
    "tbm",
    "xop",
    "vpclmulqdq",
    "gfni",
    "vaes",
    "amx",
    "cx16",
    "sahf",
    "crc32",
    "fsgsbase",
    "prfchw",
    "abm",
    "red-zone",
    "stackrealign",
    "vzeroupper",
];

/// emscripten settings of the JS exception scheme, which cannot be mixed with native wasm
/// exceptions (`DISABLE_EXCEPTION_CATCHING=0 is not compatible with -fwasm-exceptions`).
pub(super) const JS_EXCEPTION_SETTINGS: &[&str] = &[
    "DISABLE_EXCEPTION_CATCHING",
    "NO_DISABLE_EXCEPTION_CATCHING",
    "EXCEPTION_CATCHING_ALLOWED",
];

/// Linker options without a value that wasm-ld rejects (`unknown argument`) or that mean
/// nothing for a wasm module.
const LINKER_DROP: &[&str] = &[
    "--as-needed",
    "--no-as-needed",
    "--enable-new-dtags",
    "--disable-new-dtags",
    "-Bsymbolic-functions",
    "--no-undefined",
    "--allow-shlib-undefined",
    "--no-allow-shlib-undefined",
    "--no-undefined-version",
    "--sort-common",
    "--warn-common",
    "--no-copy-dt-needed-entries",
    "--push-state",
    "--pop-state",
    "--strip-all",
    "-s",
    "-x",
    "--discard-all",
    "-X",
    "--discard-locals",
    "--eh-frame-hdr",
    "-pie",
    "--no-dynamic-linker",
];

/// Linker options with a glued value (`--version-script=x.map`) dropped.
const LINKER_DROP_PREFIX: &[&str] = &[
    "-rpath=",
    "--rpath=",
    "-rpath-link=",
    "--rpath-link=",
    "--version-script=",
    "-version-script=",
    "-soname=",
    "--soname=",
    "--hash-style=",
    "--exclude-libs=",
    "--dynamic-list=",
    "--icf=",
    "--compress-debug-sections=",
    "-plugin-opt=",
];

/// Linker options dropped together with their value (the next item).
const LINKER_DROP_WITH_VALUE: &[&str] = &[
    "-rpath",
    "--rpath",
    "-rpath-link",
    "--rpath-link",
    "-R",
    "--version-script",
    "-version-script",
    "-soname",
    "--soname",
    "-h",
    "--exclude-libs",
    "--dynamic-list",
    "-dynamic-linker",
    "--dynamic-linker",
    "-plugin",
    "-m",
];

/// Linker options kept with their value, skipped over so the value is not read as an option.
const LINKER_KEEP_WITH_VALUE: &[&str] = &[
    "-o", "-L", "-l", "-e", "-u", "-y", "-T", "-Map", "--defsym", "--export", "-mllvm",
];

/// `ld`'s own options whose value is the next argument ([`TAKES_VALUE`] is the driver's).
pub(super) const LD_TAKES_VALUE: &[&str] = &[
    "-soname",
    "-h",
    "-rpath",
    "-rpath-link",
    "-R",
    "-m",
    "-e",
    "-y",
    "-Map",
    "--version-script",
    "--dynamic-list",
    "--exclude-libs",
    "-dynamic-linker",
    "-plugin",
    "-mllvm",
];

/// Whether a driver option (not a linker item) is dropped.
pub(super) fn dropped(text: &str) -> bool {
    if DROP.contains(&text) || DROP_PREFIX.iter().any(|prefix| text.starts_with(prefix)) {
        return true;
    }
    // gcc's `-s`: strip at link time.
    if text == "-s" {
        return true;
    }
    for prefix in ["-I", "-isystem", "-idirafter", "-iquote", "-L"] {
        if let Some(dir) = text.strip_prefix(prefix)
            && !dir.is_empty()
            && is_host_dir(OsStr::new(dir))
        {
            return true;
        }
    }
    let feature = text
        .strip_prefix("-mno-")
        .or_else(|| text.strip_prefix("-m"));
    feature.is_some_and(|feature| X86_FEATURES.iter().any(|x86| feature.starts_with(x86)))
}

/// Whether `dir` holds the build machine's headers or libraries: `/usr/include`,
/// `/usr/local/include`, `/usr/lib*`, `/usr/local/lib*`, `/lib*` and below. Checked on the
/// path's components, so `/usr//include/` and `/usr/./lib` count too.
pub(super) fn is_host_dir(dir: &OsStr) -> bool {
    let parts: Vec<&OsStr> = Path::new(dir)
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect();
    if !Path::new(dir).has_root() {
        return false;
    }
    let lib = |part: &OsStr| part.as_bytes().starts_with(b"lib");
    match parts.as_slice() {
        [usr, rest @ ..] if *usr == "usr" => match rest {
            [include, ..] if *include == "include" => true,
            [local, include, ..]
                if *local == "local" && (*include == "include" || lib(include)) =>
            {
                true
            }
            [first, ..] => lib(first),
            [] => false,
        },
        [first, ..] => lib(first),
        [] => false,
    }
}

/// For every linker item of a command line, in order (the comma-separated items of each
/// `-Wl,`, the value of each `-Xlinker`, `-z` and its value): whether it is kept. Items are
/// judged as one sequence, as the linker sees them, so `-Wl,-rpath -Wl,/x` drops both.
pub(super) fn linker_items_kept(items: &[String]) -> Vec<bool> {
    let mut keep = vec![true; items.len()];
    let mut at = 0;
    while at < items.len() {
        let item = items[at].as_str();
        if LINKER_DROP.contains(&item)
            || LINKER_DROP_PREFIX
                .iter()
                .any(|prefix| item.starts_with(prefix))
            || item
                .strip_prefix("-L")
                .is_some_and(|dir| !dir.is_empty() && is_host_dir(OsStr::new(dir)))
        {
            keep[at] = false;
            at += 1;
        } else if LINKER_DROP_WITH_VALUE.contains(&item) {
            keep[at] = false;
            if at + 1 < items.len() {
                keep[at + 1] = false;
            }
            at += 2;
        } else if item == "-z" {
            // wasm-ld knows `-z stack-size=`; relro, now, defs… only earn warnings.
            if items
                .get(at + 1)
                .is_none_or(|value| !value.starts_with("stack-size="))
            {
                keep[at] = false;
                if at + 1 < items.len() {
                    keep[at + 1] = false;
                }
            }
            at += 2;
        } else if let Some(value) = item.strip_prefix("-z") {
            keep[at] = value.starts_with("stack-size=");
            at += 1;
        } else if LINKER_KEEP_WITH_VALUE.contains(&item) {
            at += 2;
        } else {
            at += 1;
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_dirs_are_told_by_their_components() {
        for dir in [
            "/usr/include",
            "/usr//include/",
            "/usr/./lib",
            "/usr/lib64",
            "/usr/local/include/x",
            "/usr/local/lib",
            "/lib",
            "/lib/x86_64-linux-gnu",
        ] {
            assert!(is_host_dir(OsStr::new(dir)), "{dir}");
        }
        for dir in [
            "usr/include",
            "/usr/share",
            "/usr/local",
            "/opt/include",
            "/home/lib",
            "/",
        ] {
            assert!(!is_host_dir(OsStr::new(dir)), "{dir}");
        }
    }

    #[test]
    fn x86_features_are_dropped_and_wasm_features_kept() {
        for flag in [
            "-msse4.2",
            "-mno-avx",
            "-mavx512f",
            "-mpopcnt",
            "-march=native",
            "-s",
            "-I/usr/include",
        ] {
            assert!(dropped(flag), "{flag}");
        }
        for flag in [
            "-msimd128",
            "-mbulk-memory",
            "-mnontrapping-fptoint",
            "-O2",
            "-I/opt/include",
        ] {
            assert!(!dropped(flag), "{flag}");
        }
    }

    #[test]
    fn linker_items_are_judged_as_one_sequence() {
        let items = |text: &str| -> Vec<String> { text.split(' ').map(str::to_string).collect() };
        assert_eq!(
            linker_items_kept(&items(
                "-rpath /x --as-needed -z relro -z stack-size=65536 -o out -s"
            )),
            [
                false, false, false, false, false, true, true, true, true, false
            ]
        );
        // A kept option's value is never read as an option (`-o -s` names a file `-s`).
        assert_eq!(linker_items_kept(&items("-o -s")), [true, true]);
    }
}
