// What every browser test needs: a real Fanfare (the debug build, on a fresh SQLite file and
// port 0), a third-party site on another origin that embeds the widget, and Debian's Chromium.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const repo = resolve(here, '..', '..')
export const artifacts = resolve(here, '..', 'artifacts')
const binary = process.env.FANFARE_BIN || join(repo, 'target', 'debug', 'fanfare')
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export const ADMIN_EMAIL = 'admin@example.com'
export const MODERATOR_EMAIL = 'moderator@example.com'
export const ADMIN_PASSWORD = 'a long dashboard password'

export const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"\''

/** Starts `fanfare serve` and returns its URL, an API key and a stop function. */
export async function startFanfare () {
  const dir = mkdtempSync(join(tmpdir(), 'fanfare-e2e-'))
  const databaseUrl = 'sqlite://' + join(dir, 'fanfare.db')
  const created = execFileSync(binary, ['admin', 'create-key', '--name', 'e2e', '--database-url', databaseUrl], { encoding: 'utf8' })
  const apiKey = created.trim().split('\n').pop()
  // Console users as an operator makes them: create-user prints a generated password; the
  // tests then set a known one.
  for (const [email, role] of [[ADMIN_EMAIL, 'admin'], [MODERATOR_EMAIL, 'moderator']]) {
    execFileSync(binary, ['admin', 'create-user', '--email', email, '--role', role, '--database-url', databaseUrl])
    execFileSync(binary, ['admin', 'set-password', '--email', email, '--database-url', databaseUrl], { input: ADMIN_PASSWORD + '\n' })
  }
  const server = spawn(binary, ['serve', '--bind', '127.0.0.1:0', '--database-url', databaseUrl, '--log', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise((resolve, reject) => {
    let seen = ''
    server.stdout.on('data', chunk => {
      seen += chunk
      const found = seen.match(/listening on (http:\/\/\S+)/)
      if (found) resolve(found[1])
    })
    server.on('exit', code => reject(new Error('fanfare exited with ' + code + ': ' + seen)))
  })
  const stop = async () => {
    server.kill('SIGTERM')
    await new Promise(resolve => server.exitCode !== null ? resolve() : server.on('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
  return { url, apiKey, stop }
}

/**
 * Starts `fanfare demo` on its own file and port 0; returns its URL, the printed password and
 * API key, and a stop function.
 */
export async function startDemo (fans = 600) {
  const dir = mkdtempSync(join(tmpdir(), 'fanfare-demo-'))
  const server = spawn(binary, ['demo', '--bind', '127.0.0.1:0', '--file', join(dir, 'demo.db'), '--fans', String(fans), '--log', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const printed = await new Promise((resolve, reject) => {
    let seen = ''
    server.stdout.on('data', chunk => {
      seen += chunk
      if (/listening on http:\/\/\S+/.test(seen)) resolve(seen)
    })
    server.on('exit', code => reject(new Error('fanfare demo exited with ' + code + ': ' + seen)))
  })
  const stop = async () => {
    server.kill('SIGTERM')
    await new Promise(resolve => server.exitCode !== null ? resolve() : server.on('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    url: printed.match(/listening on (http:\/\/\S+)/)[1],
    email: printed.match(/demo login: +(\S+) \/ (\S+)/)[1],
    password: printed.match(/demo login: +(\S+) \/ (\S+)/)[2],
    apiKey: printed.match(/key (ffk_[A-Za-z0-9_-]+)/)[1],
    fans: Number(printed.match(/with (\d+) fans/)[1]),
    stop
  }
}

/** Calls Fanfare's admin API. */
export async function admin (fanfare, method, path, body) {
  const response = await fetch(fanfare.url + path, {
    method,
    headers: { authorization: 'Bearer ' + fanfare.apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : null
}

const escapeAttribute = s => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/**
 * A shop on another origin (`localhost` rather than Fanfare's `127.0.0.1`) whose page embeds the
 * widget. Its own CSS is deliberately hostile to buttons and links: the widget must not care.
 * `/page?campaign=SLUG&lang=fr&theme=dark&accent=green&plain=1&progress=1&wall=1` picks what the
 * page embeds (`progress=1`, `wall=1`: the fan's progress view, the wall).
 */
export async function startHostSite (fanfareUrl) {
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost')
    if (url.pathname !== '/page') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    const slug = url.searchParams.get('campaign') || ''
    const lang = url.searchParams.get('lang') || 'en'
    const theme = url.searchParams.get('theme')
    const accent = url.searchParams.get('accent')
    const style = accent ? ` style="--fanfare-accent: ${escapeAttribute(accent)}"` : ''
    const script = url.searchParams.get('script') || fanfareUrl + '/w/fanfare.js'
    // `plain=1` drops the hostile CSS, for the accessibility check of the widget alone.
    const hostile = url.searchParams.get('plain') ? '' : `
  button, a, input { display: none !important; }
  * { font-size: 6px !important; color: yellow !important; }`
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(`<!doctype html><html lang="${escapeAttribute(lang)}"><head><meta charset="utf-8">
<title>The shop</title><link rel="icon" href="data:,">
<style>${hostile}
  body { background: #fff; color: #222; }
</style></head>
<body>
<main>
<h1 id="host-title">Spring at the shop</h1>
<p id="host-text">Our own content, which the widget must leave alone.</p>
<div data-fanfare="fan-button"${style}${theme ? ` data-theme="${escapeAttribute(theme)}"` : ''}></div>
<div data-fanfare="share-bar"${style}></div>
${url.searchParams.get('progress') ? '<div data-fanfare="progress"></div>' : ''}
${url.searchParams.get('wall') ? `<div data-fanfare="wall"${theme ? ` data-theme="${escapeAttribute(theme)}"` : ''}></div>` : ''}
<p id="host-footer">Footer of the shop</p>
</main>
<script src="${escapeAttribute(script)}" data-campaign="${escapeAttribute(slug)}" async></script>
</body></html>`)
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://localhost:${server.address().port}`
  return { url, stop: () => new Promise(resolve => server.close(resolve)) }
}

export async function launchBrowser () {
  mkdirSync(artifacts, { recursive: true })
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] })
}

/**
 * A fresh browser profile (its own storage) with a user agent of its own, so that two visitors
 * are two visitors to Fanfare; it records every request, console message and page error.
 */
export async function visitor (browser, name, options = {}) {
  const context = await browser.newContext({
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36 Visitor/${name}`,
    ...options
  })
  const page = await context.newPage()
  const log = { requests: [], console: [], errors: [], dialogs: [] }
  page.on('request', r => log.requests.push(r.url()))
  page.on('console', m => log.console.push({ type: m.type(), text: m.text() }))
  page.on('pageerror', e => log.errors.push(String(e)))
  page.on('dialog', d => { log.dialogs.push(d.message()); d.dismiss() })
  return { context, page, log }
}
