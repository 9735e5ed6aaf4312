//! The HTTP API, end to end: a real server on port 0, a real database, a real HTTP client.

// Scenarios are plain async fns called from generated #[tokio::test]s, which clippy does not
// see as tests; an unwrap here is a failed assertion.
#![allow(clippy::unwrap_used)]

mod console_support;
mod helpers;

mod accounts;
mod audit;
mod auth;
mod campaigns;
mod console_campaigns;
mod dashboard;
mod engagement;
mod fans;
mod fuzz_bodies;
mod hostile_input;
mod links;
mod networks;
mod operations;
mod previews;
mod stats;
mod webhooks;
mod widget;
