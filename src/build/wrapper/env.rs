//! The wrapper's environment: its only configuration. The wrapper is its own entry point, a
//! fresh process per compiler call with no settings file behind it, so a build passes it
//! everything in variables ([`super::wrapper_env`] writes them, [`WrapperEnv::from_env`] reads
//! them):
//!
//! ```text
//! KILN_WRAPPER_DIR                  the wrapper folder: left out of PATH for the real tool
//! KILN_WRAPPER_LOG                  file (absolute) the two log lines per call are appended to
//! KILN_WRAPPER_CFLAGS               ABI flags for every C compile (toolchain/abi.toml `cflags`)
//! KILN_WRAPPER_CXXFLAGS             ABI flags for every C++ compile (`cxxflags`)
//! KILN_WRAPPER_LDFLAGS              ABI flags for every link (`ldflags`)
//! KILN_WRAPPER_SIDE_MODULE_LDFLAGS  added when linking a shared object (`side-module-ldflags`)
//! KILN_WRAPPER_HOST_PREFIX          the merged host prefix: `-I…/include` after a compile's
//!                                   own flags, `-L…/lib` after a link's
//! KILN_WRAPPER_PREFIX_MAP           `OLD=NEW` lines: `-ffile-prefix-map=OLD=NEW` on every
//!                                   compile, so no build folder's path reaches an object
//! ```
//! Flags are separated by whitespace, without quoting (ABI flags contain no spaces). The
//! wrapper adds the ABI itself rather than trusting `CFLAGS`/`LDFLAGS`, because build systems
//! drop or reorder those (meson ignores `CFLAGS` for the host machine of a cross build), and an
//! object built for another ABI links fine and fails only when imported.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::rewrite::setting_name;

/// Environment variable naming the wrapper folder (left out of PATH for the real tool).
pub const WRAPPER_DIR_VAR: &str = "KILN_WRAPPER_DIR";
/// Environment variable naming the log every call is appended to.
pub const WRAPPER_LOG_VAR: &str = "KILN_WRAPPER_LOG";
pub const WRAPPER_CFLAGS_VAR: &str = "KILN_WRAPPER_CFLAGS";
pub const WRAPPER_CXXFLAGS_VAR: &str = "KILN_WRAPPER_CXXFLAGS";
pub const WRAPPER_LDFLAGS_VAR: &str = "KILN_WRAPPER_LDFLAGS";
pub const WRAPPER_SIDE_MODULE_LDFLAGS_VAR: &str = "KILN_WRAPPER_SIDE_MODULE_LDFLAGS";
pub const WRAPPER_HOST_PREFIX_VAR: &str = "KILN_WRAPPER_HOST_PREFIX";
pub const WRAPPER_PREFIX_MAP_VAR: &str = "KILN_WRAPPER_PREFIX_MAP";

/// The variables the wrapper reads, with what each does (for kiln's documented list).
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        WRAPPER_DIR_VAR,
        "compiler wrapper: its folder, left out of PATH when it runs the real tool",
    ),
    (
        WRAPPER_LOG_VAR,
        "compiler wrapper: log file each call's original and rewritten command is appended to",
    ),
    (
        WRAPPER_CFLAGS_VAR,
        "compiler wrapper: ABI flags added to every C compile",
    ),
    (
        WRAPPER_CXXFLAGS_VAR,
        "compiler wrapper: ABI flags added to every C++ compile",
    ),
    (
        WRAPPER_LDFLAGS_VAR,
        "compiler wrapper: ABI flags added to every link",
    ),
    (
        WRAPPER_SIDE_MODULE_LDFLAGS_VAR,
        "compiler wrapper: flags added when linking a shared object (side module)",
    ),
    (
        WRAPPER_HOST_PREFIX_VAR,
        "compiler wrapper: the build's host prefix (`KILN_HOST_PREFIX`); its `include` and `lib` are searched after the call's own folders",
    ),
    (
        WRAPPER_PREFIX_MAP_VAR,
        "compiler wrapper: `OLD=NEW` lines, each added to every compile as `-ffile-prefix-map=OLD=NEW` (the project, cache and build folders become fixed names, so `__FILE__` and debug paths do not depend on where kiln runs)",
    ),
];

/// The ABI flags the wrapper adds, as read from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrapperEnv {
    pub cflags: Vec<OsString>,
    pub cxxflags: Vec<OsString>,
    pub ldflags: Vec<OsString>,
    pub side_module_ldflags: Vec<OsString>,
    /// The merged prefix of the host requirements: searched for headers and libraries after
    /// the folders a call names itself, so a package finds `zlib.h` without being told.
    pub host_prefix: Option<OsString>,
    /// `OLD=NEW` pairs for `-ffile-prefix-map`: the same sources built in another folder
    /// give the same bytes (assertions embed `__FILE__`, headers included).
    pub prefix_maps: Vec<OsString>,
}

impl WrapperEnv {
    /// Reads the `KILN_WRAPPER_*FLAGS` variables (missing ones are empty).
    ///
    /// The wrapper is its own entry point, a fresh process per compiler call with no
    /// [`crate::config::Settings`] behind it: the environment is its only configuration.
    pub fn from_env() -> Self {
        let flags = |name: &str| split_flags(&std::env::var_os(name).unwrap_or_default());
        Self {
            cflags: flags(WRAPPER_CFLAGS_VAR),
            cxxflags: flags(WRAPPER_CXXFLAGS_VAR),
            ldflags: flags(WRAPPER_LDFLAGS_VAR),
            side_module_ldflags: flags(WRAPPER_SIDE_MODULE_LDFLAGS_VAR),
            host_prefix: std::env::var_os(WRAPPER_HOST_PREFIX_VAR).filter(|dir| !dir.is_empty()),
            prefix_maps: std::env::var_os(WRAPPER_PREFIX_MAP_VAR)
                .unwrap_or_default()
                .as_bytes()
                .split(|&byte| byte == b'\n')
                .filter(|line| !line.is_empty())
                .map(|line| OsStr::from_bytes(line).to_os_string())
                .collect(),
        }
    }

    /// Whether the ABI uses native wasm exception handling (`-fwasm-exceptions`).
    pub(super) fn wasm_exceptions(&self) -> bool {
        self.cflags
            .iter()
            .chain(&self.cxxflags)
            .chain(&self.ldflags)
            .any(|flag| flag == "-fwasm-exceptions")
    }

    /// The emscripten settings the ABI sets, by name (`-sWASM_BIGINT` → `WASM_BIGINT`).
    /// Side-module flags are not among them: a package may choose its SIDE_MODULE mode.
    pub(super) fn settings(&self) -> Vec<(String, OsString)> {
        self.cflags
            .iter()
            .chain(&self.cxxflags)
            .chain(&self.ldflags)
            .filter_map(|flag| {
                let name = setting_name(flag.to_str()?.strip_prefix("-s")?)?;
                Some((name.to_string(), flag.clone()))
            })
            .collect()
    }
}

pub(super) fn split_flags(text: &OsStr) -> Vec<OsString> {
    text.as_bytes()
        .split(|byte| byte.is_ascii_whitespace())
        .filter(|flag| !flag.is_empty())
        .map(|flag| OsStr::from_bytes(flag).to_os_string())
        .collect()
}
