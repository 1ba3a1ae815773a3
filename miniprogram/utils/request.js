/**
 * The one way the mini-program talks to the server: wx.request (and wx.downloadFile) with
 * the login token, one transparent renewal on 401, and the contract's Chinese error
 * message shown to the user.
 *
 *   request({ method = 'GET', path, data, auth = true, silent = false, as = 'user' })
 *     → Promise<{ status, data }> for a 2xx answer;
 *     rejects with an ApiError { status, code, message, fields, data } otherwise, and (unless
 *     `silent`) shows its `message` in a modal first. `message` is the server's Chinese
 *     `error.message`; a failure the server never answered has `code: 'network'` (status 0).
 *
 * Sessions. `as: 'user'` (default) sends the WeChat user's token (storage key `token`),
 * logging in first when there is none; on a 401 it logs in again (wx.login →
 * POST /api/v1/auth/wechat) ONCE and retries the request once. `as: 'admin'` sends the
 * admin-lite token (storage key `admin_token`); a 401 there clears that session and
 * rejects, so the page sends the admin to the admin login page. `auth: false` sends no token.
 */
const config = require('../config')
const strings = require('../strings')

const TOKEN_KEY = 'token'
const USER_KEY = 'user'
const ADMIN_TOKEN_KEY = 'admin_token'
const ADMIN_KEY = 'admin'

/** An answer that was not 2xx, in the contract's terms (`code`, Chinese `message`, `fields`). */
class ApiError extends Error {
  constructor({ status, code, message, fields, data }) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields || {}
    this.data = data === undefined ? null : data
  }
}

function networkError(detail) {
  return new ApiError({ status: 0, code: 'network', message: strings.common.networkError, data: detail || null })
}

/** The ApiError for a non-2xx answer: the contract's error object, else a generic message. */
function errorFromResponse(statusCode, body) {
  let parsed = body
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed)
    } catch (e) {
      parsed = null
    }
  }
  const error = parsed && typeof parsed === 'object' ? parsed.error : null
  if (error && typeof error.message === 'string' && error.message) {
    return new ApiError({ status: statusCode, code: error.code, message: error.message, fields: error.fields, data: parsed })
  }
  return new ApiError({ status: statusCode, code: `http_${statusCode}`, message: strings.common.serverError, data: parsed })
}

// --- Stored sessions ---

function storageGet(key) {
  try {
    return wx.getStorageSync(key) || null
  } catch (e) {
    return null
  }
}

function storageSet(key, value) {
  try {
    if (value === null || value === undefined) wx.removeStorageSync(key)
    else wx.setStorageSync(key, value)
  } catch (e) {
    // Storage full or unavailable: the session lives until the next 401 renews it.
  }
}

/** The stored token of a session (`'user'` or `'admin'`), or null. */
function getToken(as = 'user') {
  return storageGet(as === 'admin' ? ADMIN_TOKEN_KEY : TOKEN_KEY)
}

/** Store (or with null, forget) the token of a session. */
function setToken(token, as = 'user') {
  storageSet(as === 'admin' ? ADMIN_TOKEN_KEY : TOKEN_KEY, token)
}

/** The WeChat user of the last login (`{ id, member }`), or null. */
function getUser() {
  return storageGet(USER_KEY)
}

/** Keep `user` (as answered by auth/wechat or GET /me) for pages to read. */
function setUser(user) {
  storageSet(USER_KEY, user)
}

/** Keep an admin-lite session: the answer of POST /api/v1/auth/admin. */
function setAdminSession({ token, admin }) {
  storageSet(ADMIN_TOKEN_KEY, token)
  storageSet(ADMIN_KEY, admin || null)
}

/** The logged-in admin (`{ id, username, role, unit_id }`), or null. */
function getAdmin() {
  return getToken('admin') ? storageGet(ADMIN_KEY) : null
}

function clearAdminSession() {
  storageSet(ADMIN_TOKEN_KEY, null)
  storageSet(ADMIN_KEY, null)
}

// --- Transport ---

function wxRequest({ method, url, data, header }) {
  return new Promise((resolve, reject) => {
    wx.request({
      url,
      method,
      data,
      header,
      dataType: 'json',
      success: (res) => resolve({ statusCode: res.statusCode, data: res.data }),
      fail: (err) => reject(networkError(err)),
    })
  })
}

/** The text of a downloaded error answer (it is JSON), or null. */
function readDownloadedText(tempFilePath) {
  try {
    return wx.getFileSystemManager().readFileSync(tempFilePath, 'utf8')
  } catch (e) {
    return null
  }
}

