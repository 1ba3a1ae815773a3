/**
 * Loading pages and components under miniprogram-simulate, with a fresh `wx` stand-in.
 *
 * tests/setup.js (jest's setupFilesAfterEnv) requires this module, so before EVERY test a
 * fresh fake (tests/wx.js) is installed as the global `wx`; `helpers.fake` is that test's one.
 *
 *   const h = require('./helpers')
 *   test('…', async () => {
 *     h.fake.server.on('GET', '/api/v1/me', () => [200, { id: 1, member: null }])
 *     const page = await h.openPage('pages/profile/profile', { token: 'abc' })  // runs onLoad, flushes
 *     h.tap(page, '.score-5')                 // dispatch a tap on the first match
 *     h.input(page, '#comment', '很好')        // bindinput with detail.value
 *     h.pick(page, '#day', '2026-11-20')       // a picker's bindchange with detail.value
 *     await h.flush()                          // let the fake server answer
 *     expect(h.text(page)).toContain('谢谢')   // rendered text, whitespace collapsed
 *     h.expectShown(page, ['谢谢', '评价'])      // … containing each of these
 *     page.instance.data                       // the page's data
 *     h.optionsOf(h.fake.navigations[0].url)   // the options the next page would get
 *   })
 *
 * Pages are written with Component(); WeChat calls a page's `methods.onLoad(options)`,
 * `onShow()` …, which openPage() calls in that order. Paths are relative to miniprogram/.
 */
const path = require('path')
const simulate = require('miniprogram-simulate')
const { createWx } = require('./wx')

const ROOT = path.resolve(__dirname, '..')
// miniprogram-simulate's own wx mocks (canIUse, getSystemInfoSync, createSelectorQuery …),
// kept under ours for anything the fake does not define.
const simulateWx = global.wx

let current = null

/** Install a fresh fake as the global `wx` (done before every test by tests/setup.js). */
function installWx() {
  current = createWx()
  global.wx = Object.assign({}, simulateWx, current.wx)
  const app = { globalData: {} }
  global.getApp = () => app
  global.getCurrentPages = () => []
  return current
}

/** Let pending fake-wx answers and the promises behind them run (each round is one macrotask). */
async function flush(rounds = 30) {
  for (let i = 0; i < rounds; i++) {
    // eslint-disable-next-line no-await-in-loop
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

// Ids of loaded pages. miniprogram-simulate runs a page's JS with require() and then drops
// it from require.cache so that the next load runs it again; jest's module registry ignores
// require.cache, so a second load would not call Component() again. One load per test file.
const loaded = new Map()

/**
 * Register a page or component (path relative to miniprogram/, without extension); its id.
 * Use this, not simulate.load directly (see `loaded`).
 */
function load(componentPath) {
  if (!loaded.has(componentPath)) {
    loaded.set(componentPath, simulate.load(path.join(ROOT, componentPath), { rootPath: ROOT }))
  }
  return loaded.get(componentPath)
}

/** Render and attach a page or component; returns miniprogram-simulate's wrapper. */
function render(componentPath, properties) {
  const component = simulate.render(load(componentPath), properties)
  component.attach(document.createElement('parent-wrapper'))
  return component
}

/** Render a page and run its onLoad(options) and onShow() as WeChat would, then flush. */
async function openPage(pagePath, options = {}) {
  const page = render(pagePath)
  const { instance } = page
  if (typeof instance.onLoad === 'function') await instance.onLoad(options)
  if (typeof instance.onShow === 'function') await instance.onShow()
  await flush()
  return page
}

/** The page's rendered text with whitespace collapsed. */
function text(component) {
  return component.dom.textContent.replace(/\s+/g, ' ').trim()
}

function find(component, selector) {
  const found = component.querySelector(selector)
  if (!found) throw new Error(`nothing matches ${selector}`)
  return found
}

/** Tap the first element matching `selector`. */
function tap(component, selector) {
  find(component, selector).dispatchEvent('tap')
}

/** Type `value` into the input matching `selector` (fires its bindinput with detail.value). */
function input(component, selector, value) {
  const field = find(component, selector)
  field.dispatchEvent('input', { detail: { value } })
}

/** Choose `value` in the picker matching `selector` (fires its bindchange with detail.value). */
function pick(component, selector, value) {
  find(component, selector).dispatchEvent('change', { detail: { value } })
}

/** Expect `shown` (a rendered component, or its text) to contain every one of `fragments`. */
function expectShown(shown, fragments) {
  const shownText = typeof shown === 'string' ? shown : text(shown)
  fragments.forEach((fragment) => expect(shownText).toContain(fragment))
}

/**
 * The options a page gets for `url` (e.g. a recorded navigation), values left as written
 * in the URL: WeChat does not promise to decode them, so pages must cope either way.
 */
function optionsOf(url) {
  const query = String(url).split('?')[1] || ''
  const options = {}
  query.split('&').filter(Boolean).forEach((pair) => {
    const at = pair.indexOf('=')
    options[at < 0 ? pair : pair.slice(0, at)] = at < 0 ? '' : pair.slice(at + 1)
  })
  return options
}

module.exports = {
  ROOT,
  optionsOf,
  simulate,
  get fake() {
    return current
  },
  installWx,
  flush,
  load,
  render,
  openPage,
  text,
  find,
  tap,
  input,
  pick,
  expectShown,
}
