//! `kiln skeleton pypi NAME [--version V] [--update]`: a recipe from the package index, as
//! `pyodide skeleton pypi` writes one ([`kiln::skeleton`]).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use kiln::config::Settings;
use kiln::dist::Runtime;
use kiln::source::FetchContext;
use kiln::toolchain::Abi;

#[derive(Debug, Subcommand)]
pub enum SkeletonCommand {
    /// Write `recipes/NAME/recipe.toml` for a package on the index
    ///
    /// The recipe pins the newest release's sdist (or `--version`) with the sha256 the index
    /// lists, takes run requirements from its metadata (markers evaluated for the runtime),
    /// NumPy as a host requirement when the build compiles against it, and `test.imports`
    /// from a wheel's top-level names. It goes into the last `--recipe-dir`, else the
    /// project's `recipes/`.
    Pypi(PypiArgs),
}

#[derive(Debug, Args)]
pub struct PypiArgs {
    /// The package's name on the index
    pub name: String,
    /// The release to pin (default: the newest final release with an sdist)
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Update an existing recipe to the release: only `package.version`, `source.pypi` and
    /// `source.sha256` change, every other line stays as written
    #[arg(long)]
    pub update: bool,
}

pub fn run(settings: &Settings, command: SkeletonCommand) -> anyhow::Result<ExitCode> {
    let SkeletonCommand::Pypi(args) = command;
    if !kiln::recipe::is_valid_name(&args.name) {
        anyhow::bail!("`{}` is not a package name", args.name);
    }
    if let Some(version) = &args.version
        && !kiln::recipe::is_pep440(version)
    {
        anyhow::bail!("`--version {version}` is not a PEP 440 version");
    }
    let recipe_dir = settings
        .recipe_dirs
        .last()
        .cloned()
        .unwrap_or_else(|| settings.project_dir.join("recipes"));
    let recipes = super::recipe::load_all(settings)?;
    let runtime = Runtime::of_project(&Abi::load(&settings.platform_file)?, &recipes)?;
    let context = FetchContext {
        settings,
        toolchain: None,
        log: settings.build_dir().join("skeleton.log"),
    };
    let request = kiln::skeleton::Request {
        name: &args.name,
        version: args.version.as_deref(),
        recipe_dir: &recipe_dir,
        update: args.update,
        runtime: &runtime,
    };
    let written = kiln::skeleton::pypi(&context, &request)?;
    match &written.updated_from {
        Some(old) => eprintln!(
            "kiln: updated `{}` from {old} to {}",
            written.path.display(),
            written.version
        ),
        None => eprintln!(
            "kiln: wrote `{}` ({})",
            written.path.display(),
            written.version
        ),
    }
    let known: Vec<String> = recipes
        .iter()
        .map(|recipe| recipe.package.name.clone())
        .collect();
    let missing: Vec<&String> = written
        .run
        .iter()
        .filter(|name| !known.contains(name))
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
        eprintln!(
            "hint: it needs {} at run time, which no recipe provides: `kiln skeleton pypi` each of them",
            names.join(", ")
        );
    }
    println!("{}", written.path.display());
    Ok(ExitCode::SUCCESS)
}
