/**
 * My shifts: the queued actions ("待同步") first, then the server's shifts, newest first,
 * the open one with a check-out button. The queue is sent, in order, before the shifts are
 * read, so the list never shows a state the server has not yet been told about.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const offline = require('../../utils/offline')
const { loadMemberPage } = require('../../utils/member-page')
const checkout = require('../../utils/checkout')
const shiftView = require('../../utils/shift-view')

const t = strings.shifts
const PAGE_SIZE = 20

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | failed
    notMember: false,
    failures: [],
    queued: [],
    items: [],
    page: 1,
    hasMore: false,
    message: '',
    error: '',
    busy: false,
  },

  methods: {
    onLoad() {
      loadMemberPage(t.title)
      this.shifts = []
    },

    async onShow() {
      await this.refresh()
    },

    async onPullDownRefresh() {
      await this.refresh()
      wx.stopPullDownRefresh()
    },

    /** Send the queue, then read page 1. */
    async refresh() {
      await offline.replay()
      this.showQueue()
      await this.loadPage(1)
    },

    showQueue() {
      const pending = offline.pendingView()
      this.checkOutsByShift = pending.checkOutsByShift
      this.setData({
        queued: pending.rows.map(shiftView.queuedRow),
        failures: offline.failures().map((failure) => ({ id: failure.client_id, text: shiftView.failureText(failure) })),
      })
    },

    async loadPage(page) {
      try {
        const { data } = await api.myShifts({ page, page_size: PAGE_SIZE }, { silent: true })
        this.shifts = page === 1 ? data.items : this.shifts.concat(data.items)
        this.setData({
          phase: 'ready',
          notMember: false,
          page,
          hasMore: page * PAGE_SIZE < data.total,
          items: this.shifts.map((shift) => shiftView.summary(shift, this.checkOutsByShift)),
        })
      } catch (error) {
        if (error.code === 'not_a_member') this.setData({ phase: 'ready', notMember: true })
        else this.setData({ phase: this.shifts && this.shifts.length ? 'ready' : 'failed', error: error.message })
      }
    },

    async onMore() {
      await this.loadPage(this.data.page + 1)
    },

    async onCheckOut(event) {
      const { id, client } = event.currentTarget.dataset
      if (this.data.busy) return
      this.setData({ busy: true, message: '', error: '' })
      const shift = (this.shifts || []).find((s) => String(s.id) === String(id))
      let outcome = null
      try {
        outcome = await checkout.checkOut({
          shiftId: id ? Number(id) : null,
          checkInClientId: client || null,
          post: shift ? shift.post : null,
        })
      } catch (error) {
        this.setData({ busy: false, error: error.message || strings.common.serverError })
        await this.refresh()
        return
      }
      this.setData({ busy: false, message: outcome.queued ? t.checkOutQueued : t.checkedOut })
      await this.refresh()
      if (!outcome.queued) await checkout.offerReviewNotice()
    },

    onDismissFailures() {
      offline.clearFailures()
      this.setData({ failures: [] })
    },

    onOpen(event) {
      wx.navigateTo({ url: routes.withQuery(routes.shiftDetail, { id: event.currentTarget.dataset.id }) })
    },

    ...routes.openers({ onClaim: 'claim', onHours: 'hours', onBind: 'bind' }),
  },
})
