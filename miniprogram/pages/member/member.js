/**
 * The member's home: who I am (or how to bind), what waits to be sent, and the way to
 * check in (scan the post's code), my shifts, my hours and a claim for a missed shift.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const scan = require('../../utils/scan')
const offline = require('../../utils/offline')
const { loadMemberPage } = require('../../utils/member-page')
const { setUser } = require('../../utils/request')

const t = strings.member

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | failed
    member: null,
    pendingText: '',
    error: '',
  },

  methods: {
    onLoad() {
      loadMemberPage(t.title)
    },

    async onShow() {
      await offline.replay()
      const count = offline.queue().length
      this.setData({ pendingText: count ? strings.format(t.pending, { count }) : '' })
      try {
        const { data } = await api.me({ silent: true })
        setUser(data)
        const m = data.member
        this.setData({
          phase: 'ready',
          error: '',
          member: m && {
            name: m.name,
            unit: (m.unit && m.unit.name) || '',
            stars: m.star_level ? '★'.repeat(m.star_level) : '',
          },
        })
      } catch (error) {
        this.setData({ phase: 'failed', error: error.message })
      }
    },

    async onScan() {
      const token = await scan.scanOurCode({ toast: true })
      if (token) wx.navigateTo({ url: routes.withQuery(routes.checkin, { token }) })
    },

    ...routes.openers({ onShifts: 'shifts', onHours: 'hours', onClaim: 'claim', onBind: 'bind' }),
  },
})
