// Admin lite: login, the review queue (approve; reject with a required reason), open cases with deadlines.
const h = require('./helpers')
const f = require('./member-fixtures')
const { setAdminSession } = require('../utils/request')

beforeEach(f.resetModules)

const ADMIN = { id: 2, username: 'wd_admin', role: 'unit_admin', unit_id: 3 }

function adminShift(fields) {
  return {
    id: 11, member_id: 7, member: { id: 7, name: '李红' }, post_id: 5, post: { id: 5, name: '服务区志愿服务台' },
    unit_id: 3, unit: f.UNIT, status: 'pending', status_label: '待审核', source: 'scan', offline: false,
    started_at: '2026-11-20T09:30:00+08:00', ended_at: '2026-11-20T11:00:00+08:00', minutes: 90, open_minutes: 90,
    approve_minutes: 90, credited_minutes: null, review_flags: [], check_in: { lat: 30.75, lng: 120.75, accuracy_m: 20, distance_m: 12, in_range: true },
    check_out: { lat: 30.75, lng: 120.75, accuracy_m: 20, distance_m: 15, in_range: true }, claim_reason: '', overdue: false,
    review_due_at: '2026-12-04T23:59:59+08:00', working_days_waiting: 2, reviews: [],
    ...fields,
  }
}

/** A review server: `queue` shifts by status; review decisions applied and recorded. */
function serveReview(queue) {
  h.fake.server.on('GET', '/api/v1/admin/shifts', (req) => {
    if (req.token !== 'admin-token') return h.fake.server.error(401, 'unauthorized', '请先登录')
    const items = queue.filter((s) => s.status === req.query.status)
    return [200, { items, total: items.length, page: 1, page_size: 20 }]
  })
  h.fake.server.on('POST', '/api/v1/admin/shifts/{id}/review', (req) => {
    const shift = queue.find((s) => s.id === Number(req.params.id))
    if (req.data.decision === 'reject' && !req.data.reason) {
      return h.fake.server.error(422, 'validation_error', '请求参数有误', { reason: ['驳回或调整时长必须填写原因'] })
    }
    shift.status = req.data.decision === 'approve' ? 'approved' : 'rejected'
    return [200, shift]
  })
}

async function openQueue(options = {}) {
  setAdminSession({ token: 'admin-token', admin: ADMIN })
  return h.openPage('pages/admin/shifts', options)
}

