// The widget and the hosted page in a real browser: a shop on another origin embeds the widget,
// visitors join, share and bring each other, with the keyboard alone too; nothing leaks (no
// cookie, no third-party request, no script injected through a name or a title).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { XSS, admin, artifacts, launchBrowser, startFanfare, startHostSite, visitor } from './harness.mjs'

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

let fanfare, site, browser

before(async () => {
  fanfare = await startFanfare()
  site = await startHostSite(fanfare.url)
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await site?.stop()
  await fanfare?.stop()
})

async function createCampaign (slug, extra = {}) {
  return admin(fanfare, 'POST', '/api/v1/campaigns', {
    slug,
    kind: 'product',
    title: 'Spring at the shop',
    description: 'New colours, new cuts',
    hashtags: ['Spring'],
    landing_url: `${site.url}/page?campaign=${slug}`,
    ...extra
  })
}

/** Joins without a browser (no Origin header), as a server-side integration would. */
async function joinDirectly (slug, name) {
  const response = await fetch(`${fanfare.url}/api/public/campaigns/${slug}/fans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'direct/' + name },
    body: JSON.stringify({ name })
  })
  assert.equal(response.status, 201)
  return response.json()
}

const fanButton = page => page.getByRole('button', { name: /Become a fan|Devenir fan/ })

async function joinThroughWidget (page, name) {
  await fanButton(page).click()
  await page.getByLabel('Your name').fill(name)
  await page.getByRole('button', { name: 'Join', exact: true }).click()
  await page.getByText('You are a fan!').waitFor()
}

function hostsOf (urls) {
  return new Set(urls.filter(u => !u.startsWith('data:')).map(u => new URL(u).host))
}

function consoleErrors (log) {
  return log.console.filter(m => m.type === 'error').map(m => m.text)
}

async function shadowRootCount (page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-fanfare]')].filter(e => e.shadowRoot).length)
}

test('the fan button shows the live count; loading sets no cookie and calls no one but Fanfare', async () => {
  await createCampaign('count')
  await joinDirectly('count', 'Early')
  const { context, page, log } = await visitor(browser, 'counter')
  await page.goto(`${site.url}/page?campaign=count`)
  await fanButton(page).waitFor()
  assert.match(await fanButton(page).innerText(), /1 fans/)
  // The shop's CSS hides every button and link and shrinks all text: not the widget's.
  assert.ok(await fanButton(page).isVisible())
  const size = await fanButton(page).evaluate(b => getComputedStyle(b).fontSize)
  assert.equal(size, '15px')
  assert.equal(await page.locator('#host-title').innerText(), 'Spring at the shop')
  assert.ok(await page.getByRole('link', { name: 'Share on Facebook' }).isVisible())

  await page.waitForLoadState('networkidle')
  assert.deepEqual(await context.cookies(), [])
  assert.equal(await page.evaluate(() => document.cookie), '')
  const allowed = new Set([new URL(site.url).host, new URL(fanfare.url).host])
  for (const host of hostsOf(log.requests)) assert.ok(allowed.has(host), `a request to ${host}`)
  const fromShop = log.requests.filter(u => new URL(u).host === new URL(site.url).host)
  assert.deepEqual(fromShop.map(u => new URL(u).pathname), ['/page'], 'only the page itself')
  const views = log.requests.filter(u => u === `${fanfare.url}/api/public/campaigns/count/views`)
  assert.equal(views.length, 1, 'one page-view beacon per page load')
  const toFanfare = log.requests.filter(u => new URL(u).host === new URL(fanfare.url).host)
  // Reported in BENCHMARKS.md.
  console.log(`page load with the widget: ${toFanfare.length} requests to Fanfare ` +
    `(${toFanfare.map(u => new URL(u).pathname).join(', ')}), 0 elsewhere, 0 cookies, 0 console errors`)
  assert.deepEqual(consoleErrors(log), [])
  assert.deepEqual(log.errors, [])
  await context.close()
})

test('a visitor joins and shares; a friend who comes through the link is credited to them', async () => {
  await createCampaign('loop')
  await joinDirectly('loop', 'Early')

  const ada = await visitor(browser, 'ada')
  await ada.page.goto(`${site.url}/page?campaign=loop`)
  await fanButton(ada.page).click()
  // Opening the form shows it and moves the focus into it.
  await ada.page.getByLabel('Your name').waitFor()
  assert.equal(await fanButton(ada.page).getAttribute('aria-expanded'), 'true')
  await ada.page.getByLabel('Your name').fill('Ada')
  await ada.page.getByLabel('E-mail (optional)').fill('ada@example.com')
  await ada.page.getByRole('button', { name: 'Join', exact: true }).click()
  await ada.page.getByText('You are a fan!').waitFor()
  // The count rose, from the server's own count.
  assert.match(await ada.page.getByText('You are a fan!').innerText(), /· 2 fans/)
  const link = await ada.page.getByLabel('Your link to share').inputValue()
  assert.ok(link.startsWith(fanfare.url + '/s/'), link)
  // The share bar now carries Ada's own share links (once: the page has a share-bar
  // placeholder, so the fan button does not repeat it).
  const facebook = ada.page.getByRole('link', { name: 'Share on Facebook' })
  assert.equal(await facebook.count(), 1)
  const personal = await facebook.first().getAttribute('href')
  assert.ok(personal.startsWith(fanfare.url + '/share/'), personal)
  const stored = await ada.page.evaluate(() => JSON.parse(localStorage.getItem('fanfare:loop')))
  assert.ok(stored.member.token, 'the member token is kept in the site\'s storage')
  assert.deepEqual(await ada.context.cookies(), [])
  await ada.page.screenshot({ path: join(artifacts, 'widget-after-join.png'), fullPage: true })

  // Back later: the share bar, not the form.
  await ada.page.reload()
  await ada.page.getByText('You are a fan!').waitFor()
  assert.equal(await fanButton(ada.page).count(), 0)
  assert.deepEqual(consoleErrors(ada.log), [])
  assert.deepEqual(ada.log.errors, [])

  // Bob follows Ada's link: Fanfare redirects him to the shop with her ref code.
  const bob = await visitor(browser, 'bob')
  await bob.page.goto(link)
  const landed = new URL(bob.page.url())
  assert.equal(landed.origin, site.url)
  const adaRef = stored.member.ref_code
  assert.equal(landed.searchParams.get('utm_source'), 'copy')
  // Her ref code and the letter of the link's channel (c: copy).
  assert.equal(landed.searchParams.get('ff_ref'), `${adaRef}-c`)
  await joinThroughWidget(bob.page, 'Bob')
  assert.deepEqual(consoleErrors(bob.log), [])

  const fans = await admin(fanfare, 'GET', '/api/v1/campaigns/loop/fans')
  const bobFan = fans.items.find(f => f.name === 'Bob')
  assert.equal(bobFan.referrer, adaRef)
  assert.equal(bobFan.channel, 'copy')
  assert.deepEqual(bobFan.flags, [])

  // A newcomer sees the new count.
  const carol = await visitor(browser, 'carol')
  await carol.page.goto(`${site.url}/page?campaign=loop`)
  await fanButton(carol.page).waitFor()
  assert.match(await fanButton(carol.page).innerText(), /3 fans/)
  for (const v of [ada, bob, carol]) await v.context.close()
})

test('everything works from the keyboard alone, with a visible focus', async () => {
  await createCampaign('keys')
  const { context, page, log } = await visitor(browser, 'keyboard')
  await page.goto(`${site.url}/page?campaign=keys&plain=1`)
  await fanButton(page).waitFor()
  const focused = () => page.evaluate(() => {
    let element = document.activeElement
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement
    const style = getComputedStyle(element)
    // The text a screen reader reads: without the icons, which are aria-hidden.
    const copy = element.cloneNode(true)
    copy.querySelectorAll('[aria-hidden]').forEach(n => n.remove())
    return { tag: element.tagName, text: copy.textContent, label: element.ariaLabel || element.labels?.[0]?.textContent || '', outline: style.outlineStyle + ' ' + style.outlineWidth }
  })
  await page.keyboard.press('Tab')
  let now = await focused()
  assert.equal(now.tag, 'BUTTON')
  assert.match(now.text, /Become a fan/)
  assert.match(now.outline, /^solid 3px/, 'a visible focus ring')
  await page.keyboard.press('Enter')
  now = await focused()
  assert.equal(now.tag, 'INPUT')
  assert.match(now.label, /Your name/)
  await page.keyboard.type('Kim')
  await page.keyboard.press('Tab')
  await page.keyboard.type('kim@example.com')
  await page.keyboard.press('Tab')
  now = await focused()
  assert.equal(now.text, 'Join')
  await page.keyboard.press('Enter')
  await page.getByText('You are a fan!').waitFor()
  // Onwards through the share bar: the link to copy, then the networks.
  const reached = []
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab')
    const f = await focused()
    reached.push(f.label || f.text.trim())
  }
  assert.match(reached[0], /Your link/)
  assert.equal(reached[1], 'Share on Facebook')
  assert.deepEqual(consoleErrors(log), [])
  await context.close()
})

async function seriousViolations (page, context) {
  await page.addScriptTag({ path: axePath })
  const results = await page.evaluate(ctx => window.axe.run(ctx || document, { resultTypes: ['violations'] }), context)
  return results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)
}

test('axe-core finds no serious accessibility violation in the widget or the hosted page', async () => {
  await createCampaign('a11y', { image_url: 'https://cdn.example.com/spring.jpg' })
  const { context, page } = await visitor(browser, 'a11y', { bypassCSP: true })
  await page.goto(`${site.url}/page?campaign=a11y&plain=1`)
  await fanButton(page).click()
  await page.getByLabel('Your name').waitFor()
  assert.deepEqual(await seriousViolations(page), [], 'widget with its form open')
  await page.getByLabel('Your name').fill('Lee')
  await page.getByRole('button', { name: 'Join', exact: true }).click()
  await page.getByText('You are a fan!').waitFor()
  assert.deepEqual(await seriousViolations(page), [], 'widget with the fan\'s share bar')
  // Dark theme too.
  await page.goto(`${site.url}/page?campaign=a11y&plain=1&theme=dark`)
  await page.getByText('You are a fan!').waitFor()
  assert.deepEqual(await seriousViolations(page), [], 'dark theme')

  // The hosted page blocks images from elsewhere in this test (no network): axe looks at markup.
  await page.route('https://cdn.example.com/**', route => route.abort())
  await page.goto(`${fanfare.url}/c/a11y`)
  await fanButton(page).waitFor()
  assert.deepEqual(await seriousViolations(page), [], 'hosted page')
  await context.close()
})

test('the hosted page shows the message, the leaderboard and a working fan button', async () => {
  await createCampaign('hosted', { landing_url: `${site.url}/page?campaign=hosted` })
  const first = await joinDirectly('hosted', 'Zoe')
  // Zoe brings someone, so that the leaderboard has a line.
  await fetch(`${fanfare.url}/api/public/campaigns/hosted/fans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'direct/yann' },
    body: JSON.stringify({ name: 'Yann', ref: first.member.ref_code })
  })
  const { context, page, log } = await visitor(browser, 'hosted')
  await page.route('https://**', route => route.abort())
  await page.goto(`${fanfare.url}/c/hosted`)
  assert.equal(await page.locator('h1').innerText(), 'Spring at the shop')
  assert.match(await page.locator('.leaderboard').innerText(), /Zoe — brought 1/)
  assert.equal(await page.locator('meta[property="og:title"]').getAttribute('content'), 'Spring at the shop')
  assert.equal(await page.locator('meta[name="twitter:card"]').getAttribute('content'), 'summary')
  await joinThroughWidget(page, 'Xavier')
  assert.match(await page.getByText('You are a fan!').innerText(), /· 3 fans/)
  await page.screenshot({ path: join(artifacts, 'hosted-page.png'), fullPage: true })
  assert.deepEqual(await context.cookies(), [])
  for (const host of hostsOf(log.requests)) assert.equal(host, new URL(fanfare.url).host)
  assert.deepEqual(consoleErrors(log), [])
  assert.deepEqual(log.errors, [])
  await context.close()
})

