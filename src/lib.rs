//! docket: placeholder
pub mod domain;
pub mod rules;
