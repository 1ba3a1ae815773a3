// The check-in page: the post, the location (WGS-84), the server's refusals, check-out and the subscribe offer.
const h = require('./helpers')
const f = require('./member-fixtures')

beforeEach(f.resetModules)

async function openCheckin(options = { token: f.TOKEN }) {
  return h.openPage('pages/checkin/checkin', options)
}

test('shows the post and why the location is needed; a check-in sends token, WGS-84 location and a client_id', async () => {
  const state = f.serveShifts()
  const page = await openCheckin()
  expect(h.text(page)).toContain('服务区志愿服务台')
  expect(h.text(page)).toContain('岗位周围 100 米内')
  expect(h.text(page)).toContain('为什么需要您的位置')

  h.tap(page, '#check-in')
  await h.flush()
  const [call] = h.fake.server.callsTo('POST', '/api/v1/shifts/check-in')
  expect(call.data).toEqual({ token: f.TOKEN, lat: 30.75, lng: 120.75, accuracy_m: 20, client_id: expect.stringMatching(/^mp-/) })
  expect(call.data.client_id.length).toBeLessThanOrEqual(64)
  expect(state.shifts).toHaveLength(1)
  expect(h.text(page)).toContain('签到成功，签到时间 09:30')
  expect(page.querySelector('#check-out')).toBeTruthy()
})

test('422 out_of_range: the distance and the radius are shown, nothing is queued', async () => {
  f.serveShifts()
  h.fake.location = { latitude: 30.7531, longitude: 120.75, accuracy: 10 }
  h.fake.server.on('POST', '/api/v1/shifts/check-in', (req) => {
    // A rough metre count from the sent latitude, as the server's haversine would give.
    const distance = Math.round((req.data.lat - 30.75) * 111195)
    return [422, { error: { code: 'out_of_range', message: `您距离岗位约 ${distance} 米，不在签到范围（100 米）内`,
      distance_m: distance, radius_m: 100 } }]
  })
  const page = await openCheckin()
  h.tap(page, '#check-in')
  await h.flush()
  expect(h.text(page)).toContain('您距离岗位约 345 米，超出签到范围（100 米）')
  expect(page.querySelector('#out-of-range')).toBeTruthy()
  expect(require('../utils/offline').queue()).toEqual([])
  expect(h.text(page)).not.toContain('签到成功')
})

test('refused location: the explanation and a settings button; once allowed, the check-in goes on', async () => {
  f.serveShifts()
  h.fake.permissions['scope.userLocation'] = false
  const page = await openCheckin()
  h.tap(page, '#check-in')
  await h.flush()
  expect(h.text(page)).toContain('您没有允许小程序使用位置')
  expect(h.fake.server.callsTo('POST', '/api/v1/shifts/check-in')).toEqual([])

  // The member leaves settings without allowing: still explained, nothing sent.
  h.tap(page, '#open-setting')
  await h.flush()
  expect(page.querySelector('#location-denied')).toBeTruthy()
  expect(h.fake.server.callsTo('POST', '/api/v1/shifts/check-in')).toEqual([])

  h.fake.openSettingGrants = true
  h.tap(page, '#open-setting')
  await h.flush()
  expect(page.querySelector('#location-denied')).toBeFalsy()
  expect(h.fake.server.callsTo('POST', '/api/v1/shifts/check-in')).toHaveLength(1)
  expect(h.text(page)).toContain('签到成功')
})

test('a live code checks in without a location when location is refused', async () => {
  f.serveShifts()
  h.fake.server.on('GET', '/api/v1/scan/{token}', () => [200, { ...f.POST, live: true }])
  h.fake.permissions['scope.userLocation'] = false
  const page = await openCheckin({ token: 'L.5.123.abcdef' })
  expect(h.text(page)).toContain('动态签到码')
  h.tap(page, '#check-in')
  await h.flush()
  const [call] = h.fake.server.callsTo('POST', '/api/v1/shifts/check-in')
  expect(call.data).toEqual({ token: 'L.5.123.abcdef', client_id: expect.any(String) })
})

test('409 shift_open names the open shift and offers its check-out', async () => {
  const state = f.serveShifts()
  const page = await openCheckin()
  // The open shift appears between opening the page and tapping (made on another phone).
  state.shifts.push(f.shift({ id: 41, post: { id: 9, name: '老城区桥梁巡查岗' }, client_id: 'other' }))
  h.tap(page, '#check-in')
  await h.flush()
  expect(h.text(page)).toContain('老城区桥梁巡查岗')
  h.tap(page, '#check-out')
  await h.flush()
  expect(h.fake.server.callsTo('POST', '/api/v1/shifts/{id}/check-out').map((c) => c.path)).toEqual(['/api/v1/shifts/41/check-out'])
})

test('an open shift is shown on arrival; check-out, then the review-message offer recorded on the server', async () => {
  const state = f.serveShifts()
  state.shifts.push(f.shift({ id: 42 }))
  const page = await openCheckin()
  expect(page.querySelector('#check-in')).toBeFalsy()
  h.tap(page, '#check-out')
  await h.flush(60)
  const [out] = h.fake.server.callsTo('POST', '/api/v1/shifts/{id}/check-out')
  expect(out.path).toBe('/api/v1/shifts/42/check-out')
  expect(out.data).toEqual({ lat: 30.75, lng: 120.75, accuracy_m: 20 })
  expect(h.text(page)).toContain('签退成功')
  expect(h.text(page)).toContain('90 分钟')
  expect(h.fake.subscribeRequests).toEqual([[f.TEMPLATE]])
  const [answer] = h.fake.server.callsTo('POST', '/api/v1/me/subscriptions')
  expect(answer.data).toEqual({ template_id: f.TEMPLATE, accepted: true })
})

test('declining the offer asks WeChat nothing and tells the server nothing', async () => {
  const state = f.serveShifts()
  state.shifts.push(f.shift({ id: 43 }))
  h.fake.modalConfirm = false
  const page = await openCheckin()
  h.tap(page, '#check-out')
  await h.flush(60)
  expect(h.fake.subscribeRequests).toEqual([])
  expect(h.fake.server.callsTo('POST', '/api/v1/me/subscriptions')).toEqual([])
})

test('not a bound member: the bind page is offered', async () => {
  f.serveShifts({ member: null })
  h.fake.server.on('GET', '/api/v1/me/shifts', () => h.fake.server.error(403, 'not_a_member', '仅已绑定的党员/志愿者可以签到'))
  const page = await openCheckin()
  expect(h.text(page)).toContain('您还没有绑定党员/志愿者身份')
  h.tap(page, '#bind')
  await h.flush()
  expect(h.fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/bind/bind' }])
})

test('410 code_expired: the server\'s message and a button to scan again', async () => {
  f.serveShifts()
  h.fake.server.on('POST', '/api/v1/shifts/check-in', () => h.fake.server.error(410, 'code_expired', '签到码已过期，请扫描屏幕上的最新二维码'))
  const page = await openCheckin()
  h.tap(page, '#check-in')
  await h.flush()
  expect(h.text(page)).toContain('签到码已过期')
  expect(page.querySelector('#rescan')).toBeTruthy()
})

test('opened by WeChat\'s link rule (options.q) it reads the token the same way', async () => {
  f.serveShifts()
  const config = require('../config')
  await openCheckin({ q: encodeURIComponent(`${config.publicBaseUrls[0]}/q/${f.TOKEN}`) })
  expect(h.fake.server.callsTo('GET', '/api/v1/scan/{token}')[0].path).toBe(`/api/v1/scan/${f.TOKEN}`)
})
