/**
 * Reading a scanned Red Station code and resolving it.
 *
 * Every printed code holds `{PUBLIC_BASE_URL}/q/{token}`. WeChat's 「扫普通链接二维码打开
 * 小程序」 rule opens the landing page with that link URL-encoded in `options.q`; WeChat's
 * docs say to decodeURIComponent it once. Some scanners and hand-made test links encode it
 * twice, so a result that is still percent-encoded is decoded again (a token never holds
 * `%`, so this cannot change a real link). The in-app scan button (wx.scanCode) gives the
 * link in `result`. Anything that is not `{one of config.publicBaseUrls}/q/{token}` is not
 * ours: null.
 */
const config = require('../config')
const api = require('../api')
const strings = require('../strings')
const routes = require('./routes')
const { showError } = require('./request')

// Printed tokens are URL-safe base64; a post's live code is `L.{post}.{step}.{signature}`.
const TOKEN = /^[A-Za-z0-9_\-.]{1,80}$/
const MAX_DECODES = 3

function safeDecode(text) {
  try {
    return decodeURIComponent(text)
  } catch (e) {
    return null
  }
}

/** `value` decoded until it reads as a link (at most MAX_DECODES times), or null. */
function decodeLink(value) {
  let text = String(value).trim()
  for (let i = 0; i < MAX_DECODES && !/^https?:\/\//i.test(text); i++) {
    if (!/%[0-9A-Fa-f]{2}/.test(text)) break
    text = safeDecode(text)
    if (text === null) return null
  }
  return /^https?:\/\//i.test(text) ? text : null
}

function stripSlash(base) {
  return String(base).replace(/\/+$/, '')
}

/** The token of one of our links (`{base}/q/{token}`, maybe with a query or fragment), or null. */
function tokenFromLink(link) {
  if (typeof link !== 'string' || !link) return null
  const bases = (config.publicBaseUrls || []).map(stripSlash)
  const lower = link.toLowerCase()
  const base = bases.find((b) => lower.startsWith(`${b.toLowerCase()}/q/`))
  if (!base) return null
  const rest = link.slice(base.length + 3).split(/[?#]/)[0].replace(/\/+$/, '')
  return TOKEN.test(rest) ? rest : null
}

/**
 * The token a page was opened with: `options.q` (the scanned link, from WeChat's rule) or
 * `options.token` (from our own navigation); null when there is none or it is not ours.
 */
function tokenFromOptions(options) {
  if (!options) return null
  if (options.q) {
    const link = decodeLink(options.q)
    return link ? tokenFromLink(link) : null
  }
  if (options.token) {
    const token = safeDecode(String(options.token))
    return token && TOKEN.test(token) ? token : null
  }
  return null
}

/** The token in a wx.scanCode success result (or its `result` string); null if not ours. */
function tokenFromScanResult(result) {
  const text = result && typeof result === 'object' ? result.result : result
  if (typeof text !== 'string') return null
  const link = decodeLink(text)
  return link ? tokenFromLink(link) : null
}

// The landing page resolves a code and redirects; the profile page takes that answer once
// (within CACHE_MS) instead of asking again. Kept on the App instance, as WeChat pages share state.
const CACHE_MS = 60 * 1000

function appState() {
  const app = typeof getApp === 'function' ? getApp() : null
  if (!app) return {}
  if (!app.globalData) app.globalData = {}
  return app.globalData
}

/**
 * GET /api/v1/scan/{token} → `{ kind, target, actions, live }`. Rejects with the ApiError
 * (404 unknown, 410 revoked or expired); silent, so the caller shows a page for it.
 */
async function resolve(token) {
  const { data } = await api.scan(token, { silent: true })
  appState().lastScan = { token, data, at: Date.now() }
  return data
}

/** The answer of a recent resolve() for `token`, once; else null. */
function cached(token) {
  const state = appState()
  const last = state.lastScan
  state.lastScan = null
  return last && last.token === token && Date.now() - last.at < CACHE_MS ? last.data : null
}

/**
 * Open wx.scanCode. Resolves `{ token, cancelled }`: `token` of our code, or null when the
 * code is not ours; `cancelled` when the user closed the camera (or it failed).
 */
function scanCode() {
  return new Promise((resolvePromise) => {
    wx.scanCode({
      onlyFromCamera: false,
      scanType: ['qrCode'],
      success: (res) => resolvePromise({ token: tokenFromScanResult(res), cancelled: false }),
      fail: () => resolvePromise({ token: null, cancelled: true }),
    })
  })
}

/**
 * wx.scanCode for a button that opens what was scanned: resolves our code's token, or null when
 * the user cancelled or the code is not ours; a code not ours is said in the error dialog, or in
 * a toast with `{ toast: true }`.
 */
async function scanOurCode({ toast = false } = {}) {
  const { token, cancelled } = await scanCode()
  if (!token && !cancelled) {
    if (toast) wx.showToast({ title: strings.common.unknownCode, icon: 'none' })
    else showError({ message: strings.common.unknownCode })
  }
  return token
}

/** The page to open for a resolved scan of `token`. */
function pageFor(kind, token) {
  return routes.withQuery(kind === 'post' ? routes.checkin : routes.profile, { token })
}

module.exports = {
  tokenFromOptions,
  tokenFromScanResult,
  tokenFromLink,
  decodeLink,
  resolve,
  cached,
  scanCode,
  scanOurCode,
  pageFor,
}
