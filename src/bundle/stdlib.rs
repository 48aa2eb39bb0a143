//! The standard library as the bundle ships it: what stays out, what every boot downloads
//! (the core), and what is fetched on first import (lazy parts).
//!
//! ```text
//! lib/python3.15/ (the runtime build's stdlib, sources and `__pycache__` bytecode)
//!   ├─ left out by policy ([`LEFT_OUT`]: tests, GUI toolkits, installers…; each can be asked back)
//!   ├─ core  → python_stdlib.zip            (boot, the loader's helper, the common imports;
//!   │                                        the hottest of them as bytecode, [`CORE_BYTECODE`])
//!   └─ parts → python_stdlib-<part>.zip     (one per other top-level package, one `modules`
//!                                            part for the other single-file modules, the
//!                                            `lib-dynload` side modules with their users, and
//!                                            `sources`: the sources of the core's bytecode)
//! ```
//! Every archive is *stored* (not deflated): they travel compressed by HTTP (`.br`/`.gz`
//! beside them, see [`crate::bundle::precompress`]), and brotli or gzip over the whole archive
//! compresses far better than deflate file by file (cross-file redundancy), while the loader
//! reads members without inflating. The core archive carries the index of the parts
//! ([`INDEX_MEMBER`]); the loader (`runtime/js/stdlib.mjs`) unpacks the core into the
//! runtime's `lib/python3.15/` and puts every file of every part there as a placeholder whose
//! first read fetches its whole part, so Python's own path finder imports them, `-S`/`-I`
//! included, with no import hook.
//!
//! Which modules are core is a list ([`CORE`]), measured rather than derived: what booting,
//! `runPython`, `import numpy` and pytest import, plus the modules most programs use. A miss
//! costs one extra request, not a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zip::CompressionMethod;

use super::BundleError;
use crate::zipfile::DeterministicZip;

/// The member of the core archive that lists the lazy parts (JSON, [`PartsIndex`]).
pub const INDEX_MEMBER: &str = ".kiln-stdlib-parts.json";

/// The core archive's file name in `dist/`.
pub const CORE_ARCHIVE: &str = "python_stdlib.zip";

/// A group of the stdlib left out of the bundle unless asked for by name, and why.
pub struct LeftOut {
    pub name: &'static str,
    /// Paths relative to `lib/python3.15/`: a folder (`test/`) or a file (`turtle.py`).
    pub paths: &'static [&'static str],
    pub why: &'static str,
}

/// What the bundle leaves out by default (`--stdlib-include NAME` brings one back).
pub const LEFT_OUT: &[LeftOut] = &[
    LeftOut {
        name: "test",
        paths: &["test/"],
        why: "CPython's test suite (30 MB); `--keep-stdlib-tests` or `--stdlib-include test`",
    },
    LeftOut {
        name: "idlelib",
        paths: &["idlelib/"],
        why: "the IDLE editor needs Tk",
    },
    LeftOut {
        name: "tkinter",
        paths: &["tkinter/", "turtle.py", "turtledemo/"],
        why: "no Tk in WebAssembly (turtle and its demos need it)",
    },
    LeftOut {
        name: "ensurepip",
        paths: &["ensurepip/"],
        why: "installs pip with a subprocess; packages come from the lockfile",
    },
    LeftOut {
        name: "pydoc_data",
        paths: &["pydoc_data/"],
        why: "the texts of `help()` topics (0.7 MB)",
    },
    LeftOut {
        name: "_pydecimal",
        paths: &["_pydecimal.py"],
        why: "decimal's pure-Python fallback, used only when `_decimal` is missing",
    },
    LeftOut {
        name: "profiling.sampling",
        paths: &["profiling/sampling/"],
        why: "the sampling profiler attaches to another process (1 MB with its web assets)",
    },
];

/// Folders of the runtime build that are never stdlib code.
const NEVER: &[&str] = &["site-packages/", "__pycache__/"];

