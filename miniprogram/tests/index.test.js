// pages/index: the in-app scan button (wx.scanCode) and the ways in.
const h = require('./helpers')
const config = require('../config')

const TOKEN = 'Zx9_aB-3kQ7mN2pR4sT6vW'

test('scanning our code opens the landing page with its token', async () => {
  const page = await h.openPage('pages/index/index')
  expect(h.text(page)).toContain('扫码评价 / 签到')
  h.fake.scanResults.push(`${config.publicBaseUrls[0]}/q/${TOKEN}`)
  h.tap(page, '#scan')
  await h.flush()
  expect(h.fake.navigations).toEqual([{ type: 'navigateTo', url: `/pages/landing/landing?token=${TOKEN}` }])
})

test('a foreign code is refused in Chinese; a cancelled scan does nothing', async () => {
  const page = await h.openPage('pages/index/index')
  h.fake.scanResults.push('https://example.com/pay?id=1', null)
  h.tap(page, '#scan')
  await h.flush()
  expect(h.fake.shown()).toEqual(['这不是红色驿站的二维码，请扫描现场张贴的二维码'])
  h.tap(page, '#scan')
  await h.flush()
  expect(h.fake.shown()).toHaveLength(1)
  expect(h.fake.navigations).toEqual([])
})

test('the other entries', async () => {
  const page = await h.openPage('pages/index/index')
  h.tap(page, '#my-ratings')
  h.tap(page, '#member')
  h.tap(page, '#admin')
  await h.flush()
  expect(h.fake.navigations.map((n) => n.url)).toEqual(['/pages/my-ratings/my-ratings', '/pages/member/member', '/pages/admin/login'])
})
