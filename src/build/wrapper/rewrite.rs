//! One call rewritten for emscripten ([`rewrite`]): pure, no environment read and nothing
//! run, so every rule is a unit test (`rewrite/tests.rs`).
//!
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
//! What is dropped, and why, is in [`super::flags`]; `ld`'s arguments are first turned into
//! the driver's ([`super::ld`]).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::env::WrapperEnv;
use super::flags::{
    DROP, JS_EXCEPTION_SETTINGS, TAKES_VALUE, dropped, is_host_dir, linker_items_kept,
};
use super::ld::from_ld;
use super::tool::Tool;

/// What `-print-multiarch` answers: the multiarch of the runtime's `.so` suffix
/// (`.cpython-313-wasm32-emscripten.so`).
pub(super) const MULTIARCH: &str = "wasm32-emscripten";

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
pub(super) enum Arg {
    /// An option, its value glued on if it has one (`-O2`, `-I/x`, `-Wl,-rpath,/x`).
    Opt(OsString),
    /// An option whose value is the next argument (`-o x`, `-isystem /usr/include`).
    Pair(OsString, OsString),
    /// An input file, `-` (standard input) or a response file `@file`.
    Input(OsString),
}

/// Rewrites one call of `tool` for emscripten (the module header says what and why).
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
        for map in &env.prefix_maps {
            let mut flag = OsString::from("-ffile-prefix-map=");
            flag.push(map);
            push_new(&flag, &given, &mut added);
        }
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

    // The host prefix comes after the call's own folders: a package's bundled copy of a
    // header still wins over the host library's, as with a system include folder.
    let mut searched: Vec<OsString> = Vec::new();
    if let Some(prefix) = &env.host_prefix {
        let mut flag = |option: &str, folder: &str| {
            let mut value = OsString::from(option);
            value.push(prefix);
            value.push(folder);
            push_new(&value, &given, &mut searched);
        };
        if compiles_sources {
            flag("-I", "/include");
        }
        if mode == Mode::Link {
            flag("-L", "/lib");
        }
    }

    let mut out = Vec::new();
    if tool == Tool::Cpp {
        out.push(OsString::from("-E"));
    }
    out.append(&mut added);
    out.extend(given);
    out.append(&mut searched);
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
pub(super) fn setting_name(text: &str) -> Option<&str> {
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

/// Drops and replaces arguments (everything but the additions).
fn filter(parsed: Vec<Arg>, env: &WrapperEnv) -> Vec<Arg> {
    let wasm_exceptions = env.wasm_exceptions();
    let abi_settings = env.settings();
    let keep_linker = linker_items_kept(&linker_items(&parsed));
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

pub(super) fn flatten(parsed: Vec<Arg>) -> Vec<OsString> {
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

/// The linker items of a command line, in order: the comma-separated items of each `-Wl,`,
/// the value of each `-Xlinker`, `-z` and its value ([`linker_items_kept`] judges them).
fn linker_items(parsed: &[Arg]) -> Vec<String> {
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
    items
}

#[cfg(test)]
mod tests;
