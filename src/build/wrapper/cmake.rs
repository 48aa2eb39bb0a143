//! CMake's way to the wrapper: a toolchain file kiln writes per build ([`write_cmake_toolchain`]).
//!
//! emscripten's own toolchain file (`Emscripten.cmake`, what `emcmake` passes) sets
//! `CMAKE_C_COMPILER` to `emcc` itself: no ABI flags, no dropped host flags, no log lines, no
//! signature check. Setting the compilers to the wrapper after including it is not enough,
//! because the same file is also CMake's *platform module*: emscripten puts its folder on
//! `CMAKE_MODULE_PATH`, and CMake includes `Platform/Emscripten.cmake` again once the compilers
//! are known, which sets them back to `emcc` for every compile rule. So kiln writes two files:
//!
//! ```text
//! <dir>/toolchain.cmake                    CMAKE_TOOLCHAIN_FILE: puts <dir>/modules first on
//!                                          CMAKE_MODULE_PATH, then includes the module below
//! <dir>/modules/Platform/Emscripten.cmake  includes emscripten's file, then names the wrapper
//!                                          (cc, c++, ar, ranlib, nm) as CMake's tools
//! ```
//! Both CMake passes (the toolchain file, then the platform module) end with the wrapper, and
//! `try_compile` projects (`check_function_exists`, `check_include_file`) read the same
//! toolchain file, so their probes go through the wrapper too. emscripten's `-v` check of
//! the compiler still passes: the wrapper hands a call without inputs to `emcc` unchanged.
//!
//! The wrapper is named by absolute path, so a build does not need the wrapper folder on
//! `PATH` for CMake to use it (static library builds keep the build machine's `gcc` there for
//! their generator tools).

use std::io;
use std::path::{Path, PathBuf};

/// emscripten's toolchain file in the root (Debian's `emscripten` package).
pub const EMSCRIPTEN_CMAKE_TOOLCHAIN: &str =
    "/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake";

/// Writes the toolchain file and its platform module into `dir` for the wrapper folder
/// `wrapper_dir`, and returns the toolchain file's path (for `CMAKE_TOOLCHAIN_FILE`).
///
/// `python` is the target Python, for package builds ([`CmakePython`]).
pub fn write_cmake_toolchain(
    dir: &Path,
    wrapper_dir: &Path,
    python: Option<&CmakePython>,
) -> io::Result<PathBuf> {
    let modules = dir.join("modules");
    let platform = modules.join("Platform");
    fs_err::create_dir_all(&platform)?;
    let module = platform.join("Emscripten.cmake");
    fs_err::write(&module, platform_module(wrapper_dir))?;
    if let Some(python) = python {
        let bin = dir.join("python/bin");
        fs_err::create_dir_all(&bin)?;
        let tool = bin.join(python.config_tool_name());
        fs_err::write(&tool, python.config_tool())?;
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(&tool, std::fs::Permissions::from_mode(0o755))?;
    }
    let toolchain = dir.join("toolchain.cmake");
    fs_err::write(&toolchain, toolchain_file(dir, &modules, &module, python))?;
    Ok(toolchain)
}

/// The target Python as a package's CMake build must see it.
///
/// scikit-build-core fills `Python_INCLUDE_DIR` from the *build* Python's
/// `sysconfig.get_path("include")` (`/usr/include/python3.15`: x86_64's `pyconfig.h`, which the
/// wrapper drops anyway), and `Python_ROOT_DIR` with `/usr`. FindPython, cross compiling
/// without an emulator for the target interpreter, does not ask the build Python for the
/// extension suffix: it asks a `python3.15-config` found under `Python_ROOT_DIR`, and `/usr`'s
/// answers for x86_64 (`python_add_library(… WITH_SOABI)` named the module
/// `_x.cpython-315-x86_64-linux-gnu.so`, or `_x.so` without one). So kiln writes a config tool
/// that answers for the target (`<dir>/python/bin/wasm32-emscripten-python3.15-config`), and
/// the toolchain file, read after scikit-build-core's initial cache, points `Python_ROOT_DIR`
/// at it and sets the include folder again.
#[derive(Debug, Clone)]
pub struct CmakePython {
    /// The runtime's prefix (the cpython build).
    pub prefix: PathBuf,
    /// `3.15`
    pub version: String,
    /// The runtime's headers (`…/include/python3.15`).
    pub include: PathBuf,
    /// `cpython-315-wasm32-emscripten`.
    pub soabi: String,
}

