// The offline queue (utils/offline.js) through the pages: queued while offline, shown 待同步,
// replayed in order when the network returns, each client_id sent once, safely repeatable.
const h = require('./helpers')
const f = require('./member-fixtures')
const offline = require('../utils/offline')

beforeEach(f.resetModules)

const checkIns = () => h.fake.server.callsTo('POST', '/api/v1/shifts/check-in')
const checkOuts = () => h.fake.server.callsTo('POST', '/api/v1/shifts/{id}/check-out')

/** Check in and then out on the check-in page while offline; returns the page. */
async function actOffline() {
  const page = await h.openPage('pages/checkin/checkin', { token: f.TOKEN })
  h.fake.setNetwork(false)
  await h.flush()
  h.tap(page, '#check-in')
  await h.flush()
  h.tap(page, '#check-out')
  await h.flush()
  return page
}

test('offline: check-in and check-out are queued with client_id, time and location, and shown 待同步', async () => {
  f.serveShifts()
  const page = await actOffline()
  expect(checkIns()).toEqual([])
  expect(checkOuts()).toEqual([])
  expect(h.text(page)).toContain('签退已保存在手机上')

  const queue = h.fake.storage.get(offline.QUEUE_KEY)
  expect(queue.map((item) => item.kind)).toEqual(['check_in', 'check_out'])
  const [inItem, outItem] = queue
  expect(inItem).toMatchObject({ token: f.TOKEN, lat: 30.75, lng: 120.75, accuracy_m: 20, queued: true })
  expect(inItem.client_id).toMatch(/^mp-/)
  expect(inItem.acted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
  expect(outItem.check_in_client_id).toBe(inItem.client_id)
  expect(outItem.shift_id).toBeUndefined()

  const list = await h.openPage('pages/shifts/list')
  expect(h.text(list)).toContain('待同步')
  expect(h.text(list)).toContain('服务区志愿服务台')
  expect(h.text(list)).toContain('签到和签退已保存在手机上')
  expect(checkIns()).toEqual([])
})

test('network back (the event fires twice, and a page replays at once): each action sent once, in order, '
  + 'the check-out with the shift id its queued check-in got', async () => {
  const state = f.serveShifts()
  await actOffline()
  const [inItem, outItem] = h.fake.storage.get(offline.QUEUE_KEY)

  h.fake.setNetwork(true)
  h.fake.setNetwork(true)
  offline.replay()
  await h.flush(60)

  expect(checkIns()).toHaveLength(1)
  expect(checkIns()[0].data).toEqual({
    token: f.TOKEN, client_id: inItem.client_id, lat: 30.75, lng: 120.75, accuracy_m: 20, occurred_at: inItem.acted_at,
  })
  expect(checkOuts()).toHaveLength(1)
  expect(checkOuts()[0].path).toBe(`/api/v1/shifts/${state.shifts[0].id}/check-out`)
  expect(checkOuts()[0].data).toEqual({ lat: 30.75, lng: 120.75, accuracy_m: 20, occurred_at: outItem.acted_at })
  // In order: the check-in was answered before the check-out was sent.
  const order = h.fake.server.calls.filter((c) => c.path.startsWith('/api/v1/shifts')).map((c) => c.path)
  expect(order).toEqual(['/api/v1/shifts/check-in', `/api/v1/shifts/${state.shifts[0].id}/check-out`])
  expect(h.fake.storage.get(offline.QUEUE_KEY)).toEqual([])
  expect(state.shifts).toHaveLength(1)
  expect(state.shifts[0].status).toBe('pending')

  // Nothing is sent again by later events.
  h.fake.setNetwork(true)
  await h.flush()
  expect(checkIns()).toHaveLength(1)
  expect(checkOuts()).toHaveLength(1)

  const list = await h.openPage('pages/shifts/list')
  expect(h.text(list)).not.toContain('待同步')
  expect(h.text(list)).toContain('待审核')
})

test('concurrent replays while the server is slow: one request per item', async () => {
  const state = f.serveShifts()
  await actOffline()
  let release
  const slow = new Promise((resolve) => { release = resolve })
  h.fake.server.on('POST', '/api/v1/shifts/check-in', async (req) => {
    await slow
    const created = f.shift({ id: 500, client_id: req.data.client_id })
    state.shifts.push(created)
    return [201, created]
  })
  h.fake.setNetwork(true)
  const runs = [offline.replay(), offline.replay()]
  h.fake.setNetwork(true)
  await h.flush()
  runs.push(offline.replay())
  await h.flush()
  expect(checkIns()).toHaveLength(1)
  expect(checkOuts()).toEqual([])
  release()
  await Promise.all(runs)
  await h.flush()
  expect(checkIns()).toHaveLength(1)
  expect(checkOuts().map((c) => c.path)).toEqual(['/api/v1/shifts/500/check-out'])
  expect(offline.queue()).toEqual([])
})

test('safely repeatable: a check-in the server made but whose answer was lost is resent with the same client_id', async () => {
  const state = f.serveShifts()
  const page = await h.openPage('pages/checkin/checkin', { token: f.TOKEN })
  const serve = h.fake.server
  let first = true
  const realCheckIn = (req) => {
    const earlier = state.shifts.find((s) => s.client_id === req.data.client_id)
    if (earlier) return [200, earlier]
    const created = f.shift({ id: 77, client_id: req.data.client_id })
    state.shifts.push(created)
    return [201, created]
  }
  serve.on('POST', '/api/v1/shifts/check-in', (req) => {
    const answer = realCheckIn(req)
    if (first) {
      first = false
      return h.fake.server.error(503, 'unavailable', '服务暂时不可用') // made, but the phone never learns it
    }
    return answer
  })
  h.tap(page, '#check-in')
  await h.flush()
  expect(h.text(page)).toContain('待同步')
  expect(offline.queue()).toHaveLength(1)

  // The app is killed and opened again: the queue is in storage, the memory is fresh.
  offline.reset()
  await offline.replay()
  await h.flush()
  const ids = checkIns().map((c) => c.data.client_id)
  expect(ids).toHaveLength(2)
  expect(ids[1]).toBe(ids[0])
  expect(state.shifts).toHaveLength(1)
  expect(offline.queue()).toEqual([])
})

test('a queued check-in the server refuses is dropped with its check-out, and the member is told on my shifts', async () => {
  const state = f.serveShifts()
  await actOffline()
  h.fake.server.on('POST', '/api/v1/shifts/check-in', () => [422, { error: {
    code: 'out_of_range', message: '您距离岗位约 800 米，不在签到范围（100 米）内', distance_m: 800, radius_m: 100 } }])
  h.fake.setNetwork(true)
  await h.flush(60)
  expect(checkIns()).toHaveLength(1)
  expect(checkOuts()).toEqual([])
  expect(offline.queue()).toEqual([])
  expect(state.shifts).toEqual([])

  const list = await h.openPage('pages/shifts/list')
  const text = h.text(list)
  expect(text).toContain('以下记录未能上传')
  expect(text).toContain('您距离岗位约 800 米')
  expect(text).toContain('对应的签到未能上传，这次签退无法提交')
  h.tap(list, '#dismiss-failures')
  await h.flush()
  expect(h.text(list)).not.toContain('未能上传')
})

test('a check-out sent again after its answer was lost (409 shift_not_open, now pending) counts as done', async () => {
  const state = f.serveShifts()
  state.shifts.push(f.shift({ id: 60, status: 'pending', ended_at: '2026-11-22T11:00:00+08:00', minutes: 90 }))
  h.fake.storage.set(offline.QUEUE_KEY, [{
    client_id: 'mp-x', kind: 'check_out', shift_id: 60, acted_ms: Date.now() - 5 * 60000,
    acted_at: offline.isoTime(Date.now() - 5 * 60000), queued: true, post: null,
  }])
  await offline.replay()
  expect(checkOuts()).toHaveLength(1)
  expect(offline.queue()).toEqual([])
  expect(offline.failures()).toEqual([])
})

test('my shifts sends the queue before reading the shifts', async () => {
  f.serveShifts()
  await actOffline()
  h.fake.online = true
  h.fake.networkType = 'wifi'
  h.fake.server.reset()
  await h.openPage('pages/shifts/list')
  const paths = h.fake.server.calls.map((c) => `${c.method} ${c.path}`)
  const read = paths.indexOf('GET /api/v1/me/shifts')
  expect(paths.indexOf('POST /api/v1/shifts/check-in')).toBeGreaterThanOrEqual(0)
  expect(paths.indexOf('POST /api/v1/shifts/check-in')).toBeLessThan(read)
  expect(paths.findIndex((p) => p.endsWith('/check-out'))).toBeLessThan(read)
})

test('online, a fresh action carries no occurred_at (the server\'s clock stamps it)', async () => {
  f.serveShifts()
  const page = await h.openPage('pages/checkin/checkin', { token: f.TOKEN })
  h.tap(page, '#check-in')
  await h.flush()
  expect(checkIns()[0].data.occurred_at).toBeUndefined()
  expect(offline.queue()).toEqual([])
})

test('the app sends the queue when the network comes back and when it shows', async () => {
  f.serveShifts()
  const queued = (clientId) => ({ client_id: clientId, kind: 'check_in', token: f.TOKEN, lat: 30.75, lng: 120.75, accuracy_m: 20,
    acted_ms: Date.now() - 10 * 60000, acted_at: offline.isoTime(Date.now() - 10 * 60000), queued: true, post: null })
  h.fake.storage.set(offline.QUEUE_KEY, [queued('mp-app-1')])
  let app = null
  global.App = (definition) => { app = definition }
  require('../app')
  h.fake.setNetwork(false)
  app.onLaunch({ scene: 1001, query: {} })
  app.onShow({ scene: 1001, query: {} })
  await h.flush()
  expect(checkIns()).toEqual([])

  h.fake.setNetwork(true)
  await h.flush()
  expect(checkIns().map((c) => c.data.client_id)).toEqual(['mp-app-1'])

  // The member checks out elsewhere meanwhile; a new queued item goes when the app shows again.
  h.fake.server.on('POST', '/api/v1/shifts/check-in', (req) => [201, f.shift({ id: 300, client_id: req.data.client_id })])
  h.fake.storage.set(offline.QUEUE_KEY, [queued('mp-app-2')])
  app.onShow({ scene: 1001, query: {} })
  await h.flush()
  expect(checkIns().map((c) => c.data.client_id)).toEqual(['mp-app-1', 'mp-app-2'])
  expect(offline.queue()).toEqual([])
})
