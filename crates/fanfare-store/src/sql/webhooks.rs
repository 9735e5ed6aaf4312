//! The webhook queries (see [`sql_store!`](crate::sql_store)): the functions take the backend's
//! pool type; `$subscribed` is the dialect's test that a webhook's `events` holds `$2`.

#[doc(hidden)]
#[macro_export]
macro_rules! webhook_queries {
    ($pool:ty, $subscribed:literal) => {
        fn webhook_db_error(error: sqlx::Error) -> $crate::sql::prelude::StoreError {
            $crate::sql::prelude::map_sqlx_error(error, "value")
        }

        pub async fn create_webhook(
            pool: &$pool,
            campaign_id: i64,
            url: &str,
            secret: &str,
            events: &[String],
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<$crate::sql::prelude::Webhook, $crate::sql::prelude::StoreError> {
            sqlx::query_as(
                "INSERT INTO webhooks (campaign_id, url, secret, events, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, campaign_id, url, secret, events, created_at",
            )
            .bind(campaign_id)
            .bind(url)
            .bind(secret)
            .bind(sqlx::types::Json(events))
            .bind(at)
            .fetch_one(pool)
            .await
            .map_err(webhook_db_error)
        }

        pub async fn list_webhooks(
            pool: &$pool,
            campaign_id: i64,
        ) -> Result<Vec<$crate::sql::prelude::Webhook>, $crate::sql::prelude::StoreError> {
            sqlx::query_as(
                "SELECT id, campaign_id, url, secret, events, created_at FROM webhooks \
                 WHERE campaign_id = $1 ORDER BY id",
            )
            .bind(campaign_id)
            .fetch_all(pool)
            .await
            .map_err(webhook_db_error)
        }

        pub async fn delete_webhook(
            pool: &$pool,
            campaign_id: i64,
            id: i64,
        ) -> Result<bool, $crate::sql::prelude::StoreError> {
            sqlx::query(
                "DELETE FROM webhooks WHERE campaign_id = $1 AND id = $2",
            )
            .bind(campaign_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(webhook_db_error)
        }

        pub async fn enqueue_webhook_event(
            pool: &$pool,
            campaign_id: i64,
            event: &str,
            payload: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<u64, $crate::sql::prelude::StoreError> {
            sqlx::query(concat!(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_attempt_at, created_at) \
                 SELECT id, $2, $3, $4, $4 FROM webhooks WHERE campaign_id = $1 AND ",
                $subscribed
            ))
            .bind(campaign_id)
            .bind(event)
            .bind(payload)
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(webhook_db_error)
        }

        pub async fn claim_webhook_deliveries(
            pool: &$pool,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
            limit: u32,
        ) -> Result<Vec<$crate::sql::prelude::DueDelivery>, $crate::sql::prelude::StoreError> {
            let due: Vec<$crate::sql::prelude::DueDelivery> = sqlx::query_as(
                "SELECT d.id, d.webhook_id, w.url, w.secret, d.event, d.payload, d.attempts, \
                 d.next_attempt_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $1 \
                 ORDER BY d.next_attempt_at LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(webhook_db_error)?;
            // Each one is taken by moving its next attempt to the end of the lease, only if no
            // other worker moved it first: two servers never post the same delivery at once.
            let mut claimed = Vec::with_capacity(due.len());
            for delivery in due {
                let taken = sqlx::query(
                    "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                     WHERE id = $2 AND next_attempt_at = $3",
                )
                .bind(lease_until)
                .bind(delivery.id)
                .bind(delivery.next_attempt_at)
                .execute(pool)
                .await
                .map_err(webhook_db_error)?;
                if taken.rows_affected() == 1 {
                    claimed.push(delivery);
                }
            }
            Ok(claimed)
        }

        pub async fn record_webhook_attempt(
            pool: &$pool,
            id: i64,
            attempt: &$crate::sql::prelude::Attempt,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            sqlx::query(
                // A delivery that is over keeps no copy of its payload (it can hold a fan's
                // name and e-mail): only its outcome stays, for the admin's listing.
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, \
                 last_error = $3, delivered_at = $4, next_attempt_at = $5, \
                 payload = CASE WHEN $5 IS NULL THEN '' ELSE payload END WHERE id = $1",
            )
            .bind(id)
            .bind(attempt.status)
            .bind(attempt.error.as_deref())
            .bind(attempt.delivered_at)
            .bind(attempt.next_attempt_at)
            .execute(pool)
            .await
            .map(drop)
            .map_err(webhook_db_error)
        }

        pub async fn list_webhook_deliveries(
            pool: &$pool,
            webhook_id: i64,
            limit: u32,
        ) -> Result<Vec<$crate::sql::prelude::DeliveryRecord>, $crate::sql::prelude::StoreError> {
            sqlx::query_as(
                "SELECT id, event, attempts, last_status, last_error, delivered_at, next_attempt_at, \
                 created_at FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(webhook_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(webhook_db_error)
        }
    };
}
