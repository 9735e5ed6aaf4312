//! Every stable error code of Fanfare's API, declared once, with the HTTP status it answers and
//! a default message. Clients and tests match on the code; the message a response carries says
//! more about the case at hand where there is more to say, and is the default one otherwise.
//!
//! One exception to "one code, one status": a value in the URL's path that fails validation
//! answers 400 with its validation code (the URL is at fault, not the body), where the same
//! value in a body answers the code's own 422.

use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $message:literal;)*) => {
        /// A stable error code (`invalid_slug`, `campaign_not_found`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it is sent: `{"error": {"code": "…"}}`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The HTTP status of a response with this code.
            pub fn status(self) -> u16 {
                match self {
                    $(Self::$variant => $status,)*
                }
            }

            /// What the code means, for a person.
            pub fn default_message(self) -> &'static str {
                match self {
                    $(Self::$variant => $message,)*
                }
            }
        }
    };
}

error_codes! {
    // The request itself.
    InvalidJson = "invalid_json", 400, "the body is not valid JSON";
    InvalidQuery = "invalid_query", 400, "a query parameter is malformed";
    InvalidPath = "invalid_path", 400, "a value in the URL's path is malformed";
    InvalidBody = "invalid_body", 422, "the JSON has the wrong shape: a wrong type, an unknown or a missing field";
    UnsupportedMediaType = "unsupported_media_type", 415, "send the body as JSON with the header Content-Type: application/json";
    PayloadTooLarge = "payload_too_large", 413, "the request body is too large";
    MethodNotAllowed = "method_not_allowed", 405, "this method is not allowed on this path; see /api/openapi.json";

    // Who is asking.
    MissingApiKey = "missing_api_key", 401, "this endpoint needs an API key: send Authorization: Bearer <key> (create one with `fanfare admin create-key --name NAME`)";
    InvalidApiKey = "invalid_api_key", 401, "the API key is not valid: check that it was copied whole, or create a new one";
    RevokedApiKey = "revoked_api_key", 401, "this API key was revoked: use another key";
    MissingMemberToken = "missing_member_token", 401, "send the member token you got when joining: Authorization: Bearer <token>";
    InvalidMemberToken = "invalid_member_token", 401, "this member token is not valid for this campaign (unknown, or the fan has left)";
    OriginNotAllowed = "origin_not_allowed", 403, "a browser call from a site outside the campaign's allowed domains";
    RateLimited = "rate_limited", 429, "too many requests from this visitor; see Retry-After";

    // A field's value (the response names the field).
    InvalidSlug = "invalid_slug", 422, "a slug is 3 to 64 lowercase letters, digits and single hyphens";
    InvalidKind = "invalid_kind", 422, "the campaign kind is brand, message or product";
    InvalidUrl = "invalid_url", 422, "the value must be an absolute http(s) URL";
    InvalidDomain = "invalid_domain", 422, "the value must be a domain name";
    InvalidColor = "invalid_color", 422, "a colour is written #rrggbb, like #b0124f";
    InvalidHashtag = "invalid_hashtag", 422, "a hashtag is letters, digits and underscores";
    InvalidChannel = "invalid_channel", 422, "the channel is not one Fanfare knows";
    InvalidEmail = "invalid_email", 422, "the e-mail address is not valid or not deliverable";
    InvalidCharacters = "invalid_characters", 422, "the text holds control or bidirectional-override characters";
    EmptyText = "empty_text", 422, "the text is empty";
    TextTooLong = "text_too_long", 422, "the text is too long";
    RequiredField = "required_field", 422, "the field cannot be removed";
    TooManyItems = "too_many_items", 422, "the list has too many items";
    EmptyAllowedDomains = "empty_allowed_domains", 422, "a campaign needs at least one allowed domain";
    EmptyChannels = "empty_channels", 422, "a campaign needs at least one channel";
    LandingUrlNotAllowed = "landing_url_not_allowed", 422, "the landing URL must be within the allowed domains";
    TargetNotAllowed = "target_not_allowed", 422, "the link's target must be within the campaign's allowed domains";
    UrlNotPublic = "url_not_public", 422, "the URL's host is a loopback, private, link-local or metadata address, which Fanfare does not post to unless its operator allows it";
    UrlNotAllowed = "url_not_allowed", 422, "the campaign accepts links on its own domains only";
    InvalidLevels = "invalid_levels", 422, "the levels must start at 0 and rise";
    InvalidThreshold = "invalid_threshold", 422, "a milestone's threshold must be a positive number of fans";
    InvalidReaction = "invalid_reaction", 422, "the reaction is not one Fanfare knows";
    InvalidTarget = "invalid_target", 422, "the reaction's target is not an approved creation of this campaign";
    InvalidDecision = "invalid_decision", 422, "a moderation decision is approve or reject";
    InvalidRole = "invalid_role", 422, "a role is admin, moderator or viewer";
    WeakPassword = "weak_password", 422, "a password has at least 12 characters (and at most 1,024 bytes)";
    PasswordMismatch = "password_mismatch", 422, "the two new passwords differ";
    WrongPassword = "wrong_password", 422, "the current password is not the right one";
    InvalidEvents = "invalid_events", 422, "the webhook events are not ones Fanfare sends";
    UnexpectedField = "unexpected_field", 422, "the field does not go with this kind of request";
    ConflictingFields = "conflicting_fields", 422, "two fields were sent that do not go together";
    UrlOrHtml = "url_or_html", 422, "send either a URL or HTML, not both and not neither";
    TooManyWebhooks = "too_many_webhooks", 422, "the campaign has as many webhooks as it may";
    FetchRefused = "fetch_refused", 422, "the page to audit is not on the public web (or not http(s)): it was not fetched";
    PageUnreadable = "page_unreadable", 422, "the page to audit could not be fetched or read";

    // What the request is about.
    NotFound = "not_found", 404, "there is no endpoint at this path; see /api/openapi.json";
    CampaignNotFound = "campaign_not_found", 404, "there is no campaign with this slug";
    FanNotFound = "fan_not_found", 404, "the campaign has no fan with this ref code";
    LinkNotFound = "link_not_found", 404, "the campaign has no link with this key";
    WebhookNotFound = "webhook_not_found", 404, "the campaign has no webhook with this id";
    ReactionNotFound = "reaction_not_found", 404, "the fan has no such reaction";
    InteractionNotFound = "interaction_not_found", 404, "the campaign has no such comment or creation";
    NoLongerExists = "no_longer_exists", 404, "what this request refers to was deleted while it was being answered";
    SlugTaken = "slug_taken", 409, "another campaign has this slug";
    EmailTaken = "email_taken", 409, "another user has this e-mail address";
    LastAdministrator = "last_administrator", 409, "Fanfare keeps at least one administrator: make someone else one first";

    // The server.
    DatabaseUnavailable = "database_unavailable", 503, "the database is not reachable right now; retry in a few seconds";
    Overloaded = "overloaded", 503, "the server is too busy to record this click; retry in a second";
    InternalError = "internal_error", 500, "an internal error occurred; it was logged for the operator";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_code_is_declared_once_and_sent_as_declared() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str()),
                "{code:?} serializes differently from its table entry"
            );
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code} is not snake_case"
            );
            assert!(
                (400..600).contains(&code.status()),
                "{code}: {}",
                code.status()
            );
            assert!(!code.default_message().is_empty(), "{code}");
        }
    }
}
