//! The progress bar on stderr while a big input is read (indicatif; only this module uses it):
//! only for a file over 100 MB, only when stderr is a terminal, never with `--quiet`. A pipe or
//! a log file never gets the bar's redraws.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this read too fast for a bar to help.
pub const SMALLEST: u64 = 100 << 20;

static ALLOWED: AtomicBool = AtomicBool::new(false);

/// Whether bars may be shown at all: the command line's `--quiet`, and a terminal on stderr.
pub fn allow(quiet: bool) {
    ALLOWED.store(!quiet && std::io::stderr().is_terminal(), Ordering::Relaxed);
}

/// A bar for one input (or none).
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn new(name: &str, bytes: u64) -> Progress {
        if !ALLOWED.load(Ordering::Relaxed) || bytes < SMALLEST {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(name.to_string());
        Progress(Some(bar))
    }

    /// Everything before `offset` is read.
    pub fn reached(&self, offset: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(offset.max(bar.position()));
        }
    }
}

impl Drop for Progress {
    /// The bar leaves no line behind: the answer follows on stdout.
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
