//! The cross-build environment for PEP 517 builds: how a package build, run by the root's
//! Python on x86_64, comes to see the *target* (the platform's CPython on wasm32-emscripten).
//!
//! Per build, under `<work>/cross/`:
//! ```text
//! sysconfig/_sysconfigdata__emscripten_wasm32-emscripten.py
//!     the runtime's own build-time variables, with the values a package build must not use
//!     as they are overridden: headers point at the runtime build's `include/python3.13`
//!     (its recorded /usr/local prefix does not exist on the build machine, and meson would
//!     otherwise fall back to the build Python's x86_64 pyconfig.h, silently), and the
//!     compilers are the wrapper names (`cc`, `c++`) so every call goes through kiln
//! meson-cross.ini
//!     meson's view of the target (needs_exe_wrapper, the long double format numpy would
//!     otherwise try to run a probe for, the host requirements' pkg-config folder, the build
//!     venv's `numpy-config` and `pybind11-config`)
//! ```
//! and the environment variables that make Python's `sysconfig` load that file
//! (`_PYTHON_HOST_PLATFORM`, `_PYTHON_SYSCONFIGDATA_NAME`, `PYTHONPATH`), the compilers by
//! their wrapper names, and kiln's CMake toolchain file (`CMAKE_TOOLCHAIN_FILE`, `CMAKE_ARGS`).

use std::path::{Path, PathBuf};

use crate::toolchain::Platform;

/// The target sysconfig module name (`_sysconfigdata_{abiflags}_{platform}_{multiarch}`).
pub const SYSCONFIGDATA_NAME: &str = "_sysconfigdata__emscripten_wasm32-emscripten";

/// What a package build needs to see the target.
#[derive(Debug, Clone)]
pub struct CrossEnv {
    pub dir: PathBuf,
    pub meson_cross_file: PathBuf,
    /// Variables for the build step (not for creating the venv or running pip).
    pub env: Vec<(String, String)>,
}

/// Writes the cross files into `<work>/cross` for the runtime of `platform` installed at
/// `runtime_prefix`; `cmake_toolchain` is the build's CMake toolchain file
/// ([`super::wrapper::write_cmake_toolchain`]).
pub fn prepare(
    work: &Path,
    runtime_prefix: &Path,
    platform: &Platform,
    python: &Path,
    cmake_toolchain: &Path,
) -> std::io::Result<CrossEnv> {
    let abi = &platform.abi;
    let dir = work.join("cross");
    let sysconfig_dir = dir.join("sysconfig");
    fs_err::create_dir_all(&sysconfig_dir)?;
    // The runtime is reached through a link in the work folder, not at its cache path: header
    // paths end up in outputs (`assert()` records `__FILE__`), and the cache folder's location
    // must not change a wheel (two CI shards with two cache folders build the same bytes).
    let link = dir.join("runtime");
    let _ = fs_err::remove_file(&link);
    std::os::unix::fs::symlink(runtime_prefix, &link)?;
    let runtime_prefix = link.as_path();
    let include = runtime_prefix.join(platform.python.include_dir());
    let stdlib = runtime_prefix.join(platform.python.stdlib_dir());
    let original = fs_err::read_to_string(stdlib.join(format!("{SYSCONFIGDATA_NAME}.py")))?;
    let overrides = [
        ("INCLUDEPY", include.display().to_string()),
        ("CONFINCLUDEPY", include.display().to_string()),
        ("LIBDIR", runtime_prefix.join("lib").display().to_string()),
        (
            "LIBPL",
            stdlib
                .join(platform.python.config_dir())
                .display()
                .to_string(),
        ),
        ("CC", "cc".to_string()),
        ("CXX", "c++".to_string()),
        // The wrapper makes `-shared` links side modules with the ABI's flags.
        ("LDSHARED", "cc -shared".to_string()),
        ("LDCXXSHARED", "c++ -shared".to_string()),
        ("BLDSHARED", "cc -shared".to_string()),
        ("AR", "ar".to_string()),
        ("CCSHARED", "-fPIC".to_string()),
        ("CFLAGS", abi.cflags.join(" ")),
        ("CFLAGSFORSHARED", "-fPIC".to_string()),
        ("LDFLAGS", abi.ldflags.join(" ")),
        ("OPT", "-DNDEBUG -O2".to_string()),
    ];
    let mut text = original;
    text.push_str("\n# Overrides written by kiln for cross builds (see kiln's src/build/cross.rs).\nbuild_time_vars.update({\n");
    for (key, value) in &overrides {
        text.push_str(&format!("    {key:?}: {value:?},\n"));
    }
    text.push_str("})\n");
    fs_err::write(sysconfig_dir.join(format!("{SYSCONFIGDATA_NAME}.py")), text)?;

    let meson_cross_file = dir.join("meson-cross.ini");
    let pkg_config_dir = work.join("host/lib/pkgconfig");
    fs_err::write(&meson_cross_file, meson_cross(python, &pkg_config_dir))?;

    let env = vec![
        (
            "_PYTHON_HOST_PLATFORM".to_string(),
            abi.sysconfig_platform(),
        ),
        (
            "_PYTHON_SYSCONFIGDATA_NAME".to_string(),
            SYSCONFIGDATA_NAME.to_string(),
        ),
        (
            "PYTHONPATH".to_string(),
            sysconfig_dir.display().to_string(),
        ),
        ("CC".to_string(), "cc".to_string()),
        ("CXX".to_string(), "c++".to_string()),
        ("AR".to_string(), "ar".to_string()),
        ("RANLIB".to_string(), "ranlib".to_string()),
        ("LDSHARED".to_string(), "cc -shared".to_string()),
        // kiln's toolchain file (emscripten's, with the wrapper as the compilers): CMake reads
        // the variable itself, scikit-build-core passes `CMAKE_ARGS` on.
        (
            "CMAKE_TOOLCHAIN_FILE".to_string(),
            cmake_toolchain.display().to_string(),
        ),
        (
            "CMAKE_ARGS".to_string(),
            format!("-DCMAKE_TOOLCHAIN_FILE={}", cmake_toolchain.display()),
        ),
        (
            "KILN_MESON_CROSS_FILE".to_string(),
            meson_cross_file.display().to_string(),
        ),
    ];
    Ok(CrossEnv {
        dir,
        meson_cross_file,
        env,
    })
}

