//! Tests of the runtime sources' assembly: every source embedded, the rules refused when broken,
//! and the assembled loader booted by Node on the mock runtime of the JS unit tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime")
}

/// Every module and Python file under `runtime/js` and `runtime/py`, in subfolders too (tests
/// and test support left out), is embedded, so a new one cannot be forgotten in
/// [`RUNTIME_SOURCES`].
#[test]
fn every_runtime_source_is_embedded() {
    fn walk(dir: &Path, relative: &str, found: &mut Vec<String>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{relative}/{name}");
            if entry.file_type().unwrap().is_dir() {
                if name != "testing" && name != "__pycache__" {
                    walk(&entry.path(), &path, found);
                }
                continue;
            }
            let test = name.ends_with(".test.mjs") || name.starts_with("test_");
            if !test && (name.ends_with(".mjs") || name.ends_with(".py")) {
                found.push(path);
            }
        }
    }
    let mut on_disk = Vec::new();
    for folder in ["js", "py"] {
        walk(&runtime_dir().join(folder), folder, &mut on_disk);
    }
    on_disk.sort();
    let mut embedded: Vec<String> = RUNTIME_SOURCES.iter().map(|(p, _)| p.to_string()).collect();
    embedded.sort();
    assert_eq!(embedded, on_disk);
}

#[test]
fn loader_is_one_module_with_the_helper_inlined() {
    let loader = loader();
    assert!(loader.starts_with("// kiln's loader for its CPython WebAssembly runtime"));
    assert!(loader.contains("// Assembled by kiln from the runtime's sources"));
    assert!(!loader.lines().any(|line| line.starts_with("import ")));
    assert!(!loader.contains("includeText(\""));
    for (path, text) in RUNTIME_SOURCES.iter().filter(|(p, _)| p.ends_with(".py")) {
        assert!(
            loader.contains(&serde_json::to_string(text).unwrap()),
            "{path} is inlined"
        );
    }
    // Only the entry's exports remain: the public API.
    let exports: Vec<&str> = loader
        .lines()
        .filter(|line| line.starts_with("export "))
        .collect();
    assert_eq!(
        exports,
        [
            "export { PythonError };",
            "export const version = KILN_VERSION;",
            "export async function loadPython(options = {}) {",
            "export async function loadPyodide(options = {}) {"
        ]
    );
    // Dependencies before the modules that import them; the entry last.
    let at = |module: &str| loader.find(&format!("// --- runtime/{module}\n")).unwrap();
    assert!(at("js/host.mjs") < at("js/zip.mjs"));
    assert!(at("js/packages.mjs") < at("js/interpreter.mjs"));
    assert!(at("js/interpreter.mjs") < at("js/boot.mjs"));
    assert!(at("js/cli.mjs") < at("js/python.mjs"));
    assert_eq!(loader, super::loader(), "deterministic");
}

fn assemble_of(files: &[SourceFile]) -> Result<String, AssembleError> {
    assemble(files, "js/main.mjs")
}

#[test]
fn assembles_dependencies_first_and_strips_module_syntax() {
    let files = [
        (
            "js/main.mjs",
            "// The entry.\n\nimport { a } from \"./a.mjs\";\nimport { b } from \"./b.mjs\";\n\nexport const main = a + b;\n",
        ),
        (
            "js/a.mjs",
            "import { b } from \"./b.mjs\";\n\nexport const a = b + 1;\n",
        ),
        (
            "js/b.mjs",
            "export const b = await includeText(\"../py/b.py\", import.meta.url);\n",
        ),
        ("py/b.py", "print(\"b\")\n"),
    ];
    let text = assemble_of(&files).unwrap();
    assert_eq!(
        text,
        "// The entry.\n\
         //\n// Assembled by kiln from the runtime's sources (runtime/js/, runtime/py/): edit those.\n\
         \n// --- runtime/js/b.mjs\n\nconst b = \"print(\\\"b\\\")\\n\";\n\
         \n// --- runtime/js/a.mjs\n\nconst a = b + 1;\n\
         \n// --- runtime/js/main.mjs\n\nexport const main = a + b;\n"
    );
}

