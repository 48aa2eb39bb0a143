//! A package's build requirements, resolved once to exact versions with hashes and kept in the
//! cache, so a rebuild never asks the package index.
//!
//! The first build of a given request (the requirement lines, in order, for a given toolchain)
//! runs pip's resolver inside the root without installing anything (`pip install --dry-run
//! --report`), records what it chose, and downloads each chosen file through kiln's own fetcher
//! into `sources-v0/` by sha256, exactly as sources are. The build script then installs from a
//! wheelhouse of those files with `--no-index --require-hashes --no-deps`: pip resolves
//! nothing and reaches nothing. Layout:
//! ```text
//! requirements-v0/
//!   <request hash>.json   [{name, version, file, url, sha256}], written once, atomically
//! sources-v0/<sha256>/…   the files themselves (shared with sources)
//! ```
//! The request is a function of the recipe, its source and its host packages' versions, all
//! inside the cache key; the resolution is frozen at its first build, like a lockfile, and its
//! pinned lines are written into the build's log (kept with the cache entry). Deleting the
//! recorded resolution re-resolves on the next build.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{BuildError, Builder, io_error};
use crate::hash::{KeyHasher, Sha256};
use crate::recipe::SourceSpec;
use crate::run;
use crate::source::{self, FetchContext};

/// The bucket of recorded resolutions. Bump when [`Pinned`] changes.
pub const RESOLUTIONS_BUCKET: &str = "requirements-v0";

/// Where the script finds the files, inside the work folder.
pub const WHEELHOUSE_DIR: &str = "wheelhouse";

/// The pinned list the script installs (`name==version --hash=sha256:…` lines).
pub const REQUIREMENTS_FILE: &str = "build-requirements.txt";

/// One resolved build requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    pub name: String,
    pub version: String,
    /// The file name (a wheel, or an sdist when the index has no wheel).
    pub file: String,
    pub url: String,
    pub sha256: String,
}

/// pip's installation report, the parts kiln reads.
#[derive(Deserialize)]
struct Report {
    install: Vec<ReportItem>,
}

#[derive(Deserialize)]
struct ReportItem {
    download_info: DownloadInfo,
    metadata: ReportMetadata,
}

#[derive(Deserialize)]
struct DownloadInfo {
    url: String,
    #[serde(default)]
    archive_info: Option<ArchiveInfo>,
}

#[derive(Deserialize)]
struct ArchiveInfo {
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    hash: Option<String>,
}

#[derive(Deserialize)]
struct ReportMetadata {
    name: String,
    version: String,
}

/// The hash a resolution is recorded under: the requirement lines and the toolchain that
/// resolves them (its Python and platform).
pub fn request_hash(requirements: &[String], toolchain_id: &Sha256) -> Sha256 {
    let mut hasher = KeyHasher::new();
    hasher.field("toolchain", toolchain_id.as_bytes());
    for requirement in requirements {
        hasher.field("requirement", requirement);
    }
    hasher.finish()
}

/// Reads pip's `--report` JSON into pins; an item without a sha256 is refused.
fn parse_report(text: &str) -> Result<Vec<Pinned>, String> {
    let report: Report = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let mut pins = Vec::new();
    for item in report.install {
        let url = item.download_info.url;
        let sha256 = item
            .download_info
            .archive_info
            .and_then(|info| {
                info.hashes.get("sha256").cloned().or_else(|| {
                    info.hash
                        .and_then(|hash| hash.strip_prefix("sha256=").map(str::to_string))
                })
            })
            .ok_or_else(|| format!("pip reported no sha256 for `{url}`"))?;
        sha256
            .parse::<Sha256>()
            .map_err(|error| format!("`{url}`: {error}"))?;
        let file = url
            .split(['#', '?'])
            .next()
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        if file.is_empty() || file.contains(['/', '\\', '\0']) || file.starts_with('.') {
            return Err(format!("no file name in `{url}`"));
        }
        pins.push(Pinned {
            name: item.metadata.name,
            version: item.metadata.version,
            file,
            url,
            sha256,
        });
    }
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pins)
}

