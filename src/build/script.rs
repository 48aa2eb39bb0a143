//! Steps 4 and 5 of a build: `build.sh`, and running it in the toolchain root.
//!
//! The script is the environment contract (`docs/recipe-format.md`: `$PREFIX`, `$SRC_DIR`,
//! the ABI's flags…) as `export` lines, `cd` into the source, then a body that depends on the
//! recipe's kind: for a package, the cross environment, the compiler wrappers and the PEP 517
//! build ([`super::package`], [`super::cross`]); for a library, the wrappers' environment and
//! kiln's CMake toolchain file (a shared library also gets the wrappers first on PATH), then
//! the recipe's script; for the runtime, the recipe's script as it is. The exact file is
//! left in the work folder, re-runnable by hand.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::work::WorkDir;
use super::{BuildError, Builder, cross, host, io_error, package, rust, wrapper};
use crate::cache::Artifact;
use crate::recipe::{BuildKind, Recipe};
use crate::run::{self, RunError};

/// A written `build.sh`, and the Rust build it set up (if the package has one).
pub(super) struct Script<'a> {
    pub path: PathBuf,
    pub rust: Option<rust::RustBuild<'a>>,
}

impl<'a> Builder<'a> {
    /// Step 4: writes `build.sh` for `recipe`, built from `source_dir` into `prefix` against
    /// the host dependencies `host` (libraries merged into `host_prefix`).
    pub(super) fn write_script(
        &self,
        recipe: &Recipe,
        work: &WorkDir,
        source_dir: &Path,
        prefix: &Path,
        host_prefix: &Path,
        host: &[&Artifact],
    ) -> Result<Script<'a>, BuildError> {
        let name = &recipe.package.name;
        let io = |action, path: &Path| io_error(name, action, path);
        let env = self.script_env(recipe, source_dir, prefix, host_prefix);
        let script_path = work.script();
        let mut rust_build = None;
        let body = match recipe.build.kind {
            BuildKind::Package => {
                let runtime = host::runtime(host)
                    .ok_or_else(|| BuildError::NoRuntime { name: name.clone() })?;
                let targets = host::target_packages(recipe, host);
                package::gather_target_headers(&work.dir, &targets)
                    .map_err(io("cannot gather host packages' headers into", &work.dir))?;
                let requirements = package::build_requirements(recipe, source_dir, &targets);
                self.prepare_build_requirements(name, &requirements, &work.dir, &work.log)?;
                rust_build = self.rust_build(recipe, source_dir, &work.dir, &work.log)?;
                self.package_script(
                    recipe,
                    source_dir,
                    &work.dir,
                    &runtime.prefix(),
                    &targets,
                    rust_build.as_ref(),
                )
                .map_err(io(
                    "cannot prepare the cross-build environment in",
                    &work.dir,
                ))?
            }
            BuildKind::SharedLibrary | BuildKind::StaticLibrary => self
                .library_script(recipe, &work.dir, host_prefix, &work.log)
                .map_err(io("cannot install the compiler wrappers in", &work.dir))?,
            BuildKind::Runtime => recipe.build.script.clone().unwrap_or_default(),
        };
        let script = render_script(&env, source_dir, &body);
        fs_err::write(&script_path, script).map_err(io("cannot write", &script_path))?;
        Ok(Script {
            path: script_path,
            rust: rust_build,
        })
    }

    /// Step 5: runs a written build script with bash inside the root, from `dir`, its output into
    /// `log`; a failure names `name`, the log and its last lines.
    pub(super) fn run_script(
        &self,
        name: &str,
        script: &Path,
        dir: &Path,
        log: &Path,
    ) -> Result<(), BuildError> {
        let argv = [OsString::from("bash"), script.as_os_str().to_owned()];
        match run::run_logged(&mut self.toolchain.command(&argv, dir, &[]), log) {
            Ok(()) => Ok(()),
            Err(RunError::Failed { tail, .. }) => Err(BuildError::Script {
                name: name.to_string(),
                log: log.to_path_buf(),
                tail,
            }),
            Err(source) => Err(BuildError::Run {
                name: name.to_string(),
                source,
            }),
        }
    }

    /// The build-script contract (documented in `docs/recipe-format.md`).
    pub(super) fn script_env(
        &self,
        recipe: &Recipe,
        source_dir: &Path,
        prefix: &Path,
        host_prefix: &Path,
    ) -> Vec<(String, String)> {
        let path = |path: &Path| path.display().to_string();
        // The host prefix's headers and libraries are found without the recipe saying so, as
        // pyodide-build does: `-I`/`-L` after the ABI's flags, before the recipe's own. Not for
        // the runtime, whose flags CPython records in its sysconfig for every package after it.
        let (include, lib) = if recipe.build.kind == BuildKind::Runtime {
            (Vec::new(), Vec::new())
        } else {
            (
                vec![format!("-I{}", path(&host_prefix.join("include")))],
                vec![format!("-L{}", path(&host_prefix.join("lib")))],
            )
        };
        let join = |abi: &[String], searched: &[String], own: &[String]| {
            abi.iter()
                .chain(searched)
                .chain(own)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let abi = &self.platform.abi;
        vec![
            ("SRC_DIR".into(), path(source_dir)),
            ("PREFIX".into(), path(prefix)),
            ("KILN_HOST_PREFIX".into(), path(host_prefix)),
            ("KILN_JOBS".into(), self.jobs.to_string()),
            ("PKG_NAME".into(), recipe.package.name.clone()),
            ("PKG_VERSION".into(), recipe.package.version.clone()),
            (
                "SOURCE_DATE_EPOCH".into(),
                self.settings.source_date_epoch.to_string(),
            ),
            // The work folder sits inside the user's project, usually a git checkout: without a
            // ceiling, `git describe` in a build (meson's `vcs_tag`, setuptools-scm) finds the
            // project's repository and writes its commit into the package (SciPy's HiGHS
            // printed kiln's own commit hash, so every kiln commit changed SciPy's wheel).
            (
                "GIT_CEILING_DIRECTORIES".into(),
                path(source_dir.parent().unwrap_or(source_dir)),
            ),
            (
                "CFLAGS".into(),
                join(&abi.cflags, &include, &recipe.build.cflags),
            ),
            (
                "CXXFLAGS".into(),
                join(&abi.cxxflags, &include, &recipe.build.cxxflags),
            ),
            (
                "LDFLAGS".into(),
                join(&abi.ldflags, &lib, &recipe.build.ldflags),
            ),
            (
                "KILN_MAIN_MODULE_LDFLAGS".into(),
                abi.main_module_ldflags.join(" "),
            ),
            (
                "KILN_SIDE_MODULE_LDFLAGS".into(),
                abi.side_module_ldflags.join(" "),
            ),
            ("KILN_PLATFORM".into(), abi.platform.clone()),
            ("KILN_ABI_ID".into(), abi.id.clone()),
            ("KILN_ABI_VERSION".into(), abi.abi_version.clone()),
            (
                "KILN_PYTHON_VERSION".into(),
                self.platform.python.to_string(),
            ),
            ("KILN_EMSCRIPTEN_VERSION".into(), abi.emscripten.clone()),
            (
                "KILN_BUILD_PYTHON".into(),
                self.platform.python.executable(),
            ),
            (
                "PKG_CONFIG_PATH".into(),
                path(&host_prefix.join("lib/pkgconfig")),
            ),
            // Only the target's `.pc` files: pkg-config's default folders are the build
            // machine's (the root's python3.15-dev installs `python-3.15.pc`, whose headers
            // meson would take for the target's Python, silently).
            (
                "PKG_CONFIG_LIBDIR".into(),
                format!(
                    "{}:{}",
                    path(&host_prefix.join("lib/pkgconfig")),
                    path(&host_prefix.join("share/pkgconfig"))
                ),
            ),
        ]
    }

    /// The script body of a package build: venv, cross environment, wrappers, PEP 517 build.
    fn package_script(
        &self,
        recipe: &Recipe,
        source_dir: &Path,
        work: &Path,
        runtime_prefix: &Path,
        targets: &[package::TargetPackage],
        rust: Option<&rust::RustBuild>,
    ) -> std::io::Result<String> {
        let log = work.join("build.log");
        // Where step 3 merged the host libraries (`host::merge_host_prefixes`).
        let host_prefix = work.join("host");
        let venv_python = work.join("venv/bin/python");
        let wrapper_dir = work.join("wrappers");
        wrapper::install_wrappers(&wrapper_dir, &self.kiln_exe_in_reach()?)?;
        let python = wrapper::CmakePython {
            prefix: runtime_prefix.to_path_buf(),
            version: self.platform.python.to_string(),
            include: runtime_prefix.join(self.platform.python.include_dir()),
            soabi: self.platform.python.soabi(),
        };
        let cmake_toolchain =
            wrapper::write_cmake_toolchain(&work.join("cmake"), &wrapper_dir, Some(&python))?;
        let mut cross = cross::prepare(
            work,
            runtime_prefix,
            self.platform,
            &venv_python,
            &cmake_toolchain,
        )?;
        cross.env.extend(
            wrapper::wrapper_env(
                &wrapper_dir,
                &log,
                &self.platform.abi,
                Some(&host_prefix),
                "",
                &self.prefix_maps(),
            )
            .into_iter()
            .filter(|(key, _)| key != "PATH"),
        );
        if let Some(rust) = rust {
            cross.env.extend(rust.env()?);
        }
        Ok(package::script_body(
            recipe,
            source_dir,
            work,
            &wrapper_dir,
            &cross,
            targets,
            rust.map(|rust| rust.fetch_lines()).as_deref(),
        ))
    }

    /// The script body of a library build: the compiler wrappers' environment and kiln's
    /// CMake toolchain file (`CMAKE_TOOLCHAIN_FILE`, which CMake reads by itself: a plain
    /// `cmake -S . -B build` compiles through the wrapper), then the recipe's script.
    ///
    /// A shared library also gets the wrappers first on PATH, so `CC=cc` links go through
    /// kiln's checks as a package's do. A static library does not: static library recipes
    /// (sqlite's) compile generator tools for the build machine with `gcc` by name, and
    /// their `emconfigure` builds name `emcc` anyway. Scripts calling `emcc` directly, or
    /// `emcmake` (which passes emscripten's own toolchain file), are unaffected.
    fn library_script(
        &self,
        recipe: &Recipe,
        work: &Path,
        host_prefix: &Path,
        log: &Path,
    ) -> std::io::Result<String> {
        let wrapper_dir = work.join("wrappers");
        wrapper::install_wrappers(&wrapper_dir, &self.kiln_exe_in_reach()?)?;
        let cmake_toolchain =
            wrapper::write_cmake_toolchain(&work.join("cmake"), &wrapper_dir, None)?;
        let on_path = recipe.build.kind == BuildKind::SharedLibrary;
        let mut body =
            String::from("# the compiler wrappers (`cc`, `c++`, `ar`… for emscripten)\n");
        let env = wrapper::wrapper_env(
            &wrapper_dir,
            log,
            &self.platform.abi,
            Some(host_prefix),
            "",
            &self.prefix_maps(),
        );
        for (key, value) in env {
            if key == "PATH" {
                if on_path {
                    body.push_str(&format!(
                        "export PATH={}:\"$PATH\"\n",
                        run::shell_quote(&value)
                    ));
                }
            } else {
                body.push_str(&format!("export {key}={}\n", run::shell_quote(&value)));
            }
        }
        body.push_str(&format!(
            "export CMAKE_TOOLCHAIN_FILE={}\n",
            run::shell_quote(&cmake_toolchain.display().to_string())
        ));
        body.push_str(recipe.build.script.as_deref().unwrap_or_default());
        Ok(body)
    }

    /// The kiln binary at a path the toolchain root can see (the compiler wrappers are links
    /// to it): a hard link (or copy) in the build folder, renewed when the binary changes.
    /// Never the binary itself: a `cargo build` replacing it mid-build would leave dangling
    /// wrapper links, and the build would silently find the host's `cc` next on PATH.
    fn kiln_exe_in_reach(&self) -> std::io::Result<PathBuf> {
        let mut exe = std::env::current_exe()?;
        if !exe.is_file() {
            // Replaced on disk while running (a rebuild): the kernel still has our image.
            exe = PathBuf::from("/proc/self/exe");
        }
        let metadata = fs_err::metadata(&exe)?;
        let stamp = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |time| time.as_nanos());
        let bin = self.settings.build_dir().join(".bin");
        let copy = bin.join(format!("kiln-{}-{stamp}", metadata.len()));
        if !copy.is_file() {
            fs_err::create_dir_all(&bin)?;
            let temporary = bin.join(format!(".kiln-{}.tmp", std::process::id()));
            let _ = fs_err::remove_file(&temporary);
            if std::fs::hard_link(&exe, &temporary).is_err() {
                fs_err::copy(&exe, &temporary)?;
            }
            fs_err::rename(&temporary, &copy)?;
        }
        Ok(copy)
    }
}

/// The script kiln runs: the environment as `export` lines, then the recipe's own lines.
pub(super) fn render_script(env: &[(String, String)], source_dir: &Path, body: &str) -> String {
    let mut script = String::from(
        "#!/bin/bash\n# Written by kiln. Re-run inside the root: kiln toolchain run -- bash THIS_FILE\nset -euo pipefail\n",
    );
    for (key, value) in env {
        script.push_str(&format!("export {key}={}\n", run::shell_quote(value)));
    }
    script.push_str(&format!(
        "cd {}\n",
        run::shell_quote(&source_dir.display().to_string())
    ));
    script.push_str(body);
    if !body.ends_with('\n') {
        script.push('\n');
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_exports_the_environment_quoted() {
        let env = vec![("CFLAGS".to_string(), "-O2 -fPIC".to_string())];
        let script = render_script(&env, Path::new("/w/src"), "make");
        assert!(script.contains("set -euo pipefail\n"));
        assert!(script.contains("export CFLAGS='-O2 -fPIC'\n"));
        assert!(script.ends_with("cd /w/src\nmake\n"));
    }
}
