//! `fanfare-bench redirect`: `wrk` against `/s/{code}` on the release build, and in the same run
//! against the bare baseline (see `bare.rs`). Two traffic shapes:
//! - hot: a thousand links share the clicks (a campaign's viral links; the code cache holds them);
//! - cold: every click picks any of the million seeded links (most miss the cache and read the
//!   database), to show the cache's bound holds memory down.
//!
//! The baseline and the hot phase alternate for a few rounds and the median of the rounds'
//! ratios is reported: on a shared machine the speed of both drifts by a quarter between runs.
//!
//! Every click is durable before its `302`; at the end the clicks in the database are counted
//! against the `302`s wrk received. Peak resident memory is read from `/proc/<pid>/status`.
//!
//! Each phase also reports the CPU time the server under test spent per redirect (from
//! `/proc/<pid>/stat`) and how idle the machine was (`/proc/stat`): wrk shares the machine, so
//! throughput follows CPU per request, and idle time shows requests waiting rather than working.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::json;
use sqlx::Connection;

use crate::common::{create_key, peak_rss_mb, start_server};
use crate::seed::seed;

#[derive(Debug, clap::Args)]
pub struct RedirectArgs {
    #[arg(long)]
    fanfare: PathBuf,
    /// Fans (each with a personal link) seeded in the campaign.
    #[arg(long, default_value_t = 1_000_000)]
    fans: usize,
    /// Links that share the clicks in the hot phase.
    #[arg(long, default_value_t = 1000)]
    hot: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Rounds of (baseline, hot): this machine's speed drifts between runs, so each hot run is
    /// compared with a baseline run next to it and the median ratio is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Measure PostgreSQL instead of SQLite: an admin URL on which a database is created.
    #[arg(long)]
    postgres: Option<String>,
}

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

#[derive(Debug, Default)]
struct WrkResult {
    requests: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    not_3xx: u64,
    socket_errors: bool,
    /// CPU time the server under test spent per answered request, in microseconds.
    server_cpu_us: f64,
    /// Share of the machine's CPU time left idle during the phase.
    idle: f64,
}

/// CPU time (user + system) of a process so far, in clock ticks, from `/proc/<pid>/stat`.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields that follow start after its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after ')'.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// (idle, total) clock ticks of the whole machine so far, from `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait …: idle and iowait are the time nobody could use.
    Some((cpu.get(3)? + cpu.get(4)?, cpu.iter().sum()))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be asked).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn millis(value: &str) -> f64 {
    let value = value.trim();
    if let Some(v) = value.strip_suffix("us") {
        v.parse::<f64>().unwrap_or(0.0) / 1000.0
    } else if let Some(v) = value.strip_suffix("ms") {
        v.parse().unwrap_or(0.0)
    } else if let Some(v) = value.strip_suffix('s') {
        v.parse::<f64>().unwrap_or(0.0) * 1000.0
    } else {
        0.0
    }
}

