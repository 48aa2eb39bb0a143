//! `kiln venv DIR`: a virtual environment whose `python` is the runtime under Node and whose
//! `pip` installs wheels for the platform ([`kiln::venv`]), so a package's own test suite runs
//! on the runtime, as with `pyodide venv`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use kiln::config::Settings;
use kiln::graph::Graph;
use kiln::toolchain::Abi;
use kiln::venv::{RUNTIME_DIR, VenvSpec};

use super::build_recipes::{BuildRecipesArgs, run_with_recipes};

#[derive(Debug, Args)]
pub struct VenvArgs {
    /// The folder to create (relative to the current folder)
    ///
    /// `DIR/bin/python` runs the WebAssembly runtime under Node (`node` on PATH, or
    /// `KILN_NODE`) with python3's arguments and exit status; `DIR/bin/pip install` installs
    /// wheels for the platform (pyemscripten and pure ones: `dist/*.whl`, an index, PyPI)
    /// into `DIR/lib/python3.X/site-packages`. The runtime is built from the recipes (cached)
    /// and its bundle copied into `DIR/lib/kiln-runtime`.
    pub dir: PathBuf,
    /// The build machine's Python that runs pip (default: `python3` on PATH); it needs pip
    #[arg(long, value_name = "PYTHON")]
    pub pip_python: Option<PathBuf>,
}

pub fn run(settings: &Settings, args: VenvArgs) -> anyhow::Result<ExitCode> {
    let dir = std::path::absolute(settings.command_line_path(&args.dir))?;
    if dir.exists() && !dir.join("pyvenv.cfg").is_file() && fs_err::read_dir(&dir)?.next().is_some()
    {
        bail!(
            "`{}` exists and is not a venv; name a new or empty folder",
            dir.display()
        );
    }
    let host_python = match &args.pip_python {
        Some(python) => which::which(python),
        None => which::which("python3"),
    }
    .context(
        "cannot find the build machine's Python for pip (`python3` on PATH, or `--pip-python`)",
    )?;
    let pip_works = std::process::Command::new(&host_python)
        .args(["-m", "pip", "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !pip_works {
        bail!(
            "`{} -m pip` does not work: the venv's pip runs on the build machine's Python; \
             install pip for it, or name another Python with `--pip-python`",
            host_python.display()
        );
    }
    let recipes = super::recipe::load_all(settings)?;
    let graph = Graph::new(&recipes);
    let Some(runtime) = graph.runtime() else {
        bail!("no `runtime` recipe among the recipe folders: a venv needs the interpreter");
    };
    let runtime_name = runtime.package.name.clone();
    let python_full = runtime.package.version.clone();
    let abi = Abi::load(&settings.platform_file)?;
    let spec = VenvSpec {
        dir: &dir,
        abi: &abi,
        python_full: &python_full,
        host_python: &host_python,
    };
    spec.write()
        .with_context(|| format!("cannot write the venv `{}`", dir.display()))?;
    let code = run_with_recipes(
        settings,
        recipes,
        BuildRecipesArgs {
            patterns: vec![runtime_name],
            install: true,
            install_dir: Some(dir.join(RUNTIME_DIR)),
            jobs: None,
            force_rebuild: false,
            dist: Default::default(),
            shard: None,
            shard_timeout: 0,
            no_build: false,
            compile: false,
            slim: false,
            json: false,
            no_progress: false,
        },
        false,
    )?;
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    eprintln!(
        "kiln: venv for {} (CPython {python_full}) in `{}`\n  `{}/bin/pip install …` installs wheels, `{}/bin/python -m pytest` runs a test suite",
        abi.id,
        dir.display(),
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
