/**
 * The app: log the WeChat user in on launch (wx.login → POST /api/v1/auth/wechat).
 *
 * A page never waits for this: utils/request.js logs in by itself when a call needs a
 * token and there is none yet (sharing this login if it is still running), and renews
 * the token once on a 401.
 */
const { login } = require('./utils/request')
const offline = require('./utils/offline')

App({
  globalData: {},

  onLaunch() {
    // Errors are not shown here: the first page's own request shows them if they persist.
    login().catch(() => {})
    // Queued check-ins/outs (utils/offline.js) are sent whenever the network comes back…
    offline.start()
  },

  onShow() {
    // …and whenever the app comes to the front.
    offline.replay()
  },
})
