//! The link check: every undefined symbol of every side module in a wheel must be defined by
//! something that will be loaded before it, or the build fails.
//!
//! emscripten links side modules with undefined symbols allowed and resolves them lazily when
//! the module is loaded or, for functions, on the first call. A symbol nothing provides (a
//! Fortran runtime `s_cmp`, an `invoke_iii` the runtime cannot generate, a `backtrace` a
//! configure probe wrongly found) therefore shows up only when a user imports the package,
//! sometimes only when a code path runs. This check moves that failure to build time.
//!
//! A side module's undefined symbols are its imports from `env` and `wasi_snapshot_preview1`
//! (functions, globals, tags: the symbol is the field name) and from `GOT.mem` / `GOT.func`
//! (the module takes the symbol's address; the field is the symbol). An import is satisfied when
//! - the loader answers it itself ([`LOADER_PROVIDED`], `env` only),
//! - it is weak in `dylink.0` (the loader resolves a missing weak symbol to 0),
//! - the module exports it itself (PIC code reaches its own default-visibility symbols through
//!   the GOT), or
//! - the caller's [`SymbolSet`] has it: the runtime's `exports.txt`, the exports of shared
//!   libraries shipped in the wheel ([`link_check_wheel`](super::link_check_wheel) adds those)
//!   and of declared dependencies.
//!
//! It does not compare function signatures (a mismatch traps at call time, not at load), check
//! that `dylink.0`'s needed libraries exist, or model load order between side modules.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use super::wasm::{SideModule, WasmError};

/// `env` imports that emscripten's loader (`library_dylink.js`) answers for every side module,
/// without a symbol table entry, so `exports.txt` does not list them:
/// - `memory`, `__indirect_function_table`: the one shared memory and function table;
/// - `__stack_pointer`: the shared stack pointer global;
/// - `__memory_base`, `__table_base`: where this module's data and table slots were placed;
/// - `__cpp_exception`, `__c_longjmp`: the wasm exception and longjmp tags, which the runtime
///   defines (in JS) when it is built with `-fwasm-exceptions` / `-sSUPPORT_LONGJMP=wasm`. Whether
///   the runtime and the module agree on that is the ABI's job (the platform file gives both
///   the same flags), not this check's.
pub const LOADER_PROVIDED: &[&str] = &[
    "memory",
    "__indirect_function_table",
    "__stack_pointer",
    "__memory_base",
    "__table_base",
    "__cpp_exception",
    "__c_longjmp",
];

/// Symbol name prefixes emscripten's loader generates on demand when the runtime is built with
/// JS exception catching (`-sDISABLE_EXCEPTION_CATCHING=0`) or `-sSUPPORT_LONGJMP=emscripten`:
/// `invoke_<signature>` trampolines and `__cxa_find_matching_catch_<n>`. A runtime built for wasm
/// exceptions has neither, so they are only accepted after [`SymbolSet::allow_js_exception_helpers`].
pub const JS_EXCEPTION_HELPER_PREFIXES: &[&str] = &["invoke_", "__cxa_find_matching_catch_"];

/// The symbols available to side modules at load time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolSet {
    names: BTreeSet<String>,
    prefixes: BTreeSet<String>,
}

impl SymbolSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses an `exports.txt`: one symbol per line; blank lines and lines starting with `#`
    /// are skipped, surrounding white space ignored.
    pub fn from_exports_txt(text: &str) -> Self {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_string)
            .collect()
    }

    /// Reads an `exports.txt` file (the runtime's is written by the `cpython` recipe).
    pub fn read_exports_txt(path: &Path) -> std::io::Result<Self> {
        Ok(Self::from_exports_txt(&fs_err::read_to_string(path)?))
    }

    pub fn insert(&mut self, name: impl Into<String>) {
        self.names.insert(name.into());
    }

    /// Accepts every symbol starting with `prefix`, for names the loader makes up on demand.
    pub fn allow_prefix(&mut self, prefix: impl Into<String>) {
        self.prefixes.insert(prefix.into());
    }

    /// Accepts [`JS_EXCEPTION_HELPER_PREFIXES`]: call this only for a runtime built with JS
    /// exception catching or emscripten-style longjmp.
    pub fn allow_js_exception_helpers(&mut self) {
        for prefix in JS_EXCEPTION_HELPER_PREFIXES {
            self.allow_prefix(*prefix);
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name) || self.prefixes.iter().any(|prefix| name.starts_with(prefix))
    }

    /// Number of exact names (prefixes not counted).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.prefixes.is_empty()
    }
}

