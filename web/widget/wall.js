/* Fanfare widget part: the wall. Reactions to the campaign with their counts (a second tap takes
 * one back), comments newest first, creations (a link and a caption) that wait for a moderator,
 * and the approved creations. A visitor who has not joined gives a name once, and the action goes
 * through. fanfare.js loads it only where a <div data-fanfare="wall"> is, and hands it its
 * helpers through the `fanfare:part` event. Everything a fan wrote is written as text. */
(() => {
  const LABELS = {
    en: {
      title: 'Wall', reactions: 'Reactions', react: { like: 'Like', love: 'Love', wow: 'Wow', clap: 'Clap' },
      comment: 'Your comment', post: 'Post', comments: 'Comments', none: 'Be the first to comment.',
      url: 'Link to your photo or post (https)', caption: 'Caption', submit: 'Share your creation',
      creations: "Fans' creations", more: 'Show more', waiting: 'Waiting for moderation',
      held: 'Thank you! It will appear once a moderator approves it.', posted: 'Posted.',
      name: 'Your name, to join first', count: n => ' · ' + n + (n === 1 ? ' reaction' : ' reactions'), joinGo: 'Join and continue', failed: 'That did not work: '
    },
    fr: {
      title: 'Mur', reactions: 'Réactions', react: { like: "J'aime", love: 'Adore', wow: 'Waouh', clap: 'Bravo' },
      comment: 'Votre commentaire', post: 'Publier', comments: 'Commentaires', none: 'Soyez le premier à commenter.',
      url: 'Lien vers votre photo ou publication (https)', caption: 'Légende', submit: 'Partager votre création',
      creations: 'Créations des fans', more: 'Voir plus', waiting: 'En attente de modération',
      held: 'Merci ! Elle apparaîtra une fois approuvée par un modérateur.', posted: 'Publié.',
      name: "Votre nom, pour d'abord rejoindre", count: n => ' · ' + n + (n > 1 ? ' réactions' : ' réaction'), joinGo: 'Rejoindre et continuer', failed: "Échec : "
    }
  }
  const ICONS = { like: '👍', love: '❤️', wow: '😮', clap: '👏' }
  const CSS = 'h2{font-size:1.05em;margin:8px 0 4px}ul{list-style:none;padding:0;margin:4px 0}li{border-top:1px solid;padding:4px 0}' +
    'textarea{width:100%;min-height:4em;padding:6px;border:1px solid var(--f);border-radius:var(--r);background:var(--b);color:var(--f)}' +
    '[aria-pressed=true]{background:var(--a);color:var(--b)}b{margin-right:6px}'
  // An action a visitor asked for before joining: it goes through once they have.
  let pending

  function mount (w, root) {
    const T = LABELS[w.lang] || LABELS.en
    const el = w.el
    const member = w.member()
    const joined = member && member.token
    const auth = () => joined ? { authorization: 'Bearer ' + member.token } : {}
    const status = el('p', { role: 'status' })
    const say = text => { status.textContent = text }
    const failed = err => say(T.failed + err.message)
    const send = (path, method, body) => w.call(path, {
      method, headers: { 'content-type': 'application/json', ...auth() }, body: body && JSON.stringify(body)
    })
    // An action is a function of the mount it runs in: without a member token, it waits for a
    // name and the join, and runs in the wall drawn again after it.
    const act = action => {
      if (joined) return action(ctx)
      pending = action
      const name = el('input', { required: true, maxLength: 80, autocomplete: 'name' })
      const form = el('form', {}, el('label', {}, T.name, name), el('button', { type: 'submit', className: 'm' }, T.joinGo))
      form.onsubmit = e => { e.preventDefault(); w.join(name.value).catch(failed) }
      gate.replaceChildren(form)
      name.focus()
    }
    const gate = el('div')

    const reactions = el('div', { role: 'group', ariaLabel: T.reactions })
    const comments = el('ul')
    const mine = el('ul')
    const creations = el('ul')
    const moreComments = el('button', { type: 'button', hidden: true }, T.more)
    const moreCreations = el('button', { type: 'button', hidden: true }, T.more)

    const text = el('textarea', { required: true, maxLength: 2000 })
    const commentForm = el('form', {}, el('label', {}, T.comment, text), el('button', { type: 'submit' }, T.post))
    commentForm.onsubmit = e => {
      e.preventDefault()
      const body = text.value
      act(m => m.send('/interactions', 'POST', { kind: 'comment', body }).then(c => {
        text.value = ''
        m.say(c.status === 'pending' ? T.held : T.posted)
        m.load()
      }, m.failed))
    }
    const url = el('input', { type: 'url', required: true, placeholder: 'https://' })
    const caption = el('input', { maxLength: 2000 })
    const creationForm = el('form', {}, el('label', {}, T.url, url), el('label', {}, T.caption, caption), el('button', { type: 'submit' }, T.submit))
    creationForm.onsubmit = e => {
      e.preventDefault()
      const creation = { kind: 'creation', url: url.value, body: caption.value || undefined }
      act(m => m.send('/interactions', 'POST', creation).then(c => {
        url.value = caption.value = ''
        m.say(c.status === 'approved' ? T.posted : T.held)
        m.load()
      }, m.failed))
    }

    const item = (name, body, extra) => el('li', {}, el('b', { textContent: name || '?' }), el('span', { textContent: (body || '') + ' ' }), extra || '')
    let commentCursor, creationCursor
    const loadComments = () => w.call('/wall' + (commentCursor ? '?cursor=' + encodeURIComponent(commentCursor) : ''), { headers: auth() })
    function load () {
      commentCursor = creationCursor = undefined
      loadComments().then(wall => {
        reactions.replaceChildren(...Object.keys(ICONS).map(r => {
          const on = wall.my_reactions.includes(r)
          const button = el('button', { type: 'button', ariaPressed: String(on) }, el('span', { ariaHidden: 'true' }, ICONS[r]), T.react[r] + ' ' + wall.reactions[r])
          button.onclick = () => act(m => (on
            ? m.send('/interactions/reactions/' + r, 'DELETE')
            : m.send('/interactions', 'POST', { kind: 'reaction', reaction: r })).then(m.load, m.failed))
          return button
        }))
        mine.replaceChildren(...wall.my_pending.map(p => item(T.waiting, p.body || p.url)))
        showComments(wall, true)
      }, () => {})
      w.call('/creations?limit=6').then(page => showCreations(page, true), () => {})
    }
    function showComments (wall, fresh) {
      const items = wall.comments.items.map(c => item(c.name, c.body))
      fresh ? comments.replaceChildren(...(items.length ? items : [el('li', { textContent: T.none })])) : comments.append(...items)
      commentCursor = wall.comments.next_cursor
      moreComments.hidden = !commentCursor
    }
    function showCreations (page, fresh) {
      const items = page.items.map(c => item(c.name, c.body, el('span', {},
        c.url ? el('a', { href: c.url, target: '_blank', rel: 'nofollow ugc noopener', textContent: c.url }) : '', T.count(c.reactions))))
      fresh ? creations.replaceChildren(...items) : creations.append(...items)
      creationCursor = page.next_cursor
      moreCreations.hidden = !creationCursor
    }
    moreComments.onclick = () => loadComments().then(wall => showComments(wall, false), failed)
    moreCreations.onclick = () => w.call('/creations?limit=6&cursor=' + encodeURIComponent(creationCursor)).then(page => showCreations(page, false), failed)

    root.replaceChildren(el('style', { textContent: w.CSS + CSS }), el('section', { ariaLabel: T.title },
      reactions, gate, status, mine,
      el('h2', { textContent: T.comments }), commentForm, comments, moreComments,
      el('h2', { textContent: T.creations }), creationForm, creations, moreCreations))
    const ctx = { send, say, load, failed }
    load()
    if (joined && pending) {
      const action = pending
      pending = undefined
      action(ctx)
    }
  }

  document.dispatchEvent(new CustomEvent('fanfare:part', { detail: { name: 'wall', mount } }))
})()
