//! docket: placeholder
pub mod domain;
pub mod generate;
pub mod rules;
