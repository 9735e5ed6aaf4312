//! Scenarios every backend must pass, written once against `dyn Store`. A backend's test file
//! calls [`conformance_tests!`](crate::conformance_tests) with a function that prepares a fresh,
//! empty database (or returns `None` when that backend is not available on this machine).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use fanfare_core::account::Role;
use fanfare_core::api_key::{NewApiKey, hash_api_key};
use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings, Slug};
use fanfare_core::engagement::{InteractionKind, Milestone, Reaction, Status};
use fanfare_core::fan::{Email, Fan, FraudFlag, RefCode, Secret, VisitorEvent};
use fanfare_core::link::{Agent, Channel, Device, LinkKey};

use crate::error::StoreError;
use crate::model::{LinkTarget, NetworkJoins, NewClick, NewFan, NewInteraction};
use crate::store::{Invite, NewAdminSession, NewUser, Page, Store, now};

/// A fresh database for one scenario. `open` may be called several times: each call is a new
/// connection pool on the same data, as after a restart.
#[async_trait]
pub trait Harness: Send + Sync {
    async fn open(&self) -> Arc<dyn Store>;
    /// Drops what the harness created (a temporary database); called after the scenario.
    async fn cleanup(&self);
}

/// Expands to one `#[tokio::test]` per scenario. `$make` is an async fn returning
/// `Option<impl Harness>`; `None` skips the scenario with a message (a backend this machine lacks).
#[macro_export]
macro_rules! conformance_tests {
    ($make:path) => {
        $crate::conformance_tests!(@each $make;
            campaign_round_trip,
            duplicate_slug_is_a_conflict,
            concurrent_creates_of_one_slug_let_exactly_one_win,
            campaigns_list_in_creation_order_page_by_page,
            update_replaces_settings_and_keeps_identity,
            delete_removes_and_frees_the_slug,
            data_survives_a_restart,
            api_keys_are_found_by_hash_and_revoked_once,
            console_users_sessions_and_one_time_links,
            ping_answers,
            a_referral_chain_keeps_referrers_roots_and_depths,
            concurrent_joins_with_one_address_make_one_fan,
            erasure_removes_personal_data_and_keeps_the_chain,
            fraud_signal_queries,
            fan_counts_leave_out_flagged_and_erased_fans,
            the_visitor_salt_is_shared_and_rotates,
            visitors_are_unique_per_day_and_event,
            deleting_a_campaign_deletes_its_fans,
            writes_to_a_deleted_campaign_are_gone,
            links_resolve_to_their_campaign_and_owner,
            the_anonymous_link_is_made_once,
            clicks_and_shares_add_up_per_link_and_channel,
            interactions_are_stored_moderated_and_counted,
            milestones_are_awarded_once_per_threshold,
            report_counters_follow_every_write,
            webhook_deliveries_are_queued_leased_and_settled,
        );
    };
    (@each $make:path; $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                let Some(harness) = $make().await else {
                    eprintln!("skipped: backend not configured on this machine");
                    return;
                };
                $crate::conformance::$scenario(&harness).await;
                $crate::conformance::Harness::cleanup(&harness).await;
            }
        )*
    };
}

fn settings(landing_url: &str, title: Option<&str>) -> CampaignSettings {
    CampaignSettings::parse(RawCampaignSettings {
        kind: "product",
        title,
        landing_url,
        ..Default::default()
    })
    .expect("valid test settings")
}

fn slug(value: &str) -> Slug {
    Slug::parse(value).expect("valid test slug")
}

fn full_settings() -> CampaignSettings {
    let domains = vec!["example.com".to_owned(), "bücher.example".to_owned()];
    let tags = vec!["Launch".to_owned(), "été".to_owned()];
    let channels = vec!["whatsapp".to_owned(), "x".to_owned(), "qr".to_owned()];
    CampaignSettings::parse(RawCampaignSettings {
        kind: "message",
        title: Some("Ünïcödé <b>title</b> & \"quotes\" 'n' emoji 🎉"),
        description: Some("Two lines,\nwith a tab\there."),
        landing_url: "https://www.example.com/launch?x=1&y=%20#top",
        allowed_domains: Some(&domains),
        image_url: Some("https://cdn.elsewhere.example/og.png"),
        brand_color: Some("#0A66C2"),
        hashtags: &tags,
        channels: Some(&channels),
    })
    .expect("valid test settings")
}

pub async fn campaign_round_trip(harness: &impl Harness) {
    let store = harness.open().await;
    let s = slug("spring-launch");
    let created = store
        .create_campaign(&s, &full_settings())
        .await
        .expect("create");
    assert_eq!(created.slug, s);
    assert_eq!(created.settings, full_settings());
    assert_eq!(created.created_at, created.updated_at);

    let read = store.get_campaign(&s).await.expect("get").expect("found");
    assert_eq!(read, created, "what is read back is what was written");

    let minimal = settings("http://localhost:3000/", None);
    let other = store
        .create_campaign(&slug("minimal"), &minimal)
        .await
        .expect("create minimal");
    assert_eq!(other.settings, minimal);
    assert_ne!(other.id, created.id);

    assert!(
        store
            .get_campaign(&slug("absent"))
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn duplicate_slug_is_a_conflict(harness: &impl Harness) {
    let store = harness.open().await;
    let s = slug("twice");
    let first = store
        .create_campaign(&s, &settings("https://a.example/", Some("first")))
        .await
        .expect("first create");
    let second = store
        .create_campaign(&s, &settings("https://b.example/", Some("second")))
        .await;
    assert!(
        matches!(second, Err(StoreError::Conflict("slug"))),
        "{second:?}"
    );
    let kept = store.get_campaign(&s).await.expect("get").expect("found");
    assert_eq!(kept, first, "the first campaign is untouched");
}

pub async fn concurrent_creates_of_one_slug_let_exactly_one_win(harness: &impl Harness) {
    let store = harness.open().await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let title = format!("racer {i}");
                store
                    .create_campaign(
                        &slug("race"),
                        &settings("https://race.example/", Some(&title)),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => won += 1,
            Err(StoreError::Conflict("slug")) => {}
            Err(other) => panic!("a losing create must be a conflict, got {other:?}"),
        }
    }
    assert_eq!(won, 1);
}

pub async fn campaigns_list_in_creation_order_page_by_page(harness: &impl Harness) {
    let store = harness.open().await;
    let slugs = ["zeta", "alpha", "mid", "beta", "omega"];
    for name in slugs {
        store
            .create_campaign(&slug(name), &settings("https://example.com/", None))
            .await
            .expect("create");
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_campaigns(Page { after, limit: 2 })
            .await
            .expect("list");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        seen.extend(page.iter().map(|c| c.slug.to_string()));
    }
    assert_eq!(seen, slugs);
    let none = store
        .list_campaigns(Page {
            after: None,
            limit: 0,
        })
        .await
        .expect("list");
    assert!(none.is_empty());
}

pub async fn update_replaces_settings_and_keeps_identity(harness: &impl Harness) {
    let store = harness.open().await;
    let s = slug("evolving");
    let created = store
        .create_campaign(&s, &settings("https://example.com/", Some("before")))
        .await
        .expect("create");
    // Timestamps have microsecond precision; make sure the update lands on a later one.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = store
        .update_campaign(&s, &full_settings())
        .await
        .expect("update")
        .expect("found");
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at > created.updated_at);
    assert_eq!(updated.settings, full_settings());
    assert_eq!(
        store.get_campaign(&s).await.expect("get").expect("found"),
        updated
    );
    let missing = store
        .update_campaign(&slug("nobody"), &full_settings())
        .await
        .expect("update");
    assert!(missing.is_none());
}

