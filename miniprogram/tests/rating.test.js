// The citizen's flow: scanned link → landing → profile (亮身份/亮承诺/亮职责) → rating → thanks.
const h = require('./helpers')
const config = require('../config')
const { ENDPOINTS } = require('../api')

const TOKEN = 'Zx9_aB-3kQ7mN2pR4sT6vW'
const Q = encodeURIComponent(`${config.publicBaseUrls[0]}/q/${TOKEN}`)
const UNIT = { id: 3, name: '王店港航管理检查站' }
const BADGE = {
  kind: 'badge',
  target: {
    id: 9, name: '张伟', unit: UNIT, photo_url: '', post_title: '综合执法岗', is_party_member: true,
    commitment: '热情服务，件件有回音', badge_no: 'WD-007', on_duty: true,
  },
  actions: ['rate'],
  live: false,
}
const WINDOW = {
  kind: 'window',
  target: {
    id: 4, name: '3号综合受理窗口', unit: UNIT, duties: ['道路运输证受理', '船员证书换发'],
    commitments: ['一次告知', '限时办结'], time_limits: [{ item: '道路运输证', limit: '即办' }],
  },
  actions: ['rate'],
  live: false,
}
const POST = {
  kind: 'post',
  target: { id: 2, name: '服务区志愿岗', unit: UNIT, service: '引导', location: { lat: 30.7, lng: 120.7 }, radius_m: 200 },
  actions: ['check_in'],
  live: false,
}

function serveScan(answer) {
  h.fake.server.on('GET', '/api/v1/scan/{token}', (req) => (req.params.token === TOKEN ? answer : h.fake.server.error(404, 'code_unknown', '二维码无效')))
}

/** Open the landing page with options.q and follow its redirect; returns the next page's URL. */
async function land(options) {
  await h.openPage('pages/landing/landing', options)
  const [navigation] = h.fake.navigations
  return navigation
}

describe('landing', () => {
  test('a badge\'s link in options.q resolves and opens the profile', async () => {
    serveScan([200, BADGE])
    const navigation = await land({ q: Q, scancode_time: '1764000000' })
    expect(navigation).toEqual({ type: 'redirectTo', url: `/pages/profile/profile?token=${TOKEN}` })
    const [call] = h.fake.server.calls
    expect(call).toMatchObject({ method: 'GET', path: `/api/v1/scan/${TOKEN}`, token: null })
    // The profile takes the landing page's answer rather than asking again.
    const profile = await h.openPage('pages/profile/profile', h.optionsOf(navigation.url))
    expect(h.text(profile)).toContain('张伟')
    expect(h.fake.server.calls).toHaveLength(1)
  })

  test('double-encoded options.q works the same', async () => {
    serveScan([200, WINDOW])
    const navigation = await land({ q: encodeURIComponent(Q) })
    expect(navigation.url).toBe(`/pages/profile/profile?token=${TOKEN}`)
  })

  test('a post\'s code opens check-in', async () => {
    serveScan([200, POST])
    const navigation = await land({ q: Q })
    expect(navigation).toEqual({ type: 'redirectTo', url: `/pages/checkin/checkin?token=${TOKEN}` })
  })

  test.each([
    [404, 'code_unknown', '二维码无效', '没有找到这个二维码'],
    [410, 'code_revoked', '二维码已停用', '这个二维码已经停用'],
    [410, 'code_expired', '签到码已过期', '动态签到码每分钟更新'],
  ])('%i %s: a plain Chinese page, no redirect', async (status, code, title, body) => {
    h.fake.server.on('GET', '/api/v1/scan/{token}', () => h.fake.server.error(status, code, '服务器的话'))
    const page = await h.openPage('pages/landing/landing', { q: Q })
    expect(h.fake.navigations).toEqual([])
    expect(h.text(page)).toContain(title)
    expect(h.text(page)).toContain(body)
    expect(page.querySelector('#retry')).toBeFalsy()
  })

  test('a link that is not ours is not sent to the server', async () => {
    const page = await h.openPage('pages/landing/landing', { q: encodeURIComponent('https://example.com/q/abc') })
    expect(h.fake.server.calls).toEqual([])
    expect(h.text(page)).toContain('没有识别到二维码')
  })

  test('no network: the message, and a retry that works once it is back', async () => {
    serveScan([200, BADGE])
    h.fake.setNetwork(false)
    const page = await h.openPage('pages/landing/landing', { q: Q })
    expect(h.text(page)).toContain('网络连接失败')
    h.fake.setNetwork(true)
    h.tap(page, '#retry')
    await h.flush()
    expect(h.fake.navigations[0].url).toBe(`/pages/profile/profile?token=${TOKEN}`)
  })
})

