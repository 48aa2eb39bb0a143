//! The ABI every object in a distribution is compiled for: the platform file's
//! `[platform]`, `[flags]` and `[rust]` tables as one value.
//!
//! The runtime and every package must agree on exception handling, 64-bit integers at the
//! JS boundary, memory and stack: a side module built otherwise fails to load or traps at run
//! time. So the flags live in one file, are handed to every build script, recorded in the
//! bundle, and their text goes into every cache key.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use super::platform::PlatformError as AbiError;
use crate::hash::Sha256;

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

/// The `[flags]` table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Flags {
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
}

/// The platform as builds see it.
#[derive(Debug, Clone)]
pub struct Abi {
    /// The platform name (`pyemscripten_2026_5`), recorded in the bundle.
    pub id: String,
    /// The wheel platform tag: `pyemscripten_2026_5_wasm32`.
    pub platform: String,
    /// The lockfile's `info.abi_version` and sysconfig's `PYEMSCRIPTEN_PLATFORM_VERSION`.
    pub abi_version: String,
    /// CPython `MAJOR.MINOR`.
    pub python: super::PythonVersion,
    /// The emscripten version.
    pub emscripten: String,
    pub cflags: Vec<String>,
    pub cxxflags: Vec<String>,
    pub ldflags: Vec<String>,
    pub main_module_ldflags: Vec<String>,
    pub side_module_ldflags: Vec<String>,
    /// The `[rust]` table: how Rust code joins this ABI. `None` when the file has none, and
    /// then Rust packages cannot be built.
    pub rust: Option<RustAbi>,
    /// The file's text, for cache keys.
    pub text: String,
}

impl Abi {
    /// Reads the ABI from the platform file at `path`.
    pub fn load(path: &Path) -> Result<Self, AbiError> {
        let (file, text) = super::platform::read(path)?;
        let info = file.platform;
        let flags = file.flags;
        Ok(Abi {
            platform: format!("{}_wasm32", info.name),
            id: info.name,
            abi_version: info.abi_version,
            python: info
                .python
                .parse()
                .expect("the platform file's reader checked the version"),
            emscripten: info.emscripten,
            cflags: flags.cflags,
            cxxflags: flags.cxxflags,
            ldflags: flags.ldflags,
            main_module_ldflags: flags.main_module_ldflags,
            side_module_ldflags: flags.side_module_ldflags,
            rust: file.rust,
            text,
        })
    }

    pub fn digest(&self) -> Sha256 {
        Sha256::of_bytes(self.text.as_bytes())
    }

    /// `sysconfig.get_platform()` of the runtime: `emscripten-6.0.5-wasm32`.
    pub fn sysconfig_platform(&self) -> String {
        format!("emscripten-{}-wasm32", self.emscripten)
    }

    /// The lockfile's `info.platform`: `emscripten_6_0_5`.
    pub fn lock_platform(&self) -> String {
        format!("emscripten_{}", self.emscripten.replace('.', "_"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_abi() -> Abi {
        Abi::load(&crate::toolchain::platform::project_platform()).unwrap()
    }

    #[test]
    fn the_project_abi_names_the_platform_and_has_a_rust_table() {
        let abi = project_abi();
        assert_eq!(abi.platform, "pyemscripten_2026_5_wasm32");
        assert_eq!(abi.python.interpreter_tag(), "cp315");
        assert_eq!(abi.sysconfig_platform(), "emscripten-6.0.5-wasm32");
        assert_eq!(abi.lock_platform(), "emscripten_6_0_5");
        let rust = abi.rust.expect("[rust] table");
        assert_eq!(rust.target, "wasm32-unknown-emscripten");
        assert_eq!(rust.panic, PanicStrategy::Unwind);
    }

    #[test]
    fn an_unknown_panic_strategy_is_refused() {
        let text = "target = 't'\npanic = 'explode'\n";
        let error = toml::from_str::<RustAbi>(text).unwrap_err().to_string();
        assert!(error.contains("unknown variant `explode`"), "{error}");
    }
}
