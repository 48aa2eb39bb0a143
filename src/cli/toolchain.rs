//! `kiln toolchain [show|install|prune|run -- CMD…]`

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};

use kiln::config::Settings;
use kiln::toolchain::{self, Pin, Toolchain, ToolchainError};

#[derive(Debug, Args)]
pub struct ToolchainArgs {
    #[command(subcommand)]
    pub command: Option<ToolchainCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ToolchainCommand {
    /// Print the root, its id, the key versions and what differs from the pin (default)
    Show,
    /// Make the root from the platform file's `[root]` unless it is there already
    Install,
    /// Remove roots made from earlier pins (each 3 GB or more), keeping the current one
    Prune {
        /// Only list what would be removed
        #[arg(long)]
        dry_run: bool,
    },
    /// Run a command inside the root, in the current folder
    Run {
        /// The command and its arguments (after `--`)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<OsString>,
    },
}

pub fn run(settings: &Settings, args: ToolchainArgs) -> anyhow::Result<ExitCode> {
    let pin = Pin::load(&settings.toolchain_pin())?;
    match args.command.unwrap_or(ToolchainCommand::Show) {
        ToolchainCommand::Show => show(settings, &pin),
        ToolchainCommand::Install => {
            let started = Instant::now();
            let toolchain = toolchain::install(settings, &pin, &|line| eprintln!("kiln: {line}"))
                .context("cannot install the toolchain root")?;
            eprintln!(
                "kiln: toolchain ready in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            print_toolchain(&toolchain, &pin);
            Ok(ExitCode::SUCCESS)
        }
        ToolchainCommand::Prune { dry_run } => {
            if dry_run {
                for root in toolchain::stale_roots(settings, &pin) {
                    println!(
                        "{}  {}",
                        super::cache::human_size(super::cache::tree_size(&root)),
                        root.display()
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let removed = toolchain::prune(settings, &pin)
                .context("cannot remove the toolchain roots of earlier pins")?;
            for root in &removed {
                eprintln!("kiln: removed `{}`", root.display());
            }
            if removed.is_empty() {
                eprintln!("kiln: no toolchain roots of earlier pins");
            }
            Ok(ExitCode::SUCCESS)
        }
        ToolchainCommand::Run { command } => {
            let toolchain = toolchain::locate(settings, &pin)?;
            let workdir = std::env::current_dir().context("cannot read the current folder")?;
            let status = toolchain
                .command(&command, &workdir, &terminal_env())
                .stdin(std::process::Stdio::inherit())
                .status()
                .context("cannot start the command in the toolchain root")?;
            Ok(ExitCode::from(status.code().unwrap_or(128) as u8))
        }
    }
}

/// Keeps an interactive command's terminal usable inside the root.
fn terminal_env() -> Vec<(String, String)> {
    ["TERM", "COLUMNS", "LINES"]
        .iter()
        .filter_map(|name| {
            std::env::var(name)
                .ok()
                .map(|value| (name.to_string(), value))
        })
        .collect()
}

fn show(settings: &Settings, pin: &Pin) -> anyhow::Result<ExitCode> {
    match toolchain::locate(settings, pin) {
        Ok(toolchain) => {
            print_toolchain(&toolchain, pin);
            Ok(ExitCode::SUCCESS)
        }
        Err(error @ ToolchainError::NotInstalled { .. }) => {
            println!("root:    (not installed)");
            println!("pin:     {}", pin.path.display());
            eprintln!("\n{error}\nhint: Run `kiln toolchain install`");
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error.into()),
    }
}

fn print_toolchain(toolchain: &Toolchain, pin: &Pin) {
    let root = toolchain
        .root
        .as_deref()
        .map_or("(system)".into(), |root| root.display().to_string());
    println!("root:    {root}");
    println!("id:      {}", toolchain.id.short(16));
    println!("pin:     {}", pin.path.display());
    for package in pin.expect.keys() {
        let version = toolchain
            .packages
            .get(package)
            .map_or("(missing)", String::as_str);
        println!("{package:<12} {version}");
    }
    let mismatches = toolchain.mismatches(pin);
    if mismatches.is_empty() {
        println!("status:  matches the pin");
    } else {
        for mismatch in mismatches {
            println!("differs: {mismatch}");
        }
    }
}