#[test]
fn refuses_sources_that_would_not_survive_concatenation() {
    let entry = |body: &'static str| ("js/main.mjs", body);
    let unsupported = |files: &[SourceFile]| match assemble_of(files) {
        Err(AssembleError::Unsupported { module, line, .. }) => (module, line),
        other => panic!("{other:?}"),
    };
    // An import over several lines, a host module imported statically.
    assert_eq!(
        unsupported(&[entry("import {\n  a,\n} from \"./a.mjs\";\n")]),
        ("js/main.mjs".into(), 1)
    );
    assert_eq!(
        unsupported(&[entry("\nimport fs from \"node:fs\";\n")]),
        ("js/main.mjs".into(), 2)
    );
    // Exports other than declarations outside the entry; re-exports anywhere.
    let files = [
        entry("import { a } from \"./a.mjs\";\n"),
        ("js/a.mjs", "const a = 1;\nexport { a };\n"),
    ];
    assert_eq!(unsupported(&files), ("js/a.mjs".into(), 2));
    assert_eq!(
        unsupported(&[entry("export { a } from \"./a.mjs\";\n")]),
        ("js/main.mjs".into(), 1)
    );
    // import.meta in a module other than the entry names the loader once concatenated.
    let files = [
        entry("import { a } from \"./a.mjs\";\n"),
        (
            "js/a.mjs",
            "export const a = new URL(\".\", import.meta.url);\n",
        ),
    ];
    assert_eq!(unsupported(&files), ("js/a.mjs".into(), 1));
}

#[test]
fn refuses_missing_modules_cycles_and_shared_names() {
    let main = ("js/main.mjs", "import { a } from \"./a.mjs\";\n");
    assert_eq!(
        assemble_of(&[main]),
        Err(AssembleError::MissingModule {
            importer: "js/main.mjs".into(),
            path: "js/a.mjs".into()
        })
    );
    let files = [
        main,
        ("js/a.mjs", "import { b } from \"./b.mjs\";\n"),
        ("js/b.mjs", "import { a } from \"./a.mjs\";\n"),
    ];
    assert_eq!(
        assemble_of(&files),
        Err(AssembleError::Cycle {
            chain: vec!["js/a.mjs".into(), "js/b.mjs".into(), "js/a.mjs".into()]
        })
    );
    let files = [
        (
            "js/main.mjs",
            "import { a } from \"./a.mjs\";\nfunction helper() {}\n",
        ),
        ("js/a.mjs", "export const a = 1;\nfunction helper() {}\n"),
    ];
    assert_eq!(
        assemble_of(&files),
        Err(AssembleError::DuplicateName {
            name: "helper".into(),
            first: "js/a.mjs".into(),
            second: "js/main.mjs".into()
        })
    );
    let files = [(
        "js/main.mjs",
        "const text = await includeText(\"../py/x.py\", import.meta.url);\n",
    )];
    assert_eq!(
        assemble_of(&files),
        Err(AssembleError::MissingInclude {
            module: "js/main.mjs".into(),
            path: "py/x.py".into()
        })
    );
}

/// Every module of [`RUNTIME_SOURCES`] taken as a root in turn, the imports of each parsed as
/// the assembly parses them: an error for the first cycle, even among modules the entry does
/// not reach (which [`assemble`] would never visit).
fn check_no_import_cycle(sources: &[SourceFile]) -> Result<(), AssembleError> {
    let files: BTreeMap<&str, &str> = sources.iter().copied().collect();
    let mut order = Vec::new();
    for &(module, _) in sources.iter().filter(|(path, _)| path.ends_with(".mjs")) {
        visit(&files, module, None, &mut Vec::new(), &mut order)?;
    }
    Ok(())
}

