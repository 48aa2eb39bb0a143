//! Step 6 of a package build: the wheel the PEP 517 backend wrote becomes kiln's wheel(s)
//! (retagged for the platform, RECORD rewritten, `.so` stripped, tests unvendored:
//! [`crate::wheel::repair`]), and every side module in them is link-checked against what the
//! runtime exports and the shared libraries it may load.

use std::path::Path;

use super::{BuildError, Builder, package};
use crate::cache::Artifact;
use crate::recipe::{BuildKind, Recipe};
use crate::wheel::{self, RepairOptions, SymbolSet, WheelError};

impl Builder<'_> {
    /// Turns the backend's wheel into kiln's wheel(s) in `<prefix>/wheels`, and checks every
    /// side module's imports against the runtime's exports and the shared libraries it ships
    /// or depends on.
    pub(super) fn finish_wheels(
        &self,
        recipe: &Recipe,
        work: &Path,
        prefix: &Path,
        host: &[&Artifact],
        log: &Path,
    ) -> Result<(), BuildError> {
        let name = recipe.package.name.clone();
        let raw_dir = work.join(package::RAW_WHEEL_DIR);
        let raw = fs_err::read_dir(&raw_dir)
            .ok()
            .and_then(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.path())
                    .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
            })
            .ok_or_else(|| BuildError::NoWheel {
                name: name.clone(),
                dir: raw_dir.clone(),
                log: log.to_path_buf(),
            })?;
        let wheel_error = |source| BuildError::Wheel {
            name: name.clone(),
            log: log.to_path_buf(),
            source: Box::new(source),
        };
        let out_dir = prefix.join("wheels");
        let interpreter = self.platform.python.interpreter_tag();
        let mut options =
            RepairOptions::new(&out_dir, &interpreter, self.platform.wheel_platform());
        options.unvendor_tests = recipe.build.unvendor_tests;
        options.source_date_epoch = self.settings.source_date_epoch;
        let repaired = wheel::repair(&raw, &options).map_err(wheel_error)?;

        // The runtime's exports (one runtime among the host artifacts: packages build on it).
        let mut provided = SymbolSet::new();
        for artifact in host
            .iter()
            .filter(|artifact| artifact.info.kind == BuildKind::Runtime.as_str())
        {
            let exports = artifact.prefix().join("runtime/exports.txt");
            provided = SymbolSet::read_exports_txt(&exports).map_err(|source| BuildError::Io {
                name: name.clone(),
                action: "cannot read",
                path: exports.clone(),
                source,
            })?;
        }
        // Shared library recipes it depends on are loaded globally first: their exports count,
        // and their own imports are checked here too, against the runtime and each other
        // (a library build has no runtime to check against: libraries do not depend on it).
        let mut libraries = Vec::new();
        for artifact in host
            .iter()
            .filter(|artifact| artifact.info.kind == BuildKind::SharedLibrary.as_str())
        {
            let lib = artifact.prefix().join("lib");
            for entry in fs_err::read_dir(&lib).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "so") {
                    let bytes = fs_err::read(&path).map_err(|source| BuildError::Io {
                        name: name.clone(),
                        action: "cannot read",
                        path: path.clone(),
                        source,
                    })?;
                    let exports = wheel::exports_of_wasm(&bytes).map_err(|source| {
                        wheel_error(WheelError::Wasm {
                            wheel: lib.clone(),
                            entry: entry.file_name().to_string_lossy().into_owned(),
                            source,
                        })
                    })?;
                    provided.extend(exports);
                    libraries.push((path, bytes));
                }
            }
        }
        for (path, bytes) in &libraries {
            let file = path.to_string_lossy();
            wheel::link_check([(file.as_ref(), bytes.as_slice())], &provided).map_err(
                |source| {
                    wheel_error(WheelError::LibraryLinkCheck {
                        library: path.clone(),
                        source,
                    })
                },
            )?;
        }
        for wheel in std::iter::once(&repaired.wheel).chain(repaired.tests.as_ref()) {
            wheel::link_check_wheel(&wheel.path, &provided).map_err(wheel_error)?;
        }
        let _ = fs_err::OpenOptions::new()
            .append(true)
            .open(log)
            .and_then(|mut file| {
                use std::io::Write;
                writeln!(
                    file,
                    "kiln: wheel {} (link check passed)",
                    repaired.wheel.path.display()
                )
            });
        Ok(())
    }
}