/// Top-level modules and packages every boot downloads: what starting the interpreter
/// imports from files (the `encodings` below), the loader's helper (`ast`, `json`,
/// `traceback`…), what `import numpy` and pytest import, and the modules most programs use.
/// Measured with `sys.modules` after each (docs/size.md).
pub const CORE: &[&str] = &[
    "__future__",
    "_colorize",
    "_compat_pickle",
    "_compression",
    "_ios_support",
    "_opcode_metadata",
    "_py_warnings",
    "_strptime",
    "_sysconfigdata__emscripten_wasm32-emscripten",
    "_threading_local",
    "_weakrefset",
    "annotationlib",
    "argparse",
    "ast",
    "base64",
    "bisect",
    "calendar",
    "collections",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "csv",
    "ctypes",
    "dataclasses",
    "datetime",
    "decimal",
    "dis",
    "enum",
    "fnmatch",
    "functools",
    "gettext",
    "glob",
    "hashlib",
    "heapq",
    "hmac",
    "importlib",
    "inspect",
    "ipaddress",
    "json",
    "keyword",
    "locale",
    "logging",
    "numbers",
    "opcode",
    "operator",
    "pathlib",
    "pickle",
    "platform",
    "pprint",
    "random",
    "re",
    "reprlib",
    "selectors",
    "shlex",
    "shutil",
    "signal",
    "socket",
    "string",
    "struct",
    "sysconfig",
    "tempfile",
    "textwrap",
    "threading",
    "token",
    "tokenize",
    "traceback",
    "types",
    "typing",
    "warnings",
    "weakref",
    "zipfile",
];

/// The `encodings` modules in the core: the codecs Python's start-up and everyday text use;
/// the other 110 (code pages, CJK…) are the lazy part `encodings`.
pub const CORE_ENCODINGS: &[&str] = &[
    "__init__",
    "aliases",
    "ascii",
    "charmap",
    "cp1252",
    "cp437",
    "idna",
    "latin_1",
    "raw_unicode_escape",
    "unicode_escape",
    "utf_16",
    "utf_32",
    "utf_8",
    "utf_8_sig",
];

/// Modules frozen into the interpreter (`_imp._frozen_module_names()`): their files are only
/// read for their source (tracebacks, `inspect`), so they go to the lazy part `frozen`.
pub const FROZEN: &[&str] = &[
    "_collections_abc.py",
    "_sitebuiltins.py",
    "abc.py",
    "codecs.py",
    "genericpath.py",
    "importlib/machinery.py",
    "importlib/util.py",
    "io.py",
    "linecache.py",
    "ntpath.py",
    "os.py",
    "posixpath.py",
    "runpy.py",
    "site.py",
    "stat.py",
    "zipimport.py",
    "__hello__.py",
    "__phello__/",
];

/// `lib-dynload` side modules that belong to a part other than their own name's: the CJK
/// codecs with the `encodings` that use them, expat with `xml`.
const DYNLOAD_PARTS: &[(&str, &str)] = &[
    ("_codecs_", "encodings"),
    ("pyexpat", "xml"),
    ("_elementtree", "xml"),
];

/// The part for the single-file modules that are not core.
pub const MODULES_PART: &str = "modules";

/// Core modules that ship as bytecode (`dir/__pycache__/x.cpython-3XY.pyc`, unchecked-hash,
/// from the runtime build) with their sources in the lazy part [`SOURCES_PART`]: what a boot
/// and `import numpy` import from the core, measured with `sys.modules` (docs/size.md).
/// Compiling them was 0.35 s of CPU in every run that imports numpy (1.2 s in all, of which
/// 0.9 s compiling; Pyodide imports most of them at boot). Python's path finder still finds
/// `x.py` (a placeholder until read), and loads the bytecode beside it without reading it; a
/// traceback or `inspect.getsource` reads the source, which fetches the part. Bytecode is
/// twice the size of the source once compressed, hence a list and not the whole core:
/// these 40 cost 0.29 MB gzip more than their sources.
pub const CORE_BYTECODE: &[&str] = &[
    "_compat_pickle.py",
    "_opcode_metadata.py",
    "_py_warnings.py",
    "_weakrefset.py",
    "annotationlib.py",
    "ast.py",
    "collections/__init__.py",
    "contextlib.py",
    "contextvars.py",
    "copyreg.py",
    "ctypes/__init__.py",
    "ctypes/_endian.py",
    "datetime.py",
    "dis.py",
    "encodings/__init__.py",
    "encodings/aliases.py",
    "encodings/utf_8.py",
    "enum.py",
    "functools.py",
    "importlib/__init__.py",
    "inspect.py",
    "keyword.py",
    "numbers.py",
    "opcode.py",
    "operator.py",
    "pickle.py",
    "platform.py",
    "re/__init__.py",
    "re/_casefix.py",
    "re/_compiler.py",
    "re/_constants.py",
    "re/_parser.py",
    "reprlib.py",
    "struct.py",
    "textwrap.py",
    "token.py",
    "types.py",
    "typing.py",
    "warnings.py",
    "weakref.py",
];