/// meson's cross file. `python` is the build venv's interpreter; `pkg_config_dir` is where
/// the host requirements' `.pc` files are (`$KILN_HOST_PREFIX/lib/pkgconfig`).
///
/// meson ignores `PKG_CONFIG_PATH` for the host machine of a cross build (it sets the
/// variable from its `pkg_config_path` option), and looks for config tools (`numpy-config`,
/// `pybind11-config`) only in the cross file's `[binaries]`, never on PATH: SciPy's
/// `dependency('openblas')`, `dependency('numpy')` and `dependency('pybind11')` need these
/// entries. The config tools are the build venv's: they answer with include folders, and
/// numpy's are the target's (kiln copies the target wheel's headers over the venv's numpy).
fn meson_cross(python: &Path, pkg_config_dir: &Path) -> String {
    let venv_bin = python.parent().unwrap_or(Path::new("."));
    format!(
        "# Written by kiln: meson's view of the wasm32-emscripten target.\n\
         [binaries]\n\
         c = 'cc'\n\
         cpp = 'c++'\n\
         ar = 'ar'\n\
         ranlib = 'ranlib'\n\
         strip = 'strip'\n\
         pkg-config = 'pkg-config'\n\
         python = '{}'\n\
         numpy-config = '{}'\n\
         pybind11-config = '{}'\n\
         \n\
         [built-in options]\n\
         pkg_config_path = '{}'\n\
         \n\
         [properties]\n\
         # Only the target's .pc files, never the build machine's (python-3.15.pc among them).\n\
         pkg_config_libdir = '{}'\n\
         # Programs built for the target cannot run on the build machine.\n\
         needs_exe_wrapper = true\n\
         # numpy asks; emscripten's long double is IEEE binary128.\n\
         longdouble_format = 'IEEE_QUAD_LE'\n\
         \n\
         [host_machine]\n\
         system = 'emscripten'\n\
         cpu_family = 'wasm32'\n\
         cpu = 'wasm32'\n\
         endian = 'little'\n",
        python.display(),
        venv_bin.join("numpy-config").display(),
        venv_bin.join("pybind11-config").display(),
        pkg_config_dir.display(),
        pkg_config_dir.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meson_cross_file_names_the_venv_tools_and_the_host_pkg_config_folder() {
        let text = meson_cross(
            Path::new("/w/venv/bin/python"),
            Path::new("/w/host/lib/pkgconfig"),
        );
        assert!(text.contains("python = '/w/venv/bin/python'\n"), "{text}");
        assert!(
            text.contains("numpy-config = '/w/venv/bin/numpy-config'\n"),
            "{text}"
        );
        assert!(
            text.contains("pybind11-config = '/w/venv/bin/pybind11-config'\n"),
            "{text}"
        );
        assert!(
            text.contains("[built-in options]\npkg_config_path = '/w/host/lib/pkgconfig'\n"),
            "{text}"
        );
        assert!(
            text.contains("pkg_config_libdir = '/w/host/lib/pkgconfig'\n"),
            "{text}"
        );
    }
}
