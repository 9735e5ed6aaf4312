//! Cursor pagination shared by every listing: the cursor is the id of the last item seen, passed
//! back unchanged; one item more than asked is fetched to know whether a next page exists.

use fanfare_store::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};

/// The query of every listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items, from 1 to the endpoint's maximum (see its description).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    pub cursor: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The page the caller asked for, checked.
pub fn requested(params: &PageParams, default: u32, max: u32) -> ApiResult<Page> {
    let limit = params.limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be between 1 and {max}"
        )));
    }
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ApiError::InvalidQuery(
                    "cursor is not one this API returned; pass next_cursor from the previous page unchanged".into(),
                )
            })
        })
        .transpose()?;
    Ok(Page { after, limit })
}

/// What to ask the store for: one item more than the page.
pub fn probe(page: Page) -> Page {
    Page {
        limit: page.limit + 1,
        ..page
    }
}

/// The page from what [`probe`] fetched: at most `page.limit` items, each turned into its view,
/// and the cursor of the next page if there is one.
pub fn listing<T, V>(
    mut items: Vec<T>,
    page: Page,
    id: impl Fn(&T) -> i64,
    view: impl FnMut(T) -> V,
) -> Listing<V> {
    let has_more = items.len() > page.limit as usize;
    items.truncate(page.limit as usize);
    let next_cursor = has_more
        .then(|| items.last().map(|item| id(item).to_string()))
        .flatten();
    Listing {
        items: items.into_iter().map(view).collect(),
        next_cursor,
    }
}
