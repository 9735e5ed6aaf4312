/* Fanfare widget: the fan button and the share bar, each in a shadow root so that the host
 * page's CSS cannot reach it. No cookies: the member token and the ambassador's ref code live in
 * the host site's localStorage. Nothing is fetched from any host but Fanfare's, and share
 * networks are only reached when the visitor clicks. Data from the API is only ever written as
 * text (textContent, attribute values), never parsed as HTML. */
(() => {
  const script = document.currentScript
  if (!script) return
  const data = script.dataset
  const slug = data.campaign || ''
  const base = new URL(script.src).origin
  const api = base + '/api/public/campaigns/' + encodeURIComponent(slug)
  const warn = m => console.warn('fanfare: ' + m)
  const key = 'fanfare:' + slug
  const read = () => { try { return JSON.parse(localStorage.getItem(key)) || {} } catch (e) { return {} } }
  const write = v => { try { localStorage.setItem(key, JSON.stringify(v)) } catch (e) {} }
  let saved = read()
  let campaign
  // Who brought this visitor, and through which network: sent with the join.
  const query = new URLSearchParams(location.search)
  const ref = query.get('ff_ref')
  if (ref && !saved.member) write(saved = { ref, channel: query.get('utm_source'), referrer: document.referrer })

  const lang = (data.lang || document.documentElement.lang || navigator.language || 'en').slice(0, 2).toLowerCase()
  const T = lang === 'fr'
    ? { fan: 'Devenir fan', fans: 'fans', name: 'Votre nom', email: 'E-mail (facultatif)', join: 'Rejoindre', joined: 'Vous êtes fan !', invited: ' vous invite', link: 'Votre lien à partager', share: 'Partager', on: 'Partager sur ', copy: 'Copier le lien', copied: 'Lien copié', qr: 'Code QR', more: 'Partager…', others: 'Autres réseaux', failed: 'Échec, réessayez.' }
    : { fan: 'Become a fan', fans: 'fans', name: 'Your name', email: 'E-mail (optional)', join: 'Join', joined: 'You are a fan!', invited: ' invited you', link: 'Your link to share', share: 'Share', on: 'Share on ', copy: 'Copy link', copied: 'Link copied', qr: 'QR code', more: 'Share…', others: 'More networks', failed: 'That did not work, try again.' }

  // name, brand colour, monogram: icons are drawn here, not fetched.
  const NETWORKS = {
    facebook: ['Facebook', '1877f2', 'f'], x: ['X', '000', 'X'], linkedin: ['LinkedIn', '0a66c2', 'in'],
    pinterest: ['Pinterest', 'bd081c', 'P'], reddit: ['Reddit', 'd93a00', 'r'], whatsapp: ['WhatsApp', '128c7e', 'W'],
    telegram: ['Telegram', '1c84c6', 'T'], email: ['E-mail', '555', '@'], bluesky: ['Bluesky', '0a6ad8', 'B'],
    threads: ['Threads', '000', 'Th'], mastodon: ['Mastodon', '563acc', 'M'], hackernews: ['Hacker News', 'c94d00', 'Y'],
    xing: ['XING', '026466', 'Xi'], vk: ['VK', '0763d8', 'vk'], tumblr: ['Tumblr', '36465d', 't']
  }
  // Networks shown before "More"; the messengers people share with from a phone.
  const TOP = 4
  const MOBILE = ['whatsapp', 'telegram']
  const icon = (colour, glyph) => '<svg viewBox="0 0 24 24" aria-hidden="true"><rect width="24" height="24" rx="6" fill="#' + colour +
    '"/><text x="12" y="16.5" text-anchor="middle" fill="#fff" font-size="' + (glyph.length > 1 ? 11 : 14) + '" font-weight="700" font-family="Arial,sans-serif">' + glyph + '</text></svg>'

  // !important on :host beats the host page's !important rules on the placeholder (CSS Scoping).
  const CSS = ':host{--a:var(--fanfare-accent,#b0124f);--b:var(--fanfare-bg,#fff);--f:var(--fanfare-fg,#1b1b1b);--r:var(--fanfare-radius,8px);' +
    'all:initial!important;display:block!important;color:var(--f)!important;background:var(--b)!important;font:15px/1.4 var(--fanfare-font,system-ui,sans-serif)!important}' +
    ':host([data-theme=dark]){--a:var(--fanfare-accent,#ff8ab8);--b:var(--fanfare-bg,#1b1b1b);--f:var(--fanfare-fg,#f4f4f4)}' +
    '*{box-sizing:border-box;font:inherit}div{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:4px 0}' +
    'button,a{display:inline-flex;gap:6px;align-items:center;min-height:36px;padding:6px 12px;border:2px solid var(--a);border-radius:var(--r);' +
    'background:var(--b);color:var(--f);text-decoration:none;cursor:pointer}.m{background:var(--a);color:var(--b);font-weight:700}' +
    'svg{width:20px;height:20px}:focus-visible{outline:3px solid var(--f);outline-offset:2px}' +
    'form{display:grid;gap:6px;max-width:22em;margin:6px 0}label{display:grid}' +
    'input{padding:6px;border:1px solid var(--f);border-radius:var(--r);background:var(--b);color:var(--f)}[hidden]{display:none}' +
    'img{width:160px;height:160px;background:#fff}p{margin:4px 0}.v{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}'

  const el = (tag, props, ...kids) => {
    const node = document.createElement(tag)
    for (const k in props || {}) k in node ? node[k] = props[k] : node.setAttribute(k, props[k])
    node.append(...kids)
    return node
  }
  const beacon = body => { try { navigator.sendBeacon(api + '/views', body) } catch (e) {} }
  const call = (path, init) => fetch(api + path, init).then(async r => {
    const body = r.status === 204 ? {} : await r.json()
    if (!r.ok) throw new Error((body.error && body.error.message) || r.status)
    return body
  })

  // Joins (from the fan button, or in one step from a part), then draws every placeholder again.
  const join = (name, email) => call('/fans', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email: email || undefined, ref: saved.ref, channel: saved.channel || undefined, referrer: saved.referrer || document.referrer || undefined })
  }).then(joined => {
    write(saved = { member: { token: joined.member.token, ref_code: joined.member.ref_code, links: joined.links, share_urls: joined.share_urls } })
    // The join stands even if the fresh count cannot be read: the bar shows all the same.
    return call('').then(c => { campaign = c }, () => {})
  }).then(render)

  const mounts = new Set()
  const shadowOf = host => host.shadowRoot || host.attachShadow({ mode: 'open' })
  // The progress view and the wall are scripts of their own, fetched only where a page has
  // their placeholder; it hands back its mount function with a `fanfare:part` event.
  const PARTS = ['progress', 'wall']
  const parts = {}
  const helpers = { el, call, CSS, lang, join, member: () => saved.member }
  document.addEventListener('fanfare:part', e => {
    if (PARTS.includes(e.detail.name) && !parts[e.detail.name]) { parts[e.detail.name] = e.detail.mount; if (campaign) render() }
  })

  function render () {
    for (const host of mounts) {
      if (!host.dataset.theme && data.theme) host.dataset.theme = data.theme
      const root = shadowOf(host)
      const kind = host.dataset.fanfare
      if (PARTS.includes(kind)) parts[kind] && parts[kind](helpers, root)
      else root.replaceChildren(el('style', { textContent: CSS }), kind === 'fan-button' ? fanButton() : shareBar())
    }
  }

  const count = () => el('span', { textContent: campaign.fans + ' ' + T.fans })

  function fanButton () {
    const links = saved.member && saved.member.links
    if (links) {
      // The fan's own link to copy; their share bar here only if the page has no other.
      const hasBar = [...mounts].some(h => h.dataset.fanfare === 'share-bar')
      return el('section', {}, el('p', { textContent: T.joined + ' · ' + campaign.fans + ' ' + T.fans }),
        el('label', {}, T.link, el('input', { readOnly: true, value: links.copy || Object.values(links)[0] })),
        hasBar ? '' : shareBar())
    }
    const status = el('p', { role: 'status' })
    const name = el('input', { name: 'name', required: true, maxLength: 80, autocomplete: 'name' })
    const email = el('input', { name: 'email', type: 'email', autocomplete: 'email' })
    const form = el('form', { hidden: true },
      el('label', {}, T.name, name), el('label', {}, T.email, email),
      el('button', { type: 'submit', className: 'm' }, T.join))
    const open = el('button', { type: 'button', className: 'm', ariaExpanded: 'false' }, el('span', { ariaHidden: 'true' }, '★'), T.fan + ' · ', count())
    open.onclick = () => {
      const opening = form.hidden
      form.hidden = !opening
      open.ariaExpanded = String(opening)
      if (opening) {
        beacon(JSON.stringify({ event: 'join_started' }))
        name.focus()
      }
    }
    form.onsubmit = e => {
      e.preventDefault()
      status.textContent = ''
      join(name.value, email.value).catch(err => { status.textContent = T.failed + ' ' + err.message })
    }
    // Who brought this visitor, named as the leaderboard names them (the server decides).
    const invited = campaign.invited_by ? el('p', { textContent: campaign.invited_by + T.invited }) : ''
    return el('section', {}, invited, el('div', {}, open), form, status)
  }

  function shareBar () {
    const mine = saved.member
    const links = (mine && mine.links) || campaign.links
    const shares = (mine && mine.share_urls) || campaign.share_urls
    const status = el('p', { role: 'status' })
    const bar = el('div', { role: 'group', ariaLabel: T.share })
    const recorded = ch => fetch(shares[ch], { mode: 'no-cors', keepalive: true }).catch(() => {})
    // The campaign's first networks in sight, the others behind "More"; on a phone, the
    // messengers people share with there come first, and the native share sheet leads.
    const mobile = matchMedia('(pointer: coarse)').matches
    const rank = ch => { const i = MOBILE.indexOf(ch); return mobile && i >= 0 ? i : MOBILE.length }
    const nets = campaign.channels.filter(ch => NETWORKS[ch] && shares[ch]).sort((a, b) => rank(a) - rank(b))
    const rest = el('div', { id: 'ff-more', hidden: true })
    const link = (ch, i) => {
      const net = NETWORKS[ch]
      // The name read aloud ("Share on X") starts hidden and ends with the visible text.
      const a = el('a', { href: shares[ch], target: '_blank', rel: 'noopener' })
      a.innerHTML = icon(net[1], net[2])
      a.append(el('span', { className: 'v' }, T.on), net[0])
      ;(i < TOP ? bar : rest).append(a)
    }
    nets.forEach(link)
    let qr
    const order = mobile ? ['native', ...campaign.channels.filter(ch => ch !== 'native')] : campaign.channels
    for (const ch of order) {
      if (ch === 'copy' && links.copy) {
        bar.append(el('button', {
          type: 'button',
          onclick: () => {
            const done = () => { status.textContent = T.copied; recorded('copy') }
            navigator.clipboard ? navigator.clipboard.writeText(links.copy).then(done, () => { status.textContent = links.copy }) : (status.textContent = links.copy)
          }
        }, T.copy))
      } else if (ch === 'native' && links.native && navigator.share) {
        bar.append(el('button', {
          type: 'button',
          onclick: () => navigator.share({ title: campaign.title || '', url: links.native }).then(() => recorded('native'), () => {})
        }, T.more))
      } else if (ch === 'qr' && links.qr) {
        qr = el('img', { alt: T.qr, hidden: true })
        const toggle = el('button', {
          type: 'button',
          ariaExpanded: 'false',
          onclick: () => {
            if (!qr.src) { qr.src = links.qr + '/qr.svg'; recorded('qr') }
            qr.hidden = !qr.hidden
            toggle.ariaExpanded = String(!qr.hidden)
          }
        }, T.qr)
        bar.append(toggle)
      }
    }
    if (rest.childElementCount) {
      const more = el('button', { type: 'button', ariaExpanded: 'false', onclick: () => { rest.hidden = !rest.hidden; more.ariaExpanded = String(!rest.hidden) } }, T.others)
      more.setAttribute('aria-controls', 'ff-more')
      bar.append(more)
    }
    return el('section', {}, bar, rest, status, qr || '')
  }

  function start () {
    if (!slug) return warn('the script tag has no data-campaign')
    const hosts = document.querySelectorAll('[data-fanfare]')
    if (!hosts.length) return
    call(saved.ref && !saved.member ? '?ref=' + encodeURIComponent(saved.ref) : '').then(c => {
      campaign = c
      beacon()
      const wanted = new Set()
      hosts.forEach(h => {
        const kind = h.dataset.fanfare
        if (kind === 'fan-button' || kind === 'share-bar' || PARTS.includes(kind)) mounts.add(h)
        if (PARTS.includes(kind)) wanted.add(kind)
      })
      wanted.forEach(kind => document.head.append(el('script', { src: base + '/w/' + kind + '.js', async: true })))
      render()
    }, err => warn('campaign "' + slug + '" is not available (' + err.message + ')'))
  }
  document.readyState === 'loading' ? document.addEventListener('DOMContentLoaded', start) : start()
})()
