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
    /// Remove cached builds: every build of the named recipes, or all builds (and the staging
    /// folders interrupted runs left behind, and the remembered compressions of `--install`)
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
                    short_key(&info.key),
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
            if names.is_empty() {
                freed += sweep_stale_staging(settings);
                // The compressions `--install` remembers (derived, made again when needed).
                let memo = settings
                    .cache_dir
                    .join(kiln::bundle::precompress::MEMO_BUCKET);
                if memo.is_dir() {
                    freed += tree_size(&memo);
                    fs_err::remove_dir_all(&memo)?;
                }
            }
            eprintln!("kiln: freed {}", human_size(freed));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Removes staging folders (`.tmp-*`) that interrupted runs left in the source and build
/// caches. Only those untouched for an hour go: a live run's folder is younger than that.
fn sweep_stale_staging(settings: &Settings) -> u64 {
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut candidates = Vec::new();
    let sources = settings.sources_dir();
    let builds = settings.cache_dir.join(kiln::cache::BUILDS_BUCKET);
    let mut folders = vec![sources];
    if let Ok(entries) = fs_err::read_dir(&builds) {
        folders.extend(
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.is_dir()),
        );
    }
    for folder in folders {
        let Ok(entries) = fs_err::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let stale = entry.file_name().to_string_lossy().starts_with(".tmp-")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|time| time < an_hour_ago);
            if stale {
                candidates.push(entry.path());
            }
        }
    }
    let mut freed = 0;
    for path in candidates {
        freed += tree_size(&path);
        if fs_err::remove_dir_all(&path).is_ok() {
            eprintln!("kiln: removed the interrupted run's `{}`", path.display());
        }
    }
    freed
}

/// `kiln clean [NAME…]`: removes work trees (extracted sources, build logs, scratch
/// prefixes); only folders kiln made, by recipe name (see [`kiln::build::clean`]).
pub fn clean(settings: &Settings, names: Vec<String>) -> anyhow::Result<ExitCode> {
    let removed = kiln::build::clean::clean(&settings.project_dir, &settings.build_dir(), &names)?;
    for path in removed {
        eprintln!("kiln: removed `{}`", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The first 12 characters of a key, for a listing. Counted in characters, not bytes:
/// slicing a string at byte 12 panics inside a multi-byte character (issue 25).
fn short_key(key: &str) -> String {
    key.chars().take(12).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_25_short_keys_count_characters() {
        assert_eq!(short_key("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_key("abc"), "abc");
        // A multi-byte character across byte 12 (`é` is bytes 11 and 12).
        assert_eq!(short_key("01234567890é2345"), "01234567890é");
        assert_eq!(short_key("ééééééééééééé"), "éééééééééééé");
    }
}
