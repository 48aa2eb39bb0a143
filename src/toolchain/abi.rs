//! `toolchain/abi.toml`: the one ABI every object in a distribution is compiled for.
//!
//! The runtime and every package must agree on exception handling, 64-bit integers at the
//! JS boundary, memory and stack: a side module built otherwise fails to load or traps at run
//! time. So the flags live in one file, are handed to every build script, recorded in the
//! bundle, and their text goes into every cache key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::Sha256;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct AbiFile {
    abi: Abi,
    #[serde(default)]
    rust: Option<RustAbi>,
}

/// The `[rust]` table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RustAbi {
    /// The rustc target triple, e.g. `wasm32-unknown-emscripten`.
    pub target: String,
    /// The panic strategy std and packages are compiled with: `unwind` or `abort`.
    pub panic: PanicStrategy,
    /// Flags for every Rust compile of target code: std and packages alike.
    #[serde(default)]
    pub rustflags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PanicStrategy {
    Unwind,
    Abort,
}

impl PanicStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            PanicStrategy::Unwind => "unwind",
            PanicStrategy::Abort => "abort",
        }
    }
}

/// The `[abi]` table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Abi {
    /// A name for this ABI, recorded in the bundle and the lockfile (`abi_version`).
    pub id: String,
    /// The wheel platform tag, as the runtime's `sysconfig.get_platform()` reports it.
    pub platform: String,
    #[serde(default)]
    pub cflags: Vec<String>,
    #[serde(default)]
    pub cxxflags: Vec<String>,
    #[serde(default)]
    pub ldflags: Vec<String>,
    #[serde(default)]
    pub main_module_ldflags: Vec<String>,
    #[serde(default)]
    pub side_module_ldflags: Vec<String>,
    /// The `[rust]` table: how Rust code joins this ABI. `None` when the file has none, and
    /// then Rust packages cannot be built.
    #[serde(skip)]
    pub rust: Option<RustAbi>,
    /// The file's text, for cache keys.
    #[serde(skip)]
    pub text: String,
}

/// The largest ABI file kiln reads; the real one is a few kilobytes.
pub const MAX_ABI_BYTES: u64 = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AbiError {
    /// Unreadable, not a regular file, or too large.
    #[error(transparent)]
    Read(#[from] crate::fs::InputError),
    #[error("invalid ABI file `{}`", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A name that reaches file names (the platform tag names every wheel) or a command line.
    #[error(
        "invalid ABI file `{}`: `{field}` must be {expected}, found {value:?}",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl Abi {
    pub fn load(path: &Path) -> Result<Self, AbiError> {
        let text = crate::fs::read_bounded_to_string(path, MAX_ABI_BYTES, "the ABI file")?;
        let file: AbiFile = toml::from_str(&text).map_err(|source| AbiError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |field, value: &str, expected| AbiError::Invalid {
            path: path.to_path_buf(),
            field,
            value: value.to_string(),
            expected,
        };
        let word = |text: &str, extra: &[char]| {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c))
        };
        if !word(&file.abi.id, &['.', '-', '_']) {
            return Err(invalid(
                "abi.id",
                &file.abi.id,
                "lower-case letters, digits, `.`, `-` and `_`",
            ));
        }
        // A wheel platform tag: the wheel's file name ends with it.
        if !word(&file.abi.platform, &['_']) {
            return Err(invalid(
                "abi.platform",
                &file.abi.platform,
                "a wheel platform tag (lower-case letters, digits and `_`)",
            ));
        }
        if let Some(rust) = &file.rust
            && !word(&rust.target, &['-', '_', '.'])
        {
            return Err(invalid(
                "rust.target",
                &rust.target,
                "a rustc target triple",
            ));
        }
        Ok(Abi {
            text,
            rust: file.rust,
            ..file.abi
        })
    }

    pub fn digest(&self) -> Sha256 {
        Sha256::of_bytes(self.text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_abi_has_a_rust_table() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("toolchain/abi.toml");
        let abi = Abi::load(&path).unwrap();
        let rust = abi.rust.expect("[rust] table");
        assert_eq!(rust.target, "wasm32-unknown-emscripten");
        assert_eq!(rust.panic, PanicStrategy::Unwind);
        assert!(rust.rustflags.iter().any(|flag| flag == "-Ctarget-cpu=mvp"));
    }

    /// Issue 25: a platform tag that would make wheel names leave `dist/` is refused, and so
    /// is an ABI file that is a FIFO (without blocking).
    #[test]
    fn names_and_file_kinds_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abi.toml");
        fs_err::write(&path, "[abi]\nid = 'x'\nplatform = '../../x'\n").unwrap();
        let error = Abi::load(&path).unwrap_err();
        assert!(
            matches!(
                &error,
                AbiError::Invalid {
                    field: "abi.platform",
                    ..
                }
            ),
            "{error}"
        );
        let fifo = dir.path().join("fifo.toml");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = Abi::load(&fifo).unwrap_err();
        assert!(matches!(&error, AbiError::Read(_)), "{error}");
    }

    #[test]
    fn an_unknown_panic_strategy_is_refused() {
        let text = "[abi]\nid = 'x'\nplatform = 'p'\n[rust]\ntarget = 't'\npanic = 'explode'\n";
        let error = toml::from_str::<AbiFile>(text).unwrap_err().to_string();
        assert!(error.contains("unknown variant `explode`"), "{error}");
    }
}
