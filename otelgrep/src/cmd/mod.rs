//! One file per subcommand.

pub mod summary;
