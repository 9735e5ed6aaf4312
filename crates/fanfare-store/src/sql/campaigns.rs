//! Campaigns and API keys.
//!
//! Expanded once in each SQL backend by [`sql_store!`](crate::sql_store); the functions take the
//! backend's store and run the same SQL on either dialect.

#[doc(hidden)]
#[macro_export]
macro_rules! campaign_queries {
    () => {
        pub async fn create_campaign(
            store: &Backend,
            slug: &Slug,
            settings: &CampaignSettings,
        ) -> Result<Campaign, StoreError> {
            let at = now();
            let row: StoredCampaign = sqlx::query_as(&format!(
                "INSERT INTO campaigns (slug, kind, title, description, landing_url, allowed_domains, \
                 image_url, hashtags, channels, created_at, updated_at, brand_color) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING {CAMPAIGN_COLUMNS}"
            ))
            .bind(slug.as_str())
            .bind(settings.kind.as_str())
            .bind(settings.title.as_deref())
            .bind(settings.description.as_deref())
            .bind(settings.landing_url.as_str())
            .bind(Json(settings.allowed_domain_strings()))
            .bind(settings.image_url.as_ref().map(|u| u.as_str()))
            .bind(Json(settings.hashtag_strings()))
            .bind(Json(settings.channel_strings()))
            .bind(at)
            .bind(settings.brand_color.map(|c| c.to_string()))
            .fetch_one(&store.pool)
            .await
            .map_err(|e| map_sqlx_error(e, "slug"))?;
            row.into_campaign()
        }

        pub async fn get_campaign(store: &Backend, slug: &Slug) -> Result<Option<Campaign>, StoreError> {
            let row: Option<StoredCampaign> = sqlx::query_as(&format!(
                "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE slug = $1"
            ))
            .bind(slug.as_str())
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredCampaign::into_campaign).transpose()
        }

        pub async fn list_campaigns(store: &Backend, page: Page) -> Result<Vec<Campaign>, StoreError> {
            let rows: Vec<StoredCampaign> = sqlx::query_as(&format!(
                "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(page.after.unwrap_or(0))
            .bind(i64::from(page.limit))
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            rows.into_iter()
                .map(StoredCampaign::into_campaign)
                .collect()
        }

        pub async fn update_campaign(
            store: &Backend,
            slug: &Slug,
            settings: &CampaignSettings,
        ) -> Result<Option<Campaign>, StoreError> {
            let row: Option<StoredCampaign> = sqlx::query_as(&format!(
                "UPDATE campaigns SET kind = $1, title = $2, description = $3, landing_url = $4, \
                 allowed_domains = $5, image_url = $6, hashtags = $7, channels = $8, updated_at = $9, \
                 brand_color = $11 WHERE slug = $10 RETURNING {CAMPAIGN_COLUMNS}"
            ))
            .bind(settings.kind.as_str())
            .bind(settings.title.as_deref())
            .bind(settings.description.as_deref())
            .bind(settings.landing_url.as_str())
            .bind(Json(settings.allowed_domain_strings()))
            .bind(settings.image_url.as_ref().map(|u| u.as_str()))
            .bind(Json(settings.hashtag_strings()))
            .bind(Json(settings.channel_strings()))
            .bind(now())
            .bind(slug.as_str())
            .bind(settings.brand_color.map(|c| c.to_string()))
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredCampaign::into_campaign).transpose()
        }

        pub async fn delete_campaign(store: &Backend, slug: &Slug) -> Result<bool, StoreError> {
            let done = sqlx::query("DELETE FROM campaigns WHERE slug = $1")
                .bind(slug.as_str())
                .execute(&store.pool)
                .await
                .map_err(db_error)?;
            Ok(done.rows_affected() > 0)
        }

        pub async fn create_api_key(
            store: &Backend,
            name: &str,
            key: &NewApiKey,
        ) -> Result<ApiKeyRecord, StoreError> {
            let row: StoredApiKey = sqlx::query_as(&format!(
                "INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING {API_KEY_COLUMNS}"
            ))
            .bind(name)
            .bind(&key.prefix)
            .bind(&key.hash)
            .bind(now())
            .fetch_one(&store.pool)
            .await
            .map_err(|e| map_sqlx_error(e, "api key"))?;
            Ok(row.into())
        }

        pub async fn find_api_key(store: &Backend, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
            let row: Option<StoredApiKey> = sqlx::query_as(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"
            ))
            .bind(hash)
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(row.map(Into::into))
        }

        pub async fn list_api_keys(store: &Backend) -> Result<Vec<ApiKeyRecord>, StoreError> {
            let rows: Vec<StoredApiKey> = sqlx::query_as(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id"
            ))
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        pub async fn revoke_api_key(store: &Backend, id: i64) -> Result<Option<ApiKeyRecord>, StoreError> {
            let row: Option<StoredApiKey> = sqlx::query_as(&format!(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 \
                 RETURNING {API_KEY_COLUMNS}"
            ))
            .bind(now())
            .bind(id)
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            Ok(row.map(Into::into))
        }
    };
}
