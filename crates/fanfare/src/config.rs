//! Configuration, layered: built-in defaults, then `fanfare.toml`, then `FANFARE_*` environment
//! variables, then command-line flags (later wins). Each effective value remembers where it came
//! from, so `fanfare config` can say why a setting is what it is.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ArgMatches;
use clap::parser::ValueSource;
use fanfare_core::link::Channel;
use fanfare_server::http_header as axum_header;
use serde::Deserialize;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://fanfare.db";
pub const DEFAULT_LOG: &str = "info";
pub const DEFAULT_CONFIG_FILE: &str = "fanfare.toml";
pub const DEFAULT_JOIN_BURST_LIMIT: u32 = 5;
pub const DEFAULT_NETWORK_JOIN_LIMIT: u32 = 20;
pub const DEFAULT_NETWORK_REFERRAL_LIMIT: u32 = 3;
pub const DEFAULT_PUBLIC_RATE_LIMIT: u32 = 60;
pub const DEFAULT_LINK_CACHE_SIZE: u32 = 100_000;
pub const DEFAULT_CLICK_QUEUE: u32 = 10_000;
pub const DEFAULT_INTERACTIONS_PER_MINUTE: u32 = 20;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(&'static str),
    Flag(&'static str),
    /// Derived from another setting (the base URL from the bind address).
    Derived(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Env(name) => write!(f, "environment {name}"),
            Self::Flag(name) => write!(f, "flag {name}"),
            Self::Derived(from) => write!(f, "derived from {from}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// The keys `fanfare.toml` may hold; anything else is a typo and an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    base_url: Option<String>,
    database_url: Option<String>,
    log: Option<String>,
    trusted_proxy_header: Option<String>,
    join_burst_limit: Option<u32>,
    network_join_limit: Option<u32>,
    network_referral_limit: Option<u32>,
    public_rate_limit: Option<u32>,
    link_cache_size: Option<u32>,
    click_queue: Option<u32>,
    interactions_per_minute: Option<u32>,
    /// Formerly `audit_allow_private`, still read.
    #[serde(alias = "audit_allow_private")]
    allow_private_addresses: Option<bool>,
    /// `channel = "https://…{url}…"`: replaces that channel's built-in share intent.
    share_templates: Option<BTreeMap<String, String>>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub config_file: Option<PathBuf>,
    pub bind: Setting<SocketAddr>,
    /// `None` until known: by default it is `http://<the address actually bound>`.
    pub base_url: Option<Setting<url::Url>>,
    pub database_url: Setting<String>,
    pub log: Setting<String>,
    /// `None`: the TCP peer is the client.
    pub trusted_proxy_header: Setting<Option<axum_header::HeaderName>>,
    pub join_burst_limit: Setting<u32>,
    pub network_join_limit: Setting<u32>,
    pub network_referral_limit: Setting<u32>,
    pub public_rate_limit: Setting<u32>,
    pub link_cache_size: Setting<u32>,
    pub click_queue: Setting<u32>,
    pub interactions_per_minute: Setting<u32>,
    /// Audits may fetch from loopback, private and link-local addresses.
    pub allow_private_addresses: Setting<bool>,
    /// From `fanfare.toml` only (a table does not fit a flag).
    pub share_templates: BTreeMap<Channel, String>,
}

/// One layered setting: the names it goes by in each layer.
struct Key {
    arg: &'static str,
    flag: &'static str,
    env: &'static str,
}

const BIND: Key = Key {
    arg: "bind",
    flag: "--bind",
    env: "FANFARE_BIND",
};
const BASE_URL: Key = Key {
    arg: "base_url",
    flag: "--base-url",
    env: "FANFARE_BASE_URL",
};
const DATABASE_URL: Key = Key {
    arg: "database_url",
    flag: "--database-url",
    env: "FANFARE_DATABASE_URL",
};
const LOG: Key = Key {
    arg: "log",
    flag: "--log",
    env: "FANFARE_LOG",
};
const TRUSTED_PROXY_HEADER: Key = Key {
    arg: "trusted_proxy_header",
    flag: "--trusted-proxy-header",
    env: "FANFARE_TRUSTED_PROXY_HEADER",
};
const JOIN_BURST_LIMIT: Key = Key {
    arg: "join_burst_limit",
    flag: "--join-burst-limit",
    env: "FANFARE_JOIN_BURST_LIMIT",
};
const NETWORK_JOIN_LIMIT: Key = Key {
    arg: "network_join_limit",
    flag: "--network-join-limit",
    env: "FANFARE_NETWORK_JOIN_LIMIT",
};
const NETWORK_REFERRAL_LIMIT: Key = Key {
    arg: "network_referral_limit",
    flag: "--network-referral-limit",
    env: "FANFARE_NETWORK_REFERRAL_LIMIT",
};
const PUBLIC_RATE_LIMIT: Key = Key {
    arg: "public_rate_limit",
    flag: "--public-rate-limit",
    env: "FANFARE_PUBLIC_RATE_LIMIT",
};
const LINK_CACHE_SIZE: Key = Key {
    arg: "link_cache_size",
    flag: "--link-cache-size",
    env: "FANFARE_LINK_CACHE_SIZE",
};
const CLICK_QUEUE: Key = Key {
    arg: "click_queue",
    flag: "--click-queue",
    env: "FANFARE_CLICK_QUEUE",
};
const ALLOW_PRIVATE_ADDRESSES: Key = Key {
    arg: "allow_private_addresses",
    flag: "--allow-private-addresses",
    env: "FANFARE_ALLOW_PRIVATE_ADDRESSES",
};
/// The environment variable's former name, still read when the new one is not set.
const FORMER_ALLOW_PRIVATE_ENV: &str = "FANFARE_AUDIT_ALLOW_PRIVATE";
const INTERACTIONS_PER_MINUTE: Key = Key {
    arg: "interactions_per_minute",
    flag: "--interactions-per-minute",
    env: "FANFARE_INTERACTIONS_PER_MINUTE",
};
const CONFIG: Key = Key {
    arg: "config",
    flag: "--config",
    env: "FANFARE_CONFIG",
};

/// The value clap saw for `key` (flag or environment, clap already ranks them), with its source.
fn from_args(matches: &ArgMatches, key: &Key) -> Option<Setting<String>> {
    let value = matches.get_one::<String>(key.arg)?.clone();
    let source = match matches.value_source(key.arg)? {
        ValueSource::EnvVariable => Source::Env(key.env),
        ValueSource::CommandLine => Source::Flag(key.flag),
        _ => return None,
    };
    Some(Setting { value, source })
}

fn layered(
    matches: &ArgMatches,
    key: &Key,
    file_value: Option<String>,
    file: &Option<PathBuf>,
) -> Option<Setting<String>> {
    from_args(matches, key).or_else(|| {
        file_value.map(|value| Setting {
            value,
            source: Source::File(file.clone().unwrap_or_default()),
        })
    })
}

impl Config {
    /// Builds the configuration from parsed command-line matches (which carry the environment).
    pub fn load(matches: &ArgMatches) -> anyhow::Result<Self> {
        let (config_file, file) = match from_args(matches, &CONFIG) {
            Some(explicit) => {
                let path = PathBuf::from(explicit.value);
                let file = read_file(&path).with_context(|| {
                    format!(
                        "cannot use the configuration file given by {}",
                        explicit.source
                    )
                })?;
                (Some(path), file)
            }
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                let path = PathBuf::from(DEFAULT_CONFIG_FILE);
                let file = read_file(&path)?;
                (Some(path), file)
            }
            None => (None, FileConfig::default()),
        };

        let bind = layered(matches, &BIND, file.bind, &config_file).unwrap_or(Setting {
            value: DEFAULT_BIND.to_owned(),
            source: Source::Default,
        });
        let bind = Setting {
            value: bind.value.parse::<SocketAddr>().with_context(|| {
                format!(
                    "the bind address {:?} (from {}) is not IP:PORT, like 127.0.0.1:8080 or 0.0.0.0:80",
                    bind.value, bind.source
                )
            })?,
            source: bind.source,
        };

        let base_url = layered(matches, &BASE_URL, file.base_url, &config_file)
            .map(|s| -> anyhow::Result<_> {
                Ok(Setting {
                    value: parse_base_url(&s.value)
                        .with_context(|| format!("the base URL from {} is not usable", s.source))?,
                    source: s.source,
                })
            })
            .transpose()?;

        let database_url = layered(matches, &DATABASE_URL, file.database_url, &config_file)
            .unwrap_or(Setting {
                value: DEFAULT_DATABASE_URL.to_owned(),
                source: Source::Default,
            });

        let log = layered(matches, &LOG, file.log, &config_file).unwrap_or(Setting {
            value: DEFAULT_LOG.to_owned(),
            source: Source::Default,
        });
        tracing_subscriber::EnvFilter::try_new(&log.value).with_context(|| {
            format!(
                "the log filter {:?} (from {}) is not valid; use a level (error, warn, info, debug, trace) or directives like \"info,fanfare_server=debug\"",
                log.value, log.source
            )
        })?;

        let trusted_proxy_header =
            match layered(matches, &TRUSTED_PROXY_HEADER, file.trusted_proxy_header, &config_file) {
                None => Setting {
                    value: None,
                    source: Source::Default,
                },
                Some(s) => Setting {
                    value: Some(axum_header::HeaderName::from_bytes(s.value.trim().as_bytes()).with_context(|| {
                        format!(
                            "the trusted proxy header {:?} (from {}) is not a header name, like X-Forwarded-For",
                            s.value, s.source
                        )
                    })?),
                    source: s.source,
                },
            };
        let join_burst_limit = number(
            matches,
            &JOIN_BURST_LIMIT,
            file.join_burst_limit,
            &config_file,
            DEFAULT_JOIN_BURST_LIMIT,
        )?;
        let network_join_limit = number(
            matches,
            &NETWORK_JOIN_LIMIT,
            file.network_join_limit,
            &config_file,
            DEFAULT_NETWORK_JOIN_LIMIT,
        )?;
        let network_referral_limit = number(
            matches,
            &NETWORK_REFERRAL_LIMIT,
            file.network_referral_limit,
            &config_file,
            DEFAULT_NETWORK_REFERRAL_LIMIT,
        )?;
        let public_rate_limit = number(
            matches,
            &PUBLIC_RATE_LIMIT,
            file.public_rate_limit,
            &config_file,
            DEFAULT_PUBLIC_RATE_LIMIT,
        )?;

        let link_cache_size = number(
            matches,
            &LINK_CACHE_SIZE,
            file.link_cache_size,
            &config_file,
            DEFAULT_LINK_CACHE_SIZE,
        )?;
        let click_queue = number(
            matches,
            &CLICK_QUEUE,
            file.click_queue,
            &config_file,
            DEFAULT_CLICK_QUEUE,
        )?;
        let interactions_per_minute = number(
            matches,
            &INTERACTIONS_PER_MINUTE,
            file.interactions_per_minute,
            &config_file,
            DEFAULT_INTERACTIONS_PER_MINUTE,
        )?;
        let former_env = || {
            std::env::var(FORMER_ALLOW_PRIVATE_ENV)
                .ok()
                .map(|value| Setting {
                    value,
                    source: Source::Env(FORMER_ALLOW_PRIVATE_ENV),
                })
        };
        let allow_private_addresses =
            match from_args(matches, &ALLOW_PRIVATE_ADDRESSES).or_else(former_env) {
                Some(s) => Setting {
                    value: match s.value.trim() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => bail!(
                            "allow_private_addresses = {other:?} (from {}) must be true or false",
                            s.source
                        ),
                    },
                    source: s.source,
                },
                None => match file.allow_private_addresses {
                    Some(value) => Setting {
                        value,
                        source: Source::File(config_file.clone().unwrap_or_default()),
                    },
                    None => Setting {
                        value: false,
                        source: Source::Default,
                    },
                },
            };
        let share_templates = file
            .share_templates
            .unwrap_or_default()
            .into_iter()
            .map(|(name, template)| parse_template(&name, template))
            .collect::<anyhow::Result<_>>()?;

        Ok(Self {
            config_file,
            bind,
            base_url,
            database_url,
            log,
            trusted_proxy_header,
            join_burst_limit,
            network_join_limit,
            network_referral_limit,
            public_rate_limit,
            link_cache_size,
            click_queue,
            interactions_per_minute,
            allow_private_addresses,
            share_templates,
        })
    }

    /// The public base URL, given or derived from the address the server really listens on.
    pub fn resolve_base_url(&mut self, bound: SocketAddr) {
        if self.base_url.is_none() {
            let host = if bound.ip().is_unspecified() {
                // 0.0.0.0 is not an address anyone can visit; say so in the links we print.
                format!("localhost:{}", bound.port())
            } else {
                bound.to_string()
            };
            if let Ok(url) = url::Url::parse(&format!("http://{host}")) {
                self.base_url = Some(Setting {
                    value: url,
                    source: Source::Derived("the bind address"),
                });
            }
        }
    }

    /// The configuration as TOML that could be pasted into `fanfare.toml`, each line commented
    /// with its source; the database password is replaced by `***`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let file = self
            .config_file
            .as_ref()
            .map_or("none".to_owned(), |p| p.display().to_string());
        out.push_str(&format!("# configuration file: {file}\n"));
        let base_url = self.base_url.as_ref().map_or_else(
            || {
                (
                    format!("http://{}", self.bind.value),
                    Source::Derived("the bind address"),
                )
            },
            |s| (s.value.to_string(), s.source.clone()),
        );
        let lines = [
            ("bind", self.bind.value.to_string(), &self.bind.source),
            ("base_url", base_url.0, &base_url.1),
            (
                "database_url",
                fanfare_store::redact_url(&self.database_url.value),
                &self.database_url.source,
            ),
            ("log", self.log.value.clone(), &self.log.source),
        ];
        for (name, value, source) in lines {
            let quoted = toml::Value::String(value).to_string();
            out.push_str(&format!("{name} = {quoted}  # {source}\n"));
        }
        match &self.trusted_proxy_header.value {
            Some(header) => out.push_str(&format!(
                "trusted_proxy_header = {}  # {}\n",
                toml::Value::String(header.to_string()),
                self.trusted_proxy_header.source
            )),
            None => out
                .push_str("# trusted_proxy_header: none, the TCP peer is the client  # default\n"),
        }
        for (name, setting) in [
            ("join_burst_limit", &self.join_burst_limit),
            ("network_join_limit", &self.network_join_limit),
            ("network_referral_limit", &self.network_referral_limit),
            ("public_rate_limit", &self.public_rate_limit),
            ("link_cache_size", &self.link_cache_size),
            ("click_queue", &self.click_queue),
            ("interactions_per_minute", &self.interactions_per_minute),
        ] {
            out.push_str(&format!(
                "{name} = {}  # {}\n",
                setting.value, setting.source
            ));
        }
        out.push_str(&format!(
            "allow_private_addresses = {}  # {}\n",
            self.allow_private_addresses.value, self.allow_private_addresses.source
        ));
        out
    }
}