pub async fn delete_removes_and_frees_the_slug(harness: &impl Harness) {
    let store = harness.open().await;
    let s = slug("short-lived");
    let keep = slug("kept");
    for name in [&s, &keep] {
        store
            .create_campaign(name, &settings("https://example.com/", None))
            .await
            .expect("create");
    }
    assert!(store.delete_campaign(&s).await.expect("delete"));
    assert!(!store.delete_campaign(&s).await.expect("delete again"));
    assert!(store.get_campaign(&s).await.expect("get").is_none());
    assert!(store.get_campaign(&keep).await.expect("get").is_some());
    store
        .create_campaign(&s, &settings("https://example.com/", None))
        .await
        .expect("the slug can be used again");
}

pub async fn data_survives_a_restart(harness: &impl Harness) {
    let store = harness.open().await;
    let created = store
        .create_campaign(&slug("durable"), &full_settings())
        .await
        .expect("create");
    let key = NewApiKey::generate();
    let record = store.create_api_key("ops", &key).await.expect("key");
    store.close().await;
    drop(store);

    let reopened = harness.open().await;
    assert_eq!(
        reopened
            .get_campaign(&slug("durable"))
            .await
            .expect("get")
            .expect("found"),
        created
    );
    assert_eq!(
        reopened.find_api_key(&key.hash).await.expect("find"),
        Some(record)
    );
}

pub async fn api_keys_are_found_by_hash_and_revoked_once(harness: &impl Harness) {
    let store = harness.open().await;
    let first = NewApiKey::generate();
    let second = NewApiKey::generate();
    let a = store.create_api_key("ci", &first).await.expect("create");
    let b = store
        .create_api_key("dashboard import", &second)
        .await
        .expect("create");
    assert_eq!(a.name, "ci");
    assert_eq!(a.prefix, first.prefix);
    assert!(a.revoked_at.is_none());

    let found = store
        .find_api_key(&hash_api_key(&first.secret))
        .await
        .expect("find");
    assert_eq!(found, Some(a.clone()));
    assert!(
        store
            .find_api_key(&hash_api_key("ffk_not-a-key"))
            .await
            .expect("find")
            .is_none()
    );
    assert_eq!(
        store.list_api_keys().await.expect("list"),
        vec![a.clone(), b.clone()]
    );

    let revoked = store
        .revoke_api_key(a.id)
        .await
        .expect("revoke")
        .expect("found");
    let revoked_at = revoked.revoked_at.expect("revoked");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let again = store
        .revoke_api_key(a.id)
        .await
        .expect("revoke again")
        .expect("found");
    assert_eq!(
        again.revoked_at,
        Some(revoked_at),
        "the first revocation time is kept"
    );
    assert_eq!(
        store.find_api_key(&first.hash).await.expect("find"),
        Some(revoked)
    );
    assert!(
        store
            .find_api_key(&second.hash)
            .await
            .expect("find")
            .expect("found")
            .revoked_at
            .is_none(),
        "revoking one key leaves the others alone"
    );
    assert!(
        store
            .revoke_api_key(b.id + 1000)
            .await
            .expect("revoke")
            .is_none()
    );
}

pub async fn console_users_sessions_and_one_time_links(harness: &impl Harness) {
    let store = harness.open().await;
    assert_eq!(store.list_users().await.expect("list"), vec![]);
    let ada = store
        .create_user(&NewUser {
            email: "ada@example.com".into(),
            role: Role::Admin,
            password_hash: Some("$argon2id$first".into()),
            invite: None,
        })
        .await
        .expect("create");
    assert_eq!(ada.role, Role::Admin);
    assert_eq!(ada.password_hash.as_deref(), Some("$argon2id$first"));
    assert!(matches!(
        store
            .create_user(&NewUser {
                email: "ada@example.com".into(),
                role: Role::Viewer,
                password_hash: None,
                invite: None,
            })
            .await,
        Err(StoreError::Conflict("email"))
    ));
    let bob = store
        .create_user(&NewUser {
            email: "bob@example.com".into(),
            role: Role::Moderator,
            password_hash: None,
            invite: Some(Invite {
                token_hash: "invite-bob".into(),
                expires_at: now() + Duration::days(7),
            }),
        })
        .await
        .expect("invite");
    assert_eq!(bob.password_hash, None);
    assert!(bob.invite_expires_at.is_some());
    assert_eq!(
        store.find_user_by_invite("invite-bob").await.expect("find"),
        Some(bob.clone())
    );
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .expect("find"),
        Some(ada.clone())
    );
    assert_eq!(
        store.find_user(bob.id).await.expect("find"),
        Some(bob.clone())
    );
    assert_eq!(store.find_user(bob.id + 1000).await.expect("find"), None);
    let emails: Vec<String> = store
        .list_users()
        .await
        .expect("list")
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["ada@example.com", "bob@example.com"]);

    // Accepting the invitation closes the link.
    assert!(
        store
            .set_user_password(bob.id, "$argon2id$bob", None)
            .await
            .expect("set")
    );
    assert_eq!(
        store.find_user_by_invite("invite-bob").await.expect("find"),
        None
    );
    let bob = store.find_user(bob.id).await.expect("find").expect("bob");
    assert_eq!(bob.password_hash.as_deref(), Some("$argon2id$bob"));
    assert_eq!(bob.invite_expires_at, None);
    let expired = Invite {
        token_hash: "invite-expired".into(),
        expires_at: now() - Duration::seconds(1),
    };
    assert!(
        store
            .set_user_invite(bob.id, &expired)
            .await
            .expect("reset")
    );
    assert_eq!(
        store
            .find_user_by_invite("invite-expired")
            .await
            .expect("find"),
        None,
        "an expired link opens nothing"
    );

    let session = |token: &str, user_id: i64, hours: i64| NewAdminSession {
        token_hash: token.into(),
        user_id,
        csrf_token: format!("csrf-{token}"),
        expires_at: now() + Duration::hours(hours),
    };
    store
        .create_admin_session(&session("live", ada.id, 12))
        .await
        .expect("create");
    store
        .create_admin_session(&session("other", ada.id, 12))
        .await
        .expect("create");
    store
        .create_admin_session(&session("expired", ada.id, -1))
        .await
        .expect("create");
    store
        .create_admin_session(&session("bob", bob.id, 12))
        .await
        .expect("create");
    let found = store
        .find_admin_session("live")
        .await
        .expect("find")
        .expect("live");
    assert_eq!(found.csrf_token, "csrf-live");
    assert_eq!(found.user, ada);
    assert_eq!(
        store.find_admin_session("expired").await.expect("find"),
        None
    );
    assert_eq!(
        store.find_admin_session("unknown").await.expect("find"),
        None
    );
    assert!(matches!(
        store
            .create_admin_session(&session("ghost", bob.id + 1000, 12))
            .await,
        Err(StoreError::Gone)
    ));

    store.delete_admin_session("other").await.expect("delete");
    assert_eq!(store.find_admin_session("other").await.expect("find"), None);
    store
        .create_admin_session(&session("other", ada.id, 12))
        .await
        .expect("create");

    // A new password ends the user's other sessions, and no one else's.
    assert!(
        store
            .set_user_password(ada.id, "$argon2id$second", Some("live"))
            .await
            .expect("set")
    );
    assert!(
        store
            .find_admin_session("live")
            .await
            .expect("find")
            .is_some()
    );
    assert_eq!(store.find_admin_session("other").await.expect("find"), None);
    assert!(
        store
            .find_admin_session("bob")
            .await
            .expect("find")
            .is_some()
    );

    let promoted = store
        .set_user_role(bob.id, Role::Admin)
        .await
        .expect("role")
        .expect("bob");
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(
        store
            .find_admin_session("bob")
            .await
            .expect("find")
            .expect("bob")
            .user
            .role,
        Role::Admin,
        "a new role holds at the next request"
    );
    assert_eq!(
        store
            .set_user_role(bob.id + 1000, Role::Viewer)
            .await
            .expect("role"),
        None
    );

    assert!(store.delete_user(bob.id).await.expect("delete"));
    assert!(!store.delete_user(bob.id).await.expect("delete again"));
    assert_eq!(store.find_admin_session("bob").await.expect("find"), None);
    assert!(
        !store
            .set_user_password(bob.id, "$x", None)
            .await
            .expect("set")
    );
}

