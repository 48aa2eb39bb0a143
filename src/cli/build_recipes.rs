//! `kiln build-recipes PATTERN… [--install]`, with pyodide-build's option names.

use std::collections::{BTreeMap, BTreeSet};
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
use kiln::cache::remote::{self, RemoteCache, WaitOutcome};
use kiln::config::Settings;
use kiln::dist::{self, AssembleOptions, Contents};
use kiln::graph::Graph;
use kiln::graph::schedule::{self, TaskOutcome};
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
    /// Build only share I of N (1-based, `--shard 2/4`), as a CI matrix job does: recipes are
    /// split by the build times in `build-times.json`, the same way on every shard; other
    /// shards' recipes that this share needs are waited for and pulled from the remote cache
    #[arg(long, value_name = "I/N", conflicts_with = "install")]
    pub shard: Option<Shard>,
    /// How long a shard waits for another shard's recipe in the remote cache before building
    /// it itself, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 7200)]
    pub shard_timeout: u64,
    /// Build nothing: every artifact must be in the local or the remote cache (the final
    /// `--install` after sharded builds)
    #[arg(long)]
    pub no_build: bool,
    #[command(flatten)]
    pub dist: super::install::InstallArgs,
    /// With `--install`: byte-compile the installed wheels for the runtime's Python (as
    /// `kiln py-compile`) before the lockfile is written, and ship the stdlib as bytecode
    /// (`--stdlib-bytecode`)
    #[arg(long, requires = "install")]
    pub compile: bool,
    /// With `--install`: the slim variant, for an application whose packages are all in the
    /// distribution. The interpreter is relinked to export only what the distribution's side
    /// modules import (and what the loader calls): smaller and faster to start, but not a
    /// general `pyemscripten` runtime, since a wheel from elsewhere may import a symbol it
    /// does not export (the loader then refuses it, naming the symbols). `runtime.json` and
    /// the lockfile's `info` say `"variant": "slim"`
    #[arg(long, requires = "install")]
    pub slim: bool,
    /// Progress as one JSON object per line on stdout
    #[arg(long)]
    pub json: bool,
    /// Plain progress lines even on a terminal
    #[arg(long)]
    pub no_progress: bool,
}

/// `--shard I/N`: share `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("expected I/N (e.g. `1/2`), found `{text}`"))?;
        let parse = |part: &str| {
            part.trim()
                .parse::<usize>()
                .map_err(|_| format!("expected I/N (e.g. `1/2`), found `{text}`"))
        };
        let (index, count) = (parse(index)?, parse(count)?);
        if count == 0 || index == 0 || index > count {
            return Err(format!("expected 1 ≤ I ≤ N, found `{text}`"));
        }
        Ok(Shard { index, count })
    }
}

/// The build times shards split by: `build-times.json` in the project (recipe → seconds, the
/// last column of `kiln cache list`), identical on every shard because it is committed. A recipe
/// it does not list counts 30 s.
fn committed_build_times(settings: &Settings) -> anyhow::Result<BTreeMap<String, f64>> {
    let path = settings.project_dir.join("build-times.json");
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let text = kiln::fs::read_bounded_to_string(&path, 1024 * 1024, "the build times")?;
    serde_json::from_str(&text).with_context(|| format!("cannot read `{}`", path.display()))
}

