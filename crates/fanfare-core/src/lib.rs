//! Fanfare's domain: the types every other crate speaks, parsed and validated once at the edge so
//! that the rest of the code never has to wonder whether a slug or a URL is well formed.
//!
//! No I/O lives here: storage, HTTP and the page audit are other crates' business.

pub mod account;
pub mod api_key;
pub mod campaign;
pub mod cascade;
pub mod click;
pub mod engagement;
pub mod error_code;
pub mod fan;
pub mod link;
pub mod report;
mod validation;

pub use validation::ValidationError;
