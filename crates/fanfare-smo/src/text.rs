//! The report for a person at a terminal: the three previews as small cards, the findings by
//! severity, then the tags to paste. Colour only when asked (the caller knows whether it
//! writes to a terminal).

use std::fmt::Write;

use crate::report::Severity;
use crate::report::{Preview, Report};

const WIDTH: usize = 64;

struct Paint(bool);

impl Paint {
    fn code(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.code("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.code("2", t)
    }
    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.code("1;31", "error"),
            Severity::Warning => self.code("1;33", "warning"),
            Severity::Info => self.code("36", "info"),
        }
    }
}

/// Cuts to `width` characters, with an ellipsis; control characters from the page become
/// spaces so that a hostile title cannot drive the terminal.
fn fit(value: &str, width: usize) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= width {
        return clean;
    }
    let mut cut: String = clean.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn card(out: &mut String, paint: &Paint, network: &str, preview: &Preview) {
    let inner = WIDTH - 4;
    let rule = "─".repeat(WIDTH - 2);
    let _ = writeln!(out, "┌{rule}┐");
    let mut line = |text: String, visible: usize| {
        let pad = inner.saturating_sub(visible);
        let _ = writeln!(out, "│ {text}{} │", " ".repeat(pad));
    };
    let heading = match &preview.card {
        Some(card) => format!("{network} ({card})"),
        None => network.to_owned(),
    };
    let heading = fit(&heading, inner);
    line(paint.dim(&heading), heading.chars().count());
    let image = match &preview.image {
        Some(url) => format!("[image] {url}"),
        None => "[no image]".to_owned(),
    };
    let image = fit(&image, inner);
    line(image.clone(), image.chars().count());
    let site = fit(
        &preview.site.clone().unwrap_or_default().to_uppercase(),
        inner,
    );
    line(paint.dim(&site), site.chars().count());
    let title = fit(preview.title.as_deref().unwrap_or("(no title)"), inner);
    line(paint.bold(&title), title.chars().count());
    let description = fit(
        preview.description.as_deref().unwrap_or("(no description)"),
        inner,
    );
    line(description.clone(), description.chars().count());
    let _ = writeln!(out, "└{rule}┘");
}

pub fn render(report: &Report, colour: bool) -> String {
    let paint = Paint(colour);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  score {}/100  ({} errors, {} warnings, {} advice)\n",
        paint.bold(report.url.as_deref().unwrap_or("(page)")),
        report.score,
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    card(&mut out, &paint, "Facebook", &report.previews.facebook);
    card(&mut out, &paint, "X", &report.previews.x);
    card(&mut out, &paint, "LinkedIn", &report.previews.linkedin);
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out);
        for finding in findings {
            let _ = writeln!(
                out,
                "{} {} {}\n      fix: {}",
                paint.severity(severity),
                paint.bold(finding.rule),
                fit(&finding.message, 400),
                fit(&finding.fix, 400)
            );
        }
    }
    if !report.unchecked.is_empty() {
        let mut rules: Vec<&str> = report.unchecked.iter().map(|u| u.rule).collect();
        rules.dedup();
        let _ = writeln!(out, "\n{} {}", paint.dim("not checked:"), rules.join(", "));
    }
    let _ = writeln!(
        out,
        "\n{}\n{}",
        paint.bold("Paste into <head>:"),
        report.suggested_tags
    );
    out
}

/// One line per page, for batch audits.
pub fn summary_line(report: &Report) -> String {
    let worst: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    format!(
        "{:>3}/100  {} errors  {} warnings  {}{}",
        report.score,
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.url.as_deref().unwrap_or("(page)"),
        if worst.is_empty() {
            String::new()
        } else {
            format!("  [{}]", worst.join(" "))
        }
    )
}
