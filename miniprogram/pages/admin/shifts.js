/**
 * Admin lite: the unit's shifts waiting for review (待审核 pending, 未签退待核实 needs_review),
 * overdue first (the server's order), each approved in one tap (after a confirmation) or
 * rejected with a required reason → POST /api/v1/admin/shifts/{id}/review. A day going over
 * 8 approved hours needs the admin's explicit confirmation (the server's 409
 * `daily_cap_override_required`), sent again with `override_daily_cap`.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const time = require('../../utils/time')
const shiftView = require('../../utils/shift-view')
const session = require('../../utils/admin-session')

const t = strings.admin
const TABS = ['pending', 'needs_review']
const PAGE_SIZE = 20

function confirm(content) {
  return new Promise((resolve) => {
    wx.showModal({
      title: t.confirmTitle,
      content,
      confirmText: strings.common.confirm,
      cancelText: strings.common.cancel,
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

/** A shift in the review queue as the admin reads it. */
function queueItem(shift) {
  const positions = [shift.check_in, shift.check_out].filter(Boolean)
  return {
    id: shift.id,
    member: (shift.member && shift.member.name) || '',
    post: (shift.post && shift.post.name) || '',
    span: strings.format(t.span, {
      start: time.dateTime(shift.started_at),
      end: shift.ended_at ? time.dateTime(shift.ended_at) : t.notEnded,
    }),
    measured: shift.minutes === null || shift.minutes === undefined ? t.noMinutes : shiftView.minutesText(shift.minutes),
    approveText: shift.approve_minutes === null || shift.approve_minutes === undefined
      ? '' : strings.format(t.approveMinutes, { text: shiftView.minutesText(shift.approve_minutes) }),
    approveMinutes: shift.approve_minutes,
    source: strings.shifts.sources[shift.source] || '',
    flags: (shift.review_flags || []).map((flag) => t.flags[flag] || flag),
    outOfRange: positions.some((p) => p.in_range === false),
    claimReason: shift.claim_reason || '',
    overdue: Boolean(shift.overdue),
    due: shift.review_due_at ? strings.format(t.reviewDue, { time: time.date(shift.review_due_at) }) : '',
  }
}

Component({
  data: {
    t,
    c: strings.common,
    tab: 'pending',
    tabs: TABS.map((key) => ({ key, label: t.tabs[key] })),
    phase: 'loading', // loading | ready | failed
    items: [],
    total: 0,
    page: 1,
    hasMore: false,
    rejectingId: null,
    reason: '',
    reasonError: '',
    error: '',
    message: '',
    busy: false,
    adminName: '',
  },

  methods: {
    async onLoad(options) {
      wx.setNavigationBarTitle({ title: t.shiftsTitle })
      if (options && TABS.includes(options.status)) this.setData({ tab: options.status })
      const admin = session.requireAdmin(routes.adminShifts)
      if (!admin) return
      this.setData({ adminName: admin.username })
      await this.load(1)
    },

    async load(page) {
      try {
        const { data } = await api.adminShifts({ status: this.data.tab, page, page_size: PAGE_SIZE }, { silent: true })
        this.shifts = page === 1 ? data.items : (this.shifts || []).concat(data.items)
        this.setData({
          phase: 'ready', page, total: data.total, hasMore: page * PAGE_SIZE < data.total,
          items: this.shifts.map(queueItem), error: '',
        })
      } catch (error) {
        if (!session.handleLostSession(error, routes.adminShifts)) this.setData({ phase: 'failed', error: error.message })
      }
    },

    async onTab(event) {
      const { key } = event.currentTarget.dataset
      if (key === this.data.tab) return
      this.setData({ tab: key, phase: 'loading', items: [], rejectingId: null, message: '' })
      await this.load(1)
    },

    async onMore() {
      await this.load(this.data.page + 1)
    },

    /** Send one decision; resolves true when the server took it. */
    async decide(id, body) {
      this.setData({ busy: true, error: '', message: '' })
      try {
        try {
          await api.adminReviewShift(id, body, { silent: true })
        } catch (error) {
          if (error.code !== 'daily_cap_override_required' || !(await confirm(error.message))) throw error
          await api.adminReviewShift(id, { ...body, override_daily_cap: true }, { silent: true })
        }
        this.shifts = this.shifts.filter((shift) => shift.id !== id)
        this.setData({
          items: this.shifts.map(queueItem), total: Math.max(0, this.data.total - 1), rejectingId: null, reason: '',
          message: body.decision === 'approve' ? t.approved : t.rejected,
        })
        return true
      } catch (error) {
        if (!session.handleLostSession(error, routes.adminShifts)) this.setData({ error: error.message })
        return false
      } finally {
        this.setData({ busy: false })
      }
    },

    async onApprove(event) {
      const id = Number(event.currentTarget.dataset.id)
      const item = this.data.items.find((i) => i.id === id)
      if (!item || this.data.busy) return
      if (!(await confirm(strings.format(t.confirmApprove, { member: item.member, text: item.approveText || item.measured })))) return
      await this.decide(id, { decision: 'approve' })
    },

    onReject(event) {
      this.setData({ rejectingId: Number(event.currentTarget.dataset.id), reason: '', reasonError: '' })
    },

    onCancelReject() {
      this.setData({ rejectingId: null, reason: '', reasonError: '' })
    },

    onReason(event) {
      this.setData({ reason: event.detail.value, reasonError: '' })
    },

    async onConfirmReject() {
      const reason = this.data.reason.trim()
      if (!reason) {
        this.setData({ reasonError: t.reasonRequired })
        return
      }
      if (this.data.busy) return
      await this.decide(this.data.rejectingId, { decision: 'reject', reason })
    },

    onCases() {
      wx.navigateTo({ url: routes.adminCases })
    },

    onLogout() {
      session.logout()
    },
  },
})