describe('profile and rating', () => {
  test('a badge shows 亮身份, 亮承诺, 亮职责 and the five levels', async () => {
    serveScan([200, BADGE])
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    const text = h.text(page)
    for (const words of ['亮身份', '张伟', '共产党员', '在岗服务中', '综合执法岗', 'WD-007', '王店港航管理检查站',
      '亮承诺', '热情服务，件件有回音', '亮职责', '非常满意', '满意', '基本满意', '不满意', '非常不满意']) {
      expect(text).toContain(words)
    }
    const levels = [5, 4, 3, 2, 1].map((score) => h.text({ dom: h.find(page, `.score-${score}`).dom }))
    expect(levels).toEqual(['非常满意', '满意', '基本满意', '不满意', '非常不满意'])
  })

  test('a window shows its duties, commitments and time limits', async () => {
    serveScan([200, WINDOW])
    const text = h.text(await h.openPage('pages/profile/profile', { token: TOKEN }))
    for (const words of ['3号综合受理窗口', '道路运输证受理', '船员证书换发', '一次告知', '限时办结', '办理时限', '道路运输证', '即办']) {
      expect(text).toContain(words)
    }
  })

  test('a good rating: the request\'s body, then thanks', async () => {
    serveScan([200, BADGE])
    h.fake.server.on('POST', '/api/v1/ratings', () => [201, { id: 51, score: 5, comment_status: 'shown', case: null }])
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    h.tap(page, '.score-5')
    await h.flush(2)
    expect(h.text(page)).toContain('做得好的')
    expect(h.text(page)).not.toContain('如需回访')
    h.tap(page, '.tag') // 热情
    h.input(page, '#comment', '  办事很快  ')
    h.tap(page, '#submit')
    await h.flush()

    const [rating] = h.fake.server.callsTo('POST', '/api/v1/ratings')
    expect(rating.data).toEqual({ token: TOKEN, score: 5, tags: ['热情'], comment: '办事很快', client_id: expect.any(String) })
    expect(rating.token).toBe('token-1') // logged in on the way, since scanning needs no login
    const [navigation] = h.fake.navigations
    expect(navigation.type).toBe('redirectTo')
    expect(navigation.url.startsWith('/pages/thanks/thanks?')).toBe(true)

    const thanks = h.text(await h.openPage('pages/thanks/thanks', h.optionsOf(navigation.url)))
    expect(thanks).toContain('谢谢您的评价')
    expect(thanks).toContain('您的评价：非常满意')
    expect(thanks).toContain('您的认可是我们前进的动力')
    expect(thanks).not.toContain('受理编号')
  })

  test('a bad rating: negative tags, the contact, and thanks with the case\'s deadlines', async () => {
    serveScan([200, WINDOW])
    h.fake.server.on('POST', '/api/v1/ratings', () => [201, {
      id: 52, score: 1, comment_status: 'hidden',
      case: { id: 17, due_contact_at: '2026-11-23T17:30:00+08:00', due_resolve_at: '2026-12-14T17:30:00+08:00' },
    }])
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    h.tap(page, '.score-4')
    await h.flush(2)
    h.tap(page, '.tag') // 热情, dropped when the level turns bad
    h.tap(page, '.score-1')
    await h.flush(2)
    expect(h.text(page)).toContain('需要改进的')
    const tags = page.querySelectorAll('.tag')
    tags[0].dispatchEvent('tap') // 推诿
    tags[1].dispatchEvent('tap') // 态度差
    tags[0].dispatchEvent('tap') // 推诿 again: unselected
    h.input(page, '#comment', '排队一小时')
    h.input(page, '#contact', '13812345678')
    h.tap(page, '#submit')
    await h.flush()

    const [rating] = h.fake.server.callsTo('POST', '/api/v1/ratings')
    expect(rating.data).toEqual({
      token: TOKEN, score: 1, tags: ['态度差'], comment: '排队一小时', contact: '13812345678', client_id: expect.any(String),
    })
    // Every field sent is one the contract test checks against the server's schema.
    expect(ENDPOINTS.rate[2]).toEqual(expect.arrayContaining(Object.keys(rating.data)))
    const thanks = h.text(await h.openPage('pages/thanks/thanks', h.optionsOf(h.fake.navigations[0].url)))
    h.expectShown(thanks, [
      '您的评价：非常不满意',
      '您的意见已转交王店港航管理检查站核实整改',
      '11月23日 17:30',
      '我们将在 11月23日 17:30 前与您联系（如留有电话），并在 12月14日 17:30 前答复',
      '受理编号：17',
      '您的留言将在审核后显示',
    ])
  })

  test('409 already_rated shows the server\'s message and stays on the form', async () => {
    serveScan([200, WINDOW])
    h.fake.server.on('POST', '/api/v1/ratings', () => h.fake.server.error(409, 'already_rated', '您今天已评价过该窗口'))
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    h.tap(page, '.score-3')
    h.tap(page, '#submit')
    await h.flush()
    expect(h.fake.shown()).toEqual(['您今天已评价过该窗口'])
    expect(h.find(page, '#form-error').dom.textContent).toBe('您今天已评价过该窗口')
    expect(h.fake.navigations).toEqual([])
    expect(page.instance.data.submitting).toBe(false)
  })

  test('a resend after a lost answer carries the same client_id', async () => {
    serveScan([200, BADGE])
    h.fake.server.on('POST', '/api/v1/ratings', (req) => (req.n === 1
      ? [503, '<html>upstream timed out</html>']
      : [200, { id: 53, score: 4, comment_status: 'shown', case: null }]))
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    h.tap(page, '.score-4')
    h.tap(page, '#submit')
    await h.flush()
    expect(h.fake.shown()).toEqual(['服务暂时不可用，请稍后再试'])
    expect(h.fake.navigations).toEqual([])
    h.tap(page, '#submit')
    await h.flush()
    const ids = h.fake.server.callsTo('POST', '/api/v1/ratings').map((call) => call.data.client_id)
    expect(ids).toHaveLength(2)
    expect(ids[0]).toMatch(/^.{8,64}$/)
    expect(ids[1]).toBe(ids[0])
    expect(h.fake.navigations[0].url).toMatch(/^\/pages\/thanks\/thanks\?score=4/)
  })

  test('a field refused by the server is shown under its field', async () => {
    serveScan([200, WINDOW])
    h.fake.server.on('POST', '/api/v1/ratings', () => h.fake.server.error(
      422, 'validation_error', '请检查填写的内容', { contact: ['请填写正确的电话号码'] }))
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    h.tap(page, '.score-2')
    await h.flush(2)
    h.input(page, '#contact', '12')
    h.tap(page, '#submit')
    await h.flush()
    expect(h.text(page)).toContain('请填写正确的电话号码')
  })

  test('no level chosen: asks for one and sends nothing', async () => {
    serveScan([200, BADGE])
    const page = await h.openPage('pages/profile/profile', { token: TOKEN })
    h.tap(page, '#submit')
    await h.flush()
    expect(h.text(page)).toContain('请先点选一项满意程度')
    expect(h.fake.server.callsTo('POST', '/api/v1/ratings')).toEqual([])
  })

  test('a post\'s token opened here goes to check-in; a failing one to the landing page', async () => {
    serveScan([200, POST])
    await h.openPage('pages/profile/profile', { token: TOKEN })
    await h.openPage('pages/profile/profile', { token: 'unknown' })
    expect(h.fake.navigations).toEqual([
      { type: 'redirectTo', url: `/pages/checkin/checkin?token=${TOKEN}` },
      { type: 'redirectTo', url: '/pages/landing/landing?token=unknown' },
    ])
  })
})