/// A positive whole number setting, layered like the others.
fn number(
    matches: &ArgMatches,
    key: &Key,
    file_value: Option<u32>,
    file: &Option<PathBuf>,
    default: u32,
) -> anyhow::Result<Setting<u32>> {
    let setting = match from_args(matches, key) {
        Some(s) => Setting {
            value: s.value.trim().parse::<u32>().with_context(|| {
                format!(
                    "{} = {:?} (from {}) is not a whole number",
                    key.arg, s.value, s.source
                )
            })?,
            source: s.source,
        },
        None => match file_value {
            Some(value) => Setting {
                value,
                source: Source::File(file.clone().unwrap_or_default()),
            },
            None => Setting {
                value: default,
                source: Source::Default,
            },
        },
    };
    if setting.value == 0 {
        bail!("{} (from {}) must be at least 1", key.arg, setting.source);
    }
    Ok(setting)
}

/// A share-intent override: a known channel, an https (or mailto) URL that carries `{url}`.
fn parse_template(name: &str, template: String) -> anyhow::Result<(Channel, String)> {
    let channel = Channel::parse(name).with_context(|| {
        format!("share_templates.{name}: not a channel (see the README for their names)")
    })?;
    if !(template.starts_with("https://") || template.starts_with("mailto:"))
        || !template.contains("{url}")
    {
        bail!(
            "share_templates.{name} must start with https:// (or mailto:) and contain {{url}}: {template:?}"
        );
    }
    Ok((channel, template))
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "the configuration file {} is not valid (known keys: bind, base_url, database_url, log, trusted_proxy_header, join_burst_limit, network_join_limit, network_referral_limit, public_rate_limit, link_cache_size, click_queue, interactions_per_minute, allow_private_addresses (formerly audit_allow_private), [share_templates])",
            path.display()
        )
    })
}

fn parse_base_url(value: &str) -> anyhow::Result<url::Url> {
    let url = url::Url::parse(value).with_context(|| {
        format!("{value:?} is not an absolute URL like https://fans.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        bail!("{value:?} must be an http or https URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("{value:?} must not carry a query or a fragment");
    }
    Ok(url)
}