impl CmakePython {
    /// The name FindPython tries first for a cross build's config tool.
    fn config_tool_name(&self) -> String {
        format!("wasm32-emscripten-python{}-config", self.version)
    }

    /// A `python3.15-config` answering for the target: the options FindPython and build
    /// scripts ask, with nothing to link (extensions import libpython from the interpreter).
    fn config_tool(&self) -> String {
        let prefix = shell_quoted(&self.prefix);
        let include = shell_quoted(&self.include);
        format!(
            "#!/bin/sh\n\
             # Written by kiln: python-config for the wasm32-emscripten runtime (see kiln's\n\
             # src/build/wrapper/cmake.rs).\n\
             [ $# -gt 0 ] || {{ echo \"usage: $0 --prefix|--includes|--extension-suffix|…\" >&2; exit 1; }}\n\
             out=\n\
             for option in \"$@\"; do\n\
             \x20 case \"$option\" in\n\
             \x20   --prefix|--exec-prefix) out=\"$out \"{prefix} ;;\n\
             \x20   --includes|--cflags) out=\"$out -I\"{include} ;;\n\
             \x20   --extension-suffix) out=\"$out .{soabi}.so\" ;;\n\
             \x20   --abiflags|--ldflags|--libs|--embed) ;;\n\
             \x20   --configdir) out=\"$out \"{prefix}/lib/python{version}/config-{version}-wasm32-emscripten ;;\n\
             \x20   *) echo \"$0: unknown option $option\" >&2; exit 1 ;;\n\
             \x20 esac\n\
             done\n\
             echo $out\n",
            soabi = self.soabi,
            version = self.version,
        )
    }
}

/// A path in single quotes for sh.
fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// CMake quotes: `"…"` with `\` and `"` escaped (`$` too, so no variable is expanded).
fn quoted(path: &Path) -> String {
    let mut text = String::from('"');
    for c in path.display().to_string().chars() {
        if matches!(c, '\\' | '"' | '$') {
            text.push('\\');
        }
        text.push(c);
    }
    text.push('"');
    text
}

fn toolchain_file(
    dir: &Path,
    modules: &Path,
    module: &Path,
    python: Option<&CmakePython>,
) -> String {
    let mut text = format!(
        "# Written by kiln: CMake builds for wasm32-emscripten through kiln's compiler wrapper.\n\
         # The platform module below must win over emscripten's copy of it, which CMake would\n\
         # otherwise include after compiler detection (setting the compilers back to emcc).\n\
         list(PREPEND CMAKE_MODULE_PATH {})\n\
         include({})\n\
         # The host requirements' libraries and headers (find_package, find_library, find_path\n\
         # look only under CMAKE_FIND_ROOT_PATH).\n\
         if(DEFINED ENV{{KILN_HOST_PREFIX}})\n\
         \x20 list(PREPEND CMAKE_FIND_ROOT_PATH \"$ENV{{KILN_HOST_PREFIX}}\")\n\
         endif()\n",
        quoted(modules),
        quoted(module),
    );
    if let Some(python) = python {
        text.push_str(
            "# The target Python: its headers (over the build Python's, which scikit-build-core\n\
             # names), and a root whose config tool answers for wasm32 (FindPython asks it for\n\
             # the extension suffix when cross compiling).\n",
        );
        for variable in [
            "Python_INCLUDE_DIR",
            "Python3_INCLUDE_DIR",
            "PYTHON_INCLUDE_DIR",
        ] {
            text.push_str(&format!(
                "set({variable} {} CACHE PATH \"\" FORCE)\n",
                quoted(&python.include)
            ));
        }
        for variable in ["Python_ROOT_DIR", "Python3_ROOT_DIR"] {
            text.push_str(&format!(
                "set({variable} {} CACHE PATH \"\" FORCE)\n",
                quoted(&dir.join("python"))
            ));
        }
    }
    text
}

