//! The slim variant (`build-recipes --install --slim`): an interpreter that exports only what
//! the distribution's side modules import, plus what the loader and the bridge call.
//!
//! The platform's interpreter is linked with `-sMAIN_MODULE=1`: every libc, libc++ and
//! libpython symbol is exported, so that any `pyemscripten` wheel finds what it imports. An
//! application whose package set is fixed needs far fewer: this relinks the interpreter from the
//! link kit the `cpython` recipe leaves in its build (`runtime/link/`: make's own link command
//! on the build's objects and archives) with `-sMAIN_MODULE=2` and an export list computed here,
//! and the linker drops the rest. Such a runtime is **not a general `pyemscripten` runtime**: a
//! wheel from elsewhere may import a symbol it does not export. It says so in `runtime.json`
//! (`"variant": "slim"`), in the lockfile's `info`, and in the loader, which refuses such a
//! wheel naming the symbols (`runtime/js/dylib.mjs`).
//!
//! ```text
//! dist/ side modules (wheels, shared-library zips, the stdlib's lib-dynload)
//!   → their imports − what they define themselves − what the loader answers
//!   + the bridge's C API (runtime/js/bridge/capi.mjs) + the recipe's own export list
//!   → link kit + -sMAIN_MODULE=2 -sEXPORTED_FUNCTIONS=@exported-functions.json (in the root)
//!   → checked: every side module's imports against the new interpreter's symbols
//! ```
//! The link is cached by the kit, the export list and the toolchain (`slim-v0/<key>/`): a
//! second `--install --slim` of the same packages does not relink.
//!
//! Two flaws of the kit as the recipe writes it today are worked around here rather than in
//! the recipe (changing the recipe rebuilds CPython and every package): `link.sh` keeps make's
//! compiler path as a first input (`emcc /usr/share/emscripten/emcc …`), and two objects with
//! the same file name (`Modules/_remote_debugging/module.o`, `Modules/_sqlite/module.o`) were
//! copied over each other; each such object is taken again from `libpython3.X.a`, by instance.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::hash::KeyHasher;
use crate::run;
use crate::toolchain::{PythonVersion, Toolchain};
use crate::wheel::linkcheck::{LOADER_PROVIDED, missing_symbols};
use crate::wheel::{SideModule, SymbolSet, WasmError};

/// What `runtime.json`'s `variant` says: the platform's runtime, or this one.
pub const FULL: &str = "full";
pub const SLIM: &str = "slim";

/// The wasm exception and longjmp tags: the loader answers them for a full runtime (see
/// [`LOADER_PROVIDED`]), from the interpreter's exports; a slim one must export them.
const TAGS: &[&str] = &["__cpp_exception", "__c_longjmp"];

/// The largest member read from an archive of the distribution (a side module).
const MAX_MEMBER_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SlimError {
    #[error(
        "the runtime build has no link kit at `{}`: rebuild `cpython` with a recipe that leaves one (`runtime/link/link.sh`)",
        path.display()
    )]
    NoKit { path: PathBuf },
    #[error("the link kit's `{}` has no `exec emcc … -o` line kiln can read", path.display())]
    KitScript { path: PathBuf },
    #[error("the link kit lists `{name}` {count} times, and `{}` has it fewer times", archive.display())]
    KitObject {
        name: String,
        count: usize,
        archive: PathBuf,
    },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read `{}` as a zip archive", path.display())]
    Archive {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("cannot read `{member}` in `{}` as a side module", archive.display())]
    SideModule {
        archive: PathBuf,
        member: String,
        #[source]
        source: WasmError,
    },
    #[error("cannot relink the interpreter")]
    Link(#[source] run::RunError),
    #[error("cannot read the relinked interpreter")]
    Interpreter(#[source] WasmError),
    #[error(
        "side modules of the distribution import symbols the full interpreter does not define either:\n{}",
        list(.missing)
    )]
    NotInFull { missing: Vec<(String, Vec<String>)> },
    #[error("the slim interpreter lacks symbols the distribution imports:\n{}", list(.missing))]
    Missing {
        /// (side module, its missing symbols)
        missing: Vec<(String, Vec<String>)>,
    },
}

