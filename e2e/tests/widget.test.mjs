// The widget and the hosted page in a real browser: a shop on another origin embeds the widget,
// visitors join, share and bring each other, with the keyboard alone too; nothing leaks (no
// cookie, no third-party request, no script injected through a name or a title).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ADMIN_PASSWORD, MODERATOR_EMAIL, XSS, admin, artifacts, launchBrowser, startFanfare, startHostSite, visitor } from './harness.mjs'

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

/** The progress view's facts, term → value. */
function progressFacts (page) {
  return page.locator('[data-fanfare="progress"]').evaluate(host =>
    Object.fromEntries([...host.shadowRoot.querySelectorAll('dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent])))
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
  await admin(fanfare, 'PUT', '/api/v1/campaigns/loop/engagement', { milestones: [{ threshold: 2, reward: 'a sticker' }] })
  await joinDirectly('loop', 'Early')

  const ada = await visitor(browser, 'ada')
  await ada.page.goto(`${site.url}/page?campaign=loop&progress=1`)
  // Before joining, the progress view invites to join.
  await ada.page.getByText('Become a fan to follow what your sharing brings.').waitFor()
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
  // Her progress, at once: nobody brought yet, the first reward two friends away.
  await ada.page.getByText('2 more friends to get: a sticker').waitFor()
  assert.deepEqual(await progressFacts(ada.page), {
    'Friends who joined through you': '0', 'Reach, all generations': '0', Rank: '–', Level: 'newcomer', 'Clicks on your links': '0'
  })
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
  // Before joining, he is told who invited him, by the name the leaderboard shows.
  await bob.page.getByText('Ada invited you').waitFor()
  await bob.page.screenshot({ path: join(artifacts, 'widget-invited.png'), fullPage: true })
  await joinThroughWidget(bob.page, 'Bob')
  // Once he is a fan himself, the invitation has done its work.
  assert.equal(await bob.page.getByText('Ada invited you').count(), 0)
  assert.deepEqual(consoleErrors(bob.log), [])

  // Ada comes back to her tab: her progress shows the friend and the click, without a reload.
  await ada.page.waitForTimeout(3100)
  await ada.page.evaluate(() => window.dispatchEvent(new Event('focus')))
  await ada.page.getByText('1 more friend to get: a sticker').waitFor()
  const progress = await progressFacts(ada.page)
  assert.equal(progress['Friends who joined through you'], '1')
  assert.equal(progress.Rank, '#1')
  assert.equal(progress['Clicks on your links'], '1')
  assert.equal(await ada.page.locator('[data-fanfare="progress"] progress').getAttribute('aria-label'), '1 more friend to get: a sticker')
  await ada.page.screenshot({ path: join(artifacts, 'widget-progress.png'), fullPage: true })

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
  // No image of its own: the generated card is the large preview.
  assert.equal(await page.locator('meta[name="twitter:card"]').getAttribute('content'), 'summary_large_image')
  assert.equal(await page.locator('meta[property="og:image"]').getAttribute('content'), `${fanfare.url}/c/hosted/card.png`)
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

test('the share bar shows the campaign\'s first networks and the rest behind More; phones lead with messengers', async () => {
  await createCampaign('choose', { channels: ['linkedin', 'x', 'facebook', 'reddit', 'whatsapp', 'telegram', 'bluesky', 'copy', 'native'] })
  const desktop = await visitor(browser, 'desktop')
  await desktop.page.goto(`${site.url}/page?campaign=choose`)
  const shown = page => page.getByRole('link', { name: /Share on/ }).evaluateAll(links =>
    links.filter(a => a.checkVisibility()).map(a => a.lastChild.textContent))
  await fanButton(desktop.page).waitFor()
  // In the campaign's order: its first four.
  assert.deepEqual(await shown(desktop.page), ['LinkedIn', 'X', 'Facebook', 'Reddit'])
  const more = desktop.page.getByRole('button', { name: 'More networks' })
  assert.equal(await more.getAttribute('aria-expanded'), 'false')
  await more.click()
  assert.equal(await more.getAttribute('aria-expanded'), 'true')
  assert.deepEqual(await shown(desktop.page), ['LinkedIn', 'X', 'Facebook', 'Reddit', 'WhatsApp', 'Telegram', 'Bluesky'])
  assert.deepEqual(consoleErrors(desktop.log), [])
  await desktop.context.close()

  // A phone (390 px, touch): the messengers first, then the campaign's order.
  const phone = await visitor(browser, 'phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  await phone.page.goto(`${site.url}/page?campaign=choose`)
  await fanButton(phone.page).waitFor()
  assert.deepEqual(await shown(phone.page), ['WhatsApp', 'Telegram', 'LinkedIn', 'X'])
  await phone.page.screenshot({ path: join(artifacts, 'widget-phone-share-bar.png'), fullPage: true })
  assert.deepEqual(consoleErrors(phone.log), [])
  await phone.context.close()
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

test('the wall: react in one step, take it back, comment, submit a creation that waits, see it once approved', async () => {
  await createCampaign('wall')
  const { context, page, log } = await visitor(browser, 'wall', { bypassCSP: true })
  await page.goto(`${site.url}/page?campaign=wall&plain=1&progress=1&wall=1`)
  const like = () => page.getByRole('button', { name: /^Like \d+$/ })
  await like().waitFor()
  assert.match(await like().innerText(), /^👍\s*Like 0$/)
  assert.equal(await like().getAttribute('aria-pressed'), 'false')
  assert.deepEqual(await seriousViolations(page), [], 'the wall before joining')

  // Not a fan yet: one name, and the reaction goes through.
  await like().click()
  await page.getByLabel('Your name, to join first').fill('Wren')
  await page.getByRole('button', { name: 'Join and continue' }).click()
  await page.getByRole('button', { name: 'Like 1' }).waitFor()
  assert.equal(await like().getAttribute('aria-pressed'), 'true')
  await page.getByText('You are a fan!').waitFor()
  // A second tap takes it back.
  await like().click()
  await page.getByRole('button', { name: 'Like 0' }).waitFor()
  assert.equal(await like().getAttribute('aria-pressed'), 'false')

  // A comment (published at once by default), written as text.
  await page.getByLabel('Your comment').fill('Love the <b>colours</b>')
  await page.getByRole('button', { name: 'Post', exact: true }).click()
  await page.getByText('Love the <b>colours</b>').waitFor()

  // A creation waits for a moderator, and its author is told.
  await page.getByLabel('Link to your photo or post (https)').fill('https://photos.example/wren-bike.jpg')
  await page.getByLabel('Caption').fill('My spring ride')
  await page.getByRole('button', { name: 'Share your creation' }).click()
  await page.getByText('Thank you! It will appear once a moderator approves it.').waitFor()
  await page.getByText('My spring ride').waitFor()
  assert.equal(await page.getByText('Waiting for moderation').count(), 1)
  await page.screenshot({ path: join(artifacts, 'wall-waiting.png'), fullPage: true })
  assert.deepEqual(await seriousViolations(page), [], 'the wall of a fan')

  // A moderator approves it in the console; it appears on the wall, no longer waiting.
  const moderator = await visitor(browser, 'moderator')
  await moderator.page.goto(`${fanfare.url}/admin/login`)
  await moderator.page.getByLabel('E-mail').fill(MODERATOR_EMAIL)
  await moderator.page.getByLabel('Password').fill(ADMIN_PASSWORD)
  await moderator.page.getByRole('button', { name: 'Log in' }).click()
  await moderator.page.getByRole('heading', { name: 'Campaigns' }).waitFor()
  await moderator.page.goto(`${fanfare.url}/admin/campaigns/wall/moderation`)
  const queue = moderator.page.locator('#moderation')
  await queue.getByText('My spring ride').waitFor()
  await queue.getByRole('button', { name: 'Approve' }).click()
  await moderator.page.locator('#moderation').getByText('Nothing waits for a decision.').waitFor()
  await moderator.context.close()

  await page.reload()
  await page.getByRole('link', { name: 'https://photos.example/wren-bike.jpg' }).waitFor()
  assert.equal(await page.getByText('Waiting for moderation').count(), 0)

  // From the keyboard alone: to the comment box, type, on to Post, Enter.
  const focusedLabel = () => page.evaluate(() => {
    let element = document.activeElement
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement
    return element.labels?.[0]?.textContent || element.textContent
  })
  await page.locator('body').focus()
  for (let i = 0; i < 60 && !/Your comment/.test(await focusedLabel()); i++) await page.keyboard.press('Tab')
  assert.match(await focusedLabel(), /Your comment/)
  await page.keyboard.type('Typed with the keyboard')
  await page.keyboard.press('Tab')
  assert.equal(await focusedLabel(), 'Post')
  await page.keyboard.press('Enter')
  await page.getByText('Typed with the keyboard').waitFor()
  await page.screenshot({ path: join(artifacts, 'wall-fan.png'), fullPage: true })
  assert.deepEqual(consoleErrors(log), [])
  assert.deepEqual(log.errors, [])
  await context.close()

  // In French, dark, on a phone: the same wall.
  const phone = await visitor(browser, 'wall-fr', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true })
  await phone.page.goto(`${site.url}/page?campaign=wall&plain=1&wall=1&lang=fr&theme=dark`)
  await phone.page.getByRole('button', { name: /^J'aime \d+$/ }).waitFor()
  await phone.page.getByText('Love the <b>colours</b>').waitFor()
  await phone.page.getByRole('heading', { name: 'Commentaires' }).waitFor()
  assert.deepEqual(await seriousViolations(phone.page), [], 'the wall in French, dark, 390 px')
  await phone.page.screenshot({ path: join(artifacts, 'wall-fr-dark-phone.png'), fullPage: true })
  assert.deepEqual(consoleErrors(phone.log), [])
  await phone.context.close()
})