pub async fn ping_answers(harness: &impl Harness) {
    let store = harness.open().await;
    store.ping().await.expect("ping");
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
}

async fn campaign_id(store: &Arc<dyn Store>, name: &str) -> i64 {
    store
        .create_campaign(&slug(name), &settings("https://example.com/", None))
        .await
        .expect("campaign")
        .id
}

fn new_fan(campaign_id: i64, name: &str, email: Option<&str>, referrer: Option<&Fan>) -> NewFan {
    NewFan {
        campaign_id,
        ref_code: RefCode::generate(),
        link_key: LinkKey::generate(),
        channel: None,
        token_hash: Secret::generate("fft_").hash,
        name: name.to_owned(),
        email: email.map(|e| {
            let e = Email::parse(e).expect("valid test e-mail");
            (e.address().to_owned(), e.mailbox().to_owned())
        }),
        referrer: referrer.cloned(),
        visitor_hash: format!("visitor-{name}"),
        network_hash: None,
        flags: Vec::new(),
        joined_at: now(),
        device: Device::Desktop,
        referrer_host: None,
    }
}

async fn join(store: &Arc<dyn Store>, fan: NewFan) -> Fan {
    store.insert_fan(&fan).await.expect("insert fan")
}

pub async fn a_referral_chain_keeps_referrers_roots_and_depths(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "chain").await;
    let other_campaign = campaign_id(&store, "elsewhere").await;
    let ada = join(
        &store,
        new_fan(campaign, "Ada", Some("ada@example.com"), None),
    )
    .await;
    let bob = join(&store, new_fan(campaign, "Bob", None, Some(&ada))).await;
    let cyd = join(&store, new_fan(campaign, "Cyd", None, Some(&bob))).await;
    let dee = join(&store, new_fan(campaign, "Dee", None, Some(&cyd))).await;
    let eve = join(&store, new_fan(campaign, "Eve", None, Some(&ada))).await;
    let solo = join(&store, new_fan(campaign, "Solo", None, None)).await;

    let code = |fan: &Fan| fan.ref_code.clone().expect("code");
    let expected = [
        (&ada, None, ada.id, 0),
        (&bob, Some(&ada), ada.id, 1),
        (&cyd, Some(&bob), ada.id, 2),
        (&dee, Some(&cyd), ada.id, 3),
        (&eve, Some(&ada), ada.id, 1),
        (&solo, None, solo.id, 0),
    ];
    for (fan, referrer, root, depth) in expected {
        let stored = store
            .find_fan_by_ref_code(campaign, &code(fan))
            .await
            .expect("find")
            .expect("found");
        assert_eq!(&stored, fan, "what insert returned is what is stored");
        assert_eq!(stored.referrer_id, referrer.map(|r| r.id));
        assert_eq!(
            stored.referrer_ref_code,
            referrer.map(|r| code(r).to_string())
        );
        assert_eq!(
            (stored.root_id, stored.depth),
            (root, depth),
            "{:?}",
            stored.name
        );
    }
    assert!(
        store
            .find_fan_by_ref_code(other_campaign, &code(&ada))
            .await
            .expect("find")
            .is_none(),
        "a ref code never resolves in another campaign"
    );
    let listed = store
        .list_fans(
            campaign,
            Page {
                after: None,
                limit: 100,
            },
        )
        .await
        .expect("list");
    assert_eq!(listed, vec![ada, bob, cyd, dee, eve, solo]);
}

pub async fn concurrent_joins_with_one_address_make_one_fan(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "race").await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_fan(&new_fan(
                        campaign,
                        &format!("racer{i}"),
                        Some("Same@Example.com"),
                        None,
                    ))
                    .await
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(fan) => created.push(fan),
            Err(StoreError::Conflict("email")) => {}
            Err(other) => panic!("a losing join must be an e-mail conflict, got {other:?}"),
        }
    }
    assert_eq!(created.len(), 1);
    let found = store
        .find_fan_by_email(campaign, "same@example.com")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found, created[0]);
    assert_eq!(store.count_fans(campaign).await.expect("count"), 1);
}

