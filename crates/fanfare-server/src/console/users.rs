//! The console's users (administrators only): invite someone with a one-time link, change a
//! role, open a new link for a lost password, remove an account. Fanfare always keeps one
//! administrator who can log in.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fanfare_core::ValidationError;
use fanfare_core::account::Role;
use fanfare_core::error_code::ErrorCode;
use fanfare_core::fan::{Email, Secret};
use fanfare_store::{AdminSession, Invite, NewUser, StoreError, User};
use maud::{Markup, html};
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{described_by, field_error, form_status, invalid, layout, page, refusal};
use super::session::{csrf_refused, form_is_genuine, signed_in};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;

/// How long a one-time link works.
pub const LINK_DAYS: i64 = 7;

pub async fn users_page(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    render(&state, &current, &InviteForm::default(), &[], None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// A new one-time link, shown once on the page that follows the action.
struct NewLink<'a> {
    email: &'a str,
    url: String,
}

async fn render(
    state: &AppState,
    current: &AdminSession,
    form: &InviteForm,
    errors: &[ValidationError],
    link: Option<NewLink<'_>>,
) -> ApiResult<Response> {
    let users = state.store.list_users().await?;
    let now = fanfare_store::now();
    let body = html! {
        h1 { "Users" }
        @if let Some(link) = &link {
            div.done role="status" {
                p { "Send this link to " b { (link.email) } ". It works once, for " (LINK_DAYS) " days, and is shown only now:" }
                input type="text" readonly value=(link.url) aria-label="One-time link" id="one-time-link";
            }
        }
        div.scroll {
            table {
                thead { tr { th { "E-mail" } th { "Role" } th { "Status" } th { "Actions" } } }
                tbody {
                    @for user in &users {
                        tr {
                            td { (user.email) @if user.id == current.user.id { " (you)" } }
                            td { (role_form(current, user)) }
                            td { (status(user, now)) }
                            td.actions {
                                form method="post" action={ "/admin/users/" (user.id) "/link" } {
                                    input type="hidden" name="csrf" value=(current.csrf_token);
                                    button type="submit" { "New one-time link" }
                                }
                                @if user.id != current.user.id {
                                    form method="post" action={ "/admin/users/" (user.id) "/remove" } {
                                        input type="hidden" name="csrf" value=(current.csrf_token);
                                        button type="submit" aria-label={ "Remove " (user.email) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Invite someone" }
        form method="post" action="/admin/users" novalidate {
            input type="hidden" name="csrf" value=(current.csrf_token);
            label for="email" { "E-mail" }
            input type="email" id="email" name="email" value=(form.email) required
                aria-invalid=[invalid("email", errors)] aria-describedby=[described_by("email", errors)];
            (field_error("email", errors))
            label for="role" { "Role" }
            (role_select("role", form.role.as_str(), errors))
            (field_error("role", errors))
            p { button type="submit" { "Create the invitation link" } }
        }
    };
    let status = if link.is_some() {
        StatusCode::CREATED
    } else {
        form_status(errors)
    };
    Ok(page(status, layout("Users", Some(current), html! {}, body)))
}

fn status(user: &User, now: chrono::DateTime<chrono::Utc>) -> Markup {
    html! {
        @match (&user.password_hash, user.invite_expires_at) {
            (_, Some(until)) if until > now => {
                @if user.password_hash.is_some() { "active; " }
                "one-time link open until " (until.format("%Y-%m-%d %H:%M UTC"))
            }
            (Some(_), _) => "active",
            (None, _) => "invited; the link expired: open a new one",
        }
    }
}

fn role_select(name: &str, selected: &str, errors: &[ValidationError]) -> Markup {
    html! {
        select id=(name) name=(name) aria-invalid=[invalid(name, errors)]
            aria-describedby=[described_by(name, errors)] {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[role.as_str() == selected] {
                    (role.as_str()) " (" (role.describe()) ")"
                }
            }
        }
    }
}

fn role_form(current: &AdminSession, user: &User) -> Markup {
    let id = format!("role-{}", user.id);
    html! {
        form.actions method="post" action={ "/admin/users/" (user.id) "/role" } {
            input type="hidden" name="csrf" value=(current.csrf_token);
            select id=(id) name="role" aria-label={ "Role of " (user.email) } {
                @for role in Role::ALL {
                    option value=(role.as_str()) selected[role == user.role] { (role.as_str()) }
                }
            }
            button type="submit" aria-label={ "Change the role of " (user.email) } { "Change" }
        }
    }
}

/// A fresh one-time link's token and what the store keeps of it.
fn one_time_link(state: &AppState) -> (String, Invite) {
    let token = Secret::generate("ffi_");
    let url = format!(
        "{}/admin/welcome/{}",
        state.config.base_url.as_str().trim_end_matches('/'),
        token.value
    );
    let invite = Invite {
        token_hash: token.hash,
        expires_at: fanfare_store::now() + chrono::Duration::days(LINK_DAYS),
    };
    (url, invite)
}

fn parse_role(value: &str) -> Result<Role, ValidationError> {
    Role::parse(value).ok_or_else(|| {
        ValidationError::new(
            "role",
            ErrorCode::InvalidRole,
            "choose admin (everything), moderator (moderation only) or viewer (reports only)",
        )
    })
}

pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<InviteForm>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if !form_is_genuine(&state, &headers, &current, &form.csrf) {
        return Ok(csrf_refused());
    }
    let mut errors = Vec::new();
    let email = Email::parse(&form.email).map_err(|e| errors.push(e)).ok();
    let role = parse_role(&form.role).map_err(|e| errors.push(e)).ok();
    let (Some(email), Some(role)) = (email, role) else {
        return render(&state, &current, &form, &errors, None).await;
    };
    let (url, invite) = one_time_link(&state);
    let created = state
        .store
        .create_user(&NewUser {
            email: email.address().to_owned(),
            role,
            password_hash: None,
            invite: Some(invite),
        })
        .await;
    match created {
        Ok(user) => {
            tracing::info!(user = user.id, role = %role, by = current.user.id, "console user invited");
            let link = NewLink {
                email: email.address(),
                url,
            };
            render(&state, &current, &InviteForm::default(), &[], Some(link)).await
        }
        Err(StoreError::Conflict(_)) => {
            let taken = ValidationError::new(
                "email",
                ErrorCode::EmailTaken,
                "this address already has an account: open a new one-time link for it in the list above",
            );
            render(&state, &current, &form, &[taken], None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct UserActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Whether, without `user` as an administrator, some administrator could still log in.
async fn another_administrator(state: &AppState, user: &User) -> ApiResult<bool> {
    Ok(state
        .store
        .list_users()
        .await?
        .iter()
        .any(|u| u.id != user.id && u.role == Role::Admin && u.password_hash.is_some()))
}

/// What every action on a user starts with: an administrator, a genuine form, an existing user.
async fn acting_on(
    state: &AppState,
    headers: &HeaderMap,
    id: i64,
    csrf: &str,
) -> ApiResult<Result<(AdminSession, User), Response>> {
    let current = match signed_in(state, headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(Err(response)),
    };
    if !form_is_genuine(state, headers, &current, csrf) {
        return Ok(Err(csrf_refused()));
    }
    match state.store.find_user(id).await? {
        Some(user) => Ok(Ok((current, user))),
        None => Ok(Err(refusal(
            StatusCode::NOT_FOUND,
            "No such user",
            Some(&current),
            "This user does not exist (any more).",
        ))),
    }
}

fn last_administrator(current: &AdminSession) -> Response {
    refusal(
        StatusCode::CONFLICT,
        "Not done",
        Some(current),
        &format!(
            "{}: {}.",
            ErrorCode::LastAdministrator,
            ErrorCode::LastAdministrator.default_message()
        ),
    )
}

pub async fn change_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    PageForm(form): PageForm<UserActionForm>,
) -> ApiResult<Response> {
    let (current, user) = match acting_on(&state, &headers, id, &form.csrf).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let role = match parse_role(&form.role) {
        Ok(role) => role,
        Err(e) => {
            return Ok(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not done",
                Some(&current),
                &format!("{}: {}.", e.code, e.message),
            ));
        }
    };
    if user.role == Role::Admin
        && role != Role::Admin
        && !another_administrator(&state, &user).await?
    {
        return Ok(last_administrator(&current));
    }
    state.store.set_user_role(user.id, role).await?;
    tracing::info!(user = user.id, role = %role, by = current.user.id, "console user's role changed");
    Ok(Redirect::to("/admin/users").into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    PageForm(form): PageForm<UserActionForm>,
) -> ApiResult<Response> {
    let (current, user) = match acting_on(&state, &headers, id, &form.csrf).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    if user.id == current.user.id {
        return Ok(refusal(
            StatusCode::CONFLICT,
            "Not done",
            Some(&current),
            "You cannot remove your own account: another administrator can.",
        ));
    }
    if user.role == Role::Admin && !another_administrator(&state, &user).await? {
        return Ok(last_administrator(&current));
    }
    state.store.delete_user(user.id).await?;
    tracing::info!(user = user.id, by = current.user.id, "console user removed");
    Ok(Redirect::to("/admin/users").into_response())
}

pub async fn new_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    PageForm(form): PageForm<UserActionForm>,
) -> ApiResult<Response> {
    let (current, user) = match acting_on(&state, &headers, id, &form.csrf).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let (url, invite) = one_time_link(&state);
    state.store.set_user_invite(user.id, &invite).await?;
    tracing::info!(
        user = user.id,
        by = current.user.id,
        "console user's one-time link opened"
    );
    let link = NewLink {
        email: &user.email,
        url,
    };
    render(&state, &current, &InviteForm::default(), &[], Some(link)).await
}

/// Why a user could not be added from the command line.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "{0} already has an account: set its password with `fanfare admin set-password --email {0}`"
    )]
    Taken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a user with a generated password (128 random bits, base64url), returned once: the
/// CLI's `create-user` and the demo's administrator.
pub async fn create_user_with_password(
    store: &dyn fanfare_store::Store,
    email: &str,
    role: &str,
) -> Result<(User, String), CreateUserError> {
    let email = Email::parse(email).map_err(|e| CreateUserError::Invalid(e.to_string()))?;
    let role = parse_role(role).map_err(|e| CreateUserError::Invalid(e.to_string()))?;
    let password = Secret::generate("").value[..22].to_owned();
    let password_hash =
        super::session::hash_password(&password).map_err(CreateUserError::Invalid)?;
    let user = store
        .create_user(&NewUser {
            email: email.address().to_owned(),
            role,
            password_hash: Some(password_hash),
            invite: None,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => CreateUserError::Taken(email.address().to_owned()),
            other => CreateUserError::Store(other),
        })?;
    Ok((user, password))
}
