/**
 * Admin-lite login: username and password → POST /api/v1/auth/admin; the admin's token is
 * kept apart from the WeChat user's (storage `admin_token`). Goes back to `?redirect=` (a
 * page of admin-lite, e.g. the case a bad-rating message opened), else to the review queue.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const { setAdminSession, getAdmin } = require('../../utils/request')

const t = strings.admin

/** Only our own admin pages are followed after login. */
function safeRedirect(value) {
  const url = value ? decodeURIComponent(String(value)) : ''
  return /^\/pages\/admin\/[a-z]+(\?[\w=&%.-]*)?$/.test(url) ? url : routes.adminShifts
}

Component({
  data: {
    t,
    username: '',
    password: '',
    error: '',
    busy: false,
  },

  methods: {
    onLoad(options) {
      wx.setNavigationBarTitle({ title: t.loginTitle })
      this.redirect = safeRedirect(options && options.redirect)
      if (getAdmin()) wx.redirectTo({ url: this.redirect })
    },

    onUsername(event) {
      this.setData({ username: event.detail.value, error: '' })
    },

    onPassword(event) {
      this.setData({ password: event.detail.value, error: '' })
    },

    async onSubmit() {
      const username = this.data.username.trim()
      const { password } = this.data
      if (!username || !password) {
        this.setData({ error: t.loginRequired })
        return
      }
      if (this.data.busy) return
      this.setData({ busy: true, error: '' })
      try {
        const { data } = await api.adminLogin(username, password, { silent: true })
        setAdminSession(data)
        this.setData({ password: '' })
        wx.redirectTo({ url: this.redirect })
      } catch (error) {
        this.setData({ error: error.message })
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