pub async fn erasure_removes_personal_data_and_keeps_the_chain(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "forget-me").await;
    let parent = new_fan(campaign, "Parent", Some("parent@example.com"), None);
    let parent_token = parent.token_hash.clone();
    let parent = join(&store, parent).await;
    let child = join(&store, new_fan(campaign, "Child", None, Some(&parent))).await;

    assert!(store.erase_fan(parent.id).await.expect("erase"));
    assert!(!store.erase_fan(parent.id).await.expect("erase twice"));
    assert!(
        store
            .find_fan_by_token(&parent_token)
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        store
            .find_fan_by_email(campaign, "parent@example.com")
            .await
            .expect("find")
            .is_none()
    );
    let code = parent.ref_code.clone().expect("code");
    assert!(
        store
            .find_fan_by_ref_code(campaign, &code)
            .await
            .expect("find")
            .is_none()
    );
    let listed = store
        .list_fans(
            campaign,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("list");
    assert_eq!(listed.len(), 1, "erased fans are not listed");
    let child_now = &listed[0];
    assert_eq!(child_now.id, child.id);
    assert_eq!(child_now.referrer_id, Some(parent.id), "the chain stays");
    assert_eq!(child_now.referrer_ref_code, None, "but not the erased code");
    assert_eq!((child_now.root_id, child_now.depth), (parent.id, 1));
    assert_eq!(store.count_fans(campaign).await.expect("count"), 1);
    // The address is free again: the same person may come back as a new fan.
    join(
        &store,
        new_fan(campaign, "Back", Some("parent@example.com"), None),
    )
    .await;
}

pub async fn fraud_signal_queries(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "signals").await;
    let other = campaign_id(&store, "other").await;
    join(
        &store,
        new_fan(campaign, "Jo", Some("jo.hn+a@gmail.com"), None),
    )
    .await;
    let mailbox = Email::parse("john@gmail.com")
        .expect("e-mail")
        .mailbox()
        .to_owned();
    assert!(
        store
            .mailbox_in_use(campaign, &mailbox, "john@gmail.com")
            .await
            .expect("q")
    );
    assert!(
        !store
            .mailbox_in_use(campaign, &mailbox, "jo.hn+a@gmail.com")
            .await
            .expect("q"),
        "the same address is not a duplicate of itself"
    );
    assert!(
        !store
            .mailbox_in_use(other, &mailbox, "john@gmail.com")
            .await
            .expect("q")
    );

    let since = now() - Duration::hours(1);
    for i in 0..3 {
        let mut fan = new_fan(campaign, &format!("burst{i}"), None, None);
        fan.visitor_hash = "one-visitor".into();
        join(&store, fan).await;
    }
    let mut old = new_fan(campaign, "old", None, None);
    old.visitor_hash = "one-visitor".into();
    old.joined_at = now() - Duration::hours(2);
    join(&store, old).await;
    assert_eq!(
        store
            .joins_since(campaign, "one-visitor", since)
            .await
            .expect("q"),
        3
    );
    assert_eq!(
        store
            .joins_since(other, "one-visitor", since)
            .await
            .expect("q"),
        0
    );
    assert_eq!(
        store
            .joins_since(campaign, "someone-else", since)
            .await
            .expect("q"),
        0
    );

    // One network: two fans referred by the first, one on their own, one outside the window.
    let from_network = |name: &str, referrer: Option<&Fan>| {
        let mut fan = new_fan(campaign, name, None, referrer);
        fan.network_hash = Some("one-network".into());
        fan
    };
    let first = join(&store, from_network("net-first", None)).await;
    join(&store, from_network("net-a", Some(&first))).await;
    join(&store, from_network("net-b", Some(&first))).await;
    let mut earlier = from_network("net-earlier", Some(&first));
    earlier.joined_at = now() - Duration::hours(2);
    join(&store, earlier).await;
    let joins = |referrer: Option<i64>, network: &'static str| {
        let store = &store;
        async move {
            store
                .network_joins_since(campaign, network, referrer, since)
                .await
                .expect("q")
        }
    };
    assert_eq!(
        joins(Some(first.id), "one-network").await,
        NetworkJoins {
            all: 3,
            by_referrer: 2
        }
    );
    assert_eq!(
        joins(None, "one-network").await,
        NetworkJoins {
            all: 3,
            by_referrer: 0
        }
    );
    assert_eq!(joins(None, "another").await, NetworkJoins::default());
    // Erasure forgets the network.
    assert!(store.erase_fan(first.id).await.expect("erase"));
    assert_eq!(joins(None, "one-network").await.all, 2);
}

pub async fn fan_counts_leave_out_flagged_and_erased_fans(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "counted").await;
    let honest = join(&store, new_fan(campaign, "Honest", None, None)).await;
    let mut flagged = new_fan(campaign, "Flagged", None, Some(&honest));
    flagged.flags = vec![FraudFlag::SelfReferral, FraudFlag::JoinBurst];
    let flagged = join(&store, flagged).await;
    assert_eq!(
        flagged.flags,
        [FraudFlag::SelfReferral, FraudFlag::JoinBurst]
    );
    let erased = join(&store, new_fan(campaign, "Gone", None, None)).await;
    store.erase_fan(erased.id).await.expect("erase");
    assert_eq!(store.count_fans(campaign).await.expect("count"), 1);
    let stored = store
        .find_fan_by_ref_code(campaign, flagged.ref_code.as_ref().expect("code"))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(stored.flags, flagged.flags, "flags are kept with the fan");
}

pub async fn the_visitor_salt_is_shared_and_rotates(harness: &impl Harness) {
    let store = harness.open().await;
    let day1 = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let day2 = day1.succ_opt().expect("date");
    assert_eq!(
        store.visitor_salt(day1, b"first").await.expect("salt"),
        b"first"
    );
    assert_eq!(
        store.visitor_salt(day1, b"second").await.expect("salt"),
        b"first",
        "the first node's salt wins for the whole day"
    );
    assert_eq!(
        store.visitor_salt(day2, b"next-day").await.expect("salt"),
        b"next-day"
    );
    assert_eq!(
        store.visitor_salt(day1, b"again").await.expect("salt"),
        b"again",
        "yesterday's salt was deleted when today's was made"
    );
}

