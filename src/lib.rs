//! docket reviews a backlog of pending immigration court cases under a prosecutorial-discretion
//! policy and records each outcome with its reasons.
//!
//! # Layout
//! The modules follow the pipeline's stages:
//! - `domain`: the case record, job messages and decisions (no I/O);
//! - `generate`, `import`: a synthetic backlog, and any backlog into PostgreSQL;
//! - `rules`: the policy as data and its pure evaluator;
//! - `enqueue`, `queue`: publishing jobs to RabbitMQ, topology, dead letters;
//! - `worker`: consuming, reviewing in batches, recording outcomes;
//! - `notify`: notice templates, email and letter channels, the outbox relay;
//! - `policy`: what-if simulation of a rule set, audit reports and plots;
//! - `store`: PostgreSQL repositories (cases, runs, outcomes, progress);
//! - `config`, `telemetry`, `retry`, `shutdown`, `startup`: settings, logging, backoff, signals,
//!   the start-up and drain every long-running process shares;
//! - `probe`: a tiny HTTP GET for container health checks;
//! - `serve`: run progress on `/metrics` with health endpoints (API routes merge in);
//! - `cli`, `commands`: the command line.

pub mod api;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod domain;
pub mod enqueue;
pub mod files;
pub mod generate;
pub mod identity;
pub mod import;
pub mod notify;
pub mod offers;
pub mod policy;
pub mod probe;
pub mod queue;
pub mod retry;
pub mod rules;
pub mod serve;
pub mod shutdown;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod worker;
