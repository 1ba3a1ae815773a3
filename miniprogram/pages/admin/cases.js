/**
 * Admin lite: the unit's cases still open (待联系 / 整改中), overdue first with why, each
 * with its two deadlines (contact the citizen, answer). Answered cases are not listed here.
 * Also where the admin links their WeChat and asks for the bad-rating message (差评提醒),
 * which opens pages/admin/case?id=.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const time = require('../../utils/time')
const subscribe = require('../../utils/subscribe')
const session = require('../../utils/admin-session')

const t = strings.admin
const PAGE_SIZE = 50

/** A case as the list shows it. */
function caseItem(c) {
  const rating = c.rating || {}
  const target = rating.target || {}
  return {
    id: c.id,
    target: target.name || '',
    unit: (c.unit && c.unit.name) || '',
    score: rating.score_label || '',
    status: c.status_label || c.status,
    contactDue: strings.format(t.contactDue, { time: time.dateTime(c.due_contact_at) }),
    resolveDue: strings.format(t.resolveDue, { time: time.dateTime(c.due_resolve_at) }),
    contacted: Boolean(c.contacted_at),
    overdue: Boolean(c.overdue),
    overdueReasons: (c.overdue_reasons || []).map((r) => r.message),
  }
}

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | failed
    items: [],
    error: '',
    wechatLinked: true,
    alertOn: false, // the server has the bad-rating message switched on
    alertText: '',
  },

  methods: {
    async onLoad() {
      wx.setNavigationBarTitle({ title: t.casesTitle })
      if (!session.requireAdmin(routes.adminCases)) return
      await this.load()
      await this.loadAlerts()
    },

    async load() {
      try {
        const { data } = await api.adminCases({ page_size: PAGE_SIZE }, { silent: true })
        const open = data.items.filter((c) => c.status !== 'resolved')
        this.setData({ phase: 'ready', items: open.map(caseItem), error: '' })
      } catch (error) {
        if (!session.handleLostSession(error, routes.adminCases)) this.setData({ phase: 'failed', error: error.message })
      }
    },

    async loadAlerts() {
      try {
        const data = await subscribe.loadTemplates('admin', { refresh: true })
        const template = subscribe.knownTemplate('bad_rating', 'admin')
        this.setData({
          wechatLinked: Boolean(data.wechat_linked),
          alertOn: Boolean(template),
          alertText: template ? strings.format(t.alertRemaining, { count: template.remaining }) : '',
        })
      } catch (error) {
        this.setData({ alertOn: false })
      }
    },

    /** Link this WeChat to the admin account (wx.login → POST /api/v1/admin/me/wechat). */
    onLinkWechat() {
      wx.login({
        success: async (res) => {
          try {
            await api.adminLinkWechat(res.code, { silent: true })
            await this.loadAlerts()
            wx.showToast({ title: t.wechatLinked, icon: 'success' })
          } catch (error) {
            if (!session.handleLostSession(error, routes.adminCases)) this.setData({ error: error.message })
          }
        },
        fail: () => this.setData({ error: strings.common.loginFailed }),
      })
    },

    /** The button's tap is the gesture WeChat's subscribe prompt needs. */
    async onSubscribe() {
      const answer = await subscribe.requestNow('bad_rating', 'admin')
      if (answer === 'accept') wx.showToast({ title: t.alertAccepted, icon: 'success' })
      await this.loadAlerts()
    },

    onOpen(event) {
      wx.navigateTo({ url: routes.withQuery(routes.adminCase, { id: event.currentTarget.dataset.id }) })
    },

    onShifts() {
      wx.redirectTo({ url: routes.adminShifts })
    },
  },
})
