/**
 * Every server endpoint the mini-program calls, and one function per endpoint.
 *
 * Pages call the server only through this module. ENDPOINTS is plain data — name →
 * [METHOD, path template, optional list of the JSON body's field names] — so
 * tests/test_miniprogram_contract.py (repo root) can read it with `node -e` and check each
 * method and path, and each listed body field, against the server's /api/v1/openapi.json.
 * Path parameters are written `{name}` and filled (URL-encoded) from `params`.
 *
 * Each function returns request()'s promise: `{ status, data }` on 2xx, else a rejected
 * ApiError `{ status, code, message, fields, data }` (see utils/request.js); pass
 * `{ silent: true }` in `options` to show the error yourself.
 */
const { request, download } = require('./utils/request')
const { queryString } = require('./utils/query')

const ENDPOINTS = {
  // Login and identity
  authWechat: ['POST', '/api/v1/auth/wechat', ['code']],
  authAdmin: ['POST', '/api/v1/auth/admin', ['username', 'password']],
  me: ['GET', '/api/v1/me'],
  bind: ['POST', '/api/v1/me/bind', ['bind_code']],
  // Scanning and ratings
  scan: ['GET', '/api/v1/scan/{token}'],
  rate: ['POST', '/api/v1/ratings', ['token', 'score', 'tags', 'comment', 'contact', 'client_id']],
  myRatings: ['GET', '/api/v1/me/ratings'],
  followUp: ['POST', '/api/v1/ratings/{rating_id}/follow-up', ['score', 'comment']],
  // Volunteer shifts and hours
  checkIn: ['POST', '/api/v1/shifts/check-in'],
  checkOut: ['POST', '/api/v1/shifts/{shift_id}/check-out'],
  claim: ['POST', '/api/v1/shifts/claims'],
  myShifts: ['GET', '/api/v1/me/shifts'],
  myHours: ['GET', '/api/v1/me/hours'],
  hoursRecord: ['GET', '/api/v1/members/{member_id}/record.pdf'],
  // Subscribe messages (the caller's quotas; recording a wx.requestSubscribeMessage answer)
  mySubscriptions: ['GET', '/api/v1/me/subscriptions'],
  subscribe: ['POST', '/api/v1/me/subscriptions'],
  // Admin lite (a unit admin's session: request({ as: 'admin' }))
  adminShifts: ['GET', '/api/v1/admin/shifts'],
  adminReviewShift: ['POST', '/api/v1/admin/shifts/{shift_id}/review'],
  adminCases: ['GET', '/api/v1/admin/cases'],
  adminCase: ['GET', '/api/v1/admin/cases/{case_id}'],
  adminLinkWechat: ['POST', '/api/v1/admin/me/wechat'],
}

/** The path of endpoint `name` with its `{params}` filled in; throws on a missing one. */
function pathOf(name, params) {
  const endpoint = ENDPOINTS[name]
  if (!endpoint) throw new Error(`unknown endpoint ${name}`)
  return endpoint[1].replace(/\{(\w+)\}/g, (whole, key) => {
    const value = params && params[key]
    if (value === undefined || value === null || value === '') throw new Error(`${name}: missing path parameter ${key}`)
    return encodeURIComponent(String(value))
  })
}

/**
 * Call endpoint `name`: `params` fill the path, `data` is the JSON body (POST) or the query
 * (GET), `options` go to request() (`auth`, `silent`, `as`).
 */
function call(name, { params, data, ...options } = {}) {
  const [method] = ENDPOINTS[name] || []
  const path = pathOf(name, params)
  if (method === 'GET') return request({ ...options, method, path: path + queryString(data) })
  return request({ ...options, method, path, data })
}

module.exports = {
  ENDPOINTS,
  pathOf,
  call,

  // Login and identity (utils/request.js login() uses authWechat itself)
  adminLogin: (username, password, options) =>
    call('authAdmin', { data: { username, password }, auth: false, ...options }),
  me: (options) => call('me', options),
  bind: (bindCode, options) => call('bind', { data: { bind_code: bindCode }, ...options }),

  // Scanning and ratings
  scan: (token, options) => call('scan', { params: { token }, auth: false, ...options }),
  /** `clientId` makes a resend safe: the server answers the rating it already made (200). */
  rate: ({ token, score, tags = [], comment = '', contact, clientId }, options) => {
    const data = { token, score, tags, comment }
    if (contact) data.contact = contact
    if (clientId) data.client_id = clientId
    return call('rate', { data, ...options })
  },
  myRatings: (query, options) => call('myRatings', { data: query, ...options }),
  followUp: (ratingId, { score, comment = '' }, options) =>
    call('followUp', { params: { rating_id: ratingId }, data: { score, comment }, ...options }),

  // Volunteer shifts and hours: body fields as in API.md
  checkIn: (body, options) => call('checkIn', { data: body, ...options }),
  checkOut: (shiftId, body, options) => call('checkOut', { params: { shift_id: shiftId }, data: body, ...options }),
  claim: (body, options) => call('claim', { data: body, ...options }),
  myShifts: (query, options) => call('myShifts', { data: query, ...options }),
  myHours: (options) => call('myHours', options),
  /** Download the member's hours record PDF; resolves `{ status, tempFilePath }`. */
  downloadHoursRecord: (memberId, options) =>
    download({ ...options, path: pathOf('hoursRecord', { member_id: memberId }) }),

  mySubscriptions: (options) => call('mySubscriptions', options),
  subscribe: (body, options) => call('subscribe', { data: body, ...options }),

  // Admin lite: every call with the admin's token
  adminShifts: (query, options) => call('adminShifts', { data: query, as: 'admin', ...options }),
  adminReviewShift: (shiftId, body, options) =>
    call('adminReviewShift', { params: { shift_id: shiftId }, data: body, as: 'admin', ...options }),
  adminCases: (query, options) => call('adminCases', { data: query, as: 'admin', ...options }),
  adminCase: (caseId, options) => call('adminCase', { params: { case_id: caseId }, as: 'admin', ...options }),
  adminLinkWechat: (code, options) => call('adminLinkWechat', { data: { code }, as: 'admin', ...options }),
}
