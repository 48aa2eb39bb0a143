//! Python packages: a PEP 517 build in the cross-build environment, turned into kiln wheels.
//!
//! The build script kiln writes for a `package` recipe (left in `build.sh`, re-runnable):
//! 1. creates a venv of the root's Python 3.13 and installs the build requirements with pip
//!    (`[build-system] requires` from `pyproject.toml`, plus the recipe's `requirements.build`),
//!    before any cross setting is in the environment, so pip sees the build machine;
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
) -> String {
    let cross_env = &cross.env;
    let venv = work.join("venv");
    let mut requirements = pyproject_requirements(source_dir);
    requirements.extend(recipe.requirements.build.iter().cloned());
    requirements.push("build".to_string());
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
    script.push_str(&format!(
        "{}/bin/pip install --quiet --disable-pip-version-check {}\n",
        shell_quote(&venv.display().to_string()),
        quoted(&requirements)
    ));
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
