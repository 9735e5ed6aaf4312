//! The `fanfare` binary as an operator uses it: real processes, real files, real signals.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns; an unwrap here is a failed assertion

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use fanfare_postgres::testing::TempDatabase;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const FANFARE: &str = env!("CARGO_BIN_EXE_fanfare");

/// `fanfare` in `dir`, without any FANFARE_* setting inherited from the caller's environment.
fn fanfare(dir: &Path) -> Command {
    let mut command = Command::new(FANFARE);
    command.current_dir(dir).kill_on_drop(true);
    for (name, _) in std::env::vars() {
        if name.starts_with("FANFARE_") {
            command.env_remove(name);
        }
    }
    command
}

async fn run(command: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the command finished within a minute")
        .expect("the command ran")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn create_key(dir: &Path, database_url: &str) -> String {
    let output = run(fanfare(dir).args([
        "--database-url",
        database_url,
        "admin",
        "create-key",
        "--name",
        "ci",
    ]))
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let key = stdout.lines().last().unwrap().to_owned();
    assert!(key.starts_with("ffk_") && !key.contains(' '), "{stdout}");
    key
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(dir: &Path, database_url: &str) -> Self {
        let mut child = fanfare(dir)
            .args([
                "--database-url",
                database_url,
                "serve",
                "--bind",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the server printed its address within 30 s")
            .unwrap()
            .expect("a line on stdout");
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        Self { child, base }
    }

    /// SIGTERM, as a service manager sends it; returns the exit status and stderr.
    async fn terminate(self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().unwrap().to_string();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(kill.success());
        self.terminate_after_signal().await
    }

    /// Waits for the exit of a server that was already sent its signal.
    async fn terminate_after_signal(self) -> (std::process::ExitStatus, String) {
        let output = tokio::time::timeout(Duration::from_secs(20), self.child.wait_with_output())
            .await
            .expect("the server stopped within 20 s of SIGTERM")
            .unwrap();
        (output.status, text(&output.stderr))
    }
}

async fn campaign_survives_restart(dir: &Path, database_url: &str) {
    let key = create_key(dir, database_url).await;
    let client = reqwest::Client::new();

    let server = Server::start(dir, database_url).await;
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let created = client
        .post(format!("{}/api/v1/campaigns", server.base))
        .bearer_auth(&key)
        .json(&json!({"slug": "durable", "kind": "brand", "landing_url": "https://example.com/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let (status, stderr) = server.terminate().await;
    assert!(status.success(), "exit status {status:?}; stderr: {stderr}");
    assert!(stderr.contains("stopped cleanly"), "{stderr}");

    let server = Server::start(dir, database_url).await;
    let read: Value = client
        .get(format!("{}/api/v1/campaigns/durable", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, created);
    let (status, _) = server.terminate().await;
    assert!(status.success());
}

#[tokio::test]
async fn serves_on_sqlite_and_a_campaign_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    campaign_survives_restart(dir.path(), "sqlite://fanfare.db").await;
    assert!(dir.path().join("fanfare.db").exists());
}

#[tokio::test]
async fn serves_on_postgres_and_a_campaign_survives_a_restart() {
    let Some(database) = TempDatabase::create().await else {
        eprintln!("skipped: FANFARE_TEST_POSTGRES_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    campaign_survives_restart(dir.path(), &database.url).await;
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no SQLite file on the side"
    );
    database.drop_database().await;
}

#[tokio::test]
async fn the_default_is_a_sqlite_file_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(fanfare(dir.path()).args(["admin", "list-keys"])).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("No API keys yet"));
    assert!(dir.path().join("fanfare.db").exists());
}

#[tokio::test]
async fn an_unknown_database_scheme_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "mysql://root@localhost/fanfare",
        "fanfare.db",
        "sqlit://fanfare.db",
        "",
    ] {
        let output = run(fanfare(dir.path()).args(["--database-url", url, "serve"])).await;
        assert_eq!(output.status.code(), Some(1), "{url}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("no known scheme"), "{url}: {stderr}");
        assert!(stderr.contains("sqlite://"), "says what to use: {stderr}");
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no file was created"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_fails_at_start_with_the_cause_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(fanfare(dir.path()).args([
        "--database-url",
        "postgres://fanfare:topsecret@127.0.0.1:1/fanfare",
        "serve",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot connect to PostgreSQL"), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
    assert!(stderr.contains("fanfare:***@127.0.0.1:1"), "{stderr}");
}

#[tokio::test]
async fn configuration_layers_defaults_file_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = run(fanfare(dir.path()).arg("config")).await;
    assert!(defaults.status.success());
    let out = text(&defaults.stdout);
    assert!(
        out.contains("bind = \"127.0.0.1:8080\"  # default"),
        "{out}"
    );
    assert!(out.contains("database_url = \"sqlite://fanfare.db\"  # default"));
    assert!(out.contains("log = \"info\"  # default"));
    assert!(out.contains("base_url = \"http://127.0.0.1:8080\"  # derived from the bind address"));
    assert!(out.contains("join_burst_limit = 5  # default"), "{out}");
    assert!(out.contains("network_join_limit = 20  # default"), "{out}");
    assert!(
        out.contains("network_referral_limit = 3  # default"),
        "{out}"
    );
    assert!(out.contains("public_rate_limit = 60  # default"));
    assert!(out.contains("link_cache_size = 100000  # default"));
    assert!(out.contains("click_queue = 10000  # default"));
    assert!(out.contains("# trusted_proxy_header: none"));

    std::fs::write(
        dir.path().join("fanfare.toml"),
        "bind = \"127.0.0.1:9001\"\nlog = \"warn\"\n\
         database_url = \"postgres://fan:hunter2@db.example/fanfare\"\n\
         base_url = \"https://fans.example.com\"\n\
         join_burst_limit = 9\npublic_rate_limit = 120\nnetwork_referral_limit = 5\n",
    )
    .unwrap();
    let layered = run(fanfare(dir.path())
        .env("FANFARE_LOG", "debug")
        .env("FANFARE_BIND", "127.0.0.1:9002")
        .env("FANFARE_PUBLIC_RATE_LIMIT", "30")
        .env("FANFARE_TRUSTED_PROXY_HEADER", "X-Forwarded-For")
        .args([
            "config",
            "--bind",
            "127.0.0.1:9003",
            "--network-join-limit",
            "50",
        ]))
    .await;
    assert!(layered.status.success(), "{}", text(&layered.stderr));
    let out = text(&layered.stdout);
    assert!(out.contains("# configuration file: fanfare.toml"), "{out}");
    assert!(
        out.contains("bind = \"127.0.0.1:9003\"  # flag --bind"),
        "{out}"
    );
    assert!(
        out.contains("log = \"debug\"  # environment FANFARE_LOG"),
        "{out}"
    );
    assert!(
        out.contains(
            "database_url = \"postgres://fan:***@db.example/fanfare\"  # file fanfare.toml"
        ),
        "{out}"
    );
    assert!(out.contains("base_url = \"https://fans.example.com/\"  # file fanfare.toml"));
    assert!(!out.contains("hunter2"));
    assert!(
        out.contains("join_burst_limit = 9  # file fanfare.toml"),
        "{out}"
    );
    assert!(out.contains("public_rate_limit = 30  # environment FANFARE_PUBLIC_RATE_LIMIT"));
    assert!(
        out.contains("network_join_limit = 50  # flag --network-join-limit"),
        "{out}"
    );
    assert!(
        out.contains("network_referral_limit = 5  # file fanfare.toml"),
        "{out}"
    );
    assert!(out.contains(
        "trusted_proxy_header = \"x-forwarded-for\"  # environment FANFARE_TRUSTED_PROXY_HEADER"
    ));

    // An explicit file wins over ./fanfare.toml, and a missing one is an error, not a default.
    std::fs::write(dir.path().join("other.toml"), "log = \"error\"\n").unwrap();
    let explicit = run(fanfare(dir.path()).args(["--config", "other.toml", "config"])).await;
    assert!(text(&explicit.stdout).contains("log = \"error\"  # file other.toml"));
    let missing = run(fanfare(dir.path()).args(["--config", "absent.toml", "config"])).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("absent.toml"));
}

/// One operator switch for every outbound request (audits and webhooks), under its new name
/// and, so that existing setups keep working, under its former one.
#[tokio::test]
async fn the_private_addresses_switch_answers_to_both_its_names() {
    let dir = tempfile::tempdir().unwrap();
    let config = |args: &[&str]| {
        let mut command = fanfare(dir.path());
        command.arg("config").args(args);
        command
    };
    let shown = |output: Output| {
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
            .lines()
            .find(|l| l.starts_with("allow_private_addresses = "))
            .unwrap()
            .to_owned()
    };
    let default = shown(run(&mut config(&[])).await);
    assert_eq!(default, "allow_private_addresses = false  # default");
    for (flag, expected) in [
        (
            "--allow-private-addresses",
            "flag --allow-private-addresses",
        ),
        ("--audit-allow-private", "flag --allow-private-addresses"),
    ] {
        let line = shown(run(&mut config(&[flag, "true"])).await);
        assert_eq!(
            line,
            format!("allow_private_addresses = true  # {expected}")
        );
    }
    for variable in [
        "FANFARE_ALLOW_PRIVATE_ADDRESSES",
        "FANFARE_AUDIT_ALLOW_PRIVATE",
    ] {
        let line = shown(run(config(&[]).env(variable, "true")).await);
        assert_eq!(
            line,
            format!("allow_private_addresses = true  # environment {variable}")
        );
    }
    for key in ["allow_private_addresses", "audit_allow_private"] {
        std::fs::write(dir.path().join("fanfare.toml"), format!("{key} = true\n")).unwrap();
        let line = shown(run(&mut config(&[])).await);
        assert_eq!(line, "allow_private_addresses = true  # file fanfare.toml");
    }
}

#[tokio::test]
async fn bad_configuration_is_refused_with_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str, &str); 11] = [
        (
            &[],
            "[share_templates]\nmyspace = \"https://myspace.example/?u={url}\"\n",
            "not a channel",
        ),
        (
            &[],
            "[share_templates]\nx = \"javascript:alert(1)//{url}\"\n",
            "must start with https://",
        ),
        (&["--join-burst-limit", "0"], "", "at least 1"),
        (&["--public-rate-limit", "lots"], "", "not a whole number"),
        (
            &["--trusted-proxy-header", "Bad Header"],
            "",
            "not a header name",
        ),
        (&[], "public_rate_limit = -3\n", "public_rate_limit"),
        (&["--bind", "localhost"], "", "IP:PORT"),
        (&["--base-url", "fans.example.com"], "", "absolute URL"),
        (&["--base-url", "javascript:alert(1)"], "", "http or https"),
        (&["--log", "info,[[["], "", "log filter"),
        (
            &[],
            "bind = \"127.0.0.1:1\"\nport = 8080\n",
            "unknown field `port`",
        ),
    ];
    for (args, file, expected) in cases {
        std::fs::write(dir.path().join("fanfare.toml"), file).unwrap();
        let output = run(fanfare(dir.path()).args(args).arg("config")).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn api_keys_are_shown_once_stored_hashed_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite://fanfare.db";
    let key = create_key(dir.path(), url).await;

    let mut stored = std::fs::read(dir.path().join("fanfare.db")).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("fanfare.db-wal")) {
        stored.extend(wal);
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(!stored.contains(&key), "the key itself is never stored");
    assert!(stored.contains(&fanfare_core::api_key::hash_api_key(&key)));

    let listed = run(fanfare(dir.path()).args(["--database-url", url, "admin", "list-keys"])).await;
    let out = text(&listed.stdout);
    assert!(
        out.contains(&key[..12]) && out.contains("active") && out.contains("ci"),
        "{out}"
    );
    assert!(!out.contains(&key));

    let revoked =
        run(fanfare(dir.path()).args(["--database-url", url, "admin", "revoke-key", "1"])).await;
    assert!(revoked.status.success());
    let listed = run(fanfare(dir.path()).args(["--database-url", url, "admin", "list-keys"])).await;
    assert!(text(&listed.stdout).contains("revoked"));

    let server = Server::start(dir.path(), url).await;
    let refused = reqwest::Client::new()
        .get(format!("{}/api/v1/campaigns", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    server.terminate().await;

    let unknown =
        run(fanfare(dir.path()).args(["--database-url", url, "admin", "revoke-key", "999"])).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no API key with id 999"));
    for name in ["", "   ", "bad\u{1b}[31mname"] {
        let bad = run(fanfare(dir.path()).args([
            "--database-url",
            url,
            "admin",
            "create-key",
            "--name",
            name,
        ]))
        .await;
        assert_eq!(bad.status.code(), Some(1), "{name:?}");
    }
}

#[tokio::test]
async fn healthcheck_follows_readiness() {
    let dir = tempfile::tempdir().unwrap();
    let down = run(fanfare(dir.path()).args(["healthcheck", "--url", "http://127.0.0.1:1"])).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(text(&down.stdout).contains("not ready"));

    let server = Server::start(dir.path(), "sqlite://fanfare.db").await;
    let up = run(fanfare(dir.path()).args(["healthcheck", "--url", &server.base])).await;
    assert!(up.status.success(), "{}", text(&up.stdout));
    let bind = server.base.trim_start_matches("http://").to_owned();
    let by_bind = run(fanfare(dir.path()).args(["--bind", &bind, "healthcheck"])).await;
    assert!(by_bind.status.success(), "{}", text(&by_bind.stdout));
    server.terminate().await;
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite://fanfare.db";
    let key = create_key(dir.path(), url).await;
    let server = Server::start(dir.path(), url).await;
    let body = json!({"slug": "in-flight", "kind": "brand", "landing_url": "https://example.com/"})
        .to_string();
    let (first, rest) = body.split_at(10);
    let mut stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    // Headers and half the body: the request has started and cannot finish yet.
    stream
        .write_all(
            format!(
                "POST /api/v1/campaigns HTTP/1.1\r\nHost: fanfare\r\nAuthorization: Bearer {key}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let (status, stderr) = server.terminate_after_signal().await;
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("shutdown signal received"), "{stderr}");

    // What was acknowledged is there after the restart.
    let server = Server::start(dir.path(), url).await;
    let read = reqwest::Client::new()
        .get(format!("{}/api/public/campaigns/in-flight", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    server.terminate().await;
}

#[tokio::test]
async fn an_erased_fan_leaves_no_trace_in_the_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite://fanfare.db";
    let key = create_key(dir.path(), url).await;
    let server = Server::start(dir.path(), url).await;
    let client = reqwest::Client::new();
    client
        .post(format!("{}/api/v1/campaigns", server.base))
        .bearer_auth(&key)
        .json(&json!({"slug": "private", "kind": "brand", "landing_url": "https://example.com/"}))
        .send()
        .await
        .unwrap();
    let joined: Value = client
        .post(format!("{}/api/public/campaigns/private/fans", server.base))
        .json(&json!({"name": "Zebulon Quixotic", "email": "zebulon.quixotic@example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = joined["member"]["token"].as_str().unwrap();
    let raw = || {
        let mut bytes = std::fs::read(dir.path().join("fanfare.db")).unwrap();
        if let Ok(wal) = std::fs::read(dir.path().join("fanfare.db-wal")) {
            bytes.extend(wal);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    };
    assert!(raw().contains("Zebulon Quixotic"), "the join is on disk");
    let left = client
        .delete(format!(
            "{}/api/public/campaigns/private/fans/me",
            server.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(left.status(), 204);
    // Not only the tables: free pages and the write-ahead log must not keep the old row either.
    let bytes = raw();
    assert!(!bytes.contains("Zebulon Quixotic"));
    assert!(!bytes.contains("zebulon.quixotic"));
    server.terminate().await;
    assert!(!raw().contains("Zebulon Quixotic"));
}
