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
    /// The ABI id (`toolchain/abi.toml` `id`), recorded as `abi_version`.
    pub abi_id: String,
    /// Wheel platform tags the runtime loads besides `any`, e.g. `emscripten_3_1_69_wasm32`.
    /// Given by the caller (today `abi.toml`'s `platform`), never assumed here.
    pub platforms: Vec<String>,
    /// `None` for a project without a runtime recipe (a folder of libraries only): then no
    /// Python tag is checked, and a wheel that needs its markers evaluated cannot be locked.
    pub python: Option<PythonVersion>,
    /// The emscripten version (`platform_release` in markers).
    pub emscripten: String,
}

/// The architecture every kiln runtime has; a wheel platform tag ends in `_{ARCH}`.
pub const ARCH: &str = "wasm32";

/// `major.minor.micro` of the runtime's Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
    pub micro: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{found}` is not a Python version (expected `3.13` or `3.13.5`)")]
pub struct ParsePythonVersionError {
    pub found: String,
}

impl std::str::FromStr for PythonVersion {
    type Err = ParsePythonVersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParsePythonVersionError {
            found: text.to_string(),
        };
        let mut parts = text.split('.').map(|part| {
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
        })
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)
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
    /// The lockfile's `info` for this runtime. `platform` is Pyodide's form, the wheel tag
    /// without `_wasm32` (`emscripten_3_1_69`); `version` is the distribution's (kiln's).
    pub fn lock_info(&self) -> LockInfo {
        let platform = self.platforms.first().map_or("", String::as_str);
        LockInfo {
            abi_version: self.abi_id.clone(),
            arch: ARCH.to_string(),
            platform: platform
                .strip_suffix(&format!("_{ARCH}"))
                .unwrap_or(platform)
                .to_string(),
            python: self
                .python
                .map_or_else(String::new, |python| python.to_string()),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The runtime of a project: its ABI file (id and platform tag), the emscripten version
    /// its toolchain pin expects, and the Python version of its runtime recipe.
    pub fn of_project(
        abi: &crate::toolchain::Abi,
        pin: &crate::toolchain::Pin,
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
            abi_id: abi.id.clone(),
            platforms: vec![abi.platform.clone()],
            python,
            emscripten: pin.expect.get("emscripten").cloned().unwrap_or_default(),
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
            abi_id: info.abi_version.clone(),
            platforms: vec![format!("{}_{}", info.platform, info.arch)],
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
            abi_id: "test-abi".into(),
            platforms: vec!["emscripten_3_1_69_wasm32".into()],
            python: Some("3.13.5".parse().unwrap()),
            emscripten: "3.1.69".into(),
        }
    }

    #[test]
    fn python_versions_parse_or_name_the_text() {
        assert_eq!(
            "3.13".parse::<PythonVersion>().unwrap().to_string(),
            "3.13.0"
        );
        for bad in ["", "3", "3.x", "3.13.5.1", "3..1", "99999.1"] {
            let error = bad.parse::<PythonVersion>().unwrap_err();
            assert_eq!(error.found, bad);
        }
    }

    #[test]
    fn lock_info_round_trips_to_the_same_accepted_platform() {
        let runtime = runtime();
        let info = runtime.lock_info();
        assert_eq!(info.platform, "emscripten_3_1_69");
        let back = Runtime::from_lock_info(&info, PathBuf::from("x")).unwrap();
        assert_eq!(back.platforms, runtime.platforms);
        assert_eq!(back.python, runtime.python);
        assert_eq!(back.emscripten, "3.1.69");
    }
}