pub async fn visitors_are_unique_per_day_and_event(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "views").await;
    let other = campaign_id(&store, "other-views").await;
    let day1 = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let day2 = day1.succ_opt().expect("date");
    let view = VisitorEvent::View;
    assert!(
        store
            .record_visitor_event(campaign, day1, view, "a")
            .await
            .expect("r")
    );
    assert!(
        !store
            .record_visitor_event(campaign, day1, view, "a")
            .await
            .expect("r")
    );
    assert!(
        store
            .record_visitor_event(campaign, day1, view, "b")
            .await
            .expect("r")
    );
    assert!(
        store
            .record_visitor_event(campaign, day2, view, "a")
            .await
            .expect("r")
    );
    assert!(
        store
            .record_visitor_event(campaign, day1, VisitorEvent::JoinStarted, "a")
            .await
            .expect("r")
    );
    assert!(
        store
            .record_visitor_event(other, day1, view, "a")
            .await
            .expect("r")
    );
    assert_eq!(
        store
            .count_visitor_events(campaign, view, day1, day1)
            .await
            .expect("c"),
        2
    );
    assert_eq!(
        store
            .count_visitor_events(campaign, view, day2, day2)
            .await
            .expect("c"),
        1
    );
    assert_eq!(
        store
            .count_visitor_events(campaign, view, day1, day2)
            .await
            .expect("c"),
        3,
        "a visitor who returns another day counts again"
    );
    assert_eq!(
        store
            .count_visitor_events(campaign, VisitorEvent::JoinStarted, day1, day2)
            .await
            .expect("c"),
        1
    );
}

pub async fn deleting_a_campaign_deletes_its_fans(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "doomed").await;
    let root = join(
        &store,
        new_fan(campaign, "Root", Some("root@example.com"), None),
    )
    .await;
    let token = new_fan(campaign, "Child", None, Some(&root));
    let token_hash = token.token_hash.clone();
    join(&store, token).await;
    assert!(
        store
            .delete_campaign(&slug("doomed"))
            .await
            .expect("delete")
    );
    assert!(
        store
            .find_fan_by_token(&token_hash)
            .await
            .expect("find")
            .is_none()
    );
    let again = campaign_id(&store, "doomed").await;
    assert_eq!(store.count_fans(again).await.expect("count"), 0);
}

/// A join, a page view or a new link for a campaign deleted meanwhile (the request read the
/// campaign just before): `Gone`, which the server answers 404, never a database error.
pub async fn writes_to_a_deleted_campaign_are_gone(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "short-lived").await;
    assert!(
        store
            .delete_campaign(&slug("short-lived"))
            .await
            .expect("delete")
    );
    let joined = store
        .insert_fan(&new_fan(campaign, "Late", Some("late@example.com"), None))
        .await;
    assert!(matches!(joined, Err(StoreError::Gone)), "{joined:?}");
    let link = store.anonymous_link(campaign, &LinkKey::generate()).await;
    assert!(matches!(link, Err(StoreError::Gone)), "{link:?}");
    let viewed = store
        .record_visitor_event(campaign, now().date_naive(), VisitorEvent::View, "v1")
        .await;
    assert!(matches!(viewed, Err(StoreError::Gone)), "{viewed:?}");
}

fn new_click(link: &LinkTarget, channel: Channel, visitor: &str, agent: Agent) -> NewClick {
    NewClick {
        link_id: link.link_id,
        campaign_id: link.campaign_id,
        channel,
        at: now(),
        visitor_hash: visitor.to_owned(),
        agent,
        qr: channel == Channel::Qr,
        referrer_host: Some("news.example".into()),
        device: Device::Mobile,
    }
}

pub async fn links_resolve_to_their_campaign_and_owner(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "linked").await;
    let fan = join(&store, new_fan(campaign, "Ada", None, None)).await;
    let key = fan.link_key.clone().expect("a fan has a personal link");
    let target = store.find_link(&key).await.expect("find").expect("found");
    assert_eq!(target.campaign_id, campaign);
    assert_eq!(target.campaign_slug, "linked");
    assert_eq!(
        target.target_url, "https://example.com/",
        "the landing URL when the link has none"
    );
    assert_eq!(
        target.ref_code,
        fan.ref_code.as_ref().map(ToString::to_string)
    );
    assert!(!target.disabled);

    let custom = store
        .create_link(
            campaign,
            &LinkKey::generate(),
            "https://example.com/page?x=1",
        )
        .await
        .expect("create");
    let custom_target = store
        .find_link(&custom.key)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(custom_target.target_url, "https://example.com/page?x=1");
    assert_eq!(custom_target.ref_code, None);
    assert!(matches!(
        store
            .create_link(campaign, &custom.key, "https://example.com/")
            .await,
        Err(StoreError::Conflict(_))
    ));

    let other = campaign_id(&store, "unrelated").await;
    assert!(
        !store
            .disable_link(other, &custom.key)
            .await
            .expect("disable"),
        "another campaign's link"
    );
    assert!(
        store
            .disable_link(campaign, &custom.key)
            .await
            .expect("disable")
    );
    assert!(
        store
            .find_link(&custom.key)
            .await
            .expect("find")
            .expect("found")
            .disabled
    );
    assert!(
        store
            .find_link(&LinkKey::generate())
            .await
            .expect("find")
            .is_none()
    );

    store.erase_fan(fan.id).await.expect("erase");
    let after = store
        .find_link(&key)
        .await
        .expect("find")
        .expect("the link keeps working");
    assert_eq!(
        after.ref_code, None,
        "but credits nobody once its owner is erased"
    );
}

pub async fn the_anonymous_link_is_made_once(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "anonymous").await;
    let first = LinkKey::generate();
    assert_eq!(
        store.anonymous_link(campaign, &first).await.expect("make"),
        first
    );
    let again = store
        .anonymous_link(campaign, &LinkKey::generate())
        .await
        .expect("read");
    assert_eq!(
        again, first,
        "a second candidate does not replace the first"
    );
    let target = store.find_link(&first).await.expect("find").expect("found");
    assert_eq!(target.ref_code, None);
}

