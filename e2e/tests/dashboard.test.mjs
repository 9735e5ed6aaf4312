// The dashboard in a real browser: log in, audit a page, see the three previews as the
// networks draw them; the audit of a campaign's landing page.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ADMIN_EMAIL, ADMIN_PASSWORD, admin, artifacts, launchBrowser, startFanfare, visitor } from './harness.mjs'

let fanfare, browser

before(async () => {
  fanfare = await startFanfare()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await fanfare?.stop()
})

const PAGE = `<html lang="en"><head><title>Spring at the shop</title>
<meta property="og:title" content="Spring at the shop: new colours">
<meta property="og:description" content="Twelve new colours and three new cuts, made to last.">
<meta property="og:image" content="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==">
<meta name="twitter:card" content="summary_large_image">
</head><body></body></html>`

test('an admin logs in and audits a page; the previews and the fix are shown', async () => {
  await admin(fanfare, 'POST', '/api/v1/campaigns', {
    slug: 'spring', kind: 'product', title: 'Spring', landing_url: 'https://shop.example/spring'
  })
  const { context, page, log } = await visitor(browser, 'admin')
  await page.goto(`${fanfare.url}/admin`)
  assert.match(page.url(), /\/admin\/login$/)
  await page.getByLabel('E-mail').fill(ADMIN_EMAIL)
  await page.getByLabel('Password').fill('wrong password, surely')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('alert').waitFor()
  assert.match(await page.getByRole('alert').innerText(), /Wrong e-mail or password/)
  await page.getByLabel('Password').fill(ADMIN_PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor()
  // The refused attempt above is a 401 page, which Chromium logs; from here on, nothing may be.
  log.console.length = 0
  const cookies = await context.cookies()
  assert.equal(cookies.length, 1)
  assert.equal(cookies[0].httpOnly, true)
  assert.equal(cookies[0].sameSite, 'Strict')
  assert.ok(await page.getByRole('link', { name: 'Audit its landing page' }).isVisible())

  await page.getByRole('link', { name: 'Audit a page' }).click()
  await page.getByLabel('Or its HTML').fill(PAGE)
  await page.getByLabel('The URL of that HTML').fill('https://shop.example/spring')
  await page.getByRole('button', { name: 'Audit' }).click()
  await page.getByRole('heading', { name: 'Findings' }).waitFor()
  for (const network of ['Facebook', 'X', 'LinkedIn']) {
    const card = page.getByLabel(`${network} preview`)
    assert.ok(await card.isVisible(), network)
    assert.match(await card.innerText(), /Spring at the shop: new colours/)
  }
  assert.match(await page.locator('pre').innerText(), /og:url/)
  await page.setViewportSize({ width: 1100, height: 900 })
  await page.screenshot({ path: join(artifacts, 'dashboard-audit.png'), fullPage: true })
  // On a phone screen the cards stack and nothing overflows sideways.
  await page.setViewportSize({ width: 390, height: 844 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`)
  await page.screenshot({ path: join(artifacts, 'dashboard-audit-phone.png'), fullPage: true })
  assert.deepEqual(log.errors, [])
  assert.deepEqual(log.console.filter(m => m.type === 'error'), [], JSON.stringify(log.requests))

  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('heading', { name: 'Log in' }).waitFor()
  await page.goto(`${fanfare.url}/admin`)
  assert.match(page.url(), /\/admin\/login$/)
  await context.close()
})
