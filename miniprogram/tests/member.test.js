// The member's pages: hours (progress to the next star, the record PDF), claim, bind, one shift, my shifts.
const h = require('./helpers')
const f = require('./member-fixtures')

beforeEach(f.resetModules)

/** Fill in the claim form (the pickers and the reason that are given), then submit it. */
async function submitClaim(page, { post, day, start, end, reason } = {}) {
  Object.entries({ '#post': post, '#day': day, '#start': start, '#end': end }).forEach(([selector, value]) => {
    if (value !== undefined) h.pick(page, selector, value)
  })
  if (reason !== undefined) h.input(page, '#reason', reason)
  await h.flush()
  h.tap(page, '#submit')
  await h.flush()
}

describe('hours', () => {
  test('approved and pending hours, the star level and the progress bar to the next level', async () => {
    f.serveShifts()
    h.fake.server.on('GET', '/api/v1/me/hours', () => [200, {
      approved_minutes: 135 * 60, pending_minutes: 90, star_level: 1, next_level_at_minutes: 300 * 60 }])
    const page = await h.openPage('pages/hours/hours')
    const text = h.text(page)
    expect(text).toContain('1 星志愿者')
    expect(text).toContain('★☆☆☆☆')
    expect(h.text(page.querySelector('#approved'))).toBe('135 小时')
    expect(h.text(page.querySelector('#pending'))).toBe('1.5 小时')
    expect(h.text(page.querySelector('#progress-text'))).toBe('距离 2 星还需 165 小时（300 小时）')
    expect(h.text(page.querySelector('#percent'))).toBe('45%')
    expect(page.querySelector('.bar-fill').dom.getAttribute('style')).toContain('width: 45%')
  })

  test('no level yet, and the top level', async () => {
    f.serveShifts()
    h.fake.server.on('GET', '/api/v1/me/hours', () => [200, { approved_minutes: 30, pending_minutes: 0, star_level: 0, next_level_at_minutes: 6000 }])
    let page = await h.openPage('pages/hours/hours')
    expect(h.text(page)).toContain('尚未获得星级')
    expect(h.text(page.querySelector('#percent'))).toBe('0%')
    expect(h.text(page.querySelector('#progress-text'))).toBe('距离 1 星还需 99.5 小时（100 小时）')

    h.fake.server.on('GET', '/api/v1/me/hours', () => [200, { approved_minutes: 95000, pending_minutes: 0, star_level: 5, next_level_at_minutes: null }])
    page = await h.openPage('pages/hours/hours')
    expect(h.text(page)).toContain('5 星志愿者')
    expect(h.text(page)).toContain('您已获得最高星级')
    expect(h.text(page.querySelector('#percent'))).toBe('100%')
  })

  test('the record: downloaded with the token, opened as a PDF', async () => {
    f.serveShifts()
    h.fake.server.on('GET', '/api/v1/me/hours', () => [200, { approved_minutes: 0, pending_minutes: 0, star_level: 0, next_level_at_minutes: 6000 }])
    h.fake.server.on('GET', '/api/v1/members/{id}/record.pdf', () => [200, '%PDF-1.7 …'])
    const page = await h.openPage('pages/hours/hours')
    h.tap(page, '#download')
    await h.flush()
    const [download] = h.fake.server.callsTo('GET', '/api/v1/members/{id}/record.pdf')
    expect(download.path).toBe(`/api/v1/members/${f.MEMBER.id}/record.pdf`)
    expect(download.header.Authorization).toMatch(/^Bearer token-/)
    expect(h.fake.documents).toHaveLength(1)
    expect(h.fake.documents[0]).toMatchObject({ fileType: 'pdf' })
    expect(h.fake.files.get(h.fake.documents[0].filePath)).toBe('%PDF-1.7 …')
  })

  test('the server\'s refusal of the record is shown', async () => {
    f.serveShifts()
    h.fake.server.on('GET', '/api/v1/me/hours', () => [200, { approved_minutes: 0, pending_minutes: 0, star_level: 0, next_level_at_minutes: 6000 }])
    h.fake.server.on('GET', '/api/v1/members/{id}/record.pdf', () => h.fake.server.error(503, 'font_missing', '服务器缺少中文字体，暂时无法生成时长记录，请联系管理员'))
    const page = await h.openPage('pages/hours/hours')
    h.tap(page, '#download')
    await h.flush()
    expect(h.text(page)).toContain('服务器缺少中文字体')
    expect(h.fake.documents).toEqual([])
  })
})

