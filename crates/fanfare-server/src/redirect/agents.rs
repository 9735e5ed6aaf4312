//! Who follows a link: a person, a crawler, or a network's link-preview fetcher; and on what
//! device.

use axum::http::Method;
use fanfare_core::link::{Agent, Device};

use super::bot_patterns::BotPatterns;

/// Link-preview fetchers of the networks and messengers: they fetch a shared URL to draw its
/// card. Their user agents, as each network documents them.
const PREVIEW_AGENTS: &[&str] = &[
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "twitterbot",
    "linkedinbot",
    "pinterestbot",
    "pinterest/",
    "redditbot",
    "whatsapp",
    "telegrambot",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "skypeuripreview",
    "bluesky cardyb",
    "mastodon/",
    "threads",
    "iframely",
    "embedly",
    "vkshare",
    "xing-contenttabreceiver",
    "tumblr",
    "google-pagerenderer",
    "applebot",
    // Snapchat's in-app browser says `Snapchat/`: it is a person.
    "snap url preview",
    "viber",
];

/// User agents the classifier remembers (with their device class): a campaign's visitors come
/// with a few thousand distinct browsers, and matching one against the bot patterns costs more
/// than the rest of a redirect's own work.
const REMEMBERED_AGENTS: usize = 4096;

/// Longer user agents are classified every time rather than kept (they are rare, and a client
/// making up huge ones should not fill the memory).
const LONGEST_REMEMBERED_AGENT: usize = 512;

#[derive(Debug)]
pub struct AgentClassifier {
    bots: BotPatterns,
    /// Each user agent's class and device.
    remembered: quick_cache::sync::Cache<String, (Agent, Device)>,
}

impl Default for AgentClassifier {
    fn default() -> Self {
        Self {
            bots: BotPatterns::default(),
            remembered: quick_cache::sync::Cache::new(REMEMBERED_AGENTS),
        }
    }
}

impl AgentClassifier {
    /// Who sent the request, and on what device. A missing user agent and a `HEAD` are not
    /// people; preview fetchers are named as such; the rest is matched against the maintained
    /// pattern list of the `isbot` npm package (`data/isbot/`).
    pub fn classify(&self, method: &Method, user_agent: &str) -> (Agent, Device) {
        match self.by_user_agent(user_agent) {
            (Agent::Human, device) if method == Method::HEAD => (Agent::Bot, device),
            known => known,
        }
    }

    fn by_user_agent(&self, user_agent: &str) -> (Agent, Device) {
        if let Some(known) = self.remembered.get(user_agent) {
            return known;
        }
        let lower = user_agent.to_ascii_lowercase();
        let agent = if PREVIEW_AGENTS.iter().any(|p| lower.contains(p)) {
            Agent::Preview
        } else if user_agent.trim().is_empty() || self.bots.is_bot(user_agent) {
            Agent::Bot
        } else {
            Agent::Human
        };
        let known = (agent, Device::from_user_agent(user_agent));
        if user_agent.len() <= LONGEST_REMEMBERED_AGENT {
            self.remembered.insert(user_agent.to_owned(), known);
        }
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(classifier: &AgentClassifier, user_agent: &str) -> bool {
        classifier.classify(&Method::GET, user_agent).0 == Agent::Human
    }

    /// The share of a corpus classified as wanted, and the agents that were not.
    fn score(corpus: &str, want_counted: bool) -> (f64, Vec<&str>) {
        let classifier = AgentClassifier::default();
        let agents: Vec<&str> = corpus.lines().filter(|line| !line.is_empty()).collect();
        let wrong: Vec<&str> = agents
            .iter()
            .copied()
            .filter(|agent| counted(&classifier, agent) != want_counted)
            .collect();
        let share = 1.0 - wrong.len() as f64 / agents.len() as f64;
        eprintln!(
            "{} of {} as wanted ({:.2} %)",
            agents.len() - wrong.len(),
            agents.len(),
            share * 100.0
        );
        (share, wrong)
    }

    #[test]
    fn crawlers_of_the_public_corpus_are_not_counted() {
        let (share, wrong) = score(
            include_str!("../../tests/fixtures/agents/crawlers.txt"),
            false,
        );
        assert!(
            share >= 0.99,
            "{:.2} % not counted; counted: {wrong:#?}",
            share * 100.0
        );
    }

    #[test]
    fn browsers_of_the_public_corpus_are_counted() {
        let (share, wrong) = score(
            include_str!("../../tests/fixtures/agents/browsers.txt"),
            true,
        );
        assert!(
            share >= 0.98,
            "{:.2} % counted; not counted: {wrong:#?}",
            share * 100.0
        );
    }

    #[test]
    fn agents_the_old_list_counted_as_people_are_not() {
        let classifier = AgentClassifier::default();
        for agent in [
            "Akregator/1.2.9; librss/remnants",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
            "undici",
            "Discourse Forum Onebox v2.6.0.beta2",
            "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
            "Monit/5.23.0",
            "IFTTT-Protocol/v1",
        ] {
            assert!(!counted(&classifier, agent), "{agent} counted as a person");
        }
    }

    #[test]
    fn preview_fetchers_stay_their_own_class() {
        let classifier = AgentClassifier::default();
        for agent in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "WhatsApp/2.23.20.0",
            "TelegramBot (like TwitterBot)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)",
        ] {
            assert_eq!(
                classifier.classify(&Method::GET, agent).0,
                Agent::Preview,
                "{agent}"
            );
        }
    }

    #[test]
    fn people_stay_people_and_head_or_nothing_is_not_a_person() {
        let classifier = AgentClassifier::default();
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(classifier.classify(&Method::GET, firefox).0, Agent::Human);
        assert_eq!(classifier.classify(&Method::HEAD, firefox).0, Agent::Bot);
        assert_eq!(classifier.classify(&Method::GET, "  ").0, Agent::Bot);
    }
}
