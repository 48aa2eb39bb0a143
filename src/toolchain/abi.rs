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

#[derive(Debug, thiserror::Error)]
pub enum AbiError {
    #[error("cannot read the ABI file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid ABI file `{}`", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

impl Abi {
    pub fn load(path: &Path) -> Result<Self, AbiError> {
        let text = fs_err::read_to_string(path).map_err(|source| AbiError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: AbiFile = toml::from_str(&text).map_err(|source| AbiError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
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

    #[test]
    fn an_unknown_panic_strategy_is_refused() {
        let text = "[abi]\nid = 'x'\nplatform = 'p'\n[rust]\ntarget = 't'\npanic = 'explode'\n";
        let error = toml::from_str::<AbiFile>(text).unwrap_err().to_string();
        assert!(error.contains("unknown variant `explode`"), "{error}");
    }
}