/// The lazy part with the sources of [`CORE_BYTECODE`].
pub const SOURCES_PART: &str = "sources";

/// How the bundle ships the stdlib.
#[derive(Debug, Clone, Default)]
pub struct StdlibOptions {
    /// Names of [`LEFT_OUT`] groups to ship anyway.
    pub include: BTreeSet<String>,
    /// Top-level modules or packages to leave out besides [`LEFT_OUT`] (`multiprocessing`).
    pub exclude: BTreeSet<String>,
    /// Ship bytecode (`x.pyc` where `x.py` was, from the build's `__pycache__`) instead of
    /// sources: no compiling at import, no source lines in tracebacks.
    pub bytecode: bool,
    /// Split the stdlib into the core and lazily fetched parts; `false`: one archive.
    pub lazy: bool,
}

/// The stdlib archives: the core and the parts, by file name.
pub struct StdlibArchives {
    pub core: Vec<u8>,
    pub parts: BTreeMap<String, Vec<u8>>,
}

/// The index of the parts inside the core archive: for each part, its archive and its files
/// (relative to `lib/python3.15/`) with their sizes, so the loader can list them before
/// fetching anything.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PartsIndex {
    pub version: u32,
    pub parts: BTreeMap<String, PartEntry>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PartEntry {
    pub file: String,
    pub files: Vec<(String, u64)>,
}

/// The archive name of a part.
pub fn part_archive(part: &str) -> String {
    format!("python_stdlib-{part}.zip")
}

/// Unknown `--stdlib-include` names.
pub fn check_names(options: &StdlibOptions) -> Result<(), BundleError> {
    for name in &options.include {
        if !LEFT_OUT.iter().any(|group| group.name == name) {
            return Err(BundleError::UnknownStdlibGroup {
                name: name.clone(),
                known: LEFT_OUT.iter().map(|group| group.name).collect(),
            });
        }
    }
    Ok(())
}

/// Splits the stdlib at `stdlib` (`lib/python3.15/` of the runtime build) as `options` say.
pub fn archives(
    stdlib: &Path,
    options: &StdlibOptions,
    epoch: u64,
) -> Result<StdlibArchives, BundleError> {
    check_names(options)?;
    if !stdlib.is_dir() {
        return Err(BundleError::Missing {
            path: stdlib.to_path_buf(),
        });
    }
    let mut files = BTreeMap::new();
    collect(stdlib, stdlib, &mut files)?;

    let left_out: Vec<&str> = LEFT_OUT
        .iter()
        .filter(|group| !options.include.contains(group.name))
        .flat_map(|group| group.paths.iter().copied())
        .collect();
    let mut groups: BTreeMap<Option<String>, DeterministicZip> = BTreeMap::new();
    for (relative, path) in &files {
        // What is left out first: the recipe compiles no bytecode for it (idlelib, turtledemo).
        if NEVER.iter().chain(&left_out).any(|p| covers(p, relative))
            || options.exclude.contains(top_level(relative))
            || relative.starts_with("config-")
        {
            continue;
        }
        let Some((shipped, source)) = shipped_name(relative, path, options)? else {
            continue;
        };
        let mut part = if options.lazy {
            part_of(relative)
        } else {
            None
        };
        if !options.bytecode && part.is_none() && CORE_BYTECODE.contains(&relative.as_str()) {
            let (name, pyc) = cached_bytecode(relative, path)?;
            let bytes = fs_err::read(&pyc).map_err(|error| BundleError::Read {
                path: pyc.clone(),
                source: error,
            })?;
            groups.entry(None).or_default().add(name, bytes, false);
            if options.lazy {
                part = Some(SOURCES_PART.to_string());
            }
        }
        let bytes = fs_err::read(&source).map_err(|error| BundleError::Read {
            path: source.clone(),
            source: error,
        })?;
        groups.entry(part).or_default().add(shipped, bytes, false);
    }

    let write = |zip: &DeterministicZip, name: &str| {
        zip.write(Cursor::new(Vec::new()), epoch, CompressionMethod::Stored)
            .map(Cursor::into_inner)
            .map_err(|error| BundleError::Write {
                path: PathBuf::from(name),
                source: std::io::Error::other(error),
            })
    };
    let mut core = groups.remove(&None).unwrap_or_default();
    let mut index = PartsIndex {
        version: 1,
        parts: BTreeMap::new(),
    };
    let mut parts = BTreeMap::new();
    for (part, zip) in &groups {
        let part = part.as_deref().expect("the core was removed");
        let file = part_archive(part);
        let files = zip
            .names()
            .map(|name| {
                (
                    name.to_string(),
                    zip.get(name).map_or(0, |b| b.len() as u64),
                )
            })
            .collect();
        parts.insert(file.clone(), write(zip, &file)?);
        index
            .parts
            .insert(part.to_string(), PartEntry { file, files });
    }
    if options.lazy {
        let json = serde_json::to_vec(&index).expect("the index serialises");
        core.add(INDEX_MEMBER, json, false);
    }
    Ok(StdlibArchives {
        core: write(&core, CORE_ARCHIVE)?,
        parts,
    })
}

