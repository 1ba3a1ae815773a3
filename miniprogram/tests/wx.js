/**
 * A `wx` stand-in for jest: what the mini-program's code calls, with a scripted fake server.
 *
 * Usage (see tests/helpers.js, which installs a fresh one before every test):
 *
 *   const { fake } = require('./helpers')           // or: const fake = installWx()
 *   fake.server.on('GET', '/api/v1/scan/{token}', (req) => [200, { kind: 'badge', ... }])
 *   fake.server.on('POST', '/api/v1/ratings', (req) => ({ status: 201, data: { id: 1 } }))
 *   ... drive a page ...
 *   fake.server.calls                 // [{ method, url, path, query, header, data, token }]
 *   fake.server.callsTo('POST', '/api/v1/ratings')
 *   fake.shown()                      // every text shown by showToast / showModal, in order
 *
 * The server
 *   server.on(method, pathTemplate, handler): `{name}` in the template matches one path
 *     segment; handler(req) gets `{ method, url, path, query, header, data, token, params,
 *     n }` (`n`: how many times this route was called, from 1) and returns `[status, data]`,
 *     `{ status, data }`, or a Promise of either. A later `on` for the same route replaces it.
 *   server.error(status, code, message, fields) → the contract's error answer, for handlers.
 *   Unrouted paths answer 404 in the contract's shape.
 *   By default POST /api/v1/auth/wechat answers a token `token-{n}` for any code and the
 *     user `fake.user` (a non-member unless a test sets it); override with server.on.
 *   server.calls / server.callsTo(method, pathTemplate) / server.reset()
 *
 * The device
 *   fake.storage                     a Map behind get/set/removeStorage(Sync)
 *   fake.setNetwork(false|true, type) offline: wx.request/downloadFile fail with
 *                                    'request:fail'; listeners of onNetworkStatusChange hear it
 *   fake.logins                      codes handed out by wx.login ('code-1', 'code-2', …);
 *                                    fake.loginFails = true makes wx.login fail
 *   fake.location                    what getLocation answers ({ latitude, longitude, accuracy });
 *   fake.permissions['scope.userLocation'] = false   refuses location: getLocation fails with
 *                                    'getLocation:fail auth deny'; getSetting reports it;
 *                                    fake.openSettingGrants = true makes openSetting grant it
 *   fake.scanResults                 queue of wx.scanCode answers: a string (the code's text) or
 *                                    null (the user cancels); empty queue = cancel
 *   fake.subscribeAnswer             'accept' (default), 'reject' or a { tmplId: answer } map
 *   fake.modalConfirm                what showModal's user taps (true = confirm; default)
 *   fake.toasts / fake.modals / fake.navigations ({ type, url }) / fake.documents (openDocument
 *   paths) / fake.subscribeRequests  records
 *   fake.files                       Map tempFilePath → text of downloaded files
 *
 * Async APIs answer on a later macrotask (like the real client) and, like the real base
 * library, return a Promise when called without success/fail/complete callbacks. Wait for
 * them with helpers.flush().
 */

function later(fn) {
  setTimeout(fn, 0)
}

/** Call options.success/fail/complete later; return a Promise when no callback was given. */
function answer(options, run) {
  const opts = options || {}
  const wantsPromise = !opts.success && !opts.fail && !opts.complete
  let settle
  const promise = wantsPromise ? new Promise((resolve, reject) => { settle = { resolve, reject } }) : null
  later(async () => {
    let outcome
    try {
      outcome = { ok: true, value: await run() }
    } catch (error) {
      outcome = { ok: false, value: error && error.errMsg ? error : { errMsg: String(error && error.message) } }
    }
    if (outcome.ok) {
      if (opts.success) opts.success(outcome.value)
      if (settle) settle.resolve(outcome.value)
    } else {
      if (opts.fail) opts.fail(outcome.value)
      if (settle) settle.reject(outcome.value)
    }
    if (opts.complete) opts.complete(outcome.value)
  })
  return promise || undefined
}

function failure(errMsg) {
  const error = new Error(errMsg)
  error.errMsg = errMsg
  return error
}

function templateToRegExp(template) {
  const names = []
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (whole, name) => {
    names.push(name)
    return '([^/]+)'
  })
  return { regexp: new RegExp(`^${source}$`), names }
}

