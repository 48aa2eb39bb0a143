//! The runtime's own sources (`runtime/`), embedded in kiln, and the loader `dist/python.mjs`
//! assembled from them.
//!
//! The runtime's JavaScript is written as ES modules by concept (`runtime/js/`, see
//! `runtime/README.md`) and its Python helper as a real `.py` file (`runtime/py/`); kiln embeds
//! them all and writes one file into `dist/`, because one file loads faster. Measured with
//! `scripts/bench-loader` (Node 20, on the mock runtime of the JS unit tests, median of 60
//! fresh processes, 2-core host busy with builds): importing the loader took 6.6 ms as one
//! file and 18.5 ms as its thirteen modules; import + `loadPython` 14.9 ms against 23.4 ms;
//! `node python.mjs -c 'print(1)'` 97 ms against 123 ms (hyperfine, mean). In a browser each
//! extra module is also a request, discovered only once its importer has been parsed.
//!
//! Assembly is concatenation, so the sources keep to a few rules, and [`assemble`] refuses
//! sources that break them rather than emit a loader that fails at run time:
//! - another runtime module is imported on one line, `import { a, b } from "./x.mjs";`; the
//!   modules form no cycle and are concatenated dependencies first, the order in which ES module
//!   evaluation would run them. Host modules (`node:fs`…) are imported dynamically, inside
//!   functions, as a browser must never see them.
//! - a module other than the entry exports only declarations (`export function`, `export
//!   class`, `export const`…), and the keyword is dropped; the entry's exports stay as written.
//! - top-level names are unique across modules (they share one scope once concatenated).
//! - `await includeText("../py/x.py", import.meta.url)` becomes the file's text as a string
//!   literal; no other `import.meta` outside the entry (it would name another file).
//!
//! The console page (`runtime/console.html`) and its Python side (`runtime/console.mjs`, which
//! the page runs in a Web Worker) are copied as they are.

use std::collections::BTreeMap;

/// One of the runtime's source files: its path under `runtime/` and its text.
pub type SourceFile = (&'static str, &'static str);

macro_rules! runtime_file {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/", $path)),
        )
    };
}

/// The runtime's sources the loader is assembled from. A new module or included file must be
/// listed here too (the tests of this module fail until it is).
pub const RUNTIME_SOURCES: &[SourceFile] = &[
    runtime_file!("js/python.mjs"),
    runtime_file!("js/boot.mjs"),
    runtime_file!("js/bridge/bridge.mjs"),
    runtime_file!("js/bridge/capi.mjs"),
    runtime_file!("js/bridge/convert.mjs"),
    runtime_file!("js/bridge/errors.mjs"),
    runtime_file!("js/bridge/jsmodule.mjs"),
    runtime_file!("js/bridge/jsproxy.mjs"),
    runtime_file!("js/bridge/pyhandle.mjs"),
    runtime_file!("js/bridge/pymethods.mjs"),
    runtime_file!("js/bridge/pyproxy.mjs"),
    runtime_file!("js/bridge/pytraps.mjs"),
    runtime_file!("js/bridge/sources.mjs"),
    runtime_file!("js/cli.mjs"),
    runtime_file!("js/dylib.mjs"),
    runtime_file!("js/files.mjs"),
    runtime_file!("js/host.mjs"),
    runtime_file!("js/interpreter.mjs"),
    runtime_file!("js/layout.mjs"),
    runtime_file!("js/lockfile.mjs"),
    runtime_file!("js/mounts.mjs"),
    runtime_file!("js/packages.mjs"),
    runtime_file!("js/stdlib.mjs"),
    runtime_file!("js/streams.mjs"),
    runtime_file!("js/tags.mjs"),
    runtime_file!("js/wasm.mjs"),
    runtime_file!("js/zip.mjs"),
    runtime_file!("py/_kiln.py"),
    runtime_file!("py/_kiln_ffi.py"),
    runtime_file!("py/_kiln_jsproxy.py"),
    runtime_file!("py/_kiln_pyproxy.py"),
    runtime_file!("py/_pyodide_core.py"),
    runtime_file!("py/js.py"),
    runtime_file!("py/pyodide/__init__.py"),
    runtime_file!("py/pyodide/code.py"),
    runtime_file!("py/pyodide/ffi/__init__.py"),
    runtime_file!("py/pyodide/ffi/wrappers.py"),
    runtime_file!("py/pyodide/http.py"),
    runtime_file!("py/pyodide/webloop.py"),
];

/// The loader's entry module: the public API and the command line's start.
pub const ENTRY: &str = "js/python.mjs";

/// A small REPL page that boots the runtime in a browser (`kiln serve`, then open it).
pub const CONSOLE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/console.html"));

/// The console's Python side: the module the page starts as a worker (or imports, to run
/// Python in the page), beside the page and the loader.
pub const CONSOLE_SESSION: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/console.mjs"));