describe('claim', () => {
  test('posts from my shifts; the claim is sent in the bureau\'s time with the reason', async () => {
    const state = f.serveShifts()
    state.shifts.push(f.shift({ id: 3, status: 'approved' }))
    h.fake.server.on('POST', '/api/v1/shifts/claims', (req) => [201, f.shift({ id: 9, status: 'pending', source: 'claim', ...req.data })])
    const page = await h.openPage('pages/claim/claim')
    await submitClaim(page, { post: '0', day: '2026-11-20', start: '09:00', end: '11:30', reason: '手机没电，未能扫码' })
    const [claim] = h.fake.server.callsTo('POST', '/api/v1/shifts/claims')
    expect(claim.data).toEqual({
      post_id: 5, started_at: '2026-11-20T09:00:00+08:00', ended_at: '2026-11-20T11:30:00+08:00', reason: '手机没电，未能扫码',
    })
    expect(h.text(page)).toContain('补录已提交')
  })

  test('missing fields are named and nothing is sent; the server\'s field errors are shown under their fields', async () => {
    const state = f.serveShifts()
    state.shifts.push(f.shift({ id: 3, status: 'approved' }))
    h.fake.server.on('POST', '/api/v1/shifts/claims', () => [422, { error: {
      code: 'claim_reversed', message: '结束时间必须晚于开始时间', fields: { ended_at: ['结束时间必须晚于开始时间'] } } }])
    const page = await h.openPage('pages/claim/claim')
    await submitClaim(page)
    expect(h.text(page.querySelector('#error-post_id'))).toBe('请选择服务岗位')
    expect(h.text(page.querySelector('#error-reason'))).toBe('请填写补录原因')
    expect(h.fake.server.callsTo('POST', '/api/v1/shifts/claims')).toEqual([])

    await submitClaim(page, { post: '0', start: '11:00', end: '10:00', reason: '忘记签到' })
    expect(h.fake.server.callsTo('POST', '/api/v1/shifts/claims')).toHaveLength(1)
    expect(h.text(page.querySelector('#error-ended_at'))).toBe('结束时间必须晚于开始时间')
    expect(page.querySelector('#error-post_id')).toBeFalsy()
    expect(page.querySelector('#error')).toBeFalsy()
  })

  test('a post chosen by scanning its code; a refusal without fields is shown on top', async () => {
    f.serveShifts()
    const config = require('../config')
    h.fake.scanResults.push(`${config.publicBaseUrls[0]}/q/${f.TOKEN}`)
    h.fake.server.on('POST', '/api/v1/shifts/claims', () => h.fake.server.error(409, 'shift_overlap', '与您在“服务区志愿服务台”的服务记录时间重叠'))
    const page = await h.openPage('pages/claim/claim')
    h.tap(page, '#scan-post')
    await h.flush()
    expect(h.text(page.querySelector('#post'))).toBe('服务区志愿服务台')
    await submitClaim(page, { start: '08:00', end: '09:00', reason: '忘记签到' })
    expect(h.fake.server.callsTo('POST', '/api/v1/shifts/claims')[0].data.post_id).toBe(5)
    expect(h.text(page.querySelector('#error'))).toContain('时间重叠')
  })
})

describe('bind', () => {
  test.each([
    [404, 'bind_code_unknown', '绑定码不存在，请核对后重新输入'],
    [409, 'bind_code_used', '该绑定码已被使用，请向管理员申请新的绑定码'],
    [410, 'bind_code_expired', '绑定码已过期，请向管理员申请新的绑定码'],
  ])('%i %s: the server\'s message on the page', async (status, code, message) => {
    h.fake.server.on('GET', '/api/v1/me', () => [200, { id: 1, member: null }])
    h.fake.server.on('POST', '/api/v1/me/bind', () => h.fake.server.error(status, code, message))
    const page = await h.openPage('pages/bind/bind')
    h.input(page, '#code', 'abcd2345')
    h.tap(page, '#submit')
    await h.flush()
    expect(h.fake.server.callsTo('POST', '/api/v1/me/bind')[0].data).toEqual({ bind_code: 'ABCD2345' })
    expect(h.text(page.querySelector('#error'))).toBe(message)
  })

  test('a scanned bind code is sent; then the bound member is shown and kept', async () => {
    h.fake.server.on('GET', '/api/v1/me', () => [200, { id: 1, member: null }])
    h.fake.server.on('POST', '/api/v1/me/bind', (req) => [200, { id: 1, member: { ...f.MEMBER, id: 7 } }])
    h.fake.scanResults.push(' K7MN2PQR ')
    const page = await h.openPage('pages/bind/bind')
    h.tap(page, '#scan')
    await h.flush()
    expect(h.fake.server.callsTo('POST', '/api/v1/me/bind')[0].data).toEqual({ bind_code: 'K7MN2PQR' })
    expect(h.text(page.querySelector('#member-name'))).toBe('李红')
    expect(h.fake.storage.get('user').member.id).toBe(7)
  })

  test('an empty code asks for one and sends nothing', async () => {
    h.fake.server.on('GET', '/api/v1/me', () => [200, { id: 1, member: null }])
    const page = await h.openPage('pages/bind/bind')
    h.tap(page, '#submit')
    await h.flush()
    expect(h.text(page)).toContain('请输入绑定码')
    expect(h.fake.server.callsTo('POST', '/api/v1/me/bind')).toEqual([])
  })
})

