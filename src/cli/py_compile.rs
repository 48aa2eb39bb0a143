//! `kiln py-compile PATH…`: wheels, or the wheels of a distribution folder, byte-compiled for
//! the runtime's Python ([`kiln::pycompile`]), as `pyodide py-compile` does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use kiln::config::Settings;
use kiln::pycompile::{Compiled, Compiler};
use kiln::toolchain::{self, Abi, Pin, Toolchain};

#[derive(Debug, Args)]
pub struct PyCompileArgs {
    /// Wheels, or distribution folders (every wheel in it; its `pyodide-lock.json`, if any, is
    /// written again with the new sha256s). The stdlib is compiled when a distribution is
    /// assembled with `--stdlib-bytecode`
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Keep each `.py` beside its `.pyc` (tracebacks then show source lines)
    #[arg(long)]
    pub keep: bool,
}

pub fn run(settings: &Settings, args: PyCompileArgs) -> anyhow::Result<ExitCode> {
    let pin = Pin::load(&settings.toolchain_pin())?;
    let abi = Abi::load(&settings.platform_file)?;
    let toolchain = toolchain::install(settings, &pin, &|line| eprintln!("kiln: {line}"))
        .context("cannot install the toolchain root")?;
    let mut folders = Vec::new();
    let mut results = Vec::new();
    for path in &args.paths {
        let path = settings.command_line_path(path);
        if path.is_dir() {
            results.extend(compile(
                settings,
                &toolchain,
                &abi,
                args.keep,
                |compiler| compiler.compile_folder(&path),
            )?);
            folders.push(path);
        } else {
            results.push(compile(
                settings,
                &toolchain,
                &abi,
                args.keep,
                |compiler| compiler.compile_archive(&path),
            )?);
        }
    }
    for compiled in &results {
        eprintln!(
            "kiln: `{}`: {} module(s) compiled{}",
            compiled.archive.display(),
            compiled.compiled,
            if compiled.left > 0 {
                format!(", {} left as source (they do not compile)", compiled.left)
            } else {
                String::new()
            }
        );
    }
    for folder in folders {
        if folder.join(kiln::dist::LOCK_FILE).is_file() {
            let recipes = super::recipe::load_all(settings)?;
            let locked = super::lock::write_lock(settings, &recipes, &folder)
                .map_err(super::lock::report_refusals)?;
            super::lock::report_locked(&locked);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `step` with a compiler for these settings (scratch folder in `.kiln/build/`).
pub fn compile<T>(
    settings: &Settings,
    toolchain: &Toolchain,
    abi: &Abi,
    keep_py: bool,
    step: impl FnOnce(&Compiler) -> Result<T, kiln::pycompile::PyCompileError>,
) -> anyhow::Result<T> {
    let compiler = Compiler {
        toolchain,
        python: abi.python,
        work: settings.build_dir().join(".py-compile"),
        keep_py,
        source_date_epoch: settings.source_date_epoch,
    };
    Ok(step(&compiler)?)
}

/// Used by `build-recipes --install --compile`.
pub fn compile_folder(
    settings: &Settings,
    toolchain: &Toolchain,
    abi: &Abi,
    folder: &std::path::Path,
) -> anyhow::Result<Vec<Compiled>> {
    compile(settings, toolchain, abi, false, |compiler| {
        compiler.compile_folder(folder)
    })
}
