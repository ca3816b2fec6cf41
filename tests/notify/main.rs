//! Integration tests of notifications: letters read back from PDF, and the outbox relay against
//! the real PostgreSQL and a local SMTP sink. Each test uses its own database.

mod batches;
mod env;
mod letters;
mod relay;
mod retry;
#[path = "../common/scratch.rs"]
mod scratch;
mod scripts;
mod smtp_sink;
mod templates;