test('markup in names, titles and descriptions renders as text and never runs', async () => {
  await createCampaign('xss', { title: XSS, description: XSS })
  const mallory = await visitor(browser, 'mallory')
  await mallory.page.goto(`${site.url}/page?campaign=xss`)
  await joinThroughWidget(mallory.page, XSS)
  const link = await mallory.page.getByLabel('Your link to share').inputValue()
  const friend = await visitor(browser, 'friend')
  await friend.page.goto(link)
  await joinThroughWidget(friend.page, 'Friend')

  const reader = await visitor(browser, 'reader')
  await reader.page.goto(`${fanfare.url}/c/xss`)
  await fanButton(reader.page).waitFor()
  assert.equal(await reader.page.locator('h1').innerText(), XSS)
  assert.match(await reader.page.locator('.leaderboard').innerText(), /<img src=x/)
  for (const v of [mallory, friend, reader]) {
    assert.equal(await v.page.evaluate(() => window.__xss), undefined)
    assert.deepEqual(v.log.dialogs, [])
    assert.deepEqual(v.log.errors, [])
    await v.context.close()
  }
})

test('an unknown campaign renders nothing and warns once; the page stays intact', async () => {
  const { context, page, log } = await visitor(browser, 'unknown')
  const warned = page.waitForEvent('console', m => m.type() === 'warning' && m.text().startsWith('fanfare:'))
  await page.goto(`${site.url}/page?campaign=no-such-campaign`)
  await warned
  await page.waitForLoadState('networkidle')
  const warnings = log.console.filter(m => m.type === 'warning' && m.text.startsWith('fanfare:'))
  assert.equal(warnings.length, 1, JSON.stringify(warnings))
  assert.match(warnings[0].text, /no-such-campaign/)
  assert.equal(await shadowRootCount(page), 0)
  assert.equal(await page.locator('#host-footer').innerText(), 'Footer of the shop')
  assert.deepEqual(log.errors, [])
  await context.close()
})

