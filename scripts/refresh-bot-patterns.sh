#!/usr/bin/env bash
# Refreshes the bot patterns Fanfare counts visitors with, and the user-agent corpora its test
# measures them on, from the npm registry:
#   - the pattern list of the `isbot` package (Unlicense) → crates/fanfare-server/data/isbot/
#   - crawler instances of `crawler-user-agents` (MIT) and browser agents of `user-agents`
#     (BSD-2-Clause) → crates/fanfare-server/tests/fixtures/agents/
# Usage: scripts/refresh-bot-patterns.sh [isbot-version] [crawler-user-agents-version] [user-agents-version]
# Needs node and npm. Afterwards run `cargo test -p fanfare-server --lib redirect::` and
# commit the changed files with the versions in the message.
set -euo pipefail
cd "$(dirname "$0")/.."

isbot_version="${1:-5}"
crawlers_version="${2:-1.60.0}"
browsers_version="${3:-2.1.198}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for spec in "isbot@$isbot_version" "crawler-user-agents@$crawlers_version" "user-agents@$browsers_version"; do
  name="${spec%@*}"
  mkdir -p "$work/$name"
  tarball="$(cd "$work" && npm pack --silent "$spec")"
  tar xzf "$work/$tarball" -C "$work/$name"
done

data=crates/fanfare-server/data/isbot
fixtures=crates/fanfare-server/tests/fixtures/agents
mkdir -p "$data" "$fixtures"
cp "$work/isbot/package/LICENSE" "$data/LICENSE"
cp "$work/crawler-user-agents/package/LICENSE" "$fixtures/LICENSE.crawler-user-agents"
cp "$work/user-agents/package/LICENSE" "$fixtures/LICENSE.user-agents"

WORK="$work" DATA="$data" FIXTURES="$fixtures" node - <<'JS'
const fs = require("fs");
const { WORK, DATA, FIXTURES } = process.env;
const isbot = require(`${WORK}/isbot/package/index.js`);
const isbotPackage = require(`${WORK}/isbot/package/package.json`);
fs.writeFileSync(`${DATA}/patterns.json`, JSON.stringify({
  package: "isbot",
  version: isbotPackage.version,
  license: isbotPackage.license,
  flags: "i",
  patterns: isbot.list,
}, null, 1) + "\n");

// One agent a line, sorted, without duplicates; an agent holding a line break cannot be a line.
const lines = (agents) => [...new Set(agents)]
  .filter((agent) => agent && !/[\r\n]/.test(agent))
  .sort()
  .join("\n") + "\n";
const crawlersPackage = require(`${WORK}/crawler-user-agents/package/package.json`);
const crawlers = require(`${WORK}/crawler-user-agents/package/crawler-user-agents.json`);
fs.writeFileSync(`${FIXTURES}/crawlers.txt`, lines(crawlers.flatMap((c) => c.instances || [])));
const browsersPackage = require(`${WORK}/user-agents/package/package.json`);
const browsers = require(`${WORK}/user-agents/package/dist/user-agents.json`);
fs.writeFileSync(`${FIXTURES}/browsers.txt`, lines(browsers.map((b) => b.userAgent)));
fs.writeFileSync(`${FIXTURES}/SOURCES`, [
  `crawlers.txt: the "instances" of crawler-user-agents ${crawlersPackage.version} (npm, MIT, LICENSE.crawler-user-agents)`,
  `browsers.txt: the userAgent of each entry of user-agents ${browsersPackage.version} (npm, BSD-2-Clause, LICENSE.user-agents)`,
  `Both written by scripts/refresh-bot-patterns.sh.`,
].join("\n") + "\n");
console.log(`isbot ${isbotPackage.version}: ${isbot.list.length} patterns`);
JS
wc -l "$fixtures/crawlers.txt" "$fixtures/browsers.txt"