pub async fn clicks_and_shares_add_up_per_link_and_channel(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "counted-clicks").await;
    let ada = join(&store, new_fan(campaign, "Ada", None, None)).await;
    let link = store
        .find_link(ada.link_key.as_ref().expect("key"))
        .await
        .expect("find")
        .expect("found");
    let batch = vec![
        new_click(&link, Channel::X, "v1", Agent::Human),
        new_click(&link, Channel::X, "v1", Agent::Human),
        new_click(&link, Channel::X, "v2", Agent::Human),
        new_click(&link, Channel::X, "bot", Agent::Bot),
        new_click(&link, Channel::X, "fb", Agent::Preview),
        new_click(&link, Channel::Qr, "v1", Agent::Human),
    ];
    store.record_clicks(&batch).await.expect("record");
    store
        .record_clicks(&[new_click(&link, Channel::X, "v2", Agent::Human)])
        .await
        .expect("record");
    assert!(
        store
            .record_share(link.link_id, Channel::X, now(), "v1")
            .await
            .expect("share")
    );
    assert!(
        store
            .record_share(link.link_id, Channel::Email, now(), "v1")
            .await
            .expect("share")
    );
    // The same visitor sharing the same link on the same channel again within the hour: not
    // counted (the server still redirects); another visitor, or the next hour, is counted.
    for _ in 0..3 {
        assert!(
            !store
                .record_share(link.link_id, Channel::X, now(), "v1")
                .await
                .expect("share")
        );
    }
    let next_hour = now() + Duration::hours(1);
    assert!(
        store
            .record_share(link.link_id, Channel::X, next_hour, "v1")
            .await
            .expect("share")
    );
    assert!(
        store
            .record_share(link.link_id, Channel::X, now(), "v2")
            .await
            .expect("share")
    );
    // A fan brought through Ada's X link, and one through it who is flagged (left out).
    let mut brought = new_fan(campaign, "Bob", None, Some(&ada));
    brought.channel = Some(Channel::X);
    join(&store, brought).await;
    let mut flagged = new_fan(campaign, "Sock", None, Some(&ada));
    flagged.channel = Some(Channel::X);
    flagged.flags = vec![FraudFlag::SelfReferral];
    join(&store, flagged).await;

    let reports = store
        .link_reports(
            campaign,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("reports");
    let report = reports
        .iter()
        .find(|r| r.link.id == link.link_id)
        .expect("Ada's link is listed");
    let get = |channel: Channel| {
        report
            .channels
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let x = get(Channel::X);
    assert_eq!(
        (x.clicks, x.unique_clicks, x.bot_clicks),
        (4, 2, 2),
        "humans, visitors, bots"
    );
    // v1 now, v1 an hour later, v2 now; v1's repeats within the hour not counted.
    assert_eq!((x.shares, x.fans), (3, 1));
    let qr = get(Channel::Qr);
    assert_eq!((qr.clicks, qr.qr_clicks, qr.unique_clicks), (1, 1, 1));
    assert_eq!(get(Channel::Email).shares, 1);
    assert_eq!(
        report.link.fan_ref_code,
        ada.ref_code.as_ref().map(ToString::to_string)
    );
    assert_eq!(
        report.channels.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [Channel::X, Channel::Email, Channel::Qr],
        "channel order"
    );
}

fn interaction(
    campaign_id: i64,
    fan: &Fan,
    kind: InteractionKind,
    status: Status,
) -> NewInteraction {
    NewInteraction {
        campaign_id,
        fan_id: fan.id,
        kind,
        reaction: None,
        target_id: None,
        body: Some(format!(
            "{} by {}",
            kind.as_str(),
            fan.name.as_deref().unwrap_or("?")
        )),
        url: None,
        display_name: None,
        status,
        reason: None,
        created_at: now(),
    }
}

pub async fn interactions_are_stored_moderated_and_counted(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "talk").await;
    let ada = join(&store, new_fan(campaign, "Ada", None, None)).await;
    let bob = join(&store, new_fan(campaign, "Bob", None, Some(&ada))).await;

    let creation = store
        .add_interaction(&interaction(
            campaign,
            &ada,
            InteractionKind::Creation,
            Status::Pending,
        ))
        .await
        .expect("creation");
    assert_eq!(
        creation.fan_ref_code,
        ada.ref_code.as_ref().map(ToString::to_string)
    );
    let mut like = interaction(campaign, &bob, InteractionKind::Reaction, Status::Published);
    like.body = None;
    like.reaction = Some(Reaction::Like);
    like.target_id = Some(creation.id);
    store.add_interaction(&like).await.expect("like");
    assert!(
        matches!(
            store.add_interaction(&like).await,
            Err(StoreError::Conflict(_))
        ),
        "one reaction of a kind per fan and target"
    );
    let mut campaign_like = like.clone();
    campaign_like.target_id = None;
    store
        .add_interaction(&campaign_like)
        .await
        .expect("the same reaction to the campaign itself");
    store
        .add_interaction(&interaction(
            campaign,
            &bob,
            InteractionKind::Comment,
            Status::Published,
        ))
        .await
        .expect("comment");

    let pending = store
        .list_interactions(
            campaign,
            InteractionKind::Creation,
            &[Status::Pending],
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("queue");
    assert_eq!(
        pending.iter().map(|i| i.id).collect::<Vec<_>>(),
        [creation.id]
    );
    let approved = store
        .moderate_interaction(campaign, creation.id, Status::Approved, Some("lovely"))
        .await
        .expect("moderate")
        .expect("found");
    assert_eq!(
        (approved.status, approved.reason.as_deref()),
        (Status::Approved, Some("lovely"))
    );
    assert!(approved.moderated_at.is_some());
    let other = campaign_id(&store, "other-talk").await;
    assert!(
        store
            .moderate_interaction(other, creation.id, Status::Rejected, None)
            .await
            .expect("moderate")
            .is_none(),
        "never through another campaign"
    );

    let mut activity = store.activity(campaign).await.expect("activity");
    activity.sort_by_key(|(fan, _)| *fan);
    assert_eq!(activity[0].0, ada.id);
    assert_eq!(activity[0].1.approved_creations, 1);
    assert_eq!((activity[1].1.reactions, activity[1].1.comments), (2, 1));
    assert_eq!(
        store.reactions_per_creation(campaign).await.expect("hot"),
        vec![(creation.id, 1)]
    );
    // Bob's like of the campaign itself; his like of the creation is not the campaign's.
    assert_eq!(
        store.campaign_reactions(campaign).await.expect("wall"),
        vec![(Reaction::Like, 1)]
    );
    assert!(
        store
            .campaign_reactions(other)
            .await
            .expect("wall")
            .is_empty()
    );

    assert!(
        store
            .remove_reaction(bob.id, Reaction::Like, Some(creation.id))
            .await
            .expect("remove")
    );
    assert!(
        !store
            .remove_reaction(bob.id, Reaction::Like, Some(creation.id))
            .await
            .expect("remove")
    );
    assert!(
        store
            .remove_reaction(bob.id, Reaction::Like, None)
            .await
            .expect("remove")
    );
    assert!(
        store
            .reactions_per_creation(campaign)
            .await
            .expect("hot")
            .is_empty()
    );

    // Erasing Ada erases what she wrote.
    store.erase_fan(ada.id).await.expect("erase");
    let after = store
        .get_interaction(campaign, creation.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!((after.body, after.status), (None, Status::Rejected));
    let graph = store.referral_graph(campaign).await.expect("graph");
    assert_eq!(graph.len(), 2);
    assert!(graph[0].erased && !graph[1].erased);
    assert_eq!(graph[1].referrer_id, Some(ada.id));
}

pub async fn milestones_are_awarded_once_per_threshold(harness: &impl Harness) {
    let store = harness.open().await;
    let campaign = campaign_id(&store, "rewards").await;
    let ada = join(&store, new_fan(campaign, "Ada", None, None)).await;
    for name in ["B", "C"] {
        join(&store, new_fan(campaign, name, None, Some(&ada))).await;
    }
    let mut flagged = new_fan(campaign, "Sock", None, Some(&ada));
    flagged.flags = vec![FraudFlag::SelfReferral];
    join(&store, flagged).await;
    assert_eq!(
        store.count_referred(ada.id).await.expect("count"),
        2,
        "flagged fans do not count"
    );
    let reached = [
        Milestone {
            threshold: 1,
            reward: "sticker".into(),
        },
        Milestone {
            threshold: 2,
            reward: "mug".into(),
        },
    ];
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (store, reached) = (Arc::clone(&store), reached.clone());
            let fan = ada.id;
            tokio::spawn(
                async move { store.award_milestones(campaign, fan, &reached, now()).await },
            )
        })
        .collect();
    let mut awarded = Vec::new();
    for task in tasks {
        awarded.extend(task.await.expect("task").expect("award"));
    }
    awarded.sort_unstable();
    assert_eq!(
        awarded,
        [1, 2],
        "each threshold recorded by exactly one call"
    );
    let listed = store.list_milestones(campaign).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0].fan_ref_code,
        ada.ref_code.as_ref().map(ToString::to_string)
    );
}

