//! Interactions (reactions, comments, creations), their moderation, and milestones.
//!
//! Expanded once in each SQL backend by [`sql_store!`](crate::sql_store); the functions take the
//! backend's store and run the same SQL on either dialect.

#[doc(hidden)]
#[macro_export]
macro_rules! engagement_queries {
    () => {
        pub async fn engagement_settings(store: &Backend, campaign_id: i64) -> Result<String, StoreError> {
            sqlx::query_scalar("SELECT CAST(engagement AS TEXT) FROM campaigns WHERE id = $1")
                .bind(campaign_id)
                .fetch_one(&store.pool)
                .await
                .map_err(db_error)
        }

        pub async fn set_engagement_settings(
            store: &Backend,
            campaign_id: i64,
            json: &str,
        ) -> Result<(), StoreError> {
            // Bound as JSON: a `jsonb` column on PostgreSQL, text on SQLite.
            let settings: sqlx::types::JsonValue = json.parse().map_err(|e| {
                StoreError::Database(format!("engagement settings are not JSON: {e}"))
            })?;
            sqlx::query("UPDATE campaigns SET engagement = $1 WHERE id = $2")
                .bind(Json(settings))
                .bind(campaign_id)
                .execute(&store.pool)
                .await
                .map(drop)
                .map_err(db_error)
        }

        pub async fn add_interaction(store: &Backend, new: &NewInteraction) -> Result<Interaction, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO interactions (campaign_id, fan_id, kind, reaction, target_id, body, url, \
                 display_name, status, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(new.campaign_id)
            .bind(new.fan_id)
            .bind(new.kind.as_str())
            .bind(new.reaction.map(|r| r.as_str()))
            .bind(new.target_id)
            .bind(new.body.as_deref())
            .bind(new.url.as_deref())
            .bind(new.display_name.as_deref())
            .bind(new.status.as_str())
            .bind(new.reason.as_deref())
            .bind(new.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| map_sqlx_error(e, "reaction"))?;
            rollups::interaction(&mut tx, new).await?;
            tx.commit().await.map_err(db_error)?;
            get_interaction(store, new.campaign_id, id)
                .await?
                .ok_or_else(|| StoreError::Database(format!("interaction {id} vanished")))
        }

        pub async fn get_interaction(
            store: &Backend,
            campaign_id: i64,
            id: i64,
        ) -> Result<Option<Interaction>, StoreError> {
            let row: Option<StoredInteraction> = sqlx::query_as(&format!(
                "{INTERACTION_SELECT} WHERE i.campaign_id = $1 AND i.id = $2"
            ))
            .bind(campaign_id)
            .bind(id)
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredInteraction::into_interaction).transpose()
        }

        pub async fn remove_reaction(
            store: &Backend,
            fan_id: i64,
            reaction: Reaction,
            target_id: Option<i64>,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "DELETE FROM interactions WHERE fan_id = $1 AND kind = 'reaction' AND reaction = $2 \
                 AND COALESCE(target_id, 0) = $3",
            )
            .bind(fan_id)
            .bind(reaction.as_str())
            .bind(target_id.unwrap_or(0))
            .execute(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(done.rows_affected() > 0)
        }

        pub async fn moderate_interaction(
            store: &Backend,
            campaign_id: i64,
            id: i64,
            status: Status,
            reason: Option<&str>,
        ) -> Result<Option<Interaction>, StoreError> {
            let done = sqlx::query(
                "UPDATE interactions SET status = $1, reason = $2, moderated_at = $3 \
                 WHERE campaign_id = $4 AND id = $5 AND kind <> 'reaction'",
            )
            .bind(status.as_str())
            .bind(reason)
            .bind(now())
            .bind(campaign_id)
            .bind(id)
            .execute(&store.pool)
            .await
            .map_err(db_error)?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            get_interaction(store, campaign_id, id).await
        }

        pub async fn list_interactions(
            store: &Backend,
            campaign_id: i64,
            kind: InteractionKind,
            statuses: &[Status],
            page: Page,
        ) -> Result<Vec<Interaction>, StoreError> {
            let wanted = (3..3 + statuses.len().max(1))
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let next = 3 + statuses.len().max(1);
            let sql = format!(
                "{INTERACTION_SELECT} WHERE i.campaign_id = $1 AND i.kind = $2 AND i.status IN ({wanted}) \
                 AND i.id < ${next} ORDER BY i.id DESC LIMIT ${}",
                next + 1
            );
            let mut query = sqlx::query_as::<_, StoredInteraction>(&sql)
                .bind(campaign_id)
                .bind(kind.as_str());
            for status in statuses {
                query = query.bind(status.as_str());
            }
            if statuses.is_empty() {
                query = query.bind("");
            }
            let rows = query
                .bind(page.after.unwrap_or(i64::MAX))
                .bind(i64::from(page.limit))
                .fetch_all(&store.pool)
                .await
                .map_err(db_error)?;
            rows.into_iter()
                .map(StoredInteraction::into_interaction)
                .collect()
        }

        pub async fn fan_interactions(store: &Backend, fan_id: i64) -> Result<Vec<Interaction>, StoreError> {
            let rows: Vec<StoredInteraction> = sqlx::query_as(&format!(
                "{INTERACTION_SELECT} WHERE i.fan_id = $1 ORDER BY i.id DESC LIMIT 500"
            ))
            .bind(fan_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            rows.into_iter()
                .map(StoredInteraction::into_interaction)
                .collect()
        }

        pub async fn activity(store: &Backend, campaign_id: i64) -> Result<Vec<(i64, Activity)>, StoreError> {
            let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT fan_id, \
                 SUM(CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN kind = 'comment' AND status IN ('published', 'approved') THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN kind = 'creation' AND status = 'approved' THEN 1 ELSE 0 END) \
                 FROM interactions WHERE campaign_id = $1 GROUP BY fan_id",
            )
            .bind(campaign_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(rows
                .into_iter()
                .map(|(fan, reactions, comments, creations)| {
                    (
                        fan,
                        Activity {
                            reactions: reactions.unsigned_abs(),
                            comments: comments.unsigned_abs(),
                            approved_creations: creations.unsigned_abs(),
                        },
                    )
                })
                .collect())
        }

        pub async fn campaign_reactions(
            store: &Backend,
            campaign_id: i64,
        ) -> Result<Vec<(Reaction, u64)>, StoreError> {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT reaction, COUNT(*) FROM interactions WHERE campaign_id = $1 \
                 AND kind = 'reaction' AND target_id IS NULL GROUP BY reaction",
            )
            .bind(campaign_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(rows
                .into_iter()
                .filter_map(|(reaction, n)| Some((Reaction::parse(&reaction)?, n.unsigned_abs())))
                .collect())
        }

        pub async fn reactions_per_creation(
            store: &Backend,
            campaign_id: i64,
        ) -> Result<Vec<(i64, u64)>, StoreError> {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT target_id, COUNT(*) FROM interactions WHERE campaign_id = $1 \
                 AND kind = 'reaction' AND target_id IS NOT NULL GROUP BY target_id",
            )
            .bind(campaign_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(rows
                .into_iter()
                .map(|(id, n)| (id, n.unsigned_abs()))
                .collect())
        }

        pub async fn award_milestones(
            store: &Backend,
            campaign_id: i64,
            fan_id: i64,
            reached: &[Milestone],
            at: DateTime<Utc>,
        ) -> Result<Vec<u64>, StoreError> {
            let mut awarded = Vec::new();
            for milestone in reached {
                let done = sqlx::query(
                    "INSERT INTO milestones (campaign_id, fan_id, threshold, reward, reached_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(campaign_id)
                .bind(fan_id)
                .bind(i64::try_from(milestone.threshold).unwrap_or(i64::MAX))
                .bind(&milestone.reward)
                .bind(at)
                .execute(&store.pool)
                .await
                .map_err(db_error)?;
                if done.rows_affected() > 0 {
                    awarded.push(milestone.threshold);
                }
            }
            Ok(awarded)
        }

        pub async fn list_milestones(store: &Backend, campaign_id: i64) -> Result<Vec<MilestoneRecord>, StoreError> {
            sqlx::query_as(
                "SELECT m.fan_id, f.ref_code AS fan_ref_code, m.threshold, m.reward, m.reached_at \
                 FROM milestones m JOIN fans f ON f.id = m.fan_id WHERE m.campaign_id = $1 \
                 ORDER BY m.reached_at, m.fan_id, m.threshold",
            )
            .bind(campaign_id)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)
        }
    };
}