fn list(missing: &[(String, Vec<String>)]) -> String {
    missing
        .iter()
        .map(|(module, symbols)| format!("  {module}: {}", symbols.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The interpreter's link kit in a runtime build (`prefix/runtime/link/`).
#[derive(Debug, Clone)]
pub struct LinkKit {
    pub dir: PathBuf,
    /// The static library with every object of the link (`libpython3.X.a`), for objects the
    /// kit lost.
    pub archive: PathBuf,
    /// emcc's arguments before `-o`, as `link.sh` has them.
    pub arguments: Vec<String>,
    /// The bytes of `link.sh` (part of the cache key).
    script: Vec<u8>,
    /// What the full interpreter offers side modules (`runtime/exports.txt`): the symbols a
    /// relink can export.
    pub full: SymbolSet,
}

impl LinkKit {
    /// The kit of the runtime build at `prefix`.
    pub fn open(prefix: &Path, python: PythonVersion) -> Result<Self, SlimError> {
        let dir = prefix.join("runtime/link");
        let path = dir.join("link.sh");
        if !path.is_file() {
            return Err(SlimError::NoKit { path });
        }
        let script = fs_err::read(&path).map_err(|source| SlimError::Read {
            path: path.clone(),
            source,
        })?;
        let arguments = link_arguments(&String::from_utf8_lossy(&script))
            .ok_or(SlimError::KitScript { path })?;
        let exports = prefix.join("runtime/exports.txt");
        let full = SymbolSet::read_exports_txt(&exports).map_err(|source| SlimError::Read {
            path: exports,
            source,
        })?;
        let archive = prefix
            .join(python.stdlib_dir())
            .join(python.config_dir())
            .join(format!("libpython{python}.a"));
        Ok(Self {
            dir,
            archive,
            arguments,
            script,
            full,
        })
    }

    /// The names the recipe's link exports (`-sEXPORTED_FUNCTIONS=_main,_malloc,…`): what the
    /// loader calls through `Module._name`. The last such flag counts, as for emcc.
    pub fn recipe_exports(&self) -> Vec<String> {
        self.arguments
            .iter()
            .filter_map(|word| word.strip_prefix("-sEXPORTED_FUNCTIONS="))
            .next_back()
            .map(|list| {
                list.split(',')
                    .filter(|name| !name.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// emcc's arguments in `link.sh`'s `exec emcc ARGS -o "$out" "$@"` line, without the
/// compiler's own path that make's command line left among them.
pub fn link_arguments(script: &str) -> Option<Vec<String>> {
    let line = script
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("exec emcc "))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let end = words.iter().position(|word| *word == "-o")?;
    let arguments: Vec<String> = words[2..end]
        .iter()
        .filter(|word| !is_compiler_path(word))
        .map(|word| word.to_string())
        .collect();
    // Quoting or expansions would need a shell to read them; make's command has none.
    if arguments
        .iter()
        .any(|word| word.contains(['"', '\'', '$', '`', '\\']))
    {
        return None;
    }
    Some(arguments)
}

fn is_compiler_path(word: &str) -> bool {
    word.contains('/')
        && matches!(
            word.rsplit('/').next(),
            Some("emcc" | "emcc.py" | "em++" | "em++.py")
        )
}

/// The members named `name` of a `!<arch>` archive (GNU format, as llvm-ar writes), in order.
pub fn archive_members(bytes: &[u8], name: &str) -> Vec<Vec<u8>> {
    const HEADER: usize = 60;
    let mut found = Vec::new();
    if !bytes.starts_with(b"!<arch>\n") {
        return found;
    }
    let mut long_names: &[u8] = &[];
    let mut at = 8;
    while at + HEADER <= bytes.len() {
        let header = &bytes[at..at + HEADER];
        let field = |range: std::ops::Range<usize>| {
            String::from_utf8_lossy(&header[range]).trim().to_string()
        };
        let Ok(size) = field(48..58).parse::<usize>() else {
            break;
        };
        let start = at + HEADER;
        let Some(data) = bytes.get(start..start + size) else {
            break;
        };
        let raw = field(0..16);
        let member = if raw == "//" {
            long_names = data;
            None
        } else if raw == "/" || raw == "/SYM64/" {
            None
        } else if let Some(offset) = raw.strip_prefix('/').and_then(|o| o.parse::<usize>().ok()) {
            long_names.get(offset..).map(|rest| {
                let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
                String::from_utf8_lossy(&rest[..end])
                    .trim_end_matches('/')
                    .to_string()
            })
        } else {
            Some(raw.trim_end_matches('/').to_string())
        };
        if member.as_deref() == Some(name) {
            found.push(data.to_vec());
        }
        at = start + size + size % 2;
    }
    found
}

/// What the slim interpreter must export for the distribution at `dist`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    /// Symbols side modules import (not weak) that no side module of the distribution defines.
    pub strong: BTreeSet<String>,
    /// Weak imports: exported when the interpreter defines them.
    pub weak: BTreeSet<String>,
    /// The side modules read: (`archive/member`, module).
    pub modules: Vec<(String, SideModule)>,
}

impl Requirements {
    /// Reads every side module of the distribution: the `.so` members of its wheels (`.whl`)
    /// and archives (`.zip`: shared libraries, the stdlib's `lib-dynload`).
    pub fn of_dist(dist: &Path) -> Result<Self, SlimError> {
        let read_error = |source| SlimError::Read {
            path: dist.to_path_buf(),
            source,
        };
        let mut archives: Vec<PathBuf> = fs_err::read_dir(dist)
            .map_err(read_error)?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()
            .map_err(read_error)?;
        archives.retain(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|extension| extension == "whl" || extension == "zip")
        });
        archives.sort();
        let mut modules = Vec::new();
        for archive in &archives {
            modules.extend(side_modules(archive)?);
        }
        Ok(Self::of_modules(modules))
    }

    /// The requirements of these side modules.
    pub fn of_modules(modules: Vec<(String, SideModule)>) -> Self {
        let defined: BTreeSet<&str> = modules
            .iter()
            .flat_map(|(_, module)| module.exports.iter().map(String::as_str))
            .collect();
        let mut strong = BTreeSet::new();
        let mut weak = BTreeSet::new();
        for (_, module) in &modules {
            for import in &module.imports {
                let name = import.name.as_str();
                let answered = LOADER_PROVIDED.contains(&name) && !TAGS.contains(&name);
                if !matches!(
                    import.module.as_str(),
                    "env" | "wasi_snapshot_preview1" | "GOT.mem" | "GOT.func"
                ) || answered
                    || defined.contains(name)
                {
                    continue;
                }
                if import.weak {
                    weak.insert(name.to_string());
                } else {
                    strong.insert(name.to_string());
                }
            }
        }
        weak.retain(|name| !strong.contains(name));
        Self {
            strong,
            weak,
            modules,
        }
    }
}

/// The side modules in one archive of the distribution.
fn side_modules(archive: &Path) -> Result<Vec<(String, SideModule)>, SlimError> {
    let bytes = fs_err::read(archive).map_err(|source| SlimError::Read {
        path: archive.to_path_buf(),
        source,
    })?;
    let zip_error = |source| SlimError::Archive {
        path: archive.to_path_buf(),
        source,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let shown = archive
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut found = Vec::new();
    for index in 0..zip.len() {
        let mut member = zip.by_index(index).map_err(zip_error)?;
        let name = member.name().map_err(zip_error)?.to_string();
        if !member.is_file() || !is_shared_object(&name) {
            continue;
        }
        let mut data = Vec::new();
        (&mut member)
            .take(MAX_MEMBER_BYTES)
            .read_to_end(&mut data)
            .map_err(|source| SlimError::Read {
                path: archive.join(&name),
                source,
            })?;
        if !crate::wheel::wasm::is_wasm(&data) {
            continue;
        }
        let module = SideModule::parse(&data).map_err(|source| SlimError::SideModule {
            archive: archive.to_path_buf(),
            member: name.clone(),
            source,
        })?;
        found.push((format!("{shown}/{name}"), module));
    }
    Ok(found)
}

/// `foo.so` or `libfoo.so.1`.
fn is_shared_object(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    file.ends_with(".so") || file.contains(".so.")
}

/// The C functions and data the bridge reads from the interpreter's exports: the names in
/// `runtime/js/bridge/capi.mjs`'s `CAPI_FUNCTIONS` and `CAPI_DATA` lists.
pub fn bridge_symbols() -> Vec<String> {
    let source = super::runtime::RUNTIME_SOURCES
        .iter()
        .find(|(path, _)| *path == "js/bridge/capi.mjs")
        .map(|(_, text)| *text)
        .expect("the runtime's sources include the bridge's C API module");
    let mut names = Vec::new();
    for list in ["CAPI_FUNCTIONS", "CAPI_DATA"] {
        let start = source
            .find(&format!("const {list} = ["))
            .expect("capi.mjs declares its C API lists");
        let body = &source[start..];
        let body = &body[..body.find("];").expect("the list ends with `];`")];
        names.extend(body.split('"').skip(1).step_by(2).map(str::to_string));
    }
    names
}

/// The link's `EXPORTED_FUNCTIONS` (emscripten's `_`-prefixed names): the strong requirements,
/// the weak ones the full interpreter defines (an export the linker cannot find fails the
/// link), the bridge's C API and the recipe's own list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportList {
    pub exported_functions: Vec<String>,
}

impl ExportList {
    /// Fails, naming them, when side modules import (not weakly) symbols that even the full
    /// interpreter lacks: they could not load in the full runtime either.
    pub fn new(requirements: &Requirements, kit: &LinkKit) -> Result<Self, SlimError> {
        if !kit.full.is_empty() {
            let missing: Vec<(String, Vec<String>)> = requirements
                .modules
                .iter()
                .filter_map(|(name, module)| {
                    let symbols: Vec<String> = module
                        .imports
                        .iter()
                        .filter(|import| requirements.strong.contains(&import.name))
                        .filter(|import| !kit.full.contains(&import.name))
                        .filter(|import| !TAGS.contains(&import.name.as_str()))
                        .map(|import| import.name.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    (!symbols.is_empty()).then(|| (name.clone(), symbols))
                })
                .collect();
            if !missing.is_empty() {
                return Err(SlimError::NotInFull { missing });
            }
        }
        let weak = requirements
            .weak
            .iter()
            .filter(|name| kit.full.contains(name));
        let mut exported: BTreeSet<String> = requirements
            .strong
            .iter()
            .chain(weak)
            .cloned()
            .chain(bridge_symbols())
            .map(|name| format!("_{name}"))
            .collect();
        exported.extend(kit.recipe_exports());
        Ok(Self {
            exported_functions: exported.into_iter().collect(),
        })
    }
}

/// The relinked interpreter.
pub struct Interpreter {
    pub js: Vec<u8>,
    pub wasm: Vec<u8>,
    /// True when it came from the cache.
    pub cached: bool,
}

/// Where and with what a relink runs.
pub struct Relink<'a> {
    pub toolchain: &'a Toolchain,
    /// A scratch folder the toolchain root sees (inside the project).
    pub work: &'a Path,
    /// The cache bucket for finished links (`slim-v0/`).
    pub cache: &'a Path,
}

impl Relink<'_> {
    /// Links the interpreter from `kit` with `exports`, or takes it from the cache. The
    /// script that ran is left in the work folder (`slim-link.sh`, with `link.log`).
    pub fn link(&self, kit: &LinkKit, exports: &ExportList) -> Result<Interpreter, SlimError> {
        let lists = serde_json::to_vec_pretty(exports).expect("export lists serialise");
        let key = {
            let mut hasher = KeyHasher::new();
            hasher
                .field("kit", &kit.script)
                .field("exports", &lists)
                .field("toolchain", self.toolchain.id.to_string());
            hasher.finish()
        };
        let entry = self.cache.join(key.to_string());
        let read = |name: &str| {
            let path = entry.join(name);
            fs_err::read(&path).map_err(|source| SlimError::Read { path, source })
        };
        if entry.join("python.wasm").is_file() && entry.join("python.js").is_file() {
            tracing::debug!("slim interpreter cached: {key}");
            return Ok(Interpreter {
                js: read("python.js")?,
                wasm: read("python.wasm")?,
                cached: true,
            });
        }
        let work = self.work.join(key.short(16));
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SlimError::Write { path, source }
        };
        // Only the last link's folder is kept (to run its script again by hand).
        if self.work.exists() {
            fs_err::remove_dir_all(self.work).map_err(write_error(self.work))?;
        }
        fs_err::create_dir_all(work.join("out")).map_err(write_error(&work))?;
        let arguments = self.kit_arguments(kit, &work)?;
        let write_list = |name: &str, list: &[String]| {
            let path = work.join(name);
            let json = serde_json::to_vec(list).expect("a list of names serialises");
            crate::fs::write_atomic(&path, &json).map_err(write_error(&path))?;
            Ok::<_, SlimError>(path)
        };
        let exported = write_list("exported-functions.json", &exports.exported_functions)?;
        let output = work.join("out/python.js");
        let script = format!(
            "#!/bin/sh\n# The slim interpreter's link: the kit's command (`{kit}`) with MAIN_MODULE=2 and\n\
             # the distribution's export lists. Run it inside the toolchain root.\nset -e\ncd {dir}\n\
             exec emcc {arguments} -o {output} -sMAIN_MODULE=2 -sEXPORTED_FUNCTIONS=@{exported}\n",
            kit = kit.dir.join("link.sh").display(),
            dir = run::shell_quote(&kit.dir.display().to_string()),
            arguments = arguments.join(" "),
            output = run::shell_quote(&output.display().to_string()),
            exported = exported.display(),
        );
        let script_path = work.join("slim-link.sh");
        crate::fs::write_atomic(&script_path, script.as_bytes())
            .map_err(write_error(&script_path))?;
        let argv: Vec<OsString> = vec!["sh".into(), script_path.clone().into()];
        let mut command = self.toolchain.command(&argv, &work, &[]);
        run::run_logged(&mut command, &work.join("link.log")).map_err(SlimError::Link)?;
        let read_out = |name: &str| {
            let path = work.join("out").join(name);
            fs_err::read(&path).map_err(|source| SlimError::Read { path, source })
        };
        let interpreter = Interpreter {
            js: read_out("python.js")?,
            wasm: read_out("python.wasm")?,
            cached: false,
        };
        let staging = self
            .cache
            .join(format!(".tmp-{}-{}", key.short(16), std::process::id()));
        fs_err::create_dir_all(&staging).map_err(write_error(&staging))?;
        for (name, bytes) in [
            ("python.js", &interpreter.js),
            ("python.wasm", &interpreter.wasm),
        ] {
            let path = staging.join(name);
            crate::fs::write_atomic(&path, bytes).map_err(write_error(&path))?;
        }
        crate::fs::rename_dir_into_place(&staging, &entry).map_err(write_error(&entry))?;
        Ok(interpreter)
    }

    /// The kit's arguments with objects it lists more often than it has them (see the module
    /// docs) replaced by absolute paths to instances taken from the static library.
    fn kit_arguments(&self, kit: &LinkKit, work: &Path) -> Result<Vec<String>, SlimError> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for word in &kit.arguments {
            if word.ends_with(".o") {
                *counts.entry(word).or_default() += 1;
            }
        }
        let repeated: BTreeSet<&str> = counts
            .iter()
            .filter(|(_, count)| **count > 1)
            .map(|(name, _)| *name)
            .collect();
        if repeated.is_empty() {
            return Ok(kit.arguments.clone());
        }
        let archive = fs_err::read(&kit.archive).map_err(|source| SlimError::Read {
            path: kit.archive.clone(),
            source,
        })?;
        let mut instances: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
        for name in &repeated {
            let members = archive_members(&archive, name);
            if members.len() < counts[name] {
                return Err(SlimError::KitObject {
                    name: name.to_string(),
                    count: counts[name],
                    archive: kit.archive.clone(),
                });
            }
            instances.insert(name, members);
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut arguments = Vec::with_capacity(kit.arguments.len());
        for word in &kit.arguments {
            if !repeated.contains(word.as_str()) {
                arguments.push(word.clone());
                continue;
            }
            let n = seen.entry(word).or_default();
            let path = work.join(format!("{}-{word}", *n + 1));
            let bytes = &instances[word.as_str()][*n];
            crate::fs::write_atomic(&path, bytes).map_err(|source| SlimError::Write {
                path: path.clone(),
                source,
            })?;
            *n += 1;
            arguments.push(run::shell_quote(&path.display().to_string()));
        }
        Ok(arguments)
    }
}

/// What an interpreter offers side modules: its exports and the JS functions it imports from
/// `env` (emscripten's loader resolves side modules' imports against both).
pub fn interpreter_symbols(wasm: &[u8]) -> Result<SymbolSet, WasmError> {
    let mut symbols: SymbolSet = crate::wheel::exports_of_wasm(wasm)?.into_iter().collect();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ImportSection(reader) = payload? {
            for import in reader.into_imports() {
                let import = import?;
                if import.module == "env" && matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                    symbols.insert(import.name);
                }
            }
        }
    }
    Ok(symbols)
}