fn platform_module(wrapper_dir: &Path) -> String {
    let tool = |name: &str| quoted(&wrapper_dir.join(name));
    let mut text = format!(
        "# Written by kiln: emscripten's platform file, with kiln's compiler wrapper as the tools.\n\
         include({})\n",
        quoted(Path::new(EMSCRIPTEN_CMAKE_TOOLCHAIN))
    );
    for (variable, name) in [
        ("CMAKE_C_COMPILER", "cc"),
        ("CMAKE_CXX_COMPILER", "c++"),
        ("CMAKE_AR", "ar"),
        ("CMAKE_RANLIB", "ranlib"),
        ("CMAKE_NM", "nm"),
        ("CMAKE_C_COMPILER_AR", "ar"),
        ("CMAKE_CXX_COMPILER_AR", "ar"),
        ("CMAKE_C_COMPILER_RANLIB", "ranlib"),
        ("CMAKE_CXX_COMPILER_RANLIB", "ranlib"),
    ] {
        text.push_str(&format!("set({variable} {})\n", tool(name)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_puts_kilns_platform_module_first_and_names_the_wrapper() {
        let dir = tempfile::tempdir().unwrap();
        let toolchain = write_cmake_toolchain(
            &dir.path().join("cmake"),
            Path::new("/w/wrappers"),
            Some(&CmakePython {
                prefix: "/rt".into(),
                version: "3.15".into(),
                include: "/rt/include/python3.15".into(),
                soabi: "cpython-315-wasm32-emscripten".into(),
            }),
        )
        .unwrap();
        let text = fs_err::read_to_string(&toolchain).unwrap();
        let modules = dir.path().join("cmake/modules");
        assert!(
            text.contains(&format!(
                "list(PREPEND CMAKE_MODULE_PATH \"{}\")\n",
                modules.display()
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "include(\"{}\")\n",
                modules.join("Platform/Emscripten.cmake").display()
            )),
            "{text}"
        );
        assert!(text.contains("  list(PREPEND CMAKE_FIND_ROOT_PATH \"$ENV{KILN_HOST_PREFIX}\")\n"));
        assert!(
            text.contains(
                "set(Python_INCLUDE_DIR \"/rt/include/python3.15\" CACHE PATH \"\" FORCE)\n"
            ),
            "{text}"
        );
        let tool = dir
            .path()
            .join("cmake/python/bin/wasm32-emscripten-python3.15-config");
        assert!(text.contains(&format!(
            "set(Python_ROOT_DIR \"{}\" CACHE PATH \"\" FORCE)\n",
            dir.path().join("cmake/python").display()
        )));
        let answer = |args: &[&str]| {
            let output = std::process::Command::new(&tool)
                .args(args)
                .output()
                .unwrap();
            assert!(output.status.success(), "{args:?}");
            String::from_utf8(output.stdout).unwrap()
        };
        assert_eq!(
            answer(&["--extension-suffix"]),
            ".cpython-315-wasm32-emscripten.so\n"
        );
        assert_eq!(
            answer(&["--prefix", "--includes"]),
            "/rt -I/rt/include/python3.15\n"
        );
        assert_eq!(answer(&["--abiflags"]), "\n");
        let library =
            write_cmake_toolchain(&dir.path().join("lib"), Path::new("/w"), None).unwrap();
        assert!(!fs_err::read_to_string(library).unwrap().contains("Python"));
        let module = fs_err::read_to_string(modules.join("Platform/Emscripten.cmake")).unwrap();
        // emscripten's file first, then the wrapper over its `emcc`.
        let include = module.find(EMSCRIPTEN_CMAKE_TOOLCHAIN).unwrap();
        let compiler = module
            .find("set(CMAKE_C_COMPILER \"/w/wrappers/cc\")\n")
            .unwrap();
        assert!(include < compiler, "{module}");
        assert!(module.contains("set(CMAKE_CXX_COMPILER \"/w/wrappers/c++\")\n"));
        assert!(module.contains("set(CMAKE_AR \"/w/wrappers/ar\")\n"));
        assert!(module.contains("set(CMAKE_RANLIB \"/w/wrappers/ranlib\")\n"));
    }

    #[test]
    fn cmake_quoting_escapes_what_cmake_would_expand() {
        assert_eq!(quoted(Path::new("/a b/c")), "\"/a b/c\"");
        assert_eq!(quoted(Path::new("/a\"$x\\")), "\"/a\\\"\\$x\\\\\"");
    }
}
