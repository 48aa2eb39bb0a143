//! `toolchain/toolchain.toml`: what the toolchain root is made of, as the project pins it.
//!
//! Every value here reaches a path or a command line: the suite names the root's folder in
//! the cache and goes to debootstrap and into the root's apt sources, the packages are
//! joined with `,` into debootstrap's `--include=`. So each is checked against Debian's own
//! naming rules when the file is read ([`Pin::load`]), and a bad one is refused with the file
//! and the field: `suite = "../../x"` never moves the root out of the cache, and
//! `packages = ["a,b"]` never becomes two packages.

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

/// The largest pin kiln reads; the real one is a couple of kilobytes.
pub const MAX_PIN_BYTES: u64 = 256 * 1024;

/// debootstrap's variants (`--variant=`).
const VARIANTS: [&str; 3] = ["minbase", "buildd", "fakechroot"];

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// Unreadable, not a regular file, or too large.
    #[error(transparent)]
    Read(#[from] crate::fs::InputError),
    #[error("invalid toolchain pin `{}`", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A value that is not what its field names (a Debian suite, package, variant, version).
    #[error(
        "invalid toolchain pin `{}`: `{field}` must be {expected}, found {value:?}",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        /// `root.suite`, `root.packages[3]`, `expect.nodejs`.
        field: String,
        value: String,
        expected: &'static str,
    },
}

impl Pin {
    pub fn load(path: &Path) -> Result<Self, PinError> {
        let text = crate::fs::read_bounded_to_string(path, MAX_PIN_BYTES, "the toolchain pin")?;
        let mut pin: Pin = toml::from_str(&text).map_err(|source| PinError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        pin.fingerprint = Sha256::of_bytes(text.as_bytes());
        pin.path = path.to_path_buf();
        pin.validate()?;
        Ok(pin)
    }

    /// Checks every value against what its field names, in file order.
    fn validate(&self) -> Result<(), PinError> {
        let invalid = |field: String, value: &str, expected: &'static str| PinError::Invalid {
            path: self.path.clone(),
            field,
            value: value.to_string(),
            expected,
        };
        let root = &self.root;
        if !is_debian_suite(&root.suite) {
            return Err(invalid(
                "root.suite".into(),
                &root.suite,
                "a Debian suite or codename (lower-case letters, digits, `.`, `+`, `-`)",
            ));
        }
        if !VARIANTS.contains(&root.variant.as_str()) {
            return Err(invalid(
                "root.variant".into(),
                &root.variant,
                "a debootstrap variant: `minbase`, `buildd` or `fakechroot`",
            ));
        }
        for (index, package) in root.packages.iter().enumerate() {
            if !is_debian_package_name(package) {
                return Err(invalid(
                    format!("root.packages[{index}]"),
                    package,
                    "one Debian package name (lower-case letters, digits, `.`, `+`, `-`)",
                ));
            }
        }
        for (package, version) in &self.expect {
            if !is_debian_package_name(package) {
                return Err(invalid(
                    format!("expect.{package}"),
                    package,
                    "keyed by a Debian package name",
                ));
            }
            if !is_debian_version_prefix(version) {
                return Err(invalid(
                    format!("expect.{package}"),
                    version,
                    "the start of a Debian version (letters, digits, `.`, `+`, `~`, `:`, `-`)",
                ));
            }
        }
        Ok(())
    }

    /// The folder name of roots made from this pin: suite plus a short pin hash.
    pub fn root_name(&self) -> String {
        format!("{}-{}", self.root.suite, self.fingerprint.short(12))
    }
}

/// A Debian package name (policy 5.6.1): at least two characters, lower-case letters,
/// digits, `+`, `-` and `.`, starting with a letter or digit. Source and binary packages
/// follow the same rule.
pub fn is_debian_package_name(name: &str) -> bool {
    name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
}

/// A suite or codename as the archive names them (`trixie`, `stable`, `trixie-backports`):
/// the package-name alphabet, so it is one path component and one word on a command line.
pub fn is_debian_suite(suite: &str) -> bool {
    is_debian_package_name(suite)
}

/// The start of a Debian version (`3.1.69`, `1:19`, `20.`): the characters of
/// `[epoch:]upstream[-revision]`, starting with a digit.
fn is_debian_version_prefix(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | ':' | '-'))
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

    fn load_text(text: &str) -> (tempfile::TempDir, Result<Pin, PinError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("toolchain.toml");
        fs_err::write(&path, text).unwrap();
        let result = Pin::load(&path);
        (dir, result)
    }

    /// Issue 25: values that would reach a path or a command line are refused with the file
    /// and the field.
    #[test]
    fn names_are_checked_as_debian_names() {
        let good = "[root]\nsuite = 'trixie'\nvariant = 'minbase'\npackages = ['python3.13', 'g++']\n\
                    [expect]\nclang-19 = '1:19'\n";
        let (_dir, pin) = load_text(good);
        pin.unwrap();
        for (text, field, value) in [
            (
                good.replace("'trixie'", "'../../../../tmp/x'"),
                "root.suite",
                "../../../../tmp/x",
            ),
            (
                good.replace("'trixie'", "'trixie/updates'"),
                "root.suite",
                "trixie/updates",
            ),
            (
                good.replace("'minbase'", "'minbase --foreign'"),
                "root.variant",
                "minbase --foreign",
            ),
            (good.replace("'g++'", "'a,b'"), "root.packages[1]", "a,b"),
            (
                good.replace("'g++'", "'--no-check-gpg'"),
                "root.packages[1]",
                "--no-check-gpg",
            ),
            (
                good.replace("'1:19'", "'1; rm'"),
                "expect.clang-19",
                "1; rm",
            ),
            (good.replace("clang-19", "'../x'"), "expect.../x", "../x"),
        ] {
            let (dir, result) = load_text(&text);
            let error = result.unwrap_err();
            let PinError::Invalid {
                path,
                field: actual,
                value: found,
                ..
            } = &error
            else {
                panic!("{error}");
            };
            assert_eq!(path, &dir.path().join("toolchain.toml"));
            assert_eq!((actual.as_str(), found.as_str()), (field, value), "{error}");
            assert!(
                error.to_string().contains(&format!("`{field}` must be")),
                "{error}"
            );
        }
    }

    /// Issue 25: a pin that is a FIFO or a link to `/dev/zero` is refused without blocking.
    #[test]
    fn a_pin_must_be_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("toolchain.toml");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let error = Pin::load(&zero).unwrap_err();
        assert!(
            matches!(
                &error,
                PinError::Read(crate::fs::InputError {
                    problem: crate::fs::InputProblem::NotRegular { .. },
                    ..
                })
            ),
            "{error}"
        );
    }
}
