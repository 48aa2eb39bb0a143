//! `pyodide-lock.json`: the index of a distribution, in the format Pyodide's runtime and the
//! `pyodide-lock` tooling read.
//!
//! The loader resolves `loadPackage("numpy")` through it: which file, its sha256, where it
//! installs (`site` for packages, `dynlib` for shared libraries loaded globally first), what
//! it depends on and which top-level imports it provides. kiln writes it as Pyodide does: one
//! line, keys sorted (struct fields below are declared in alphabetical order for that), and
//! atomically, so a reader never sees half a file and a refused `lock` leaves the previous
//! one as it was. It is read as an untrusted file: a regular file of bounded size.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::file::{FileProblem, read_regular};

pub const LOCK_FILE: &str = "pyodide-lock.json";

/// The largest lockfile read: Pyodide's own, for 250 packages, is under 200 KB.
pub const MAX_LOCKFILE_BYTES: u64 = 64 * 1024 * 1024;

/// The whole lockfile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub info: LockInfo,
    pub packages: BTreeMap<String, LockEntry>,
}

/// `info`: what runtime the packages were built for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockInfo {
    /// The ABI id from `toolchain/abi.toml`.
    pub abi_version: String,
    pub arch: String,
    /// `emscripten_<version>`, as Pyodide writes it: the wheel platform tag without `_{arch}`.
    pub platform: String,
    pub python: String,
    /// `slim` for a slim runtime (`build-recipes --install --slim`), which loads only wheels
    /// whose imports its interpreter exports; absent for the platform's full runtime (and in
    /// Pyodide's lockfiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The distribution's version (kiln's own, here).
    pub version: String,
}

/// One package (or shared library) in the distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub depends: Vec<String>,
    /// A plain file name in the distribution folder (never a path).
    pub file_name: String,
    pub imports: Vec<String>,
    /// `site` or `dynlib`.
    pub install_dir: String,
    pub name: String,
    /// `package` or `shared_library`.
    pub package_type: String,
    pub sha256: String,
    pub unvendored_tests: bool,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: FileProblem,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// serde_json's message carries the line and column.
    #[error("`{}` is not a valid lockfile", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{}`: `info.python` is not the runtime's Python version", path.display())]
    Info {
        path: PathBuf,
        #[source]
        source: super::ParsePythonVersionError,
    },
}

impl Lockfile {
    pub fn read(path: &Path) -> Result<Self, LockfileError> {
        let bytes =
            read_regular(path, MAX_LOCKFILE_BYTES).map_err(|source| LockfileError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Self::parse(&bytes, path)
    }

    /// Parses a lockfile's bytes; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, LockfileError> {
        serde_json::from_slice(bytes).map_err(|source| LockfileError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// One line, sorted keys, written atomically.
    pub fn write(&self, path: &Path) -> Result<(), LockfileError> {
        let text = serde_json::to_string(self).expect("a lockfile serialises");
        crate::fs::write_atomic(path, text.as_bytes()).map_err(|source| LockfileError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn entry(name: &str, depends: &[&str]) -> LockEntry {
        LockEntry {
            depends: depends.iter().map(|d| d.to_string()).collect(),
            file_name: format!("{name}-1.0-py3-none-any.whl"),
            imports: vec![name.to_string()],
            install_dir: "site".into(),
            name: name.into(),
            package_type: "package".into(),
            sha256: String::new(),
            unvendored_tests: false,
            version: "1.0".into(),
        }
    }

    #[test]
    fn writes_one_line_with_sorted_keys() {
        let lock = Lockfile {
            info: LockInfo {
                abi_version: "a".into(),
                arch: "wasm32".into(),
                platform: "emscripten_3_1_69".into(),
                python: "3.13.5".into(),
                variant: None,
                version: "0.1.0".into(),
            },
            packages: BTreeMap::from([
                ("b".to_string(), entry("b", &[])),
                ("a".to_string(), entry("a", &["b"])),
            ]),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        lock.write(&path).unwrap();
        let text = fs_err::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(
            text.starts_with(r#"{"info":{"abi_version":"a","arch":"wasm32","#),
            "{text}"
        );
        assert!(text.find(r#""a":{"depends":["b"]"#).unwrap() < text.find(r#""b":{"#).unwrap());
        assert_eq!(Lockfile::read(&path).unwrap(), lock);
    }

    #[test]
    fn a_parse_error_names_the_file_line_and_column() {
        let error =
            Lockfile::parse(b"{\n  \"info\": 3\n}", Path::new("d/pyodide-lock.json")).unwrap_err();
        assert!(error.to_string().contains("d/pyodide-lock.json"), "{error}");
        let cause = std::error::Error::source(&error).unwrap().to_string();
        assert!(cause.contains("line 2 column"), "{cause}");
    }
}