function parseUrl(url) {
  const match = /^[a-z]+:\/\/[^/]+(\/[^?#]*)?(\?[^#]*)?/i.exec(url) || []
  const path = match[1] || '/'
  const query = {}
  if (match[2]) {
    match[2].slice(1).split('&').filter(Boolean).forEach((pair) => {
      const [key, value = ''] = pair.split('=')
      query[decodeURIComponent(key)] = decodeURIComponent(value.replace(/\+/g, ' '))
    })
  }
  return { path, query }
}

function createServer(fake) {
  const routes = []
  const counts = new Map()
  const server = {
    calls: [],

    on(method, template, handler) {
      const key = `${method.toUpperCase()} ${template}`
      const index = routes.findIndex((r) => r.key === key)
      const route = { key, method: method.toUpperCase(), template, handler, ...templateToRegExp(template) }
      if (index >= 0) routes[index] = route
      else routes.push(route)
      return server
    },

    error(status, code, message, fields) {
      return [status, { error: { code, message, fields: fields || {} } }]
    },

    callsTo(method, template) {
      const { regexp } = templateToRegExp(template)
      return server.calls.filter((c) => c.method === method.toUpperCase() && regexp.test(c.path))
    },

    reset() {
      server.calls.length = 0
      counts.clear()
    },

    /** Answer one exchange: `{ statusCode, data }`. */
    async handle({ method, url, header, data }) {
      const { path, query } = parseUrl(url)
      const auth = (header && (header.Authorization || header.authorization)) || ''
      const call = {
        method: (method || 'GET').toUpperCase(), url, path, query, header: { ...(header || {}) },
        data: data === undefined ? undefined : JSON.parse(JSON.stringify(data)),
        token: auth.startsWith('Bearer ') ? auth.slice(7) : null,
      }
      server.calls.push(call)
      const route = routes.find((r) => r.method === call.method && r.regexp.test(path))
      if (!route) return { statusCode: 404, data: { error: { code: 'not_found', message: '未找到', fields: {} } } }
      const values = route.regexp.exec(path).slice(1).map(decodeURIComponent)
      const params = {}
      route.names.forEach((name, i) => { params[name] = values[i] })
      const n = (counts.get(route.key) || 0) + 1
      counts.set(route.key, n)
      const result = await route.handler({ ...call, params, n, fake })
      const [status, body] = Array.isArray(result) ? result : [result.status, result.data]
      return { statusCode: status, data: body === undefined ? '' : JSON.parse(JSON.stringify(body)) }
    },
  }

  let issued = 0
  server.on('POST', '/api/v1/auth/wechat', () => {
    issued += 1
    return [200, { token: `token-${issued}`, expires_in: 604800, user: fake.user }]
  })
  return server
}

/** A fresh fake: `fake.wx` is the API object, the rest are its controls and records. */
function createWx() {
  const fake = {
    user: { id: 1, member: null },
    storage: new Map(),
    online: true,
    networkType: 'wifi',
    networkListeners: [],
    logins: [],
    loginFails: false,
    location: { latitude: 30.75, longitude: 120.75, accuracy: 20 },
    permissions: {},
    openSettingGrants: false,
    scanResults: [],
    subscribeAnswer: 'accept',
    subscribeRequests: [],
    modalConfirm: true,
    toasts: [],
    modals: [],
    navigations: [],
    documents: [],
    files: new Map(),

    setNetwork(online, type) {
      fake.online = online
      fake.networkType = online ? type || 'wifi' : 'none'
      const event = { isConnected: online, networkType: fake.networkType }
      fake.networkListeners.slice().forEach((listener) => later(() => listener(event)))
    },

    /** Every text shown to the user by showToast (title) and showModal (content), in order. */
    shown() {
      return fake.ui.map((entry) => entry.text)
    },
    ui: [],
  }
  fake.server = createServer(fake)

  let fileCount = 0
  const wx = {
    // Storage
    getStorageSync: (key) => (fake.storage.has(key) ? fake.storage.get(key) : ''),
    setStorageSync: (key, value) => { fake.storage.set(key, JSON.parse(JSON.stringify(value))) },
    removeStorageSync: (key) => { fake.storage.delete(key) },
    clearStorageSync: () => fake.storage.clear(),
    getStorageInfoSync: () => ({ keys: [...fake.storage.keys()], currentSize: 0, limitSize: 10240 }),
    getStorage: (o) => answer(o, () => {
      if (!fake.storage.has(o.key)) throw failure('getStorage:fail data not found')
      return { data: fake.storage.get(o.key) }
    }),
    setStorage: (o) => answer(o, () => { wx.setStorageSync(o.key, o.data); return { errMsg: 'setStorage:ok' } }),
    removeStorage: (o) => answer(o, () => { fake.storage.delete(o.key); return { errMsg: 'removeStorage:ok' } }),

    // Network
    request: (o) => answer(o, async () => {
      if (!fake.online) throw failure('request:fail')
      const res = await fake.server.handle(o)
      return { ...res, header: { 'Content-Type': 'application/json' }, errMsg: 'request:ok' }
    }),
    downloadFile: (o) => answer(o, async () => {
      if (!fake.online) throw failure('downloadFile:fail')
      const res = await fake.server.handle({ method: 'GET', url: o.url, header: o.header })
      fileCount += 1
      const tempFilePath = `wxfile://tmp_${fileCount}`
      fake.files.set(tempFilePath, typeof res.data === 'string' ? res.data : JSON.stringify(res.data))
      return { statusCode: res.statusCode, tempFilePath, errMsg: 'downloadFile:ok' }
    }),
    getFileSystemManager: () => ({
      readFileSync: (path) => {
        if (!fake.files.has(path)) throw failure(`readFileSync:fail no such file ${path}`)
        return fake.files.get(path)
      },
    }),
    openDocument: (o) => answer(o, () => { fake.documents.push({ ...o }); return { errMsg: 'openDocument:ok' } }),
    getNetworkType: (o) => answer(o, () => ({ networkType: fake.networkType })),
    onNetworkStatusChange: (listener) => { fake.networkListeners.push(listener) },
    offNetworkStatusChange: (listener) => {
      fake.networkListeners = listener ? fake.networkListeners.filter((l) => l !== listener) : []
    },

    // Login
    login: (o) => answer(o, () => {
      if (fake.loginFails) throw failure('login:fail')
      const code = `code-${fake.logins.length + 1}`
      fake.logins.push(code)
      return { code, errMsg: 'login:ok' }
    }),
    checkSession: (o) => answer(o, () => ({ errMsg: 'checkSession:ok' })),

    // Location and permissions
    getLocation: (o) => answer(o, () => {
      if (fake.permissions['scope.userLocation'] === false) throw failure('getLocation:fail auth deny')
      fake.permissions['scope.userLocation'] = true
      return { ...fake.location, speed: 0, altitude: 0, verticalAccuracy: 0, horizontalAccuracy: fake.location.accuracy }
    }),
    getSetting: (o) => answer(o, () => ({ authSetting: { ...fake.permissions } })),
    authorize: (o) => answer(o, () => {
      if (fake.permissions[o.scope] === false) throw failure('authorize:fail auth deny')
      fake.permissions[o.scope] = true
      return { errMsg: 'authorize:ok' }
    }),
    openSetting: (o) => answer(o, () => {
      if (fake.openSettingGrants) {
        Object.keys(fake.permissions).forEach((scope) => { fake.permissions[scope] = true })
        fake.permissions['scope.userLocation'] = true
      }
      return { authSetting: { ...fake.permissions } }
    }),

    // Scanning, subscribe messages
    scanCode: (o) => answer(o, () => {
      const next = fake.scanResults.length ? fake.scanResults.shift() : null
      if (next === null || next === undefined) throw failure('scanCode:fail cancel')
      return { result: next, scanType: 'QR_CODE', charSet: 'utf-8', errMsg: 'scanCode:ok' }
    }),
    requestSubscribeMessage: (o) => answer(o, () => {
      fake.subscribeRequests.push([...(o.tmplIds || [])])
      const result = { errMsg: 'requestSubscribeMessage:ok' }
      ;(o.tmplIds || []).forEach((id) => {
        result[id] = typeof fake.subscribeAnswer === 'string' ? fake.subscribeAnswer : fake.subscribeAnswer[id] || 'reject'
      })
      return result
    }),

    // UI
    showToast: (o) => {
      fake.toasts.push({ ...o })
      fake.ui.push({ kind: 'toast', text: o.title })
      return answer(o, () => ({ errMsg: 'showToast:ok' }))
    },
    hideToast: (o) => answer(o, () => ({ errMsg: 'hideToast:ok' })),
    showModal: (o) => {
      fake.modals.push({ ...o })
      fake.ui.push({ kind: 'modal', text: o.content })
      return answer(o, () => ({ confirm: !!fake.modalConfirm, cancel: !fake.modalConfirm, errMsg: 'showModal:ok' }))
    },
    showLoading: (o) => answer(o, () => ({ errMsg: 'showLoading:ok' })),
    hideLoading: (o) => answer(o, () => ({ errMsg: 'hideLoading:ok' })),
    setNavigationBarTitle: (o) => answer(o, () => ({ errMsg: 'setNavigationBarTitle:ok' })),
    vibrateShort: (o) => answer(o, () => ({ errMsg: 'vibrateShort:ok' })),
    makePhoneCall: (o) => answer(o, () => ({ errMsg: 'makePhoneCall:ok' })),

    // Navigation
    navigateTo: (o) => { fake.navigations.push({ type: 'navigateTo', url: o.url }); return answer(o, () => ({ errMsg: 'navigateTo:ok' })) },
    redirectTo: (o) => { fake.navigations.push({ type: 'redirectTo', url: o.url }); return answer(o, () => ({ errMsg: 'redirectTo:ok' })) },
    reLaunch: (o) => { fake.navigations.push({ type: 'reLaunch', url: o.url }); return answer(o, () => ({ errMsg: 'reLaunch:ok' })) },
    switchTab: (o) => { fake.navigations.push({ type: 'switchTab', url: o.url }); return answer(o, () => ({ errMsg: 'switchTab:ok' })) },
    navigateBack: (o) => {
      fake.navigations.push({ type: 'navigateBack', delta: (o && o.delta) || 1 })
      return answer(o, () => ({ errMsg: 'navigateBack:ok' }))
    },
  }
  fake.wx = wx
  return fake
}

module.exports = { createWx }
