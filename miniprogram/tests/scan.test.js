// utils/scan.js: the token from options.q (WeChat's ordinary-link rule), options.token and
// wx.scanCode results; anything that is not {PUBLIC_BASE_URL}/q/{token} is not ours.
const config = require('../config')
const { tokenFromOptions, tokenFromScanResult } = require('../utils/scan')

const BASE = config.publicBaseUrls[0]
const TOKEN = 'Zx9_aB-3kQ7mN2pR4sT6vW'
const LINK = `${BASE}/q/${TOKEN}`
const LIVE = 'L.12.58912345.0a1b2c3d4e5f6a7b8c9d'

describe('tokenFromOptions', () => {
  test('options.q encoded once (as WeChat hands it over)', () => {
    expect(tokenFromOptions({ q: encodeURIComponent(LINK), scancode_time: '1764000000' })).toBe(TOKEN)
  })

  test('options.q encoded twice', () => {
    expect(tokenFromOptions({ q: encodeURIComponent(encodeURIComponent(LINK)) })).toBe(TOKEN)
  })

  test('options.q not encoded at all (DevTools compile condition typed by hand)', () => {
    expect(tokenFromOptions({ q: LINK })).toBe(TOKEN)
  })

  test('a trailing slash, query or fragment on the link', () => {
    expect(tokenFromOptions({ q: encodeURIComponent(`${LINK}/`) })).toBe(TOKEN)
    expect(tokenFromOptions({ q: encodeURIComponent(`${LINK}?from=sign`) })).toBe(TOKEN)
    expect(tokenFromOptions({ q: encodeURIComponent(`${LINK}#top`) })).toBe(TOKEN)
  })

  test('a post screen\'s live code', () => {
    expect(tokenFromOptions({ q: encodeURIComponent(`${BASE}/q/${LIVE}`) })).toBe(LIVE)
  })

  test('every configured base is ours; the host is compared without case', () => {
    for (const base of config.publicBaseUrls) {
      expect(tokenFromOptions({ q: encodeURIComponent(`${base}/q/${TOKEN}`) })).toBe(TOKEN)
    }
    expect(tokenFromOptions({ q: encodeURIComponent(LINK.replace('localhost', 'LOCALHOST')) })).toBe(TOKEN)
  })

  test('foreign links are not ours', () => {
    const foreign = [
      `https://evil.example.com/q/${TOKEN}`,
      `${BASE}.evil.example.com/q/${TOKEN}`,
      `${BASE}/x/${TOKEN}`,
      `${BASE}/q/`,
      `${BASE}/q/${TOKEN}/rate`,
      `${BASE}/q/${TOKEN}%20DROP`,
      'https://mp.weixin.qq.com/a/~abc',
      'WIFI:S:office;T:WPA;P:secret;;',
      '%E4%BD%A0%E5%A5%BD',
      '%E0%A4%A',
      '',
    ]
    for (const text of foreign) {
      expect(tokenFromOptions({ q: encodeURIComponent(text) })).toBeNull()
      expect(tokenFromOptions({ q: text })).toBeNull()
    }
  })

  test('options.token from our own navigation; nothing at all is null', () => {
    expect(tokenFromOptions({ token: TOKEN })).toBe(TOKEN)
    expect(tokenFromOptions({ token: encodeURIComponent(LIVE) })).toBe(LIVE)
    expect(tokenFromOptions({ token: 'a/b' })).toBeNull()
    expect(tokenFromOptions({})).toBeNull()
    expect(tokenFromOptions(undefined)).toBeNull()
  })
})

describe('tokenFromScanResult', () => {
  test('the scanned text of our code', () => {
    expect(tokenFromScanResult({ result: LINK, scanType: 'QR_CODE' })).toBe(TOKEN)
    expect(tokenFromScanResult(LINK)).toBe(TOKEN)
  })

  test('anything else is not ours', () => {
    expect(tokenFromScanResult({ result: 'https://example.com/pay?id=1' })).toBeNull()
    expect(tokenFromScanResult({ result: TOKEN })).toBeNull()
    expect(tokenFromScanResult({ path: 'pages/index/index?scene=1' })).toBeNull()
    expect(tokenFromScanResult(null)).toBeNull()
  })
})