/// Every file under `dir`, by its path relative to `root` with `/` separators.
fn collect(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, PathBuf>,
) -> Result<(), BundleError> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Read { path, source }
    };
    for entry in fs_err::read_dir(dir).map_err(read_error(dir))? {
        let path = entry.map_err(read_error(dir))?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .expect("under the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.insert(relative, path);
        }
    }
    Ok(())
}

/// The name a file has in the bundle and the file its bytes come from, or `None` when it is
/// not shipped: with `bytecode`, `x.py` becomes `x.pyc` (read from
/// `__pycache__/x.cpython-3XY.pyc`); `.pyc` files never ship under their own name.
fn shipped_name(
    relative: &str,
    path: &Path,
    options: &StdlibOptions,
) -> Result<Option<(String, PathBuf)>, BundleError> {
    if relative.ends_with(".pyc") || relative.contains("__pycache__/") {
        return Ok(None);
    }
    if options.bytecode
        && relative.ends_with(".py")
        && !relative.starts_with("site-packages/")
        && !relative.starts_with("test/")
    {
        let pyc = bytecode_path(path).ok_or_else(|| BundleError::NoBytecode {
            path: path.to_path_buf(),
        })?;
        if !pyc.is_file() {
            return Err(BundleError::NoBytecode {
                path: path.to_path_buf(),
            });
        }
        return Ok(Some((format!("{relative}c"), pyc)));
    }
    Ok(Some((relative.to_string(), path.to_path_buf())))
}

/// The bytecode of `relative` (`dir/x.py`, at `path`) as the runtime build's `__pycache__`
/// has it: its name in the bundle (`dir/__pycache__/x.cpython-3XY.pyc`) and its file.
fn cached_bytecode(relative: &str, path: &Path) -> Result<(String, PathBuf), BundleError> {
    let missing = || BundleError::NoBytecode {
        path: path.to_path_buf(),
    };
    let pyc = bytecode_path(path).ok_or_else(missing)?;
    let file_name = pyc.file_name().ok_or_else(missing)?.to_string_lossy();
    let name = match relative.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/__pycache__/{file_name}"),
        None => format!("__pycache__/{file_name}"),
    };
    Ok((name, pyc))
}

/// `dir/__pycache__/x.cpython-3XY.pyc` for `dir/x.py` (the one bytecode file there).
fn bytecode_path(source: &Path) -> Option<PathBuf> {
    let stem = source.file_stem()?.to_str()?;
    let cache = source.parent()?.join("__pycache__");
    let prefix = format!("{stem}.cpython-");
    fs_err::read_dir(&cache).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rest = name.strip_prefix(&prefix)?;
        // `x.cpython-315.pyc`, not `x.cpython-315.opt-1.pyc`.
        (rest.ends_with(".pyc") && !rest.contains(".opt-")).then(|| entry.path())
    })
}

