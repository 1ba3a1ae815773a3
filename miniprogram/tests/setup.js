// jest setupFilesAfterEnv: a fresh `wx` stand-in (tests/wx.js) before every test.
const helpers = require('./helpers')

beforeEach(() => {
  helpers.installWx()
})
