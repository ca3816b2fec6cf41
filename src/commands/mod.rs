//! One function per CLI command; `main` dispatches here.

mod demo;
mod look;
mod pipeline;
mod policy;
mod setup;

pub use demo::demo;
pub use look::{show, status};
pub use pipeline::{enqueue, worker};
pub use policy::{
    ReportArgs, ReportFormat, RulesCommand, SimulateArgs, report, rules_check, rules_test,
    simulate, write_plot,
};
pub use setup::{generate, import, migrate, run_create};

/// The bundled default rule set, used when `config/rules/morton-2011.toml` is not on disk.
pub const DEFAULT_RULES: &str = include_str!("../../config/rules/morton-2011.toml");
/// Path of the default rule set.
pub const DEFAULT_RULES_PATH: &str = "config/rules/morton-2011.toml";
