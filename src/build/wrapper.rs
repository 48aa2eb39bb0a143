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
//!    a link instead runs as a child whose error output the wrapper passes through and reads
//!    (below, [`signature_mismatches`]).
//!
//! # Function signature mismatches fail the link
//! When two objects of one link disagree on a function's type (a C LAPACK routine defined
//! returning `int` and declared `void` by its caller, a BLAS routine called without the hidden
//! string-length arguments f2c adds), wasm-ld only warns — `wasm-ld: warning: function
//! signature mismatch: dgemm_` — and links the call to a stub that traps: the module loads,
//! and dies with `RuntimeError: unreachable` when the call is made. On native targets the same
//! mismatch usually goes unnoticed, so packages ship it. The wrapper turns that warning into
//! an error for every link: it prints the warning as wasm-ld wrote it, then a message naming
//! each symbol, deletes the output (so `make` does not take it for done) and exits 1. The fix
//! is always to make the declarations agree, in a patch to the package.
//!
//! `@file` response files (meson writes long links to one) are read and expanded first, so a
//! link's `-shared` is seen wherever it is written ([`expand_response_files`]).
//!
//! No Python starts and no file is read besides the log and response files: pyodide-build's
//! Python wrapper costs about 55 ms per call; this one costs the start of one small process.
//!
//! # Environment (set by [`wrapper_env`]; the only configuration, see [`ENV_VARS`])
//! ```text
//! KILN_WRAPPER_DIR                  the wrapper folder: left out of PATH for the real tool
//! KILN_WRAPPER_LOG                  file (absolute) the two log lines per call are appended to
//! KILN_WRAPPER_CFLAGS               ABI flags for every C compile (the platform file `cflags`)
//! KILN_WRAPPER_CXXFLAGS             ABI flags for every C++ compile (`cxxflags`)
//! KILN_WRAPPER_LDFLAGS              ABI flags for every link (`ldflags`)
//! KILN_WRAPPER_SIDE_MODULE_LDFLAGS  added when linking a shared object (`side-module-ldflags`)
//! ```
//! Flags are separated by whitespace, without quoting (ABI flags contain no spaces). The
//! wrapper adds the ABI itself rather than trusting `CFLAGS`/`LDFLAGS`, because build systems
//! drop or reorder those (meson ignores `CFLAGS` for the host machine of a cross build), and an
//! object built for another ABI links fine and fails only when imported.
//!
//! # What [`rewrite`] does
//! Compiles (`-c`, `-S`, `-E`, `-M`, `-MM`, `cpp`) get the ABI's C or C++ flags and always
//! `-fPIC`. Links get the ABI's link flags; a link with `-shared` (or an explicit
//! `-sSIDE_MODULE`) also gets `-sSIDE_MODULE=1` and the side-module flags. Nothing else
//! becomes a side module: meson's `has_function` probes link executables (`cc conftest.c -o
//! conftest`), and a side module would let every probe "succeed" with the symbol undefined
//! (numpy then used `backtrace`, which wasm lacks). `-r` links stay relocatable objects.
//! Queries without input files (`--version`, `-dumpmachine`) pass through unchanged, except
//! `-print-multiarch`, answered `wasm32-emscripten` (emcc refuses it without input files).
//!
//! Flags with the ABI's say are the ABI's: `-fexceptions` becomes `-fwasm-exceptions` when
//! the ABI uses native wasm exceptions (the two EH schemes do not interoperate, and a
//! JS-EH object links into a side module without complaint), emscripten's JS-EH settings
//! (`-sDISABLE_EXCEPTION_CATCHING…`) are dropped then, and a package's `-sNAME=…` for a
//! setting the ABI sets (`WASM_BIGINT`, `SUPPORT_LONGJMP`) gives way to the ABI's value.
//! `-fno-exceptions` is kept: ABI flags come first, so a package can still opt out.
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
//! `ld` is supported for what build systems use it for: `ld -r` object merges and simple
//! shared links. Its arguments become driver arguments (`-o -L -l -r -shared` as they are,
//! every other option behind `-Wl,`, `-m <emulation>` and `-x` dropped) and then take the
//! path above. Response files (`@file`) pass through unread and count as inputs.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::run::shell_quote;
use crate::toolchain::Abi;

/// Environment variable naming the wrapper folder (left out of PATH for the real tool).
pub const WRAPPER_DIR_VAR: &str = "KILN_WRAPPER_DIR";
/// Environment variable naming the log every call is appended to.
pub const WRAPPER_LOG_VAR: &str = "KILN_WRAPPER_LOG";
pub const WRAPPER_CFLAGS_VAR: &str = "KILN_WRAPPER_CFLAGS";
pub const WRAPPER_CXXFLAGS_VAR: &str = "KILN_WRAPPER_CXXFLAGS";
pub const WRAPPER_LDFLAGS_VAR: &str = "KILN_WRAPPER_LDFLAGS";
pub const WRAPPER_SIDE_MODULE_LDFLAGS_VAR: &str = "KILN_WRAPPER_SIDE_MODULE_LDFLAGS";

/// The variables the wrapper reads, with what each does (for kiln's documented list).
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        WRAPPER_DIR_VAR,
        "compiler wrapper: its folder, left out of PATH when it runs the real tool",
    ),
    (
        WRAPPER_LOG_VAR,
        "compiler wrapper: log file each call's original and rewritten command is appended to",
    ),
    (
        WRAPPER_CFLAGS_VAR,
        "compiler wrapper: ABI flags added to every C compile",
    ),
    (
        WRAPPER_CXXFLAGS_VAR,
        "compiler wrapper: ABI flags added to every C++ compile",
    ),
    (
        WRAPPER_LDFLAGS_VAR,
        "compiler wrapper: ABI flags added to every link",
    ),
    (
        WRAPPER_SIDE_MODULE_LDFLAGS_VAR,
        "compiler wrapper: flags added when linking a shared object (side module)",
    ),
];

/// What `-print-multiarch` answers: the multiarch of the runtime's `.so` suffix
/// (`.cpython-313-wasm32-emscripten.so`).
const MULTIARCH: &str = "wasm32-emscripten";

/// A build-machine tool the wrapper stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `cc`, `gcc`, `clang`
    Cc,
    /// `c++`, `g++`, `clang++`
    Cxx,
    /// `cpp`: the C preprocessor
    Cpp,
    /// `ld`
    Ld,
    /// `ar`
    Ar,
    /// `ranlib`
    Ranlib,
    /// `strip`
    Strip,
    /// `nm`
    Nm,
}

impl Tool {
    /// Every tool, for [`install_wrappers`].
    pub const ALL: [Tool; 8] = [
        Tool::Cc,
        Tool::Cxx,
        Tool::Cpp,
        Tool::Ld,
        Tool::Ar,
        Tool::Ranlib,
        Tool::Strip,
        Tool::Nm,
    ];

