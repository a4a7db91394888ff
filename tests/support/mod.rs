//! Shared support for the end-to-end tests in `tests/*.rs` (`mod support;` in each).
//!
//! Each test binary compiles this module on its own and uses only part of it, so unused items
//! are expected there and not an error.
#![allow(dead_code)]

pub mod health;
pub mod http;
pub mod lab;
pub mod process;