impl<S: Into<String>> Extend<S> for SymbolSet {
    fn extend<I: IntoIterator<Item = S>>(&mut self, names: I) {
        self.names.extend(names.into_iter().map(Into::into));
    }
}

impl<S: Into<String>> FromIterator<S> for SymbolSet {
    fn from_iter<I: IntoIterator<Item = S>>(names: I) -> Self {
        let mut set = Self::new();
        set.extend(names);
        set
    }
}

/// Why the link check failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkCheckError {
    /// Symbols nothing provides: `(file, sorted symbols)` per file, files sorted.
    #[error("{}", UnresolvedList(.files))]
    Unresolved { files: Vec<(String, Vec<String>)> },
    #[error("cannot read `{file}` as an emscripten side module")]
    InvalidModule {
        file: String,
        #[source]
        source: WasmError,
    },
}

impl LinkCheckError {
    /// The unresolved symbols per file (empty for [`LinkCheckError::InvalidModule`]).
    pub fn unresolved(&self) -> &[(String, Vec<String>)] {
        match self {
            LinkCheckError::Unresolved { files } => files,
            LinkCheckError::InvalidModule { .. } => &[],
        }
    }
}

struct UnresolvedList<'a>(&'a [(String, Vec<String>)]);

impl fmt::Display for UnresolvedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count: usize = self.0.iter().map(|(_, symbols)| symbols.len()).sum();
        let noun = if count == 1 { "symbol" } else { "symbols" };
        write!(f, "{count} undefined {noun} that nothing provides")?;
        for (file, symbols) in self.0 {
            write!(f, "\n  {file}: missing ")?;
            for (index, symbol) in symbols.iter().enumerate() {
                let separator = if index == 0 { "" } else { ", " };
                write!(f, "{separator}`{symbol}`")?;
            }
        }
        Ok(())
    }
}

/// Checks side modules given as `(name, bytes)` against `provided` (see the module docs for
/// what satisfies an import). Imports from a module other than `env`, `wasi_snapshot_preview1`,
/// `GOT.mem` and `GOT.func` can never be satisfied by emscripten's loader and are reported as
/// `module.field`.
pub fn link_check<'a, I>(files: I, provided: &SymbolSet) -> Result<(), LinkCheckError>
where
    I: IntoIterator<Item = (&'a str, &'a [u8])>,
{
    let mut unresolved = Vec::new();
    for (file, bytes) in files {
        let module = SideModule::parse(bytes).map_err(|source| LinkCheckError::InvalidModule {
            file: file.to_string(),
            source,
        })?;
        let missing = missing_symbols(&module, provided);
        if !missing.is_empty() {
            unresolved.push((file.to_string(), missing));
        }
    }
    if unresolved.is_empty() {
        return Ok(());
    }
    unresolved.sort();
    Err(LinkCheckError::Unresolved { files: unresolved })
}

