//! `fanfare audit` as a CI job runs it: files, standard input, a sitemap, JSON, exit codes.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const FANFARE: &str = env!("CARGO_BIN_EXE_fanfare");

/// No errors; one warning (OG6: no og:image:alt).
const CLEAN: &str = r#"<html lang="en"><head><title>Spring collection: new colours and new cuts</title>
<meta property="og:type" content="website"><meta property="og:url" content="https://shop.example/spring">
<meta property="og:title" content="Spring"><meta property="og:description" content="New colours.">
<meta property="og:image" content="https://shop.example/spring.png">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
<meta name="twitter:card" content="summary_large_image">
</head></html>"#;

const BROKEN: &str = r#"<html><head><title>Spring</title><meta property="og:image" content="/spring.png"></head></html>"#;

async fn audit(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(FANFARE);
    command
        .current_dir(dir)
        .arg("audit")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).await.unwrap();
    }
    child.wait_with_output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clean.html"), CLEAN).unwrap();
    std::fs::write(dir.path().join("broken.html"), BROKEN).unwrap();

    // Clean of errors, with warnings: 0 by default, 1 with --fail-on warning.
    let clean = audit(dir.path(), &["clean.html"], None).await;
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let strict = audit(dir.path(), &["clean.html", "--fail-on", "warning"], None).await;
    assert_eq!(strict.status.code(), Some(1));

    let broken = audit(dir.path(), &["broken.html"], None).await;
    assert_eq!(broken.status.code(), Some(1));
    let text = stdout(&broken);
    // Cards, findings by severity, then the fix.
    assert!(text.contains("│ Facebook"), "{text}");
    assert!(text.contains("│ X (summary)"), "{text}");
    assert!(text.contains("│ LinkedIn"), "{text}");
    assert!(text.contains("error OG1"), "{text}");
    assert!(text.contains("Paste into <head>:"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour when NO_COLOR is set or not a terminal"
    );
    let never = audit(dir.path(), &["broken.html", "--fail-on", "never"], None).await;
    assert_eq!(never.status.code(), Some(0));

    // A page that cannot be read: 2, whatever else.
    let missing = audit(dir.path(), &["clean.html", "missing.html"], None).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(stdout(&missing).contains("unreadable  missing.html"));
    let refused = audit(dir.path(), &["http://127.0.0.1:9/"], None).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stdout(&refused).contains("loopback"),
        "{}",
        stdout(&refused)
    );
}

#[tokio::test]
async fn json_from_standard_input_with_a_page_url() {
    let dir = tempfile::tempdir().unwrap();
    let output = audit(
        dir.path(),
        &[
            "-",
            "--format",
            "json",
            "--page-url",
            "https://shop.example/spring",
        ],
        Some(BROKEN),
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["previews"]["facebook"]["image"],
        "https://shop.example/spring.png"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "OG3")
    );
    assert!(report["score"].as_u64().unwrap() < 100);

    let bad = audit(dir.path(), &["-", "--page-url", "not a url"], Some(BROKEN)).await;
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--page-url"));
}

#[tokio::test]
async fn a_batch_prints_one_line_per_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.html"), CLEAN).unwrap();
    std::fs::write(dir.path().join("b.html"), BROKEN).unwrap();
    let output = audit(dir.path(), &["a.html", "b.html"], None).await;
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("a.html") && lines[1].contains("b.html"));
    assert!(lines[1].contains("[OG1 OG3]"), "{text}");

    // A sitemap file whose pages cannot be reached here (private addresses): each is listed.
    std::fs::write(
        dir.path().join("sitemap.xml"),
        "<urlset><url><loc>http://127.0.0.1:9/one</loc></url><url><loc>http://10.0.0.1/two</loc></url></urlset>",
    )
    .unwrap();
    let output = audit(
        dir.path(),
        &["--sitemap", "sitemap.xml", "--format", "json"],
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    let batch: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(batch.as_array().unwrap().len(), 2);
    assert_eq!(batch[1]["input"], "http://10.0.0.1/two");
    assert!(batch[1]["error"].as_str().unwrap().contains("private"));
}
