/**
 * Admin lite: one case (`?id=`) — the rating, the citizen's words and contact, the deadlines
 * (overdue marked, with why), the answer and the history. The bad-rating subscribe message
 * opens this page (server/notifications.py CASE_PAGE = "pages/admin/case?id=…"), so the path
 * must stay; without an admin session it goes through the login and comes back.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const time = require('../../utils/time')
const session = require('../../utils/admin-session')

const t = strings.admin

function caseView(c) {
  const rating = c.rating || {}
  const target = rating.target || {}
  return {
    id: c.id,
    number: strings.format(t.caseNumber, { id: c.id }),
    target: target.name || '',
    unit: (c.unit && c.unit.name) || '',
    score: rating.score_label || '',
    tags: rating.tags || [],
    comment: rating.comment || '',
    contact: rating.contact || t.noContact,
    ratedAt: time.dateTime(rating.created_at),
    status: c.status_label || c.status,
    contactDue: time.dateTime(c.due_contact_at),
    resolveDue: time.dateTime(c.due_resolve_at),
    contactedAt: c.contacted_at ? time.dateTime(c.contacted_at) : '',
    resolvedAt: c.resolved_at ? time.dateTime(c.resolved_at) : '',
    overdue: Boolean(c.overdue),
    overdueReasons: (c.overdue_reasons || []).map((r) => r.message),
    answer: c.answer || '',
    history: (c.history || []).map((h, i) => ({
      key: i,
      text: strings.format(t.historyEntry, {
        time: time.dateTime(h.at), action: h.action_label || h.action, actor: (h.actor && h.actor.name) || '',
      }),
      note: h.note || '',
    })),
  }
}

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | failed
    item: null,
    error: '',
  },

  methods: {
    async onLoad(options) {
      wx.setNavigationBarTitle({ title: t.caseTitle })
      const id = Number(options && options.id)
      const here = routes.withQuery(routes.adminCase, { id })
      if (!session.requireAdmin(here)) return
      if (!id) {
        this.setData({ phase: 'failed', error: t.caseNotFound })
        return
      }
      try {
        const { data } = await api.adminCase(id, { silent: true })
        this.setData({ phase: 'ready', item: caseView(data) })
      } catch (error) {
        if (!session.handleLostSession(error, here)) this.setData({ phase: 'failed', error: error.message })
      }
    },

    onCases() {
      wx.redirectTo({ url: routes.adminCases })
    },
  },
})
