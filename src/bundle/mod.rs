//! The runtime bundle in `dist/`: what a user serves or runs to get Python.
//!
//! ```text
//! dist/python.mjs          the loader (ES module; Node and browsers), assembled from runtime/
//! dist/console.html        a REPL page for browsers, runtime/console.html
//! dist/console.mjs         its Python side, run in a Web Worker, runtime/console.mjs
//! dist/python.js           emscripten's module factory for the interpreter
//! dist/python.wasm         the interpreter
//! dist/python_stdlib.zip   the pure-Python standard library, imported through zipimport
//! dist/runtime.json        the ABI, versions and platform tag this runtime was built for
//! ```
//! Every file is written atomically, so an interrupted run leaves the previous bundle whole.
//! The loader and the page are the runtime's own sources (`runtime/`), embedded in kiln and
//! put together by [`runtime::loader`]; the interpreter and the stdlib come from the runtime's build.

pub mod precompress;
pub mod runtime;
pub mod slim;
pub mod stdlib;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::toolchain::Abi;
pub use stdlib::StdlibOptions;

pub use runtime::{CONSOLE, CONSOLE_SESSION, loader};

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
    #[error("`{name}` is not a stdlib group kiln leaves out (known: {})", known.join(", "))]
    UnknownStdlibGroup {
        name: String,
        known: Vec<&'static str>,
    },
    #[error(
        "the runtime build has no bytecode for `{}`: rebuild `cpython` (its recipe compiles the stdlib)",
        path.display()
    )]
    NoBytecode { path: PathBuf },
}

/// Options for [`assemble`].
pub struct BundleOptions<'a> {
    pub abi: &'a Abi,
    pub python_version: &'a str,
    pub emscripten_version: &'a str,
    pub source_date_epoch: u64,
    /// What of the stdlib ships, and how (see [`stdlib`]).
    pub stdlib: &'a StdlibOptions,
}

/// What `dist/runtime.json` records.
#[derive(Serialize)]
struct RuntimeInfo<'a> {
    /// [`slim::FULL`]; `--slim` rewrites it ([`slim::install`]).
    variant: &'a str,
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
    write(
        "python.mjs",
        runtime::loader_for(options.abi, slim::FULL).as_bytes(),
    )?;
    write("console.html", CONSOLE.as_bytes())?;
    write("console.mjs", CONSOLE_SESSION.as_bytes())?;
    let archives = stdlib::archives(
        &prefix.join(options.abi.python.stdlib_dir()),
        options.stdlib,
        options.source_date_epoch,
    )?;
    write(stdlib::CORE_ARCHIVE, &archives.core)?;
    for (name, bytes) in &archives.parts {
        write(name, bytes)?;
    }
    remove_stale_parts(dist, &archives)?;
    let info = RuntimeInfo {
        variant: slim::FULL,
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

/// The variant of the runtime in `dist` as its `runtime.json` says (`None` without one, or
/// one written before variants).
pub fn variant(dist: &Path) -> Option<String> {
    let text = fs_err::read_to_string(dist.join("runtime.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("variant")?.as_str().map(str::to_string)
}

/// Removes lazy stdlib parts an earlier bundle wrote that this one does not have (and their
/// precompressed copies), so the folder holds what the index lists.
fn remove_stale_parts(dist: &Path, archives: &stdlib::StdlibArchives) -> Result<(), BundleError> {
    let read_error = |source| BundleError::Read {
        path: dist.to_path_buf(),
        source,
    };
    for entry in fs_err::read_dir(dist).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let archive = name
            .strip_suffix(".br")
            .or_else(|| name.strip_suffix(".gz"))
            .unwrap_or(&name);
        if archive.starts_with("python_stdlib-")
            && archive.ends_with(".zip")
            && !archives.parts.contains_key(archive)
        {
            fs_err::remove_file(&path).map_err(|source| BundleError::Write { path, source })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_the_core_and_parts_and_drops_stale_parts() {
        let abi = Abi::load(&crate::toolchain::platform::project_platform()).unwrap();
        let prefix = tempfile::tempdir().unwrap();
        let stdlib = prefix.path().join(abi.python.stdlib_dir());
        for file in ["runtime/python.js", "runtime/python.wasm"] {
            let path = prefix.path().join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, file).unwrap();
        }
        for file in ["json/__init__.py", "email/__init__.py"] {
            let path = stdlib.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, file).unwrap();
        }
        let dist = tempfile::tempdir().unwrap();
        for stale in [
            "python_stdlib-gone.zip",
            "python_stdlib-gone.zip.br",
            "other.zip",
        ] {
            fs_err::write(dist.path().join(stale), "old").unwrap();
        }
        let stdlib_options = StdlibOptions {
            lazy: true,
            ..StdlibOptions::default()
        };
        let options = BundleOptions {
            abi: &abi,
            python_version: "3.15.0rc2",
            emscripten_version: "6.0.5",
            source_date_epoch: 315_532_800,
            stdlib: &stdlib_options,
        };
        assemble(prefix.path(), dist.path(), &options).unwrap();
        let mut names: Vec<String> = fs_err::read_dir(dist.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "console.html",
                "console.mjs",
                "other.zip",
                "python.js",
                "python.mjs",
                "python.wasm",
                "python_stdlib-email.zip",
                "python_stdlib.zip",
                "runtime.json",
            ]
        );
    }
}
