// app.js: the WeChat user is logged in on launch.
const h = require('./helpers')
const { getToken } = require('../utils/request')

test('onLaunch logs in with wx.login and keeps the token', async () => {
  let definition = null
  global.App = (options) => { definition = options }
  jest.isolateModules(() => require('../app'))
  definition.onLaunch({ scene: 1001, query: {} })
  await h.flush()
  expect(h.fake.logins).toEqual(['code-1'])
  const [call] = h.fake.server.callsTo('POST', '/api/v1/auth/wechat')
  expect(call.data).toEqual({ code: 'code-1' })
  expect(getToken()).toBe('token-1')
})

test('a failed login on launch shows nothing (the first page\'s request will log in again)', async () => {
  let definition = null
  global.App = (options) => { definition = options }
  jest.isolateModules(() => require('../app'))
  h.fake.setNetwork(false)
  definition.onLaunch({ scene: 1001, query: {} })
  await h.flush()
  expect(h.fake.shown()).toEqual([])
  expect(getToken()).toBeNull()
})
