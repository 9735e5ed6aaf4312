//! Transmission through HTTP: the whole loop, redirects that cannot be steered, bots, unique
//! clicks, QR codes, shares, admin links.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, no_redirects};

crate::on_both_backends!(
    the_whole_loop_credits_the_ambassador_and_the_channel,
    a_join_without_a_channel_is_credited_to_the_channel_its_ff_ref_carries,
    redirects_cannot_be_steered_by_the_request,
    bots_and_previews_are_answered_but_not_counted,
    unique_clicks_count_each_visitor_once_a_day,
    every_acknowledged_click_is_stored,
    qr_codes_encode_the_qr_link_and_scans_count_as_qr,
    shares_are_recorded_and_open_the_network_dialog,
    admins_create_and_disable_links,
    campaign_channels_shape_the_links_and_landing_changes_reach_redirects,
    a_lost_database_refuses_clicks_instead_of_losing_them,
);

const HUMAN: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async fn campaign(app: &TestApp, slug: &str, extra: Value) {
    let mut body = json!({"slug": slug, "kind": "product", "title": "Spring & co",
        "description": "New colours, new cuts", "hashtags": ["Spring"],
        "landing_url": "https://www.example.com/spring?lang=en&utm_source=newsletter"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let response = app.create_campaign(&body).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
}

async fn join(app: &TestApp, slug: &str, body: Value, agent: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/public/campaigns/{slug}/fans")))
        .header("user-agent", agent)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.json().await.unwrap()
}

async fn click(url: &str, agent: Option<&str>) -> reqwest::Response {
    let mut request = no_redirects().get(url);
    if let Some(agent) = agent {
        request = request.header("user-agent", agent);
    }
    request.send().await.unwrap()
}

fn location(response: &reqwest::Response) -> url::Url {
    url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn query(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn stats(app: &TestApp, slug: &str, key: &str) -> Vec<Value> {
    let page = app
        .get_json(
            app.admin(
                Method::GET,
                &format!("/api/v1/campaigns/{slug}/links?limit=500"),
            ),
            StatusCode::OK,
        )
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key)
        .map(|l| l["stats"].as_array().unwrap().clone())
        .unwrap_or_default()
}

fn channel_stats<'a>(stats: &'a [Value], channel: &str) -> &'a Value {
    stats.iter().find(|s| s["channel"] == channel).unwrap()
}

fn key_of(link: &str) -> String {
    let code = link.rsplit('/').next().unwrap();
    code[..8].to_owned()
}

async fn the_whole_loop_credits_the_ambassador_and_the_channel(app: &mut TestApp) {
    campaign(app, "loop", json!({})).await;
    let ada = join(app, "loop", json!({"name": "Ada"}), "ua-ada").await;
    let ada_code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    let whatsapp_link = ada["links"]["whatsapp"].as_str().unwrap().to_owned();
    assert!(whatsapp_link.starts_with(&format!("{}/s/", app.base)));
    assert_eq!(
        ada["links"].as_object().unwrap().len(),
        18,
        "every channel by default"
    );

    // A friend taps the link Ada sent on WhatsApp.
    let response = click(&whatsapp_link, Some(HUMAN)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-robots-tag"], "noindex");
    let landing = location(&response);
    assert_eq!(landing.host_str(), Some("www.example.com"));
    assert_eq!(landing.path(), "/spring");
    assert_eq!(
        query(&landing, "lang").as_deref(),
        Some("en"),
        "the page's own parameters stay"
    );
    assert_eq!(
        query(&landing, "utm_source").as_deref(),
        Some("whatsapp"),
        "ours win"
    );
    assert_eq!(query(&landing, "utm_medium").as_deref(), Some("social"));
    assert_eq!(query(&landing, "utm_campaign").as_deref(), Some("loop"));
    assert_eq!(
        query(&landing, "utm_content").as_deref(),
        Some(ada_code.as_str())
    );
    assert_eq!(
        query(&landing, "ff_ref"),
        Some(format!("{ada_code}-w")),
        "the ref code and the link's channel"
    );
    assert_eq!(
        landing
            .query_pairs()
            .filter(|(k, _)| k == "utm_source")
            .count(),
        1
    );

    // The landing page's widget passes ff_ref and utm_source on when the friend joins.
    let friend = join(
        app,
        "loop",
        json!({"name": "Friend", "ref": query(&landing, "ff_ref"), "channel": query(&landing, "utm_source")}),
        HUMAN,
    )
    .await;
    assert!(friend["member"]["token"].is_string());

    let fans = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/loop/fans"),
            StatusCode::OK,
        )
        .await;
    let friend_row = fans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Friend")
        .unwrap();
    assert_eq!(friend_row["referrer"], ada_code.as_str());
    assert_eq!(friend_row["channel"], "whatsapp");
    assert_eq!(friend_row["depth"], 1);

    let ada_stats = stats(app, "loop", &key_of(&whatsapp_link)).await;
    let whatsapp = channel_stats(&ada_stats, "whatsapp");
    assert_eq!(
        (
            whatsapp["clicks"].as_u64(),
            whatsapp["unique_clicks"].as_u64(),
            whatsapp["fans"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
}

async fn a_join_without_a_channel_is_credited_to_the_channel_its_ff_ref_carries(app: &mut TestApp) {
    campaign(app, "carry", json!({})).await;
    let ada = join(app, "carry", json!({"name": "Ada"}), "ua-ada").await;
    let ada_code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    let linkedin = ada["links"]["linkedin"].as_str().unwrap().to_owned();
    let landing = location(&click(&linkedin, Some(HUMAN)).await);
    let carried = query(&landing, "ff_ref").unwrap();

    // The site dropped utm_source: the join brings `ref` alone.
    join(
        app,
        "carry",
        json!({"name": "Lost tags", "ref": carried}),
        "ua-1",
    )
    .await;
    // An explicit channel wins over the carried one.
    join(
        app,
        "carry",
        json!({"name": "Explicit", "ref": carried, "channel": "x"}),
        "ua-2",
    )
    .await;
    // A bare ref code (a link from before channels were carried) credits no channel.
    join(
        app,
        "carry",
        json!({"name": "Bare", "ref": ada_code}),
        "ua-3",
    )
    .await;
    // A channel letter after a code that is not one of ours credits nobody and no channel.
    join(
        app,
        "carry",
        json!({"name": "Forged", "ref": "nobody-l"}),
        "ua-4",
    )
    .await;

    let fans = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/carry/fans"),
            StatusCode::OK,
        )
        .await;
    let row = |name: &str| {
        fans["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("Lost tags")["referrer"], ada_code.as_str());
    assert_eq!(row("Lost tags")["channel"], "linkedin");
    assert_eq!(row("Explicit")["channel"], "x");
    assert_eq!(row("Bare")["referrer"], ada_code.as_str());
    assert_eq!(row("Bare")["channel"], Value::Null);
    assert_eq!(row("Forged")["referrer"], Value::Null);
    assert_eq!(row("Forged")["channel"], Value::Null);
}

async fn redirects_cannot_be_steered_by_the_request(app: &mut TestApp) {
    campaign(app, "steer", json!({})).await;
    let ada = join(app, "steer", json!({"name": "Ada"}), "ua-ada").await;
    let link = ada["links"]["x"].as_str().unwrap().to_owned();
    let huge = "a".repeat(8000);
    let attempts = [
        format!("{link}?url=https://evil.example/"),
        format!(
            "{link}?to=https%3A%2F%2Fevil.example&redirect=//evil.example&next=https://evil.example"
        ),
        format!("{link}?utm_source=facebook&ff_ref=SOMEONEELS"),
        format!("{link}#https://evil.example"),
        format!("{link}?{huge}"),
    ];
    for attempt in &attempts {
        let response = click(attempt, Some(HUMAN)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{attempt:.80}");
        let landing = location(&response);
        assert_eq!(landing.host_str(), Some("www.example.com"), "{attempt:.80}");
        assert_eq!(query(&landing, "utm_source").as_deref(), Some("x"));
        assert_eq!(
            query(&landing, "ff_ref"),
            Some(format!("{}-x", ada["member"]["ref_code"].as_str().unwrap()))
        );
        assert!(!landing.as_str().contains("evil"));
    }
    // The same code with a letter percent-encoded is read by the router rather than ahead of
    // it: the same redirect, the same tags.
    let code = link.rsplit('/').next().unwrap();
    let encoded = app.url(&format!("/s/%{:02X}{}", code.as_bytes()[0], &code[1..]));
    let response = click(&encoded, Some(HUMAN)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        location(&click(&link, Some(HUMAN)).await)
    );
    // Another path shape is not a short link at all.
    let other = click(&format!("{link}/?target=https://evil.example"), Some(HUMAN)).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert!(other.headers().get("location").is_none());
    // Hostile headers are stored as a host name at most, and never break the redirect.
    let response = no_redirects()
        .get(&link)
        .header(
            "user-agent",
            // Bytes that are not UTF-8 (obs-text): legal in a header, hostile to naive parsing.
            reqwest::header::HeaderValue::from_bytes(
                &[b"Mozilla/5.0 ".as_slice(), &[0xff, 0xfe, b'x'].repeat(2000)].concat(),
            )
            .unwrap(),
        )
        .header(
            "referer",
            format!("https://ref.example/{}", "%00".repeat(1000)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    // Codes of the wrong shape never reach the database and all get the same 404 page.
    for code in [
        "short",
        "waytoolongcode",
        "abcdefgh!",
        "abcdefghz",
        "%2F%2Fevil.example",
        "..%2F..%2Fetc",
        "abcdefgh%00",
    ] {
        let response = click(&app.url(&format!("/s/{code}")), Some(HUMAN)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{code}");
        assert!(response.headers().get("location").is_none());
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{code}"
        );
    }
    let unknown = click(&app.url("/s/ZZZZZZZZx"), Some(HUMAN)).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

async fn bots_and_previews_are_answered_but_not_counted(app: &mut TestApp) {
    campaign(app, "bots", json!({})).await;
    let ada = join(app, "bots", json!({"name": "Ada"}), "ua-ada").await;
    let link = ada["links"]["facebook"].as_str().unwrap().to_owned();
    // Preview fetchers get the card's page, other bots the redirect.
    for (agent, status) in [
        (
            Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
            StatusCode::OK,
        ),
        (Some("Twitterbot/1.0"), StatusCode::OK),
        (
            Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
            StatusCode::OK,
        ),
        (Some("WhatsApp/2.23.20.0"), StatusCode::OK),
        (
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            StatusCode::FOUND,
        ),
        (Some("curl/8.5.0"), StatusCode::FOUND),
        // Twice: the second answer comes from the classifier's memory of user agents.
        (Some("curl/8.5.0"), StatusCode::FOUND),
        (None, StatusCode::FOUND),
    ] {
        let response = click(&link, agent).await;
        assert_eq!(response.status(), status, "{agent:?}: previews must work");
    }
    // A person's user agent, remembered as a person's, still makes a `HEAD` a bot's.
    click(&link, Some(HUMAN)).await;
    let head = no_redirects()
        .head(&link)
        .header("user-agent", HUMAN)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::FOUND);
    let s = stats(app, "bots", &key_of(&link)).await;
    let facebook = channel_stats(&s, "facebook");
    assert_eq!(facebook["clicks"], 1, "only the person counts");
    assert_eq!(facebook["bot_clicks"], 9);
    assert_eq!(facebook["unique_clicks"], 1);
}

async fn unique_clicks_count_each_visitor_once_a_day(app: &mut TestApp) {
    campaign(app, "uniq", json!({})).await;
    let ada = join(app, "uniq", json!({"name": "Ada"}), "ua-ada").await;
    let link = ada["links"]["linkedin"].as_str().unwrap().to_owned();
    for agent in [
        HUMAN,
        HUMAN,
        HUMAN,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148",
    ] {
        assert_eq!(click(&link, Some(agent)).await.status(), StatusCode::FOUND);
    }
    let s = stats(app, "uniq", &key_of(&link)).await;
    let linkedin = channel_stats(&s, "linkedin");
    assert_eq!(
        (
            linkedin["clicks"].as_u64(),
            linkedin["unique_clicks"].as_u64()
        ),
        (Some(4), Some(2))
    );
}

async fn every_acknowledged_click_is_stored(app: &mut TestApp) {
    campaign(app, "burst", json!({})).await;
    let ada = join(app, "burst", json!({"name": "Ada"}), "ua-ada").await;
    let link = ada["links"]["telegram"].as_str().unwrap().to_owned();
    let clicks: Vec<_> = (0..60)
        .map(|i| {
            let link = link.clone();
            tokio::spawn(async move {
                click(&link, Some(&format!("{HUMAN} visitor/{i}")))
                    .await
                    .status()
            })
        })
        .collect();
    let mut found = 0;
    for c in clicks {
        if c.await.unwrap() == StatusCode::FOUND {
            found += 1;
        }
    }
    assert_eq!(found, 60);
    // No waiting: a 302 is only sent once its click is committed.
    let s = stats(app, "burst", &key_of(&link)).await;
    assert_eq!(channel_stats(&s, "telegram")["clicks"], 60);
    assert_eq!(channel_stats(&s, "telegram")["unique_clicks"], 60);
}

async fn qr_codes_encode_the_qr_link_and_scans_count_as_qr(app: &mut TestApp) {
    campaign(app, "qr", json!({})).await;
    let ada = join(app, "qr", json!({"name": "Ada"}), "ua-ada").await;
    let link = ada["links"]["x"].as_str().unwrap().to_owned();
    let svg = app
        .client
        .get(format!("{link}/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));
    let png = app
        .client
        .get(format!("{link}/qr.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let missing = app
        .client
        .get(app.url("/s/ZZZZZZZZx/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // What the code holds is the link's QR channel: a scan is a QR click.
    let qr_link = ada["links"]["qr"].as_str().unwrap();
    assert!(qr_link.ends_with('q'));
    let scan = click(
        qr_link,
        Some("Mozilla/5.0 (Linux; Android 15) Mobile Safari/537.36"),
    )
    .await;
    assert_eq!(query(&location(&scan), "utm_source").as_deref(), Some("qr"));
    let s = stats(app, "qr", &key_of(&link)).await;
    assert_eq!(channel_stats(&s, "qr")["qr_clicks"], 1);
}

async fn shares_are_recorded_and_open_the_network_dialog(app: &mut TestApp) {
    campaign(app, "share", json!({})).await;
    let ada = join(app, "share", json!({"name": "Ada"}), "ua-ada").await;
    let share_x = ada["share_urls"]["x"].as_str().unwrap().to_owned();
    let response = click(&share_x, Some(HUMAN)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let intent = location(&response);
    assert_eq!(intent.host_str(), Some("x.com"));
    assert_eq!(
        query(&intent, "url").as_deref(),
        ada["links"]["x"].as_str(),
        "the short link, not the landing URL"
    );
    assert_eq!(
        query(&intent, "text").as_deref(),
        Some("New colours, new cuts")
    );
    assert_eq!(query(&intent, "hashtags").as_deref(), Some("Spring"));
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("text=New%20colours%2C%20new%20cuts")
    );

    let mail = click(ada["share_urls"]["email"].as_str().unwrap(), Some(HUMAN)).await;
    assert!(
        mail.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("mailto:?subject=Spring%20%26%20co&body=")
    );

    // Mastodon: a page that asks for the instance; never a redirect to a host the request names.
    let mastodon = click(
        &format!(
            "{}?instance=evil.example",
            ada["share_urls"]["mastodon"].as_str().unwrap()
        ),
        Some(HUMAN),
    )
    .await;
    assert_eq!(mastodon.status(), StatusCode::OK);
    assert!(mastodon.headers().get("location").is_none());
    let page = mastodon.text().await.unwrap();
    assert!(page.contains("<form") && page.contains("localStorage"));
    let hostile = click(
        &format!(
            "{}?instance=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
            ada["share_urls"]["mastodon"].as_str().unwrap()
        ),
        Some(HUMAN),
    )
    .await;
    assert!(!hostile.text().await.unwrap().contains("<script>alert(1)"));

    // One visitor sharing again and again shares once an hour; each call still answers.
    for _ in 0..20 {
        let copy = click(ada["share_urls"]["copy"].as_str().unwrap(), Some(HUMAN)).await;
        assert_eq!(copy.status(), StatusCode::NO_CONTENT);
    }
    let other = click(
        ada["share_urls"]["copy"].as_str().unwrap(),
        Some("Mozilla/5.0 (another visitor)"),
    )
    .await;
    assert_eq!(other.status(), StatusCode::NO_CONTENT);
    let s = stats(app, "share", &key_of(&share_x)).await;
    for (channel, shares) in [("x", 1), ("email", 1), ("mastodon", 1), ("copy", 2)] {
        assert_eq!(channel_stats(&s, channel)["shares"], shares, "{channel}");
    }
    let unknown = click(&app.url("/share/ZZZZZZZZx"), Some(HUMAN)).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

async fn admins_create_and_disable_links(app: &mut TestApp) {
    campaign(
        app,
        "admin-links",
        json!({"allowed_domains": ["example.com"]}),
    )
    .await;
    let path = "/api/v1/campaigns/admin-links/links";
    let created = app
        .get_json(
            app.admin(Method::POST, path)
                .json(&json!({"target_url": "https://shop.example.com/dresses?size=m"})),
            StatusCode::CREATED,
        )
        .await;
    let link = created["links"]["pinterest"].as_str().unwrap().to_owned();
    let response = click(&link, Some(HUMAN)).await;
    let landing = location(&response);
    assert_eq!(landing.host_str(), Some("shop.example.com"));
    assert_eq!(query(&landing, "size").as_deref(), Some("m"));
    assert_eq!(
        query(&landing, "ff_ref"),
        None,
        "an admin link has no ambassador"
    );

    for (target, code) in [
        ("https://evil.example/", "target_not_allowed"),
        ("https://example.com.evil.example/", "target_not_allowed"),
        ("javascript:alert(1)", "invalid_url"),
        ("//example.com/", "invalid_url"),
    ] {
        let response = app
            .admin(Method::POST, path)
            .json(&json!({"target_url": target}))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }

    let key = created["key"].as_str().unwrap();
    let disabled = app
        .admin(Method::DELETE, &format!("{path}/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        click(&link, Some(HUMAN)).await.status(),
        StatusCode::NOT_FOUND
    );
    for bad in ["ZZZZZZZZ", "nope"] {
        let response = app
            .admin(Method::DELETE, &format!("{path}/{bad}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "link_not_found").await;
    }
    let unauthorized = app
        .client
        .post(app.url(path))
        .json(&json!({"target_url": "https://example.com/"}))
        .send()
        .await
        .unwrap();
    expect_error(unauthorized, StatusCode::UNAUTHORIZED, "missing_api_key").await;
}

async fn campaign_channels_shape_the_links_and_landing_changes_reach_redirects(app: &mut TestApp) {
    campaign(
        app,
        "chosen",
        json!({"channels": ["x", "email", "qr"], "allowed_domains": ["example.com"]}),
    )
    .await;
    let public = app
        .get_json(
            app.client.get(app.url("/api/public/campaigns/chosen")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(public["channels"], json!(["x", "email", "qr"]));
    assert_eq!(public["links"].as_object().unwrap().len(), 3);
    let anonymous = public["links"]["x"].as_str().unwrap().to_owned();
    let response = click(&anonymous, Some(HUMAN)).await;
    assert_eq!(
        query(&location(&response), "utm_source").as_deref(),
        Some("x")
    );
    assert_eq!(
        query(&location(&response), "ff_ref"),
        None,
        "anonymous sharing credits nobody"
    );

    let ada = join(app, "chosen", json!({"name": "Ada"}), "ua-ada").await;
    let mut channels: Vec<&String> = ada["links"].as_object().unwrap().keys().collect();
    channels.sort();
    assert_eq!(channels, ["email", "qr", "x"]);

    let bad = app
        .admin(Method::PATCH, "/api/v1/campaigns/chosen")
        .json(&json!({"channels": ["x", "myspace"]}))
        .send()
        .await
        .unwrap();
    let error = expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel").await;
    assert_eq!(error["field"], "channels[1]");

    // A new landing page reaches the next click at once on this node.
    app.get_json(
        app.admin(Method::PATCH, "/api/v1/campaigns/chosen")
            .json(&json!({"landing_url": "https://www.example.com/summer", "channels": null})),
        StatusCode::OK,
    )
    .await;
    let response = click(ada["links"]["x"].as_str().unwrap(), Some(HUMAN)).await;
    assert_eq!(location(&response).path(), "/summer");
    let public = app
        .get_json(
            app.client.get(app.url("/api/public/campaigns/chosen")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(public["channels"].as_array().unwrap().len(), 18);
}

async fn a_lost_database_refuses_clicks_instead_of_losing_them(app: &mut TestApp) {
    campaign(app, "lost", json!({})).await;
    let ada = join(app, "lost", json!({"name": "Ada"}), "ua-ada").await;
    let link = ada["links"]["reddit"].as_str().unwrap().to_owned();
    assert_eq!(click(&link, Some(HUMAN)).await.status(), StatusCode::FOUND);
    app.store.close().await;
    let refused = click(&link, Some(HUMAN)).await;
    assert!(refused.headers().contains_key("retry-after"));
    let status = refused.status();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "overloaded");
}

mod configured {
    use super::*;
    use crate::helpers::Backend;
    use fanfare_core::link::Channel;
    use fanfare_server::ServerConfig;

    async fn share_templates_from_the_config_replace_the_built_in_ones(backend: Backend) {
        let mut config = ServerConfig::default();
        config.share_templates.insert(
            Channel::X,
            "https://twitter.com/intent/tweet?u={url}&t={title}".into(),
        );
        let Some(app) = TestApp::spawn_with(backend, config).await else {
            return;
        };
        campaign(&app, "templated", json!({})).await;
        let ada = join(&app, "templated", json!({"name": "Ada"}), "ua-ada").await;
        let response = click(ada["share_urls"]["x"].as_str().unwrap(), Some(HUMAN)).await;
        let intent = location(&response);
        assert_eq!(intent.host_str(), Some("twitter.com"));
        assert_eq!(query(&intent, "t").as_deref(), Some("Spring & co"));
        assert_eq!(query(&intent, "u").as_deref(), ada["links"]["x"].as_str());
        // Channels without an override keep the built-in template.
        let response = click(ada["share_urls"]["linkedin"].as_str().unwrap(), Some(HUMAN)).await;
        assert_eq!(location(&response).host_str(), Some("www.linkedin.com"));
        app.cleanup().await;
    }

    /// A full queue is refused with 503 after a short wait, counted, and nothing answered 302 is
    /// lost. The writer is held up by another connection's write lock on the SQLite file.
    #[tokio::test]
    async fn a_full_click_queue_answers_503_and_counts_it() {
        use sqlx::Connection;
        let config = ServerConfig {
            click_queue: 1,
            ..ServerConfig::default()
        };
        let app = TestApp::spawn_with(Backend::Sqlite, config).await.unwrap();
        campaign(&app, "full", json!({})).await;
        let ada = join(&app, "full", json!({"name": "Ada"}), "ua-ada").await;
        let link = ada["links"]["x"].as_str().unwrap().to_owned();
        let mut blocker = sqlx::SqliteConnection::connect(&app.sqlite_url().unwrap())
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut blocker)
            .await
            .unwrap();
        let clicks: Vec<_> = (0..6)
            .map(|i| {
                let link = link.clone();
                tokio::spawn(async move {
                    let response = click(&link, Some(&format!("{HUMAN} v{i}"))).await;
                    (
                        response.status(),
                        response.headers().get("retry-after").cloned(),
                    )
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
        let (mut found, mut refused) = (0, 0);
        for c in clicks {
            match c.await.unwrap() {
                (StatusCode::FOUND, _) => found += 1,
                (StatusCode::SERVICE_UNAVAILABLE, Some(retry)) => {
                    assert_eq!(retry, "1");
                    refused += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(
            found >= 1 && refused >= 1,
            "found {found}, refused {refused}"
        );
        let metrics = app.metrics().await;
        assert!(
            metrics.contains(&format!("fanfare_clicks_refused_overload_total {refused}")),
            "{metrics}"
        );
        let s = stats(&app, "full", &key_of(&link)).await;
        assert_eq!(
            channel_stats(&s, "x")["clicks"],
            found,
            "every 302 is stored, no refused click is"
        );
        app.cleanup().await;
    }

    /// On a multi-thread runtime, as `fanfare serve` runs, the SQLite writer commits on the
    /// workers themselves, once a worker has run out of other ready work: a burst of clicks is
    /// stored, each before its `302`, counted once, and gathered into fewer batches than
    /// clicks. How much it gathers under load is `bench/redirect`'s to show (clicks per batch):
    /// here the clients' own connection set-up spaces the clicks out.
    #[test]
    fn a_burst_of_clicks_on_a_multi_thread_runtime_is_stored_in_batches() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
            campaign(&app, "gathered", json!({})).await;
            let ada = join(&app, "gathered", json!({"name": "Ada"}), "ua-ada").await;
            let link = ada["links"]["x"].as_str().unwrap().to_owned();
            let client = no_redirects();
            let clicks: Vec<_> = (0..200)
                .map(|i| {
                    let request = client
                        .get(&link)
                        .header("user-agent", format!("{HUMAN} v{i}"));
                    tokio::spawn(async move { request.send().await.unwrap().status() })
                })
                .collect();
            for c in clicks {
                assert_eq!(c.await.unwrap(), StatusCode::FOUND);
            }
            let s = stats(&app, "gathered", &key_of(&link)).await;
            assert_eq!(channel_stats(&s, "x")["clicks"], 200);
            let metrics = app.metrics().await;
            let value = |name: &str| -> f64 {
                metrics
                    .lines()
                    .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
                    .unwrap_or_else(|| panic!("no {name} in {metrics}"))
            };
            assert_eq!(value("fanfare_click_batch_size_sum"), 200.0);
            let batches = value("fanfare_click_batch_size_count");
            assert!(batches < 200.0, "200 clicks in {batches} batches");
            app.cleanup().await;
        });
    }

    mod share_templates {
        #[tokio::test]
        async fn sqlite() {
            super::share_templates_from_the_config_replace_the_built_in_ones(super::Backend::Sqlite)
                .await
        }
        #[tokio::test]
        async fn postgres() {
            super::share_templates_from_the_config_replace_the_built_in_ones(
                super::Backend::Postgres,
            )
            .await
        }
    }
}
