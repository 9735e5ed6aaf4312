//! Appropriation over HTTP: fans react, comment and create; moderators curate; ambassadors are
//! ranked; milestones reward fans who bring others. The formulas live in
//! `fanfare_core::engagement`.

mod ambassadors;
mod interactions;
mod moderation;
mod settings;
mod wall;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
pub(crate) use ambassadors::{Standing, reward_referrer, top_ambassadors};
pub(crate) use interactions::{CreationView, recent_creations};

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(interactions::interact))
        .routes(routes!(interactions::take_back_reaction))
        .routes(routes!(interactions::creations))
        .routes(routes!(ambassadors::leaderboard))
        .routes(routes!(ambassadors::my_page))
        .routes(routes!(wall::wall))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(moderation::moderation_queue))
        .routes(routes!(moderation::moderate))
        .routes(routes!(moderation::milestones))
}
