//! `kiln build-recipes PATTERN… [--install]`, with pyodide-build's option names.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use kiln::build::{BuildError, Builder, Outcome};
use kiln::cache::Artifact;
use kiln::config::Settings;
use kiln::dist::{self, AssembleOptions, Contents};
use kiln::graph::Graph;
use kiln::graph::schedule::{self, TaskOutcome};
use kiln::hash::Sha256;
use kiln::progress::{Progress, ProgressMode};
use kiln::recipe::Recipe;
use kiln::toolchain::{self, Abi, Pin, Platform};

#[derive(Debug, Args)]
pub struct BuildRecipesArgs {
    /// Recipes to build: names, `tag:NAME`, `*` for all, `!NAME` or `!tag:NAME` to leave out
    #[arg(required = true)]
    pub patterns: Vec<String>,
    /// Copy the results into the install folder (the runtime bundle, wheels, lockfile)
    #[arg(long)]
    pub install: bool,
    /// Where `--install` puts the distribution, relative to the current folder (default: `dist`
    /// in the project)
    #[arg(long, value_name = "DIR")]
    pub install_dir: Option<PathBuf>,
    /// How many recipes build at once (default: 1; each build gets cores / N jobs for make)
    #[arg(short = 'j', long = "n-jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Rebuild the selected recipes even when the cache has them
    #[arg(long)]
    pub force_rebuild: bool,
    #[command(flatten)]
    pub dist: super::install::InstallArgs,
    /// Progress as one JSON object per line on stdout
    #[arg(long)]
    pub json: bool,
    /// Plain progress lines even on a terminal
    #[arg(long)]
    pub no_progress: bool,
}

/// One row of the final summary (also written as JSON).
#[derive(Debug, Serialize)]
struct Row {
    recipe: String,
    version: String,
    result: &'static str,
    seconds: Option<f64>,
    log: Option<PathBuf>,
    key: Option<String>,
    because: Option<String>,
    size_bytes: Option<u64>,
}

pub fn run(settings: &Settings, args: BuildRecipesArgs) -> anyhow::Result<ExitCode> {
    let recipes = super::recipe::load_all(settings)?;
    run_with_recipes(settings, recipes, args, false)
}

