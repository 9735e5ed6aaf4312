//! The SQL both backends run, written once.
//!
//! SQLite and PostgreSQL read the same statements: placeholders are PostgreSQL's `$N`, which
//! SQLite accepts too (sqlx binds `$N` by its number), JSON columns are bound with
//! `sqlx::types::Json` (text on SQLite, `jsonb` on PostgreSQL), and `flags = '[]'` compares as
//! text on one and as `jsonb` on the other. What differs is small and named:
//!
//! - **Dialect fragments**, given as literals to [`sql_store!`]: how a webhook's `events` is
//!   searched, how `joined_at` becomes Unix seconds, and how a JSON array of ids becomes a set.
//! - **Behaviour hooks**, the [`SqlBackend`] trait: how a batch of clicks is written (SQLite
//!   hands it to its own writer connection, PostgreSQL sends one array statement), what must
//!   happen before counters are read, after a fan is erased, and before the pool closes.
//!
//! Why one shared implementation rather than two copies of the SQL: the two copies had drifted
//! into the same 1,000 lines with a dozen one-word differences, and each new query had to be
//! written, reviewed and tested twice. Why a macro rather than code generic over
//! `sqlx::Database`: generic sqlx code needs a bound for every type bound or decoded, on every
//! function, and the pool and connection types are the only things that change. The macro takes
//! those types and expands, in the backend's crate, into one module per domain plus the
//! [`Store`](crate::store::Store) implementation that hands each call to them.
//!
//! The conformance scenarios ([`crate::conformance`]) run against both expansions.

pub mod queries;
pub mod rows;

mod accounts;
mod campaigns;
mod engagement;
mod fans;
mod links;
mod reports;
mod rollups;
mod store_impl;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{StoreError, map_sqlx_error};
use crate::model::NewClick;
use crate::store::BlockingClickWriter;

/// What a SQL backend does its own way. The rest of [`Store`](crate::store::Store) comes from
/// [`sql_store!`].
#[async_trait]
pub trait SqlBackend: Send + Sync + 'static {
    /// "sqlite" or "postgres", for logs and `/readyz`.
    const NAME: &'static str;

    /// Stores a batch of clicks, durably, before it returns.
    async fn write_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError>;

    /// A writer the redirect can call on a blocking thread, skipping the async pool.
    fn blocking_click_writer(&self) -> Option<Arc<dyn BlockingClickWriter>> {
        None
    }

    /// Runs before any read of click counters (SQLite keeps the newest ones in memory).
    async fn before_counter_reads(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Runs after a fan's personal data was erased and committed.
    async fn after_erasure(&self) {}

    /// Runs before the pool closes, so that writers of the backend's own finish first.
    async fn close_writers(&self) {}
}

/// Any other database failure than a taken unique value.
pub fn db_error(error: sqlx::Error) -> StoreError {
    map_sqlx_error(error, "value")
}

/// The names the expanded SQL code uses, in one import.
#[doc(hidden)]
pub mod prelude {
    pub use std::ops::Range;
    pub use std::sync::Arc;

    pub use async_trait::async_trait;
    pub use chrono::{DateTime, NaiveDate, Utc};
    pub use fanfare_core::account::Role;
    pub use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
    pub use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
    pub use fanfare_core::engagement::{Activity, InteractionKind, Milestone, Reaction, Status};
    pub use fanfare_core::fan::{Fan, RefCode, VisitorEvent};
    pub use fanfare_core::link::{Channel, LinkKey};
    pub use sqlx::types::Json;

    pub use super::queries::*;
    pub use super::rows::*;
    pub use super::{SqlBackend, db_error};
    pub use crate::error::{StoreError, map_sqlx_error};
    pub use crate::model::*;
    pub use crate::store::{
        AdminSession, BlockingClickWriter, Invite, NewAdminSession, NewUser, Page, Store, User, now,
    };
}

/// Expands, in a backend's crate, the whole [`Store`](crate::store::Store) implementation for
/// `store` (a type with a `pool` field of type `pool`, implementing [`SqlBackend`]):
///
/// ```ignore
/// fanfare_store::sql_store! {
///     store: SqliteStore,
///     pool: sqlx::SqlitePool,
///     connection: sqlx::SqliteConnection,
///     subscribed: "EXISTS (SELECT 1 FROM json_each(events) WHERE value = $2)",
///     epoch_of_joined_at: "CAST(strftime('%s', joined_at) AS INTEGER)",
///     ids_of_json_array: "SELECT value FROM json_each($1)",
/// }
/// ```
#[macro_export]
macro_rules! sql_store {
    (
        store: $store:ident,
        pool: $pool:ty,
        connection: $conn:ty,
        subscribed: $subscribed:literal,
        epoch_of_joined_at: $epoch:literal,
        ids_of_json_array: $ids:literal $(,)?
    ) => {
        /// The shared SQL, expanded for this backend (see `fanfare_store::sql`).
        mod shared_sql {
            #[allow(unused_imports)]
            use $crate::sql::prelude::*;

            type Backend = super::$store;

            mod accounts {
                use super::*;
                $crate::account_queries!();
            }
            mod campaigns {
                use super::*;
                $crate::campaign_queries!();
            }
            mod fans {
                use super::*;
                $crate::fan_queries!($epoch, $ids);
            }
            mod links {
                use super::*;
                $crate::link_queries!();
            }
            mod engagement {
                use super::*;
                $crate::engagement_queries!();
            }
            pub(crate) mod rollups {
                $crate::rollup_writes!($conn);
            }
            mod reports {
                $crate::report_queries!($pool);
            }
            mod webhooks {
                $crate::webhook_queries!($pool, $subscribed);
            }

            $crate::sql_store_impl!();
        }
    };
}
