//! The wrapper folder of a build: one symlink per tool name, each to the kiln binary
//! ([`install_wrappers`]), and the environment that puts it first on PATH and hands the
//! wrapper the ABI's flags ([`wrapper_env`]).

use std::io;
use std::path::{Path, PathBuf};

use super::env::{
    WRAPPER_CFLAGS_VAR, WRAPPER_CXXFLAGS_VAR, WRAPPER_DIR_VAR, WRAPPER_HOST_PREFIX_VAR,
    WRAPPER_LDFLAGS_VAR, WRAPPER_LOG_VAR, WRAPPER_PREFIX_MAP_VAR, WRAPPER_SIDE_MODULE_LDFLAGS_VAR,
};
use super::tool::wrapper_names;
use crate::toolchain::Abi;

/// Creates the wrapper folder `dir`: one symlink per name in [`wrapper_names`], each to
/// `kiln_exe`. Idempotent, and each link is replaced atomically (made beside, then renamed),
/// so a build running from the folder never finds a tool missing.
///
/// `kiln_exe` must be reachable at the same path inside the toolchain root (the project and
/// kiln's cache are; `~/.cargo/bin` is not).
pub fn install_wrappers(dir: &Path, kiln_exe: &Path) -> io::Result<()> {
    let kiln_exe = std::path::absolute(kiln_exe)?;
    fs_err::create_dir_all(dir)?;
    for name in wrapper_names() {
        let link = dir.join(&name);
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = fs_err::remove_file(&temporary);
        fs_err::os::unix::fs::symlink(&kiln_exe, &temporary)?;
        fs_err::rename(&temporary, &link)?;
    }
    Ok(())
}

/// The environment a build needs for the wrapper in `dir` to be used, logging to `log`, with
/// `abi`'s flags and the host prefix `host_prefix` searched after each call's own folders:
/// `PATH` (= `dir` then `inherited_path`) and the variables in [`super::ENV_VARS`].
/// `prefix_maps` are the folders whose paths compiles replace by fixed names.
pub fn wrapper_env(
    dir: &Path,
    log: &Path,
    abi: &Abi,
    host_prefix: Option<&Path>,
    inherited_path: &str,
    prefix_maps: &[(PathBuf, &str)],
) -> Vec<(String, String)> {
    let path = if inherited_path.is_empty() {
        dir.display().to_string()
    } else {
        format!("{}:{inherited_path}", dir.display())
    };
    vec![
        ("PATH".to_string(), path),
        (WRAPPER_DIR_VAR.to_string(), dir.display().to_string()),
        (WRAPPER_LOG_VAR.to_string(), log.display().to_string()),
        (WRAPPER_CFLAGS_VAR.to_string(), abi.cflags.join(" ")),
        (WRAPPER_CXXFLAGS_VAR.to_string(), abi.cxxflags.join(" ")),
        (WRAPPER_LDFLAGS_VAR.to_string(), abi.ldflags.join(" ")),
        (
            WRAPPER_SIDE_MODULE_LDFLAGS_VAR.to_string(),
            abi.side_module_ldflags.join(" "),
        ),
        (
            WRAPPER_HOST_PREFIX_VAR.to_string(),
            host_prefix.map_or_else(String::new, |dir| dir.display().to_string()),
        ),
        (
            WRAPPER_PREFIX_MAP_VAR.to_string(),
            prefix_maps
                .iter()
                .map(|(old, new)| format!("{}={new}\n", old.display()))
                .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::build::wrapper::ENV_VARS;

    #[test]
    fn install_creates_links_idempotently_and_env_names_them() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("bin");
        let exe = root.path().join("kiln");
        fs_err::write(&exe, "").unwrap();
        install_wrappers(&dir, &exe).unwrap();
        install_wrappers(&dir, &exe).unwrap();
        let mut entries: Vec<String> = fs_err::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        entries.sort();
        let mut expected = wrapper_names();
        expected.sort();
        assert_eq!(entries, expected);
        assert_eq!(fs_err::read_link(dir.join("cc")).unwrap(), exe);

        let abi = Abi {
            id: "test".into(),
            platform: "pyemscripten_2026_5_wasm32".into(),
            abi_version: "2026_5".into(),
            python: "3.15".parse().unwrap(),
            emscripten: "6.0.5".into(),
            cflags: vec!["-fPIC".into(), "-fwasm-exceptions".into()],
            cxxflags: vec!["-fPIC".into()],
            ldflags: vec!["-sWASM_BIGINT".into()],
            main_module_ldflags: vec!["-sMAIN_MODULE=1".into()],
            side_module_ldflags: vec!["-sSIDE_MODULE=1".into()],
            rust: None,
            text: String::new(),
        };
        let maps = [(PathBuf::from("/home/me/project"), "/kiln/project")];
        let env = wrapper_env(
            &dir,
            Path::new("/w/build.log"),
            &abi,
            None,
            "/usr/bin:/bin",
            &maps,
        );
        let get = |key: &str| {
            env.iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            get("PATH"),
            Some(format!("{}:/usr/bin:/bin", dir.display()).as_str())
        );
        assert_eq!(get(WRAPPER_DIR_VAR), Some(dir.to_str().unwrap()));
        assert_eq!(get(WRAPPER_LOG_VAR), Some("/w/build.log"));
        assert_eq!(get(WRAPPER_CFLAGS_VAR), Some("-fPIC -fwasm-exceptions"));
        assert_eq!(get(WRAPPER_LDFLAGS_VAR), Some("-sWASM_BIGINT"));
        assert_eq!(
            get(WRAPPER_SIDE_MODULE_LDFLAGS_VAR),
            Some("-sSIDE_MODULE=1")
        );
        assert_eq!(
            get(WRAPPER_PREFIX_MAP_VAR),
            Some("/home/me/project=/kiln/project\n")
        );
        for (name, _) in ENV_VARS {
            assert!(get(name).is_some(), "{name}");
        }
    }
}
