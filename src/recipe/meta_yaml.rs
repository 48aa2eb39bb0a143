//! Pyodide's recipe format, read unchanged: a recipe folder holding `meta.yaml` (as in
//! pyodide-recipes) instead of `recipe.toml` is translated into kiln's format and then
//! validated like any recipe, so a user migrating from pyodide-build points kiln at their
//! recipe folder.
//!
//! | `meta.yaml` | kiln |
//! |---|---|
//! | `package.name`, `version`, `top-level`, `tag` | `package.name`, `version`, `top-level`, `tags` |
//! | `source.url`, `sha256`, `path`, `patches`, `extras` | the same keys of `[source]` |
//! | `build.type` (`package`, `static_library`, `shared_library`) | `build.type` |
//! | `build.script` | `build.script` (see the variables below) |
//! | `build.cflags`, `cxxflags`, `ldflags`, `backend-flags` (strings) | lists, split at whitespace |
//! | `build.exports`, `unvendor-tests` | the same keys |
//! | `requirements.host`, `run` | the same keys |
//! | `requirements.constraint` | `requirements.build` (installed with the build tools) |
//! | `test.imports` (default: `top-level`) | `test.imports` |
//! | `about.home`, `summary`, `license` | `[about]` |
//!
//! Accepted and not needed: `package.pinned`, `package._disabled`, `build.vendor-sharedlib`
//! (kiln's link check finds shared libraries through the requirements), `build.cross-build-env`,
//! `build.cross-build-files`, `requirements.executable` (the toolchain root has the tools),
//! `about.PyPI`, `extra`. Refused, naming the key: `build.type: cpython_module` and a
//! non-empty `build.post` or `build.cross-script` (steps kiln has no place for), and any key
//! Pyodide does not define. The variables Pyodide's build scripts read (`WASM_LIBRARY_DIR`,
//! `PYODIDE_JOBS`, `SIDE_MODULE_LDFLAGS`, `DISTDIR`, `PKGDIR`…) are set by the build stage for
//! recipes of this format ([`super::RecipeFormat::PyodideMetaYaml`]). Not supported yet: a
//! `source.url` that is a wheel, which pyodide-build ships as it is (kiln unpacks it and finds
//! nothing to build). `scripts/test-pyodide-recipes` builds ten of pyodide-recipes' own
//! recipes from a checkout.

use std::path::Path;

use serde::Deserialize;

use super::RecipeError;