function wxDownload({ url, header }) {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url,
      header,
      success: (res) => {
        const ok = res.statusCode >= 200 && res.statusCode < 300
        resolve({
          statusCode: res.statusCode,
          tempFilePath: res.tempFilePath,
          data: ok ? null : readDownloadedText(res.tempFilePath),
        })
      },
      fail: (err) => reject(networkError(err)),
    })
  })
}

// --- Login ---

let loginInFlight = null

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res && res.code
        ? resolve(res.code)
        : reject(new ApiError({ status: 0, code: 'login_failed', message: strings.common.loginFailed }))),
      fail: (err) => reject(new ApiError({ status: 0, code: 'login_failed', message: strings.common.loginFailed, data: err })),
    })
  })
}

/**
 * Log the WeChat user in: wx.login → POST /api/v1/auth/wechat. Stores the token (key
 * `token`) and the user (key `user`); resolves `{ token, user }`. Concurrent callers share
 * one login. Rejects with an ApiError (not shown: the caller decides).
 */
function login() {
  if (!loginInFlight) {
    loginInFlight = (async () => {
      const code = await wxLogin()
      // Required here, not at the top: api.js requires this module.
      const [method, path] = require('../api').ENDPOINTS.authWechat
      const { data } = await send({ method, path, data: { code }, auth: false })
      setToken(data.token)
      setUser(data.user || null)
      return { token: data.token, user: data.user || null }
    })()
    const clear = () => { loginInFlight = null }
    loginInFlight.then(clear, clear)
  }
  return loginInFlight
}

/** A fresh user token after `staleToken` was refused, logging in only if nobody has yet. */
async function renewUserToken(staleToken) {
  const current = getToken('user')
  if (current && current !== staleToken) return current
  if (current) setToken(null)
  return (await login()).token
}

// --- Requests ---

function headerFor(token, method) {
  const header = {}
  if (method !== 'GET') header['content-type'] = 'application/json'
  if (token) header.Authorization = `Bearer ${token}`
  return header
}

/** One exchange with 401 handling; `transport` is wxRequest or wxDownload. */
async function send({ method = 'GET', path, data, auth = true, as = 'user' }, transport = wxRequest, retried = false) {
  let token = null
  if (auth) {
    token = getToken(as)
    if (!token && as === 'user') token = (await login()).token
  }
  const res = await transport({ method, url: config.apiBase + path, data, header: headerFor(token, method) })
  if (res.statusCode >= 200 && res.statusCode < 300) {
    return transport === wxDownload
      ? { status: res.statusCode, tempFilePath: res.tempFilePath }
      : { status: res.statusCode, data: res.data }
  }
  if (res.statusCode === 401 && auth) {
    if (as === 'admin') {
      clearAdminSession()
    } else if (!retried) {
      await renewUserToken(token)
      return send({ method, path, data, auth, as }, transport, true)
    }
  }
  throw errorFromResponse(res.statusCode, res.data)
}

/** Show an error's Chinese message; a modal, so an elderly user has time to read it. */
function showError(error) {
  const message = (error && error.message) || strings.common.serverError
  try {
    wx.showModal({ title: strings.common.errorTitle, content: message, showCancel: false, confirmText: strings.common.ok })
  } catch (e) {
    // No UI (e.g. during app launch in a test): the rejection still carries the message.
  }
}

/** See the module comment. */
async function request(options = {}) {
  try {
    return await send(options)
  } catch (error) {
    const apiError = error instanceof ApiError ? error : networkError(error)
    if (!options.silent) showError(apiError)
    throw apiError
  }
}

/**
 * Download a file the server answers at `path` (e.g. the hours record PDF) with the
 * session's token; resolves `{ status, tempFilePath }` for wx.openDocument. Same 401
 * renewal and errors as request().
 */
async function download(options = {}) {
  try {
    return await send({ ...options, method: 'GET' }, wxDownload)
  } catch (error) {
    const apiError = error instanceof ApiError ? error : networkError(error)
    if (!options.silent) showError(apiError)
    throw apiError
  }
}

module.exports = {
  ApiError,
  request,
  download,
  login,
  getToken,
  setToken,
  getUser,
  setUser,
  getAdmin,
  setAdminSession,
  clearAdminSession,
  showError,
  TOKEN_KEY,
  ADMIN_TOKEN_KEY,
}
