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
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Abi;
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

/// The largest platform file kiln reads; the real one is a few kilobytes.
pub const MAX_PLATFORM_BYTES: u64 = 256 * 1024;

/// debootstrap's variants (`--variant=`).
const VARIANTS: [&str; 3] = ["minbase", "buildd", "fakechroot"];

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// Unreadable, not a regular file, or too large.
    #[error(transparent)]
    Read(#[from] crate::fs::InputError),
    #[error("invalid platform file `{}`", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A value that is not what its field names. Every value here reaches a path, a file name
    /// or a command line: the suite names the root's folder and goes to debootstrap, the
    /// packages are joined with `,` into `--include=`, the platform name ends every wheel's
    /// file name.
    #[error(
        "invalid platform file `{}`: `{field}` must be {expected}, found {value:?}",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        /// `platform.python`, `root.packages[3]`, `expect.nodejs`.
        field: String,
        value: String,
        expected: &'static str,
    },
}

/// Reads and checks the file; returns it with its text.
pub(super) fn read(path: &Path) -> Result<(PlatformFile, String), PlatformError> {
    let text = crate::fs::read_bounded_to_string(path, MAX_PLATFORM_BYTES, "the platform file")?;
    let file: PlatformFile = toml::from_str(&text).map_err(|source| PlatformError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    check(&file, path)?;
    Ok((file, text))
}

/// Checks every value against what its field names, in file order.
fn check(file: &PlatformFile, path: &Path) -> Result<(), PlatformError> {
    let invalid = |field: String, value: &str, expected| PlatformError::Invalid {
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
    let is_word = |text: &str, extra: &[u8]| {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
    };
    let info = &file.platform;
    if !is_word(&info.name, b"_") {
        return Err(invalid(
            "platform.name".into(),
            &info.name,
            "a PEP 783 platform name (lower-case letters, digits and `_`)",
        ));
    }
    if !is_word(&info.abi_version, b"_") {
        return Err(invalid(
            "platform.abi-version".into(),
            &info.abi_version,
            "digits and `_`, e.g. `2026_5`",
        ));
    }
    if info.python.parse::<PythonVersion>().is_err() {
        return Err(invalid(
            "platform.python".into(),
            &info.python,
            "`MAJOR.MINOR`, e.g. `3.15`",
        ));
    }
    if !is_version(&info.emscripten, 3) {
        return Err(invalid(
            "platform.emscripten".into(),
            &info.emscripten,
            "`MAJOR.MINOR.PATCH`, e.g. `6.0.5`",
        ));
    }
    let root = &file.root;
    if !is_debian_suite(&root.suite) {
        return Err(invalid(
            "root.suite".into(),
            &root.suite,
            "a Debian suite or codename (lower-case letters, digits, `.`, `+`, `-`)",
        ));
    }
    if let Some(script) = &root.debootstrap_script
        && !is_debian_suite(script)
    {
        return Err(invalid(
            "root.debootstrap-script".into(),
            script,
            "the name of a debootstrap script, e.g. `sid`",
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
    for (package, version) in &file.expect {
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
    if let Some(rust) = &file.rust
        && !is_word(&rust.target, b"-_.")
    {
        return Err(invalid(
            "rust.target".into(),
            &rust.target,
            "a rustc target triple",
        ));
    }
    Ok(())
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

/// A suite or codename as the archive names them (`forky`, `testing`, `trixie-backports`):
/// the package-name alphabet, so it is one path component and one word on a command line.
pub fn is_debian_suite(suite: &str) -> bool {
    is_debian_package_name(suite)
}

/// The start of a Debian version (`6.0.5`, `1:21`, `24.`): the characters of
/// `[epoch:]upstream[-revision]`, starting with a digit.
fn is_debian_version_prefix(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | ':' | '-'))
}

/// What a build is for, as one value: the ABI (flags, tags, Rust target) and the target's
/// Python version. The builder takes it whole ([`crate::build::Builder::new`]); nothing below
/// it names a Python version.
#[derive(Debug, Clone)]
pub struct Platform {
    pub abi: Abi,
    pub python: PythonVersion,
}

impl Platform {
    /// The platform of `abi`, whose `[platform]` table names the Python version.
    pub fn new(abi: Abi) -> Self {
        Self {
            python: abi.python,
            abi,
        }
    }

    /// The wheel platform tag: `pyemscripten_2026_5_wasm32`.
    pub fn wheel_platform(&self) -> &str {
        &self.abi.platform
    }
}

/// A CPython `major.minor` version, and the names that follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
}

impl PythonVersion {
    /// The wheel interpreter tag, also the ABI tag of version-specific wheels: `cp315`.
    pub fn interpreter_tag(self) -> String {
        format!("cp{}{}", self.major, self.minor)
    }

    /// The interpreter's program name: `python3.15` (the root's, of the same version as the
    /// target's, for builds that need a Python on the build machine).
    pub fn executable(self) -> String {
        format!("python{self}")
    }

    /// The headers folder under a prefix: `include/python3.15`.
    pub fn include_dir(self) -> String {
        format!("include/python{self}")
    }

    /// The standard library folder under a prefix: `lib/python3.15`.
    pub fn stdlib_dir(self) -> String {
        format!("lib/python{self}")
    }

    /// The extensions' ABI name (sysconfig's `SOABI`): `cpython-315-wasm32-emscripten`, so
    /// extension modules end in `.cpython-315-wasm32-emscripten.so`.
    pub fn soabi(self) -> String {
        format!("cpython-{}{}-wasm32-emscripten", self.major, self.minor)
    }

    /// The folder of the build's `Makefile` and static library inside the stdlib (`LIBPL`):
    /// `config-3.15-wasm32-emscripten`.
    pub fn config_dir(self) -> String {
        format!("config-{self}-wasm32-emscripten")
    }
}

/// `3.15`
impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl std::str::FromStr for PythonVersion {
    type Err = ();

    /// `3.15` (exactly two numbers).
    fn from_str(text: &str) -> Result<Self, ()> {
        let (major, minor) = text.split_once('.').ok_or(())?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            part.parse::<u32>().map_err(|_| ())
        };
        Ok(Self {
            major: number(major)?,
            minor: number(minor)?,
        })
    }
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

    fn load_text(
        text: &str,
    ) -> (
        tempfile::TempDir,
        Result<(PlatformFile, String), PlatformError>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        fs_err::write(&path, text).unwrap();
        let result = read(&path);
        (dir, result)
    }

    /// Issue 25: values that would reach a path or a command line are refused with the file
    /// and the field.
    #[test]
    fn names_are_checked_as_debian_names() {
        let good = fs_err::read_to_string(project_platform()).unwrap();
        for (from, to, field) in [
            (
                "suite = \"forky\"",
                "suite = \"../../../../tmp/x\"",
                "root.suite",
            ),
            (
                "suite = \"forky\"",
                "suite = \"forky/updates\"",
                "root.suite",
            ),
            (
                "debootstrap-script = \"sid\"",
                "debootstrap-script = \"../sid\"",
                "root.debootstrap-script",
            ),
            (
                "variant = \"minbase\"",
                "variant = \"minbase --foreign\"",
                "root.variant",
            ),
            ("\"patch\",", "\"a,b\",", "root.packages[14]"),
            ("\"patch\",", "\"--no-check-gpg\",", "root.packages[14]"),
            (
                "emscripten = \"6.0.5\"\nclang",
                "emscripten = \"6; rm\"\nclang",
                "expect.emscripten",
            ),
            (
                "name = \"pyemscripten_2026_5\"",
                "name = \"../x\"",
                "platform.name",
            ),
            (
                "python = \"3.15\"",
                "python = \"3.15/..\"",
                "platform.python",
            ),
            (
                "target = \"wasm32-unknown-emscripten\"",
                "target = \"a b\"",
                "rust.target",
            ),
        ] {
            assert!(good.contains(from), "{from}");
            let (dir, result) = load_text(&good.replacen(from, to, 1));
            let error = result.unwrap_err();
            let PlatformError::Invalid {
                path,
                field: actual,
                ..
            } = &error
            else {
                panic!("{error}");
            };
            assert_eq!(path, &dir.path().join("p.toml"));
            assert_eq!(actual, field, "{error}");
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.toml");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = read(&fifo).unwrap_err();
        assert!(matches!(&error, PlatformError::Read(_)), "{error}");
    }

    #[test]
    fn names_follow_from_the_version() {
        let python: PythonVersion = "3.13".parse().unwrap();
        assert_eq!(python.to_string(), "3.13");
        assert_eq!(python.interpreter_tag(), "cp313");
        assert_eq!(python.executable(), "python3.13");
        assert_eq!(python.include_dir(), "include/python3.13");
        assert_eq!(python.stdlib_dir(), "lib/python3.13");
        assert_eq!(python.config_dir(), "config-3.13-wasm32-emscripten");
        let next = PythonVersion {
            major: 3,
            minor: 15,
        };
        assert_eq!(next.interpreter_tag(), "cp315");
        assert_eq!(next.config_dir(), "config-3.15-wasm32-emscripten");
        assert_eq!(next.soabi(), "cpython-315-wasm32-emscripten");
    }

    #[test]
    fn python_versions_parse_strictly() {
        for bad in ["3", "3.", ".15", "3.15.0", "3.x", "3.15/.."] {
            assert!(bad.parse::<PythonVersion>().is_err(), "{bad}");
        }
    }
}
