//! Showing a build run as it happens: bars on a terminal, plain lines in CI logs, or one
//! JSON object per line for tools (`--json`). Library code reports through
//! [`ScheduleReporter`]; only this module draws.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use crate::graph::schedule::ScheduleReporter;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bars,
    Lines,
    Json,
}

/// The three displays behind one reporter.
pub struct Progress {
    mode: ProgressMode,
    bars: MultiProgress,
    overall: ProgressBar,
    running: Mutex<Vec<(String, ProgressBar)>>,
}

impl Progress {
    pub fn new(mode: ProgressMode, total: usize) -> Self {
        let bars = MultiProgress::new();
        let overall = if mode == ProgressMode::Bars {
            let bar = bars.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} recipes  {elapsed_precise}")
                    .expect("static template"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            mode,
            bars,
            overall,
            running: Mutex::new(Vec::new()),
        }
    }

    /// A message that must not tear the bars.
    pub fn println(&self, line: &str) {
        match self.mode {
            ProgressMode::Bars => {
                let _ = self.bars.println(line);
            }
            ProgressMode::Lines => eprintln!("{line}"),
            ProgressMode::Json => {}
        }
    }

    pub fn event(&self, value: serde_json::Value) {
        if self.mode == ProgressMode::Json {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{value}");
        }
    }

    pub fn finish(&self) {
        self.overall.finish_and_clear();
    }
}

impl ScheduleReporter for Progress {
    fn on_start(&self, name: &str) {
        self.event(json!({"event": "start", "recipe": name}));
        match self.mode {
            ProgressMode::Bars => {
                let bar = self
                    .bars
                    .insert_before(&self.overall, ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .expect("static template"),
                );
                bar.set_message(name.to_string());
                bar.enable_steady_tick(Duration::from_millis(200));
                self.running
                    .lock()
                    .expect("not poisoned")
                    .push((name.to_string(), bar));
            }
            ProgressMode::Lines => eprintln!("kiln: {name}: started"),
            ProgressMode::Json => {}
        }
    }

    fn on_finish(&self, name: &str, succeeded: bool, elapsed: Duration) {
        let result = if succeeded { "done" } else { "failed" };
        self.event(json!({"event": "finish", "recipe": name, "result": result, "seconds": elapsed.as_secs_f64()}));
        let mut running = self.running.lock().expect("not poisoned");
        if let Some(index) = running
            .iter()
            .position(|(running_name, _)| running_name == name)
        {
            running.remove(index).1.finish_and_clear();
        }
        drop(running);
        self.overall.inc(1);
        self.println(&format!(
            "kiln: {name}: {result} in {:.1} s",
            elapsed.as_secs_f64()
        ));
    }

    fn on_skip(&self, name: &str, because: &str) {
        self.event(json!({"event": "skip", "recipe": name, "because": because}));
        self.overall.inc(1);
        self.println(&format!("kiln: {name}: skipped because `{because}` failed"));
    }
}
