//! The dashboard under `/admin`: a password login (set with `fanfare admin set-password`), a
//! server-side session in an HttpOnly, SameSite=Strict cookie, a CSRF token in every form, and
//! the pages built so far: the campaign list and the SMO audit, whose previews are drawn the
//! way Facebook, X and LinkedIn draw theirs.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use fanfare_core::campaign::Campaign;
use fanfare_smo::{Options, Preview, Report, Severity};
use fanfare_store::{AdminSession, Page};
use rand::RngCore;
use serde::Deserialize;
use url::Url;

use crate::audit::{fetcher, hints};
use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::html::escape as esc;
use crate::state::AppState;
use crate::urls::web_url;
use crate::visitor::Client;
use crate::widget::is_own_origin;
use fanfare_core::fan::{Secret, hash_secret};

const COOKIE: &str = "fanfare_admin";
const SESSION_HOURS: i64 = 12;
/// Pasted HTML can be a whole page.
const FORM_LIMIT: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", axum::routing::post(logout))
        .route(
            "/admin/audit",
            get(audit_page)
                .post(audit_submit)
                .layer(DefaultBodyLimit::max(FORM_LIMIT)),
        )
        .route("/admin/campaigns/{slug}/audit", get(audit_campaign))
        .merge(crate::campaign_page::routes())
}

/// An argon2id hash (PHC string) of a new dashboard password.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < 12 {
        return Err("the password must have at least 12 characters".into());
    }
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| format!("cannot make a salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

pub(crate) async fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> ApiResult<Option<AdminSession>> {
    match cookie_token(headers) {
        Some(token) => Ok(state.store.find_admin_session(&hash_secret(&token)).await?),
        None => Ok(None),
    }
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/admin/login").into_response()
}

/// A form post from another site (a login CSRF, say) carries a foreign Origin: refused.
pub(crate) fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin with every form POST; a client without one is not a browser.
        return true;
    };
    Url::parse(origin).is_ok_and(|origin| is_own_origin(state, headers, &origin))
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f7;overflow-wrap:anywhere}\
header{background:#1b1b1b;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}\
header a{color:#fff}header form{margin-left:auto}main{max-width:60rem;margin:0 auto;padding:1rem}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input[type=url],input[type=password],textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}\
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
.score{font-size:2rem;font-weight:700}.problem{background:#fdecea;padding:.6rem;border:1px solid #c62828}";

pub(crate) fn layout(title: &str, session: Option<&AdminSession>, body: &str) -> Html<String> {
    layout_with(title, session, "", body)
}

/// A page with extra `<head>` content (the chart library's style sheet and scripts).
pub(crate) fn layout_with(
    title: &str,
    session: Option<&AdminSession>,
    head: &str,
    body: &str,
) -> Html<String> {
    let nav = match session {
        Some(s) => format!(
            "<a href=\"/admin\">Campaigns</a><a href=\"/admin/audit\">Audit a page</a>\
             <form method=\"post\" action=\"/admin/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Log out</button></form>",
            esc(&s.csrf_token)
        ),
        None => String::new(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><link rel=\"icon\" href=\"data:,\"><title>{} · Fanfare</title><style>{STYLE}</style>{head}</head>\
         <body><header><strong>Fanfare</strong>{nav}</header><main>{body}</main></body></html>",
        esc(title)
    ))
}

/// Headers of every dashboard page: no caching, no framing, scripts nowhere.
pub(crate) fn page(status: StatusCode, html: Html<String>) -> Response {
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
        ],
        html,
    )
        .into_response()
}

/// A dashboard page that runs Fanfare's own scripts (the charts), and no others.
pub(crate) fn page_with_scripts(status: StatusCode, html: Html<String>) -> Response {
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
        ],
        html,
    )
        .into_response()
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if session(&state, &headers).await?.is_some() {
        return Ok(Redirect::to("/admin").into_response());
    }
    login_form(StatusCode::OK, None, &state).await
}

