//! The end-to-end suites, one binary: tower-authy against the mock-authy binary as a user's CI
//! starts it (flows, the fault matrix, brute force), two instances on one Redis, the
//! model-based property test of the login life cycle, and the fuzz inputs replayed.

#![allow(clippy::unwrap_used)]

mod binary_flows;
mod brute_force;
mod fault_matrix;
mod fuzz_regressions;
mod lifecycle_model;
mod two_instances;
