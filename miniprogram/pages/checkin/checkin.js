/**
 * Check in at a volunteer post (opened with `?token=` from the landing page, or `?q=` by
 * WeChat's link rule), and check out.
 *
 * Shows the post, says why the location is needed, and then: check-in with the location
 * (wx.getLocation, WGS-84) through the offline queue; a refused location permission gets an
 * explanation and a button into WeChat's settings (a live code needs no location); the
 * server's refusals are shown as it says them, with what the member can do next: out of
 * range → the distance and the fence's radius; an open shift → that shift and a check-out
 * button; an expired live code → scan again; not a bound member → the bind page.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const scan = require('../../utils/scan')
const offline = require('../../utils/offline')
const { loadMemberPage } = require('../../utils/member-page')
const location = require('../../utils/location')
const checkout = require('../../utils/checkout')
const time = require('../../utils/time')

const t = strings.checkin

function errorBody(error) {
  return (error && error.data && error.data.error) || {}
}

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | invalid
    invalidText: '',
    token: '',
    live: false,
    post: null, // { id, name, unit, service, radiusText }
    postUnknown: false, // no network: the post could not be shown, check-in is still possible
    notMember: false,
    locationDenied: false,
    locationError: '',
    outOfRange: '',
    error: '',
    expired: false,
    openShift: null, // { id, clientId, postName, startedText, queued }
    done: '',
    queuedText: '',
    busy: false,
  },

  methods: {
    async onLoad(options) {
      loadMemberPage(t.title)
      const token = scan.tokenFromOptions(options)
      if (!token) {
        this.setData({ phase: 'invalid', invalidText: strings.common.unknownCode })
        return
      }
      this.setData({ token })
      await this.loadPost(token)
      if (this.data.phase === 'ready') await this.loadOpenShift()
    },

    async loadPost(token) {
      let answer = scan.cached(token)
      if (!answer) {
        try {
          answer = await scan.resolve(token)
        } catch (error) {
          if (error.code === 'network') {
            this.setData({ phase: 'ready', postUnknown: true })
          } else {
            this.setData({ phase: 'invalid', invalidText: error.message, expired: error.status === 410 })
          }
          return
        }
      }
      if (answer.kind !== 'post') {
        this.setData({ phase: 'invalid', invalidText: t.notPostCode })
        return
      }
      const target = answer.target || {}
      this.setData({
        phase: 'ready',
        live: Boolean(answer.live),
        post: {
          id: target.id,
          name: target.name || '',
          unit: (target.unit && target.unit.name) || '',
          service: target.service || '',
          radiusText: strings.format(t.radius, { radius: target.radius_m }),
        },
      })
    },

    /** The member's open shift, queued or on the server (after sending the queue). */
    async loadOpenShift() {
      await offline.replay()
      const queued = offline.pendingView().rows.find((row) => !row.checked_out)
      if (queued) {
        this.showOpenShift({ clientId: queued.client_id, postName: queued.post_name, started: queued.started_at, queued: true })
        return
      }
      try {
        const { data } = await api.myShifts({ status: 'open', page_size: 1 }, { silent: true })
        const shift = data.items && data.items[0]
        if (shift && !offline.pendingView().checkOutsByShift[shift.id]) {
          this.showOpenShift({ id: shift.id, postName: shift.post && shift.post.name, started: shift.started_at })
        }
      } catch (error) {
        if (error.code === 'not_a_member') this.setData({ notMember: true })
      }
    },

    showOpenShift({ id, clientId, postName, started, queued }) {
      this.setData({
        openShift: {
          id: id || null,
          clientId: clientId || null,
          postName: postName || '',
          startedText: strings.format(t.openShift, { post: postName || t.thisPost, time: time.dateTime(started) }),
          queued: Boolean(queued),
        },
      })
    },

    clearMessages() {
      this.setData({ error: '', outOfRange: '', locationError: '', locationDenied: false, expired: false, done: '', queuedText: '' })
    },

    async onCheckIn() {
      if (this.data.busy) return
      this.clearMessages()
      this.setData({ busy: true })
      try {
        let where = null
        try {
          where = await location.current()
        } catch (failure) {
          // A live code (a screen at the post) proves presence without the location.
          if (!this.data.live) {
            this.setData(failure.denied ? { locationDenied: true } : { locationError: t.locationUnavailable })
            return
          }
        }
        const outcome = await offline.checkIn({ token: this.data.token, location: where, post: this.data.post })
        if (outcome.queued) {
          this.showOpenShift({ clientId: outcome.item.client_id, postName: this.data.post && this.data.post.name,
            started: outcome.item.acted_at, queued: true })
          this.setData({ queuedText: t.checkInQueued })
        } else {
          const shift = outcome.shift
          this.showOpenShift({ id: shift.id, postName: shift.post && shift.post.name, started: shift.started_at })
          this.setData({ done: strings.format(t.checkedIn, { time: time.clock(shift.started_at) }) })
        }
      } catch (error) {
        this.showRefusal(error)
      } finally {
        this.setData({ busy: false })
      }
    },

    showRefusal(error) {
      const body = errorBody(error)
      switch (error.code) {
        case 'out_of_range':
          this.setData({ outOfRange: strings.format(t.outOfRange, { distance: body.distance_m, radius: body.radius_m }) })
          return
        case 'shift_open':
          if (body.open_shift) {
            this.showOpenShift({ id: body.open_shift.id, postName: body.open_shift.post && body.open_shift.post.name,
              started: body.open_shift.started_at })
          }
          this.setData({ error: error.message })
          return
        case 'not_a_member':
          this.setData({ notMember: true })
          return
        case 'code_expired':
          this.setData({ expired: true, error: error.message })
          return
        default:
          this.setData({ error: error.message || strings.common.serverError })
      }
    },

    async onCheckOut() {
      const open = this.data.openShift
      if (!open || this.data.busy) return
      this.clearMessages()
      this.setData({ busy: true })
      let outcome = null
      try {
        outcome = await checkout.checkOut({ shiftId: open.id, checkInClientId: open.clientId, post: this.data.post })
      } catch (error) {
        this.setData({ busy: false, error: error.message || strings.common.serverError })
        return
      }
      this.setData({ busy: false, openShift: null })
      if (outcome.queued) {
        this.setData({ queuedText: t.checkOutQueued })
        return
      }
      const shift = outcome.shift || {}
      const minutes = shift.minutes === null || shift.minutes === undefined ? t.minutesUnknown
        : strings.format(t.minutes, { minutes: shift.minutes })
      this.setData({ done: strings.format(t.checkedOut, { time: time.clock(shift.ended_at), minutes })
        + (outcome.locationMissing ? t.checkedOutNoLocation : '') })
      await checkout.offerReviewNotice()
    },

    async onOpenSetting() {
      const granted = await location.openSetting()
      if (granted) {
        this.setData({ locationDenied: false })
        await this.onCheckIn()
      }
    },

    async onScanAgain() {
      const token = await scan.scanOurCode({ toast: true })
      if (token) wx.redirectTo({ url: routes.withQuery(routes.checkin, { token }) })
    },

    ...routes.openers({ onBind: 'bind', onMyShifts: 'shifts' }),
  },
})
