//! One function per CLI command; `main` dispatches here.

mod archive;
mod demo;
mod demo_offers;
mod dispatch;
mod dlq;
mod identity;
mod lifecycle;
mod look;
mod notice_templates;
mod notices;
mod notify;
mod pipeline;
mod policy;
mod runctl;
mod setup;
mod shell;
mod simulate_bench;
mod status;
mod status_render;

pub use archive::run_archive;
pub use demo::demo;
pub use dispatch::connect;
pub use dlq::{DlqCommand, dlq};
pub use identity::{TokenCommand, UserCommand, token, user};
pub use lifecycle::{act, expire, print_report};
pub use look::{QueueDepths, queue_depths, show};
pub use notices::notices;
pub use notify::{notify, notify_action};
pub use pipeline::{enqueue, publish_again, worker};
pub use policy::{
    ReportArgs, ReportFormat, RulesCommand, SimulateArgs, report, rules_check, rules_test,
    simulate, write_plot,
};
pub use runctl::run_control;
pub use setup::{generate, import, migrate, run_create, run_create_with};
pub use shell::{completions, man};
pub use status::{RunView, Sample, StatusOptions, StatusReport, status};
pub use status_render::{render_status, render_views};

/// The bundled default rule set, used when `config/rules/morton-2011.toml` is not on disk.
pub const DEFAULT_RULES: &str = include_str!("../../config/rules/morton-2011.toml");
/// Path of the default rule set.
pub const DEFAULT_RULES_PATH: &str = "config/rules/morton-2011.toml";
/// The rule sets shipped in `config/rules/`, by name (the file's stem), bundled so that a name
/// such as `mayorkas-2021` can stand for its file wherever a rule set is asked for.
pub const SHIPPED_RULES: [(&str, &str); 3] = [
    ("morton-2011", DEFAULT_RULES),
    (
        "johnson-2014",
        include_str!("../../config/rules/johnson-2014.toml"),
    ),
    (
        "mayorkas-2021",
        include_str!("../../config/rules/mayorkas-2021.toml"),
    ),
];
