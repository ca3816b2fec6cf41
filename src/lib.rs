//! docket: placeholder
pub mod domain;