    /// The tool a program name stands for: `cc`, `x86_64-linux-gnu-gcc-14`, `clang-19`,
    /// `gcc-ar`… `None` for any other name (such as `kiln`).
    pub fn from_name(name: &str) -> Option<Tool> {
        // `x86_64-linux-gnu-gcc` → `gcc` (any architecture: configure scripts pick names from
        // `--host`/`--build`).
        let base = match name.rfind("-linux-gnu-") {
            Some(at) => &name[at + "-linux-gnu-".len()..],
            None => name,
        };
        // `gcc-14`, `clang-19`, `gcc-ar-14` → without the version.
        let base = match base.rsplit_once('-') {
            Some((stem, version))
                if !stem.is_empty()
                    && !version.is_empty()
                    && version.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                stem
            }
            _ => base,
        };
        Some(match base {
            "cc" | "gcc" | "clang" => Tool::Cc,
            "c++" | "g++" | "clang++" => Tool::Cxx,
            "cpp" | "clang-cpp" => Tool::Cpp,
            "ld" | "ld.bfd" | "ld.gold" | "ld.lld" => Tool::Ld,
            "ar" | "gcc-ar" | "llvm-ar" => Tool::Ar,
            "ranlib" | "gcc-ranlib" | "llvm-ranlib" => Tool::Ranlib,
            "strip" | "llvm-strip" => Tool::Strip,
            "nm" | "gcc-nm" | "llvm-nm" => Tool::Nm,
            _ => return None,
        })
    }

    /// The emscripten program that does this tool's job.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Cc | Tool::Cpp | Tool::Ld => "emcc",
            Tool::Cxx => "em++",
            Tool::Ar => "emar",
            Tool::Ranlib => "emranlib",
            Tool::Strip => "emstrip",
            Tool::Nm => "emnm",
        }
    }

    /// Whether the tool is a compiler driver or linker, whose `@file` arguments the wrapper
    /// reads before rewriting ([`expand_response_files`]). The archivers' response files hold
    /// only member names, which the wrapper never rewrites.
    fn reads_response_files(self) -> bool {
        matches!(self, Tool::Cc | Tool::Cxx | Tool::Cpp | Tool::Ld)
    }

    /// The names installed for this tool: the plain ones, then the host-triple prefixed ones
    /// (`x86_64-linux-gnu-gcc`) that autoconf tries first.
    fn names(self) -> &'static [&'static str] {
        match self {
            Tool::Cc => &["cc", "gcc", "clang"],
            Tool::Cxx => &["c++", "g++", "clang++"],
            Tool::Cpp => &["cpp"],
            Tool::Ld => &["ld"],
            Tool::Ar => &["ar", "gcc-ar"],
            Tool::Ranlib => &["ranlib", "gcc-ranlib"],
            Tool::Strip => &["strip"],
            Tool::Nm => &["nm", "gcc-nm"],
        }
    }
}

/// Every file name [`install_wrappers`] creates.
pub fn wrapper_names() -> Vec<String> {
    let triple = format!("{}-linux-gnu-", std::env::consts::ARCH);
    let mut names = Vec::new();
    for tool in Tool::ALL {
        names.extend(tool.names().iter().map(|name| name.to_string()));
    }
    for name in ["gcc", "g++", "cpp", "ld", "ar", "ranlib", "strip", "nm"] {
        names.push(format!("{triple}{name}"));
    }
    names
}

/// The ABI flags the wrapper adds, as read from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrapperEnv {
    pub cflags: Vec<OsString>,
    pub cxxflags: Vec<OsString>,
    pub ldflags: Vec<OsString>,
    pub side_module_ldflags: Vec<OsString>,
}

impl WrapperEnv {
    /// Reads the `KILN_WRAPPER_*FLAGS` variables (missing ones are empty).
    ///
    /// The wrapper is its own entry point, a fresh process per compiler call with no
    /// [`crate::config::Settings`] behind it: the environment is its only configuration.
    pub fn from_env() -> Self {
        let flags = |name: &str| split_flags(&std::env::var_os(name).unwrap_or_default());
        Self {
            cflags: flags(WRAPPER_CFLAGS_VAR),
            cxxflags: flags(WRAPPER_CXXFLAGS_VAR),
            ldflags: flags(WRAPPER_LDFLAGS_VAR),
            side_module_ldflags: flags(WRAPPER_SIDE_MODULE_LDFLAGS_VAR),
        }
    }

    /// Whether the ABI uses native wasm exception handling (`-fwasm-exceptions`).
    fn wasm_exceptions(&self) -> bool {
        self.cflags
            .iter()
            .chain(&self.cxxflags)
            .chain(&self.ldflags)
            .any(|flag| flag == "-fwasm-exceptions")
    }

    /// The emscripten settings the ABI sets, by name (`-sWASM_BIGINT` → `WASM_BIGINT`).
    /// Side-module flags are not among them: a package may choose its SIDE_MODULE mode.
    fn settings(&self) -> Vec<(String, OsString)> {
        self.cflags
            .iter()
            .chain(&self.cxxflags)
            .chain(&self.ldflags)
            .filter_map(|flag| {
                let name = setting_name(flag.to_str()?.strip_prefix("-s")?)?;
                Some((name.to_string(), flag.clone()))
            })
            .collect()
    }
}

fn split_flags(text: &OsStr) -> Vec<OsString> {
    text.as_bytes()
        .split(|byte| byte.is_ascii_whitespace())
        .filter(|flag| !flag.is_empty())
        .map(|flag| OsStr::from_bytes(flag).to_os_string())
        .collect()
}

/// What a command line does, as the wrapper sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No input files: `--version`, `-dumpmachine`, `-print-*`.
    Query,
    /// `-E`, `-M`, `-MM`, or `cpp`.
    Preprocess,
    /// `-c`, `-S`, `-fsyntax-only`.
    Compile,
    /// A link: an executable, a shared object, or a relocatable object with `-r`.
    Link,
    /// `ar`, `ranlib`, `strip`, `nm`: arguments pass through.
    Archive,
}

/// The command the wrapper runs instead of the one it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The emscripten program, looked up on PATH without the wrapper folder.
    pub program: &'static str,
    pub args: Vec<OsString>,
    pub mode: Mode,
    /// Whether this link produces a side module (`-shared`).
    pub side_module: bool,
    /// Printed by the wrapper itself instead of running anything (`-print-multiarch`).
    pub answer: Option<&'static str>,
}

/// One argument of a compiler-driver command line, with its value when it takes one.
#[derive(Debug, Clone)]
enum Arg {
    /// An option, its value glued on if it has one (`-O2`, `-I/x`, `-Wl,-rpath,/x`).
    Opt(OsString),
    /// An option whose value is the next argument (`-o x`, `-isystem /usr/include`).
    Pair(OsString, OsString),
    /// An input file, `-` (standard input) or a response file `@file`.
    Input(OsString),
}