/// Issue 21: the runtime's modules import each other in no cycle (concatenation needs an order,
/// and a cycle is a sign that two concepts lean on each other: the PyProxy's factory is handed
/// to its methods through a proxy's state instead).
#[test]
fn runtime_modules_import_each_other_in_no_cycle() {
    assert_eq!(check_no_import_cycle(RUNTIME_SOURCES), Ok(()));

    // The check can fail: a cyclic pair that no entry reaches, beside an acyclic module.
    let sources = [
        ("js/a.mjs", "export const a = 1;\n"),
        (
            "js/bridge/methods.mjs",
            "import { a } from \"../a.mjs\";\nimport { Factory } from \"./factory.mjs\";\n",
        ),
        (
            "js/bridge/factory.mjs",
            "import { methods } from \"./methods.mjs\";\n",
        ),
    ];
    assert_eq!(
        check_no_import_cycle(&sources),
        Err(AssembleError::Cycle {
            chain: vec![
                "js/bridge/methods.mjs".into(),
                "js/bridge/factory.mjs".into(),
                "js/bridge/methods.mjs".into()
            ]
        })
    );
    assert_eq!(check_no_import_cycle(&[sources[0]]), Ok(()));
}

/// The assembled loader booted by Node on the mock runtime of the JS unit tests
/// (`runtime/js/testing/emscripten.mjs`): the library API and the command line. Left in
/// `target/kiln-tests/loader/`, where `scripts/bench-loader` finds it.
#[test]
fn assembled_loader_runs_in_node_on_a_mock_runtime() {
    if which::which("node").is_err() {
        eprintln!("skipped: no `node` on PATH");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/kiln-tests/loader");
    fs_err::create_dir_all(&dir).unwrap();
    let mock = runtime_dir().join("js/testing/emscripten.mjs");
    fs_err::write(
        dir.join("python.js"),
        format!(
            "import {{ mockFactory }} from {:?};\n\
             export default mockFactory({{\n  \
               callMain: (args) => {{ console.log(JSON.stringify(args)); return 3; }},\n\
             }});\n",
            format!("file://{}", mock.display())
        ),
    )
    .unwrap();
    fs_err::write(dir.join("python.wasm"), b"\0asm\x01\0\0\0").unwrap();
    // An empty zip archive (its end-of-central-directory record alone).
    let mut empty_zip = b"PK\x05\x06".to_vec();
    empty_zip.resize(22, 0);
    fs_err::write(dir.join("python_stdlib.zip"), empty_zip).unwrap();
    fs_err::write(dir.join("python.mjs"), loader()).unwrap();

    let output = Command::new("node")
        .arg(dir.join("python.mjs"))
        .args(["-c", "print(1)", "a"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert_eq!(stdout.trim(), r#"["-c","print(1)","a"]"#);

    // The loader's path through the environment: as `process.argv[1]` it would start the
    // command line. The mock exports no C API, so the API loads but Python cannot start.
    let script = "const { loadPython, loadPyodide, PythonError, version } = await import(process.env.LOADER);\n\
                  const py = await loadPython();\n\
                  let error;\n\
                  try { await loadPyodide(); } catch (e) { error = e; }\n\
                  console.log(typeof py.loadPackage, typeof PythonError, version === py.version, error.message);\n";
    let output = Command::new("node")
        .args(["--input-type=module", "-e", script])
        .env("LOADER", dir.join("python.mjs"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "function function true kiln: this runtime has no JavaScript bridge (its interpreter exports no C API)"
    );
}

#[test]
fn the_loader_takes_the_platform_files_python_and_tag() {
    let mut abi =
        crate::toolchain::Abi::load(&crate::toolchain::platform::project_platform()).unwrap();
    abi.python = "3.16".parse().unwrap();
    abi.platform = "pyemscripten_2027_0_wasm32".into();
    let loader = super::loader_for(&abi, crate::bundle::slim::FULL);
    assert!(loader.contains("const PYTHON_VERSION = \"3.16\";"));
    assert!(loader.contains("const PLATFORM_TAG = \"pyemscripten_2027_0_wasm32\";"));
    assert!(loader.contains(&format!(
        "const KILN_VERSION = \"{}\";",
        env!("CARGO_PKG_VERSION")
    )));
}
