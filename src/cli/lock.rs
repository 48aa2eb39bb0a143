//! `kiln lock [DIST]` and `kiln verify [DIST]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use kiln::config::Settings;
use kiln::lock::{self, LockInfo, PackageInfo};
use kiln::recipe::{BuildKind, Recipe};
use kiln::toolchain::Abi;

#[derive(Debug, Args)]
pub struct DistArgs {
    /// The distribution folder
    #[arg(default_value = "dist", value_name = "DIST")]
    pub dist: PathBuf,
}

/// `kiln lock`: rewrites `pyodide-lock.json` from the wheels in the folder.
pub fn lock(settings: &Settings, args: DistArgs) -> anyhow::Result<ExitCode> {
    let recipes = super::recipe::load_all(settings)?;
    let dist = settings.project_dir.join(&args.dist);
    let count = write_lock(settings, &recipes, &dist)?;
    eprintln!(
        "kiln: wrote `{}` ({count} packages)",
        dist.join(lock::LOCK_FILE).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the lockfile for `dist`; returns the number of entries.
pub fn write_lock(settings: &Settings, recipes: &[Recipe], dist: &Path) -> anyhow::Result<usize> {
    let abi = Abi::load(&settings.platform_file)?;
    let python = recipes
        .iter()
        .find(|recipe| recipe.build.kind == BuildKind::Runtime)
        .map_or_else(String::new, |recipe| recipe.package.version.clone());
    let info = LockInfo {
        abi_version: abi.abi_version.clone(),
        arch: "wasm32".into(),
        platform: abi.lock_platform(),
        python,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let known: BTreeMap<String, PackageInfo> = recipes
        .iter()
        .filter(|recipe| {
            matches!(
                recipe.build.kind,
                BuildKind::Package | BuildKind::SharedLibrary
            )
        })
        .map(|recipe| {
            let info = PackageInfo {
                imports: recipe.package.top_level.clone(),
                depends: recipe.requirements.run.clone(),
                shared_library_version: (recipe.build.kind == BuildKind::SharedLibrary)
                    .then(|| recipe.package.version.clone()),
            };
            (recipe.package.name.clone(), info)
        })
        .collect();
    let lockfile = lock::from_dist(dist, info, &known)?;
    lockfile
        .write(&dist.join(lock::LOCK_FILE))
        .context("cannot write the lockfile")?;
    Ok(lockfile.packages.len())
}

/// `kiln verify`: exits 1 with a report when the folder and its lock disagree.
pub fn verify(settings: &Settings, args: DistArgs) -> anyhow::Result<ExitCode> {
    let dist = settings.project_dir.join(&args.dist);
    let problems = lock::verify(&dist)?;
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
