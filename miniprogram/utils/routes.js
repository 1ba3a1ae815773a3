/**
 * The page paths pages navigate to, in one place (for wx.navigateTo / redirectTo urls).
 * Each must be listed in app.json's "pages" (tests/pages.test.js checks that the pages
 * listed there exist and load).
 */
const { queryString } = require('./query')

module.exports = {
  index: '/pages/index/index',
  landing: '/pages/landing/landing',
  profile: '/pages/profile/profile',
  thanks: '/pages/thanks/thanks',
  myRatings: '/pages/my-ratings/my-ratings',
  // Member and admin-lite pages (the server's subscribe messages open pages/shifts/detail
  // and pages/admin/case: server/shifts/notify.py, server/notifications.py).
  checkin: '/pages/checkin/checkin',
  member: '/pages/member/member',
  bind: '/pages/bind/bind',
  shiftDetail: '/pages/shifts/detail',
  adminLogin: '/pages/admin/login',
  adminCase: '/pages/admin/case',
  shifts: '/pages/shifts/list',
  hours: '/pages/hours/hours',
  claim: '/pages/claim/claim',
  adminShifts: '/pages/admin/shifts',
  adminCases: '/pages/admin/cases',
}

/** `route` with a query string built from `query`'s defined values. */
module.exports.withQuery = (route, query) => route + queryString(query)

/**
 * Page methods that each open one of these routes with wx.navigateTo, for a page's `methods`:
 * `...routes.openers({ onBind: 'bind', onHours: 'hours' })`.
 */
module.exports.openers = (methods) => {
  const result = {}
  Object.keys(methods).forEach((name) => {
    const url = module.exports[methods[name]]
    if (!url) throw new Error(`no route ${methods[name]}`)
    result[name] = () => wx.navigateTo({ url })
  })
  return result
}
