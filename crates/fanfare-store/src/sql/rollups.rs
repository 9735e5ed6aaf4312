//! The report counters each write updates, inside the write's own transaction (see
//! [`sql_store!`](crate::sql_store)): the functions take the backend's connection type.

#[doc(hidden)]
#[macro_export]
macro_rules! rollup_writes {
    ($conn:ty) => {
        fn rollup_db_error(error: sqlx::Error) -> $crate::sql::prelude::StoreError {
            $crate::sql::prelude::map_sqlx_error(error, "value")
        }

        /// Cancels the webhook deliveries not yet sent that carry a fan's ref code, before the
        /// fan is erased: their payloads hold the fan's name and e-mail.
        pub async fn cancel_deliveries_of(
            conn: &mut $conn,
            fan_id: i64,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            sqlx::query(
                "UPDATE webhook_deliveries SET payload = '', next_attempt_at = NULL, \
                 last_error = 'not sent: the fan was erased' \
                 WHERE next_attempt_at IS NOT NULL \
                 AND payload LIKE '%\"' || (SELECT ref_code FROM fans WHERE id = $1) || '\"%'",
            )
            .bind(fan_id)
            .execute(&mut *conn)
            .await
            .map(drop)
            .map_err(rollup_db_error)
        }

        /// Visitor events in one transaction: each day's row, and its count the first time.
        pub async fn visitors(
            conn: &mut $conn,
            rows: &[$crate::sql::prelude::VisitorRow],
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            for row in rows {
                let done = sqlx::query(
                    "INSERT INTO visitor_days (campaign_id, day, kind, visitor_hash) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(row.campaign_id)
                .bind(row.day)
                .bind(row.event.as_str())
                .bind(&row.visitor_hash)
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
                if done.rows_affected() > 0 {
                    sqlx::query($crate::sql::prelude::rollup_sql::VISITOR)
                        .bind(row.campaign_id)
                        .bind(row.day)
                        .bind(row.event.as_str())
                        .execute(&mut *conn)
                        .await
                        .map_err(rollup_db_error)?;
                }
            }
            Ok(())
        }

        /// A new fan: their hour's fan counters, their device and referrer, and their referrer's
        /// ambassador status.
        pub async fn join(
            conn: &mut $conn,
            fan: &$crate::sql::prelude::NewFan,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            let hour = $crate::sql::prelude::hour_of(fan.joined_at);
            let flagged = !fan.flags.is_empty();
            let referred = fan.counts_as_referred();
            sqlx::query($crate::sql::prelude::rollup_sql::JOIN)
                .bind(fan.campaign_id)
                .bind(hour)
                .bind(fan.channel.map_or("", |c| c.as_str()))
                .bind(i64::from(!flagged))
                .bind(i64::from(referred))
                .bind(i64::from(flagged))
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
            if !flagged {
                let dimensions = [
                    Some(("device", fan.device.as_str())),
                    fan.referrer_host.as_deref().map(|host| ("referrer", host)),
                ];
                for (dimension, value) in dimensions.into_iter().flatten() {
                    sqlx::query($crate::sql::prelude::rollup_sql::FAN_DIMENSION)
                        .bind(fan.campaign_id)
                        .bind(hour)
                        .bind(dimension)
                        .bind(value)
                        .execute(&mut *conn)
                        .await
                        .map_err(rollup_db_error)?;
                }
            }
            if referred && let Some(referrer) = &fan.referrer {
                let (count, campaign_id, joined_at, channel): (
                    i64,
                    i64,
                    chrono::DateTime<chrono::Utc>,
                    Option<String>,
                ) = sqlx::query_as($crate::sql::prelude::rollup_sql::REFERRED)
                    .bind(referrer.id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(rollup_db_error)?;
                if count == 1 {
                    let cohort = $crate::sql::prelude::FanCohort {
                        campaign_id,
                        joined_at,
                        channel,
                        counted: true,
                    };
                    add_to_cohort(conn, &cohort, "ambassadors").await?;
                }
            }
            Ok(())
        }

        /// A share through a link: the hour's shares, and the link's fan becomes a sharer.
        pub async fn share(
            conn: &mut $conn,
            link_id: i64,
            channel: fanfare_core::link::Channel,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            sqlx::query($crate::sql::prelude::rollup_sql::SHARE)
                .bind(link_id)
                .bind($crate::sql::prelude::hour_of(at))
                .bind(channel.as_str())
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
            let fan_id: Option<i64> =
                sqlx::query_scalar("SELECT fan_id FROM links WHERE id = $1")
                    .bind(link_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(rollup_db_error)?
                    .flatten();
            if let Some(fan_id) = fan_id {
                first_time(conn, fan_id, "shared", "sharers").await?;
            }
            Ok(())
        }

        /// An interaction: the hour's interactions, and the fan becomes an appropriator (and a
        /// creator for a creation).
        pub async fn interaction(
            conn: &mut $conn,
            new: &$crate::sql::prelude::NewInteraction,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            sqlx::query(&$crate::sql::prelude::rollup_sql::add_one("interactions"))
                .bind(new.campaign_id)
                .bind($crate::sql::prelude::hour_of(new.created_at))
                .bind("")
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
            first_time(conn, new.fan_id, "interacted", "appropriators").await?;
            if new.kind == fanfare_core::engagement::InteractionKind::Creation {
                first_time(conn, new.fan_id, "created", "creators").await?;
            }
            Ok(())
        }

        /// Marks the fan's `flag` and, the first time for a non-flagged fan, adds them to their
        /// cohort's `counter`.
        async fn first_time(
            conn: &mut $conn,
            fan_id: i64,
            flag: &str,
            counter: &str,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            let cohort: Option<$crate::sql::prelude::FanCohort> =
                sqlx::query_as(&$crate::sql::prelude::rollup_sql::first(flag))
                    .bind(fan_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(rollup_db_error)?;
            match cohort {
                Some(cohort) if cohort.counted => add_to_cohort(conn, &cohort, counter).await,
                _ => Ok(()),
            }
        }

        async fn add_to_cohort(
            conn: &mut $conn,
            cohort: &$crate::sql::prelude::FanCohort,
            counter: &str,
        ) -> Result<(), $crate::sql::prelude::StoreError> {
            sqlx::query(&$crate::sql::prelude::rollup_sql::add_one(counter))
                .bind(cohort.campaign_id)
                .bind($crate::sql::prelude::hour_of(cohort.joined_at))
                .bind(cohort.channel.as_deref().unwrap_or(""))
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)
                .map(drop)
        }
    };
}
