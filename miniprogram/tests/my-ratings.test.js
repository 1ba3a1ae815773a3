// pages/my-ratings: my ratings with the unit's answers, and the one follow-up rating.
const h = require('./helpers')
const { setToken } = require('../utils/request')

const UNIT = { id: 3, name: '王店港航管理检查站' }

function rating(overrides) {
  return {
    id: 11, target: { kind: 'window', id: 4, name: '3号综合受理窗口', unit: UNIT }, score: 5, score_label: '非常满意',
    tags: ['高效'], comment: '很快', comment_status: 'shown', created_at: '2026-11-20T09:05:00+08:00',
    case_status: null, case_status_label: null, answer: null, answered_at: null, can_follow_up: false, follow_up: null,
    ...overrides,
  }
}

const ANSWERED = rating({
  id: 12, target: { kind: 'member', id: 9, name: '张伟', unit: UNIT }, score: 1, score_label: '非常不满意',
  tags: ['态度差'], comment: '排队一小时', comment_status: 'hidden', created_at: '2026-11-18T15:40:00+08:00',
  case_status: 'resolved', case_status_label: '已答复', answer: '已增开窗口，向您致歉', answered_at: '2026-11-19T10:00:00+08:00',
  can_follow_up: true,
})

function serveList(items, total) {
  h.fake.server.on('GET', '/api/v1/me/ratings', (req) => [200, {
    items, total: total === undefined ? items.length : total, page: Number(req.query.page), page_size: Number(req.query.page_size),
  }])
}

beforeEach(() => setToken('t'))

test('my ratings with the unit\'s answer and the case\'s progress', async () => {
  serveList([rating(), ANSWERED])
  const page = await h.openPage('pages/my-ratings/my-ratings')
  const [call] = h.fake.server.calls
  expect(call).toMatchObject({ method: 'GET', path: '/api/v1/me/ratings', query: { page: '1', page_size: '20' }, token: 't' })
  const first = h.text({ dom: h.find(page, '#rating-11').dom })
  expect(first).toContain('服务窗口 · 王店港航管理检查站')
  expect(first).toContain('我的评价：非常满意')
  expect(first).toContain('11月20日 09:05')
  expect(first).not.toContain('追加评价')
  const second = h.text({ dom: h.find(page, '#rating-12').dom })
  for (const words of ['工作人员', '张伟', '我的评价：非常不满意', '态度差', '排队一小时', '留言审核中',
    '处理进度：已答复', '单位答复', '已增开窗口，向您致歉', '答复时间：11月19日 10:00', '追加评价']) {
    expect(second).toContain(words)
  }
})

test('the one follow-up: its request, then the rating shows it and offers no second', async () => {
  serveList([ANSWERED])
  h.fake.server.on('POST', '/api/v1/ratings/{rating_id}/follow-up', (req) => [201, {
    ...ANSWERED, can_follow_up: false,
    follow_up: { id: 30, score: req.data.score, score_label: '满意', comment: req.data.comment, comment_status: 'shown', created_at: '2026-11-21T08:00:00+08:00' },
  }])
  const page = await h.openPage('pages/my-ratings/my-ratings')
  h.tap(page, '.follow-up-start')
  await h.flush(2)
  h.tap(page, '.fu-score-4')
  h.input(page, '#follow-up-comment', ' 改进了 ')
  h.tap(page, '#follow-up-submit')
  await h.flush()
  const [call] = h.fake.server.callsTo('POST', '/api/v1/ratings/{rating_id}/follow-up')
  expect(call.path).toBe('/api/v1/ratings/12/follow-up')
  expect(call.data).toEqual({ score: 4, comment: '改进了' })
  const text = h.text(page)
  expect(text).toContain('我的追评：满意')
  expect(text).toContain('改进了')
  expect(text).not.toContain('追加评价')
  expect(h.fake.toasts.map((t) => t.title)).toEqual(['追评已提交，谢谢您'])
})

test('a refused follow-up shows the server\'s message and reloads the list', async () => {
  serveList([ANSWERED])
  h.fake.server.on('POST', '/api/v1/ratings/{rating_id}/follow-up', () => h.fake.server.error(409, 'already_followed_up', '您已追评过'))
  const page = await h.openPage('pages/my-ratings/my-ratings')
  h.tap(page, '.follow-up-start')
  await h.flush(2)
  h.tap(page, '.fu-score-2')
  h.tap(page, '#follow-up-submit')
  await h.flush()
  expect(h.fake.shown()).toEqual(['您已追评过'])
  expect(h.fake.server.callsTo('GET', '/api/v1/me/ratings')).toHaveLength(2)
})

test('empty, then a failed load with a retry', async () => {
  serveList([])
  expect(h.text(await h.openPage('pages/my-ratings/my-ratings'))).toContain('您还没有评价记录')
  h.fake.setNetwork(false)
  const page = await h.openPage('pages/my-ratings/my-ratings')
  expect(h.text(page)).toContain('网络连接失败')
  h.fake.setNetwork(true)
  h.tap(page, '#retry')
  await h.flush()
  expect(h.text(page)).toContain('您还没有评价记录')
})

test('more than one page: load more appends the next', async () => {
  h.fake.server.on('GET', '/api/v1/me/ratings', (req) => [200, {
    items: [rating({ id: Number(req.query.page) * 100 })], total: 2, page: Number(req.query.page), page_size: 20,
  }])
  const page = await h.openPage('pages/my-ratings/my-ratings')
  h.tap(page, '#load-more')
  await h.flush()
  expect(page.instance.data.items.map((i) => i.id)).toEqual([100, 200])
  expect(page.querySelector('#load-more')).toBeFalsy()
})
