//! Fans, their visitor days, and the referral graph the reports walk.
//!
//! Expanded once in each SQL backend by [`sql_store!`](crate::sql_store); the functions take the
//! backend's store and run the same SQL on either dialect.

#[doc(hidden)]
#[macro_export]
macro_rules! fan_queries {
    ($epoch_of_joined_at:literal, $ids_of_json_array:literal) => {
        pub async fn insert_fan(store: &Backend, fan: &NewFan) -> Result<Fan, StoreError> {
            let (email, mailbox) = fan.email.clone().unzip();
            // The fan and their personal link exist together or not at all.
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO fans (campaign_id, ref_code, token_hash, name, email, mailbox, \
                 referrer_id, root_id, depth, visitor_hash, flags, joined_at, channel, device, \
                 referrer_host, network_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 RETURNING id",
            )
            .bind(fan.campaign_id)
            .bind(fan.ref_code.as_str())
            .bind(&fan.token_hash)
            .bind(&fan.name)
            .bind(email)
            .bind(mailbox)
            .bind(fan.referrer.as_ref().map(|r| r.id))
            .bind(fan.stored_root_id())
            .bind(fan.depth())
            .bind(&fan.visitor_hash)
            .bind(Json(fan.flag_strings()))
            .bind(fan.joined_at)
            .bind(fan.channel.map(|c| c.as_str()))
            .bind(fan.device.as_str())
            .bind(fan.referrer_host.as_deref())
            .bind(fan.network_hash.as_deref())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| map_sqlx_error(e, "email"))?;
            sqlx::query(
                "INSERT INTO links (key, campaign_id, fan_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(fan.link_key.as_str())
            .bind(fan.campaign_id)
            .bind(id)
            .bind(fan.joined_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| map_sqlx_error(e, "link key"))?;
            rollups::join(&mut tx, fan).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(fan.clone().into_fan(id))
        }

        pub async fn find_fan_by_email(
            store: &Backend,
            campaign_id: i64,
            address: &str,
        ) -> Result<Option<Fan>, StoreError> {
            let row: Option<StoredFan> = sqlx::query_as(&format!(
                "{FAN_SELECT} WHERE f.campaign_id = $1 AND f.email = $2"
            ))
            .bind(campaign_id)
            .bind(address)
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredFan::into_fan).transpose()
        }

        pub async fn find_fan_by_ref_code(
            store: &Backend,
            campaign_id: i64,
            ref_code: &RefCode,
        ) -> Result<Option<Fan>, StoreError> {
            let row: Option<StoredFan> = sqlx::query_as(&format!(
                "{FAN_SELECT} WHERE f.campaign_id = $1 AND f.ref_code = $2"
            ))
            .bind(campaign_id)
            .bind(ref_code.as_str())
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredFan::into_fan).transpose()
        }

        pub async fn find_fan_by_token(store: &Backend, token_hash: &str) -> Result<Option<Fan>, StoreError> {
            let row: Option<StoredFan> =
                sqlx::query_as(&format!("{FAN_SELECT} WHERE f.token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&store.pool)
                    .await
                    .map_err(db_error)?;
            row.map(StoredFan::into_fan).transpose()
        }

        pub async fn mailbox_in_use(
            store: &Backend,
            campaign_id: i64,
            mailbox: &str,
            address: &str,
        ) -> Result<bool, StoreError> {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM fans WHERE campaign_id = $1 AND mailbox = $2 AND email <> $3)",
            )
            .bind(campaign_id)
            .bind(mailbox)
            .bind(address)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)
        }

        pub async fn joins_since(
            store: &Backend,
            campaign_id: i64,
            visitor_hash: &str,
            since: DateTime<Utc>,
        ) -> Result<u64, StoreError> {
            // SQLite stores timestamps as text in one format ("2026-11-26 12:00:00.5+00:00"), whose
            // text order is time order: '+' and '.' sort before digits.
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM fans WHERE campaign_id = $1 AND visitor_hash = $2 AND joined_at >= $3",
            )
            .bind(campaign_id)
            .bind(visitor_hash)
            .bind(since)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(count.unsigned_abs())
        }

        pub async fn network_joins_since(
            store: &Backend,
            campaign_id: i64,
            network_hash: &str,
            referrer_id: Option<i64>,
            since: DateTime<Utc>,
        ) -> Result<NetworkJoins, StoreError> {
            let (all, by_referrer): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN referrer_id = $4 THEN 1 ELSE 0 END), 0) \
                 FROM fans WHERE campaign_id = $1 AND network_hash = $2 AND joined_at >= $3",
            )
            .bind(campaign_id)
            .bind(network_hash)
            .bind(since)
            .bind(referrer_id)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(NetworkJoins {
                all: all.unsigned_abs(),
                by_referrer: by_referrer.unsigned_abs(),
            })
        }

        pub async fn erase_fan(store: &Backend, fan_id: i64) -> Result<bool, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            rollups::cancel_deliveries_of(&mut tx, fan_id).await?;
            let done = sqlx::query(
                "UPDATE fans SET ref_code = NULL, token_hash = NULL, name = NULL, email = NULL, \
                 mailbox = NULL, visitor_hash = NULL, network_hash = NULL, erased_at = $1 \
                 WHERE id = $2 AND erased_at IS NULL",
            )
            .bind(now())
            .bind(fan_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            // What the fan wrote goes too; their reactions stay as anonymous counts.
            sqlx::query(
                "UPDATE interactions SET body = NULL, url = NULL, display_name = NULL, \
                 status = CASE WHEN kind = 'reaction' THEN status ELSE 'rejected' END, \
                 reason = CASE WHEN kind = 'reaction' THEN reason ELSE 'erased' END \
                 WHERE fan_id = $1",
            )
            .bind(fan_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            SqlBackend::after_erasure(store).await;
            Ok(true)
        }

        pub async fn list_fans(store: &Backend, campaign_id: i64, page: Page) -> Result<Vec<Fan>, StoreError> {
            let rows: Vec<StoredFan> = sqlx::query_as(&format!(
                "{FAN_SELECT} WHERE f.campaign_id = $1 AND f.erased_at IS NULL AND f.id > $2 \
                 ORDER BY f.id LIMIT $3"
            ))
            .bind(campaign_id)
            .bind(page.after.unwrap_or(0))
            .bind(i64::from(page.limit))
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            rows.into_iter().map(StoredFan::into_fan).collect()
        }

        pub async fn count_fans(store: &Backend, campaign_id: i64) -> Result<u64, StoreError> {
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM fans WHERE campaign_id = $1 AND erased_at IS NULL AND flags = '[]'",
            )
            .bind(campaign_id)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(count.unsigned_abs())
        }

        pub async fn visitor_salt(store: &Backend, day: NaiveDate, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            sqlx::query(
                "INSERT INTO visitor_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
            )
            .bind(day)
            .bind(candidate)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            sqlx::query("DELETE FROM visitor_salts WHERE day < $1")
                .bind(day)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let salt: Vec<u8> = sqlx::query_scalar("SELECT salt FROM visitor_salts WHERE day = $1")
                .bind(day)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            Ok(salt)
        }

        pub async fn record_visitor_event(
            store: &Backend,
            campaign_id: i64,
            day: NaiveDate,
            event: VisitorEvent,
            visitor_hash: &str,
        ) -> Result<bool, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            let done = sqlx::query(
                "INSERT INTO visitor_days (campaign_id, day, kind, visitor_hash) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(campaign_id)
            .bind(day)
            .bind(event.as_str())
            .bind(visitor_hash)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            let first = done.rows_affected() > 0;
            if first {
                sqlx::query(rollup_sql::VISITOR)
                    .bind(campaign_id)
                    .bind(day)
                    .bind(event.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            tx.commit().await.map_err(db_error)?;
            Ok(first)
        }

        pub async fn record_visitor_events(store: &Backend, events: &[VisitorRow]) -> Result<(), StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            rollups::visitors(&mut tx, events).await?;
            tx.commit().await.map_err(db_error)
        }

        pub async fn count_visitor_events(
            store: &Backend,
            campaign_id: i64,
            event: VisitorEvent,
            from: NaiveDate,
            to: NaiveDate,
        ) -> Result<u64, StoreError> {
            let count: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(visitors), 0) AS BIGINT) FROM visitor_day_counts WHERE campaign_id = $1 \
                 AND kind = $2 AND day >= $3 AND day <= $4",
            )
            .bind(campaign_id)
            .bind(event.as_str())
            .bind(from)
            .bind(to)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(count.unsigned_abs())
        }

        pub async fn referral_graph(store: &Backend, campaign_id: i64) -> Result<Vec<GraphFan>, StoreError> {
            sqlx::query_as(
                "SELECT id, referrer_id, flags <> '[]' AS flagged, erased_at IS NOT NULL AS erased, \
                 ref_code, name, joined_at FROM fans WHERE campaign_id = $1 ORDER BY id",
            )
            .bind(campaign_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)
        }

        pub async fn count_referred(store: &Backend, fan_id: i64) -> Result<u64, StoreError> {
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM fans WHERE referrer_id = $1 AND flags = '[]'",
            )
            .bind(fan_id)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(count.unsigned_abs())
        }

        pub async fn fan_nodes(store: &Backend, campaign_id: i64, after_id: i64) -> Result<Vec<FanNode>, StoreError> {
            sqlx::query_as(concat!(
                "SELECT id, referrer_id, flags <> '[]' AS flagged, ",
                $epoch_of_joined_at,
                " AS joined_at FROM fans WHERE campaign_id = $1 AND id > $2 ORDER BY id",
            ))
            .bind(campaign_id)
            .bind(after_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)
        }

        pub async fn ref_codes(store: &Backend, fan_ids: &[i64]) -> Result<Vec<(i64, Option<String>)>, StoreError> {
            // The ids travel as one JSON array: one statement and one text, whatever their number.
            sqlx::query_as(concat!(
                "SELECT id, ref_code FROM fans WHERE id IN (",
                $ids_of_json_array,
                ")"
            ))
            .bind(Json(fan_ids))
                .fetch_all(&store.pool)
                .await
                .map_err(db_error)
        }
    };
}