async fn login_form(
    status: StatusCode,
    problem: Option<&str>,
    state: &AppState,
) -> ApiResult<Response> {
    let configured = state.store.admin_password_hash().await?.is_some();
    let notice = if configured {
        String::new()
    } else {
        "<p class=\"problem\">No password is set yet: run <code>fanfare admin set-password</code> on the server.</p>".to_owned()
    };
    let problem = problem
        .map(|p| format!("<p class=\"problem\" role=\"alert\">{}</p>", esc(p)))
        .unwrap_or_default();
    Ok(page(
        status,
        layout(
            "Log in",
            None,
            &format!(
                "<h1>Log in</h1>{notice}{problem}<form method=\"post\" action=\"/admin/login\">\
                 <label for=\"password\">Password</label>\
                 <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
                 <p><button type=\"submit\">Log in</button></p></form>"
            ),
        ),
    ))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    password: String,
}

async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> ApiResult<Response> {
    if let Err(wait) = state.login_limiter.check(&client.ip.to_string()) {
        let mut response = login_form(
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many attempts: wait a minute before trying again."),
            &state,
        )
        .await?;
        if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(response);
    }
    if !same_origin(&state, &headers) {
        return Ok(page(
            StatusCode::FORBIDDEN,
            layout(
                "Refused",
                None,
                "<p>A login from another site was refused.</p>",
            ),
        ));
    }
    let Some(hash) = state.store.admin_password_hash().await? else {
        return login_form(
            StatusCode::UNAUTHORIZED,
            Some("No password is set yet."),
            &state,
        )
        .await;
    };
    // Hashing is deliberately slow: off the async runtime.
    let password = form.password;
    let valid = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password check: {e}")))?;
    if !valid {
        tracing::warn!("dashboard login refused: wrong password");
        return login_form(StatusCode::UNAUTHORIZED, Some("Wrong password."), &state).await;
    }
    // The same kind of secret as a fan's member token: 256 random bits, kept by its SHA-256.
    let token = Secret::generate("ffs_");
    state
        .store
        .create_admin_session(&AdminSession {
            token_hash: token.hash,
            csrf_token: Secret::generate("").value,
            expires_at: fanfare_store::now() + chrono::Duration::hours(SESSION_HOURS),
        })
        .await?;
    // Secure when served over https (browsers drop Secure cookies on plain http but localhost).
    let secure = if state.config.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        token.value,
        SESSION_HOURS * 3600
    );
    let mut response = Redirect::to("/admin").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(format!("cookie: {e}")))?,
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) fn csrf_refused() -> Response {
    page(
        StatusCode::FORBIDDEN,
        layout(
            "Refused",
            None,
            "<p>This form is out of date or came from another site. Go back, reload the page and try again.</p>",
        ),
    )
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    if form.csrf != current.csrf_token {
        return Ok(csrf_refused());
    }
    state
        .store
        .delete_admin_session(&current.token_hash)
        .await?;
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "fanfare_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(response)
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    let campaigns = state
        .store
        .list_campaigns(Page {
            after: None,
            limit: 500,
        })
        .await?;
    let mut rows = String::new();
    for c in &campaigns {
        rows.push_str(&format!(
            "<tr><td><a href=\"/c/{slug}\">{slug}</a></td><td>{title}</td><td>{landing}</td>\
             <td><a href=\"/admin/campaigns/{slug}\">Report</a> · <a href=\"/admin/campaigns/{slug}/audit\">Audit its landing page</a></td></tr>",
            slug = esc(c.slug.as_str()),
            title = esc(c.settings.title.as_deref().unwrap_or("")),
            landing = esc(c.settings.landing_url.as_str()),
        ));
    }
    let body = if campaigns.is_empty() {
        "<h1>Campaigns</h1><p>No campaign yet: create one with <code>POST /api/v1/campaigns</code>.</p>".to_owned()
    } else {
        format!(
            "<h1>Campaigns</h1><table><thead><tr><th>Slug</th><th>Title</th><th>Landing page</th><th></th></tr></thead>\
             <tbody>{rows}</tbody></table>"
        )
    };
    Ok(page(
        StatusCode::OK,
        layout("Campaigns", Some(&current), &body),
    ))
}

