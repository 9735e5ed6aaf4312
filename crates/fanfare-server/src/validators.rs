//! HTTP validators of what the server serves from memory (the widget's scripts, the share
//! card): an ETag from the bytes, and whether a request's `If-None-Match` already holds it.

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

/// A strong ETag: the first 8 bytes of the SHA-256 of `bytes`, in hex.
pub(crate) fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    // Quoted hex is always a valid header value.
    HeaderValue::from_str(&format!("\"{tag}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether the client already has `etag` (`If-None-Match` lists it, weak or not, or is `*`):
/// the answer is then a `304`.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or("");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_weak_or_wildcard_tag_is_not_modified() {
        let etag = etag_of(b"fanfare");
        assert_eq!(etag.len(), 18, "{etag:?}");
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, &etag));
        for sent in [
            etag.to_str().unwrap().to_owned(),
            format!("W/{}", etag.to_str().unwrap()),
            format!("\"nope\", {}", etag.to_str().unwrap()),
            "*".to_owned(),
        ] {
            headers.insert(header::IF_NONE_MATCH, sent.parse().unwrap());
            assert!(not_modified(&headers, &etag), "{sent}");
        }
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"0000\""));
        assert!(!not_modified(&headers, &etag));
    }
}
