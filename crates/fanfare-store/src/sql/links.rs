//! Links, shares and the per-link report.
//!
//! Expanded once in each SQL backend by [`sql_store!`](crate::sql_store); the functions take the
//! backend's store and run the same SQL on either dialect.

#[doc(hidden)]
#[macro_export]
macro_rules! link_queries {
    () => {
        pub async fn find_link(store: &Backend, key: &LinkKey) -> Result<Option<LinkTarget>, StoreError> {
            let row: Option<StoredLinkTarget> =
                sqlx::query_as(&format!("{LINK_TARGET_SELECT} WHERE l.key = $1"))
                    .bind(key.as_str())
                    .fetch_optional(&store.pool)
                    .await
                    .map_err(db_error)?;
            Ok(row.map(Into::into))
        }

        pub async fn anonymous_link(
            store: &Backend,
            campaign_id: i64,
            candidate: &LinkKey,
        ) -> Result<LinkKey, StoreError> {
            sqlx::query(
                "INSERT INTO links (key, campaign_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (campaign_id) WHERE fan_id IS NULL AND target_url IS NULL DO NOTHING",
            )
            .bind(candidate.as_str())
            .bind(campaign_id)
            .bind(now())
            .execute(&store.pool)
            .await
            .map_err(db_error)?;
            let key: String = sqlx::query_scalar(
                "SELECT key FROM links WHERE campaign_id = $1 AND fan_id IS NULL AND target_url IS NULL",
            )
            .bind(campaign_id)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
            LinkKey::parse(&key).ok_or_else(|| StoreError::Corrupt(format!("link key {key:?}")))
        }

        pub async fn create_link(
            store: &Backend,
            campaign_id: i64,
            key: &LinkKey,
            target_url: &str,
        ) -> Result<LinkRecord, StoreError> {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO links (key, campaign_id, target_url, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(key.as_str())
            .bind(campaign_id)
            .bind(target_url)
            .bind(now())
            .fetch_one(&store.pool)
            .await
            .map_err(|e| map_sqlx_error(e, "link key"))?;
            let row: StoredLink = sqlx::query_as(&format!("{LINK_SELECT} WHERE l.id = $1"))
                .bind(id)
                .fetch_one(&store.pool)
                .await
                .map_err(db_error)?;
            row.into_record()
        }

        pub async fn disable_link(store: &Backend, campaign_id: i64, key: &LinkKey) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE links SET disabled_at = COALESCE(disabled_at, $1) WHERE campaign_id = $2 AND key = $3",
            )
            .bind(now())
            .bind(campaign_id)
            .bind(key.as_str())
            .execute(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(done.rows_affected() > 0)
        }

        pub async fn record_share(
            store: &Backend,
            link_id: i64,
            channel: Channel,
            at: DateTime<Utc>,
            visitor_hash: &str,
        ) -> Result<bool, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            let done = sqlx::query(
                "INSERT INTO shares (link_id, channel, at, visitor_hash, hour) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(link_id)
            .bind(channel.as_str())
            .bind(at)
            .bind(visitor_hash)
            .bind(hour_of(at))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            if done.rows_affected() == 0 {
                // Counted already this hour: nothing to add (the transaction ends unused).
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO link_stats (link_id, channel, shares) VALUES ($1, $2, 1) \
                 ON CONFLICT (link_id, channel) DO UPDATE SET shares = link_stats.shares + 1",
            )
            .bind(link_id)
            .bind(channel.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            rollups::share(&mut tx, link_id, channel, at).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(true)
        }

        pub async fn link_reports(
            store: &Backend,
            campaign_id: i64,
            page: Page,
        ) -> Result<Vec<LinkReport>, StoreError> {
            SqlBackend::before_counter_reads(store).await?;
            let links: Vec<StoredLink> = sqlx::query_as(&format!(
                "{LINK_SELECT} WHERE l.campaign_id = $1 AND l.id > $2 ORDER BY l.id LIMIT $3"
            ))
            .bind(campaign_id)
            .bind(page.after.unwrap_or(0))
            .bind(i64::from(page.limit))
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            let mut reports = Vec::with_capacity(links.len());
            for link in links {
                let rows: Vec<StoredChannelStats> = sqlx::query_as(
                    "SELECT s.channel, s.clicks, s.bot_clicks, s.qr_clicks, s.shares, \
                     (SELECT COUNT(*) FROM link_daily_visitors d \
                      WHERE d.link_id = s.link_id AND d.channel = s.channel) AS unique_clicks, \
                     (SELECT COUNT(*) FROM fans f WHERE f.campaign_id = l.campaign_id \
                      AND f.channel = s.channel AND f.flags = '[]' \
                      AND (f.referrer_id = l.fan_id \
                           OR (l.fan_id IS NULL AND l.target_url IS NULL AND f.referrer_id IS NULL))) AS fans \
                     FROM link_stats s JOIN links l ON l.id = s.link_id WHERE s.link_id = $1",
                )
                .bind(link.id)
                .fetch_all(&store.pool)
                .await
                .map_err(db_error)?;
                reports.push(link_report(link.into_record()?, rows));
            }
            Ok(reports)
        }
    };
}
