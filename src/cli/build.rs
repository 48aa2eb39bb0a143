//! `kiln build [PATH | SDIST | name==version]`: one package out of tree, like `pyodide build`.
//!
//! kiln writes a recipe for it (in `.kiln/oot/<name>/recipe.toml`, so the build is cached and
//! re-runnable like any other), builds it against the runtime of the project's recipes, and
//! copies the wheel(s) to `--outdir`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use kiln::config::Settings;
use kiln::hash::Sha256;
use kiln::recipe;
use kiln::source::{self, FetchContext};

use super::build_recipes::{BuildRecipesArgs, run_with_recipes};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// A source folder, an sdist file (`.tar.gz`, `.zip`), or `name==version` from the index
    #[arg(default_value = ".")]
    pub source: String,
    /// Where the wheel(s) go
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub outdir: PathBuf,
    /// Run-time dependencies to record (recipe names)
    #[arg(long = "depends", value_name = "NAME")]
    pub depends: Vec<String>,
}

pub fn run(settings: &Settings, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let current = std::env::current_dir()?;
    let (name, version, source_table) = describe_source(settings, &current, &args.source)?;
    let name = recipe::normalize_name(&name);
    let dir = settings.project_dir.join(".kiln/oot").join(&name);
    // A folder source is named relative to the recipe, as recipes require.
    let source_table = match source_table.strip_prefix("path = ") {
        Some(absolute) => format!(
            "path = {:?}",
            relative_to(&dir, Path::new(absolute.trim_matches('"')))
        ),
        None => source_table,
    };
    fs_err::create_dir_all(&dir)?;
    let depends = args
        .depends
        .iter()
        .map(|d| format!("{d:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "# Written by `kiln build` for an out-of-tree build.\n[package]\nname = {name:?}\nversion = {version:?}\n\n[source]\n{source_table}\n\n[requirements]\nrun = [{depends}]\n"
    );
    kiln::fs::write_atomic(&dir.join("recipe.toml"), text.as_bytes())?;
    let own = recipe::load(&dir).map_err(|error| anyhow::anyhow!("{error}"))?;
    let mut recipes = super::recipe::load_all(settings)?;
    recipes.retain(|recipe| recipe.package.name != name);
    recipes.push(own);
    run_with_recipes(
        settings,
        recipes,
        BuildRecipesArgs {
            patterns: vec![name],
            install: true,
            install_dir: Some(current.join(&args.outdir)),
            jobs: None,
            force_rebuild: false,
            keep_stdlib_tests: false,
            json: false,
            no_progress: false,
        },
        true,
    )
}

/// (name, version, `[source]` body) for what the user named.
fn describe_source(
    settings: &Settings,
    current: &Path,
    source: &str,
) -> anyhow::Result<(String, String, String)> {
    if let Some((name, version)) = source.split_once("==") {
        let log = settings.build_dir().join("oot-fetch.log");
        let context = FetchContext {
            settings,
            toolchain: None,
            log,
        };
        let sha256 = source::index_sdist_sha256(&context, name, version)
            .with_context(|| format!("cannot find `{source}` on the package index"))?;
        return Ok((
            name.to_string(),
            version.to_string(),
            format!("pypi = {source:?}\nsha256 = \"{sha256}\""),
        ));
    }
    let path = std::path::absolute(current.join(source))?;
    let path = path.canonicalize().unwrap_or(path);
    if path.is_dir() {
        let (name, version) = pyproject_name_version(&path)?;
        return Ok((
            name,
            version,
            format!("path = {:?}", path.display().to_string()),
        ));
    }
    if path.is_file() {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = file_name
            .trim_end_matches(".tar.gz")
            .trim_end_matches(".zip");
        let Some((name, version)) = stem.rsplit_once('-') else {
            bail!("cannot tell name and version from `{file_name}` (expected NAME-VERSION.tar.gz)");
        };
        let sha256 = Sha256::of_file(&path)?;
        let url = format!("file://{}", std::path::absolute(&path)?.display());
        return Ok((
            name.to_string(),
            version.to_string(),
            format!("url = {url:?}\nsha256 = \"{sha256}\""),
        ));
    }
    bail!("`{source}` is neither a folder, an sdist file, nor `name==version`")
}

/// `target` as a path relative to `base` (both absolute), with `..` where needed.
fn relative_to(base: &Path, target: &Path) -> String {
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = target.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        target[common..]
            .iter()
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// `[project] name` and `version` from a source folder's `pyproject.toml`.
fn pyproject_name_version(dir: &Path) -> anyhow::Result<(String, String)> {
    let path = dir.join("pyproject.toml");
    let text = fs_err::read_to_string(&path)?;
    let document: toml::Table = text
        .parse()
        .with_context(|| format!("cannot parse `{}`", path.display()))?;
    let project = document.get("project").and_then(|p| p.as_table());
    let field = |key: &str| {
        project
            .and_then(|p| p.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match (field("name"), field("version")) {
        (Some(name), Some(version)) => Ok((name, version)),
        _ => bail!(
            "`{}` has no static `[project] name` and `version`; write a recipe for it instead",
            path.display()
        ),
    }
}
