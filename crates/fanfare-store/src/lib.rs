//! The storage contract. The server only ever sees `dyn Store`; each backend (SQLite, PostgreSQL)
//! lives in its own crate with its own migrations, and proves it keeps the contract by running the
//! [`conformance`] scenarios.
//!
//! - [`store`]: the [`Store`] trait.
//! - [`model`]: the values it takes and returns.
//! - [`error`]: what can fail.
//! - `sql` (feature `sqlx`): the SQL both backends run, written once, and the rows it reads.

pub mod error;
pub mod model;
pub mod store;

#[cfg(feature = "sqlx")]
pub mod sql;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::*;
pub use model::*;
pub use store::*;
