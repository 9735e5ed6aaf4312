//! Scenarios every backend must pass, written once against `dyn Store`. A backend's test file
//! calls [`conformance_tests!`](crate::conformance_tests) with a function that prepares a fresh,
//! empty database (or returns `None` when that backend is not available on this machine).

use std::sync::Arc;

use async_trait::async_trait;
use fanfare_core::api_key::{NewApiKey, hash_api_key};
use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings, Slug};

use crate::{Page, Store, StoreError};

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
            ping_answers,
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
    CampaignSettings::parse(RawCampaignSettings {
        kind: "message",
        title: Some("Ünïcödé <b>title</b> & \"quotes\" 'n' emoji 🎉"),
        description: Some("Two lines,\nwith a tab\there."),
        landing_url: "https://www.example.com/launch?x=1&y=%20#top",
        allowed_domains: Some(&domains),
        image_url: Some("https://cdn.elsewhere.example/og.png"),
        hashtags: &tags,
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

pub async fn ping_answers(harness: &impl Harness) {
    let store = harness.open().await;
    store.ping().await.expect("ping");
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
}
