//! Appropriation: what fans do with the message (react, comment, create), how it is moderated,
//! and how each fan's engagement is scored, levelled and ranked.
//!
//! The formulas, documented here and in the README, are part of the contract:
//! - **engagement score** (in the spirit of the Orbit model's "love" for activity and "reach"
//!   for influence) = 1 × reactions + 3 × comments + 10 × approved creations
//!   + 5 × fans referred directly + 2 × fans reached further down;
//! - **hot** ranking of creations = (reactions + 1) / (age in hours + 2)^1.5 (the decay of
//!   Hacker News' ranking);
//! - **leaderboard**: by fans referred directly, then by reach (all generations below), then by
//!   who joined first. Flagged fans neither appear nor count, and neither do the fans below them
//!   (they arrived through a link that was abused).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::validation::{ValidationError, clean_text};

pub const COMMENT_MAX_CHARS: usize = 2000;
pub const DISPLAY_NAME_MAX_CHARS: usize = 80;
const MAX_RULE_ITEMS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Reaction {
    Like,
    Love,
    Wow,
    Clap,
}

impl Reaction {
    pub const ALL: [Reaction; 4] = [Self::Like, Self::Love, Self::Wow, Self::Clap];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Like => "like",
            Self::Love => "love",
            Self::Wow => "wow",
            Self::Clap => "clap",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum InteractionKind {
    Reaction,
    Comment,
    Creation,
}

impl InteractionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reaction => "reaction",
            Self::Comment => "comment",
            Self::Creation => "creation",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Reaction, Self::Comment, Self::Creation]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// Where an interaction stands. Reactions and unmoderated comments are `published` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Published,
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Published,
            Self::Pending,
            Self::Approved,
            Self::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    /// Whether the public may see it.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Published | Self::Approved)
    }
}

/// Which links a creation may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreationLinks {
    /// Any `https` URL (the default: fans host their photos and videos anywhere).
    #[default]
    AnyHttps,
    /// Only URLs on the campaign's allowed domains.
    AllowedDomains,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    pub min_score: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Fans referred directly (flagged ones left out).
    pub threshold: u64,
    pub reward: String,
}

/// A campaign's rules for appropriation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct EngagementSettings {
    /// Comments wait for a moderator like creations do.
    pub moderate_comments: bool,
    pub creation_links: CreationLinks,
    /// Words (case-insensitive) that reject a comment or creation automatically.
    pub blocked_words: Vec<String>,
    /// Ref codes of fans whose comments and creations are approved automatically.
    pub trusted_fans: Vec<String>,
    /// Ref codes of fans whose comments and creations are rejected automatically.
    pub blocked_fans: Vec<String>,
    /// Levels by engagement score, lowest first.
    pub levels: Vec<Level>,
    pub milestones: Vec<Milestone>,
}

impl Default for EngagementSettings {
    fn default() -> Self {
        Self {
            moderate_comments: false,
            creation_links: CreationLinks::AnyHttps,
            blocked_words: Vec::new(),
            trusted_fans: Vec::new(),
            blocked_fans: Vec::new(),
            levels: vec![
                Level {
                    name: "newcomer".into(),
                    min_score: 0,
                },
                Level {
                    name: "contributor".into(),
                    min_score: 10,
                },
                Level {
                    name: "ambassador".into(),
                    min_score: 30,
                },
                Level {
                    name: "champion".into(),
                    min_score: 100,
                },
            ],
            milestones: Vec::new(),
        }
    }
}

