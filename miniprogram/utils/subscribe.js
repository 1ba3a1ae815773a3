/**
 * WeChat subscribe messages (订阅消息): ask the user for one message of a kind, and tell the
 * server the answer (POST /api/v1/me/subscriptions), which counts one message per "accept".
 *
 * The template ids are the server's (GET /api/v1/me/subscriptions lists the switched-on
 * kinds: bad_rating, case_answered, shift_reviewed — set by WECHAT_TEMPLATE_* on the
 * server), so the mini-program keeps no copy of them. A kind the server has not switched on
 * is never asked for.
 *
 * wx.requestSubscribeMessage only works inside a user's tap: ask() shows a modal and calls
 * it from the modal's confirm (a tap); requestNow() is for a button's own tap handler, with
 * the template already known (loadTemplates() beforehand).
 */
const api = require('../api')
const strings = require('../strings')

const cache = {}

/** `{ wechat_linked, items: [{ kind, template_id, remaining }] }` of the session `as` ('user' or 'admin'). */
async function loadTemplates(as = 'user', { refresh = false } = {}) {
  if (!cache[as] || refresh) {
    const { data } = await api.mySubscriptions({ silent: true, as })
    cache[as] = data
  }
  return cache[as]
}

/** The template of `kind` from the last loadTemplates(as), or null. */
function knownTemplate(kind, as = 'user') {
  const items = (cache[as] && cache[as].items) || []
  return items.find((item) => item.kind === kind && item.template_id) || null
}

function record(templateId, answer, as) {
  if (answer !== 'accept' && answer !== 'reject') return Promise.resolve(answer || null)
  return api.subscribe({ template_id: templateId, accepted: answer === 'accept' }, { silent: true, as })
    .then(() => answer, () => answer)
}

/** Call from a tap: wx.requestSubscribeMessage for the known `kind`; resolves 'accept', 'reject' or null. */
function requestNow(kind, as = 'user') {
  const template = knownTemplate(kind, as)
  if (!template) return Promise.resolve(null)
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: [template.template_id],
      success: (res) => resolve(res[template.template_id] || null),
      fail: () => resolve(null),
    })
  }).then((answer) => record(template.template_id, answer, as))
}

/**
 * Ask in a modal (`content`) whether to receive the `kind` message; on confirm, WeChat's own
 * prompt follows. Resolves 'accept', 'reject' or null (not asked, declined, failed). Never rejects.
 */
async function ask(kind, { as = 'user', content } = {}) {
  try {
    await loadTemplates(as)
  } catch (e) {
    return null
  }
  const template = knownTemplate(kind, as)
  if (!template) return null
  const answer = await new Promise((resolve) => {
    wx.showModal({
      title: strings.subscribe.title,
      content,
      confirmText: strings.subscribe.yes,
      cancelText: strings.subscribe.no,
      success: (res) => {
        if (!res.confirm) return resolve(null)
        // Called from the confirm tap itself: WeChat refuses it outside a user's tap.
        return wx.requestSubscribeMessage({
          tmplIds: [template.template_id],
          success: (r) => resolve(r[template.template_id] || null),
          fail: () => resolve(null),
        })
      },
      fail: () => resolve(null),
    })
  })
  return record(template.template_id, answer, as)
}

/** Forget the loaded templates (tests; after an admin logs out). */
function reset(as) {
  if (as) delete cache[as]
  else Object.keys(cache).forEach((key) => delete cache[key])
}

module.exports = { loadTemplates, knownTemplate, requestNow, ask, reset }
