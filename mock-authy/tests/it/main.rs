//! mock-authy's tests, one binary: the Authy API and Verify v2 over real HTTP, Authy's own
//! validation, the control API and phone page, the signer's vectors and the binary as CI starts it.

#![allow(clippy::unwrap_used)]

mod api;
mod binary;
mod control;
mod phones;
mod support;
mod validation;
mod vectors;
mod verify_v2;
