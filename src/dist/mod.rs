//! The distribution folder (`dist/`): what a publisher serves, and the gate before it ships.
//!
//! ```text
//! recipe → source → build → wheel → dist: assemble → lock → verify
//! ```
//! This is the last stage. [`assemble`] copies finished builds into the folder (the runtime
//! bundle, each package's wheels, each shared library as a `dynlib` zip); [`lock()`] reads
//! every wheel in the folder back and writes `pyodide-lock.json`; [`verify()`] checks a folder
//! against its lockfile. `lock` and `verify` read each wheel through the one reader in
//! [`wheel`], as an installer would, so both refuse the same things: a file that is not a
//! wheel, paths that leave the install folder, a RECORD that does not match, a zip bomb, a
//! platform the runtime cannot load. Wheels kiln did not build (a PyPI `pyemscripten` wheel, a
//! colleague's build) get their lock entries from their own metadata ([`metadata`]).
//!
//! The folder is flat: every file the lockfile names is a plain file name inside it, never a
//! path, so nothing a lockfile or a wheel says can reach outside.
//!
//! What it does not do: build, fetch, resolve recipes, or parse command lines. The caller says
//! which runtime the distribution is for ([`Runtime`]); `cli/` reads that from the project.

pub mod assemble;
pub mod file;
pub mod lock;
pub mod lockfile;
pub mod metadata;
pub mod size;
pub mod verify;
pub mod wheel;

use std::fmt;
use std::path::PathBuf;

pub use assemble::{AssembleError, AssembleOptions, Contents, Installed, assemble};
pub use lock::{LockError, LockOptions, Locked, PackageInfo, lock};
pub use lockfile::{LOCK_FILE, LockEntry, LockInfo, Lockfile, LockfileError};
pub use verify::{Problem, verify};
pub use wheel::{Limits, Refusal, Wheel, WheelRefusal};

/// The runtime a distribution is for: what `lock` records in `info`, which wheel tags `lock`
/// and `verify` accept, and the environment `Requires-Dist` markers are evaluated in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// The platform's ABI version (`2026_5`), recorded as `abi_version`.
    pub abi_version: String,
    /// Wheel platform tags the runtime loads besides `any`, e.g. `pyemscripten_2026_5_wasm32`.
    /// Given by the caller (the platform file's tag), never assumed here.
    pub platforms: Vec<String>,
    /// `None` for a project without a runtime recipe (a folder of libraries only): then no
    /// Python tag is checked, and a wheel that needs its markers evaluated cannot be locked.
    pub python: Option<PythonVersion>,
    /// The emscripten version (`platform_release` in markers).
    pub emscripten: String,
}

/// The architecture every kiln runtime has; a wheel platform tag ends in `_{ARCH}`.
pub const ARCH: &str = "wasm32";

/// `major.minor.micro` of the runtime's Python, with its pre-release if it is one
/// (`3.15.0rc2`: `sys.version_info`'s release level and serial).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
    pub micro: u32,
    /// `("rc", 2)` for `rc2`; `a` and `b` likewise.
    pub pre: Option<(&'static str, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{found}` is not a Python version (expected `3.15`, `3.15.1` or `3.15.0rc2`)")]
pub struct ParsePythonVersionError {
    pub found: String,
}

impl std::str::FromStr for PythonVersion {
    type Err = ParsePythonVersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParsePythonVersionError {
            found: text.to_string(),
        };
        // A pre-release suffix on the last number: `0rc2`, `0b1`, `0a3`.
        let (release, pre) = match text.find(|c: char| c.is_ascii_alphabetic()) {
            None => (text, None),
            Some(at) => {
                let (release, suffix) = text.split_at(at);
                let kind = ["rc", "a", "b"]
                    .into_iter()
                    .find(|kind| suffix.starts_with(kind))
                    .ok_or_else(error)?;
                let serial = &suffix[kind.len()..];
                if serial.is_empty()
                    || serial.len() > 4
                    || !serial.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(error());
                }
                (release, Some((kind, serial.parse().map_err(|_| error())?)))
            }
        };
        if pre.is_some() && release.split('.').count() != 3 {
            return Err(error());
        }
        let mut parts = release.split('.').map(|part| {
            if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
                Err(error())
            } else {
                part.parse::<u32>().map_err(|_| error())
            }
        });
        let major = parts.next().ok_or_else(error)??;
        let minor = parts.next().ok_or_else(error)??;
        let micro = parts.next().transpose()?.unwrap_or(0);
        if parts.next().is_some() {
            return Err(error());
        }
        Ok(Self {
            major,
            minor,
            micro,
            pre,
        })
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)?;
        match self.pre {
            Some((kind, serial)) => write!(f, "{kind}{serial}"),
            None => Ok(()),
        }
    }
}

