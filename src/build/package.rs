//! Python packages: a PEP 517 build in the cross-build environment, turned into kiln wheels.
//!
//! The build script kiln writes for a `package` recipe (left in `build.sh`, re-runnable):
//! 1. creates a venv of the root's Python and installs the build requirements with pip
//!    (`[build-system] requires` from `pyproject.toml`, what the backend's
//!    `get_requires_for_build_wheel` adds, and the recipe's `requirements.build`),
//!    before any cross setting is in the environment, so pip sees the build machine; they were
//!    resolved to exact files with hashes beforehand ([`super::requirements`]), so pip installs
//!    from a local wheelhouse and never asks the index;
//! 2. exports the cross environment ([`super::cross`]) and puts the compiler wrappers first on
//!    PATH;
//! 3. runs the recipe's own `script`, if any (patch-ups, environment);
//! 4. runs `python -m build --wheel --no-isolation` with the recipe's `backend-flags` as
//!    `-C` config settings (and meson's cross file for meson-python).
//!
//! kiln then repairs the wheel (tags, RECORD, stripped `.so`, unvendored tests) and checks
//! every side module's imports against the runtime's exports.

use std::path::Path;

use super::cross::CrossEnv;
use crate::recipe::Recipe;
use crate::run::shell_quote;

/// Where kiln gathers the `include` folders of host packages' target wheels.
pub const TARGET_INCLUDE_DIR: &str = "target-include";

/// A package built for the target that this build compiles against (a host requirement).
#[derive(Debug, Clone)]
pub struct TargetPackage {
    pub name: String,
    pub version: String,
    /// Its wheels (kiln's repaired ones).
    pub wheels: Vec<std::path::PathBuf>,
}

/// Extracts every file under an `include/` folder of the packages' wheels into
/// `<work>/target-include`, keeping their paths (`numpy/_core/include/numpy/…`).
pub fn gather_target_headers(work: &Path, packages: &[TargetPackage]) -> std::io::Result<()> {
    use std::io::Read;
    let root = work.join(TARGET_INCLUDE_DIR);
    fs_err::create_dir_all(&root)?;
    for wheel in packages.iter().flat_map(|package| &package.wheels) {
        let mut archive =
            zip::ZipArchive::new(fs_err::File::open(wheel)?).map_err(std::io::Error::other)?;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(std::io::Error::other)?;
            let Some(path) = entry.enclosed_name() else {
                continue;
            };
            if entry.is_dir() || !path.components().any(|part| part.as_os_str() == "include") {
                continue;
            }
            let target = root.join(&path);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            fs_err::write(target, bytes)?;
        }
    }
    Ok(())
}

/// The wheel the PEP 517 backend writes lands in `<work>/raw-wheel`.
pub const RAW_WHEEL_DIR: &str = "raw-wheel";

/// Build requirements from `pyproject.toml`'s `[build-system] requires` (empty when absent:
/// setuptools' legacy default is added then, as pip does).
pub fn pyproject_requirements(source_dir: &Path) -> Vec<String> {
    let Ok(text) = fs_err::read_to_string(source_dir.join("pyproject.toml")) else {
        return vec!["setuptools>=40.8.0".to_string(), "wheel".to_string()];
    };
    let Ok(document) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let requires = document
        .get("build-system")
        .and_then(|table| table.get("requires"))
        .and_then(|value| value.as_array());
    match requires {
        Some(list) => list
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        None => vec!["setuptools>=40.8.0".to_string(), "wheel".to_string()],
    }
}

/// What a package's build venv needs, as asked of [`super::requirements`]: the static lines
/// (`[build-system] requires`, the recipe's `requirements.build`, its host packages at their
/// target versions, numpy for a package using its C API, so the build can import it; the
/// headers are the target's, see [`gather_target_headers`]; and `build`, the PEP 517 front end),
/// and what it takes to ask the project's backend for the rest (its source folder and the
/// recipe's `backend-flags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequirements {
    pub lines: Vec<String>,
    pub source_dir: std::path::PathBuf,
    /// `KEY=VALUE` config settings, as the build passes them with `-C`.
    pub config_settings: Vec<String>,
}

