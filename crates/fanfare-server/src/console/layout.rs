//! The frame of every console page (header, navigation, style) and the headers they are sent
//! with. Pages are written with maud's `html!`, which escapes every value it is given;
//! `PreEscaped` is kept for the style sheets and scripts Fanfare ships itself.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fanfare_core::ValidationError;
use fanfare_store::AdminSession;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f7;overflow-wrap:anywhere}\
header{background:#1b1b1b;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}\
header a{color:#fff}header form{margin-left:auto}main{max-width:60rem;margin:0 auto;padding:1rem}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input[type=url],input[type=password],input[type=email],input[type=text],select,textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}\
textarea{min-height:8rem;font-family:ui-monospace,monospace;font-size:.85rem}button{font:inherit;padding:.5rem 1rem;cursor:pointer}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:1rem;margin:1rem 0}\
.net{font-size:.8rem;color:#555;margin:.2rem 0}.card{background:#fff;overflow:hidden}.card img{display:block;width:100%;object-fit:cover;background:#ddd}\
.noimg{display:flex;align-items:center;justify-content:center;color:#777;background:#e4e6eb;font-size:.8rem}\
.fb{border:1px solid #dadde1}.fb img,.fb .noimg{aspect-ratio:1.91/1}.fb .meta{background:#f0f2f5;padding:.5rem .75rem}\
.fb .site{text-transform:uppercase;font-size:.75rem;color:#606770}.fb .title{font-weight:600;color:#1d2129}.fb .desc{color:#606770;font-size:.85rem}\
.x{border:1px solid #cfd9de;border-radius:16px}.x img,.x .noimg{aspect-ratio:2/1}.x.summary{display:flex}.x.summary img,.x.summary .noimg{width:8rem;aspect-ratio:1/1;flex:none}\
.x .meta{padding:.5rem .75rem}.x .site{color:#536471;font-size:.85rem}.x .title{color:#0f1419}.x .desc{color:#536471;font-size:.85rem}\
.li{border:1px solid #e0dfdc;border-radius:8px}.li img,.li .noimg{aspect-ratio:1.91/1}.li .meta{padding:.5rem .75rem}\
.li .title{font-weight:600;color:rgba(0,0,0,.9)}.li .site{font-size:.75rem;color:rgba(0,0,0,.6)}\
.title,.desc{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}\
.finding{background:#fff;border-left:4px solid #999;padding:.4rem .7rem;margin:.4rem 0}.error{border-color:#c62828}.warning{border-color:#b26a00}.info{border-color:#1565c0}\
pre{background:#fff;padding:.7rem;overflow:auto;font-size:.8rem;border:1px solid #ddd}table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.4rem;border-bottom:1px solid #eee;text-align:left}\
.score{font-size:2rem;font-weight:700}.problem{background:#fdecea;padding:.6rem;border:1px solid #c62828}\
.field-error{color:#b71c1c;margin:.2rem 0;font-size:.9rem}[aria-invalid=true]{border:2px solid #b71c1c}.done{background:#e8f5e9;padding:.6rem;border:1px solid #2e7d32}\
.hint{display:block;color:#555;margin-bottom:.2rem}fieldset{border:1px solid #ddd;background:#fff;margin:1rem 0;padding:.4rem 1rem 1rem}\
legend{font-weight:700}textarea.short{min-height:4rem;font-family:inherit;font-size:1rem}textarea.snippet{min-height:9rem}\
a.button{display:inline-block;padding:.5rem 1rem;background:#1b1b1b;color:#fff;text-decoration:none}.inline{display:inline}.actions{display:flex;gap:.4rem;flex-wrap:wrap;align-items:center}.actions form{margin:0}";

/// A console page: `head` adds to the `<head>` (the charts' style sheet and scripts).
pub fn layout(title: &str, session: Option<&AdminSession>, head: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="robots" content="noindex";
                link rel="icon" href="data:,";
                title { (title) " · Fanfare" }
                style { (PreEscaped(STYLE)) }
                (head)
            }
            body {
                header {
                    strong { "Fanfare" }
                    @if let Some(session) = session {
                        a href="/admin" { "Campaigns" }
                        @if session.user.role.can_administer() {
                            a href="/admin/audit" { "Audit a page" }
                            a href="/admin/users" { "Users" }
                        }
                        a href="/admin/account" title={ "Your account (" (session.user.role) ")" } {
                            (session.user.email)
                        }
                        form method="post" action="/admin/logout" {
                            input type="hidden" name="csrf" value=(session.csrf_token);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A problem with what was asked, read out by screen readers.
pub fn problem(message: &str) -> Markup {
    html! { p.problem role="alert" { (message) } }
}

/// Headers of every console page: no caching, no framing, scripts nowhere.
pub fn page(status: StatusCode, html: Markup) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
            // One-time links carry their token in the path: never in a Referer to another site
            // (not no-referrer: Chromium then sends `Origin: null`, and forms are checked by Origin).
            (header::REFERRER_POLICY, "same-origin"),
        ],
        Html(html.into_string()),
    )
        .into_response()
}

/// A console page that runs Fanfare's own scripts (the charts), and no others.
pub fn page_with_scripts(status: StatusCode, html: Markup) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
            // One-time links carry their token in the path: never in a Referer to another site
            // (not no-referrer: Chromium then sends `Origin: null`, and forms are checked by Origin).
            (header::REFERRER_POLICY, "same-origin"),
        ],
        Html(html.into_string()),
    )
        .into_response()
}

/// A short page that says why a form was not taken.
pub fn refusal(
    status: StatusCode,
    title: &str,
    session: Option<&AdminSession>,
    message: &str,
) -> Response {
    page(
        status,
        layout(title, session, html! {}, html! { p { (message) } }),
    )
}

/// The error of one form field, under it, with the API's error code, and tied to the field for
/// screen readers (`aria-describedby` = `{field}-error`).
pub fn field_error(field: &str, errors: &[ValidationError]) -> Markup {
    html! {
        @if let Some(error) = errors.iter().find(|e| e.field == field) {
            p.field-error id={ (field) "-error" } {
                code { (error.code) } " " (error.message)
            }
        }
    }
}

/// `aria-invalid` for a field with an error, nothing otherwise.
pub fn invalid(field: &str, errors: &[ValidationError]) -> Option<&'static str> {
    errors.iter().any(|e| e.field == field).then_some("true")
}

/// `aria-describedby` for a field with an error, nothing otherwise.
pub fn described_by(field: &str, errors: &[ValidationError]) -> Option<String> {
    errors
        .iter()
        .any(|e| e.field == field)
        .then(|| format!("{field}-error"))
}

/// The status of a page that shows a form again with its errors: the first error's.
pub fn form_status(errors: &[ValidationError]) -> StatusCode {
    errors.first().map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    })
}