test('login: username and password, the admin session kept apart, then back to the page that asked', async () => {
  h.fake.server.on('POST', '/api/v1/auth/admin', (req) => (req.data.password === 'pw-ok'
    ? [200, { token: 'admin-token', expires_in: 43200, admin: ADMIN }]
    : h.fake.server.error(401, 'bad_credentials', '账号或密码错误')))
  const page = await h.openPage('pages/admin/login', { redirect: encodeURIComponent('/pages/admin/case?id=8') })
  h.input(page, '#username', 'wd_admin')
  h.input(page, '#password', 'wrong')
  h.tap(page, '#submit')
  await h.flush()
  expect(h.text(page)).toContain('账号或密码错误')
  expect(h.fake.storage.has('admin_token')).toBe(false)

  h.input(page, '#password', 'pw-ok')
  h.tap(page, '#submit')
  await h.flush()
  const [call] = h.fake.server.callsTo('POST', '/api/v1/auth/admin').slice(-1)
  expect(call.data).toEqual({ username: 'wd_admin', password: 'pw-ok' })
  expect(call.token).toBeNull()
  expect(h.fake.storage.get('admin_token')).toBe('admin-token')
  expect(h.fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/admin/case?id=8' }])
})

test('a redirect outside admin-lite is not followed', async () => {
  setAdminSession({ token: 'admin-token', admin: ADMIN })
  await h.openPage('pages/admin/login', { redirect: encodeURIComponent('https://evil.example.com/') })
  expect(h.fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/admin/shifts' }])
})

test('the queue lists pending shifts with member, post, minutes and flags; approve sends the decision', async () => {
  const queue = [
    adminShift({ id: 11 }),
    adminShift({ id: 12, member: { id: 8, name: '王强' }, overdue: true, review_flags: ['offline', 'out_of_range_out'] }),
  ]
  serveReview(queue)
  const page = await openQueue()
  const [list] = h.fake.server.callsTo('GET', '/api/v1/admin/shifts')
  expect(list.query).toMatchObject({ status: 'pending' })
  expect(list.token).toBe('admin-token')
  h.expectShown(page, ['李红', '王强', '已超期', '离线提交', '签退位置不在岗位范围内', '通过将核定 90 分钟（1.5 小时）'])

  h.tap(page, '#shift-12 .approve')
  await h.flush()
  const [review] = h.fake.server.callsTo('POST', '/api/v1/admin/shifts/{id}/review')
  expect(review.path).toBe('/api/v1/admin/shifts/12/review')
  expect(review.data).toEqual({ decision: 'approve' })
  expect(review.token).toBe('admin-token')
  expect(h.text(page)).toContain('已通过')
  expect(page.querySelector('#shift-12')).toBeFalsy()
  expect(page.querySelector('#shift-11')).toBeTruthy()
})

test('reject needs a reason: without one nothing is sent; with one the reason goes to the server', async () => {
  const queue = [adminShift({ id: 11 })]
  serveReview(queue)
  const page = await openQueue()
  h.tap(page, '#shift-11 .reject')
  await h.flush()
  h.tap(page, '#confirm-reject')
  await h.flush()
  expect(h.text(page)).toContain('驳回必须填写原因')
  expect(h.fake.server.callsTo('POST', '/api/v1/admin/shifts/{id}/review')).toEqual([])

  h.input(page, '#reason', '  当天岗位未开放  ')
  h.tap(page, '#confirm-reject')
  await h.flush()
  const [review] = h.fake.server.callsTo('POST', '/api/v1/admin/shifts/{id}/review')
  expect(review.data).toEqual({ decision: 'reject', reason: '当天岗位未开放' })
  expect(queue[0].status).toBe('rejected')
  expect(h.text(page)).toContain('已驳回')
  expect(page.querySelector('#shift-11')).toBeFalsy()
})

test('needs_review tab; over the daily cap the admin confirms and the decision is sent with override_daily_cap', async () => {
  const queue = [adminShift({ id: 21, status: 'needs_review', minutes: null, approve_minutes: 120, review_flags: ['open_too_long'] })]
  serveReview(queue)
  h.fake.server.on('POST', '/api/v1/admin/shifts/{id}/review', (req) => (req.data.override_daily_cap
    ? [200, { ...queue[0], status: 'approved' }]
    : h.fake.server.error(409, 'daily_cap_override_required', '该志愿者当日核定时长将超过 8 小时，需确认超时审批后才能通过')))
  const page = await openQueue()
  expect(h.text(page)).toContain('没有待审核的记录')
  h.tap(page, '#tab-needs_review')
  await h.flush()
  expect(h.fake.server.callsTo('GET', '/api/v1/admin/shifts').slice(-1)[0].query.status).toBe('needs_review')
  expect(h.text(page)).toContain('超时未签退')
  h.tap(page, '#shift-21 .approve')
  await h.flush(60)
  const reviews = h.fake.server.callsTo('POST', '/api/v1/admin/shifts/{id}/review').map((c) => c.data)
  expect(reviews).toEqual([{ decision: 'approve' }, { decision: 'approve', override_daily_cap: true }])
  expect(h.fake.shown()).toContain('该志愿者当日核定时长将超过 8 小时，需确认超时审批后才能通过')
  expect(page.querySelector('#shift-21')).toBeFalsy()
})

test('no admin session: the queue sends the visitor to log in, and back after', async () => {
  await h.openPage('pages/admin/shifts')
  expect(h.fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/admin/login?redirect=%2Fpages%2Fadmin%2Fshifts' }])
  expect(h.fake.server.calls).toEqual([])
})

test('an expired admin session (401) goes to the login page', async () => {
  serveReview([])
  setAdminSession({ token: 'stale', admin: ADMIN })
  await h.openPage('pages/admin/shifts')
  expect(h.fake.navigations.slice(-1)[0].url).toMatch(/^\/pages\/admin\/login\?redirect=/)
  expect(h.fake.storage.has('admin_token')).toBe(false)
  expect(h.fake.logins).toEqual([]) // never a WeChat login for an admin's 401
})

const CASE = {
  id: 8, unit_id: 3, unit: f.UNIT, status: 'open', status_label: '待联系群众',
  rating: { id: 30, score: 1, score_label: '非常不满意', tags: ['态度差'], comment: '等了很久', comment_status: 'shown',
    contact: '13800001234', target: { kind: 'window', id: 4, name: '3号综合受理窗口', unit: f.UNIT },
    created_at: '2026-11-20T10:00:00+08:00', excluded: false, follow_up: null },
  due_contact_at: '2026-11-21T17:30:00+08:00', due_resolve_at: '2026-12-11T17:30:00+08:00',
  contacted_at: null, resolved_at: null, overdue: true,
  overdue_reasons: [{ code: 'contact', message: '未按时联系群众' }], answer: '', answered_on_time: null,
  appeal: null, excluded: false, created_at: '2026-11-20T10:00:00+08:00',
}

test('open cases with both deadlines, overdue marked; answered cases left out; a case opens its page', async () => {
  h.fake.server.on('GET', '/api/v1/admin/cases', () => [200, { items: [
    CASE,
    { ...CASE, id: 9, overdue: false, overdue_reasons: [], status: 'contacted', status_label: '已联系，整改中' },
    { ...CASE, id: 10, overdue: false, overdue_reasons: [], status: 'resolved', status_label: '已答复' },
  ], total: 3, page: 1, page_size: 50 }])
  h.fake.server.on('GET', '/api/v1/me/subscriptions', () => [200, { wechat_linked: false, items: [] }])
  setAdminSession({ token: 'admin-token', admin: ADMIN })
  const page = await h.openPage('pages/admin/cases')
  const text = h.text(page)
  expect(text).toContain('联系群众时限：11月21日 17:30')
  expect(text).toContain('整改答复时限：12月11日 17:30')
  expect(text).toContain('未按时联系群众')
  expect(page.querySelector('#case-8 .badge')).toBeTruthy()
  expect(page.querySelector('#case-9 .badge')).toBeFalsy()
  expect(page.querySelector('#case-10')).toBeFalsy()
  h.tap(page, '#case-8')
  await h.flush()
  expect(h.fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/admin/case?id=8' }])
})

test('one case (the page the bad-rating message opens): deadlines, the citizen\'s words, overdue', async () => {
  h.fake.server.on('GET', '/api/v1/admin/cases/{id}', (req) => (req.params.id === '8' ? [200, { ...CASE, history: [] }]
    : h.fake.server.error(404, 'not_found', '未找到')))
  setAdminSession({ token: 'admin-token', admin: ADMIN })
  const page = await h.openPage('pages/admin/case', { id: '8' })
  h.expectShown(page, ['3号综合受理窗口', '非常不满意', '等了很久', '13800001234', '已超期', '12月11日 17:30'])
})

test('bad-rating alerts: link this WeChat, then the subscribe prompt from the tap, the answer recorded as admin', async () => {
  h.fake.server.on('GET', '/api/v1/admin/cases', () => [200, { items: [], total: 0, page: 1, page_size: 50 }])
  let linked = false
  let remaining = 0
  h.fake.server.on('GET', '/api/v1/me/subscriptions', () => [200, {
    wechat_linked: linked, items: [{ kind: 'bad_rating', template_id: 'tmpl-bad', remaining }] }])
  h.fake.server.on('POST', '/api/v1/admin/me/wechat', () => { linked = true; return [200, { wechat_linked: true, subscriptions: [] }] })
  h.fake.server.on('POST', '/api/v1/me/subscriptions', (req) => { remaining += 1; return [200, { kind: 'bad_rating', template_id: req.data.template_id, remaining }] })
  setAdminSession({ token: 'admin-token', admin: ADMIN })
  const page = await h.openPage('pages/admin/cases')
  h.tap(page, '#link-wechat')
  await h.flush(60)
  const [link] = h.fake.server.callsTo('POST', '/api/v1/admin/me/wechat')
  expect(link.data).toEqual({ code: h.fake.logins[h.fake.logins.length - 1] })
  expect(link.token).toBe('admin-token')
  h.tap(page, '#subscribe')
  await h.flush(60)
  expect(h.fake.subscribeRequests).toEqual([['tmpl-bad']])
  const [answer] = h.fake.server.callsTo('POST', '/api/v1/me/subscriptions')
  expect(answer.data).toEqual({ template_id: 'tmpl-bad', accepted: true })
  expect(answer.token).toBe('admin-token')
  expect(h.text(page)).toContain('还可接收 1 条提醒')
})
