/**
 * The page WeChat's 「扫普通链接二维码打开小程序」 rule opens for `{PUBLIC_BASE_URL}/q/`
 * (options.q = the scanned link), and the in-app scan button's target (options.token).
 * Resolves the code and goes on: badge or window → the profile and rating form; post →
 * check-in. An unknown (404), revoked or expired (410) code gets a plain Chinese page.
 */
const strings = require('../../strings')
const scan = require('../../utils/scan')
const routes = require('../../utils/routes')

const t = strings.landing

/** The title and text for a failed resolve. */
function explain(error) {
  if (error.status === 404) return { title: t.notFoundTitle, body: t.notFoundBody }
  if (error.status === 410 && error.code === 'code_expired') return { title: t.expiredTitle, body: t.expiredBody }
  if (error.status === 410) return { title: t.revokedTitle, body: t.revokedBody }
  return { title: t.failedTitle, body: error.message || strings.common.serverError }
}

Component({
  data: {
    t,
    common: strings.common,
    state: 'loading', // loading | error
    title: '',
    body: '',
    canRetry: false,
  },

  methods: {
    onLoad(options) {
      wx.setNavigationBarTitle({ title: t.title })
      this.token = scan.tokenFromOptions(options)
      if (!this.token) {
        this.setData({ state: 'error', title: t.noCodeTitle, body: t.noCodeBody, canRetry: false })
        return Promise.resolve()
      }
      return this.open()
    },

    /** Resolve the code and replace this page with the one for its kind. */
    async open() {
      this.setData({ state: 'loading' })
      try {
        const result = await scan.resolve(this.token)
        wx.redirectTo({ url: scan.pageFor(result.kind, this.token) })
      } catch (error) {
        const canRetry = !(error.status === 404 || error.status === 410)
        this.setData({ state: 'error', canRetry, ...explain(error) })
      }
    },

    onRetry() {
      return this.open()
    },

    async onScanAgain() {
      const token = await scan.scanOurCode()
      if (!token) return
      this.token = token
      await this.open()
    },

    onHome() {
      wx.reLaunch({ url: routes.index })
    },
  },
})