/// Whether a [`LEFT_OUT`] path (`dir/` or a file) covers `relative`.
fn covers(pattern: &str, relative: &str) -> bool {
    if pattern.ends_with('/') {
        relative.starts_with(pattern)
    } else {
        relative == pattern
    }
}

/// `email` for `email/parser.py`, `json` for `json.py`.
fn top_level(relative: &str) -> &str {
    let first = relative.split('/').next().unwrap_or(relative);
    first
        .strip_suffix(".py")
        .or_else(|| first.strip_suffix(".pyc"))
        .unwrap_or(first)
}

/// The lazy part a file belongs to, or `None` for the core.
fn part_of(relative: &str) -> Option<String> {
    if FROZEN.iter().any(|frozen| covers(frozen, relative)) {
        return Some("frozen".to_string());
    }
    if let Some(file) = relative.strip_prefix("lib-dynload/") {
        let module = file.split('.').next().unwrap_or(file);
        let part = DYNLOAD_PARTS
            .iter()
            .find(|(prefix, _)| module.starts_with(prefix))
            .map_or(module, |(_, part)| part);
        return Some(part.to_string());
    }
    if let Some(file) = relative.strip_prefix("encodings/") {
        let module = file.strip_suffix(".py").unwrap_or(file);
        return (!CORE_ENCODINGS.contains(&module)).then(|| "encodings".to_string());
    }
    let top = top_level(relative);
    if CORE.contains(&top) {
        return None;
    }
    if relative.contains('/') {
        Some(top.to_string())
    } else {
        Some(MODULES_PART.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdlib(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, format!("# {file}\n")).unwrap();
        }
        dir
    }

    fn names(bytes: &[u8]) -> Vec<String> {
        let mut names: Vec<String> = zip::ZipArchive::new(Cursor::new(bytes))
            .unwrap()
            .file_names()
            .map(|name| name.unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    const TREE: &[&str] = &[
        "json/__init__.py",
        "json/__pycache__/__init__.cpython-315.pyc",
        "email/__init__.py",
        "email/__pycache__/__init__.cpython-315.pyc",
        "encodings/__init__.py",
        "encodings/__pycache__/__init__.cpython-315.pyc",
        "encodings/cp1250.py",
        "encodings/__pycache__/cp1250.cpython-315.pyc",
        "os.py",
        "__pycache__/os.cpython-315.pyc",
        "colorsys.py",
        "__pycache__/colorsys.cpython-315.pyc",
        "_pydecimal.py",
        "__pycache__/_pydecimal.cpython-315.pyc",
        "test/test_json.py",
        "tkinter/__init__.py",
        "tkinter/__pycache__/__init__.cpython-315.pyc",
        "turtle.py",
        "__pycache__/turtle.cpython-315.pyc",
        "lib-dynload/unicodedata.cpython-315-wasm32-emscripten.so",
        "lib-dynload/_codecs_jp.cpython-315-wasm32-emscripten.so",
        "config-3.15-wasm32-emscripten/Makefile",
    ];

    #[test]
    fn splits_into_core_and_parts_and_leaves_out_the_policy() {
        let dir = stdlib(TREE);
        let options = StdlibOptions {
            lazy: true,
            ..StdlibOptions::default()
        };
        let archives = archives(dir.path(), &options, 315_532_800).unwrap();
        // `encodings/__init__.py` is one of CORE_BYTECODE: its bytecode in the core, its
        // source in the part `sources`.
        assert_eq!(
            names(&archives.core),
            [
                INDEX_MEMBER,
                "encodings/__pycache__/__init__.cpython-315.pyc",
                "json/__init__.py"
            ]
        );
        let parts: Vec<&str> = archives.parts.keys().map(String::as_str).collect();
        assert_eq!(
            parts,
            [
                "python_stdlib-email.zip",
                "python_stdlib-encodings.zip",
                "python_stdlib-frozen.zip",
                "python_stdlib-modules.zip",
                "python_stdlib-sources.zip",
                "python_stdlib-unicodedata.zip",
            ]
        );
        assert_eq!(
            names(&archives.parts["python_stdlib-sources.zip"]),
            ["encodings/__init__.py"]
        );
        assert_eq!(
            names(&archives.parts["python_stdlib-encodings.zip"]),
            [
                "encodings/cp1250.py",
                "lib-dynload/_codecs_jp.cpython-315-wasm32-emscripten.so"
            ]
        );
        assert_eq!(
            names(&archives.parts["python_stdlib-modules.zip"]),
            ["colorsys.py"]
        );
        // The index lists each part's files with their sizes; archives are stored.
        let mut core = zip::ZipArchive::new(Cursor::new(&archives.core)).unwrap();
        let index: serde_json::Value =
            serde_json::from_reader(core.by_name(INDEX_MEMBER).unwrap()).unwrap();
        assert_eq!(
            index["parts"]["email"]["files"],
            serde_json::json!([["email/__init__.py", 20]])
        );
        assert_eq!(
            core.by_name("json/__init__.py").unwrap().compression(),
            CompressionMethod::Stored
        );
        // Reproducible.
        let again = archives_again(dir.path(), &options);
        assert_eq!(archives.core, again.core);
        assert_eq!(archives.parts, again.parts);
    }

    #[test]
    fn one_archive_has_the_core_bytecode_beside_its_sources() {
        let dir = stdlib(TREE);
        let archives = archives(dir.path(), &StdlibOptions::default(), 315_532_800).unwrap();
        assert!(archives.parts.is_empty());
        let core = names(&archives.core);
        assert!(core.contains(&"encodings/__init__.py".to_string()));
        assert!(core.contains(&"encodings/__pycache__/__init__.cpython-315.pyc".to_string()));
        assert!(
            !core
                .iter()
                .any(|name| name.starts_with("json/__pycache__/"))
        );
    }

    #[test]
    fn core_bytecode_names_files_of_the_core() {
        for file in CORE_BYTECODE {
            assert!(file.ends_with(".py"), "{file}");
            assert_eq!(part_of(file), None, "{file} is not in the core");
        }
    }

    fn archives_again(path: &Path, options: &StdlibOptions) -> StdlibArchives {
        archives(path, options, 315_532_800).unwrap()
    }

    #[test]
    fn one_archive_with_bytecode_and_opt_ins() {
        let dir = stdlib(TREE);
        let options = StdlibOptions {
            bytecode: true,
            include: ["_pydecimal".to_string(), "tkinter".to_string()].into(),
            exclude: ["email".to_string()].into(),
            lazy: false,
        };
        let archives = archives(dir.path(), &options, 315_532_800).unwrap();
        assert!(archives.parts.is_empty());
        assert_eq!(
            names(&archives.core),
            [
                "_pydecimal.pyc",
                "colorsys.pyc",
                "encodings/__init__.pyc",
                "encodings/cp1250.pyc",
                "json/__init__.pyc",
                "lib-dynload/_codecs_jp.cpython-315-wasm32-emscripten.so",
                "lib-dynload/unicodedata.cpython-315-wasm32-emscripten.so",
                "os.pyc",
                "tkinter/__init__.pyc",
                "turtle.pyc",
            ]
        );
        let mut core = zip::ZipArchive::new(Cursor::new(&archives.core)).unwrap();
        let mut pyc = String::new();
        std::io::Read::read_to_string(&mut core.by_name("os.pyc").unwrap(), &mut pyc).unwrap();
        assert_eq!(pyc, "# __pycache__/os.cpython-315.pyc\n");
    }

    #[test]
    fn refuses_unknown_groups_and_missing_bytecode() {
        let dir = stdlib(&["os.py", "tkinter/__init__.py"]);
        let unknown = StdlibOptions {
            include: ["tk".to_string()].into(),
            ..StdlibOptions::default()
        };
        let error = archives(dir.path(), &unknown, 0).err().unwrap();
        assert!(matches!(error, BundleError::UnknownStdlibGroup { ref name, .. } if name == "tk"));
        let bytecode = StdlibOptions {
            bytecode: true,
            ..StdlibOptions::default()
        };
        let error = archives(dir.path(), &bytecode, 0).err().unwrap();
        assert!(
            matches!(error, BundleError::NoBytecode { ref path } if path.ends_with("os.py")),
            "{error:?}"
        );
    }
}
