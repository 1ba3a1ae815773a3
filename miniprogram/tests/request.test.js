// utils/request.js: login, the token on every call, one transparent renewal on 401, and
// the contract's Chinese error message shown to the user.
const h = require('./helpers')
const api = require('../api')
const { request, login, getToken, setToken, setAdminSession, getAdmin } = require('../utils/request')

const ME = '/api/v1/me'

// The fake server's answer to GET /me: only the token of the first login is valid.
function meAnswer(req) {
  return req.token === 'token-1' ? [200, { id: 7, member: null }] : h.fake.server.error(401, 'unauthorized', '请先登录')
}

test('login: wx.login code goes to auth/wechat, the token is stored and sent', async () => {
  const { token, user } = await login()
  expect(token).toBe('token-1')
  expect(user).toEqual({ id: 1, member: null })
  expect(getToken()).toBe('token-1')
  const [call] = h.fake.server.callsTo('POST', '/api/v1/auth/wechat')
  expect(call.data).toEqual({ code: 'code-1' })
  expect(call.token).toBeNull()

  h.fake.server.on('GET', ME, meAnswer)
  const res = await api.me()
  expect(res).toEqual({ status: 200, data: { id: 7, member: null } })
  expect(h.fake.server.callsTo('GET', ME)[0].header.Authorization).toBe('Bearer token-1')
})

test('a call without a stored token logs in first', async () => {
  h.fake.server.on('GET', ME, meAnswer)
  const res = await api.me()
  expect(res.status).toBe(200)
  expect(h.fake.logins).toEqual(['code-1'])
  expect(h.fake.server.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/v1/auth/wechat', `GET ${ME}`])
})

test('401: renews the token once (wx.login + auth/wechat) and retries with the new token, transparently', async () => {
  setToken('expired-token')
  h.fake.server.on('GET', ME, meAnswer)
  const res = await api.me()
  expect(res).toEqual({ status: 200, data: { id: 7, member: null } })
  const calls = h.fake.server.calls.map((c) => [c.method, c.path, c.token])
  expect(calls).toEqual([
    ['GET', ME, 'expired-token'],
    ['POST', '/api/v1/auth/wechat', null],
    ['GET', ME, 'token-1'],
  ])
  expect(getToken()).toBe('token-1')
  expect(h.fake.shown()).toEqual([]) // nothing shown: the renewal is transparent
})

test('401 again after the renewal is not looped: one renewal, then the error', async () => {
  setToken('expired-token')
  h.fake.server.on('GET', ME, () => h.fake.server.error(401, 'unauthorized', '请先登录'))
  await expect(api.me()).rejects.toMatchObject({ status: 401, code: 'unauthorized', message: '请先登录' })
  expect(h.fake.server.callsTo('GET', ME)).toHaveLength(2)
  expect(h.fake.server.callsTo('POST', '/api/v1/auth/wechat')).toHaveLength(1)
  expect(h.fake.logins).toHaveLength(1)
  expect(h.fake.shown()).toEqual(['请先登录'])
})

test('concurrent 401s share one renewal', async () => {
  setToken('expired-token')
  h.fake.server.on('GET', ME, meAnswer)
  const answers = await Promise.all([api.me(), api.me(), api.me()])
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
  expect(h.fake.server.callsTo('POST', '/api/v1/auth/wechat')).toHaveLength(1)
})

test('an error shows the contract\'s Chinese message and rejects with code, fields and status', async () => {
  setToken('t')
  h.fake.server.on('POST', '/api/v1/me/bind', () => h.fake.server.error(
    422, 'validation_error', '请检查填写的内容', { bind_code: ['绑定码不正确'] }))
  const error = await api.bind('nope').catch((e) => e)
  expect(error).toMatchObject({
    name: 'ApiError', status: 422, code: 'validation_error', message: '请检查填写的内容',
    fields: { bind_code: ['绑定码不正确'] },
  })
  expect(h.fake.modals).toHaveLength(1)
  expect(h.fake.modals[0].content).toBe('请检查填写的内容')
})

test('silent errors are not shown; the network failure has its own Chinese message', async () => {
  setToken('t')
  h.fake.setNetwork(false)
  const error = await request({ path: ME, silent: true }).catch((e) => e)
  expect(error).toMatchObject({ status: 0, code: 'network', message: '网络连接失败，请检查网络后重试' })
  expect(h.fake.shown()).toEqual([])
  await expect(request({ path: ME })).rejects.toMatchObject({ code: 'network' })
  expect(h.fake.shown()).toEqual(['网络连接失败，请检查网络后重试'])
})

test('an answer that is not the contract\'s (a proxy\'s 502 page) gets a Chinese fallback', async () => {
  setToken('t')
  h.fake.server.on('GET', ME, () => [502, '<html>Bad Gateway</html>'])
  await expect(api.me({ silent: true })).rejects.toMatchObject({ status: 502, message: '服务暂时不可用，请稍后再试' })
})

test('admin session: its own token; a 401 clears it and is not renewed with wx.login', async () => {
  setToken('user-token')
  setAdminSession({ token: 'admin-token', admin: { id: 3, username: 'fuwuqu', role: 'unit_admin', unit_id: 1 } })
  h.fake.server.on('GET', '/api/v1/admin/shifts', (req) => (req.n === 1
    ? [200, { items: [], total: 0, page: 1, page_size: 20 }]
    : h.fake.server.error(401, 'unauthorized', '登录已过期，请重新登录')))
  await api.adminShifts({ status: 'pending' })
  const [first] = h.fake.server.calls
  expect(first.token).toBe('admin-token')
  expect(first.query).toEqual({ status: 'pending' })
  expect(getAdmin()).toMatchObject({ username: 'fuwuqu' })

  await expect(api.adminShifts({}, { silent: true })).rejects.toMatchObject({ status: 401 })
  expect(getToken('admin')).toBeNull()
  expect(getAdmin()).toBeNull()
  expect(getToken()).toBe('user-token')
  expect(h.fake.logins).toEqual([])
  expect(h.fake.server.callsTo('GET', '/api/v1/admin/shifts')).toHaveLength(2)
})

test('download: the record PDF with the token; an error answer\'s message is read from the file', async () => {
  setToken('t')
  h.fake.server.on('GET', '/api/v1/members/{member_id}/record.pdf', (req) => (req.params.member_id === '5'
    ? [200, '%PDF-1.4 …']
    : h.fake.server.error(404, 'not_found', '没有找到该党员')))
  const ok = await api.downloadHoursRecord(5)
  expect(ok.status).toBe(200)
  expect(h.fake.files.get(ok.tempFilePath)).toBe('%PDF-1.4 …')
  expect(h.fake.server.calls[0].token).toBe('t')
  await expect(api.downloadHoursRecord(6)).rejects.toMatchObject({ status: 404, message: '没有找到该党员' })
  expect(h.fake.shown()).toEqual(['没有找到该党员'])
})