/// Driver options whose value is the next argument. Knowing them keeps a value such as the
/// `x.so` of `-o x.so` from being taken for an input file.
const TAKES_VALUE: &[&str] = &[
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

/// Options dropped as they are (see the module header for why).
const DROP: &[&str] = &[
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
const JS_EXCEPTION_SETTINGS: &[&str] = &[
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

/// Rewrites one call of `tool` for emscripten (see the module header for what and why).
pub fn rewrite(tool: Tool, args: &[OsString], env: &WrapperEnv) -> Rewritten {
    let program = tool.program();
    if matches!(tool, Tool::Ar | Tool::Ranlib | Tool::Strip | Tool::Nm) {
        // The LLVM binutils behind emar/emranlib/emstrip/emnm take GNU's options.
        return Rewritten {
            program,
            args: args.to_vec(),
            mode: Mode::Archive,
            side_module: false,
            answer: None,
        };
    }
    let mut parsed = parse(args);
    if tool == Tool::Ld {
        parsed = from_ld(parsed);
    }
    if tool == Tool::Cpp {
        // `cpp [options] [in [out]]`: the second file is the output; no file means stdin.
        let inputs: Vec<usize> = (0..parsed.len())
            .filter(|&at| matches!(parsed[at], Arg::Input(_)))
            .collect();
        if let [_, out] = inputs[..]
            && let Arg::Input(path) = parsed[out].clone()
        {
            parsed[out] = Arg::Pair("-o".into(), path);
        }
        if inputs.is_empty() {
            parsed.push(Arg::Input("-".into()));
        }
    }

    let has = |flag: &str| {
        parsed
            .iter()
            .any(|arg| matches!(arg, Arg::Opt(o) if o == flag))
    };
    let inputs: Vec<&OsString> = parsed
        .iter()
        .filter_map(|arg| match arg {
            Arg::Input(path) => Some(path),
            _ => None,
        })
        .collect();
    let mode = if tool == Tool::Cpp || has("-E") || has("-M") || has("-MM") {
        Mode::Preprocess
    } else if has("-c") || has("-S") || has("-fsyntax-only") {
        Mode::Compile
    } else if inputs.is_empty() {
        Mode::Query
    } else {
        Mode::Link
    };
    let given_side_module = parsed
        .iter()
        .any(|arg| setting_of(arg).is_some_and(|(name, _)| name == "SIDE_MODULE"));
    let side_module = mode == Mode::Link
        && !has("-r")
        && !has("--relocatable")
        && (has("-shared") || given_side_module);
    let cxx = tool == Tool::Cxx
        || inputs.iter().any(|path| is_cxx_source(path))
        || parsed.iter().any(|arg| match arg {
            Arg::Pair(flag, value) => flag == "-x" && value.as_bytes().starts_with(b"c++"),
            Arg::Opt(flag) => flag.as_bytes().starts_with(b"-xc++"),
            Arg::Input(_) => false,
        });
    let compiles_sources = match mode {
        Mode::Preprocess | Mode::Compile => true,
        Mode::Link => inputs.iter().any(|path| is_source(path)),
        Mode::Query | Mode::Archive => false,
    };
    let answer = (mode == Mode::Query && has("-print-multiarch")).then_some(MULTIARCH);

    let kept = filter(parsed, env);
    if mode == Mode::Query {
        // Nothing is built: add nothing.
        return Rewritten {
            program,
            args: flatten(kept),
            mode,
            side_module,
            answer,
        };
    }

    // The ABI's flags go first, so that a package's own later flags (-O3, -fno-exceptions)
    // still apply; flags it already passes (CFLAGS carries the ABI too) are not repeated.
    let given: Vec<OsString> = flatten(kept.clone());
    let mut added: Vec<OsString> = Vec::new();
    if compiles_sources {
        let flags = if cxx { &env.cxxflags } else { &env.cflags };
        for flag in flags {
            push_new(flag, &given, &mut added);
        }
        // Whatever the ABI file says: wasm-ld takes only PIC objects into side modules and
        // into the dynamically linking interpreter.
        push_new(&"-fPIC".into(), &given, &mut added);
    }
    if mode == Mode::Link {
        for flag in &env.ldflags {
            push_new(flag, &given, &mut added);
        }
    }
    if side_module {
        // One SIDE_MODULE setting: the package's own (rustc-style `=2`), else the ABI's,
        // else `=1`.
        let sets_side_module = |flag: &OsString| {
            flag.to_str()
                .and_then(|text| text.strip_prefix("-s"))
                .and_then(setting_name)
                == Some("SIDE_MODULE")
        };
        if !given_side_module && !env.side_module_ldflags.iter().any(sets_side_module) {
            push_new(&"-sSIDE_MODULE=1".into(), &given, &mut added);
        }
        for flag in &env.side_module_ldflags {
            if !(given_side_module && sets_side_module(flag)) {
                push_new(flag, &given, &mut added);
            }
        }
    }

    let mut out = Vec::new();
    if tool == Tool::Cpp {
        out.push(OsString::from("-E"));
    }
    out.append(&mut added);
    out.extend(given);
    Rewritten {
        program,
        args: out,
        mode,
        side_module,
        answer,
    }
}

fn push_new(flag: &OsString, given: &[OsString], added: &mut Vec<OsString>) {
    if !given.contains(flag) && !added.contains(flag) {
        added.push(flag.clone());
    }
}

/// Splits a command line into options, option-value pairs and inputs.
fn parse(args: &[OsString]) -> Vec<Arg> {
    let mut parsed = Vec::with_capacity(args.len());
    let mut at = 0;
    while at < args.len() {
        let arg = &args[at];
        let bytes = arg.as_bytes();
        let next = args.get(at + 1);
        at += 1;
        if bytes == b"-" || !bytes.starts_with(b"-") {
            parsed.push(Arg::Input(arg.clone()));
            continue;
        }
        let Some(next) = next else {
            parsed.push(Arg::Opt(arg.clone()));
            continue;
        };
        let pair = match arg.to_str() {
            // gcc's `-s` strips; emcc's `-s NAME=VALUE` sets: tell them apart by the value.
            Some("-s") => next.to_str().and_then(setting_name).is_some(),
            Some(text) => TAKES_VALUE.contains(&text),
            None => false,
        };
        if pair {
            parsed.push(Arg::Pair(arg.clone(), next.clone()));
            at += 1;
        } else {
            parsed.push(Arg::Opt(arg.clone()));
        }
    }
    parsed
}

/// `NAME` of an emscripten setting `NAME` or `NAME=VALUE` (upper case, digits, `_`).
fn setting_name(text: &str) -> Option<&str> {
    let name = text.split_once('=').map_or(text, |(name, _)| name);
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_uppercase()
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    .then_some(name)
}

/// The emscripten setting an argument sets, with its whole text as `-sNAME=VALUE`.
fn setting_of(arg: &Arg) -> Option<(String, OsString)> {
    let text = match arg {
        Arg::Opt(flag) => flag.to_str()?.strip_prefix("-s")?.to_string(),
        Arg::Pair(flag, value) if flag == "-s" => value.to_str()?.to_string(),
        _ => return None,
    };
    let name = setting_name(&text)?.to_string();
    Some((name, format!("-s{text}").into()))
}

/// Turns `ld` arguments into emcc driver arguments (see the module header).
fn from_ld(parsed: Vec<Arg>) -> Vec<Arg> {
    if !parsed.iter().any(|arg| matches!(arg, Arg::Input(_))) {
        // `ld --version`, `ld -v`: emcc answers (libtool looks for "GNU" in it, which emcc's
        // "linker emulating GNU ld" has).
        return parsed;
    }
    // ld's own value-taking options; `parse` used the driver's table.
    const LD_TAKES_VALUE: &[&str] = &[
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
    let mut flat = flatten(parsed).into_iter();
    let mut out = Vec::new();
    while let Some(arg) = flat.next() {
        let Some(text) = arg.to_str().map(str::to_string) else {
            out.push(Arg::Input(arg));
            continue;
        };
        let wl = |items: &[&str]| Arg::Opt(format!("-Wl,{}", items.join(",")).into());
        match text.as_str() {
            "-" => out.push(Arg::Input(arg)),
            _ if !text.starts_with('-') => out.push(Arg::Input(arg)),
            "-o" | "-L" | "-l" | "-u" | "-T" | "-z" => match flat.next() {
                Some(value) => out.push(match text.as_str() {
                    "-o" | "-L" | "-l" => Arg::Pair(arg, value),
                    _ => wl(&[&text, &*value.to_string_lossy()]),
                }),
                None => out.push(Arg::Opt(arg)),
            },
            "-r" | "--relocatable" | "-i" | "-Ur" => out.push(Arg::Opt("-r".into())),
            "-shared" | "--shared" | "-Bshareable" => out.push(Arg::Opt("-shared".into())),
            "-static" => out.push(Arg::Opt(arg)),
            // Emulation (`-m elf_x86_64`) and discarding local symbols mean nothing for wasm.
            "-x" | "-X" | "--discard-all" | "--discard-locals" => {}
            "-m" => {
                flat.next();
            }
            _ if text.starts_with("-m") && text != "-mllvm" => {}
            "-s" | "--strip-all" => {}
            "-S" | "--strip-debug" => out.push(wl(&["--strip-debug"])),
            _ if text.starts_with("-L") || text.starts_with("-l") || text.starts_with("-o") => {
                out.push(Arg::Opt(arg))
            }
            _ if text.starts_with("--library-path=") => out.push(Arg::Opt(
                format!("-L{}", &text["--library-path=".len()..]).into(),
            )),
            _ if text.starts_with("--library=") => out.push(Arg::Opt(
                format!("-l{}", &text["--library=".len()..]).into(),
            )),
            _ if LD_TAKES_VALUE.contains(&text.as_str()) => match flat.next() {
                Some(value) => out.push(wl(&[&text, &*value.to_string_lossy()])),
                None => out.push(wl(&[&text])),
            },
            _ => out.push(wl(&[&text])),
        }
    }
    out
}

/// Drops and replaces arguments (everything but the additions).
fn filter(parsed: Vec<Arg>, env: &WrapperEnv) -> Vec<Arg> {
    let wasm_exceptions = env.wasm_exceptions();
    let abi_settings = env.settings();
    let keep_linker = linker_items_kept(&parsed);
    let mut linker_at = 0;
    let mut next_linker_keep = |count: usize| {
        let kept = keep_linker[linker_at..linker_at + count].to_vec();
        linker_at += count;
        kept
    };
    let mut out = Vec::with_capacity(parsed.len());
    for arg in parsed {
        if let Some((name, text)) = setting_of(&arg) {
            if wasm_exceptions && JS_EXCEPTION_SETTINGS.contains(&name.as_str()) {
                continue;
            }
            // The ABI's value wins over the package's; an identical flag is kept as given.
            if abi_settings
                .iter()
                .any(|(abi_name, abi_flag)| *abi_name == name && *abi_flag != text)
            {
                continue;
            }
            out.push(arg);
            continue;
        }
        match arg {
            Arg::Input(_) => out.push(arg),
            Arg::Pair(flag, value) => {
                let name = flag.to_str().unwrap_or("");
                match name {
                    "-I" | "-isystem" | "-idirafter" | "-iquote" | "-L" if is_host_dir(&value) => {}
                    "--sysroot" | "-isysroot" | "-target" | "-arch" => {}
                    "-l" if DROP.contains(&format!("-l{}", value.to_string_lossy()).as_str()) => {}
                    "-Xlinker" | "-z" => {
                        let count = if name == "-z" { 2 } else { 1 };
                        let kept = next_linker_keep(count);
                        if kept.iter().all(|&keep| keep) {
                            out.push(Arg::Pair(flag, value));
                        }
                    }
                    _ => out.push(Arg::Pair(flag, value)),
                }
            }
            Arg::Opt(flag) => {
                let Some(text) = flag.to_str() else {
                    out.push(Arg::Opt(flag));
                    continue;
                };
                if let Some(items) = text.strip_prefix("-Wl,") {
                    let items: Vec<&str> = items.split(',').collect();
                    let kept = next_linker_keep(items.len());
                    let items: Vec<&str> = items
                        .into_iter()
                        .zip(kept)
                        .filter_map(|(item, keep)| keep.then_some(item))
                        .collect();
                    if !items.is_empty() {
                        out.push(Arg::Opt(format!("-Wl,{}", items.join(",")).into()));
                    }
                    continue;
                }
                if text == "-fexceptions" && wasm_exceptions {
                    out.push(Arg::Opt("-fwasm-exceptions".into()));
                    continue;
                }
                if let Some(jobs) = text.strip_prefix("-flto=")
                    && jobs.bytes().all(|b| b.is_ascii_digit())
                {
                    // gcc's parallel LTO; clang knows only -flto=full|thin.
                    out.push(Arg::Opt("-flto".into()));
                    continue;
                }
                if !dropped(text) {
                    out.push(Arg::Opt(flag));
                }
            }
        }
    }
    out
}

/// Whether a driver option (not a linker item) is dropped.
fn dropped(text: &str) -> bool {
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

/// For every linker item of the command line, in order (the comma-separated items of each
/// `-Wl,`, the value of each `-Xlinker`, `-z` and its value): whether it is kept. Items are
/// judged as one sequence, as the linker sees them, so `-Wl,-rpath -Wl,/x` drops both.
fn linker_items_kept(parsed: &[Arg]) -> Vec<bool> {
    let mut items: Vec<String> = Vec::new();
    for arg in parsed {
        match arg {
            Arg::Opt(flag) => {
                if let Some(rest) = flag.to_str().and_then(|text| text.strip_prefix("-Wl,")) {
                    items.extend(rest.split(',').map(str::to_string));
                }
            }
            Arg::Pair(flag, value) if flag == "-Xlinker" => {
                items.push(value.to_string_lossy().into_owned())
            }
            Arg::Pair(flag, value) if flag == "-z" => {
                items.push("-z".to_string());
                items.push(value.to_string_lossy().into_owned());
            }
            _ => {}
        }
    }
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

fn flatten(parsed: Vec<Arg>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(parsed.len() + 4);
    for arg in parsed {
        match arg {
            Arg::Opt(flag) | Arg::Input(flag) => out.push(flag),
            Arg::Pair(flag, value) => {
                out.push(flag);
                out.push(value);
            }
        }
    }
    out
}

/// Whether `dir` holds the build machine's headers or libraries: `/usr/include`,
/// `/usr/local/include`, `/usr/lib*`, `/usr/local/lib*`, `/lib*` and below. Checked on the
/// path's components, so `/usr//include/` and `/usr/./lib` count too.
fn is_host_dir(dir: &OsStr) -> bool {
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

fn extension(path: &OsStr) -> &[u8] {
    let bytes = path.as_bytes();
    match bytes.iter().rposition(|&b| b == b'.') {
        Some(dot) if !bytes[dot..].contains(&b'/') => &bytes[dot + 1..],
        _ => b"",
    }
}

fn is_cxx_source(path: &OsStr) -> bool {
    matches!(
        extension(path),
        b"cc" | b"cp" | b"cxx" | b"cpp" | b"CPP" | b"c++" | b"C" | b"mm" | b"ii"
    )
}

fn is_source(path: &OsStr) -> bool {
    path == "-"
        || is_cxx_source(path)
        || matches!(extension(path), b"c" | b"m" | b"i" | b"s" | b"S" | b"sx")
}

/// The wrapper's entry point: when kiln was started as one of the wrapped tools (its file
/// name is `cc`, `x86_64-linux-gnu-g++`…), rewrites and `exec`s the call and returns only if
/// that fails. `None` when kiln was started as itself.
pub fn dispatch_from_argv0() -> Option<ExitCode> {
    let mut argv = std::env::args_os();
    let argv0 = argv.next()?;
    let name = Path::new(&argv0).file_name()?.to_str()?.to_string();
    let tool = Tool::from_name(&name)?;
    let args: Vec<OsString> = argv.collect();
    Some(run(tool, &name, &args))
}

fn run(tool: Tool, invoked: &str, args: &[OsString]) -> ExitCode {
    let expanded;
    let args = if tool.reads_response_files() {
        expanded = expand_response_files(args, &|path| std::fs::read(path).ok(), 0);
        &expanded[..]
    } else {
        args
    };
    let rewritten = rewrite(tool, args, &WrapperEnv::from_env());
    let wrapper_dir = std::env::var_os(WRAPPER_DIR_VAR).map(PathBuf::from);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = find_program(rewritten.program, invoked, &path, wrapper_dir.as_deref());
    if let Some(log) = std::env::var_os(WRAPPER_LOG_VAR).filter(|log| !log.is_empty()) {
        let ran = match (&rewritten.answer, &found) {
            (Some(answer), _) => Ran::Answer(answer),
            (None, Some((program, _))) => Ran::Program(program, &rewritten.args),
            (None, None) => Ran::NotFound(rewritten.program),
        };
        if let Err(error) = append_log(Path::new(&log), &log_lines(invoked, args, ran)) {
            // Not fatal: the compile itself is what the build needs.
            eprintln!(
                "kiln: cannot append to the wrapper log `{}`: {error}",
                Path::new(&log).display()
            );
        }
    }
    if let Some(answer) = rewritten.answer {
        println!("{answer}");
        return ExitCode::SUCCESS;
    }
    let Some((program, clean_path)) = found else {
        eprintln!(
            "kiln: `{}` (for `{invoked}`) not found on PATH outside the wrapper folder",
            rewritten.program
        );
        return ExitCode::from(127);
    };
    let mut command = Command::new(&program);
    command.args(&rewritten.args).env("PATH", clean_path);
    if rewritten.mode == Mode::Link {
        return run_link(command, &program, &rewritten.args);
    }
    let error = command.exec();
    eprintln!("kiln: cannot run `{}`: {error}", program.display());
    ExitCode::from(126)
}

/// How deep `@file` inside a response file is followed (gcc's own limit is far higher, but a
/// build never nests more than once; a file that names itself must still end).
const RESPONSE_FILE_DEPTH: usize = 8;

/// Replaces each `@file` argument by the arguments written in that file, as gcc and clang
/// read them: separated by white space, grouped by single or double quotes, a backslash
/// taking the next character as it is; `@file` inside is read in turn. An `@file` that
/// cannot be read stays as it is (gcc's rule: then it is an input named `@file`).
///
/// meson writes a link's objects to `NAME.rsp` when the command line is long (SciPy's
/// `unuran_wrapper` link has 150 objects). Unexpanded, the wrapper saw no `-shared` in it,
/// so the link became a program rather than a side module, and the signature mismatch check
/// was skipped. The expanded arguments are what runs: Linux takes 2 MB of them.
fn expand_response_files(
    args: &[OsString],
    read: &dyn Fn(&Path) -> Option<Vec<u8>>,
    depth: usize,
) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        let bytes = arg.as_bytes();
        let contents = match bytes.strip_prefix(b"@") {
            Some(name) if !name.is_empty() && depth < RESPONSE_FILE_DEPTH => {
                read(Path::new(OsStr::from_bytes(name)))
            }
            _ => None,
        };
        match contents {
            Some(contents) => out.extend(expand_response_files(
                &split_response_file(&contents),
                read,
                depth + 1,
            )),
            None => out.push(arg.clone()),
        }
    }
    out
}

/// The arguments of a response file (see [`expand_response_files`] for the syntax).
fn split_response_file(contents: &[u8]) -> Vec<OsString> {
    let mut args = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut in_arg = false;
    let mut quote: Option<u8> = None;
    let mut bytes = contents.iter().copied();
    while let Some(byte) = bytes.next() {
        match (quote, byte) {
            (_, b'\\') => {
                if let Some(next) = bytes.next() {
                    current.push(next);
                }
                in_arg = true;
            }
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => current.push(byte),
            (None, b'\'' | b'"') => {
                quote = Some(byte);
                in_arg = true;
            }
            (None, _) if byte.is_ascii_whitespace() => {
                if in_arg {
                    args.push(OsString::from_vec(std::mem::take(&mut current)));
                    in_arg = false;
                }
            }
            (None, _) => {
                current.push(byte);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(OsString::from_vec(current));
    }
    args
}

/// Runs a link as a child: its standard output is inherited, its error output is passed
/// through line by line and kept, to find wasm-ld's signature mismatch warnings. Returns the
/// child's exit code, or 1 when the link succeeded with mismatches.
fn run_link(mut command: Command, program: &Path, args: &[OsString]) -> ExitCode {
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

/// Finds `program` on `path` outside wrapper folders, and returns it with `path` minus those
/// folders (the PATH the real tool gets). A wrapper folder is `wrapper_dir`, or any folder
/// whose `invoked` entry leads to this very executable: then a missing or stale
/// `KILN_WRAPPER_DIR` still cannot make emcc call back into kiln.
fn find_program(
    program: &str,
    invoked: &str,
    path: &OsStr,
    wrapper_dir: Option<&Path>,
) -> Option<(PathBuf, OsString)> {
    let this = std::env::current_exe().ok();
    let is_wrapper_dir = |dir: &Path| {
        if wrapper_dir.is_some_and(|wrapper| wrapper == dir) {
            return true;
        }
        let entry = dir.join(invoked);
        let is_link = std::fs::symlink_metadata(&entry).is_ok_and(|meta| meta.is_symlink());
        is_link
            && this.is_some()
            && std::fs::canonicalize(&entry).ok().as_deref() == this.as_deref()
    };
    let dirs: Vec<PathBuf> = std::env::split_paths(path)
        .filter(|dir| dir.as_os_str().is_empty() || !is_wrapper_dir(dir))
        .collect();
    let found = dirs.iter().find_map(|dir| {
        let candidate = dir.join(program);
        is_executable(&candidate).then_some(candidate)
    })?;
    let clean = std::env::join_paths(&dirs).ok()?;
    Some((found, clean))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// What the wrapper did with a call, for the log.
enum Ran<'a> {
    Program(&'a Path, &'a [OsString]),
    Answer(&'a str),
    NotFound(&'a str),
}

/// The two log lines of one call: what the build asked for, and what ran instead.
fn log_lines(invoked: &str, args: &[OsString], ran: Ran) -> String {
    let mut text = String::from("[kiln wrapper] ");
    text.push_str(&shell_quote(invoked));
    push_quoted(&mut text, args);
    text.push_str("\n[kiln wrapper] => ");
    match ran {
        Ran::Program(program, new_args) => {
            text.push_str(&shell_quote(&program.to_string_lossy()));
            push_quoted(&mut text, new_args);
        }
        Ran::Answer(answer) => text.push_str(&format!("answered by kiln: {answer}")),
        Ran::NotFound(program) => text.push_str(&format!("`{program}` not found on PATH")),
    }
    text.push('\n');
    text
}

fn push_quoted(text: &mut String, args: &[OsString]) {
    for arg in args {
        text.push(' ');
        text.push_str(&shell_quote(&arg.to_string_lossy()));
    }
}

/// Appends `text` in one `write` on an `O_APPEND` file: the kernel places each such write at
/// the end as a whole, so the lines of parallel compiles do not interleave mid-line.
fn append_log(log: &Path, text: &str) -> io::Result<()> {
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    // write_all issues a second write only after a short write (a full disk), never otherwise.
    file.write_all(text.as_bytes())
}

/// Creates the wrapper folder `dir`: one symlink per name in [`wrapper_names`], each to
/// `kiln_exe`. Idempotent, and each link is replaced atomically (made beside, then renamed),
/// so a build running from the folder never finds a tool missing.
///
/// `kiln_exe` must be reachable at the same path inside the toolchain root (the project and
/// kiln's cache are; `~/.cargo/bin` is not).
pub fn install_wrappers(dir: &Path, kiln_exe: &Path) -> io::Result<()> {
    let kiln_exe = std::path::absolute(kiln_exe)?;
    fs_err::create_dir_all(dir)?;
    for name in wrapper_names() {
        let link = dir.join(&name);
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = fs_err::remove_file(&temporary);
        fs_err::os::unix::fs::symlink(&kiln_exe, &temporary)?;
        fs_err::rename(&temporary, &link)?;
    }
    Ok(())
}

/// The environment a build needs for the wrapper in `dir` to be used, logging to `log`, with
/// `abi`'s flags: `PATH` (= `dir` then `inherited_path`) and the variables in [`ENV_VARS`].
pub fn wrapper_env(
    dir: &Path,
    log: &Path,
    abi: &Abi,
    inherited_path: &str,
) -> Vec<(String, String)> {
    let path = if inherited_path.is_empty() {
        dir.display().to_string()
    } else {
        format!("{}:{inherited_path}", dir.display())
    };
    vec![
        ("PATH".to_string(), path),
        (WRAPPER_DIR_VAR.to_string(), dir.display().to_string()),
        (WRAPPER_LOG_VAR.to_string(), log.display().to_string()),
        (WRAPPER_CFLAGS_VAR.to_string(), abi.cflags.join(" ")),
        (WRAPPER_CXXFLAGS_VAR.to_string(), abi.cxxflags.join(" ")),
        (WRAPPER_LDFLAGS_VAR.to_string(), abi.ldflags.join(" ")),
        (
            WRAPPER_SIDE_MODULE_LDFLAGS_VAR.to_string(),
            abi.side_module_ldflags.join(" "),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ABI of the platform file, as `wrapper_env` hands it over.
    fn abi_env() -> WrapperEnv {
        let flags = |text: &str| split_flags(OsStr::new(text));
        WrapperEnv {
            cflags: flags("-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm"),
            cxxflags: flags("-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm"),
            ldflags: flags("-fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT"),
            side_module_ldflags: flags("-sSIDE_MODULE=1"),
        }
    }

    fn args(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn run(tool: Tool, line: &str) -> Rewritten {
        rewrite(tool, &args(line), &abi_env())
    }

    fn line(rewritten: &Rewritten) -> String {
        let args: Vec<String> = rewritten
            .args
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        format!("{} {}", rewritten.program, args.join(" "))
    }

    fn count(rewritten: &Rewritten, flag: &str) -> usize {
        rewritten.args.iter().filter(|arg| *arg == flag).count()
    }

    #[test]
    fn every_wrapped_name_maps_to_its_emscripten_tool() {
        let expected = [
            ("cc", Tool::Cc, "emcc"),
            ("gcc", Tool::Cc, "emcc"),
            ("clang", Tool::Cc, "emcc"),
            ("gcc-14", Tool::Cc, "emcc"),
            ("clang-19", Tool::Cc, "emcc"),
            ("x86_64-linux-gnu-gcc", Tool::Cc, "emcc"),
            ("x86_64-linux-gnu-gcc-14", Tool::Cc, "emcc"),
            ("aarch64-linux-gnu-gcc", Tool::Cc, "emcc"),
            ("c++", Tool::Cxx, "em++"),
            ("g++", Tool::Cxx, "em++"),
            ("clang++", Tool::Cxx, "em++"),
            ("x86_64-linux-gnu-g++", Tool::Cxx, "em++"),
            ("cpp", Tool::Cpp, "emcc"),
            ("x86_64-linux-gnu-cpp", Tool::Cpp, "emcc"),
            ("ld", Tool::Ld, "emcc"),
            ("ld.bfd", Tool::Ld, "emcc"),
            ("x86_64-linux-gnu-ld", Tool::Ld, "emcc"),
            ("ar", Tool::Ar, "emar"),
            ("gcc-ar", Tool::Ar, "emar"),
            ("gcc-ar-14", Tool::Ar, "emar"),
            ("x86_64-linux-gnu-ar", Tool::Ar, "emar"),
            ("ranlib", Tool::Ranlib, "emranlib"),
            ("x86_64-linux-gnu-ranlib", Tool::Ranlib, "emranlib"),
            ("strip", Tool::Strip, "emstrip"),
            ("x86_64-linux-gnu-strip", Tool::Strip, "emstrip"),
            ("nm", Tool::Nm, "emnm"),
            ("x86_64-linux-gnu-nm", Tool::Nm, "emnm"),
        ];
        for (name, tool, program) in expected {
            assert_eq!(Tool::from_name(name), Some(tool), "{name}");
            assert_eq!(tool.program(), program, "{name}");
        }
        for name in [
            "kiln",
            "emcc",
            "python3",
            "x86_64-linux-gnu-python3.13-config",
            "cc-x",
        ] {
            assert_eq!(Tool::from_name(name), None, "{name}");
        }
        // Every installed name dispatches, and `cpp` runs `emcc -E`.
        for name in wrapper_names() {
            assert!(Tool::from_name(&name).is_some(), "{name}");
        }
        assert_eq!(run(Tool::Cpp, "x.h").args[0], "-E");
    }

    #[test]
    fn compile_adds_fpic_and_the_abi_flags_first() {
        let rewritten = run(Tool::Cc, "-O2 -c x.c -o x.o");
        assert_eq!(rewritten.mode, Mode::Compile);
        assert_eq!(
            line(&rewritten),
            "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -O2 -c x.c -o x.o"
        );
        // Without any ABI in the environment, -fPIC is still added.
        let bare = rewrite(Tool::Cc, &args("-c x.c"), &WrapperEnv::default());
        assert_eq!(line(&bare), "emcc -fPIC -c x.c");
        // Preprocessing sees the same macros as compiling.
        assert_eq!(count(&run(Tool::Cc, "-E x.c"), "-fPIC"), 1);
        assert_eq!(count(&run(Tool::Cpp, "x.c"), "-fPIC"), 1);
    }

    #[test]
    fn flags_already_given_are_not_repeated() {
        // CFLAGS from the build script carry the ABI flags too.
        let rewritten = run(
            Tool::Cc,
            "-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -c x.c",
        );
        assert_eq!(
            line(&rewritten),
            "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -c x.c"
        );
    }

    #[test]
    fn shared_link_becomes_a_side_module() {
        let rewritten = run(Tool::Cc, "-shared -o x.so x.o");
        assert_eq!(rewritten.mode, Mode::Link);
        assert!(rewritten.side_module);
        assert_eq!(
            line(&rewritten),
            "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -sSIDE_MODULE=1 \
             -shared -o x.so x.o"
        );
        let extension = run(
            Tool::Cxx,
            "-shared x.o -o _core.cpython-313-x86_64-linux-gnu.so",
        );
        assert!(extension.side_module);
        assert_eq!(count(&extension, "-sSIDE_MODULE=1"), 1);
        // Compiling and linking in one step gets compile and link flags.
        let both = run(Tool::Cc, "-shared x.c -o x.so");
        assert_eq!(count(&both, "-fPIC"), 1);
        assert_eq!(count(&both, "-sWASM_BIGINT"), 1);
        assert_eq!(count(&both, "-sSIDE_MODULE=1"), 1);
    }

    #[test]
    fn side_module_setting_is_not_doubled() {
        // cross.rs's LDSHARED spells the side-module flags out already.
        let rewritten = run(
            Tool::Cc,
            "-shared -sSIDE_MODULE=1 -sWASM_BIGINT x.o -o x.so",
        );
        assert_eq!(count(&rewritten, "-sSIDE_MODULE=1"), 1);
        assert_eq!(count(&rewritten, "-sWASM_BIGINT"), 1);
        // A package's own SIDE_MODULE mode (rustc links with =2) is kept, and alone.
        let own = run(Tool::Cc, "-shared -sSIDE_MODULE=2 x.o -o x.so");
        assert_eq!(count(&own, "-sSIDE_MODULE=2"), 1);
        assert_eq!(count(&own, "-sSIDE_MODULE=1"), 0);
        assert!(own.side_module);
    }

    #[test]
    fn compile_never_becomes_a_side_module() {
        for command in [
            "-shared -c x.c -o x.o",
            "-shared -S x.c",
            "-shared -E x.c",
            "-shared -M x.c",
        ] {
            let rewritten = run(Tool::Cc, command);
            assert!(!rewritten.side_module, "{command}");
            assert_eq!(count(&rewritten, "-sSIDE_MODULE=1"), 0, "{command}");
            assert_eq!(count(&rewritten, "-sWASM_BIGINT"), 0, "{command}");
        }
    }

    #[test]
    fn executable_link_never_becomes_a_side_module() {
        // meson's has_function probe: a side module would let it succeed on any symbol.
        let probe = run(Tool::Cc, "conftest.c -o conftest");
        assert_eq!(probe.mode, Mode::Link);
        assert!(!probe.side_module);
        assert_eq!(count(&probe, "-sSIDE_MODULE=1"), 0);
        // It still links with the ABI, so probes see what the runtime offers.
        assert_eq!(count(&probe, "-sWASM_BIGINT"), 1);
        assert_eq!(count(&probe, "-fPIC"), 1);
        let objects = run(Tool::Cc, "main.o -o main.js");
        assert!(!objects.side_module);
        assert_eq!(count(&objects, "-fPIC"), 0, "no source, no compile flags");
        // `-r` merges objects: never a side module, even with -shared.
        let relocatable = run(Tool::Cc, "-r -shared a.o b.o -o all.o");
        assert!(!relocatable.side_module);
    }

    #[test]
    fn host_include_and_library_dirs_are_dropped() {
        let rewritten = run(
            Tool::Cc,
            "-I/usr/include/python3.13 -I /usr/include -isystem /usr/local/include \
             -isystem/usr/include/x86_64-linux-gnu -I/usr//include/ -idirafter /usr/include \
             -Iinclude -I/work/p/include -I/usr/share/emscripten/cache/sysroot/include \
             -L/usr/lib/x86_64-linux-gnu -L /usr/lib64 -L/lib -L/usr/local/lib \
             -L/work/p/lib -Wl,-L/usr/lib -shared x.o -o x.so",
        );
        let text = line(&rewritten);
        for host in ["/usr/include", "/usr/local", "/usr/lib", "-L/lib", "-Wl"] {
            assert!(!text.contains(host), "{host} in {text}");
        }
        for kept in [
            "-Iinclude",
            "-I/work/p/include",
            "-I/usr/share/emscripten/cache/sysroot/include",
            "-L/work/p/lib",
        ] {
            assert_eq!(count(&rewritten, kept), 1, "{kept} in {text}");
        }
        assert!(
            !is_host_dir(OsStr::new("usr/include")),
            "relative paths are the package's"
        );
        assert!(!is_host_dir(OsStr::new("/usr/share/include")));
        assert!(is_host_dir(OsStr::new("/usr/./lib/python3.13/config")));
    }

    #[test]
    fn threads_and_build_machine_cpu_flags_are_dropped() {
        let rewritten = run(
            Tool::Cc,
            "-O2 -march=native -mtune=generic -mcpu=x86-64 -pthread -msse2 -mssse3 -mavx2 \
             -mno-avx -mpopcnt -mfpmath=sse -m64 -mabi=lp64d -msimd128 -mbulk-memory -c x.c",
        );
        assert_eq!(
            line(&rewritten),
            "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -O2 -msimd128 -mbulk-memory -c x.c"
        );
        let link = run(
            Tool::Cc,
            "-pthread -shared x.o -o x.so -lpthread -lm -lutil -lgcc_s",
        );
        assert_eq!(count(&link, "-pthread"), 0);
        assert_eq!(count(&link, "-lpthread"), 1, "emcc accepts -lpthread");
        assert_eq!(count(&link, "-lm"), 1);
        assert_eq!(count(&link, "-lutil") + count(&link, "-lgcc_s"), 0);
    }

    #[test]
    fn hardening_pie_and_gcc_only_flags_are_dropped() {
        let rewritten = run(
            Tool::Cc,
            "-fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE -fno-pic \
             -flto=4 -flto-partition=none -fvar-tracking-assignments -D_FORTIFY_SOURCE=2 -c x.c",
        );
        assert_eq!(
            line(&rewritten),
            "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -flto -D_FORTIFY_SOURCE=2 -c x.c"
        );
    }

    #[test]
    fn exceptions_follow_the_abi() {
        let rewritten = run(Tool::Cxx, "-fexceptions -c x.cpp");
        assert_eq!(count(&rewritten, "-fexceptions"), 0);
        assert_eq!(count(&rewritten, "-fwasm-exceptions"), 1);
        // A package may still turn exceptions off: the ABI flags come before its own.
        let off = run(Tool::Cxx, "-fno-exceptions -c x.cpp");
        let at = |flag: &str| off.args.iter().position(|arg| arg == flag);
        assert!(at("-fwasm-exceptions") < at("-fno-exceptions"));
        // emscripten's JS exception scheme cannot be mixed in.
        let js = run(
            Tool::Cxx,
            "-sDISABLE_EXCEPTION_CATCHING=0 -s NO_DISABLE_EXCEPTION_CATCHING -shared x.o -o x.so",
        );
        assert!(!line(&js).contains("EXCEPTION_CATCHING"), "{}", line(&js));
        // An ABI without wasm exceptions leaves -fexceptions alone.
        let plain = rewrite(
            Tool::Cxx,
            &args("-fexceptions -c x.cpp"),
            &WrapperEnv::default(),
        );
        assert_eq!(count(&plain, "-fexceptions"), 1);
    }

    #[test]
    fn abi_settings_win_over_the_package() {
        let rewritten = run(
            Tool::Cc,
            "-sWASM_BIGINT=0 -s SUPPORT_LONGJMP=emscripten -sEXPORTED_FUNCTIONS=_f -shared x.o -o x.so",
        );
        let text = line(&rewritten);
        assert!(!text.contains("WASM_BIGINT=0"), "{text}");
        assert!(!text.contains("SUPPORT_LONGJMP=emscripten"), "{text}");
        assert_eq!(count(&rewritten, "-sWASM_BIGINT"), 1);
        assert_eq!(count(&rewritten, "-sSUPPORT_LONGJMP=wasm"), 1);
        assert_eq!(count(&rewritten, "-sEXPORTED_FUNCTIONS=_f"), 1);
    }

    #[test]
    fn gcc_strip_flag_is_told_apart_from_emcc_settings() {
        let strip = run(Tool::Cc, "-s main.o -o main");
        assert_eq!(count(&strip, "-s"), 0);
        assert_eq!(count(&strip, "main.o"), 1);
        let setting = run(Tool::Cc, "-s ALLOW_MEMORY_GROWTH=1 main.o -o main");
        let at = setting.args.iter().position(|arg| arg == "-s");
        assert!(at.is_some_and(|at| setting.args[at + 1] == "ALLOW_MEMORY_GROWTH=1"));
    }

    #[test]
    fn linker_options_wasm_ld_rejects_are_dropped() {
        let rewritten = run(
            Tool::Cc,
            "-shared x.o -o x.so -Wl,-rpath,/usr/lib -Wl,-rpath=/opt -Wl,--version-script=v.map \
             -Wl,-O1,--as-needed,--gc-sections -Wl,-z,relro,-z,now -Wl,-soname,x.so \
             -Wl,--enable-new-dtags -Xlinker --no-undefined -Xlinker --export=f -z defs \
             -Wl,-z,stack-size=65536 -Wl,--strip-all -Wl,--start-group y.a -Wl,--end-group",
        );
        assert_eq!(
            line(&rewritten),
            "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -sSIDE_MODULE=1 \
             -shared x.o -o x.so -Wl,-O1,--gc-sections -Xlinker --export=f \
             -Wl,-z,stack-size=65536 -Wl,--start-group y.a -Wl,--end-group"
        );
        // An option and its value in separate -Wl, arguments go together.
        let split = run(Tool::Cc, "-shared x.o -o x.so -Wl,-rpath -Wl,/opt/lib");
        assert!(!line(&split).contains("/opt/lib"), "{}", line(&split));
    }

    #[test]
    fn ld_arguments_become_driver_arguments() {
        let merge = run(Tool::Ld, "-r -x -o all.o a.o b.o");
        assert_eq!(
            line(&merge),
            "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -r -o all.o a.o b.o"
        );
        assert!(!merge.side_module);
        let shared = run(
            Tool::Ld,
            "-m elf_x86_64 -shared -soname libx.so.1 -o libx.so a.o -L/usr/lib -L lib -lz \
             --as-needed -rpath /opt --whole-archive -s",
        );
        assert!(shared.side_module);
        assert_eq!(
            line(&shared),
            "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -sSIDE_MODULE=1 \
             -shared -o libx.so a.o -L lib -lz -Wl,--whole-archive"
        );
        // Version queries reach emcc unchanged.
        assert_eq!(line(&run(Tool::Ld, "--version")), "emcc --version");
    }

    #[test]
    fn cpp_takes_input_and_output_files() {
        assert_eq!(
            line(&run(Tool::Cpp, "-P in.h out.i")),
            "emcc -E -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -P in.h -o out.i"
        );
        assert_eq!(
            line(&run(Tool::Cpp, "-dM")),
            "emcc -E -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -dM -"
        );
    }

    #[test]
    fn queries_pass_through_and_multiarch_is_answered() {
        let version = run(Tool::Cc, "--version");
        assert_eq!(version.mode, Mode::Query);
        assert_eq!(line(&version), "emcc --version");
        assert_eq!(line(&run(Tool::Cc, "-dumpmachine")), "emcc -dumpmachine");
        let multiarch = run(Tool::Cc, "-print-multiarch");
        assert_eq!(multiarch.answer, Some("wasm32-emscripten"));
        // Reading a program from stdin is not a query.
        assert_eq!(run(Tool::Cc, "-E -dM -").mode, Mode::Preprocess);
    }

    #[test]
    fn archivers_pass_arguments_through() {
        for (tool, program) in [
            (Tool::Ar, "emar"),
            (Tool::Ranlib, "emranlib"),
            (Tool::Strip, "emstrip"),
            (Tool::Nm, "emnm"),
        ] {
            let rewritten = run(tool, "-march=native --strip-unneeded libx.a");
            assert_eq!(rewritten.program, program);
            assert_eq!(
                rewritten.args,
                args("-march=native --strip-unneeded libx.a")
            );
        }
    }

    #[test]
    fn values_of_options_are_not_inputs() {
        // `-o x.c` names an output; `-x c` a language; neither makes this a compile of x.c.
        let rewritten = run(Tool::Cc, "-o x.c -x c -include cfg.h");
        assert_eq!(rewritten.mode, Mode::Query);
        let cxx = run(Tool::Cc, "-x c++ -c x.h");
        assert_eq!(count(&cxx, "-fwasm-exceptions"), 1);
    }

    #[test]
    fn finds_the_real_tool_outside_the_wrapper_folder() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let wrappers = root.path().join("wrappers");
        let real = root.path().join("real");
        for dir in [&wrappers, &real] {
            fs_err::create_dir_all(dir).unwrap();
            let emcc = dir.join("emcc");
            fs_err::write(&emcc, "#!/bin/sh\n").unwrap();
            fs_err::set_permissions(&emcc, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = std::env::join_paths([&wrappers, &real]).unwrap();
        let (found, clean) = find_program("emcc", "cc", &path, Some(&wrappers)).unwrap();
        assert_eq!(found, real.join("emcc"));
        assert_eq!(clean, real.clone().into_os_string());
        // A trailing slash names the same folder.
        let slashed = PathBuf::from(format!("{}/", wrappers.display()));
        let (found, _) = find_program("emcc", "cc", &path, Some(&slashed)).unwrap();
        assert_eq!(found, real.join("emcc"));
        // Without KILN_WRAPPER_DIR, a folder whose `cc` leads to this executable is skipped.
        let this = std::env::current_exe().unwrap();
        std::os::unix::fs::symlink(&this, wrappers.join("cc")).unwrap();
        let (found, clean) = find_program("emcc", "cc", &path, None).unwrap();
        assert_eq!(found, real.join("emcc"));
        assert_eq!(clean, real.into_os_string());
        assert!(find_program("emcc", "cc", &wrappers.into_os_string(), None).is_none());
    }

    #[test]
    fn install_creates_links_idempotently_and_env_names_them() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("bin");
        let exe = root.path().join("kiln");
        fs_err::write(&exe, "").unwrap();
        install_wrappers(&dir, &exe).unwrap();
        install_wrappers(&dir, &exe).unwrap();
        let mut entries: Vec<String> = fs_err::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        entries.sort();
        let mut expected = wrapper_names();
        expected.sort();
        assert_eq!(entries, expected);
        assert_eq!(fs_err::read_link(dir.join("cc")).unwrap(), exe);

        let abi = Abi {
            id: "test".into(),
            platform: "pyemscripten_2026_5_wasm32".into(),
            abi_version: "2026_5".into(),
            python: "3.15".into(),
            emscripten: "6.0.5".into(),
            cflags: vec!["-fPIC".into(), "-fwasm-exceptions".into()],
            cxxflags: vec!["-fPIC".into()],
            ldflags: vec!["-sWASM_BIGINT".into()],
            main_module_ldflags: vec!["-sMAIN_MODULE=1".into()],
            side_module_ldflags: vec!["-sSIDE_MODULE=1".into()],
            rust: None,
            text: String::new(),
        };
        let env = wrapper_env(&dir, Path::new("/w/build.log"), &abi, "/usr/bin:/bin");
        let get = |key: &str| {
            env.iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            get("PATH"),
            Some(format!("{}:/usr/bin:/bin", dir.display()).as_str())
        );
        assert_eq!(get(WRAPPER_DIR_VAR), Some(dir.to_str().unwrap()));
        assert_eq!(get(WRAPPER_LOG_VAR), Some("/w/build.log"));
        assert_eq!(get(WRAPPER_CFLAGS_VAR), Some("-fPIC -fwasm-exceptions"));
        assert_eq!(get(WRAPPER_LDFLAGS_VAR), Some("-sWASM_BIGINT"));
        assert_eq!(
            get(WRAPPER_SIDE_MODULE_LDFLAGS_VAR),
            Some("-sSIDE_MODULE=1")
        );
        for (name, _) in ENV_VARS {
            assert!(get(name).is_some(), "{name}");
        }
    }

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

    #[test]
    fn log_gets_two_quoted_lines_per_call_appended() {
        let root = tempfile::tempdir().unwrap();
        let log = root.path().join("build.log");
        fs_err::write(&log, "earlier\n").unwrap();
        let new_args = [OsString::from("-DNAME=a b"), OsString::from("x.o")];
        let ran = Ran::Program(Path::new("/usr/bin/emcc"), &new_args);
        let text = log_lines("cc", &args("-O2 -shared -o x.so x.o"), ran);
        append_log(&log, &text).unwrap();
        append_log(&log, &text).unwrap();
        let written = fs_err::read_to_string(&log).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[1], "[kiln wrapper] cc -O2 -shared -o x.so x.o");
        assert_eq!(lines[2], "[kiln wrapper] => /usr/bin/emcc '-DNAME=a b' x.o");
        let answered = log_lines("cc", &args("-print-multiarch"), Ran::Answer(MULTIARCH));
        assert!(answered.ends_with("=> answered by kiln: wasm32-emscripten\n"));
    }

    #[test]
    fn response_files_are_split_like_gcc() {
        let split = split_response_file(b"a.o  'b c.o'\n\"-DX=\\\"1\\\"\" d\\ e.o\t-shared\n");
        let expected: Vec<OsString> = ["a.o", "b c.o", "-DX=\"1\"", "d e.o", "-shared"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(split, expected);
        assert!(split_response_file(b" \n\t").is_empty());
        assert_eq!(split_response_file(b"''"), vec![OsString::new()]);
    }

    #[test]
    fn response_files_are_expanded_and_the_link_becomes_a_side_module() {
        let files = |path: &Path| -> Option<Vec<u8>> {
            match path.to_str()? {
                "x.so.rsp" => Some(b"-o x.so a.o b.o -shared @more.rsp".to_vec()),
                "more.rsp" => Some(b"-lm".to_vec()),
                "loop.rsp" => Some(b"@loop.rsp".to_vec()),
                _ => None,
            }
        };
        let expanded = expand_response_files(&args("-O2 @x.so.rsp @missing.rsp"), &files, 0);
        assert_eq!(
            expanded,
            args("-O2 -o x.so a.o b.o -shared -lm @missing.rsp")
        );
        // A file naming itself ends (left as `@loop.rsp` at the depth limit).
        assert_eq!(
            expand_response_files(&args("@loop.rsp"), &files, 0),
            args("@loop.rsp")
        );
        let rewritten = rewrite(Tool::Cc, &expanded, &abi_env());
        assert_eq!(rewritten.mode, Mode::Link);
        assert!(rewritten.args.contains(&OsString::from("-sSIDE_MODULE=1")));
        assert!(Tool::Cc.reads_response_files() && !Tool::Ar.reads_response_files());
    }
}
