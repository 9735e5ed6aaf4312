//! Cursor pagination shared by every listing: the cursor is the id of the last item seen, passed
//! back unchanged; one item more than asked is fetched to know whether a next page exists.

use fanfare_store::Page;

use crate::error::{ApiError, ApiResult};

/// The page the caller asked for, checked.
pub fn requested(
    limit: Option<u32>,
    cursor: Option<&str>,
    default: u32,
    max: u32,
) -> ApiResult<Page> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be between 1 and {max}"
        )));
    }
    let after = cursor
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

/// The page's items and the cursor of the next page, from what [`probe`] fetched.
pub fn split<T>(mut items: Vec<T>, page: Page, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
    let has_more = items.len() > page.limit as usize;
    items.truncate(page.limit as usize);
    let next = has_more
        .then(|| items.last().map(|item| id(item).to_string()))
        .flatten();
    (items, next)
}
