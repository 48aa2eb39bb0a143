//! Laying a recipe's changes over an extracted source: patches, then extra files.
//!
//! Patches apply in the recipe's order with `patch -p1 --batch --forward`, output into the
//! recipe's log: `--batch` never stops to ask, `--forward` refuses a patch that looks
//! applied already instead of reversing it, and `--no-backup-if-mismatch` keeps `.orig`
//! files (which could end up in a wheel) out of the tree. The host's `patch` is used when
//! there is one, else the toolchain root's (the work folder is bind-mounted there).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{FetchContext, SourceError, tree};
use crate::recipe::Extra;
use crate::run;

const PATCH_ARGS: [&str; 4] = ["-p1", "--batch", "--forward", "--no-backup-if-mismatch"];

/// Applies `patches` in order inside `root`; stops at the first that fails.
pub(super) fn apply_patches(
    patches: &[PathBuf],
    root: &Path,
    ctx: &FetchContext,
) -> Result<(), SourceError> {
    if patches.is_empty() {
        return Ok(());
    }
    let host_patch = which::which("patch").ok();
    for patch in patches {
        let mut command = match (&host_patch, ctx.toolchain) {
            (Some(program), _) => {
                let mut command = Command::new(program);
                command
                    .args(PATCH_ARGS)
                    .arg("-i")
                    .arg(patch)
                    .current_dir(root);
                command
            }
            (None, Some(toolchain)) => {
                let mut argv: Vec<OsString> = std::iter::once("patch")
                    .chain(PATCH_ARGS)
                    .map(OsString::from)
                    .collect();
                argv.push("-i".into());
                argv.push(patch.into());
                toolchain.command(&argv, root, &[])
            }
            (None, None) => {
                return Err(SourceError::PatchToolMissing {
                    patch: patch.clone(),
                });
            }
        };
        tracing::debug!(patch = %patch.display(), "applying patch");
        run::run_logged(&mut command, &ctx.log).map_err(|source| SourceError::Patch {
            patch: patch.clone(),
            log: ctx.log.clone(),
            source: Box::new(source),
        })?;
    }
    Ok(())
}

/// Copies each extra (a file or a folder) to its place under `root`, replacing files that
/// are there. `to` must be a relative path that stays inside the tree, also through the
/// links the tree holds (an upstream `docs -> /etc` must not take `docs/x` out of it).
pub(super) fn copy_extras(extras: &[Extra], root: &Path) -> Result<(), SourceError> {
    for extra in extras {
        let target =
            crate::fs::contained_resolved(root, &extra.to, "source.extras").map_err(|_| {
                SourceError::ExtraOutsideTree {
                    from: extra.from.clone(),
                    to: extra.to.clone(),
                }
            })?;
        let metadata = fs_err::metadata(&extra.from).map_err(|source| SourceError::Read {
            path: extra.from.clone(),
            source,
        })?;
        if metadata.is_dir() {
            tree::copy_tree(&extra.from, &target)?;
        } else {
            let write_error = |source| SourceError::Write {
                path: target.clone(),
                source,
            };
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent).map_err(write_error)?;
            }
            tree::remove_any(&target)?;
            fs_err::copy(&extra.from, &target).map_err(write_error)?;
        }
    }
    Ok(())
}
