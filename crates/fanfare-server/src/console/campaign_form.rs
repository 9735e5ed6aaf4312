//! Creating and editing a campaign from the console (administrators): one plain form, checked by
//! the same rules as the API, each refused field shown with the API's error code next to it;
//! then the page to install the campaign on a site.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fanfare_core::ValidationError;
use fanfare_core::account::Role;
use fanfare_core::campaign::{Campaign, CampaignKind, CampaignSettings, RawCampaignSettings, Slug};
use fanfare_core::error_code::ErrorCode;
use fanfare_core::link::Channel;
use fanfare_store::{AdminSession, StoreError};
use maud::{Markup, html};
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{described_by, field_error, form_status, invalid, layout, page};
use super::session::{csrf_refused, form_is_genuine, signed_in};
use crate::context::{find, parse_slug_path};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;

/// The form as posted: every field text, lists one item per line or separated by commas.
#[derive(Debug, Default, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    landing_url: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    brand_color: String,
    #[serde(default)]
    allowed_domains: String,
    #[serde(default)]
    hashtags: String,
    #[serde(default)]
    channels: String,
}

impl CampaignForm {
    fn of(campaign: &Campaign) -> Self {
        let settings = &campaign.settings;
        Self {
            csrf: String::new(),
            slug: campaign.slug.to_string(),
            kind: settings.kind.as_str().to_owned(),
            title: settings.title.clone().unwrap_or_default(),
            description: settings.description.clone().unwrap_or_default(),
            landing_url: settings.landing_url.to_string(),
            image_url: settings
                .image_url
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            brand_color: settings
                .brand_color
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            allowed_domains: settings.allowed_domain_strings().join("\n"),
            hashtags: settings.hashtag_strings().join(" "),
            channels: settings.channel_strings().join(", "),
        }
    }