impl EngagementSettings {
    /// Checks what JSON alone cannot: sizes, names, ordering.
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        for (field, list) in [
            ("blocked_words", &self.blocked_words),
            ("trusted_fans", &self.trusted_fans),
            ("blocked_fans", &self.blocked_fans),
        ] {
            if list.len() > MAX_RULE_ITEMS {
                return Err(ValidationError::new(
                    field,
                    ErrorCode::TooManyItems,
                    format!("{field} has {} items; at most {MAX_RULE_ITEMS}", list.len()),
                ));
            }
        }
        self.blocked_words = self
            .blocked_words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                clean_text(&format!("blocked_words[{i}]"), w, 100, false).map(|w| w.to_lowercase())
            })
            .collect::<Result<_, _>>()?;
        if self.levels.is_empty() || self.levels.len() > 20 {
            return Err(ValidationError::new(
                "levels",
                ErrorCode::InvalidLevels,
                "levels needs 1 to 20 entries, the first with min_score 0",
            ));
        }
        for (i, level) in self.levels.iter_mut().enumerate() {
            level.name = clean_text(&format!("levels[{i}].name"), &level.name, 40, false)?;
        }
        let ascending = self
            .levels
            .windows(2)
            .all(|w| w[0].min_score < w[1].min_score);
        if self.levels[0].min_score != 0 || !ascending {
            return Err(ValidationError::new(
                "levels",
                ErrorCode::InvalidLevels,
                "levels must start at min_score 0 and rise strictly",
            ));
        }
        if self.milestones.len() > 20 {
            return Err(ValidationError::new(
                "milestones",
                ErrorCode::TooManyItems,
                "at most 20 milestones",
            ));
        }
        for (i, m) in self.milestones.iter_mut().enumerate() {
            m.reward = clean_text(&format!("milestones[{i}].reward"), &m.reward, 200, false)?;
            if m.threshold == 0 {
                return Err(ValidationError::new(
                    format!("milestones[{i}].threshold"),
                    ErrorCode::InvalidThreshold,
                    "a milestone's threshold is at least 1 fan",
                ));
            }
        }
        self.milestones.sort_by_key(|m| m.threshold);
        if self
            .milestones
            .windows(2)
            .any(|w| w[0].threshold == w[1].threshold)
        {
            return Err(ValidationError::new(
                "milestones",
                ErrorCode::InvalidThreshold,
                "two milestones share a threshold",
            ));
        }
        Ok(self)
    }

    /// The automatic decision for a comment or creation, before any moderator: the status and
    /// the reason when a rule decided.
    pub fn moderate(
        &self,
        kind: InteractionKind,
        texts: &[&str],
        ref_code: &str,
    ) -> (Status, Option<String>) {
        if self.blocked_fans.iter().any(|f| f == ref_code) {
            return (Status::Rejected, Some("blocked fan".into()));
        }
        let lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
        if let Some(word) = self
            .blocked_words
            .iter()
            .find(|w| lowered.iter().any(|t| t.contains(w.as_str())))
        {
            return (Status::Rejected, Some(format!("blocked word: {word}")));
        }
        let moderated = kind == InteractionKind::Creation
            || (kind == InteractionKind::Comment && self.moderate_comments);
        if !moderated {
            return (Status::Published, None);
        }
        if self.trusted_fans.iter().any(|f| f == ref_code) {
            return (Status::Approved, Some("trusted fan".into()));
        }
        (Status::Pending, None)
    }

    /// The level of a score: the highest whose minimum it reaches.
    pub fn level(&self, score: u64) -> &str {
        self.levels
            .iter()
            .rev()
            .find(|l| score >= l.min_score)
            .map_or("", |l| l.name.as_str())
    }
}

/// A comment's or creation's text.
pub fn parse_body(value: &str) -> Result<String, ValidationError> {
    clean_text("body", value, COMMENT_MAX_CHARS, true)
}

pub fn parse_display_name(value: &str) -> Result<String, ValidationError> {
    clean_text("display_name", value, DISPLAY_NAME_MAX_CHARS, false)
}

/// What a fan did, counted, for their score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub reactions: u64,
    pub comments: u64,
    pub approved_creations: u64,
}

pub fn engagement_score(activity: Activity, referred: u64, reach: u64) -> u64 {
    activity.reactions
        + 3 * activity.comments
        + 10 * activity.approved_creations
        + 5 * referred
        + 2 * reach.saturating_sub(referred)
}

pub fn hot_score(reactions: u64, created_at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let hours = (now - created_at).num_seconds().max(0) as f64 / 3600.0;
    (reactions as f64 + 1.0) / (hours + 2.0).powf(1.5)
}

/// One fan in the referral forest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i64,
    pub referrer_id: Option<i64>,
    pub flagged: bool,
}

