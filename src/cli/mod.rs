//! Command-line parsing (clap derive) and dispatch. Each subcommand has its own file; they
//! turn arguments into library calls and print results. Data goes to stdout, everything
//! else to stderr.

mod build;
mod build_recipes;
mod cache;
mod config;
#[cfg(test)]
mod docs;
mod fetch;
mod install;
mod lock;
mod py_compile;
mod recipe;
mod serve;
mod size;
mod skeleton;
mod toolchain;
mod venv;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use kiln::config::{Overrides, Settings, ToolchainMode};

/// Builds CPython and Python packages for WebAssembly (wasm32-emscripten) from recipes.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// A folder of recipes (one folder per recipe, each with a `recipe.toml`), on top of the
    /// project's `recipes/` and kiln's built-in recipes
    ///
    /// Repeatable: each folder overrides the ones before it, by recipe name. `kiln recipe list`
    /// shows where each recipe comes from.
    #[arg(long = "recipe-dir", global = true, value_name = "DIR")]
    pub recipe_dirs: Vec<PathBuf>,
    /// Which toolchain runs builds: the pinned Debian root, or the emcc on PATH
    #[arg(long, global = true, value_enum, value_name = "KIND")]
    pub toolchain: Option<ToolchainMode>,
    /// Remote artifact cache, `s3://BUCKET/PREFIX`: builds are pulled from it by key before
    /// building and pushed to it after (endpoint and credentials from the `AWS_*` variables)
    #[arg(long, global = true, value_name = "URL")]
    pub remote_cache: Option<String>,
    /// More output: `-v` shows commands run and cache decisions, `-vv` everything
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install, inspect and use the toolchain root builds run in
    #[command(subcommand_required = false)]
    Toolchain(toolchain::ToolchainArgs),
    /// Check recipes
    #[command(subcommand)]
    Recipe(recipe::RecipeCommand),
    /// Download, verify, cache and extract recipes' sources
    Fetch(fetch::FetchArgs),
    /// Build one package out of tree (a folder, an sdist, or `name==version`), like `pyodide build`
    Build(build::BuildArgs),
    /// Build recipes and their dependencies (into the cache; `--install` fills `dist/`)
    BuildRecipes(build_recipes::BuildRecipesArgs),
    /// Write `pyodide-lock.json` for the wheels in a distribution folder
    Lock(lock::DistArgs),
    /// Check a distribution folder against its lockfile (files, sha256, dependencies, RECORDs)
    Verify(lock::DistArgs),
    /// Serve a distribution folder on localhost (with the `.wasm` MIME type browsers need)
    ///
    /// Under `/simple/` it also serves a package index of the folder's wheels (PEP 503 and PEP 691).
    /// Pages are cross-origin isolated (COOP `same-origin`, COEP `require-corp`), so the
    /// console page can share memory with the worker running Python (`input()`, Interrupt).
    Serve(serve::ServeArgs),
    /// Byte-compile wheels for the runtime's Python (`.pyc` instead of `.py`), like `pyodide
    /// py-compile`
    PyCompile(py_compile::PyCompileArgs),
    /// Write recipes from a package index's metadata
    #[command(subcommand)]
    Skeleton(skeleton::SkeletonCommand),
    /// Make a virtual environment whose `python` is the runtime under Node and whose `pip`
    /// installs wheels for the platform (for running a package's tests, like `pyodide venv`)
    Venv(venv::VenvArgs),
    /// Report a distribution folder's sizes (raw, gzip, brotli; per package and kind of file)
    /// and check them against a budget file
    Size(size::SizeArgs),
    /// Remove work trees (extracted sources, logs) of the named recipes, or of all
    ///
    /// Only what builds left in `.kiln/build/` is removed: the folder of each named recipe, or
    /// everything there when no name is given. Links are removed, never followed. A name must
    /// be a recipe name: a path such as `/some/dir` or `../x` is refused before anything goes.
    Clean {
        /// Recipe names (default: all)
        names: Vec<String>,
    },
    /// Inspect and trim the build cache
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    /// Show kiln's settings
    #[command(subcommand)]
    Config(config::ConfigCommand),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(Overrides {
        recipe_dirs: cli.global.recipe_dirs.clone(),
        toolchain_mode: cli.global.toolchain,
        remote_cache: cli.global.remote_cache.clone(),
    })?;
    match cli.command {
        Command::Toolchain(args) => toolchain::run(&settings, args),
        Command::Recipe(command) => recipe::run(&settings, command),
        Command::Fetch(args) => fetch::run(&settings, args),
        Command::Build(args) => build::run(&settings, args),
        Command::BuildRecipes(args) => build_recipes::run(&settings, args),
        Command::Lock(args) => lock::lock(&settings, args),
        Command::Verify(args) => lock::verify(&settings, args),
        Command::Serve(args) => serve::run(&settings, args),
        Command::Venv(args) => venv::run(&settings, args),
        Command::Skeleton(command) => skeleton::run(&settings, command),
        Command::PyCompile(args) => py_compile::run(&settings, args),
        Command::Size(args) => size::run(&settings, args),
        Command::Clean { names } => cache::clean(&settings, names),
        Command::Cache(command) => cache::run(&settings, command),
        Command::Config(command) => config::run(&settings, command),
    }
}

/// `error: …`, one `Caused by:` line per cause, and a `hint:` when kiln knows one.
pub fn render_error(error: anyhow::Error) {
    let error = match error.downcast::<kiln::recipe::RecipeError>() {
        Ok(recipe_error) => {
            eprintln!("{:?}", miette::Report::new(recipe_error));
            return;
        }
        Err(error) => error,
    };
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  Caused by: {cause}");
    }
    if let Some(hint) = hint_for(&error) {
        eprintln!("\nhint: {hint}");
    }
}

fn hint_for(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<kiln::toolchain::ToolchainError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<kiln::source::SourceError>() {
            error.hint()
        } else {
            None
        }
    })
}

/// 1 for bad input or a failed package build, 2 when kiln itself broke.
pub fn exit_code_for(_error: &anyhow::Error) -> ExitCode {
    ExitCode::from(1)
}
