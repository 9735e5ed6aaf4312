//! What a shared link looks like: the preview page a network's fetcher gets from `/s/{code}`,
//! the generated share card, and the inviter's name a visitor sees before joining.

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use crate::helpers::{TestApp, no_redirects};

crate::on_both_backends!(
    a_preview_fetcher_gets_an_invitation_in_the_fans_name_and_a_person_the_redirect,
    the_generated_card_is_a_1200_by_630_png_and_the_pages_image,
    a_visitor_who_came_by_a_fans_link_is_told_who_invited_them,
);

const FACEBOOK: &str = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)";
const HUMAN: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async fn campaign(app: &TestApp, slug: &str, extra: Value) {
    let mut body = json!({"slug": slug, "kind": "brand", "title": "Spring <sale> & co",
        "description": "New colours", "landing_url": "https://www.example.com/spring"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    assert_eq!(
        app.create_campaign(&body).await.status(),
        StatusCode::CREATED
    );
}

async fn join(app: &TestApp, slug: &str, name: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/public/campaigns/{slug}/fans")))
        .header("user-agent", format!("{HUMAN} {name}"))
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn get(url: &str, agent: &str) -> reqwest::Response {
    no_redirects()
        .get(url)
        .header("user-agent", agent)
        .send()
        .await
        .unwrap()
}

/// The `content` of the first `<meta>` whose `property` or `name` is `key`, unescaped.
fn meta(page: &str, key: &str) -> Option<String> {
    let attribute = format!("=\"{key}\" content=\"");
    let start = page.find(&attribute)? + attribute.len();
    let end = start + page[start..].find('"')?;
    Some(
        page[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

async fn clicks_by_class(app: &TestApp, slug: &str) -> (u64, u64) {
    let stats = app
        .get_json(
            app.admin(
                reqwest::Method::GET,
                &format!("/api/v1/campaigns/{slug}/stats"),
            ),
            StatusCode::OK,
        )
        .await;
    (
        stats["clicks"].as_u64().unwrap(),
        stats["bot_clicks"].as_u64().unwrap(),
    )
}

async fn a_preview_fetcher_gets_an_invitation_in_the_fans_name_and_a_person_the_redirect(
    app: &mut TestApp,
) {
    campaign(app, "spring", json!({})).await;
    let ada = join(app, "spring", "Ada <b>").await;
    let link = ada["links"]["whatsapp"].as_str().unwrap().to_owned();

    let preview = get(&link, FACEBOOK).await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert!(
        preview.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(preview.headers()["cache-control"], "no-store");
    let page = preview.text().await.unwrap();
    assert_eq!(
        meta(&page, "og:title").as_deref(),
        Some("Ada <b> invites you to Spring <sale> & co"),
        "{page}"
    );
    // The fan's name is text, never markup.
    assert!(!page.contains("<b>"), "{page}");
    assert_eq!(meta(&page, "og:url").as_deref(), Some(link.as_str()));
    assert_eq!(
        meta(&page, "og:image"),
        Some(app.url("/c/spring/card.png")),
        "no image of its own: the generated card"
    );
    assert_eq!(
        meta(&page, "og:description").as_deref(),
        Some("New colours")
    );
    assert_eq!(
        meta(&page, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    // A person who gets the page anyway goes on to the landing page, with the tracking tags.
    let refresh = meta(&page, "refresh").unwrap();
    assert!(
        refresh.starts_with("0; url=https://www.example.com/spring?"),
        "{refresh}"
    );
    assert!(refresh.contains("ff_ref="), "{refresh}");

    // In French when the fetcher asks for it.
    let french = no_redirects()
        .get(&link)
        .header("user-agent", FACEBOOK)
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        meta(&french, "og:title").as_deref(),
        Some("Ada <b> vous invite : Spring <sale> & co")
    );

    // A person gets the durable redirect, counted; the fetches are stored as previews, not clicks.
    let person = get(&link, HUMAN).await;
    assert_eq!(person.status(), StatusCode::FOUND);
    assert_eq!(clicks_by_class(app, "spring").await, (1, 2));

    // The campaign's anonymous link previews as the campaign itself, with the campaign's image.
    let response = app
        .admin(reqwest::Method::PATCH, "/api/v1/campaigns/spring")
        .json(&json!({"image_url": "https://cdn.example.com/spring.jpg"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let public = app
        .get_json(
            app.client.get(app.url("/api/public/campaigns/spring")),
            StatusCode::OK,
        )
        .await;
    let anonymous = public["links"]["x"].as_str().unwrap();
    let page = get(anonymous, "Twitterbot/1.0").await.text().await.unwrap();
    assert_eq!(
        meta(&page, "og:title").as_deref(),
        Some("Spring <sale> & co")
    );
    assert_eq!(
        meta(&page, "og:image").as_deref(),
        Some("https://cdn.example.com/spring.jpg")
    );

    // An erased fan is named nowhere: their link now previews as the campaign.
    let code = ada["member"]["ref_code"].as_str().unwrap();
    let erased = app
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/v1/campaigns/spring/fans/{code}"),
        )
        .send()
        .await
        .unwrap();
    assert!(erased.status().is_success());
    let page = get(&link, FACEBOOK).await.text().await.unwrap();
    assert!(!page.contains("Ada"), "{page}");

    // A code that does not exist is the same 404 page for fetchers as for people.
    assert_eq!(
        get(&app.url("/s/ZZZZZZZZx"), FACEBOOK).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_generated_card_is_a_1200_by_630_png_and_the_pages_image(app: &mut TestApp) {
    campaign(app, "card", json!({})).await;
    join(app, "card", "Ada").await;
    let response = get(&app.url("/c/card/card.png"), HUMAN).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = response.headers()["etag"].clone();
    let bytes = response.bytes().await.unwrap();
    let decoder = png::Decoder::new(&bytes[..]);
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1200, 630));

    // Revalidation costs a 304.
    let again = no_redirects()
        .get(app.url("/c/card/card.png"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let other = no_redirects()
        .get(app.url("/c/card/card.png"))
        .header("if-none-match", HeaderValue::from_static("\"stale\""))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);

    // The campaign's brand colour is the card's background, redrawn at once when it changes.
    let corner = |png: &[u8]| {
        let mut reader = png::Decoder::new(png).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut pixels).unwrap();
        [pixels[0], pixels[1], pixels[2]]
    };
    assert_eq!(
        corner(&bytes),
        [0xb0, 0x12, 0x4f],
        "Fanfare's colour by default"
    );
    let patched = app
        .admin(reqwest::Method::PATCH, "/api/v1/campaigns/card")
        .json(&json!({"brand_color": "#0A66C2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        patched.json::<Value>().await.unwrap()["brand_color"],
        "#0a66c2"
    );
    let blue = get(&app.url("/c/card/card.png"), HUMAN).await;
    assert_ne!(blue.headers()["etag"], "");
    assert_eq!(corner(&blue.bytes().await.unwrap()), [0x0a, 0x66, 0xc2]);
    for bad in ["blue", "#0A66C", "#0A66C2FF", "0A66C2", "#0A66CG", ""] {
        let refused = app
            .admin(reqwest::Method::PATCH, "/api/v1/campaigns/card")
            .json(&json!({"brand_color": bad}))
            .send()
            .await
            .unwrap();
        crate::helpers::expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_color")
            .await;
    }
    // Refused changes change nothing; null goes back to Fanfare's colour.
    let view = app
        .get_json(
            app.admin(reqwest::Method::GET, "/api/v1/campaigns/card"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(view["brand_color"], "#0a66c2");
    let cleared = app
        .admin(reqwest::Method::PATCH, "/api/v1/campaigns/card")
        .json(&json!({"brand_color": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cleared.json::<Value>().await.unwrap()["brand_color"],
        Value::Null
    );

    // The hosted page uses it as its image; an unknown campaign has no card.
    let page = get(&app.url("/c/card"), HUMAN).await.text().await.unwrap();
    assert_eq!(meta(&page, "og:image"), Some(app.url("/c/card/card.png")));
    assert_eq!(
        get(&app.url("/c/nothing-here/card.png"), HUMAN)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app.url("/c/Not%20A%20Slug/card.png"), HUMAN)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

async fn a_visitor_who_came_by_a_fans_link_is_told_who_invited_them(app: &mut TestApp) {
    campaign(app, "invite", json!({})).await;
    let ada = join(app, "invite", "Ada").await;
    let code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    let read = |query: String| {
        let url = app.url(&format!("/api/public/campaigns/invite{query}"));
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .header("user-agent", HUMAN)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()["invited_by"].clone()
        }
    };
    // The ff_ref as links carry it (code and channel letter), or the bare code.
    assert_eq!(read(format!("?ref={code}-w")).await, "Ada");
    assert_eq!(read(format!("?ref={code}")).await, "Ada");
    assert_eq!(read(String::new()).await, Value::Null);
    // Codes that name nobody: unknown, malformed, hostile. None is an error: it is only a hint.
    for hostile in [
        "ZZZZZZZZZZ",
        "%00%01",
        "<script>",
        "a-b-c-d",
        &"A".repeat(64),
        "%E2%80%AE",
    ] {
        assert_eq!(
            read(format!("?ref={hostile}")).await,
            Value::Null,
            "{hostile}"
        );
    }
    // Another campaign's fan is not named here.
    campaign(app, "other", json!({})).await;
    let bob = join(app, "other", "Bob").await;
    let bob_code = bob["member"]["ref_code"].as_str().unwrap();
    assert_eq!(read(format!("?ref={bob_code}")).await, Value::Null);
    // Longer than the declared limit: a 400 that says so.
    let long = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/public/campaigns/invite?ref={}",
            "A".repeat(65)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), StatusCode::BAD_REQUEST);
}
