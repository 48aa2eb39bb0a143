//! `kiln py-compile` (and `build-recipes --install --compile`): wheels byte-compiled for the
//! runtime's Python, as `pyodide py-compile` does, so the runtime loads `.pyc` files instead of
//! compiling every module of a package at its first import.
//!
//! Each wheel is unpacked into a scratch folder inside the project (the toolchain root sees
//! it), compiled by the root's Python of the runtime's version (`python3.15 -m compileall -b`:
//! a `.pyc` beside each `.py`, hash-based and unchecked, so the bytes do not depend on file
//! times, with the path the runtime will see in tracebacks), the `.py` files that compiled
//! are removed (unless kept), and the wheel is written again in place with a fresh `RECORD`
//! ([`crate::wheel::writer::WheelContents`]). Files that do not compile (Python 2 test data,
//! templates) stay as they are.
//!
//! The stdlib is not compiled here: its archives are made by the bundle
//! ([`crate::bundle::stdlib`]), which writes bytecode itself when asked
//! (`--stdlib-bytecode`, which `--compile` implies); rewriting them afterwards would leave the
//! parts index and the precompressed copies describing other bytes.
//!
//! The root's Python is the same minor version as the runtime's; CPython freezes its bytecode
//! magic number from the first release candidate on, so `3.15.0` compiles for `3.15.0rc2`. A
//! mismatch would show as "bad magic number" at import: the end-to-end test imports compiled
//! wheels in the runtime.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::run;
use crate::toolchain::{PythonVersion, Toolchain};
use crate::wheel::writer::{WheelContents, WheelEntry};

/// Where the runtime's files live (`runtime/js/layout.mjs`): tracebacks name these paths.
const RUNTIME_PREFIX: &str = "/usr/local";

#[derive(Debug, thiserror::Error)]
pub enum PyCompileError {
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
    #[error("`{}` is not a zip archive", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("`{}` holds no `.dist-info` folder", path.display())]
    NotAWheel { path: PathBuf },
    /// Not a `.whl` file: the stdlib is compiled when the bundle is made.
    #[error("`{}` is not a wheel; for the stdlib, assemble the distribution with `--stdlib-bytecode`", path.display())]
    NotAWheelFile { path: PathBuf },
    #[error("cannot run the toolchain's Python to compile `{}`", path.display())]
    Run {
        path: PathBuf,
        #[source]
        source: run::RunError,
    },
}

/// How many files of one archive were compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub archive: PathBuf,
    /// `.pyc` files written.
    pub compiled: usize,
    /// `.py` files left because they did not compile.
    pub left: usize,
}

pub struct Compiler<'a> {
    pub toolchain: &'a Toolchain,
    pub python: PythonVersion,
    /// A scratch folder the toolchain root can see (inside the project).
    pub work: PathBuf,
    /// Keep the `.py` files beside their `.pyc`.
    pub keep_py: bool,
    pub source_date_epoch: u64,
}

