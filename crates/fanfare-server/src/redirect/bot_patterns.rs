//! The crawler patterns of the `isbot` npm package, kept as data in `data/isbot/` (refreshed by
//! `scripts/refresh-bot-patterns.sh`), matched the way the package matches them: one
//! case-insensitive JavaScript regular expression, true when any pattern matches.
//!
//! Rust's `regex` crate has no lookaround, which a few patterns use (`(?<!cam)scan`), so the list
//! is split: the patterns without lookaround become one `regex` automaton (linear time, and most
//! of the list); the few with lookaround are each a `fancy_regex`, run only when the same pattern
//! with its lookarounds removed (which matches more, never less) matches. A backtracking
//! matcher tried at every position of a 150-byte agent costs microseconds; most agents never
//! reach it.

use serde::Deserialize;

/// The pattern file, as the refresh script writes it.
const PATTERN_FILE: &str = include_str!("../../data/isbot/patterns.json");

#[derive(Deserialize)]
struct PatternFile {
    version: String,
    patterns: Vec<String>,
}

#[derive(Debug)]
pub struct BotPatterns {
    /// The isbot release the patterns come from, for the logs.
    version: String,
    /// Every pattern without lookaround, as one alternation over bytes with ASCII classes:
    /// JavaScript's `\w`, `\d` and `\b` are ASCII.
    plain: regex::bytes::Regex,
    /// The patterns that need lookaround, with their lookarounds removed: a match here is
    /// necessary for a match of the whole pattern.
    lookaround_prefilter: regex::bytes::RegexSet,
    /// The patterns that need lookaround, in the prefilter's order.
    lookaround: Vec<fancy_regex::Regex>,
}

impl Default for BotPatterns {
    fn default() -> Self {
        let file: PatternFile =
            serde_json::from_str(PATTERN_FILE).expect("data/isbot/patterns.json is valid JSON");
        let patterns = Self::from_list(file.version, &file.patterns)
            .expect("data/isbot/patterns.json compiles (checked by a unit test)");
        tracing::debug!(isbot = %patterns.version, "bot patterns loaded");
        patterns
    }
}

impl BotPatterns {
    fn from_list(version: String, patterns: &[String]) -> Result<Self, String> {
        let (fancy, plain): (Vec<String>, Vec<String>) = patterns
            .iter()
            .map(|pattern| from_javascript(pattern))
            .partition(|pattern| needs_lookaround(pattern));
        let alternation = plain
            .iter()
            .map(|pattern| format!("(?:{pattern})"))
            .collect::<Vec<_>>()
            .join("|");
        // The lazy DFA's cache is sized for the whole list: at the default size it is rebuilt
        // over and over on one agent, and a match costs 150 times more.
        let plain = regex::bytes::RegexBuilder::new(&alternation)
            .case_insensitive(true)
            .unicode(false)
            .size_limit(AUTOMATON_BYTES)
            .dfa_size_limit(AUTOMATON_BYTES)
            .build()
            .map_err(|error| error.to_string())?;
        let lookaround_prefilter =
            regex::bytes::RegexSetBuilder::new(fancy.iter().map(|p| without_lookaround(p)))
                .case_insensitive(true)
                .unicode(false)
                .size_limit(AUTOMATON_BYTES)
                .dfa_size_limit(AUTOMATON_BYTES)
                .build()
                .map_err(|error| error.to_string())?;
        let lookaround = fancy
            .iter()
            .map(|pattern| {
                fancy_regex::Regex::new(&format!("(?i){pattern}"))
                    .map_err(|error| format!("{pattern}: {error}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            version,
            plain,
            lookaround_prefilter,
            lookaround,
        })
    }

    /// True when the user agent matches a pattern. A pattern that gives up (fancy_regex's
    /// backtracking limit, on a made-up agent) counts as no match: a person is never turned
    /// into a bot by an error.
    pub fn is_bot(&self, user_agent: &str) -> bool {
        let bytes = user_agent.as_bytes();
        self.plain.is_match(bytes)
            || self
                .lookaround_prefilter
                .matches(bytes)
                .iter()
                .any(|index| self.lookaround[index].is_match(user_agent).unwrap_or(false))
    }
}

/// Room for each automaton: the whole list compiles to about a megabyte.
const AUTOMATON_BYTES: usize = 32 << 20;

const LOOKAROUND_OPENINGS: [&str; 4] = ["(?<=", "(?<!", "(?=", "(?!"];

fn needs_lookaround(pattern: &str) -> bool {
    LOOKAROUND_OPENINGS
        .iter()
        .any(|opening| pattern.contains(opening))
}

/// The pattern with each lookaround group cut out, nested parentheses and escapes included:
/// `(?<!cam)scan` → `scan`. An assertion only ever rules a match out, so what is left matches
/// every text the whole pattern matches.
fn without_lookaround(pattern: &str) -> String {
    let mut kept = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = LOOKAROUND_OPENINGS
        .iter()
        .filter_map(|opening| rest.find(opening))
        .min()
    {
        kept.push_str(&rest[..start]);
        rest = &rest[start + group_length(&rest[start..])..];
    }
    kept.push_str(rest);
    kept
}

/// The length of the parenthesised group `text` starts with (all of `text` if unbalanced).
fn group_length(text: &str) -> usize {
    let mut depth = 0usize;
    let mut in_class = false;
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// The one JavaScript habit of the list that Rust's syntax reads otherwise: a `-` right after a
/// class escape (`[\w\d-.]`) is a literal in JavaScript and a malformed range in Rust. Escaping
/// it is harmless outside a class too.
fn from_javascript(pattern: &str) -> String {
    pattern
        .replace(r"\w-", r"\w\-")
        .replace(r"\d-", r"\d\-")
        .replace(r"\s-", r"\s\-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_compiles_and_splits() {
        let patterns = BotPatterns::default();
        assert!(patterns.version.starts_with("5."), "{}", patterns.version);
        assert!(!patterns.lookaround.is_empty());
    }

    #[test]
    fn lookaround_is_honoured() {
        let patterns = BotPatterns::default();
        assert!(
            patterns.is_bot("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)")
        );
        assert!(patterns.is_bot("SiteScanner/1.0"));
        // `(?<!cam)scan`: the CamScanner app's browser is a person.
        assert!(!patterns.is_bot(
            "Mozilla/5.0 (Linux; Android 14; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) \
             Version/4.0 Chrome/124.0.6367.123 Mobile Safari/537.36 CamScanner/4.8.5.2310271827"
        ));
        // `java(?!;)`
        assert!(patterns.is_bot("Java/1.8.0_151"));
    }

    #[test]
    fn lookarounds_are_cut_out_whole() {
        assert_eq!(without_lookaround("(?<!cam)scan"), "scan");
        assert_eq!(
            without_lookaround("(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))"),
            "google"
        );
        assert_eq!(without_lookaround("java(?!;)"), "java");
        assert_eq!(without_lookaround(r"a(?![)\\)])b"), "ab");
        assert_eq!(
            without_lookaround("(?:^|[^g])news(?!sapphire)"),
            "(?:^|[^g])news"
        );
    }

    #[test]
    fn a_class_hyphen_after_an_escape_is_a_literal() {
        assert_eq!(from_javascript(r"[\w\d-.]+"), r"[\w\d\-.]+");
        let patterns = BotPatterns::from_list("test".into(), &[r"^a[\w\d-.]+$".into()]).unwrap();
        assert!(patterns.is_bot("a-.-"));
        assert!(!patterns.is_bot("a,"));
    }
}
