//! A signal that stops kiln stops the tools it runs, and their children.
//!
//! Each command [`super::run_logged`] starts leads a process group of its own, so a build's
//! shell, `make`, the compilers and whatever they start are one group. When kiln is asked to
//! stop — SIGINT (Ctrl+C: the terminal sends it to kiln's group only, not to the builds'),
//! SIGTERM (a CI job's timeout, `kill`), SIGHUP (its terminal went away) — the handler passes
//! the signal to every group still running and then ends kiln by the same signal, as if it had
//! no handler (so its parent sees "killed by SIGTERM", and locks and temporary files behave as
//! they did). Without this, the build's direct child died with kiln (the parent-death signal,
//! `toolchain::Toolchain::command`) and the rest of its processes were left to init, still
//! compiling. SIGKILL cannot be caught: then only that direct child dies.
//!
//! The handler may only do what is async-signal-safe: it reads a fixed table of atomics
//! (no lock, no allocation) and calls `killpg`, `signal` and `raise`.

use std::sync::atomic::{AtomicI32, Ordering};

/// More than kiln ever runs at once (one command per build job).
const SLOTS: usize = 256;

/// The process group ids of the commands running now; 0 is a free slot.
static GROUPS: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

/// The signals that ask kiln to stop.
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// A running group, listed until this is dropped (after the command was waited for).
pub struct Listed(Option<usize>);

impl Drop for Listed {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            GROUPS[slot].store(0, Ordering::SeqCst);
        }
    }
}

/// Lists the process group `group` to receive the signals that stop kiln. With every slot
/// taken, the group is not listed (it still dies with its leader's parent-death signal).
pub fn list(group: u32) -> Listed {
    let Ok(group) = i32::try_from(group) else {
        return Listed(None);
    };
    let slot = GROUPS.iter().position(|slot| {
        slot.compare_exchange(0, group, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    });
    Listed(slot)
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP, except for a signal kiln was started
/// with ignored (`nohup` ignores SIGHUP; a background job of a non-interactive shell SIGINT):
/// the user chose that, and the builds inherit it.
pub fn forward_stop_signals() {
    for signal in STOP_SIGNALS {
        // SAFETY: plain libc calls on a zeroed `sigaction`; the handler is async-signal-safe.
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut current) != 0
                || current.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

extern "C" fn on_stop_signal(signal: libc::c_int) {
    for slot in &GROUPS {
        let group = slot.load(Ordering::SeqCst);
        if group > 0 {
            // SAFETY: killpg is async-signal-safe; a group that already ended gives ESRCH.
            unsafe {
                libc::killpg(group, signal);
            }
        }
    }
    // SAFETY: both are async-signal-safe. The signal is blocked while its handler runs, so
    // the raised one is delivered, with the default action (ending kiln), when this returns.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_and_given_back() {
        let first = list(4_000_001);
        let second = list(4_000_002);
        let (Some(a), Some(b)) = (first.0, second.0) else {
            panic!("both are listed");
        };
        assert_ne!(a, b);
        assert_eq!(GROUPS[a].load(Ordering::SeqCst), 4_000_001);
        drop(first);
        assert_eq!(
            GROUPS[a].load(Ordering::SeqCst),
            0,
            "the slot is free again"
        );
        assert!(list(u32::MAX).0.is_none(), "not a process group id");
    }
}
