//! One file per subcommand.

pub mod summary;
pub mod urls;
