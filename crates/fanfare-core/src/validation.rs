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

/// Characters that take no room: zero-width spaces and joiners, the word joiner, the byte-order
/// mark. Inside a word they can be legitimate (a joiner inside an emoji sequence); at the edges,
/// or making up all of a text, they only make a name that looks empty.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || is_zero_width(c)
}

/// Free text a person typed (a title, a description, a key name): trimmed (of zero-width
/// characters too), holding a visible character, at most
/// `max_chars` characters, and without control or bidirectional-override characters. Markup is
/// not rejected: it is stored as text and escaped wherever it is shown.
pub(crate) fn clean_text(
    field: &str,
    value: &str,
    max_chars: usize,
    allow_line_breaks: bool,
) -> Result<String, ValidationError> {
    let value = value.trim_matches(is_blank);
    let value = if allow_line_breaks {
        // A pasted description often comes with Windows line endings.
        value.replace("\r\n", "\n")
    } else {
        value.to_owned()
    };
    if value.chars().all(is_blank) {
        return Err(ValidationError::new(
            field,
            ErrorCode::EmptyText,
            format!(
                "{field} is empty or holds only invisible characters: send some text, or leave \
                 the field out"
            ),
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
    fn invisible_text_is_blank_text() {
        for invisible in [
            "\u{200B}",
            "\u{FEFF}\u{200B} \u{2060}",
            " \u{200D}\u{200C} ",
        ] {
            let err = clean_text("name", invisible, 50, false).unwrap_err();
            assert_eq!(err.code, ErrorCode::EmptyText, "{invisible:?}");
        }
        // Stripped at the edges, kept inside (a joiner inside an emoji sequence is the emoji).
        assert_eq!(
            clean_text("name", "\u{FEFF}Ada\u{200B}", 50, false).as_deref(),
            Ok("Ada")
        );
        let coder = "\u{1F469}\u{200D}\u{1F4BB}";
        assert_eq!(clean_text("name", coder, 50, false).as_deref(), Ok(coder));
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
