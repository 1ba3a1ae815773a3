/**
 * The admin-lite session in pages: a page that needs a logged-in admin sends the visitor to
 * the login page, which comes back to it (`?redirect=`); a 401 (the session expired — the
 * request wrapper has already forgotten it) does the same.
 */
const routes = require('./routes')
const { getAdmin, clearAdminSession } = require('./request')
const subscribe = require('./subscribe')

/** The logged-in admin, or null after sending the visitor to the login page (back to `here` after). */
function requireAdmin(here) {
  const admin = getAdmin()
  if (!admin) wx.redirectTo({ url: routes.withQuery(routes.adminLogin, { redirect: here }) })
  return admin
}

/** Handle an admin call's error: true when it was a lost session (the visitor is sent to log in). */
function handleLostSession(error, here) {
  if (!error || error.status !== 401) return false
  clearAdminSession()
  wx.redirectTo({ url: routes.withQuery(routes.adminLogin, { redirect: here }) })
  return true
}

/** Log out of admin-lite. */
function logout() {
  clearAdminSession()
  subscribe.reset('admin')
  wx.redirectTo({ url: routes.adminLogin })
}

module.exports = { requireAdmin, handleLostSession, logout }