test('with the API down, the host page is left intact', async () => {
  await createCampaign('down')
  const { context, page, log } = await visitor(browser, 'down')
  await page.route(`${fanfare.url}/api/**`, route => route.abort('connectionrefused'))
  const warned = page.waitForEvent('console', m => m.type() === 'warning' && m.text().startsWith('fanfare:'))
  await page.goto(`${site.url}/page?campaign=down`)
  await warned
  assert.equal(await shadowRootCount(page), 0)
  assert.equal(await page.locator('#host-title').innerText(), 'Spring at the shop')
  assert.equal(await page.locator('#host-text').innerText(), 'Our own content, which the widget must leave alone.')
  assert.deepEqual(log.errors, [])
  await context.close()
})

test('labels follow the page language; colours follow the site\'s custom properties', async () => {
  await createCampaign('theme')
  const { context, page, log } = await visitor(browser, 'theme')
  await page.goto(`${site.url}/page?campaign=theme&lang=fr&accent=rgb(0,%20100,%200)`)
  await fanButton(page).waitFor()
  assert.match(await fanButton(page).innerText(), /Devenir fan/)
  assert.equal(await fanButton(page).evaluate(b => getComputedStyle(b).backgroundColor), 'rgb(0, 100, 0)')
  assert.ok(await page.getByRole('link', { name: 'Partager sur Facebook' }).first().isVisible())
  await page.screenshot({ path: join(artifacts, 'widget-french-green.png') })
  assert.deepEqual(consoleErrors(log), [])
  await context.close()
})

