// Every page in app.json exists, compiles with WeChat's wcc and renders under
// miniprogram-simulate; Chinese text lives only in strings.js.
const fs = require('fs')
const path = require('path')
const h = require('./helpers')

const app = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'app.json'), 'utf8'))

describe.each(app.pages)('%s', (page) => {
  test('has its four files and renders', () => {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) {
      expect(fs.existsSync(path.join(h.ROOT, `${page}.${ext}`))).toBe(true)
    }
    const rendered = h.render(page)
    expect(rendered.dom).toBeTruthy()
    expect(typeof rendered.instance.onLoad).toBe('function')
  })
})

// What WeChat itself requires in app.json (default title, the location permission's
// reason) is the only Chinese outside strings.js, apart from comments.
const CHINESE = /[\u4e00-\u9fff]/
const SKIP_DIRS = new Set(['node_modules', 'tests'])
const ALLOWED = new Set(['strings.js', 'app.json', 'README.md'])

function sourceFiles(dir, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) sourceFiles(full, found)
    } else if (/\.(js|json|wxml|wxss|wxs)$/.test(entry.name)) {
      found.push(full)
    }
  }
  return found
}

function withoutComments(text, file) {
  if (file.endsWith('.wxml')) return text.replace(/<!--[\s\S]*?-->/g, '')
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1')
}

test('Chinese text only in strings.js', () => {
  const offenders = sourceFiles(h.ROOT)
    .filter((file) => !ALLOWED.has(path.relative(h.ROOT, file)))
    .filter((file) => CHINESE.test(withoutComments(fs.readFileSync(file, 'utf8'), file)))
    .map((file) => path.relative(h.ROOT, file))
  expect(offenders).toEqual([])
})
