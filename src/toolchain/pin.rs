//! `toolchain/toolchain.toml`: what the toolchain root is made of, as the project pins it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::hash::Sha256;

/// The parsed pin file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub root: RootPin,
    /// Debian package name → the version prefix the builds were made with.
    #[serde(default)]
    pub expect: BTreeMap<String, String>,
    /// Hash of the file's text: any edit to the pin gives a new root folder.
    #[serde(skip, default = "zero_digest")]
    pub fingerprint: Sha256,
    #[serde(skip)]
    pub path: PathBuf,
}

/// `[root]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootPin {
    /// Debian suite, e.g. `trixie`.
    pub suite: String,
    /// debootstrap variant, e.g. `minbase`.
    pub variant: String,
    /// Packages installed into the root (debootstrap `--include`).
    pub packages: Vec<String>,
}

fn zero_digest() -> Sha256 {
    Sha256::of_bytes(b"")
}

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("cannot read the toolchain pin `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid toolchain pin `{}`", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

impl Pin {
    pub fn load(path: &Path) -> Result<Self, PinError> {
        let text = fs_err::read_to_string(path).map_err(|source| PinError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut pin: Pin = toml::from_str(&text).map_err(|source| PinError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        pin.fingerprint = Sha256::of_bytes(text.as_bytes());
        pin.path = path.to_path_buf();
        Ok(pin)
    }

    /// The folder name of roots made from this pin: suite plus a short pin hash.
    pub fn root_name(&self) -> String {
        format!("{}-{}", self.root.suite, self.fingerprint.short(12))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_pin_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("toolchain/toolchain.toml");
        let pin = Pin::load(&path).unwrap();
        assert_eq!(pin.root.suite, "trixie");
        assert!(pin.root.packages.iter().any(|p| p == "emscripten"));
        assert_eq!(pin.expect["emscripten"], "3.1.69");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("toolchain.toml");
        fs_err::write(
            &path,
            "[root]\nsuite='x'\nvariant='y'\npackages=[]\nsweet=1\n",
        )
        .unwrap();
        let error = Pin::load(&path).unwrap_err();
        let PinError::Parse { source, .. } = error else {
            panic!()
        };
        assert!(source.to_string().contains("sweet"), "{source}");
    }
}
