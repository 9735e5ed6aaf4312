//! HTML for the pages Fanfare serves itself.

/// Escapes text for an HTML text node or a quoted attribute value.
pub fn escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