/// Fans referred directly and fans reached over all generations, per fan id. Fans are
/// processed from the newest to the oldest: a referrer always joined before the fans it
/// referred, so every subtree is complete when its root is reached. O(n).
pub fn referral_counts(nodes: &[Node]) -> std::collections::HashMap<i64, (u64, u64)> {
    let mut counts: std::collections::HashMap<i64, (u64, u64)> =
        nodes.iter().map(|n| (n.id, (0, 0))).collect();
    let mut sorted: Vec<&Node> = nodes.iter().collect();
    sorted.sort_by_key(|n| std::cmp::Reverse(n.id));
    for node in sorted {
        if node.flagged {
            continue;
        }
        let below = counts.get(&node.id).map_or(0, |c| c.1);
        if let Some(parent) = node.referrer_id.and_then(|p| counts.get_mut(&p)) {
            parent.0 += 1;
            parent.1 += below + 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, referrer_id: Option<i64>, flagged: bool) -> Node {
        Node {
            id,
            referrer_id,
            flagged,
        }
    }

    #[test]
    fn referral_counts_by_hand() {
        // 1 ─ 2 ─ 4 ─ 6
        //   └ 3   └ 5 (flagged) ─ 7
        let nodes = [
            node(1, None, false),
            node(2, Some(1), false),
            node(3, Some(1), false),
            node(4, Some(2), false),
            node(5, Some(2), true),
            node(6, Some(4), false),
            node(7, Some(5), false),
        ];
        let c = referral_counts(&nodes);
        assert_eq!(c[&1], (2, 4), "2, 3, 4, 6");
        assert_eq!(c[&2], (1, 2), "4 and 6; not the flagged 5 nor 7 below it");
        assert_eq!(c[&4], (1, 1));
        assert_eq!(c[&6], (0, 0));
    }

    #[test]
    fn scores_and_levels() {
        let s = EngagementSettings::default();
        let a = Activity {
            reactions: 2,
            comments: 1,
            approved_creations: 1,
        };
        assert_eq!(engagement_score(a, 2, 5), 2 + 3 + 10 + 10 + 6);
        assert_eq!(s.level(0), "newcomer");
        assert_eq!(s.level(10), "contributor");
        assert_eq!(s.level(31), "ambassador");
        assert_eq!(s.level(1000), "champion");
    }

    #[test]
    fn moderation_rules_in_order() {
        let s = EngagementSettings {
            blocked_words: vec!["spam".into()],
            trusted_fans: vec!["TRUSTED123".into()],
            blocked_fans: vec!["BLOCKED123".into()],
            ..Default::default()
        };
        use InteractionKind::*;
        assert_eq!(
            s.moderate(Comment, &["hello"], "ANYONE1234").0,
            Status::Published
        );
        assert_eq!(
            s.moderate(Creation, &["my photo"], "ANYONE1234").0,
            Status::Pending
        );
        assert_eq!(
            s.moderate(Creation, &["my photo"], "TRUSTED123").0,
            Status::Approved
        );
        assert_eq!(
            s.moderate(Comment, &["Buy SPAM now"], "TRUSTED123").0,
            Status::Rejected
        );
        assert_eq!(
            s.moderate(Comment, &["hello"], "BLOCKED123").0,
            Status::Rejected
        );
        let moderated = EngagementSettings {
            moderate_comments: true,
            ..Default::default()
        };
        assert_eq!(
            moderated.moderate(Comment, &["hello"], "ANYONE1234").0,
            Status::Pending
        );
    }

    #[test]
    fn settings_are_validated() {
        let bad_levels = EngagementSettings {
            levels: vec![Level {
                name: "a".into(),
                min_score: 5,
            }],
            ..Default::default()
        };
        assert_eq!(
            bad_levels.validate().unwrap_err().code,
            ErrorCode::InvalidLevels
        );
        let dup = EngagementSettings {
            milestones: vec![
                Milestone {
                    threshold: 3,
                    reward: "a".into(),
                },
                Milestone {
                    threshold: 3,
                    reward: "b".into(),
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            dup.validate().unwrap_err().code,
            ErrorCode::InvalidThreshold
        );
        let ok = EngagementSettings {
            milestones: vec![
                Milestone {
                    threshold: 10,
                    reward: "mug".into(),
                },
                Milestone {
                    threshold: 3,
                    reward: "sticker".into(),
                },
            ],
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.milestones[0].threshold, 3, "sorted");
    }

    #[test]
    fn hot_prefers_recent_and_loved() {
        let now = Utc::now();
        let fresh = hot_score(0, now, now);
        let old_loved = hot_score(10, now - chrono::Duration::hours(48), now);
        let fresh_loved = hot_score(10, now, now);
        assert!(fresh_loved > fresh && fresh_loved > old_loved);
    }
}
