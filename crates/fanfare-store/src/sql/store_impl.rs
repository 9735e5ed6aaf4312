//! The [`Store`](crate::store::Store) implementation of a SQL backend: a table of contents that
//! hands each call to the function of its domain (`accounts`, `campaigns`, `fans`, `links`, `engagement`,
//! `reports`, `webhooks`), and the backend's own work to its [`SqlBackend`](super::SqlBackend)
//! hooks.

#[doc(hidden)]
#[macro_export]
macro_rules! sql_store_impl {
    () => {
        #[async_trait]
        impl Store for Backend {
            fn backend(&self) -> &'static str {
                <Backend as SqlBackend>::NAME
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(db_error)
            }

            async fn close(&self) {
                SqlBackend::close_writers(self).await;
                self.pool.close().await;
            }

            async fn create_campaign(
                &self,
                slug: &Slug,
                settings: &CampaignSettings,
            ) -> Result<Campaign, StoreError> {
                campaigns::create_campaign(self, slug, settings).await
            }

            async fn get_campaign(&self, slug: &Slug) -> Result<Option<Campaign>, StoreError> {
                campaigns::get_campaign(self, slug).await
            }

            async fn list_campaigns(&self, page: Page) -> Result<Vec<Campaign>, StoreError> {
                campaigns::list_campaigns(self, page).await
            }

            async fn update_campaign(
                &self,
                slug: &Slug,
                settings: &CampaignSettings,
            ) -> Result<Option<Campaign>, StoreError> {
                campaigns::update_campaign(self, slug, settings).await
            }

            async fn delete_campaign(&self, slug: &Slug) -> Result<bool, StoreError> {
                campaigns::delete_campaign(self, slug).await
            }

            async fn create_api_key(
                &self,
                name: &str,
                key: &NewApiKey,
            ) -> Result<ApiKeyRecord, StoreError> {
                campaigns::create_api_key(self, name, key).await
            }

            async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
                campaigns::find_api_key(self, hash).await
            }

            async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
                campaigns::list_api_keys(self).await
            }

            async fn revoke_api_key(&self, id: i64) -> Result<Option<ApiKeyRecord>, StoreError> {
                campaigns::revoke_api_key(self, id).await
            }

            async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
                accounts::create_user(self, user).await
            }

            async fn find_user(&self, id: i64) -> Result<Option<User>, StoreError> {
                accounts::find_user(self, id).await
            }

            async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
                accounts::find_user_by_email(self, email).await
            }

            async fn find_user_by_invite(
                &self,
                token_hash: &str,
            ) -> Result<Option<User>, StoreError> {
                accounts::find_user_by_invite(self, token_hash).await
            }

            async fn list_users(&self) -> Result<Vec<User>, StoreError> {
                accounts::list_users(self).await
            }

            async fn set_user_role(&self, id: i64, role: Role) -> Result<Option<User>, StoreError> {
                accounts::set_user_role(self, id, role).await
            }

            async fn set_user_password(
                &self,
                id: i64,
                password_hash: &str,
                keep_session: Option<&str>,
            ) -> Result<bool, StoreError> {
                accounts::set_user_password(self, id, password_hash, keep_session).await
            }

            async fn set_user_invite(&self, id: i64, invite: &Invite) -> Result<bool, StoreError> {
                accounts::set_user_invite(self, id, invite).await
            }

            async fn delete_user(&self, id: i64) -> Result<bool, StoreError> {
                accounts::delete_user(self, id).await
            }

            async fn create_admin_session(
                &self,
                session: &NewAdminSession,
            ) -> Result<(), StoreError> {
                accounts::create_admin_session(self, session).await
            }

            async fn find_admin_session(
                &self,
                token_hash: &str,
            ) -> Result<Option<AdminSession>, StoreError> {
                accounts::find_admin_session(self, token_hash).await
            }

            async fn delete_admin_session(&self, token_hash: &str) -> Result<(), StoreError> {
                accounts::delete_admin_session(self, token_hash).await
            }

            async fn insert_fan(&self, fan: &NewFan) -> Result<Fan, StoreError> {
                fans::insert_fan(self, fan).await
            }

            async fn find_fan_by_email(
                &self,
                campaign_id: i64,
                address: &str,
            ) -> Result<Option<Fan>, StoreError> {
                fans::find_fan_by_email(self, campaign_id, address).await
            }

            async fn find_fan_by_ref_code(
                &self,
                campaign_id: i64,
                ref_code: &RefCode,
            ) -> Result<Option<Fan>, StoreError> {
                fans::find_fan_by_ref_code(self, campaign_id, ref_code).await
            }

            async fn find_fan_by_token(&self, token_hash: &str) -> Result<Option<Fan>, StoreError> {
                fans::find_fan_by_token(self, token_hash).await
            }

            async fn mailbox_in_use(
                &self,
                campaign_id: i64,
                mailbox: &str,
                address: &str,
            ) -> Result<bool, StoreError> {
                fans::mailbox_in_use(self, campaign_id, mailbox, address).await
            }

            async fn joins_since(
                &self,
                campaign_id: i64,
                visitor_hash: &str,
                since: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                fans::joins_since(self, campaign_id, visitor_hash, since).await
            }

            async fn network_joins_since(
                &self,
                campaign_id: i64,
                network_hash: &str,
                referrer_id: Option<i64>,
                since: DateTime<Utc>,
            ) -> Result<NetworkJoins, StoreError> {
                fans::network_joins_since(self, campaign_id, network_hash, referrer_id, since).await
            }

            async fn erase_fan(&self, fan_id: i64) -> Result<bool, StoreError> {
                fans::erase_fan(self, fan_id).await
            }

            async fn list_fans(
                &self,
                campaign_id: i64,
                page: Page,
            ) -> Result<Vec<Fan>, StoreError> {
                fans::list_fans(self, campaign_id, page).await
            }

            async fn count_fans(&self, campaign_id: i64) -> Result<u64, StoreError> {
                fans::count_fans(self, campaign_id).await
            }

            async fn visitor_salt(
                &self,
                day: NaiveDate,
                candidate: &[u8],
            ) -> Result<Vec<u8>, StoreError> {
                fans::visitor_salt(self, day, candidate).await
            }

            async fn record_visitor_event(
                &self,
                campaign_id: i64,
                day: NaiveDate,
                event: VisitorEvent,
                visitor_hash: &str,
            ) -> Result<bool, StoreError> {
                fans::record_visitor_event(self, campaign_id, day, event, visitor_hash).await
            }

            async fn record_visitor_events(&self, events: &[VisitorRow]) -> Result<(), StoreError> {
                fans::record_visitor_events(self, events).await
            }

            async fn count_visitor_events(
                &self,
                campaign_id: i64,
                event: VisitorEvent,
                from: NaiveDate,
                to: NaiveDate,
            ) -> Result<u64, StoreError> {
                fans::count_visitor_events(self, campaign_id, event, from, to).await
            }

            async fn find_link(&self, key: &LinkKey) -> Result<Option<LinkTarget>, StoreError> {
                links::find_link(self, key).await
            }

            async fn anonymous_link(
                &self,
                campaign_id: i64,
                candidate: &LinkKey,
            ) -> Result<LinkKey, StoreError> {
                links::anonymous_link(self, campaign_id, candidate).await
            }

            async fn create_link(
                &self,
                campaign_id: i64,
                key: &LinkKey,
                target_url: &str,
            ) -> Result<LinkRecord, StoreError> {
                links::create_link(self, campaign_id, key, target_url).await
            }

            async fn disable_link(
                &self,
                campaign_id: i64,
                key: &LinkKey,
            ) -> Result<bool, StoreError> {
                links::disable_link(self, campaign_id, key).await
            }

            async fn record_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
                SqlBackend::write_clicks(self, clicks).await
            }

            fn blocking_click_writer(&self) -> Option<Arc<dyn BlockingClickWriter>> {
                SqlBackend::blocking_click_writer(self)
            }

            async fn record_share(
                &self,
                link_id: i64,
                channel: Channel,
                at: DateTime<Utc>,
                visitor_hash: &str,
            ) -> Result<bool, StoreError> {
                links::record_share(self, link_id, channel, at, visitor_hash).await
            }

            async fn link_reports(
                &self,
                campaign_id: i64,
                page: Page,
            ) -> Result<Vec<LinkReport>, StoreError> {
                links::link_reports(self, campaign_id, page).await
            }

            async fn engagement_settings(&self, campaign_id: i64) -> Result<String, StoreError> {
                engagement::engagement_settings(self, campaign_id).await
            }

            async fn set_engagement_settings(
                &self,
                campaign_id: i64,
                json: &str,
            ) -> Result<(), StoreError> {
                engagement::set_engagement_settings(self, campaign_id, json).await
            }

            async fn add_interaction(
                &self,
                new: &NewInteraction,
            ) -> Result<Interaction, StoreError> {
                engagement::add_interaction(self, new).await
            }

            async fn get_interaction(
                &self,
                campaign_id: i64,
                id: i64,
            ) -> Result<Option<Interaction>, StoreError> {
                engagement::get_interaction(self, campaign_id, id).await
            }

            async fn remove_reaction(
                &self,
                fan_id: i64,
                reaction: Reaction,
                target_id: Option<i64>,
            ) -> Result<bool, StoreError> {
                engagement::remove_reaction(self, fan_id, reaction, target_id).await
            }

            async fn moderate_interaction(
                &self,
                campaign_id: i64,
                id: i64,
                status: Status,
                reason: Option<&str>,
            ) -> Result<Option<Interaction>, StoreError> {
                engagement::moderate_interaction(self, campaign_id, id, status, reason).await
            }

            async fn list_interactions(
                &self,
                campaign_id: i64,
                kind: InteractionKind,
                statuses: &[Status],
                page: Page,
            ) -> Result<Vec<Interaction>, StoreError> {
                engagement::list_interactions(self, campaign_id, kind, statuses, page).await
            }

            async fn fan_interactions(&self, fan_id: i64) -> Result<Vec<Interaction>, StoreError> {
                engagement::fan_interactions(self, fan_id).await
            }

            async fn activity(&self, campaign_id: i64) -> Result<Vec<(i64, Activity)>, StoreError> {
                engagement::activity(self, campaign_id).await
            }

            async fn campaign_reactions(
                &self,
                campaign_id: i64,
            ) -> Result<Vec<(Reaction, u64)>, StoreError> {
                engagement::campaign_reactions(self, campaign_id).await
            }

            async fn reactions_per_creation(
                &self,
                campaign_id: i64,
            ) -> Result<Vec<(i64, u64)>, StoreError> {
                engagement::reactions_per_creation(self, campaign_id).await
            }

            async fn referral_graph(&self, campaign_id: i64) -> Result<Vec<GraphFan>, StoreError> {
                fans::referral_graph(self, campaign_id).await
            }

            async fn count_referred(&self, fan_id: i64) -> Result<u64, StoreError> {
                fans::count_referred(self, fan_id).await
            }

            async fn award_milestones(
                &self,
                campaign_id: i64,
                fan_id: i64,
                reached: &[Milestone],
                at: DateTime<Utc>,
            ) -> Result<Vec<u64>, StoreError> {
                engagement::award_milestones(self, campaign_id, fan_id, reached, at).await
            }

            async fn list_milestones(
                &self,
                campaign_id: i64,
            ) -> Result<Vec<MilestoneRecord>, StoreError> {
                engagement::list_milestones(self, campaign_id).await
            }

            async fn counters_by_channel(
                &self,
                campaign_id: i64,
                hours: Range<i64>,
            ) -> Result<Vec<(String, Counters)>, StoreError> {
                SqlBackend::before_counter_reads(self).await?;
                reports::counters_by_channel(&self.pool, campaign_id, hours).await
            }

            async fn counters_by_hour(
                &self,
                campaign_id: i64,
                hours: Range<i64>,
            ) -> Result<Vec<(i64, Counters)>, StoreError> {
                SqlBackend::before_counter_reads(self).await?;
                reports::counters_by_hour(&self.pool, campaign_id, hours).await
            }

            async fn dimension_counts(
                &self,
                campaign_id: i64,
                dimension: Dimension,
                hours: Range<i64>,
            ) -> Result<Vec<DimensionCount>, StoreError> {
                SqlBackend::before_counter_reads(self).await?;
                reports::dimension_counts(&self.pool, campaign_id, dimension, hours).await
            }

            async fn visitors_by_day(
                &self,
                campaign_id: i64,
                event: VisitorEvent,
                from: NaiveDate,
                to: NaiveDate,
            ) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
                reports::visitors_by_day(&self.pool, campaign_id, event, from, to).await
            }

            async fn fan_nodes(
                &self,
                campaign_id: i64,
                after_id: i64,
            ) -> Result<Vec<FanNode>, StoreError> {
                fans::fan_nodes(self, campaign_id, after_id).await
            }

            async fn ref_codes(
                &self,
                fan_ids: &[i64],
            ) -> Result<Vec<(i64, Option<String>)>, StoreError> {
                fans::ref_codes(self, fan_ids).await
            }

            async fn create_webhook(
                &self,
                campaign_id: i64,
                url: &str,
                secret: &str,
                events: &[String],
                at: DateTime<Utc>,
            ) -> Result<Webhook, StoreError> {
                webhooks::create_webhook(&self.pool, campaign_id, url, secret, events, at).await
            }

            async fn list_webhooks(&self, campaign_id: i64) -> Result<Vec<Webhook>, StoreError> {
                webhooks::list_webhooks(&self.pool, campaign_id).await
            }

            async fn delete_webhook(&self, campaign_id: i64, id: i64) -> Result<bool, StoreError> {
                webhooks::delete_webhook(&self.pool, campaign_id, id).await
            }

            async fn enqueue_webhook_event(
                &self,
                campaign_id: i64,
                event: &str,
                payload: &str,
                at: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                webhooks::enqueue_webhook_event(&self.pool, campaign_id, event, payload, at).await
            }

            async fn claim_webhook_deliveries(
                &self,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<DueDelivery>, StoreError> {
                webhooks::claim_webhook_deliveries(&self.pool, now, lease_until, limit).await
            }

            async fn record_webhook_attempt(
                &self,
                id: i64,
                attempt: &Attempt,
            ) -> Result<(), StoreError> {
                webhooks::record_webhook_attempt(&self.pool, id, attempt).await
            }

            async fn list_webhook_deliveries(
                &self,
                webhook_id: i64,
                limit: u32,
            ) -> Result<Vec<DeliveryRecord>, StoreError> {
                webhooks::list_webhook_deliveries(&self.pool, webhook_id, limit).await
            }
        }
    };
}
