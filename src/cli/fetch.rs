//! `kiln fetch NAME…`: download, verify, cache and extract sources without building.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use kiln::config::Settings;
use kiln::recipe::SourceSpec;
use kiln::source::{self, FetchContext};
use kiln::toolchain::{self, Pin};

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Recipes whose sources to fetch
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// Prints one line per recipe to stdout: name, version, sha256, `downloaded`/`cached`, and
/// the extracted source folder.
pub fn run(settings: &Settings, args: FetchArgs) -> anyhow::Result<ExitCode> {
    let recipes = super::recipe::layers(settings)
        .load_named(&args.names)
        .map_err(|errors| {
            super::recipe::report(errors);
            anyhow::anyhow!("invalid recipes")
        })?;
    let needs_root = recipes
        .iter()
        .any(|recipe| matches!(recipe.source.spec, SourceSpec::Debian { .. }));
    let pin = Pin::load(&settings.toolchain_pin())?;
    let toolchain = if needs_root {
        Some(toolchain::locate(settings, &pin)?)
    } else {
        None
    };
    for recipe in &recipes {
        let name = &recipe.package.name;
        let work = settings.build_dir().join(name);
        let log = work.join("fetch.log");
        fs_err::create_dir_all(&work)?;
        let context = FetchContext {
            settings,
            toolchain: toolchain.as_ref(),
            log: log.clone(),
        };
        let fetched = source::fetch(&recipe.source.spec, &context)
            .with_context(|| format!("cannot fetch `{name}`; log: `{}`", log.display()))?;
        let source_dir = source::prepare(recipe, &context, &work)
            .with_context(|| format!("cannot prepare `{name}`; log: `{}`", log.display()))?;
        let how = if fetched.from_cache {
            "cached"
        } else {
            "downloaded"
        };
        println!(
            "{name} {} {} {how} {}",
            recipe.package.version,
            fetched.sha256,
            source_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