impl Compiler<'_> {
    /// Compiles every wheel in `dist`, in name order.
    pub fn compile_folder(&self, dist: &Path) -> Result<Vec<Compiled>, PyCompileError> {
        let read_error = |source| PyCompileError::Read {
            path: dist.to_path_buf(),
            source,
        };
        let mut archives: Vec<PathBuf> = fs_err::read_dir(dist)
            .map_err(read_error)?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
            .collect();
        archives.sort();
        archives
            .iter()
            .map(|archive| self.compile_archive(archive))
            .collect()
    }

    /// Compiles one wheel, in place.
    pub fn compile_archive(&self, archive: &Path) -> Result<Compiled, PyCompileError> {
        if archive.extension().is_none_or(|ext| ext != "whl") {
            return Err(PyCompileError::NotAWheelFile {
                path: archive.to_path_buf(),
            });
        }
        let files = read_zip(archive)?;
        let scratch = self.work.join(
            archive
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        if scratch.exists() {
            fs_err::remove_dir_all(&scratch).map_err(|source| PyCompileError::Write {
                path: scratch.clone(),
                source,
            })?;
        }
        for (name, (bytes, _)) in &files {
            let path = scratch.join(name);
            let write = |source| PyCompileError::Write {
                path: path.clone(),
                source,
            };
            fs_err::create_dir_all(path.parent().expect("a file in the scratch folder"))
                .map_err(write)?;
            fs_err::write(&path, bytes).map_err(write)?;
        }
        let shown = format!(
            "{RUNTIME_PREFIX}/{}/site-packages",
            self.python.stdlib_dir()
        );
        self.compileall(&scratch, &shown, archive)?;
        // What is in the archive now: every file, each `.py` that compiled replaced by its
        // `.pyc` (or joined by it).
        let mut out: BTreeMap<String, (Vec<u8>, bool)> = BTreeMap::new();
        let (mut compiled, mut left) = (0, 0);
        for (name, (bytes, executable)) in files {
            if let Some(stem) = name.strip_suffix(".py") {
                let pyc_name = format!("{stem}.pyc");
                let pyc = scratch.join(&pyc_name);
                if pyc.is_file() {
                    let pyc_bytes = fs_err::read(&pyc).map_err(|source| PyCompileError::Read {
                        path: pyc.clone(),
                        source,
                    })?;
                    out.insert(pyc_name, (pyc_bytes, false));
                    compiled += 1;
                    if self.keep_py {
                        out.insert(name, (bytes, executable));
                    }
                    continue;
                }
                left += 1;
            }
            out.insert(name, (bytes, executable));
        }
        let _ = fs_err::remove_dir_all(&scratch);
        let dist_info = out
            .keys()
            .filter_map(|name| name.split('/').next())
            .find(|top| top.ends_with(".dist-info"))
            .ok_or_else(|| PyCompileError::NotAWheel {
                path: archive.to_path_buf(),
            })?
            .to_string();
        let contents = WheelContents {
            files: out
                .into_iter()
                .map(|(name, (bytes, executable))| (name, WheelEntry { bytes, executable }))
                .collect(),
            dist_info,
        };
        let bytes = contents
            .to_bytes(self.source_date_epoch)
            .map_err(|source| PyCompileError::Zip {
                path: archive.to_path_buf(),
                source,
            })?;
        crate::fs::write_atomic(archive, &bytes).map_err(|source| PyCompileError::Write {
            path: archive.to_path_buf(),
            source,
        })?;
        Ok(Compiled {
            archive: archive.to_path_buf(),
            compiled,
            left,
        })
    }

    /// `python3.X -m compileall` over `dir` inside the root, tracebacks naming `shown`.
    fn compileall(&self, dir: &Path, shown: &str, archive: &Path) -> Result<(), PyCompileError> {
        let log = self.work.join("py-compile.log");
        let argv: Vec<OsString> = vec![
            self.python.executable().into(),
            "-m".into(),
            "compileall".into(),
            "-q".into(),
            "-b".into(),
            "-j".into(),
            "0".into(),
            "--invalidation-mode".into(),
            "unchecked-hash".into(),
            "-s".into(),
            dir.into(),
            "-p".into(),
            shown.into(),
            dir.into(),
        ];
        let mut command = self.toolchain.command(&argv, dir, &[]);
        // compileall exits 1 when some file does not compile; those keep their source.
        run::run_logged_status(&mut command, &log).map_err(|source| PyCompileError::Run {
            path: archive.to_path_buf(),
            source,
        })?;
        Ok(())
    }
}

/// Every file of a zip archive by name, with its owner-executable bit; folders and names
/// that would leave the scratch folder are left out.
fn read_zip(path: &Path) -> Result<BTreeMap<String, (Vec<u8>, bool)>, PyCompileError> {
    let zip_error = |source| PyCompileError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(path).map_err(|source| PyCompileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        if entry.is_dir() || entry.enclosed_name().is_none() {
            continue;
        }
        let name = entry.name().map_err(zip_error)?.into_owned();
        let executable = entry.unix_mode().is_some_and(|mode| mode & 0o100 != 0);
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|source| PyCompileError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        files.insert(name, (bytes, executable));
    }
    Ok(files)
}
