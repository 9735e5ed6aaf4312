//! What every benchmark shares: starting the real server, a closed-loop load generator, and
//! latency percentiles.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Default)]
pub struct Phase {
    pub ok: u64,
    pub failed: u64,
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

impl Phase {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort_unstable();
        let index = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[index].as_secs_f64() * 1000.0
    }
}

pub async fn create_key(fanfare: &Path, db_url: &str) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(fanfare)
        .args([
            "--database-url",
            db_url,
            "admin",
            "create-key",
            "--name",
            "bench",
        ])
        .output()
        .await
        .context("run fanfare admin create-key")?;
    if !output.status.success() {
        bail!(
            "create-key failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    stdout
        .lines()
        .last()
        .map(str::to_owned)
        .context("no key printed")
}

pub async fn start_server(
    fanfare: &Path,
    db_url: &str,
    extra: &[&str],
) -> anyhow::Result<(tokio::process::Child, String)> {
    let mut child = tokio::process::Command::new(fanfare)
        .args([
            "--database-url",
            db_url,
            "--log",
            "warn",
            // Every join comes from 127.0.0.1: lift the per-visitor limits out of the way.
            "--public-rate-limit",
            "1000000000",
            "--join-burst-limit",
            "1000000000",
        ])
        .args(extra)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("start fanfare serve")?;
    let stdout = child.stdout.take().context("stdout")?;
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .context("the server printed nothing")?;
    let base = line
        .strip_prefix("listening on ")
        .context("unexpected first line")?
        .to_owned();
    Ok((child, base))
}

/// Runs `request(task, i)` in `concurrency` loops for `duration`.
pub async fn run_phase<F, Fut>(concurrency: usize, duration: Duration, request: F) -> Phase
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut phase = Phase::default();
                let mut i = 0;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    if request(task, i).await {
                        phase.ok += 1;
                        phase.latencies.push(t0.elapsed());
                    } else {
                        phase.failed += 1;
                    }
                    i += 1;
                }
                phase
            })
        })
        .collect();
    let mut total = Phase::default();
    for task in tasks {
        if let Ok(phase) = task.await {
            total.ok += phase.ok;
            total.failed += phase.failed;
            total.latencies.extend(phase.latencies);
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// The peak resident memory of a process (VmHWM), in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmHWM:")
}

/// The resident memory of a process now (VmRSS), in MB.
pub fn rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmRSS:")
}

/// A memory line of `/proc/PID/status` (in kB there), in MB; 0 if unreadable.
fn status_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
