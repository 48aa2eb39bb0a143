//! `kiln build [PATH | SDIST | name==version]`: one package out of tree, like `pyodide build`.
//!
//! kiln writes a recipe for it (in `.kiln/oot/<name>/recipe.toml`, so the build is cached and
//! re-runnable like any other), builds it against the runtime of the project's recipes, and
//! copies the wheel(s) to `--outdir`. The package's name and version (from its
//! `pyproject.toml`, the sdist's file name or the command line) are checked before anything
//! is written: the name becomes a folder. A folder source is reached through a link `src`
//! beside the recipe.

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
    /// Build every requirement of a requirements file instead: one per line, `name==version`
    /// or the name of a recipe (its own version); `#` starts a comment
    ///
    /// A name with a recipe in the recipe folders is built from it (kiln's own recipes
    /// included); `name==version` of a package without one is built from its sdist, as
    /// `kiln build name==version` would.
    #[arg(
        short = 'r',
        long = "requirements",
        value_name = "FILE",
        conflicts_with = "source"
    )]
    pub requirements: Option<PathBuf>,
    /// Where the wheel(s) go
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub outdir: PathBuf,
    /// Run-time dependencies to record (recipe names)
    #[arg(long = "depends", value_name = "NAME")]
    pub depends: Vec<String>,
    /// A recipe this package compiles or links against (a library such as `zlib`, or a
    /// package such as `numpy`), as the recipe key `requirements.host`
    ///
    /// Repeatable. Libraries are merged into `$KILN_HOST_PREFIX`, whose `include/` and `lib/`
    /// the compiler searches; packages are installed into the build environment with the
    /// target's headers.
    #[arg(long = "host", value_name = "NAME")]
    pub host: Vec<String>,
    /// A setting for the package's build backend, `KEY=VALUE`, as the recipe key
    /// `build.backend-flags` (`-C setup-args=-Dblas=none` for meson-python)
    ///
    /// Repeatable, like `pip wheel -C` and `pyodide build -C`.
    #[arg(short = 'C', long = "config-setting", value_name = "KEY=VALUE")]
    pub config_settings: Vec<String>,
    /// Which symbols the side modules export, as the recipe key `build.exports`: `pyinit`,
    /// `requested`, `whole_archive`, or a comma-separated list of symbol names
    #[arg(long, value_name = "EXPORTS")]
    pub exports: Option<String>,
}

/// The largest `pyproject.toml` read for a folder's name and version.
const MAX_PYPROJECT_BYTES: u64 = 1024 * 1024;

/// Where the out-of-tree source is, as the generated recipe will say.
enum SourceBody {
    /// The `[source]` keys for a download (`url`/`pypi` and `sha256`).
    Table(String),
    /// A folder: the recipe's `src` is a link to it.
    Folder(PathBuf),
}

pub fn run(settings: &Settings, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let current = std::env::current_dir()?;
    for (option, names) in [("--depends", &args.depends), ("--host", &args.host)] {
        for name in names {
            if !recipe::is_valid_name(name) {
                bail!("`{option} {name}`: not a recipe name (letters, digits, `-`, `_`, `.`)");
            }
        }
    }
    for setting in &args.config_settings {
        if !setting.contains('=') || setting.starts_with('=') {
            bail!("`-C {setting}`: expected `KEY=VALUE`");
        }
    }
    let mut recipes = super::recipe::load_all(settings)?;
    let mut names = Vec::new();
    let sources = match &args.requirements {
        None => vec![args.source.clone()],
        Some(file) => requirement_lines(&settings.command_line_path(file))?,
    };
    for source in sources {
        // A requirement a recipe answers (`numpy`, or `numpy==2.5.5` at the recipe's version).
        let (wanted, pinned) = match source.split_once("==") {
            Some((name, version)) => (recipe::normalize_name(name.trim()), Some(version.trim())),
            None => (recipe::normalize_name(source.trim()), None),
        };
        let answered = args.requirements.is_some()
            && recipes.iter().any(|recipe| {
                recipe.package.name == wanted
                    && pinned.is_none_or(|version| version == recipe.package.version)
            });
        if answered {
            names.push(wanted);
            continue;
        }
        if args.requirements.is_some() && pinned.is_none() {
            bail!(
                "`{source}`: no recipe of that name; pin a version (`{source}==X.Y`) to build it from its sdist"
            );
        }
        let own = write_out_of_tree_recipe(settings, &current, &source, &args)?;
        recipes.retain(|recipe| recipe.package.name != own.package.name);
        names.push(own.package.name.clone());
        recipes.push(own);
    }
    run_with_recipes(
        settings,
        recipes,
        BuildRecipesArgs {
            patterns: names,
            install: true,
            install_dir: Some(current.join(&args.outdir)),
            jobs: None,
            force_rebuild: false,
            shard: None,
            shard_timeout: 0,
            no_build: false,
            dist: Default::default(),
            compile: false,
            slim: false,
            json: false,
            no_progress: false,
        },
        true,
    )
}

/// The requirements of a requirements file: one per line, comments and blank lines left out.
fn requirement_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        kiln::fs::read_bounded_to_string(path, MAX_PYPROJECT_BYTES, "the requirements file")?;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect();
    for line in &lines {
        if line.starts_with('-') || line.contains([' ', ';', '[', '<', '>', '~', '!']) {
            bail!(
                "`{}`: `{line}`: kiln builds `name==version` or a recipe name per line (no options, markers, extras or ranges)",
                path.display()
            );
        }
    }
    Ok(lines)
}

