//! The console under `/admin`, where the marketer works: a password login (set with
//! `fanfare admin set-password`), a server-side session in an HttpOnly, SameSite=Strict cookie,
//! a CSRF token in every form; the campaign list, each campaign's report (with moderation and
//! the fans), and the SMO audit, whose previews are drawn the way Facebook, X and LinkedIn draw
//! theirs.

mod audit;
mod cascades;
mod extract;
mod fans;
mod home;
mod layout;
mod login;
mod moderation;
mod report;
mod session;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;

pub use session::hash_password;

/// Pasted HTML can be a whole page.
const FORM_LIMIT: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home::home))
        .route("/admin/login", get(login::login_page).post(login::login))
        .route("/admin/logout", post(login::logout))
        .route(
            "/admin/audit",
            get(audit::audit_page)
                .post(audit::audit_submit)
                .layer(DefaultBodyLimit::max(FORM_LIMIT)),
        )
        .route("/admin/campaigns/{slug}/audit", get(audit::audit_campaign))
        .route("/admin/campaigns/{slug}", get(report::report))
        .route("/admin/campaigns/{slug}/fans.csv", get(fans::export))
        .route(
            "/admin/campaigns/{slug}/moderation/{id}",
            post(moderation::moderate),
        )
        .merge(report::asset_routes())
}
