//! The platform packages are built for, as one value: the ABI every object is compiled with
//! (flags, the wheel platform tag, the Rust target: [`Abi`], from `toolchain/abi.toml`) and the
//! target's Python version (the interpreter tag `cp313`, the `python3.13` of the root, the
//! `include/python3.13` and `lib/python3.13` of the runtime).
//!
//! The builder takes it whole ([`crate::build::Builder::new`]); nothing below it names a
//! Python version. Today it is put together from `toolchain/abi.toml` and [`TARGET_PYTHON`];
//! a platform file describing all of it (issue 14) will fill the same value. The Debian suite
//! and the package pins stay with the toolchain root ([`super::Pin`]), which is installed
//! before any build starts.
//!
//! Cache keys hash the ABI file's text ([`Abi::text`]), as before this type existed; the Python
//! version is not hashed separately, since the runtime recipe (a dependency of every package)
//! carries it.

use std::fmt;

use super::Abi;

/// The CPython version of the runtime recipe (`recipes/cpython`), which every package is
/// built for.
pub const TARGET_PYTHON: PythonVersion = PythonVersion {
    major: 3,
    minor: 13,
};

/// What a build is for: see the module documentation.
#[derive(Debug, Clone)]
pub struct Platform {
    pub abi: Abi,
    pub python: PythonVersion,
}

impl Platform {
    /// The platform of `abi` and the runtime recipe's Python ([`TARGET_PYTHON`]).
    pub fn new(abi: Abi) -> Self {
        Self {
            abi,
            python: TARGET_PYTHON,
        }
    }

    /// The wheel platform tag (`emscripten_3_1_69_wasm32`), as the runtime's
    /// `sysconfig.get_platform()` reports it.
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
    /// The wheel interpreter tag, also the ABI tag of version-specific wheels: `cp313`.
    pub fn interpreter_tag(self) -> String {
        format!("cp{}{}", self.major, self.minor)
    }

    /// The interpreter's program name: `python3.13` (the root's, of the same version as the
    /// target's, for builds that need a Python on the build machine).
    pub fn executable(self) -> String {
        format!("python{self}")
    }

    /// The headers folder under a prefix: `include/python3.13`.
    pub fn include_dir(self) -> String {
        format!("include/python{self}")
    }

    /// The standard library folder under a prefix: `lib/python3.13`.
    pub fn stdlib_dir(self) -> String {
        format!("lib/python{self}")
    }

    /// The folder of the build's `Makefile` and static library inside the stdlib (`LIBPL`):
    /// `config-3.13-wasm32-emscripten`.
    pub fn config_dir(self) -> String {
        format!("config-{self}-wasm32-emscripten")
    }
}

/// `3.13`
impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_from_the_version() {
        let python = TARGET_PYTHON;
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
    }
}