/// The lines pip installs with `--require-hashes`.
pub fn requirements_text(pins: &[Pinned]) -> String {
    pins.iter()
        .map(|pin| {
            format!(
                "{}=={} --hash=sha256:{}\n",
                pin.name, pin.version, pin.sha256
            )
        })
        .collect()
}

impl Builder<'_> {
    /// Resolves (or finds the recorded resolution of) `requirements`, fetches every file into
    /// the source cache and links them into `<work>/wheelhouse`, and writes
    /// `<work>/build-requirements.txt`. Returns the pins.
    pub(super) fn prepare_build_requirements(
        &self,
        name: &str,
        requirements: &[String],
        work: &Path,
        log: &Path,
    ) -> Result<Vec<Pinned>, BuildError> {
        let io = |action, path: &Path| io_error(name, action, path);
        let request = request_hash(requirements, &self.toolchain.id);
        let bucket = self.settings.cache_dir.join(RESOLUTIONS_BUCKET);
        let recorded = bucket.join(format!("{request}.json"));
        let pins: Vec<Pinned> = match crate::fs::read_bounded_to_string(
            &recorded,
            1024 * 1024,
            "a recorded resolution",
        ) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|error| io("cannot read", &recorded)(std::io::Error::other(error)))?,
            Err(_) => {
                let pins = self.resolve(name, requirements, work, log)?;
                fs_err::create_dir_all(&bucket).map_err(io("cannot create", &bucket))?;
                let text = serde_json::to_string_pretty(&pins).expect("pins serialise");
                crate::fs::write_atomic(&recorded, text.as_bytes())
                    .map_err(io("cannot write", &recorded))?;
                pins
            }
        };
        super::append_line(
            log,
            &format!(
                "kiln: build requirements, pinned in `{}`:\n{}",
                recorded.display(),
                requirements_text(&pins).trim_end()
            ),
        );
        let wheelhouse = work.join(WHEELHOUSE_DIR);
        let _ = fs_err::remove_dir_all(&wheelhouse);
        fs_err::create_dir_all(&wheelhouse).map_err(io("cannot create", &wheelhouse))?;
        let context = FetchContext {
            settings: self.settings,
            toolchain: Some(self.toolchain),
            log: log.to_path_buf(),
        };
        for pin in &pins {
            let sha256: Sha256 = pin
                .sha256
                .parse()
                .map_err(|error| io("cannot read", &recorded)(std::io::Error::other(error)))?;
            let spec = SourceSpec::Url {
                url: pin.url.clone(),
                sha256,
            };
            let fetched = source::fetch(&spec, &context).map_err(|source| BuildError::Source {
                name: name.to_string(),
                log: log.to_path_buf(),
                source: Box::new(source),
            })?;
            let target = crate::fs::child(&wheelhouse, &pin.file, "build requirement file")
                .map_err(|error| io("cannot use", &wheelhouse)(std::io::Error::other(error)))?;
            if std::fs::hard_link(&fetched.path, &target).is_err() {
                fs_err::copy(&fetched.path, &target).map_err(io("cannot copy", &target))?;
            }
        }
        let list = work.join(REQUIREMENTS_FILE);
        crate::fs::write_atomic(&list, requirements_text(&pins).as_bytes())
            .map_err(io("cannot write", &list))?;
        Ok(pins)
    }

    /// Runs pip's resolver in the root (a throwaway venv, `--dry-run --report`).
    fn resolve(
        &self,
        name: &str,
        requirements: &[String],
        work: &Path,
        log: &Path,
    ) -> Result<Vec<Pinned>, BuildError> {
        let venv = work.join("resolver-venv");
        let report = work.join("resolution.json");
        let _ = fs_err::remove_dir_all(&venv);
        let mut script = format!(
            "set -euo pipefail\n{} -m venv {}\n{}/bin/pip install --quiet --disable-pip-version-check \
             --dry-run --ignore-installed --prefer-binary --report {}",
            run::shell_quote(&self.platform.python.executable()),
            run::shell_quote(&venv.display().to_string()),
            run::shell_quote(&venv.display().to_string()),
            run::shell_quote(&report.display().to_string()),
        );
        for requirement in requirements {
            script.push(' ');
            script.push_str(&run::shell_quote(requirement));
        }
        script.push('\n');
        super::append_line(
            log,
            &format!("kiln: resolving build requirements: {requirements:?}"),
        );
        let argv = [
            OsString::from("bash"),
            OsString::from("-c"),
            OsString::from(script),
        ];
        run::run_logged(&mut self.toolchain.command(&argv, work, &[]), log).map_err(|error| {
            match error {
                run::RunError::Failed { tail, .. } => BuildError::Script {
                    name: name.to_string(),
                    log: log.to_path_buf(),
                    tail,
                },
                source => BuildError::Run {
                    name: name.to_string(),
                    source,
                },
            }
        })?;
        let text =
            fs_err::read_to_string(&report).map_err(io_error(name, "cannot read", &report))?;
        let _ = fs_err::remove_dir_all(&venv);
        parse_report(&text).map_err(|message| {
            io_error(name, "cannot read pip's report", &report)(std::io::Error::other(message))
        })
    }
}

