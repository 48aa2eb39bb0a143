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
        Ok(Abi { text, ..file.abi })
    }

    pub fn digest(&self) -> Sha256 {
        Sha256::of_bytes(self.text.as_bytes())
    }
}