/// Builds the selection from `recipes`; `wheels_only` installs only wheels (`kiln build`),
/// not the runtime bundle and lockfile.
pub fn run_with_recipes(
    settings: &Settings,
    recipes: Vec<Recipe>,
    args: BuildRecipesArgs,
    wheels_only: bool,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // The selection, the pin and the ABI file are checked before anything happens: a typo
    // must not cost a toolchain install.
    let graph = Graph::new(&recipes);
    let selected = graph.select(&args.patterns)?;
    let order = graph.build_order(&selected)?;
    let pin = Pin::load(&settings.toolchain_pin())?;
    let platform = Platform::new(Abi::load(&settings.platform_file)?);
    let abi = &platform.abi;
    // Like pyodide-build's cross-build environment, the toolchain provisions itself.
    let toolchain = toolchain::install(settings, &pin, &|line| eprintln!("kiln: {line}"))
        .context("cannot install the toolchain root")?;

    let parallel = args.jobs.unwrap_or(1).max(1);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let builder = Builder::new(settings, &toolchain, &platform, (cores / parallel).max(1));

    // Keys depend only on inputs and dependency keys: compute them all up front.
    let mut keys: BTreeMap<String, Sha256> = BTreeMap::new();
    for recipe in &order {
        let name = recipe.package.name.as_str();
        let dependency_keys: Vec<(String, Sha256)> = graph
            .dependencies(name)
            .iter()
            .map(|dep| (dep.to_string(), keys[*dep]))
            .collect();
        let key = builder.key(recipe, &dependency_keys)?;
        if args.force_rebuild && selected.contains(name) {
            builder.cache.remove(name, &key)?;
        }
        keys.insert(name.to_string(), key);
    }

    let mode = if args.json {
        ProgressMode::Json
    } else if args.no_progress || !std::io::stderr().is_terminal() {
        ProgressMode::Lines
    } else {
        ProgressMode::Bars
    };
    let progress = Progress::new(mode, order.len());
    let finished: Mutex<BTreeMap<String, Artifact>> = Mutex::new(BTreeMap::new());
    let previous_seconds = previous_build_seconds(&builder);
    let cost = |recipe: &Recipe| {
        previous_seconds
            .get(&recipe.package.name)
            .copied()
            .unwrap_or(30.0)
    };
    let outcomes = schedule::run(
        &graph,
        &order,
        parallel,
        &cost,
        |recipe, _direct| {
            let name = recipe.package.name.as_str();
            let host: Vec<Artifact> = {
                let finished = finished.lock().expect("not poisoned");
                graph
                    .dependency_closure(name)
                    .expect("build_order already rejected cycles and unknown names")
                    .iter()
                    .filter_map(|dep| finished.get(*dep).cloned())
                    .collect()
            };
            let host: Vec<&Artifact> = host.iter().collect();
            let outcome = builder.build(recipe, &keys[name], &host)?;
            finished
                .lock()
                .expect("not poisoned")
                .insert(name.to_string(), outcome.artifact().clone());
            Ok::<Outcome, BuildError>(outcome)
        },
        &progress,
    );
    progress.finish();

    let mut rows = Vec::new();
    let mut ok = true;
    for recipe in &order {
        let name = recipe.package.name.clone();
        let mut row = Row {
            recipe: name.clone(),
            version: recipe.package.version.clone(),
            result: "",
            seconds: None,
            log: None,
            key: keys.get(&name).map(|key| key.to_string()),
            because: None,
            size_bytes: None,
        };
        match &outcomes[&name] {
            TaskOutcome::Done { value, elapsed } => {
                row.result = if matches!(value, Outcome::Built(_)) {
                    "built"
                } else {
                    "cached"
                };
                row.seconds = Some(elapsed.as_secs_f64());
                row.log = Some(value.artifact().log());
                row.size_bytes = Some(super::cache::tree_size(&value.artifact().prefix()));
            }
            TaskOutcome::Failed { error, elapsed } => {
                ok = false;
                row.result = "failed";
                row.seconds = Some(elapsed.as_secs_f64());
                row.log = error.log().map(Path::to_path_buf);
                eprintln!("\nerror: {error}");
                let mut cause = std::error::Error::source(error);
                while let Some(inner) = cause {
                    eprintln!("  Caused by: {inner}");
                    cause = inner.source();
                }
            }
            TaskOutcome::Skipped { because } => {
                ok = false;
                row.result = "skipped";
                row.because = Some(because.clone());
            }
        }
        rows.push(row);
    }

    if args.install && ok {
        let install_dir = settings.command_line_dir(args.install_dir.as_deref(), "dist");
        let built: Vec<(&Recipe, &Artifact)> = order
            .iter()
            .filter_map(|recipe| match &outcomes[&recipe.package.name] {
                TaskOutcome::Done { value, .. } => Some((*recipe, value.artifact())),
                _ => None,
            })
            .collect();
        let options = AssembleOptions {
            abi,
            emscripten_version: &abi.emscripten,
            source_date_epoch: settings.source_date_epoch,
            stdlib: args.dist.stdlib_options(),
            contents: if wheels_only {
                Contents::WheelsOf(&selected)
            } else {
                Contents::Everything
            },
        };
        let installed = dist::assemble(&install_dir, &built, &options)?;
        if installed.runtime {
            eprintln!(
                "kiln: runtime bundle written to `{}`",
                install_dir.display()
            );
        }
        if wheels_only {
            eprintln!(
                "kiln: {} wheel(s) in `{}`",
                installed.wheels,
                install_dir.display()
            );
        } else {
            let locked = super::lock::write_lock(settings, &recipes, &install_dir)
                .map_err(super::lock::report_refusals)?;
            eprintln!(
                "kiln: installed {} wheel(s); `{}` lists {} package(s)",
                installed.wheels,
                locked.path.display(),
                locked.lockfile.packages.len()
            );
        }
        if !args.dist.no_precompress {
            let done = kiln::bundle::precompress::precompress_dir(&install_dir)
                .with_context(|| format!("cannot precompress `{}`", install_dir.display()))?;
            let copies = done
                .iter()
                .map(|c| usize::from(c.gzip.is_some()) + usize::from(c.brotli.is_some()))
                .sum::<usize>();
            eprintln!("kiln: {copies} precompressed copies (.br, .gz) beside the large files");
        }
    }

    progress.event(serde_json::json!({"event": "summary", "rows": &rows}));
    let seconds: BTreeMap<String, f64> = rows
        .iter()
        .filter_map(|row| row.seconds.map(|s| (row.recipe.clone(), s)))
        .collect();
    let critical = schedule::critical_path(&order, &graph, &seconds);
    print_summary(&rows, started.elapsed().as_secs_f64(), critical);
    let summary_path = settings.build_dir().join("build-summary.json");
    let json = serde_json::to_string_pretty(&rows).expect("summary serialises");
    kiln::fs::write_atomic(&summary_path, json.as_bytes())
        .with_context(|| format!("cannot write `{}`", summary_path.display()))?;
    if !ok && args.install {
        eprintln!("kiln: nothing installed, because some recipes did not build");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_summary(rows: &[Row], wall: f64, critical_path: f64) {
    eprintln!(
        "\n{:<16} {:<10} {:<8} {:>9} {:>10}  log",
        "recipe", "version", "result", "seconds", "size"
    );
    for row in rows {
        let seconds = row.seconds.map_or("-".into(), |s| format!("{s:.1}"));
        let size = row.size_bytes.map_or("-".into(), super::cache::human_size);
        let detail = match (&row.because, &row.log) {
            (Some(because), _) => format!("(because `{because}` did not build)"),
            (None, Some(log)) => log.display().to_string(),
            (None, None) => String::new(),
        };
        eprintln!(
            "{:<16} {:<10} {:<8} {seconds:>9} {size:>10}  {detail}",
            row.recipe, row.version, row.result
        );
    }
    let count = |result: &str| rows.iter().filter(|row| row.result == result).count();
    eprintln!(
        "\n{} built, {} cached, {} failed, {} skipped in {wall:.1} s (critical path {critical_path:.1} s)",
        count("built"),
        count("cached"),
        count("failed"),
        count("skipped")
    );
}

/// How long each recipe took the last time it was built (any key), to prioritise.
fn previous_build_seconds(builder: &Builder) -> BTreeMap<String, f64> {
    builder
        .cache
        .entries()
        .into_iter()
        .map(|artifact| (artifact.info.name, artifact.info.build_seconds))
        .collect()
}
