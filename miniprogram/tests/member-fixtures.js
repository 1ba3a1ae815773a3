/**
 * Server answers shared by the member and admin-lite tests (shapes of server/shifts/schemas.py,
 * server/shifts/review_schemas.py, server/cases/schemas.py), and a small scripted shift server.
 */
const h = require('./helpers')
const offline = require('../utils/offline')
const subscribe = require('../utils/subscribe')

const TOKEN = 'Pq7_post-token-0001'
const UNIT = { id: 3, name: '王店服务区' }
const POST = {
  kind: 'post',
  target: { id: 5, name: '服务区志愿服务台', unit: UNIT, service: '送姜茶、出行指引', location: { lat: 30.75, lng: 120.75 }, radius_m: 100 },
  actions: ['check_in'],
  live: false,
}
const MEMBER = { id: 7, name: '李红', unit: UNIT, star_level: 1 }
const TEMPLATE = 'tmpl-shift-reviewed'

function shift(fields) {
  return {
    id: 1, client_id: null, post: { id: 5, name: POST.target.name }, unit: UNIT, status: 'open',
    status_label: '进行中（未签退）', source: 'scan', offline: false, started_at: '2026-11-22T09:30:00+08:00',
    ended_at: null, minutes: null, credited_minutes: null, review_flags: [], review_flag_labels: [],
    check_in_distance_m: 12, check_out_distance_m: null, claim_reason: '', review_reason: '',
    ...fields,
  }
}

function page(items) {
  return [200, { items, total: items.length, page: 1, page_size: 20 }]
}

/** Fresh module state for every test (the modules outlive one test inside a test file). */
function resetModules() {
  offline.reset()
  subscribe.reset()
}

/**
 * A member's shift server that keeps shifts and dedupes check-ins by client_id as
 * server/shifts/services.py does: `state.shifts`, plus `state.outOfRange` to refuse.
 */
function serveShifts({ member = MEMBER } = {}) {
  const state = { shifts: [], nextId: 100 }
  h.fake.user = { id: 1, member }
  h.fake.server.on('GET', '/api/v1/scan/{token}', () => [200, POST])
  h.fake.server.on('GET', '/api/v1/me', () => [200, { id: 1, member }])
  h.fake.server.on('GET', '/api/v1/me/shifts', (req) => {
    const items = state.shifts.filter((s) => !req.query.status || s.status === req.query.status)
      .slice().sort((a, b) => b.id - a.id)
    return [200, { items, total: items.length, page: Number(req.query.page || 1), page_size: Number(req.query.page_size || 20) }]
  })
  h.fake.server.on('POST', '/api/v1/shifts/check-in', (req) => {
    const earlier = state.shifts.find((s) => s.client_id === req.data.client_id)
    if (earlier) return [200, earlier]
    const open = state.shifts.find((s) => s.status === 'open')
    if (open) {
      return [409, { error: { code: 'shift_open', message: `您在“${open.post.name}”的签到尚未签退，请先签退再签到`,
        open_shift: { id: open.id, post: open.post, started_at: open.started_at, ended_at: null } } }]
    }
    const created = shift({ id: state.nextId++, client_id: req.data.client_id,
      started_at: req.data.occurred_at || '2026-11-22T09:30:00+08:00', offline: Boolean(req.data.occurred_at) })
    state.shifts.push(created)
    return [201, created]
  })
  h.fake.server.on('POST', '/api/v1/shifts/{id}/check-out', (req) => {
    const found = state.shifts.find((s) => s.id === Number(req.params.id))
    if (!found) return h.fake.server.error(404, 'shift_not_found', '签到记录不存在')
    if (found.status !== 'open') {
      return [409, { error: { code: 'shift_not_open', message: '该签到记录已结束，不能再签退', shift: { id: found.id, status: found.status } } }]
    }
    Object.assign(found, { status: 'pending', status_label: '待审核', ended_at: req.data.occurred_at || '2026-11-22T11:00:00+08:00', minutes: 90 })
    return [200, found]
  })
  h.fake.server.on('GET', '/api/v1/me/subscriptions', () => [200, { wechat_linked: true, items: [{ kind: 'shift_reviewed', template_id: TEMPLATE, remaining: 0 }] }])
  h.fake.server.on('POST', '/api/v1/me/subscriptions', (req) => [200, { kind: 'shift_reviewed', template_id: req.data.template_id, remaining: req.data.accepted ? 1 : 0 }])
  return state
}

module.exports = { TOKEN, UNIT, POST, MEMBER, TEMPLATE, shift, page, resetModules, serveShifts }
