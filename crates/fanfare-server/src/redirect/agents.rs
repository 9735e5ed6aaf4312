//! Who follows a link: a person, a crawler, or a network's link-preview fetcher; and on what
//! device.

use axum::http::Method;
use fanfare_core::link::{Agent, Device};

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
    "snapchat",
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
    bots: isbot::Bots,
    /// Each user agent's class and device.
    remembered: quick_cache::sync::Cache<String, (Agent, Device)>,
}

impl Default for AgentClassifier {
    fn default() -> Self {
        Self {
            bots: isbot::Bots::default(),
            remembered: quick_cache::sync::Cache::new(REMEMBERED_AGENTS),
        }
    }
}

impl AgentClassifier {
    /// Who sent the request, and on what device. A missing user agent and a `HEAD` are not
    /// people; preview fetchers are named as such; the rest is matched against the `isbot`
    /// crate's maintained pattern list.
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