fn audit_form(
    current: &AdminSession,
    problem: Option<&str>,
    url: &str,
    html: &str,
    base_url: &str,
) -> String {
    let problem = problem
        .map(|p| format!("<p class=\"problem\" role=\"alert\">{}</p>", esc(p)))
        .unwrap_or_default();
    format!(
        "<h1>Audit a page</h1>{problem}<form method=\"post\" action=\"/admin/audit\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"url\">The page's URL (fetched with its images)</label>\
         <input type=\"url\" id=\"url\" name=\"url\" value=\"{url}\" placeholder=\"https://www.example.com/page\">\
         <label for=\"html\">Or its HTML</label><textarea id=\"html\" name=\"html\">{html}</textarea>\
         <label for=\"base_url\">The URL of that HTML</label>\
         <input type=\"url\" id=\"base_url\" name=\"base_url\" value=\"{base_url}\">\
         <label><input type=\"checkbox\" name=\"fetch\" value=\"on\"> also fetch the HTML's images</label>\
         <p><button type=\"submit\">Audit</button></p></form>",
        csrf = esc(&current.csrf_token),
        url = esc(url),
        html = esc(html),
        base_url = esc(base_url),
    )
}

async fn audit_page(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    Ok(page(
        StatusCode::OK,
        layout(
            "Audit",
            Some(&current),
            &audit_form(&current, None, "", "", ""),
        ),
    ))
}

#[derive(Debug, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    html: String,
    #[serde(default)]
    base_url: String,
    fetch: Option<String>,
}

async fn audit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AuditForm>,
) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    if form.csrf != current.csrf_token {
        return Ok(csrf_refused());
    }
    let retry = |problem: &str| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout(
                "Audit",
                Some(&current),
                &audit_form(
                    &current,
                    Some(problem),
                    &form.url,
                    &form.html,
                    &form.base_url,
                ),
            ),
        )
    };
    let web = |value: &str| web_url("url", value.trim()).ok();
    let (url, html) = (form.url.trim(), form.html.trim());
    let report = match (url.is_empty(), html.is_empty()) {
        (false, true) => {
            let Some(url) = web(url) else {
                return Ok(retry("The URL must be an absolute http(s) URL."));
            };
            match fanfare_smo::audit_url(&url, &fetcher(&state), None).await {
                Ok(report) => report,
                Err(e) => return Ok(retry(&format!("{url} could not be audited: {e}"))),
            }
        }
        (true, false) => {
            let base_url = match form.base_url.trim() {
                "" => None,
                value => match web(value) {
                    Some(u) => Some(u),
                    None => {
                        return Ok(retry(
                            "The URL of the HTML must be an absolute http(s) URL.",
                        ));
                    }
                },
            };
            let options = Options {
                base_url,
                fetch: form.fetch.is_some().then(|| fetcher(&state)),
                campaign: None,
            };
            fanfare_smo::audit_html(html.as_bytes(), Some("utf-8"), &options).await
        }
        _ => {
            return Ok(retry(
                "Give either a URL or HTML, not both and not neither.",
            ));
        }
    };
    Ok(page(
        StatusCode::OK,
        layout("Audit", Some(&current), &render_report(&report, None)),
    ))
}

async fn audit_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let url = campaign.settings.landing_url.url().clone();
    let hints = hints(&campaign);
    let body = match fanfare_smo::audit_url(&url, &fetcher(&state), Some(hints)).await {
        Ok(report) => render_report(&report, Some(&campaign)),
        Err(e) => format!(
            "<h1>Audit of {}</h1><p class=\"problem\" role=\"alert\">{url} could not be audited: {}</p>",
            esc(campaign.slug.as_str()),
            esc(&e.to_string())
        ),
    };
    Ok(page(StatusCode::OK, layout("Audit", Some(&current), &body)))
}

