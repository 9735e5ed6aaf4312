/* Fanfare widget part: a fan's progress (friends brought, reach, rank, level, clicks on their
 * links, and how far the next reward is). fanfare.js loads it only on pages with a
 * <div data-fanfare="progress"> placeholder, and hands it its helpers through the
 * `fanfare:part` event, so that this file stays small and defines no global. Everything from
 * the API is written as text. */
(() => {
  const LABELS = {
    en: {
      title: 'Your progress',
      join: 'Become a fan to follow what your sharing brings.',
      friends: 'Friends who joined through you',
      reach: 'Reach, all generations',
      rank: 'Rank',
      level: 'Level',
      clicks: 'Clicks on your links',
      milestone: (n, reward) => n + ' more friend' + (n > 1 ? 's' : '') + ' to get: ' + reward,
      nextLevel: (n, level) => n + ' more point' + (n > 1 ? 's' : '') + ' to reach level ' + level,
      done: 'You have reached every reward.'
    },
    fr: {
      title: 'Votre progression',
      join: 'Devenez fan pour suivre ce que vos partages rapportent.',
      friends: 'Amis venus grâce à vous',
      reach: 'Portée, toutes générations',
      rank: 'Classement',
      level: 'Niveau',
      clicks: 'Clics sur vos liens',
      milestone: (n, reward) => 'Encore ' + n + ' ami' + (n > 1 ? 's' : '') + ' pour obtenir : ' + reward,
      nextLevel: (n, level) => 'Encore ' + n + ' point' + (n > 1 ? 's' : '') + ' pour le niveau ' + level,
      done: 'Vous avez obtenu toutes les récompenses.'
    }
  }
  const CSS = 'dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:6px 0}dt{opacity:.8}dd{margin:0;font-weight:700}' +
    'h2{font-size:1.05em;margin:4px 0}progress{width:100%;max-width:22em;height:12px;accent-color:var(--a)}'

  // Every mounted view and how to read it again: one listener refreshes them all.
  const views = new Map()
  let lastRefresh = 0
  const refresh = () => {
    if (document.visibilityState !== 'visible' || Date.now() - lastRefresh < 3000) return
    lastRefresh = Date.now()
    views.forEach(load => load())
  }
  document.addEventListener('visibilitychange', refresh)
  addEventListener('focus', refresh)

  function mount (w, root) {
    const T = LABELS[w.lang] || LABELS.en
    const box = w.el('section', { ariaLabel: T.title }, w.el('h2', { textContent: T.title }))
    root.replaceChildren(w.el('style', { textContent: w.CSS + CSS }), box)
    const member = w.member()
    views.delete(root)
    if (!member || !member.token) {
      box.append(w.el('p', { textContent: T.join }))
      return
    }
    const facts = w.el('dl')
    const next = w.el('p')
    const bar = w.el('progress', { hidden: true })
    box.append(facts, next, bar)
    const show = me => {
      const clicks = me.links.reduce((sum, link) => sum + link.clicks, 0)
      facts.replaceChildren(...[
        [T.friends, me.referred], [T.reach, me.reach], [T.rank, me.rank ? '#' + me.rank : '–'],
        [T.level, me.level], [T.clicks, clicks]
      ].flatMap(([term, value]) => [w.el('dt', { textContent: term }), w.el('dd', { textContent: String(value) })]))
      // The next reward for friends brought, else the next level; a bar shows how far it is.
      const goal = me.next_milestone
        ? [me.referred, me.next_milestone.threshold, T.milestone(me.next_milestone.threshold - me.referred, me.next_milestone.reward)]
        : me.next_level
          ? [me.score, me.next_level.min_score, T.nextLevel(me.next_level.min_score - me.score, me.next_level.name)]
          : null
      next.textContent = goal ? goal[2] : T.done
      bar.hidden = !goal
      if (goal) {
        bar.max = goal[1]
        bar.value = goal[0]
        bar.ariaLabel = goal[2]
      }
    }
    const load = () => w.call('/fans/me', { headers: { authorization: 'Bearer ' + member.token } }).then(show, () => {})
    views.set(root, load)
    load()
  }

  document.dispatchEvent(new CustomEvent('fanfare:part', { detail: { name: 'progress', mount } }))
})()
