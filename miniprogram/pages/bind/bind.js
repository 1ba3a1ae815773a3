/**
 * Bind this WeChat user to a member with the one-time bind code from the unit admin:
 * typed in, or scanned (the code as text, or a link carrying `bind_code=`). POST
 * /api/v1/me/bind; the server's 404 / 409 / 410 messages are shown on the page.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const { getUser, setUser } = require('../../utils/request')

const t = strings.bind
const CODE = /^[A-Za-z0-9]{4,32}$/

/** The bind code in a scanned text, or null. */
function codeFromScan(text) {
  const value = String(text || '').trim()
  const inLink = /[?&]bind_code=([A-Za-z0-9]+)/.exec(value)
  if (inLink) return inLink[1].toUpperCase()
  return CODE.test(value) ? value.toUpperCase() : null
}

Component({
  data: {
    t,
    code: '',
    error: '',
    busy: false,
    member: null, // { name, unit } once bound
  },

  methods: {
    async onLoad() {
      wx.setNavigationBarTitle({ title: t.title })
      const stored = getUser()
      if (stored && stored.member) this.showBound(stored.member)
      try {
        const { data } = await api.me({ silent: true })
        setUser(data)
        if (data.member) this.showBound(data.member)
      } catch (error) {
        // Offline or logged out: the form still works once the network is back.
      }
    },

    showBound(member) {
      this.setData({ member: { name: member.name, unit: (member.unit && member.unit.name) || '' } })
    },

    onInput(event) {
      this.setData({ code: event.detail.value, error: '' })
    },

    onScan() {
      wx.scanCode({
        onlyFromCamera: false,
        scanType: ['qrCode', 'barCode'],
        success: (res) => {
          const code = codeFromScan(res.result)
          if (!code) {
            this.setData({ error: t.notBindCode })
            return
          }
          this.setData({ code, error: '' })
          this.onSubmit()
        },
        fail: () => {},
      })
    },

    async onSubmit() {
      const code = this.data.code.trim().toUpperCase()
      if (!code) {
        this.setData({ error: t.codeRequired })
        return
      }
      if (this.data.busy) return
      this.setData({ busy: true, error: '' })
      try {
        const { data } = await api.bind(code, { silent: true })
        setUser(data)
        if (data.member) this.showBound(data.member)
      } catch (error) {
        this.setData({ error: (error.fields && error.fields.bind_code && [].concat(error.fields.bind_code)[0]) || error.message })
      } finally {
        this.setData({ busy: false })
      }
    },

    onMember() {
      wx.redirectTo({ url: routes.member })
    },
  },
})