/// Writes `.kiln/oot/<name>/recipe.toml` for one source (a folder, an sdist, `name==version`)
/// and loads it.
fn write_out_of_tree_recipe(
    settings: &Settings,
    current: &Path,
    source: &str,
    args: &BuildArgs,
) -> anyhow::Result<recipe::Recipe> {
    // Name and version were checked by `describe_source` before anything was written.
    let (name, version, source) = describe_source(settings, current, source)?;
    let name = recipe::normalize_name(&name);
    let dir = kiln::fs::child(
        &settings.project_dir.join(".kiln/oot"),
        &name,
        "package name",
    )?;
    fs_err::create_dir_all(&dir)?;
    // A recipe's `path` stays inside its folder, so a folder source is reached through a
    // link that kiln makes (and `recipe::load_out_of_tree` accepts).
    let source_table = match source {
        SourceBody::Table(table) => table,
        SourceBody::Folder(folder) => {
            let link = dir.join("src");
            if fs_err::symlink_metadata(&link).is_ok_and(|metadata| metadata.is_symlink()) {
                fs_err::remove_file(&link)?;
            }
            fs_err::os::unix::fs::symlink(&folder, &link)?;
            "path = \"src\"".to_string()
        }
    };
    let text = format!(
        "# Written by `kiln build` for an out-of-tree build.\n[package]\nname = {name:?}\nversion = {version:?}\n\n[source]\n{source_table}\n\n{}",
        recipe_tables(args)
    );
    kiln::fs::write_atomic(&dir.join("recipe.toml"), text.as_bytes())?;
    recipe::load_out_of_tree(&dir).map_err(|error| anyhow::anyhow!("{error}"))
}

/// The `[build]` and `[requirements]` tables for the command line's recipe knobs, each value
/// written as a TOML string (so quoting is TOML's, and the recipe validator checks them).
fn recipe_tables(args: &BuildArgs) -> String {
    let list = |items: &[String]| {
        let items: Vec<String> = items
            .iter()
            .map(|item| toml::Value::String(item.clone()).to_string())
            .collect();
        format!("[{}]", items.join(", "))
    };
    let mut build = String::from("[build]\n");
    if !args.config_settings.is_empty() {
        build.push_str(&format!(
            "backend-flags = {}\n",
            list(&args.config_settings)
        ));
    }
    if let Some(exports) = &args.exports {
        let value = match exports.as_str() {
            "pyinit" | "requested" | "whole_archive" => {
                toml::Value::String(exports.clone()).to_string()
            }
            symbols => list(
                &symbols
                    .split(',')
                    .map(|symbol| symbol.trim().to_string())
                    .filter(|symbol| !symbol.is_empty())
                    .collect::<Vec<_>>(),
            ),
        };
        build.push_str(&format!("exports = {value}\n"));
    }
    format!(
        "{build}\n[requirements]\nhost = {}\nrun = {}\n",
        list(&args.host),
        list(&args.depends)
    )
}

/// Refuses a name or version that is not a package name (PEP 508) or a PEP 440 version:
/// both name a folder and a wheel. `origin` says where they were read.
fn check_name_version(name: &str, version: &str, origin: &str) -> anyhow::Result<()> {
    if !recipe::is_valid_name(name) {
        bail!(
            "{origin}: `{name}` is not a package name (letters, digits, `-`, `_` and `.`, \
             starting and ending with a letter or digit)"
        );
    }
    if !recipe::is_pep440(version) {
        bail!("{origin}: `{version}` is not a PEP 440 version");
    }
    Ok(())
}

/// (name, version, source) for what the user named; name and version are checked before
/// anything is fetched or written.
fn describe_source(
    settings: &Settings,
    current: &Path,
    source: &str,
) -> anyhow::Result<(String, String, SourceBody)> {
    if let Some((name, version)) = source.split_once("==") {
        check_name_version(name, version, &format!("`{source}`"))?;
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
            SourceBody::Table(format!("pypi = {source:?}\nsha256 = \"{sha256}\"")),
        ));
    }
    let path = std::path::absolute(current.join(source))?;
    let path = path.canonicalize().unwrap_or(path);
    if path.is_dir() {
        let (name, version) = pyproject_name_version(&path)?;
        return Ok((name, version, SourceBody::Folder(path)));
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
        check_name_version(name, version, &format!("`{file_name}`"))?;
        let sha256 = Sha256::of_file(&path)?;
        let url = format!("file://{}", std::path::absolute(&path)?.display());
        return Ok((
            name.to_string(),
            version.to_string(),
            SourceBody::Table(format!("url = {url:?}\nsha256 = \"{sha256}\"")),
        ));
    }
    bail!("`{source}` is neither a folder, an sdist file, nor `name==version`")
}

/// `[project] name` and `version` from a source folder's `pyproject.toml`.
fn pyproject_name_version(dir: &Path) -> anyhow::Result<(String, String)> {
    let path = dir.join("pyproject.toml");
    let text = kiln::fs::read_bounded_to_string(&path, MAX_PYPROJECT_BYTES, "the project file")?;
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
        (Some(name), Some(version)) => {
            let origin = format!("`{}` `[project]`", path.display());
            check_name_version(&name, &version, &origin)?;
            Ok((name, version))
        }
        _ => bail!(
            "`{}` has no static `[project] name` and `version`; write a recipe for it instead",
            path.display()
        ),
    }
}
