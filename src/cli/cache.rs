//! `kiln cache list|prune` and `kiln clean [NAME…]`.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use kiln::cache::BuildCache;
use kiln::config::Settings;

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List finished builds in the cache: recipe, version, key, size, build time
    List,
    /// Remove cached builds: every build of the named recipes, or all builds
    Prune {
        /// Recipes whose builds to remove (default: all)
        names: Vec<String>,
    },
}

pub fn run(settings: &Settings, command: CacheCommand) -> anyhow::Result<ExitCode> {
    let cache = BuildCache::new(&settings.cache_dir);
    match command {
        CacheCommand::List => {
            for artifact in cache.entries() {
                let info = &artifact.info;
                println!(
                    "{:<16} {:<12} {:<16} {:<15} {:>10} {:>8.1}s",
                    info.name,
                    info.version,
                    info.kind,
                    &info.key[..12.min(info.key.len())],
                    human_size(tree_size(&artifact.dir)),
                    info.build_seconds
                );
            }
        }
        CacheCommand::Prune { names } => {
            let mut freed = 0;
            for artifact in cache.entries() {
                if names.is_empty() || names.contains(&artifact.info.name) {
                    freed += tree_size(&artifact.dir);
                    let key = artifact.info.key.parse()?;
                    cache.remove(&artifact.info.name, &key)?;
                }
            }
            eprintln!("kiln: freed {}", human_size(freed));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `kiln clean [NAME…]`: removes work trees (extracted sources, build logs, scratch prefixes).
pub fn clean(settings: &Settings, names: Vec<String>) -> anyhow::Result<ExitCode> {
    let build_dir = settings.build_dir();
    let targets: Vec<_> = if names.is_empty() {
        vec![build_dir]
    } else {
        names
            .iter()
            .map(|name| build_dir.join(kiln::recipe::normalize_name(name)))
            .collect()
    };
    for target in targets.iter().filter(|target| target.exists()) {
        fs_err::remove_dir_all(target)?;
        eprintln!("kiln: removed `{}`", target.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn tree_size(dir: &Path) -> u64 {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => tree_size(&entry.path()),
            Ok(kind) if kind.is_file() => entry.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}