/// The wheelhouse and pinned list of a work folder, for the script.
pub fn wheelhouse(work: &Path) -> (PathBuf, PathBuf) {
    (work.join(WHEELHOUSE_DIR), work.join(REQUIREMENTS_FILE))
}

/// The pip line of the build script: install exactly the pinned files, from the wheelhouse.
pub fn install_line(venv: &Path, work: &Path) -> String {
    let (wheelhouse, list) = wheelhouse(work);
    format!(
        "{}/bin/pip install --quiet --disable-pip-version-check --no-index --no-deps \
         --require-hashes --find-links {} -r {}\n",
        run::shell_quote(&venv.display().to_string()),
        run::shell_quote(&wheelhouse.display().to_string()),
        run::shell_quote(&list.display().to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pips_report_and_refuses_items_without_a_hash() {
        let report = r#"{"version": "1", "install": [
          {"download_info": {"url": "https://files.example/packages/ab/setuptools-80.9.0-py3-none-any.whl",
             "archive_info": {"hash": "sha256=062d34222ad13e0cc312a4c02d73f059e86a4acbfbdea8f8f76b28c99f306922",
                              "hashes": {"sha256": "062d34222ad13e0cc312a4c02d73f059e86a4acbfbdea8f8f76b28c99f306922"}}},
           "metadata": {"name": "setuptools", "version": "80.9.0"}},
          {"download_info": {"url": "https://files.example/build-1.3.0-py3-none-any.whl#sha256=x",
             "archive_info": {"hash": "sha256=0f4bd7ee0e2d6f9bc5bcbcf5d5c65bc6dbd8d3a4ff2fb0fdde1a93b9ff4a1c1b"}},
           "metadata": {"name": "build", "version": "1.3.0"}}
        ]}"#;
        let pins = parse_report(report).unwrap();
        assert_eq!(pins[0].name, "build");
        assert_eq!(pins[0].file, "build-1.3.0-py3-none-any.whl");
        assert_eq!(pins[1].file, "setuptools-80.9.0-py3-none-any.whl");
        assert_eq!(
            requirements_text(&pins[1..]),
            "setuptools==80.9.0 --hash=sha256:062d34222ad13e0cc312a4c02d73f059e86a4acbfbdea8f8f76b28c99f306922\n"
        );
        let unhashed = r#"{"install": [{"download_info": {"url": "file:///x/y.whl"},
            "metadata": {"name": "y", "version": "1"}}]}"#;
        assert!(parse_report(unhashed).unwrap_err().contains("no sha256"));
    }

    #[test]
    fn the_request_hash_follows_the_lines_and_the_toolchain() {
        let toolchain = Sha256::of_bytes(b"tc");
        let base = request_hash(&["setuptools>=61".into()], &toolchain);
        assert_eq!(base, request_hash(&["setuptools>=61".into()], &toolchain));
        assert_ne!(base, request_hash(&["setuptools>=62".into()], &toolchain));
        assert_ne!(
            base,
            request_hash(&["setuptools>=61".into()], &Sha256::of_bytes(b"other"))
        );
    }
}
