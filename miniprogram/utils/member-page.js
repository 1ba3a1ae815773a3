/**
 * What every member page (home, check-in, my shifts, one shift, my hours) does on load.
 */
const offline = require('./offline')

/**
 * Show `title` in the navigation bar and have the offline queue (utils/offline.js) sent
 * whenever the network comes back: app.js starts that at launch, and starting it here too
 * keeps a page right when it is loaded on its own (as the tests do); later calls do nothing.
 */
function loadMemberPage(title) {
  wx.setNavigationBarTitle({ title })
  offline.start()
}

module.exports = { loadMemberPage }
