//! The people who run Fanfare from its console, and what each may do.

use std::fmt;

/// What a console user may do. The server checks the role on every request, so a page hidden
/// from a role is also refused to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything: campaigns, their settings, links, keys, webhooks, users, fans and moderation.
    Admin,
    /// The moderation queue only (and the campaign list that leads to it).
    Moderator,
    /// Reports only: no personal data of fans, no decision, no change.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Moderator, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Moderator => "moderator",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// What the role may do, in a few words, for the console and the CLI's help.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Admin => "everything",
            Self::Moderator => "moderation only",
            Self::Viewer => "reports only",
        }
    }

    /// May change campaigns, links, keys, webhooks and users, and read fans' personal data.
    pub fn can_administer(self) -> bool {
        self == Self::Admin
    }

    /// May approve and reject comments and creations.
    pub fn can_moderate(self) -> bool {
        matches!(self, Self::Admin | Self::Moderator)
    }

    /// May read a campaign's report.
    pub fn can_read_reports(self) -> bool {
        matches!(self, Self::Admin | Self::Viewer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The smallest password a console user may choose. Long rather than complex: length is what
/// resists guessing, and a passphrase is easier to remember than symbols.
pub const PASSWORD_MIN_CHARS: usize = 12;

/// Why a password is refused, if it is.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(format!(
            "the password must have at least {PASSWORD_MIN_CHARS} characters"
        ));
    }
    if password.len() > 1024 {
        return Err("the password must have at most 1024 bytes".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_ones_are_refused() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn each_role_may_do_what_it_says_and_no_more() {
        assert!(Role::Admin.can_administer() && Role::Admin.can_moderate());
        assert!(Role::Admin.can_read_reports());
        assert!(!Role::Moderator.can_administer() && Role::Moderator.can_moderate());
        assert!(!Role::Moderator.can_read_reports());
        assert!(!Role::Viewer.can_administer() && !Role::Viewer.can_moderate());
        assert!(Role::Viewer.can_read_reports());
    }

    #[test]
    fn passwords_are_long_but_not_unbounded() {
        assert!(check_password("short").is_err());
        assert!(check_password("eleven char").is_err());
        assert!(check_password("twelve chars").is_ok());
        assert!(check_password(&"é".repeat(12)).is_ok());
        assert!(check_password(&"x".repeat(1025)).is_err());
    }
}
