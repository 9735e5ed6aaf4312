// The demo campaign's report in a real browser: log in with the printed password, see the
// funnel, the charts, the pillars and the cascade trees; change the date range; approve a
// creation; the page fits a phone.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { admin, artifacts, launchBrowser, startDemo, visitor } from './harness.mjs'

let demo, browser

before(async () => {
  demo = await startDemo()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await demo?.stop()
})

/** The number shown on a funnel step. */
async function step (page, label) {
  const text = await page.locator('.funnel .step', { hasText: label }).locator('b').innerText()
  return Number(text)
}

test('the demo campaign report: funnel, charts, range, moderation, phone', async () => {
  const { page, log } = await visitor(browser, 'demo-admin')
  await page.setViewportSize({ width: 1200, height: 1000 })
  await page.goto(`${demo.url}/admin`)
  await page.getByLabel('E-mail').fill(demo.email)
  await page.getByLabel('Password').fill(demo.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor()
  await page.getByRole('link', { name: 'Report' }).click()
  await page.getByRole('heading', { name: 'Funnel' }).waitFor()

  // All time: the funnel's fans are the demo's, as the API counts them.
  await page.getByRole('link', { name: 'All time' }).click()
  await page.getByRole('heading', { name: 'Funnel' }).waitFor()
  const all = await admin(demo, 'GET', '/api/v1/campaigns/spring-launch/stats')
  assert.equal(all.fans, demo.fans)
  assert.equal(await step(page, 'Fans'), demo.fans)
  assert.equal(await step(page, 'Visitors'), all.visitors)
  assert.equal(await step(page, 'Ambassadors'), all.ambassadors)
  assert.ok(all.visitors > all.fans && all.fans > all.sharers && all.sharers > 0)

  // Both charts are drawn by uPlot, one series per legend entry.
  await page.locator('#chart-adhesion canvas').waitFor()
  await page.locator('#chart-transmission canvas').waitFor()
  assert.equal(await page.locator('#chart-adhesion .u-legend .u-series').count(), 3)
  assert.equal(await page.locator('#chart-transmission .u-legend .u-series').count(), 4)
  // The pillars and the largest cascades, drawn as trees.
  assert.equal(await page.locator('#pillars meter').count(), 3)
  assert.ok(await page.locator('#cascades figure.tree').count() >= 1)
  assert.ok(await page.locator('#cascades figure.tree circle').count() >= 2)
  await page.screenshot({ path: join(artifacts, 'demo-report-all.png'), fullPage: true })

  // The last 7 days hold fewer fans than all time, and the API agrees with the page.
  await page.getByRole('link', { name: '7 days' }).click()
  await page.getByRole('heading', { name: 'Funnel' }).waitFor()
  const from = new URL(page.url()).searchParams.get('from')
  const to = new URL(page.url()).searchParams.get('to')
  const end = new Date(Date.parse(to) + 86400000).toISOString().slice(0, 10)
  const week = await admin(demo, 'GET', `/api/v1/campaigns/spring-launch/stats?from=${from}&to=${end}`)
  assert.equal(await step(page, 'Fans'), week.fans)
  assert.ok(week.fans < all.fans)
  // A range typed by hand.
  await page.getByLabel('From').fill(from)
  await page.getByLabel('To').fill(from)
  await page.getByRole('button', { name: 'Show' }).click()
  await page.getByRole('heading', { name: 'Funnel' }).waitFor()
  assert.equal(new URL(page.url()).searchParams.get('to'), from)

  // A moderator approves the first creation waiting; it leaves the queue and is published.
  await page.getByRole('link', { name: 'All time' }).click()
  const queue = page.locator('#moderation article')
  const waiting = await queue.count()
  assert.ok(waiting > 0, 'the demo has creations waiting')
  const first = queue.first()
  const text = await first.locator('p').nth(1).innerText()
  await first.getByRole('button', { name: 'Approve' }).click()
  await page.getByRole('heading', { name: 'Moderation queue' }).waitFor()
  assert.equal(await page.locator('#moderation article', { hasText: text }).count(), 0)
  const published = await (await fetch(`${demo.url}/api/public/campaigns/spring-launch/creations`)).json()
  assert.ok(JSON.stringify(published).includes(text), 'the approved creation is public')

  // A phone: nothing wider than the screen, the charts fit.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.reload()
  await page.locator('#chart-adhesion canvas').waitFor()
  await page.waitForTimeout(200)
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`)
  await page.screenshot({ path: join(artifacts, 'demo-report-phone.png'), fullPage: true })

  // The CSV export of the fans.
  const download = await page.request.get(`${demo.url}/admin/campaigns/spring-launch/fans.csv`)
  assert.equal(download.status(), 200)
  const lines = (await download.text()).trim().split('\n')
  assert.equal(lines.length, demo.fans + 1)

  assert.deepEqual(log.errors, [])
  assert.deepEqual(log.console.filter(m => m.type === 'error'), [])
})
