//! Libraries run where a panic of theirs must not end the command: the Parquet library's decoders
//! assert on damaged pages (fuzzing found one), and plotters' axis arithmetic overflows on some
//! ranges. Such a panic is caught and said as that piece's error by the caller; Rust's message
//! for it is left out of stderr. A panic anywhere else prints as ever.

use std::sync::Once;

/// The source folders whose panics are caught quietly (`…/parquet-59.3.3/src/…`).
const LIBRARIES: [&str; 3] = ["/parquet-", "/plotters-", "/plotters-svg-"];

fn quiet_library_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_library = info.location().is_some_and(|l| LIBRARIES.iter().any(|lib| l.file().contains(lib)));
            if !in_library {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, which calls one of [`LIBRARIES`]: `None` if it panicked.
pub(crate) fn library<T>(f: impl FnOnce() -> T) -> Option<T> {
    quiet_library_panics();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}