/// Why the runtime's sources cannot be assembled into one file: a source breaks a rule of the
/// module documentation. Only kiln's own sources are assembled, so this is a bug in them.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    #[error("`{importer}` imports `{path}`, which is not among the runtime's sources")]
    MissingModule { importer: String, path: String },
    #[error("`{module}` includes `{path}`, which is not among the runtime's sources")]
    MissingInclude { module: String, path: String },
    #[error("the runtime's modules import each other in a cycle: {}", chain.join(" → "))]
    Cycle { chain: Vec<String> },
    #[error("`{module}` line {line}: {what}")]
    Unsupported {
        module: String,
        line: usize,
        what: &'static str,
    },
    #[error("`{name}` is declared at the top of both `{first}` and `{second}`")]
    DuplicateName {
        name: String,
        first: String,
        second: String,
    },
}

/// The loader built from [`RUNTIME_SOURCES`], as the sources have it (for the project's own
/// platform file's values, see [`loader_for`]).
pub fn loader() -> String {
    assemble(RUNTIME_SOURCES, ENTRY).expect(
        "the runtime's sources follow the assembly rules (checked by bundle::runtime's tests)",
    )
}

/// The loader for `abi`'s platform: `layout.mjs`'s `PYTHON_VERSION` and `PLATFORM_TAG` lines
/// rewritten with the platform file's values, `KILN_VERSION` with kiln's and `VARIANT` with
/// the runtime's variant ([`super::slim::FULL`] or [`super::slim::SLIM`]).
pub fn loader_for(abi: &crate::toolchain::Abi, variant: &str) -> String {
    let mut text = loader();
    for (name, value) in [
        ("PYTHON_VERSION", abi.python.to_string()),
        ("PLATFORM_TAG", abi.platform.clone()),
        ("KILN_VERSION", env!("CARGO_PKG_VERSION").to_string()),
        ("VARIANT", variant.to_string()),
    ] {
        let prefix = format!("const {name} = \"");
        let start = text
            .find(&prefix)
            .expect("layout.mjs declares PYTHON_VERSION, PLATFORM_TAG, KILN_VERSION and VARIANT");
        let value_start = start + prefix.len();
        let end = value_start
            + text[value_start..]
                .find('"')
                .expect("the declaration is one string literal");
        text.replace_range(value_start..end, &value);
    }
    text
}

/// Concatenates the modules reachable from `entry` into one ES module (see the module
/// documentation for the rules the sources follow).
pub fn assemble(sources: &[SourceFile], entry: &str) -> Result<String, AssembleError> {
    let files: BTreeMap<&str, &str> = sources.iter().copied().collect();
    let mut order = Vec::new();
    visit(&files, entry, None, &mut Vec::new(), &mut order)?;

    let mut declared: BTreeMap<String, &str> = BTreeMap::new();
    let mut bodies = Vec::new();
    for &module in &order {
        let body = module_body(&files, module, module == entry)?;
        for name in top_level_names(&body) {
            if let Some(first) = declared.insert(name.clone(), module) {
                return Err(AssembleError::DuplicateName {
                    name,
                    first: first.to_string(),
                    second: module.to_string(),
                });
            }
        }
        bodies.push((module, body));
    }

    // The entry's opening comment (what the loader is, how to use it) heads the file.
    let (entry_comment, entry_body) = split_leading_comment(&bodies.pop().expect("entry").1);
    let mut out = entry_comment;
    out.push_str(
        "//\n// Assembled by kiln from the runtime's sources (runtime/js/, runtime/py/): edit those.\n",
    );
    for (module, body) in &bodies {
        out.push_str(&format!("\n// --- runtime/{module}\n\n"));
        out.push_str(body.trim_start_matches('\n'));
    }
    out.push_str(&format!("\n// --- runtime/{entry}\n\n"));
    out.push_str(entry_body.trim_start_matches('\n'));
    Ok(out)
}

/// Depth-first over the imports: dependencies first, each module once.
fn visit<'a>(
    files: &BTreeMap<&'a str, &'a str>,
    module: &'a str,
    importer: Option<&str>,
    stack: &mut Vec<&'a str>,
    order: &mut Vec<&'a str>,
) -> Result<(), AssembleError> {
    if order.contains(&module) {
        return Ok(());
    }
    if let Some(at) = stack.iter().position(|m| *m == module) {
        let mut chain: Vec<String> = stack[at..].iter().map(|m| m.to_string()).collect();
        chain.push(module.to_string());
        return Err(AssembleError::Cycle { chain });
    }
    let Some((&module, text)) = files.get_key_value(module) else {
        return Err(AssembleError::MissingModule {
            importer: importer.unwrap_or("(entry)").to_string(),
            path: module.to_string(),
        });
    };
    stack.push(module);
    for (line, text) in text.lines().enumerate() {
        if let Some(path) = internal_import(module, line + 1, text)? {
            let path = resolve(module, &path);
            let Some((&path, _)) = files.get_key_value(path.as_str()) else {
                return Err(AssembleError::MissingModule {
                    importer: module.to_string(),
                    path,
                });
            };
            visit(files, path, Some(module), stack, order)?;
        }
    }
    stack.pop();
    order.push(module);
    Ok(())
}

