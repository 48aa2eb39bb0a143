//! `kiln config list|get KEY`: the settings kiln resolved, as pyodide-build's `config` does.

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use kiln::config::{ENV_VARS, Settings};
use kiln::toolchain::Pin;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting as `key = value`
    List,
    /// Print one setting's value
    Get {
        /// A key shown by `kiln config list`
        key: String,
    },
    /// Print the environment variables kiln reads
    Env,
}

/// The settings as (key, value) pairs, in a fixed order.
fn entries(settings: &Settings) -> anyhow::Result<Vec<(&'static str, String)>> {
    let pin = Pin::load(&settings.toolchain_pin())?;
    let expect = |package: &str| pin.expect.get(package).cloned().unwrap_or_default();
    let show = |path: &std::path::Path| path.display().to_string();
    Ok(vec![
        ("project_dir", show(&settings.project_dir)),
        (
            "recipe_dirs",
            settings
                .recipe_layers()
                .iter()
                .map(|layer| show(&layer.dir))
                .collect::<Vec<_>>()
                .join(":"),
        ),
        ("cache_dir", show(&settings.cache_dir)),
        (
            "toolchain",
            format!("{:?}", settings.toolchain_mode).to_lowercase(),
        ),
        ("toolchain_pin", show(&settings.toolchain_pin())),
        ("toolchain_suite", pin.root.suite.clone()),
        (
            "toolchain_root",
            show(&kiln::toolchain::root::root_home(settings, &pin).join("root")),
        ),
        ("platform_file", show(&settings.platform_file)),
        ("emscripten_version", expect("emscripten")),
        (
            "debian_mirror",
            settings
                .debian_mirror
                .clone()
                .unwrap_or_else(|| "(host apt sources)".into()),
        ),
        (
            "index_url",
            settings
                .index_url
                .clone()
                .unwrap_or_else(|| "(pip configuration)".into()),
        ),
        (
            "ca_bundle",
            settings.ca_bundle.as_deref().map(show).unwrap_or_default(),
        ),
        ("source_date_epoch", settings.source_date_epoch.to_string()),
    ])
}

pub fn run(settings: &Settings, command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::List => {
            for (key, value) in entries(settings)? {
                println!("{key} = {value}");
            }
        }
        ConfigCommand::Get { key } => {
            let entries = entries(settings)?;
            let Some((_, value)) = entries.iter().find(|(name, _)| *name == key) else {
                let keys: Vec<_> = entries.iter().map(|(name, _)| *name).collect();
                bail!("unknown setting `{key}`; known: {}", keys.join(", "));
            };
            println!("{value}");
        }
        ConfigCommand::Env => {
            for (name, meaning) in ENV_VARS {
                println!("{name}\t{meaning}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