/// The file that makes a folder a Pyodide recipe.
pub const META_YAML: &str = "meta.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    package: Package,
    #[serde(default)]
    source: Source,
    #[serde(default)]
    build: Build,
    #[serde(default, deserialize_with = "null_default")]
    requirements: Requirements,
    #[serde(default, deserialize_with = "null_default")]
    test: Test,
    #[serde(default, deserialize_with = "null_default")]
    about: About,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted and not needed: maintainers' notes")]
    extra: serde_yaml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Package {
    name: String,
    version: serde_yaml::Value,
    #[serde(default, rename = "top-level", deserialize_with = "null_default")]
    top_level: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    tag: Vec<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted: pyodide's update bot reads it")]
    pinned: bool,
    #[serde(default, rename = "_disabled")]
    disabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    url: Option<String>,
    sha256: Option<String>,
    path: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    patches: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    extras: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Build {
    #[serde(rename = "type")]
    kind: Option<String>,
    script: Option<String>,
    cflags: Option<String>,
    cxxflags: Option<String>,
    ldflags: Option<String>,
    backend_flags: Option<String>,
    exports: Option<serde_yaml::Value>,
    unvendor_tests: Option<bool>,
    #[allow(
        dead_code,
        reason = "accepted: kiln's link check finds shared libraries itself"
    )]
    vendor_sharedlib: Option<bool>,
    cross_script: Option<String>,
    post: Option<String>,
    #[allow(
        dead_code,
        reason = "accepted: kiln gives host packages the target's headers"
    )]
    cross_build_env: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    #[allow(dead_code, reason = "accepted: as cross-build-env")]
    cross_build_files: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Requirements {
    #[serde(default, deserialize_with = "null_default")]
    run: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    host: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    #[allow(dead_code, reason = "accepted: the toolchain root has the tools")]
    executable: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    constraint: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Test {
    #[serde(default, deserialize_with = "null_default")]
    imports: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct About {
    home: Option<String>,
    summary: Option<String>,
    license: Option<String>,
}

/// `key:` with nothing after it is YAML's null; Pyodide reads it as empty.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The first line of the shell lines [`pyodide_variables`] puts before a recipe's script.
pub(super) const PRELUDE_START: &str = "# kiln: the variables Pyodide's build scripts read\n";
/// The last line of those shell lines.
pub(super) const PRELUDE_END: &str = "# kiln: the recipe's own script\n";

/// Shell lines setting the variables Pyodide's build scripts read (pyodide-build's names),
/// from those kiln's build script sets (`docs/recipe-format.md`): libraries install into
/// `WASM_LIBRARY_DIR` (a library build's `$PREFIX`; for a package, the host prefix it links
/// against), copy shared libraries into `DISTDIR`, run `make -j ${PYODIDE_JOBS}` and read files
/// of their recipe folder from `PKGDIR`. Put before the script, so that the recipe's cache key
/// (the translated text) changes when they do; `PKGDIR`'s absolute path is left out of the key
/// ([`recipe_key_text`]).
fn pyodide_variables(package: bool, recipe_dir: &Path) -> String {
    let library_dir = if package {
        "$KILN_HOST_PREFIX"
    } else {
        "$PREFIX"
    };
    let recipe_dir = shell_quote(&recipe_dir.display().to_string());
    [
        PRELUDE_START.trim_end(),
        &format!("export PKGDIR={recipe_dir}"),
        "export PKG_BUILD_DIR=\"$SRC_DIR\"",
        &format!("export WASM_LIBRARY_DIR=\"{library_dir}\""),
        "export PYODIDE_JOBS=\"$KILN_JOBS\"",
        "export DISTDIR=\"$PREFIX/dist\" && mkdir -p \"$DISTDIR\"",
        "export SIDE_MODULE_CFLAGS=\"$CFLAGS\" SIDE_MODULE_CXXFLAGS=\"$CXXFLAGS\"",
        "export SIDE_MODULE_LDFLAGS=\"$LDFLAGS $KILN_SIDE_MODULE_LDFLAGS\"",
        "export PYMAJOR=\"${KILN_PYTHON_VERSION%%.*}\" PYMINOR=\"${KILN_PYTHON_VERSION#*.}\"",
        "export PYODIDE_ABI_VERSION=\"$KILN_ABI_VERSION\"",
        // A package's script runs after kiln's cross environment is set up: the runtime's
        // headers are reached through the link in the work folder.
        "PYTHONINCLUDE=\"$(dirname \"$SRC_DIR\")/cross/runtime/include/python$KILN_PYTHON_VERSION\"",
        "if [ -d \"$PYTHONINCLUDE\" ]; then export PYTHONINCLUDE; else unset PYTHONINCLUDE; fi",
        PRELUDE_END.trim_end(),
        "",
    ]
    .join("\n")
}

/// `text` quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The text of a translated recipe as its cache key hashes it: the recipe folder's absolute
/// path (`PKGDIR`) replaced, so that the key does not depend on where the folder is.
pub(super) fn recipe_key_text(translated: &str, recipe_dir: &Path) -> String {
    let dir = std::path::absolute(recipe_dir).unwrap_or_else(|_| recipe_dir.to_path_buf());
    translated.replace(&shell_quote(&dir.display().to_string()), "\"$PKGDIR\"")
}

/// A refusal of a `meta.yaml`, naming the file and the key.
fn refused(path: &Path, message: String) -> RecipeError {
    RecipeError::MetaYaml {
        path: path.to_path_buf(),
        message,
    }
}

/// Translates the `meta.yaml` at `path` (text `text`) into `recipe.toml` text, which the
/// caller validates as usual (its paths resolve against the same folder).
pub(super) fn translate(path: &Path, text: &str) -> Result<String, RecipeError> {
    let meta: Meta =
        serde_yaml::from_str(text).map_err(|error| refused(path, error.to_string()))?;
    if meta.package.disabled {
        return Err(refused(
            path,
            "`package._disabled` is true: Pyodide does not build this recipe either".into(),
        ));
    }
    for (key, value) in [
        ("build.post", &meta.build.post),
        ("build.cross-script", &meta.build.cross_script),
    ] {
        if value
            .as_deref()
            .is_some_and(|script| !script.trim().is_empty())
        {
            return Err(refused(
                path,
                format!(
                    "`{key}` is not supported: kiln has no step to run it in; fold it into `build.script` or a patch"
                ),
            ));
        }
    }
    let string = |text: &str| toml::Value::String(text.to_string()).to_string();
    let list = |items: &[String]| {
        format!(
            "[{}]",
            items
                .iter()
                .map(|item| string(item))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let words = |text: &Option<String>| -> Vec<String> {
        text.as_deref()
            .map(|text| text.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let version = match &meta.package.version {
        serde_yaml::Value::String(version) => version.clone(),
        serde_yaml::Value::Number(number) => number.to_string(),
        other => {
            return Err(refused(
                path,
                format!("`package.version` must be a string, found {other:?}"),
            ));
        }
    };
    let mut out = format!(
        "# Translated by kiln from a Pyodide `meta.yaml`.\n[package]\nname = {}\nversion = {}\n",
        string(&meta.package.name),
        string(&version)
    );
    if !meta.package.top_level.is_empty() {
        out.push_str(&format!("top-level = {}\n", list(&meta.package.top_level)));
    }
    let tags: Vec<String> = meta
        .package
        .tag
        .iter()
        .filter(|tag| {
            !tag.is_empty()
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .cloned()
        .collect();
    if !tags.is_empty() {
        out.push_str(&format!("tags = {}\n", list(&tags)));
    }

    out.push_str("\n[source]\n");
    if let Some(url) = &meta.source.url {
        out.push_str(&format!("url = {}\n", string(url)));
    }
    if let Some(source_path) = &meta.source.path {
        out.push_str(&format!("path = {}\n", string(source_path)));
    }
    if let Some(sha256) = &meta.source.sha256 {
        out.push_str(&format!("sha256 = {}\n", string(sha256)));
    }
    if !meta.source.patches.is_empty() {
        let patches: Vec<String> = meta
            .source
            .patches
            .iter()
            .map(|patch| patch.trim_start_matches("./").to_string())
            .collect();
        out.push_str(&format!("patches = {}\n", list(&patches)));
    }
    if !meta.source.extras.is_empty() {
        let extras: Vec<String> = meta
            .source
            .extras
            .iter()
            .map(|pair| {
                let pair: Vec<String> = pair
                    .iter()
                    .map(|part| part.trim_start_matches("./").to_string())
                    .collect();
                list(&pair)
            })
            .collect();
        out.push_str(&format!("extras = [{}]\n", extras.join(", ")));
    }

    out.push_str("\n[build]\n");
    let kind = match meta.build.kind.as_deref() {
        None | Some("package") => "package",
        Some("static_library") => "static_library",
        Some("shared_library") => "shared_library",
        Some(other) => {
            return Err(refused(
                path,
                format!(
                    "`build.type: {other}` is not supported (kiln builds `package`, `static_library` and `shared_library` recipes; CPython's own modules are the runtime recipe's)"
                ),
            ));
        }
    };
    out.push_str(&format!("type = {}\n", string(kind)));
    if let Some(script) = meta
        .build
        .script
        .as_deref()
        .filter(|script| !script.trim().is_empty())
    {
        let recipe_dir = std::path::absolute(path)
            .ok()
            .and_then(|file| file.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let script = format!(
            "{}{script}",
            pyodide_variables(kind == "package", &recipe_dir)
        );
        out.push_str(&format!("script = {}\n", string(&script)));
    }
    for (key, value) in [
        ("cflags", &meta.build.cflags),
        ("cxxflags", &meta.build.cxxflags),
        ("ldflags", &meta.build.ldflags),
        ("backend-flags", &meta.build.backend_flags),
    ] {
        let values = words(value);
        if !values.is_empty() {
            out.push_str(&format!("{key} = {}\n", list(&values)));
        }
    }
    match &meta.build.exports {
        None => {}
        Some(serde_yaml::Value::String(exports)) => {
            out.push_str(&format!("exports = {}\n", string(exports)));
        }
        Some(serde_yaml::Value::Sequence(symbols)) => {
            let symbols: Vec<String> = symbols
                .iter()
                .filter_map(|symbol| symbol.as_str().map(str::to_string))
                .collect();
            out.push_str(&format!("exports = {}\n", list(&symbols)));
        }
        Some(other) => {
            return Err(refused(
                path,
                format!("`build.exports` must be a string or a list, found {other:?}"),
            ));
        }
    }
    if let Some(unvendor) = meta.build.unvendor_tests {
        out.push_str(&format!("unvendor-tests = {unvendor}\n"));
    }

    let requirements = &meta.requirements;
    if !requirements.host.is_empty()
        || !requirements.run.is_empty()
        || !requirements.constraint.is_empty()
    {
        out.push_str("\n[requirements]\n");
        if !requirements.host.is_empty() {
            out.push_str(&format!("host = {}\n", list(&requirements.host)));
        }
        if !requirements.run.is_empty() {
            out.push_str(&format!("run = {}\n", list(&requirements.run)));
        }
        if !requirements.constraint.is_empty() {
            out.push_str(&format!("build = {}\n", list(&requirements.constraint)));
        }
    }
    let imports = if meta.test.imports.is_empty() {
        &meta.package.top_level
    } else {
        &meta.test.imports
    };
    if kind == "package" && !imports.is_empty() {
        out.push_str(&format!("\n[test]\nimports = {}\n", list(imports)));
    }
    let about: Vec<String> = [
        ("home", &meta.about.home),
        ("summary", &meta.about.summary),
        ("license", &meta.about.license),
    ]
    .iter()
    .filter_map(|(key, value)| {
        value
            .as_ref()
            .map(|value| format!("{key} = {}", string(value.trim())))
    })
    .collect();
    if !about.is_empty() {
        out.push_str(&format!("\n[about]\n{}\n", about.join("\n")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PYTEST_BENCHMARK: &str = "package:\n  name: pytest-benchmark\n  version: 4.0.0\n  # Need to update patches\n  pinned: true\n  top-level:\n    - pytest_benchmark\nsource:\n  url: https://files.example/pytest-benchmark-4.0.0.tar.gz\n  sha256: fb0785b83efe599a6a956361c0691ae1dbb5318018561af10f3e915caa0048d1\n  patches:\n    - patches/0001-Remove-cpuinfo.patch\nabout:\n  home: https://github.com/ionelmc/pytest-benchmark\n  PyPI: https://pypi.example/project/pytest-benchmark\n  summary:\n    A ``pytest`` fixture for benchmarking code.\n  license: BSD-2-Clause\n";

    #[test]
    fn translates_a_package_with_patches() {
        let toml = translate(Path::new("x/meta.yaml"), PYTEST_BENCHMARK).unwrap();
        for expected in [
            "name = \"pytest-benchmark\"\nversion = \"4.0.0\"\ntop-level = [\"pytest_benchmark\"]\n",
            "url = \"https://files.example/pytest-benchmark-4.0.0.tar.gz\"\n",
            "patches = [\"patches/0001-Remove-cpuinfo.patch\"]\n",
            "type = \"package\"\n",
            "[test]\nimports = [\"pytest_benchmark\"]\n",
            "summary = \"A ``pytest`` fixture for benchmarking code.\"",
        ] {
            assert!(toml.contains(expected), "{expected:?} in\n{toml}");
        }
        toml.parse::<toml::Table>().unwrap();
    }

    #[test]
    fn translates_a_library_with_a_script_and_string_flags() {
        let yaml = "package:\n  name: libdemo\n  version: 1.0\n  tag:\n    - library\n    - static_library\nsource:\n  url: https://example.org/demo.tar.gz\n  sha256: aa\nbuild:\n  type: static_library\n  cflags: |\n    -O2\n    -s USE_ZLIB=1\n  script: |\n    emconfigure ./configure --prefix=${WASM_LIBRARY_DIR}\n    emmake make -j ${PYODIDE_JOBS:-3} install\nrequirements:\n  run:\n  executable:\n    - cmake\n";
        let toml = translate(Path::new("x/meta.yaml"), yaml).unwrap();
        assert!(toml.contains("version = \"1.0\"\n"), "{toml}");
        assert!(
            toml.contains("tags = [\"library\", \"static_library\"]\n"),
            "{toml}"
        );
        assert!(
            toml.contains("cflags = [\"-O2\", \"-s\", \"USE_ZLIB=1\"]\n"),
            "{toml}"
        );
        assert!(toml.contains("--prefix=${WASM_LIBRARY_DIR}"), "{toml}");
        assert!(!toml.contains("[requirements]"), "{toml}");
        assert!(
            !toml.contains("[test]"),
            "libraries are not imported: {toml}"
        );
    }

    #[test]
    fn scripts_get_pyodides_variables_and_keys_leave_the_folder_out() {
        let yaml = "package:\n  name: libdemo\n  version: '1'\nbuild:\n  type: shared_library\n  script: make -j ${PYODIDE_JOBS}\n";
        let here = translate(Path::new("/one/place/libdemo/meta.yaml"), yaml).unwrap();
        let there = translate(Path::new("/another/libdemo/meta.yaml"), yaml).unwrap();
        let table: toml::Table = here.parse().unwrap();
        let script = table["build"]["script"].as_str().unwrap();
        let (prelude, own) = script.split_once(PRELUDE_END).unwrap();
        assert!(prelude.starts_with(PRELUDE_START), "{script}");
        assert_eq!(own, "make -j ${PYODIDE_JOBS}");
        for line in [
            "export PKGDIR='/one/place/libdemo'\n",
            "export WASM_LIBRARY_DIR=\"$PREFIX\"\n",
            "export PYODIDE_JOBS=\"$KILN_JOBS\"\n",
        ] {
            assert!(prelude.contains(line), "{line:?} in\n{prelude}");
        }
        assert_ne!(here, there);
        assert_eq!(
            recipe_key_text(&here, Path::new("/one/place/libdemo")),
            recipe_key_text(&there, Path::new("/another/libdemo")),
        );
        // A package links against its host prefix.
        let package = yaml.replace("shared_library", "package");
        let package: toml::Table = translate(Path::new("/x/meta.yaml"), &package)
            .unwrap()
            .parse()
            .unwrap();
        let script = package["build"]["script"].as_str().unwrap();
        assert!(
            script.contains("export WASM_LIBRARY_DIR=\"$KILN_HOST_PREFIX\"\n"),
            "{script}"
        );
    }

    #[test]
    fn the_prelude_runs_in_a_shell() {
        let prelude = pyodide_variables(false, Path::new("/recipes/it's here"));
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{prelude}echo \"$PKGDIR|$WASM_LIBRARY_DIR|$PYODIDE_JOBS|$PYMAJOR.$PYMINOR|$SIDE_MODULE_LDFLAGS\""
            ))
            .env("PREFIX", std::env::temp_dir().join("kiln-prelude-test"))
            .env("KILN_JOBS", "3")
            .env("KILN_PYTHON_VERSION", "3.15")
            .env("LDFLAGS", "-O2")
            .env("KILN_SIDE_MODULE_LDFLAGS", "-sSIDE_MODULE=1")
            .env("SRC_DIR", "/nowhere/src")
            .output()
            .expect("sh runs");
        let prefix = std::env::temp_dir().join("kiln-prelude-test");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!(
                "/recipes/it's here|{}|3|3.15|-O2 -sSIDE_MODULE=1\n",
                prefix.display()
            )
        );
        assert!(prefix.join("dist").is_dir(), "DISTDIR is made");
    }

    #[test]
    fn refuses_what_kiln_cannot_do_naming_the_key() {
        let post = "package:\n  name: x\n  version: '1'\nbuild:\n  post: |\n    cp a b\n";
        let error = translate(Path::new("x/meta.yaml"), post).unwrap_err();
        assert!(
            error.to_string().contains("`build.post` is not supported"),
            "{error}"
        );
        let module = "package:\n  name: x\n  version: '1'\nbuild:\n  type: cpython_module\n";
        let error = translate(Path::new("x/meta.yaml"), module).unwrap_err();
        assert!(error.to_string().contains("cpython_module"), "{error}");
        let unknown = "package:\n  name: x\n  version: '1'\nbuild:\n  scirpt: make\n";
        let error = translate(Path::new("x/meta.yaml"), unknown).unwrap_err();
        assert!(error.to_string().contains("scirpt"), "{error}");
    }
}
