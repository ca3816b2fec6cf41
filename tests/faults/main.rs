//! Fault tests: real `docket` processes against the real RabbitMQ and PostgreSQL, with faults
//! injected for real (SIGKILL, SIGTERM, closed broker connections, a database that refuses
//! connections, poison and hostile messages). Each test has its own database and queue names and
//! only ever touches its own connections.

mod cuts;
mod dlq;
mod env;
mod hostile;
mod kill;
mod leftovers;
mod limit;
mod poison;
mod privacy;
mod proxy;
mod scrape;
#[path = "../common/scratch.rs"]
mod scratch;
mod tls;
