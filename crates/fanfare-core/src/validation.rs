//! What a caller gets back when a field is wrong: which field, a stable code, and a message that
//! says how to fix it. The server turns this into its JSON error shape unchanged.

use std::fmt;

use crate::error_code::ErrorCode;

/// One rejected input field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The name of the field as the caller sent it (`landing_url`, `allowed_domains[2]`, …).
    pub field: String,
    /// A stable code that clients and tests can match on (see [`ErrorCode`]).
    pub code: ErrorCode,
    /// What went wrong and how to fix it, written for a person.
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// The same error, reported for an element of a list field (`allowed_domains[2]`).
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        self.field = format!("{}[{index}]", self.field);
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Characters that are invisible or reorder text: they let a title look like something else
/// (bidirectional overrides) or break logs and CSV exports (C0/C1 controls).
fn is_forbidden_char(c: char, allow_line_breaks: bool) -> bool {
    if allow_line_breaks && matches!(c, '\n' | '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Free text a person typed (a title, a description, a key name): trimmed, non-empty, at most
/// `max_chars` characters, and without control or bidirectional-override characters. Markup is
/// not rejected: it is stored as text and escaped wherever it is shown.
pub(crate) fn clean_text(
    field: &str,
    value: &str,
    max_chars: usize,
    allow_line_breaks: bool,
) -> Result<String, ValidationError> {
    let value = if allow_line_breaks {
        // A pasted description often comes with Windows line endings.
        value.trim().replace("\r\n", "\n")
    } else {
        value.trim().to_owned()
    };
    if value.is_empty() {
        return Err(ValidationError::new(
            field,
            ErrorCode::EmptyText,
            format!("{field} is empty: send some text, or leave the field out"),
        ));
    }
    let count = value.chars().count();
    if count > max_chars {
        return Err(ValidationError::new(
            field,
            ErrorCode::TextTooLong,
            format!("{field} has {count} characters; at most {max_chars} are allowed"),
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|&c| is_forbidden_char(c, allow_line_breaks))
    {
        let allowed = if allow_line_breaks {
            " (line breaks and tabs are fine)"
        } else {
            ""
        };
        return Err(ValidationError::new(
            field,
            ErrorCode::InvalidCharacters,
            format!(
                "{field} contains the invisible or control character U+{:04X}; remove it{allowed}",
                bad as u32
            ),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_kept_as_typed() {
        assert_eq!(
            clean_text("title", "  <b>Hi</b> & co ", 50, false).as_deref(),
            Ok("<b>Hi</b> & co")
        );
    }

    #[test]
    fn blank_text_is_rejected() {
        let err = clean_text("title", " \t ", 50, false).unwrap_err();
        assert_eq!(err.code, ErrorCode::EmptyText);
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(clean_text("title", &"é".repeat(10), 10, false).is_ok());
        let err = clean_text("title", &"é".repeat(11), 10, false).unwrap_err();
        assert_eq!(err.code, ErrorCode::TextTooLong);
    }

    #[test]
    fn control_and_bidi_override_characters_are_rejected() {
        for hostile in [
            "a\u{0}b",
            "a\u{1b}[31mb",
            "pay\u{202E}lasp",
            "a\rb",
            "a\u{85}b",
        ] {
            let err = clean_text("title", hostile, 50, false).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidCharacters, "{hostile:?}");
        }
    }

    #[test]
    fn line_breaks_only_where_allowed() {
        assert!(clean_text("title", "a\nb", 50, false).is_err());
        assert_eq!(
            clean_text("description", "a\r\nb\tc", 50, true).as_deref(),
            Ok("a\nb\tc")
        );
    }
}