/// The sorted, de-duplicated symbols of `module` that nothing satisfies.
pub fn missing_symbols(module: &SideModule, provided: &SymbolSet) -> Vec<String> {
    let mut missing = BTreeSet::new();
    for import in &module.imports {
        if import.weak {
            continue;
        }
        let symbol = match import.module.as_str() {
            "env" if LOADER_PROVIDED.contains(&import.name.as_str()) => continue,
            "env" | "wasi_snapshot_preview1" | "GOT.mem" | "GOT.func" => import.name.clone(),
            other => format!("{other}.{}", import.name),
        };
        if module.exports.contains(&symbol) || provided.contains(&symbol) {
            continue;
        }
        missing.insert(symbol);
    }
    missing.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::wasm::tests::side_module;
    use super::*;

    const NEEDS_MISSING: &str = r#"(module
        (import "env" "memory" (memory 0))
        (import "env" "__memory_base" (global i32))
        (import "env" "__stack_pointer" (global (mut i32)))
        (import "env" "__indirect_function_table" (table 0 funcref))
        (import "env" "PyLong_FromLong" (func (param i32) (result i32)))
        (import "env" "missing_thing" (func))
        (import "GOT.mem" "someglobal" (global (mut i32)))
        (import "GOT.func" "own_helper" (global (mut i32)))
        (import "env" "weak_hook" (func))
        (import "GOT.func" "weak_hook" (global (mut i32)))
        (import "env" "invoke_iii" (func (param i32 i32 i32) (result i32)))
        (func (export "own_helper"))
        (func (export "PyInit_yaml") (result i32) i32.const 0)
    )"#;

    fn runtime() -> SymbolSet {
        SymbolSet::from_exports_txt("# runtime\nPyLong_FromLong\n\nPyModule_Create2\n")
    }

    #[test]
    fn reports_exactly_the_missing_symbols() {
        let bytes = side_module(NEEDS_MISSING, &[], &[("env", "weak_hook")]);
        let error = link_check(
            [("_yaml.cpython-313-wasm32-emscripten.so", bytes.as_slice())],
            &runtime(),
        )
        .unwrap_err();
        assert_eq!(
            error.unresolved(),
            [(
                "_yaml.cpython-313-wasm32-emscripten.so".to_string(),
                vec![
                    "invoke_iii".to_string(),
                    "missing_thing".to_string(),
                    "someglobal".to_string()
                ]
            )]
        );
        assert_eq!(
            error.to_string(),
            "3 undefined symbols that nothing provides\n  \
             _yaml.cpython-313-wasm32-emscripten.so: missing `invoke_iii`, `missing_thing`, `someglobal`"
        );
    }

    #[test]
    fn passes_when_everything_is_provided() {
        let bytes = side_module(NEEDS_MISSING, &[], &[("env", "weak_hook")]);
        let mut provided = runtime();
        provided.extend(["missing_thing", "someglobal"]);
        provided.allow_js_exception_helpers();
        link_check([("a.so", bytes.as_slice())], &provided).unwrap();
    }

    #[test]
    fn reports_per_file_in_order_and_foreign_modules() {
        let first = side_module(
            r#"(module (import "env" "s_cmp" (func)) (import "env" "PyLong_FromLong" (func)))"#,
            &[],
            &[],
        );
        let second = side_module(r#"(module (import "js" "alert" (func)))"#, &[], &[]);
        let error = link_check(
            [
                ("pkg/z.so", first.as_slice()),
                ("pkg/a.so", second.as_slice()),
            ],
            &runtime(),
        )
        .unwrap_err();
        assert_eq!(
            error.unresolved(),
            [
                ("pkg/a.so".to_string(), vec!["js.alert".to_string()]),
                ("pkg/z.so".to_string(), vec!["s_cmp".to_string()]),
            ]
        );
    }

    #[test]
    fn names_the_file_that_is_not_a_side_module() {
        let plain = wat::parse_str("(module)").unwrap();
        let error = link_check([("pkg/x.so", plain.as_slice())], &runtime()).unwrap_err();
        assert!(matches!(
            &error,
            LinkCheckError::InvalidModule { file, source: WasmError::NotSideModule } if file == "pkg/x.so"
        ));
    }

    /// Real side modules built by emcc in the toolchain root, checked against the real
    /// runtime's `exports.txt`. Machine-specific paths: run by hand with `--ignored`.
    #[test]
    #[ignore = "needs side modules and exports.txt built in the toolchain root"]
    fn real_side_modules_against_the_runtime() {
        let work = Path::new("/var/tmp/probe/root/work");
        let exports = work.join("prefix/cpython/runtime/exports.txt");
        let Ok(runtime) = SymbolSet::read_exports_txt(&exports) else {
            eprintln!("skipped: no `{}`", exports.display());
            return;
        };
        let mut modules = Vec::new();
        for entry in fs_err::read_dir(work.join("tests"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|extension| extension == "so") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                modules.push((name, fs_err::read(&path).unwrap()));
            }
        }
        modules.sort();
        if modules.is_empty() {
            eprintln!(
                "skipped: no side modules in `{}`",
                work.join("tests").display()
            );
            return;
        }
        eprintln!("{} symbols in exports.txt", runtime.len());
        for (name, bytes) in &modules {
            let module = SideModule::parse(bytes).unwrap();
            let imports: Vec<String> = module
                .imports
                .iter()
                .map(|import| {
                    format!(
                        "{}.{}{}",
                        import.module,
                        import.name,
                        if import.weak { " (weak)" } else { "" }
                    )
                })
                .collect();
            eprintln!("{name}: needed {:?}, imports {imports:?}", module.needed);
        }
        let result = link_check(
            modules
                .iter()
                .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
            &runtime,
        );
        match &result {
            Ok(()) => eprintln!("link check passed"),
            Err(error) => eprintln!("link check failed: {error}"),
        }
        // A symbol the runtime cannot have must be reported for every module.
        let mut without_python = runtime.clone();
        without_python
            .names
            .retain(|name| name != "PyModule_Create2");
        let error = link_check(
            modules
                .iter()
                .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
            &without_python,
        );
        eprintln!("without `PyModule_Create2`: {error:?}");
        result.unwrap();
    }
}