/// Every write that a report reads updates its hourly counter: joins (flagged, referred, with
/// a channel, device and referrer), first and later interactions, shares, clicks and visits.
pub async fn report_counters_follow_every_write(harness: &impl Harness) {
    use crate::model::{Counters, Dimension, hour_of};
    use chrono::{TimeZone, Utc};

    let store = harness.open().await;
    let campaign = campaign_id(&store, "reported").await;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 10, 15, 0).unwrap();
    let t1 = t0 + Duration::hours(2);
    let at = |fan: NewFan, when, channel: Option<Channel>, host: Option<&str>| NewFan {
        joined_at: when,
        channel,
        referrer_host: host.map(str::to_owned),
        device: Device::Mobile,
        ..fan
    };
    let ada = join(
        &store,
        at(
            new_fan(campaign, "Ada", None, None),
            t0,
            None,
            Some("news.example"),
        ),
    )
    .await;
    let bob = join(
        &store,
        at(
            new_fan(campaign, "Bob", None, Some(&ada)),
            t1,
            Some(Channel::X),
            None,
        ),
    )
    .await;
    join(
        &store,
        at(
            new_fan(campaign, "Cy", None, Some(&ada)),
            t1,
            Some(Channel::X),
            None,
        ),
    )
    .await;
    let mut flagged = at(new_fan(campaign, "Eve", None, Some(&bob)), t1, None, None);
    flagged.flags = vec![FraudFlag::SelfReferral];
    let eve = join(&store, flagged).await;

    // Ada interacts twice (one appropriator), creates once; Eve's interaction counts as an
    // interaction, not as an appropriator.
    for (fan, kind) in [
        (&ada, InteractionKind::Comment),
        (&ada, InteractionKind::Creation),
        (&eve, InteractionKind::Comment),
    ] {
        let mut new = interaction(campaign, fan, kind, Status::Published);
        new.created_at = t1;
        store.add_interaction(&new).await.expect("interaction");
    }
    let bob_link = store
        .find_link(bob.link_key.as_ref().expect("key"))
        .await
        .expect("find")
        .expect("found");
    store
        .record_share(bob_link.link_id, Channel::X, t1, "v1")
        .await
        .expect("share");
    store
        .record_share(bob_link.link_id, Channel::Facebook, t1, "v1")
        .await
        .expect("share");
    let mut clicks = vec![
        new_click(&bob_link, Channel::X, "v1", Agent::Human),
        new_click(&bob_link, Channel::X, "v2", Agent::Human),
        new_click(&bob_link, Channel::X, "bot", Agent::Bot),
    ];
    for click in &mut clicks {
        click.at = t1;
    }
    store.record_clicks(&clicks).await.expect("clicks");
    let day = t0.date_naive();
    for visitor in ["a", "b", "a"] {
        store
            .record_visitor_event(campaign, day, VisitorEvent::View, visitor)
            .await
            .expect("view");
    }

    let whole = hour_of(t0)..hour_of(t1) + 1;
    let mut total = Counters::default();
    let by_channel = store
        .counters_by_channel(campaign, whole.clone())
        .await
        .expect("by channel");
    for (_, counters) in &by_channel {
        total.add(counters);
    }
    assert_eq!(
        total,
        Counters {
            fans: 3,
            referred_fans: 2,
            flagged_fans: 1,
            appropriators: 1,
            creators: 1,
            sharers: 1,
            ambassadors: 1,
            clicks: 2,
            bot_clicks: 1,
            shares: 2,
            interactions: 3,
        }
    );
    let x = &by_channel
        .iter()
        .find(|(channel, _)| channel == "x")
        .expect("an x row")
        .1;
    // Bob and Cy came through X; Bob shared; the clicks and one share were on X.
    assert_eq!((x.fans, x.sharers, x.clicks, x.shares), (2, 1, 2, 1));

    let by_hour = store
        .counters_by_hour(campaign, whole.clone())
        .await
        .expect("by hour");
    assert_eq!(
        by_hour
            .iter()
            .map(|(hour, c)| (*hour, c.fans, c.ambassadors))
            .collect::<Vec<_>>(),
        // Ada's cohort (her hour) holds her ambassador status, reached two hours later.
        [(hour_of(t0), 1, 1), (hour_of(t1), 2, 0)]
    );
    // Only the later hour: Ada is outside the range.
    let later = store
        .counters_by_channel(campaign, hour_of(t1)..hour_of(t1) + 1)
        .await
        .expect("later");
    assert_eq!(later.iter().map(|(_, c)| c.fans).sum::<i64>(), 2);

    let devices = store
        .dimension_counts(campaign, Dimension::Device, whole.clone())
        .await
        .expect("devices");
    assert_eq!(
        devices
            .iter()
            .map(|d| (d.value.as_str(), d.clicks, d.fans))
            .collect::<Vec<_>>(),
        [("mobile", 2, 3)]
    );
    let referrers = store
        .dimension_counts(campaign, Dimension::Referrer, whole)
        .await
        .expect("referrers");
    assert_eq!(
        referrers
            .iter()
            .map(|d| (d.value.as_str(), d.clicks, d.fans))
            .collect::<Vec<_>>(),
        [("news.example", 2, 1)]
    );
    assert_eq!(
        store
            .visitors_by_day(campaign, VisitorEvent::View, day, day)
            .await
            .expect("visitors"),
        [(day, 2)]
    );

    let nodes = store.fan_nodes(campaign, 0).await.expect("nodes");
    assert_eq!(
        nodes
            .iter()
            .map(|n| (n.id, n.referrer_id, n.flagged, n.joined_at))
            .collect::<Vec<_>>(),
        [
            (ada.id, None, false, t0.timestamp()),
            (bob.id, Some(ada.id), false, t1.timestamp()),
            (bob.id + 1, Some(ada.id), false, t1.timestamp()),
            (eve.id, Some(bob.id), true, t1.timestamp()),
        ]
    );
    assert_eq!(
        store
            .fan_nodes(campaign, bob.id)
            .await
            .expect("nodes")
            .len(),
        2
    );
    let mut codes = store.ref_codes(&[ada.id, eve.id]).await.expect("codes");
    codes.sort();
    assert_eq!(
        codes,
        [
            (ada.id, ada.ref_code.as_ref().map(|c| c.to_string())),
            (eve.id, eve.ref_code.as_ref().map(|c| c.to_string())),
        ]
    );
}

