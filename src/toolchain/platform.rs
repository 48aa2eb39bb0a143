//! The platform file (`platforms/<name>.toml`): everything that defines the platform kiln
//! builds for, in one place.
//!
//! A platform in PEP 783's sense (`pyemscripten_2026_5`) is a CPython minor version, an
//! emscripten version and the ABI flags every object is built with. kiln adds what it needs to
//! make those reproducibly: the Debian root the tools come from and the versions it must hold.
//! The file has five tables, each read by the module that owns the concept:
//!
//! - `[platform]`: names and versions ([`Abi`]: wheel tag, lockfile `info`, sysconfig);
//! - `[root]` and `[expect]`: the toolchain root ([`Pin`]);
//! - `[flags]` and `[rust]`: compile and link flags ([`Abi`]).
//!
//! This module only reads and checks the file; nothing here runs a tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::abi::{Flags, RustAbi};
use super::pin::RootPin;

/// `[platform]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PlatformInfo {
    /// PEP 783 platform name, e.g. `pyemscripten_2026_5`.
    pub name: String,
    /// The platform's ABI version, e.g. `2026_5`.
    pub abi_version: String,
    /// CPython `MAJOR.MINOR`, e.g. `3.15`.
    pub python: String,
    /// The emscripten version, e.g. `6.0.5`.
    pub emscripten: String,
}

/// The whole file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlatformFile {
    pub platform: PlatformInfo,
    pub root: RootPin,
    #[serde(default)]
    pub expect: BTreeMap<String, String>,
    pub flags: Flags,
    #[serde(default)]
    pub rust: Option<RustAbi>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("cannot read the platform file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid platform file `{}`", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("invalid platform file `{}`: `{field}` is `{value}`, expected {expected}", path.display())]
    Field {
        path: PathBuf,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Reads and checks the file; returns it with its text.
pub(super) fn read(path: &Path) -> Result<(PlatformFile, String), PlatformError> {
    let text = fs_err::read_to_string(path).map_err(|source| PlatformError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: PlatformFile = toml::from_str(&text).map_err(|source| PlatformError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    check(&file.platform, path)?;
    Ok((file, text))
}

fn check(info: &PlatformInfo, path: &Path) -> Result<(), PlatformError> {
    let field = |field, value: &str, expected| PlatformError::Field {
        path: path.to_path_buf(),
        field,
        value: value.to_string(),
        expected,
    };
    let is_version = |text: &str, parts: usize| {
        let pieces: Vec<&str> = text.split('.').collect();
        pieces.len() == parts
            && pieces
                .iter()
                .all(|piece| !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit()))
    };
    let is_name_part =
        |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !is_name_part(&info.name) {
        return Err(field("platform.name", &info.name, "letters, digits and `_`"));
    }
    if !is_name_part(&info.abi_version) {
        return Err(field(
            "platform.abi-version",
            &info.abi_version,
            "letters, digits and `_`, e.g. `2026_5`",
        ));
    }
    if !is_version(&info.python, 2) {
        return Err(field("platform.python", &info.python, "`MAJOR.MINOR`, e.g. `3.15`"));
    }
    if !is_version(&info.emscripten, 3) {
        return Err(field(
            "platform.emscripten",
            &info.emscripten,
            "`MAJOR.MINOR.PATCH`, e.g. `6.0.5`",
        ));
    }
    Ok(())
}

/// The platform files of a project's `platforms/` folder, sorted.
pub fn platform_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

/// The project's own platform file, for unit tests.
#[cfg(test)]
pub fn project_platform() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("platforms");
    platform_files(&dir)
        .into_iter()
        .next()
        .expect("a platform file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_platform_parses() {
        let (file, _) = read(&project_platform()).unwrap();
        assert_eq!(file.platform.name, "pyemscripten_2026_5");
        assert_eq!(file.platform.python, "3.15");
        assert_eq!(file.root.suite, "forky");
    }

    #[test]
    fn a_malformed_version_is_refused_with_its_field() {
        let (_, text) = read(&project_platform()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        fs_err::write(&path, text.replace("python = \"3.15\"", "python = \"3.15/..\"")).unwrap();
        let error = read(&path).unwrap_err().to_string();
        assert!(error.contains("`platform.python` is `3.15/..`"), "{error}");
    }
}
