//! The console under `/admin`, where the marketer works: users with an e-mail, a password and a
//! role (`fanfare admin create-user`, or invited from the console with a one-time link), a
//! server-side session in an HttpOnly, SameSite=Strict cookie, a CSRF token in every form, and
//! the role checked on every page and form; the campaign list, each campaign's report (with
//! moderation and the fans), and the SMO audit, whose previews are drawn the way Facebook, X and
//! LinkedIn draw theirs.

mod account;
mod audit;
mod campaign_form;
mod cascades;
mod extract;
mod fans;
mod home;
mod layout;
mod login;
mod moderation;
mod report;
mod session;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;

pub use session::hash_password;
pub use users::{CreateUserError, create_user_with_password};

/// Pasted HTML can be a whole page.
const FORM_LIMIT: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home::home))
        .route("/admin/login", get(login::login_page).post(login::login))
        .route("/admin/logout", post(login::logout))
        .route(
            "/admin/account",
            get(account::account).post(account::change_password),
        )
        .route(
            "/admin/welcome/{token}",
            get(account::welcome).post(account::accept),
        )
        .route("/admin/users", get(users::users_page).post(users::invite))
        .route("/admin/users/{id}/role", post(users::change_role))
        .route("/admin/users/{id}/remove", post(users::remove))
        .route("/admin/users/{id}/link", post(users::new_link))
        .route(
            "/admin/campaigns/{slug}/moderation",
            get(moderation::moderation_page),
        )
        .route(
            "/admin/audit",
            get(audit::audit_page)
                .post(audit::audit_submit)
                .layer(DefaultBodyLimit::max(FORM_LIMIT)),
        )
        .route("/admin/campaigns/{slug}/audit", get(audit::audit_campaign))
        .route("/admin/campaigns", post(campaign_form::create))
        .route("/admin/campaigns/new", get(campaign_form::new_campaign))
        .route(
            "/admin/campaigns/{slug}/edit",
            get(campaign_form::edit).post(campaign_form::save),
        )
        .route(
            "/admin/campaigns/{slug}/install",
            get(campaign_form::install),
        )
        .route("/admin/campaigns/{slug}", get(report::report))
        .route("/admin/campaigns/{slug}/fans.csv", get(fans::export))
        .route(
            "/admin/campaigns/{slug}/moderation/{id}",
            post(moderation::moderate),
        )
        .merge(report::asset_routes())
}
