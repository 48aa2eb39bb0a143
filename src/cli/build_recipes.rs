//! `kiln build-recipes PATTERN… [--install]`, with pyodide-build's option names.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use kiln::build::{BuildError, Builder, Outcome};
use kiln::bundle::{self, BundleOptions};
use kiln::cache::Artifact;
use kiln::config::Settings;
use kiln::graph::Graph;
use kiln::hash::Sha256;
use kiln::recipe::{BuildKind, Recipe};
use kiln::toolchain::{self, Abi, Pin};

#[derive(Debug, Args)]
pub struct BuildRecipesArgs {
    /// Recipes to build: names, `tag:NAME`, `*` for all, `!NAME` to leave one out
    #[arg(required = true)]
    pub patterns: Vec<String>,
    /// Copy the results into the install folder (the runtime bundle, wheels, lockfile)
    #[arg(long)]
    pub install: bool,
    /// Where `--install` puts the distribution
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub install_dir: PathBuf,
    /// Jobs for make/ninja inside each build (default: the number of cores)
    #[arg(short = 'j', long = "n-jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Rebuild the selected recipes even when the cache has them
    #[arg(long)]
    pub force_rebuild: bool,
    /// Keep CPython's `test/` package in `python_stdlib.zip` (to run its test suite)
    #[arg(long)]
    pub keep_stdlib_tests: bool,
}

pub fn run(settings: &Settings, args: BuildRecipesArgs) -> anyhow::Result<ExitCode> {
    let pin = Pin::load(&settings.toolchain_pin())?;
    // Like pyodide-build's cross-build environment, the toolchain provisions itself.
    let toolchain = toolchain::install(settings, &pin, &|line| eprintln!("kiln: {line}"))
        .context("cannot install the toolchain root")?;
    let abi_path = settings.project_dir.join("toolchain/abi.toml");
    let abi = Abi::load(&abi_path)?;
    let recipes = super::recipe::load_all(settings)?;
    let graph = Graph::new(&recipes);
    let selected = graph.select(&args.patterns)?;
    let order = graph.build_order(&selected)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let builder = Builder::new(settings, &toolchain, &abi, jobs);

    let mut keys: BTreeMap<&str, Sha256> = BTreeMap::new();
    let mut artifacts: BTreeMap<&str, Artifact> = BTreeMap::new();
    let mut failed: Vec<(String, BuildError)> = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    let mut rows = Vec::new();
    'recipes: for recipe in &order {
        let name = recipe.package.name.as_str();
        for dependency in graph.dependencies(name) {
            if !artifacts.contains_key(dependency) {
                skipped.push((name.to_string(), dependency.to_string()));
                continue 'recipes;
            }
        }
        let dependency_keys: Vec<(String, Sha256)> = graph
            .dependencies(name)
            .iter()
            .map(|dep| (dep.to_string(), keys[dep]))
            .collect();
        let key = builder.key(recipe, &dependency_keys)?;
        if args.force_rebuild && selected.contains(name) {
            builder.cache.remove(name, &key)?;
        }
        keys.insert(name, key);
        let host: Vec<&Artifact> = host_closure(&graph, name)
            .iter()
            .filter_map(|dep| artifacts.get(dep))
            .collect();
        eprintln!(
            "kiln: {name} {}: building (key {})",
            recipe.package.version,
            key.short(12)
        );
        let started = Instant::now();
        match builder.build(recipe, &key, &host) {
            Ok(outcome) => {
                let state = if matches!(outcome, Outcome::Built(_)) {
                    "built"
                } else {
                    "cached"
                };
                eprintln!(
                    "kiln: {name}: {state} in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                rows.push((
                    name.to_string(),
                    state,
                    started.elapsed().as_secs_f64(),
                    outcome.artifact().log(),
                ));
                artifacts.insert(name, outcome.artifact().clone());
            }
            Err(error) => {
                eprintln!("kiln: {name}: FAILED\n{error}");
                failed.push((name.to_string(), error));
            }
        }
    }

    if args.install {
        let install_dir = settings.project_dir.join(&args.install_dir);
        for recipe in &order {
            if let (BuildKind::Runtime, Some(artifact)) = (
                recipe.build.kind,
                artifacts.get(recipe.package.name.as_str()),
            ) {
                install_runtime(
                    recipe,
                    artifact,
                    &install_dir,
                    &abi,
                    &pin,
                    settings,
                    args.keep_stdlib_tests,
                )?;
            }
        }
    }

    eprintln!("\n{:<16} {:<8} {:>9}  log", "recipe", "result", "seconds");
    for (name, state, seconds, log) in &rows {
        eprintln!("{name:<16} {state:<8} {seconds:>9.1}  {}", log.display());
    }
    for (name, error) in &failed {
        let log = error
            .log()
            .map(|log| log.display().to_string())
            .unwrap_or_default();
        eprintln!("{name:<16} {:<8} {:>9}  {log}", "FAILED", "-");
    }
    for (name, because) in &skipped {
        eprintln!(
            "{name:<16} {:<8} {:>9}  (because `{because}` did not build)",
            "skipped", "-"
        );
    }
    Ok(if failed.is_empty() && skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every recipe `name` compiles against: host requirements, transitively, in order.
fn host_closure<'a>(graph: &Graph<'a>, name: &str) -> Vec<&'a str> {
    let mut seen = Vec::new();
    let mut stack: Vec<&str> = graph
        .get(name)
        .map(|r| r.requirements.host.iter().map(String::as_str).collect())
        .unwrap_or_default();
    while let Some(next) = stack.pop() {
        if let Some(recipe) = graph.get(next)
            && !seen.contains(&recipe.package.name.as_str())
        {
            seen.push(recipe.package.name.as_str());
            stack.extend(recipe.requirements.host.iter().map(String::as_str));
        }
    }
    seen.reverse();
    seen
}

fn install_runtime(
    recipe: &Recipe,
    artifact: &Artifact,
    install_dir: &std::path::Path,
    abi: &Abi,
    pin: &Pin,
    settings: &Settings,
    keep_tests: bool,
) -> anyhow::Result<()> {
    let options = BundleOptions {
        abi,
        python_version: &recipe.package.version,
        emscripten_version: pin.expect.get("emscripten").map_or("", String::as_str),
        source_date_epoch: settings.source_date_epoch,
        keep_tests,
    };
    bundle::assemble(&artifact.prefix(), install_dir, &options).with_context(|| {
        format!(
            "cannot install the runtime into `{}`",
            install_dir.display()
        )
    })?;
    eprintln!(
        "kiln: runtime bundle written to `{}`",
        install_dir.display()
    );
    Ok(())
}
