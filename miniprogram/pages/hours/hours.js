/**
 * My hours: approved and pending hours, the star level, the progress to the next level,
 * and the downloadable hours record (PDF, with its verification QR code).
 *
 * Star levels (PRODUCT.md): the server computes them (GET /api/v1/me/hours gives the level
 * and the approved minutes the next one needs); the bar shows approved / next-level minutes.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const offline = require('../../utils/offline')
const { loadMemberPage } = require('../../utils/member-page')
const time = require('../../utils/time')

const t = strings.hours
const MAX_STARS = 5

/** The page's view of GET /me/hours. */
function hoursView(data) {
  const approved = data.approved_minutes || 0
  const level = data.star_level || 0
  const next = data.next_level_at_minutes
  const view = {
    approvedHours: time.hours(approved),
    pendingHours: time.hours(data.pending_minutes || 0),
    level,
    stars: '★'.repeat(level) + '☆'.repeat(Math.max(0, MAX_STARS - level)),
    levelText: level ? strings.format(t.level, { level }) : t.noLevel,
    top: next === null || next === undefined,
    percent: 100,
    progressText: t.topLevel,
  }
  if (!view.top) {
    view.percent = Math.max(0, Math.min(100, Math.floor((approved / next) * 100)))
    view.progressText = strings.format(t.progress, {
      next: level + 1, remaining: time.hours(Math.max(0, next - approved)), target: time.hours(next),
    })
  }
  return view
}

Component({
  data: {
    t,
    c: strings.common,
    phase: 'loading', // loading | ready | failed
    hours: null,
    notMember: false,
    error: '',
    downloading: false,
  },

  methods: {
    onLoad() {
      loadMemberPage(t.title)
    },

    async onShow() {
      await offline.replay()
      try {
        const { data } = await api.myHours({ silent: true })
        this.setData({ phase: 'ready', hours: hoursView(data), notMember: false, error: '' })
      } catch (error) {
        this.setData({ phase: 'failed', notMember: error.code === 'not_a_member', error: error.message })
      }
    },

    /** Download the record (GET …/members/{id}/record.pdf with the token) and open it. */
    async onDownload() {
      if (this.data.downloading) return
      this.setData({ downloading: true, error: '' })
      try {
        const { data: me } = await api.me({ silent: true })
        if (!me.member) {
          this.setData({ notMember: true })
          return
        }
        const { tempFilePath } = await api.downloadHoursRecord(me.member.id, { silent: true })
        await new Promise((resolve, reject) => {
          wx.openDocument({ filePath: tempFilePath, fileType: 'pdf', showMenu: true, success: resolve, fail: reject })
        })
      } catch (error) {
        this.setData({ error: (error && error.code && error.message) || t.openFailed })
      } finally {
        this.setData({ downloading: false })
      }
    },

    ...routes.openers({ onShifts: 'shifts', onBind: 'bind' }),
  },
})
