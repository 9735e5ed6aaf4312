//! The redirect baseline: the least a server can do to answer `/s/{code}` — a fixed `302` from
//! memory with the same headers, nothing looked up, nothing recorded. Same HTTP stack (axum on
//! Tokio) as Fanfare, so the ratio measures what Fanfare's own work costs.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

#[derive(Debug, clap::Args)]
pub struct BareArgs {
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,
    /// Where every redirect goes.
    #[arg(long)]
    location: String,
}

pub async fn run(args: BareArgs) -> anyhow::Result<()> {
    let location = HeaderValue::from_str(&args.location)?;
    let app = Router::new().route(
        "/s/{code}",
        get(move || {
            let location = location.clone();
            async move {
                (
                    StatusCode::FOUND,
                    [
                        (header::LOCATION, location),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                        (
                            header::HeaderName::from_static("x-robots-tag"),
                            HeaderValue::from_static("noindex"),
                        ),
                    ],
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&args.bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