/// The module named by an `import … from "./x.mjs";` line, if the line is one; an error for
/// any other static import.
fn internal_import(module: &str, line: usize, text: &str) -> Result<Option<String>, AssembleError> {
    if !text.starts_with("import ") {
        return Ok(None);
    }
    let path = text
        .strip_suffix("\";")
        .and_then(|rest| rest.rsplit_once(" from \""))
        .map(|(_, path)| path)
        .filter(|path| path.starts_with("./") || path.starts_with("../"));
    match path {
        Some(path) => Ok(Some(path.to_string())),
        None => Err(AssembleError::Unsupported {
            module: module.to_string(),
            line,
            what: "a static import must name another runtime module on one line \
                   (`import { a } from \"./x.mjs\";`); import host modules dynamically",
        }),
    }
}

/// A module's text as it goes into the loader: internal imports dropped, includes inlined,
/// and (outside the entry) `export` dropped from declarations.
fn module_body(
    files: &BTreeMap<&str, &str>,
    module: &str,
    is_entry: bool,
) -> Result<String, AssembleError> {
    let unsupported = |line: usize, what: &'static str| AssembleError::Unsupported {
        module: module.to_string(),
        line,
        what,
    };
    let mut out = String::new();
    for (index, text) in files[module].lines().enumerate() {
        let line = index + 1;
        if internal_import(module, line, text)?.is_some() {
            continue;
        }
        if text.starts_with("export ") && text.contains(" from \"") {
            return Err(unsupported(
                line,
                "re-export with `import { a } from \"./x.mjs\";` and `export { a };`",
            ));
        }
        let mut text = inline_includes(files, module, text)?;
        if !is_entry {
            let comment = ["//", "/*", "*"]
                .iter()
                .any(|start| text.trim_start().starts_with(start));
            if text.contains("import.meta") && !comment {
                return Err(unsupported(
                    line,
                    "`import.meta` outside the entry module would name the loader, not this module",
                ));
            }
            if let Some(declaration) = text.strip_prefix("export ") {
                const DECLARATIONS: [&str; 5] =
                    ["async function ", "function ", "class ", "const ", "let "];
                if !DECLARATIONS.iter().any(|d| declaration.starts_with(d)) {
                    return Err(unsupported(
                        line,
                        "a module other than the entry may export only declarations",
                    ));
                }
                text = declaration.to_string();
            }
        }
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}

/// `await includeText("<path>", import.meta.url)` → the file's text as a string literal.
fn inline_includes(
    files: &BTreeMap<&str, &str>,
    module: &str,
    text: &str,
) -> Result<String, AssembleError> {
    const START: &str = "await includeText(\"";
    const END: &str = "\", import.meta.url)";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(START) {
        let after = &rest[at + START.len()..];
        let Some(end) = after.find(END) else {
            break;
        };
        let path = resolve(module, &after[..end]);
        let Some(included) = files.get(path.as_str()) else {
            return Err(AssembleError::MissingInclude {
                module: module.to_string(),
                path,
            });
        };
        out.push_str(&rest[..at]);
        out.push_str(&serde_json::to_string(included).expect("a string serialises"));
        rest = &after[end + END.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `relative` (`./x.mjs`, `../py/y.py`) resolved against the folder of `module`.
fn resolve(module: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = module.split('/').collect();
    parts.pop();
    for part in relative.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// Names declared at the top of a module (lines that start at column 0).
fn top_level_names(body: &str) -> Vec<String> {
    const DECLARATIONS: [&str; 6] = [
        "async function ",
        "function ",
        "class ",
        "const ",
        "let ",
        "var ",
    ];
    body.lines()
        .filter_map(|line| {
            let line = line.strip_prefix("export ").unwrap_or(line);
            let rest = DECLARATIONS.iter().find_map(|d| line.strip_prefix(d))?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The `//` comment lines a module opens with, and the rest.
fn split_leading_comment(body: &str) -> (String, String) {
    let mut comment = String::new();
    let mut lines = body.lines().peekable();
    while let Some(line) = lines.next_if(|line| line.starts_with("//")) {
        comment.push_str(line);
        comment.push('\n');
    }
    let rest: Vec<&str> = lines.collect();
    (comment, rest.join("\n") + "\n")
}

#[cfg(test)]
mod tests;