/// The toolchain: the installed root; else the remote's copy of it; else a fresh install,
/// which is then pushed to the remote for the next runner.
fn toolchain_with_remote(
    settings: &Settings,
    pin: &Pin,
    remote: Option<&RemoteCache>,
) -> anyhow::Result<toolchain::Toolchain> {
    if let Ok(found) = toolchain::locate(settings, pin) {
        return Ok(found);
    }
    let name = pin.root_name();
    if let Some(remote) = remote.filter(|remote| remote.usable()) {
        let target = settings
            .toolchains_dir()
            .join(format!(".tmp-{name}-remote-{}", std::process::id()));
        let started = Instant::now();
        match remote.pull_root(&name, &target) {
            Ok(Some(())) => {
                kiln::fs::rename_dir_into_place(&target, &settings.toolchains_dir().join(&name))
                    .with_context(|| format!("cannot move `{}` into place", target.display()))?;
                eprintln!(
                    "kiln: toolchain root `{name}` pulled from the remote cache in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(toolchain::locate(settings, pin)?);
            }
            Ok(None) => {}
            Err(error) => {
                let _ = fs_err::remove_dir_all(&target);
                remote.give_up("cannot pull the toolchain root", &error);
            }
        }
    }
    let installed = toolchain::install(settings, pin, &|line| eprintln!("kiln: {line}"))
        .context("cannot install the toolchain root")?;
    if let Some(remote) = remote.filter(|remote| remote.usable()) {
        let started = Instant::now();
        match remote.push_root(&name, &settings.toolchains_dir().join(&name)) {
            Ok(true) => eprintln!(
                "kiln: toolchain root `{name}` pushed to the remote cache in {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            Ok(false) => {}
            Err(error) => remote.give_up("cannot push the toolchain root", &error),
        }
    }
    Ok(installed)
}

/// One row of the final summary (also written as JSON).
#[derive(Debug, Serialize)]
struct Row {
    recipe: String,
    version: String,
    result: &'static str,
    seconds: Option<f64>,
    /// The recipe's test, when this run ran it (`passed (2 imports + script, 1.3 s)`).
    test: Option<String>,
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
    if args.shard.is_some() && settings.remote_cache.is_none() {
        anyhow::bail!(
            "`--shard` needs a remote cache (`--remote-cache` or `KILN_REMOTE_CACHE`): shards share their builds through it"
        );
    }
    let remote = settings
        .remote()
        .map(|remote| {
            RemoteCache::open(
                &remote,
                settings.cache_dir.join("tmp-v0").join("remote"),
                Box::new(|message| eprintln!("warning: {message}")),
            )
        })
        .transpose()?;
    // Like pyodide-build's cross-build environment, the toolchain provisions itself (or comes
    // from the remote cache).
    let toolchain = toolchain_with_remote(settings, &pin, remote.as_ref())?;

    let parallel = args.jobs.unwrap_or(1).max(1);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut builder = Builder::new(settings, &toolchain, &platform, (cores / parallel).max(1));
    builder.remote = remote.as_ref();
    // Each package's `[test]` runs in the runtime before the package is cached.
    let tests = kiln::smoke::RuntimeTests::new(settings, &toolchain, abi, &recipes)?;
    builder.tests = Some(&tests);
    let builder = builder;

    // Keys depend only on inputs and dependency keys: compute them all up front.
    let keys = builder.keys(&order, &|name| graph.dependencies(name))?;
    if args.force_rebuild {
        for name in &selected {
            builder.cache.remove(name, &keys[*name])?;
        }
    }

    let mode = if args.json {
        ProgressMode::Json
    } else if args.no_progress || !std::io::stderr().is_terminal() {
        ProgressMode::Lines
    } else {
        ProgressMode::Bars
    };
    // Shards: this one builds its share, and only waits for (and pulls) the other shards'
    // recipes that its share needs; the rest of the selection is theirs alone.
    let mut external: BTreeSet<&str> = BTreeSet::new();
    let order: Vec<&Recipe> = match args.shard {
        None => order,
        Some(shard) => {
            let times = committed_build_times(settings)?;
            let shard_cost =
                |recipe: &Recipe| times.get(&recipe.package.name).copied().unwrap_or(30.0);
            let table = schedule::shard_assignment(&order, shard.count, &shard_cost);
            let mine: BTreeSet<&str> = table
                .iter()
                .filter(|(_, index)| **index == shard.index - 1)
                .map(|(name, _)| *name)
                .collect();
            let mut needed = mine.clone();
            for name in &mine {
                needed.extend(graph.dependency_closure(name)?);
            }
            external = needed.difference(&mine).copied().collect();
            eprintln!(
                "kiln: shard {}/{}: builds {} recipe(s) ({}), waits for {} from other shards",
                shard.index,
                shard.count,
                mine.len(),
                mine.iter().copied().collect::<Vec<_>>().join(", "),
                external.len()
            );
            order
                .into_iter()
                .filter(|recipe| needed.contains(recipe.package.name.as_str()))
                .collect()
        }
    };
    let shard_timeout = std::time::Duration::from_secs(args.shard_timeout);

    let progress = Progress::new(mode, order.len());
    let finished: Mutex<BTreeMap<String, Artifact>> = Mutex::new(BTreeMap::new());
    let previous_seconds = previous_build_seconds(&builder);
    let cost = |recipe: &Recipe| {
        previous_seconds
            .get(&recipe.package.name)
            .copied()
            .unwrap_or(30.0)
    };
    let outcomes = schedule::run_with_external(
        &graph,
        &order,
        parallel,
        &external,
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
            let key = &keys[name];
            if external.contains(name) || args.no_build {
                // Another shard builds it (or nothing may be built): wait for the remote.
                if builder.cache.lookup(name, key).ok().flatten().is_none()
                    && let Some(remote) = builder.remote.filter(|remote| remote.usable())
                {
                    let timeout = if args.no_build {
                        std::time::Duration::ZERO
                    } else {
                        shard_timeout
                    };
                    let poll = std::time::Duration::from_secs(2);
                    match remote::wait_for(remote, name, key, timeout, poll) {
                        Ok(WaitOutcome::Present) => {}
                        Ok(WaitOutcome::Failed) => {
                            return Err(BuildError::Elsewhere {
                                name: name.to_string(),
                                why: "its shard failed to build it",
                            });
                        }
                        Ok(WaitOutcome::TimedOut) if args.no_build => {
                            return Err(BuildError::Elsewhere {
                                name: name.to_string(),
                                why: "neither the local nor the remote cache has it (`--no-build`)",
                            });
                        }
                        Ok(WaitOutcome::TimedOut) => eprintln!(
                            "warning: `{name}` did not appear in the remote cache within {} s; building it here",
                            shard_timeout.as_secs()
                        ),
                        Err(error) => remote.give_up("cannot wait for the remote cache", &error),
                    }
                } else if args.no_build && builder.cache.lookup(name, key).ok().flatten().is_none()
                {
                    return Err(BuildError::Elsewhere {
                        name: name.to_string(),
                        why: "the local cache does not have it and no remote cache is usable (`--no-build`)",
                    });
                }
            }
            let outcome = match builder.build(recipe, key, &host) {
                Ok(outcome) => outcome,
                Err(error) => {
                    if args.shard.is_some()
                        && let Some(remote) = builder.remote.filter(|remote| remote.usable())
                        && let Err(mark) = remote.mark_failed(name, key)
                    {
                        remote.give_up("cannot record a failed build in the remote cache", &mark);
                    }
                    return Err(error);
                }
            };
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
            test: None,
            log: None,
            key: keys.get(&name).map(|key| key.to_string()),
            because: None,
            size_bytes: None,
        };
        match &outcomes[&name] {
            TaskOutcome::Done { value, elapsed } => {
                row.result = value.as_str();
                row.test = value.test().map(ToString::to_string);
                row.seconds = Some(elapsed.as_secs_f64());
                row.log = Some(value.artifact().log());
                row.size_bytes = Some(super::cache::tree_size(&value.artifact().prefix()));
            }
            TaskOutcome::Failed { error, elapsed } => {
                ok = false;
                row.result = "failed";
                row.seconds = Some(elapsed.as_secs_f64());
                if matches!(error, BuildError::Test { .. }) {
                    row.test = Some("failed".to_string());
                }
                row.log = error.log().map(Path::to_path_buf);
                eprintln!("\nerror: {error}");
                let mut cause = std::error::Error::source(error);
                while let Some(inner) = cause {
                    eprintln!("  Caused by: {inner}");
                    cause = inner.source();
                }
                if let Some(hint) = error.hint() {
                    eprintln!("\nhint: {}", hint.replace("<name>", &name));
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
            stdlib: {
                // `--compile`: the stdlib as bytecode too, written so by the bundle.
                let mut stdlib = args.dist.stdlib_options();
                stdlib.bytecode |= args.compile;
                stdlib
            },
            contents: if wheels_only {
                Contents::WheelsOf(&selected)
            } else {
                Contents::Everything
            },
        };
        let installed = dist::assemble(&install_dir, &built, &options)?;
        if args.compile {
            let compiled =
                super::py_compile::compile_folder(settings, &toolchain, abi, &install_dir)?;
            let modules: usize = compiled.iter().map(|compiled| compiled.compiled).sum();
            eprintln!(
                "kiln: byte-compiled {modules} module(s) in {} archive(s)",
                compiled.len()
            );
        }
        if installed.runtime {
            eprintln!(
                "kiln: runtime bundle written to `{}`",
                install_dir.display()
            );
        }
        for (removed, by) in &installed.replaced {
            eprintln!(
                "kiln: removed `{removed}` from `{}`: replaced by `{by}`",
                install_dir.display()
            );
        }
        if args.slim {
            slim(
                settings,
                &toolchain,
                abi,
                &built,
                &install_dir,
                installed.runtime,
            )?;
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
        // Compressions of content seen before (the runtime, cached wheels) come from the cache.
        let memo = kiln::bundle::precompress::Memo::in_cache(&settings.cache_dir);
        if !args.dist.no_precompress {
            let done = kiln::bundle::precompress::precompress_dir(&install_dir, &memo)
                .with_context(|| format!("cannot precompress `{}`", install_dir.display()))?;
            let copies = done
                .iter()
                .map(|c| usize::from(c.gzip.is_some()) + usize::from(c.brotli.is_some()))
                .sum::<usize>();
            eprintln!("kiln: {copies} precompressed copies (.br, .gz) beside the large files");
        }
        if !wheels_only {
            let report = kiln::dist::size::report(&install_dir, &memo).with_context(|| {
                format!("cannot report the sizes of `{}`", install_dir.display())
            })?;
            eprint!("\n{}", kiln::dist::size::render(&report));
            super::size::check(settings, args.dist.size_budget.as_ref(), &report)?;
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

/// `--slim`: the runtime in `install_dir` relinked for the distribution there
/// ([`kiln::bundle::slim`]).
fn slim(
    settings: &Settings,
    toolchain: &toolchain::Toolchain,
    abi: &Abi,
    built: &[(&Recipe, &Artifact)],
    install_dir: &Path,
    has_runtime: bool,
) -> anyhow::Result<()> {
    use kiln::bundle::slim::{self, LinkKit, Relink};
    let runtime = built
        .iter()
        .find(|(recipe, _)| recipe.build.kind == kiln::recipe::BuildKind::Runtime)
        .filter(|_| has_runtime)
        .map(|(_, artifact)| *artifact)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "`--slim` relinks the runtime, and this installation has none\n\nhint: select the runtime recipe too (`cpython`), or a package that depends on it"
            )
        })?;
    let kit = LinkKit::open(&runtime.prefix(), abi.python)?;
    let started = Instant::now();
    eprintln!("kiln: slim runtime: relinking the interpreter for the distribution's side modules");
    let relink = Relink {
        toolchain,
        work: &settings.build_dir().join(".slim"),
        cache: &settings.cache_dir.join("slim-v0"),
    };
    let info =
        slim::install(install_dir, abi, &kit, &relink).context("cannot make the slim runtime")?;
    eprintln!(
        "kiln: slim runtime: the interpreter offers {} symbols to {} side modules ({}, {:.1} s)",
        info.symbols,
        info.side_modules,
        if info.cached { "cached link" } else { "linked" },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_summary(rows: &[Row], wall: f64, critical_path: f64) {
    eprintln!(
        "\n{:<16} {:<10} {:<8} {:>9} {:>10}  {:<36} log",
        "recipe", "version", "result", "seconds", "size", "test"
    );
    for row in rows {
        let seconds = row.seconds.map_or("-".into(), |s| format!("{s:.1}"));
        let size = row.size_bytes.map_or("-".into(), super::cache::human_size);
        let test = row.test.as_deref().unwrap_or("-");
        let detail = match (&row.because, &row.log) {
            (Some(because), _) => format!("(because `{because}` did not build)"),
            (None, Some(log)) => log.display().to_string(),
            (None, None) => String::new(),
        };
        eprintln!(
            "{:<16} {:<10} {:<8} {seconds:>9} {size:>10}  {test:<36} {detail}",
            row.recipe, row.version, row.result
        );
    }
    let count = |result: &str| rows.iter().filter(|row| row.result == result).count();
    eprintln!(
        "\n{} built, {} cached, {} pulled, {} failed, {} skipped in {wall:.1} s (critical path {critical_path:.1} s)",
        count("built"),
        count("cached"),
        count("pulled"),
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
