//! Fanfare's benchmarks. Each measures the real release binary and, in the same run on the same
//! machine, a baseline, so that the figures are ratios that survive a noisy machine.

mod audit;
mod bare;
mod common;
mod crash;
mod forest;
mod joins;
mod limiter;
mod redirect;
mod reports;
mod seed;
mod soak;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Fanfare's benchmarks and their baselines")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Joins per second through HTTP on SQLite, against /healthz and raw inserts.
    Joins(joins::JoinArgs),
    /// Redirects per second (wrk) against a bare in-memory 302 server; peak memory.
    Redirect(redirect::RedirectArgs),
    /// SIGKILL under click load: are all acknowledged clicks in the database?
    Crash(crash::CrashArgs),
    /// The baseline: answers /s/{code} with the same 302 from memory, recording nothing.
    Bare(bare::BareArgs),
    /// Writes the audit benchmark's corpus of generated pages.
    AuditCorpus(audit::CorpusArgs),
    /// Audit throughput (parse and rules) over a corpus, on one thread.
    Audit(audit::AuditArgs),
    /// Loads a million fans and ten million clicks, then times the report endpoints.
    Reports(reports::ReportArgs),
    /// The cascade computation alone on a synthetic million-fan forest.
    Forest(forest::ForestArgs),
    /// Public requests per second from one visitor and from 100k distinct visitors.
    Limiter(limiter::LimiterArgs),
    /// Thirty minutes of mixed load on SQLite: memory and p99 per route over time.
    Soak(soak::SoakArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Joins(args) => joins::run(args).await,
        Command::Redirect(args) => redirect::run(args).await,
        Command::Crash(args) => crash::run(args).await,
        Command::Bare(args) => bare::run(args).await,
        Command::Limiter(args) => limiter::run(args).await,
        Command::Soak(args) => soak::run(args).await,
        Command::AuditCorpus(args) => audit::corpus(args),
        Command::Audit(args) => audit::run(args),
        Command::Reports(args) => reports::run(args).await,
        Command::Forest(args) => forest::run(args),
    }
}