/// Why a project does not say which runtime its distribution is for.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "the project has no `runtime` recipe, so kiln cannot tell which Python the wheels are for"
    )]
    NoRuntimeRecipe,
    #[error("the runtime recipe `{}` has a version that is not a Python version", recipe.display())]
    PythonVersion {
        recipe: PathBuf,
        #[source]
        source: ParsePythonVersionError,
    },
}

impl Runtime {
    /// The lockfile's `info` for this runtime, as Pyodide writes it: `abi_version` the
    /// platform's (`2026_5`), `platform` the emscripten version (`emscripten_6_0_5`);
    /// `version` is the distribution's (kiln's).
    pub fn lock_info(&self) -> LockInfo {
        LockInfo {
            abi_version: self.abi_version.clone(),
            arch: ARCH.to_string(),
            platform: format!("emscripten_{}", self.emscripten.replace('.', "_")),
            python: self
                .python
                .map_or_else(String::new, |python| python.to_string()),
            variant: None,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The runtime of a project: its platform file (ABI version, wheel tag, emscripten
    /// version) and the Python version of its runtime recipe.
    pub fn of_project(
        abi: &crate::toolchain::Abi,
        recipes: &[crate::recipe::Recipe],
    ) -> Result<Self, RuntimeError> {
        let python = recipes
            .iter()
            .find(|recipe| recipe.build.kind == crate::recipe::BuildKind::Runtime)
            .map(|recipe| {
                recipe
                    .package
                    .version
                    .parse()
                    .map_err(|source| RuntimeError::PythonVersion {
                        recipe: recipe.path.clone(),
                        source,
                    })
            })
            .transpose()?;
        Ok(Self {
            abi_version: abi.abi_version.clone(),
            platforms: vec![abi.platform.clone()],
            python,
            emscripten: abi.emscripten.clone(),
        })
    }

    /// The runtime a lockfile was written for: how `verify` knows which tags to accept
    /// without the project that built it.
    pub fn from_lock_info(info: &LockInfo, path: PathBuf) -> Result<Self, LockfileError> {
        let python = match info.python.as_str() {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|source| LockfileError::Info { path, source })?,
            ),
        };
        Ok(Self {
            abi_version: info.abi_version.clone(),
            // PEP 783: the platform named by the ABI version.
            platforms: vec![format!("pyemscripten_{}_{}", info.abi_version, info.arch)],
            python,
            emscripten: info
                .platform
                .strip_prefix("emscripten_")
                .map(|version| version.replace('_', "."))
                .unwrap_or_default(),
        })
    }
}

/// Test wheels built in memory (shared with the end-to-end tests).
#[cfg(test)]
#[path = "../../tests/support/rawzip.rs"]
pub(crate) mod rawzip;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The runtime the unit tests lock for.
    pub(crate) fn runtime() -> Runtime {
        Runtime {
            abi_version: "2026_5".into(),
            platforms: vec!["pyemscripten_2026_5_wasm32".into()],
            python: Some("3.15.0".parse().unwrap()),
            emscripten: "6.0.5".into(),
        }
    }

    #[test]
    fn python_versions_parse_or_name_the_text() {
        assert_eq!(
            "3.13".parse::<PythonVersion>().unwrap().to_string(),
            "3.13.0"
        );
        assert_eq!(
            "3.15.0rc2".parse::<PythonVersion>().unwrap().to_string(),
            "3.15.0rc2"
        );
        for bad in [
            "",
            "3",
            "3.x",
            "3.13.5.1",
            "3..1",
            "99999.1",
            "3.15rc2",
            "3.15.0rc",
            "3.15.0dev1",
        ] {
            let error = bad.parse::<PythonVersion>().unwrap_err();
            assert_eq!(error.found, bad);
        }
    }

    #[test]
    fn lock_info_round_trips_to_the_same_accepted_platform() {
        let runtime = runtime();
        let info = runtime.lock_info();
        assert_eq!(info.platform, "emscripten_6_0_5");
        assert_eq!(info.abi_version, "2026_5");
        let back = Runtime::from_lock_info(&info, PathBuf::from("x")).unwrap();
        assert_eq!(back.platforms, runtime.platforms);
        assert_eq!(back.python, runtime.python);
        assert_eq!(back.emscripten, "6.0.5");
    }
}
