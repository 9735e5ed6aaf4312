// Fanfare dashboard: draws the campaign's daily series with uPlot (vendored in web/vendor/uplot).
// The figures come with the page, in <script type="application/json" id="fanfare-series">.
(function () {
  'use strict'
  const source = document.getElementById('fanfare-series')
  if (!source || typeof uPlot === 'undefined') return
  const data = JSON.parse(source.textContent)
  const charts = []

  function draw (elementId, title, series) {
    const element = document.getElementById(elementId)
    if (!element) return
    const options = {
      title,
      width: Math.max(280, element.clientWidth),
      height: 220,
      scales: { x: { time: true } },
      axes: [{}, { size: 50 }],
      series: [{}].concat(series.map(s => ({ label: s.label, stroke: s.color, width: 2, fill: s.fill }))),
      legend: { live: true }
    }
    const values = [data.t].concat(series.map(s => data[s.key]))
    charts.push({ element, chart: new uPlot(options, values, element) })
  }

  draw('chart-adhesion', 'Visitors and new fans per day (UTC)', [
    { key: 'visitors', label: 'visitors', color: '#8a8f98', fill: 'rgba(138,143,152,0.12)' },
    { key: 'fans', label: 'new fans', color: '#b4235a', fill: 'rgba(180,35,90,0.12)' }
  ])
  draw('chart-transmission', 'Shares, clicks and interactions per day (UTC)', [
    { key: 'clicks', label: 'clicks', color: '#1565c0' },
    { key: 'shares', label: 'shares', color: '#2e7d32' },
    { key: 'interactions', label: 'interactions', color: '#b26a00' }
  ])

  let pending = 0
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending)
    pending = requestAnimationFrame(() => {
      for (const { element, chart } of charts) chart.setSize({ width: Math.max(280, element.clientWidth), height: 220 })
    })
  })
})()