describe('my shifts and one shift', () => {
  test('newest first with status labels; the open one has a check-out button', async () => {
    const state = f.serveShifts()
    state.shifts.push(f.shift({ id: 1, status: 'approved', status_label: '已通过', ended_at: '2026-11-22T11:00:00+08:00', minutes: 90, credited_minutes: 90 }))
    state.shifts.push(f.shift({ id: 2, started_at: '2026-11-23T08:00:00+08:00' }))
    const page = await h.openPage('pages/shifts/list')
    const rows = page.querySelectorAll('.shift').map((row) => h.text(row))
    expect(rows[0]).toContain('进行中（未签退）')
    expect(rows[0]).toContain('11月23日 08:00 签到，尚未签退')
    expect(rows[1]).toContain('已通过')
    expect(rows[1]).toContain('11月22日 09:30 — 11:00')
    expect(rows[1]).toContain('90 分钟（1.5 小时）')
    expect(page.querySelector('#shift-2 .checkout')).toBeTruthy()
    expect(page.querySelector('#shift-1 .checkout')).toBeFalsy()
    h.tap(page, '#shift-2 .checkout')
    await h.flush(60)
    expect(h.fake.server.callsTo('POST', '/api/v1/shifts/{id}/check-out')[0].path).toBe('/api/v1/shifts/2/check-out')
    expect(page.querySelector('#shift-2 .checkout')).toBeFalsy()
  })

  test('one shift (the page the review message opens): times, minutes, the review\'s result and reason', async () => {
    const state = f.serveShifts()
    state.shifts.push(f.shift({ id: 31, status: 'rejected', status_label: '已驳回', ended_at: '2026-11-22T11:00:00+08:00',
      minutes: 90, review_reason: '当天岗位未开放', review_flags: ['offline'], review_flag_labels: ['离线提交'] }))
    const page = await h.openPage('pages/shifts/detail', { id: '31' })
    expect(h.text(page.querySelector('#status'))).toBe('已驳回')
    h.expectShown(page, ['11月22日 09:30', '11月22日 11:00', '90 分钟（1.5 小时）', '驳回原因', '当天岗位未开放'])
    expect(page.querySelector('#check-out')).toBeFalsy()

    const missing = await h.openPage('pages/shifts/detail', { id: '999' })
    expect(h.text(missing)).toContain('没有找到这条签到记录')
  })
})

describe('member home', () => {
  test('bound: name and stars; waiting actions counted; scanning a post opens check-in', async () => {
    f.serveShifts()
    const offline = require('../utils/offline')
    h.fake.storage.set(offline.QUEUE_KEY, [{ client_id: 'mp-a', kind: 'check_in', token: f.TOKEN, acted_ms: Date.now(),
      acted_at: offline.isoTime(Date.now()), queued: true, post: { id: 5, name: '服务区志愿服务台' } }])
    h.fake.server.on('POST', '/api/v1/shifts/check-in', () => h.fake.server.error(503, 'unavailable', '服务暂时不可用'))
    const config = require('../config')
    h.fake.scanResults.push(`${config.publicBaseUrls[0]}/q/${f.TOKEN}`)
    const page = await h.openPage('pages/member/member')
    expect(h.text(page)).toContain('有 1 条签到/签退记录待同步')
    expect(h.text(page)).toContain('李红')
    expect(h.text(page)).toContain('★')
    h.tap(page, '#scan')
    await h.flush()
    expect(h.fake.navigations).toEqual([{ type: 'navigateTo', url: `/pages/checkin/checkin?token=${f.TOKEN}` }])
  })

  test('not bound: the way to bind', async () => {
    f.serveShifts({ member: null })
    const page = await h.openPage('pages/member/member')
    expect(h.text(page)).toContain('您还没有绑定党员/志愿者身份')
    h.tap(page, '#bind')
    await h.flush()
    expect(h.fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/bind/bind' }])
  })
})
