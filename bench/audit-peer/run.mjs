// The peer: open-graph-scraper (npm) parsing the same pages, given as HTML strings (no network),
// one at a time, for the same number of seconds. Prints one line like fanfare-bench audit.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ogs from 'open-graph-scraper'

const [corpus, seconds = '5'] = process.argv.slice(2)
const pages = readdirSync(corpus).filter(f => f.endsWith('.html')).map(f => readFileSync(join(corpus, f), 'utf8'))
const deadline = Date.now() + Number(seconds) * 1000
const started = process.hrtime.bigint()
let audited = 0
let bytes = 0
while (Date.now() < deadline) {
  for (const html of pages) {
    const { result } = await ogs({ html })
    if (!result.success) throw new Error('open-graph-scraper failed')
    audited++
    bytes += Buffer.byteLength(html)
  }
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9
console.log(`open-graph-scraper: ${audited} pages in ${elapsed.toFixed(2)} s: ${(audited / elapsed).toFixed(1)} pages/s, ${(bytes / 1e6 / elapsed).toFixed(1)} MB/s`)
