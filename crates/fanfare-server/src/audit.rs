//! The SMO audit over HTTP: `POST /api/v1/audit` for any page, and
//! `GET /api/v1/campaigns/{slug}/audit` for a campaign's landing page, with what the campaign
//! knows (title, description, image, hashtags) filling the suggested tags.

use axum::extract::{DefaultBodyLimit, State};
use fanfare_core::campaign::Campaign;
use fanfare_core::error_code::ErrorCode;
use fanfare_smo::{CampaignHints, FetchError, FetchPolicy, Fetcher, Options, Report};
use serde::Deserialize;
use url::Url;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiLargeJson, ApiPath};
use crate::state::AppState;
use crate::urls::web_url;

/// HTML sent for an audit may be a whole page, far above the API's usual body limit.
const AUDIT_BODY_LIMIT: usize = 10 * 1024 * 1024;

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(audit))
        .layer(DefaultBodyLimit::max(AUDIT_BODY_LIMIT))
        .routes(routes!(audit_campaign))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditRequest {
    /// A page to fetch and audit (with its images).
    #[schema(
        format = "uri",
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub url: Option<String>,
    /// Or the page's HTML.
    pub html: Option<String>,
    /// The URL the HTML lives at: relative URLs resolve against it.
    pub base_url: Option<String>,
    /// With `html`: also fetch the images and the oEmbed answer (default false).
    #[serde(default)]
    pub fetch: bool,
    /// A campaign whose title, description, image and hashtags fill the suggested tags.
    pub campaign: Option<String>,
}

pub(crate) fn fetcher(state: &AppState) -> Fetcher {
    Fetcher::new(FetchPolicy {
        allow_private: state.config.allow_private_addresses,
        ..FetchPolicy::default()
    })
}

pub(crate) fn hints(campaign: &Campaign) -> CampaignHints {
    let s = &campaign.settings;
    CampaignHints {
        title: s.title.clone(),
        description: s.description.clone(),
        image_url: s.image_url.as_ref().map(|u| u.to_string()),
        url: Some(s.landing_url.to_string()),
        hashtags: s.hashtag_strings(),
    }
}

fn fetch_failed(url: &Url, error: FetchError) -> ApiError {
    let code = match error {
        FetchError::Refused { .. } | FetchError::Scheme(_) => ErrorCode::FetchRefused,
        _ => ErrorCode::PageUnreadable,
    };
    ApiError::Unprocessable {
        code,
        field: Some("url"),
        message: format!("{url} could not be audited: {error}"),
    }
}

/// Audit a page's social tags (rules: `docs/smo-rules.md`).
#[utoipa::path(post, path = "/api/v1/audit", tag = "audit",
    request_body = AuditRequest,
    description = "Send `{url}` to fetch a page (and its images), or `{html, base_url}` to audit given HTML \
        (nothing is fetched unless `fetch` is true). Private, loopback and metadata addresses are refused.",
    responses(
        (status = 200, body = Report),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "Neither or both of url and html; a bad URL; a page that could not be fetched", body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn audit(
    State(state): State<AppState>,
    ApiLargeJson(request): ApiLargeJson<AuditRequest>,
) -> ApiResult<ApiJson<Report>> {
    let campaign = match &request.campaign {
        Some(slug) => Some(hints(&find(&state, &parse_slug_path(slug)?).await?)),
        None => None,
    };
    let fetcher = fetcher(&state);
    match (&request.url, &request.html) {
        (Some(url), None) => {
            if request.base_url.is_some() {
                return Err(ApiError::Unprocessable {
                    code: ErrorCode::ConflictingFields,
                    field: Some("base_url"),
                    message: "base_url goes with html; with url, the page's own URL is the base".into(),
                });
            }
            let url = web_url("url", url)?;
            fanfare_smo::audit_url(&url, &fetcher, campaign)
                .await
                .map(ApiJson)
                .map_err(|e| fetch_failed(&url, e))
        }
        (None, Some(html)) => {
            let base_url = request.base_url.as_deref().map(|b| web_url("base_url", b)).transpose()?;
            let options = Options {
                base_url,
                fetch: request.fetch.then_some(fetcher),
                campaign,
            };
            Ok(ApiJson(fanfare_smo::audit_html(html.as_bytes(), Some("utf-8"), &options).await))
        }
        _ => Err(ApiError::Unprocessable {
            code: ErrorCode::UrlOrHtml,
            field: None,
            message: "send either {\"url\": …} or {\"html\": …, \"base_url\": …}, not both and not neither".into(),
        }),
    }
}

/// Audit a campaign's landing page, with the campaign's own texts in the suggested tags.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/audit", tag = "audit",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 200, body = Report),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The landing page could not be fetched", body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn audit_campaign(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<Report>> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let url = campaign.settings.landing_url.url().clone();
    fanfare_smo::audit_url(&url, &fetcher(&state), Some(hints(&campaign)))
        .await
        .map(ApiJson)
        .map_err(|e| fetch_failed(&url, e))
}
