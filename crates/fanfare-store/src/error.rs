//! What can fail below the API, and the two helpers every backend uses to report it.

/// What can go wrong below the API. The server maps each to a status; none of their texts reach a
/// client, because they can carry SQL and host names.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (named here, e.g. "slug") is already taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// What the write refers to (a campaign, a fan, a link) no longer exists: it was deleted
    /// while the request was being answered.
    #[error("what this write refers to no longer exists")]
    Gone,
    /// The database cannot be reached or is not answering in time.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored row no longer parses into a domain value.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database failure (a bug or an operator problem).
    #[error("database error: {0}")]
    Database(String),
}

/// Sorts a sqlx failure into what the server needs to know: a taken unique value (`unique` names
/// it), an unreachable database, or anything else.
#[cfg(feature = "sqlx")]
pub fn map_sqlx_error(error: sqlx::Error, unique: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(unique),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Gone,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Database(error.to_string()),
    }
}

/// A database URL fit for logs and `fanfare config`: the password, if any, replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Cannot fail: the URL already has a password, hence a host.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Unparseable: show only the scheme, in case the rest holds a secret.
        Err(_) => match url.split_once(':') {
            Some((scheme, _)) => format!("{scheme}:<unparseable>"),
            None => "<unparseable>".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://fan:s3cret@db.example:5432/fanfare"),
            "postgres://fan:***@db.example:5432/fanfare"
        );
        assert_eq!(
            redact_url("postgres://db.example/fanfare"),
            "postgres://db.example/fanfare"
        );
        assert_eq!(redact_url("sqlite://fanfare.db"), "sqlite://fanfare.db");
        assert!(!redact_url("postgres://u:p w@[bad").contains("p w"));
    }
}