test('copy, QR code and the share links record shares on the fan\'s link', async () => {
  await createCampaign('tools', { channels: ['facebook', 'copy', 'qr', 'native'] })
  const { context, page, log } = await visitor(browser, 'tools')
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.url })
  await page.goto(`${site.url}/page?campaign=tools`)
  await joinThroughWidget(page, 'Tess')
  const link = await page.getByLabel('Your link to share').inputValue()
  // Only the campaign's channels are offered (native share: where the browser has it).
  assert.equal(await page.getByRole('link', { name: /Share on/ }).count(), 1)

  await page.getByRole('button', { name: 'Copy link' }).click()
  await page.getByText('Link copied').waitFor()
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  assert.match(copied, new RegExp('^' + fanfare.url + '/s/'))
  assert.equal(copied, link)

  const qrButton = page.getByRole('button', { name: 'QR code' })
  assert.equal(await qrButton.getAttribute('aria-expanded'), 'false')
  await qrButton.click()
  const qr = page.getByRole('img', { name: 'QR code' })
  await qr.waitFor()
  assert.equal(await qrButton.getAttribute('aria-expanded'), 'true')
  await page.waitForFunction(() => {
    const bar = document.querySelector('[data-fanfare="share-bar"]').shadowRoot
    const img = bar.querySelector('img')
    return img && img.complete && img.naturalWidth > 0
  })
  await page.waitForLoadState('networkidle')

  const links = await admin(fanfare, 'GET', '/api/v1/campaigns/tools/links')
  const tess = links.items.find(l => l.fan)
  const shares = Object.fromEntries(tess.stats.map(s => [s.channel, s.shares]))
  assert.deepEqual(shares, { copy: 1, qr: 1 }, JSON.stringify(tess.stats))
  assert.deepEqual(consoleErrors(log), [])
  await context.close()
})
