/**
 * One of my shifts (`?id=`): where, when, the minutes measured and credited, its status and
 * the review's result with the reviewer's reason. The "shift reviewed" subscribe message
 * opens this page (server/shifts/notify.py SHIFT_PAGE = "pages/shifts/detail?id=…"), so the
 * path must stay.
 *
 * The server has no GET of one shift for its member; the page reads the member's shifts
 * (newest first) until it meets the id — the shift of a fresh message is among the newest.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const offline = require('../../utils/offline')
const { loadMemberPage } = require('../../utils/member-page')
const checkout = require('../../utils/checkout')
const shiftView = require('../../utils/shift-view')

const t = strings.shifts
const PAGE_SIZE = 100
const MAX_PAGES = 5

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | missing | failed
    shift: null,
    error: '',
    message: '',
    notMember: false,
    busy: false,
  },

  methods: {
    async onLoad(options) {
      loadMemberPage(t.detailTitle)
      this.shiftId = Number(options && options.id)
      if (!this.shiftId) {
        this.setData({ phase: 'missing' })
        return
      }
      await this.load()
    },

    async find(id) {
      for (let page = 1; page <= MAX_PAGES; page++) {
        // eslint-disable-next-line no-await-in-loop
        const { data } = await api.myShifts({ page, page_size: PAGE_SIZE }, { silent: true })
        const shift = data.items.find((item) => item.id === id)
        if (shift) return shift
        if (page * PAGE_SIZE >= data.total) return null
      }
      return null
    },

    async load() {
      await offline.replay()
      try {
        const shift = await this.find(this.shiftId)
        if (!shift) {
          this.setData({ phase: 'missing' })
          return
        }
        const view = shiftView.detail(shift)
        view.isOpen = view.isOpen && !offline.pendingView().checkOutsByShift[shift.id]
        this.post = shift.post
        this.setData({ phase: 'ready', shift: view })
      } catch (error) {
        if (error.code === 'not_a_member') this.setData({ phase: 'failed', notMember: true })
        else this.setData({ phase: 'failed', error: error.message })
      }
    },

    async onCheckOut() {
      if (this.data.busy) return
      this.setData({ busy: true, error: '', message: '' })
      let outcome = null
      try {
        outcome = await checkout.checkOut({ shiftId: this.shiftId, post: this.post })
      } catch (error) {
        this.setData({ busy: false, error: error.message || strings.common.serverError })
        return
      }
      this.setData({ busy: false, message: outcome.queued ? t.checkOutQueued : t.checkedOut })
      await this.load()
      if (!outcome.queued) await checkout.offerReviewNotice()
    },

    onList() {
      wx.redirectTo({ url: routes.shifts })
    },

    ...routes.openers({ onBind: 'bind' }),
  },
})
