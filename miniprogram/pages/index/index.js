/**
 * Home: the scan button (wx.scanCode) and the ways in for members, my ratings and unit
 * admins. The app logs the user in on launch (app.js).
 */
const strings = require('../../strings')
const scan = require('../../utils/scan')
const routes = require('../../utils/routes')

Component({
  data: {
    t: strings.index,
    common: strings.common,
  },

  methods: {
    onLoad() {
      wx.setNavigationBarTitle({ title: strings.index.title })
    },

    /** Scan a code in the app: ours opens the landing page, which resolves it. */
    async onScan() {
      const token = await scan.scanOurCode()
      if (token) wx.navigateTo({ url: routes.withQuery(routes.landing, { token }) })
    },

    ...routes.openers({ onMyRatings: 'myRatings', onMember: 'member', onAdmin: 'adminLogin' }),
  },
})