    /// The settings, by the API's rules; an empty optional field is no value.
    fn settings(&self) -> Result<CampaignSettings, ValidationError> {
        let optional = |value: &str| {
            Some(value.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let domains = items(&self.allowed_domains);
        let hashtags = items(&self.hashtags);
        let channels = items(&self.channels);
        let (title, description, image_url, brand_color) = (
            optional(&self.title),
            optional(&self.description),
            optional(&self.image_url),
            optional(&self.brand_color),
        );
        CampaignSettings::parse(RawCampaignSettings {
            kind: self.kind.trim(),
            title: title.as_deref(),
            description: description.as_deref(),
            landing_url: self.landing_url.trim(),
            allowed_domains: (!domains.is_empty()).then_some(domains.as_slice()),
            image_url: image_url.as_deref(),
            brand_color: brand_color.as_deref(),
            hashtags: &hashtags,
            channels: (!channels.is_empty()).then_some(channels.as_slice()),
        })
    }
}

/// A list typed one item per line, or separated by commas or spaces.
fn items(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The form's field for an error of the API: `allowed_domains[2]` is the `allowed_domains` box.
fn on_field(mut error: ValidationError) -> ValidationError {
    if let Some((field, _)) = error.field.split_once('[') {
        error.field = field.to_owned();
    }
    error
}

/// One labelled text field, its hint and its error.
fn text_field(
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    kind: &str,
    errors: &[ValidationError],
) -> Markup {
    html! {
        label for=(name) { (label) }
        @if let Some(hint) = hint { small.hint id={ (name) "-hint" } { (hint) } }
        input type=(kind) id=(name) name=(name) value=(value)
            aria-invalid=[invalid(name, errors)]
            aria-describedby=[described_by(name, errors).or(hint.map(|_| format!("{name}-hint")))];
        (field_error(name, errors))
    }
}

fn list_field(
    name: &str,
    label: &str,
    hint: &str,
    value: &str,
    errors: &[ValidationError],
) -> Markup {
    html! {
        label for=(name) { (label) }
        small.hint id={ (name) "-hint" } { (hint) }
        textarea.short id=(name) name=(name) aria-invalid=[invalid(name, errors)]
            aria-describedby=[described_by(name, errors).or(Some(format!("{name}-hint")))] { (value) }
        (field_error(name, errors))
    }
}

/// The whole form, for a new campaign (`editing` is `None`) or an existing one.
fn form_page(
    current: &AdminSession,
    editing: Option<&str>,
    form: &CampaignForm,
    errors: &[ValidationError],
) -> Response {
    let (title, action) = match editing {
        Some(slug) => (
            format!("Edit {slug}"),
            format!("/admin/campaigns/{slug}/edit"),
        ),
        None => ("New campaign".to_owned(), "/admin/campaigns".to_owned()),
    };
    let channels_hint = format!(
        "In the order the share bar shows them (its first four are on view); empty: all of them. Known: {}.",
        Channel::ALL.map(|c| c.as_str()).join(", ")
    );
    let body = html! {
        h1 { (title) }
        @if !errors.is_empty() {
            p.problem role="alert" { "Some fields need a change: see below." }
        }
        form.wide method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(current.csrf_token);
            fieldset {
                legend { "1. What the campaign is" }
                label for="kind" { "Kind" }
                select id="kind" name="kind" aria-invalid=[invalid("kind", errors)]
                    aria-describedby=[described_by("kind", errors)] {
                    @for (kind, what) in [
                        (CampaignKind::Brand, "brand: fans of the brand itself"),
                        (CampaignKind::Message, "message: a cause, an idea, an announcement"),
                        (CampaignKind::Product, "product: a launch, a collection, an offer"),
                    ] {
                        option value=(kind.as_str()) selected[kind.as_str() == form.kind] { (what) }
                    }
                }
                (field_error("kind", errors))
                @if editing.is_none() {
                    (text_field("slug", "Slug", Some("In the campaign's addresses: 3 to 64 lowercase letters, digits and hyphens. It cannot change later."), &form.slug, "text", errors))
                }
                (text_field("title", "Title", None, &form.title, "text", errors))
                label for="description" { "Description" }
                textarea.short id="description" name="description" aria-invalid=[invalid("description", errors)]
                    aria-describedby=[described_by("description", errors)] { (form.description) }
                (field_error("description", errors))
            }
            fieldset {
                legend { "2. Where it leads" }
                (text_field("landing_url", "Landing page (https)", Some("Where every link of the campaign leads."), &form.landing_url, "url", errors))
                (text_field("image_url", "Image (https, optional)", Some("Shown in link previews; without one, Fanfare draws a card from the title."), &form.image_url, "url", errors))
                (text_field("brand_color", "Brand colour (optional)", Some("#rrggbb, the generated card's background."), &form.brand_color, "text", errors))
                (list_field("allowed_domains", "Allowed domains", "The sites that may embed the widget and that links may lead to, one a line (subdomains included); empty: the landing page's.", &form.allowed_domains, errors))
            }
            fieldset {
                legend { "3. How it spreads" }
                (list_field("channels", "Channels", &channels_hint, &form.channels, errors))
                (list_field("hashtags", "Hashtags", "Added to posts where the network takes them; separated by spaces.", &form.hashtags, errors))
            }
            p {
                button type="submit" {
                    @if editing.is_some() { "Save the campaign" } @else { "Create the campaign" }
                }
            }
        }
    };
    page(
        form_status(errors),
        layout(&title, Some(current), html! {}, body),
    )
}

pub async fn new_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let form = CampaignForm {
        kind: "brand".into(),
        ..CampaignForm::default()
    };
    Ok(form_page(&current, None, &form, &[]))
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<CampaignForm>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if !form_is_genuine(&state, &headers, &current, &form.csrf) {
        return Ok(csrf_refused());
    }
    // Every field is checked, so that one round trip shows every problem.
    let slug = Slug::parse(form.slug.trim()).map_err(on_field);
    let settings = form.settings().map_err(on_field);
    let (slug, settings) = match (slug, settings) {
        (Ok(slug), Ok(settings)) => (slug, settings),
        (slug, settings) => {
            let errors: Vec<_> = [slug.err(), settings.err()].into_iter().flatten().collect();
            return Ok(form_page(&current, None, &form, &errors));
        }
    };
    match state.store.create_campaign(&slug, &settings).await {
        Ok(campaign) => {
            tracing::info!(slug = %campaign.slug, user = current.user.id, "campaign created in the console");
            Ok(
                Redirect::to(&format!("/admin/campaigns/{}/install", campaign.slug))
                    .into_response(),
            )
        }
        Err(StoreError::Conflict(_)) => {
            let taken = ValidationError::new(
                "slug",
                ErrorCode::SlugTaken,
                format!("a campaign with slug \"{slug}\" already exists: choose another slug"),
            );
            Ok(form_page(&current, None, &form, &[taken]))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    Ok(form_page(
        &current,
        Some(campaign.slug.as_str()),
        &CampaignForm::of(&campaign),
        &[],
    ))
}

pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    PageForm(form): PageForm<CampaignForm>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if !form_is_genuine(&state, &headers, &current, &form.csrf) {
        return Ok(csrf_refused());
    }
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let slug = campaign.slug.as_str();
    let settings = match form.settings() {
        Ok(settings) => settings,
        Err(error) => return Ok(form_page(&current, Some(slug), &form, &[on_field(error)])),
    };
    // A concurrent deletion leaves nothing to save: the campaign's 404.
    let saved = state
        .store
        .update_campaign(&campaign.slug, &settings)
        .await?
        .ok_or_else(|| crate::error::ApiError::campaign_not_found(slug))?;
    // The landing URL may have changed: this node's cached link targets are stale now.
    state.links.forget_campaign(saved.id);
    tracing::info!(
        slug,
        user = current.user.id,
        "campaign edited in the console"
    );
    Ok(Redirect::to(&format!("/admin/campaigns/{slug}/install")).into_response())
}

/// After creating or saving: how to put the campaign on a site, and what to check.
pub async fn install(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let slug = campaign.slug.as_str();
    let base = state.config.base_url.as_str().trim_end_matches('/');
    let snippet = format!(
        "<div data-fanfare=\"fan-button\"></div>\n\
         <div data-fanfare=\"share-bar\"></div>\n\
         <div data-fanfare=\"progress\"></div>\n\
         <div data-fanfare=\"wall\"></div>\n\
         <script src=\"{base}/w/fanfare.js\" data-campaign=\"{slug}\" async></script>"
    );
    let title = format!("Install {slug}");
    let body = html! {
        h1 { (title) }
        p.done role="status" { "The campaign is saved." }
        h2 { "1. Paste this where the fan button should be" }
        p { "On a page of " (campaign.settings.allowed_domain_strings().join(", ")) ". Keep the parts you want: the fan button and share bar, the fan's progress, the wall." }
        textarea.snippet readonly aria-label="Embed snippet" id="snippet" { (snippet) }
        h2 { "2. Check how it looks and how it is shared" }
        ul {
            li { a href={ "/c/" (slug) } { "The campaign's hosted page" } ", with the widget as visitors see it" }
            li { a href={ "/admin/campaigns/" (slug) "/audit" } { "Audit the landing page" } ": what Facebook, X and LinkedIn will show of it, and the tags that fix it" }
            li { a href={ "/admin/campaigns/" (slug) "/edit" } { "Edit the campaign" } }
            li { a href={ "/admin/campaigns/" (slug) } { "Its report" } }
        }
    };
    Ok(page(
        StatusCode::OK,
        layout(&title, Some(&current), html! {}, body),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_typed_one_a_line_or_separated_by_commas_or_spaces() {
        assert_eq!(
            items("a.example\nb.example, c.example  d"),
            ["a.example", "b.example", "c.example", "d"]
        );
        assert!(items(" \n , ").is_empty());
    }

    #[test]
    fn an_error_on_a_list_item_is_shown_on_the_list() {
        let error = ValidationError::new("allowed_domains[2]", ErrorCode::InvalidDomain, "x");
        assert_eq!(on_field(error).field, "allowed_domains");
    }

    #[test]
    fn empty_optional_fields_are_no_value_and_bad_ones_name_their_field() {
        let form = CampaignForm {
            kind: "brand".into(),
            landing_url: "https://shop.example/spring".into(),
            ..CampaignForm::default()
        };
        let settings = form.settings().unwrap();
        assert_eq!(settings.title, None);
        assert_eq!(settings.allowed_domain_strings(), ["shop.example"]);
        assert_eq!(settings.channel_strings().len(), Channel::ALL.len());
        let bad = CampaignForm {
            brand_color: "pink".into(),
            ..form
        };
        assert_eq!(bad.settings().unwrap_err().field, "brand_color");
    }
}