/// Checks every side module against the slim interpreter's symbols and the side modules' own
/// exports (as the link check does for a wheel), and that the tags imported are exported.
pub fn check(requirements: &Requirements, interpreter: &SymbolSet) -> Result<(), SlimError> {
    let mut provided = interpreter.clone();
    provided.extend(
        requirements
            .modules
            .iter()
            .flat_map(|(_, module)| module.exports.iter().cloned()),
    );
    let mut missing = Vec::new();
    for (name, module) in &requirements.modules {
        let mut symbols = missing_symbols(module, &provided);
        for import in &module.imports {
            if TAGS.contains(&import.name.as_str()) && !interpreter.contains(&import.name) {
                symbols.push(import.name.clone());
            }
        }
        symbols.sort();
        symbols.dedup();
        if !symbols.is_empty() {
            missing.push((name.clone(), symbols));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SlimError::Missing { missing })
    }
}

/// What `runtime.json` says of a slim runtime, beside `"variant": "slim"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlimInfo {
    /// Symbols the interpreter offers side modules (exports and JS functions).
    pub symbols: usize,
    /// Side modules of the distribution it was made for.
    pub side_modules: usize,
    /// Whether the link came from the cache.
    #[serde(skip)]
    pub cached: bool,
}

/// Makes the runtime in `dist` (a distribution `--install` just wrote: runtime, wheels,
/// lockfile) the slim variant: relinks the interpreter for the distribution's side modules,
/// checks them against it, and writes `python.js`, `python.wasm`, the loader (told it is slim)
/// and `runtime.json`.
pub fn install(
    dist: &Path,
    abi: &crate::toolchain::Abi,
    kit: &LinkKit,
    relink: &Relink,
) -> Result<SlimInfo, SlimError> {
    let requirements = Requirements::of_dist(dist)?;
    let exports = ExportList::new(&requirements, kit)?;
    let interpreter = relink.link(kit, &exports)?;
    let symbols = interpreter_symbols(&interpreter.wasm).map_err(SlimError::Interpreter)?;
    check(&requirements, &symbols)?;
    let info = SlimInfo {
        symbols: symbols.len(),
        side_modules: requirements.modules.len(),
        cached: interpreter.cached,
    };
    let write = |name: &str, bytes: &[u8]| {
        let path = dist.join(name);
        crate::fs::write_atomic(&path, bytes).map_err(|source| SlimError::Write { path, source })
    };
    write("python.js", &interpreter.js)?;
    write("python.wasm", &interpreter.wasm)?;
    write(
        "python.mjs",
        super::runtime::loader_for(abi, SLIM).as_bytes(),
    )?;
    let path = dist.join("runtime.json");
    let text = fs_err::read_to_string(&path).map_err(|source| SlimError::Read {
        path: path.clone(),
        source,
    })?;
    let mut json: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| SlimError::Read {
            path: path.clone(),
            source: std::io::Error::other(error),
        })?;
    json["variant"] = SLIM.into();
    json["slim"] = serde_json::to_value(&info).expect("the slim info serialises");
    let mut text = serde_json::to_string_pretty(&json).expect("runtime.json serialises");
    text.push('\n');
    write("runtime.json", text.as_bytes())?;
    Ok(info)
}

#[cfg(test)]
mod tests;
