//! `kiln serve [DIST] [--port N]`: the folder's files, and under `/simple/` a package index of
//! its wheels (`kiln::serve::index`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use kiln::config::Settings;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder to serve, relative to the current folder (default: `dist` in the project)
    #[arg(value_name = "DIST")]
    pub dist: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
}

pub fn run(settings: &Settings, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let root = settings.command_line_dir(args.dist.as_deref(), "dist");
    let listener = kiln::serve::bind(args.port)
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    let address = listener.local_addr()?;
    // The URL goes to stdout (data), so scripts and tests can read it.
    println!("http://{address}/");
    eprintln!(
        "kiln: serving `{}`; open http://{address}/console.html; its wheels' package index \
         (PEP 503/691) is http://{address}/simple/ (Ctrl+C stops)",
        root.display()
    );
    kiln::serve::serve(listener, root)?;
    Ok(ExitCode::SUCCESS)
}
