//! `kiln size [DIST] [--budget FILE]`: the size report of a distribution folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use kiln::config::Settings;
use kiln::dist::size::{self, Budget};

/// The budget file `--install` and `kiln size` read when none is named.
pub const BUDGET_FILE: &str = "size-budget.toml";

#[derive(Debug, Args)]
pub struct SizeArgs {
    /// The distribution folder, relative to the current folder (default: `dist` in the project)
    #[arg(value_name = "DIST")]
    pub dist: Option<PathBuf>,
    /// Budget file to check the report against (default: `size-budget.toml` in the project,
    /// when there is one); an overrun exits with status 1
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// The report as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(settings: &Settings, args: SizeArgs) -> anyhow::Result<ExitCode> {
    let dist = settings.command_line_dir(args.dist.as_deref(), "dist");
    let memo = kiln::bundle::precompress::Memo::in_cache(&settings.cache_dir);
    let report = size::report(&dist, &memo)
        .with_context(|| format!("cannot report the sizes of `{}`", dist.display()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serialises")
        );
    } else {
        print!("{}", size::render(&report));
    }
    check(settings, args.budget.as_ref(), &report)?;
    Ok(ExitCode::SUCCESS)
}

/// Checks `report` against `budget` (or the project's `size-budget.toml`, if any).
pub fn check(
    settings: &Settings,
    budget: Option<&PathBuf>,
    report: &size::SizeReport,
) -> anyhow::Result<()> {
    let path = match budget {
        Some(path) => settings.command_line_path(path),
        None => {
            let path = settings.project_dir.join(BUDGET_FILE);
            if !path.is_file() {
                return Ok(());
            }
            path
        }
    };
    let budget = Budget::read(&path)?;
    size::check_budget(report, &budget).with_context(|| {
        format!(
            "the distribution is over the budget of `{}`",
            path.display()
        )
    })?;
    eprintln!("kiln: within the size budget of `{}`", path.display());
    Ok(())
}
