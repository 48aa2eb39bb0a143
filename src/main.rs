//! The `kiln` binary: parse arguments, set up logging, run, render the error, pick the exit
//! code. Everything else lives in the library and in `cli/`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if let Some(code) = kiln::build::wrapper::dispatch_from_argv0() {
        return code;
    }
    install_panic_hook();
    kiln::run::groups::forward_stop_signals();
    let args = cli::Cli::parse();
    init_logging(args.global.verbose, args.global.quiet);
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            let code = cli::exit_code_for(&error);
            cli::render_error(error);
            code
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "kiln=debug",
        (false, _) => "kiln=trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

/// A panic is kiln's bug, not the user's: say so and ask for a report with what to include.
/// Except `println!` into a closed pipe (`kiln recipe list | head -1`): the reader has what
/// it wanted, so kiln stops quietly with status 0, as ripgrep does.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
        eprintln!(
            "\nerror: kiln {} crashed; this is a bug. Please report it with the command line:\n  {}",
            env!("CARGO_PKG_VERSION"),
            std::env::args().collect::<Vec<_>>().join(" ")
        );
    }));
}