async fn wrk(
    (base, server_pid): (&str, u32),
    codes: &Path,
    args: &RedirectArgs,
    seconds: u64,
) -> anyhow::Result<WrkResult> {
    let script = codes.with_extension("lua");
    std::fs::write(
        &script,
        format!(
            "local codes = {{}}\nfor line in io.lines({:?}) do codes[#codes + 1] = line end\n\
             request = function() return wrk.format(\"GET\", \"/s/\" .. codes[math.random(#codes)]) end\n",
            codes.display().to_string()
        ),
    )?;
    let server_before = process_ticks(server_pid);
    let machine_before = machine_ticks();
    let output = tokio::process::Command::new("wrk")
        .args([
            "-t",
            &args.threads.to_string(),
            "-c",
            &args.connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            "-H",
            &format!("User-Agent: {BROWSER}"),
            "-s",
        ])
        .arg(&script)
        .arg(base)
        .output()
        .await
        .context("run wrk (apt-get install wrk)")?;
    let server_after = process_ticks(server_pid);
    let machine_after = machine_ticks();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut result = WrkResult::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            result.per_second = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix("50%") {
            result.p50_ms = millis(v);
        } else if let Some(v) = line.strip_prefix("99%") {
            result.p99_ms = millis(v);
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            result.not_3xx = v.trim().parse().unwrap_or(0);
        } else if line.starts_with("Socket errors") {
            result.socket_errors = true;
        } else if line.contains(" requests in ") {
            result.requests = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    if let (Some(before), Some(after)) = (server_before, server_after) {
        result.server_cpu_us = (after - before) as f64 / ticks_per_second() * 1e6
            / (result.requests - result.not_3xx).max(1) as f64;
    }
    if let (Some((idle0, total0)), Some((idle1, total1))) = (machine_before, machine_after) {
        result.idle = (idle1 - idle0) as f64 / (total1 - total0).max(1) as f64;
    }
    if result.requests == 0 {
        bail!(
            "wrk measured nothing:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(result)
}

async fn count_clicks(database_url: &str) -> anyhow::Result<i64> {
    Ok(if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await?;
        sqlx::query_scalar("SELECT COUNT(*) FROM clicks")
            .fetch_one(&mut conn)
            .await?
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await?;
        sqlx::query_scalar("SELECT COUNT(*) FROM clicks")
            .fetch_one(&mut conn)
            .await?
    })
}

pub async fn run(args: RedirectArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (database_url, pg_database) = match &args.postgres {
        None => (
            format!("sqlite://{}", dir.path().join("fanfare.db").display()),
            None,
        ),
        Some(admin) => {
            let name = format!("fanfare_bench_{}", std::process::id());
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            let mut url = reqwest::Url::parse(admin)?;
            url.set_path(&name);
            (url.to_string(), Some((admin.clone(), name)))
        }
    };
    let backend = if pg_database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let key = create_key(&args.fanfare, &database_url).await?;
    let (server, base) = start_server(&args.fanfare, &database_url, &[]).await?;
    let landing = "https://www.example.com/spring?lang=en";
    let created = reqwest::Client::new()
        .post(format!("{base}/api/v1/campaigns"))
        .bearer_auth(&key)
        .json(&json!({"slug": "bench", "kind": "brand", "landing_url": landing}))
        .send()
        .await?;
    if created.status() != 201 {
        bail!("cannot create the campaign: {}", created.text().await?);
    }
    let started = Instant::now();
    let keys = seed(&database_url, "bench", args.fans).await?;
    eprintln!(
        "seeded {} fans and links in {:.1} s",
        args.fans,
        started.elapsed().as_secs_f64()
    );
    let hot_codes = dir.path().join("hot.txt");
    let all_codes = dir.path().join("all.txt");
    let code = |k: &String| format!("{k}x");
    std::fs::write(
        &hot_codes,
        keys.iter()
            .take(args.hot)
            .map(code)
            .collect::<Vec<_>>()
            .join("\n"),
    )?;
    std::fs::write(
        &all_codes,
        keys.iter().map(code).collect::<Vec<_>>().join("\n"),
    )?;
    drop(keys);

    let pid = server.id().context("server pid")?;
    // The WAL file keeps its largest size: whether it grew during the runs shows whether
    // checkpoints kept up with the clicks.
    let wal = dir.path().join("fanfare.db-wal");
    let wal_mb = || {
        std::fs::metadata(&wal)
            .map(|m| m.len() as f64 / 1_048_576.0)
            .ok()
    };
    let wal_mb_before = wal_mb();
    let mut bare = tokio::process::Command::new(std::env::current_exe()?)
        .args(["bare", "--location", &format!("{landing}&utm_source=x&utm_medium=social&utm_campaign=bench&utm_content=AAAAAAAAAA&ff_ref=AAAAAAAAAA")])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let bare_pid = bare.id().context("bare pid")?;
    let bare_base = {
        use tokio::io::AsyncBufReadExt;
        let stdout = bare.stdout.take().context("stdout")?;
        let line = tokio::io::BufReader::new(stdout)
            .lines()
            .next_line()
            .await?
            .context("bare printed nothing")?;
        line.strip_prefix("listening on ")
            .context("bare's first line")?
            .to_owned()
    };
    wrk((&bare_base, bare_pid), &hot_codes, &args, 2).await?;
    let warm = wrk((&base, pid), &hot_codes, &args, 2).await?;
    let mut rounds = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds.max(1) {
        let baseline = wrk((&bare_base, bare_pid), &hot_codes, &args, args.seconds).await?;
        let hot = wrk((&base, pid), &hot_codes, &args, args.seconds).await?;
        rounds.push((baseline, hot));
    }
    bare.start_kill()?;
    let cold = wrk((&base, pid), &all_codes, &args, args.seconds).await?;
    let rss = peak_rss_mb(pid);
    let wal_mb_after = wal_mb();
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await?
        .text()
        .await?;
    let metric = |name: &str| {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0)
    };
    let batches = metric("fanfare_click_batch_size_count");
    let mean_batch = metric("fanfare_click_batch_size_sum") / batches.max(1.0);
    // Seconds the writer spent committing, over the seconds fanfare was under load.
    let loaded_seconds = 2 + (rounds.len() as u64 + 1) * args.seconds;
    let writer_busy = metric("fanfare_click_commit_seconds_sum") / loaded_seconds as f64;
    // A graceful stop: what wrk was told is stored must be stored.
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    let status = server.wait_with_output().await?.status;
    let stored = count_clicks(&database_url).await?;

    println!(
        "backend: {backend}; {} fans seeded; wrk -t{} -c{} -d{}s",
        args.fans, args.threads, args.connections, args.seconds
    );
    println!(
        "phase                          redirects/s   p50 ms   p99 ms   requests   non-3xx   server CPU µs/redirect   idle"
    );
    let mut phases: Vec<(String, &WrkResult)> = Vec::new();
    for (round, (baseline, hot)) in rounds.iter().enumerate() {
        let n = round + 1;
        phases.push((format!("{n}: bare 302 from memory"), baseline));
        phases.push((format!("{n}: fanfare, hot (1k links)"), hot));
    }
    let last_baseline = &rounds[rounds.len() - 1].0;
    phases.push(("fanfare, cold (all links)".to_owned(), &cold));
    for (name, r) in phases {
        println!(
            "{name:<32} {:>10.0} {:>8.2} {:>8.2} {:>10} {:>9} {:>24.1} {:>5.0} %{}",
            r.per_second,
            r.p50_ms,
            r.p99_ms,
            r.requests,
            r.not_3xx,
            r.server_cpu_us,
            r.idle * 100.0,
            if r.socket_errors {
                "  (socket errors)"
            } else {
                ""
            }
        );
    }
    let mut ratios: Vec<f64> = rounds
        .iter()
        .map(|(baseline, hot)| hot.per_second / baseline.per_second)
        .collect();
    let listed = ratios
        .iter()
        .map(|r| format!("{r:.3}"))
        .collect::<Vec<_>>()
        .join(", ");
    ratios.sort_by(f64::total_cmp);
    println!(
        "hot / baseline per round: {listed}; median {:.3}   cold / last baseline = {:.3}",
        ratios[ratios.len() / 2],
        cold.per_second / last_baseline.per_second
    );
    println!("peak RSS of fanfare serve: {rss:.1} MB");
    if let (Some(before), Some(after)) = (wal_mb_before, wal_mb_after) {
        println!("SQLite WAL file: {before:.1} MB before the runs, {after:.1} MB after");
    }
    println!(
        "click writer: {batches:.0} batches, {mean_batch:.1} clicks per batch on average, busy {:.0} % of the time",
        writer_busy * 100.0
    );
    let answered = rounds
        .iter()
        .map(|(_, hot)| hot)
        .chain([&warm, &cold])
        .map(|r| r.requests - r.not_3xx)
        .sum::<u64>();
    println!(
        "durability: {answered} redirects answered, {stored} clicks stored (server exit: {status})"
    );
    if let Some((admin, name)) = pg_database {
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await?;
    }
    if (stored as u64) < answered {
        bail!("answered clicks are missing from the database");
    }
    Ok(())
}
