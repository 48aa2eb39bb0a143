//! The `[root]` and `[expect]` tables of the platform file: what the toolchain root is made
//! of, as the project pins it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::hash::Sha256;

/// The pin: the platform file's `[root]` and `[expect]` tables.
#[derive(Debug, Clone)]
pub struct Pin {
    pub root: RootPin,
    /// Debian package name → the version prefix the builds were made with.
    pub expect: BTreeMap<String, String>,
    /// Hash of the `[root]` table: a change to the suite or the packages gives a new root
    /// folder; a change to `[expect]` re-checks the same root, a change to the flags keeps it.
    pub fingerprint: Sha256,
    pub path: PathBuf,
}

/// `[root]`
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RootPin {
    /// Debian suite, e.g. `forky`.
    pub suite: String,
    /// The debootstrap script to make the suite with, when the host's debootstrap has none
    /// of the suite's name (Debian 12's stops at `trixie`; forky is made like `sid`).
    #[serde(default, rename = "debootstrap-script")]
    pub debootstrap_script: Option<String>,
    /// debootstrap variant, e.g. `minbase`.
    pub variant: String,
    /// Packages installed into the root (debootstrap `--include`).
    pub packages: Vec<String>,
}

pub use super::platform::PlatformError as PinError;

impl Pin {
    /// Reads the pin from the platform file at `path`.
    pub fn load(path: &Path) -> Result<Self, PinError> {
        let (file, _) = super::platform::read(path)?;
        let canonical =
            serde_json::to_string(&file.root).expect("strings and lists always serialize");
        Ok(Pin {
            fingerprint: Sha256::of_bytes(canonical.as_bytes()),
            root: file.root,
            expect: file.expect,
            path: path.to_path_buf(),
        })
    }

    /// The folder name of roots made from this pin: suite plus a short pin hash.
    pub fn root_name(&self) -> String {
        format!("{}-{}", self.root.suite, self.fingerprint.short(12))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::toolchain::platform::project_platform;

    #[test]
    fn the_project_pin_parses() {
        let pin = Pin::load(&project_platform()).unwrap();
        assert_eq!(pin.root.suite, "forky");
        assert_eq!(pin.root.debootstrap_script.as_deref(), Some("sid"));
        assert!(pin.root.packages.iter().any(|p| p == "emscripten"));
        assert_eq!(pin.expect["emscripten"], "6.0.5");
    }

    #[test]
    fn a_flag_or_expect_change_keeps_the_root_and_a_package_change_does_not() {
        let text = fs_err::read_to_string(project_platform()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let path = dir.path().join("p.toml");
            fs_err::write(&path, text).unwrap();
            Pin::load(&path).unwrap().root_name()
        };
        let original = load(&text);
        assert_eq!(
            original,
            load(&text.replace("\"-fPIC\",", "\"-fPIC\", \"-O1\","))
        );
        assert_eq!(
            original,
            load(&text.replace("rustc = \"1.97\"", "rustc = \"1.98\""))
        );
        assert_ne!(
            original,
            load(&text.replace("\"patch\",", "\"patch\", \"less\","))
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = fs_err::read_to_string(project_platform()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        fs_err::write(&path, text.replace("variant = ", "sweet = 1\nvariant = ")).unwrap();
        let error = Pin::load(&path).unwrap_err();
        let PinError::Parse { source, .. } = error else {
            panic!("{error}")
        };
        assert!(source.to_string().contains("sweet"), "{source}");
    }
}
