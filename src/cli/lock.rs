//! `kiln lock [DIST]` and `kiln verify [DIST]`: parse, call [`kiln::dist`], print.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use kiln::config::Settings;
use kiln::dist::{self, Limits, LockError, LockOptions, Locked, PackageInfo, Runtime};
use kiln::recipe::Recipe;
use kiln::toolchain::Abi;

#[derive(Debug, Args)]
pub struct DistArgs {
    /// The distribution folder, relative to the current folder (default: `dist` in the project)
    #[arg(value_name = "DIST")]
    pub dist: Option<PathBuf>,
}

/// `kiln lock`: rewrites `pyodide-lock.json` from the wheels in the folder, or refuses.
pub fn lock(settings: &Settings, args: DistArgs) -> anyhow::Result<ExitCode> {
    let dist = settings.command_line_dir(args.dist.as_deref(), "dist");
    let recipes = super::recipe::load_all(settings)?;
    match write_lock(settings, &recipes, &dist) {
        Ok(locked) => {
            report_locked(&locked);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Err(report_refusals(error)),
    }
}

/// Writes the lockfile for `dist` with the project's runtime and recipes.
pub fn write_lock(settings: &Settings, recipes: &[Recipe], dist: &Path) -> anyhow::Result<Locked> {
    let abi = Abi::load(&settings.abi_file())?;
    let runtime = Runtime::of_project(&abi, recipes)?;
    let known = PackageInfo::from_recipes(recipes);
    let options = LockOptions {
        runtime: &runtime,
        known: &known,
        limits: Limits::DEFAULT,
    };
    Ok(dist::lock(dist, &options)?)
}

pub fn report_locked(locked: &Locked) {
    if locked.removed_temporaries > 0 {
        eprintln!(
            "kiln: removed {} temporary file(s) an interrupted run left",
            locked.removed_temporaries
        );
    }
    eprintln!(
        "kiln: wrote `{}` ({} packages)",
        locked.path.display(),
        locked.lockfile.packages.len()
    );
}

/// Prints each refused wheel on its own line before the error itself is rendered.
pub fn report_refusals(error: anyhow::Error) -> anyhow::Error {
    if let Some(LockError::Refused { refusals, .. }) = error.downcast_ref::<LockError>() {
        for refusal in refusals {
            eprintln!("refused: {refusal}");
        }
    }
    error
}

/// `kiln verify`: exits 1 with a report when the folder and its lock disagree.
pub fn verify(settings: &Settings, args: DistArgs) -> anyhow::Result<ExitCode> {
    let dist = settings.command_line_dir(args.dist.as_deref(), "dist");
    let problems = dist::verify(&dist, &Limits::DEFAULT)?;
    if problems.is_empty() {
        println!("ok: `{}` matches its lockfile", dist.display());
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        println!("problem: {problem}");
    }
    eprintln!(
        "error: {} problem{} in `{}`",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        dist.display()
    );
    Ok(ExitCode::from(1))
}
