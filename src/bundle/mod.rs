//! The runtime bundle in `dist/`: what a user serves or runs to get Python.
//!
//! ```text
//! dist/python.mjs          the loader (ES module; Node and browsers), assembled from runtime/
//! dist/console.html        a REPL page for browsers, runtime/console.html
//! dist/python.js           emscripten's module factory for the interpreter
//! dist/python.wasm         the interpreter
//! dist/python_stdlib.zip   the pure-Python standard library, imported through zipimport
//! dist/runtime.json        the ABI, versions and platform tag this runtime was built for
//! ```
//! Every file is written atomically, so an interrupted run leaves the previous bundle whole.
//! The loader and the page are the runtime's own sources (`runtime/`), embedded in kiln and
//! put together by [`runtime::loader`]; the interpreter and the stdlib come from the runtime's build.

pub mod runtime;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zip::CompressionMethod;

use crate::toolchain::Abi;
use crate::zipfile::DeterministicZip;

pub use runtime::{CONSOLE, loader};

/// Folders of the stdlib left out of the zip: test suites, GUI toolkits that cannot work
/// in wasm, installers, `help()`'s topic texts (0.7 MB for an interactive-help feature), and
/// build leftovers. `test` is kept when asked, to run CPython's own suite.
const EXCLUDED_DIRS: &[&str] = &[
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "site-packages",
    "__pycache__",
    "lib2to3",
    "pydoc_data",
];

/// Top-level stdlib files left out: the turtle graphics module needs tkinter.
const EXCLUDED_FILES: &[&str] = &["turtle.py"];

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the runtime build has no `{}`", path.display())]
    Missing { path: PathBuf },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Options for [`assemble`].
pub struct BundleOptions<'a> {
    pub abi: &'a Abi,
    pub python_version: &'a str,
    pub emscripten_version: &'a str,
    pub source_date_epoch: u64,
    /// Keep `test/` in the stdlib zip, to run CPython's test suite.
    pub keep_tests: bool,
}

/// What `dist/runtime.json` records.
#[derive(Serialize)]
struct RuntimeInfo<'a> {
    abi: &'a str,
    platform: &'a str,
    python: &'a str,
    emscripten: &'a str,
    cflags: &'a [String],
    ldflags: &'a [String],
}

/// Writes the bundle for the runtime installed at `prefix` into `dist`.
pub fn assemble(prefix: &Path, dist: &Path, options: &BundleOptions) -> Result<(), BundleError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dist.join(name);
        crate::fs::write_atomic(&path, bytes).map_err(|source| BundleError::Write { path, source })
    };
    for name in ["python.js", "python.wasm"] {
        let path = prefix.join("runtime").join(name);
        if !path.is_file() {
            return Err(BundleError::Missing { path });
        }
        let bytes = fs_err::read(&path).map_err(|source| BundleError::Read {
            path: path.clone(),
            source,
        })?;
        write(name, &bytes)?;
    }
    write("python.mjs", runtime::loader_for(options.abi).as_bytes())?;
    write("console.html", CONSOLE.as_bytes())?;
    write(
        "python_stdlib.zip",
        &stdlib_zip(&prefix.join(options.abi.python.stdlib_dir()), options)?,
    )?;
    let info = RuntimeInfo {
        abi: &options.abi.id,
        platform: &options.abi.platform,
        python: options.python_version,
        emscripten: options.emscripten_version,
        cflags: &options.abi.cflags,
        ldflags: &options.abi.ldflags,
    };
    let mut json = serde_json::to_string_pretty(&info).expect("runtime info serialises");
    json.push('\n');
    write("runtime.json", json.as_bytes())
}

/// The zipped stdlib: `.py` files and data files, without the excluded folders.
pub fn stdlib_zip(stdlib: &Path, options: &BundleOptions) -> Result<Vec<u8>, BundleError> {
    if !stdlib.is_dir() {
        return Err(BundleError::Missing {
            path: stdlib.to_path_buf(),
        });
    }
    let mut zip = DeterministicZip::new();
    add_tree(&mut zip, stdlib, "", options.keep_tests)?;
    let cursor = zip
        .write(
            Cursor::new(Vec::new()),
            options.source_date_epoch,
            CompressionMethod::Deflated,
        )
        .map_err(|error| BundleError::Write {
            path: stdlib.join("python_stdlib.zip"),
            source: std::io::Error::other(error),
        })?;
    Ok(cursor.into_inner())
}

fn add_tree(
    zip: &mut DeterministicZip,
    dir: &Path,
    prefix: &str,
    keep_tests: bool,
) -> Result<(), BundleError> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Read { path, source }
    };
    for entry in fs_err::read_dir(dir).map_err(read_error(dir))? {
        let entry = entry.map_err(read_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let relative = format!("{prefix}{name}");
        if path.is_dir() {
            let excluded = EXCLUDED_DIRS.contains(&name.as_str())
                && !(keep_tests && name == "test" && prefix.is_empty());
            // Per-package `tests` folders and the build's `config-*` folder are not runtime code.
            if excluded || (prefix.is_empty() && name.starts_with("config-")) {
                continue;
            }
            add_tree(zip, &path, &format!("{relative}/"), keep_tests)?;
        } else if !name.ends_with(".pyc")
            && (!prefix.is_empty() || !EXCLUDED_FILES.contains(&name.as_str()))
        {
            let bytes = fs_err::read(&path).map_err(read_error(&path))?;
            zip.add(relative, bytes, false);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(abi: &Abi, keep_tests: bool) -> BundleOptions<'_> {
        BundleOptions {
            abi,
            python_version: "3.15.0rc2",
            emscripten_version: "6.0.5",
            source_date_epoch: 315_532_800,
            keep_tests,
        }
    }

    fn abi() -> Abi {
        Abi::load(&crate::toolchain::platform::project_platform()).unwrap()
    }

    #[test]
    fn stdlib_zip_leaves_out_tests_gui_and_bytecode_and_is_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let stdlib = dir.path().join("lib/python3.15");
        for file in [
            "json/__init__.py",
            "json/__pycache__/x.pyc",
            "test/test_json.py",
            "tkinter/__init__.py",
            "turtle.py",
            "os.py",
            "config-3.15-wasm32-emscripten/Makefile",
        ] {
            let path = stdlib.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, file).unwrap();
        }
        let abi = abi();
        let bytes = stdlib_zip(&stdlib, &options(&abi, false)).unwrap();
        let names: Vec<String> = zip::ZipArchive::new(Cursor::new(&bytes))
            .unwrap()
            .file_names()
            .map(|name| name.unwrap().to_string())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, ["json/__init__.py", "os.py"]);
        assert_eq!(
            bytes,
            stdlib_zip(&stdlib, &options(&abi, false)).unwrap(),
            "byte-identical"
        );
        let with_tests = stdlib_zip(&stdlib, &options(&abi, true)).unwrap();
        let archive = zip::ZipArchive::new(Cursor::new(&with_tests)).unwrap();
        assert!(
            archive
                .file_names()
                .any(|name| name.unwrap() == "test/test_json.py")
        );
    }
}
