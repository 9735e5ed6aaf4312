//! `fanfare audit`: the SMO audit from the command line, for a person (cards and colours) or a
//! CI job (JSON, exit codes).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use fanfare_smo::{FetchPolicy, Fetcher, Options, Report, Severity};
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Pages: files, http(s) URLs, or - for standard input
    #[arg(value_name = "FILE|URL|-", required_unless_present = "sitemap")]
    inputs: Vec<String>,
    /// Audit every page a sitemap lists (a file or a URL)
    #[arg(long, value_name = "FILE|URL")]
    sitemap: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The exit code is 1 when a finding is at least this severe
    #[arg(long, value_enum, default_value = "error")]
    fail_on: FailOn,
    /// Also fetch the images (and oEmbed answer) of HTML given as a file or on standard input
    #[arg(long)]
    fetch: bool,
    /// Let the fetcher reach loopback, private and link-local addresses (an intranet audit)
    #[arg(long)]
    allow_private: bool,
    /// The URL of HTML given as a file or on standard input (relative URLs resolve against it)
    #[arg(long, value_name = "URL")]
    page_url: Option<String>,
}

/// Sitemaps list at most this many pages for one run.
const MAX_SITEMAP_PAGES: usize = 1000;

enum Outcome {
    Audited(String, Box<Report>),
    Unreadable(String, String),
}

pub async fn run(args: AuditArgs, config_allows_private: bool) -> anyhow::Result<ExitCode> {
    let fetcher = Fetcher::new(FetchPolicy {
        allow_private: args.allow_private || config_allows_private,
        ..FetchPolicy::default()
    });
    let page_url = match &args.page_url {
        Some(u) => {
            Some(Url::parse(u).map_err(|e| anyhow::anyhow!("--page-url {u:?} is not a URL: {e}"))?)
        }
        None => None,
    };
    let mut inputs = args.inputs.clone();
    if let Some(sitemap) = &args.sitemap {
        match read_input(sitemap, &fetcher).await {
            Ok((bytes, _)) => {
                let pages = fanfare_smo::sitemap_locations(&String::from_utf8_lossy(&bytes));
                if pages.is_empty() {
                    eprintln!("error: the sitemap {sitemap} lists no <loc>");
                    return Ok(ExitCode::from(2));
                }
                inputs.extend(pages.into_iter().take(MAX_SITEMAP_PAGES));
            }
            Err(e) => {
                eprintln!("error: cannot read the sitemap {sitemap}: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let mut outcomes = Vec::new();
    for input in &inputs {
        outcomes.push(audit_one(input, &args, &fetcher, page_url.as_ref()).await);
    }
    print(&outcomes, &args);
    let unreadable = outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Unreadable(..)));
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    let failing = outcomes.iter().any(|o| match (o, threshold) {
        (Outcome::Audited(_, report), Some(t)) => report.worst().is_some_and(|w| w >= t),
        _ => false,
    });
    Ok(if unreadable {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn is_url(input: &str) -> bool {
    input.starts_with("http://") || input.starts_with("https://")
}

/// The bytes of a file, of standard input, or of a URL (through the guarded fetcher), bounded.
async fn read_input(input: &str, fetcher: &Fetcher) -> Result<(Vec<u8>, Option<String>), String> {
    let limit = fanfare_smo::meta::MAX_HTML_BYTES as u64;
    if is_url(input) {
        let url = Url::parse(input).map_err(|e| format!("not a URL: {e}"))?;
        let page = fetcher.page(&url).await.map_err(|e| e.to_string())?;
        let charset = page.charset().map(str::to_owned);
        return Ok((page.body, charset));
    }
    let mut bytes = Vec::new();
    if input == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        std::fs::File::open(input)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read {input}: {e}"))?;
    }
    Ok((bytes, None))
}

async fn audit_one(
    input: &str,
    args: &AuditArgs,
    fetcher: &Fetcher,
    page_url: Option<&Url>,
) -> Outcome {
    if is_url(input) {
        let url = match Url::parse(input) {
            Ok(url) => url,
            Err(e) => return Outcome::Unreadable(input.to_owned(), format!("not a URL: {e}")),
        };
        return match fanfare_smo::audit_url(&url, fetcher, None).await {
            Ok(report) => Outcome::Audited(input.to_owned(), Box::new(report)),
            Err(e) => Outcome::Unreadable(input.to_owned(), e.to_string()),
        };
    }
    match read_input(input, fetcher).await {
        Err(e) => Outcome::Unreadable(input.to_owned(), e),
        Ok((bytes, charset)) => {
            let options = Options {
                base_url: page_url.cloned(),
                fetch: args.fetch.then(|| fetcher.clone()),
                campaign: None,
            };
            let report = fanfare_smo::audit_html(&bytes, charset.as_deref(), &options).await;
            Outcome::Audited(input.to_owned(), Box::new(report))
        }
    }
}

fn print(outcomes: &[Outcome], args: &AuditArgs) {
    let single = outcomes.len() == 1;
    match args.format {
        Format::Json => {
            let value = if single {
                match &outcomes[0] {
                    Outcome::Audited(_, report) => serde_json::to_value(report),
                    Outcome::Unreadable(input, error) => {
                        Ok(serde_json::json!({"input": input, "error": error}))
                    }
                }
            } else {
                serde_json::to_value(
                    outcomes
                        .iter()
                        .map(|o| match o {
                            Outcome::Audited(input, report) => {
                                serde_json::json!({"input": input, "report": report})
                            }
                            Outcome::Unreadable(input, error) => {
                                serde_json::json!({"input": input, "error": error})
                            }
                        })
                        .collect::<Vec<_>>(),
                )
            };
            match value.and_then(|v| serde_json::to_string_pretty(&v)) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("error: cannot write the report: {e}"),
            }
        }
        Format::Text => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            for outcome in outcomes {
                match outcome {
                    Outcome::Audited(input, report) if single => {
                        let mut report = report.clone();
                        report.url.get_or_insert_with(|| input.clone());
                        print!("{}", fanfare_smo::text::render(&report, colour));
                    }
                    Outcome::Audited(input, report) => {
                        let mut report = report.clone();
                        report.url.get_or_insert_with(|| input.clone());
                        println!("{}", fanfare_smo::text::summary_line(&report));
                    }
                    Outcome::Unreadable(input, error) => println!("  unreadable  {input}: {error}"),
                }
            }
        }
    }
}
