//! Cluster tests: a real 3-node RabbitMQ cluster started on this machine by
//! `scripts/rabbit-cluster` (beside the main node, which is not touched), real `docket`
//! processes given all three addresses, and nodes killed or restarted under a running review.
//! Each test has its own cluster, database and queue names, and removes them when it ends,
//! whether it passes or not. The tests run one at a time: three nodes are enough for 2 cores.

mod env;
mod failover;
mod nodes;
#[path = "../common/scratch.rs"]
mod scratch;