/// The webhook outbox: an event is queued for the webhooks that receive it, a due delivery is
/// taken by one worker only, and its outcome settles it.
pub async fn webhook_deliveries_are_queued_leased_and_settled(harness: &impl Harness) {
    use crate::model::Attempt;

    let store = harness.open().await;
    let campaign = campaign_id(&store, "hooked").await;
    let other = campaign_id(&store, "elsewhere").await;
    let t0 = now();
    let all = store
        .create_webhook(
            campaign,
            "https://a.example/hook",
            "whsec_a",
            &["fan.joined".to_owned(), "milestone.reached".to_owned()],
            t0,
        )
        .await
        .expect("webhook");
    let milestones_only = store
        .create_webhook(
            campaign,
            "https://b.example/hook",
            "whsec_b",
            &["milestone.reached".to_owned()],
            t0,
        )
        .await
        .expect("webhook");
    store
        .create_webhook(
            other,
            "https://c.example/hook",
            "whsec_c",
            &["fan.joined".to_owned()],
            t0,
        )
        .await
        .expect("webhook");
    assert_eq!(all.events, ["fan.joined", "milestone.reached"]);
    assert_eq!(
        store.list_webhooks(campaign).await.expect("list"),
        [all.clone(), milestones_only.clone()]
    );

    assert_eq!(
        store
            .enqueue_webhook_event(campaign, "fan.joined", "{\"n\":1}", t0)
            .await
            .expect("enqueue"),
        1
    );
    assert_eq!(
        store
            .enqueue_webhook_event(campaign, "milestone.reached", "{\"n\":2}", t0)
            .await
            .expect("enqueue"),
        2
    );
    assert_eq!(
        store
            .enqueue_webhook_event(campaign, "creation.approved", "{}", t0)
            .await
            .expect("enqueue"),
        0
    );

    let lease = t0 + Duration::seconds(60);
    let taken = store
        .claim_webhook_deliveries(t0, lease, 10)
        .await
        .expect("claim");
    assert_eq!(taken.len(), 3);
    assert!(taken.iter().all(|d| d.attempts == 0));
    let first = taken
        .iter()
        .find(|d| d.webhook_id == all.id && d.event == "fan.joined")
        .expect("the join");
    assert_eq!(
        (first.url.as_str(), first.secret.as_str()),
        ("https://a.example/hook", "whsec_a")
    );
    assert_eq!(first.payload, "{\"n\":1}");
    // Leased: nobody else takes them before the lease ends.
    assert!(
        store
            .claim_webhook_deliveries(t0, lease, 10)
            .await
            .expect("claim")
            .is_empty()
    );

    // One fails and is due again later, one is delivered.
    let retry_at = t0 + Duration::seconds(5);
    store
        .record_webhook_attempt(
            first.id,
            &Attempt {
                status: Some(500),
                error: Some("the receiver answered 500".into()),
                delivered_at: None,
                next_attempt_at: Some(retry_at),
            },
        )
        .await
        .expect("attempt");
    let delivered = taken
        .iter()
        .find(|d| d.webhook_id == all.id && d.event == "milestone.reached")
        .expect("the milestone");
    store
        .record_webhook_attempt(
            delivered.id,
            &Attempt {
                status: Some(200),
                error: None,
                delivered_at: Some(t0),
                next_attempt_at: None,
            },
        )
        .await
        .expect("attempt");
    let again = store
        .claim_webhook_deliveries(retry_at, retry_at + Duration::seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(
        again.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(),
        [(first.id, 1)]
    );
    assert_eq!(
        again[0].payload, "{\"n\":1}",
        "a delivery still due keeps its payload"
    );

    let history = store
        .list_webhook_deliveries(all.id, 10)
        .await
        .expect("deliveries");
    assert_eq!(history.len(), 2);
    let settled = history
        .iter()
        .find(|d| d.id == delivered.id)
        .expect("delivered");
    assert_eq!(
        (
            settled.last_status,
            settled.next_attempt_at,
            settled.delivered_at
        ),
        (Some(200), None, Some(t0))
    );
    let failed = history.iter().find(|d| d.id == first.id).expect("the join");
    assert_eq!(failed.last_status, Some(500));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("the receiver answered 500")
    );

    // An erased fan's pending events are not sent: their payloads hold the fan's data.
    let ada = join(
        &store,
        new_fan(campaign, "Ada", Some("ada@example.com"), None),
    )
    .await;
    let code = ada.ref_code.as_ref().expect("code").to_string();
    let payload = format!("{{\"data\":{{\"ref_code\":\"{code}\",\"email\":\"ada@example.com\"}}}}");
    store
        .enqueue_webhook_event(campaign, "fan.joined", &payload, retry_at)
        .await
        .expect("enqueue");
    assert!(store.erase_fan(ada.id).await.expect("erase"));
    let after_erasure = store
        .claim_webhook_deliveries(retry_at, retry_at + Duration::seconds(60), 10)
        .await
        .expect("claim");
    assert!(
        after_erasure.iter().all(|d| !d.payload.contains(&code)),
        "{after_erasure:?}"
    );
    assert!(
        store
            .list_webhook_deliveries(all.id, 10)
            .await
            .expect("deliveries")
            .iter()
            .any(|d| d.last_error.as_deref() == Some("not sent: the fan was erased"))
    );

    // Deleting a webhook takes its deliveries along; another campaign's id does not delete it.
    assert!(!store.delete_webhook(other, all.id).await.expect("delete"));
    assert!(
        store
            .delete_webhook(campaign, all.id)
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_webhook(campaign, all.id)
            .await
            .expect("delete")
    );
    assert!(
        store
            .list_webhook_deliveries(all.id, 10)
            .await
            .expect("deliveries")
            .is_empty()
    );
}
