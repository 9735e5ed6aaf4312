//! The README's walk-through, run as written: the shell block under "First steps with the API",
//! against a real `fanfare serve` on a fresh database, must reach a credited referral.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const FANFARE: &str = env!("CARGO_BIN_EXE_fanfare");

/// The first `sh` block after the heading.
fn walk_through(readme: &str) -> String {
    let section = readme
        .split("## First steps with the API\n")
        .nth(1)
        .expect("the README has its walk-through");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the walk-through is a sh block");
    block.to_owned()
}

#[test]
fn the_readme_walk_through_reaches_a_credited_referral() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let script = walk_through(&readme);
    // Two changes only, both outside what the walk-through shows: the binary is the one this
    // test built (not a release build), and the port is a free one (tests run side by side).
    let built = Path::new(FANFARE).parent().unwrap().display().to_string();
    assert!(script.contains("cargo build --release\n"));
    assert!(script.contains("export PATH=\"$PWD/target/release:$PATH\"\n"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = script
        .replace("cargo build --release\n", "")
        .replace(
            "export PATH=\"$PWD/target/release:$PATH\"\n",
            &format!("export PATH=\"{built}:$PATH\"\n"),
        )
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new("bash");
    command
        .arg("-euc")
        // Whatever happens, the server does not outlive the test.
        .arg(format!(
            "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        ))
        .current_dir(dir.path());
    for (name, _) in std::env::vars() {
        if name.starts_with("FANFARE_") {
            command.env_remove(name);
        }
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        dir.path().join("fanfare.db").exists(),
        "it served fanfare.db"
    );
    // The campaign was created, Bob joined through Ada, and the leaderboard credits her.
    assert!(stdout.contains("\"slug\":\"my-launch\""), "{stdout}");
    let leaderboard = stdout
        .lines()
        .find(|line| line.contains("\"referred\""))
        .unwrap_or_else(|| panic!("no leaderboard in {stdout}"));
    let ada = leaderboard
        .split("\"name\":\"Ada\"")
        .nth(1)
        .unwrap_or_else(|| panic!("Ada is on the leaderboard: {leaderboard}"));
    assert!(
        ada.split('}').next().unwrap().contains("\"referred\":1"),
        "{leaderboard}"
    );
}