fn image(preview: &Preview) -> String {
    match &preview.image {
        Some(src) => format!(
            "<img src=\"{}\" alt=\"\" referrerpolicy=\"no-referrer\" loading=\"lazy\">",
            esc(src)
        ),
        None => "<div class=\"noimg\">no image</div>".to_owned(),
    }
}

fn text(value: &Option<String>) -> String {
    esc(value.as_deref().unwrap_or(""))
}

/// The three previews, each in its network's own layout.
fn cards(report: &Report) -> String {
    let p = &report.previews;
    let x_class = if p.x.card.as_deref() == Some("summary") {
        "x summary"
    } else {
        "x"
    };
    format!(
        "<div class=\"cards\">\
         <figure><figcaption class=\"net\">Facebook</figcaption><div class=\"card fb\" aria-label=\"Facebook preview\">{fb_img}\
         <div class=\"meta\"><div class=\"site\">{fb_site}</div><div class=\"title\">{fb_title}</div><div class=\"desc\">{fb_desc}</div></div></div></figure>\
         <figure><figcaption class=\"net\">X ({x_card})</figcaption><div class=\"card {x_class}\" aria-label=\"X preview\">{x_img}\
         <div class=\"meta\"><div class=\"title\">{x_title}</div><div class=\"desc\">{x_desc}</div><div class=\"site\">From {x_site}</div></div></div></figure>\
         <figure><figcaption class=\"net\">LinkedIn</figcaption><div class=\"card li\" aria-label=\"LinkedIn preview\">{li_img}\
         <div class=\"meta\"><div class=\"title\">{li_title}</div><div class=\"site\">{li_site}</div></div></div></figure></div>",
        fb_img = image(&p.facebook),
        fb_site = text(&p.facebook.site),
        fb_title = text(&p.facebook.title),
        fb_desc = text(&p.facebook.description),
        x_card = text(&p.x.card),
        x_img = image(&p.x),
        x_title = text(&p.x.title),
        x_desc = text(&p.x.description),
        x_site = text(&p.x.site),
        li_img = image(&p.linkedin),
        li_title = text(&p.linkedin.title),
        li_site = text(&p.linkedin.site),
    )
}

fn render_report(report: &Report, campaign: Option<&Campaign>) -> String {
    let heading = match campaign {
        Some(c) => format!("Audit of {}'s landing page", esc(c.slug.as_str())),
        None => "Audit".to_owned(),
    };
    let mut body = format!(
        "<h1>{heading}</h1><p>{url}</p><p><span class=\"score\">{score}</span>/100 · {e} errors · {w} warnings · {i} advice</p>{cards}",
        url = esc(report.url.as_deref().unwrap_or("(given HTML)")),
        score = report.score,
        e = report.count(Severity::Error),
        w = report.count(Severity::Warning),
        i = report.count(Severity::Info),
        cards = cards(report),
    );
    body.push_str("<h2>Findings</h2>");
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        for f in report.findings.iter().filter(|f| f.severity == severity) {
            body.push_str(&format!(
                "<div class=\"finding {sev}\"><strong>{sev} {rule}</strong> {message}<br><small>Fix: {fix}</small></div>",
                sev = severity.as_str(),
                rule = f.rule,
                message = esc(&f.message),
                fix = esc(&f.fix),
            ));
        }
    }
    if !report.unchecked.is_empty() {
        let mut rules: Vec<&str> = report.unchecked.iter().map(|u| u.rule).collect();
        rules.dedup();
        body.push_str(&format!("<p>Not checked: {}</p>", rules.join(", ")));
    }
    body.push_str(&format!(
        "<h2>Paste into &lt;head&gt;</h2><pre>{}</pre><p><a href=\"/admin/audit\">Audit another page</a></p>",
        esc(&report.suggested_tags)
    ));
    body
}