/// The build requirements of `recipe`, whose source is unpacked at `source_dir`.
pub fn build_requirements(
    recipe: &Recipe,
    source_dir: &Path,
    target_packages: &[TargetPackage],
) -> BuildRequirements {
    let mut lines = pyproject_requirements(source_dir);
    lines.extend(recipe.requirements.build.iter().cloned());
    lines.extend(
        target_packages
            .iter()
            .map(|package| format!("{}=={}", package.name, package.version)),
    );
    lines.push("build".to_string());
    BuildRequirements {
        lines,
        source_dir: source_dir.to_path_buf(),
        config_settings: recipe.build.backend_flags.clone(),
    }
}

/// True when the project builds with meson-python (it gets `--cross-file`).
pub fn uses_meson(source_dir: &Path) -> bool {
    fs_err::read_to_string(source_dir.join("pyproject.toml"))
        .is_ok_and(|text| text.contains("mesonpy"))
}

/// The body of a package's build script (after kiln's `export` lines and `cd`).
pub fn script_body(
    recipe: &Recipe,
    source_dir: &Path,
    work: &Path,
    wrapper_dir: &Path,
    cross: &CrossEnv,
    target_packages: &[TargetPackage],
    rust_fetch: Option<&str>,
) -> String {
    let cross_env = &cross.env;
    let venv = work.join("venv");
    let quoted = |items: &[String]| {
        items
            .iter()
            .map(|item| shell_quote(item))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut script = String::new();
    script.push_str("# 1. the build venv (pip sees the build machine here)\n");
    script.push_str(&format!(
        "\"$KILN_BUILD_PYTHON\" -m venv {}\n",
        shell_quote(&venv.display().to_string())
    ));
    script.push_str(&super::requirements::install_line(&venv, work));
    if !target_packages.is_empty() {
        // ...but their headers are the target's: `_numpyconfig.h` and friends record type
        // sizes, and wasm32's `long` is 4 bytes where the build machine's is 8.
        script.push_str("# headers of host packages come from their target builds\n");
        script.push_str(&format!(
            "site=$({}/bin/python -c 'import sysconfig; print(sysconfig.get_path(\"platlib\"))')\n",
            shell_quote(&venv.display().to_string())
        ));
        script.push_str(&format!(
            "cp -a {}/. \"$site\"/\n",
            shell_quote(&work.join(TARGET_INCLUDE_DIR).display().to_string())
        ));
    }
    if let Some(fetch) = rust_fetch {
        script.push_str(fetch);
    }
    script.push_str("\n# 2. the cross-build environment\n");
    for (key, value) in cross_env {
        script.push_str(&format!("export {key}={}\n", shell_quote(value)));
    }
    script.push_str(&format!(
        "export PATH={}:{}/bin:\"$PATH\"\n",
        shell_quote(&wrapper_dir.display().to_string()),
        shell_quote(&venv.display().to_string())
    ));
    if let Some(own) = &recipe.build.script {
        script.push_str("\n# 3. the recipe's script\n");
        script.push_str(own);
        if !own.ends_with('\n') {
            script.push('\n');
        }
    }
    let mut settings: Vec<String> = recipe
        .build
        .backend_flags
        .iter()
        .map(|flag| format!("-C{flag}"))
        .collect();
    if uses_meson(source_dir) {
        settings.push(format!(
            "-Csetup-args=--cross-file={}",
            cross.meson_cross_file.display()
        ));
    }
    script.push_str("\n# 4. the PEP 517 build\n");
    script.push_str(&format!(
        "python -m build --wheel --no-isolation --skip-dependency-check --outdir {} {} .\n",
        shell_quote(&work.join(RAW_WHEEL_DIR).display().to_string()),
        quoted(&settings)
    ));
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_build_system_requires() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("pyproject.toml"), "[build-system]\nrequires = [\"meson-python>=0.15\", \"Cython\"]\nbuild-backend = \"mesonpy\"\n").unwrap();
        assert_eq!(
            pyproject_requirements(dir.path()),
            ["meson-python>=0.15", "Cython"]
        );
        assert!(uses_meson(dir.path()));
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            pyproject_requirements(empty.path()),
            ["setuptools>=40.8.0", "wheel"]
        );
    }
}
